/*
 * webhooks.h — owns POST /v1/webhooks/banks/{bic}: events pushed by a bank's
 * own systems, signed the Standard Webhooks way (sign.h) with a secret of the
 * bank registry (banks.h).
 *
 * Checks, in order: body size (413); the bank (enabled, known), the headers
 * webhook-id, webhook-timestamp (±webhooks.tolerance_s of the relay's
 * clock) and webhook-signature against the bank's valid secrets, over the raw
 * body bytes: any failure is the same 401, which says nothing of what failed
 * (the log and relay48_webhooks_total say it to the operator); Content-Type
 * (415); then the webhook-id: a message already answered is answered again
 * with the first answer (same status, same body, header Webhook-Replayed:
 * true) and not processed twice; one still being processed by another
 * request is 503 with Retry-After.
 *
 * Events (the body, proto/schemas/webhook_event.json): {"type", "timestamp"?,
 * "data"}:
 *   fraud_report.created  data is a report exactly as POST /v1/reports takes
 *                         it; it becomes a case of channel "bank", submitted
 *                         by "bank:<BIC>", through intake_submit with the
 *                         Idempotency-Key "webhook:<webhook-id>" (so a
 *                         message processed again after a crash gives the
 *                         same case). 201 with the case answer.
 *   case.acknowledged     data is {"ref", plus the body of POST
 *                         /v1/cases/{ref}/acks}: the bank's acknowledgement,
 *                         only for a case that bank was addressed on (403
 *                         otherwise, whether the case exists or not); handed
 *                         to the acknowledgement module (acks.h) through the
 *                         hook webhooks_set_ack_submit.
 * Invalid events: 400 (not a JSON object) or 422 with the invalid fields.
 */
#ifndef RELAY48_WEBHOOKS_H
#define RELAY48_WEBHOOKS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "ids.h"
#include "report.h"

/* Deepest nesting of a valid event: the envelope, then a report. */
#define WEBHOOKS_MAX_DEPTH (REPORT_MAX_DEPTH + 1)
/* An unanswered claim on a webhook-id older than this is taken over (the
 * relay that held it died). */
#define WEBHOOKS_CLAIM_STALE_S 120

/* ---- pure --------------------------------------------------------------------------- */

enum webhook_type { WEBHOOK_FRAUD_REPORT_CREATED = 0, WEBHOOK_CASE_ACKNOWLEDGED };

struct webhook_event {
    enum webhook_type type;
    struct report report;   /* fraud_report.created */
    char ref[IDS_REF_SIZE]; /* case.acknowledged */
    char *ack_body;         /* case.acknowledged: data without "ref", JSON text; owned */
    size_t ack_len;
};

/*
 * Parse an event body: 0 with out filled (webhooks_event_free); -1 with
 * field errors appended (pointers from the body's root: "/data/amount");
 * -2 when the body is not one JSON object (malformed, duplicate member
 * names, nesting deeper than WEBHOOKS_MAX_DEPTH). The tree's strings are
 * wiped before it is freed (a report may hold a card number).
 */
int webhooks_event_parse(const char *body, size_t len, int64_t now,
                         const struct report_limits *limits, struct webhook_event *out,
                         json_t *errors) RELAY_MUSTCHECK;
void webhooks_event_free(struct webhook_event *e);

/* ---- daemon ----------------------------------------------------------------------------- */

struct evhttp_request;
struct http_match;
struct config;
struct db;
struct intake;
struct banks_cache;
struct event_base;
struct webhooks;

/*
 * The acknowledgement path (acks.h), without HTTP: record the
 * acknowledgement `body` (the JSON body POST /v1/cases/{ref}/acks takes) of
 * `party` ("bank:<BIC>") on case `ref`, and call done once, later, on the
 * loop, with the answer: status (201, 200 for an identical repeat, 403, 404,
 * 422, 503) and body (the answer, or a problem; borrowed). Returns 0 when
 * queued, -1 when it could not be (answer 503; done is not called).
 */
typedef void (*webhooks_ack_done_fn)(int status, json_t *body, void *arg);
typedef int (*webhooks_ack_submit_fn)(void *ctx, const char *party, const char *ref,
                                      const char *body, size_t len, const char *request_id,
                                      webhooks_ack_done_fn done, void *arg);

/* db: a connection of its own (webhook ids, addressing). Borrowed. */
struct webhooks *webhooks_new(struct event_base *base, const struct config *cfg, struct db *db,
                              struct intake *intake, struct banks_cache *banks, char *errstr,
                              size_t errstr_size) RELAY_MUSTCHECK;
/* Free the connection first (its callbacks run with NULL), then this. */
void webhooks_free(struct webhooks *w);

/* Wire the acknowledgement path; without it an acknowledgement from an
 * addressed bank is answered 503 (and not remembered: sent again once wired,
 * it is processed). */
void webhooks_set_ack_submit(struct webhooks *w, webhooks_ack_submit_fn fn, void *ctx);

/* http_handler of POST /v1/webhooks/banks/{bic}. */
void webhooks_handle(struct evhttp_request *req, const struct http_match *m, void *arg);

/* Requests in progress. */
int webhooks_inflight(const struct webhooks *w);

#endif
