/*
 * test_retry.c — unit tests of relay/retry.c: classes of answers, backoff
 * with jitter, Retry-After in its four forms, budgets and the deadline.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "retry.h"

#define NOW_S  INT64_C(784111777) /* 1994-11-06T08:49:37Z, RFC 9110's example date */
#define NOW_MS (NOW_S * 1000)

static void test_classify(void **state)
{
    assert_int_equal(retry_classify(200, 0), RETRY_CLASS_SUCCESS);
    assert_int_equal(retry_classify(201, 0), RETRY_CLASS_SUCCESS);
    assert_int_equal(retry_classify(204, 0), RETRY_CLASS_SUCCESS);
    assert_int_equal(retry_classify(299, 0), RETRY_CLASS_SUCCESS);
    assert_int_equal(retry_classify(429, 0), RETRY_CLASS_THROTTLED);
    assert_int_equal(retry_classify(503, 0), RETRY_CLASS_THROTTLED);
    assert_int_equal(retry_classify(410, 0), RETRY_CLASS_GONE);
    assert_int_equal(retry_classify(400, 0), RETRY_CLASS_REJECTED);
    assert_int_equal(retry_classify(401, 0), RETRY_CLASS_REJECTED);
    assert_int_equal(retry_classify(404, 0), RETRY_CLASS_REJECTED);
    assert_int_equal(retry_classify(301, 0), RETRY_CLASS_REJECTED); /* redirects not followed */
    assert_int_equal(retry_classify(302, 0), RETRY_CLASS_REJECTED);
    assert_int_equal(retry_classify(307, 0), RETRY_CLASS_REJECTED);
    assert_int_equal(retry_classify(408, 0), RETRY_CLASS_FAILED);
    assert_int_equal(retry_classify(425, 0), RETRY_CLASS_FAILED);
    assert_int_equal(retry_classify(500, 0), RETRY_CLASS_FAILED);
    assert_int_equal(retry_classify(502, 0), RETRY_CLASS_FAILED);
    assert_int_equal(retry_classify(504, 0), RETRY_CLASS_FAILED);
    assert_int_equal(retry_classify(100, 0), RETRY_CLASS_FAILED);
    assert_int_equal(retry_classify(0, 0), RETRY_CLASS_FAILED);
    assert_int_equal(retry_classify(0, 1), RETRY_CLASS_INSECURE);
    assert_string_equal(retry_class_name(RETRY_CLASS_THROTTLED), "throttled");
    assert_string_equal(retry_class_name(RETRY_CLASS_GONE), "gone");
}

static void test_backoff_bounds(void **state)
{
    struct retry_policy p;
    retry_policy_default(&p);
    /* The first retry comes within 5 s, whatever the draw. */
    const uint32_t draws[] = {0, 1, 12345, 0x7fffffffu, 0x80000000u, 0xfffffffeu, 0xffffffffu};
    for (size_t i = 0; i < sizeof(draws) / sizeof(draws[0]); i++) {
        int64_t d = retry_backoff_ms(&p, 1, draws[i]);
        assert_true(d >= 500 && d <= 1000);
        assert_true(d <= 5000);
    }
    assert_int_equal(retry_backoff_ms(&p, 1, 0), 500);
    assert_int_equal(retry_backoff_ms(&p, 1, 0xffffffffu), 1000);
    /* Doubling: retry n lies in [2^(n-1) / 2, 2^(n-1)] seconds. */
    for (int n = 1; n <= 8; n++) {
        int64_t d = (int64_t)1000 << (n - 1);
        assert_true(retry_backoff_ms(&p, n, 0) >= d / 2);
        assert_true(retry_backoff_ms(&p, n, 0xffffffffu) <= d);
    }
    /* The ceiling holds for any n, far past overflow of a naive shift. */
    for (int n = 10; n < 2000; n += 37) {
        int64_t d = retry_backoff_ms(&p, n, 0xffffffffu);
        assert_int_equal(d, p.cap_ms);
        assert_true(retry_backoff_ms(&p, n, 0) >= p.cap_ms / 2);
    }
    /* Jitter spreads: different draws give different delays. */
    assert_true(retry_backoff_ms(&p, 5, 0) != retry_backoff_ms(&p, 5, 0x90000000u));
    /* A base of 5 s still keeps the first retry within 5 s. */
    p.base_ms = 5000;
    assert_true(retry_backoff_ms(&p, 1, 0xffffffffu) <= 5000);
}

static void test_retry_after(void **state)
{
    int64_t ms = -7;
    assert_int_equal(retry_after_parse("2", NOW_S, &ms), 0);
    assert_int_equal(ms, 2000);
    assert_int_equal(retry_after_parse("  120\t", NOW_S, &ms), 0);
    assert_int_equal(ms, 120000);
    assert_int_equal(retry_after_parse("0", NOW_S, &ms), 0);
    assert_int_equal(ms, 0);
    /* The three HTTP-date forms, 10 s after now. */
    assert_int_equal(retry_after_parse("Sun, 06 Nov 1994 08:49:47 GMT", NOW_S, &ms), 0);
    assert_int_equal(ms, 10000);
    assert_int_equal(retry_after_parse("Sunday, 06-Nov-94 08:49:47 GMT", NOW_S, &ms), 0);
    assert_int_equal(ms, 10000);
    assert_int_equal(retry_after_parse("Sun Nov  6 08:49:47 1994", NOW_S, &ms), 0);
    assert_int_equal(ms, 10000);
    /* A date in the past: now. */
    assert_int_equal(retry_after_parse("Sun, 06 Nov 1994 08:00:00 GMT", NOW_S, &ms), 0);
    assert_int_equal(ms, 0);
    /* A later day, a leap day. */
    assert_int_equal(retry_after_parse("Thu, 29 Feb 1996 00:00:00 GMT", 825552000 - 60, &ms), 0);
    assert_int_equal(ms, 60000);
    /* Malformed: nothing is read. */
    ms = -7;
    const char *bad[] = {NULL,
                         "",
                         "   ",
                         "-1",
                         "1.5",
                         "2s",
                         "12345678901",
                         "Sun, 06 Nov 1994 08:49:37 UTC",
                         "Sun, 6 Nov 1994 08:49:37 GMT",
                         "Sun, 31 Nov 1994 08:49:37 GMT",
                         "Sun, 29 Feb 1995 08:49:37 GMT",
                         "Sun, 06 Nov 1994 25:49:37 GMT",
                         "Sun, 06 Xyz 1994 08:49:37 GMT",
                         "Sunday, 06 Nov 1994 08:49:37 GMT",
                         "Sun Nov 6 08:49:37 1994",
                         "tomorrow"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(retry_after_parse(bad[i], NOW_S, &ms), -1);
    assert_int_equal(ms, -7);
}

static void test_decide_success_and_permanent(void **state)
{
    struct retry_policy p;
    retry_policy_default(&p);
    int64_t deadline = NOW_MS + 3600000;
    struct retry_decision d = retry_decide(&p, RETRY_CLASS_SUCCESS, 1, 0, -1, NOW_MS, deadline, 0);
    assert_int_equal(d.action, RETRY_ACTION_DONE);
    assert_null(d.reason);
    /* Success after the deadline is still success. */
    d = retry_decide(&p, RETRY_CLASS_SUCCESS, 9, 0, -1, deadline + 1, deadline, 0);
    assert_int_equal(d.action, RETRY_ACTION_DONE);

    d = retry_decide(&p, RETRY_CLASS_GONE, 1, 0, -1, NOW_MS, deadline, 0);
    assert_int_equal(d.action, RETRY_ACTION_DISABLE);
    assert_string_equal(d.reason, "endpoint_gone");

    d = retry_decide(&p, RETRY_CLASS_INSECURE, 1, 0, -1, NOW_MS, deadline, 0);
    assert_int_equal(d.action, RETRY_ACTION_GIVE_UP);
    assert_string_equal(d.reason, "insecure_endpoint");
}

static void test_decide_backoff_and_throttle(void **state)
{
    struct retry_policy p;
    retry_policy_default(&p);
    int64_t deadline = NOW_MS + 3600000;
    /* A 500: backoff, first retry within 5 s. */
    struct retry_decision d = retry_decide(&p, RETRY_CLASS_FAILED, 1, 0, -1, NOW_MS, deadline, 0);
    assert_int_equal(d.action, RETRY_ACTION_RETRY);
    assert_true(d.next_at_ms > NOW_MS && d.next_at_ms <= NOW_MS + 5000);
    /* 429 with Retry-After: 2 -> exactly 2 s later, whatever the draw. */
    d = retry_decide(&p, RETRY_CLASS_THROTTLED, 1, 0, 2000, NOW_MS, deadline, 0xffffffffu);
    assert_int_equal(d.action, RETRY_ACTION_RETRY);
    assert_int_equal(d.next_at_ms, NOW_MS + 2000);
    /* Retry-After: 0 is not a busy loop: 1 s at least. */
    d = retry_decide(&p, RETRY_CLASS_THROTTLED, 1, 0, 0, NOW_MS, deadline, 0);
    assert_int_equal(d.next_at_ms, NOW_MS + 1000);
    /* A Retry-After longer than the cap is cut to it. */
    p.retry_after_cap_ms = 60000;
    d = retry_decide(&p, RETRY_CLASS_THROTTLED, 1, 0, 86400000, NOW_MS, deadline, 0);
    assert_int_equal(d.next_at_ms, NOW_MS + 60000);
    /* 503 without Retry-After: the backoff. */
    d = retry_decide(&p, RETRY_CLASS_THROTTLED, 3, 0, -1, NOW_MS, deadline, 0);
    assert_int_equal(d.next_at_ms, NOW_MS + 2000); /* [2 s, 4 s] at draw 0 */
    /* Retry-After is not honoured on a 500. */
    d = retry_decide(&p, RETRY_CLASS_FAILED, 1, 0, 30000, NOW_MS, deadline, 0);
    assert_int_equal(d.next_at_ms, NOW_MS + 500);
}

static void test_decide_deadline_and_budgets(void **state)
{
    struct retry_policy p;
    retry_policy_default(&p);
    /* The next try would come after the deadline: given up now. */
    struct retry_decision d =
        retry_decide(&p, RETRY_CLASS_FAILED, 1, 0, -1, NOW_MS, NOW_MS + 400, 0);
    assert_int_equal(d.action, RETRY_ACTION_GIVE_UP);
    assert_string_equal(d.reason, "deadline_reached");
    d = retry_decide(&p, RETRY_CLASS_THROTTLED, 1, 0, 5000, NOW_MS, NOW_MS + 5000, 0);
    assert_string_equal(d.reason, "deadline_reached");
    d = retry_decide(&p, RETRY_CLASS_THROTTLED, 1, 0, 5000, NOW_MS, NOW_MS + 5001, 0);
    assert_int_equal(d.action, RETRY_ACTION_RETRY);
    /* Past the deadline already. */
    d = retry_decide(&p, RETRY_CLASS_FAILED, 4, 0, -1, NOW_MS, NOW_MS - 1, 0);
    assert_string_equal(d.reason, "deadline_reached");
    /* The attempts budget. */
    p.max_attempts = 3;
    d = retry_decide(&p, RETRY_CLASS_FAILED, 2, 0, -1, NOW_MS, NOW_MS + 3600000, 0);
    assert_int_equal(d.action, RETRY_ACTION_RETRY);
    d = retry_decide(&p, RETRY_CLASS_FAILED, 3, 0, -1, NOW_MS, NOW_MS + 3600000, 0);
    assert_int_equal(d.action, RETRY_ACTION_GIVE_UP);
    assert_string_equal(d.reason, "retry_budget");
    /* The rejects budget comes first. */
    p.max_attempts = 1000;
    p.max_rejects = 2;
    d = retry_decide(&p, RETRY_CLASS_REJECTED, 1, 1, -1, NOW_MS, NOW_MS + 3600000, 0);
    assert_int_equal(d.action, RETRY_ACTION_RETRY);
    d = retry_decide(&p, RETRY_CLASS_REJECTED, 5, 2, -1, NOW_MS, NOW_MS + 3600000, 0);
    assert_int_equal(d.action, RETRY_ACTION_GIVE_UP);
    assert_string_equal(d.reason, "rejected");
    p.max_attempts = 5;
    d = retry_decide(&p, RETRY_CLASS_REJECTED, 5, 2, -1, NOW_MS, NOW_MS + 3600000, 0);
    assert_string_equal(d.reason, "rejected");
}

/* The delays a whole schedule takes: growing, capped, jittered. */
static void test_schedule(void **state)
{
    struct retry_policy p;
    retry_policy_default(&p);
    int64_t now = NOW_MS, deadline = NOW_MS + INT64_C(48) * 3600 * 1000;
    int attempts = 0;
    uint32_t rnd = 2463534242u;
    int64_t prev_delay = 0;
    for (;;) {
        attempts++;
        rnd ^= rnd << 13;
        rnd ^= rnd >> 17;
        rnd ^= rnd << 5;
        struct retry_decision d =
            retry_decide(&p, RETRY_CLASS_FAILED, attempts, 0, -1, now, deadline, rnd);
        if (d.action != RETRY_ACTION_RETRY) {
            assert_string_equal(d.reason, "deadline_reached");
            break;
        }
        int64_t delay = d.next_at_ms - now;
        assert_true(delay <= p.cap_ms);
        if (attempts > 12)
            assert_true(delay >= p.cap_ms / 2);
        prev_delay = delay;
        now = d.next_at_ms;
    }
    assert_true(prev_delay > 0);
    /* 48 h at a 2.5 to 5 min rhythm: some 600 to 1200 attempts. */
    assert_true(attempts > 500 && attempts < 1300);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classify),
        cmocka_unit_test(test_backoff_bounds),
        cmocka_unit_test(test_retry_after),
        cmocka_unit_test(test_decide_success_and_permanent),
        cmocka_unit_test(test_decide_backoff_and_throttle),
        cmocka_unit_test(test_decide_deadline_and_budgets),
        cmocka_unit_test(test_schedule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
