/*
 * fuzz_rfc3339.c — libFuzzer target of relay/timeutil.c's parsers: the same
 * input (up to its first NUL) through rfc3339_parse and
 * localtime_paris_parse.
 *
 * Invariants (abort() when broken):
 * - a parsed instant lies within TIMEUTIL_TIME_MIN..TIMEUTIL_TIME_MAX, and
 *   the NULL output (validate only) gives the same answer;
 * - round trip: rfc3339_format_utc of it parses back to the same instant,
 *   and so does paris_format_iso when the Paris wall time is in range;
 * - the error is one of the enum (rfc3339_error_name is not NULL), and
 *   localtime_paris_parse never says RFC3339_NO_OFFSET;
 * - the canonical UTC form is a fixed point;
 * - duration_format of the input's first 8 bytes, as any int64_t, fits
 *   TIMEUTIL_DURATION_SIZE in both languages.
 */
#include <string.h>

#include "fuzz.h"
#include "timeutil.h"

static void check_instant(int64_t t)
{
    char utc[TIMEUTIL_UTC_SIZE];
    char again[TIMEUTIL_UTC_SIZE];
    char iso[TIMEUTIL_ISO_SIZE];
    char display[TIMEUTIL_DISPLAY_SIZE];
    int64_t back = -1;

    FUZZ_CHECK(t >= TIMEUTIL_TIME_MIN && t <= TIMEUTIL_TIME_MAX);
    FUZZ_CHECK(rfc3339_format_utc(t, utc, sizeof(utc)) == 0);
    FUZZ_CHECK(rfc3339_parse(utc, &back) == RFC3339_OK);
    if (back != t) {
        fprintf(stderr, "%lld -> \"%s\" -> %lld\n", (long long)t, utc, (long long)back);
    }
    FUZZ_CHECK(back == t);
    FUZZ_CHECK(rfc3339_format_utc(back, again, sizeof(again)) == 0 && strcmp(utc, again) == 0);
    /* Paris wall time of an instant near either end may fall outside the range. */
    if (paris_format_iso(t, iso, sizeof(iso)) == 0) {
        back = -1;
        FUZZ_CHECK(rfc3339_parse(iso, &back) == RFC3339_OK);
        if (back != t) {
            fprintf(stderr, "%lld -> \"%s\" -> %lld\n", (long long)t, iso, (long long)back);
        }
        FUZZ_CHECK(back == t);
    }
    (void)paris_format(t, "fr", display, sizeof(display));
    (void)paris_format(t, "en", display, sizeof(display));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstr(data, size);
    int64_t t = -1;
    enum rfc3339_error e = rfc3339_parse(s, &t);

    FUZZ_CHECK(rfc3339_error_name(e) != NULL);
    FUZZ_CHECK(rfc3339_parse(s, NULL) == e);
    if (e == RFC3339_OK) {
        check_instant(t);
    } else {
        FUZZ_CHECK(t == -1); /* written only on success */
    }

    t = -1;
    e = localtime_paris_parse(s, &t);
    FUZZ_CHECK(rfc3339_error_name(e) != NULL && e != RFC3339_NO_OFFSET);
    FUZZ_CHECK(localtime_paris_parse(s, NULL) == e);
    if (e == RFC3339_OK) {
        check_instant(t);
    } else {
        FUZZ_CHECK(t == -1);
    }

    if (size >= sizeof(int64_t)) {
        char text[TIMEUTIL_DURATION_SIZE];
        int64_t v;

        memcpy(&v, data, sizeof(v));
        FUZZ_CHECK(duration_format(v, "fr", text, sizeof(text)) == 0);
        FUZZ_CHECK(duration_format(v, "en", text, sizeof(text)) == 0);
    }
    free(s);
    return 0;
}
