/*
 * test_cases_api.c — unit tests of the pure part of relay/cases_api.c: the
 * opaque cursor of GET /v1/cases (round trip, canonical form only).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "cases_api.h"

static void test_round_trip(void **state)
{
    (void)state;
    const int64_t values[][2] = {{0, 0},
                                 {1774688400, 1},
                                 {1774688400, 123456789},
                                 {253402300799, INT64_C(999999999999999999)},
                                 {7, 42}};
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        char cur[CASES_CURSOR_SIZE + 1];
        assert_int_equal(cases_cursor_encode(values[i][0], values[i][1], cur, sizeof(cur)), 0);
        for (const char *p = cur; *p; p++)
            assert_non_null(
                strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", *p));
        int64_t d = -1, id = -1;
        assert_int_equal(cases_cursor_decode(cur, &d, &id), 0);
        assert_int_equal(d, values[i][0]);
        assert_int_equal(id, values[i][1]);
    }
    char small[4];
    assert_int_equal(cases_cursor_encode(1774688400, 1, small, sizeof(small)), -1);
}

static void test_refused(void **state)
{
    (void)state;
    int64_t d, id;
    char cur[CASES_CURSOR_SIZE + 1];
    assert_int_equal(cases_cursor_encode(1774688400, 12, cur, sizeof(cur)), 0);
    /* not base64url, padding, truncated, other text, non-canonical */
    const char *bad[] = {
        NULL,     "",       "x",      "MTc3NDY4ODQwMC4xMg==", "MTc3NDY4ODQw", "YWJj", "LjE", "MS4",
        "MS4x+A", "MDEuMQ", "LTEuMQ", "MTc3NDY4ODQwMC4xMgA",  "MS4xLjE"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (cases_cursor_decode(bad[i], &d, &id) == 0)
            fail_msg("cursor accepted: %s", bad[i] ? bad[i] : "(null)");
    }
    /* one character changed */
    cur[3] = cur[3] == 'A' ? 'B' : 'A';
    if (cases_cursor_decode(cur, &d, &id) == 0 && d == 1774688400 && id == 12)
        fail_msg("a changed cursor decoded to the same position");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
