/*
 * intake.h — owns POST /v1/reports: authentication by partner key,
 * content checks, the report's validation (report.h), its window (window.h),
 * its routing to banks and police, the events it causes (events.h), the
 * durable commit (store.h) and the answer: 201 only once committed, 200 for
 * a repeated Idempotency-Key with the same report, 409 with another, 422
 * listing invalid fields, 503 with Retry-After when the database cannot
 * commit. The committed events go to the outbox publisher (outbox.h).
 *
 * intake_submit is the same path without HTTP, for the web form and the
 * webhooks: they bring their own authentication and answer.
 */
#ifndef RELAY48_INTAKE_H
#define RELAY48_INTAKE_H

#include <jansson.h>
#include <stdint.h>

#include "common.h"
#include "report.h"
#include "window.h"

struct evhttp_request;
struct http_match;
struct store;
struct outbox;
struct keys_cache;
struct bankdir;
struct config;
struct intake;

struct intake *intake_new(const struct config *cfg, struct store *store, struct outbox *outbox,
                          struct keys_cache *keys, struct bankdir *dir, char *errstr,
                          size_t errstr_size) RELAY_MUSTCHECK;
void intake_free(struct intake *in);

/* The clock, for tests: seconds since the epoch. NULL: the real clock. */
void intake_set_clock(struct intake *in, int64_t (*now)(void));

/* Where a report came from. */
struct intake_source {
    enum report_channel channel;
    const char *party_id;   /* api key id, "web", or the bank's party; NULL for none */
    const char *idem_key;   /* NULL: no idempotency key */
    const char *request_id; /* for logs; may be NULL */
};

/* The answer to one report: 201 or 200 with the case (body: the case answer
 * of proto/schemas/report_created_response.json, ref set), or 409, 422, 503
 * with a problem body. Borrowed: take a reference to keep it. */
struct intake_answer {
    int status;
    const char *ref;
    json_t *body;
};

typedef void (*intake_done_fn)(const struct intake_answer *a, void *arg);

/*
 * Window, routing, events and commit of a report already validated. Returns
 * 0 when queued: done is called once, later, on the loop. Otherwise returns
 * the status to answer now (422 time out of range, 503 database not
 * available) with *problem set (caller owns it) and done is not called.
 * r is not kept.
 */
int intake_submit(struct intake *in, const struct report *r, const struct intake_source *src,
                  intake_done_fn done, void *arg, json_t **problem) RELAY_MUSTCHECK;

/* The clock intake uses (seconds). */
int64_t intake_now(const struct intake *in);

/* http_handler for POST /v1/reports. */
void intake_handle_reports(struct evhttp_request *req, const struct http_match *m, void *arg);

/* Requests waiting for their commit. */
int intake_inflight(const struct intake *in);

/* Window configuration from cfg (validated). */
int intake_window_config(const struct config *cfg, struct window_config *out, char *errstr,
                         size_t errstr_size) RELAY_MUSTCHECK;

#endif
