/*
 * scheduler.h — owns the firing of due milestones (reminder, critical,
 * expiry) from PostgreSQL, on the loop thread, with several relays sharing
 * one database.
 *
 * A batch is one transaction on one of the scheduler's own connections
 * (pipeline mode): BEGIN; claim up to batch_max due milestones
 * (FOR UPDATE SKIP LOCKED) and lock their cases (FOR UPDATE SKIP LOCKED: a
 * case being acknowledged is left for the next batch); build the events in
 * C (escalate.h); in one statement mark the milestones fired or skipped,
 * insert the outbox rows and the new addressees, expire the cases whose
 * deadline fired; COMMIT; then publish the committed rows (outbox.h). A
 * case with several milestones due at once (after a restart) fires only the
 * most severe (window_collapse); the others are skipped, as are the
 * milestones of a case no longer open. Nothing is kept only in memory: a
 * batch whose COMMIT is lost is either committed (the outbox sweep publishes
 * its rows) or not (its milestones are still pending).
 *
 * Wake-ups: a timer on the next due time (read after each batch), NOTIFY on
 * channel relay48_milestones (sql/003_escalation.sql: a milestone due within
 * a minute was written) and an idle poll every poll_ms. A full batch is
 * followed at once by the next.
 */
#ifndef RELAY48_SCHEDULER_H
#define RELAY48_SCHEDULER_H

#include <stddef.h>

#include "common.h"

struct event_base;
struct outbox;
struct bankdir;
struct scheduler;

#define SCHEDULER_MAX_CONNECTIONS 8

struct scheduler_options {
    const char *conninfo;
    int retry_max_ms;      /* reconnect backoff ceiling */
    int connections;       /* batches in flight at once, one per connection */
    int batch_max;         /* milestones claimed per transaction */
    int poll_ms;           /* idle poll (at most 60 000: see the NOTIFY trigger) */
    int stats_interval_ms; /* gauges: pending milestones, outbox backlog and age */
};

/* Opens its connections (they retry while the server is down). outbox and
 * dir are borrowed and must outlive the scheduler; dir may be NULL (no bank
 * names in the escalations). */
struct scheduler *scheduler_new(struct event_base *base, const struct scheduler_options *opt,
                                struct outbox *outbox, struct bankdir *dir, char *errstr,
                                size_t errstr_size) RELAY_MUSTCHECK;

/* Free before the outbox. A batch in flight is abandoned: its transaction
 * rolls back with the connection, or committed and the sweep publishes it. */
void scheduler_free(struct scheduler *s);

/* Drain: claim nothing more; batches in flight finish. */
void scheduler_stop(struct scheduler *s);

/* Batches in flight. */
int scheduler_busy(const struct scheduler *s);

#endif
