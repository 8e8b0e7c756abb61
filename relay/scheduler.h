/*
 * scheduler.h — owns the firing of due milestones (reminder, critical,
 * expiry) from PostgreSQL, on the loop thread, with several relays sharing
 * one database, and the publication of their events.
 *
 * A batch is one transaction on one of the scheduler's own connections
 * (pipeline mode): BEGIN; claim up to batch_max due milestones
 * (FOR UPDATE SKIP LOCKED) with the other due milestones of their cases and
 * the case rows, locking a case only when its expiry is due (SKIP LOCKED: a
 * case being acknowledged is left for the next batch); decide in C what
 * fires; in one statement mark the milestones fired or skipped, insert the
 * new addressees, expire the cases whose deadline fired, and insert one
 * `firings` row naming the milestones fired with events (sql/008_firings.sql);
 * COMMIT. While the server runs it, the events are built in C (escalate.h)
 * from the claimed rows, with ids derived from the case, the milestone, its
 * fired time and the addressee; once the COMMIT is answered they are
 * produced as one group (outbox.h), and the firing row is deleted when Kafka
 * has confirmed them all. A case with several milestones due at once (after
 * a restart) fires only the most severe (window_collapse); the others are
 * skipped, as are the milestones of a case no longer open.
 *
 * Nothing is kept only in memory: a batch whose COMMIT is lost is either
 * committed (its firing row stays) or not (its milestones are still
 * pending); a firing older than sweep_age_ms that this process does not
 * hold (a crashed relay's, one whose events failed) is read again by the
 * sweep, every sweep_interval_ms and at start (then whatever its age), and
 * its events built and produced again with the same ids.
 *
 * Wake-ups: a timer on the next due time (read after each batch), NOTIFY on
 * channel relay48_milestones (sql/003_escalation.sql: a milestone due within
 * a minute was written) and an idle poll every poll_ms. A full batch is
 * followed at once by the next, on every idle connection, as long as
 * librdkafka's queue has room for the events of a full batch.
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
    const char *instance;    /* this relay's name, written in its firings */
    int retry_max_ms;        /* reconnect backoff ceiling */
    int connections;         /* batches in flight at once, one per connection */
    int batch_max;           /* milestones claimed per transaction */
    int poll_ms;             /* idle poll (at most 60 000: see the NOTIFY trigger) */
    int stats_interval_ms;   /* gauges: outbox backlog and age, firings unconfirmed */
    int pending_interval_ms; /* gauge: pending milestones (a count over their index) */
    int sweep_interval_ms;   /* how often unconfirmed firings are looked for */
    int sweep_age_ms;        /* firings younger than this belong to a live relay */
};

/* Opens its connections (they retry while the server is down). outbox and
 * dir are borrowed and must outlive the scheduler; dir may be NULL (no bank
 * names in the escalations). */
struct scheduler *scheduler_new(struct event_base *base, const struct scheduler_options *opt,
                                struct outbox *outbox, struct bankdir *dir, char *errstr,
                                size_t errstr_size) RELAY_MUSTCHECK;

/* Free before the outbox. A batch in flight is abandoned: its transaction
 * rolls back with the connection, or committed and a sweep publishes it. */
void scheduler_free(struct scheduler *s);

/* Drain: claim nothing more; batches in flight finish. */
void scheduler_stop(struct scheduler *s);

/* Batches in flight. */
int scheduler_busy(const struct scheduler *s);

#endif
