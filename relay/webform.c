/* webform.c — the victim's form and case page over HTTP; see webform.h. */
#include "webform.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "config.h"
#include "csrf.h"
#include "db.h"
#include "form.h"
#include "html.h"
#include "hex.h"
#include "http.h"
#include "i18n.h"
#include "ids.h"
#include "intake.h"
#include "log.h"
#include "metrics.h"
#include "ratelimit.h"
#include "report.h"
#include "webreport.h"
#include "webstatic.h"
#include "webview.h"

#define CSP                                                                                        \
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "                    \
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

static const char sql_token[] = "INSERT INTO case_access_tokens (token_hash, case_id) "
                                "SELECT decode($2, 'hex'), id FROM cases WHERE ref = $1";

static const char sql_case[] =
    "SELECT c.id, c.kind, c.state, c.window_state,"
    " extract(epoch FROM c.start_at)::bigint, extract(epoch FROM c.received_at)::bigint,"
    " extract(epoch FROM c.deadline_at)::bigint, c.amount_minor, c.currency,"
    " coalesce(c.debtor_bic, ''), coalesce(c.creditor_bic, ''), coalesce(c.departement, ''),"
    " 'police_escalation' = ANY (c.flags),"
    " coalesce((SELECT name FROM bank_directory WHERE bic = c.debtor_bic LIMIT 1), ''),"
    " coalesce((SELECT name FROM bank_directory WHERE bic = c.creditor_bic LIMIT 1), ''),"
    " coalesce((SELECT name FROM departements WHERE code = c.departement), ''),"
    " to_regclass('acknowledgements') IS NOT NULL,"
    " to_regprocedure('relay48_addressees(bigint)') IS NOT NULL"
    " FROM case_access_tokens t JOIN cases c ON c.id = t.case_id"
    " WHERE t.token_hash = decode($2, 'hex') AND c.ref = $1";

/* Sent as text, not prepared: these tables come with the escalation
 * migration, which a database may not have yet (the case page then says
 * "no answer yet"). */
static const char sql_acks[] =
    "SELECT party, status, coalesce(amount_minor, 0), coalesce(currency, ''),"
    " coalesce(note, ''), extract(epoch FROM created_at)::bigint"
    " FROM acknowledgements WHERE case_id = $1 ORDER BY created_at, id LIMIT 50";
static const char sql_addressees[] =
    "SELECT a.party, a.role, extract(epoch FROM a.first_escalated_at)::bigint,"
    " coalesce((SELECT name FROM bank_directory b WHERE a.party = 'bank:' || b.bic LIMIT 1),"
    "          (SELECT name FROM departements d WHERE a.party = 'police:' || d.code), '')"
    " FROM relay48_addressees($1) a ORDER BY a.first_escalated_at, a.party LIMIT 8";

struct webform {
    const struct config *cfg;
    struct db *db;
    struct intake *intake;
    struct ratelimit *rl;
    unsigned char key[CSRF_KEY_MAX];
    size_t key_len;
    struct report_limits limits;
    int inflight;
};

/* ---- helpers ------------------------------------------------------------- */

static void count(const char *outcome)
{
    char series[96];
    snprintf(series, sizeof(series), "relay48_web_reports_total{outcome=\"%s\"}", outcome);
    metrics_add(series, 1);
}

static void security_headers(struct evhttp_request *req)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Content-Security-Policy", CSP);
    evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
    evhttp_add_header(h, "Referrer-Policy", "no-referrer");
    evhttp_add_header(h, "X-Frame-Options", "DENY");
    evhttp_add_header(h, "Cross-Origin-Opener-Policy", "same-origin");
    evhttp_add_header(h, "Permissions-Policy", "camera=(), microphone=(), geolocation=()");
}

/* Send a built page (or, if building failed, a bare 503). */
static void send_page(struct evhttp_request *req, int status, struct html *page)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    security_headers(req);
    evhttp_add_header(h, "Content-Type", "text/html; charset=utf-8");
    evhttp_add_header(h, "Cache-Control", "no-store");
    evhttp_add_header(h, "Content-Language", "fr, en");
    const char *body = html_data(page);
    if (!body) {
        status = 503;
        body = "<!doctype html><title>503</title><p>Service momentanément indisponible. "
               "Service unavailable.</p>";
    }
    struct evbuffer *buf = evbuffer_new();
    if (buf)
        evbuffer_add(buf, body, strlen(body));
    evhttp_send_reply(req, status, http_reason(status), buf);
    if (buf)
        evbuffer_free(buf);
    html_free(page);
}

static void message_page(struct evhttp_request *req, int status, enum lang lang, enum msg title,
                         enum msg text, int64_t n, int retry_after)
{
    char body[1024];
    if (i18n_format(lang, text, n, body, sizeof(body)) != 0)
        body[0] = '\0';
    struct html page;
    html_init(&page, 0);
    webview_message_page(&page, lang, title, body);
    if (retry_after > 0) {
        char v[24];
        snprintf(v, sizeof(v), "%d", retry_after);
        evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", v);
    }
    send_page(req, status, &page);
}

/* ?name= of the request's query, copied (out is "" when absent). */
static void query_param(struct evhttp_request *req, const char *name, char *out, size_t out_size)
{
    out[0] = '\0';
    const char *q = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
    if (!q)
        return;
    struct evkeyvalq params; /* evhttp_parse_query_str initialises it */
    if (evhttp_parse_query_str(q, &params) == 0) {
        const char *v = evhttp_find_header(&params, name);
        if (v)
            snprintf(out, out_size, "%s", v);
    }
    evhttp_clear_headers(&params);
}

static enum lang request_lang(struct evhttp_request *req, const char *form_lang)
{
    char q[16];
    query_param(req, "lang", q, sizeof(q));
    const char *al = evhttp_find_header(evhttp_request_get_input_headers(req), "Accept-Language");
    return i18n_negotiate(form_lang && *form_lang ? form_lang : q, al);
}

static int new_token(const struct webform *w, const unsigned char *nonce_or_null,
                     char out[CSRF_TOKEN_SIZE])
{
    unsigned char nonce[CSRF_NONCE_BYTES];
    if (nonce_or_null)
        memcpy(nonce, nonce_or_null, sizeof(nonce));
    else if (RAND_bytes(nonce, sizeof(nonce)) != 1)
        return -1;
    return csrf_issue(w->key, w->key_len, nonce, intake_now(w->intake), out);
}

static void form_page(struct evhttp_request *req, const struct webform *w, int status,
                      enum lang lang, enum wf_kind kind, const struct form *values,
                      const struct wf_errors *errors, enum msg notice, const unsigned char *nonce)
{
    char token[CSRF_TOKEN_SIZE];
    if (new_token(w, nonce, token) != 0) {
        message_page(req, 503, lang, M_UNAVAILABLE_TITLE, M_UNAVAILABLE_PAGE, 0,
                     (int)w->cfg->retry_after_s);
        return;
    }
    struct webview_form v = {.lang = lang,
                             .kind = kind,
                             .values = values,
                             .errors = errors,
                             .csrf = token,
                             .notice = notice};
    struct html page;
    html_init(&page, 0);
    webview_form_page(&page, &v);
    if (!values)
        evhttp_add_header(evhttp_request_get_output_headers(req), "Vary", "Accept-Language");
    send_page(req, status, &page);
}

static void hex_sha256(const char *s, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (!EVP_Digest(s, strlen(s), md, &n, EVP_sha256(), NULL) || n != 32) {
        out[0] = '\0';
        return;
    }
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* ---- lifecycle ----------------------------------------------------------- */

struct webform *webform_new(const struct config *cfg, struct db *db, struct intake *in,
                            char *errstr, size_t errstr_size)
{
    struct webform *w = calloc(1, sizeof(*w));
    if (!w) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    w->cfg = cfg;
    w->db = db;
    w->intake = in;
    report_limits_default(&w->limits);
    if (cfg->web_csrf_key && *cfg->web_csrf_key) {
        if (hex_decode(cfg->web_csrf_key, w->key, sizeof(w->key), &w->key_len) != 0 ||
            w->key_len < CSRF_KEY_MIN) {
            snprintf(errstr, errstr_size, "web.csrf_key must be %d to %d hex digits",
                     2 * CSRF_KEY_MIN, 2 * CSRF_KEY_MAX);
            goto fail;
        }
    } else {
        /* One key per process: forms served by another instance, or before
         * a restart, are refused (the victim gets the form back, values kept,
         * and sends again). Several instances share web.csrf_key. */
        w->key_len = 32;
        if (RAND_bytes(w->key, (int)w->key_len) != 1) {
            snprintf(errstr, errstr_size, "no random bytes for the form key");
            goto fail;
        }
    }
    uint64_t seed = 0;
    if (RAND_bytes((unsigned char *)&seed, sizeof(seed)) != 1)
        seed = (uint64_t)http_now_us();
    w->rl = ratelimit_new((size_t)cfg->web_rate_slots, seed);
    if (!w->rl) {
        snprintf(errstr, errstr_size, "out of memory");
        goto fail;
    }
    if (db_prepare(db, "web_token", sql_token, 2) != 0 ||
        db_prepare(db, "web_case", sql_case, 2) != 0) {
        snprintf(errstr, errstr_size, "cannot prepare the web form's statements");
        goto fail;
    }
    metrics_describe("relay48_web_reports_total", METRIC_COUNTER,
                     "Posts of the victim's form (POST /report), by outcome.");
    return w;
fail:
    webform_free(w);
    return NULL;
}

void webform_free(struct webform *w)
{
    if (!w)
        return;
    ratelimit_free(w->rl);
    OPENSSL_cleanse(w->key, sizeof(w->key));
    free(w);
}

int webform_inflight(const struct webform *w)
{
    return w ? w->inflight : 0;
}

/* ---- GET / and GET /static/NAME ------------------------------------------------- */

void webform_handle_index(struct evhttp_request *req, const struct http_match *m, void *arg)
{
    struct webform *w = arg;
    char kind[16];
    query_param(req, "kind", kind, sizeof(kind));
    form_page(req, w, 200, request_lang(req, NULL),
              strcmp(kind, "card") == 0 ? WF_CARD : WF_TRANSFER, NULL, NULL, M_COUNT, NULL);
}

void webform_handle_static(struct evhttp_request *req, const struct http_match *m, void *arg)
{
    const char *type = NULL;
    size_t len = 0;
    const char *body = m->nparams == 1 ? webstatic_get(m->param[0], &type, &len) : NULL;
    if (!body) {
        message_page(req, 404, request_lang(req, NULL), M_NOTFOUND_TITLE, M_BACK_TO_FORM, 0, 0);
        return;
    }
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    security_headers(req);
    evhttp_add_header(h, "Content-Type", type);
    evhttp_add_header(h, "Cache-Control", "public, max-age=3600");
    struct evbuffer *buf = evbuffer_new();
    if (buf)
        evbuffer_add_reference(buf, body, len, NULL, NULL);
    evhttp_send_reply(req, 200, "OK", buf);
    if (buf)
        evbuffer_free(buf);
}

/* ---- POST /report -------------------------------------------------------- */

/* A post waiting for its commit, then for its access token's row. */
struct post {
    struct webform *w;
    struct evhttp_request *req;
    enum lang lang;
    enum wf_kind kind;
    struct form form; /* kept to show the form again */
    unsigned char nonce[CSRF_NONCE_BYTES];
    char request_id[17];
    char ref[IDS_REF_SIZE];
    char token[IDS_TOKEN_SIZE];
};

static void post_free(struct post *p)
{
    form_free(&p->form);
    OPENSSL_cleanse(p->token, sizeof(p->token));
    free(p);
}

static void post_unavailable(struct post *p, enum msg text)
{
    message_page(p->req, 503, p->lang, M_UNAVAILABLE_TITLE, text, 0, (int)p->w->cfg->retry_after_s);
}

static void on_token_stored(PGresult *res, void *arg)
{
    struct post *p = arg;
    p->w->inflight--;
    if (!res || PQresultStatus(res) != PGRES_COMMAND_OK || strcmp(PQcmdTuples(res), "1") != 0) {
        log_write(LOG_WARN, "web.token_failed", p->request_id, p->ref,
                  "case committed, access token not stored: %s",
                  res ? PQresultErrorMessage(res) : "connection lost");
        count("token_failed");
        post_unavailable(p, M_UNAVAILABLE_LINK);
        post_free(p);
        return;
    }
    char loc[160];
    snprintf(loc, sizeof(loc), "/case/%s?t=%s%s", p->ref, p->token,
             p->lang == LANG_EN ? "&lang=en" : "");
    struct evkeyvalq *h = evhttp_request_get_output_headers(p->req);
    security_headers(p->req);
    evhttp_add_header(h, "Location", loc);
    evhttp_add_header(h, "Cache-Control", "no-store");
    evhttp_send_reply(p->req, 303, "See Other", NULL);
    post_free(p);
}

static void on_committed(const struct intake_answer *a, void *arg)
{
    struct post *p = arg;
    struct webform *w = p->w;
    w->inflight--;
    if (a->status == 201 || a->status == 200) {
        /* A replayed form (same nonce, same report) gets a token of its own
         * for the same case: the browser that shows the last answer of a
         * double click must be able to open the page. */
        count(a->status == 201 ? "created" : "replayed");
        snprintf(p->ref, sizeof(p->ref), "%s", a->ref ? a->ref : "");
        char hash[65];
        if (ids_token(p->token) != 0)
            goto unavailable;
        hex_sha256(p->token, hash);
        const char *params[2] = {p->ref, hash};
        if (!hash[0] || db_send(w->db, "web_token", NULL, 2, params, on_token_stored, p) != 0)
            goto unavailable;
        w->inflight++;
        if (db_sync(w->db) != 0)
            return; /* on_token_stored gets NULL */
        log_write(LOG_INFO, "web.report", p->request_id, p->ref, "case %s from the web form",
                  a->status == 201 ? "created" : "found again");
        return;
    unavailable:
        count("token_failed");
        post_unavailable(p, M_UNAVAILABLE_LINK);
        post_free(p);
        return;
    }
    if (a->status == 409) {
        count("conflict");
        form_page(p->req, w, 409, p->lang, p->kind, &p->form, NULL, M_NOTICE_CONFLICT, NULL);
    } else if (a->status == 422) {
        count("rejected");
        form_page(p->req, w, 422, p->lang, p->kind, &p->form, NULL, M_NOTICE_REJECTED, p->nonce);
    } else {
        count("unavailable");
        post_unavailable(p, M_UNAVAILABLE_REPORT);
    }
    post_free(p);
}

static int content_type_is_form(const char *ct)
{
    static const char want[] = "application/x-www-form-urlencoded";
    if (!ct)
        return 0;
    while (*ct == ' ')
        ct++;
    if (strncasecmp(ct, want, sizeof(want) - 1) != 0)
        return 0;
    const char *rest = ct + sizeof(want) - 1;
    while (*rest == ' ')
        rest++;
    return *rest == '\0' || *rest == ';';
}

/* The bucket key of the client: the peer address, or the last address of
 * web.client_ip_header when the relay is behind a proxy that sets it. */
static void client_key(const struct webform *w, struct evhttp_request *req,
                       unsigned char key[RATELIMIT_KEY_BYTES])
{
    unsigned char a6[16];
    const char *hdr_name = w->cfg->web_client_ip_header;
    if (hdr_name && *hdr_name) {
        const char *v = evhttp_find_header(evhttp_request_get_input_headers(req), hdr_name);
        if (v) {
            const char *last = strrchr(v, ',');
            last = last ? last + 1 : v;
            while (*last == ' ')
                last++;
            char ip[64];
            snprintf(ip, sizeof(ip), "%s", last);
            ip[strcspn(ip, " ")] = '\0';
            if (inet_pton(AF_INET, ip, a6) == 1) {
                ratelimit_key(AF_INET, a6, key);
                return;
            }
            if (inet_pton(AF_INET6, ip, a6) == 1) {
                ratelimit_key(AF_INET6, a6, key);
                return;
            }
        }
    }
    struct evhttp_connection *conn = evhttp_request_get_connection(req);
    const struct sockaddr *sa = conn ? evhttp_connection_get_addr(conn) : NULL;
    if (sa && sa->sa_family == AF_INET) {
        ratelimit_key(AF_INET, (const unsigned char *)&((const struct sockaddr_in *)sa)->sin_addr,
                      key);
    } else if (sa && sa->sa_family == AF_INET6) {
        ratelimit_key(AF_INET6,
                      (const unsigned char *)&((const struct sockaddr_in6 *)sa)->sin6_addr, key);
    } else {
        memset(a6, 0, sizeof(a6));
        ratelimit_key(AF_INET, a6, key);
    }
}

void webform_handle_report(struct evhttp_request *req, const struct http_match *m, void *arg)
{
    struct webform *w = arg;
    struct evkeyvalq *in = evhttp_request_get_input_headers(req);
    struct evbuffer *input = evhttp_request_get_input_buffer(req);
    enum lang lang = request_lang(req, NULL);
    struct post *p = NULL;
    char *body = NULL;
    struct report r;
    int have_report = 0;
    memset(&r, 0, sizeof(r));

    size_t len = evbuffer_get_length(input);
    if (len > (size_t)w->cfg->http_body_limit) {
        count("too_large");
        message_page(req, 413, lang, M_TOO_LARGE_TITLE, M_TOO_LARGE, 0, 0);
        return;
    }
    unsigned char key[RATELIMIT_KEY_BYTES];
    int64_t retry = 0;
    client_key(w, req, key);
    if (!ratelimit_take(w->rl, key, http_now_us() / 1000, w->cfg->web_rate_per_minute,
                        w->cfg->web_rate_burst, &retry)) {
        count("rate_limited");
        message_page(req, 429, lang, M_RATE_TITLE, M_RATE_BODY, retry, (int)retry);
        return;
    }
    if (csrf_origin_check(evhttp_find_header(in, "Origin"),
                          evhttp_find_header(in, "Sec-Fetch-Site"), evhttp_find_header(in, "Host"),
                          w->cfg->web_origin) != 0) {
        count("forbidden_origin");
        message_page(req, 403, lang, M_FORBIDDEN_TITLE, M_FORBIDDEN_ORIGIN, 0, 0);
        return;
    }
    if (!content_type_is_form(evhttp_find_header(in, "Content-Type"))) {
        count("unsupported_media_type");
        message_page(req, 415, lang, M_BAD_REQUEST_TITLE, M_BAD_REQUEST, 0, 0);
        return;
    }
    p = calloc(1, sizeof(*p));
    body = malloc(len + 1);
    if (!p || !body || evbuffer_copyout(input, body, len) != (ev_ssize_t)len) {
        message_page(req, 503, lang, M_UNAVAILABLE_TITLE, M_UNAVAILABLE_REPORT, 0,
                     (int)w->cfg->retry_after_s);
        goto done;
    }
    p->w = w;
    p->req = req;
    snprintf(p->request_id, sizeof(p->request_id), "%s", m->request_id);
    enum form_error fe = form_parse(body, len, &p->form);
    OPENSSL_cleanse(body, len); /* it may hold a card number */
    if (fe != FORM_OK) {
        count("bad_form");
        log_write(LOG_INFO, "web.bad_form", m->request_id, NULL, "form refused: %s",
                  form_error_name(fe));
        message_page(req, 400, lang, M_BAD_REQUEST_TITLE, M_BAD_REQUEST, 0, 0);
        goto done;
    }
    p->lang = lang = request_lang(req, form_get(&p->form, "lang"));
    p->kind = webreport_kind(&p->form);

    char nonce[CSRF_NONCE_SIZE];
    enum csrf_result cr =
        csrf_check(w->key, w->key_len, form_get(&p->form, "csrf"), intake_now(w->intake),
                   w->cfg->web_csrf_ttl_s, nonce, p->nonce);
    if (cr != CSRF_OK) {
        /* No case is made; the form comes back with what was typed and a
         * fresh token under a new nonce, so that the victim only has to send
         * again. A forged post gets nothing more than its own values. */
        count("bad_token");
        log_write(LOG_INFO, "web.bad_token", m->request_id, NULL, "anti-forgery token %s",
                  csrf_result_name(cr));
        form_page(req, w, 403, lang, p->kind, &p->form, NULL, M_NOTICE_EXPIRED, NULL);
        goto done;
    }

    struct wf_errors errs;
    int rc = webreport_build(&p->form, nonce, intake_now(w->intake), &w->limits, &r, &errs);
    if (rc == -2) {
        message_page(req, 503, lang, M_UNAVAILABLE_TITLE, M_UNAVAILABLE_REPORT, 0,
                     (int)w->cfg->retry_after_s);
        goto done;
    }
    if (rc != 0) {
        count("invalid");
        form_page(req, w, 422, lang, p->kind, &p->form, &errs, M_COUNT, p->nonce);
        goto done;
    }
    have_report = 1;

    struct intake_source src = {
        .channel = CHANNEL_WEB, .party_id = "web", .idem_key = nonce, .request_id = m->request_id};
    json_t *problem = NULL;
    int status = intake_submit(w->intake, &r, &src, on_committed, p, &problem);
    if (status == 0) {
        w->inflight++;
        p = NULL; /* on_committed owns it */
        goto done;
    }
    json_decref(problem);
    if (status == 422) {
        count("invalid");
        struct wf_errors e2;
        memset(&e2, 0, sizeof(e2));
        e2.e[p->kind == WF_CARD ? WF_OP_AT : WF_EXECUTED_AT] =
            (struct wf_error){.set = 1, .msg = M_E_TIME};
        e2.count = 1;
        form_page(req, w, 422, lang, p->kind, &p->form, &e2, M_COUNT, p->nonce);
    } else {
        count("unavailable");
        message_page(req, 503, lang, M_UNAVAILABLE_TITLE, M_UNAVAILABLE_REPORT, 0,
                     (int)w->cfg->retry_after_s);
    }
done:
    if (have_report)
        report_free(&r);
    if (body)
        OPENSSL_cleanse(body, len);
    free(body);
    if (p)
        post_free(p);
}

/* ---- GET /case/{ref}?t={token} ------------------------------------------- */

struct casereq {
    struct webform *w;
    struct evhttp_request *req;
    struct webview_case v;
    char case_id[24];
    char debtor_bic[12], creditor_bic[12], departement[4];
    char debtor_name[128], creditor_name[128], departement_name[128];
    int police_flag;
    int has_acks, has_addressees;
    int waiting; /* results still to come */
    int failed;
    char request_id[17];
};

static void not_found(struct evhttp_request *req, enum lang lang)
{
    message_page(req, 404, lang, M_NOTFOUND_TITLE, M_NOTFOUND_CASE, 0, 0);
}

static int64_t int_value(PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? 0 : strtoll(PQgetvalue(res, row, col), NULL, 10);
}

static void copy_value(PGresult *res, int row, int col, char *out, size_t out_size)
{
    snprintf(out, out_size, "%s", PQgetisnull(res, row, col) ? "" : PQgetvalue(res, row, col));
}

static struct webview_party *find_party(struct webview_case *v, const char *party)
{
    for (size_t i = 0; i < v->nparties; i++)
        if (strcmp(v->parties[i].party, party) == 0)
            return &v->parties[i];
    return NULL;
}

static struct webview_party *add_party(struct webview_case *v, const char *party, const char *role,
                                       const char *name, int64_t at)
{
    struct webview_party *p = find_party(v, party);
    if (p)
        return p;
    if (v->nparties == WEBVIEW_MAX_PARTIES)
        return NULL;
    p = &v->parties[v->nparties++];
    snprintf(p->party, sizeof(p->party), "%s", party);
    snprintf(p->role, sizeof(p->role), "%s", role);
    snprintf(p->name, sizeof(p->name), "%s", name);
    p->escalated_at = at;
    return p;
}

static int role_rank(const char *role)
{
    static const char *const order[] = {"debtor_bank", "creditor_bank", "issuer_bank", "police"};
    for (size_t i = 0; i < RELAY_ARRAY_LEN(order); i++)
        if (strcmp(role, order[i]) == 0)
            return (int)i;
    return (int)RELAY_ARRAY_LEN(order);
}

/* Everyone the victim should hear from, in a fixed order: the banks of the
 * case (alerted at intake), the police (at intake above the threshold, else
 * at the reminder), and whoever else answered. */
static void complete_parties(struct casereq *c)
{
    struct webview_case *v = &c->v;
    char party[64];
    /* Without relay48_addressees, the alert at intake is the best we know. */
    int64_t intake_at = c->has_addressees ? 0 : v->received_at;
    if (v->kind == WF_TRANSFER) {
        snprintf(party, sizeof(party), "bank:%s", c->debtor_bic[0] ? c->debtor_bic : "UNKNOWN");
        add_party(v, party, "debtor_bank", c->debtor_name, c->debtor_bic[0] ? intake_at : 0);
        snprintf(party, sizeof(party), "bank:%s", c->creditor_bic[0] ? c->creditor_bic : "UNKNOWN");
        add_party(v, party, "creditor_bank", c->creditor_name, c->creditor_bic[0] ? intake_at : 0);
    } else {
        snprintf(party, sizeof(party), "bank:%s", c->creditor_bic[0] ? c->creditor_bic : "UNKNOWN");
        add_party(v, party, "issuer_bank", c->creditor_name, c->creditor_bic[0] ? intake_at : 0);
    }
    snprintf(party, sizeof(party), "police:%s", c->departement[0] ? c->departement : "NATIONAL");
    add_party(v, party, "police", c->departement_name,
              c->police_flag || strcmp(v->window_state, "expired_on_arrival") == 0 ? intake_at : 0);
    for (size_t i = 0; i < v->nacks; i++)
        add_party(v, v->acks[i].party, strncmp(v->acks[i].party, "police:", 7) == 0 ? "police" : "",
                  "", 0);
    /* Insertion sort by role: at most WEBVIEW_MAX_PARTIES entries. */
    for (size_t i = 1; i < v->nparties; i++) {
        struct webview_party t = v->parties[i];
        size_t k = i;
        while (k > 0 && role_rank(v->parties[k - 1].role) > role_rank(t.role)) {
            v->parties[k] = v->parties[k - 1];
            k--;
        }
        v->parties[k] = t;
    }
}

static void case_finish(struct casereq *c)
{
    struct webform *w = c->w;
    w->inflight--;
    if (c->failed) {
        message_page(c->req, 503, c->v.lang, M_UNAVAILABLE_TITLE, M_UNAVAILABLE_PAGE, 0,
                     (int)w->cfg->retry_after_s);
    } else {
        complete_parties(c);
        struct html page;
        html_init(&page, 0);
        webview_case_page(&page, &c->v);
        send_page(c->req, 200, &page);
    }
    OPENSSL_cleanse(c->v.token, sizeof(c->v.token));
    free(c);
}

static void on_acks(PGresult *res, void *arg)
{
    struct casereq *c = arg;
    if (res && PQresultStatus(res) == PGRES_TUPLES_OK) {
        int n = PQntuples(res);
        for (int i = 0; i < n && c->v.nacks < WEBVIEW_MAX_ACKS; i++) {
            struct webview_ack *a = &c->v.acks[c->v.nacks++];
            copy_value(res, i, 0, a->party, sizeof(a->party));
            copy_value(res, i, 1, a->status, sizeof(a->status));
            a->amount_minor = int_value(res, i, 2);
            copy_value(res, i, 3, a->currency, sizeof(a->currency));
            copy_value(res, i, 4, a->note, sizeof(a->note));
            a->at = int_value(res, i, 5);
        }
    } else if (res) {
        log_write(LOG_WARN, "web.acks_failed", c->request_id, c->v.ref, "%s",
                  PQresultErrorMessage(res));
    }
    if (--c->waiting == 0)
        case_finish(c);
}

static void on_addressees(PGresult *res, void *arg)
{
    struct casereq *c = arg;
    if (res && PQresultStatus(res) == PGRES_TUPLES_OK) {
        int n = PQntuples(res);
        for (int i = 0; i < n; i++) {
            char party[64], role[16], name[128];
            copy_value(res, i, 0, party, sizeof(party));
            copy_value(res, i, 1, role, sizeof(role));
            copy_value(res, i, 3, name, sizeof(name));
            add_party(&c->v, party, role, name, int_value(res, i, 2));
        }
    } else if (res) {
        log_write(LOG_WARN, "web.addressees_failed", c->request_id, c->v.ref, "%s",
                  PQresultErrorMessage(res));
    }
    if (--c->waiting == 0)
        case_finish(c);
}

static void on_case(PGresult *res, void *arg)
{
    struct casereq *c = arg;
    struct webform *w = c->w;
    c->waiting--;
    if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
        c->failed = 1;
        case_finish(c);
        return;
    }
    if (PQntuples(res) != 1) {
        w->inflight--;
        not_found(c->req, c->v.lang);
        OPENSSL_cleanse(c->v.token, sizeof(c->v.token));
        free(c);
        return;
    }
    struct webview_case *v = &c->v;
    copy_value(res, 0, 0, c->case_id, sizeof(c->case_id));
    v->kind = strcmp(PQgetvalue(res, 0, 1), "card") == 0 ? WF_CARD : WF_TRANSFER;
    copy_value(res, 0, 2, v->state, sizeof(v->state));
    copy_value(res, 0, 3, v->window_state, sizeof(v->window_state));
    v->start_at = int_value(res, 0, 4);
    v->received_at = int_value(res, 0, 5);
    v->deadline_at = int_value(res, 0, 6);
    v->amount_minor = int_value(res, 0, 7);
    copy_value(res, 0, 8, v->currency, sizeof(v->currency));
    copy_value(res, 0, 9, c->debtor_bic, sizeof(c->debtor_bic));
    copy_value(res, 0, 10, c->creditor_bic, sizeof(c->creditor_bic));
    copy_value(res, 0, 11, c->departement, sizeof(c->departement));
    c->police_flag = strcmp(PQgetvalue(res, 0, 12), "t") == 0;
    copy_value(res, 0, 13, c->debtor_name, sizeof(c->debtor_name));
    copy_value(res, 0, 14, c->creditor_name, sizeof(c->creditor_name));
    copy_value(res, 0, 15, c->departement_name, sizeof(c->departement_name));
    c->has_acks = strcmp(PQgetvalue(res, 0, 16), "t") == 0;
    c->has_addressees = strcmp(PQgetvalue(res, 0, 17), "t") == 0;
    v->now = intake_now(w->intake);

    const char *params[1] = {c->case_id};
    if (c->has_addressees && db_send(w->db, NULL, sql_addressees, 1, params, on_addressees, c) == 0)
        c->waiting++;
    if (c->has_acks && db_send(w->db, NULL, sql_acks, 1, params, on_acks, c) == 0)
        c->waiting++;
    if (c->waiting > 0) {
        if (db_sync(w->db) != 0) {
            /* The connection is dropped: the callbacks get NULL. */
        }
        return;
    }
    case_finish(c);
}

static int token_shape_ok(const char *t)
{
    size_t n = strlen(t);
    if (n != IDS_TOKEN_SIZE - 1)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = t[i];
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '_'))
            return 0;
    }
    return 1;
}

void webform_handle_case(struct evhttp_request *req, const struct http_match *m, void *arg)
{
    struct webform *w = arg;
    enum lang lang = request_lang(req, NULL);
    char token[64];
    query_param(req, "t", token, sizeof(token));
    if (m->nparams != 1 || !ids_ref_valid(m->param[0]) || !token_shape_ok(token)) {
        OPENSSL_cleanse(token, sizeof(token));
        not_found(req, lang);
        return;
    }
    struct casereq *c = calloc(1, sizeof(*c));
    if (!c) {
        message_page(req, 503, lang, M_UNAVAILABLE_TITLE, M_UNAVAILABLE_PAGE, 0,
                     (int)w->cfg->retry_after_s);
        return;
    }
    c->w = w;
    c->req = req;
    c->v.lang = lang;
    memcpy(c->v.ref, m->param[0], IDS_REF_SIZE); /* ids_ref_valid: 18 characters */
    memcpy(c->v.token, token, IDS_TOKEN_SIZE);   /* token_shape_ok: 43 characters */
    snprintf(c->request_id, sizeof(c->request_id), "%s", m->request_id);
    char hash[65];
    hex_sha256(token, hash);
    OPENSSL_cleanse(token, sizeof(token));
    const char *params[2] = {c->v.ref, hash};
    if (!hash[0] || db_send(w->db, "web_case", NULL, 2, params, on_case, c) != 0) {
        message_page(req, 503, lang, M_UNAVAILABLE_TITLE, M_UNAVAILABLE_PAGE, 0,
                     (int)w->cfg->retry_after_s);
        free(c);
        return;
    }
    w->inflight++;
    c->waiting = 1;
    if (db_sync(w->db) != 0) {
        /* The connection is dropped: on_case gets NULL. */
    }
}
