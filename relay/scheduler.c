/* scheduler.c — claim and fire due milestones; see scheduler.h. */
#include "scheduler.h"

#include <event2/event.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bankdir.h"
#include "db.h"
#include "escalate.h"
#include "log.h"
#include "metrics.h"
#include "outbox.h"
#include "timeutil.h"

/* The columns of a case row the events are built from, shared by the claim
 * and the firings sweep (enum below, C_ID to C_LINKED), from the case c.
 *
 * The linked cases: the other open cases naming the same beneficiary IBAN,
 * by id, at most 100, looked up only for a case whose has_links is not
 * false (sql/014_cases_has_links.sql: the intake sets it on both sides of
 * a link). Most cases share their IBAN with no other; the lookup for every
 * case of a batch, set-based over the batch's cases, read each case row a
 * second time and the links: 15.6 -> 12.4 ms a claim of 1 500 (30 runs
 * each, alternated on the bench's database). Driven from the links, each case
 * read by its id alone behind a fence (LATERAL ... OFFSET 0): planned
 * generically on an empty database, the join otherwise went through the
 * open cases' index (state first), every open case for each link. */
#define CASE_COLUMNS                                                                               \
    " c.id, c.ref, c.kind, c.rail, c.state, c.window_state,"                                       \
    "  floor(date_part('epoch', c.start_at))::bigint,"                                             \
    "  floor(date_part('epoch', c.received_at))::bigint,"                                          \
    "  floor(date_part('epoch', c.deadline_at))::bigint,"                                          \
    "  c.amount_minor, c.currency, c.debtor_iban, c.debtor_bic, c.creditor_iban,"                  \
    "  c.creditor_bic, c.card_bin, c.card_last4, c.receipt, c.scenario, c.departement,"            \
    "  c.details::text, coalesce(CASE WHEN c.has_links IS NOT FALSE THEN ("                        \
    "    SELECT json_agg(x.ref ORDER BY x.id)::text FROM ("                                        \
    "      SELECT ml.case_id AS id, c2.ref FROM mule_links ml CROSS JOIN LATERAL ("                \
    "        SELECT c2.ref, c2.state FROM cases c2 WHERE c2.id = ml.case_id OFFSET 0) c2"          \
    "      WHERE ml.iban = c.creditor_iban AND ml.case_id <> c.id AND c2.state = 'open'"           \
    "      ORDER BY ml.case_id LIMIT 100) x) END, '[]'),"

/*
 * Claim: due milestones (SKIP LOCKED, so that concurrent claimers share them
 * out); every milestone of their cases, read (allm); the other due pending
 * ones among them locked too (SKIP LOCKED again: no claimer ever waits; the
 * lock re-reads each row, so one fired or skipped meanwhile is not
 * returned); and, per case, the due pending milestones this batch could not
 * lock (another batch holds them) and the severities already fired, so that
 * a case whose milestones two batches share still collapses into its most
 * severe one (plan_case). The case rows are read, not locked; an
 * acknowledgement that resolves a case skips its pending milestones under
 * the same row locks. A case whose expiry is due is locked too (SKIP
 * LOCKED: one being acknowledged is left for the next batch), as its state
 * changes. Nothing here ever waits for a lock, so the scheduler cannot
 * deadlock with the acknowledgements. The case rows are read by id behind
 * a fence (LATERAL ... OFFSET 0): a generic plan made on an empty database
 * hashed the whole cases table for each claim until autovacuum analysed it.
 *
 * The other milestones of a case are read only when a claimed one may not
 * be the most severe due (its next_due_at, sql/013, is unknown or past):
 * when the next one is not due yet, none after it has fired and the ones
 * before it collapse into it whoever holds them (a batch that claims one of
 * those later reads everything and finds this one locked or fired). Most
 * batches read no other milestone: with the links read without their case
 * row a second time, 38.6-39.9 -> 24.5-25.0 ms a claim of 1 500
 * (alternated, one database), before has_links above.
 */
static const char sql_claim[] =
    "WITH cand AS ("
    "  SELECT case_id, name, severity, due_at, next_due_at FROM milestones"
    "  WHERE state = 'pending' AND due_at <= now()"
    "  ORDER BY due_at LIMIT $1 FOR UPDATE SKIP LOCKED),"
    " allm AS ("
    "  SELECT m.case_id, m.name, m.severity, m.due_at, m.state FROM milestones m"
    "  WHERE m.case_id IN (SELECT case_id FROM cand"
    "    WHERE next_due_at IS NULL OR next_due_at <= now())),"
    " more AS ("
    "  SELECT m.case_id, m.name, m.severity, m.due_at FROM milestones m"
    "  WHERE (m.case_id, m.name) IN ("
    "      SELECT a.case_id, a.name FROM allm a WHERE a.state = 'pending' AND a.due_at <= now()"
    "      AND NOT EXISTS (SELECT 1 FROM cand k WHERE k.case_id = a.case_id AND k.name = a.name))"
    "    AND m.state = 'pending' AND m.due_at <= now()"
    "  FOR UPDATE OF m SKIP LOCKED),"
    " due AS (SELECT case_id, name, severity, due_at FROM cand UNION ALL SELECT * FROM more),"
    /* The claimed milestones of each case, in due order (dl), apart from
     * what the collapse needs of its others (ex): the due pending ones this
     * batch could not lock and the fired ones. Two aggregates over a few
     * rows each instead of one over every milestone joined to the claimed
     * ones, sorted for it: 2.4 ms less a batch of 1 500. A claimed milestone
     * is never among the fired (fired is final, and the lock re-read it
     * pending), so leaving the claimed out of ex changes nothing there. */
    " dl AS ("
    "  SELECT case_id, string_agg(name || ':' || severity || ':' ||"
    "    floor(date_part('epoch', now() - due_at) * 1000)::bigint, ',' ORDER BY due_at) AS list,"
    "    bool_or(name = 'expiry') AS expiring FROM due GROUP BY case_id),"
    " ex AS ("
    "  SELECT a.case_id, string_agg(a.name || ':' || a.severity, ',')"
    "    FILTER (WHERE a.state = 'pending') AS others,"
    "    string_agg(a.severity, ',') FILTER (WHERE a.state = 'fired') AS fired"
    "  FROM allm a WHERE (a.state = 'fired' OR (a.state = 'pending' AND a.due_at <= now()))"
    "    AND NOT EXISTS (SELECT 1 FROM due u WHERE u.case_id = a.case_id AND u.name = a.name)"
    "  GROUP BY a.case_id),"
    " d AS ("
    "  SELECT dl.case_id, dl.list, dl.expiring, ex.others, ex.fired"
    "  FROM dl LEFT JOIN ex USING (case_id)),"
    " xl AS ("
    "  SELECT c.id FROM cases c WHERE c.id IN (SELECT case_id FROM d WHERE expiring)"
    "  FOR UPDATE OF c SKIP LOCKED)"
    " SELECT" CASE_COLUMNS
    "  d.list, (SELECT floor(date_part('epoch', now()))::bigint), (SELECT count(*) FROM cand),"
    "  NOT d.expiring OR c.id IN (SELECT id FROM xl),"
    "  (SELECT floor(extract(epoch FROM now()) * 1000000)::bigint), d.others, d.fired"
    " FROM d CROSS JOIN LATERAL (SELECT * FROM cases c WHERE c.id = d.case_id OFFSET 0) c";

/* The milestones of one firing, to publish again (the sweep): the same
 * columns as the claim, the milestone as a one-item list, its fired time as
 * the claim's now. Rows read by key behind fences, as in the claim. */
static const char sql_refire[] =
    "WITH u AS ("
    "  SELECT u.case_id, u.name FROM firings f"
    "  CROSS JOIN LATERAL unnest(f.case_ids, f.names) AS u(case_id, name) WHERE f.id = $1::bigint)"
    " SELECT" CASE_COLUMNS
    "  u.name || ':' || m.severity || ':0', floor(date_part('epoch', m.fired_at))::bigint, 0,"
    "  true, floor(extract(epoch FROM m.fired_at) * 1000000)::bigint, NULL::text,"
    "  NULL::text"
    " FROM u CROSS JOIN LATERAL (SELECT * FROM milestones m"
    "  WHERE m.case_id = u.case_id AND m.name = u.name OFFSET 0) m"
    " CROSS JOIN LATERAL (SELECT * FROM cases c WHERE c.id = u.case_id OFFSET 0) c"
    " WHERE m.state = 'fired'";

/* Firings nobody confirmed in time: a crashed relay's, or one whose events
 * failed. */
static const char sql_stale[] =
    "SELECT id FROM firings WHERE id > $1::bigint"
    " AND fired_at < now() - make_interval(secs => $2::int / 1000.0) ORDER BY id LIMIT 100";
#define STALE_PAGE 100

enum {
    C_ID = 0,
    C_REF,
    C_KIND,
    C_RAIL,
    C_STATE,
    C_WINDOW_STATE,
    C_START,
    C_RECEIVED,
    C_DEADLINE,
    C_AMOUNT,
    C_CURRENCY,
    C_DEBTOR_IBAN,
    C_DEBTOR_BIC,
    C_CREDITOR_IBAN,
    C_CREDITOR_BIC,
    C_CARD_BIN,
    C_CARD_LAST4,
    C_RECEIPT,
    C_SCENARIO,
    C_DEPARTEMENT,
    C_DETAILS,
    C_LINKED,
    C_DUE,
    C_NOW,
    C_CANDIDATES,
    C_LOCKED, /* false: its expiry is due and the case is locked by another transaction */
    C_NOW_US, /* the transaction's now (the fired_at written), microseconds */
    C_OTHERS, /* "name:severity,...": due, pending, locked by another transaction */
    C_FIRED,  /* "severity,...": of its milestones already fired */
    C_COUNT
};

/* Fire: one statement for the whole batch, from arrays (unnest): the
 * milestones marked, the cases expired, and the firing naming the milestones
 * whose events are to be confirmed. Fails when a milestone was not pending
 * any more, which the locks above exclude. */
#define FIRE_PARAMS 8
static const char sql_fire[] =
    "WITH upd AS ("
    "  UPDATE milestones m SET state = u.s, fired_at = CASE WHEN u.s = 'fired' THEN now() END"
    "  FROM unnest($1::bigint[], $2::text[], $3::text[]) AS u(c, n, s)"
    "  WHERE m.case_id = u.c AND m.name = u.n AND m.state = 'pending' RETURNING 1),"
    " exp AS ("
    "  UPDATE cases SET state = 'expired' WHERE id = ANY ($4::bigint[]) AND state = 'open'"
    "  RETURNING 1),"
    " fi AS ("
    "  INSERT INTO firings (instance, fired_at, case_ids, names)"
    "  SELECT $5, now(), $6::bigint[], $7::text[] WHERE cardinality($6::bigint[]) > 0"
    "  RETURNING id)"
    " SELECT relay48_assert((SELECT count(*) FROM upd) = $8::int,"
    "    'a claimed milestone was not pending'),"
    "  (SELECT count(*) FROM exp), (SELECT id FROM fi)";

/* Milliseconds until the earliest pending milestone (<= 0: one is due but
 * was not claimable), NULL when none is pending. */
static const char sql_next[] =
    "SELECT floor(date_part('epoch', min(due_at) - clock_timestamp()) * 1000)::bigint "
    "FROM milestones WHERE state = 'pending'";

/* The outbox holds exactly what Kafka has not confirmed of the
 * acknowledgements (rows are deleted from their delivery reports), the
 * intake batches the new cases it has not confirmed, the firings the
 * milestones. Small tables: cheap every few seconds. */
static const char sql_stats[] =
    "SELECT (SELECT count(*) FROM outbox) +"
    "   (SELECT coalesce(sum(cardinality(case_ids)), 0) FROM intake_batches),"
    " (SELECT coalesce(floor(date_part('epoch', now() - least("
    "    (SELECT min(created_at) FROM outbox), (SELECT min(fired_at) FROM firings),"
    "    (SELECT min(created_at) FROM intake_batches))) * 1000), 0)::bigint),"
    " (SELECT coalesce(sum(cardinality(case_ids)), 0) FROM firings)";

/* Every entry of the pending index: with a million pending milestones 26-49
 * ms, on two parallel workers and the backend (EXPLAIN ANALYZE: about 40 ms
 * in each of the three), so less often than the other gauges
 * (scheduler.pending_interval_ms): every 5 s it was 2 % of a core, taken
 * from whatever ran then, a burst of firing included. */
static const char sql_pending[] = "SELECT count(*) FROM milestones WHERE state = 'pending'";

#define BACKOFF_MIN_MS 10
/* Waiting for room in librdkafka's queue. */
#define KAFKA_WAIT_MS 5

/* ---- growable text for array literals ---------------------------------------- */

struct buf {
    char *p;
    size_t len, cap;
    int failed;
};

static void buf_reserve(struct buf *b, size_t more)
{
    if (b->failed || b->len + more + 1 <= b->cap)
        return;
    size_t ncap = b->cap ? b->cap : 256;
    while (ncap < b->len + more + 1)
        ncap *= 2;
    char *n = realloc(b->p, ncap);
    if (!n) {
        b->failed = 1;
        return;
    }
    b->p = n;
    b->cap = ncap;
}

static void buf_add(struct buf *b, const char *s, size_t n)
{
    buf_reserve(b, n);
    if (b->failed)
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

/* Start an array literal. */
static void arr_open(struct buf *b)
{
    buf_add(b, "{", 1);
}

static void arr_close(struct buf *b)
{
    buf_add(b, "}", 1);
}

static void arr_sep(struct buf *b)
{
    if (b->len > 1)
        buf_add(b, ",", 1);
}

/* A quoted element: backslash and double quote escaped. */
static void arr_str(struct buf *b, const char *s, size_t n)
{
    arr_sep(b);
    size_t extra = 2;
    for (size_t i = 0; i < n; i++)
        extra += (s[i] == '"' || s[i] == '\\');
    buf_reserve(b, n + extra);
    if (b->failed)
        return;
    char *o = b->p + b->len;
    *o++ = '"';
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"' || s[i] == '\\')
            *o++ = '\\';
        *o++ = s[i];
    }
    *o++ = '"';
    b->len = (size_t)(o - b->p);
    b->p[b->len] = '\0';
}

static void arr_cstr(struct buf *b, const char *s)
{
    arr_str(b, s, strlen(s));
}

static void arr_int(struct buf *b, int64_t v)
{
    char t[24];
    int n = snprintf(t, sizeof(t), "%" PRId64, v);
    arr_sep(b);
    buf_add(b, t, (size_t)n);
}

/* ---- state ----------------------------------------------------------------- */

/* Events built for Kafka, each with its payload owned. */
struct evlist {
    struct escalate_event *ev;
    int n, cap;
};

struct worker;

struct batch {
    struct worker *w;
    int outstanding; /* statements queued whose callback has not run, + 1 while on_claim runs */
    int phase;       /* 1 claim, 2 fire */
    int claim_ok;
    int candidates, cases;
    int64_t now_s, now_us;
    struct evlist events; /* of the milestones fired, built while the fire runs */
    /* what the fire changes, for metrics once committed */
    int fired[MILESTONE_COUNT];
    int skipped_collapsed, skipped_closed;
    int deferred; /* cases left for the next batch (expiry, case locked) */
    int64_t *lateness_ms;
    int nlateness;
    /* results */
    int fire_ok, commit_ok, next_ok, next_null;
    int64_t next_ms;
    int64_t firing_id; /* 0: nothing fired with events */
    int build_failed;  /* the events are left to the sweep */
    int64_t t_start;   /* monotonic, for relay48_scheduler_batch_seconds */
};

struct worker {
    struct scheduler *s;
    struct db *db;
    int idx;
    struct batch *b;
    int stats;        /* a stats query is out */
    int sweep;        /* a firings sweep query is out */
    int64_t sweep_id; /* the firing it reads again, 0 when it lists */
};

struct scheduler {
    struct event_base *base;
    struct outbox *outbox;
    struct bankdir *dir;
    struct scheduler_options opt;
    char *conninfo, *instance;
    struct worker w[SCHEDULER_MAX_CONNECTIONS];
    int nw;
    struct event *ev_wake, *ev_stats, *ev_sweep;
    int64_t wake_at_us;    /* monotonic deadline of ev_wake, 0 when not armed */
    int64_t pending_at_us; /* monotonic time of the last pending count sent, 0 none */
    int backoff_ms;
    int stopping;
    int busy; /* batches in flight */
    /* firings sweep: stale ids listed, the one being published again */
    int sweep_wanted; /* a sweep is due or under way */
    int sweep_out;    /* one of its queries is out (one at a time) */
    int sweep_listed; /* the sweep under way has listed a page */
    /* The first sweep after start takes every firing whatever its age; it
     * lists them before this relay's first batch, so that none of its own
     * (committed, their events not yet produced) is taken for a dead
     * relay's. No batch starts before that list is answered. */
    int sweep_first_done;
    int sweep_age_ms; /* of the sweep under way */
    int64_t sweep_cursor;
    int64_t stale[STALE_PAGE];
    int nstale, istale;
};

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wake up in ms milliseconds unless already due to wake earlier. */
static void arm(struct scheduler *s, int64_t ms)
{
    if (s->stopping)
        return;
    if (ms < 0)
        ms = 0;
    if (ms > s->opt.poll_ms)
        ms = s->opt.poll_ms;
    int64_t at = mono_us() + ms * 1000;
    if (s->wake_at_us && s->wake_at_us <= at)
        return;
    struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)((ms % 1000) * 1000)};
    evtimer_add(s->ev_wake, &tv);
    s->wake_at_us = at;
}

static void evlist_free(struct evlist *l)
{
    escalate_events_free(l->ev, l->n);
    free(l->ev);
    memset(l, 0, sizeof(*l));
}

static void batch_free(struct batch *b)
{
    if (!b)
        return;
    evlist_free(&b->events);
    free(b->lateness_ms);
    free(b);
}

/* Room in librdkafka's queue for the events of a full batch. */
static int kafka_room(const struct scheduler *s)
{
    return outbox_room(s->outbox) >= (long)s->opt.batch_max * ESCALATE_EVENTS_MAX;
}

static int start_batch(struct worker *w);
static void sweep_next(struct worker *w);

/* Start idle, connected workers: one (a timer or a notification: the batch
 * tells whether more are needed) or all (more work is known to be due). An
 * idle worker runs the firings sweep first when one is due. */
static void kick(struct scheduler *s, int all)
{
    if (s->stopping)
        return;
    if (!s->sweep_first_done) {
        for (int i = 0; i < s->nw && !s->sweep_out; i++) {
            if (!s->w[i].b && !s->w[i].stats && !s->w[i].sweep)
                sweep_next(&s->w[i]);
        }
        return; /* on_stale kicks again */
    }
    int started = 0, idle = 0, full = 0;
    for (int i = 0; i < s->nw; i++) {
        struct worker *w = &s->w[i];
        if (w->b || w->stats || w->sweep)
            continue;
        if (!db_ready(w->db)) {
            idle++;
            continue;
        }
        if (s->sweep_wanted && !s->sweep_out) {
            sweep_next(w);
            if (w->sweep)
                continue;
        }
        if (!kafka_room(s)) {
            full = 1;
            break;
        }
        if (start_batch(w) == 0)
            started++;
        else
            idle++;
        if (started && !all)
            break;
    }
    if (full)
        arm(s, KAFKA_WAIT_MS);
    else if (!started && !s->busy)
        arm(s, idle ? s->backoff_ms : s->opt.poll_ms);
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
    struct scheduler *s = arg;
    s->wake_at_us = 0;
    kick(s, 0);
    if (!s->busy)
        arm(s, s->opt.poll_ms);
}

/* ---- a case row and its events ---------------------------------------------- */

static const char *value(PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

static int64_t int_value(PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? 0 : strtoll(PQgetvalue(res, row, col), NULL, 10);
}

/* The bank's name from the directory when the IBAN's bank is the BIC addressed. */
static void bank_name(const struct scheduler *s, const char *iban, const char *bic, char *out,
                      size_t size)
{
    out[0] = '\0';
    char found[12];
    if (!s->dir || !iban || !bic || !*iban)
        return;
    if (bankdir_lookup(s->dir, iban, found, out, size) != 0 || strcmp(found, bic) != 0)
        out[0] = '\0';
}

/* The case of a row, its strings borrowed from res; no details, no linked
 * cases and no bank names (case_details adds them). */
static void case_from_row(PGresult *res, int row, struct escalate_case *c)
{
    memset(c, 0, sizeof(*c));
    c->id = int_value(res, row, C_ID);
    c->ref = value(res, row, C_REF);
    c->kind = value(res, row, C_KIND);
    c->rail = value(res, row, C_RAIL);
    c->state = value(res, row, C_STATE);
    c->window_state = value(res, row, C_WINDOW_STATE);
    c->start_at = int_value(res, row, C_START);
    c->received_at = int_value(res, row, C_RECEIVED);
    c->deadline_at = int_value(res, row, C_DEADLINE);
    c->amount_minor = int_value(res, row, C_AMOUNT);
    c->currency = value(res, row, C_CURRENCY);
    c->debtor_iban = value(res, row, C_DEBTOR_IBAN);
    c->debtor_bic = value(res, row, C_DEBTOR_BIC);
    c->creditor_iban = value(res, row, C_CREDITOR_IBAN);
    c->creditor_bic = value(res, row, C_CREDITOR_BIC);
    c->card_bin = value(res, row, C_CARD_BIN);
    c->card_last4 = value(res, row, C_CARD_LAST4);
    c->receipt = value(res, row, C_RECEIPT);
    c->scenario = value(res, row, C_SCENARIO);
    c->departement = value(res, row, C_DEPARTEMENT);
}

static int evlist_reserve(struct evlist *l, int more)
{
    if (l->n + more <= l->cap)
        return 0;
    int ncap = l->cap ? l->cap : 256;
    while (ncap < l->n + more)
        ncap *= 2;
    struct escalate_event *n = realloc(l->ev, (size_t)ncap * sizeof(*n));
    if (!n)
        return -1;
    l->ev = n;
    l->cap = ncap;
    return 0;
}

/* The events of milestone m of the case of a row (claim or sweep), fired at
 * fired_us with severity sev, appended to out with their derived ids. */
static int build_events(const struct scheduler *s, PGresult *res, int row, enum milestone m,
                        enum severity sev, int64_t fired_us, struct evlist *out)
{
    struct escalate_case c;
    case_from_row(res, row, &c);
    if (!c.ref || !c.kind || !c.rail)
        return 0;
    /* The members of details the events carry, read from its text without
     * a tree; parsed whole only when that fails (a card's operations). */
    const char *text = value(res, row, C_DETAILS) ? value(res, row, C_DETAILS) : "{}";
    size_t len = strlen(text);
    char small[2048];
    char *scratch = len < sizeof(small) ? small : malloc(len + 1);
    size_t scratch_size = len < sizeof(small) ? sizeof(small) : len + 1;
    struct escalate_details picked;
    json_t *details = NULL;
    if (scratch && escalate_details_from_text(text, len, &picked, scratch, scratch_size) == 0)
        c.picked = &picked;
    else
        details = json_loads(text, 0, NULL);
    /* No linked case (the usual): no tree either. */
    const char *refs = value(res, row, C_LINKED) ? value(res, row, C_LINKED) : "[]";
    json_t *linked = strcmp(refs, "[]") == 0 ? NULL : json_loads(refs, 0, NULL);
    char debtor_name[128], creditor_name[128];
    bank_name(s, c.debtor_iban, c.debtor_bic, debtor_name, sizeof(debtor_name));
    bank_name(s, c.creditor_iban, c.creditor_bic, creditor_name, sizeof(creditor_name));
    c.debtor_bank_name = debtor_name;
    c.creditor_bank_name = creditor_name;
    c.details = details;
    c.linked_cases = linked;
    int rc = -1;
    if (evlist_reserve(out, ESCALATE_EVENTS_MAX) == 0) {
        struct escalate_event *ev = out->ev + out->n;
        int n = escalate_milestone(&c, m, sev, fired_us, ev, ESCALATE_EVENTS_MAX);
        if (n >= 0) {
            out->n += n;
            rc = 0;
        }
    }
    json_decref(details);
    json_decref(linked);
    if (scratch != small)
        free(scratch);
    return rc;
}

/* Hand the events of a committed firing to Kafka (their payloads with
 * them: each one queued is librdkafka's); its row is deleted once they are
 * all confirmed. A firing that cannot be started stays for the sweep. */
static void publish(struct scheduler *s, int64_t firing_id, int64_t fired_s, struct evlist *events)
{
    char when[TIMEUTIL_UTC_SIZE];
    if (rfc3339_format_utc(fired_s, when, sizeof(when)) != 0)
        snprintf(when, sizeof(when), "1970-01-01T00:00:00Z");
    struct outbox_firing *f = outbox_firing_begin(s->outbox, firing_id);
    if (!f) {
        log_warn("scheduler.publish_deferred", "firing %" PRId64 " left to the sweep (no memory)",
                 firing_id);
        return;
    }
    for (int i = 0; i < events->n; i++) {
        struct escalate_event *e = &events->ev[i];
        if (outbox_firing_add(f, e->id, e->topic, e->key, e->type, when, &e->payload,
                              e->payload_len) != 0)
            break; /* the firing has failed: the sweep sends it whole */
    }
    outbox_firing_end(f);
}

/* ---- fire --------------------------------------------------------------------- */

static void count_committed(const struct batch *b)
{
    char series[96];
    for (int m = 0; m < MILESTONE_COUNT; m++) {
        if (!b->fired[m])
            continue;
        snprintf(series, sizeof(series), "relay48_milestones_fired_total{milestone=\"%s\"}",
                 milestone_name((enum milestone)m));
        metrics_add(series, b->fired[m]);
    }
    if (b->skipped_collapsed)
        metrics_add("relay48_milestones_skipped_total{reason=\"collapsed\"}", b->skipped_collapsed);
    if (b->skipped_closed)
        metrics_add("relay48_milestones_skipped_total{reason=\"resolved\"}", b->skipped_closed);
    for (int i = 0; i < b->nlateness; i++)
        metrics_observe_us("relay48_milestone_lateness_seconds", b->lateness_ms[i] * 1000);
    metrics_add("relay48_scheduler_batches_total", 1);
}

/* The batch is over: publish what committed and decide when to look again. */
static void finish(struct batch *b)
{
    struct worker *w = b->w;
    struct scheduler *s = w->s;
    w->b = NULL;
    s->busy--;
    if (b->cases)
        metrics_observe_us("relay48_scheduler_batch_seconds", mono_us() - b->t_start);
    int full = 0;
    if (b->phase == 2 && b->commit_ok && (b->cases == 0 || b->fire_ok)) {
        if (b->cases) {
            if (b->firing_id > 0 && !b->build_failed)
                publish(s, b->firing_id, b->now_s, &b->events);
            count_committed(b);
        }
        full = b->candidates >= s->opt.batch_max;
    } else if (b->phase == 2 && b->cases && db_ready(w->db)) {
        /* The fire failed: end the aborted transaction before anything else. */
        metrics_add("relay48_scheduler_batch_failures_total", 1);
        if (db_send(w->db, NULL, "ROLLBACK", 0, NULL, NULL, NULL) == 0 && db_sync(w->db) != 0)
            log_warn("scheduler.rollback_lost", "connection lost while ending a failed batch");
    } else if (b->phase == 1 && b->claim_ok == 0 && db_ready(w->db)) {
        metrics_add("relay48_scheduler_batch_failures_total", 1);
        if (db_send(w->db, NULL, "ROLLBACK", 0, NULL, NULL, NULL) == 0 && db_sync(w->db) != 0)
            log_warn("scheduler.rollback_lost", "connection lost while ending a failed claim");
    }
    int ok = b->phase == 2 && b->commit_ok;
    int next_ok = b->next_ok, next_null = b->next_null;
    int64_t next_ms = b->next_ms;
    int claimed = b->cases;
    batch_free(b);
    if (s->stopping)
        return;
    if (!ok) {
        s->backoff_ms = s->backoff_ms * 2 > s->opt.poll_ms ? s->opt.poll_ms : s->backoff_ms * 2;
        arm(s, s->backoff_ms);
        return;
    }
    if (full) {
        s->backoff_ms = BACKOFF_MIN_MS;
        kick(s, 1); /* more is due: every idle connection helps, this one first */
        return;
    }
    if (s->sweep_wanted)
        kick(s, 0); /* an idle connection for the sweep */
    if (!next_ok || next_null) {
        arm(s, s->opt.poll_ms);
    } else if (next_ms > 0) {
        s->backoff_ms = BACKOFF_MIN_MS;
        arm(s, next_ms + 1);
    } else {
        /* Due but not claimable (another relay's batch, a case being
         * acknowledged): look again soon, then less often. */
        if (claimed)
            s->backoff_ms = BACKOFF_MIN_MS;
        arm(s, s->backoff_ms);
        s->backoff_ms = s->backoff_ms * 2 > s->opt.poll_ms ? s->opt.poll_ms : s->backoff_ms * 2;
    }
}

static void settle(struct batch *b)
{
    if (--b->outstanding == 0)
        finish(b);
}

static void on_fire(PGresult *res, void *arg)
{
    struct batch *b = arg;
    if (res && PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
        b->fire_ok = 1;
        if (!PQgetisnull(res, 0, 2))
            b->firing_id = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
    } else if (res && PQresultStatus(res) != PGRES_PIPELINE_ABORTED) {
        log_error("scheduler.fire_failed", "%s", PQresultErrorMessage(res));
    }
    settle(b);
}

static void on_commit(PGresult *res, void *arg)
{
    struct batch *b = arg;
    b->commit_ok = res && PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!res && b->cases)
        log_warn("scheduler.commit_unknown",
                 "connection lost during the commit of %d case(s): the firings sweep publishes "
                 "them if it committed",
                 b->cases);
    settle(b);
}

static void on_next(PGresult *res, void *arg)
{
    struct batch *b = arg;
    if (res && PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
        b->next_ok = 1;
        b->next_null = PQgetisnull(res, 0, 0);
        if (!b->next_null)
            b->next_ms = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    }
    settle(b);
}

/* The parameter arrays of the fire statement. */
struct fire_params {
    struct buf ms_case, ms_name, ms_state, expire, fi_case, fi_name;
    int nms;
};

#define FIRE_PARAMS_BUFS(f)                                                                        \
    {                                                                                              \
        &(f)->ms_case, &(f)->ms_name, &(f)->ms_state, &(f)->expire, &(f)->fi_case, &(f)->fi_name   \
    }

static void fire_params_free(struct fire_params *f)
{
    struct buf *all[] = FIRE_PARAMS_BUFS(f);
    for (size_t i = 0; i < RELAY_ARRAY_LEN(all); i++)
        free(all[i]->p);
}

/* 1 when list ("name:severity,..." when named, else "severity,...") holds a
 * severity at least sev; other batches' due milestones outrank at equal
 * severity too (the latest of the most severe fires, and theirs are not
 * earlier than ours in any way that matters: either fires the same events). */
static int outranked(const char *list, int named, enum severity sev)
{
    char copy[256];
    char *save = NULL;
    if (!list || !*list)
        return 0;
    snprintf(copy, sizeof(copy), "%s", list);
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        const char *sv = tok;
        if (named) {
            char *colon = strchr(tok, ':');
            if (!colon)
                continue;
            sv = colon + 1;
        }
        enum severity x;
        if (severity_parse(sv, &x) == 0 && x >= sev)
            return 1;
    }
    return 0;
}

/* A milestone that fires with events, to build once the fire is sent. */
struct to_build {
    int row;
    enum milestone m;
    enum severity sev;
};

/* One claimed case: decide what fires and add its rows; *tb is set when it
 * has events to build. */
static int plan_case(struct batch *b, PGresult *res, int row, struct fire_params *f,
                     struct to_build *tb, int *has_tb)
{
    *has_tb = 0;
    int64_t case_id = int_value(res, row, C_ID);
    const char *ref = value(res, row, C_REF);
    const char *state = value(res, row, C_STATE);
    const char *list = value(res, row, C_DUE);
    if (!ref || !state || !list)
        return 0;
    if (strcmp(value(res, row, C_LOCKED) ? value(res, row, C_LOCKED) : "f", "t") != 0) {
        b->deferred++;
        return 0; /* left pending: the next batch takes it */
    }

    /* "name:severity:lateness_ms,..." in due order */
    struct window_milestone due[MILESTONE_COUNT];
    int64_t lateness[MILESTONE_COUNT];
    int ndue = 0;
    char copy[256];
    snprintf(copy, sizeof(copy), "%s", list);
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok && ndue < MILESTONE_COUNT;
         tok = strtok_r(NULL, ",", &save)) {
        char *c1 = strchr(tok, ':');
        char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2)
            continue;
        *c1 = *c2 = '\0';
        struct window_milestone *m = &due[ndue];
        memset(m, 0, sizeof(*m));
        if (milestone_parse(tok, &m->name) != 0 || severity_parse(c1 + 1, &m->severity) != 0)
            continue;
        lateness[ndue] = strtoll(c2 + 1, NULL, 10);
        ndue++;
    }
    if (ndue == 0)
        return 0;

    int open = strcmp(state, "open") == 0;
    int fire = -1; /* index in due of the milestone that fires */
    enum severity worst = SEVERITY_ALERT;
    if (open && window_collapse(due, ndue, &worst) == 0) {
        /* The latest of the most severe (due order is severity order). */
        for (int i = 0; i < ndue; i++) {
            if (due[i].severity == worst)
                fire = i;
        }
        /* Unless a milestone at least as severe is due and held by another
         * batch (which fires it: these collapse into it), or has fired
         * already (these are stale): two batches that share a case's due
         * milestones still fire only the most severe. */
        if (outranked(value(res, row, C_OTHERS), 1, worst) ||
            outranked(value(res, row, C_FIRED), 0, worst))
            fire = -1;
    }
    for (int i = 0; i < ndue; i++) {
        arr_int(&f->ms_case, case_id);
        arr_cstr(&f->ms_name, milestone_name(due[i].name));
        arr_cstr(&f->ms_state, i == fire ? "fired" : "skipped");
        f->nms++;
        if (i == fire) {
            b->fired[due[i].name]++;
            b->lateness_ms[b->nlateness++] = lateness[i] < 0 ? 0 : lateness[i];
        } else if (open) {
            b->skipped_collapsed++;
        } else {
            b->skipped_closed++;
        }
    }
    if (fire < 0)
        return 0;
    enum milestone m = due[fire].name;
    if (m == MILESTONE_ALERT)
        return 0; /* the intake's commit published the alert */
    /* Nobody new is recorded as addressed: the banks were at intake (the
     * alert of an open window reaches every bank a reminder does, from the
     * same BICs), and the police unit a reminder or a critical reaches is
     * known from the milestone fired (relay48_addressees, sql/015). */
    if (m == MILESTONE_EXPIRY)
        arr_int(&f->expire, case_id);
    arr_int(&f->fi_case, case_id);
    arr_cstr(&f->fi_name, milestone_name(m));
    tb->row = row;
    tb->m = m;
    tb->sev = worst;
    *has_tb = 1;
    return 0;
}

static void on_claim(PGresult *res, void *arg)
{
    struct batch *b = arg;
    struct worker *w = b->w;
    struct scheduler *s = w->s;
    struct fire_params f;
    memset(&f, 0, sizeof(f));
    struct to_build *tb = NULL;
    int ntb = 0;
    b->outstanding--;
    if (!res) { /* connection lost: the server rolled back */
        finish(b);
        return;
    }
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        log_error("scheduler.claim_failed", "%s", PQresultErrorMessage(res));
        finish(b);
        return;
    }
    if (PQnfields(res) != C_COUNT) { /* the statement and the enum disagree: a bug */
        log_error("scheduler.claim_failed", "%d columns, %d expected", PQnfields(res), C_COUNT);
        finish(b);
        return;
    }
    b->claim_ok = 1;
    b->phase = 2;
    int n = PQntuples(res);
    b->cases = n;
    if (n > 0) {
        b->candidates = (int)int_value(res, 0, C_CANDIDATES);
        b->now_s = int_value(res, 0, C_NOW);
        b->now_us = int_value(res, 0, C_NOW_US);
        b->lateness_ms = calloc((size_t)n, sizeof(int64_t));
        tb = calloc((size_t)n, sizeof(*tb));
        struct buf *all[] = FIRE_PARAMS_BUFS(&f);
        for (size_t i = 0; i < RELAY_ARRAY_LEN(all); i++)
            arr_open(all[i]);
        int bad = !b->lateness_ms || !tb;
        for (int i = 0; i < n && !bad; i++) {
            int has = 0;
            bad = plan_case(b, res, i, &f, &tb[ntb], &has) != 0;
            ntb += has;
        }
        for (size_t i = 0; i < RELAY_ARRAY_LEN(all); i++) {
            arr_close(all[i]);
            bad |= all[i]->failed;
        }
        if (bad) {
            log_error("scheduler.out_of_memory", "cannot build a batch of %d case(s)", n);
            fire_params_free(&f);
            free(tb);
            b->phase = 1;
            b->claim_ok = 0; /* finish rolls back */
            finish(b);
            return;
        }
    }
    /* Held while this callback runs: a connection lost under db_send or
     * db_sync answers the statements queued at once (NULL), and the batch
     * must outlive them. */
    b->outstanding++;
    char nms[16];
    snprintf(nms, sizeof(nms), "%d", f.nms);
    const char *p[FIRE_PARAMS] = {f.ms_case.p, f.ms_name.p, f.ms_state.p, f.expire.p,
                                  s->instance, f.fi_case.p, f.fi_name.p,  nms};
    int ok = 1;
    if (n > 0) {
        ok = db_send(w->db, "sched_fire", NULL, FIRE_PARAMS, p, on_fire, b) == 0;
        b->outstanding += ok;
    }
    if (ok) {
        ok = db_send(w->db, NULL, "COMMIT", 0, NULL, on_commit, b) == 0;
        b->outstanding += ok;
    }
    /* When to look again: not asked after a full claim (more is due, and
     * the earliest pending is then behind the entries of the milestones
     * just fired, which the index still holds: 0.2-0.3 ms a batch in
     * pg_stat_statements). */
    if (ok && (n == 0 || b->candidates < s->opt.batch_max) &&
        db_send(w->db, "sched_next", NULL, 0, NULL, on_next, b) == 0)
        b->outstanding++;
    fire_params_free(&f);
    if (db_sync(w->db) != 0)
        log_warn("scheduler.sync_lost", "connection lost while firing a batch");
    /* While the server fires: the events, published once the commit is
     * answered (nothing of them goes to the database). */
    for (int i = 0; i < ntb && db_ready(w->db); i++) {
        if (build_events(s, res, tb[i].row, tb[i].m, tb[i].sev, b->now_us, &b->events) != 0) {
            /* Published by the sweep, built again, once the firing is stale. */
            log_error("scheduler.build_failed", "cannot build the events of a batch");
            evlist_free(&b->events);
            b->build_failed = 1;
            break;
        }
    }
    free(tb);
    settle(b);
}

static int start_batch(struct worker *w)
{
    struct scheduler *s = w->s;
    struct batch *b = calloc(1, sizeof(*b));
    if (!b)
        return -1;
    b->w = w;
    b->phase = 1;
    b->t_start = mono_us();
    char limit[16];
    snprintf(limit, sizeof(limit), "%d", s->opt.batch_max);
    const char *p[1] = {limit};
    if (db_send(w->db, NULL, "BEGIN", 0, NULL, NULL, NULL) != 0 ||
        db_send(w->db, "sched_claim", NULL, 1, p, on_claim, b) != 0) {
        free(b);
        return -1;
    }
    b->outstanding = 1;
    w->b = b;
    s->busy++;
    if (db_sync(w->db) != 0)
        log_warn("scheduler.sync_lost", "connection lost while claiming");
    return 0;
}

/* ---- firings sweep ---------------------------------------------------------- */

/*
 * Firings older than outbox.sweep_age_ms that this process does not hold
 * (a crashed relay's, one whose events failed, one whose events could not
 * be built) are read again with their milestones and cases, and their
 * events built and produced again with the same ids. One query at a time,
 * on an idle connection, a page of ids then one firing per query; the
 * first sweep after start takes every firing whatever its age.
 */
static void on_stale(PGresult *res, void *arg);
static void on_refire(PGresult *res, void *arg);

static void sweep_reset(struct scheduler *s)
{
    s->sweep_wanted = 0;
    s->sweep_listed = 0;
    s->sweep_cursor = 0;
    s->nstale = s->istale = 0;
}

static void sweep_send(struct worker *w, const char *name, int nparams, const char *const *p,
                       db_result_fn cb)
{
    struct scheduler *s = w->s;
    if (db_send(w->db, name, NULL, nparams, p, cb, w) != 0)
        return;
    w->sweep = 1;
    s->sweep_out = 1;
    if (db_sync(w->db) != 0)
        log_warn("scheduler.sync_lost", "connection lost while sweeping firings");
}

/* The next step of the sweep under way, on idle worker w. */
static void sweep_next(struct worker *w)
{
    struct scheduler *s = w->s;
    if (s->stopping || !s->sweep_wanted || s->sweep_out || !db_ready(w->db))
        return;
    while (s->istale < s->nstale && outbox_firing_held(s->outbox, s->stale[s->istale]))
        s->istale++;
    if (s->istale < s->nstale) {
        if (!kafka_room(s))
            return; /* the next kick goes on */
        char id[24];
        w->sweep_id = s->stale[s->istale++];
        snprintf(id, sizeof(id), "%" PRId64, w->sweep_id);
        const char *p[1] = {id};
        sweep_send(w, "sched_refire", 1, p, on_refire);
        return;
    }
    if (!s->sweep_listed || s->nstale == STALE_PAGE) {
        if (!s->sweep_listed)
            s->sweep_age_ms = s->sweep_first_done ? s->opt.sweep_age_ms : 0;
        char cursor[24], age[16];
        snprintf(cursor, sizeof(cursor), "%" PRId64, s->sweep_cursor);
        snprintf(age, sizeof(age), "%d", s->sweep_age_ms);
        const char *p[2] = {cursor, age};
        w->sweep_id = 0;
        sweep_send(w, "sched_stale", 2, p, on_stale);
        return;
    }
    sweep_reset(s); /* done */
}

/* A sweep query answered: go on with the sweep, or with the firing. */
static void sweep_answered(struct worker *w)
{
    struct scheduler *s = w->s;
    w->sweep = 0;
    s->sweep_out = 0;
    if (s->stopping)
        return;
    sweep_next(w);
    kick(s, 1);
}

static void on_stale(PGresult *res, void *arg)
{
    struct worker *w = arg;
    struct scheduler *s = w->s;
    if (res && PQresultStatus(res) == PGRES_TUPLES_OK) {
        int n = PQntuples(res);
        s->nstale = 0;
        s->istale = 0;
        for (int i = 0; i < n && i < STALE_PAGE; i++)
            s->stale[s->nstale++] = int_value(res, i, 0);
        if (s->nstale)
            s->sweep_cursor = s->stale[s->nstale - 1];
        s->sweep_listed = 1;
    } else {
        if (res)
            log_warn("scheduler.sweep_failed", "%s", PQresultErrorMessage(res));
        sweep_reset(s); /* the next tick tries again, by age */
    }
    s->sweep_first_done = 1; /* batches may start */
    sweep_answered(w);
}

static void on_refire(PGresult *res, void *arg)
{
    struct worker *w = arg;
    struct scheduler *s = w->s;
    if (res && PQresultStatus(res) == PGRES_TUPLES_OK && PQnfields(res) != C_COUNT) {
        /* The statement and the enum disagree: a bug, never events with wrong ids. */
        log_error("scheduler.refire_failed", "%d columns, %d expected", PQnfields(res), C_COUNT);
    } else if (res && PQresultStatus(res) == PGRES_TUPLES_OK) {
        struct evlist events = {0};
        int n = PQntuples(res), bad = 0;
        int64_t fired_s = n ? int_value(res, 0, C_NOW) : 0;
        for (int i = 0; i < n && !bad; i++) {
            /* "name:severity:0" */
            char copy[64];
            snprintf(copy, sizeof(copy), "%s", value(res, i, C_DUE) ? value(res, i, C_DUE) : "");
            char *c1 = strchr(copy, ':');
            char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
            enum milestone m;
            enum severity sev;
            if (!c2)
                continue;
            *c1 = *c2 = '\0';
            if (milestone_parse(copy, &m) != 0 || severity_parse(c1 + 1, &sev) != 0)
                continue;
            bad = build_events(s, res, i, m, sev, int_value(res, i, C_NOW_US), &events) != 0;
        }
        if (bad) {
            log_error("scheduler.build_failed", "cannot build the events of firing %" PRId64,
                      w->sweep_id);
        } else {
            /* No row (cases purged): nothing to publish, the firing is deleted. */
            log_info("scheduler.refire",
                     "firing %" PRId64 ": %d event(s) of %d milestone(s) sent "
                     "again",
                     w->sweep_id, events.n, n);
            publish(s, w->sweep_id, fired_s, &events);
            metrics_add("relay48_firings_swept_total", 1);
        }
        evlist_free(&events);
    } else if (res) {
        log_warn("scheduler.sweep_failed", "%s", PQresultErrorMessage(res));
    }
    sweep_answered(w);
}

static void on_sweep_tick(evutil_socket_t fd, short what, void *arg)
{
    struct scheduler *s = arg;
    if (s->stopping)
        return;
    s->sweep_wanted = 1;
    for (int i = 0; i < s->nw && !s->sweep_out; i++) {
        struct worker *w = &s->w[i];
        if (!w->b && !w->stats && !w->sweep)
            sweep_next(w);
    }
}

/* ---- gauges ------------------------------------------------------------------ */

static void on_stats(PGresult *res, void *arg)
{
    struct worker *w = arg;
    w->stats = 0;
    if (res && PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
        metrics_set("relay48_outbox_backlog", int_value(res, 0, 0));
        metrics_set("relay48_outbox_oldest_age_seconds", int_value(res, 0, 1) / 1000);
        metrics_set("relay48_firings_unconfirmed", int_value(res, 0, 2));
    }
    if (w->s->busy == 0 && !w->s->stopping)
        kick(w->s, 0);
}

static void on_pending(PGresult *res, void *arg)
{
    (void)arg;
    if (res && PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
        metrics_set("relay48_milestones_pending", int_value(res, 0, 0));
}

static void on_stats_tick(evutil_socket_t fd, short what, void *arg)
{
    struct scheduler *s = arg;
    if (s->stopping)
        return;
    /* On a connection with no transaction open, so that a failure of this
     * query cannot abort a batch. */
    for (int i = s->nw - 1; i >= 0; i--) {
        struct worker *w = &s->w[i];
        if (w->b || w->stats || w->sweep || !db_ready(w->db))
            continue;
        int64_t now = mono_us();
        if ((s->pending_at_us == 0 ||
             now - s->pending_at_us >= (int64_t)s->opt.pending_interval_ms * 1000) &&
            db_send(w->db, "sched_pending", NULL, 0, NULL, on_pending, w) == 0)
            s->pending_at_us = now;
        if (db_send(w->db, "sched_stats", NULL, 0, NULL, on_stats, w) == 0) {
            w->stats = 1;
            if (db_sync(w->db) != 0)
                log_warn("scheduler.sync_lost", "connection lost while reading gauges");
        }
        return;
    }
}

/* ---- connections -------------------------------------------------------------- */

static void on_db_state(int ready, void *arg)
{
    struct worker *w = arg;
    struct scheduler *s = w->s;
    if (!ready)
        return;
    if (w->idx == 0 &&
        (db_send(w->db, NULL, "LISTEN relay48_milestones", 0, NULL, NULL, NULL) != 0 ||
         db_sync(w->db) != 0))
        log_warn("scheduler.listen_failed", "cannot LISTEN relay48_milestones");
    /* (Re)connected: whatever fell due meanwhile (a restart) fires now, once
     * the first sweep after start has listed the firings left unconfirmed. */
    kick(s, 1);
}

/* Loop thread. payload: due time in ms since the epoch. */
static void on_notify(const char *channel, const char *payload, void *arg)
{
    struct worker *w = arg;
    struct scheduler *s = w->s;
    if (strcmp(channel, "relay48_milestones") != 0)
        return;
    int64_t due_ms = payload ? strtoll(payload, NULL, 10) : 0;
    int64_t delay = due_ms > 0 ? due_ms - wall_ms() : 0;
    arm(s, delay > 0 ? delay + 1 : 0);
}

static int prepare(struct db *db)
{
    if (db_prepare(db, "sched_claim", sql_claim, 1) != 0 ||
        db_prepare(db, "sched_fire", sql_fire, FIRE_PARAMS) != 0 ||
        db_prepare(db, "sched_next", sql_next, 0) != 0 ||
        db_prepare(db, "sched_stats", sql_stats, 0) != 0 ||
        db_prepare(db, "sched_pending", sql_pending, 0) != 0 ||
        db_prepare(db, "sched_stale", sql_stale, 2) != 0 ||
        db_prepare(db, "sched_refire", sql_refire, 1) != 0)
        return -1;
    return 0;
}

struct scheduler *scheduler_new(struct event_base *base, const struct scheduler_options *opt,
                                struct outbox *outbox, struct bankdir *dir, char *errstr,
                                size_t errstr_size)
{
    if (opt->connections < 1 || opt->connections > SCHEDULER_MAX_CONNECTIONS ||
        opt->batch_max < 1 || opt->poll_ms < 1 || opt->sweep_interval_ms < 1 ||
        opt->sweep_age_ms < 0) {
        snprintf(errstr, errstr_size, "scheduler: bad options");
        return NULL;
    }
    struct scheduler *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    s->base = base;
    s->outbox = outbox;
    s->dir = dir;
    s->opt = *opt;
    s->backoff_ms = BACKOFF_MIN_MS;
    s->conninfo = strdup(opt->conninfo);
    s->instance = strdup(opt->instance ? opt->instance : "relay48");
    s->opt.conninfo = s->conninfo;
    s->opt.instance = s->instance;
    s->ev_wake = evtimer_new(base, on_wake, s);
    s->ev_stats = event_new(base, -1, EV_PERSIST, on_stats_tick, s);
    s->ev_sweep = event_new(base, -1, EV_PERSIST, on_sweep_tick, s);
    if (!s->conninfo || !s->instance || !s->ev_wake || !s->ev_stats || !s->ev_sweep) {
        snprintf(errstr, errstr_size, "out of memory");
        goto fail;
    }
    s->sweep_wanted = 1; /* the first sweep, once connected */
    metrics_describe("relay48_milestones_fired_total", METRIC_COUNTER,
                     "Milestones fired by the scheduler, by milestone.");
    metrics_describe("relay48_milestones_skipped_total", METRIC_COUNTER,
                     "Milestones skipped by the scheduler: collapsed into a more severe one due "
                     "at the same time, or the case was no longer open.");
    metrics_describe("relay48_milestones_pending", METRIC_GAUGE,
                     "Milestones pending in the database (periodic query).");
    metrics_describe("relay48_milestone_lateness_seconds", METRIC_HISTOGRAM,
                     "Fired time minus due time of the milestones fired.");
    metrics_describe("relay48_scheduler_batches_total", METRIC_COUNTER,
                     "Scheduler transactions that fired or skipped milestones.");
    metrics_describe("relay48_scheduler_batch_seconds", METRIC_HISTOGRAM,
                     "Time of a firing transaction, from its claim to its commit answered.");
    metrics_describe("relay48_scheduler_batch_failures_total", METRIC_COUNTER,
                     "Scheduler transactions that failed (retried).");
    metrics_describe("relay48_outbox_backlog", METRIC_GAUGE,
                     "Outbox rows and new cases of intake batches not yet confirmed by Kafka "
                     "(periodic query).");
    metrics_describe("relay48_outbox_oldest_age_seconds", METRIC_GAUGE,
                     "Age of the oldest outbox row, intake batch or firing not yet confirmed by "
                     "Kafka "
                     "(periodic query).");
    metrics_describe("relay48_firings_unconfirmed", METRIC_GAUGE,
                     "Milestones fired whose events Kafka has not all confirmed (periodic "
                     "query of the firings).");
    metrics_describe("relay48_firings_swept_total", METRIC_COUNTER,
                     "Firings published again by this relay's sweep (a crashed relay's, or "
                     "events that failed).");
    s->nw = opt->connections;
    for (int i = 0; i < s->nw; i++) {
        struct worker *w = &s->w[i];
        w->s = s;
        w->idx = i;
        char name[32];
        snprintf(name, sizeof(name), "scheduler%d", i);
        struct db_options dbo = {.conninfo = s->conninfo,
                                 .name = name,
                                 .retry_max_ms = opt->retry_max_ms,
                                 .on_state = on_db_state,
                                 .on_notify = i == 0 ? on_notify : NULL,
                                 .arg = w};
        w->db = db_new(base, &dbo, errstr, errstr_size);
        if (!w->db || prepare(w->db) != 0) {
            if (w->db)
                snprintf(errstr, errstr_size, "scheduler: cannot register statements");
            goto fail;
        }
    }
    struct timeval tv = {opt->stats_interval_ms / 1000, (opt->stats_interval_ms % 1000) * 1000};
    event_add(s->ev_stats, &tv);
    struct timeval sv = {opt->sweep_interval_ms / 1000, (opt->sweep_interval_ms % 1000) * 1000};
    event_add(s->ev_sweep, &sv);
    arm(s, s->opt.poll_ms);
    return s;
fail:
    scheduler_free(s);
    return NULL;
}

void scheduler_stop(struct scheduler *s)
{
    if (!s)
        return;
    s->stopping = 1;
    evtimer_del(s->ev_wake);
    s->wake_at_us = 0;
}

int scheduler_busy(const struct scheduler *s)
{
    return s ? s->busy : 0;
}

void scheduler_free(struct scheduler *s)
{
    if (!s)
        return;
    s->stopping = 1;
    /* db_free answers pending statements with NULL: batches finish there. */
    for (int i = 0; i < s->nw; i++) {
        db_free(s->w[i].db);
        s->w[i].db = NULL;
    }
    if (s->ev_wake)
        event_free(s->ev_wake);
    if (s->ev_stats)
        event_free(s->ev_stats);
    if (s->ev_sweep)
        event_free(s->ev_sweep);
    free(s->conninfo);
    free(s->instance);
    free(s);
}
