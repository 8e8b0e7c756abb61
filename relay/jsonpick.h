/*
 * jsonpick.h — owns reading a few members of a JSON object's text without
 * building a tree: where each member's value is in the text, and a string
 * value decoded. For hot paths that need three or four members of a
 * document PostgreSQL wrote (the scheduler reads `cases.details` of every
 * case it fires: a jansson tree of it cost about a quarter of the relay's
 * CPU per reminder).
 *
 * Pure: no allocation, no global state. The text is checked as far as
 * skipping values needs (strings, nesting, the separators of the object
 * scanned); anything it cannot read is an error, and the caller falls back
 * to a real parser.
 */
#ifndef RELAY48_JSONPICK_H
#define RELAY48_JSONPICK_H

#include <stddef.h>

#include "common.h"

/* Nesting skipped inside a member's value at most. */
#define JSONPICK_DEPTH_MAX 64

/* A value's JSON text inside the document; p NULL: the member is absent. */
struct jsonpick_span {
    const char *p;
    size_t len;
};

/*
 * The values of the members keys[0..nkeys-1] of the object text[0..len)
 * (whitespace around it allowed), in out[0..nkeys-1]: absent ones have p
 * NULL; a key given twice in the text gives its last value (as jansson and
 * jsonb keep). Keys are compared after their escapes are decoded. Returns 0,
 * or -1 when the text is not one object this reader can skip through (then
 * out is all absent).
 */
RELAY_MUSTCHECK int jsonpick_members(const char *text, size_t len, const char *const *keys,
                                     size_t nkeys, struct jsonpick_span *out);

/* 1 when s is a string value ("..."). */
int jsonpick_is_string(struct jsonpick_span s);

/*
 * The string value s decoded (escapes, \u with surrogate pairs, to UTF-8)
 * into out, NUL-terminated. Returns the length, or -1 when s is not a
 * string, has a bad escape or \u0000, or does not fit in size.
 */
RELAY_MUSTCHECK long jsonpick_string(struct jsonpick_span s, char *out, size_t size);

#endif
