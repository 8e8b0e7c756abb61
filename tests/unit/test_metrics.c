/*
 * test_metrics.c — unit tests of relay/metrics.c: counters, gauges and
 * histograms found again by name among many (the index grows and is
 * rebuilt), the exposition text, and a reset that leaves nothing behind.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/buffer.h>

#include "metrics.h"

static char *rendered(void)
{
    struct evbuffer *b = evbuffer_new();
    assert_non_null(b);
    metrics_render(b);
    size_t n = evbuffer_get_length(b);
    char *s = malloc(n + 1);
    assert_non_null(s);
    evbuffer_remove(b, s, n);
    s[n] = '\0';
    evbuffer_free(b);
    return s;
}

static void test_counts_by_name(void **state)
{
    (void)state;
    assert_int_equal(metrics_get("relay48_t_total"), 0); /* unknown: 0, nothing created */
    metrics_add("relay48_t_total", 2);
    metrics_add("relay48_t_total", 3);
    metrics_set("relay48_t_gauge", 7);
    metrics_set("relay48_t_gauge", 4);
    metrics_add("relay48_t_total{code=\"201\"}", 1);
    assert_int_equal(metrics_get("relay48_t_total"), 5);
    assert_int_equal(metrics_get("relay48_t_gauge"), 4);
    assert_int_equal(metrics_get("relay48_t_total{code=\"201\"}"), 1);
    assert_int_equal(metrics_get("relay48_t_total{code=\"200\"}"), 0);
    metrics_reset();
}

/* Enough series to grow the index several times: every one keeps its own
 * count, whether it was created before or after a growth. */
static void test_many_series(void **state)
{
    (void)state;
    enum { N = 3000 };
    char name[64];
    for (int round = 1; round <= 3; round++) {
        for (int i = 0; i < N; i++) {
            snprintf(name, sizeof(name), "relay48_t_total{bic=\"B%04d\"}", i);
            metrics_add(name, i + 1);
        }
    }
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof(name), "relay48_t_total{bic=\"B%04d\"}", i);
        assert_int_equal(metrics_get(name), 3 * (i + 1));
    }
    char *text = rendered();
    assert_non_null(strstr(text, "relay48_t_total{bic=\"B0000\"} 3\n"));
    assert_non_null(strstr(text, "relay48_t_total{bic=\"B2999\"} 9000\n"));
    free(text);
    metrics_reset();
    assert_int_equal(metrics_get("relay48_t_total{bic=\"B0000\"}"), 0);
    metrics_add("relay48_t_total{bic=\"B0000\"}", 1); /* usable again after a reset */
    assert_int_equal(metrics_get("relay48_t_total{bic=\"B0000\"}"), 1);
    metrics_reset();
}

static void test_histogram_text(void **state)
{
    (void)state;
    metrics_describe("relay48_t_seconds", METRIC_HISTOGRAM, "A test histogram.");
    metrics_observe_us("relay48_t_seconds{bic=\"X\"}", 3000);     /* <= 5 ms */
    metrics_observe_us("relay48_t_seconds{bic=\"X\"}", 70000000); /* over 60 s: +Inf only */
    char *text = rendered();
    assert_non_null(strstr(text, "# TYPE relay48_t_seconds histogram\n"));
    assert_non_null(strstr(text, "relay48_t_seconds_bucket{bic=\"X\",le=\"0.001000\"} 0\n"));
    assert_non_null(strstr(text, "relay48_t_seconds_bucket{bic=\"X\",le=\"0.005000\"} 1\n"));
    assert_non_null(strstr(text, "relay48_t_seconds_bucket{bic=\"X\",le=\"60.000000\"} 1\n"));
    assert_non_null(strstr(text, "relay48_t_seconds_bucket{bic=\"X\",le=\"+Inf\"} 2\n"));
    assert_non_null(strstr(text, "relay48_t_seconds_sum{bic=\"X\"} 70.003000\n"));
    assert_non_null(strstr(text, "relay48_t_seconds_count{bic=\"X\"} 2\n"));
    free(text);
    metrics_reset();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts_by_name),
        cmocka_unit_test(test_many_series),
        cmocka_unit_test(test_histogram_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
