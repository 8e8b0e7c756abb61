/*
 * db.h — owns one asynchronous PostgreSQL connection on the libevent loop:
 * non-blocking connect, libpq pipeline mode, statements prepared again on
 * every new connection, results handed back in order, reconnection with
 * backoff and jitter, LISTEN/NOTIFY delivery.
 *
 * A statement's callback runs exactly once on the loop thread: with its
 * result, or with NULL when the connection was lost before the result came
 * (the outcome is then unknown: a COMMIT may or may not have happened).
 * The result belongs to db and is freed after the callback returns.
 */
#ifndef RELAY48_DB_H
#define RELAY48_DB_H

#include <libpq-fe.h>

#include "common.h"

struct event_base;
struct db;

typedef void (*db_result_fn)(PGresult *res, void *arg);
typedef void (*db_state_fn)(int ready, void *arg);
typedef void (*db_notify_fn)(const char *channel, const char *payload, void *arg);

struct db_options {
    const char *conninfo;
    const char *name;     /* for logs: "intake", "probe" */
    int retry_max_ms;     /* backoff ceiling */
    const char *options;  /* server settings for the session ("-c a=b -c c=d"), or NULL;
                           * jit=off comes first whatever they are (db.c) */
    db_state_fn on_state; /* ready changed; may be NULL */
    db_notify_fn on_notify;
    void *arg;
};

/* Starts connecting at once; never fails for a server that is down (it
 * retries), only for bad arguments. */
struct db *db_new(struct event_base *base, const struct db_options *opt, char *errstr,
                  size_t errstr_size) RELAY_MUSTCHECK;
/* Pending callbacks are called with NULL. */
void db_free(struct db *db);

/* Connected and not broken. */
int db_ready(const struct db *db);

/* Register a statement prepared on every (re)connection before anything
 * else. Call before the first db_send that names it. */
int db_prepare(struct db *db, const char *name, const char *sql, int nparams) RELAY_MUSTCHECK;

/* Queue a prepared statement (name) or, when name is NULL, the text sql with
 * parameters in text format. -1 when not ready: nothing was queued and cb
 * will not be called. */
int db_send(struct db *db, const char *name, const char *sql, int nparams,
            const char *const *values, db_result_fn cb, void *arg) RELAY_MUSTCHECK;

/* Close a unit of work: what was queued since the last sync is sent; an
 * error aborts the statements after it up to this sync. */
int db_sync(struct db *db) RELAY_MUSTCHECK;

/* Statements queued and not answered yet. */
size_t db_pending(const struct db *db);

#endif
