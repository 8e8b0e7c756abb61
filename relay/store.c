/* store.c — group commit of new cases in pipeline mode; see store.h. */
#include "store.h"

#include <event2/event.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "log.h"
#include "metrics.h"
#include "outbox.h"

#define CASE_PARAMS 30 /* arrays, one element a case; then the instance ($31) */

/* Locks on beneficiary accounts, taken in IBAN order: a second transaction
 * naming the same IBAN waits here, and its case statement (a new snapshot in
 * READ COMMITTED) then sees the first one's link. */
static const char sql_mule[] =
    "INSERT INTO mule_accounts (iban) SELECT DISTINCT x FROM unnest($1::text[]) AS x ORDER BY 1 "
    "ON CONFLICT (iban) DO UPDATE SET last_seen_at = now()";

/* Every case of a batch in one statement: the parameters are arrays with one
 * element a case ($k holds what a case's parameter k was: see store_submit),
 * unnested WITH ORDINALITY. It writes the idempotency keys, cases (with the
 * links found, and has_links on both sides of a link), mule links, milestones,
 * addressees and ONE intake_batches row naming the cases inserted
 * (sql/009_intake_batches.sql: their events are built in C and that row is
 * deleted once Kafka confirmed them all), and returns one row a case, in order:
 * whether it inserted, the linked cases, the batch row's id, and an earlier
 * Idempotency-Key row if one was visible. Statement snapshots do not see their
 * own inserts, so a batch never holds two cases with the same beneficiary IBAN
 * or Idempotency-Key (kick() ends a batch before the second), and what one case
 * sees of the others is what it would see in a transaction of its own. */
static const char sql_cases[] =
    "WITH i AS ("
    "  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],"
    "    $6::text[], $7::timestamptz[], $8::timestamptz[], $9::timestamptz[], $10::bigint[],"
    "    $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[],"
    "    $17::text[], $18::text[], $19::text[], $20::text[], $21::jsonb[], $22::jsonb[],"
    "    $23::jsonb[], $24::text[], $25::text[], $26::text[], $27::text[], $28::jsonb[],"
    "    $29::text[], $30::text[]) WITH ORDINALITY AS i(ref, kind,"
    "    channel, submitted_by, rail, window_state, start_at, received_at, deadline_at,"
    "    amount_minor, currency, debtor_iban, debtor_bic, creditor_iban, creditor_bic, card_bin,"
    "    card_last4, receipt, scenario, departement, flags, details, milestones, police_reason,"
    "    idem_party, idem_key, idem_hash, response, debtor_bank_name, creditor_bank_name, ord)),"
    /* Driven from the beneficiary's links, never from the open cases: the
     * fence (LATERAL ... OFFSET 0) keeps a generic plan made on empty
     * tables from scanning every open case for each report, and reads a
     * case by its id alone (with its state inside, such a plan took the
     * open cases' index, state first, and went through all of them). */
    " linked AS ("
    "  SELECT i.ord, coalesce(l.refs, '{}'::text[]) AS refs, l.ids,"
    "    ARRAY(SELECT f FROM unnest(ARRAY['linked_iban', 'police_escalation']) AS f"
    "      WHERE NOT i.flags ? f) AS new_flags"
    "  FROM i CROSS JOIN LATERAL ("
    "    SELECT array_agg(o.ref ORDER BY o.id) AS refs, array_agg(o.id) AS ids FROM ("
    "      SELECT ml.case_id AS id, c.ref FROM mule_links ml CROSS JOIN LATERAL ("
    "        SELECT x.ref, x.state FROM cases x WHERE x.id = ml.case_id OFFSET 0) AS c"
    "      WHERE ml.iban = i.creditor_iban AND c.state = 'open' AND c.ref <> i.ref"
    "      ORDER BY ml.case_id LIMIT 100) AS o) AS l),"
    /* The cases found learn that they have links (sql/014_cases_has_links.sql:
     * the scheduler looks links up only for those), through a function that
     * plans its UPDATE when it runs; the final SELECT reads lf, or it would
     * not run. */
    " lf AS (SELECT relay48_mark_linked(l.ids) AS n FROM linked l WHERE l.ids IS NOT NULL),"
    " idem AS ("
    "  INSERT INTO idempotency_keys (party, key, request_hash, case_ref, response)"
    "  SELECT i.idem_party, i.idem_key, decode(i.idem_hash, 'hex'), i.ref,"
    "    CASE WHEN cardinality(l.refs) = 0 THEN i.response ELSE"
    "      jsonb_set(i.response, '{linked_cases}', to_jsonb(l.refs)) ||"
    "      jsonb_build_object('flags', (i.response->'flags') || to_jsonb(l.new_flags)) END"
    "  FROM i JOIN linked l USING (ord) WHERE i.idem_key IS NOT NULL"
    "  ON CONFLICT DO NOTHING RETURNING case_ref),"
    " ins AS ("
    "  INSERT INTO cases (ref, kind, channel, submitted_by, rail, window_state, start_at,"
    "    received_at, deadline_at, amount_minor, currency, debtor_iban, debtor_bic, creditor_iban,"
    "    creditor_bic, card_bin, card_last4, receipt, scenario, departement, flags, details,"
    "    linked_refs, police_reason, debtor_bank_name, creditor_bank_name, has_links)"
    "  SELECT i.ref, i.kind, i.channel, i.submitted_by, i.rail, i.window_state, i.start_at,"
    "    i.received_at, i.deadline_at, i.amount_minor, i.currency, i.debtor_iban, i.debtor_bic,"
    "    i.creditor_iban, i.creditor_bic, i.card_bin, i.card_last4, i.receipt, i.scenario,"
    "    i.departement, ARRAY(SELECT jsonb_array_elements_text(i.flags)) ||"
    "      CASE WHEN cardinality(l.refs) > 0 THEN l.new_flags ELSE '{}'::text[] END,"
    "    i.details, CASE WHEN cardinality(l.refs) > 0 THEN l.refs END, i.police_reason,"
    "    i.debtor_bank_name, i.creditor_bank_name, cardinality(l.refs) > 0"
    "  FROM i JOIN linked l USING (ord)"
    "  WHERE i.idem_key IS NULL OR i.ref IN (SELECT case_ref FROM idem)"
    "  ON CONFLICT (ref) DO NOTHING RETURNING id, ref),"
    " link AS ("
    "  INSERT INTO mule_links (iban, case_id) SELECT i.creditor_iban, ins.id"
    "  FROM ins JOIN i USING (ref) WHERE i.creditor_iban IS NOT NULL),"
    " ms AS ("
    "  INSERT INTO milestones (case_id, name, due_at, severity, state, fired_at, next_due_at)"
    /* The alert fires with this commit (its events are the batch's). The
     * plan lists the milestones in order (window.h): next_due_at is the
     * earliest due of the ones after (sql/013_milestones_next_due.sql). */
    "  SELECT ins.id, m.name, m.due_at, m.severity,"
    "    CASE WHEN m.name = 'alert' AND m.state = 'pending' THEN 'fired' ELSE m.state END,"
    "    CASE WHEN m.name = 'alert' AND m.state = 'pending' THEN now() END,"
    "    coalesce(min(m.due_at) OVER (PARTITION BY ins.id ORDER BY m.ord DESC"
    "      ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 'infinity')"
    "  FROM ins JOIN i USING (ref), ROWS FROM (jsonb_to_recordset(i.milestones)"
    "    AS (name text, due_at timestamptz, severity text, state text)) WITH ORDINALITY"
    "    AS m(name, due_at, severity, state, ord)),"
    /* Who the alert was addressed to (sql/003_escalation.sql): the known
     * banks while the window is open, the police when required or linked
     * (escalate_intake_events sends them the same). */
    " ad AS ("
    "  INSERT INTO case_addressees (case_id, party, role, first_escalated_at)"
    "  SELECT DISTINCT ins.id, a.party, a.role, now()"
    "  FROM ins JOIN i USING (ref) JOIN linked l USING (ord) CROSS JOIN LATERAL (VALUES"
    "    ('bank:' || i.creditor_bic, CASE WHEN i.kind = 'card' THEN 'issuer_bank'"
    "      ELSE 'creditor_bank' END, i.window_state = 'open'),"
    "    ('bank:' || i.debtor_bic, CASE WHEN i.debtor_bic = i.creditor_bic THEN 'creditor_bank'"
    "      ELSE 'debtor_bank' END, i.window_state = 'open' AND i.kind <> 'card'),"
    "    ('police:' || coalesce(i.departement, 'NATIONAL'), 'police',"
    "      i.police_reason IS NOT NULL OR cardinality(l.refs) > 0)) AS a(party, role, wanted)"
    "  WHERE a.wanted AND a.party IS NOT NULL"
    "  ON CONFLICT DO NOTHING),"
    " bt AS ("
    "  INSERT INTO intake_batches (instance, case_ids)"
    "  SELECT $31::text, array_agg(id) FROM ins HAVING count(*) > 0 RETURNING id)"
    " SELECT (ins.id IS NOT NULL)::int, to_json(l.refs)::text, (SELECT id FROM bt), k.case_ref,"
    "  encode(k.request_hash, 'hex'), k.response::text"
    " FROM i JOIN linked l USING (ord) LEFT JOIN ins USING (ref)"
    "  LEFT JOIN idempotency_keys k ON k.party = i.idem_party AND k.key = i.idem_key"
    " WHERE (SELECT count(*) FROM lf) >= 0"
    " ORDER BY i.ord";

static const char sql_idem[] = "SELECT case_ref, encode(request_hash, 'hex'), response::text "
                               "FROM idempotency_keys WHERE party = $1 AND key = $2";

struct item {
    struct item *next;
    char *params[CASE_PARAMS];
    char *creditor_iban; /* for the batch's mule upsert; NULL for card cases */
    store_done_fn done;
    void *arg;
    int single;               /* retry alone in its own transaction */
    int attempts;             /* retries after a refusal that was not its own */
    int64_t unknown_until_us; /* retrying an unknown outcome until then */
    int64_t queued_us;
    /* filled from the statement's result */
    int have_result;
    int inserted;
    int64_t batch_id; /* its intake_batches row (0: none) */
    char *linked, *idem_ref, *idem_hash, *idem_response;
    char sqlstate[6];
};

struct batch {
    struct store *s;
    int conn; /* index of the connection it was sent on */
    struct item *items;
    int n;
    int failed; /* a statement failed: the COMMIT was aborted */
    struct batch *next;
};

struct store {
    struct event_base *base;
    struct db *db[STORE_MAX_CONNECTIONS];
    int inflight_on[STORE_MAX_CONNECTIONS]; /* batches in each pipeline */
    int ndb;
    struct store_options opt;
    struct item *head, *tail; /* waiting */
    int queued;
    int inflight_batches;
    int inflight_items;
    struct event *ev_kick; /* batch delay, and re-kicks while reconnecting */
    int closing;           /* store_close: answer, never retry */
    int delay_armed;
    int gathering; /* store.batch_delay_ms: 1 while waiting, 2 once it is over */
};

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void item_free(struct item *it)
{
    for (int i = 0; i < CASE_PARAMS; i++)
        free(it->params[i]);
    free(it->creditor_iban);
    free(it->linked);
    free(it->idem_ref);
    free(it->idem_hash);
    free(it->idem_response);
    free(it);
}

static void reset_result(struct item *it)
{
    it->have_result = 0;
    it->inserted = 0;
    it->batch_id = 0;
    RELAY_FREE(it->linked);
    RELAY_FREE(it->idem_ref);
    RELAY_FREE(it->idem_hash);
    RELAY_FREE(it->idem_response);
    it->sqlstate[0] = '\0';
}

/* Answer one item and free it. group: the events of its batch, when this
 * item's case was inserted by it (NULL otherwise). */
static void finish_group(struct store *s, struct item *it, enum store_outcome outcome,
                         struct outbox_firing *group)
{
    struct store_result r;
    memset(&r, 0, sizeof(r));
    r.outcome = outcome;
    snprintf(r.sqlstate, sizeof(r.sqlstate), "%s", it->sqlstate);
    if (outcome == STORE_COMMITTED) {
        /* "[]" for most cases: no parse */
        r.linked = it->linked && strcmp(it->linked, "[]") != 0 ? json_loads(it->linked, 0, NULL)
                                                               : json_array();
        r.group = group;
        r.flags_added = json_array();
        if (json_array_size(r.linked) > 0) {
            json_array_append_new(r.flags_added, json_string("linked_iban"));
            json_array_append_new(r.flags_added, json_string("police_escalation"));
        }
    } else if (outcome == STORE_REPLAY) {
        snprintf(r.idem_ref, sizeof(r.idem_ref), "%s", it->idem_ref ? it->idem_ref : "");
        snprintf(r.idem_hash, sizeof(r.idem_hash), "%s", it->idem_hash ? it->idem_hash : "");
        r.response = it->idem_response ? json_loads(it->idem_response, 0, NULL) : NULL;
    }
    metrics_observe_us("relay48_intake_commit_seconds", now_us() - it->queued_us);
    metrics_add(outcome == STORE_COMMITTED  ? "relay48_intake_cases_total{outcome=\"committed\"}"
                : outcome == STORE_REPLAY   ? "relay48_intake_cases_total{outcome=\"replay\"}"
                : outcome == STORE_REJECTED ? "relay48_intake_cases_total{outcome=\"rejected\"}"
                                            : "relay48_intake_cases_total{outcome=\"unavailable\"}",
                1);
    it->done(&r, it->arg);
    json_decref(r.linked);
    json_decref(r.flags_added);
    json_decref(r.response);
    item_free(it);
}

static void finish(struct store *s, struct item *it, enum store_outcome outcome)
{
    finish_group(s, it, outcome, NULL);
}

static void push_front(struct store *s, struct item *it)
{
    it->next = s->head;
    s->head = it;
    if (!s->tail)
        s->tail = it;
    s->queued++;
}

static void kick(struct store *s);

/* Put a list of items back at the front of the queue, in their order. */
static void requeue_front(struct store *s, struct item *items)
{
    struct item *rev = NULL, *it, *next;
    for (it = items; it; it = next) {
        next = it->next;
        it->next = rev;
        rev = it;
    }
    for (it = rev; it; it = next) {
        next = it->next;
        push_front(s, it);
    }
}

static void arm(struct store *s, int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    event_add(s->ev_kick, &tv);
}

static void on_kick(evutil_socket_t fd, short what, void *arg)
{
    struct store *s = arg;
    s->delay_armed = 0;
    if (s->gathering == 1)
        s->gathering = 2;
    kick(s);
}

/* ---- results ------------------------------------------------------------ */

static char *dup_value(PGresult *res, int row, int col)
{
    if (PQgetisnull(res, row, col))
        return NULL;
    return strdup(PQgetvalue(res, row, col));
}

/* One row a case, in the batch's order. */
static void on_cases_result(PGresult *res, void *arg)
{
    struct batch *b = arg;
    if (!res)
        return; /* connection lost: the COMMIT callback decides */
    ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_TUPLES_OK && PQntuples(res) == b->n) {
        int row = 0;
        for (struct item *it = b->items; it; it = it->next, row++) {
            it->have_result = 1;
            it->inserted = atoi(PQgetvalue(res, row, 0));
            it->linked = dup_value(res, row, 1);
            it->batch_id =
                PQgetisnull(res, row, 2) ? 0 : strtoll(PQgetvalue(res, row, 2), NULL, 10);
            it->idem_ref = dup_value(res, row, 3);
            it->idem_hash = dup_value(res, row, 4);
            it->idem_response = dup_value(res, row, 5);
        }
        return;
    }
    /* A batch of one owns its error; a larger one is retried case by case. */
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    for (struct item *it = b->items; it; it = it->next)
        snprintf(it->sqlstate, sizeof(it->sqlstate), "%s", state ? state : "");
    if (st != PGRES_PIPELINE_ABORTED)
        log_warn("store.cases_failed", "%s %s", state ? state : "",
                 st == PGRES_TUPLES_OK ? "wrong number of rows" : PQresultErrorMessage(res));
    b->failed = 1;
}

static void on_begin_or_mule(PGresult *res, void *arg)
{
    struct batch *b = arg;
    if (res && PQresultStatus(res) != PGRES_COMMAND_OK) {
        b->failed = 1;
        if (PQresultStatus(res) != PGRES_PIPELINE_ABORTED)
            log_warn("store.batch_failed", "%s", PQresultErrorMessage(res));
    }
}

/* Decide each case of a committed transaction. group: the events of the
 * batch's intake_batches row (NULL: none, or left to the sweep). */
static void settle_item(struct store *s, struct item *it, struct outbox_firing *group)
{
    if (it->inserted) {
        finish_group(s, it, STORE_COMMITTED, group);
        return;
    }
    const char *ref = it->params[0];
    if (it->params[25]) { /* an Idempotency-Key was given */
        if (it->idem_ref && strcmp(it->idem_ref, ref) == 0) {
            finish(s, it, STORE_COMMITTED); /* our own earlier, unacknowledged commit */
            return;
        }
        if (it->idem_ref) {
            finish(s, it, STORE_REPLAY);
            return;
        }
        /* Another transaction committed the key after this statement's
         * snapshot: look it up afresh. */
        if (store_lookup_idem(s, it->params[24], it->params[25], it->done, it->arg) == 0) {
            it->done = NULL;
            item_free(it);
            return;
        }
        finish(s, it, STORE_UNAVAILABLE);
        return;
    }
    /* No key and not inserted: the reference exists, so this case committed
     * in an attempt whose answer was lost. */
    finish(s, it, STORE_COMMITTED);
}

/* A failed BEGIN ... COMMIT pipeline leaves the session in an aborted
 * transaction (libpq's pipeline documentation): end it before more work. */
static void rollback(struct store *s, int conn)
{
    struct db *db = s->db[conn];
    if (db_send(db, NULL, "ROLLBACK", 0, NULL, NULL, NULL) == 0 && db_sync(db) != 0)
        log_warn("store.rollback_lost", "connection lost while ending a failed batch");
}

static void on_commit(PGresult *res, void *arg)
{
    struct batch *b = arg;
    struct store *s = b->s;
    s->inflight_on[b->conn]--;
    s->inflight_batches--;
    s->inflight_items -= b->n;
    struct item *it = b->items, *next;

    if (s->closing && !(res && PQresultStatus(res) == PGRES_COMMAND_OK && !b->failed)) {
        /* Shutting down: no retry. An unknown outcome is a 503, never a
         * blind 201; the client's retry finds the case if it committed. */
        for (; it; it = next) {
            next = it->next;
            finish(s, it, STORE_UNAVAILABLE);
        }
        free(b);
        return;
    }

    if (res && PQresultStatus(res) == PGRES_COMMAND_OK && !b->failed) {
        metrics_observe_us("relay48_intake_batch_size", b->n); /* a count, not a time */
        /* The events of the cases inserted are produced as one group: the
         * batch row is deleted once Kafka confirmed them all. Without a group
         * (no outbox, no memory) the row stays and the sweep sends them. */
        int64_t batch_id = 0;
        for (struct item *x = it; x; x = x->next)
            if (x->have_result && x->batch_id > 0)
                batch_id = x->batch_id;
        struct outbox_firing *group =
            batch_id > 0 && s->opt.outbox ? outbox_firing_begin(s->opt.outbox, batch_id) : NULL;
        /* The next batch first: PostgreSQL runs it while this one's cases
         * are answered and their events built (their items are off the
         * queue). */
        kick(s);
        for (; it; it = next) {
            next = it->next;
            if (!it->have_result) {
                /* Cannot happen with a committed pipeline; be safe. */
                push_front(s, it);
                continue;
            }
            settle_item(s, it, it->inserted ? group : NULL);
        }
        outbox_firing_end(group);
    } else if (!res) {
        /* Outcome unknown: retry every case under the same reference. */
        int64_t now = now_us();
        for (struct item *x = it; x; x = x->next) {
            reset_result(x);
            if (!x->unknown_until_us)
                x->unknown_until_us = now + (int64_t)s->opt.unknown_retry_ms * 1000;
        }
        requeue_front(s, it);
        log_warn("store.commit_unknown", "connection lost during a commit of %d case(s): retrying",
                 b->n);
    } else if (b->n > 1) {
        /* One bad row must not fail the others: each alone. */
        rollback(s, b->conn);
        for (struct item *x = it; x; x = x->next) {
            reset_result(x);
            x->single = 1;
        }
        requeue_front(s, it);
    } else if (!it->sqlstate[0] && it->attempts < 3) {
        /* Its own statement did not fail: the transaction was refused before
         * it (a batch pipelined behind a failed one runs in its aborted
         * transaction until the ROLLBACK). Try again. */
        rollback(s, b->conn);
        it->attempts++;
        reset_result(it);
        requeue_front(s, it);
    } else {
        rollback(s, b->conn);
        const char *st = it->sqlstate;
        int data_error = (st[0] == '2' && (st[1] == '2' || st[1] == '3'));
        log_warn("store.case_refused", "case %s refused by the database (%s)", it->params[0],
                 st[0] ? st : "no sqlstate");
        finish(s, it, data_error ? STORE_REJECTED : STORE_UNAVAILABLE);
    }
    free(b);
    kick(s);
}

/* ---- sending ------------------------------------------------------------ */

/* The k-th parameter of every item as a PostgreSQL array literal: NULL, or
 * the value double-quoted with its quotes and backslashes escaped. */
static char *array_literal(const struct item *items, int k)
{
    size_t cap = 3;
    for (const struct item *it = items; it; it = it->next) {
        const char *v = it->params[k];
        cap += 5; /* NULL or the quotes, and the comma */
        for (; v && *v; v++)
            cap += (*v == '"' || *v == '\\') ? 2 : 1;
    }
    char *out = malloc(cap), *o = out;
    if (!out)
        return NULL;
    *o++ = '{';
    for (const struct item *it = items; it; it = it->next) {
        const char *v = it->params[k];
        if (it != items)
            *o++ = ',';
        if (!v) {
            memcpy(o, "NULL", 4);
            o += 4;
            continue;
        }
        *o++ = '"';
        for (; *v; v++) {
            if (*v == '"' || *v == '\\')
                *o++ = '\\';
            *o++ = *v;
        }
        *o++ = '"';
    }
    *o++ = '}';
    *o = '\0';
    return out;
}

static int send_batch(struct store *s, int conn, struct item *items, int n)
{
    struct batch *b = calloc(1, sizeof(*b));
    if (!b)
        return -1;
    struct db *db = s->db[conn];
    b->s = s;
    b->conn = conn;
    b->items = items;
    b->n = n;

    /* The IBANs of the batch, as a text array literal; they are validated
     * IBANs (A-Z, 0-9), so no quoting is needed. */
    size_t cap = 3;
    for (struct item *it = items; it; it = it->next)
        cap += it->creditor_iban ? strlen(it->creditor_iban) + 1 : 0;
    char *ibans = malloc(cap);
    if (!ibans) {
        free(b);
        return -1;
    }
    size_t pos = 0;
    ibans[pos++] = '{';
    int nibans = 0;
    for (struct item *it = items; it; it = it->next) {
        if (!it->creditor_iban)
            continue;
        if (nibans++)
            ibans[pos++] = ',';
        size_t l = strlen(it->creditor_iban);
        memcpy(ibans + pos, it->creditor_iban, l);
        pos += l;
    }
    ibans[pos++] = '}';
    ibans[pos] = '\0';

    /* Counted before sending: on_commit, which uncounts, may run as soon as
     * COMMIT is queued (with NULL, on a lost connection). */
    s->inflight_batches++;
    s->inflight_on[conn]++;
    s->inflight_items += n;
    int commit_queued = 0;
    int ok = db_send(db, NULL, "BEGIN", 0, NULL, on_begin_or_mule, b) == 0;
    if (ok && nibans) {
        const char *p[1] = {ibans};
        ok = db_send(db, "store_mule", NULL, 1, p, on_begin_or_mule, b) == 0;
    }
    free(ibans);
    char *arrays[CASE_PARAMS + 1] = {0};
    for (int k = 0; ok && k < CASE_PARAMS; k++)
        ok = (arrays[k] = array_literal(items, k)) != NULL;
    arrays[CASE_PARAMS] = (char *)(s->opt.instance ? s->opt.instance : "relay48");
    if (ok)
        ok = db_send(db, "store_cases", NULL, CASE_PARAMS + 1, (const char *const *)arrays,
                     on_cases_result, b) == 0;
    for (int k = 0; k < CASE_PARAMS; k++)
        free(arrays[k]);
    if (ok)
        commit_queued = ok = db_send(db, NULL, "COMMIT", 0, NULL, on_commit, b) == 0;
    if (ok && db_sync(db) != 0)
        log_warn("store.sync_lost", "connection lost at sync: outcome unknown, retrying");
    if (commit_queued)
        return 0;
    /* The connection dropped before COMMIT was queued: nothing of this batch
     * can have committed. The statements already queued are told NULL later
     * and their callbacks touch nothing on NULL; put the cases back. */
    s->inflight_batches--;
    s->inflight_on[conn]--;
    s->inflight_items -= n;
    requeue_front(s, items);
    free(b);
    return -2;
}

/* Where the next batch goes: the first ready connection, when it has room.
 * The others take over when it is lost, and take a batch while it is busy
 * only when a full batch (store.batch_max) waits. Spreading batches over
 * every connection made them small, and a small batch costs PostgreSQL
 * more a case (its executor start-up, its commit): docs/intake.md,
 * "Measured". -1: wait for a commit. */
static int pick(const struct store *s, int *any_ready)
{
    int first = -1, spare = -1;
    *any_ready = 0;
    for (int i = 0; i < s->ndb; i++) {
        if (!db_ready(s->db[i]))
            continue;
        *any_ready = 1;
        if (first < 0)
            first = i;
        else if (spare < 0 && s->inflight_on[i] < s->opt.max_inflight)
            spare = i;
    }
    if (first < 0)
        return -1;
    if (s->inflight_on[first] < s->opt.max_inflight)
        return first;
    return s->queued >= s->opt.batch_max ? spare : -1;
}

static int same(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

/* Whether it shares a beneficiary IBAN or an Idempotency-Key with a case of
 * the batch that starts at first (the list up to it): one statement would
 * not see the other's rows, so it waits for the next batch. */
static int clashes(const struct item *first, const struct item *it)
{
    for (const struct item *x = first; x != it; x = x->next) {
        if (same(x->creditor_iban, it->creditor_iban))
            return 1;
        if (same(x->params[25], it->params[25]) && same(x->params[24], it->params[24]))
            return 1;
    }
    return 0;
}

static void kick(struct store *s)
{
    if (s->closing)
        return;
    int64_t now = now_us();
    int any_ready;
    int conn = pick(s, &any_ready);
    /* Unknown outcomes retried past their time, and anything waiting while
     * the database is down: 503. */
    if (!any_ready) {
        struct item *keep = NULL, *keep_tail = NULL, *it = s->head, *next;
        s->head = s->tail = NULL;
        int kept = 0;
        for (; it; it = next) {
            next = it->next;
            it->next = NULL;
            if (it->unknown_until_us && now < it->unknown_until_us) {
                if (keep_tail)
                    keep_tail->next = it;
                else
                    keep = it;
                keep_tail = it;
                kept++;
            } else {
                s->queued--;
                finish(s, it, STORE_UNAVAILABLE);
            }
        }
        s->head = keep;
        s->tail = keep_tail;
        s->queued = kept;
        if (kept && !s->delay_armed) {
            s->delay_armed = 1;
            arm(s, 100);
        }
        return;
    }
    while (s->head && conn >= 0) {
        if (s->opt.batch_delay_ms > 0 && s->inflight_batches == 0 && s->queued < s->opt.batch_max &&
            s->gathering != 2 && !s->head->single && !s->head->unknown_until_us) {
            /* Idle: wait a little to gather a batch, then send what came. */
            if (s->gathering == 0 && !s->delay_armed) {
                s->gathering = 1;
                s->delay_armed = 1;
                arm(s, s->opt.batch_delay_ms);
            }
            return;
        }
        if (s->delay_armed)
            return;
        s->gathering = 0;
        /* Take a batch: singles go alone. */
        struct item *first = s->head, *last = first;
        int n = 1;
        if (!first->single) {
            while (last->next && !last->next->single && n < s->opt.batch_max &&
                   !clashes(first, last->next)) {
                last = last->next;
                n++;
            }
        }
        s->head = last->next;
        if (!s->head)
            s->tail = NULL;
        last->next = NULL;
        s->queued -= n;
        int rc = send_batch(s, conn, first, n);
        if (rc == -1) {
            /* Out of memory before anything was queued: put them back. */
            last->next = s->head;
            s->head = first;
            if (!s->tail)
                s->tail = last;
            s->queued += n;
            arm(s, 100);
            s->delay_armed = 1;
            return;
        }
        if (rc != 0) {
            /* Connection lost: the cases are back in the queue; the next kick
             * answers them 503 unless the database is back. */
            if (!s->delay_armed) {
                s->delay_armed = 1;
                arm(s, 100);
            }
            return;
        }
        conn = pick(s, &any_ready);
    }
}

/* ---- public ------------------------------------------------------------- */

int store_prepare(struct db *db)
{
    if (db_prepare(db, "store_mule", sql_mule, 1) != 0 ||
        db_prepare(db, "store_cases", sql_cases, CASE_PARAMS + 1) != 0 ||
        db_prepare(db, "store_idem", sql_idem, 2) != 0)
        return -1;
    return 0;
}

struct store *store_new(struct event_base *base, struct db *const *dbs, int ndb,
                        const struct store_options *opt, char *errstr, size_t errstr_size)
{
    if (ndb < 1 || ndb > STORE_MAX_CONNECTIONS) {
        snprintf(errstr, errstr_size, "1 to %d connections", STORE_MAX_CONNECTIONS);
        return NULL;
    }
    struct store *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    s->base = base;
    for (int i = 0; i < ndb; i++)
        s->db[i] = dbs[i];
    s->ndb = ndb;
    s->opt = *opt;
    s->ev_kick = evtimer_new(base, on_kick, s);
    if (!s->ev_kick) {
        free(s);
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    metrics_describe("relay48_intake_cases_total", METRIC_COUNTER,
                     "New cases by outcome of their commit.");
    metrics_describe("relay48_intake_commit_seconds", METRIC_HISTOGRAM,
                     "Time from a case queued to its commit answered.");
    return s;
}

void store_close(struct store *s)
{
    if (!s)
        return;
    s->closing = 1;
    struct item *it = s->head, *next;
    s->head = s->tail = NULL;
    s->queued = 0;
    for (; it; it = next) {
        next = it->next;
        finish(s, it, STORE_UNAVAILABLE);
    }
}

void store_free(struct store *s)
{
    if (!s)
        return;
    struct item *it = s->head, *next;
    s->head = s->tail = NULL;
    for (; it; it = next) {
        next = it->next;
        finish(s, it, STORE_UNAVAILABLE);
    }
    event_free(s->ev_kick);
    free(s);
}

int store_pending(const struct store *s)
{
    return s->queued + s->inflight_items;
}

static char *dup_or_null(const char *v)
{
    return v && *v ? strdup(v) : NULL;
}

static char *json_text(json_t *j)
{
    return j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) : strdup("null");
}

int store_submit(struct store *s, const struct store_case *c, store_done_fn done, void *arg)
{
    int any_ready;
    (void)pick(s, &any_ready);
    if (!any_ready || s->queued + s->inflight_items >= s->opt.queue_max)
        return -1;
    struct item *it = calloc(1, sizeof(*it));
    if (!it)
        return -1;
    char amount[24];
    snprintf(amount, sizeof(amount), "%" PRId64, c->amount_minor);
    const char *src[CASE_PARAMS] = {c->ref,
                                    c->kind,
                                    c->channel,
                                    c->submitted_by,
                                    c->rail,
                                    c->window_state,
                                    c->start_at,
                                    c->received_at,
                                    c->deadline_at,
                                    amount,
                                    c->currency,
                                    c->debtor_iban,
                                    c->debtor_bic,
                                    c->creditor_iban,
                                    c->creditor_bic,
                                    c->card_bin,
                                    c->card_last4,
                                    c->receipt,
                                    c->scenario,
                                    c->departement,
                                    NULL,
                                    NULL,
                                    NULL,
                                    c->police_reason,
                                    c->idem_party,
                                    c->idem_key,
                                    c->idem_hash,
                                    NULL,
                                    c->debtor_bank_name,
                                    c->creditor_bank_name};
    for (int i = 0; i < CASE_PARAMS; i++)
        it->params[i] = dup_or_null(src[i]);
    it->params[20] = json_text(c->flags);
    it->params[21] = json_text(c->details);
    it->params[22] = json_text(c->milestones);
    /* Stored with an Idempotency-Key only: no text to write nor jsonb to
     * parse for a report without one. */
    if (c->idem_key)
        it->params[27] = json_text(c->response);
    /* An idempotency row needs a party; the web form's is "web". */
    if (c->idem_key && !it->params[24])
        it->params[24] = strdup("web");
    int bad = !it->params[0] || !it->params[20] || !it->params[21] || !it->params[22] ||
              (c->idem_key && (!it->params[25] || !it->params[27]));
    if (c->creditor_iban && *c->creditor_iban) {
        it->creditor_iban = strdup(c->creditor_iban);
        bad = bad || !it->creditor_iban;
    }
    if (bad) {
        item_free(it);
        return -1;
    }
    it->done = done;
    it->arg = arg;
    it->queued_us = now_us();
    if (s->tail)
        s->tail->next = it;
    else
        s->head = it;
    s->tail = it;
    s->queued++;
    kick(s);
    return 0;
}

/* ---- Idempotency-Key lookup (rare path) ---------------------------------- */

struct lookup {
    store_done_fn done;
    void *arg;
};

static void on_idem(PGresult *res, void *arg)
{
    struct lookup *l = arg;
    struct store_result r;
    memset(&r, 0, sizeof(r));
    if (res && PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
        r.outcome = STORE_REPLAY;
        snprintf(r.idem_ref, sizeof(r.idem_ref), "%s", PQgetvalue(res, 0, 0));
        snprintf(r.idem_hash, sizeof(r.idem_hash), "%s", PQgetvalue(res, 0, 1));
        r.response = json_loads(PQgetvalue(res, 0, 2), 0, NULL);
    } else {
        r.outcome = STORE_UNAVAILABLE;
    }
    l->done(&r, l->arg);
    json_decref(r.response);
    free(l);
}

int store_lookup_idem(struct store *s, const char *party, const char *key, store_done_fn done,
                      void *arg)
{
    struct lookup *l = malloc(sizeof(*l));
    if (!l)
        return -1;
    l->done = done;
    l->arg = arg;
    const char *p[2] = {party, key};
    int any_ready;
    int conn = pick(s, &any_ready);
    struct db *db = s->db[conn >= 0 ? conn : 0];
    for (int i = 0; conn < 0 && i < s->ndb; i++) {
        if (db_ready(s->db[i]))
            db = s->db[i];
    }
    if (db_send(db, "store_idem", NULL, 2, p, on_idem, l) != 0) {
        free(l);
        return -1;
    }
    if (db_sync(db) != 0) {
        /* If db_send succeeded but db_sync failed, on_idem gets NULL later. */
        return 0;
    }
    return 0;
}
