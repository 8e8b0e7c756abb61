/*
 * test_csrf.c — unit tests of relay/csrf.c: the signed expiring token
 * (round trip, expiry, another key, any altered character, malformed
 * shapes) and the Origin / Sec-Fetch-Site rule.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "csrf.h"

static const unsigned char key[32] = "0123456789abcdef0123456789abcdef";
static const unsigned char other[32] = "0123456789abcdef0123456789abcdeF";
static const unsigned char nonce[CSRF_NONCE_BYTES] = {1, 2,  3,  4,  5,  6,  7,  8,
                                                      9, 10, 11, 12, 13, 14, 15, 16};
#define NOW INT64_C(1774692000) /* 2026-03-28T10:00:00Z */

static void test_round_trip(void **state)
{
    char tok[CSRF_TOKEN_SIZE], n[CSRF_NONCE_SIZE];
    unsigned char raw[CSRF_NONCE_BYTES];
    (void)state;
    assert_int_equal(csrf_issue(key, sizeof(key), nonce, NOW, tok), 0);
    assert_int_equal(strlen(tok), CSRF_TOKEN_SIZE - 1);
    assert_memory_equal(tok, "1.", 2);
    assert_int_equal(csrf_check(key, sizeof(key), tok, NOW, 3600, n, raw), CSRF_OK);
    assert_memory_equal(raw, nonce, sizeof(nonce));
    assert_string_equal(n, "AQIDBAUGBwgJCgsMDQ4PEA");
    /* within the ttl, at its edge, and a little in the future */
    assert_int_equal(csrf_check(key, sizeof(key), tok, NOW + 3600, 3600, n, NULL), CSRF_OK);
    assert_int_equal(csrf_check(key, sizeof(key), tok, NOW - CSRF_FUTURE_SKEW, 3600, n, NULL),
                     CSRF_OK);
    /* the same inputs give the same token */
    char again[CSRF_TOKEN_SIZE];
    assert_int_equal(csrf_issue(key, sizeof(key), nonce, NOW, again), 0);
    assert_string_equal(tok, again);
}

static void test_expiry(void **state)
{
    char tok[CSRF_TOKEN_SIZE], n[CSRF_NONCE_SIZE];
    (void)state;
    assert_int_equal(csrf_issue(key, sizeof(key), nonce, NOW, tok), 0);
    assert_int_equal(csrf_check(key, sizeof(key), tok, NOW + 3601, 3600, n, NULL), CSRF_EXPIRED);
    /* an expired but genuine token still gives its nonce */
    assert_string_equal(n, "AQIDBAUGBwgJCgsMDQ4PEA");
    assert_int_equal(csrf_check(key, sizeof(key), tok, NOW - CSRF_FUTURE_SKEW - 1, 3600, n, NULL),
                     CSRF_EXPIRED);
}

static void test_forgery(void **state)
{
    char tok[CSRF_TOKEN_SIZE], n[CSRF_NONCE_SIZE];
    (void)state;
    assert_int_equal(csrf_issue(key, sizeof(key), nonce, NOW, tok), 0);
    assert_int_equal(csrf_check(other, sizeof(other), tok, NOW, 3600, n, NULL), CSRF_BAD_SIGNATURE);
    assert_string_equal(n, "");
    /* every character changed: refused, whatever the change */
    for (size_t i = 0; i < strlen(tok); i++) {
        char t[CSRF_TOKEN_SIZE];
        memcpy(t, tok, sizeof(t));
        t[i] = t[i] == 'A' ? 'B' : 'A';
        assert_int_not_equal(csrf_check(key, sizeof(key), t, NOW, 3600, n, NULL), CSRF_OK);
    }
    /* a later issue time with the old signature */
    char later[CSRF_TOKEN_SIZE];
    assert_int_equal(csrf_issue(key, sizeof(key), nonce, NOW + 100000, later), 0);
    memcpy(later + 35, tok + 35, strlen(tok) - 35 + 1);
    assert_int_equal(csrf_check(key, sizeof(key), later, NOW + 100000, 3600, n, NULL),
                     CSRF_BAD_SIGNATURE);
}

static void test_malformed(void **state)
{
    char n[CSRF_NONCE_SIZE];
    char tok[CSRF_TOKEN_SIZE];
    static const char *const bad[] = {
        "x",
        "1.",
        "1..",
        "2.AQIDBAUGBwgJCgsMDQ4PEAAAAABpx6Eg.abc",
        "1.AQID.abc",
        "1.AQIDBAUGBwgJCgsMDQ4PEAAAAABpx6Eg", /* no signature */
        "1.AQIDBAUGBwgJCgsMDQ4PEAAAAABpx6E=.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    };
    (void)state;
    assert_int_equal(csrf_check(key, sizeof(key), NULL, NOW, 3600, n, NULL), CSRF_MISSING);
    assert_int_equal(csrf_check(key, sizeof(key), "", NOW, 3600, n, NULL), CSRF_MISSING);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(csrf_check(key, sizeof(key), bad[i], NOW, 3600, n, NULL), CSRF_MALFORMED);
    /* too long */
    assert_int_equal(csrf_issue(key, sizeof(key), nonce, NOW, tok), 0);
    char longer[CSRF_TOKEN_SIZE + 8];
    snprintf(longer, sizeof(longer), "%sAAAAAA", tok);
    assert_int_equal(csrf_check(key, sizeof(key), longer, NOW, 3600, n, NULL), CSRF_MALFORMED);
    /* a non-canonical last character (unused bits set) */
    char t[CSRF_TOKEN_SIZE];
    memcpy(t, tok, sizeof(t));
    size_t last = strlen(t) - 1;
    t[last] = t[last] == 'B' ? 'C' : 'B';
    assert_int_not_equal(csrf_check(key, sizeof(key), t, NOW, 3600, n, NULL), CSRF_OK);
    /* bad keys */
    assert_int_equal(csrf_issue(key, 8, nonce, NOW, tok), -1);
    assert_string_equal(csrf_result_name(CSRF_EXPIRED), "expired");
}

static void test_origin(void **state)
{
    (void)state;
    /* Sec-Fetch-Site decides when sent */
    assert_int_equal(csrf_origin_check(NULL, "same-origin", "h:1", ""), 0);
    assert_int_equal(csrf_origin_check(NULL, "none", "h:1", ""), 0);
    assert_int_equal(csrf_origin_check(NULL, "cross-site", "h:1", ""), -1);
    assert_int_equal(csrf_origin_check(NULL, "same-site", "h:1", ""), -1);
    /* Origin against Host */
    assert_int_equal(csrf_origin_check("http://127.0.0.1:8080", NULL, "127.0.0.1:8080", ""), 0);
    assert_int_equal(csrf_origin_check("https://Relay.example", NULL, "relay.example", NULL), 0);
    assert_int_equal(csrf_origin_check("http://evil.example", NULL, "relay.example", ""), -1);
    assert_int_equal(csrf_origin_check("http://relay.example.evil", NULL, "relay.example", ""), -1);
    assert_int_equal(csrf_origin_check("http://relay.example:81", NULL, "relay.example", ""), -1);
    assert_int_equal(csrf_origin_check("ftp://relay.example", NULL, "relay.example", ""), -1);
    assert_int_equal(csrf_origin_check("http://relay.example", NULL, NULL, ""), -1);
    /* a same-origin post under Referrer-Policy: no-referrer sends "null" */
    assert_int_equal(csrf_origin_check("null", "same-origin", "relay.example", ""), 0);
    assert_int_equal(csrf_origin_check("null", NULL, "relay.example", ""), 0);
    assert_int_equal(csrf_origin_check(NULL, NULL, NULL, NULL), 0);
    /* both: both must agree */
    assert_int_equal(csrf_origin_check("http://evil.example", "same-origin", "relay.example", ""),
                     -1);
    /* web.origin configured */
    assert_int_equal(csrf_origin_check("https://signalement.example.fr", NULL, "10.0.0.5:8080",
                                       "https://signalement.example.fr/"),
                     0);
    assert_int_equal(csrf_origin_check("http://signalement.example.fr", NULL, "10.0.0.5:8080",
                                       "https://signalement.example.fr"),
                     -1);
}

static void test_b64url(void **state)
{
    char out[16];
    (void)state;
    assert_int_equal(csrf_b64url((const unsigned char *)"\xfb\xff", 2, out), 3);
    assert_string_equal(out, "-_8");
    assert_int_equal(csrf_b64url((const unsigned char *)"abc", 3, out), 4);
    assert_string_equal(out, "YWJj");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip), cmocka_unit_test(test_expiry),
        cmocka_unit_test(test_forgery),    cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_origin),     cmocka_unit_test(test_b64url),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
