/* retention.c — retention of personal data and its purge; see retention.h. */
#include "retention.h"

#include <event2/event.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "db.h"
#include "log.h"
#include "metrics.h"
#include "timeutil.h"

#define DAY_S INT64_C(86400)

/* ---- the statements ---------------------------------------------------------------- */

/*
 * Every purge statement takes $1 the cutoff (seconds since the epoch), $2
 * the batch size, $3 the keyset (the last id of the previous batch), and
 * answers one row: rows purged, rows removed with them, candidates taken
 * (fewer than $2: the class is done), the last id taken. Every count takes
 * $1 alone.
 */
#define CUTOFF "to_timestamp($1::bigint)"
/* Closed: resolved or expired, or expired on arrival (its state stays open,
 * but nothing of its window is left to fire). */
#define CLOSED                                                                                     \
    " (c.state <> 'open' OR c.window_state = 'expired_on_arrival') AND c.closed_at < " CUTOFF
#define LIMIT         " LIMIT $2::int"
#define TAKEN_AND_MAX " (SELECT count(*) FROM b), (SELECT coalesce(max(id), 0) FROM b)"

/* narrative: what the victim wrote or attached. */
#define HAS_NARRATIVE " c.details ?| ARRAY['narrative', 'evidence']"
static const char sql_narrative[] =
    "WITH b AS (SELECT c.id FROM cases c WHERE c.id > $3::bigint AND" CLOSED " AND" HAS_NARRATIVE
    "  ORDER BY c.id" LIMIT " FOR UPDATE SKIP LOCKED),"
    " u AS (UPDATE cases c SET details = c.details - ARRAY['narrative', 'evidence']"
    "  FROM b WHERE c.id = b.id RETURNING 1)"
    " SELECT (SELECT count(*) FROM u), 0::bigint," TAKEN_AND_MAX;

/* identity: who the victim is and how to reach them; the holders' names.
 * The victim's type (person, company, public body) stays: a statistic. */
#define HAS_IDENTITY                                                                               \
    " (c.details ?| ARRAY['debtor', 'creditor'] OR (c.details ? 'victim' AND"                      \
    " (jsonb_typeof(c.details -> 'victim') <> 'object'"                                            \
    " OR (c.details -> 'victim') - 'type' <> '{}'::jsonb)))"
static const char sql_identity[] =
    "WITH b AS (SELECT c.id FROM cases c WHERE c.id > $3::bigint AND" CLOSED " AND" HAS_IDENTITY
    "  ORDER BY c.id" LIMIT " FOR UPDATE SKIP LOCKED),"
    " u AS (UPDATE cases c SET details = (c.details - ARRAY['victim', 'debtor', 'creditor'])"
    "  || CASE WHEN jsonb_typeof(c.details -> 'victim') = 'object'"
    "       AND (c.details -> 'victim') ? 'type'"
    "     THEN jsonb_build_object('victim',"
    "       jsonb_build_object('type', c.details -> 'victim' -> 'type'))"
    "     ELSE '{}'::jsonb END"
    "  FROM b WHERE c.id = b.id RETURNING 1)"
    " SELECT (SELECT count(*) FROM u), 0::bigint," TAKEN_AND_MAX;

/* payment: the accounts and the card, the references that find the
 * transfer or the declaration, the card operations, and the links of the
 * beneficiary's account to this case; an account no other case links is
 * forgotten too, unless an intake just saw it again (last_seen_at). The
 * card BIN and the BICs stay: they name banks, not people. */
#define PAYMENT_KEYS "ARRAY['end_to_end_id', 'uetr', 'channel_ref', 'operations']"
#define HAS_PAYMENT                                                                                \
    " (c.debtor_iban IS NOT NULL OR c.creditor_iban IS NOT NULL OR c.card_last4 IS NOT NULL"       \
    " OR c.receipt IS NOT NULL OR c.details ?| " PAYMENT_KEYS                                      \
    " OR EXISTS (SELECT 1 FROM mule_links ml WHERE ml.case_id = c.id))"
static const char sql_payment[] =
    "WITH b AS (SELECT c.id FROM cases c WHERE c.id > $3::bigint AND" CLOSED " AND" HAS_PAYMENT
    "  ORDER BY c.id" LIMIT " FOR UPDATE SKIP LOCKED),"
    " u AS (UPDATE cases c SET debtor_iban = NULL, creditor_iban = NULL,"
    "  card_last4 = NULL, receipt = NULL, details = c.details - " PAYMENT_KEYS
    "  FROM b WHERE c.id = b.id RETURNING 1),"
    " l AS (DELETE FROM mule_links ml USING b WHERE ml.case_id = b.id RETURNING ml.iban),"
    " a AS (DELETE FROM mule_accounts m WHERE m.iban IN (SELECT iban FROM l)"
    "  AND m.last_seen_at < " CUTOFF " AND NOT EXISTS (SELECT 1 FROM mule_links o"
    "  WHERE o.iban = m.iban AND o.case_id NOT IN (SELECT id FROM b)) RETURNING 1)"
    " SELECT (SELECT count(*) FROM u),"
    "  (SELECT count(*) FROM l) + (SELECT count(*) FROM a)," TAKEN_AND_MAX;

/* notes: what a bank or a unit wrote in an acknowledgement. Counted from
 * the closure, or from the acknowledgement when it came later. */
#define HAS_NOTES " k.created_at < " CUTOFF " AND (k.note IS NOT NULL OR k.party_ref IS NOT NULL)"
static const char sql_notes[] =
    "WITH b AS (SELECT k.id FROM acknowledgements k JOIN cases c ON c.id = k.case_id"
    "  WHERE k.id > $3::bigint AND" CLOSED " AND" HAS_NOTES "  ORDER BY k.id" LIMIT
    " FOR UPDATE OF k SKIP LOCKED),"
    " u AS (UPDATE acknowledgements k SET note = NULL, party_ref = NULL"
    "  FROM b WHERE k.id = b.id RETURNING 1)"
    " SELECT (SELECT count(*) FROM u), 0::bigint," TAKEN_AND_MAX;

/* tokens: the victim's case page closes. */
#define HAS_TOKENS " EXISTS (SELECT 1 FROM case_access_tokens t WHERE t.case_id = c.id)"
static const char sql_tokens[] =
    "WITH b AS (SELECT c.id FROM cases c WHERE c.id > $3::bigint AND" CLOSED " AND" HAS_TOKENS
    "  ORDER BY c.id" LIMIT "),"
    " d AS (DELETE FROM case_access_tokens t USING b WHERE t.case_id = b.id RETURNING 1)"
    " SELECT (SELECT count(*) FROM d), 0::bigint," TAKEN_AND_MAX;

/* idempotency: the partner's Idempotency-Key, the report's hash, the answer. */
#define HAS_IDEMPOTENCY " EXISTS (SELECT 1 FROM idempotency_keys i WHERE i.case_ref = c.ref)"
static const char sql_idempotency[] =
    "WITH b AS (SELECT c.id, c.ref FROM cases c WHERE c.id > $3::bigint AND" CLOSED
    " AND" HAS_IDEMPOTENCY "  ORDER BY c.id" LIMIT "),"
    " d AS (DELETE FROM idempotency_keys i USING b WHERE i.case_ref = b.ref RETURNING 1)"
    " SELECT (SELECT count(*) FROM d), 0::bigint," TAKEN_AND_MAX;

/* webhook_ids: not tied to a case; counted from the claim. No keyset ($3
 * is unused): deleted rows do not come back. */
static const char sql_webhook_ids[] =
    "WITH b AS (SELECT w.bic, w.webhook_id FROM webhook_ids w"
    "  WHERE w.claimed_at < " CUTOFF " AND $3::bigint >= 0"
    "  ORDER BY w.claimed_at" LIMIT " FOR UPDATE SKIP LOCKED),"
    " d AS (DELETE FROM webhook_ids w USING b"
    "  WHERE w.bic = b.bic AND w.webhook_id = b.webhook_id RETURNING 1)"
    " SELECT (SELECT count(*) FROM d), 0::bigint, (SELECT count(*) FROM b), 0::bigint";

/* access_log: counted from the read, open cases included (a read of an
 * open case is as old as the read). */
static const char sql_access_log[] =
    "WITH b AS (SELECT l.id FROM case_access_log l WHERE l.id > $3::bigint AND l.at < " CUTOFF
    "  ORDER BY l.id" LIMIT "),"
    " d AS (DELETE FROM case_access_log l USING b WHERE l.id = b.id RETURNING 1)"
    " SELECT (SELECT count(*) FROM d), 0::bigint," TAKEN_AND_MAX;

struct class_def {
    const char *name;
    const char *stmt; /* prepared name */
    const char *sql;
    const char *count;
    const char *what;
};

static const struct class_def classes[RETENTION_CLASSES] = {
    [RETENTION_NARRATIVE] = {"narrative", "retention_narrative", sql_narrative,
                             "SELECT count(*) FROM cases c WHERE" CLOSED " AND" HAS_NARRATIVE,
                             "the victim's narrative and evidence (file names, hashes): removed"},
    [RETENTION_IDENTITY] = {"identity", "retention_identity", sql_identity,
                            "SELECT count(*) FROM cases c WHERE" CLOSED " AND" HAS_IDENTITY,
                            "the victim's name, e-mail, phone, postal code, the account "
                            "holders' names: removed (the victim's type stays)"},
    [RETENTION_PAYMENT] = {"payment", "retention_payment", sql_payment,
                           "SELECT count(*) FROM cases c WHERE" CLOSED " AND" HAS_PAYMENT,
                           "IBANs, card last 4, receipt, end-to-end id, UETR, channel ref, card "
                           "operations: removed; beneficiary-account links deleted"},
    [RETENTION_NOTES] = {"notes", "retention_notes", sql_notes,
                         "SELECT count(*) FROM acknowledgements k JOIN cases c ON c.id = k.case_id"
                         " WHERE" CLOSED " AND" HAS_NOTES,
                         "acknowledgements' note and party_ref: removed (status, amount, time "
                         "stay)"},
    [RETENTION_TOKENS] = {"tokens", "retention_tokens", sql_tokens,
                          "SELECT count(*) FROM case_access_tokens t JOIN cases c ON c.id = "
                          "t.case_id WHERE" CLOSED,
                          "the victim's case-page tokens: deleted"},
    [RETENTION_IDEMPOTENCY] = {"idempotency", "retention_idempotency", sql_idempotency,
                               "SELECT count(*) FROM idempotency_keys i JOIN cases c ON c.ref = "
                               "i.case_ref WHERE" CLOSED,
                               "Idempotency-Key rows (partner key, request hash, answer): "
                               "deleted"},
    [RETENTION_WEBHOOK_IDS] = {"webhook_ids", "retention_webhook_ids", sql_webhook_ids,
                               "SELECT count(*) FROM webhook_ids w WHERE w.claimed_at < " CUTOFF,
                               "bank webhook-ids and their first answers: deleted"},
    [RETENTION_ACCESS_LOG] = {"access_log", "retention_access_log", sql_access_log,
                              "SELECT count(*) FROM case_access_log l WHERE l.at < " CUTOFF,
                              "who read which case, when: deleted"},
};

/* ---- pure ------------------------------------------------------------------------------ */

const char *retention_class_name(enum retention_class c)
{
    return (unsigned)c < RETENTION_CLASSES ? classes[c].name : NULL;
}

const char *retention_class_what(enum retention_class c)
{
    return (unsigned)c < RETENTION_CLASSES ? classes[c].what : NULL;
}

int retention_class_parse(const char *name, enum retention_class *out)
{
    for (int i = 0; name && i < RETENTION_CLASSES; i++) {
        if (strcmp(name, classes[i].name) == 0) {
            *out = (enum retention_class)i;
            return 0;
        }
    }
    return -1;
}

void retention_policy_from_config(const struct config *cfg, struct retention_policy *out)
{
    out->keep_s[RETENTION_NARRATIVE] = cfg->retention_narrative_days * DAY_S;
    out->keep_s[RETENTION_IDENTITY] = cfg->retention_identity_days * DAY_S;
    out->keep_s[RETENTION_PAYMENT] = cfg->retention_payment_days * DAY_S;
    out->keep_s[RETENTION_NOTES] = cfg->retention_notes_days * DAY_S;
    out->keep_s[RETENTION_TOKENS] = cfg->retention_tokens_days * DAY_S;
    out->keep_s[RETENTION_IDEMPOTENCY] = cfg->retention_idempotency_days * DAY_S;
    out->keep_s[RETENTION_WEBHOOK_IDS] = cfg->webhooks_ids_retention_s;
    out->keep_s[RETENTION_ACCESS_LOG] = cfg->retention_access_log_days * DAY_S;
}

int retention_cutoff(int64_t now, int64_t keep_s, int64_t *cutoff)
{
    if (keep_s < 0 || now < TIMEUTIL_TIME_MIN || now > TIMEUTIL_TIME_MAX)
        return -1;
    /* now and keep_s are both below 2^38 here: no overflow. */
    *cutoff = keep_s > now - TIMEUTIL_TIME_MIN ? TIMEUTIL_TIME_MIN : now - keep_s;
    return 0;
}

int retention_due(int64_t since, int64_t now, int64_t keep_s)
{
    int64_t cutoff;
    if (since < 0 || retention_cutoff(now, keep_s, &cutoff) != 0)
        return 0;
    return since < cutoff;
}

void retention_run_init(struct retention_run *r, const struct retention_policy *p, int64_t now,
                        int batch_rows, unsigned mask)
{
    memset(r, 0, sizeof(*r));
    r->policy = *p;
    r->now = now;
    r->batch_rows = batch_rows > 0 ? batch_rows : 1;
    for (int i = 0; i < RETENTION_CLASSES; i++) {
        if (!(mask & (1u << i)))
            continue;
        if (retention_cutoff(now, p->keep_s[i], &r->t.cutoff[i]) == 0)
            r->mask |= 1u << i;
    }
    r->cls = 0;
    while (r->cls < RETENTION_CLASSES && !(r->mask & (1u << r->cls)))
        r->cls++;
}

int retention_run_next(struct retention_run *r, const char **name, const char **sql,
                       char params[RETENTION_PARAMS][RETENTION_PARAM_MAX])
{
    if (r->cls >= RETENTION_CLASSES)
        return 1;
    *name = classes[r->cls].stmt;
    *sql = classes[r->cls].sql;
    snprintf(params[0], RETENTION_PARAM_MAX, "%" PRId64, r->t.cutoff[r->cls]);
    snprintf(params[1], RETENTION_PARAM_MAX, "%d", r->batch_rows);
    snprintf(params[2], RETENTION_PARAM_MAX, "%" PRId64, r->after);
    return 0;
}

void retention_run_account(struct retention_run *r, int64_t rows, int64_t linked, int64_t taken,
                           int64_t last, int64_t us)
{
    if (r->cls >= RETENTION_CLASSES)
        return;
    r->t.rows[r->cls] += rows;
    r->t.linked[r->cls] += linked;
    r->t.batches[r->cls]++;
    r->t.us[r->cls] += us;
    if (us > r->t.max_us[r->cls])
        r->t.max_us[r->cls] = us;
    if (taken >= r->batch_rows && last > r->after) {
        r->after = last;
        return;
    }
    /* A short batch: nothing more is due in this class. (A full batch whose
     * keyset did not move means the class has no keyset: deleted rows do not
     * come back, so the same statement goes on.) */
    if (taken >= r->batch_rows)
        return;
    r->after = 0;
    do
        r->cls++;
    while (r->cls < RETENTION_CLASSES && !(r->mask & (1u << r->cls)));
}

static int parse_i64(const char *s, int64_t *out)
{
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end)
        return -1;
    *out = v;
    return 0;
}

int retention_run_result(struct retention_run *r, const PGresult *res, int64_t us, char *errstr,
                         size_t errstr_size)
{
    if (!res) {
        snprintf(errstr, errstr_size, "%s: connection lost (the batch may have committed)",
                 classes[r->cls].name);
        return -1;
    }
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        /* The first line only: a DETAIL may quote the failing row, personal
         * data included. */
        snprintf(errstr, errstr_size, "%s: %s", classes[r->cls].name, PQresultErrorMessage(res));
        errstr[strcspn(errstr, "\n")] = '\0';
        return -1;
    }
    int64_t v[4];
    if (PQntuples(res) != 1 || PQnfields(res) != 4) {
        snprintf(errstr, errstr_size, "%s: unexpected result", classes[r->cls].name);
        return -1;
    }
    for (int i = 0; i < 4; i++) {
        if (PQgetisnull(res, 0, i) || parse_i64(PQgetvalue(res, 0, i), &v[i]) != 0) {
            snprintf(errstr, errstr_size, "%s: unexpected result", classes[r->cls].name);
            return -1;
        }
    }
    retention_run_account(r, v[0], v[1], v[2], v[3], us);
    return 0;
}

int64_t retention_totals_rows(const struct retention_totals *t)
{
    int64_t n = 0;
    for (int i = 0; i < RETENTION_CLASSES; i++)
        n += t->rows[i];
    return n;
}

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- blocking ----------------------------------------------------------------------------- */

int retention_count_sync(PGconn *conn, const struct retention_run *r,
                         int64_t due[RETENTION_CLASSES], char *errstr, size_t errstr_size)
{
    for (int i = 0; i < RETENTION_CLASSES; i++) {
        due[i] = -1;
        if (!(r->mask & (1u << i)))
            continue;
        char cutoff[RETENTION_PARAM_MAX];
        snprintf(cutoff, sizeof(cutoff), "%" PRId64, r->t.cutoff[i]);
        const char *p[1] = {cutoff};
        PGresult *res = PQexecParams(conn, classes[i].count, 1, NULL, p, NULL, NULL, 0);
        int ok = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
                 parse_i64(PQgetvalue(res, 0, 0), &due[i]) == 0;
        if (!ok) {
            snprintf(errstr, errstr_size, "%s: %s", classes[i].name,
                     res ? PQresultErrorMessage(res) : PQerrorMessage(conn));
            errstr[strcspn(errstr, "\n")] = '\0';
        }
        PQclear(res);
        if (!ok)
            return -1;
    }
    return 0;
}

int retention_purge_sync(PGconn *conn, struct retention_run *r, retention_progress_fn progress,
                         void *arg, char *errstr, size_t errstr_size)
{
    const char *name, *sql;
    char params[RETENTION_PARAMS][RETENTION_PARAM_MAX];
    while (retention_run_next(r, &name, &sql, params) == 0) {
        const char *p[RETENTION_PARAMS] = {params[0], params[1], params[2]};
        int64_t t0 = mono_us();
        /* Autocommit: one transaction per batch. */
        PGresult *res = PQexecParams(conn, sql, RETENTION_PARAMS, NULL, p, NULL, NULL, 0);
        int rc = retention_run_result(r, res, mono_us() - t0, errstr, errstr_size);
        if (rc != 0 && !res)
            snprintf(errstr, errstr_size, "%s", PQerrorMessage(conn));
        PQclear(res);
        if (rc != 0)
            return -1;
        if (progress)
            progress(r, arg);
    }
    return 0;
}

/* ---- the relay's job ------------------------------------------------------------------- */

struct retention_job {
    struct event_base *base;
    struct db *db;
    struct retention_job_options o;
    struct event *ev_tick;
    struct retention_run run;
    int running;  /* a run is in progress */
    int inflight; /* its batch is in the database */
    int stopped;
    int runs;
    int64_t started_us, sent_us;
};

int retention_prepare(struct db *db)
{
    for (int i = 0; i < RETENTION_CLASSES; i++) {
        if (db_prepare(db, classes[i].stmt, classes[i].sql, RETENTION_PARAMS) != 0)
            return -1;
    }
    return 0;
}

static void schedule(struct retention_job *j, int64_t seconds)
{
    struct timeval tv = {(time_t)seconds, 0};
    event_add(j->ev_tick, &tv);
}

static int64_t job_now(const struct retention_job *j)
{
    return j->o.now ? j->o.now() : (int64_t)time(NULL);
}

/* failure: NULL when the run completed; stopping: it was cut short by the
 * drain, which is not an error. */
static void finish(struct retention_job *j, const char *failure, int stopping)
{
    j->running = 0;
    const struct retention_totals *t = &j->run.t;
    char line[512];
    size_t n = 0;
    for (int i = 0; i < RETENTION_CLASSES && n < sizeof(line); i++) {
        int w = snprintf(line + n, sizeof(line) - n, "%s%s=%" PRId64, i ? " " : "", classes[i].name,
                         t->rows[i]);
        if (w > 0)
            n += (size_t)w;
        if (t->rows[i]) {
            char series[96];
            snprintf(series, sizeof(series), "relay48_retention_purged_rows_total{class=\"%s\"}",
                     classes[i].name);
            metrics_add(series, t->rows[i]);
        }
    }
    double s = (double)(mono_us() - j->started_us) / 1e6;
    if (stopping) {
        log_info("retention.stopped", "purge cut short by the drain: %s rows (%.1f s)", line, s);
    } else if (failure) {
        metrics_add("relay48_retention_runs_total{outcome=\"failed\"}", 1);
        log_error("retention.failed", "purge stopped: %s; purged so far: %s (%.1f s)", failure,
                  line, s);
    } else {
        j->runs++;
        metrics_add("relay48_retention_runs_total{outcome=\"ok\"}", 1);
        metrics_set("relay48_retention_last_success_timestamp_seconds", job_now(j));
        log_write(retention_totals_rows(t) ? LOG_INFO : LOG_DEBUG, "retention.purged", NULL, NULL,
                  "personal data past retention purged: %s rows (%.1f s)", line, s);
    }
    int64_t next = j->o.cfg->retention_interval_s;
    if (failure && next > 300)
        next = 300; /* a database restart should not cost a day of retention */
    if (!j->stopped && next > 0)
        schedule(j, next);
}

static void send_next(struct retention_job *j);

static void on_batch(PGresult *res, void *arg)
{
    struct retention_job *j = arg;
    char err[512];
    j->inflight = 0;
    if (retention_run_result(&j->run, res, mono_us() - j->sent_us, err, sizeof(err)) != 0) {
        finish(j, err, j->stopped);
        return;
    }
    send_next(j);
}

static void send_next(struct retention_job *j)
{
    const char *name, *sql;
    char params[RETENTION_PARAMS][RETENTION_PARAM_MAX];
    if (j->stopped) {
        finish(j, NULL, 1);
        return;
    }
    if (retention_run_next(&j->run, &name, &sql, params) != 0) {
        finish(j, NULL, 0);
        return;
    }
    const char *p[RETENTION_PARAMS] = {params[0], params[1], params[2]};
    j->sent_us = mono_us();
    if (db_send(j->db, name, NULL, RETENTION_PARAMS, p, on_batch, j) != 0) {
        finish(j, "the database is not available", 0);
        return;
    }
    j->inflight = 1;
    if (db_sync(j->db) != 0)
        log_debug("retention.sync_lost", "connection lost while purging");
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    struct retention_job *j = arg;
    if (j->running || j->stopped)
        return;
    if (!db_ready(j->db)) {
        /* Try again soon rather than a whole interval later. */
        log_warn("retention.deferred", "the database is not available; purge in 60 s");
        schedule(j, 60);
        return;
    }
    struct retention_policy p;
    retention_policy_from_config(j->o.cfg, &p);
    retention_run_init(&j->run, &p, job_now(j), (int)j->o.cfg->retention_batch_rows, RETENTION_ALL);
    j->running = 1;
    j->started_us = mono_us();
    send_next(j);
}

struct retention_job *retention_job_new(struct event_base *base, struct db *db,
                                        const struct retention_job_options *o, char *errstr,
                                        size_t errstr_size)
{
    struct retention_job *j = calloc(1, sizeof(*j));
    if (!j || !(j->ev_tick = event_new(base, -1, 0, on_tick, j))) {
        free(j);
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    j->base = base;
    j->db = db;
    j->o = *o;
    metrics_describe("relay48_retention_purged_rows_total", METRIC_COUNTER,
                     "Rows of personal data anonymised or deleted past retention, by class.");
    metrics_describe("relay48_retention_runs_total", METRIC_COUNTER,
                     "Runs of the relay's purge job, by outcome.");
    metrics_describe("relay48_retention_last_success_timestamp_seconds", METRIC_GAUGE,
                     "When the relay's purge job last completed (its clock).");
    schedule(j, o->first_delay_s > 0 ? o->first_delay_s : 0);
    return j;
}

void retention_job_free(struct retention_job *j)
{
    if (!j)
        return;
    event_free(j->ev_tick);
    free(j);
}

void retention_job_stop(struct retention_job *j)
{
    if (!j)
        return;
    j->stopped = 1;
    event_del(j->ev_tick);
}

int retention_job_busy(const struct retention_job *j)
{
    return j ? j->inflight : 0;
}

int retention_job_runs(const struct retention_job *j)
{
    return j ? j->runs : 0;
}
