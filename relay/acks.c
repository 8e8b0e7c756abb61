/* acks.c — acknowledgements of banks and police units; see acks.h. */
#include "acks.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <inttypes.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "amount.h"
#include "card.h"
#include "config.h"
#include "db.h"
#include "http.h"
#include "ids.h"
#include "jsontree.h"
#include "keys.h"
#include "log.h"
#include "metrics.h"
#include "outbox.h"
#include "problem.h"
#include "timeutil.h"

#define ACKS_MAX_DEPTH 8
#define ACKS_QUEUE_MAX 1000

static const char *const status_names[ACK_STATUS_COUNT] = {
    "received", "recall_requested", "funds_frozen", "funds_returned",
    "no_funds", "rejected",         "too_late"};

const char *ack_status_name(enum ack_status s)
{
    return (unsigned)s < ACK_STATUS_COUNT ? status_names[s] : NULL;
}

int ack_status_parse(const char *name, enum ack_status *out)
{
    for (int i = 0; name && i < ACK_STATUS_COUNT; i++) {
        if (strcmp(name, status_names[i]) == 0) {
            *out = (enum ack_status)i;
            return 0;
        }
    }
    return -1;
}

/* ---- parsing (pure) -------------------------------------------------------------- */

static void field_error(json_t *errors, const char *pointer, const char *code)
{
    json_array_append_new(errors, json_pack("{s:s, s:s}", "pointer", pointer, "code", code));
}

static size_t code_points(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static int depth_ok(json_t *j, int level)
{
    if (!json_is_object(j) && !json_is_array(j))
        return 1;
    if (level > ACKS_MAX_DEPTH)
        return 0;
    const char *k;
    json_t *v;
    size_t i;
    if (json_is_object(j)) {
        json_object_foreach(j, k, v)
        {
            if (!depth_ok(v, level + 1))
                return 0;
        }
    } else {
        json_array_foreach(j, i, v)
        {
            if (!depth_ok(v, level + 1))
                return 0;
        }
    }
    return 1;
}

static void parse_amount(json_t *amount, struct ack_request *out, json_t *errors)
{
    if (!json_is_object(amount)) {
        field_error(errors, "/amount", "invalid_type");
        return;
    }
    const char *k;
    json_t *v;
    json_object_foreach(amount, k, v)
    {
        if (strcmp(k, "value") != 0 && strcmp(k, "currency") != 0) {
            char member[402], ptr[410];
            jsontree_member_pointer(k, member, sizeof(member));
            snprintf(ptr, sizeof(ptr), "/amount%s", member);
            field_error(errors, ptr, "unknown_field");
        }
    }
    json_t *value = json_object_get(amount, "value");
    json_t *currency = json_object_get(amount, "currency");
    int ok = 1;
    if (!value) {
        field_error(errors, "/amount/value", "required");
        ok = 0;
    } else if (!json_is_string(value)) {
        field_error(errors, "/amount/value", "invalid_type");
        ok = 0;
    }
    if (!currency) {
        field_error(errors, "/amount/currency", "required");
        ok = 0;
    } else if (!json_is_string(currency)) {
        field_error(errors, "/amount/currency", "invalid_type");
        ok = 0;
    } else if (currency_exponent(json_string_value(currency)) < 0) {
        field_error(errors, "/amount/currency", "invalid_currency");
        ok = 0;
    }
    if (!ok)
        return;
    int64_t minor = 0;
    if (amount_parse(json_string_value(value), json_string_value(currency), &minor) != AMOUNT_OK) {
        field_error(errors, "/amount/value", "invalid_amount");
        return;
    }
    out->amount_minor = minor;
    snprintf(out->currency, sizeof(out->currency), "%s", json_string_value(currency));
}

/* note: control characters but TAB, LF, CR refused. */
static int note_chars_ok(const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f)
            return 0;
    }
    return 1;
}

static int printable_ascii(const char *s)
{
    for (; *s; s++) {
        if (*s < 0x20 || *s > 0x7e)
            return 0;
    }
    return 1;
}

static void hash_request(struct ack_request *r)
{
    /* Normalised: every member in a fixed order, each prefixed by its
     * presence, NUL-separated. */
    char head[64];
    snprintf(head, sizeof(head), "ack1%c%s%c%" PRId64 "%c%s%c", 0, ack_status_name(r->status), 0,
             r->amount_minor, 0, r->currency, 0);
    size_t head_len = 4 + 1 + strlen(ack_status_name(r->status)) + 1;
    char amount[24];
    int alen = snprintf(amount, sizeof(amount), "%" PRId64, r->amount_minor);
    head_len += (size_t)alen + 1 + strlen(r->currency) + 1;
    unsigned char md[32];
    unsigned int mdlen = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1) {
        EVP_DigestUpdate(ctx, head, head_len);
        EVP_DigestUpdate(ctx, r->note ? "1" : "0", 1);
        if (r->note)
            EVP_DigestUpdate(ctx, r->note, strlen(r->note) + 1);
        EVP_DigestUpdate(ctx, r->party_ref ? "1" : "0", 1);
        if (r->party_ref)
            EVP_DigestUpdate(ctx, r->party_ref, strlen(r->party_ref) + 1);
        EVP_DigestFinal_ex(ctx, md, &mdlen);
    }
    EVP_MD_CTX_free(ctx);
    for (unsigned int i = 0; i < 32; i++)
        snprintf(r->hash + 2 * i, 3, "%02x", i < mdlen ? md[i] : 0);
}

int acks_parse(const char *body, size_t len, struct ack_request *out, json_t *errors)
{
    memset(out, 0, sizeof(*out));
    if (!body)
        return -2;
    json_error_t jerr;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    OPENSSL_cleanse(&jerr, sizeof(jerr)); /* may quote the body */
    if (!root)
        return -2;
    if (!json_is_object(root) || !depth_ok(root, 1)) {
        json_decref(root);
        return -2;
    }
    size_t before = json_array_size(errors);
    const char *k;
    json_t *v;
    json_object_foreach(root, k, v)
    {
        if (strcmp(k, "status") && strcmp(k, "amount") && strcmp(k, "note") &&
            strcmp(k, "party_ref")) {
            char ptr[402];
            jsontree_member_pointer(k, ptr, sizeof(ptr));
            field_error(errors, ptr, "unknown_field");
        }
    }
    json_t *status = json_object_get(root, "status");
    int have_status = 0;
    if (!status)
        field_error(errors, "/status", "required");
    else if (!json_is_string(status))
        field_error(errors, "/status", "invalid_type");
    else if (ack_status_parse(json_string_value(status), &out->status) != 0)
        field_error(errors, "/status", "invalid_enum");
    else
        have_status = 1;

    json_t *amount = json_object_get(root, "amount");
    if (amount)
        parse_amount(amount, out, errors);
    else if (have_status && (out->status == ACK_FUNDS_FROZEN || out->status == ACK_FUNDS_RETURNED))
        field_error(errors, "/amount", "required");

    json_t *note = json_object_get(root, "note");
    if (note) {
        const char *s = json_string_value(note);
        if (!json_is_string(note))
            field_error(errors, "/note", "invalid_type");
        else if (code_points(s) > ACKS_NOTE_MAX)
            field_error(errors, "/note", "too_long");
        else if (!note_chars_ok(s))
            field_error(errors, "/note", "invalid_format");
        else if (card_looks_like_pan(s))
            field_error(errors, "/note", "full_card_number_refused");
        else if (!(out->note = strdup(s)))
            field_error(errors, "/note", "too_long");
    }
    json_t *pref = json_object_get(root, "party_ref");
    if (pref) {
        const char *s = json_string_value(pref);
        if (!json_is_string(pref))
            field_error(errors, "/party_ref", "invalid_type");
        else if (!*s)
            field_error(errors, "/party_ref", "too_short");
        else if (strlen(s) > ACKS_PARTY_REF_MAX)
            field_error(errors, "/party_ref", "too_long");
        else if (!printable_ascii(s))
            field_error(errors, "/party_ref", "invalid_format");
        else if (card_looks_like_pan(s))
            field_error(errors, "/party_ref", "full_card_number_refused");
        else if (!(out->party_ref = strdup(s)))
            field_error(errors, "/party_ref", "too_long");
    }
    /* The tree may hold a card number refused above: wipe its strings. */
    json_object_foreach(root, k, v)
    {
        if (json_is_string(v))
            OPENSSL_cleanse((char *)json_string_value(v), json_string_length(v));
    }
    json_decref(root);
    if (json_array_size(errors) > before) {
        acks_request_free(out);
        return -1;
    }
    hash_request(out);
    return 0;
}

void acks_request_free(struct ack_request *r)
{
    if (!r)
        return;
    if (r->note)
        OPENSSL_cleanse(r->note, strlen(r->note));
    RELAY_FREE(r->note);
    RELAY_FREE(r->party_ref);
}

/* ---- the rule (pure) -------------------------------------------------------------- */

static int is_bank(enum escalate_role r)
{
    return r == ROLE_DEBTOR_BANK || r == ROLE_CREDITOR_BANK || r == ROLE_ISSUER_BANK;
}

const char *acks_resolution(const struct acks_party *parties, int n, enum escalate_role role,
                            enum ack_status status)
{
    /* The beneficiary's bank (the issuer, for a card: the one bank that can
     * act) froze or returned the funds. */
    if ((role == ROLE_CREDITOR_BANK || role == ROLE_ISSUER_BANK) &&
        (status == ACK_FUNDS_FROZEN || status == ACK_FUNDS_RETURNED))
        return status == ACK_FUNDS_FROZEN ? "funds_frozen" : "funds_returned";
    /* Every bank addressed has last said there is nothing to recover. */
    if (!is_bank(role) || (status != ACK_NO_FUNDS && status != ACK_TOO_LATE))
        return NULL;
    int banks = 0;
    for (int i = 0; i < n; i++) {
        if (!is_bank(parties[i].role))
            continue;
        banks++;
        if (parties[i].status != ACK_NO_FUNDS && parties[i].status != ACK_TOO_LATE)
            return NULL;
    }
    return banks ? "no_recovery" : NULL;
}

int acks_party_sees(const char *key_role, const char *departement, const char *addressed_role)
{
    if (addressed_role && *addressed_role)
        return 1;
    if (!key_role || strncmp(key_role, "police:", 7) != 0)
        return 0;
    const char *unit = key_role + 7;
    if (strcmp(unit, "NATIONAL") == 0)
        return 1;
    return departement && *departement && strcmp(departement, unit) == 0;
}

/* ---- the daemon ----------------------------------------------------------------------- */

/* Lock the case, and read what decides the answer: the party's role in it,
 * every addressee with its latest answer, an identical earlier ack. Who the
 * case was addressed to is relay48_addressees (sql/015): the police unit of
 * a fired reminder or critical has no row of its own until it answers. */
static const char sql_lookup[] =
    "WITH c AS (SELECT id, state, departement FROM cases WHERE ref = $1 FOR UPDATE)"
    " SELECT c.id, c.state, c.departement, floor(extract(epoch FROM now()))::bigint,"
    "  (SELECT role FROM relay48_addressees(c.id) WHERE party = $2),"
    "  (SELECT coalesce(json_agg(json_build_array(a.party, a.role, (SELECT k.status"
    "     FROM acknowledgements k"
    "     WHERE k.case_id = c.id AND k.party = a.party ORDER BY k.id DESC LIMIT 1))), '[]')"
    "   FROM relay48_addressees(c.id) a)::text,"
    "  (SELECT json_build_array(k.status, k.amount_minor, k.currency, k.note, k.party_ref,"
    "     floor(extract(epoch FROM k.created_at))::bigint)"
    "   FROM acknowledgements k WHERE k.case_id = c.id AND k.party = $2"
    "     AND k.request_hash = decode($3, 'hex'))::text"
    " FROM c";

#define INSERT_PARAMS 13
static const char sql_insert[] =
    "WITH ins AS ("
    "  INSERT INTO acknowledgements (case_id, party, status, amount_minor, currency, note,"
    "    party_ref, request_hash)"
    "  VALUES ($1::bigint, $2, $3, $4::bigint, $5, $6, $7, decode($8, 'hex')) RETURNING id),"
    /* The party's first answer: its row gets first_ack_at, a police unit
     * known from a fired milestone only gets its row now (sql/015). */
    " first AS ("
    "  INSERT INTO case_addressees AS a (case_id, party, role, first_escalated_at, first_ack_at)"
    "  SELECT $1::bigint, x.party, x.role, x.first_escalated_at, now()"
    "  FROM relay48_addressees($1::bigint) x WHERE x.party = $2 AND x.first_ack_at IS NULL"
    "  ON CONFLICT (case_id, party) DO UPDATE SET first_ack_at = now()"
    "  WHERE a.first_ack_at IS NULL"
    "  RETURNING floor(extract(epoch FROM now() - a.first_escalated_at) * 1000000)::bigint AS us),"
    " res AS ("
    "  UPDATE cases SET state = 'resolved'"
    "  WHERE id = $1::bigint AND $9::text IS NOT NULL AND state IN ('open', 'expired')"
    "  RETURNING 1),"
    " skip AS ("
    "  UPDATE milestones SET state = 'skipped'"
    "  WHERE case_id = $1::bigint AND $9::text IS NOT NULL AND state = 'pending' RETURNING 1),"
    " ob AS ("
    "  INSERT INTO outbox (event_id, topic, key, type, case_ref, payload)"
    "  SELECT e.id::uuid, 'relay48.case-events.v1', $13::text, e.type, $13::text, e.payload"
    "  FROM (VALUES ($9::text, 'case.resolved', $10::text),"
    "    ($11::text, 'case.acknowledged', $12::text)) AS e(id, type, payload)"
    "  WHERE e.id IS NOT NULL RETURNING id, event_id)"
    " SELECT (SELECT id FROM ins), (SELECT us FROM first), (SELECT count(*) FROM res),"
    "  (SELECT count(*) FROM skip), (SELECT string_agg(id::text || ' ' || event_id::text, ',')"
    "   FROM ob)";

struct job {
    struct acks *a;
    struct job *next;
    struct evhttp_request *req; /* NULL: answered through done */
    acks_done_fn done;
    void *done_arg;
    char request_id[17];
    struct keys_party party;
    char ref[IDS_REF_SIZE];
    struct ack_request ack;
    int outstanding;
    /* decided at lookup */
    char role[16];
    char new_state[12];
    int64_t now_s;
    struct escalate_event ev[2]; /* case.resolved?, case.acknowledged */
    int nev;
    /* results */
    int insert_ok, commit_ok, commit_answered;
    int64_t first_us; /* -1: not the first answer */
    char *rows;
};

struct acks {
    const struct config *cfg;
    struct db *db;
    struct outbox *outbox;
    struct keys_cache *keys;
    struct job *head, *tail; /* head is the one running when running */
    int running;
    int queued;
};

static void job_free(struct job *j)
{
    acks_request_free(&j->ack);
    escalate_events_free(j->ev, 2);
    free(j->rows);
    free(j);
}

static void count(const char *outcome)
{
    char series[96];
    snprintf(series, sizeof(series), "relay48_acks_total{outcome=\"%s\"}", outcome);
    metrics_add(series, 1);
}

static void run_next(struct acks *a);

/* Answer the running job (problem or body) and go on with the next. */
static void done(struct job *j, int status, json_t *body, int replayed)
{
    struct acks *a = j->a;
    if (!j->req) {
        j->done(status, body, j->done_arg);
        json_decref(body);
    } else if (status >= 400) {
        problem_send(j->req, body, status == 503 ? (int)a->cfg->retry_after_s : 0);
    } else {
        if (replayed)
            evhttp_add_header(evhttp_request_get_output_headers(j->req), "Idempotency-Replayed",
                              "true");
        http_reply_json(j->req, status, body);
    }
    a->head = j->next;
    if (!a->head)
        a->tail = NULL;
    a->queued--;
    a->running = 0;
    job_free(j);
    run_next(a);
}

static void end_transaction(struct acks *a)
{
    if (db_send(a->db, NULL, "ROLLBACK", 0, NULL, NULL, NULL) == 0 && db_sync(a->db) != 0)
        log_warn("acks.rollback_lost", "connection lost while ending a transaction");
}

static json_t *unavailable(void)
{
    return problem_new(PROBLEM_DATABASE_UNAVAILABLE, "the acknowledgement was not recorded");
}

static void publish(struct job *j)
{
    char when[TIMEUTIL_UTC_SIZE];
    if (rfc3339_format_utc(j->now_s, when, sizeof(when)) != 0)
        snprintf(when, sizeof(when), "1970-01-01T00:00:00Z");
    const char *p = j->rows;
    while (p && *p) {
        char *end = NULL;
        int64_t id = strtoll(p, &end, 10);
        if (!end || *end != ' ')
            break;
        const char *uuid = end + 1;
        size_t ulen = strcspn(uuid, ",");
        for (int i = 0; i < j->nev; i++) {
            struct escalate_event *e = &j->ev[i];
            if (ulen == strlen(e->id) && strncmp(e->id, uuid, ulen) == 0)
                outbox_publish_one(j->a->outbox, id, e->id, e->topic, e->key, e->type, when,
                                   e->payload, e->payload_len);
        }
        p = uuid + ulen;
        if (*p == ',')
            p++;
    }
}

static json_t *answer_body(struct job *j, const char *status, int64_t amount_minor,
                           const char *currency, const char *note, const char *party_ref,
                           int64_t at, const char *case_state)
{
    struct escalate_ack ea = {.ref = j->ref,
                              .party = j->party.role,
                              .role = j->role,
                              .status = status,
                              .amount_minor = amount_minor,
                              .currency = currency,
                              .note = note,
                              .party_ref = party_ref,
                              .at = at};
    json_t *o = escalate_ack_json(&ea);
    if (o)
        json_object_set_new(o, "case_state", json_string(case_state));
    return o;
}

static void finalize(struct job *j)
{
    if (!j->commit_ok || !j->insert_ok) {
        /* A failed statement leaves the transaction aborted: end it. */
        if (j->commit_answered)
            end_transaction(j->a);
        count("unavailable");
        done(j, 503, unavailable(), 0);
        return;
    }
    publish(j);
    if (j->first_us >= 0 && strncmp(j->party.role, "bank:", 5) == 0) {
        char series[96];
        snprintf(series, sizeof(series), "relay48_bank_first_ack_seconds{bic=\"%s\"}",
                 j->party.role + 5);
        metrics_observe_us(series, j->first_us);
    }
    log_write(LOG_INFO, "acks.recorded", j->request_id, j->ref, "%s %s -> case %s", j->party.role,
              ack_status_name(j->ack.status), j->new_state);
    count("created");
    done(j, 201,
         answer_body(j, ack_status_name(j->ack.status), j->ack.amount_minor,
                     j->ack.amount_minor ? j->ack.currency : NULL, j->ack.note, j->ack.party_ref,
                     j->now_s, j->new_state),
         0);
}

static void on_insert(PGresult *res, void *arg)
{
    struct job *j = arg;
    if (res && PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
        j->insert_ok = 1;
        j->first_us = PQgetisnull(res, 0, 1) ? -1 : strtoll(PQgetvalue(res, 0, 1), NULL, 10);
        if (!PQgetisnull(res, 0, 4)) {
            j->rows = strdup(PQgetvalue(res, 0, 4));
            j->insert_ok = j->rows != NULL;
        }
    } else if (res && PQresultStatus(res) != PGRES_PIPELINE_ABORTED) {
        log_write(LOG_ERROR, "acks.insert_failed", j->request_id, j->ref, "%s",
                  PQresultErrorMessage(res));
    }
    if (--j->outstanding == 0)
        finalize(j);
}

static void on_commit(PGresult *res, void *arg)
{
    struct job *j = arg;
    j->commit_answered = res != NULL;
    j->commit_ok = res && PQresultStatus(res) == PGRES_COMMAND_OK;
    if (--j->outstanding == 0)
        finalize(j);
}

/* [[party, role, latest status or null], ...]; *mine: index of `party`, or -1. */
static int load_parties(const char *text, const char *party, struct acks_party *out, int max,
                        int *mine)
{
    *mine = -1;
    json_t *arr = json_loads(text ? text : "[]", 0, NULL);
    int n = 0;
    size_t i;
    json_t *row;
    json_array_foreach(arr, i, row)
    {
        enum escalate_role role;
        if (n == max || escalate_role_parse(json_string_value(json_array_get(row, 1)), &role) != 0)
            continue;
        const char *p = json_string_value(json_array_get(row, 0));
        if (p && strcmp(p, party) == 0)
            *mine = n;
        enum ack_status st;
        out[n].role = role;
        out[n].status =
            ack_status_parse(json_string_value(json_array_get(row, 2)), &st) == 0 ? (int)st : -1;
        n++;
    }
    json_decref(arr);
    return n;
}

static void on_lookup(PGresult *res, void *arg)
{
    struct job *j = arg;
    struct acks *a = j->a;
    j->outstanding--;
    if (!res) {
        count("unavailable");
        done(j, 503, unavailable(), 0);
        return;
    }
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        log_write(LOG_ERROR, "acks.lookup_failed", j->request_id, j->ref, "%s",
                  PQresultErrorMessage(res));
        end_transaction(a);
        count("unavailable");
        done(j, 503, unavailable(), 0);
        return;
    }
    if (PQntuples(res) != 1) {
        end_transaction(a);
        count("not_found");
        done(j, 404, problem_new(PROBLEM_NOT_FOUND, "no such case for this party"), 0);
        return;
    }
    int64_t case_id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    const char *state = PQgetvalue(res, 0, 1);
    const char *dept = PQgetisnull(res, 0, 2) ? NULL : PQgetvalue(res, 0, 2);
    j->now_s = strtoll(PQgetvalue(res, 0, 3), NULL, 10);
    const char *role = PQgetisnull(res, 0, 4) ? NULL : PQgetvalue(res, 0, 4);
    if (!acks_party_sees(j->party.role, dept, role)) {
        end_transaction(a);
        count("not_found");
        done(j, 404, problem_new(PROBLEM_NOT_FOUND, "no such case for this party"), 0);
        return;
    }
    if (!role) {
        end_transaction(a);
        count("forbidden");
        done(j, 403,
             problem_new(PROBLEM_FORBIDDEN, "this case was not addressed to this party (yet)"), 0);
        return;
    }
    snprintf(j->role, sizeof(j->role), "%s", role);
    if (!PQgetisnull(res, 0, 6)) {
        /* An identical acknowledgement is stored: answer it again. */
        json_t *k = json_loads(PQgetvalue(res, 0, 6), 0, NULL);
        json_t *amount = json_array_get(k, 1);
        json_t *body = answer_body(
            j, json_string_value(json_array_get(k, 0)),
            json_is_integer(amount) ? (int64_t)json_integer_value(amount) : 0,
            json_string_value(json_array_get(k, 2)), json_string_value(json_array_get(k, 3)),
            json_string_value(json_array_get(k, 4)),
            (int64_t)json_integer_value(json_array_get(k, 5)), state);
        json_decref(k);
        end_transaction(a);
        count("replayed");
        done(j, 200, body, 1);
        return;
    }

    /* The rule, with this answer as the party's latest. */
    struct acks_party parties[16];
    int mine = -1;
    int n = load_parties(PQgetvalue(res, 0, 5), j->party.role, parties, 16, &mine);
    enum escalate_role my_role = ROLE_POLICE;
    if (escalate_role_parse(role, &my_role) != 0)
        my_role = ROLE_POLICE;
    if (mine >= 0)
        parties[mine].status = (int)j->ack.status;
    const char *reason = NULL;
    if (strcmp(state, "open") == 0 || strcmp(state, "expired") == 0)
        reason = acks_resolution(parties, n, my_role, j->ack.status);
    snprintf(j->new_state, sizeof(j->new_state), "%s", reason ? "resolved" : state);

    struct escalate_ack ea = {.ref = j->ref,
                              .party = j->party.role,
                              .role = role,
                              .status = ack_status_name(j->ack.status),
                              .amount_minor = j->ack.amount_minor,
                              .currency = j->ack.amount_minor ? j->ack.currency : NULL,
                              .note = j->ack.note,
                              .party_ref = j->ack.party_ref,
                              .at = j->now_s};
    j->nev = 0;
    if (reason) {
        if (escalate_resolved(j->ref, reason, j->now_s, &j->ev[0]) != 0)
            goto oom;
        j->nev = 1;
    }
    if (escalate_acknowledged(&ea, &j->ev[1]) != 0)
        goto oom;
    j->nev = 2;

    char id[24], amount[24];
    snprintf(id, sizeof(id), "%" PRId64, case_id);
    snprintf(amount, sizeof(amount), "%" PRId64, j->ack.amount_minor);
    const char *p[INSERT_PARAMS] = {id,
                                    j->party.role,
                                    ack_status_name(j->ack.status),
                                    j->ack.amount_minor ? amount : NULL,
                                    j->ack.amount_minor ? j->ack.currency : NULL,
                                    j->ack.note,
                                    j->ack.party_ref,
                                    j->ack.hash,
                                    reason ? j->ev[0].id : NULL,
                                    reason ? j->ev[0].payload : NULL,
                                    j->ev[1].id,
                                    j->ev[1].payload,
                                    j->ref};
    if (db_send(a->db, "acks_insert", NULL, INSERT_PARAMS, p, on_insert, j) != 0) {
        /* Not queued: the connection is gone, and the transaction with it. */
        count("unavailable");
        done(j, 503, unavailable(), 0);
        return;
    }
    j->outstanding = 1;
    if (db_send(a->db, NULL, "COMMIT", 0, NULL, on_commit, j) == 0)
        j->outstanding++;
    if (db_sync(a->db) != 0)
        log_warn("acks.sync_lost", "connection lost while recording an acknowledgement");
    /* Without COMMIT queued, on_insert (NULL) answers 503. */
    return;
oom:
    end_transaction(a);
    count("unavailable");
    done(j, 503, unavailable(), 0);
}

static void run_next(struct acks *a)
{
    while (!a->running && a->head) {
        struct job *j = a->head;
        const char *p[3] = {j->ref, j->party.role, j->ack.hash};
        if (db_send(a->db, NULL, "BEGIN", 0, NULL, NULL, NULL) == 0 &&
            db_send(a->db, "acks_lookup", NULL, 3, p, on_lookup, j) == 0) {
            a->running = 1;
            j->outstanding = 1;
            if (db_sync(a->db) != 0)
                log_warn("acks.sync_lost", "connection lost while looking up a case");
            return;
        }
        /* The database is not there: answer 503 and try the next. */
        a->running = 1;
        count("unavailable");
        done(j, 503, unavailable(), 0);
    }
}

int acks_prepare(struct db *db)
{
    if (db_prepare(db, "acks_lookup", sql_lookup, 3) != 0 ||
        db_prepare(db, "acks_insert", sql_insert, INSERT_PARAMS) != 0)
        return -1;
    return 0;
}

struct acks *acks_new(const struct config *cfg, struct db *db, struct outbox *outbox,
                      struct keys_cache *keys, char *errstr, size_t errstr_size)
{
    struct acks *a = calloc(1, sizeof(*a));
    if (!a) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    a->cfg = cfg;
    a->db = db;
    a->outbox = outbox;
    a->keys = keys;
    metrics_describe("relay48_acks_total", METRIC_COUNTER,
                     "Acknowledgements received on POST /v1/cases/{ref}/acks, by answer.");
    metrics_describe("relay48_bank_first_ack_seconds", METRIC_HISTOGRAM,
                     "Time from the first escalation of a case to a bank to that bank's first "
                     "acknowledgement, by BIC.");
    return a;
}

void acks_free(struct acks *a)
{
    if (!a)
        return;
    /* The connection was freed first: no callback is coming. */
    struct job *j = a->head, *next;
    for (; j; j = next) {
        next = j->next;
        if (j->req) {
            problem_send(j->req, unavailable(), (int)a->cfg->retry_after_s);
        } else {
            json_t *pb = unavailable();
            j->done(503, pb, j->done_arg);
            json_decref(pb);
        }
        job_free(j);
    }
    free(a);
}

int acks_inflight(const struct acks *a)
{
    return a ? a->queued : 0;
}

/* ---- HTTP ------------------------------------------------------------------------ */

static void enqueue(struct acks *a, struct job *j)
{
    j->a = a;
    j->first_us = -1;
    if (a->tail)
        a->tail->next = j;
    else
        a->head = j;
    a->tail = j;
    a->queued++;
    run_next(a);
}

void acks_handle(struct evhttp_request *req, const struct http_match *m, void *arg)
{
    struct acks *a = arg;
    struct evkeyvalq *hdr = evhttp_request_get_input_headers(req);
    if (evbuffer_get_length(evhttp_request_get_input_buffer(req)) >
        (size_t)a->cfg->http_body_limit) {
        count("too_large");
        problem_reply(req, PROBLEM_PAYLOAD_TOO_LARGE, NULL, 0);
        return;
    }
    struct keys_party party;
    int st = keys_cache_authorise(a->keys, req, &party);
    if (st != 0) {
        count(st == 429 ? "rate_limited" : st == 503 ? "not_ready" : "unauthorized");
        return;
    }
    if (strncmp(party.role, "bank:", 5) != 0 && strncmp(party.role, "police:", 7) != 0) {
        count("forbidden");
        problem_reply(req, PROBLEM_FORBIDDEN, "only bank and police keys acknowledge cases", 0);
        return;
    }
    if (m->nparams < 1 || !ids_ref_valid(m->param[0])) {
        count("not_found");
        problem_reply(req, PROBLEM_NOT_FOUND, "no such case for this party", 0);
        return;
    }
    if (!http_content_type_is_json(evhttp_find_header(hdr, "Content-Type"))) {
        count("unsupported_media_type");
        problem_reply(req, PROBLEM_UNSUPPORTED_MEDIA_TYPE, NULL, 0);
        return;
    }
    size_t len = 0;
    int too_large = 0;
    char *body = http_body(req, (size_t)a->cfg->http_body_limit, &len, &too_large);
    if (!body) {
        count("too_large");
        problem_reply(req, PROBLEM_PAYLOAD_TOO_LARGE, NULL, 0);
        return;
    }
    struct job *j = calloc(1, sizeof(*j));
    json_t *errors = json_array();
    int rc = j && errors ? acks_parse(body, len, &j->ack, errors) : -3;
    OPENSSL_cleanse(body, len);
    free(body);
    if (rc != 0) {
        if (rc == -2) {
            count("invalid_json");
            problem_reply(req, PROBLEM_INVALID_JSON, "the body must be one JSON object", 0);
        } else if (rc == -1) {
            count("invalid");
            json_t *pb = problem_new(PROBLEM_INVALID_REQUEST, "some fields are invalid");
            json_object_set(pb, "errors", errors);
            problem_send(req, pb, 0);
        } else {
            problem_send(req, unavailable(), (int)a->cfg->retry_after_s);
        }
        json_decref(errors);
        free(j);
        return;
    }
    json_decref(errors);
    if (a->queued >= ACKS_QUEUE_MAX) {
        count("unavailable");
        acks_request_free(&j->ack);
        free(j);
        problem_send(req, unavailable(), (int)a->cfg->retry_after_s);
        return;
    }
    j->req = req;
    j->party = party;
    memcpy(j->ref, m->param[0], IDS_REF_SIZE - 1); /* ids_ref_valid: exactly that long */
    snprintf(j->request_id, sizeof(j->request_id), "%s", m->request_id);
    enqueue(a, j);
}

int acks_submit(void *ctx, const char *party, const char *ref, const char *body, size_t len,
                const char *request_id, acks_done_fn done_fn, void *arg)
{
    struct acks *a = ctx;
    if (!a || !party || !ref || !done_fn || !ids_ref_valid(ref) ||
        (strncmp(party, "bank:", 5) != 0 && strncmp(party, "police:", 7) != 0) ||
        strlen(party) > KEYS_ROLE_MAX || a->queued >= ACKS_QUEUE_MAX || !db_ready(a->db))
        return -1; /* (a database not ready would answer at once, not later) */
    struct job *j = calloc(1, sizeof(*j));
    json_t *errors = json_array();
    if (!j || !errors || acks_parse(body, len, &j->ack, errors) != 0) {
        json_decref(errors);
        free(j);
        return -1;
    }
    json_decref(errors);
    j->done = done_fn;
    j->done_arg = arg;
    snprintf(j->party.role, sizeof(j->party.role), "%s", party);
    snprintf(j->party.party, sizeof(j->party.party), "%s", party);
    snprintf(j->party.id, sizeof(j->party.id), "webhook");
    memcpy(j->ref, ref, IDS_REF_SIZE - 1);
    snprintf(j->request_id, sizeof(j->request_id), "%s", request_id ? request_id : "");
    enqueue(a, j);
    return 0;
}
