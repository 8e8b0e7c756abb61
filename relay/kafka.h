/*
 * kafka.h — owns relay48's librdkafka producer handle: creation from the
 * kafka.* configuration with the guarantees the design demands forced on
 * (enable.idempotence=true, acks=all) and producer defaults for bursts
 * (compression.type=lz4, linger.ms=10; a kafka.* key overrides them), the
 * wake-up of the libevent loop when librdkafka has callbacks to serve
 * (rd_kafka_queue_io_event_enable), and a metadata probe for readiness.
 *
 * Threads: delivery-report, error and log callbacks run on the loop thread,
 * from kafka's poll. The probe runs on a thread of its own and only ever
 * writes one atomic flag.
 */
#ifndef RELAY48_KAFKA_H
#define RELAY48_KAFKA_H

#include <librdkafka/rdkafka.h>

#include "common.h"

struct event_base;
struct config;
struct kafka;

struct kafka_options {
    const struct config *cfg;
    int probe_interval_ms;
    /* Per-message delivery report, loop thread. May be NULL. */
    void (*on_delivery)(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque);
    /* A fatal error was raised (idempotence broken): the owner must recreate
     * the producer. Loop thread. May be NULL. */
    void (*on_fatal)(const char *reason, void *opaque);
    void *opaque;
};

struct kafka *kafka_new(struct event_base *base, const struct kafka_options *opt, char *errstr,
                        size_t errstr_size) RELAY_MUSTCHECK;
/* Flushes up to timeout_ms, then destroys. */
void kafka_free(struct kafka *k, int flush_timeout_ms);

rd_kafka_t *kafka_handle(struct kafka *k);
/* The last metadata probe reached the cluster. */
int kafka_ready(const struct kafka *k);
/* Serve callbacks now (the loop also does it on wake-up and on a timer). */
void kafka_poll(struct kafka *k);

/* Build an rd_kafka_conf_t from the kafka.* keys. Caller owns it. */
rd_kafka_conf_t *kafka_conf_from_config(const struct config *cfg, char *errstr,
                                        size_t errstr_size) RELAY_MUSTCHECK;

#endif
