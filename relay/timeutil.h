/*
 * timeutil.h — owns time parsing and formatting: RFC 3339 date-times in and
 * out, the web form's Europe/Paris wall time in, and the display of instants
 * and durations for people (French and English).
 *
 * A time is an int64_t count of UTC seconds since 1970-01-01T00:00:00Z.
 * Every function here is pure and thread-safe: no global state, no I/O, and
 * none of the C library's time zone machinery (TZ, localtime, tzset, mktime).
 * Europe/Paris is computed from the EU rule in force since 1996 (summer time
 * from the last Sunday of March 01:00 UTC to the last Sunday of October
 * 01:00 UTC); that rule is applied to every year, earlier ones included.
 *
 * Supported instants: TIMEUTIL_TIME_MIN..TIMEUTIL_TIME_MAX, that is
 * 1970-01-01T00:00:00Z..9999-12-31T23:59:59Z. Parsers refuse anything outside
 * (RFC3339_OUT_OF_RANGE), formatters fail on it.
 *
 * Output strings are UTF-8 (French "à", "août", "dépassé"...); the caller
 * escapes them for HTML or JSON.
 */
#ifndef RELAY48_TIMEUTIL_H
#define RELAY48_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

#define TIMEUTIL_TIME_MIN INT64_C(0)
#define TIMEUTIL_TIME_MAX INT64_C(253402300799) /* 9999-12-31T23:59:59Z */

/* Buffer sizes, NUL included, large enough for any supported input. */
#define TIMEUTIL_UTC_SIZE      21 /* "2026-03-30T09:00:00Z" */
#define TIMEUTIL_ISO_SIZE      26 /* "2026-03-30T11:00:00+02:00" */
#define TIMEUTIL_DISPLAY_SIZE  40 /* "30 septembre 2026 à 11:00" */
#define TIMEUTIL_DURATION_SIZE 40 /* up to "2562047788015215 h 30 min" */

/*
 * Why a parse failed. When several apply, the first in this order is
 * reported: EMPTY, BAD_SYNTAX (the whole string is looked at first),
 * NO_OFFSET, OUT_OF_RANGE (field values, then the resulting instant).
 */
enum rfc3339_error {
    RFC3339_OK = 0,
    RFC3339_EMPTY,        /* NULL or "" */
    RFC3339_BAD_SYNTAX,   /* not the expected shape, or characters left over */
    RFC3339_NO_OFFSET,    /* a well-formed date-time without "Z" or "+hh:mm" */
    RFC3339_OUT_OF_RANGE, /* month 13, 29 February of a common year, hour 24,
                             second 60, offset +24:00, year before 1970... */
};

/* Stable lower-case name of an error ("ok", "empty", "bad_syntax",
 * "no_offset", "out_of_range"), or NULL for a value outside the enum. */
const char *rfc3339_error_name(enum rfc3339_error e);

/*
 * Strict RFC 3339 date-time (section 5.6):
 *   YYYY-MM-DD(T|t)HH:MM:SS[.fraction](Z|z|+hh:mm|-hh:mm)
 * - the fraction has 1 to 9 digits and is truncated to whole seconds; 10 or
 *   more digits are refused as bad syntax (nobody sends sub-nanoseconds);
 * - a leap second (seconds = 60) is refused as out of range: UTC seconds
 *   since the epoch cannot represent it, and no payment system stamps one;
 * - offsets are 00:00..23:59 either sign; "-00:00" (RFC 3339's "offset
 *   unknown") names the same instant as "Z" and is accepted as such;
 * - years 1970..9999, and the instant itself must lie within
 *   TIMEUTIL_TIME_MIN..TIMEUTIL_TIME_MAX ("1970-01-01T00:30:00+01:00" is out
 *   of range);
 * - no space separator, no leading or trailing blanks, no lower precision
 *   (no "2026-03-28T10:00Z"): the whole string must be consumed.
 * Work is bounded: at most 36 characters are read whatever the input.
 * utc_seconds may be NULL to only validate; it is written only on success.
 */
RELAY_MUSTCHECK enum rfc3339_error rfc3339_parse(const char *s, int64_t *utc_seconds);

/*
 * The web form's <input type="datetime-local"> value, read as Europe/Paris
 * wall time: YYYY-MM-DD(T|t| )HH:MM, optionally :SS, optionally a fraction
 * of 1 to 9 digits after the seconds (truncated), as HTML may send them. An
 * offset or "Z" is bad syntax here. Never returns RFC3339_NO_OFFSET.
 * Wall times that are not one instant:
 * - spring-forward gap (02:00..02:59:59 local on the last Sunday of March):
 *   read with the winter offset, that is shifted forward by the hour the
 *   clocks skipped: 02:30 is taken as 03:30 CEST (01:30Z). A victim who
 *   types a time that never existed most likely read a clock not yet moved;
 * - autumn overlap (02:00..02:59:59 local on the last Sunday of October,
 *   which happens twice): the earlier instant, in summer time (CEST, +02:00),
 *   is taken. An earlier start gives the earlier deadline, so the relay errs
 *   on the side of urgency.
 * utc_seconds may be NULL to only validate; it is written only on success.
 */
RELAY_MUSTCHECK enum rfc3339_error localtime_paris_parse(const char *s, int64_t *utc_seconds);

/* "2026-03-30T09:00:00Z". 0, or -1 if t is outside the supported range or
 * out_size < TIMEUTIL_UTC_SIZE (then out holds "" when out_size > 0). */
RELAY_MUSTCHECK int rfc3339_format_utc(int64_t t, char *out, size_t out_size);

/* Europe/Paris offset from UTC at that instant: 7200 from the last Sunday of
 * March 01:00 UTC (included) to the last Sunday of October 01:00 UTC
 * (excluded), else 3600. Outside the supported range: 3600. */
int paris_offset_seconds(int64_t utc);

/*
 * Paris wall time for people, to the minute (seconds are dropped, not
 * rounded, so a deadline never shows later than it is):
 *   "fr" -> "30 mars 2026 à 11:00", "9 janvier 2026 à 08:05"
 *   "en" -> "30 March 2026 at 11:00"
 * lang is a language tag; "en", "en-GB", "EN_us"... give English, anything
 * else (NULL included) French. 0, or -1 if the local time is outside the
 * supported range or out is too small (see TIMEUTIL_DISPLAY_SIZE).
 */
RELAY_MUSTCHECK int paris_format(int64_t utc, const char *lang, char *out, size_t out_size);

/* Paris wall time with its offset: "2026-03-30T11:00:00+02:00". 0, or -1 as
 * paris_format (see TIMEUTIL_ISO_SIZE). */
RELAY_MUSTCHECK int paris_format_iso(int64_t utc, char *out, size_t out_size);

/*
 * Time left, for people, rounded down to the minute (never promise more
 * time than there is):
 *   seconds <= 0     "dépassé"             / "passed"
 *   1..59            "moins d'une minute"  / "less than a minute"
 *   60..3599         "12 min"              / "12 min"
 *   3600 and more    "47 h 59 min", "48 h" / the same (hours are not turned
 *                    into days: the window is counted in hours)
 * Zero counts as passed: at the deadline the window is closed (window.h).
 * lang as paris_format. 0, or -1 if out is too small.
 */
RELAY_MUSTCHECK int duration_format(int64_t seconds, const char *lang, char *out, size_t out_size);

#endif
