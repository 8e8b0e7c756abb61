/*
 * form.h — owns the reading of an application/x-www-form-urlencoded body
 * (the web form's POST) into name/value pairs, as the WHATWG URL standard's
 * urlencoded parser does it: '&' separates pairs, the first '=' separates a
 * name from its value, '+' is a space, %XX is a byte.
 *
 * Pure: no I/O, no global state, no clock; one allocation per parse, which
 * form_free wipes (a refused card number may be in it) before freeing. Made
 * to be fuzzed: any input either parses within the limits or is refused
 * with a reason, and never reads outside [body, body + len).
 *
 * Stricter than browsers need, on purpose: a '%' not followed by two hex
 * digits, a NUL byte (raw or %00), or a name or value that is not UTF-8 is
 * refused (a browser never sends them, so they only come from tools or
 * attackers), and every count and length is bounded.
 */
#ifndef RELAY48_FORM_H
#define RELAY48_FORM_H

#include <stddef.h>

#include "common.h"

/* Bounds; a parse that would exceed one is refused. */
#define FORM_MAX_FIELDS 128  /* pairs, empty ones ("a&&b") not counted */
#define FORM_MAX_NAME   64   /* bytes of a decoded name */
#define FORM_MAX_VALUE  8192 /* bytes of a decoded value */
#define FORM_MAX_BODY   (1024 * 1024)

enum form_error {
    FORM_OK = 0,
    FORM_TOO_LARGE,      /* len > FORM_MAX_BODY */
    FORM_TOO_MANY,       /* more than FORM_MAX_FIELDS pairs */
    FORM_NAME_TOO_LONG,  /* a decoded name over FORM_MAX_NAME bytes, or empty */
    FORM_VALUE_TOO_LONG, /* a decoded value over FORM_MAX_VALUE bytes */
    FORM_BAD_ESCAPE,     /* '%' not followed by two hex digits */
    FORM_NUL,            /* a NUL byte, raw or %00 */
    FORM_BAD_UTF8,       /* a decoded name or value that is not UTF-8 */
    FORM_NO_MEMORY,
};

struct form_field {
    const char *name;  /* decoded, NUL-terminated, inside the form's buffer */
    const char *value; /* decoded, NUL-terminated, "" for "a" and "a=" */
    size_t value_len;
};

struct form {
    struct form_field field[FORM_MAX_FIELDS];
    size_t count; /* in body order; a name may repeat */
    char *buf;    /* owns every name and value */
    size_t buf_size;
};

/* Stable lower-case name of an error ("ok", "bad_escape"...). */
const char *form_error_name(enum form_error e);

/*
 * Parse body (len bytes, not necessarily NUL-terminated). On FORM_OK *out
 * holds the pairs (caller calls form_free). On error *out is empty (and
 * form_free is harmless). A pair with an empty name ("=x") is refused as
 * FORM_NAME_TOO_LONG; an empty pair ("a=1&&b=2") is skipped. The first
 * pair, in body order, that breaks a rule decides the error; within a pair:
 * one pair too many, then the name (bad escape or NUL, whichever comes
 * first, then empty or too long), then the value (likewise, then too long),
 * then UTF-8 of either.
 */
RELAY_MUSTCHECK enum form_error form_parse(const char *body, size_t len, struct form *out);

/* Wipe and free; leaves an empty form. NULL is fine. */
void form_free(struct form *f);

/* The first value of name, or NULL when absent. */
const char *form_get(const struct form *f, const char *name);

/* The n-th (from 0) value of name, or NULL. */
const char *form_get_nth(const struct form *f, const char *name, size_t n);

/* How many times name appears. */
size_t form_count(const struct form *f, const char *name);

#endif
