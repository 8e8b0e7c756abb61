/*
 * test_timeutil.c — unit tests of relay/timeutil.c: RFC 3339 parsing and
 * formatting, the Europe/Paris rule, the web form's wall time, display.
 * gmtime_r and timegm (UTC only, no time zone state) serve as independent
 * oracles for the calendar arithmetic.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "timeutil.h"

/* 2026 instants checked with `date -u -d ... +%s`. */
#define T_2026_03_28_0900Z INT64_C(1774688400)
#define T_2026_03_30_0900Z INT64_C(1774861200)
#define T_2026_10_24_0800Z INT64_C(1792828800)
#define T_2026_10_26_0800Z INT64_C(1793001600)
#define T_2026_03_29_0100Z INT64_C(1774746000)
#define T_2026_10_25_0100Z INT64_C(1792890000)
#define WINDOW_48H         INT64_C(172800)

/* ---- oracles ---- */

static void oracle_utc(int64_t t, char *out, size_t out_size)
{
    time_t tt = (time_t)t;
    struct tm tm;

    assert_non_null(gmtime_r(&tt, &tm));
    snprintf(out, out_size, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static int64_t oracle_timegm(int y, int mon, int d, int h, int min, int s)
{
    struct tm tm;

    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = mon - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = min;
    tm.tm_sec = s;
    return (int64_t)timegm(&tm);
}

/* 01:00 UTC on the last Sunday of a 31-day month, found by walking back. */
static int64_t oracle_last_sunday_0100(int y, int mon)
{
    for (int d = 31; d >= 25; d--) {
        time_t tt = (time_t)oracle_timegm(y, mon, d, 1, 0, 0);
        struct tm tm;

        assert_non_null(gmtime_r(&tt, &tm));
        if (tm.tm_wday == 0)
            return (int64_t)tt;
    }
    fail_msg("no Sunday in the last week of %d-%02d", y, mon);
    return -1;
}

/* ---- RFC 3339 ---- */

struct parse_case {
    const char *in;
    enum rfc3339_error err;
    int64_t want; /* when err == RFC3339_OK */
};

static void check_parse_cases(const struct parse_case *cases, size_t n,
                              enum rfc3339_error (*parse)(const char *, int64_t *))
{
    for (size_t i = 0; i < n; i++) {
        int64_t got = INT64_C(-42);
        enum rfc3339_error err = parse(cases[i].in, &got);

        if (err != cases[i].err)
            fail_msg("\"%s\": error %s, want %s", cases[i].in ? cases[i].in : "(null)",
                     rfc3339_error_name(err), rfc3339_error_name(cases[i].err));
        if (cases[i].err == RFC3339_OK) {
            if (got != cases[i].want)
                fail_msg("\"%s\": %" PRId64 ", want %" PRId64, cases[i].in, got, cases[i].want);
        } else {
            /* untouched on failure */
            assert_int_equal(got, -42);
        }
    }
}

static void test_rfc3339_valid(void **state)
{
    const struct parse_case cases[] = {
        {"2026-03-28T10:00:00+01:00", RFC3339_OK, T_2026_03_28_0900Z},
        {"2026-03-28T09:00:00Z", RFC3339_OK, T_2026_03_28_0900Z},
        {"2026-03-28t09:00:00z", RFC3339_OK, T_2026_03_28_0900Z},
        {"2026-03-28T09:00:00-00:00", RFC3339_OK, T_2026_03_28_0900Z},
        {"2026-03-28T09:00:00+00:00", RFC3339_OK, T_2026_03_28_0900Z},
        {"2026-03-28T04:00:00-05:00", RFC3339_OK, T_2026_03_28_0900Z},
        {"2026-03-28T14:30:00+05:30", RFC3339_OK, T_2026_03_28_0900Z},
        {"2026-03-29T08:59:00+23:59", RFC3339_OK, T_2026_03_28_0900Z},
        {"2026-03-27T09:01:00-23:59", RFC3339_OK, T_2026_03_28_0900Z},
        {"2026-03-28T09:00:00.5Z", RFC3339_OK, T_2026_03_28_0900Z},
        {"2026-03-28T09:00:00.0Z", RFC3339_OK, T_2026_03_28_0900Z},
        {"2026-03-28T09:00:00.999999999Z", RFC3339_OK, T_2026_03_28_0900Z},
        {"2026-03-28T10:00:00.123+01:00", RFC3339_OK, T_2026_03_28_0900Z},
        {"2026-03-28T09:00:59Z", RFC3339_OK, T_2026_03_28_0900Z + 59},
        {"2026-10-24T10:00:00+02:00", RFC3339_OK, T_2026_10_24_0800Z},
        {"1970-01-01T00:00:00Z", RFC3339_OK, 0},
        {"1970-01-01T01:00:00+01:00", RFC3339_OK, 0},
        {"9999-12-31T23:59:59Z", RFC3339_OK, TIMEUTIL_TIME_MAX},
        {"9999-12-31T23:59:59.999999999Z", RFC3339_OK, TIMEUTIL_TIME_MAX},
        {"2028-02-29T00:00:00Z", RFC3339_OK, INT64_C(1835395200)},
        {"2000-02-29T12:00:00Z", RFC3339_OK, INT64_C(951825600)},
        {"2026-01-09T07:05:00Z", RFC3339_OK, INT64_C(1767942300)},
        {"2026-12-31T23:59:59Z", RFC3339_OK, oracle_timegm(2026, 12, 31, 23, 59, 59)},
        {"2400-02-29T00:00:00Z", RFC3339_OK, oracle_timegm(2400, 2, 29, 0, 0, 0)},
    };

    check_parse_cases(cases, RELAY_ARRAY_LEN(cases), rfc3339_parse);
}

static void test_rfc3339_rejections(void **state)
{
    const struct parse_case cases[] = {
        {NULL, RFC3339_EMPTY, 0},
        {"", RFC3339_EMPTY, 0},
        /* no offset */
        {"2026-03-28T10:00:00", RFC3339_NO_OFFSET, 0},
        {"2026-03-28T10:00:00.250", RFC3339_NO_OFFSET, 0},
        {"2026-02-30T10:00:00", RFC3339_NO_OFFSET, 0}, /* syntax and offset come first */
        /* calendar */
        {"2026-02-29T00:00:00Z", RFC3339_OUT_OF_RANGE, 0}, /* 2026 is not a leap year */
        {"2100-02-29T00:00:00Z", RFC3339_OUT_OF_RANGE, 0}, /* nor is 2100 */
        {"2026-04-31T00:00:00Z", RFC3339_OUT_OF_RANGE, 0},
        {"2026-13-01T00:00:00Z", RFC3339_OUT_OF_RANGE, 0},
        {"2026-00-10T00:00:00Z", RFC3339_OUT_OF_RANGE, 0},
        {"2026-01-00T00:00:00Z", RFC3339_OUT_OF_RANGE, 0},
        {"2026-01-32T00:00:00Z", RFC3339_OUT_OF_RANGE, 0},
        {"2026-03-28T24:00:00Z", RFC3339_OUT_OF_RANGE, 0},
        {"2026-03-28T10:60:00Z", RFC3339_OUT_OF_RANGE, 0},
        {"2016-12-31T23:59:60Z", RFC3339_OUT_OF_RANGE, 0}, /* leap second */
        {"2026-03-28T10:00:61Z", RFC3339_OUT_OF_RANGE, 0},
        {"1969-12-31T23:59:59Z", RFC3339_OUT_OF_RANGE, 0},
        {"0000-01-01T00:00:00Z", RFC3339_OUT_OF_RANGE, 0},
        {"1970-01-01T00:30:00+01:00", RFC3339_OUT_OF_RANGE, 0}, /* before the epoch */
        {"9999-12-31T23:59:59-00:01", RFC3339_OUT_OF_RANGE, 0}, /* after 9999 */
        /* offsets */
        {"2026-03-28T10:00:00+24:00", RFC3339_OUT_OF_RANGE, 0},
        {"2026-03-28T10:00:00-24:00", RFC3339_OUT_OF_RANGE, 0},
        {"2026-03-28T10:00:00+01:60", RFC3339_OUT_OF_RANGE, 0},
        {"2026-03-28T10:00:00+0100", RFC3339_BAD_SYNTAX, 0},
        {"2026-03-28T10:00:00+01", RFC3339_BAD_SYNTAX, 0},
        {"2026-03-28T10:00:00+1:00", RFC3339_BAD_SYNTAX, 0},
        {"2026-03-28T10:00:00+", RFC3339_BAD_SYNTAX, 0},
        {"2026-03-28T10:00:00 +01:00", RFC3339_BAD_SYNTAX, 0},
        {"2026-03-28T10:00:00UTC", RFC3339_BAD_SYNTAX, 0},
        /* trailing garbage, blanks */
        {"2026-03-28T10:00:00Zjunk", RFC3339_BAD_SYNTAX, 0},
        {"2026-03-28T10:00:00Z ", RFC3339_BAD_SYNTAX, 0},
        {"2026-03-28T10:00:00+01:00:00", RFC3339_BAD_SYNTAX, 0},
        {"2026-03-28T10:00:00ZZ", RFC3339_BAD_SYNTAX, 0},
        {" 2026-03-28T10:00:00Z", RFC3339_BAD_SYNTAX, 0},
        /* fractions */
        {"2026-03-28T10:00:00.1234567890Z", RFC3339_BAD_SYNTAX, 0}, /* 10 digits */
        {"2026-03-28T10:00:00.12345678901234567890Z", RFC3339_BAD_SYNTAX, 0},
        {"2026-03-28T10:00:00.Z", RFC3339_BAD_SYNTAX, 0},
        {"2026-03-28T10:00:00,5Z", RFC3339_BAD_SYNTAX, 0},
        /* shape */
        {"2026-03-28 10:00:00Z", RFC3339_BAD_SYNTAX, 0},
        {"2026-03-28", RFC3339_BAD_SYNTAX, 0},
        {"2026-03-28T10:00Z", RFC3339_BAD_SYNTAX, 0},
        {"2026-3-28T10:00:00Z", RFC3339_BAD_SYNTAX, 0},
        {"26-03-28T10:00:00Z", RFC3339_BAD_SYNTAX, 0},
        {"10000-01-01T00:00:00Z", RFC3339_BAD_SYNTAX, 0},
        {"+2026-03-28T10:00:00Z", RFC3339_BAD_SYNTAX, 0},
        {"2026/03/28T10:00:00Z", RFC3339_BAD_SYNTAX, 0},
        {"2026-03-28T1O:00:00Z", RFC3339_BAD_SYNTAX, 0},
        {"2026-03-28X10:00:00Z", RFC3339_BAD_SYNTAX, 0},
        {"1774688400", RFC3339_BAD_SYNTAX, 0},
        {"T", RFC3339_BAD_SYNTAX, 0},
    };

    check_parse_cases(cases, RELAY_ARRAY_LEN(cases), rfc3339_parse);
}

static void test_rfc3339_embedded_nul_and_validate_only(void **state)
{
    const char with_nul[] = "2026-03-28T10:00:00Z\0garbage";

    /* a C string ends at its NUL: what follows is not looked at */
    assert_int_equal(rfc3339_parse(with_nul, NULL), RFC3339_OK);
    /* NULL output: validation only */
    assert_int_equal(rfc3339_parse("2026-03-28T10:00:00+01:00", NULL), RFC3339_OK);
    assert_int_equal(rfc3339_parse("2026-02-29T00:00:00Z", NULL), RFC3339_OUT_OF_RANGE);
}

static void test_rfc3339_error_names(void **state)
{
    assert_string_equal(rfc3339_error_name(RFC3339_OK), "ok");
    assert_string_equal(rfc3339_error_name(RFC3339_EMPTY), "empty");
    assert_string_equal(rfc3339_error_name(RFC3339_BAD_SYNTAX), "bad_syntax");
    assert_string_equal(rfc3339_error_name(RFC3339_NO_OFFSET), "no_offset");
    assert_string_equal(rfc3339_error_name(RFC3339_OUT_OF_RANGE), "out_of_range");
    assert_null(rfc3339_error_name((enum rfc3339_error)99));
}

static void test_format_utc(void **state)
{
    char out[TIMEUTIL_UTC_SIZE];
    char small[TIMEUTIL_UTC_SIZE - 1];

    assert_int_equal(rfc3339_format_utc(T_2026_03_30_0900Z, out, sizeof(out)), 0);
    assert_string_equal(out, "2026-03-30T09:00:00Z");
    assert_int_equal(strlen(out), 20);
    assert_int_equal(rfc3339_format_utc(0, out, sizeof(out)), 0);
    assert_string_equal(out, "1970-01-01T00:00:00Z");
    assert_int_equal(rfc3339_format_utc(TIMEUTIL_TIME_MAX, out, sizeof(out)), 0);
    assert_string_equal(out, "9999-12-31T23:59:59Z");

    memset(small, 'x', sizeof(small));
    assert_int_equal(rfc3339_format_utc(T_2026_03_30_0900Z, small, sizeof(small)), -1);
    assert_string_equal(small, "");
    assert_int_equal(rfc3339_format_utc(-1, out, sizeof(out)), -1);
    assert_string_equal(out, "");
    assert_int_equal(rfc3339_format_utc(TIMEUTIL_TIME_MAX + 1, out, sizeof(out)), -1);
    assert_int_equal(rfc3339_format_utc(INT64_MIN, out, sizeof(out)), -1);
    assert_int_equal(rfc3339_format_utc(INT64_MAX, out, sizeof(out)), -1);
    assert_int_equal(rfc3339_format_utc(0, NULL, 0), -1);
    assert_int_equal(rfc3339_format_utc(0, out, 0), -1);
}

/* Every ~37 days and an odd number of seconds from 1970 to 9999, plus every
 * day from 1970 to 2110: format matches gmtime_r and parses back. */
static void test_format_parse_sweep_against_gmtime(void **state)
{
    char got[TIMEUTIL_UTC_SIZE], want[64];
    int64_t back;
    long n = 0;

    for (int64_t t = 0; t <= TIMEUTIL_TIME_MAX; t += INT64_C(86400) * 37 + 3607, n++) {
        oracle_utc(t, want, sizeof(want));
        assert_int_equal(rfc3339_format_utc(t, got, sizeof(got)), 0);
        assert_string_equal(got, want);
        assert_int_equal(rfc3339_parse(got, &back), RFC3339_OK);
        assert_int_equal(back, t);
    }
    for (int64_t t = 86399; t < INT64_C(86400) * 51500; t += 86400, n++) {
        oracle_utc(t, want, sizeof(want));
        assert_int_equal(rfc3339_format_utc(t, got, sizeof(got)), 0);
        assert_string_equal(got, want);
        assert_int_equal(rfc3339_parse(got, &back), RFC3339_OK);
        assert_int_equal(back, t);
    }
    assert_true(n > 100000);
}

/* ---- Europe/Paris ---- */

struct switches {
    int year;
    int64_t spring; /* 01:00 UTC, last Sunday of March */
    int64_t autumn; /* 01:00 UTC, last Sunday of October */
};

static void check_switch(int64_t spring, int64_t autumn)
{
    assert_int_equal(paris_offset_seconds(spring - 1), 3600);
    assert_int_equal(paris_offset_seconds(spring), 7200);
    assert_int_equal(paris_offset_seconds(spring + 1), 7200);
    assert_int_equal(paris_offset_seconds(autumn - 1), 7200);
    assert_int_equal(paris_offset_seconds(autumn), 3600);
    assert_int_equal(paris_offset_seconds(autumn + 1), 3600);
}

static void test_paris_switch_instants(void **state)
{
    /* checked with `date -u -d ... +%s` */
    const struct switches known[] = {
        {2024, INT64_C(1711846800), INT64_C(1729990800)}, /* 31 March, 27 October */
        {2025, INT64_C(1743296400), INT64_C(1761440400)}, /* 30 March, 26 October */
        {2026, T_2026_03_29_0100Z, T_2026_10_25_0100Z},   /* 29 March, 25 October */
        {2027, INT64_C(1806195600), INT64_C(1824944400)}, /* 28 March, 31 October */
    };

    for (size_t i = 0; i < RELAY_ARRAY_LEN(known); i++) {
        assert_int_equal(known[i].spring, oracle_last_sunday_0100(known[i].year, 3));
        assert_int_equal(known[i].autumn, oracle_last_sunday_0100(known[i].year, 10));
        check_switch(known[i].spring, known[i].autumn);
    }
    /* every year of the EU rule against the walking oracle */
    for (int y = 1996; y <= 2200; y++)
        check_switch(oracle_last_sunday_0100(y, 3), oracle_last_sunday_0100(y, 10));
    for (int y = 9990; y <= 9999; y++)
        check_switch(oracle_last_sunday_0100(y, 3), oracle_last_sunday_0100(y, 10));

    /* plain winter and summer, New Year on both sides */
    assert_int_equal(paris_offset_seconds(0), 3600);
    assert_int_equal(paris_offset_seconds(oracle_timegm(2026, 1, 1, 0, 0, 0)), 3600);
    assert_int_equal(paris_offset_seconds(oracle_timegm(2025, 12, 31, 23, 59, 59)), 3600);
    assert_int_equal(paris_offset_seconds(oracle_timegm(2026, 7, 14, 12, 0, 0)), 7200);
    assert_int_equal(paris_offset_seconds(TIMEUTIL_TIME_MAX), 3600);
    /* outside the supported range: standard time, no crash */
    assert_int_equal(paris_offset_seconds(-1), 3600);
    assert_int_equal(paris_offset_seconds(INT64_MIN), 3600);
    assert_int_equal(paris_offset_seconds(INT64_MAX), 3600);
}

static void test_paris_format_deadlines_across_switches(void **state)
{
    char out[TIMEUTIL_DISPLAY_SIZE], iso[TIMEUTIL_ISO_SIZE], utc[TIMEUTIL_UTC_SIZE];
    int64_t start;

    /* executed 28 March 2026 10:00 Paris; clocks move forward on 29 March */
    assert_int_equal(rfc3339_parse("2026-03-28T10:00:00+01:00", &start), RFC3339_OK);
    assert_int_equal(paris_format(start, "fr", out, sizeof(out)), 0);
    assert_string_equal(out, "28 mars 2026 à 10:00");
    assert_int_equal(rfc3339_format_utc(start + WINDOW_48H, utc, sizeof(utc)), 0);
    assert_string_equal(utc, "2026-03-30T09:00:00Z");
    assert_int_equal(paris_format(start + WINDOW_48H, "fr", out, sizeof(out)), 0);
    assert_string_equal(out, "30 mars 2026 à 11:00");
    assert_int_equal(paris_format(start + WINDOW_48H, "en", out, sizeof(out)), 0);
    assert_string_equal(out, "30 March 2026 at 11:00");
    assert_int_equal(paris_format_iso(start + WINDOW_48H, iso, sizeof(iso)), 0);
    assert_string_equal(iso, "2026-03-30T11:00:00+02:00");

    /* executed 24 October 2026 10:00 Paris; clocks go back on 25 October */
    assert_int_equal(rfc3339_parse("2026-10-24T10:00:00+02:00", &start), RFC3339_OK);
    assert_int_equal(start, T_2026_10_24_0800Z);
    assert_int_equal(rfc3339_format_utc(start + WINDOW_48H, utc, sizeof(utc)), 0);
    assert_string_equal(utc, "2026-10-26T08:00:00Z");
    assert_int_equal(paris_format(start + WINDOW_48H, "fr", out, sizeof(out)), 0);
    assert_string_equal(out, "26 octobre 2026 à 09:00");
    assert_int_equal(paris_format(start + WINDOW_48H, "en", out, sizeof(out)), 0);
    assert_string_equal(out, "26 October 2026 at 09:00");
    assert_int_equal(paris_format_iso(start + WINDOW_48H, iso, sizeof(iso)), 0);
    assert_string_equal(iso, "2026-10-26T09:00:00+01:00");
}

static void test_paris_format_around_switches(void **state)
{
    char out[TIMEUTIL_DISPLAY_SIZE], iso[TIMEUTIL_ISO_SIZE];

    /* spring: 01:59:59 CET is followed by 03:00:00 CEST */
    assert_int_equal(paris_format(T_2026_03_29_0100Z - 1, "fr", out, sizeof(out)), 0);
    assert_string_equal(out, "29 mars 2026 à 01:59");
    assert_int_equal(paris_format_iso(T_2026_03_29_0100Z - 1, iso, sizeof(iso)), 0);
    assert_string_equal(iso, "2026-03-29T01:59:59+01:00");
    assert_int_equal(paris_format(T_2026_03_29_0100Z, "fr", out, sizeof(out)), 0);
    assert_string_equal(out, "29 mars 2026 à 03:00");
    assert_int_equal(paris_format_iso(T_2026_03_29_0100Z, iso, sizeof(iso)), 0);
    assert_string_equal(iso, "2026-03-29T03:00:00+02:00");

    /* autumn: 02:30 happens twice, the offset tells them apart */
    assert_int_equal(paris_format(T_2026_10_25_0100Z - 1800, "fr", out, sizeof(out)), 0);
    assert_string_equal(out, "25 octobre 2026 à 02:30");
    assert_int_equal(paris_format_iso(T_2026_10_25_0100Z - 1800, iso, sizeof(iso)), 0);
    assert_string_equal(iso, "2026-10-25T02:30:00+02:00");
    assert_int_equal(paris_format(T_2026_10_25_0100Z + 1800, "fr", out, sizeof(out)), 0);
    assert_string_equal(out, "25 octobre 2026 à 02:30");
    assert_int_equal(paris_format_iso(T_2026_10_25_0100Z + 1800, iso, sizeof(iso)), 0);
    assert_string_equal(iso, "2026-10-25T02:30:00+01:00");

    /* New Year's Eve in UTC is already New Year in Paris */
    assert_int_equal(paris_format(oracle_timegm(2026, 12, 31, 23, 30, 0), "fr", out, sizeof(out)),
                     0);
    assert_string_equal(out, "1 janvier 2027 à 00:30");
}

static void test_paris_format_names_and_langs(void **state)
{
    static const char *const want_fr[12] = {
        "15 janvier 2026 à 13:00", "15 février 2026 à 13:00",  "15 mars 2026 à 13:00",
        "15 avril 2026 à 14:00",   "15 mai 2026 à 14:00",      "15 juin 2026 à 14:00",
        "15 juillet 2026 à 14:00", "15 août 2026 à 14:00",     "15 septembre 2026 à 14:00",
        "15 octobre 2026 à 14:00", "15 novembre 2026 à 13:00", "15 décembre 2026 à 13:00",
    };
    static const char *const want_en[12] = {
        "15 January 2026 at 13:00", "15 February 2026 at 13:00", "15 March 2026 at 13:00",
        "15 April 2026 at 14:00",   "15 May 2026 at 14:00",      "15 June 2026 at 14:00",
        "15 July 2026 at 14:00",    "15 August 2026 at 14:00",   "15 September 2026 at 14:00",
        "15 October 2026 at 14:00", "15 November 2026 at 13:00", "15 December 2026 at 13:00",
    };
    char out[TIMEUTIL_DISPLAY_SIZE];
    char tiny[8];
    int64_t jan9 = INT64_C(1767942300); /* 2026-01-09T07:05:00Z */

    for (int m = 1; m <= 12; m++) {
        int64_t t = oracle_timegm(2026, m, 15, 12, 0, 0);

        assert_int_equal(paris_format(t, "fr", out, sizeof(out)), 0);
        assert_string_equal(out, want_fr[m - 1]);
        assert_int_equal(paris_format(t, "en", out, sizeof(out)), 0);
        assert_string_equal(out, want_en[m - 1]);
    }

    /* no leading zero on the day, one on the hours; seconds dropped */
    assert_int_equal(paris_format(jan9, "fr", out, sizeof(out)), 0);
    assert_string_equal(out, "9 janvier 2026 à 08:05");
    assert_int_equal(paris_format(jan9 + 59, "fr", out, sizeof(out)), 0);
    assert_string_equal(out, "9 janvier 2026 à 08:05");
    /* "à" is UTF-8 */
    assert_non_null(strstr(out, "\xc3\xa0"));

    /* languages */
    assert_int_equal(paris_format(jan9, NULL, out, sizeof(out)), 0);
    assert_string_equal(out, "9 janvier 2026 à 08:05");
    assert_int_equal(paris_format(jan9, "de", out, sizeof(out)), 0);
    assert_string_equal(out, "9 janvier 2026 à 08:05");
    assert_int_equal(paris_format(jan9, "", out, sizeof(out)), 0);
    assert_string_equal(out, "9 janvier 2026 à 08:05");
    assert_int_equal(paris_format(jan9, "fr-FR", out, sizeof(out)), 0);
    assert_string_equal(out, "9 janvier 2026 à 08:05");
    assert_int_equal(paris_format(jan9, "e", out, sizeof(out)), 0);
    assert_string_equal(out, "9 janvier 2026 à 08:05");
    assert_int_equal(paris_format(jan9, "eng", out, sizeof(out)), 0);
    assert_string_equal(out, "9 janvier 2026 à 08:05");
    assert_int_equal(paris_format(jan9, "EN", out, sizeof(out)), 0);
    assert_string_equal(out, "9 January 2026 at 08:05");
    assert_int_equal(paris_format(jan9, "en-GB", out, sizeof(out)), 0);
    assert_string_equal(out, "9 January 2026 at 08:05");
    assert_int_equal(paris_format(jan9, "en_US", out, sizeof(out)), 0);
    assert_string_equal(out, "9 January 2026 at 08:05");

    /* the longest French month name fits the documented size */
    assert_int_equal(paris_format(oracle_timegm(9999, 9, 30, 12, 0, 0), "fr", out, sizeof(out)), 0);
    assert_string_equal(out, "30 septembre 9999 à 14:00");

    /* failures */
    memset(tiny, 'x', sizeof(tiny));
    assert_int_equal(paris_format(jan9, "fr", tiny, sizeof(tiny)), -1);
    assert_string_equal(tiny, "");
    assert_int_equal(paris_format(jan9, "fr", NULL, 0), -1);
    assert_int_equal(paris_format(-1, "fr", out, sizeof(out)), -1);
    /* local time would be in year 10000 */
    assert_int_equal(paris_format(TIMEUTIL_TIME_MAX, "fr", out, sizeof(out)), -1);
    assert_int_equal(paris_format_iso(TIMEUTIL_TIME_MAX, out, sizeof(out)), -1);
    assert_int_equal(paris_format_iso(jan9, tiny, sizeof(tiny)), -1);
    assert_int_equal(paris_format_iso(jan9, out, sizeof(out)), 0);
    assert_string_equal(out, "2026-01-09T08:05:00+01:00");
}

/* ---- the web form's wall time ---- */

static void test_localtime_paris_parse(void **state)
{
    const struct parse_case cases[] = {
        /* ordinary winter and summer */
        {"2026-03-28T10:00", RFC3339_OK, T_2026_03_28_0900Z},
        {"2026-03-28T10:00:00", RFC3339_OK, T_2026_03_28_0900Z},
        {"2026-03-28T10:00:15", RFC3339_OK, T_2026_03_28_0900Z + 15},
        {"2026-03-28T10:00:15.750", RFC3339_OK, T_2026_03_28_0900Z + 15},
        {"2026-03-28t10:00", RFC3339_OK, T_2026_03_28_0900Z},
        {"2026-03-28 10:00", RFC3339_OK, T_2026_03_28_0900Z},
        {"2026-10-24T10:00", RFC3339_OK, T_2026_10_24_0800Z},
        /* spring: 01:59 CET, the gap 02:00..02:59 read as CET (shifted forward), 03:00 CEST */
        {"2026-03-29T01:59", RFC3339_OK, T_2026_03_29_0100Z - 60},
        {"2026-03-29T01:59:59", RFC3339_OK, T_2026_03_29_0100Z - 1},
        {"2026-03-29T02:00", RFC3339_OK, T_2026_03_29_0100Z},
        {"2026-03-29T02:30", RFC3339_OK, T_2026_03_29_0100Z + 1800}, /* = 03:30 CEST */
        {"2026-03-29T02:59:59", RFC3339_OK, T_2026_03_29_0100Z + 3599},
        {"2026-03-29T03:00", RFC3339_OK, T_2026_03_29_0100Z},
        {"2026-03-29T03:30", RFC3339_OK, T_2026_03_29_0100Z + 1800},
        {"2026-03-29T04:00", RFC3339_OK, T_2026_03_29_0100Z + 3600},
        /* autumn: 02:00..02:59 happens twice, the earlier (CEST) is taken */
        {"2026-10-25T01:59", RFC3339_OK, T_2026_10_25_0100Z - 3600 - 60},
        {"2026-10-25T02:00", RFC3339_OK, T_2026_10_25_0100Z - 3600},
        {"2026-10-25T02:30", RFC3339_OK, T_2026_10_25_0100Z - 1800},
        {"2026-10-25T02:59:59", RFC3339_OK, T_2026_10_25_0100Z - 1},
        {"2026-10-25T03:00", RFC3339_OK, T_2026_10_25_0100Z + 3600},
        /* other years' switches */
        {"2027-03-28T02:30", RFC3339_OK, INT64_C(1806195600) + 1800},
        {"2027-10-31T02:30", RFC3339_OK, INT64_C(1824944400) - 1800},
        {"2024-03-31T02:30", RFC3339_OK, INT64_C(1711846800) + 1800},
        {"2025-10-26T02:30", RFC3339_OK, INT64_C(1761440400) - 1800},
        /* bounds */
        {"1970-01-01T01:00", RFC3339_OK, 0},
        {"1970-01-01T00:59", RFC3339_OUT_OF_RANGE, 0},
        {"9999-12-31T23:59:59", RFC3339_OK, TIMEUTIL_TIME_MAX - 3600},
        /* rejections */
        {NULL, RFC3339_EMPTY, 0},
        {"", RFC3339_EMPTY, 0},
        {"2026-03-28T10:00Z", RFC3339_BAD_SYNTAX, 0},
        {"2026-03-28T10:00:00Z", RFC3339_BAD_SYNTAX, 0},
        {"2026-03-28T10:00:00+01:00", RFC3339_BAD_SYNTAX, 0},
        {"2026-03-28T10", RFC3339_BAD_SYNTAX, 0},
        {"2026-03-28T10:0", RFC3339_BAD_SYNTAX, 0},
        {"2026-03-28T10:00:", RFC3339_BAD_SYNTAX, 0},
        {"2026-03-28T10:00.5", RFC3339_BAD_SYNTAX, 0}, /* fraction needs seconds */
        {"2026-03-28T10:00:00.1234567890", RFC3339_BAD_SYNTAX, 0},
        {"2026-03-28", RFC3339_BAD_SYNTAX, 0},
        {"28/03/2026 10:00", RFC3339_BAD_SYNTAX, 0},
        {"2026-03-28T10:00 ", RFC3339_BAD_SYNTAX, 0},
        {"2026-03-28X10:00", RFC3339_BAD_SYNTAX, 0},
        {"2026-03-28T24:00", RFC3339_OUT_OF_RANGE, 0},
        {"2026-03-28T10:60", RFC3339_OUT_OF_RANGE, 0},
        {"2026-03-28T10:00:60", RFC3339_OUT_OF_RANGE, 0},
        {"2026-02-29T10:00", RFC3339_OUT_OF_RANGE, 0},
        {"2028-02-29T10:00", RFC3339_OK, oracle_timegm(2028, 2, 29, 9, 0, 0)},
        {"1969-12-31T23:00", RFC3339_OUT_OF_RANGE, 0},
    };

    check_parse_cases(cases, RELAY_ARRAY_LEN(cases), localtime_paris_parse);
}

/* Every quarter of an hour of 2026 and 2027: the Paris wall time printed
 * with its offset, read back as wall time, gives the instant again, except
 * in the second (CET) pass of the autumn overlap, which reads as the first. */
static void test_localtime_roundtrip(void **state)
{
    int64_t from = oracle_timegm(2026, 1, 1, 0, 0, 0);
    int64_t until = oracle_timegm(2028, 1, 1, 0, 0, 0);
    int64_t autumns[2] = {T_2026_10_25_0100Z, INT64_C(1824944400)};
    char iso[TIMEUTIL_ISO_SIZE];
    int shifted = 0;

    for (int64_t t = from; t < until; t += 900) {
        int64_t back;
        int in_second_pass = 0;

        assert_int_equal(paris_format_iso(t, iso, sizeof(iso)), 0);
        iso[19] = '\0'; /* drop the offset */
        assert_int_equal(localtime_paris_parse(iso, &back), RFC3339_OK);
        for (int i = 0; i < 2; i++)
            in_second_pass |= t >= autumns[i] && t < autumns[i] + 3600;
        if (in_second_pass) {
            assert_int_equal(back, t - 3600);
            shifted++;
        } else {
            assert_int_equal(back, t);
        }
    }
    assert_int_equal(shifted, 8);
}

/* ---- durations ---- */

static void test_duration_format(void **state)
{
    struct {
        int64_t s;
        const char *fr;
        const char *en;
    } cases[] = {
        {INT64_MIN, "dépassé", "passed"},
        {-3600, "dépassé", "passed"},
        {-1, "dépassé", "passed"},
        {0, "dépassé", "passed"},
        {1, "moins d'une minute", "less than a minute"},
        {59, "moins d'une minute", "less than a minute"},
        {60, "1 min", "1 min"},
        {119, "1 min", "1 min"},
        {12 * 60 + 30, "12 min", "12 min"},
        {3599, "59 min", "59 min"},
        {3600, "1 h", "1 h"},
        {3660, "1 h 1 min", "1 h 1 min"},
        {6 * 3600, "6 h", "6 h"},
        {47 * 3600 + 59 * 60 + 59, "47 h 59 min", "47 h 59 min"},
        {48 * 3600, "48 h", "48 h"},
        {30 * 86400, "720 h", "720 h"},
        {INT64_MAX, "2562047788015215 h 30 min", "2562047788015215 h 30 min"},
    };
    char out[TIMEUTIL_DURATION_SIZE];
    char tiny[5];

    for (size_t i = 0; i < RELAY_ARRAY_LEN(cases); i++) {
        assert_int_equal(duration_format(cases[i].s, "fr", out, sizeof(out)), 0);
        assert_string_equal(out, cases[i].fr);
        assert_int_equal(duration_format(cases[i].s, "en", out, sizeof(out)), 0);
        assert_string_equal(out, cases[i].en);
        assert_int_equal(duration_format(cases[i].s, "xx", out, sizeof(out)), 0);
        assert_string_equal(out, cases[i].fr);
    }
    assert_int_equal(duration_format(-5, NULL, out, sizeof(out)), 0);
    assert_string_equal(out, "d\xc3\xa9pass\xc3\xa9");

    memset(tiny, 'x', sizeof(tiny));
    assert_int_equal(duration_format(3600 * 47, "fr", tiny, sizeof(tiny)), 0);
    assert_string_equal(tiny, "47 h");
    assert_int_equal(duration_format(3600 * 47 + 60, "fr", tiny, sizeof(tiny)), -1);
    assert_string_equal(tiny, "");
    assert_int_equal(duration_format(1, "fr", tiny, sizeof(tiny)), -1);
    assert_int_equal(duration_format(1, "fr", NULL, 0), -1);
    assert_int_equal(duration_format(1, "fr", out, 0), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc3339_valid),
        cmocka_unit_test(test_rfc3339_rejections),
        cmocka_unit_test(test_rfc3339_embedded_nul_and_validate_only),
        cmocka_unit_test(test_rfc3339_error_names),
        cmocka_unit_test(test_format_utc),
        cmocka_unit_test(test_format_parse_sweep_against_gmtime),
        cmocka_unit_test(test_paris_switch_instants),
        cmocka_unit_test(test_paris_format_deadlines_across_switches),
        cmocka_unit_test(test_paris_format_around_switches),
        cmocka_unit_test(test_paris_format_names_and_langs),
        cmocka_unit_test(test_localtime_paris_parse),
        cmocka_unit_test(test_localtime_roundtrip),
        cmocka_unit_test(test_duration_format),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
