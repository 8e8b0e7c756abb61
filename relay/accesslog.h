/*
 * accesslog.h — owns the durable access log of case reads (table
 * case_access_log, sql/007_retention.sql): who (key id, party, role) read
 * which case (ref), when, through which route, under which request id.
 *
 * Policy: no row, no read. A read's answer is sent only once its rows have
 * committed; if they cannot be written (database unavailable, queue full),
 * the read answers 503 and discloses nothing. The read needs the same
 * database anyway, so the refusal costs availability only when the
 * database is failing (docs/reliability.md, "Data protection").
 *
 * Rows are written on a connection of their own, asynchronously, batched
 * as a group commit: while one INSERT commits, the rows of the reads that
 * finish meanwhile wait and go together in the next one (at most
 * ACCESSLOG_BATCH_MAX rows a statement). The loop never blocks on it.
 */
#ifndef RELAY48_ACCESSLOG_H
#define RELAY48_ACCESSLOG_H

#include <stddef.h>

#include "common.h"

struct event_base;
struct db;
struct accesslog;

#define ACCESSLOG_BATCH_MAX 1000

/* Longest value kept of each field (longer ones are cut; none is today). */
#define ACCESSLOG_FIELD_MAX 255

/* One case read. Strings are copied. */
struct accesslog_entry {
    const char *key_id;     /* public id of the API key */
    const char *party;      /* the key's party name */
    const char *role;       /* "bank:BNPAFRPP", "police:31" */
    const char *ref;        /* the case */
    const char *route;      /* "case" (GET /v1/cases/{ref}) or "list" (GET /v1/cases) */
    const char *request_id; /* the HTTP request's id, as in the JSON log */
};

/* ok: 1 when the rows committed, 0 when they could not be written (or
 * their outcome is unknown). Runs on the loop thread, once. */
typedef void (*accesslog_done_fn)(int ok, void *arg);

/* queue_max: rows waiting at most. db: a connection of the log's own
 * (borrowed; free it before the log: its pending batch then fails). */
struct accesslog *accesslog_new(struct event_base *base, struct db *db, size_t queue_max,
                                char *errstr, size_t errstr_size) RELAY_MUSTCHECK;
/* Reads still queued are told done(0). */
void accesslog_free(struct accesslog *l);

int accesslog_prepare(struct db *db) RELAY_MUSTCHECK;

/* Queue the n rows of one read (1 <= n <= ACCESSLOG_BATCH_MAX); done is
 * called once for all of them. -1, and done is never called, when they
 * cannot even be queued: the database is not ready, the queue is full, or
 * out of memory. */
int accesslog_record(struct accesslog *l, const struct accesslog_entry *rows, size_t n,
                     accesslog_done_fn done, void *arg) RELAY_MUSTCHECK;

/* Rows queued or committing. */
size_t accesslog_pending(const struct accesslog *l);

/*
 * The text form of a PostgreSQL text[] literal of n strings: {"a","b\"c"}.
 * Each element is double-quoted, '"' and '\' escaped. Pure; caller frees.
 * NULL when out of memory.
 */
char *accesslog_array_literal(const char *const *values, size_t n);

#endif
