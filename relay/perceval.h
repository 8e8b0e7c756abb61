/*
 * perceval.h — owns POST /v1/declarations/perceval: card fraud declarations
 * pushed by a declaration platform (a bearer key of role platform), one at a
 * time or in batches, each becoming a card case through intake_submit
 * (channel perceval).
 *
 * A declaration (proto/schemas/perceval_declaration.json) is the platform's
 * view of a card report: its receipt number, the declarant (the card holder
 * who declared), the card as bin + last4 (or a full pan, reduced at parse
 * time and wiped: never kept, logged or echoed), the issuing bank's BIC
 * (optional: derived from the BIN table, bins.h, when absent), the
 * fraudulent operations and an optional narrative. It is checked exactly as a
 * card report of POST /v1/reports (report.h), with "declarant" in place of
 * "victim" and no "kind"; error pointers name the declaration's own members
 * ("/declarations/7/declarant/email").
 *
 * The body is one declaration, or {"declarations": [...]} with 1 to
 * perceval.batch_max of them. The answer has one result per declaration, in
 * order: "created" with the new case's ref, "existing" with the ref of the
 * case that already has this receipt (cases.receipt is unique: a receipt seen
 * before, in an earlier request or earlier in the same batch, gives back its
 * case and creates nothing), "invalid" with the list of invalid fields, or
 * "unavailable" (the database could not record it now: send it again). Good
 * declarations are recorded even when others of the batch are invalid.
 */
#ifndef RELAY48_PERCEVAL_H
#define RELAY48_PERCEVAL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "report.h"

/* Deepest nesting of a valid batch: the root object, the array, then a
 * declaration (as deep as a card report). */
#define PERCEVAL_MAX_DEPTH (REPORT_MAX_DEPTH + 2)
/* Field errors kept per declaration. */
#define PERCEVAL_ITEM_ERRORS_MAX 100

/* ---- pure ------------------------------------------------------------------------ */

struct perceval_item {
    int valid;
    struct report report; /* valid: a card report (issuer_bic as sent, "" when absent) */
    json_t *errors;       /* invalid: [{pointer, code, detail?}], pointers from the body's root */
};

struct perceval_batch {
    int single; /* the body was one declaration, not {"declarations": [...]} */
    size_t n;
    struct perceval_item *items;
};

/*
 * One declaration object into a card report: pointer_prefix ("" or
 * "/declarations/3") is prepended to the error pointers. 0 valid, -1 with
 * errors appended. obj is not modified except that a card.pan is wiped.
 */
int perceval_declaration(json_t *obj, int64_t now, const struct report_limits *limits,
                         const char *pointer_prefix, struct report *out,
                         json_t *errors) RELAY_MUSTCHECK;

/*
 * Parse a body (len bytes): 0 with out filled (perceval_batch_free), each
 * item valid or not; -1 when the body is a JSON object that is neither a
 * declaration nor a batch of 1..batch_max (errors appended: "declarations"
 * not an array, empty, too long, another member beside it); -2 when it is
 * not one JSON object (malformed, duplicate member names, nesting deeper
 * than PERCEVAL_MAX_DEPTH): a 400. The parsed tree's strings are wiped
 * before it is freed (it may hold card numbers).
 */
int perceval_parse(const char *body, size_t len, int64_t now, const struct report_limits *limits,
                   size_t batch_max, struct perceval_batch *out, json_t *errors) RELAY_MUSTCHECK;

void perceval_batch_free(struct perceval_batch *b);

/* ---- daemon ------------------------------------------------------------------------ */

struct evhttp_request;
struct http_match;
struct config;
struct db;
struct intake;
struct keys_cache;
struct bins;
struct perceval;

/* db: a connection of its own (receipt lookups); bins may be NULL. Borrowed. */
struct perceval *perceval_new(const struct config *cfg, struct db *db, struct intake *intake,
                              struct keys_cache *keys, struct bins *bins, char *errstr,
                              size_t errstr_size) RELAY_MUSTCHECK;
/* Free the connection first (its callbacks run with NULL), then this. */
void perceval_free(struct perceval *p);

/* http_handler of POST /v1/declarations/perceval. */
void perceval_handle(struct evhttp_request *req, const struct http_match *m, void *arg);

/* Requests in progress. */
int perceval_inflight(const struct perceval *p);

#endif
