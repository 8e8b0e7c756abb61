/*
 * reload.h — owns the periodic reload of one of the daemon's in-memory
 * tables from PostgreSQL: the API keys (keys.h), the banks and their
 * secrets (banks.h), the BIN table (bins.h). The table is the owner's; this
 * module decides when to load it and what a failed load means.
 *
 * One text statement is sent through db (db_send with a NULL name, then
 * db_sync) on the next loop turn, then every refresh_ms; until a load
 * succeeded, every min(refresh_ms, RELOAD_FIRST_MS). At most one is in
 * flight. An answer that is not PGRES_TUPLES_OK with the expected number of
 * columns, a lost connection (a NULL result) or an apply that refuses it
 * keeps the owner's previous table: while PostgreSQL is unreachable the last
 * loaded table stays in force. A failure is logged once when loads start
 * failing ("<name>.load_failed", warn), not at every attempt.
 *
 * Loop thread only. db stays the caller's and must outlive the reload or be
 * freed after it.
 */
#ifndef RELAY48_RELOAD_H
#define RELAY48_RELOAD_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct db;
struct reload;

/* Until the first load succeeded, try this often (or refresh_ms if shorter). */
#define RELOAD_FIRST_MS 100

struct reload_options {
    /* Prefix of the log events: "keys" -> keys.load_failed, keys.sync_failed. */
    const char *name;
    /* What the table holds, in "keeping the 3 keys loaded before: ...". */
    const char *noun;
    const char *sql;
    int nfields;    /* columns of the answer */
    int refresh_ms; /* > 0 */
    /* Why a statement that failed failed, for the log; NULL: libpq's message. */
    const char *query_failed;
    /*
     * Build the owner's new table from res (PGRES_TUPLES_OK, nfields
     * columns) and put it in place of the old one: 0, or -1 with why (the
     * old table kept). announce is 1 for the first load and the first after
     * failures: the owner logs its "<name>.loaded" line then, and whenever
     * its size changed.
     */
    int (*apply)(void *owner, const PGresult *res, int announce, char *why, size_t why_size);
    /* Rows of the owner's table now, for the failure log. */
    size_t (*count)(const void *owner);
    /* After each attempt, ok or not (NULL: none). */
    void (*attempted)(void *owner);
    void *owner;
};

/* The first load starts on the next loop turn. The options' strings are
 * not copied: constants. NULL when out of memory. */
struct reload *reload_new(struct event_base *base, struct db *db, const struct reload_options *o);

/* 1 once a load succeeded. NULL: 0. */
int reload_loaded(const struct reload *r);

/* Loads sent; the number of the last that succeeded (0: none). A load sent
 * after a change in the database and done reflects it. */
uint64_t reload_sent(const struct reload *r);
uint64_t reload_done(const struct reload *r);

/* Why the last attempt failed; "" after a success. */
const char *reload_last_error(const struct reload *r);

/* A load in flight is abandoned: its answer is dropped, apply not called. */
void reload_free(struct reload *r);

#endif
