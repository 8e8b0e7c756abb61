/* cases_api.c — case reads of banks and police units; see cases_api.h. */
#include "cases_api.h"

#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "accesslog.h"
#include "acks.h"
#include "amount.h"
#include "config.h"
#include "db.h"
#include "http.h"
#include "ids.h"
#include "keys.h"
#include "log.h"
#include "metrics.h"
#include "postal.h"
#include "problem.h"
#include "timeutil.h"

static const char sql_one[] =
    "SELECT c.id, c.ref, c.kind, c.rail, c.state, c.window_state,"
    "  floor(extract(epoch FROM c.start_at))::bigint,"
    "  floor(extract(epoch FROM c.received_at))::bigint,"
    "  floor(extract(epoch FROM c.deadline_at))::bigint,"
    "  c.amount_minor, c.currency, c.debtor_iban, c.debtor_bic, c.creditor_iban, c.creditor_bic,"
    "  c.card_bin, c.card_last4, c.receipt, c.scenario, c.departement, "
    "array_to_json(c.flags)::text,"
    "  c.details::text,"
    "  (SELECT role FROM relay48_addressees(c.id) WHERE party = $2),"
    "  (SELECT json_agg(json_build_array(m.name, floor(extract(epoch FROM m.due_at))::bigint,"
    "     m.severity, m.state, floor(extract(epoch FROM m.fired_at))::bigint)"
    "     ORDER BY array_position(ARRAY['alert', 'reminder', 'critical', 'expiry'], m.name))"
    "   FROM milestones m WHERE m.case_id = c.id)::text,"
    "  (SELECT json_agg(json_build_array(a.party, a.role,"
    "     floor(extract(epoch FROM a.first_escalated_at))::bigint,"
    "     floor(extract(epoch FROM a.first_ack_at))::bigint) ORDER BY a.first_escalated_at, "
    "a.party)"
    "   FROM relay48_addressees(c.id) a)::text,"
    "  (SELECT json_agg(json_build_array(k.party, a.role, k.status, k.amount_minor, k.currency,"
    "     k.note, k.party_ref, floor(extract(epoch FROM k.created_at))::bigint) ORDER BY k.id)"
    "   FROM (SELECT * FROM acknowledgements WHERE case_id = c.id ORDER BY id DESC LIMIT 200) k"
    "   LEFT JOIN relay48_addressees(c.id) a ON a.party = k.party)::text"
    " FROM cases c WHERE c.ref = $1";

/* The columns of a list item; $1 party, $2 state, $3 and $4 the cursor, $5
 * the page size, $6 the département. */
#define LIST_COLUMNS                                                                               \
    "c.id, c.ref, c.kind, c.rail, c.state, c.window_state,"                                        \
    " floor(extract(epoch FROM c.received_at))::bigint,"                                           \
    " floor(extract(epoch FROM c.deadline_at))::bigint, c.amount_minor, c.currency,"               \
    " c.departement, array_to_json(c.flags)::text,"                                                \
    " (SELECT role FROM relay48_addressees(c.id) WHERE party = $1),"                               \
    " (SELECT m.name || ':' || m.severity || ':' || floor(extract(epoch FROM m.due_at))::bigint"   \
    "  FROM milestones m WHERE m.case_id = c.id AND m.state = 'pending' ORDER BY m.due_at LIMIT "  \
    "1)"
#define LIST_TAIL                                                                                  \
    " AND c.state = $2 AND (c.deadline_at, c.id) > (to_timestamp($3::bigint), $4::bigint)"         \
    " ORDER BY c.deadline_at, c.id LIMIT $5::int"

static const char sql_list_bank[] =
    "SELECT " LIST_COLUMNS " FROM case_addressees a JOIN cases c ON c.id = a.case_id"
    " WHERE a.party = $1 AND a.role <> 'police'" LIST_TAIL; /* case_addressees_bank */
static const char sql_list_dept[] =
    "SELECT " LIST_COLUMNS " FROM cases c WHERE c.departement = $6" LIST_TAIL;
static const char sql_list_all[] = "SELECT " LIST_COLUMNS " FROM cases c WHERE true" LIST_TAIL;

/* ---- cursor (pure) ------------------------------------------------------------------ */

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int cases_cursor_encode(int64_t deadline_at, int64_t id, char *out, size_t size)
{
    char raw[48];
    int n = snprintf(raw, sizeof(raw), "%" PRId64 ".%" PRId64, deadline_at, id);
    size_t need = ((size_t)n * 4 + 2) / 3 + 1;
    if (n < 0 || need > size)
        return -1;
    size_t o = 0;
    for (int i = 0; i < n; i += 3) {
        unsigned v = (unsigned char)raw[i] << 16;
        if (i + 1 < n)
            v |= (unsigned char)raw[i + 1] << 8;
        if (i + 2 < n)
            v |= (unsigned char)raw[i + 2];
        out[o++] = b64url[(v >> 18) & 63];
        out[o++] = b64url[(v >> 12) & 63];
        if (i + 1 < n)
            out[o++] = b64url[(v >> 6) & 63];
        if (i + 2 < n)
            out[o++] = b64url[v & 63];
    }
    out[o] = '\0';
    return 0;
}

static int b64_value(char c)
{
    const char *p = c ? strchr(b64url, c) : NULL;
    return p ? (int)(p - b64url) : -1;
}

static int parse_i64(const char *s, size_t n, int64_t *out)
{
    if (n == 0 || n > 18)
        return -1;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

int cases_cursor_decode(const char *cursor, int64_t *deadline_at, int64_t *id)
{
    if (!cursor)
        return -1;
    size_t len = strlen(cursor);
    if (len < 2 || len > CASES_CURSOR_SIZE || len % 4 == 1)
        return -1;
    char raw[48];
    size_t o = 0;
    for (size_t i = 0; i < len; i += 4) {
        int v[4] = {0, 0, 0, 0};
        size_t k = 0;
        for (; k < 4 && i + k < len; k++) {
            v[k] = b64_value(cursor[i + k]);
            if (v[k] < 0)
                return -1;
        }
        unsigned w = (unsigned)(v[0] << 18 | v[1] << 12 | v[2] << 6 | v[3]);
        if (o + 3 >= sizeof(raw))
            return -1;
        raw[o++] = (char)((w >> 16) & 0xff);
        if (k > 2)
            raw[o++] = (char)((w >> 8) & 0xff);
        if (k > 3)
            raw[o++] = (char)(w & 0xff);
    }
    raw[o] = '\0';
    char *dot = memchr(raw, '.', o);
    if (!dot || parse_i64(raw, (size_t)(dot - raw), deadline_at) != 0 ||
        parse_i64(dot + 1, o - (size_t)(dot - raw) - 1, id) != 0)
        return -1;
    /* Canonical form only: what this relay wrote, nothing else decodes. */
    char again[CASES_CURSOR_SIZE + 1];
    if (cases_cursor_encode(*deadline_at, *id, again, sizeof(again)) != 0 ||
        strcmp(again, cursor) != 0)
        return -1;
    return 0;
}

/* ---- daemon ---------------------------------------------------------------------------- */

struct cases_api {
    const struct config *cfg;
    struct db *db;
    struct keys_cache *keys;
    struct accesslog *log;
    int inflight; /* reads not answered yet (the database, then the access log) */
};

struct read {
    struct cases_api *c;
    struct evhttp_request *req;
    struct keys_party party;
    char request_id[17];
    char ref[IDS_REF_SIZE];
    int limit;
    json_t *body; /* the answer, held until its access rows committed */
};

static void count(const char *outcome)
{
    char series[96];
    snprintf(series, sizeof(series), "relay48_case_reads_total{outcome=\"%s\"}", outcome);
    metrics_add(series, 1);
}

static json_t *unavailable(void)
{
    return problem_new(PROBLEM_DATABASE_UNAVAILABLE, "the case could not be read; try again");
}

/* The read is answered: it leaves the in-flight count and is freed. */
static void read_done(struct read *rd)
{
    rd->c->inflight--;
    json_decref(rd->body);
    free(rd);
}

static void on_logged(int ok, void *arg)
{
    struct read *rd = arg;
    if (ok) {
        count("ok");
        http_reply_json(rd->req, 200, rd->body);
        rd->body = NULL;
    } else {
        count("unlogged");
        problem_send(rd->req,
                     problem_new(PROBLEM_DATABASE_UNAVAILABLE,
                                 "the read could not be logged, so it was not answered; try again"),
                     (int)rd->c->cfg->retry_after_s);
    }
    read_done(rd);
}

/*
 * The single place case reads are recorded, and answered: a JSON log line
 * per case, and one row per case in case_access_log (accesslog.h). The
 * answer (body, taken) is sent once the rows committed; when they cannot
 * be written the read answers 503 instead: no row, no read.
 */
static void cases_api_access_log(struct read *rd, const char *const *refs, size_t n,
                                 const char *what, json_t *body)
{
    rd->body = body;
    if (n == 0) {
        on_logged(1, rd); /* an empty page discloses no case */
        return;
    }
    struct accesslog_entry rows[CASES_LIMIT_MAX];
    for (size_t i = 0; i < n; i++) {
        log_write(LOG_INFO, "cases.access", rd->request_id, refs[i], "%s read by %s (key %s)", what,
                  rd->party.role, rd->party.id);
        rows[i] = (struct accesslog_entry){.key_id = rd->party.id,
                                           .party = rd->party.party,
                                           .role = rd->party.role,
                                           .ref = refs[i],
                                           .route = what,
                                           .request_id = rd->request_id};
    }
    if (accesslog_record(rd->c->log, rows, n, on_logged, rd) != 0)
        on_logged(0, rd);
}

static json_t *time_json(int64_t t)
{
    char buf[TIMEUTIL_UTC_SIZE];
    if (rfc3339_format_utc(t, buf, sizeof(buf)) != 0)
        return json_null();
    return json_string(buf);
}

static json_t *amount_json(int64_t minor, const char *currency)
{
    char buf[AMOUNT_FORMAT_MAX];
    if (!currency || amount_format(minor, currency, buf, sizeof(buf)) != 0)
        return json_null();
    return json_pack("{s:s, s:s}", "value", buf, "currency", currency);
}

static const char *val(PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

static int64_t ival(PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? 0 : strtoll(PQgetvalue(res, row, col), NULL, 10);
}

static void set_str(json_t *o, const char *key, const char *v)
{
    if (v && *v)
        json_object_set_new(o, key, json_string(v));
}

static void copy_member(json_t *dst, json_t *src, const char *key)
{
    json_t *x = json_object_get(src, key);
    if (x)
        json_object_set(dst, key, x);
}

static json_t *party_json(const char *iban, const char *bic, json_t *details, const char *side)
{
    json_t *o = json_pack("{s:s}", "iban", iban);
    set_str(o, "bic", bic);
    json_t *name = json_object_get(json_object_get(details, side), "name");
    if (json_is_string(name))
        json_object_set(o, "name", name);
    return o;
}

static json_t *loads(const char *text)
{
    return text ? json_loads(text, 0, NULL) : NULL;
}

static int is_police(const struct keys_party *p)
{
    return strncmp(p->role, "police:", 7) == 0;
}

/* The case as this party may see it. */
static json_t *case_view(PGresult *res, const struct keys_party *party)
{
    int police = is_police(party);
    const char *kind = val(res, 0, 2);
    const char *dept = val(res, 0, 19);
    json_t *details = loads(val(res, 0, 21));
    json_t *o = json_object();
    set_str(o, "ref", val(res, 0, 1));
    set_str(o, "kind", kind);
    set_str(o, "rail", val(res, 0, 3));
    set_str(o, "state", val(res, 0, 4));
    set_str(o, "window_state", val(res, 0, 5));
    json_object_set_new(o, "start_at", time_json(ival(res, 0, 6)));
    json_object_set_new(o, "received_at", time_json(ival(res, 0, 7)));
    json_object_set_new(o, "deadline_at", time_json(ival(res, 0, 8)));
    json_object_set_new(o, "amount", amount_json(ival(res, 0, 9), val(res, 0, 10)));
    json_object_set_new(o, "departement", json_string(dept && *dept ? dept : "NATIONAL"));
    json_object_set_new(o, "national_queue", json_boolean(!(dept && *dept)));
    if (kind && strcmp(kind, "transfer") == 0) {
        if (police)
            set_str(o, "debtor_bic", val(res, 0, 12));
        else if (val(res, 0, 11))
            json_object_set_new(o, "debtor",
                                party_json(val(res, 0, 11), val(res, 0, 12), details, "debtor"));
        if (val(res, 0, 13))
            json_object_set_new(o, "creditor",
                                party_json(val(res, 0, 13), val(res, 0, 14), details, "creditor"));
        copy_member(o, details, "end_to_end_id");
        copy_member(o, details, "uetr");
    } else {
        set_str(o, "issuer_bic", val(res, 0, 14));
        if (val(res, 0, 15) && val(res, 0, 16))
            json_object_set_new(
                o, "card",
                json_pack("{s:s, s:s}", "bin", val(res, 0, 15), "last4", val(res, 0, 16)));
        set_str(o, "receipt", val(res, 0, 17));
        copy_member(o, details, "operations");
    }
    set_str(o, "scenario", val(res, 0, 18));
    copy_member(o, details, "narrative");
    json_t *v = json_object_get(details, "victim");
    json_t *victim = json_object();
    static const char *const keys[] = {"name", "email", "phone", "type", "postal_code"};
    for (size_t i = 0; i < RELAY_ARRAY_LEN(keys); i++) {
        if (!police && strcmp(keys[i], "postal_code") == 0)
            continue;
        copy_member(victim, v, keys[i]);
    }
    json_object_set_new(o, "victim", victim);
    json_t *flags = loads(val(res, 0, 20));
    json_object_set_new(o, "flags", json_is_array(flags) ? flags : json_array());
    if (!json_is_array(flags))
        json_decref(flags);
    set_str(o, "addressed_as", val(res, 0, 22));

    json_t *ms = json_array(), *rows = loads(val(res, 0, 23));
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        json_t *m = json_pack("{s:O, s:o, s:O, s:O}", "name", json_array_get(r, 0), "due_at",
                              time_json(json_integer_value(json_array_get(r, 1))), "severity",
                              json_array_get(r, 2), "state", json_array_get(r, 3));
        if (json_is_integer(json_array_get(r, 4)))
            json_object_set_new(m, "fired_at", time_json(json_integer_value(json_array_get(r, 4))));
        json_array_append_new(ms, m);
    }
    json_decref(rows);
    json_object_set_new(o, "milestones", ms);

    json_t *ads = json_array();
    rows = loads(val(res, 0, 24));
    json_array_foreach(rows, i, r)
    {
        json_t *a = json_pack("{s:O, s:O, s:o}", "party", json_array_get(r, 0), "role",
                              json_array_get(r, 1), "first_escalated_at",
                              time_json(json_integer_value(json_array_get(r, 2))));
        if (json_is_integer(json_array_get(r, 3)))
            json_object_set_new(a, "first_ack_at",
                                time_json(json_integer_value(json_array_get(r, 3))));
        json_array_append_new(ads, a);
    }
    json_decref(rows);
    json_object_set_new(o, "addressees", ads);

    json_t *acks = json_array();
    rows = loads(val(res, 0, 25));
    json_array_foreach(rows, i, r)
    {
        json_t *role = json_array_get(r, 1);
        json_t *k = json_pack("{s:O, s:o, s:O}", "party", json_array_get(r, 0), "role",
                              json_is_string(role) ? json_incref(role) : json_string("police"),
                              "status", json_array_get(r, 2));
        if (json_is_integer(json_array_get(r, 3)))
            json_object_set_new(k, "amount",
                                amount_json(json_integer_value(json_array_get(r, 3)),
                                            json_string_value(json_array_get(r, 4))));
        if (json_is_string(json_array_get(r, 5)))
            json_object_set(k, "note", json_array_get(r, 5));
        if (json_is_string(json_array_get(r, 6)))
            json_object_set(k, "party_ref", json_array_get(r, 6));
        json_object_set_new(k, "at", time_json(json_integer_value(json_array_get(r, 7))));
        json_array_append_new(acks, k);
    }
    json_decref(rows);
    json_object_set_new(o, "acknowledgements", acks);
    char url[64];
    snprintf(url, sizeof(url), "/v1/cases/%s/acks", val(res, 0, 1));
    json_object_set_new(o, "ack_url", json_string(url));
    json_decref(details);
    return o;
}

static void on_one(PGresult *res, void *arg)
{
    struct read *rd = arg;
    struct cases_api *c = rd->c;
    if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
        if (res)
            log_write(LOG_ERROR, "cases.read_failed", rd->request_id, rd->ref, "%s",
                      PQresultErrorMessage(res));
        count("unavailable");
        problem_send(rd->req, unavailable(), (int)c->cfg->retry_after_s);
    } else if (PQntuples(res) != 1 ||
               !acks_party_sees(rd->party.role, val(res, 0, 19), val(res, 0, 22))) {
        count("not_found");
        problem_reply(rd->req, PROBLEM_NOT_FOUND, "no such case for this party", 0);
    } else {
        const char *refs[1] = {rd->ref};
        cases_api_access_log(rd, refs, 1, "case", case_view(res, &rd->party));
        return;
    }
    read_done(rd);
}

static void on_list(PGresult *res, void *arg)
{
    struct read *rd = arg;
    struct cases_api *c = rd->c;
    if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
        if (res)
            log_write(LOG_ERROR, "cases.list_failed", rd->request_id, NULL, "%s",
                      PQresultErrorMessage(res));
        count("unavailable");
        problem_send(rd->req, unavailable(), (int)c->cfg->retry_after_s);
        read_done(rd);
        return;
    }
    int n = PQntuples(res);
    if (n > CASES_LIMIT_MAX)
        n = CASES_LIMIT_MAX; /* LIMIT $5, at most CASES_LIMIT_MAX */
    const char *refs[CASES_LIMIT_MAX];
    json_t *items = json_array();
    for (int i = 0; i < n; i++) {
        const char *dept = val(res, i, 10);
        json_t *it = json_object();
        set_str(it, "ref", val(res, i, 1));
        set_str(it, "kind", val(res, i, 2));
        set_str(it, "rail", val(res, i, 3));
        set_str(it, "state", val(res, i, 4));
        set_str(it, "window_state", val(res, i, 5));
        json_object_set_new(it, "received_at", time_json(ival(res, i, 6)));
        json_object_set_new(it, "deadline_at", time_json(ival(res, i, 7)));
        json_object_set_new(it, "amount", amount_json(ival(res, i, 8), val(res, i, 9)));
        json_object_set_new(it, "departement", json_string(dept && *dept ? dept : "NATIONAL"));
        json_t *flags = loads(val(res, i, 11));
        json_object_set_new(it, "flags", json_is_array(flags) ? flags : json_array());
        if (!json_is_array(flags))
            json_decref(flags);
        set_str(it, "addressed_as", val(res, i, 12));
        const char *next = val(res, i, 13); /* name:severity:epoch */
        if (next) {
            char buf[64];
            snprintf(buf, sizeof(buf), "%s", next);
            char *c1 = strchr(buf, ':');
            char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
            if (c2) {
                *c1 = *c2 = '\0';
                json_object_set_new(it, "next_milestone",
                                    json_pack("{s:s, s:s, s:o}", "name", buf, "severity", c1 + 1,
                                              "due_at", time_json(strtoll(c2 + 1, NULL, 10))));
            }
        }
        json_array_append_new(items, it);
        refs[i] = PQgetvalue(res, i, 1);
    }
    json_t *body = json_pack("{s:o}", "items", items);
    if (n == rd->limit && n > 0) {
        char cur[CASES_CURSOR_SIZE + 1];
        if (cases_cursor_encode(ival(res, n - 1, 7), ival(res, n - 1, 0), cur, sizeof(cur)) == 0)
            json_object_set_new(body, "next_cursor", json_string(cur));
    }
    cases_api_access_log(rd, refs, (size_t)n, "list", body);
}

/* Authenticated bank or police party, or an answer already sent. */
static int authorise(struct cases_api *c, struct evhttp_request *req, struct keys_party *party)
{
    int st = keys_cache_authorise(c->keys, req, party);
    if (st != 0) {
        count(st == 429 ? "rate_limited" : st == 503 ? "not_ready" : "unauthorized");
        return -1;
    }
    if (strncmp(party->role, "bank:", 5) != 0 && !is_police(party)) {
        count("forbidden");
        problem_reply(req, PROBLEM_FORBIDDEN, "only bank and police keys read cases", 0);
        return -1;
    }
    return 0;
}

static int send_one(struct cases_api *c, struct read *rd, const char *name, int nparams,
                    const char *const *p, db_result_fn cb)
{
    if (db_send(c->db, name, NULL, nparams, p, cb, rd) != 0)
        return -1;
    c->inflight++;
    if (db_sync(c->db) != 0)
        log_warn("cases.sync_lost", "connection lost while reading a case");
    return 0;
}

void cases_api_handle_one(struct evhttp_request *req, const struct http_match *m, void *arg)
{
    struct cases_api *c = arg;
    struct keys_party party;
    if (authorise(c, req, &party) != 0)
        return;
    if (m->nparams < 1 || !ids_ref_valid(m->param[0])) {
        count("not_found");
        problem_reply(req, PROBLEM_NOT_FOUND, "no such case for this party", 0);
        return;
    }
    struct read *rd = calloc(1, sizeof(*rd));
    if (!rd) {
        problem_send(req, unavailable(), (int)c->cfg->retry_after_s);
        return;
    }
    rd->c = c;
    rd->req = req;
    rd->party = party;
    memcpy(rd->ref, m->param[0], IDS_REF_SIZE - 1); /* ids_ref_valid: exactly that long */
    snprintf(rd->request_id, sizeof(rd->request_id), "%s", m->request_id);
    const char *p[2] = {rd->ref, party.role};
    if (send_one(c, rd, "cases_one", 2, p, on_one) != 0) {
        free(rd);
        count("unavailable");
        problem_send(req, unavailable(), (int)c->cfg->retry_after_s);
    }
}

/* A field error naming the parameter when the name can be written back as
 * the contract says (1 to 64 visible ASCII characters); without `parameter`
 * otherwise (an empty, unprintable or longer name, or no name=value pairs),
 * with `detail` saying why. */
static void bad_parameter(struct evhttp_request *req, const char *name, const char *code,
                          const char *detail)
{
    json_t *pb = problem_new(PROBLEM_INVALID_REQUEST, "a query parameter is invalid");
    json_t *e = json_pack("{s:s}", "code", code);
    size_t n = name ? strlen(name) : 0;
    int printable = n >= 1 && n <= 64;
    for (size_t i = 0; printable && i < n; i++)
        printable = name[i] >= 0x21 && name[i] <= 0x7e;
    if (printable)
        json_object_set_new(e, "parameter", json_string(name));
    if (detail)
        json_object_set_new(e, "detail", json_string(detail));
    json_object_set_new(pb, "errors", json_pack("[o]", e));
    count("invalid");
    problem_send(req, pb, 0);
}

void cases_api_handle_list(struct evhttp_request *req, const struct http_match *m, void *arg)
{
    struct cases_api *c = arg;
    struct keys_party party;
    if (authorise(c, req, &party) != 0)
        return;
    const char *query = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
    struct evkeyvalq q;
    TAILQ_INIT(&q);
    if (query && evhttp_parse_query_str(query, &q) != 0) {
        bad_parameter(req, NULL, "invalid_format", "The query string is not name=value pairs.");
        return;
    }
    const char *state = evhttp_find_header(&q, "state");
    const char *order = evhttp_find_header(&q, "order");
    const char *limit_s = evhttp_find_header(&q, "limit");
    const char *cursor = evhttp_find_header(&q, "cursor");
    int limit = CASES_LIMIT_DEFAULT;
    int64_t after_deadline = 0, after_id = 0;
    const char *bad = NULL, *code = NULL;
    struct evkeyval *kv;
    TAILQ_FOREACH(kv, &q, next)
    {
        if (strcmp(kv->key, "state") && strcmp(kv->key, "order") && strcmp(kv->key, "limit") &&
            strcmp(kv->key, "cursor")) {
            bad = "query";
            code = "unknown_field";
        }
    }
    if (!state)
        state = "open";
    if (strcmp(state, "open") && strcmp(state, "resolved") && strcmp(state, "expired") &&
        strcmp(state, "closed")) {
        bad = "state";
        code = "invalid_enum";
    } else if (order && strcmp(order, "deadline") != 0) {
        bad = "order";
        code = "invalid_enum";
    } else if (limit_s) {
        char *end = NULL;
        long v = strtol(limit_s, &end, 10);
        if (!*limit_s || *end || v < 1 || v > CASES_LIMIT_MAX) {
            bad = "limit";
            code = "invalid_format";
        } else {
            limit = (int)v;
        }
    }
    if (!bad && cursor && cases_cursor_decode(cursor, &after_deadline, &after_id) != 0) {
        bad = "cursor";
        code = "invalid_format";
    }
    if (bad && strcmp(bad, "query") == 0) {
        /* Name the unknown parameter without echoing a value. */
        TAILQ_FOREACH(kv, &q, next)
        {
            if (strcmp(kv->key, "state") && strcmp(kv->key, "order") && strcmp(kv->key, "limit") &&
                strcmp(kv->key, "cursor")) {
                char name[66];
                snprintf(name, sizeof(name), "%.65s", kv->key);
                evhttp_clear_headers(&q);
                bad_parameter(req, name, code,
                              "Not a parameter of this operation (state, order, limit, cursor).");
                return;
            }
        }
    }
    if (bad) {
        char name[16];
        snprintf(name, sizeof(name), "%s", bad);
        evhttp_clear_headers(&q);
        bad_parameter(req, name, code, NULL);
        return;
    }
    struct read *rd = calloc(1, sizeof(*rd));
    if (!rd) {
        evhttp_clear_headers(&q);
        problem_send(req, unavailable(), (int)c->cfg->retry_after_s);
        return;
    }
    rd->c = c;
    rd->req = req;
    rd->party = party;
    rd->limit = limit;
    snprintf(rd->request_id, sizeof(rd->request_id), "%s", m->request_id);
    char st[16], ad[24], ai[24], lim[16];
    snprintf(st, sizeof(st), "%s", state);
    evhttp_clear_headers(&q);
    snprintf(ad, sizeof(ad), "%" PRId64, after_deadline);
    snprintf(ai, sizeof(ai), "%" PRId64, after_id);
    snprintf(lim, sizeof(lim), "%d", limit);
    const char *p[6] = {party.role, st, ad, ai, lim, NULL};
    const char *stmt = "cases_list_bank";
    int np = 5;
    if (is_police(&party)) {
        if (strcmp(party.role + 7, "NATIONAL") == 0) {
            stmt = "cases_list_all";
        } else {
            stmt = "cases_list_dept";
            p[5] = party.role + 7;
            np = 6;
        }
    }
    if (send_one(c, rd, stmt, np, p, on_list) != 0) {
        free(rd);
        count("unavailable");
        problem_send(req, unavailable(), (int)c->cfg->retry_after_s);
    }
}

int cases_api_prepare(struct db *db)
{
    if (db_prepare(db, "cases_one", sql_one, 2) != 0 ||
        db_prepare(db, "cases_list_bank", sql_list_bank, 5) != 0 ||
        db_prepare(db, "cases_list_dept", sql_list_dept, 6) != 0 ||
        db_prepare(db, "cases_list_all", sql_list_all, 5) != 0)
        return -1;
    return 0;
}

struct cases_api *cases_api_new(const struct config *cfg, struct db *db, struct keys_cache *keys,
                                struct accesslog *log, char *errstr, size_t errstr_size)
{
    struct cases_api *c = calloc(1, sizeof(*c));
    if (!c) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    c->cfg = cfg;
    c->db = db;
    c->keys = keys;
    c->log = log;
    metrics_describe("relay48_case_reads_total", METRIC_COUNTER,
                     "Case reads (GET /v1/cases...) by banks and police units, by answer.");
    return c;
}

void cases_api_free(struct cases_api *c)
{
    free(c);
}

int cases_api_inflight(const struct cases_api *c)
{
    return c ? c->inflight : 0;
}
