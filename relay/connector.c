/* connector.c — relay48-connector: consume, deliver, retry, dead-letter; see connector.h. */
#include "connector.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <fcntl.h>
#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <openssl/rand.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "camt056.h"
#include "config.h"
#include "db.h"
#include "deliver.h"
#include "destinations.h"
#include "dlq.h"
#include "http.h"
#include "kafka.h"
#include "log.h"
#include "metrics.h"
#include "ordering.h"
#include "postal.h"
#include "retry.h"
#include "routing.h"
#include "secretbox.h"
#include "sign.h"
#include "timeutil.h"

#define TOPIC_BANK    "relay48.escalations.bank.v1"
#define TOPIC_POLICE  "relay48.escalations.police.v1"
#define TOPIC_DLQ     "relay48.deliveries.dlq.v1"
#define CHAIN_BUCKETS 8192
#define DLQ_RETRY_MS  1000
#define STATS_MS      5000

/* ---- state ---------------------------------------------------------------- */

enum job_state {
    JOB_QUEUED = 0, /* behind an earlier escalation of its case */
    JOB_READY,      /* head of its chain, an attempt is due */
    JOB_INFLIGHT,   /* an attempt is out */
    JOB_WAITING,    /* waiting for its next attempt */
    JOB_DLQ,        /* its dead letter is being produced */
};

struct part;

struct job {
    struct conn *c;
    struct part *part; /* NULL once abandoned */
    uint64_t seq;      /* position in its partition's window */
    int64_t offset;
    int32_t partition;
    struct job *part_prev, *part_next; /* live jobs of the partition */
    struct ordering_item ord;          /* its place in its case's chain */
    enum job_state state;
    char *key;
    size_t key_len;
    char *value;
    size_t value_len;
    json_t *ev;     /* the escalation, NULL when it is not a JSON object */
    json_t *recall; /* camt.056 request (debtor_bank of a transfer) */
    struct camt056 *camt;
    char ce_id[SIGN_ID_MAX + 1], ce_type[65], ce_time[TIMEUTIL_UTC_SIZE];
    char ref[24];
    char party[DEST_ID_MAX]; /* "bank:<BIC>", "police:<dept>" */
    char dept[9];
    int64_t deadline_ms; /* when retrying stops */
    int attempts, rejects;
    int last_status;
    char last_error[DELIVER_ERROR_SIZE];
    char last_answer[DELIVER_ANSWER_MAX + 1];
    char dest_id[DEST_ID_MAX]; /* of the attempt out */
    int64_t read_at_us;
    struct event *timer;
    struct deliver_xfer *xfer;
    const char *dlq_reason;
    int dlq_out;   /* a dead letter is with the producer: its report is awaited */
    int abandoned; /* handed back: freed once nothing refers to it */
};

struct part {
    char topic[128];
    int32_t partition;
    struct ordering_window *win; /* offsets read: which may be stored */
    int64_t stored;              /* next offset stored, -1: none */
    struct job *jobs;
    struct part *next;
};

struct conn {
    struct config *cfg;
    enum connector_role role;
    const char *topic, *type, *role_name;
    struct event_base *base;
    rd_kafka_t *rk;
    rd_kafka_queue_t *q;
    int wake[2];
    struct event *ev_wake, *ev_tick, *ev_term, *ev_int, *ev_drain, *ev_stats, *ev_consume;
    struct kafka *dlq;
    struct db *db;
    struct destinations *dests;
    struct deliver *deliver;
    struct http_server *http;
    struct part *parts;
    struct ordering_chains *chains; /* per (key, case): only the head is attempted */
    struct retry_policy policy;
    size_t pending;
    size_t dlq_outstanding;
    int paused;
    int draining;
    int assigned;
    int64_t drain_deadline_us;
    uint64_t rng;
    char source[80];     /* ce_source of dead letters */
    int64_t routing_now; /* clock.fixed (tests): the time office hours are read at; 0: real */
    struct config producer_cfg; /* cfg without the consumer-only kafka.* keys (shallow copy) */
};

static void job_attempt(struct job *j);
static void job_finish(struct job *j);
static void job_dlq(struct job *j, const char *reason);

/* ---- small helpers ---------------------------------------------------------- */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint32_t rnd32(struct conn *c)
{
    /* xorshift64*: jitter only, no secret. */
    c->rng ^= c->rng >> 12;
    c->rng ^= c->rng << 25;
    c->rng ^= c->rng >> 27;
    return (uint32_t)((c->rng * UINT64_C(2685821657736338717)) >> 32);
}

static const char *str_at(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

int connector_role_parse(const char *s, enum connector_role *out)
{
    if (s && strcmp(s, "bank") == 0) {
        *out = CONNECTOR_BANK;
        return 0;
    }
    if (s && strcmp(s, "police") == 0) {
        *out = CONNECTOR_POLICE;
        return 0;
    }
    return -1;
}

/* ---- the body of a delivery (pure) ------------------------------------------ */

json_t *connector_body(const json_t *event, const char *type, const char *id, const char *time,
                       int attempt, int64_t now_s, const json_t *recall, const char *recall_xml,
                       const char *party, const char *unit_name, const char *why,
                       const char *public_url)
{
    char sent[TIMEUTIL_UTC_SIZE] = "", paris[TIMEUTIL_ISO_SIZE] = "";
    char left_fr[TIMEUTIL_DURATION_SIZE] = "";
    int64_t deadline = 0;
    json_t *o = json_object();
    if (!o)
        return NULL;
    if (rfc3339_format_utc(now_s, sent, sizeof(sent)) != 0)
        sent[0] = '\0';
    int has_deadline = rfc3339_parse(str_at(event, "deadline_at"), &deadline) == RFC3339_OK;
    int64_t left = has_deadline ? deadline - now_s : 0;
    if (has_deadline && (paris_format_iso(deadline, paris, sizeof(paris)) != 0 ||
                         duration_format(left, "fr", left_fr, sizeof(left_fr)) != 0))
        paris[0] = left_fr[0] = '\0';
    /* json_object_set_new takes the value even when it fails. */
    int bad = json_object_set_new(o, "type", json_string(type)) ||
              json_object_set_new(o, "id", json_string(id)) ||
              json_object_set_new(o, "timestamp", json_string(time)) ||
              json_object_set_new(o, "attempt", json_integer(attempt)) ||
              json_object_set_new(o, "sent_at", json_string(sent)) ||
              json_object_set_new(o, "destination", json_string(party));
    if (!bad && has_deadline)
        bad = json_object_set_new(o, "time_left_s", json_integer(left > 0 ? left : 0)) ||
              json_object_set_new(o, "time_left", json_string(left_fr)) ||
              json_object_set_new(o, "deadline_paris", json_string(paris));
    const char *ack = str_at(event, "ack_url");
    if (!bad && *ack) {
        char url[512];
        snprintf(url, sizeof(url), "%s%s", public_url ? public_url : "", ack);
        bad = json_object_set_new(o, "ack_url", json_string(url));
    }
    if (!bad && unit_name)
        bad = json_object_set_new(
            o, "unit", json_pack("{s:s, s:s}", "name", unit_name, "routing", why ? why : ""));
    if (!bad)
        bad = json_object_set_new(o, "data", json_incref((json_t *)event));
    if (!bad && recall)
        bad = json_object_set_new(o, "recall_request", json_incref((json_t *)recall));
    if (!bad && recall_xml)
        bad = json_object_set_new(o, "recall_request_xml", json_string(recall_xml));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* ---- partitions: which offsets may be stored -------------------------------------- */

static struct part *part_find(struct conn *c, const char *topic, int32_t partition)
{
    for (struct part *p = c->parts; p; p = p->next) {
        if (p->partition == partition && strcmp(p->topic, topic) == 0)
            return p;
    }
    return NULL;
}

static struct part *part_get(struct conn *c, const char *topic, int32_t partition)
{
    struct part *p = part_find(c, topic, partition);
    if (p)
        return p;
    p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->win = ordering_window_new();
    if (!p->win) {
        free(p);
        return NULL;
    }
    snprintf(p->topic, sizeof(p->topic), "%s", topic);
    p->partition = partition;
    p->stored = -1;
    p->next = c->parts;
    c->parts = p;
    return p;
}

/* seq is finished: store the offset after the longest finished prefix. */
static void part_done(struct conn *c, struct part *p, uint64_t seq)
{
    int64_t next = ordering_window_done(p->win, seq);
    if (next < 0)
        return;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    if (!l)
        return;
    rd_kafka_topic_partition_list_add(l, p->topic, p->partition)->offset = next;
    rd_kafka_resp_err_t err = rd_kafka_offsets_store(c->rk, l);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR && l->elems[0].err == RD_KAFKA_RESP_ERR_NO_ERROR)
        p->stored = next;
    else
        log_warn("connector.store_failed", "partition %d offset %" PRId64 ": %s", p->partition,
                 next, rd_kafka_err2str(err ? err : l->elems[0].err));
    rd_kafka_topic_partition_list_destroy(l);
}

static void part_free(struct part *p)
{
    ordering_window_free(p->win);
    free(p);
}

static void part_link(struct part *p, struct job *j)
{
    j->part = p;
    j->part_prev = NULL;
    j->part_next = p->jobs;
    if (p->jobs)
        p->jobs->part_prev = j;
    p->jobs = j;
}

static void part_unlink(struct job *j)
{
    struct part *p = j->part;
    if (!p)
        return;
    if (j->part_prev)
        j->part_prev->part_next = j->part_next;
    else
        p->jobs = j->part_next;
    if (j->part_next)
        j->part_next->part_prev = j->part_prev;
    j->part_prev = j->part_next = NULL;
    j->part = NULL;
}

#define JOB_OF(item) ((struct job *)(void *)((char *)(item)-offsetof(struct job, ord)))

/* ---- jobs ---------------------------------------------------------------------------- */

static void job_free(struct job *j)
{
    if (j->timer)
        event_free(j->timer);
    json_decref(j->ev);
    json_decref(j->recall);
    free(j->camt);
    free(j->key);
    free(j->value);
    free(j);
}

static void pending_changed(struct conn *c);

/* Done with j (delivered, parked, skipped): its offset may be stored, the
 * next escalation of its case may go. */
static void job_finish(struct job *j)
{
    struct conn *c = j->c;
    struct ordering_item *n = ordering_chains_remove(c->chains, &j->ord);
    struct job *next = n ? JOB_OF(n) : NULL;
    struct part *p = j->part;
    if (p) {
        part_unlink(j);
        part_done(c, p, j->seq);
    }
    c->pending--;
    job_free(j);
    if (next) {
        next->state = JOB_READY;
        job_attempt(next);
    }
    pending_changed(c);
}

/* Let go of j without storing its offset (revocation, shutdown): the group
 * delivers it again. A dead letter in flight keeps j until its report. */
static void job_abandon(struct job *j)
{
    struct conn *c = j->c;
    if (j->xfer) {
        deliver_cancel(c->deliver, j->xfer);
        j->xfer = NULL;
    }
    if (j->timer)
        event_del(j->timer);
    (void)ordering_chains_remove(c->chains, &j->ord);
    part_unlink(j);
    c->pending--;
    j->abandoned = 1;
    if (!j->dlq_out)
        job_free(j);
}

static void on_retry_timer(evutil_socket_t fd, short what, void *arg)
{
    struct job *j = arg;
    j->state = JOB_READY;
    job_attempt(j);
}

static void job_retry_at(struct job *j, int64_t at_ms)
{
    if (!j->timer)
        j->timer = evtimer_new(j->c->base, on_retry_timer, j);
    if (!j->timer) {
        log_error("connector.oom", "no timer for a retry: handed back at the next restart");
        return;
    }
    int64_t delay = at_ms - now_ms();
    if (delay < 0)
        delay = 0;
    struct timeval tv = {(time_t)(delay / 1000), (suseconds_t)((delay % 1000) * 1000)};
    j->state = JOB_WAITING;
    evtimer_add(j->timer, &tv);
}

/* ---- dead letters ---------------------------------------------------------------------- */

static int dlq_produce(struct job *j)
{
    struct conn *c = j->c;
    char at[TIMEUTIL_UTC_SIZE], id[37];
    int64_t now_s = now_ms() / 1000;
    struct dlq_source src = {.topic = c->topic,
                             .partition = j->partition,
                             .offset = j->offset,
                             .type = j->ce_type,
                             .event_id = j->ce_id,
                             .destination = j->party,
                             .reason = j->dlq_reason,
                             .attempts = j->attempts,
                             .last_status = j->last_status,
                             .last_error = j->last_error,
                             .last_answer = j->last_answer,
                             .original = j->ev,
                             .value = j->value,
                             .value_len = j->value_len};
    char *text = dlq_build(&src, now_s);
    if (!text || rfc3339_format_utc(now_s, at, sizeof(at)) != 0 ||
        dlq_event_id(c->topic, j->partition, j->offset, id) != 0) {
        free(text);
        return -1;
    }
    rd_kafka_resp_err_t err = rd_kafka_producev(
        kafka_handle(c->dlq), RD_KAFKA_V_TOPIC(TOPIC_DLQ), RD_KAFKA_V_KEY(j->key, j->key_len),
        RD_KAFKA_V_VALUE(text, strlen(text)), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_FREE),
        RD_KAFKA_V_HEADER("ce_specversion", "1.0", -1), RD_KAFKA_V_HEADER("ce_id", id, -1),
        RD_KAFKA_V_HEADER("ce_source", c->source, -1),
        RD_KAFKA_V_HEADER("ce_type", "delivery.failed", -1), RD_KAFKA_V_HEADER("ce_time", at, -1),
        RD_KAFKA_V_HEADER("content-type", "application/json", -1), RD_KAFKA_V_OPAQUE(j),
        RD_KAFKA_V_END);
    if (err) {
        free(text);
        log_warn("connector.dlq_produce_failed", "%s: retried in %d ms", rd_kafka_err2str(err),
                 DLQ_RETRY_MS);
        return -1;
    }
    c->dlq_outstanding++;
    j->dlq_out = 1;
    return 0;
}

static void on_dlq_retry(evutil_socket_t fd, short what, void *arg)
{
    struct job *j = arg;
    if (dlq_produce(j) != 0) {
        struct timeval tv = {DLQ_RETRY_MS / 1000, (DLQ_RETRY_MS % 1000) * 1000};
        evtimer_add(j->timer, &tv);
    }
}

static void dlq_retry_later(struct job *j)
{
    if (j->timer)
        event_free(j->timer);
    j->timer = evtimer_new(j->c->base, on_dlq_retry, j);
    if (j->timer) {
        struct timeval tv = {DLQ_RETRY_MS / 1000, (DLQ_RETRY_MS % 1000) * 1000};
        evtimer_add(j->timer, &tv);
    }
}

/* Park j in the dead-letter topic; it is finished once the broker has it. */
static void job_dlq(struct job *j, const char *reason)
{
    struct conn *c = j->c;
    j->state = JOB_DLQ;
    j->dlq_reason = reason;
    char series[160];
    snprintf(series, sizeof(series), "relay48_connector_dlq_total{reason=\"%s\"}", reason);
    metrics_add(series, 1);
    log_write(LOG_WARN, "deliver.dead_letter", NULL, *j->ref ? j->ref : NULL,
              "destination=%s reason=%s attempts=%d last_status=%d partition=%d offset=%" PRId64,
              j->party, reason, j->attempts, j->last_status, j->partition, j->offset);
    if (dlq_produce(j) != 0)
        dlq_retry_later(j);
    (void)c;
}

/* Producer delivery report, loop thread (served by the DLQ producer's poll). */
static void on_dlq_report(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
    struct conn *c = opaque;
    struct job *j = msg->_private;
    if (!j)
        return;
    c->dlq_outstanding--;
    j->dlq_out = 0;
    if (j->abandoned) {
        job_free(j); /* handed back meanwhile: the group delivers it again */
        return;
    }
    if (msg->err) {
        log_warn("connector.dlq_failed", "dead letter not confirmed (%s): produced again",
                 rd_kafka_err2str(msg->err));
        dlq_retry_later(j);
        return;
    }
    /* pending was counted for j until now: job_finish takes it back. */
    job_finish(j);
}

/* ---- attempts ------------------------------------------------------------------------------ */

static int endpoint_is_https(const char *url)
{
    return url && strncmp(url, "https://", 8) == 0;
}

/* The destination of j's next attempt, or NULL (then *why_none says why). */
static const struct destination *pick(struct job *j, const char **why, const char **why_none,
                                      int count)
{
    struct conn *c = j->c;
    *why = NULL;
    *why_none = "no_destination";
    if (c->role == CONNECTOR_BANK) {
        const struct destination *d = destinations_get(c->dests, j->party);
        if (d && d->gone)
            *why_none = "endpoint_gone";
        return d && !d->gone ? d : NULL;
    }
    size_t n;
    const struct destination *all = destinations_all(c->dests, &n);
    if (n == 0)
        return NULL;
    struct routing_unit *units = calloc(n, sizeof(*units));
    if (!units)
        return NULL;
    int64_t ms = now_ms();
    for (size_t i = 0; i < n; i++) {
        units[i].departement = all[i].departement;
        units[i].hours = &all[i].hours;
        units[i].fallback = all[i].fallback;
        units[i].usable = !all[i].gone && endpoint_is_https(all[i].endpoint);
        units[i].failing = destinations_failing(c->dests, all[i].id, ms);
    }
    enum routing_why w;
    int k = routing_pick(units, n, j->dept, c->routing_now ? c->routing_now : ms / 1000, &w);
    free(units);
    if (k < 0)
        return NULL;
    *why = routing_why_name(w);
    if (count && w != ROUTING_OFFICE_HOURS) {
        char series[128];
        snprintf(series, sizeof(series), "relay48_connector_police_fallback_total{why=\"%s\"}",
                 *why);
        metrics_add(series, 1);
    }
    return &all[k];
}

static void on_attempt_done(const struct deliver_result *r, void *arg);

/* Sign and send j to its destination now. */
static void job_attempt(struct job *j)
{
    struct conn *c = j->c;
    if (c->draining)
        return; /* handed back: its offset is not stored */
    const char *why = NULL, *why_none = NULL;
    const struct destination *d = pick(j, &why, &why_none, 1);
    if (!d) {
        job_dlq(j, why_none);
        return;
    }
    if (!endpoint_is_https(d->endpoint)) {
        snprintf(j->last_error, sizeof(j->last_error), "the endpoint is not https: not sent");
        job_dlq(j, "insecure_endpoint");
        return;
    }
    int64_t ms = now_ms(), now_s = ms / 1000;
    if (ms >= j->deadline_ms) {
        job_dlq(j, "deadline_reached");
        return;
    }
    struct sign_secret secrets[DEST_SECRETS_MAX];
    int nsec = destinations_secrets(d, now_s, secrets, DEST_SECRETS_MAX);
    j->attempts++;
    snprintf(j->dest_id, sizeof(j->dest_id), "%s", d->id);
    char *xml = NULL;
    if (d->format == DEST_FORMAT_CAMT056 && j->camt)
        xml = camt056_to_xml(j->camt);
    json_t *body = connector_body(
        j->ev, j->ce_type, j->ce_id, j->ce_time, j->attempts, now_s, j->recall, xml, j->party,
        c->role == CONNECTOR_POLICE ? d->name : NULL, why, c->cfg->connector_public_url);
    free(xml);
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (!text || nsec == 0) {
        /* Nothing to sign with (a secret not valid yet, a registry being
         * fixed) or no memory: a failed attempt, retried as any other. */
        free(text);
        struct deliver_result r;
        memset(&r, 0, sizeof(r));
        snprintf(r.error, sizeof(r.error), "%s",
                 text ? "no valid signing secret for this destination" : "out of memory");
        j->state = JOB_INFLIGHT;
        on_attempt_done(&r, j);
        return;
    }
    size_t len = strlen(text);
    char ts[24], sig[(SIGN_SIGNATURE_SIZE + 1) * DEST_SECRETS_MAX] = "";
    snprintf(ts, sizeof(ts), "%" PRId64, now_s);
    for (int i = 0; i < nsec; i++) {
        char one[SIGN_SIGNATURE_SIZE];
        if (sign_compute(secrets[i].key, secrets[i].len, j->ce_id, ts, text, len, one) != 0)
            continue;
        if (*sig)
            strcat(sig, " ");
        strcat(sig, one);
    }
    char h_id[32 + SIGN_ID_MAX], h_ts[48], h_sig[32 + sizeof(sig)];
    snprintf(h_id, sizeof(h_id), "webhook-id: %s", j->ce_id);
    snprintf(h_ts, sizeof(h_ts), "webhook-timestamp: %s", ts);
    snprintf(h_sig, sizeof(h_sig), "webhook-signature: %s", sig);
    struct curl_slist *h = NULL, *t;
    const char *lines[] = {"Content-Type: application/json", h_id, h_ts, h_sig, "Expect:"};
    for (size_t i = 0; i < RELAY_ARRAY_LEN(lines); i++) {
        t = curl_slist_append(h, lines[i]);
        if (!t) {
            curl_slist_free_all(h);
            free(text);
            job_retry_at(j, now_ms() + 1000);
            return;
        }
        h = t;
    }
    j->state = JOB_INFLIGHT;
    j->xfer = deliver_post(c->deliver, d->id, d->endpoint, h, text, len, on_attempt_done, j);
    if (!j->xfer)
        job_retry_at(j, now_ms() + 1000);
}

/* The outcome of an attempt (loop thread, from deliver's completion). */
static void on_attempt_done(const struct deliver_result *r, void *arg)
{
    struct job *j = arg;
    struct conn *c = j->c;
    j->xfer = NULL;
    int64_t ms = now_ms();
    enum retry_class cls = retry_classify(r->status, r->insecure);
    j->last_status = r->status;
    snprintf(j->last_error, sizeof(j->last_error), "%s", r->error);
    snprintf(j->last_answer, sizeof(j->last_answer), "%s", r->answer);
    if (cls == RETRY_CLASS_REJECTED)
        j->rejects++;
    destinations_report(c->dests, j->dest_id, cls == RETRY_CLASS_SUCCESS, ms);

    int64_t ra = -1;
    if (cls == RETRY_CLASS_THROTTLED && *r->retry_after &&
        retry_after_parse(r->retry_after, ms / 1000, &ra) != 0)
        ra = -1;
    struct retry_decision dec =
        retry_decide(&c->policy, cls, j->attempts, j->rejects, ra, ms, j->deadline_ms, rnd32(c));
    /* Police: a unit that now counts as failing hands over at once to another
     * unit that does not (its fallback); when every candidate fails, the
     * backoff holds. */
    if (dec.action == RETRY_ACTION_RETRY && c->role == CONNECTOR_POLICE &&
        destinations_failing(c->dests, j->dest_id, ms)) {
        const char *why, *why_none;
        const struct destination *d = pick(j, &why, &why_none, 0);
        if (d && strcmp(d->id, j->dest_id) != 0 && !destinations_failing(c->dests, d->id, ms))
            dec.next_at_ms = ms;
    }

    char series[192];
    snprintf(series, sizeof(series),
             "relay48_connector_attempts_total{destination=\"%s\",outcome=\"%s\"}", j->dest_id,
             retry_class_name(cls));
    metrics_add(series, 1);
    if (r->elapsed_us > 0)
        metrics_observe_us("relay48_connector_attempt_seconds", r->elapsed_us);
    int64_t next_in = dec.action == RETRY_ACTION_RETRY ? dec.next_at_ms - ms : -1;
    log_write(cls == RETRY_CLASS_SUCCESS ? LOG_INFO : LOG_WARN, "deliver.attempt", NULL,
              *j->ref ? j->ref : NULL,
              "destination=%s party=%s attempt=%d status=%d outcome=%s elapsed_ms=%" PRId64
              " next_in_ms=%" PRId64 "%s%s",
              j->dest_id, j->party, j->attempts, r->status, retry_class_name(cls),
              r->elapsed_us / 1000, next_in, *r->error ? " error=" : "", r->error);

    switch (dec.action) {
    case RETRY_ACTION_DONE:
        snprintf(series, sizeof(series), "relay48_connector_delivered_total{destination=\"%s\"}",
                 j->dest_id);
        metrics_add(series, 1);
        metrics_observe_us("relay48_connector_delivery_seconds", http_now_us() - j->read_at_us);
        job_finish(j);
        return;
    case RETRY_ACTION_RETRY:
        snprintf(series, sizeof(series), "relay48_connector_retries_total{destination=\"%s\"}",
                 j->dest_id);
        metrics_add(series, 1);
        job_retry_at(j, dec.next_at_ms);
        return;
    case RETRY_ACTION_DISABLE:
        metrics_add("relay48_connector_endpoints_disabled_total", 1);
        log_error("deliver.endpoint_gone",
                  "%s answered 410 Gone: no more deliveries to this endpoint until it changes or "
                  "is enabled again (docs/connectors.md)",
                  j->dest_id);
        destinations_mark_gone(c->dests, j->dest_id);
        if (c->role == CONNECTOR_POLICE) {
            job_retry_at(j, ms); /* another unit of the département, or its fallback */
            return;
        }
        job_dlq(j, dec.reason);
        return;
    case RETRY_ACTION_GIVE_UP:
        job_dlq(j, dec.reason);
        return;
    }
}

/* ---- reading escalations ----------------------------------------------------------------- */

static void header_copy(const rd_kafka_message_t *m, const char *name, char *out, size_t size)
{
    rd_kafka_headers_t *hdrs = NULL;
    const void *v = NULL;
    size_t n = 0;
    out[0] = '\0';
    if (rd_kafka_message_headers(m, &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR ||
        rd_kafka_header_get_last(hdrs, name, &v, &n) != RD_KAFKA_RESP_ERR_NO_ERROR || !v)
        return;
    if (n >= size)
        n = size - 1;
    memcpy(out, v, n);
    out[n] = '\0';
    out[strcspn(out, "\r\n")] = '\0';
}

/* The BIC a bank escalation is keyed by, as the registry names banks. */
static int key_bic(const char *key, size_t len, char out[12])
{
    if (len != 8 && len != 11)
        return -1;
    for (size_t i = 0; i < len; i++) {
        char ch = key[i];
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')))
            return -1;
    }
    memcpy(out, key, len);
    out[len] = '\0';
    if (len == 11 && strcmp(out + 8, "XXX") == 0)
        out[8] = '\0';
    return 0;
}

static void job_accept(struct conn *c, const rd_kafka_message_t *m)
{
    const char *topic = rd_kafka_topic_name(m->rkt);
    struct part *p = part_get(c, topic, m->partition);
    struct job *j = calloc(1, sizeof(*j));
    if (j) {
        j->key = malloc(m->key_len + 1);
        j->value = malloc(m->len + 1);
    }
    if (!p || !j || !j->key || !j->value || ordering_window_push(p->win, m->offset, &j->seq) != 0) {
        /* Not stored: the group delivers it again after a restart. */
        log_error("connector.oom", "partition %d offset %" PRId64 " left for a restart",
                  m->partition, m->offset);
        if (j) {
            free(j->key);
            free(j->value);
            free(j);
        }
        return;
    }
    j->c = c;
    j->offset = m->offset;
    j->partition = m->partition;
    j->read_at_us = http_now_us();
    memcpy(j->key, m->key ? m->key : "", m->key_len);
    j->key[m->key_len] = '\0';
    j->key_len = m->key_len;
    memcpy(j->value, m->payload ? m->payload : "", m->len);
    j->value[m->len] = '\0';
    j->value_len = m->len;
    part_link(p, j);
    c->pending++;
    header_copy(m, "ce_id", j->ce_id, sizeof(j->ce_id));
    header_copy(m, "ce_type", j->ce_type, sizeof(j->ce_type));
    header_copy(m, "ce_time", j->ce_time, sizeof(j->ce_time));
    if (!*j->ce_type)
        snprintf(j->ce_type, sizeof(j->ce_type), "%s", c->type);

    /* A type this role does not deliver: skipped (readers skip unknown types). */
    if (*j->ce_type && strcmp(j->ce_type, c->type) != 0) {
        metrics_add("relay48_connector_skipped_total", 1);
        job_finish(j);
        return;
    }
    json_error_t e;
    json_t *ev = json_loadb(j->value, j->value_len, JSON_REJECT_DUPLICATES, &e);
    if (ev && !json_is_object(ev)) {
        json_decref(ev);
        ev = NULL;
    }
    j->ev = ev;
    char bic[12];
    if (c->role == CONNECTOR_BANK) {
        snprintf(j->party, sizeof(j->party), "bank:%s",
                 key_bic(j->key, j->key_len, bic) == 0 ? bic : "UNKNOWN");
    } else {
        const json_t *victim = ev ? json_object_get(ev, "victim") : NULL;
        routing_departement(ev ? str_at(ev, "departement") : j->key,
                            victim ? str_at(victim, "postal_code") : NULL, j->dept);
        snprintf(j->party, sizeof(j->party), "police:%s", j->dept);
    }
    int64_t deadline = 0;
    const char *ref = ev ? str_at(ev, "ref") : "";
    if (!ev || !*ref || strlen(ref) >= sizeof(j->ref) || !sign_id_ok(j->ce_id) ||
        rfc3339_parse(str_at(ev, "deadline_at"), &deadline) != RFC3339_OK) {
        snprintf(j->last_error, sizeof(j->last_error),
                 "not an escalation: a JSON object with ref and deadline_at and a ce_id header "
                 "are required");
        job_dlq(j, "invalid_event");
        return;
    }
    snprintf(j->ref, sizeof(j->ref), "%s", ref);
    if (!*j->ce_time)
        snprintf(j->ce_time, sizeof(j->ce_time), "%s", str_at(ev, "received_at"));
    int64_t ms = now_ms();
    j->deadline_ms =
        deadline * 1000 > ms ? deadline * 1000 : ms + c->cfg->connector_late_grace_s * 1000;

    /* The victim's bank gets a pre-filled recall request. */
    char err[128];
    struct camt056 camt;
    if (c->role == CONNECTOR_BANK && strcmp(str_at(ev, "role"), "debtor_bank") == 0 &&
        camt056_from_escalation(ev, j->ce_time, &camt, err, sizeof(err)) == 0) {
        j->recall = camt056_to_json(&camt);
        j->camt = malloc(sizeof(camt));
        if (j->camt)
            memcpy(j->camt, &camt, sizeof(camt));
    }
    if (strcmp(j->party, "bank:UNKNOWN") == 0) {
        job_dlq(j, "no_destination");
        return;
    }
    char chain_key[ORDERING_KEY_MAX];
    snprintf(chain_key, sizeof(chain_key), "%.*s|%s", (int)(j->key_len > 40 ? 40 : j->key_len),
             j->key, j->ref);
    int head = ordering_chains_add(c->chains, chain_key, &j->ord);
    if (head < 0) {
        job_abandon(j);
        return;
    }
    if (head) {
        j->state = JOB_READY;
        job_attempt(j);
    } else {
        j->state = JOB_QUEUED;
    }
}

/* ---- the consumer ------------------------------------------------------------------------ */

static void set_paused(struct conn *c, int pause)
{
    if (c->paused == pause)
        return;
    rd_kafka_topic_partition_list_t *l = NULL;
    if (rd_kafka_assignment(c->rk, &l) == RD_KAFKA_RESP_ERR_NO_ERROR && l) {
        if (pause)
            rd_kafka_pause_partitions(c->rk, l);
        else
            rd_kafka_resume_partitions(c->rk, l);
        rd_kafka_topic_partition_list_destroy(l);
    }
    c->paused = pause;
    log_info(pause ? "connector.paused" : "connector.resumed", "%zu escalations pending",
             c->pending);
}

static void pending_changed(struct conn *c)
{
    size_t max = (size_t)c->cfg->connector_max_pending;
    if (c->paused && c->pending <= max - max / 10) {
        set_paused(c, 0);
        event_active(c->ev_consume, EV_TIMEOUT, 0);
    }
}

/* Read what the consumer has, a batch at a time so that deliveries progress
 * between batches. Whatever poll returns is accepted (its position moved):
 * the bound on pending escalations pauses the fetching, not the polling,
 * which also serves the group's rebalances. */
static void consume(struct conn *c)
{
    if (c->draining || !destinations_loaded(c->dests))
        return;
    for (int n = 0;; n++) {
        if (n == 512) {
            event_active(c->ev_consume, EV_TIMEOUT, 0);
            break;
        }
        rd_kafka_message_t *m = rd_kafka_consumer_poll(c->rk, 0);
        if (!m)
            break;
        if (m->err) {
            if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                log_warn("connector.consume_error", "%s", rd_kafka_message_errstr(m));
        } else {
            job_accept(c, m);
        }
        rd_kafka_message_destroy(m);
        if (c->draining)
            break;
    }
    if (!c->paused && c->pending >= (size_t)c->cfg->connector_max_pending)
        set_paused(c, 1);
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
    struct conn *c = arg;
    char buf[64];
    while (c->wake[0] >= 0 && read(c->wake[0], buf, sizeof(buf)) > 0)
        ;
    consume(c);
}

/* Partitions a group has no offset for start at connector.start_ms. Runs in
 * the rebalance callback and blocks it (two broker round trips): a
 * rebalance is rare and nothing is delivered while it lasts anyway. */
static void set_start_offsets(struct conn *c, rd_kafka_topic_partition_list_t *parts)
{
    if (rd_kafka_committed(c->rk, parts, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR)
        return;
    rd_kafka_topic_partition_list_t *fresh = rd_kafka_topic_partition_list_new(parts->cnt);
    for (int i = 0; fresh && i < parts->cnt; i++) {
        if (parts->elems[i].offset < 0)
            rd_kafka_topic_partition_list_add(fresh, parts->elems[i].topic,
                                              parts->elems[i].partition)
                ->offset = c->cfg->connector_start_ms;
    }
    if (fresh && fresh->cnt > 0 &&
        rd_kafka_offsets_for_times(c->rk, fresh, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        for (int i = 0; i < fresh->cnt; i++) {
            rd_kafka_topic_partition_t *p = rd_kafka_topic_partition_list_find(
                parts, fresh->elems[i].topic, fresh->elems[i].partition);
            if (!p || fresh->elems[i].err)
                continue;
            p->offset = fresh->elems[i].offset;
            /* -1: no message at or after that time yet. The end as of now,
             * as a number: OFFSET_END would be read later, by the fetcher,
             * and skip what is produced in between. */
            int64_t lo = 0, hi = 0;
            if (p->offset < 0 &&
                rd_kafka_query_watermark_offsets(c->rk, p->topic, p->partition, &lo, &hi, 10000) ==
                    RD_KAFKA_RESP_ERR_NO_ERROR)
                p->offset = hi;
            else if (p->offset < 0)
                p->offset = RD_KAFKA_OFFSET_END;
        }
    }
    rd_kafka_topic_partition_list_destroy(fresh);
}

static void part_revoke(struct conn *c, const char *topic, int32_t partition)
{
    struct part **pp = &c->parts;
    while (*pp && !((*pp)->partition == partition && strcmp((*pp)->topic, topic) == 0))
        pp = &(*pp)->next;
    struct part *p = *pp;
    if (!p)
        return;
    while (p->jobs)
        job_abandon(p->jobs);
    *pp = p->next;
    part_free(p);
}

/* Loop thread, from rd_kafka_consumer_poll or rd_kafka_consumer_close. */
static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    struct conn *c = opaque;
    int coop = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    char list[512] = "";
    for (int i = 0; i < parts->cnt; i++) {
        size_t n = strlen(list);
        snprintf(list + n, sizeof(list) - n, "%s%d", n ? "," : "", parts->elems[i].partition);
    }
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        if (c->cfg->connector_start_ms > 0)
            set_start_offsets(c, parts);
        for (int i = 0; i < parts->cnt; i++)
            (void)part_get(c, parts->elems[i].topic, parts->elems[i].partition);
        rd_kafka_error_t *e = NULL;
        if (coop)
            e = rd_kafka_incremental_assign(rk, parts);
        else
            rd_kafka_assign(rk, parts);
        if (e) {
            log_error("connector.assign_failed", "%s", rd_kafka_error_string(e));
            rd_kafka_error_destroy(e);
        }
        if (c->paused)
            rd_kafka_pause_partitions(rk, parts);
        c->assigned += parts->cnt;
        log_info("connector.assigned", "partitions %s of %s", list, c->topic);
        return;
    }
    /* Revoked (or lost): what is not finished is handed back. */
    for (int i = 0; i < parts->cnt; i++)
        part_revoke(c, parts->elems[i].topic, parts->elems[i].partition);
    rd_kafka_resp_err_t cerr = rd_kafka_commit(rk, NULL, 0);
    if (cerr && cerr != RD_KAFKA_RESP_ERR__NO_OFFSET)
        log_warn("connector.commit_failed", "%s", rd_kafka_err2str(cerr));
    if (coop) {
        rd_kafka_error_t *e = rd_kafka_incremental_unassign(rk, parts);
        if (e)
            rd_kafka_error_destroy(e);
    } else {
        rd_kafka_assign(rk, NULL);
    }
    c->assigned = coop ? c->assigned - parts->cnt : 0;
    log_info("connector.revoked", "partitions %s of %s", list, c->topic);
}

static void on_consumer_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    log_warn("kafka.error", "%s: %s", rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
}

static void on_consumer_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    if (level <= 4)
        log_warn("kafka.log", "%s: %s", fac, buf);
}

/* Producer-only properties are not given to the consumer (it would warn). */
static int producer_only(const char *key)
{
    static const char *const keys[] = {"enable.idempotence",
                                       "acks",
                                       "request.required.acks",
                                       "linger.ms",
                                       "queue.buffering.max.ms",
                                       "batch.num.messages",
                                       "batch.size",
                                       "compression.codec",
                                       "compression.type",
                                       "message.timeout.ms",
                                       "delivery.timeout.ms",
                                       "retries",
                                       "message.send.max.retries",
                                       "queue.buffering.max.messages",
                                       "queue.buffering.max.kbytes",
                                       "enable.gapless.guarantee"};
    for (size_t i = 0; i < RELAY_ARRAY_LEN(keys); i++) {
        if (strcmp(keys[i], key) == 0)
            return 1;
    }
    return 0;
}

/* Consumer-only properties are not given to the dead-letter producer. */
static int consumer_only(const char *key)
{
    static const char *const keys[] = {"group.id",
                                       "group.instance.id",
                                       "session.timeout.ms",
                                       "heartbeat.interval.ms",
                                       "max.poll.interval.ms",
                                       "auto.commit.interval.ms",
                                       "enable.auto.commit",
                                       "enable.auto.offset.store",
                                       "auto.offset.reset",
                                       "partition.assignment.strategy",
                                       "queued.min.messages",
                                       "queued.max.messages.kbytes",
                                       "fetch.wait.max.ms",
                                       "fetch.message.max.bytes",
                                       "fetch.max.bytes",
                                       "fetch.min.bytes",
                                       "enable.partition.eof",
                                       "isolation.level",
                                       "check.crcs",
                                       "group.protocol.type",
                                       "coordinator.query.interval.ms"};
    for (size_t i = 0; i < RELAY_ARRAY_LEN(keys); i++) {
        if (strcmp(keys[i], key) == 0)
            return 1;
    }
    return 0;
}

static rd_kafka_t *consumer_new(struct conn *c, char *errstr, size_t errstr_size)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char group[300], client[200];
    snprintf(group, sizeof(group), "%s", *c->cfg->connector_group ? c->cfg->connector_group : "");
    if (!*group)
        snprintf(group, sizeof(group), "relay48-connector-%s", c->role_name);
    snprintf(client, sizeof(client), "%s-connector-%s", c->cfg->instance, c->role_name);
    /* Defaults the configuration may change, then its kafka.* keys, then what
     * the design demands. */
    static const char *const defaults[][2] = {{"auto.offset.reset", "earliest"},
                                              {"queued.max.messages.kbytes", "16384"},
                                              {"enable.partition.eof", "false"}};
    for (size_t i = 0; i < RELAY_ARRAY_LEN(defaults); i++) {
        if (rd_kafka_conf_set(conf, defaults[i][0], defaults[i][1], errstr, errstr_size) !=
            RD_KAFKA_CONF_OK)
            goto fail;
    }
    for (size_t i = 0; i < c->cfg->kafka_count; i++) {
        if (producer_only(c->cfg->kafka_key[i]))
            continue;
        if (rd_kafka_conf_set(conf, c->cfg->kafka_key[i], c->cfg->kafka_value[i], errstr,
                              errstr_size) != RD_KAFKA_CONF_OK)
            goto fail;
    }
    const char *forced[][2] = {{"group.id", group},
                               {"client.id", client},
                               {"enable.auto.offset.store", "false"},
                               {"enable.auto.commit", "true"}};
    for (size_t i = 0; i < RELAY_ARRAY_LEN(forced); i++) {
        if (rd_kafka_conf_set(conf, forced[i][0], forced[i][1], errstr, errstr_size) !=
            RD_KAFKA_CONF_OK)
            goto fail;
    }
    rd_kafka_conf_set_opaque(conf, c);
    rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
    rd_kafka_conf_set_error_cb(conf, on_consumer_error);
    rd_kafka_conf_set_log_cb(conf, on_consumer_log);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, errstr_size);
    if (!rk)
        goto fail;
    return rk;
fail:
    rd_kafka_conf_destroy(conf);
    return NULL;
}

/* ---- operator endpoints -------------------------------------------------------------------- */

static void on_healthz(struct evhttp_request *req, const struct http_match *m, void *arg)
{
    http_reply_json(req, 200, json_pack("{s:s}", "status", "ok"));
}

static void on_readyz(struct evhttp_request *req, const struct http_match *m, void *arg)
{
    struct conn *c = arg;
    int registry = destinations_loaded(c->dests), kafka = kafka_ready(c->dlq);
    int ok = registry && kafka && c->assigned > 0 && !c->draining;
    http_reply_json(req, ok ? 200 : 503,
                    json_pack("{s:s, s:{s:s, s:s, s:i}}", "status", ok ? "ready" : "not_ready",
                              "checks", "registry", registry ? "ok" : "loading", "kafka",
                              kafka ? "ok" : "down", "partitions", c->assigned));
}

static void update_gauges(struct conn *c)
{
    int64_t lag = 0;
    for (struct part *p = c->parts; p; p = p->next) {
        int64_t lo = 0, hi = 0;
        if (rd_kafka_get_watermark_offsets(c->rk, p->topic, p->partition, &lo, &hi) !=
                RD_KAFKA_RESP_ERR_NO_ERROR ||
            hi <= 0)
            continue;
        int64_t first = ordering_window_first(p->win);
        int64_t from = first >= 0 ? first : p->stored >= 0 ? p->stored : hi;
        if (hi > from)
            lag += hi - from;
    }
    metrics_set("relay48_connector_consumer_lag", lag);
    metrics_set("relay48_connector_pending", (int64_t)c->pending);
    metrics_set("relay48_connector_inflight", (int64_t)deliver_inflight(c->deliver));
    metrics_set("relay48_connector_queued", (int64_t)deliver_queued(c->deliver));
    metrics_set("relay48_connector_partitions", c->assigned);
    size_t n;
    (void)destinations_all(c->dests, &n);
    metrics_set("relay48_connector_destinations", (int64_t)n);
}

static void on_metrics(struct evhttp_request *req, const struct http_match *m, void *arg)
{
    struct conn *c = arg;
    update_gauges(c);
    struct evbuffer *out = evbuffer_new();
    if (!out) {
        http_reply_text(req, 503, "text/plain", "out of memory\n");
        return;
    }
    metrics_render(out);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                      "text/plain; version=0.0.4; charset=utf-8");
    evhttp_send_reply(req, 200, "OK", out);
    evbuffer_free(out);
}

static void on_stats(evutil_socket_t fd, short what, void *arg)
{
    update_gauges(arg);
}

static void describe_metrics(void)
{
    metrics_describe("relay48_connector_attempts_total", METRIC_COUNTER,
                     "Delivery attempts by destination and outcome (success, throttled, gone, "
                     "rejected, insecure, failed).");
    metrics_describe("relay48_connector_delivered_total", METRIC_COUNTER,
                     "Escalations delivered (2xx), by destination.");
    metrics_describe("relay48_connector_retries_total", METRIC_COUNTER,
                     "Retries scheduled, by destination.");
    metrics_describe("relay48_connector_dlq_total", METRIC_COUNTER,
                     "Escalations parked in relay48.deliveries.dlq.v1, by reason.");
    metrics_describe("relay48_connector_endpoints_disabled_total", METRIC_COUNTER,
                     "Endpoints disabled after a 410 Gone.");
    metrics_describe("relay48_connector_police_fallback_total", METRIC_COUNTER,
                     "Police escalations routed elsewhere than the open unit, by why.");
    metrics_describe("relay48_connector_skipped_total", METRIC_COUNTER,
                     "Records of a type the role does not deliver.");
    metrics_describe("relay48_connector_attempt_seconds", METRIC_HISTOGRAM,
                     "Duration of one delivery attempt.");
    metrics_describe("relay48_connector_delivery_seconds", METRIC_HISTOGRAM,
                     "From reading an escalation to its 2xx, retries included.");
    metrics_describe("relay48_connector_consumer_lag", METRIC_GAUGE,
                     "Records of the assigned partitions not yet finished (high watermark - "
                     "stored offset).");
    metrics_describe("relay48_connector_pending", METRIC_GAUGE,
                     "Escalations read and not finished.");
    metrics_describe("relay48_connector_inflight", METRIC_GAUGE, "Delivery attempts in flight.");
    metrics_describe("relay48_connector_queued", METRIC_GAUGE,
                     "Delivery attempts waiting for an in-flight slot.");
    metrics_describe("relay48_connector_partitions", METRIC_GAUGE, "Partitions assigned.");
    metrics_describe("relay48_connector_destinations", METRIC_GAUGE,
                     "Banks or police units of the registry as last loaded (enabled ones).");
}

/* ---- signals and drain ------------------------------------------------------------------ */

static void on_drain_tick(evutil_socket_t fd, short what, void *arg)
{
    struct conn *c = arg;
    int busy =
        deliver_inflight(c->deliver) + deliver_queued(c->deliver) > 0 || c->dlq_outstanding > 0;
    if (busy && http_now_us() < c->drain_deadline_us)
        return;
    if (busy)
        log_warn("connector.drain_timeout",
                 "%zu attempt(s) and %zu dead letter(s) unfinished: handed back",
                 deliver_inflight(c->deliver) + deliver_queued(c->deliver), c->dlq_outstanding);
    event_base_loopexit(c->base, NULL);
}

static void on_term(evutil_socket_t sig, short what, void *arg)
{
    struct conn *c = arg;
    if (c->draining) {
        log_warn("connector.exit", "second signal: exiting now");
        event_base_loopbreak(c->base);
        return;
    }
    c->draining = 1;
    log_info("connector.drain", "signal %d: finishing %zu attempt(s) in flight (grace %lld ms)",
             (int)sig, deliver_inflight(c->deliver) + deliver_queued(c->deliver),
             (long long)c->cfg->shutdown_grace_ms);
    c->drain_deadline_us = http_now_us() + c->cfg->shutdown_grace_ms * 1000;
    struct timeval tv = {0, 20000};
    event_add(c->ev_drain, &tv);
}

static void on_consume_event(evutil_socket_t fd, short what, void *arg)
{
    consume(arg);
}

/* ---- wiring ---------------------------------------------------------------------------- */

int connector_run(struct config *cfg, const char *cfg_path, enum connector_role role)
{
    struct conn c;
    memset(&c, 0, sizeof(c));
    c.cfg = cfg;
    c.role = role;
    c.role_name = role == CONNECTOR_BANK ? "bank" : "police";
    c.topic = role == CONNECTOR_BANK ? TOPIC_BANK : TOPIC_POLICE;
    c.type = role == CONNECTOR_BANK ? "escalation.bank" : "escalation.police";
    c.wake[0] = c.wake[1] = -1;
    snprintf(c.source, sizeof(c.source), "urn:relay48:%s", cfg->instance);
    if (RAND_bytes((unsigned char *)&c.rng, sizeof(c.rng)) != 1 || !c.rng)
        c.rng = (uint64_t)time(NULL) | 1;
    retry_policy_default(&c.policy);
    c.policy.base_ms = cfg->connector_retry_base_ms;
    c.policy.cap_ms = cfg->connector_retry_max_ms;
    c.policy.retry_after_cap_ms = cfg->connector_retry_after_max_s * 1000;
    c.policy.max_attempts = (int)cfg->connector_retry_max_attempts;
    c.policy.max_rejects = (int)cfg->connector_reject_max_attempts;
    char err[512];
    int rc = 1;
    unsigned char key[SECRETBOX_KEY_LEN];

    signal(SIGPIPE, SIG_IGN);
    describe_metrics();
    if (cfg->clock_fixed && *cfg->clock_fixed) {
        if (rfc3339_parse(cfg->clock_fixed, &c.routing_now) != RFC3339_OK) {
            log_error("connector.start_failed", "clock.fixed: not an RFC 3339 time with an offset");
            return 1;
        }
        log_warn("connector.clock_fixed",
                 "clock.fixed is set: police office hours are read at %s (a test setting, never "
                 "for production)",
                 cfg->clock_fixed);
    }
    if (secretbox_key_load(getenv(SECRETBOX_ENV), cfg->secrets_master_key_file, key, err,
                           sizeof(err)) != 0) {
        log_error("connector.start_failed", "%s", err);
        return 1;
    }
    c.base = event_base_new();
    c.chains = ordering_chains_new(CHAIN_BUCKETS);
    if (!c.base || !c.chains) {
        log_error("connector.start_failed", "out of memory");
        OPENSSL_cleanse(key, sizeof(key));
        ordering_chains_free(c.chains);
        if (c.base)
            event_base_free(c.base);
        return 1;
    }
    struct db_options dbo = {.conninfo = cfg->database_url,
                             .name = "registry",
                             .retry_max_ms = (int)cfg->database_retry_max_ms};
    c.db = db_new(c.base, &dbo, err, sizeof(err));
    c.dests = c.db ? destinations_new(c.base, c.db,
                                      role == CONNECTOR_BANK ? DEST_ROLE_BANK : DEST_ROLE_POLICE,
                                      key, (int)cfg->connector_registry_refresh_ms,
                                      (int)cfg->connector_fallback_after_failures,
                                      cfg->connector_failing_cooldown_ms)
                   : NULL;
    OPENSSL_cleanse(key, sizeof(key));
    if (!c.dests) {
        log_error("connector.start_failed", "registry: %s", c.db ? "out of memory" : err);
        goto done;
    }
    struct deliver_options dopt = {.max_inflight = (int)cfg->connector_max_inflight,
                                   .max_per_destination =
                                       (int)cfg->connector_max_inflight_per_destination,
                                   .connect_timeout_ms = (long)cfg->connector_connect_timeout_ms,
                                   .timeout_ms = (long)cfg->connector_timeout_ms,
                                   .ca_file = cfg->connector_ca_file,
                                   .user_agent = "relay48-connector/" RELAY48_VERSION};
    c.deliver = deliver_new(c.base, &dopt, err, sizeof(err));
    if (!c.deliver) {
        log_error("connector.start_failed", "%s", err);
        goto done;
    }
    c.producer_cfg = *cfg; /* borrows cfg's strings: never freed through this copy */
    c.producer_cfg.kafka_count = 0;
    for (size_t i = 0; i < cfg->kafka_count; i++) {
        if (consumer_only(cfg->kafka_key[i]))
            continue;
        c.producer_cfg.kafka_key[c.producer_cfg.kafka_count] = cfg->kafka_key[i];
        c.producer_cfg.kafka_value[c.producer_cfg.kafka_count++] = cfg->kafka_value[i];
    }
    struct kafka_options ko = {.cfg = &c.producer_cfg,
                               .probe_interval_ms = (int)cfg->probe_interval_ms,
                               .on_delivery = on_dlq_report,
                               .opaque = &c};
    c.dlq = kafka_new(c.base, &ko, err, sizeof(err));
    if (!c.dlq) {
        log_error("connector.start_failed", "dead-letter producer: %s", err);
        goto done;
    }
    c.rk = consumer_new(&c, err, sizeof(err));
    if (!c.rk) {
        log_error("connector.start_failed", "consumer: %s", err);
        goto done;
    }
    /* Everything the consumer has for us (messages, rebalances, errors)
     * comes through one queue, which wakes the loop through a pipe. */
    rd_kafka_poll_set_consumer(c.rk);
    c.q = rd_kafka_queue_get_consumer(c.rk);
    if (pipe(c.wake) != 0) {
        log_error("connector.start_failed", "pipe: %s", strerror(errno));
        goto done;
    }
    fcntl(c.wake[0], F_SETFL, O_NONBLOCK);
    fcntl(c.wake[1], F_SETFL, O_NONBLOCK);
    rd_kafka_queue_io_event_enable(c.q, c.wake[1], "1", 1);
    c.ev_wake = event_new(c.base, c.wake[0], EV_READ | EV_PERSIST, on_wake, &c);
    c.ev_tick = event_new(c.base, -1, EV_PERSIST, on_wake, &c);
    c.ev_consume = event_new(c.base, -1, 0, on_consume_event, &c);
    c.ev_term = evsignal_new(c.base, SIGTERM, on_term, &c);
    c.ev_int = evsignal_new(c.base, SIGINT, on_term, &c);
    c.ev_drain = event_new(c.base, -1, EV_PERSIST, on_drain_tick, &c);
    c.ev_stats = event_new(c.base, -1, EV_PERSIST, on_stats, &c);
    if (!c.ev_wake || !c.ev_tick || !c.ev_consume || !c.ev_term || !c.ev_int || !c.ev_drain ||
        !c.ev_stats) {
        log_error("connector.start_failed", "out of memory");
        goto done;
    }
    event_add(c.ev_wake, NULL);
    struct timeval tick = {0, 200000}, stats = {STATS_MS / 1000, 0};
    event_add(c.ev_tick, &tick);
    event_add(c.ev_stats, &stats);
    event_add(c.ev_term, NULL);
    event_add(c.ev_int, NULL);

    rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, c.topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t serr = rd_kafka_subscribe(c.rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (serr) {
        log_error("connector.start_failed", "subscribe: %s", rd_kafka_err2str(serr));
        goto done;
    }
    int port = (int)cfg->connector_http_port;
    if (port == 0)
        port = role == CONNECTOR_BANK ? 8091 : 8092;
    struct http_route routes[] = {
        {EVHTTP_REQ_GET | EVHTTP_REQ_HEAD, "/healthz", on_healthz, &c},
        {EVHTTP_REQ_GET | EVHTTP_REQ_HEAD, "/readyz", on_readyz, &c},
        {EVHTTP_REQ_GET, "/metrics", on_metrics, &c},
    };
    struct http_options ho = {.addr = cfg->http_addr,
                              .port = port,
                              .body_limit = 1024,
                              .header_limit = (size_t)cfg->http_header_limit,
                              .timeout_s = (int)cfg->http_timeout,
                              /* operators' endpoints only: a small cap */
                              .max_connections = 256,
                              .request_timeout_ms = (int)cfg->http_request_timeout * 1000,
                              .retry_after_s = (int)cfg->retry_after_s};
    c.http = http_server_new(c.base, &ho, routes, RELAY_ARRAY_LEN(routes), err, sizeof(err));
    if (!c.http) {
        log_error("connector.start_failed", "http: %s", err);
        goto done;
    }
    log_info("connector.started",
             "relay48-connector %s role %s: %s -> endpoints, group %s, "
             "metrics on http://%s:%d/metrics",
             RELAY48_VERSION, c.role_name, c.topic,
             *cfg->connector_group ? cfg->connector_group : "(the role's)", cfg->http_addr,
             http_server_port(c.http));
    event_base_dispatch(c.base);
    rc = 0;
done:
    c.draining = 1;
    if (c.http)
        http_server_stop_accepting(c.http);
    /* Dead letters in flight get their reports (their offsets are stored)
     * before the consumer closes. */
    kafka_free(c.dlq, c.dlq_outstanding ? 5000 : 0);
    c.dlq = NULL;
    if (c.rk) {
        /* The revocation inside close hands back the unfinished and commits
         * what was stored. */
        rd_kafka_resp_err_t cerr = rd_kafka_consumer_close(c.rk);
        if (cerr)
            log_warn("connector.close", "%s", rd_kafka_err2str(cerr));
        for (struct part *p = c.parts; p;) {
            struct part *next = p->next;
            while (p->jobs)
                job_abandon(p->jobs);
            part_free(p);
            p = next;
        }
        c.parts = NULL;
        if (c.q) {
            rd_kafka_queue_io_event_enable(c.q, -1, NULL, 0);
            rd_kafka_queue_destroy(c.q);
        }
        rd_kafka_destroy(c.rk);
    }
    struct event *evs[] = {c.ev_wake, c.ev_tick,  c.ev_consume, c.ev_term,
                           c.ev_int,  c.ev_drain, c.ev_stats};
    for (size_t i = 0; i < RELAY_ARRAY_LEN(evs); i++) {
        if (evs[i])
            event_free(evs[i]);
    }
    http_server_free(c.http);
    deliver_free(c.deliver);
    destinations_free(c.dests);
    db_free(c.db);
    ordering_chains_free(c.chains);
    if (c.wake[0] >= 0)
        close(c.wake[0]);
    if (c.wake[1] >= 0)
        close(c.wake[1]);
    if (c.base)
        event_base_free(c.base);
    metrics_reset();
    log_info("connector.stopped", "role %s: exiting", c.role_name);
    return rc;
}
