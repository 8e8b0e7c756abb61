/* http.c — evhttp server, routing, access log; see http.h. */
#include "http.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/rand.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "hex.h"
#include "log.h"
#include "metrics.h"
#include "problem.h"

/* The access-log state of the request a connection is in a handler with. */
struct access {
    char request_id[17];
    char method[8];
    char path[128];
    int64_t started_us;
};

enum conn_state { CONN_FRESH, CONN_WAITING, CONN_HANDLING };

/*
 * One client connection. libevent 2.1 tells nothing when evhttp accepts one
 * (2.2 has evhttp_set_newreqcb), only asks for its bufferevent (bevcb): the
 * connection is made there "fresh", holding a reference on the bufferevent,
 * and claimed on the next turn of the loop, before anything is read from it:
 * the bufferevent's callback argument is then its evhttp_connection, whose
 * close callback frees this. Found again from a request by its socket.
 */
struct conn {
    struct http_server *s;
    struct bufferevent *bev;
    struct evhttp_connection *evcon; /* NULL while fresh */
    struct conn *prev, *next;        /* in the list of its state */
    enum conn_state state;
    int refused; /* over the cap: its request is answered 503, then it closes */
    evutil_socket_t fd;
    int64_t since_us;           /* waiting since (accept, or the previous answer) */
    struct access access;       /* handling: the request's */
    struct evhttp_request *req; /* handling */
};

struct conn_list {
    struct conn *head, *tail; /* head: the oldest */
    size_t n;
};

struct http_server {
    struct event_base *base;
    struct evhttp *http;
    struct evhttp_bound_socket *sock;
    const struct http_route *routes;
    size_t nroutes;
    int port;
    size_t header_limit;
    size_t max_connections;
    int64_t request_timeout_us;
    int retry_after_s;
    struct conn_list fresh, waiting, handling;
    struct conn **by_fd; /* claimed connections by socket */
    size_t by_fd_size;
    struct event *ev_claim, *ev_sweep, *ev_resume;
    int freeing;
    struct http_server *next_server; /* servers of the process (accept errors) */
};

/* Every server, so that an accept error, which evconnlistener reports with
 * evhttp's argument, finds its server. Loop thread only. */
static struct http_server *servers;

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
    case 431:
        return "Request Header Fields Too Large";
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

/* Backlog of the listening socket (the kernel caps it at somaxconn). */
#define HTTP_LISTEN_BACKLOG 1024
/* Largest socket number indexed (8 MB of pointers). */
#define HTTP_MAX_FDS ((size_t)1 << 20)

static void new_request_id(char out[17])
{
    unsigned char raw[8];
    if (RAND_bytes(raw, sizeof(raw)) != 1)
        memset(raw, 0, sizeof(raw));
    hex_encode(raw, sizeof(raw), out);
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

/* ---- connections ---------------------------------------------------------- */

static void list_push(struct conn_list *l, struct conn *c)
{
    c->next = NULL;
    c->prev = l->tail;
    if (l->tail)
        l->tail->next = c;
    else
        l->head = c;
    l->tail = c;
    l->n++;
}

static void list_remove(struct conn_list *l, struct conn *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        l->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        l->tail = c->prev;
    c->prev = c->next = NULL;
    l->n--;
}

static struct conn_list *list_of(struct http_server *s, const struct conn *c)
{
    switch (c->state) {
    case CONN_FRESH:
        return &s->fresh;
    case CONN_WAITING:
        return &s->waiting;
    case CONN_HANDLING:
        return &s->handling;
    }
    return &s->fresh;
}

static void conn_move(struct conn *c, enum conn_state to)
{
    list_remove(list_of(c->s, c), c);
    c->state = to;
    list_push(list_of(c->s, c), c);
}

enum http_cap_action http_cap_decide(size_t open, size_t max, size_t waiting)
{
    if (max == 0 || open <= max)
        return HTTP_CAP_ACCEPT;
    if (waiting > 0)
        return HTTP_CAP_EVICT;
    /* Every other connection is in a handler: they end by themselves, so a
     * few more may wait to be told 503, not many. */
    if (open <= max + max / 8 + 1)
        return HTTP_CAP_REFUSE;
    return HTTP_CAP_DROP;
}

static void count_closed(const char *reason)
{
    char series[96];
    snprintf(series, sizeof(series), "relay48_http_connections_closed_total{reason=\"%s\"}",
             reason);
    metrics_add(series, 1);
}

static size_t open_connections(const struct http_server *s)
{
    return s->fresh.n + s->waiting.n + s->handling.n;
}

static void access_log(const struct access *a, int status, const char *note)
{
    int64_t us = http_now_us() - a->started_us;
    char series[96];
    snprintf(series, sizeof(series), "relay48_http_responses_total{code=\"%d\"}", status);
    metrics_add(series, 1);
    metrics_observe_us("relay48_http_request_duration_seconds", us);
    log_write(LOG_INFO, "http.access", a->request_id, NULL, "%s %s %d %lldus%s", a->method, a->path,
              status, (long long)us, note);
}

/* evhttp frees the connection (the client left, a timeout, an error, or we
 * closed it): it goes from our lists too. A request still in a handler then
 * has no connection; its answer, when it comes, is dropped by evhttp. */
static void on_conn_close(struct evhttp_connection *evcon, void *arg)
{
    struct conn *c = arg;
    struct http_server *s = c->s;
    evhttp_connection_set_closecb(evcon, NULL, NULL);
    if (c->state == CONN_HANDLING && !s->freeing) {
        metrics_add("relay48_http_client_gone_total", 1);
        access_log(&c->access, c->req ? evhttp_request_get_response_code(c->req) : 0,
                   " (client gone before the answer)");
    }
    list_remove(list_of(s, c), c);
    if (c->fd >= 0 && (size_t)c->fd < s->by_fd_size && s->by_fd[c->fd] == c)
        s->by_fd[c->fd] = NULL;
    free(c);
}

/* Close a waiting connection now (from a timer or the claim, never from
 * inside evhttp): on_conn_close frees c. */
static void conn_close(struct conn *c, const char *reason)
{
    count_closed(reason);
    evhttp_connection_free(c->evcon);
}

/* c was just accepted. Evict until under the cap (more than one when
 * refused connections had put it over), else refuse or drop c. */
static void apply_cap(struct http_server *s, struct conn *c)
{
    for (;;) {
        switch (http_cap_decide(open_connections(s), s->max_connections, s->waiting.n - 1)) {
        case HTTP_CAP_ACCEPT:
            return;
        case HTTP_CAP_EVICT:
            /* c is the last to have started waiting, and not alone. */
            conn_close(s->waiting.head, "evicted");
            continue;
        case HTTP_CAP_REFUSE:
            c->refused = 1;
            metrics_add("relay48_http_connections_refused_total", 1);
            return;
        case HTTP_CAP_DROP:
            conn_close(c, "overflow");
            return;
        }
    }
}

/* The connections accepted since the last claim: find their evhttp
 * connection, or learn that evhttp already dropped them. cap: apply the
 * cap to each, which may close connections: only from the loop itself,
 * never from inside an evhttp callback. */
static void claim_fresh(struct http_server *s, int cap)
{
    struct conn *c;
    while ((c = s->fresh.head) != NULL) {
        bufferevent_data_cb readcb = NULL;
        void *cbarg = NULL;
        bufferevent_getcb(c->bev, &readcb, NULL, NULL, &cbarg);
        evutil_socket_t fd = bufferevent_getfd(c->bev);
        list_remove(&s->fresh, c);
        /* Freed by evhttp (its callbacks are cleared), or a socket we could
         * not index: untracked, evhttp serves it all the same. */
        if (!readcb || !cbarg || fd < 0 || (size_t)fd >= s->by_fd_size) {
            bufferevent_decref(c->bev);
            free(c);
            continue;
        }
        c->evcon = cbarg;
        c->fd = fd;
        c->state = CONN_WAITING;
        c->since_us = http_now_us();
        list_push(&s->waiting, c);
        s->by_fd[fd] = c;
        evhttp_connection_set_closecb(c->evcon, on_conn_close, c);
        /* evhttp's reference keeps the bufferevent from now on. */
        bufferevent_decref(c->bev);
        if (cap)
            apply_cap(s, c);
    }
}

static void on_claim(evutil_socket_t fd, short what, void *arg)
{
    claim_fresh(arg, 1);
}

/* evhttp_set_bevcb: a connection was accepted; evhttp makes its
 * evhttp_connection around this bufferevent right after. */
static struct bufferevent *on_accept_bev(struct event_base *base, void *arg)
{
    struct http_server *s = arg;
    /* What evhttp would make itself: it sets the socket and closes it. */
    struct bufferevent *bev = bufferevent_socket_new(base, -1, 0);
    struct conn *c = bev ? calloc(1, sizeof(*c)) : NULL;
    if (!c)
        return bev; /* NULL: evhttp tries its own */
    c->s = s;
    c->bev = bev;
    c->fd = -1;
    c->state = CONN_FRESH;
    bufferevent_incref(bev); /* evhttp may free it before the claim */
    list_push(&s->fresh, c);
    event_active(s->ev_claim, EV_TIMEOUT, 1);
    return bev;
}

/* The connection of a request; NULL when untracked. The claim runs before
 * the first read of a connection, so it is never fresh here; were it, it is
 * claimed without the cap, which could close the connection this request
 * is being read from. */
static struct conn *conn_of(struct http_server *s, struct evhttp_request *req)
{
    if (s->fresh.head)
        claim_fresh(s, 0);
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
    evutil_socket_t fd = bev ? bufferevent_getfd(bev) : -1;
    if (fd < 0 || (size_t)fd >= s->by_fd_size)
        return NULL;
    struct conn *c = s->by_fd[fd];
    return c && c->evcon == evcon ? c : NULL;
}

/* Connections that have waited request_timeout for a whole request. The
 * waiting list is in the order they started waiting. */
static void on_sweep(evutil_socket_t fd, short what, void *arg)
{
    struct http_server *s = arg;
    int64_t now = http_now_us();
    struct conn *c;
    while ((c = s->waiting.head) != NULL && now - c->since_us >= s->request_timeout_us)
        conn_close(c, "request_timeout");
}

/* accept() failed otherwise than "try again" (EMFILE, ENFILE, ENOBUFS): the
 * listening socket stays readable, so stop listening for 100 ms rather than
 * spin. The cap and the raised RLIMIT_NOFILE are there so that this does not
 * happen; this is the backstop. */
static void on_accept_error(struct evconnlistener *l, void *arg)
{
    int err = EVUTIL_SOCKET_ERROR();
    struct http_server *s = servers;
    while (s && s->http != arg)
        s = s->next_server;
    metrics_add("relay48_http_accept_errors_total", 1);
    log_warn("http.accept_failed", "accept: %s; not accepting for 100 ms",
             evutil_socket_error_to_string(err));
    evconnlistener_disable(l);
    if (s) {
        struct timeval tv = {0, 100000};
        event_add(s->ev_resume, &tv);
    }
}

static void on_resume(evutil_socket_t fd, short what, void *arg)
{
    struct http_server *s = arg;
    if (s->sock)
        evconnlistener_enable(evhttp_bound_socket_get_listener(s->sock));
}

size_t http_server_connections(const struct http_server *s)
{
    return s ? open_connections(s) : 0;
}

/* ---- requests ------------------------------------------------------------- */

/* Runs when the answer has been written: the connection waits again (for
 * its next request, or evhttp closes it right after). */
static void on_complete(struct evhttp_request *req, void *arg)
{
    struct conn *c = arg;
    access_log(&c->access, req ? evhttp_request_get_response_code(req) : 0, "");
    c->req = NULL;
    c->since_us = http_now_us();
    conn_move(c, CONN_WAITING);
}

/* Bytes of the request head as they came: line, then "name: value\r\n". */
static size_t head_size(struct evhttp_request *req)
{
    const char *uri = evhttp_request_get_uri(req);
    size_t n = (uri ? strlen(uri) : 0) + sizeof("OPTIONS  HTTP/1.1\r\n\r\n");
    const struct evkeyvalq *h = evhttp_request_get_input_headers(req);
    for (const struct evkeyval *kv = h->tqh_first; kv; kv = kv->next.tqe_next)
        n += strlen(kv->key) + strlen(kv->value) + 4;
    return n;
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

    /* The access-log state lives in the connection, freed with it: an
     * answer never written (the client left) leaks nothing. */
    struct conn *c = conn_of(s, req);
    if (c) {
        struct access *a = &c->access;
        memcpy(a->request_id, m.request_id, sizeof(a->request_id));
        snprintf(a->method, sizeof(a->method), "%s", method_name(evhttp_request_get_command(req)));
        /* The path only: query strings may hold case tokens. */
        snprintf(a->path, sizeof(a->path), "%s", path);
        a->started_us = http_now_us();
        c->req = req;
        conn_move(c, CONN_HANDLING);
        evhttp_request_set_on_complete_cb(req, on_complete, c);
        if (c->refused) {
            evhttp_add_header(evhttp_request_get_output_headers(req), "Connection", "close");
            problem_reply(req, PROBLEM_TOO_MANY_CONNECTIONS,
                          "this relay has http.max_connections open; try again", s->retry_after_s);
            return;
        }
    }
    if (head_size(req) > s->header_limit) {
        problem_reply(req, PROBLEM_HEADERS_TOO_LARGE, "the request head is over http.header_limit",
                      0);
        return;
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
    s->base = base;
    s->routes = routes;
    s->nroutes = nroutes;
    s->header_limit = opt->header_limit;
    s->max_connections = opt->max_connections;
    s->request_timeout_us = (int64_t)opt->request_timeout_ms * 1000;
    s->retry_after_s = opt->retry_after_s > 0 ? opt->retry_after_s : 1;
    s->next_server = servers;
    servers = s;
    /* A socket is below the open-files limit: index connections by it. */
    struct rlimit rl;
    s->by_fd_size = HTTP_MAX_FDS;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        rl.rlim_cur < HTTP_MAX_FDS)
        s->by_fd_size = (size_t)rl.rlim_cur;
    s->by_fd = calloc(s->by_fd_size, sizeof(*s->by_fd));
    s->ev_claim = event_new(base, -1, 0, on_claim, s);
    s->ev_resume = evtimer_new(base, on_resume, s);
    s->ev_sweep = event_new(base, -1, EV_PERSIST, on_sweep, s);
    s->http = evhttp_new(base);
    if (!s->by_fd || !s->ev_claim || !s->ev_resume || !s->ev_sweep || !s->http) {
        snprintf(errstr, errstr_size, "out of memory");
        goto fail;
    }
    if (s->request_timeout_us > 0) {
        /* A quarter of the timeout between sweeps, at most a second: a
         * connection is closed within that much after its time. */
        int64_t every_us = s->request_timeout_us / 4;
        if (every_us > 1000000)
            every_us = 1000000;
        if (every_us < 10000)
            every_us = 10000;
        struct timeval tv = {(time_t)(every_us / 1000000), (suseconds_t)(every_us % 1000000)};
        event_add(s->ev_sweep, &tv);
    }
    /* evhttp's own caps are backstops: between the limit and 4x (the body)
     * or 2x (the head) the handlers answer a problem+json 413 or dispatch a
     * 431; beyond, evhttp answers 413 alone and closes, and memory stays
     * bounded. */
    evhttp_set_max_body_size(s->http, (ev_ssize_t)(opt->body_limit * 4));
    evhttp_set_max_headers_size(s->http, (ev_ssize_t)(opt->header_limit * 2));
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
    evhttp_set_bevcb(s->http, on_accept_bev, s);
    s->sock = evhttp_bind_socket_with_handle(s->http, opt->addr, (ev_uint16_t)opt->port);
    if (!s->sock) {
        snprintf(errstr, errstr_size, "cannot listen on %s:%d", opt->addr, opt->port);
        goto fail;
    }
    /* evhttp listens with a backlog of 128; a burst of connections (or the
     * idle ones of an attack) would fill it and delay everyone's SYN by a
     * second. Calling listen() again sets a longer one (Linux, BSDs). */
    if (listen(evhttp_bound_socket_get_fd(s->sock), HTTP_LISTEN_BACKLOG) != 0)
        log_warn("http.backlog", "listen(%d): %s", HTTP_LISTEN_BACKLOG, strerror(errno));
    evconnlistener_set_error_cb(evhttp_bound_socket_get_listener(s->sock), on_accept_error);
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
    metrics_describe("relay48_http_connections", METRIC_GAUGE, "Client connections open.");
    metrics_describe("relay48_http_connections_closed_total", METRIC_COUNTER,
                     "Client connections the relay closed: request_timeout (no whole request "
                     "in http.request_timeout), evicted (waiting the longest when "
                     "http.max_connections was passed), overflow (over the cap with none "
                     "to evict).");
    metrics_describe("relay48_http_connections_refused_total", METRIC_COUNTER,
                     "Connections answered 503 too_many_connections.");
    metrics_describe("relay48_http_client_gone_total", METRIC_COUNTER,
                     "Requests whose client left before the answer was written.");
    metrics_describe("relay48_http_accept_errors_total", METRIC_COUNTER,
                     "accept() failures other than try-again (EMFILE...).");
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
    for (struct http_server **p = &servers; *p; p = &(*p)->next_server) {
        if (*p == s) {
            *p = s->next_server;
            break;
        }
    }
    s->freeing = 1;
    if (s->http)
        evhttp_free(s->http); /* every connection: on_conn_close frees ours */
    struct conn *c;
    while ((c = s->fresh.head) != NULL) {
        list_remove(&s->fresh, c);
        bufferevent_decref(c->bev);
        free(c);
    }
    if (s->ev_claim)
        event_free(s->ev_claim);
    if (s->ev_resume)
        event_free(s->ev_resume);
    if (s->ev_sweep)
        event_free(s->ev_sweep);
    free(s->by_fd);
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

int http_content_type_is_json(const char *ct)
{
    if (!ct)
        return 0;
    while (*ct == ' ')
        ct++;
    static const char want[] = "application/json";
    if (strncasecmp(ct, want, sizeof(want) - 1) != 0)
        return 0;
    const char *rest = ct + sizeof(want) - 1;
    while (*rest == ' ')
        rest++;
    return *rest == '\0' || *rest == ';';
}
