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

/* http_handler for POST /v1/reports. */
void intake_handle_reports(struct evhttp_request *req, const struct http_match *m, void *arg);

/* Requests waiting for their commit. */
int intake_inflight(const struct intake *in);

/* Window configuration from cfg (validated). */
int intake_window_config(const struct config *cfg, struct window_config *out, char *errstr,
                         size_t errstr_size) RELAY_MUSTCHECK;

#endif
