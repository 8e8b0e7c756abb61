/*
 * test_ratelimit.c — unit tests of relay/ratelimit.c: burst then refill,
 * Retry-After, separate clients, IPv6 /64 and mapped IPv4 keys, named
 * (API key) keys, and the bounded table under a flood of addresses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "ratelimit.h"

static void key4(unsigned a, unsigned char k[RATELIMIT_KEY_BYTES])
{
    unsigned char b[4] = {(unsigned char)(a >> 24), (unsigned char)(a >> 16),
                          (unsigned char)(a >> 8), (unsigned char)a};
    ratelimit_key(AF_INET, b, k);
}

static void test_burst_and_refill(void **state)
{
    struct ratelimit *rl = ratelimit_new(64, 42);
    unsigned char k[RATELIMIT_KEY_BYTES];
    int64_t retry = 0;
    (void)state;
    key4(0x7f000001, k);
    for (int i = 0; i < 5; i++)
        assert_int_equal(ratelimit_take(rl, k, 1000, 10, 5, &retry), 1);
    assert_int_equal(ratelimit_take(rl, k, 1000, 10, 5, &retry), 0);
    assert_int_equal(retry, 6); /* 10 a minute: one every 6 s */
    assert_int_equal(ratelimit_take(rl, k, 4000, 10, 5, &retry), 0);
    assert_int_equal(retry, 3);
    assert_int_equal(ratelimit_take(rl, k, 7000, 10, 5, &retry), 1);
    assert_int_equal(ratelimit_take(rl, k, 7000, 10, 5, &retry), 0);
    /* a long pause fills the bucket to the burst, no more */
    for (int i = 0; i < 5; i++)
        assert_int_equal(ratelimit_take(rl, k, 10000000, 10, 5, NULL), 1);
    assert_int_equal(ratelimit_take(rl, k, 10000000, 10, 5, NULL), 0);
    /* refused requests still refill: hammering every ms gets a token in 6 s */
    int allowed = 0;
    for (int64_t t = 10000001; t <= 10006000; t++)
        allowed += ratelimit_take(rl, k, t, 10, 5, NULL);
    assert_int_equal(allowed, 1);
    assert_int_equal(ratelimit_used(rl), 1);
    ratelimit_free(rl);
}

static void test_clients_apart(void **state)
{
    struct ratelimit *rl = ratelimit_new(64, 7);
    unsigned char a[RATELIMIT_KEY_BYTES], b[RATELIMIT_KEY_BYTES];
    (void)state;
    key4(0x0a000001, a);
    key4(0x0a000002, b);
    assert_int_equal(ratelimit_take(rl, a, 0, 1, 1, NULL), 1);
    assert_int_equal(ratelimit_take(rl, a, 0, 1, 1, NULL), 0);
    assert_int_equal(ratelimit_take(rl, b, 0, 1, 1, NULL), 1);
    /* the clock going back changes nothing */
    assert_int_equal(ratelimit_take(rl, a, -5000, 1, 1, NULL), 0);
    ratelimit_free(rl);
}

static void test_keys(void **state)
{
    unsigned char k1[RATELIMIT_KEY_BYTES], k2[RATELIMIT_KEY_BYTES], k3[RATELIMIT_KEY_BYTES];
    unsigned char v6a[16] = {0x20, 0x01, 0x0d, 0xb8, 1, 2, 3, 4, 9, 9, 9, 9, 9, 9, 9, 9};
    unsigned char v6b[16] = {0x20, 0x01, 0x0d, 0xb8, 1, 2, 3, 4, 1, 1, 1, 1, 1, 1, 1, 1};
    unsigned char v6c[16] = {0x20, 0x01, 0x0d, 0xb8, 1, 2, 3, 5, 9, 9, 9, 9, 9, 9, 9, 9};
    unsigned char mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1};
    (void)state;
    ratelimit_key(AF_INET6, v6a, k1);
    ratelimit_key(AF_INET6, v6b, k2);
    ratelimit_key(AF_INET6, v6c, k3);
    assert_memory_equal(k1, k2, RATELIMIT_KEY_BYTES); /* one /64 */
    assert_memory_not_equal(k1, k3, RATELIMIT_KEY_BYTES);
    ratelimit_key(AF_INET6, mapped, k1);
    key4(0x7f000001, k2);
    assert_memory_equal(k1, k2, RATELIMIT_KEY_BYTES);
}

static void test_named_keys(void **state)
{
    unsigned char k1[RATELIMIT_KEY_BYTES], k2[RATELIMIT_KEY_BYTES], k3[RATELIMIT_KEY_BYTES];
    unsigned char a[4] = {'a', 'b', 'c', 'd'};
    (void)state;
    ratelimit_key_name("0123456789", k1);
    ratelimit_key_name("0123456788", k2);
    assert_memory_not_equal(k1, k2, RATELIMIT_KEY_BYTES);
    /* a name is never an address, whatever its bytes */
    ratelimit_key_name("abcd", k1);
    ratelimit_key(AF_INET, a, k3);
    assert_memory_not_equal(k1, k3, RATELIMIT_KEY_BYTES);
    /* longer names: their first 15 bytes */
    ratelimit_key_name("0123456789abcdefXYZ", k1);
    ratelimit_key_name("0123456789abcdQf", k2);
    assert_memory_not_equal(k1, k2, RATELIMIT_KEY_BYTES);
    ratelimit_key_name("0123456789abcdefABC", k2);
    assert_memory_equal(k1, k2, RATELIMIT_KEY_BYTES);
    /* each name its own bucket */
    struct ratelimit *rl = ratelimit_new(64, 7);
    ratelimit_key_name("key1", k1);
    ratelimit_key_name("key2", k2);
    assert_int_equal(ratelimit_take(rl, k1, 0, 60, 1, NULL), 1);
    assert_int_equal(ratelimit_take(rl, k1, 0, 60, 1, NULL), 0);
    assert_int_equal(ratelimit_take(rl, k2, 0, 60, 1, NULL), 1);
    ratelimit_free(rl);
}

static void test_bounded(void **state)
{
    struct ratelimit *rl = ratelimit_new(16, 99);
    unsigned char k[RATELIMIT_KEY_BYTES], victim[RATELIMIT_KEY_BYTES];
    (void)state;
    key4(0xc0a80001, victim);
    assert_int_equal(ratelimit_take(rl, victim, 0, 1, 1, NULL), 1);
    for (unsigned i = 0; i < 100000; i++) {
        key4(0x01000000 + i, k);
        (void)ratelimit_take(rl, k, 1 + i, 1, 1, NULL);
    }
    assert_true(ratelimit_used(rl) <= 16);
    ratelimit_free(rl);
    /* sizes round up to a power of two, at least 16 */
    rl = ratelimit_new(0, 1);
    assert_non_null(rl);
    ratelimit_free(rl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_burst_and_refill),
        cmocka_unit_test(test_clients_apart),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_named_keys),
        cmocka_unit_test(test_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
