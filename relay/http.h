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

struct http_options {
    const char *addr;
    int port;
    size_t body_limit;   /* handlers answer 413 past it */
    size_t header_limit; /* evhttp closes past it */
    int timeout_s;
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

/* Monotonic microseconds, for latencies. */
int64_t http_now_us(void);

#endif
