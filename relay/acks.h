/*
 * acks.h — owns POST /v1/cases/{ref}/acks: what a bank fraud desk or a
 * police unit answers on a case it was addressed to, and the resolution
 * rule of the design.
 *
 * Who may acknowledge (docs/escalation.md): a key of role bank:<BIC> sees
 * only the cases it was addressed to (case_addressees), so any other case is
 * 404; a key of role police:<dept> sees the cases of its département
 * (police:NATIONAL sees every case) and may acknowledge those it was
 * addressed to: a case it sees but was not addressed (a small amount not yet
 * escalated to police, the national desk on a département's case) is 403.
 * Other roles (partner, platform) are 403 on every case.
 *
 * One acknowledgement is one transaction on the acks connection (one at a
 * time, in arrival order): the case row is locked, visibility and addressing
 * checked, the acknowledgement inserted (an identical repeat, same party and
 * same normalised body, answers 200 with the row first stored), the party's
 * first answer time recorded, case.acknowledged written to the outbox and,
 * when the rule resolves the case, state resolved, the pending milestones
 * skipped and case.resolved; then the rows are published after COMMIT.
 *
 * Resolution: the creditor's bank (the issuer's for a card case) answers
 * funds_frozen or funds_returned, or every bank the case was addressed to
 * has last answered no_funds or too_late.
 */
#ifndef RELAY48_ACKS_H
#define RELAY48_ACKS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "escalate.h"

struct evhttp_request;
struct http_match;
struct db;
struct outbox;
struct keys_cache;
struct config;
struct acks;

enum ack_status {
    ACK_RECEIVED = 0,
    ACK_RECALL_REQUESTED,
    ACK_FUNDS_FROZEN,
    ACK_FUNDS_RETURNED,
    ACK_NO_FUNDS,
    ACK_REJECTED,
    ACK_TOO_LATE,
    ACK_STATUS_COUNT
};

#define ACKS_NOTE_MAX      2000 /* code points */
#define ACKS_PARTY_REF_MAX 64

const char *ack_status_name(enum ack_status s);
RELAY_MUSTCHECK int ack_status_parse(const char *name, enum ack_status *out);

/* ---- pure --------------------------------------------------------------------- */

/* A validated acknowledgement body. */
struct ack_request {
    enum ack_status status;
    int64_t amount_minor; /* 0: no amount */
    char currency[4];
    char *note;      /* NULL: none; owned */
    char *party_ref; /* NULL: none; owned */
    char hash[65];   /* hex SHA-256 of the normalised body: identical repeats match */
};

/*
 * Parse and check a body {status, amount?: {value, currency}, note?,
 * party_ref?}: 0 with *out filled (acks_request_free), -1 with field errors
 * appended to errors (422), -2 when the body is not one JSON object (400).
 * amount is required with funds_frozen and funds_returned; note is at most
 * 2000 code points (TAB, LF, CR allowed, other control characters refused);
 * party_ref 1-64 printable ASCII; neither may hold a card number.
 */
int acks_parse(const char *body, size_t len, struct ack_request *out,
               json_t *errors) RELAY_MUSTCHECK;
void acks_request_free(struct ack_request *r);

/* One party of a case and its latest answer (-1: none yet). */
struct acks_party {
    enum escalate_role role;
    int status; /* enum ack_status, or -1 */
};

/*
 * The resolution rule, applied when an acknowledgement from a party of role
 * `role` with `status` is recorded; parties are every addressee of the case
 * with its latest answer, this one included. Returns "funds_frozen",
 * "funds_returned", "no_recovery" or NULL (not resolved).
 */
const char *acks_resolution(const struct acks_party *parties, int n, enum escalate_role role,
                            enum ack_status status);

/*
 * Visibility of a case to a role: 1 when the party sees it. addressed_role
 * is the party's role in case_addressees (NULL: not addressed); departement
 * the case's (NULL: the national queue).
 */
int acks_party_sees(const char *key_role, const char *departement, const char *addressed_role);

/* ---- daemon --------------------------------------------------------------------- */

/* db: a connection of its own (one transaction at a time). Borrowed. */
struct acks *acks_new(const struct config *cfg, struct db *db, struct outbox *outbox,
                      struct keys_cache *keys, char *errstr, size_t errstr_size) RELAY_MUSTCHECK;
/* Free the acks connection first (its callbacks answer the acknowledgement
 * in flight), then this: what is still queued is answered 503. */
void acks_free(struct acks *a);

/* Prepare the statements on db (before it is used). */
int acks_prepare(struct db *db) RELAY_MUSTCHECK;

/* http_handler of POST /v1/cases/{ref}/acks. */
void acks_handle(struct evhttp_request *req, const struct http_match *m, void *arg);

/*
 * The same without HTTP (bank webhooks, webhooks.h's webhooks_ack_submit_fn):
 * record the acknowledgement `body` (the JSON of POST /v1/cases/{ref}/acks,
 * already checked by acks_parse) of `party` ("bank:<BIC>", "police:31") on
 * case `ref`; done is called once, later, on the loop, with the status (201,
 * 200 for an identical repeat, 403, 404, 503) and the answer or a problem
 * (borrowed). ctx is the struct acks. 0 when queued; -1 (done not called)
 * when the body does not parse, the party is not a bank or a police unit,
 * the reference is malformed, or the queue is full.
 */
typedef void (*acks_done_fn)(int status, json_t *body, void *arg);
int acks_submit(void *ctx, const char *party, const char *ref, const char *body, size_t len,
                const char *request_id, acks_done_fn done, void *arg) RELAY_MUSTCHECK;

/* Acknowledgements queued or in flight. */
int acks_inflight(const struct acks *a);

#endif
