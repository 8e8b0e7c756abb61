/*
 * dlq.h — owns the dead letter of a delivery (relay48.deliveries.dlq.v1,
 * proto/schemas/event_dlq.json): its JSON from what the connector knows of
 * the source record and of the last attempt, and its CloudEvents id, derived
 * from the source record so that a dead letter produced again after a crash
 * carries the same ce_id.
 *
 * Pure: no I/O, no clock (the caller gives the time), no global state;
 * jansson for the JSON, OpenSSL for SHA-256 and base64.
 */
#ifndef RELAY48_DLQ_H
#define RELAY48_DLQ_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"

/* Bytes of a source value kept (base64) when it is not a JSON object. */
#define DLQ_ORIGINAL_MAX (1024 * 1024)

struct dlq_source {
    const char *topic;
    int32_t partition;
    int64_t offset;
    const char *type;        /* ce_type; "" or NULL: left out */
    const char *event_id;    /* ce_id; kept only when a lower-case UUID, else "" */
    const char *destination; /* "bank:<BIC>", "police:<dept>": a party, never a URL */
    const char *reason;      /* deadline_reached, rejected, ... */
    int attempts;
    int last_status;         /* 0: none */
    const char *last_error;  /* "" or NULL: none */
    const char *last_answer; /* "" or NULL: none */
    const json_t *original;  /* the value as a JSON object, or NULL */
    const char *value;       /* its bytes, used when original is NULL */
    size_t value_len;
};

/* The dead letter's JSON text at now_s (UTC seconds), compact; caller frees.
 * NULL when out of memory. */
char *dlq_build(const struct dlq_source *s, int64_t now_s);

/* The ce_id of the dead letter of (topic, partition, offset): SHA-256 of
 * them as an RFC 9562 version-8 UUID, lower-case (ids_uuid_derived).
 * Returns 0; -1 when the digest failed. */
RELAY_MUSTCHECK int dlq_event_id(const char *topic, int32_t partition, int64_t offset,
                                 char out[37]);

/* 1 when s is a lower-case 8-4-4-4-12 UUID. */
int dlq_uuid_ok(const char *s);

#endif
