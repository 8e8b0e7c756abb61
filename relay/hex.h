/*
 * hex.h — owns hexadecimal text of bytes: what PostgreSQL's encode(..., 'hex')
 * gives and decode($n, 'hex') takes (sealed secrets, key hashes), and what
 * keys are configured as (token.key, web.csrf_key).
 *
 * Pure, no allocation. Written in lower case; read in either case.
 */
#ifndef RELAY48_HEX_H
#define RELAY48_HEX_H

#include <stddef.h>

#include "common.h"

/* The value of one hex digit of either case, -1 for anything else. */
int hex_digit(char c);

/* The n bytes of in as 2 * n lower-case hex digits and a NUL into out
 * (2 * n + 1 bytes). */
void hex_encode(const unsigned char *in, size_t n, char *out);

/*
 * The bytes written by hex (digits of either case, an even number of them,
 * nothing else) into out: 0 with *out_len = strlen(hex) / 2, or -1 when hex
 * is NULL, is not such a text, or holds more than out_size bytes. On -1 out
 * may hold part of the bytes: cleanse it when they were secret.
 */
int hex_decode(const char *hex, unsigned char *out, size_t out_size,
               size_t *out_len) RELAY_MUSTCHECK;

#endif
