/*
 * The outbox publisher against librdkafka's mock cluster (fault injection
 * without a broker) and the real PostgreSQL of ops/pg.sh (a database of its
 * own): injected produce errors, a broker outage, librdkafka 2.0.2's fatal
 * idempotence error (the recipe of librdkafka's tests/0144-idempotence_mock.c:
 * delayed produce responses, then the broker down and up), and a producer
 * recreated mid-stream. In every case each outbox row ends up published and
 * marked, and after de-duplication by ce_id every event is on the topic
 * exactly once. The same for the events of the scheduler's firings, whose
 * row is deleted only once all of them are confirmed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <libpq-fe.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "config.h"
#include "db.h"
#include "log.h"
#include "metrics.h"
#include "migrate.h"
#include "outbox.h"

#define APIKEY_PRODUCE 0 /* Kafka protocol ApiKey of Produce */
#define TOPIC          "relay48.reports.v1"

struct fixture {
    char url[512];
    char admin_url[512];
    char dbname[64];
    PGconn *pg; /* blocking, for the test's own queries */
    rd_kafka_t *owner;
    rd_kafka_mock_cluster_t *mcluster;
    char bootstraps[256];
    struct config cfg;
    struct event_base *base;
    struct db *db;
    struct outbox *outbox;
    long next_row;
};

static void sql(struct fixture *f, const char *q)
{
    PGresult *r = PQexec(f->pg, q);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
        fail_msg("%s: %s", q, PQresultErrorMessage(r));
    PQclear(r);
}

static long sql_long(struct fixture *f, const char *q)
{
    PGresult *r = PQexec(f->pg, q);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        fail_msg("%s: %s", q, PQresultErrorMessage(r));
    long v = atol(PQgetvalue(r, 0, 0));
    PQclear(r);
    return v;
}

/* n new outbox rows, as a committed intake leaves them. */
static void insert_rows(struct fixture *f, int n)
{
    char q[512];
    snprintf(q, sizeof(q),
             "INSERT INTO outbox (event_id, topic, key, type, case_ref, payload) "
             "SELECT gen_random_uuid(), '%s', 'R48-MOCK-' || g, 'report.accepted', "
             "'R48-MOCK-' || g, jsonb_build_object('ref', 'R48-MOCK-' || g, 'n', g) "
             "FROM generate_series(%ld, %ld) AS g",
             TOPIC, f->next_row, f->next_row + n - 1);
    sql(f, q);
    f->next_row += n;
}

static void run_for_ms(struct fixture *f, int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    event_base_loopexit(f->base, &tv);
    event_base_dispatch(f->base);
}

/* Run the loop until every row is marked published, or timeout. */
static int run_until_published(struct fixture *f, int timeout_ms)
{
    for (int waited = 0; waited < timeout_ms; waited += 100) {
        if (sql_long(f, "SELECT count(*) FROM outbox") == 0)
            return 0;
        run_for_ms(f, 100);
    }
    return -1;
}

/* Every message of the topic on the mock cluster: total and distinct ce_id.
 * Reads until `expected` distinct ids were seen or nothing new came for 5 s
 * (a partition EOF can be reported before the last appends are visible). */
static void count_on_topic(struct fixture *f, long expected, long *total, long *distinct)
{
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", f->bootstraps, err, sizeof(err)) ||
        rd_kafka_conf_set(conf, "group.id", "test-outbox-mock", err, sizeof(err)) ||
        rd_kafka_conf_set(conf, "enable.partition.eof", "true", err, sizeof(err)) ||
        rd_kafka_conf_set(conf, "auto.offset.reset", "earliest", err, sizeof(err)))
        fail_msg("%s", err);
    rd_kafka_t *c = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
    assert_non_null(c);
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(parts, TOPIC, 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
    assert_int_equal(rd_kafka_assign(c, parts), 0);
    rd_kafka_topic_partition_list_destroy(parts);

    size_t cap = 1024, n = 0;
    char **ids = calloc(cap, sizeof(*ids));
    *total = 0;
    for (int idle = 0; idle < 50 && (long)n < expected;) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(c, 100);
        if (!m || m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            idle++;
            if (m)
                rd_kafka_message_destroy(m);
            continue;
        }
        idle = 0;
        assert_int_equal(m->err, 0);
        rd_kafka_headers_t *h = NULL;
        const void *v = NULL;
        size_t vlen = 0;
        assert_int_equal(rd_kafka_message_headers(m, &h), 0);
        assert_int_equal(rd_kafka_header_get_last(h, "ce_id", &v, &vlen), 0);
        int seen = 0;
        for (size_t i = 0; i < n && !seen; i++)
            seen = strlen(ids[i]) == vlen && memcmp(ids[i], v, vlen) == 0;
        if (!seen) {
            if (n == cap) {
                cap *= 2;
                ids = realloc(ids, cap * sizeof(*ids));
            }
            ids[n] = calloc(1, vlen + 1);
            memcpy(ids[n++], v, vlen);
        }
        (*total)++;
        rd_kafka_message_destroy(m);
    }
    *distinct = (long)n;
    for (size_t i = 0; i < n; i++)
        free(ids[i]);
    free(ids);
    rd_kafka_consumer_close(c);
    rd_kafka_destroy(c);
}

/* librdkafka's queue for the next setup: 0 its default. */
static int queue_max;

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    char err[512];
    const char *base_url = getenv("RELAY48_TEST_PG");
    snprintf(f->admin_url, sizeof(f->admin_url), "%s",
             base_url ? base_url : "postgresql://relay48@127.0.0.1:55432/postgres");
    snprintf(f->dbname, sizeof(f->dbname), "t_outbox_mock_%d", (int)getpid());
    PGconn *admin = PQconnectdb(f->admin_url);
    if (PQstatus(admin) != CONNECTION_OK)
        fail_msg("PostgreSQL (ops/pg.sh start): %s", PQerrorMessage(admin));
    char q[256];
    snprintf(q, sizeof(q), "DROP DATABASE IF EXISTS %s", f->dbname);
    PQclear(PQexec(admin, q));
    snprintf(q, sizeof(q), "CREATE DATABASE %s", f->dbname);
    PQclear(PQexec(admin, q));
    PQfinish(admin);
    snprintf(f->url, sizeof(f->url), "%.*s/%s", (int)(strrchr(f->admin_url, '/') - f->admin_url),
             f->admin_url, f->dbname);
    char sql_dir[1024];
    const char *src = getenv("RELAY48_SOURCE_DIR");
    snprintf(sql_dir, sizeof(sql_dir), "%s/sql", src ? src : ".");
    if (migrate_run(f->url, sql_dir, NULL, err, sizeof(err)) != 0)
        fail_msg("migrate: %s", err);
    f->pg = PQconnectdb(f->url);
    assert_int_equal(PQstatus(f->pg), CONNECTION_OK);
    f->next_row = 1;

    /* The mock cluster lives in a handle of its own, so that a producer
     * recreated after a fatal error reaches the same cluster. */
    rd_kafka_conf_t *oc = rd_kafka_conf_new();
    assert_int_equal(rd_kafka_conf_set(oc, "log_level", "3", err, sizeof(err)), 0);
    f->owner = rd_kafka_new(RD_KAFKA_PRODUCER, oc, err, sizeof(err));
    assert_non_null(f->owner);
    f->mcluster = rd_kafka_mock_cluster_new(f->owner, 1);
    assert_non_null(f->mcluster);
    snprintf(f->bootstraps, sizeof(f->bootstraps), "%s",
             rd_kafka_mock_cluster_bootstraps(f->mcluster));
    assert_int_equal(rd_kafka_mock_topic_create(f->mcluster, TOPIC, 1, 1), 0);

    assert_int_equal(config_init(&f->cfg, err, sizeof(err)), 0);
    const char *settings[][2] = {{"instance", "mock"},
                                 {"kafka.bootstrap.servers", f->bootstraps},
                                 {"kafka.batch.num.messages", "1"},
                                 {"kafka.linger.ms", "0"},
                                 {"kafka.socket.connection.setup.timeout.ms", "5000"},
                                 {"kafka.reconnect.backoff.max.ms", "2000"}};
    for (size_t i = 0; i < RELAY_ARRAY_LEN(settings); i++)
        assert_int_equal(config_set(&f->cfg, settings[i][0], settings[i][1], err, sizeof(err)), 0);
    if (queue_max > 0) {
        char v[16];
        snprintf(v, sizeof(v), "%d", queue_max);
        assert_int_equal(
            config_set(&f->cfg, "kafka.queue.buffering.max.messages", v, err, sizeof(err)), 0);
    }

    f->base = event_base_new();
    struct db_options dbo = {.conninfo = f->url, .name = "outbox", .retry_max_ms = 200};
    f->db = db_new(f->base, &dbo, err, sizeof(err));
    assert_non_null(f->db);
    assert_int_equal(outbox_prepare(f->db), 0);
    struct outbox_options oo = {.cfg = &f->cfg,
                                .probe_interval_ms = 200,
                                .sweep_interval_ms = 200,
                                .sweep_age_ms = 0,
                                .mark_delay_ms = 10};
    f->outbox = outbox_new(f->base, f->db, &oo, err, sizeof(err));
    assert_non_null(f->outbox);
    run_for_ms(f, 300);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    /* The connection first: freeing it answers its pending statements, whose
     * callbacks touch the outbox (the same order as relay.c). */
    db_free(f->db);
    outbox_free(f->outbox, 0);
    event_base_free(f->base);
    config_free(&f->cfg);
    rd_kafka_mock_cluster_destroy(f->mcluster);
    rd_kafka_destroy(f->owner);
    PQfinish(f->pg);
    PGconn *admin = PQconnectdb(f->admin_url);
    char q[256];
    snprintf(q, sizeof(q), "DROP DATABASE IF EXISTS %s WITH (FORCE)", f->dbname);
    PQclear(PQexec(admin, q));
    PQfinish(admin);
    metrics_reset();
    free(f);
    return 0;
}

static void expect_all_once(struct fixture *f)
{
    long rows = f->next_row - 1; /* every row inserted; all are published now */
    long total, distinct;
    count_on_topic(f, rows, &total, &distinct);
    printf("# rows %ld, on the topic %ld (distinct ce_id %ld)\n", rows, total, distinct);
    assert_int_equal(distinct, rows);
    assert_true(total >= rows);
}

static void test_produce_errors_and_outage(void **state)
{
    struct fixture *f = *state;
    insert_rows(f, 100);
    /* Retriable errors on the next produce requests. */
    rd_kafka_mock_push_request_errors(
        f->mcluster, APIKEY_PRODUCE, 6, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
        RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
        RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND,
        RD_KAFKA_RESP_ERR__TRANSPORT);
    assert_int_equal(run_until_published(f, 30000), 0);

    /* The broker down while rows come in, then up. */
    rd_kafka_mock_broker_set_down(f->mcluster, 1);
    insert_rows(f, 100);
    run_for_ms(f, 1500);
    assert_true(sql_long(f, "SELECT count(*) FROM outbox") > 0);
    rd_kafka_mock_broker_set_up(f->mcluster, 1);
    assert_int_equal(run_until_published(f, 30000), 0);
    expect_all_once(f);
}

static void test_fatal_idempotence_error(void **state)
{
    struct fixture *f = *state;
    insert_rows(f, 5);
    assert_int_equal(run_until_published(f, 15000), 0);
    int64_t recreated_before = metrics_get("relay48_outbox_producer_recreated_total");

    /* librdkafka 2.0.2 (#3584, fixed in 2.3.0): a response that comes after
     * the connection dropped, then NOT_ENOUGH_REPLICAS and out-of-order
     * sequences on the retry desynchronise the idempotent sequence. */
    rd_kafka_mock_broker_push_request_error_rtts(f->mcluster, 1, APIKEY_PRODUCE, 1,
                                                 RD_KAFKA_RESP_ERR_NO_ERROR, 750);
    rd_kafka_mock_broker_push_request_error_rtts(f->mcluster, 1, APIKEY_PRODUCE, 1,
                                                 RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS, 750);
    for (int i = 0; i < 4; i++)
        rd_kafka_mock_broker_push_request_error_rtts(
            f->mcluster, 1, APIKEY_PRODUCE, 1, RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER, 1);
    insert_rows(f, 1);
    run_for_ms(f, 450); /* the sweep (200 ms) produces it */
    rd_kafka_mock_broker_set_down(f->mcluster, 1);
    run_for_ms(f, 250);
    insert_rows(f, 4);
    run_for_ms(f, 250);
    rd_kafka_mock_broker_set_up(f->mcluster, 1);
    assert_int_equal(run_until_published(f, 60000), 0);
    int64_t recreated = metrics_get("relay48_outbox_producer_recreated_total") - recreated_before;
    printf("# producer recreated %lld time(s) after the fatal error\n", (long long)recreated);
    /* The point of this test: librdkafka 2.0.2 does raise the fatal error
     * here, and the relay recovers from it. */
    assert_true(recreated >= 1);
    expect_all_once(f);
}

static void test_recreated_mid_stream(void **state)
{
    struct fixture *f = *state;
    insert_rows(f, 300);
    run_for_ms(f, 250); /* part produced, part in flight */
    outbox_simulate_fatal(f->outbox);
    assert_int_equal(run_until_published(f, 30000), 0);
    expect_all_once(f);
}

/* A row of `firings`, as a scheduler's commit leaves it; its id. */
static int64_t insert_firing(struct fixture *f)
{
    PGresult *r = PQexec(f->pg, "INSERT INTO firings (instance, fired_at, case_ids, names) "
                                "VALUES ('mock', now(), '{1}', '{reminder}') RETURNING id");
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        fail_msg("%s", PQresultErrorMessage(r));
    int64_t id = atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    return id;
}

/* Produce n events of firing id (ids derived from the firing and the index,
 * as the scheduler's are from the milestone and the addressee); how many
 * were refused. A payload queued is librdkafka's (the pointer cleared), one
 * refused stays the caller's. */
static int publish_firing(struct fixture *f, int64_t id, int n)
{
    int refused = 0;
    struct outbox_firing *g = outbox_firing_begin(f->outbox, id);
    assert_non_null(g);
    for (int i = 0; i < n; i++) {
        char event_id[64], key[32], text[64];
        snprintf(event_id, sizeof(event_id), "00000000-0000-8000-8000-%06d%06d",
                 (int)(id % 1000000), i % 1000000);
        snprintf(key, sizeof(key), "R48-FIRING-%lld", (long long)id);
        int len = snprintf(text, sizeof(text), "{\"firing\":%lld,\"n\":%d}", (long long)id, i);
        char *payload = strdup(text); /* handed to librdkafka when queued */
        assert_non_null(payload);
        if (outbox_firing_add(g, event_id, TOPIC, key, "escalation.bank", "2026-03-28T09:00:00Z",
                              &payload, (size_t)len) == 0) {
            assert_null(payload);
        } else {
            assert_non_null(payload);
            refused++;
        }
        free(payload);
    }
    outbox_firing_end(g);
    return refused;
}

static long firing_rows(struct fixture *f, int64_t id)
{
    char q[128];
    snprintf(q, sizeof(q), "SELECT count(*) FROM firings WHERE id = %lld", (long long)id);
    return sql_long(f, q);
}

static int run_until_firing_gone(struct fixture *f, int64_t id, int timeout_ms)
{
    for (int waited = 0; waited < timeout_ms; waited += 100) {
        if (firing_rows(f, id) == 0 && !outbox_firing_held(f->outbox, id))
            return 0;
        run_for_ms(f, 100);
    }
    return -1;
}

/* A firing's row leaves its table only once every one of its events has a
 * delivery report with an offset; a group whose events fail is forgotten
 * (the row stays for the scheduler's sweep) and, published again with the
 * same ids, is then confirmed; on the topic every event once after
 * de-duplication. */
static void test_firings(void **state)
{
    struct fixture *f = *state;
    int64_t a = insert_firing(f);
    publish_firing(f, a, 50);
    assert_true(outbox_firing_held(f->outbox, a));
    assert_int_equal(run_until_firing_gone(f, a, 15000), 0);

    /* The broker down: the row stays, held, until it is back. */
    rd_kafka_mock_broker_set_down(f->mcluster, 1);
    int64_t b = insert_firing(f);
    publish_firing(f, b, 50);
    run_for_ms(f, 1500);
    assert_int_equal(firing_rows(f, b), 1);
    assert_true(outbox_firing_held(f->outbox, b));
    rd_kafka_mock_broker_set_up(f->mcluster, 1);
    assert_int_equal(run_until_firing_gone(f, b, 30000), 0);

    /* The producer recreated while a firing is in flight: its events are
     * purged, the group fails, the row stays and is no longer held. */
    rd_kafka_mock_broker_set_down(f->mcluster, 1);
    int64_t c = insert_firing(f);
    publish_firing(f, c, 50);
    run_for_ms(f, 300);
    outbox_simulate_fatal(f->outbox);
    run_for_ms(f, 500);
    assert_int_equal(firing_rows(f, c), 1);
    assert_false(outbox_firing_held(f->outbox, c));
    rd_kafka_mock_broker_set_up(f->mcluster, 1);
    publish_firing(f, c, 50); /* what the sweep does: the same events again */
    assert_int_equal(run_until_firing_gone(f, c, 30000), 0);

    long total, distinct;
    count_on_topic(f, 150, &total, &distinct);
    printf("# firing events 150, on the topic %ld (distinct ce_id %ld)\n", total, distinct);
    assert_int_equal(distinct, 150);
}

/* librdkafka's queue full (the broker down, 10 messages at most): the
 * events refused stay the caller's, the group fails, and its row stays for
 * the sweep, no longer held; the events that were queued are delivered when
 * the broker is back, and the same events published again (the sweep) are
 * all confirmed. Under ASan: no payload leaked or freed twice. */
static int setup_small_queue(void **state)
{
    queue_max = 10;
    int rc = setup(state);
    queue_max = 0;
    return rc;
}

static void test_firing_refused_when_queue_full(void **state)
{
    struct fixture *f = *state;
    rd_kafka_mock_broker_set_down(f->mcluster, 1);
    int64_t a = insert_firing(f);
    int refused = publish_firing(f, a, 25);
    printf("# 25 events, %d refused by a queue of 10\n", refused);
    assert_true(refused >= 15);
    rd_kafka_mock_broker_set_up(f->mcluster, 1);
    run_for_ms(f, 3000);
    assert_int_equal(firing_rows(f, a), 1);
    assert_false(outbox_firing_held(f->outbox, a));
    /* published again with the same ids once the queue has room (the
     * scheduler starts a batch only then): the first 8, which fit it */
    assert_int_equal(publish_firing(f, a, 8), 0);
    assert_int_equal(run_until_firing_gone(f, a, 30000), 0);
}

int main(void)
{
    log_set_level(getenv("MOCK_DEBUG") ? LOG_DEBUG : LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_produce_errors_and_outage, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fatal_idempotence_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recreated_mid_stream, setup, teardown),
        cmocka_unit_test_setup_teardown(test_firings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_firing_refused_when_queue_full, setup_small_queue,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
