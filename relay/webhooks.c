/* webhooks.c — POST /v1/webhooks/banks/{bic}; see webhooks.h. */
#include "webhooks.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "acks.h"
#include "banks.h"
#include "card.h"
#include "config.h"
#include "db.h"
#include "http.h"
#include "intake.h"
#include "log.h"
#include "jsontree.h"
#include "metrics.h"
#include "problem.h"
#include "sign.h"
#include "timeutil.h"

/* ---- pure ---------------------------------------------------------------------------- */

static void add_error(json_t *errors, const char *pointer, const char *code, const char *detail)
{
    json_t *e = json_pack("{s:s, s:s}", "pointer", pointer, "code", code);
    if (e && detail)
        json_object_set_new(e, "detail", json_string(detail));
    if (e)
        json_array_append_new(errors, e);
}

static const char *const type_names[] = {"fraud_report.created", "case.acknowledged"};

/* data of case.acknowledged: "ref", and the acknowledgement body checked by acks_parse. */
static void parse_ack(json_t *data, struct webhook_event *out, json_t *errors)
{
    json_t *ref = json_object_get(data, "ref");
    if (!ref)
        add_error(errors, "/data/ref", "required", "The case reference is required.");
    else if (!json_is_string(ref))
        add_error(errors, "/data/ref", "invalid_type", "Expected a string.");
    else if (!ids_ref_valid(json_string_value(ref)))
        add_error(errors, "/data/ref", "invalid_format", "A case reference: R48-XXXX-XXXX-XXXX.");
    else
        snprintf(out->ref, sizeof(out->ref), "%s", json_string_value(ref));

    json_t *ack = json_copy(data); /* shallow: the values stay the tree's */
    if (!ack) {
        add_error(errors, "", "internal_error", "The relay could not allocate memory.");
        return;
    }
    json_object_del(ack, "ref");
    char *text = json_dumps(ack, JSON_COMPACT);
    json_decref(ack);
    if (!text) {
        add_error(errors, "", "internal_error", "The relay could not allocate memory.");
        return;
    }
    size_t len = strlen(text);
    json_t *ack_errors = json_array();
    struct ack_request req;
    int rc = acks_parse(text, len, &req, ack_errors);
    if (rc == 0) {
        acks_request_free(&req);
        out->ack_body = text;
        out->ack_len = len;
        text = NULL;
    } else if (rc == -2) {
        add_error(errors, "/data", "invalid_type", "Expected an acknowledgement object.");
    } else {
        size_t i;
        json_t *e;
        json_array_foreach(ack_errors, i, e)
        {
            const char *p = json_string_value(json_object_get(e, "pointer"));
            char ptr[420]; /* "/data" + acks_parse's pointers (at most 408 bytes) */
            /* A member name that looks like a card number is not repeated. */
            snprintf(ptr, sizeof(ptr), "/data%s", p && !card_looks_like_pan(p) ? p : "");
            json_t *c = json_deep_copy(e);
            json_object_set_new(c, "pointer", json_string(ptr));
            json_array_append_new(errors, c);
        }
    }
    json_decref(ack_errors);
    if (text) {
        OPENSSL_cleanse(text, len);
        free(text);
    }
}

int webhooks_event_parse(const char *body, size_t len, int64_t now,
                         const struct report_limits *limits, struct webhook_event *out,
                         json_t *errors)
{
    json_error_t jerr;
    memset(out, 0, sizeof(*out));
    if (!body)
        return -2;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    OPENSSL_cleanse(&jerr, sizeof(jerr)); /* its text may quote the body */
    if (!root)
        return -2;
    int rc = -2;
    if (!json_is_object(root) || !jsontree_depth_ok(root, WEBHOOKS_MAX_DEPTH))
        goto done;
    size_t before = json_array_size(errors);
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v)
    {
        if (strcmp(key, "type") && strcmp(key, "timestamp") && strcmp(key, "data")) {
            char ptr[404];
            jsontree_member_pointer(key, ptr, sizeof(ptr));
            add_error(errors, ptr, "unknown_field", "An event holds type, timestamp and data.");
        }
    }
    int type = -1;
    json_t *t = json_object_get(root, "type");
    if (!t) {
        add_error(errors, "/type", "required", "This member is required.");
    } else if (!json_is_string(t)) {
        add_error(errors, "/type", "invalid_type", "Expected a string.");
    } else {
        for (size_t i = 0; i < RELAY_ARRAY_LEN(type_names); i++) {
            if (strcmp(json_string_value(t), type_names[i]) == 0)
                type = (int)i;
        }
        if (type < 0)
            add_error(errors, "/type", "invalid_enum",
                      "Expected fraud_report.created or case.acknowledged.");
    }
    json_t *ts = json_object_get(root, "timestamp");
    if (ts) {
        int64_t when;
        enum rfc3339_error e =
            json_is_string(ts) ? rfc3339_parse(json_string_value(ts), &when) : RFC3339_BAD_SYNTAX;
        if (!json_is_string(ts))
            add_error(errors, "/timestamp", "invalid_type", "Expected a string.");
        else if (e == RFC3339_NO_OFFSET)
            add_error(errors, "/timestamp", "time_without_offset", "Give Z or an offset.");
        else if (e != RFC3339_OK)
            add_error(errors, "/timestamp", "invalid_time", "Expected an RFC 3339 date-time.");
    }
    json_t *data = json_object_get(root, "data");
    if (!data) {
        add_error(errors, "/data", "required", "This member is required.");
    } else if (!json_is_object(data)) {
        add_error(errors, "/data", "invalid_type", "Expected an object.");
    } else if (type == WEBHOOK_FRAUD_REPORT_CREATED) {
        if (report_from_json(data, now, limits, "/data", &out->report, errors) != 0)
            memset(&out->report, 0, sizeof(out->report));
    } else if (type == WEBHOOK_CASE_ACKNOWLEDGED) {
        parse_ack(data, out, errors);
    }
    out->type = type < 0 ? WEBHOOK_FRAUD_REPORT_CREATED : (enum webhook_type)type;
    if (json_array_size(errors) > before) {
        webhooks_event_free(out);
        rc = -1;
    } else {
        rc = 0;
    }
done:
    jsontree_wipe(root);
    json_decref(root);
    return rc;
}

void webhooks_event_free(struct webhook_event *e)
{
    if (!e)
        return;
    if (e->report.details)
        report_free(&e->report);
    if (e->ack_body) {
        OPENSSL_cleanse(e->ack_body, e->ack_len);
        free(e->ack_body);
    }
    memset(e, 0, sizeof(*e));
}

/* ---- daemon ----------------------------------------------------------------------------- */

static const char sql_claim[] =
    "WITH c AS ("
    "  INSERT INTO webhook_ids (bic, webhook_id, body_hash) VALUES ($1::text, $2::text,"
    "    decode($3::text, 'hex'))"
    "  ON CONFLICT (bic, webhook_id) DO UPDATE SET claimed_at = now(),"
    "    body_hash = EXCLUDED.body_hash"
    "  WHERE webhook_ids.status IS NULL"
    "    AND webhook_ids.claimed_at < now() - make_interval(secs => $4::int)"
    "  RETURNING 1)"
    " SELECT (SELECT count(*) FROM c)::int, w.status, w.response"
    " FROM (SELECT 1) AS one LEFT JOIN webhook_ids w ON w.bic = $1::text AND w.webhook_id = "
    "$2::text";

static const char sql_answer[] =
    "UPDATE webhook_ids SET status = $3::int, response = $4::text, answered_at = now()"
    " WHERE bic = $1::text AND webhook_id = $2::text";

static const char sql_release[] =
    "DELETE FROM webhook_ids WHERE bic = $1::text AND webhook_id = $2::text AND status IS NULL";

static const char sql_addressed[] =
    "SELECT a.role FROM cases c JOIN case_addressees a ON a.case_id = c.id AND a.party = $2::text"
    " WHERE c.ref = $1::text";

static const char sql_purge[] =
    "DELETE FROM webhook_ids WHERE claimed_at < now() - make_interval(secs => $1::int)";

/* One delivery in progress. */
struct wreq {
    struct webhooks *w; /* NULL once webhooks_free ran */
    struct wreq *prev, *next;
    struct evhttp_request *req;
    char request_id[17];
    char bic[BIC_MAX + 1];
    char party[5 + BIC_MAX + 1];
    char id[SIGN_ID_MAX + 1];
    char body_hash[65];
    char *body;
    size_t len;
    struct webhook_event ev;
    int claimed;
    /* the answer */
    int status;
    json_t *answer;
    int remember; /* store it as the answer to this webhook-id */
    const char *outcome;
};

struct webhooks {
    struct event_base *base;
    const struct config *cfg;
    struct db *db;
    struct intake *intake;
    struct banks_cache *banks;
    struct report_limits limits;
    webhooks_ack_submit_fn ack_submit;
    void *ack_ctx;
    struct event *ev_purge;
    struct wreq *live;
    int inflight;
};

static void count(const char *outcome)
{
    char series[96];
    snprintf(series, sizeof(series), "relay48_webhooks_total{outcome=\"%s\"}", outcome);
    metrics_add(series, 1);
}

static void wreq_free(struct wreq *r)
{
    if (!r)
        return;
    if (r->body) {
        OPENSSL_cleanse(r->body, r->len);
        free(r->body);
    }
    webhooks_event_free(&r->ev);
    json_decref(r->answer);
    free(r);
}

static void unlink_wreq(struct wreq *r)
{
    struct webhooks *w = r->w;
    if (!w)
        return;
    if (r->prev)
        r->prev->next = r->next;
    else
        w->live = r->next;
    if (r->next)
        r->next->prev = r->prev;
    w->inflight--;
}

/* Send an answer (status, body) on the request: problems for >= 400. */
static void send_answer(struct evhttp_request *req, int status, json_t *body, int retry_after,
                        int replayed)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    if (replayed)
        evhttp_add_header(h, "Webhook-Replayed", "true");
    if (status >= 400) {
        problem_send(req, json_incref(body), status == 503 ? retry_after : 0);
        return;
    }
    const char *ref = json_string_value(json_object_get(body, "ref"));
    if (status == 201 && ref) {
        char loc[64];
        snprintf(loc, sizeof(loc), "/v1/cases/%s", ref);
        evhttp_add_header(h, "Location", loc);
    }
    http_reply_json(req, status, json_incref(body));
}

static void reply_and_free(struct wreq *r)
{
    struct webhooks *w = r->w;
    unlink_wreq(r);
    if (w) {
        count(r->outcome ? r->outcome : "answered");
        send_answer(r->req, r->status, r->answer, (int)w->cfg->retry_after_s, 0);
    }
    wreq_free(r);
}

static void on_answer_stored(PGresult *res, void *arg)
{
    struct wreq *r = arg;
    if (!res || PQresultStatus(res) != PGRES_COMMAND_OK)
        log_write(LOG_WARN, "webhooks.answer_not_stored", r->request_id, NULL,
                  "the answer to webhook %s of bank %s was not stored: a retry processes it "
                  "again once the claim is stale",
                  r->id, r->bic);
    reply_and_free(r);
}

/* The final answer: remembered (or the claim released), then sent. Takes
 * ownership of body. */
static void answer(struct wreq *r, int status, json_t *body, int remember, const char *outcome)
{
    r->status = status;
    r->answer = body;
    r->remember = remember;
    r->outcome = outcome;
    struct webhooks *w = r->w;
    if (!w || !r->claimed) {
        reply_and_free(r);
        return;
    }
    char st[8];
    snprintf(st, sizeof(st), "%d", status);
    char *text = remember ? json_dumps(body, JSON_COMPACT) : NULL;
    const char *p[4] = {r->bic, r->id, st, text};
    int sent = remember ? (text && db_send(w->db, NULL, sql_answer, 4, p, on_answer_stored, r) == 0)
                        : db_send(w->db, NULL, sql_release, 2, p, on_answer_stored, r) == 0;
    free(text);
    if (!sent) {
        reply_and_free(r);
        return;
    }
    if (db_sync(w->db) != 0)
        log_warn("webhooks.sync_lost", "connection lost while storing an answer");
}

static json_t *unavailable(const char *detail)
{
    return problem_new(PROBLEM_DATABASE_UNAVAILABLE, detail);
}

/* ---- fraud_report.created ---------------------------------------------------------- */

static void on_intake(const struct intake_answer *a, void *arg)
{
    struct wreq *r = arg;
    if (a->status == 201 || a->status == 200) {
        /* 200: the same message was committed by an earlier attempt whose
         * answer was lost; the sender is answered as the first time. */
        log_write(LOG_INFO, "webhooks.case_created", r->request_id, a->ref,
                  "fraud_report.created %s from bank %s", r->id, r->bic);
        answer(r, 201, json_incref(a->body), 1, "created");
    } else if (a->status == 503) {
        answer(r, 503, json_incref(a->body), 0, "unavailable");
    } else {
        answer(r, a->status, json_incref(a->body), 1, "rejected");
    }
}

static void process_report(struct wreq *r)
{
    struct webhooks *w = r->w;
    char idem[8 + SIGN_ID_MAX + 1];
    snprintf(idem, sizeof(idem), "webhook:%s", r->id);
    struct intake_source src = {.channel = CHANNEL_BANK,
                                .party_id = r->party,
                                .idem_key = idem,
                                .request_id = r->request_id};
    json_t *problem = NULL;
    int status = intake_submit(w->intake, &r->ev.report, &src, on_intake, r, &problem);
    if (status != 0)
        answer(r, status, problem, status != 503, status == 503 ? "unavailable" : "rejected");
}

/* ---- case.acknowledged ------------------------------------------------------------- */

static void on_ack_done(int status, json_t *body, void *arg)
{
    struct wreq *r = arg;
    if (status == 404 || status == 403) {
        /* Whether the case exists is not the bank's to learn: one answer. */
        answer(r, 403, problem_new(PROBLEM_FORBIDDEN, "this bank was not addressed on this case"),
               1, "forbidden");
        return;
    }
    if (status == 200)
        status = 201; /* an identical acknowledgement stored before: as the first time */
    answer(r, status, json_incref(body), status != 503,
           status == 201   ? "acknowledged"
           : status == 503 ? "unavailable"
                           : "rejected");
}

static void on_addressed(PGresult *res, void *arg)
{
    struct wreq *r = arg;
    struct webhooks *w = r->w;
    if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
        answer(r, 503, unavailable("the acknowledgement was not recorded; send it again"), 0,
               "unavailable");
        return;
    }
    if (PQntuples(res) != 1) {
        answer(r, 403, problem_new(PROBLEM_FORBIDDEN, "this bank was not addressed on this case"),
               1, "forbidden");
        return;
    }
    if (!w || !w->ack_submit ||
        w->ack_submit(w->ack_ctx, r->party, r->ev.ref, r->ev.ack_body, r->ev.ack_len, r->request_id,
                      on_ack_done, r) != 0) {
        if (w && !w->ack_submit)
            log_write(LOG_WARN, "webhooks.acks_not_wired", r->request_id, r->ev.ref,
                      "case.acknowledged from bank %s: no acknowledgement path wired", r->bic);
        answer(r, 503, unavailable("the acknowledgement was not recorded; send it again"), 0,
               "unavailable");
    }
}

static void process_ack(struct wreq *r)
{
    const char *p[2] = {r->ev.ref, r->party};
    if (db_send(r->w->db, NULL, sql_addressed, 2, p, on_addressed, r) != 0) {
        answer(r, 503, unavailable("the acknowledgement was not recorded; send it again"), 0,
               "unavailable");
        return;
    }
    if (db_sync(r->w->db) != 0)
        log_warn("webhooks.sync_lost", "connection lost while checking an addressee");
}

/* ---- the claim ---------------------------------------------------------------------- */

static void process(struct wreq *r)
{
    struct webhooks *w = r->w;
    json_t *errors = json_array();
    int rc = errors ? webhooks_event_parse(r->body, r->len, intake_now(w->intake), &w->limits,
                                           &r->ev, errors)
                    : -3;
    OPENSSL_cleanse(r->body, r->len); /* it may hold a card number */
    RELAY_FREE(r->body);
    if (rc == -2) {
        json_decref(errors);
        answer(r, 400, problem_new(PROBLEM_INVALID_JSON, "the body must be one JSON object"), 1,
               "invalid_json");
        return;
    }
    if (rc != 0) {
        json_t *pb = problem_new(PROBLEM_INVALID_REQUEST, "some fields are invalid");
        if (errors)
            json_object_set_new(pb, "errors", errors);
        answer(r, rc == -1 ? 422 : 503, pb, rc == -1, "invalid");
        return;
    }
    json_decref(errors);
    if (r->ev.type == WEBHOOK_FRAUD_REPORT_CREATED)
        process_report(r);
    else
        process_ack(r);
}

static void on_claim(PGresult *res, void *arg)
{
    struct wreq *r = arg;
    struct webhooks *w = r->w;
    if (!res || PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        if (res)
            log_write(LOG_ERROR, "webhooks.claim_failed", r->request_id, NULL, "%s",
                      PQresultErrorMessage(res));
        answer(r, 503, unavailable("the event was not recorded; send it again"), 0, "unavailable");
        return;
    }
    if (strcmp(PQgetvalue(res, 0, 0), "1") == 0 && w) {
        r->claimed = 1;
        process(r);
        return;
    }
    if (PQgetisnull(res, 0, 1)) {
        /* Another request holds this webhook-id and has not answered yet. */
        answer(r, 503, unavailable("this webhook-id is being processed; send it again"), 0,
               "in_progress");
        return;
    }
    /* Answered before: the first answer, as it was. */
    int status = atoi(PQgetvalue(res, 0, 1));
    json_t *body = json_loads(PQgetvalue(res, 0, 2), 0, NULL);
    unlink_wreq(r);
    if (w) {
        count("replayed");
        log_write(LOG_INFO, "webhooks.replayed", r->request_id, NULL,
                  "webhook %s of bank %s answered again (%d)", r->id, r->bic, status);
        send_answer(r->req, status, body, (int)w->cfg->retry_after_s, 1);
    }
    json_decref(body);
    wreq_free(r);
}

/* ---- the handler ---------------------------------------------------------------------- */

static void refuse_signature(struct evhttp_request *req, const char *request_id, const char *bic,
                             const char *why)
{
    log_write(LOG_WARN, "webhooks.refused", request_id, NULL, "bank %s: %s", bic, why);
    char series[96];
    snprintf(series, sizeof(series), "relay48_webhooks_refused_total{reason=\"%s\"}", why);
    metrics_add(series, 1);
    count("unauthorized");
    problem_reply(req, PROBLEM_UNAUTHORIZED, "the webhook signature could not be verified", 0);
}

static void hash_hex(const char *body, size_t len, char out[65])
{
    unsigned char md[32];
    unsigned int n = 0;
    if (!EVP_Digest(body, len, md, &n, EVP_sha256(), NULL) || n != 32)
        memset(md, 0, sizeof(md));
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

void webhooks_handle(struct evhttp_request *req, const struct http_match *m, void *arg)
{
    struct webhooks *w = arg;
    if (!w) {
        /* webhooks.enabled is 0: the route does not exist. */
        problem_reply(req, PROBLEM_NOT_FOUND, NULL, 0);
        return;
    }
    struct evkeyvalq *hdr = evhttp_request_get_input_headers(req);
    size_t limit = (size_t)w->cfg->http_body_limit;
    if (evbuffer_get_length(evhttp_request_get_input_buffer(req)) > limit) {
        count("too_large");
        problem_reply(req, PROBLEM_PAYLOAD_TOO_LARGE, "an event is at most http.body_limit bytes",
                      0);
        return;
    }
    char bic[BIC_MAX + 1], err[128];
    struct sign_secret secrets[BANKS_SECRETS_MAX];
    int nsecrets = -1;
    if (m->nparams >= 1 && banks_bic_normalise(m->param[0], bic, err, sizeof(err)) == 0)
        nsecrets =
            banks_cache_secrets(w->banks, bic, (int64_t)time(NULL), secrets, BANKS_SECRETS_MAX);
    else
        snprintf(bic, sizeof(bic), "?");
    if (nsecrets < 0) {
        refuse_signature(req, m->request_id, bic, "unknown_bank");
        return;
    }
    const char *id = evhttp_find_header(hdr, "webhook-id");
    const char *ts = evhttp_find_header(hdr, "webhook-timestamp");
    const char *sig = evhttp_find_header(hdr, "webhook-signature");
    size_t len = 0;
    int too_large = 0;
    char *body = http_body(req, limit, &len, &too_large);
    if (!body) {
        count("too_large");
        problem_reply(req, PROBLEM_PAYLOAD_TOO_LARGE, NULL, 0);
        return;
    }
    enum sign_result sr = sign_verify(sig, secrets, (size_t)nsecrets, id, ts, body, len,
                                      (int64_t)time(NULL), w->cfg->webhooks_tolerance_s);
    if (sr != SIGN_OK) {
        OPENSSL_cleanse(body, len);
        free(body);
        refuse_signature(req, m->request_id, bic, sign_result_name(sr));
        return;
    }
    if (!http_content_type_is_json(evhttp_find_header(hdr, "Content-Type"))) {
        OPENSSL_cleanse(body, len);
        free(body);
        count("unsupported_media_type");
        problem_reply(req, PROBLEM_UNSUPPORTED_MEDIA_TYPE, NULL, 0);
        return;
    }
    struct wreq *r = calloc(1, sizeof(*r));
    if (!r) {
        OPENSSL_cleanse(body, len);
        free(body);
        problem_send(req, unavailable("out of memory"), (int)w->cfg->retry_after_s);
        return;
    }
    r->w = w;
    r->req = req;
    r->body = body;
    r->len = len;
    snprintf(r->request_id, sizeof(r->request_id), "%s", m->request_id);
    memcpy(r->bic, bic, sizeof(r->bic));
    snprintf(r->party, sizeof(r->party), "bank:%s", bic);
    snprintf(r->id, sizeof(r->id), "%s", id); /* sign_verify checked its length */
    hash_hex(body, len, r->body_hash);
    r->next = w->live;
    if (w->live)
        w->live->prev = r;
    w->live = r;
    w->inflight++;

    char stale[16];
    snprintf(stale, sizeof(stale), "%d", WEBHOOKS_CLAIM_STALE_S);
    const char *p[4] = {r->bic, r->id, r->body_hash, stale};
    if (db_send(w->db, NULL, sql_claim, 4, p, on_claim, r) != 0) {
        answer(r, 503, unavailable("the event was not recorded; send it again"), 0, "unavailable");
        return;
    }
    if (db_sync(w->db) != 0)
        log_warn("webhooks.sync_lost", "connection lost while claiming a webhook-id");
}

/* ---- lifetime ------------------------------------------------------------------------ */

static void on_purged(PGresult *res, void *arg)
{
    if (res && PQresultStatus(res) == PGRES_COMMAND_OK && strcmp(PQcmdTuples(res), "0") != 0)
        log_info("webhooks.purged", "%s old webhook-ids forgotten", PQcmdTuples(res));
}

static void on_purge_tick(evutil_socket_t fd, short what, void *arg)
{
    struct webhooks *w = arg;
    char secs[24];
    snprintf(secs, sizeof(secs), "%lld", (long long)w->cfg->webhooks_ids_retention_s);
    const char *p[1] = {secs};
    if (db_ready(w->db) && db_send(w->db, NULL, sql_purge, 1, p, on_purged, NULL) == 0 &&
        db_sync(w->db) != 0)
        log_debug("webhooks.sync_lost", "connection lost while purging webhook-ids");
}

struct webhooks *webhooks_new(struct event_base *base, const struct config *cfg, struct db *db,
                              struct intake *intake, struct banks_cache *banks, char *errstr,
                              size_t errstr_size)
{
    struct webhooks *w = calloc(1, sizeof(*w));
    if (!w) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    w->base = base;
    w->cfg = cfg;
    w->db = db;
    w->intake = intake;
    w->banks = banks;
    report_limits_default(&w->limits);
    w->ev_purge = event_new(base, -1, EV_PERSIST, on_purge_tick, w);
    if (!w->ev_purge) {
        free(w);
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    /* A tenth of the retention, at most every 10 minutes. */
    int64_t every = cfg->webhooks_ids_retention_s / 10;
    if (every > 600)
        every = 600;
    struct timeval tv = {(time_t)every, 0};
    event_add(w->ev_purge, &tv);
    metrics_describe("relay48_webhooks_total", METRIC_COUNTER,
                     "Bank webhook deliveries on POST /v1/webhooks/banks/{bic}, by answer.");
    metrics_describe("relay48_webhooks_refused_total", METRIC_COUNTER,
                     "Bank webhook deliveries refused with 401, by reason (for operators: the "
                     "sender is told nothing).");
    return w;
}

void webhooks_set_ack_submit(struct webhooks *w, webhooks_ack_submit_fn fn, void *ctx)
{
    w->ack_submit = fn;
    w->ack_ctx = ctx;
}

void webhooks_free(struct webhooks *w)
{
    if (!w)
        return;
    /* Deliveries waiting for intake: their answers come later and free them
     * without a reply. */
    for (struct wreq *r = w->live; r; r = r->next)
        r->w = NULL;
    if (w->ev_purge)
        event_free(w->ev_purge);
    free(w);
}

int webhooks_inflight(const struct webhooks *w)
{
    return w ? w->inflight : 0;
}
