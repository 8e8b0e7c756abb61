/*
 * connector.h — owns relay48-connector: a Kafka consumer in a consumer group
 * on the role's escalation topic (relay48.escalations.bank.v1 or
 * relay48.escalations.police.v1) that delivers each escalation, signed with
 * Standard Webhooks headers, to the endpoint the registry gives
 * (destinations.h), through deliver.h on the same libevent loop; retries
 * with retry.h until the case's deadline; parks what cannot be delivered in
 * relay48.deliveries.dlq.v1 with the reason.
 *
 * Guarantees:
 * - at least once: a message's offset is stored (enable.auto.offset.store =
 *   false, rd_kafka_offsets_store) only once it and every earlier message of
 *   its partition were delivered (2xx), parked in the dead-letter topic
 *   (delivery report received), or skipped (a ce_type the role does not
 *   handle); auto-commit commits what was stored, and the revocation and the
 *   close commit it at once;
 * - order per case: the escalations of one case to one destination (one
 *   Kafka key) are delivered one after the other, in offset order, while
 *   other cases keep flowing;
 * - duplicates (a restart after a crash) carry the same webhook-id, the
 *   event's ce_id, for the receiver to drop.
 *
 * Signals: SIGTERM or SIGINT stops reading, lets the attempts in flight and
 * the dead-letter productions finish within shutdown.grace_ms, hands back
 * the rest (their offsets are not stored: the group delivers them again),
 * commits, closes the consumer (rd_kafka_consumer_close) and exits; a second
 * signal exits at once (still committing what was stored).
 *
 * Threads: the loop thread runs everything; librdkafka's callbacks are served
 * from rd_kafka_consumer_poll (rebalance) and the producer's poll (delivery
 * reports) on it. Only the log callback runs on librdkafka's threads.
 */
#ifndef RELAY48_CONNECTOR_H
#define RELAY48_CONNECTOR_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"

struct config;

enum connector_role { CONNECTOR_BANK = 0, CONNECTOR_POLICE };

/* "bank" or "police" into *out: 0, or -1. */
int connector_role_parse(const char *s, enum connector_role *out) RELAY_MUSTCHECK;

/* Run until a signal; the process exit code (0 drained, 1 could not start). */
int connector_run(struct config *cfg, const char *cfg_path, enum connector_role role);

/*
 * The body of a delivery (docs/connectors.md), pure: what the desk receives.
 * event is the escalation as read; recall the camt.056 request (JSON, may be
 * NULL); recall_xml its XML (may be NULL: a bank of format json); unit_name
 * and why (police; may be NULL). public_url ("" or NULL: none) makes ack_url
 * absolute. now_s is the time of the attempt. Returns a new reference, NULL
 * when out of memory.
 */
json_t *connector_body(const json_t *event, const char *type, const char *id, const char *time,
                       int attempt, int64_t now_s, const json_t *recall, const char *recall_xml,
                       const char *party, const char *unit_name, const char *why,
                       const char *public_url);

#endif
