/* http.c — evhttp server, routing, access log; see http.h. */
#include "http.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/rand.h>
#include <sys/socket.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "metrics.h"
#include "problem.h"

struct http_server {
    struct evhttp *http;
    struct evhttp_bound_socket *sock;
    const struct http_route *routes;
    size_t nroutes;
    int port;
};

int64_t http_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

const char *http_reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 303:
        return "See Other";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 413:
        return "Payload Too Large";
    case 415:
        return "Unsupported Media Type";
    case 422:
        return "Unprocessable Content";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    default:
        return "Status";
    }
}

int http_path_match(const char *pattern, const char *path, struct http_match *m)
{
    m->nparams = 0;
    const char *p = pattern, *s = path;
    while (*p && *s) {
        if (*p == '*') {
            const char *end = strchr(s, '/');
            size_t n = end ? (size_t)(end - s) : strlen(s);
            if (n == 0 || m->nparams == HTTP_MAX_PARAMS)
                return 0;
            if (n >= sizeof(m->param[0])) {
                /* Longer than any value a route takes: still this route, so
                 * that it answers in its own way (a page for a page), with an
                 * empty segment, which every handler refuses. */
                m->param[m->nparams][0] = '\0';
            } else {
                memcpy(m->param[m->nparams], s, n);
                m->param[m->nparams][n] = '\0';
            }
            m->nparams++;
            s += n;
            p++;
        } else if (*p == *s) {
            p++;
            s++;
        } else {
            return 0;
        }
    }
    return *p == '\0' && *s == '\0';
}

static void new_request_id(char out[17])
{
    unsigned char raw[8];
    if (RAND_bytes(raw, sizeof(raw)) != 1)
        memset(raw, 0, sizeof(raw));
    for (int i = 0; i < 8; i++)
        snprintf(out + 2 * i, 3, "%02x", raw[i]);
}

static const char *method_name(enum evhttp_cmd_type m)
{
    switch (m) {
    case EVHTTP_REQ_GET:
        return "GET";
    case EVHTTP_REQ_POST:
        return "POST";
    case EVHTTP_REQ_HEAD:
        return "HEAD";
    case EVHTTP_REQ_PUT:
        return "PUT";
    case EVHTTP_REQ_DELETE:
        return "DELETE";
    case EVHTTP_REQ_OPTIONS:
        return "OPTIONS";
    case EVHTTP_REQ_PATCH:
        return "PATCH";
    case EVHTTP_REQ_TRACE:
        return "TRACE";
    case EVHTTP_REQ_CONNECT:
        return "CONNECT";
    default:
        return "OTHER";
    }
}

/* Runs when the reply has been written (or the connection died). */
struct access {
    char request_id[17];
    char method[8];
    char path[128];
    int64_t started_us;
};

static void on_complete(struct evhttp_request *req, void *arg)
{
    struct access *a = arg;
    int status = req ? evhttp_request_get_response_code(req) : 0;
    int64_t us = http_now_us() - a->started_us;
    char series[96];
    snprintf(series, sizeof(series), "relay48_http_responses_total{code=\"%d\"}", status);
    metrics_add(series, 1);
    metrics_observe_us("relay48_http_request_duration_seconds", us);
    log_write(LOG_INFO, "http.access", a->request_id, NULL, "%s %s %d %lldus", a->method, a->path,
              status, (long long)us);
    free(a);
}

static void dispatch(struct evhttp_request *req, void *arg)
{
    struct http_server *s = arg;
    struct http_match m;
    memset(&m, 0, sizeof(m));
    new_request_id(m.request_id);
    evhttp_add_header(evhttp_request_get_output_headers(req), "X-Request-Id", m.request_id);

    const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
    if (!path || !*path)
        path = "/";

    struct access *a = calloc(1, sizeof(*a));
    if (a) {
        memcpy(a->request_id, m.request_id, sizeof(a->request_id));
        snprintf(a->method, sizeof(a->method), "%s", method_name(evhttp_request_get_command(req)));
        /* The path only: query strings may hold case tokens. */
        snprintf(a->path, sizeof(a->path), "%s", path);
        a->started_us = http_now_us();
        evhttp_request_set_on_complete_cb(req, on_complete, a);
    }

    int allowed = 0;
    enum evhttp_cmd_type method = evhttp_request_get_command(req);
    struct evkeyvalq *in = evhttp_request_get_input_headers(req);
    if ((method == EVHTTP_REQ_HEAD || method == EVHTTP_REQ_TRACE) &&
        (evhttp_find_header(in, "Content-Length") || evhttp_find_header(in, "Transfer-Encoding"))) {
        /* libevent reads no body for HEAD and TRACE: content sent with one
         * would be read as the next request on the connection (a desync a
         * proxy in front could be abused with). Close after the reply. */
        evhttp_add_header(evhttp_request_get_output_headers(req), "Connection", "close");
    }
    if (method == EVHTTP_REQ_CONNECT) {
        /* Its target is a host:port, no resource of ours: nothing allowed. */
        evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "");
        problem_reply(req, PROBLEM_METHOD_NOT_ALLOWED, NULL, 0);
        return;
    }
    for (size_t i = 0; i < s->nroutes; i++) {
        if (!http_path_match(s->routes[i].pattern, path, &m))
            continue;
        allowed |= s->routes[i].methods;
        if ((int)method & s->routes[i].methods) {
            s->routes[i].handler(req, &m, s->routes[i].arg);
            return;
        }
    }
    if (allowed) {
        /* RFC 9110 15.5.6: a 405 lists the methods the resource has. */
        char allow[64];
        http_allow_value(allowed, allow, sizeof(allow));
        evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", allow);
        problem_reply(req, PROBLEM_METHOD_NOT_ALLOWED, NULL, 0);
    } else {
        problem_reply(req, PROBLEM_NOT_FOUND, NULL, 0);
    }
}

void http_allow_value(int methods, char *out, size_t size)
{
    static const struct {
        int bit;
        const char *name;
    } order[] = {
        {EVHTTP_REQ_GET, "GET"},     {EVHTTP_REQ_HEAD, "HEAD"},     {EVHTTP_REQ_POST, "POST"},
        {EVHTTP_REQ_PUT, "PUT"},     {EVHTTP_REQ_DELETE, "DELETE"}, {EVHTTP_REQ_OPTIONS, "OPTIONS"},
        {EVHTTP_REQ_PATCH, "PATCH"},
    };
    size_t n = 0;
    if (size == 0)
        return;
    out[0] = '\0';
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        if (!(methods & order[i].bit))
            continue;
        int w = snprintf(out + n, size - n, "%s%s", n ? ", " : "", order[i].name);
        if (w < 0 || (size_t)w >= size - n) {
            out[n] = '\0'; /* whole names only */
            return;
        }
        n += (size_t)w;
    }
}

struct http_server *http_server_new(struct event_base *base, const struct http_options *opt,
                                    const struct http_route *routes, size_t nroutes, char *errstr,
                                    size_t errstr_size)
{
    struct http_server *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    s->routes = routes;
    s->nroutes = nroutes;
    s->http = evhttp_new(base);
    if (!s->http) {
        snprintf(errstr, errstr_size, "evhttp_new failed");
        goto fail;
    }
    /* evhttp's own cap is a backstop at 4x the limit: between the two the
     * handlers answer a problem+json 413; beyond it evhttp answers 413 alone
     * and memory stays bounded. */
    evhttp_set_max_body_size(s->http, (ev_ssize_t)(opt->body_limit * 4));
    evhttp_set_max_headers_size(s->http, (ev_ssize_t)opt->header_limit);
    evhttp_set_timeout(s->http, opt->timeout_s);
    /* Every method libevent knows reaches dispatch, which answers a 405
     * problem+json with Allow for one a route does not take: left out here,
     * evhttp itself would answer 501 in HTML. (A method libevent 2.1 does
     * not know, QUERY or FOO, still gets its 501 before any callback.) */
    evhttp_set_allowed_methods(s->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                                            EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_PATCH |
                                            EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |
                                            EVHTTP_REQ_CONNECT);
    evhttp_set_gencb(s->http, dispatch, s);
    s->sock = evhttp_bind_socket_with_handle(s->http, opt->addr, (ev_uint16_t)opt->port);
    if (!s->sock) {
        snprintf(errstr, errstr_size, "cannot listen on %s:%d", opt->addr, opt->port);
        goto fail;
    }
    s->port = opt->port;
    if (opt->port == 0) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof(ss);
        evutil_socket_t fd = evhttp_bound_socket_get_fd(s->sock);
        if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0 && ss.ss_family == AF_INET)
            s->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
    }
    metrics_describe("relay48_http_responses_total", METRIC_COUNTER,
                     "HTTP responses sent, by status code.");
    metrics_describe("relay48_http_request_duration_seconds", METRIC_HISTOGRAM,
                     "Time from request dispatch to the reply written.");
    return s;
fail:
    http_server_free(s);
    return NULL;
}

int http_server_port(const struct http_server *s)
{
    return s->port;
}

void http_server_stop_accepting(struct http_server *s)
{
    if (s && s->sock) {
        evhttp_del_accept_socket(s->http, s->sock);
        s->sock = NULL;
    }
}

void http_server_free(struct http_server *s)
{
    if (!s)
        return;
    if (s->http)
        evhttp_free(s->http);
    free(s);
}

void http_reply_json(struct evhttp_request *req, int status, json_t *body)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Content-Type", "application/json");
    evhttp_add_header(h, "Cache-Control", "no-store");
    struct evbuffer *buf = evbuffer_new();
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    if (buf && text)
        evbuffer_add(buf, text, strlen(text));
    evhttp_send_reply(req, status, http_reason(status), buf);
    if (buf)
        evbuffer_free(buf);
    free(text);
    json_decref(body);
}

void http_reply_text(struct evhttp_request *req, int status, const char *content_type,
                     const char *text)
{
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", content_type);
    struct evbuffer *buf = evbuffer_new();
    if (buf && text)
        evbuffer_add(buf, text, strlen(text));
    evhttp_send_reply(req, status, http_reason(status), buf);
    if (buf)
        evbuffer_free(buf);
}

char *http_body(struct evhttp_request *req, size_t limit, size_t *len, int *too_large)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t n = evbuffer_get_length(in);
    *too_large = n > limit;
    *len = n;
    if (*too_large)
        return NULL;
    char *body = malloc(n + 1);
    if (!body)
        return NULL;
    if (evbuffer_copyout(in, body, n) != (ev_ssize_t)n) {
        free(body);
        return NULL;
    }
    body[n] = '\0';
    return body;
}
