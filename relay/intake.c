/* intake.c — POST /v1/reports from request to committed answer; see intake.h. */
#include "intake.h"

#include <ctype.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bankdir.h"
#include "config.h"
#include "escalate.h"
#include "events.h"
#include "hex.h"
#include "http.h"
#include "ids.h"
#include "keys.h"
#include "log.h"
#include "metrics.h"
#include "outbox.h"
#include "postal.h"
#include "problem.h"
#include "store.h"
#include "timeutil.h"

#define TOKEN_KEY_MAX 64

struct intake {
    const struct config *cfg;
    struct store *store;
    struct outbox *outbox;
    struct keys_cache *keys;
    struct bankdir *dir;
    struct window_config window;
    struct report_limits limits;
    unsigned char token_key[TOKEN_KEY_MAX];
    size_t token_key_len;
    int64_t (*now)(void);
    int inflight;
};

/* One case waiting for its commit, with what its events are built from
 * once committed (the values its row holds: escalate_intake_events builds
 * the same events again from the row after a crash). */
struct pending {
    struct intake *in;
    intake_done_fn done;
    void *arg;
    char request_id[17];
    char ref[IDS_REF_SIZE];
    char hash[65];
    char received_at[24];
    json_t *response;  /* the 201 body before links */
    struct report rep; /* a copy; rep.details is a reference of its own */
    struct routing rt;
    struct window_plan plan;
    enum report_channel channel;
};

static void pending_free(struct pending *p)
{
    if (!p)
        return;
    json_decref(p->response);
    json_decref(p->rep.details);
    OPENSSL_cleanse(p, sizeof(*p));
    free(p);
}

static const char *nonempty(const char *s)
{
    return s && *s ? s : NULL;
}

/* The events of a case its batch inserted, added to the batch's group: as
 * the outbox's sweep builds them from the row, with the links the commit
 * found. A failure leaves the whole batch to the sweep. */
static void publish(struct pending *p, const struct store_result *res)
{
    const struct report *r = &p->rep;
    const struct routing *rt = &p->rt;
    int card = r->kind == REPORT_CARD;
    struct escalate_case c;
    memset(&c, 0, sizeof(c));
    c.ref = p->ref;
    c.kind = report_kind_name(r->kind);
    c.rail = rail_name(r->rail);
    c.window_state = window_state_name(p->plan.state);
    c.start_at = p->plan.start;
    c.received_at = p->plan.received_at;
    c.deadline_at = p->plan.deadline_at;
    c.amount_minor = r->amount_minor;
    c.currency = r->currency;
    c.debtor_iban = nonempty(r->debtor_iban);
    c.debtor_bic = nonempty(rt->debtor.bic);
    c.creditor_iban = nonempty(r->creditor_iban);
    c.creditor_bic = nonempty(card ? rt->issuer.bic : rt->creditor.bic);
    c.card_bin = nonempty(r->card_bin);
    c.card_last4 = nonempty(r->card_last4);
    c.receipt = nonempty(r->receipt);
    c.scenario = nonempty(r->scenario);
    c.departement = nonempty(r->departement);
    c.debtor_bank_name = nonempty(rt->debtor.name);
    c.creditor_bank_name = nonempty(card ? rt->issuer.name : rt->creditor.name);
    c.details = r->details;
    c.linked_cases = res->linked;
    struct escalate_intake ei = {.channel = report_channel_name(p->channel),
                                 .alert_severity = p->plan.m[MILESTONE_ALERT].severity,
                                 .police_reason = rt->police_required ? rt->police_reason : NULL,
                                 .token_key = p->in->token_key,
                                 .token_key_len = p->in->token_key_len};
    struct escalate_event ev[ESCALATE_EVENTS_MAX];
    int n = escalate_intake_events(&c, &ei, ev, ESCALATE_EVENTS_MAX);
    if (n < 0) {
        log_write(LOG_ERROR, "intake.events_failed", p->request_id, p->ref,
                  "cannot build the events: left to the sweep");
        outbox_firing_fail(res->group);
        return;
    }
    for (int i = 0; i < n; i++) {
        if (outbox_firing_add(res->group, ev[i].id, ev[i].topic, ev[i].key, ev[i].type,
                              p->received_at, &ev[i].payload, ev[i].payload_len) != 0)
            break; /* the group has failed: the sweep sends the batch whole */
    }
    escalate_events_free(ev, n);
}

static int64_t real_now(void)
{
    return (int64_t)time(NULL);
}

int intake_window_config(const struct config *cfg, struct window_config *w, char *errstr,
                         size_t errstr_size)
{
    window_config_default(w);
    w->length[RAIL_SCT] = cfg->window_sct;
    w->length[RAIL_SCT_INST] = cfg->window_sct_inst;
    w->length[RAIL_SWIFT] = cfg->window_swift;
    w->length[RAIL_CARD] = cfg->window_card;
    w->length[RAIL_UNKNOWN] = cfg->window_unknown;
    w->reminder_before = cfg->window_reminder_before;
    w->critical_before = cfg->window_critical_before;
    return window_config_check(w, errstr, errstr_size);
}

struct intake *intake_new(const struct config *cfg, struct store *store, struct outbox *outbox,
                          struct keys_cache *keys, struct bankdir *dir, char *errstr,
                          size_t errstr_size)
{
    struct intake *in = calloc(1, sizeof(*in));
    if (!in) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    in->cfg = cfg;
    in->store = store;
    in->outbox = outbox;
    in->keys = keys;
    in->dir = dir;
    in->now = real_now;
    report_limits_default(&in->limits);
    if (intake_window_config(cfg, &in->window, errstr, errstr_size) != 0)
        goto fail;
    if (hex_decode(cfg->token_key, in->token_key, sizeof(in->token_key), &in->token_key_len) != 0 ||
        in->token_key_len < 16) {
        snprintf(errstr, errstr_size,
                 "token.key (RELAY48_TOKEN_KEY) must be set to 32 to 128 hex digits");
        goto fail;
    }
    metrics_describe("relay48_reports_total", METRIC_COUNTER,
                     "Reports received on POST /v1/reports, by answer.");
    return in;
fail:
    OPENSSL_cleanse(in->token_key, sizeof(in->token_key));
    free(in);
    return NULL;
}

void intake_free(struct intake *in)
{
    if (!in)
        return;
    OPENSSL_cleanse(in->token_key, sizeof(in->token_key));
    free(in);
}

void intake_set_clock(struct intake *in, int64_t (*now)(void))
{
    in->now = now ? now : real_now;
}

int intake_inflight(const struct intake *in)
{
    return in->inflight;
}

/* ---- answers ---------------------------------------------------------------- */

static json_t *time_json(int64_t t)
{
    char buf[TIMEUTIL_UTC_SIZE];
    if (rfc3339_format_utc(t, buf, sizeof(buf)) != 0)
        return json_null();
    return json_string(buf);
}

static json_t *milestones_json(const struct window_plan *p)
{
    json_t *a = json_array();
    for (int i = 0; i < p->count; i++) {
        const struct window_milestone *m = &p->m[i];
        json_array_append_new(a, json_pack("{s:s, s:o, s:s, s:s}", "name", milestone_name(m->name),
                                           "due_at", time_json(m->due_at), "severity",
                                           severity_name(m->severity), "state",
                                           milestone_state_name((enum milestone_state)m->state)));
    }
    return a;
}

static void reply_case(struct evhttp_request *req, int status, const char *ref, json_t *body)
{
    char loc[64];
    snprintf(loc, sizeof(loc), "/v1/cases/%s", ref);
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Location", loc);
    if (status == 200)
        evhttp_add_header(h, "Idempotency-Replayed", "true");
    http_reply_json(req, status, body);
}

static void count(const char *outcome)
{
    char series[96];
    snprintf(series, sizeof(series), "relay48_reports_total{outcome=\"%s\"}", outcome);
    metrics_add(series, 1);
}

static void answer(struct pending *p, int status, const char *ref, json_t *body)
{
    struct intake_answer a = {.status = status, .ref = ref, .body = body};
    p->done(&a, p->arg);
    json_decref(body);
}

static json_t *unavailable_problem(void)
{
    return problem_new(PROBLEM_DATABASE_UNAVAILABLE, "the report was not recorded; send it again");
}

static void on_stored(const struct store_result *res, void *arg)
{
    struct pending *p = arg;
    struct intake *in = p->in;
    in->inflight--;
    switch (res->outcome) {
    case STORE_COMMITTED: {
        if (res->group)
            publish(p, res);
        /* The stored copy is text already: the answer is p->response, changed
         * in place (p is freed below). */
        json_t *body = json_incref(p->response);
        json_t *flags = json_object_get(body, "flags");
        size_t i;
        json_t *f;
        json_array_foreach(res->flags_added, i, f)
        {
            int present = 0;
            size_t k;
            json_t *g;
            json_array_foreach(flags, k, g) present |= json_equal(f, g);
            if (!present)
                json_array_append(flags, f);
        }
        json_object_set_new(body, "linked_cases",
                            res->linked ? json_incref(res->linked) : json_array());
        log_write(LOG_INFO, "intake.committed", p->request_id, p->ref, "case committed");
        count("created");
        answer(p, 201, p->ref, body);
        break;
    }
    case STORE_REPLAY:
        if (strcmp(res->idem_hash, p->hash) == 0 && res->response) {
            count("replayed");
            answer(p, 200, res->idem_ref, json_incref(res->response));
        } else {
            count("conflict");
            answer(p, 409, NULL,
                   problem_new(PROBLEM_IDEMPOTENCY_CONFLICT,
                               "this Idempotency-Key was already used with another report"));
        }
        break;
    case STORE_REJECTED:
        count("rejected");
        answer(p, 422, NULL,
               problem_new(PROBLEM_INVALID_REQUEST, "the report could not be recorded as sent"));
        break;
    case STORE_UNAVAILABLE:
    default:
        count("unavailable");
        answer(p, 503, NULL, unavailable_problem());
        break;
    }
    pending_free(p);
}

/* ---- routing ---------------------------------------------------------------- */

static void resolve_bank(const struct intake *in, const char *iban, const char *given_bic,
                         struct bank_ref *out)
{
    memset(out, 0, sizeof(*out));
    char name[128];
    char bic[12];
    if (iban && *iban && bankdir_lookup(in->dir, iban, bic, name, sizeof(name)) == 0) {
        snprintf(out->bic, sizeof(out->bic), "%s", bic);
        snprintf(out->name, sizeof(out->name), "%s", name);
    }
    /* A BIC given in the report wins over the directory. */
    if (given_bic && *given_bic) {
        if (strcmp(out->bic, given_bic) != 0)
            out->name[0] = '\0';
        snprintf(out->bic, sizeof(out->bic), "%s", given_bic);
    }
}

static void route(const struct intake *in, const struct report *r, const struct window_plan *plan,
                  struct routing *rt)
{
    memset(rt, 0, sizeof(*rt));
    if (r->kind == REPORT_TRANSFER) {
        resolve_bank(in, r->debtor_iban, r->debtor_bic, &rt->debtor);
        resolve_bank(in, r->creditor_iban, r->creditor_bic, &rt->creditor);
    } else {
        resolve_bank(in, NULL, r->issuer_bic, &rt->issuer);
    }
    if (plan->state == WINDOW_EXPIRED_ON_ARRIVAL) {
        rt->police_required = 1;
        rt->police_reason = "expired_on_arrival";
    } else if (strcmp(r->currency, "EUR") != 0 ||
               r->amount_minor >= in->cfg->police_threshold_minor) {
        /* No exchange rates in the relay: any other currency is escalated
         * (docs/decisions.md). */
        rt->police_required = 1;
        rt->police_reason = "amount_threshold";
    }
    snprintf(rt->departement, sizeof(rt->departement), "%s", r->departement);
    rt->departement_name = r->departement[0] ? postal_departement_name(r->departement) : NULL;
}

/* ---- the handler -------------------------------------------------------------- */

static int idem_key_ok(const char *k)
{
    size_t n = strlen(k);
    if (n < 1 || n > 128)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (k[i] < 0x21 || k[i] > 0x7e)
            return 0;
    }
    return 1;
}

/* An HTTP request waiting for intake_submit's answer. */
struct http_wait {
    struct intake *in;
    struct evhttp_request *req;
};

int intake_submit(struct intake *in, const struct report *r, const struct intake_source *src,
                  intake_done_fn done, void *arg, json_t **problem)
{
    struct pending *p = NULL;
    json_t *milestones = NULL, *flags = NULL;
    int rc = 503;
    *problem = NULL;
    int64_t now = in->now();

    if (!bankdir_loaded(in->dir)) {
        /* Routed now, the report would name no bank (UNKNOWN): its
         * escalations would go to the dead-letter topic. Just after a start. */
        count("not_ready");
        *problem = problem_new(PROBLEM_NOT_READY, "starting: the bank directory is not loaded yet");
        return 503;
    }

    struct window_plan plan;
    if (window_plan(&in->window, r->rail, r->start_at, now, &plan) != 0) {
        *problem = problem_new(PROBLEM_INVALID_REQUEST, "the transfer time is out of range");
        problem_add_error(*problem, r->kind == REPORT_CARD ? "/operations" : "/executed_at",
                          "invalid_time", NULL);
        return 422;
    }
    struct routing rt;
    route(in, r, &plan, &rt);

    p = calloc(1, sizeof(*p));
    if (!p || ids_case_ref(p->ref) != 0)
        goto fail;
    p->in = in;
    p->done = done;
    p->arg = arg;
    snprintf(p->request_id, sizeof(p->request_id), "%s", src->request_id ? src->request_id : "");
    p->rep = *r;
    json_incref(p->rep.details);
    p->rt = rt;
    p->plan = plan;
    p->channel = src->channel;
    milestones = milestones_json(&plan);
    flags = events_flags(r, &rt);
    p->response = json_pack("{s:s, s:o, s:o, s:s, s:O, s:O, s:[]}", "ref", p->ref, "received_at",
                            time_json(plan.received_at), "deadline_at", time_json(plan.deadline_at),
                            "window_state", window_state_name(plan.state), "milestones", milestones,
                            "flags", flags, "linked_cases");
    unsigned char digest[32];
    report_hash(r, digest);
    hex_encode(digest, sizeof(digest), p->hash);

    struct store_case c;
    memset(&c, 0, sizeof(c));
    memcpy(c.ref, p->ref, sizeof(c.ref));
    c.kind = report_kind_name(r->kind);
    c.channel = report_channel_name(src->channel);
    c.submitted_by = src->party_id;
    c.rail = rail_name(r->rail);
    c.window_state = window_state_name(plan.state);
    if (rfc3339_format_utc(plan.start, c.start_at, sizeof(c.start_at)) != 0 ||
        rfc3339_format_utc(plan.received_at, c.received_at, sizeof(c.received_at)) != 0 ||
        rfc3339_format_utc(plan.deadline_at, c.deadline_at, sizeof(c.deadline_at)) != 0)
        goto fail;
    memcpy(p->received_at, c.received_at, sizeof(p->received_at));
    c.amount_minor = r->amount_minor;
    c.currency = r->currency;
    c.debtor_iban = r->debtor_iban;
    c.debtor_bic = rt.debtor.bic;
    c.creditor_iban = r->creditor_iban;
    c.creditor_bic = r->kind == REPORT_TRANSFER ? rt.creditor.bic : rt.issuer.bic;
    c.card_bin = r->card_bin;
    c.card_last4 = r->card_last4;
    c.receipt = r->receipt;
    c.scenario = r->scenario;
    c.departement = r->departement;
    c.flags = flags;
    c.details = r->details;
    c.milestones = milestones;
    c.police_reason = rt.police_required ? rt.police_reason : NULL;
    c.debtor_bank_name = rt.debtor.name;
    c.creditor_bank_name = r->kind == REPORT_TRANSFER ? rt.creditor.name : rt.issuer.name;
    c.response = p->response;
    c.idem_party = src->party_id;
    c.idem_key = src->idem_key;
    memcpy(c.idem_hash, p->hash, sizeof(c.idem_hash));
    if (store_submit(in->store, &c, on_stored, p) != 0)
        goto fail;
    in->inflight++;
    p = NULL; /* on_stored owns it */
    rc = 0;
    goto done;
fail:
    count("unavailable");
    *problem = unavailable_problem();
done:
    pending_free(p);
    json_decref(milestones);
    json_decref(flags);
    return rc;
}

static void on_http_answer(const struct intake_answer *a, void *arg)
{
    struct http_wait *w = arg;
    if (a->status == 201 || a->status == 200)
        reply_case(w->req, a->status, a->ref, json_incref(a->body));
    else
        problem_send(w->req, json_incref(a->body),
                     a->status == 503 ? (int)w->in->cfg->retry_after_s : 0);
    free(w);
}

void intake_handle_reports(struct evhttp_request *req, const struct http_match *m, void *arg)
{
    struct intake *in = arg;
    struct evkeyvalq *hdr = evhttp_request_get_input_headers(req);
    struct report r;
    json_t *errors = NULL;
    int have_report = 0;
    char *body = NULL;
    memset(&r, 0, sizeof(r));

    size_t len = 0;
    int too_large = 0;
    if (evbuffer_get_length(evhttp_request_get_input_buffer(req)) >
        (size_t)in->cfg->http_body_limit) {
        count("too_large");
        problem_reply(req, PROBLEM_PAYLOAD_TOO_LARGE, "a report is at most http.body_limit bytes",
                      0);
        return;
    }

    struct keys_party party;
    int st = keys_cache_authorise(in->keys, req, &party);
    if (st != 0) {
        count(st == 429 ? "rate_limited" : st == 503 ? "not_ready" : "unauthorized");
        return;
    }
    if (strncmp(party.role, "police:", 7) == 0) {
        count("forbidden");
        problem_reply(req, PROBLEM_FORBIDDEN, "police keys cannot submit reports", 0);
        return;
    }
    if (!http_content_type_is_json(evhttp_find_header(hdr, "Content-Type"))) {
        count("unsupported_media_type");
        problem_reply(req, PROBLEM_UNSUPPORTED_MEDIA_TYPE, NULL, 0);
        return;
    }
    const char *idem = evhttp_find_header(hdr, "Idempotency-Key");
    if (idem && !idem_key_ok(idem)) {
        count("invalid");
        json_t *pb = problem_new(PROBLEM_INVALID_REQUEST,
                                 "Idempotency-Key is 1 to 128 printable ASCII characters");
        json_t *e = json_pack("{s:s, s:s}", "header", "Idempotency-Key", "code", "invalid_format");
        json_object_set_new(pb, "errors", json_pack("[o]", e));
        problem_send(req, pb, 0);
        return;
    }

    body = http_body(req, (size_t)in->cfg->http_body_limit, &len, &too_large);
    if (!body) {
        count("too_large");
        problem_reply(req, PROBLEM_PAYLOAD_TOO_LARGE, NULL, 0);
        return;
    }
    errors = json_array();
    int rc = report_parse(body, len, in->now(), &in->limits, &r, errors);
    OPENSSL_cleanse(body, len); /* it may hold a card number */
    RELAY_FREE(body);
    if (rc == -2) {
        count("invalid_json");
        problem_reply(req, PROBLEM_INVALID_JSON, "the body must be one JSON object", 0);
        goto done;
    }
    if (rc != 0) {
        count("invalid");
        json_t *pb = problem_new(PROBLEM_INVALID_REQUEST, "some fields are invalid");
        json_object_set(pb, "errors", errors);
        problem_send(req, pb, 0);
        goto done;
    }
    have_report = 1;

    struct http_wait *w = calloc(1, sizeof(*w));
    if (!w) {
        problem_send(req, unavailable_problem(), (int)in->cfg->retry_after_s);
        goto done;
    }
    w->in = in;
    w->req = req;
    struct intake_source src = {.channel = CHANNEL_API,
                                .party_id = party.id,
                                .idem_key = idem,
                                .request_id = m->request_id};
    json_t *problem = NULL;
    int status = intake_submit(in, &r, &src, on_http_answer, w, &problem);
    if (status != 0) {
        free(w);
        problem_send(req, problem, status == 503 ? (int)in->cfg->retry_after_s : 0);
    }
done:
    json_decref(errors);
    if (have_report)
        report_free(&r);
}

int64_t intake_now(const struct intake *in)
{
    return in->now();
}
