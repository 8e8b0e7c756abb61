/*
 * outbox.h — owns the way from the outbox table to Kafka: the idempotent
 * producer (through kafka.h), CloudEvents 1.0 in binary mode (ce_* headers,
 * JSON value), rows marked published only from their delivery report and
 * in batches, a sweep that sends again what is unpublished (at start, after
 * a failed delivery, rows left by a crashed relay), and the recreation of
 * the producer after librdkafka's fatal idempotence error (librdkafka 2.0.2,
 * fixed upstream in 2.3.0), after which every unconfirmed row is sent again.
 *
 * It publishes the scheduler's firings (sql/008_firings.sql) and the
 * intake's batches (sql/009_intake_batches.sql) as groups: the events of one
 * row are produced together, and the row is deleted once every one of them
 * has a delivery report with an offset. Its sweep also publishes again the
 * intake batches nobody confirmed (a crashed relay's, a failed group),
 * building their events from the case rows (escalate_intake_events), with
 * the same ids and bytes.
 *
 * Delivery is at-least-once: every event carries a stable ce_id, consumers
 * de-duplicate on it.
 */
#ifndef RELAY48_OUTBOX_H
#define RELAY48_OUTBOX_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"

struct event_base;
struct db;
struct config;
struct outbox;

struct outbox_options {
    const struct config *cfg;
    int probe_interval_ms;
    int sweep_interval_ms; /* how often unpublished rows are looked for */
    int sweep_age_ms;      /* rows younger than this belong to a live producer */
    int mark_delay_ms;     /* gather delivery reports this long before marking */
    /* token.key, to build the intake's events again (report.accepted's
     * tokens); borrowed. Length 0: intake batches are not swept. */
    const unsigned char *token_key;
    size_t token_key_len;
};

/* db: a connection of its own (marks and sweeps). */
struct outbox *outbox_new(struct event_base *base, struct db *db, const struct outbox_options *opt,
                          char *errstr, size_t errstr_size) RELAY_MUSTCHECK;
/* Flushes up to flush_ms, marks what was confirmed if the database is up. */
void outbox_free(struct outbox *o, int flush_ms);

int outbox_prepare(struct db *db) RELAY_MUSTCHECK;

/* Produce one committed outbox row whose fields the caller has at hand (the
 * acknowledgements' events). */
void outbox_publish_one(struct outbox *o, int64_t id, const char *event_id, const char *topic,
                        const char *key, const char *type, const char *time, const char *payload,
                        size_t payload_len);

/*
 * The events of one firing (a row of `firings`), produced as a group: the
 * row is deleted (on the outbox's connection, in batches, like the marks of
 * outbox rows) once every event added has a delivery report with an offset.
 * When an event cannot be queued or its delivery fails, the group is
 * forgotten and its row stays: a firings sweep (scheduler.h) publishes it
 * again, with the same ce_ids.
 *
 * begin: NULL when out of memory (the row stays for the sweep). add: the
 * payload, malloc'd, is handed to librdkafka (no copy: a burst of firing
 * copied 150 000 of them) and *payload set to NULL; -1 when the event was
 * not queued (the payload stays the caller's; the group has failed, adding
 * more is useless). end: no more events; the outbox owns the group from then on,
 * whatever happened before.
 */
struct outbox_firing;
struct outbox_firing *outbox_firing_begin(struct outbox *o, int64_t firing_id);
int outbox_firing_add(struct outbox_firing *f, const char *event_id, const char *topic,
                      const char *key, const char *type, const char *time, char **payload,
                      size_t payload_len);
void outbox_firing_end(struct outbox_firing *f);
/* The group's events could not all be built: its row stays for a sweep. */
void outbox_firing_fail(struct outbox_firing *f);

/* 1 while this process publishes the firing, or has it confirmed and not yet
 * deleted: the sweep leaves it alone. */
int outbox_firing_held(const struct outbox *o, int64_t firing_id);

/* How many more messages librdkafka may be given now: half its queue
 * (queue.buffering.max.messages) less what it holds, so that a burst of
 * firing waits rather than meets a full queue. */
long outbox_room(const struct outbox *o);

/* Kafka cluster reachable and the producer usable. */
int outbox_ready(const struct outbox *o);

/* Rows handed to librdkafka and not confirmed yet, plus confirmed ones not
 * marked yet, plus the events of firings not confirmed yet. */
long outbox_inflight(const struct outbox *o);

/* Nothing queued in librdkafka and every confirmation marked: drain done. */
int outbox_idle(const struct outbox *o);

/* Test hook: behave as if librdkafka had raised a fatal error. */
void outbox_simulate_fatal(struct outbox *o);

#endif
