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

/*
 * Claim: due milestones (SKIP LOCKED, so that concurrent claimers share them
 * out), then every due pending milestone of the same cases (SKIP LOCKED
 * again, so that no claimer ever waits: the lock re-reads each row, so one
 * fired or skipped meanwhile is not returned), with their case rows read but
 * not locked; an acknowledgement that resolves a case skips its pending
 * milestones under the same row locks. A case whose expiry is due is locked
 * too (SKIP LOCKED: one being acknowledged is left for the next batch), as
 * its state changes. Nothing here ever waits for a lock, so the scheduler
 * cannot deadlock with the acknowledgements.
 */
static const char sql_claim[] =
    "WITH cand AS ("
    "  SELECT case_id FROM milestones WHERE state = 'pending' AND due_at <= now()"
    "  ORDER BY due_at LIMIT $1 FOR UPDATE SKIP LOCKED),"
    " due AS ("
    "  SELECT m.case_id, m.name, m.severity, m.due_at FROM milestones m"
    "  WHERE m.case_id IN (SELECT case_id FROM cand) AND m.state = 'pending'"
    "    AND m.due_at <= now()"
    "  FOR UPDATE OF m SKIP LOCKED),"
    " d AS ("
    "  SELECT case_id, string_agg(name || ':' || severity || ':' ||"
    "    floor(extract(epoch FROM now() - due_at) * 1000)::bigint, ',' ORDER BY due_at) AS list,"
    "    bool_or(name = 'expiry') AS expiring"
    "  FROM due GROUP BY case_id),"
    " xl AS ("
    "  SELECT c.id FROM cases c WHERE c.id IN (SELECT case_id FROM d WHERE expiring)"
    "  FOR UPDATE OF c SKIP LOCKED)"
    " SELECT c.id, c.ref, c.kind, c.rail, c.state, c.window_state,"
    "  floor(extract(epoch FROM c.start_at))::bigint,"
    "  floor(extract(epoch FROM c.received_at))::bigint,"
    "  floor(extract(epoch FROM c.deadline_at))::bigint,"
    "  c.amount_minor, c.currency, c.debtor_iban, c.debtor_bic, c.creditor_iban,"
    "  c.creditor_bic, c.card_bin, c.card_last4, c.receipt, c.scenario, c.departement,"
    "  c.details::text,"
    "  (SELECT coalesce(json_agg(l.ref ORDER BY l.id), '[]') FROM ("
    "    SELECT c2.id, c2.ref FROM mule_links ml JOIN cases c2 ON c2.id = ml.case_id"
    "    WHERE c.creditor_iban IS NOT NULL AND ml.iban = c.creditor_iban"
    "      AND c2.state = 'open' AND c2.id <> c.id ORDER BY c2.id LIMIT 100) l)::text,"
    "  d.list, floor(extract(epoch FROM now()))::bigint, (SELECT count(*) FROM cand),"
    "  NOT d.expiring OR c.id IN (SELECT id FROM xl),"
    "  (SELECT string_agg(a.party, ',') FROM case_addressees a WHERE a.case_id = c.id)"
    " FROM d JOIN cases c ON c.id = d.case_id";

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
    C_KNOWN,  /* the parties it was already addressed to, comma-separated */
    C_COUNT
};

/* Fire: one statement for the whole batch, from arrays (unnest). Fails when
 * a milestone was not pending any more, which the locks above exclude. */
#define FIRE_PARAMS 14
static const char sql_fire[] =
    "WITH upd AS ("
    "  UPDATE milestones m SET state = u.s, fired_at = CASE WHEN u.s = 'fired' THEN now() END"
    "  FROM unnest($1::bigint[], $2::text[], $3::text[]) AS u(c, n, s)"
    "  WHERE m.case_id = u.c AND m.name = u.n AND m.state = 'pending' RETURNING 1),"
    " exp AS ("
    "  UPDATE cases SET state = 'expired' WHERE id = ANY ($4::bigint[]) AND state = 'open'"
    "  RETURNING 1),"
    " ad AS ("
    "  INSERT INTO case_addressees (case_id, party, role, first_escalated_at)"
    "  SELECT a.c, a.p, a.r, now() FROM unnest($5::bigint[], $6::text[], $7::text[]) AS a(c, p, r)"
    "  ON CONFLICT (case_id, party) DO NOTHING RETURNING 1),"
    " ob AS ("
    "  INSERT INTO outbox (event_id, topic, key, type, case_ref, payload)"
    "  SELECT * FROM unnest($8::uuid[], $9::text[], $10::text[], $11::text[], $12::text[],"
    "    $13::text[])"
    "  RETURNING id, event_id)"
    " SELECT relay48_assert((SELECT count(*) FROM upd) = $14::int,"
    "    'a claimed milestone was not pending'),"
    "  (SELECT count(*) FROM exp), (SELECT count(*) FROM ad),"
    "  (SELECT string_agg(id::text || ' ' || event_id::text, ',') FROM ob)";

/* Milliseconds until the earliest pending milestone (<= 0: one is due but
 * was not claimable), NULL when none is pending. */
static const char sql_next[] =
    "SELECT floor(extract(epoch FROM min(due_at) - clock_timestamp()) * 1000)::bigint "
    "FROM milestones WHERE state = 'pending'";

/* The outbox holds exactly what Kafka has not confirmed (rows are deleted
 * from their delivery reports). */
static const char sql_stats[] =
    "SELECT (SELECT count(*) FROM milestones WHERE state = 'pending'),"
    " (SELECT count(*) FROM outbox),"
    " (SELECT coalesce(floor(extract(epoch FROM now() - min(created_at)) * 1000), 0)::bigint"
    "  FROM outbox)";

#define BACKOFF_MIN_MS 10

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

struct sched_event {
    struct escalate_event ev;
    char ref[IDS_REF_SIZE];
    int64_t row_id;
};

struct worker;

struct batch {
    struct worker *w;
    int outstanding; /* statements queued whose callback has not run */
    int phase;       /* 1 claim, 2 fire */
    int claim_ok;
    int candidates, cases;
    int64_t now_s;
    struct sched_event *ev;
    int nev, cap_ev;
    /* what the fire changes, for metrics once committed */
    int fired[MILESTONE_COUNT];
    int skipped_collapsed, skipped_closed;
    int deferred; /* cases left for the next batch (expiry, case locked) */
    int64_t *lateness_ms;
    int nlateness;
    /* results */
    int fire_ok, commit_ok, next_ok, next_null;
    int64_t next_ms;
    char *rows;      /* "id event_id,..." */
    int64_t t_start; /* monotonic, for relay48_scheduler_batch_seconds */
};

struct worker {
    struct scheduler *s;
    struct db *db;
    int idx;
    struct batch *b;
    int stats; /* a stats query is out */
};

struct scheduler {
    struct event_base *base;
    struct outbox *outbox;
    struct bankdir *dir;
    struct scheduler_options opt;
    char *conninfo;
    struct worker w[SCHEDULER_MAX_CONNECTIONS];
    int nw;
    struct event *ev_wake, *ev_stats;
    int64_t wake_at_us; /* monotonic deadline of ev_wake, 0 when not armed */
    int backoff_ms;
    int stopping;
    int busy; /* batches in flight */
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

static void batch_free(struct batch *b)
{
    if (!b)
        return;
    for (int i = 0; i < b->nev; i++)
        free(b->ev[i].ev.payload);
    free(b->ev);
    free(b->lateness_ms);
    free(b->rows);
    free(b);
}

static int start_batch(struct worker *w);

/* Start idle, connected workers: one (a timer or a notification: the batch
 * tells whether more are needed) or all (more work is known to be due). */
static void kick(struct scheduler *s, int all)
{
    if (s->stopping)
        return;
    int started = 0, idle = 0;
    for (int i = 0; i < s->nw; i++) {
        struct worker *w = &s->w[i];
        if (w->b || w->stats)
            continue;
        if (!db_ready(w->db)) {
            idle++;
            continue;
        }
        if (start_batch(w) == 0)
            started++;
        else
            idle++;
        if (started && !all)
            break;
    }
    if (!started && !s->busy)
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

/* ---- fire --------------------------------------------------------------------- */

static void publish(struct batch *b)
{
    struct scheduler *s = b->w->s;
    char when[TIMEUTIL_UTC_SIZE];
    if (rfc3339_format_utc(b->now_s, when, sizeof(when)) != 0)
        snprintf(when, sizeof(when), "1970-01-01T00:00:00Z");
    /* rows: "id event_id,id event_id", in insertion order in practice; matched
     * by event id whatever the order. */
    const char *p = b->rows;
    int k = 0;
    while (p && *p) {
        char *end = NULL;
        int64_t id = strtoll(p, &end, 10);
        if (!end || *end != ' ')
            break;
        const char *uuid = end + 1;
        size_t ulen = strcspn(uuid, ",");
        int found = -1;
        if (k < b->nev && ulen == IDS_UUID_SIZE - 1 && strncmp(b->ev[k].ev.id, uuid, ulen) == 0) {
            found = k;
        } else {
            for (int i = 0; i < b->nev; i++) {
                if (ulen == IDS_UUID_SIZE - 1 && strncmp(b->ev[i].ev.id, uuid, ulen) == 0) {
                    found = i;
                    break;
                }
            }
        }
        if (found >= 0) {
            struct escalate_event *e = &b->ev[found].ev;
            outbox_publish_one(s->outbox, id, e->id, e->topic, e->key, e->type, when, e->payload,
                               e->payload_len);
            k = found + 1;
        }
        p = uuid + ulen;
        if (*p == ',')
            p++;
    }
}

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
            publish(b);
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
        if (start_batch(w) != 0)
            arm(s, s->backoff_ms);
        kick(s, 1); /* more is due: every idle connection helps */
        return;
    }
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
        if (!PQgetisnull(res, 0, 3))
            b->rows = strdup(PQgetvalue(res, 0, 3));
        if (!PQgetisnull(res, 0, 3) && !b->rows)
            b->fire_ok = 0;
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
                 "connection lost during the commit of %d case(s): the outbox sweep publishes "
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

static int add_event(struct batch *b, struct escalate_event *e, const char *ref)
{
    if (b->nev == b->cap_ev) {
        int ncap = b->cap_ev ? b->cap_ev * 2 : 256;
        struct sched_event *n = realloc(b->ev, (size_t)ncap * sizeof(*n));
        if (!n)
            return -1;
        b->ev = n;
        b->cap_ev = ncap;
    }
    struct sched_event *se = &b->ev[b->nev++];
    se->ev = *e;
    snprintf(se->ref, sizeof(se->ref), "%s", ref);
    se->row_id = 0;
    return 0;
}

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

/* 1 when party is one of the comma-separated list. */
static int listed(const char *list, const char *party)
{
    size_t n = strlen(party);
    for (const char *p = list; p && *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && strncmp(p, party, n) == 0)
            return 1;
        p = end ? end + 1 : NULL;
    }
    return 0;
}

/* The parameter arrays of the fire statement. */
struct fire_params {
    struct buf ms_case, ms_name, ms_state, expire, ad_case, ad_party, ad_role;
    struct buf ev_id, ev_topic, ev_key, ev_type, ev_ref, ev_payload;
    int nms;
};

static void fire_params_free(struct fire_params *f)
{
    struct buf *all[] = {&f->ms_case,  &f->ms_name, &f->ms_state,  &f->expire,   &f->ad_case,
                         &f->ad_party, &f->ad_role, &f->ev_id,     &f->ev_topic, &f->ev_key,
                         &f->ev_type,  &f->ev_ref,  &f->ev_payload};
    for (size_t i = 0; i < RELAY_ARRAY_LEN(all); i++)
        free(all[i]->p);
}

/* One claimed case: decide what fires, build its events, add its rows. */
static int plan_case(struct batch *b, PGresult *res, int row, struct fire_params *f)
{
    struct scheduler *s = b->w->s;
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
    if (m == MILESTONE_EXPIRY)
        arr_int(&f->expire, case_id);

    json_t *details =
        json_loads(value(res, row, C_DETAILS) ? value(res, row, C_DETAILS) : "{}", 0, NULL);
    json_t *linked =
        json_loads(value(res, row, C_LINKED) ? value(res, row, C_LINKED) : "[]", 0, NULL);
    char debtor_name[128], creditor_name[128];
    bank_name(s, value(res, row, C_DEBTOR_IBAN), value(res, row, C_DEBTOR_BIC), debtor_name,
              sizeof(debtor_name));
    bank_name(s, value(res, row, C_CREDITOR_IBAN), value(res, row, C_CREDITOR_BIC), creditor_name,
              sizeof(creditor_name));
    struct escalate_case c = {
        .id = case_id,
        .ref = ref,
        .kind = value(res, row, C_KIND),
        .rail = value(res, row, C_RAIL),
        .state = state,
        .window_state = value(res, row, C_WINDOW_STATE),
        .start_at = int_value(res, row, C_START),
        .received_at = int_value(res, row, C_RECEIVED),
        .deadline_at = int_value(res, row, C_DEADLINE),
        .amount_minor = int_value(res, row, C_AMOUNT),
        .currency = value(res, row, C_CURRENCY),
        .debtor_iban = value(res, row, C_DEBTOR_IBAN),
        .debtor_bic = value(res, row, C_DEBTOR_BIC),
        .creditor_iban = value(res, row, C_CREDITOR_IBAN),
        .creditor_bic = value(res, row, C_CREDITOR_BIC),
        .card_bin = value(res, row, C_CARD_BIN),
        .card_last4 = value(res, row, C_CARD_LAST4),
        .receipt = value(res, row, C_RECEIPT),
        .scenario = value(res, row, C_SCENARIO),
        .departement = value(res, row, C_DEPARTEMENT),
        .debtor_bank_name = debtor_name,
        .creditor_bank_name = creditor_name,
        .details = details,
        .linked_cases = linked,
    };
    struct escalate_event ev[ESCALATE_EVENTS_MAX];
    int n = escalate_milestone(&c, m, worst, b->now_s * 1000000, ev, ESCALATE_EVENTS_MAX);
    json_decref(details);
    json_decref(linked);
    if (n < 0)
        return -1;
    for (int i = 0; i < n; i++) {
        struct escalate_event *e = &ev[i];
        if (add_event(b, e, ref) != 0) {
            escalate_events_free(ev + i, n - i);
            return -1;
        }
        arr_cstr(&f->ev_id, e->id);
        arr_cstr(&f->ev_topic, e->topic);
        arr_cstr(&f->ev_key, e->key);
        arr_cstr(&f->ev_type, e->type);
        arr_cstr(&f->ev_ref, ref);
        arr_str(&f->ev_payload, e->payload, e->payload_len);
        if (e->party[0] && !listed(value(res, row, C_KNOWN), e->party)) {
            arr_int(&f->ad_case, case_id);
            arr_cstr(&f->ad_party, e->party);
            arr_cstr(&f->ad_role, escalate_role_name(e->role));
        }
    }
    return 0;
}

static void on_claim(PGresult *res, void *arg)
{
    struct batch *b = arg;
    struct worker *w = b->w;
    struct fire_params f;
    memset(&f, 0, sizeof(f));
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
    b->claim_ok = 1;
    b->phase = 2;
    int n = PQntuples(res);
    b->cases = n;
    if (n > 0) {
        b->candidates = (int)int_value(res, 0, C_CANDIDATES);
        b->now_s = int_value(res, 0, C_NOW);
        b->lateness_ms = calloc((size_t)n, sizeof(int64_t));
        struct buf *all[] = {&f.ms_case,  &f.ms_name, &f.ms_state,  &f.expire,   &f.ad_case,
                             &f.ad_party, &f.ad_role, &f.ev_id,     &f.ev_topic, &f.ev_key,
                             &f.ev_type,  &f.ev_ref,  &f.ev_payload};
        for (size_t i = 0; i < RELAY_ARRAY_LEN(all); i++)
            arr_open(all[i]);
        int bad = !b->lateness_ms;
        for (int i = 0; i < n && !bad; i++)
            bad = plan_case(b, res, i, &f) != 0;
        for (size_t i = 0; i < RELAY_ARRAY_LEN(all); i++) {
            arr_close(all[i]);
            bad |= all[i]->failed;
        }
        if (bad) {
            log_error("scheduler.out_of_memory", "cannot build a batch of %d case(s)", n);
            fire_params_free(&f);
            b->phase = 1;
            b->claim_ok = 0; /* finish rolls back */
            finish(b);
            return;
        }
    }
    char nms[16];
    snprintf(nms, sizeof(nms), "%d", f.nms);
    const char *p[FIRE_PARAMS] = {f.ms_case.p,    f.ms_name.p,  f.ms_state.p, f.expire.p,
                                  f.ad_case.p,    f.ad_party.p, f.ad_role.p,  f.ev_id.p,
                                  f.ev_topic.p,   f.ev_key.p,   f.ev_type.p,  f.ev_ref.p,
                                  f.ev_payload.p, nms};
    int queued = 0;
    int ok = 1;
    if (n > 0) {
        ok = db_send(w->db, "sched_fire", NULL, FIRE_PARAMS, p, on_fire, b) == 0;
        queued += ok;
    }
    if (ok) {
        ok = db_send(w->db, NULL, "COMMIT", 0, NULL, on_commit, b) == 0;
        queued += ok;
    }
    if (ok)
        queued += db_send(w->db, "sched_next", NULL, 0, NULL, on_next, b) == 0;
    fire_params_free(&f);
    b->outstanding += queued;
    if (queued && db_sync(w->db) != 0)
        log_warn("scheduler.sync_lost", "connection lost while firing a batch");
    if (b->outstanding == 0)
        finish(b); /* nothing queued: the connection is gone and so is the transaction */
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

/* ---- gauges ------------------------------------------------------------------ */

static void on_stats(PGresult *res, void *arg)
{
    struct worker *w = arg;
    w->stats = 0;
    if (res && PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
        metrics_set("relay48_milestones_pending", int_value(res, 0, 0));
        metrics_set("relay48_outbox_backlog", int_value(res, 0, 1));
        metrics_set("relay48_outbox_oldest_age_seconds", int_value(res, 0, 2) / 1000);
    }
    if (w->s->busy == 0 && !w->s->stopping)
        kick(w->s, 0);
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
        if (w->b || w->stats || !db_ready(w->db))
            continue;
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
    if (!ready)
        return;
    if (w->idx == 0 &&
        (db_send(w->db, NULL, "LISTEN relay48_milestones", 0, NULL, NULL, NULL) != 0 ||
         db_sync(w->db) != 0))
        log_warn("scheduler.listen_failed", "cannot LISTEN relay48_milestones");
    /* (Re)connected: whatever fell due meanwhile (a restart) fires now. */
    if (!w->s->stopping && !w->b && !w->stats && start_batch(w) != 0)
        arm(w->s, w->s->backoff_ms);
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
        db_prepare(db, "sched_stats", sql_stats, 0) != 0)
        return -1;
    return 0;
}

struct scheduler *scheduler_new(struct event_base *base, const struct scheduler_options *opt,
                                struct outbox *outbox, struct bankdir *dir, char *errstr,
                                size_t errstr_size)
{
    if (opt->connections < 1 || opt->connections > SCHEDULER_MAX_CONNECTIONS ||
        opt->batch_max < 1 || opt->poll_ms < 1) {
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
    s->opt.conninfo = s->conninfo;
    s->ev_wake = evtimer_new(base, on_wake, s);
    s->ev_stats = event_new(base, -1, EV_PERSIST, on_stats_tick, s);
    if (!s->conninfo || !s->ev_wake || !s->ev_stats) {
        snprintf(errstr, errstr_size, "out of memory");
        goto fail;
    }
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
                     "Outbox rows not yet confirmed by Kafka (periodic query).");
    metrics_describe("relay48_outbox_oldest_age_seconds", METRIC_GAUGE,
                     "Age of the oldest outbox row not yet confirmed by Kafka (periodic query).");
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
    free(s->conninfo);
    free(s);
}
