/*
 * jsontree.h — owns small walks over a parsed jansson tree that the request
 * handlers share: the nesting bound, the wipe before free (a card number sent
 * where it should not be must not linger in freed memory), and the JSON
 * pointer of a root member that never repeats a card number.
 */
#ifndef RELAY48_JSONTREE_H
#define RELAY48_JSONTREE_H

#include <jansson.h>
#include <stddef.h>

#include "common.h"

/* 1 when no value is nested deeper than max_depth (the root is depth 1). */
int jsontree_depth_ok(json_t *j, int max_depth);

/* Zero every string and number of the tree. Recursion is bounded by the
 * depth checked before, or by jansson's own parser limit. */
void jsontree_wipe(json_t *j);

/* "/" + key escaped as RFC 6901 says; "" (the whole body) when the key or the
 * pointer looks like a card number, or when the key is over 200 bytes.
 * out_size must be at least 402. */
void jsontree_member_pointer(const char *key, char *out, size_t out_size);

#endif
