/* outbox.c — outbox rows to Kafka, marked from delivery reports; see outbox.h. */
#include "outbox.h"

#include <event2/event.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "db.h"
#include "escalate.h"
#include "kafka.h"
#include "log.h"
#include "metrics.h"
#include "timeutil.h"

/* Marking published is deleting: the table holds what Kafka has not
 * confirmed, and stays small. */
static const char sql_mark[] = "DELETE FROM outbox WHERE id = ANY($1::bigint[])";
/* A firing or an intake batch is marked published the same way, once all
 * its events are (their ids come from one sequence). */
static const char sql_mark_firings[] =
    "WITH f AS (DELETE FROM firings WHERE id = ANY($1::bigint[])) "
    "DELETE FROM intake_batches WHERE id = ANY($1::bigint[])";
/* Intake batches nobody confirmed in time, a page of them, with what
 * escalate_intake_events builds their events from: one row a case (none
 * found: one row of NULLs, so that the batch is deleted). */
#define IBATCH_PAGE 100
static const char sql_sweep_intake[] =
    "WITH b AS (SELECT id, case_ids FROM intake_batches WHERE id > $1::bigint"
    "  AND created_at < now() - make_interval(secs => $2::int / 1000.0) ORDER BY id LIMIT 100)"
    " SELECT b.id, c.ref, c.kind, c.channel, c.rail, c.window_state,"
    "  floor(extract(epoch FROM c.start_at))::bigint,"
    "  floor(extract(epoch FROM c.received_at))::bigint,"
    "  floor(extract(epoch FROM c.deadline_at))::bigint, c.amount_minor, c.currency,"
    "  c.debtor_iban, c.debtor_bic, c.creditor_iban, c.creditor_bic, c.card_bin, c.card_last4,"
    "  c.receipt, c.scenario, c.departement, c.details::text,"
    "  to_json(coalesce(c.linked_refs, '{}'::text[]))::text, c.police_reason,"
    "  c.debtor_bank_name, c.creditor_bank_name, m.severity"
    " FROM b LEFT JOIN LATERAL unnest(b.case_ids) AS u(case_id) ON true"
    " LEFT JOIN cases c ON c.id = u.case_id"
    " LEFT JOIN milestones m ON m.case_id = c.id AND m.name = 'alert'"
    " ORDER BY b.id, u.case_id";
static const char sql_sweep[] =
    "SELECT id, event_id, topic, key, type, to_char(created_at AT TIME ZONE 'UTC', "
    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), payload::text FROM outbox "
    "WHERE id > $1::bigint "
    "AND created_at < now() - make_interval(secs => $2::int / 1000.0) ORDER BY id LIMIT 2000";

#define MARK_MAX 4096
/* Confirmations remembered at most while a mark is out (a burst of firing
 * confirms tens of thousands of rows in one mark's round trip); beyond, the
 * sweep sends rows again. */
#define MARK_HARD_MAX (1 << 20)

/* An open-addressing set of outbox ids: rows librdkafka holds or that wait
 * to be marked, so that a sweep does not send them again. */
struct idset {
    int64_t *slot; /* 0 = empty, -1 = deleted */
    size_t cap, count, used;
};

static size_t idset_hash(int64_t id, size_t cap)
{
    uint64_t x = (uint64_t)id * 0x9E3779B97F4A7C15ULL;
    return (size_t)(x >> 17) & (cap - 1);
}

static int idset_grow(struct idset *s)
{
    size_t ncap = s->cap ? s->cap * 2 : 1024;
    int64_t *n = calloc(ncap, sizeof(*n));
    if (!n)
        return -1;
    for (size_t i = 0; i < s->cap; i++) {
        if (s->slot[i] > 0) {
            size_t h = idset_hash(s->slot[i], ncap);
            while (n[h])
                h = (h + 1) & (ncap - 1);
            n[h] = s->slot[i];
        }
    }
    free(s->slot);
    s->slot = n;
    s->cap = ncap;
    s->used = s->count;
    return 0;
}

static int idset_has(const struct idset *s, int64_t id)
{
    if (!s->cap)
        return 0;
    size_t h = idset_hash(id, s->cap);
    while (s->slot[h]) {
        if (s->slot[h] == id)
            return 1;
        h = (h + 1) & (s->cap - 1);
    }
    return 0;
}

static int idset_add(struct idset *s, int64_t id)
{
    if (idset_has(s, id))
        return 0;
    if ((s->used + 1) * 2 > s->cap && idset_grow(s) != 0)
        return -1;
    size_t h = idset_hash(id, s->cap);
    while (s->slot[h] > 0)
        h = (h + 1) & (s->cap - 1);
    if (s->slot[h] == 0)
        s->used++;
    s->slot[h] = id;
    s->count++;
    return 0;
}

static void idset_del(struct idset *s, int64_t id)
{
    if (!s->cap)
        return;
    size_t h = idset_hash(id, s->cap);
    while (s->slot[h]) {
        if (s->slot[h] == id) {
            s->slot[h] = -1;
            s->count--;
            return;
        }
        h = (h + 1) & (s->cap - 1);
    }
}

/* The delivery-report opaque of a message: an outbox row id shifted left
 * (low bit 0), or a firing group's address with the low bit set. */
#define OPAQUE_FIRING ((uintptr_t)1)

struct outbox_firing {
    struct outbox *o;
    int64_t id;
    int outstanding; /* produced, no delivery report yet */
    int failed;      /* an event not queued, failed, or reported without an offset */
    int ended;       /* no more events: done when outstanding falls to 0 */
};

struct outbox {
    struct event_base *base;
    struct db *db;
    struct outbox_options opt;
    struct kafka *kafka;
    struct idset held;  /* produced, not yet marked */
    int64_t *confirmed; /* delivered, to mark */
    size_t nconfirmed, cap_confirmed;
    int marking; /* a mark statement is out */
    int sweeping;
    int64_t sweep_cursor;
    int sweep_age_ms; /* of the sweep in progress */
    struct event *ev_mark, *ev_sweep, *ev_recreate, *ev_first;
    int recreate_pending;
    int first_sweep_done;           /* the first sweep takes every unpublished row */
    int64_t queue_full_until_sweep; /* rows refused by a full queue: the sweep resends */
    /* firings: groups in flight or confirmed and not deleted yet (held),
     * confirmed ones to delete, the delete out */
    struct idset fheld;
    int64_t *fconfirmed;
    size_t nfconfirmed, cap_fconfirmed;
    int fmarking;
    long firing_msgs; /* events of firings produced, not reported yet */
    /* the sweep of intake batches: a page out, the last id read */
    int isweeping;
    int64_t isweep_cursor;
    long queue_max; /* queue.buffering.max.messages of the producer */
};

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque);
static void on_fatal(const char *reason, void *opaque);
static void schedule_mark(struct outbox *o);

static struct kafka *make_kafka(struct outbox *o, char *errstr, size_t errstr_size)
{
    struct kafka_options ko = {.cfg = o->opt.cfg,
                               .probe_interval_ms = o->opt.probe_interval_ms,
                               .on_delivery = on_delivery,
                               .on_fatal = on_fatal,
                               .opaque = o};
    struct kafka *k = kafka_new(o->base, &ko, errstr, errstr_size);
    if (k) {
        char v[32];
        size_t vlen = sizeof(v);
        o->queue_max = 100000; /* librdkafka's default */
        if (rd_kafka_conf_get(rd_kafka_conf(kafka_handle(k)), "queue.buffering.max.messages", v,
                              &vlen) == RD_KAFKA_CONF_OK)
            o->queue_max = atol(v);
    }
    return k;
}

/* One CloudEvent in binary mode; opaque comes back in its delivery report.
 * msgflags: RD_KAFKA_MSG_F_COPY, or RD_KAFKA_MSG_F_FREE for a malloc'd
 * payload librdkafka then owns (only when this returns no error). */
static rd_kafka_resp_err_t produce(struct outbox *o, void *opaque, const char *event_id,
                                   const char *topic, const char *key, const char *type,
                                   const char *time, const char *payload, size_t payload_len,
                                   int msgflags)
{
    if (!o->kafka)
        return RD_KAFKA_RESP_ERR__STATE; /* being recreated */
    char source[96];
    snprintf(source, sizeof(source), "urn:relay48:%s", o->opt.cfg->instance);
    return rd_kafka_producev(
        kafka_handle(o->kafka), RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, strlen(key)),
        RD_KAFKA_V_VALUE((void *)payload, payload_len), RD_KAFKA_V_MSGFLAGS(msgflags),
        RD_KAFKA_V_HEADER("ce_specversion", "1.0", -1), RD_KAFKA_V_HEADER("ce_id", event_id, -1),
        RD_KAFKA_V_HEADER("ce_source", source, -1), RD_KAFKA_V_HEADER("ce_type", type, -1),
        RD_KAFKA_V_HEADER("ce_time", time, -1),
        RD_KAFKA_V_HEADER("content-type", "application/json", -1), RD_KAFKA_V_OPAQUE(opaque),
        RD_KAFKA_V_END);
}

static int produce_one(struct outbox *o, int64_t id, const char *event_id, const char *topic,
                       const char *key, const char *type, const char *time, const char *payload,
                       size_t payload_len)
{
    if (idset_has(&o->held, id))
        return 0;
    rd_kafka_resp_err_t err = produce(o, (void *)(uintptr_t)((uint64_t)id << 1), event_id, topic,
                                      key, type, time, payload, payload_len, RD_KAFKA_MSG_F_COPY);
    if (err) {
        /* Never dropped: the row stays unpublished and the sweep sends it. */
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
            log_warn("outbox.produce_failed", "row %" PRId64 ": %s", id, rd_kafka_err2str(err));
        metrics_add("relay48_outbox_produce_errors_total", 1);
        return -1;
    }
    if (idset_add(&o->held, id) != 0)
        log_warn("outbox.oom", "cannot track row %" PRId64 "; it may be sent twice", id);
    return 0;
}

void outbox_publish_one(struct outbox *o, int64_t id, const char *event_id, const char *topic,
                        const char *key, const char *type, const char *time, const char *payload,
                        size_t payload_len)
{
    (void)produce_one(o, id, event_id, topic, key, type, time, payload, payload_len);
}

/* ---- firings --------------------------------------------------------------- */

/* Every event of the group reported, and no more to come. */
static void firing_done(struct outbox_firing *f)
{
    struct outbox *o = f->o;
    if (f->failed) {
        /* Forgotten: its row stays, and a sweep publishes it again. */
        idset_del(&o->fheld, f->id);
        metrics_add("relay48_firings_failed_total", 1);
        log_warn("outbox.firing_failed",
                 "firing %" PRId64 " not confirmed whole: left to the firings sweep", f->id);
        free(f);
        return;
    }
    if (o->nfconfirmed == o->cap_fconfirmed) {
        size_t ncap = o->cap_fconfirmed ? 2 * o->cap_fconfirmed : 256;
        int64_t *n = realloc(o->fconfirmed, ncap * sizeof(int64_t));
        if (!n) {
            idset_del(&o->fheld, f->id); /* the sweep sends it again */
            free(f);
            return;
        }
        o->fconfirmed = n;
        o->cap_fconfirmed = ncap;
    }
    o->fconfirmed[o->nfconfirmed++] = f->id;
    free(f);
    schedule_mark(o);
}

/* Loop thread (served by kafka_poll). */
static void on_firing_delivery(struct outbox_firing *f, const rd_kafka_message_t *m)
{
    struct outbox *o = f->o;
    f->outstanding--;
    o->firing_msgs--;
    if (m->err) {
        f->failed = 1;
        metrics_add("relay48_outbox_delivery_failures_total", 1);
        if (m->err != RD_KAFKA_RESP_ERR__PURGE_QUEUE && m->err != RD_KAFKA_RESP_ERR__PURGE_INFLIGHT)
            log_warn("outbox.delivery_failed", "firing %" PRId64 ": %s", f->id,
                     rd_kafka_err2str(m->err));
    } else if (m->offset < 0 || rd_kafka_message_status(m) != RD_KAFKA_MSG_STATUS_PERSISTED) {
        f->failed = 1; /* not a confirmation: see on_delivery */
        metrics_add("relay48_outbox_unconfirmed_total", 1);
    } else {
        metrics_add("relay48_outbox_published_total", 1);
    }
    if (f->outstanding == 0 && f->ended)
        firing_done(f);
}

struct outbox_firing *outbox_firing_begin(struct outbox *o, int64_t firing_id)
{
    struct outbox_firing *f = calloc(1, sizeof(*f));
    if (!f)
        return NULL;
    if (idset_add(&o->fheld, firing_id) != 0) {
        free(f);
        return NULL;
    }
    f->o = o;
    f->id = firing_id;
    return f;
}

int outbox_firing_add(struct outbox_firing *f, const char *event_id, const char *topic,
                      const char *key, const char *type, const char *time, char **payload,
                      size_t payload_len)
{
    if (f->failed)
        return -1;
    struct outbox *o = f->o;
    rd_kafka_resp_err_t err = produce(o, (void *)((uintptr_t)f | OPAQUE_FIRING), event_id, topic,
                                      key, type, time, *payload, payload_len, RD_KAFKA_MSG_F_FREE);
    if (err) {
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
            log_warn("outbox.produce_failed", "firing %" PRId64 ": %s", f->id,
                     rd_kafka_err2str(err));
        metrics_add("relay48_outbox_produce_errors_total", 1);
        f->failed = 1;
        return -1;
    }
    *payload = NULL; /* librdkafka's now */
    f->outstanding++;
    o->firing_msgs++;
    return 0;
}

void outbox_firing_end(struct outbox_firing *f)
{
    if (!f)
        return;
    f->ended = 1;
    if (f->outstanding == 0)
        firing_done(f);
}

void outbox_firing_fail(struct outbox_firing *f)
{
    if (f)
        f->failed = 1;
}

int outbox_firing_held(const struct outbox *o, int64_t firing_id)
{
    return idset_has(&o->fheld, firing_id);
}

long outbox_room(const struct outbox *o)
{
    if (!o->kafka)
        return 0;
    return o->queue_max / 2 - (long)rd_kafka_outq_len(kafka_handle(o->kafka));
}

/* Loop thread (served by kafka_poll). */
static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    struct outbox *o = opaque;
    uintptr_t tag = (uintptr_t)m->_private;
    if (tag & OPAQUE_FIRING) {
        on_firing_delivery((struct outbox_firing *)(tag & ~OPAQUE_FIRING), m);
        return;
    }
    int64_t id = (int64_t)((uint64_t)tag >> 1);
    if (m->err) {
        idset_del(&o->held, id);
        metrics_add("relay48_outbox_delivery_failures_total", 1);
        if (m->err != RD_KAFKA_RESP_ERR__PURGE_QUEUE && m->err != RD_KAFKA_RESP_ERR__PURGE_INFLIGHT)
            log_warn("outbox.delivery_failed", "row %" PRId64 ": %s", id, rd_kafka_err2str(m->err));
        return;
    }
    if (m->offset < 0 || rd_kafka_message_status(m) != RD_KAFKA_MSG_STATUS_PERSISTED) {
        /* A "success" without an offset: librdkafka 2.0.2 reports some
         * messages of a batch caught in its idempotence failure this way,
         * and they are not on the log (tests/mock/test_outbox_mock.c shows
         * it). Not a confirmation: the row stays and the sweep sends it
         * again; a duplicate is better than a loss. */
        idset_del(&o->held, id);
        metrics_add("relay48_outbox_unconfirmed_total", 1);
        log_warn("outbox.unconfirmed", "row %" PRId64 ": delivered without an offset; sent again",
                 id);
        return;
    }
    metrics_add("relay48_outbox_published_total", 1);
    log_debug("outbox.delivered", "row %" PRId64 " at %s [%d] offset %" PRId64, id,
              rd_kafka_topic_name(m->rkt), (int)m->partition, (int64_t)m->offset);
    if (o->nconfirmed == o->cap_confirmed && o->cap_confirmed < MARK_HARD_MAX) {
        int64_t *n = realloc(o->confirmed, 2 * o->cap_confirmed * sizeof(int64_t));
        if (n) {
            o->confirmed = n;
            o->cap_confirmed *= 2;
        }
    }
    if (o->nconfirmed == o->cap_confirmed) {
        /* Cannot remember more: forget it; the sweep sends it again later
         * and the consumers de-duplicate. */
        idset_del(&o->held, id);
        return;
    }
    o->confirmed[o->nconfirmed++] = id;
    schedule_mark(o);
}

/* ---- marking published --------------------------------------------------- */

struct mark {
    struct outbox *o;
    int64_t *ids;
    size_t n;
};

static void on_marked(PGresult *res, void *arg)
{
    struct mark *mk = arg;
    struct outbox *o = mk->o;
    o->marking = 0;
    if (res && PQresultStatus(res) == PGRES_COMMAND_OK) {
        for (size_t i = 0; i < mk->n; i++)
            idset_del(&o->held, mk->ids[i]);
    } else {
        /* Keep them to mark later (as many as fit). */
        for (size_t i = 0; i < mk->n && o->nconfirmed < o->cap_confirmed; i++)
            o->confirmed[o->nconfirmed++] = mk->ids[i];
        if (res)
            log_warn("outbox.mark_failed", "%s", PQresultErrorMessage(res));
    }
    free(mk->ids);
    free(mk);
    if (o->nconfirmed)
        schedule_mark(o);
}

static void on_firings_marked(PGresult *res, void *arg)
{
    struct mark *mk = arg;
    struct outbox *o = mk->o;
    o->fmarking = 0;
    if (res && PQresultStatus(res) == PGRES_COMMAND_OK) {
        for (size_t i = 0; i < mk->n; i++)
            idset_del(&o->fheld, mk->ids[i]);
    } else {
        /* Keep them to mark later. */
        size_t need = o->nfconfirmed + mk->n;
        if (need > o->cap_fconfirmed) {
            int64_t *n = realloc(o->fconfirmed, need * sizeof(int64_t));
            if (n) {
                o->fconfirmed = n;
                o->cap_fconfirmed = need;
            }
        }
        for (size_t i = 0; i < mk->n; i++) {
            if (o->nfconfirmed < o->cap_fconfirmed)
                o->fconfirmed[o->nfconfirmed++] = mk->ids[i];
            else
                idset_del(&o->fheld, mk->ids[i]); /* the sweep sends it again */
        }
        if (res)
            log_warn("outbox.mark_failed", "%s", PQresultErrorMessage(res));
    }
    free(mk->ids);
    free(mk);
    if (o->nfconfirmed)
        schedule_mark(o);
}

/* "{1,2,3}" of n ids; NULL when out of memory. */
static char *id_array(const int64_t *ids, size_t n)
{
    char *lit = malloc(n * 21 + 3);
    if (!lit)
        return NULL;
    size_t pos = 0;
    lit[pos++] = '{';
    for (size_t i = 0; i < n; i++)
        pos += (size_t)sprintf(lit + pos, i ? ",%" PRId64 : "%" PRId64, ids[i]);
    lit[pos++] = '}';
    lit[pos] = '\0';
    return lit;
}

/* Delete the confirmed firings: the whole list in one statement. */
static void mark_firings(struct outbox *o)
{
    if (o->fmarking || !o->nfconfirmed)
        return;
    struct mark *mk = calloc(1, sizeof(*mk));
    char *lit = id_array(o->fconfirmed, o->nfconfirmed);
    if (!mk || !lit) {
        free(mk);
        free(lit);
        schedule_mark(o);
        return;
    }
    mk->o = o;
    mk->ids = o->fconfirmed;
    mk->n = o->nfconfirmed;
    o->fconfirmed = NULL;
    o->nfconfirmed = o->cap_fconfirmed = 0;
    const char *p[1] = {lit};
    if (db_send(o->db, "outbox_mark_firings", NULL, 1, p, on_firings_marked, mk) == 0 &&
        db_sync(o->db) == 0) {
        o->fmarking = 1;
    } else if (!o->fmarking) {
        /* Not queued: restore. */
        o->fconfirmed = mk->ids;
        o->nfconfirmed = o->cap_fconfirmed = mk->n;
        free(mk);
        schedule_mark(o);
    }
    free(lit);
}

static void on_mark_timer(evutil_socket_t fd, short what, void *arg)
{
    struct outbox *o = arg;
    if (o->nfconfirmed && !o->fmarking) {
        if (!db_ready(o->db)) {
            schedule_mark(o);
            return;
        }
        mark_firings(o);
    }
    if (o->marking || !o->nconfirmed)
        return;
    if (!db_ready(o->db)) {
        schedule_mark(o);
        return;
    }
    struct mark *mk = calloc(1, sizeof(*mk));
    char *lit = malloc(o->nconfirmed * 21 + 3);
    if (!mk || !lit) {
        free(mk);
        free(lit);
        schedule_mark(o);
        return;
    }
    size_t pos = 0;
    lit[pos++] = '{';
    for (size_t i = 0; i < o->nconfirmed; i++)
        pos += (size_t)sprintf(lit + pos, i ? ",%" PRId64 : "%" PRId64, o->confirmed[i]);
    lit[pos++] = '}';
    lit[pos] = '\0';
    mk->o = o;
    mk->ids = o->confirmed;
    mk->n = o->nconfirmed;
    o->confirmed = calloc(o->cap_confirmed, sizeof(int64_t));
    o->nconfirmed = 0;
    if (!o->confirmed) { /* cannot happen in practice; fall back to the sweep */
        o->confirmed = mk->ids;
        o->nconfirmed = 0;
        free(mk);
        free(lit);
        return;
    }
    const char *p[1] = {lit};
    if (db_send(o->db, "outbox_mark", NULL, 1, p, on_marked, mk) == 0 && db_sync(o->db) == 0) {
        o->marking = 1;
    } else if (!o->marking) {
        /* Not queued: restore. */
        free(o->confirmed);
        o->confirmed = mk->ids;
        o->nconfirmed = mk->n;
        free(mk);
        schedule_mark(o);
    }
    free(lit);
}

static void schedule_mark(struct outbox *o)
{
    if (!evtimer_pending(o->ev_mark, NULL)) {
        struct timeval tv = {0, o->opt.mark_delay_ms * 1000};
        evtimer_add(o->ev_mark, &tv);
    }
}

/* ---- sweep ----------------------------------------------------------------- */

static void sweep_step(struct outbox *o);

static void on_sweep_rows(PGresult *res, void *arg)
{
    struct outbox *o = arg;
    if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
        o->sweeping = 0;
        return;
    }
    int n = PQntuples(res);
    int sent = 0;
    for (int i = 0; i < n; i++) {
        int64_t id = strtoll(PQgetvalue(res, i, 0), NULL, 10);
        o->sweep_cursor = id;
        if (idset_has(&o->held, id))
            continue;
        if (produce_one(o, id, PQgetvalue(res, i, 1), PQgetvalue(res, i, 2), PQgetvalue(res, i, 3),
                        PQgetvalue(res, i, 4), PQgetvalue(res, i, 5), PQgetvalue(res, i, 6),
                        (size_t)PQgetlength(res, i, 6)) == 0)
            sent++;
        else
            break; /* queue full or broken: the next sweep goes on */
    }
    if (sent)
        log_info("outbox.resent", "%d unpublished row(s) sent again", sent);
    if (n == 2000 && sent == n) {
        sweep_step(o); /* more to go */
        return;
    }
    o->sweeping = 0;
}

static void sweep_step(struct outbox *o)
{
    char cursor[24], age[16];
    snprintf(cursor, sizeof(cursor), "%" PRId64, o->sweep_cursor);
    snprintf(age, sizeof(age), "%d", o->sweep_age_ms);
    const char *p[2] = {cursor, age};
    if (db_send(o->db, "outbox_sweep", NULL, 2, p, on_sweep_rows, o) == 0 && db_sync(o->db) == 0)
        o->sweeping = 1;
    else
        o->sweeping = 0;
}

/* ---- sweep of intake batches ------------------------------------------------- */

static void isweep_step(struct outbox *o);

static const char *col(PGresult *res, int row, int c)
{
    return PQgetisnull(res, row, c) ? NULL : PQgetvalue(res, row, c);
}

static int64_t col_int(PGresult *res, int row, int c)
{
    return PQgetisnull(res, row, c) ? 0 : strtoll(PQgetvalue(res, row, c), NULL, 10);
}

/* The events of the case of a row, added to group f: -1 when they could not
 * be built or queued. */
static int resend_case(struct outbox *o, struct outbox_firing *f, PGresult *res, int row)
{
    struct escalate_case c;
    memset(&c, 0, sizeof(c));
    c.ref = col(res, row, 1);
    c.kind = col(res, row, 2);
    c.rail = col(res, row, 4);
    c.window_state = col(res, row, 5);
    c.start_at = col_int(res, row, 6);
    c.received_at = col_int(res, row, 7);
    c.deadline_at = col_int(res, row, 8);
    c.amount_minor = col_int(res, row, 9);
    c.currency = col(res, row, 10);
    c.debtor_iban = col(res, row, 11);
    c.debtor_bic = col(res, row, 12);
    c.creditor_iban = col(res, row, 13);
    c.creditor_bic = col(res, row, 14);
    c.card_bin = col(res, row, 15);
    c.card_last4 = col(res, row, 16);
    c.receipt = col(res, row, 17);
    c.scenario = col(res, row, 18);
    c.departement = col(res, row, 19);
    c.debtor_bank_name = col(res, row, 23);
    c.creditor_bank_name = col(res, row, 24);
    struct escalate_intake in = {.channel = col(res, row, 3),
                                 .police_reason = col(res, row, 22),
                                 .token_key = o->opt.token_key,
                                 .token_key_len = o->opt.token_key_len};
    if (!col(res, row, 25) || severity_parse(col(res, row, 25), &in.alert_severity) != 0)
        in.alert_severity = SEVERITY_ALERT;
    c.details = json_loads(col(res, row, 20) ? col(res, row, 20) : "{}", 0, NULL);
    c.linked_cases = json_loads(col(res, row, 21) ? col(res, row, 21) : "[]", 0, NULL);
    struct escalate_event ev[ESCALATE_EVENTS_MAX];
    int n = escalate_intake_events(&c, &in, ev, ESCALATE_EVENTS_MAX);
    json_decref(c.details);
    json_decref(c.linked_cases);
    if (n < 0)
        return -1;
    char when[TIMEUTIL_UTC_SIZE];
    if (rfc3339_format_utc(c.received_at, when, sizeof(when)) != 0)
        snprintf(when, sizeof(when), "1970-01-01T00:00:00Z");
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++)
        rc = outbox_firing_add(f, ev[i].id, ev[i].topic, ev[i].key, ev[i].type, when,
                               &ev[i].payload, ev[i].payload_len);
    escalate_events_free(ev, n);
    return rc;
}

static void on_isweep_rows(PGresult *res, void *arg)
{
    struct outbox *o = arg;
    if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
        if (res)
            log_warn("outbox.sweep_failed", "%s", PQresultErrorMessage(res));
        o->isweeping = 0;
        return;
    }
    int n = PQntuples(res), batches = 0, sent = 0;
    for (int i = 0; i < n;) {
        int64_t id = col_int(res, i, 0);
        int end = i;
        while (end < n && col_int(res, end, 0) == id)
            end++;
        batches++;
        o->isweep_cursor = id;
        struct outbox_firing *f = NULL;
        if (!idset_has(&o->fheld, id) && (f = outbox_firing_begin(o, id)) != NULL) {
            for (int r = i; r < end; r++) {
                if (!col(res, r, 1))
                    continue; /* purged: nothing to send */
                if (resend_case(o, f, res, r) != 0) {
                    outbox_firing_fail(f);
                    break;
                }
            }
            outbox_firing_end(f);
            sent++;
        }
        i = end;
    }
    if (sent)
        log_info("outbox.resent", "%d intake batch(es) sent again", sent);
    if (batches == IBATCH_PAGE) {
        isweep_step(o); /* more to go */
        return;
    }
    o->isweeping = 0;
}

static void isweep_step(struct outbox *o)
{
    char cursor[24], age[16];
    snprintf(cursor, sizeof(cursor), "%" PRId64, o->isweep_cursor);
    snprintf(age, sizeof(age), "%d", o->sweep_age_ms);
    const char *p[2] = {cursor, age};
    if (db_send(o->db, "outbox_sweep_intake", NULL, 2, p, on_isweep_rows, o) == 0 &&
        db_sync(o->db) == 0)
        o->isweeping = 1;
    else
        o->isweeping = 0;
}

static void start_sweep(struct outbox *o, int age_ms)
{
    if (o->sweeping || o->isweeping || !db_ready(o->db) || !kafka_ready(o->kafka))
        return;
    o->sweep_cursor = 0;
    o->sweep_age_ms = age_ms;
    sweep_step(o);
    if (o->opt.token_key_len > 0 && o->sweeping) {
        o->isweep_cursor = 0;
        isweep_step(o);
    }
}

static void on_sweep_timer(evutil_socket_t fd, short what, void *arg)
{
    struct outbox *o = arg;
    /* The first sweep after start takes every unpublished row. */
    start_sweep(o, o->first_sweep_done ? o->opt.sweep_age_ms : 0);
    if (o->sweeping)
        o->first_sweep_done = 1;
}

/* At start (and after a recreation) the first sweep runs as soon as the
 * database and the cluster answer, not a whole interval later. */
static void on_first_sweep(evutil_socket_t fd, short what, void *arg)
{
    struct outbox *o = arg;
    if (o->first_sweep_done)
        return;
    on_sweep_timer(fd, what, arg);
    if (!o->first_sweep_done) {
        struct timeval tv = {0, 100000};
        evtimer_add(o->ev_first, &tv);
    }
}

/* ---- fatal error ----------------------------------------------------------- */

static void on_recreate(evutil_socket_t fd, short what, void *arg)
{
    struct outbox *o = arg;
    char err[512];
    log_warn("outbox.recreate", "recreating the Kafka producer after a fatal error");
    kafka_free(o->kafka, 0); /* purges: failed delivery reports unhold the rows */
    o->kafka = NULL;
    /* Whatever librdkafka held is unconfirmed: forget it so the sweep sends
     * it again with the new producer. Confirmed rows still get marked. */
    struct idset keep = {0};
    for (size_t i = 0; i < o->nconfirmed; i++)
        (void)idset_add(&keep, o->confirmed[i]);
    free(o->held.slot);
    o->held = keep;
    o->kafka = make_kafka(o, err, sizeof(err));
    o->recreate_pending = 0;
    metrics_add("relay48_outbox_producer_recreated_total", 1);
    if (!o->kafka) {
        log_error("outbox.recreate_failed", "%s", err);
        o->recreate_pending = 1;
        struct timeval tv = {1, 0};
        evtimer_add(o->ev_recreate, &tv);
        return;
    }
    o->sweeping = 0;
    o->isweeping = 0;
    o->sweep_cursor = 0;
    o->sweep_age_ms = 0;
    o->first_sweep_done = 0;
    event_active(o->ev_first, EV_TIMEOUT, 0);
}

/* Loop thread (the error callback is served by kafka_poll). */
static void on_fatal(const char *reason, void *opaque)
{
    struct outbox *o = opaque;
    if (o->recreate_pending)
        return;
    o->recreate_pending = 1;
    event_active(o->ev_recreate, EV_TIMEOUT, 0);
}

void outbox_simulate_fatal(struct outbox *o)
{
    on_fatal("simulated", o);
}

/* ---- public ---------------------------------------------------------------- */

int outbox_prepare(struct db *db)
{
    if (db_prepare(db, "outbox_mark", sql_mark, 1) != 0 ||
        db_prepare(db, "outbox_mark_firings", sql_mark_firings, 1) != 0 ||
        db_prepare(db, "outbox_sweep", sql_sweep, 2) != 0 ||
        db_prepare(db, "outbox_sweep_intake", sql_sweep_intake, 2) != 0)
        return -1;
    return 0;
}

struct outbox *outbox_new(struct event_base *base, struct db *db, const struct outbox_options *opt,
                          char *errstr, size_t errstr_size)
{
    struct outbox *o = calloc(1, sizeof(*o));
    if (!o) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    o->base = base;
    o->db = db;
    o->opt = *opt;
    o->confirmed = calloc(MARK_MAX, sizeof(int64_t));
    o->cap_confirmed = MARK_MAX;
    o->ev_mark = evtimer_new(base, on_mark_timer, o);
    o->ev_sweep = event_new(base, -1, EV_PERSIST, on_sweep_timer, o);
    o->ev_recreate = evtimer_new(base, on_recreate, o);
    o->ev_first = evtimer_new(base, on_first_sweep, o);
    if (!o->confirmed || !o->ev_mark || !o->ev_sweep || !o->ev_recreate || !o->ev_first) {
        snprintf(errstr, errstr_size, "out of memory");
        goto fail;
    }
    o->kafka = make_kafka(o, errstr, errstr_size);
    if (!o->kafka)
        goto fail;
    o->first_sweep_done = 0;
    event_active(o->ev_first, EV_TIMEOUT, 0);
    int ms = o->opt.sweep_interval_ms;
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    event_add(o->ev_sweep, &tv);
    metrics_describe("relay48_outbox_published_total", METRIC_COUNTER,
                     "Events (outbox rows and the events of firings) confirmed by Kafka's "
                     "delivery report.");
    metrics_describe("relay48_firings_failed_total", METRIC_COUNTER,
                     "Firings not confirmed whole (an event not queued or not delivered): left "
                     "to the firings sweep.");
    metrics_describe("relay48_outbox_delivery_failures_total", METRIC_COUNTER,
                     "Delivery reports with an error (the row is sent again).");
    metrics_describe("relay48_outbox_produce_errors_total", METRIC_COUNTER,
                     "Rows librdkafka refused to queue (the sweep sends them again).");
    metrics_describe("relay48_outbox_unconfirmed_total", METRIC_COUNTER,
                     "Delivery reports of success without an offset (the row is sent again).");
    metrics_describe("relay48_outbox_producer_recreated_total", METRIC_COUNTER,
                     "Producers recreated after a fatal idempotence error.");
    return o;
fail:
    outbox_free(o, 0);
    return NULL;
}

void outbox_free(struct outbox *o, int flush_ms)
{
    if (!o)
        return;
    if (o->kafka)
        kafka_free(o->kafka, flush_ms);
    if (o->ev_mark)
        event_free(o->ev_mark);
    if (o->ev_sweep)
        event_free(o->ev_sweep);
    if (o->ev_recreate)
        event_free(o->ev_recreate);
    if (o->ev_first)
        event_free(o->ev_first);
    free(o->confirmed);
    free(o->held.slot);
    free(o->fconfirmed);
    free(o->fheld.slot);
    free(o);
}

int outbox_ready(const struct outbox *o)
{
    return o && o->kafka && !o->recreate_pending && kafka_ready(o->kafka);
}

int outbox_idle(const struct outbox *o)
{
    return !o->kafka || (rd_kafka_outq_len(kafka_handle(o->kafka)) == 0 && o->nconfirmed == 0 &&
                         !o->marking && o->nfconfirmed == 0 && !o->fmarking);
}

long outbox_inflight(const struct outbox *o)
{
    return (long)o->held.count + o->firing_msgs;
}
