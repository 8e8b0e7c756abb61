/* perceval.c — POST /v1/declarations/perceval; see perceval.h. */
#include "perceval.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "bins.h"
#include "card.h"
#include "config.h"
#include "db.h"
#include "http.h"
#include "ids.h"
#include "intake.h"
#include "keys.h"
#include "log.h"
#include "jsontree.h"
#include "metrics.h"
#include "problem.h"

/* ---- pure ---------------------------------------------------------------------- */

static void add_error(json_t *errors, const char *pointer, const char *code, const char *detail)
{
    json_t *e = json_pack("{s:s, s:s}", "pointer", pointer, "code", code);
    if (e && detail)
        json_object_set_new(e, "detail", json_string(detail));
    if (e)
        json_array_append_new(errors, e);
}

/* "/declarant" + rest for an error pointer prefix + "/victim" + rest. */
static void rename_victim(json_t *errors, size_t from, const char *prefix)
{
    char victim[96], declarant[96];
    snprintf(victim, sizeof(victim), "%s/victim", prefix);
    snprintf(declarant, sizeof(declarant), "%s/declarant", prefix);
    size_t vlen = strlen(victim);
    for (size_t i = from; i < json_array_size(errors); i++) {
        json_t *e = json_array_get(errors, i);
        const char *p = json_string_value(json_object_get(e, "pointer"));
        if (!p || strncmp(p, victim, vlen) != 0 || (p[vlen] != '\0' && p[vlen] != '/'))
            continue;
        char renamed[512];
        snprintf(renamed, sizeof(renamed), "%s%s", declarant, p + vlen);
        json_object_set_new(e, "pointer", json_string(renamed));
    }
}

int perceval_declaration(json_t *obj, int64_t now, const struct report_limits *limits,
                         const char *prefix, struct report *out, json_t *errors)
{
    char ptr[128];
    size_t before = json_array_size(errors);
    memset(out, 0, sizeof(*out));
    if (!prefix)
        prefix = "";
    if (!json_is_object(obj)) {
        add_error(errors, prefix, "invalid_type", "Expected an object.");
        return -1;
    }
    /* The card report this declaration is: "declarant" is its "victim"; it
     * has no "kind" and no "victim" of its own. A shallow copy: the members
     * are the declaration's own values (report_from_json wipes card.pan in
     * place, which is the declaration's). */
    json_t *rep = json_object();
    int bad_member = 0;
    const char *key;
    json_t *v;
    if (!rep) {
        add_error(errors, prefix, "internal_error", "The relay could not allocate memory.");
        return -1;
    }
    json_object_foreach(obj, key, v)
    {
        if (strcmp(key, "kind") == 0 || strcmp(key, "victim") == 0) {
            snprintf(ptr, sizeof(ptr), "%s/%s", prefix, key);
            add_error(errors, ptr, "unknown_field", "Not a member of a declaration.");
            bad_member = 1;
        } else {
            json_object_set(rep, strcmp(key, "declarant") == 0 ? "victim" : key, v);
        }
    }
    json_object_set_new(rep, "kind", json_string("card"));
    size_t theirs = json_array_size(errors); /* report_from_json's errors start here */
    int rc = report_from_json(rep, now, limits, prefix, out, errors);
    json_decref(rep);
    rename_victim(errors, theirs, prefix);
    if (rc == 0 && bad_member) {
        report_free(out);
        memset(out, 0, sizeof(*out));
        rc = -1;
    }
    /* Bound what one declaration may add to an answer. */
    while (json_array_size(errors) > before + PERCEVAL_ITEM_ERRORS_MAX)
        json_array_remove(errors, json_array_size(errors) - 1);
    return rc == 0 ? 0 : -1;
}

void perceval_batch_free(struct perceval_batch *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->n; i++) {
        if (b->items[i].valid)
            report_free(&b->items[i].report);
        json_decref(b->items[i].errors);
    }
    free(b->items);
    memset(b, 0, sizeof(*b));
}

int perceval_parse(const char *body, size_t len, int64_t now, const struct report_limits *limits,
                   size_t batch_max, struct perceval_batch *out, json_t *errors)
{
    json_error_t jerr;
    int rc = -1;
    memset(out, 0, sizeof(*out));
    if (!body)
        return -2;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    OPENSSL_cleanse(&jerr, sizeof(jerr)); /* its text may quote the body */
    if (!root)
        return -2;
    if (!json_is_object(root) || !jsontree_depth_ok(root, PERCEVAL_MAX_DEPTH)) {
        rc = -2;
        goto done;
    }
    json_t *list = json_object_get(root, "declarations");
    size_t n = 1;
    if (list) {
        const char *key;
        json_t *v;
        size_t before = json_array_size(errors);
        json_object_foreach(root, key, v)
        {
            if (strcmp(key, "declarations") != 0) {
                char ptr[404];
                jsontree_member_pointer(key, ptr, sizeof(ptr));
                add_error(errors, ptr, "unknown_field",
                          "A batch holds \"declarations\" and nothing else.");
            }
        }
        if (!json_is_array(list)) {
            add_error(errors, "/declarations", "invalid_type", "Expected an array.");
        } else if (json_array_size(list) == 0) {
            add_error(errors, "/declarations", "too_few_items", "At least 1 declaration.");
        } else if (json_array_size(list) > batch_max) {
            char detail[96];
            snprintf(detail, sizeof(detail), "At most %zu declarations in one request.", batch_max);
            add_error(errors, "/declarations", "too_many_items", detail);
        }
        if (json_array_size(errors) > before)
            goto done;
        n = json_array_size(list);
    }
    out->items = calloc(n, sizeof(*out->items));
    if (!out->items) {
        add_error(errors, "", "internal_error", "The relay could not allocate memory.");
        goto done;
    }
    out->n = n;
    out->single = list == NULL;
    for (size_t i = 0; i < n; i++) {
        struct perceval_item *it = &out->items[i];
        char prefix[48] = "";
        if (list)
            snprintf(prefix, sizeof(prefix), "/declarations/%zu", i);
        json_t *errs = json_array();
        json_t *decl = list ? json_array_get(list, i) : root;
        if (errs && perceval_declaration(decl, now, limits, prefix, &it->report, errs) == 0) {
            it->valid = 1;
            json_decref(errs);
        } else {
            it->errors = errs ? errs : json_array();
        }
    }
    rc = 0;
done:
    jsontree_wipe(root);
    json_decref(root);
    if (rc != 0)
        perceval_batch_free(out);
    return rc;
}

/* ---- daemon -------------------------------------------------------------------- */

enum result_state { R_PENDING = 0, R_CREATED, R_EXISTING, R_INVALID, R_UNAVAILABLE };

static const char *const state_names[] = {"pending", "created", "existing", "invalid",
                                          "unavailable"};

struct result {
    enum result_state state;
    char ref[IDS_REF_SIZE];
    char deadline_at[24];
    char window_state[24];
    int dup_of;      /* -1, or the earlier item with the same receipt */
    int recheck;     /* the commit was refused: look the receipt up again */
    int retried;     /* submitted a second time after a 503 */
    json_t *errors;  /* invalid */
    struct preq *rq; /* for intake's callback */
    int index;
};

/* One request in progress. */
struct preq {
    struct perceval *pv; /* NULL once perceval_free ran */
    struct preq *prev, *next;
    struct evhttp_request *req;
    char request_id[17];
    char party_id[KEYS_ID_LEN + 1];
    struct perceval_batch batch;
    struct result *res;
    int outstanding; /* intake submissions not answered yet */
    int lookup_pending;
};

struct perceval {
    const struct config *cfg;
    struct db *db;
    struct intake *intake;
    struct keys_cache *keys;
    struct bins *bins;
    struct report_limits limits;
    struct preq *live; /* requests in progress */
    int inflight;
};

static const char sql_receipts[] =
    "SELECT receipt, ref, to_char(deadline_at AT TIME ZONE 'UTC', "
    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    " window_state FROM cases WHERE receipt IN (SELECT jsonb_array_elements_text($1::jsonb))";

static void count(const char *outcome, int n)
{
    char series[96];
    if (n <= 0)
        return;
    snprintf(series, sizeof(series), "relay48_declarations_total{outcome=\"%s\"}", outcome);
    metrics_add(series, n);
}

struct perceval *perceval_new(const struct config *cfg, struct db *db, struct intake *intake,
                              struct keys_cache *keys, struct bins *bins, char *errstr,
                              size_t errstr_size)
{
    struct perceval *p = calloc(1, sizeof(*p));
    if (!p) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    p->cfg = cfg;
    p->db = db;
    p->intake = intake;
    p->keys = keys;
    p->bins = bins;
    report_limits_default(&p->limits);
    metrics_describe("relay48_declarations_total", METRIC_COUNTER,
                     "Declarations received on POST /v1/declarations/perceval, by result.");
    return p;
}

static void preq_free(struct preq *rq)
{
    if (!rq)
        return;
    for (size_t i = 0; rq->res && i < rq->batch.n; i++)
        json_decref(rq->res[i].errors);
    free(rq->res);
    perceval_batch_free(&rq->batch);
    free(rq);
}

static void unlink_preq(struct preq *rq)
{
    struct perceval *pv = rq->pv;
    if (!pv)
        return;
    if (rq->prev)
        rq->prev->next = rq->next;
    else
        pv->live = rq->next;
    if (rq->next)
        rq->next->prev = rq->prev;
    pv->inflight--;
}

void perceval_free(struct perceval *p)
{
    if (!p)
        return;
    /* Requests still waiting for intake answers: those answers come later
     * (store_free answers what it holds) and free them without a reply. */
    for (struct preq *rq = p->live; rq; rq = rq->next)
        rq->pv = NULL;
    free(p);
}

int perceval_inflight(const struct perceval *p)
{
    return p ? p->inflight : 0;
}

static json_t *result_json(const struct preq *rq, size_t i)
{
    const struct result *r = &rq->res[i];
    json_t *o = json_pack("{s:i, s:s}", "index", (int)i, "status", state_names[r->state]);
    if (r->state == R_CREATED || r->state == R_EXISTING) {
        json_object_set_new(o, "ref", json_string(r->ref));
        json_object_set_new(o, "receipt", json_string(rq->batch.items[i].report.receipt));
        if (r->deadline_at[0])
            json_object_set_new(o, "deadline_at", json_string(r->deadline_at));
        if (r->window_state[0])
            json_object_set_new(o, "window_state", json_string(r->window_state));
    } else if (r->state == R_INVALID) {
        json_object_set(o, "errors", r->errors ? r->errors : json_array());
    }
    return o;
}

/* Everything is decided: answer and free. */
static void finish(struct preq *rq)
{
    struct perceval *pv = rq->pv;
    int n[5] = {0};
    for (size_t i = 0; i < rq->batch.n; i++) {
        struct result *r = &rq->res[i];
        if (r->dup_of >= 0) {
            const struct result *first = &rq->res[r->dup_of];
            if (first->state == R_CREATED || first->state == R_EXISTING) {
                r->state = R_EXISTING;
                memcpy(r->ref, first->ref, sizeof(r->ref));
                memcpy(r->deadline_at, first->deadline_at, sizeof(r->deadline_at));
                memcpy(r->window_state, first->window_state, sizeof(r->window_state));
            } else {
                r->state = R_UNAVAILABLE;
            }
        }
        if (r->state == R_PENDING)
            r->state = R_UNAVAILABLE;
        n[r->state]++;
    }
    unlink_preq(rq);
    if (!pv) {
        preq_free(rq); /* the relay is stopping: nobody to answer */
        return;
    }
    count("created", n[R_CREATED]);
    count("existing", n[R_EXISTING]);
    count("invalid", n[R_INVALID]);
    count("unavailable", n[R_UNAVAILABLE]);
    log_write(LOG_INFO, "perceval.answered", rq->request_id,
              rq->batch.single ? rq->res[0].ref : NULL,
              "%zu declaration(s): %d created, %d existing, %d invalid, %d unavailable",
              rq->batch.n, n[R_CREATED], n[R_EXISTING], n[R_INVALID], n[R_UNAVAILABLE]);
    int retry = (int)pv->cfg->retry_after_s;
    struct result *r0 = &rq->res[0];
    if (rq->batch.single && r0->state == R_INVALID) {
        json_t *pb = problem_new(PROBLEM_INVALID_REQUEST, "some fields are invalid");
        json_object_set(pb, "errors", r0->errors ? r0->errors : json_array());
        problem_send(rq->req, pb, 0);
    } else if (n[R_UNAVAILABLE] == (int)rq->batch.n) {
        problem_reply(rq->req, PROBLEM_DATABASE_UNAVAILABLE,
                      "no declaration was recorded; send them again", retry);
    } else {
        json_t *results = json_array();
        for (size_t i = 0; i < rq->batch.n; i++)
            json_array_append_new(results, result_json(rq, i));
        json_t *body = json_pack("{s:o, s:i, s:i, s:i, s:i}", "results", results, "created",
                                 n[R_CREATED], "existing", n[R_EXISTING], "invalid", n[R_INVALID],
                                 "unavailable", n[R_UNAVAILABLE]);
        int status = 200;
        if (rq->batch.single) {
            char loc[64];
            snprintf(loc, sizeof(loc), "/v1/cases/%s", r0->ref);
            evhttp_add_header(evhttp_request_get_output_headers(rq->req), "Location", loc);
            status = r0->state == R_CREATED ? 201 : 200;
        }
        http_reply_json(rq->req, status, body);
    }
    preq_free(rq);
}

static void maybe_finish(struct preq *rq);

/* The receipts of rows: [receipt, ref, deadline, window_state] -> existing. */
static void apply_existing(struct preq *rq, PGresult *res, int only_rechecks)
{
    for (int row = 0; row < PQntuples(res); row++) {
        const char *receipt = PQgetvalue(res, row, 0);
        for (size_t i = 0; i < rq->batch.n; i++) {
            struct result *r = &rq->res[i];
            if (!rq->batch.items[i].valid || r->dup_of >= 0 ||
                (only_rechecks ? !r->recheck : r->state != R_PENDING) ||
                strcmp(rq->batch.items[i].report.receipt, receipt) != 0)
                continue;
            r->state = R_EXISTING;
            r->recheck = 0;
            snprintf(r->ref, sizeof(r->ref), "%s", PQgetvalue(res, row, 1));
            snprintf(r->deadline_at, sizeof(r->deadline_at), "%s", PQgetvalue(res, row, 2));
            snprintf(r->window_state, sizeof(r->window_state), "%s", PQgetvalue(res, row, 3));
        }
    }
}

/* Look up the receipts of the items that pick() selects; cb gets the rows. */
static int send_lookup(struct preq *rq, int rechecks, db_result_fn cb)
{
    if (!rq->pv)
        return -1;
    json_t *arr = json_array();
    for (size_t i = 0; i < rq->batch.n; i++) {
        const struct result *r = &rq->res[i];
        if (rq->batch.items[i].valid && r->dup_of < 0 &&
            (rechecks ? r->recheck : r->state == R_PENDING))
            json_array_append_new(arr, json_string(rq->batch.items[i].report.receipt));
    }
    char *text = json_dumps(arr, JSON_COMPACT);
    json_decref(arr);
    if (!text)
        return -1;
    const char *params[1] = {text};
    int rc = db_send(rq->pv->db, NULL, sql_receipts, 1, params, cb, rq);
    free(text);
    if (rc != 0)
        return -1;
    rq->lookup_pending = 1;
    if (db_sync(rq->pv->db) != 0)
        log_warn("perceval.sync_lost", "connection lost while looking up receipts");
    return 0;
}

static void on_recheck(PGresult *res, void *arg)
{
    struct preq *rq = arg;
    rq->lookup_pending = 0;
    if (res && PQresultStatus(res) == PGRES_TUPLES_OK)
        apply_existing(rq, res, 1);
    for (size_t i = 0; i < rq->batch.n; i++) {
        struct result *r = &rq->res[i];
        if (!r->recheck)
            continue;
        r->recheck = 0;
        if (!res) {
            r->state = R_UNAVAILABLE;
        } else {
            /* Not a receipt seen before: the database refused the row itself. */
            r->state = R_INVALID;
            r->errors = json_array();
            char ptr[48] = "";
            if (!rq->batch.single)
                snprintf(ptr, sizeof(ptr), "/declarations/%zu", i);
            add_error(r->errors, ptr, "rejected", "The declaration could not be recorded as sent.");
        }
    }
    finish(rq);
}

static void maybe_finish(struct preq *rq)
{
    if (rq->outstanding > 0 || rq->lookup_pending)
        return;
    int rechecks = 0;
    for (size_t i = 0; i < rq->batch.n; i++)
        rechecks |= rq->res[i].recheck;
    if (rechecks && send_lookup(rq, 1, on_recheck) == 0)
        return;
    for (size_t i = 0; i < rq->batch.n; i++) {
        if (rq->res[i].recheck) {
            rq->res[i].recheck = 0;
            rq->res[i].state = R_UNAVAILABLE;
        }
    }
    finish(rq);
}

static void submit_one(struct preq *rq, size_t i);

/* intake's answer for one declaration (loop thread). */
static void on_intake(const struct intake_answer *a, void *arg)
{
    struct result *r = arg;
    struct preq *rq = r->rq;
    rq->outstanding--;
    if (a->status == 201 || a->status == 200) {
        r->state = a->status == 201 ? R_CREATED : R_EXISTING;
        snprintf(r->ref, sizeof(r->ref), "%s", a->ref ? a->ref : "");
        const char *d = json_string_value(json_object_get(a->body, "deadline_at"));
        const char *w = json_string_value(json_object_get(a->body, "window_state"));
        snprintf(r->deadline_at, sizeof(r->deadline_at), "%s", d ? d : "");
        snprintf(r->window_state, sizeof(r->window_state), "%s", w ? w : "");
    } else if (a->status == 422) {
        /* A unique violation of cases_receipt: another request recorded this
         * receipt since our lookup. Anything else the database refused shows
         * as no such receipt at the recheck. */
        r->recheck = 1;
    } else if (a->status == 503 && !r->retried && rq->pv) {
        /* Once more: a commit that failed beside another one's unique
         * violation (the same receipt sent at the same moment) is answered
         * 503 by the group commit; sent again, it is recorded, or meets the
         * receipt and is rechecked. A database really down fails again. */
        r->retried = 1;
        r->state = R_PENDING;
        rq->outstanding++; /* held across the call */
        submit_one(rq, (size_t)r->index);
        rq->outstanding--;
    } else {
        r->state = R_UNAVAILABLE;
    }
    maybe_finish(rq);
}

/* Prefix intake's own error pointers with the declaration's. */
static json_t *prefixed_errors(json_t *problem, const struct preq *rq, size_t i)
{
    json_t *out = json_array();
    json_t *errs = json_object_get(problem, "errors");
    char prefix[48] = "";
    if (!rq->batch.single)
        snprintf(prefix, sizeof(prefix), "/declarations/%zu", i);
    size_t k;
    json_t *e;
    json_array_foreach(errs, k, e)
    {
        const char *p = json_string_value(json_object_get(e, "pointer"));
        char ptr[160];
        snprintf(ptr, sizeof(ptr), "%s%s", prefix, p ? p : "");
        json_t *c = json_deep_copy(e);
        json_object_set_new(c, "pointer", json_string(ptr));
        json_array_append_new(out, c);
    }
    if (json_array_size(out) == 0)
        add_error(out, prefix, "rejected", "The declaration could not be recorded as sent.");
    return out;
}

/* Submit item i; its answer comes to on_intake, or is decided here. */
static void submit_one(struct preq *rq, size_t i)
{
    struct result *r = &rq->res[i];
    struct intake_source src = {.channel = CHANNEL_PERCEVAL,
                                .party_id = rq->party_id,
                                .idem_key = NULL,
                                .request_id = rq->request_id};
    json_t *problem = NULL;
    rq->outstanding++;
    int status =
        intake_submit(rq->pv->intake, &rq->batch.items[i].report, &src, on_intake, r, &problem);
    if (status != 0) {
        rq->outstanding--;
        if (status == 422) {
            r->state = R_INVALID;
            r->errors = prefixed_errors(problem, rq, i);
        } else {
            r->state = R_UNAVAILABLE;
        }
        json_decref(problem);
    }
}

static void submit_all(struct preq *rq)
{
    rq->outstanding++; /* held while submitting, so no answer finishes rq under us */
    for (size_t i = 0; rq->pv && i < rq->batch.n; i++) {
        struct result *r = &rq->res[i];
        if (rq->batch.items[i].valid && r->dup_of < 0 && r->state == R_PENDING)
            submit_one(rq, i);
    }
    rq->outstanding--;
    maybe_finish(rq);
}

static void on_lookup(PGresult *res, void *arg)
{
    struct preq *rq = arg;
    rq->lookup_pending = 0;
    if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
        if (res)
            log_write(LOG_ERROR, "perceval.lookup_failed", rq->request_id, NULL, "%s",
                      PQresultErrorMessage(res));
        for (size_t i = 0; i < rq->batch.n; i++) {
            if (rq->res[i].state == R_PENDING)
                rq->res[i].state = R_UNAVAILABLE;
        }
        maybe_finish(rq);
        return;
    }
    apply_existing(rq, res, 0);
    if (!rq->pv) {
        maybe_finish(rq);
        return;
    }
    submit_all(rq);
}

void perceval_handle(struct evhttp_request *req, const struct http_match *m, void *arg)
{
    struct perceval *pv = arg;
    struct evkeyvalq *hdr = evhttp_request_get_input_headers(req);
    size_t limit = (size_t)pv->cfg->perceval_body_limit;
    if (evbuffer_get_length(evhttp_request_get_input_buffer(req)) > limit) {
        problem_reply(req, PROBLEM_PAYLOAD_TOO_LARGE,
                      "a declarations request is at most perceval.body_limit bytes", 0);
        return;
    }
    struct keys_party party;
    if (keys_cache_authorise(pv->keys, req, &party) != 0)
        return;
    if (strcmp(party.role, "platform") != 0) {
        problem_reply(req, PROBLEM_FORBIDDEN, "only declaration platforms' keys send declarations",
                      0);
        return;
    }
    if (!http_content_type_is_json(evhttp_find_header(hdr, "Content-Type"))) {
        problem_reply(req, PROBLEM_UNSUPPORTED_MEDIA_TYPE, NULL, 0);
        return;
    }
    size_t len = 0;
    int too_large = 0;
    char *body = http_body(req, limit, &len, &too_large);
    if (!body) {
        problem_reply(req, PROBLEM_PAYLOAD_TOO_LARGE, NULL, 0);
        return;
    }
    struct preq *rq = calloc(1, sizeof(*rq));
    json_t *errors = json_array();
    int rc = -3;
    if (rq && errors)
        rc = perceval_parse(body, len, intake_now(pv->intake), &pv->limits,
                            (size_t)pv->cfg->perceval_batch_max, &rq->batch, errors);
    OPENSSL_cleanse(body, len); /* it may hold card numbers */
    free(body);
    if (rc != 0) {
        if (rc == -2) {
            problem_reply(req, PROBLEM_INVALID_JSON, "the body must be one JSON object", 0);
        } else if (rc == -1) {
            json_t *pb = problem_new(PROBLEM_INVALID_REQUEST, "the batch is invalid");
            json_object_set(pb, "errors", errors);
            problem_send(req, pb, 0);
        } else {
            problem_reply(req, PROBLEM_DATABASE_UNAVAILABLE, "out of memory",
                          (int)pv->cfg->retry_after_s);
        }
        json_decref(errors);
        free(rq);
        return;
    }
    json_decref(errors);
    rq->res = calloc(rq->batch.n, sizeof(*rq->res));
    if (!rq->res) {
        preq_free(rq);
        problem_reply(req, PROBLEM_DATABASE_UNAVAILABLE, "out of memory",
                      (int)pv->cfg->retry_after_s);
        return;
    }
    rq->pv = pv;
    rq->req = req;
    snprintf(rq->request_id, sizeof(rq->request_id), "%s", m->request_id);
    memcpy(rq->party_id, party.id, sizeof(rq->party_id));
    rq->next = pv->live;
    if (pv->live)
        pv->live->prev = rq;
    pv->live = rq;
    pv->inflight++;

    int any = 0;
    for (size_t i = 0; i < rq->batch.n; i++) {
        struct perceval_item *it = &rq->batch.items[i];
        struct result *r = &rq->res[i];
        r->rq = rq;
        r->index = (int)i;
        r->dup_of = -1;
        if (!it->valid) {
            r->state = R_INVALID;
            r->errors = json_incref(it->errors);
            continue;
        }
        /* The issuer from the BIN table when the declaration does not name it. */
        if (!it->report.issuer_bic[0])
            (void)bins_lookup(pv->bins, it->report.card_bin, it->report.issuer_bic);
        for (size_t k = 0; k < i; k++) {
            if (rq->batch.items[k].valid &&
                strcmp(rq->batch.items[k].report.receipt, it->report.receipt) == 0) {
                r->dup_of = (int)k;
                break;
            }
        }
        any |= r->dup_of < 0;
    }
    if (!any) {
        maybe_finish(rq);
        return;
    }
    if (send_lookup(rq, 0, on_lookup) != 0) {
        for (size_t i = 0; i < rq->batch.n; i++) {
            if (rq->res[i].state == R_PENDING)
                rq->res[i].state = R_UNAVAILABLE;
        }
        maybe_finish(rq);
    }
}
