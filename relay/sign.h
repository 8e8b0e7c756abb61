/*
 * sign.h — owns Standard Webhooks signatures (https://www.standardwebhooks.com/):
 * the "whsec_" secret text, the signature of one message, and the check of
 * the webhook-signature header a bank sends. Pure: no I/O, no global state;
 * OpenSSL for HMAC-SHA256 and, in sign_secret_generate only, RAND_bytes.
 * Safe to call from any thread (the connectors sign their deliveries with
 * sign_compute).
 *
 * A message is (id, timestamp, body): the signature is "v1," followed by
 * the standard base64 (with padding) of HMAC-SHA256(secret, id "." timestamp
 * "." body), computed over the body's raw bytes before any parsing. The
 * header holds one or more signatures separated by spaces ("v1,abc= v1,def=")
 * while a sender rotates its secret: the message is accepted when any v1
 * signature matches any of the receiver's valid secrets. Entries of other
 * versions ("v1a,...") and malformed entries are skipped.
 *
 * Comparisons of MACs go through CRYPTO_memcmp (constant time). Nothing here
 * logs; sign_verify's result names what failed for the caller's logs and
 * metrics, never for the sender (who gets one 401 whatever failed).
 */
#ifndef RELAY48_SIGN_H
#define RELAY48_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

#define SIGN_MAC_LEN 32
/* Secret lengths in bytes (the specification's advice: 24 to 64). */
#define SIGN_SECRET_MIN 24
#define SIGN_SECRET_MAX 64
/* "whsec_" + base64 of SIGN_SECRET_MAX bytes (88) + NUL. */
#define SIGN_SECRET_TEXT_SIZE (6 + 88 + 1)
/* "v1," + base64 of 32 bytes (44) + NUL. */
#define SIGN_SIGNATURE_SIZE (3 + 44 + 1)
/* webhook-id: 1 to SIGN_ID_MAX visible ASCII characters other than '.'. */
#define SIGN_ID_MAX 100
/* webhook-timestamp: 1 to SIGN_TIMESTAMP_MAX decimal digits (seconds). */
#define SIGN_TIMESTAMP_MAX 18
/* v1 signatures of a header considered; later ones are ignored. */
#define SIGN_MAX_SIGNATURES 16
/* Longest webhook-signature header value read. */
#define SIGN_HEADER_MAX 4096
/* The specification's tolerance: five minutes either way. */
#define SIGN_TOLERANCE_DEFAULT 300

/* One secret a receiver accepts. */
struct sign_secret {
    const unsigned char *key;
    size_t len;
};

enum sign_result {
    SIGN_OK = 0,
    SIGN_BAD_ID,        /* webhook-id missing, empty, too long, a '.' or a non-visible char */
    SIGN_BAD_TIMESTAMP, /* webhook-timestamp not 1..18 digits (a '.' included) */
    SIGN_TOO_OLD,       /* more than tolerance seconds before now */
    SIGN_TOO_NEW,       /* more than tolerance seconds after now */
    SIGN_NO_SIGNATURE,  /* no well-formed v1 signature in the header, or no secret */
    SIGN_MISMATCH,      /* v1 signatures, none of them valid under any secret */
};

/* A stable name for logs and metrics ("ok", "bad_id", "mismatch"...). */
const char *sign_result_name(enum sign_result r);

/*
 * "whsec_" + standard base64 (padding optional) of SIGN_SECRET_MIN to
 * SIGN_SECRET_MAX bytes: 0 with the bytes in out (SIGN_SECRET_MAX bytes of
 * room) and their count in *len; -1 otherwise (out then holds zeros).
 */
int sign_secret_parse(const char *text, unsigned char out[SIGN_SECRET_MAX],
                      size_t *len) RELAY_MUSTCHECK;

/* The "whsec_" text of len bytes (SIGN_SECRET_MIN..SIGN_SECRET_MAX) into out
 * (SIGN_SECRET_TEXT_SIZE bytes are always enough). 0, or -1 (out ""). */
int sign_secret_format(const unsigned char *key, size_t len, char *out,
                       size_t out_size) RELAY_MUSTCHECK;

/* len random bytes (SIGN_SECRET_MIN..SIGN_SECRET_MAX) from RAND_bytes. 0, or
 * -1 when len is out of bounds or the generator fails (out zeroed). */
int sign_secret_generate(unsigned char *out, size_t len) RELAY_MUSTCHECK;

/* 1 when id is an acceptable webhook-id (see SIGN_ID_MAX), 0 otherwise. */
int sign_id_ok(const char *id);

/* webhook-timestamp: 0 with the seconds in *out, -1 when not 1 to
 * SIGN_TIMESTAMP_MAX ASCII digits and nothing else. */
int sign_timestamp_parse(const char *ts, int64_t *out) RELAY_MUSTCHECK;

/*
 * The signature "v1,<base64>" of (id, timestamp, body) under key into out.
 * id and timestamp are used as given (sign_id_ok / sign_timestamp_parse are
 * the receiver's checks). body may hold NULs. 0, or -1 (out "") when
 * OpenSSL fails or an argument is NULL.
 */
int sign_compute(const unsigned char *key, size_t key_len, const char *id, const char *timestamp,
                 const void *body, size_t body_len, char out[SIGN_SIGNATURE_SIZE]) RELAY_MUSTCHECK;

/*
 * The v1 signatures of a webhook-signature header value, decoded: up to
 * max (<= SIGN_MAX_SIGNATURES) MACs into macs, in header order. Entries are
 * separated by one or more spaces; an entry is "v1," + the base64 of exactly
 * SIGN_MAC_LEN bytes (padding optional); others are skipped. Returns the
 * count (0: none), or -1 when header is NULL or longer than SIGN_HEADER_MAX.
 */
int sign_header_parse(const char *header, unsigned char macs[][SIGN_MAC_LEN], int max);

/*
 * Check a received message: id and timestamp as above, |now - timestamp| <=
 * tolerance, and one of the header's v1 signatures equal (CRYPTO_memcmp) to
 * the MAC under one of the n secrets. The checks run in that order and the
 * first failure is returned.
 */
enum sign_result sign_verify(const char *header, const struct sign_secret *secrets, size_t n,
                             const char *id, const char *timestamp, const void *body,
                             size_t body_len, int64_t now, int64_t tolerance);

#endif
