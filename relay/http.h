/*
 * http.h — owns relay48's HTTP front: the evhttp server (limits, timeouts),
 * the route table, the request id, the access log, and the small helpers
 * every handler replies with. Every handler ends in exactly one reply, now or
 * later (an asynchronous handler keeps the request until its commit).
 */
#ifndef RELAY48_HTTP_H
#define RELAY48_HTTP_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"

struct event_base;
struct evhttp_request;
struct http_server;

#define HTTP_MAX_PARAMS 4

/* What a route matched: the '*' segments of its pattern, in order. */
struct http_match {
    char param[HTTP_MAX_PARAMS][128];
    int nparams;
    char request_id[17];
};

typedef void (*http_handler)(struct evhttp_request *req, const struct http_match *m, void *arg);

struct http_route {
    int methods;         /* EVHTTP_REQ_GET | EVHTTP_REQ_POST ... */
    const char *pattern; /* "/v1/cases/[star]/acks": [star] matches one segment */
    http_handler handler;
    void *arg;
};

/*
 * Connections (docs/reliability.md, "Connection abuse"). A connection waits
 * from its accept, or from its previous answer, until its next request is
 * whole (line, headers, body); then a handler has it until the answer is
 * written. Waiting connections are the ones an idle or slow client holds:
 * - one that waits longer than request_timeout_ms is closed, whatever it
 *   trickles in meanwhile (evhttp's own timeout_s restarts at every byte);
 * - past max_connections, a new connection closes the one waiting the
 *   longest; when none waits (every other one is in a handler) the new one
 *   is answered 503 too_many_connections, then closed, and beyond an eighth
 *   more it is closed at once.
 * Request heads over header_limit bytes are answered 431 headers_too_large;
 * evhttp itself stops reading at twice that (its own 413, then close), so a
 * connection never buffers more.
 */
struct http_options {
    const char *addr;
    int port;
    size_t body_limit;      /* handlers answer 413 past it */
    size_t header_limit;    /* 431 past it; evhttp closes past twice it */
    int timeout_s;          /* evhttp's read/write inactivity timeout */
    size_t max_connections; /* 0: no cap */
    int request_timeout_ms; /* 0: none */
    int retry_after_s;      /* of the 503 too_many_connections */
};

/* Bind and listen. routes must outlive the server. */
struct http_server *http_server_new(struct event_base *base, const struct http_options *opt,
                                    const struct http_route *routes, size_t nroutes, char *errstr,
                                    size_t errstr_size) RELAY_MUSTCHECK;
/* Stop accepting new connections (drain). In-flight requests go on. */
void http_server_stop_accepting(struct http_server *s);
void http_server_free(struct http_server *s);
/* The port actually bound (for port 0 in tests). */
int http_server_port(const struct http_server *s);
/* Client connections open now (the relay48_http_connections gauge). */
size_t http_server_connections(const struct http_server *s);

/* What a new connection gets when `open` connections (itself included) are
 * open under a cap of `max` and `waiting` of the others wait for a request.
 * Pure. */
enum http_cap_action {
    HTTP_CAP_ACCEPT = 0, /* under the cap */
    HTTP_CAP_EVICT,      /* close the connection waiting the longest */
    HTTP_CAP_REFUSE,     /* answer its request 503, then close */
    HTTP_CAP_DROP,       /* close it at once */
};
enum http_cap_action http_cap_decide(size_t open, size_t max, size_t waiting);

/* Match a path against a pattern; fills m->param. 1 if it matches. A '*'
 * matches one non-empty segment; one of 128 bytes or more matches as ""
 * (handlers refuse it as they refuse any bad value). Pure. */
int http_path_match(const char *pattern, const char *path, struct http_match *m);

/* Reply with a JSON body (takes ownership of body). */
void http_reply_json(struct evhttp_request *req, int status, json_t *body);
/* Reply with a text body of the given content type. */
void http_reply_text(struct evhttp_request *req, int status, const char *content_type,
                     const char *text);

/* The request body, NUL-terminated copy (caller frees), or NULL when it
 * exceeds limit (*too_large set). */
char *http_body(struct evhttp_request *req, size_t limit, size_t *len, int *too_large);

/* The Allow header's value for a set of EVHTTP_REQ_* bits ("GET, HEAD").
 * Pure. */
void http_allow_value(int methods, char *out, size_t size);

/* Standard reason phrase for a status. */
const char *http_reason(int status);

/* Whether a Content-Type header value is application/json (any case, spaces
 * around, parameters after ';' allowed). NULL: no. */
int http_content_type_is_json(const char *content_type);

/* Monotonic microseconds, for latencies. */
int64_t http_now_us(void);

#endif
