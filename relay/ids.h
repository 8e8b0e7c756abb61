/*
 * ids.h — owns relay48's identifiers: random ones from OpenSSL's CSPRNG
 * (case references "R48-XXXX-XXXX-XXXX", 60 bits in Crockford base32, no
 * I, L, O, U; event ids, UUID version 4; victim access tokens) and event ids
 * derived from what they name (UUID version 8 over SHA-256), for events that
 * may be built again and must keep their id.
 */
#ifndef RELAY48_IDS_H
#define RELAY48_IDS_H

#include <stddef.h>

#include "common.h"

#define IDS_REF_SIZE   19 /* "R48-" + 3 x 4 + 2 dashes + NUL */
#define IDS_UUID_SIZE  37
#define IDS_TOKEN_SIZE 44 /* 43 base64url chars (32 bytes) + NUL */

int ids_case_ref(char out[IDS_REF_SIZE]) RELAY_MUSTCHECK;
int ids_uuid4(char out[IDS_UUID_SIZE]) RELAY_MUSTCHECK;
int ids_token(char out[IDS_TOKEN_SIZE]) RELAY_MUSTCHECK;

/* A UUID (version 8, RFC 9562 variant, lower-case hex) from the first 122
 * bits of the SHA-256 of name: the same name always gives the same id. */
int ids_uuid_derived(const char *name, size_t len, char out[IDS_UUID_SIZE]) RELAY_MUSTCHECK;

/* 1 when s has the shape of a case reference. */
int ids_ref_valid(const char *s);

#endif
