/*
 * store.h — owns the durable write of new cases: group commit. Concurrent
 * cases are gathered (up to store.batch_max, or a short delay) and written
 * in one transaction in libpq pipeline mode on the loop: BEGIN, the
 * beneficiary-account upsert (locks taken in IBAN order, so concurrent
 * batches and relays cannot deadlock), ONE statement for every case of the
 * batch (its parameters are arrays: cases, milestones, idempotency keys,
 * mule links, addressees, and one intake_batches row for the events of the
 * batch), COMMIT, one Sync. Two cases
 * naming the same beneficiary IBAN or Idempotency-Key never share a batch.
 * Each case's callback runs only after its COMMIT answered.
 *
 * Failures: a batch whose statements fail is retried one case per
 * transaction, so one bad row cannot fail the others. A batch whose COMMIT
 * outcome is unknown (connection lost) is retried under the same case
 * reference and Idempotency-Key until store.unknown_retry_ms: a case that
 * had committed is found, never inserted twice, and never reported
 * committed without a row.
 */
#ifndef RELAY48_STORE_H
#define RELAY48_STORE_H

#include <jansson.h>
#include <stdint.h>

#include "common.h"
#include "ids.h"

struct event_base;
struct db;
struct store;
struct outbox;
struct outbox_firing;

/* One new case, as the intake resolved it. Strings are copied at submit. */
struct store_case {
    char ref[IDS_REF_SIZE];
    const char *kind, *channel, *submitted_by, *rail, *window_state;
    char start_at[24], received_at[24], deadline_at[24]; /* RFC 3339 UTC */
    int64_t amount_minor;
    const char *currency;
    const char *debtor_iban, *debtor_bic, *creditor_iban, *creditor_bic; /* NULL or "" = none */
    const char *card_bin, *card_last4, *receipt, *scenario, *departement;
    json_t *flags;      /* array of strings; borrowed */
    json_t *details;    /* borrowed */
    json_t *milestones; /* [{name, due_at, severity, state}]; borrowed */
    /* What the events need besides the rest (sql/009_intake_batches.sql):
     * NULL or "" = none. */
    const char *police_reason; /* why the police are addressed before any link */
    const char *debtor_bank_name, *creditor_bank_name; /* creditor: the issuer's for a card */
    const char *idem_party, *idem_key;                 /* idem_key NULL: no Idempotency-Key */
    char idem_hash[65];                                /* hex SHA-256 of the normalised report */
    json_t *response; /* the 201 body before links; stored with the key; borrowed */
};

enum store_outcome {
    STORE_COMMITTED = 0, /* this call's case is durable (new, or found after an unknown outcome) */
    STORE_REPLAY,        /* the Idempotency-Key was used before: see idem_ref, idem_hash */
    STORE_UNAVAILABLE,   /* the database could not commit: answer 503 */
    STORE_REJECTED,      /* the database refused the row (constraint): answer 422 */
};

struct store_result {
    enum store_outcome outcome;
    json_t *linked;      /* refs of other open cases with the same beneficiary IBAN */
    json_t *flags_added; /* flags the commit added ("linked_iban", ...) */
    /* STORE_COMMITTED by this batch: the group its events go into
     * (outbox_firing_add; outbox_firing_fail when they cannot be built);
     * the store ends it. NULL: the case committed earlier (an unknown
     * outcome), or no group could be started: the sweep sends its events. */
    struct outbox_firing *group;
    char idem_ref[IDS_REF_SIZE];
    char idem_hash[65];
    json_t *response; /* STORE_REPLAY: the body first answered */
    char sqlstate[6];
};

/* res and what it holds live until the callback returns; take references to
 * keep them. Loop thread. */
typedef void (*store_done_fn)(const struct store_result *res, void *arg);

struct store_options {
    int batch_max;         /* cases per transaction */
    int batch_delay_ms;    /* wait this long to gather a batch when idle (0: no wait) */
    int max_inflight;      /* batches in each connection's pipeline at once */
    int queue_max;         /* cases waiting; beyond, store_submit refuses */
    int unknown_retry_ms;  /* how long to retry a commit of unknown outcome */
    struct outbox *outbox; /* where the batches' events go; NULL: left to a sweep */
    const char *instance;  /* intake_batches.instance; borrowed */
};

#define STORE_MAX_CONNECTIONS 16

/* dbs: the connections batches are spread over (each has its own backend,
 * so batches execute and wait for their fsync in parallel). */
struct store *store_new(struct event_base *base, struct db *const *dbs, int ndb,
                        const struct store_options *opt, char *errstr,
                        size_t errstr_size) RELAY_MUSTCHECK;
/* Shutdown, step 1: queued cases are answered STORE_UNAVAILABLE, and so are
 * the batches in flight when their connection is freed next (outcome
 * unknown: never reported committed). Then free the connections, then
 * store_free. */
void store_close(struct store *s);
/* Cases still queued are answered STORE_UNAVAILABLE. */
void store_free(struct store *s);

/* Prepare the statements on db (call once, before it is used). */
int store_prepare(struct db *db) RELAY_MUSTCHECK;

/* Queue a case. -1 (and no callback) when the database is down or the queue
 * is full: answer 503 at once. */
int store_submit(struct store *s, const struct store_case *c, store_done_fn done,
                 void *arg) RELAY_MUSTCHECK;

/* Cases queued or in flight. */
int store_pending(const struct store *s);

/* Look up an Idempotency-Key committed by another transaction:
 * done gets STORE_REPLAY with idem_ref/idem_hash, or STORE_UNAVAILABLE. */
int store_lookup_idem(struct store *s, const char *party, const char *key, store_done_fn done,
                      void *arg) RELAY_MUSTCHECK;

#endif
