/*
 * test_hex.c — unit tests of relay/hex.c: bytes to lower-case hex and back,
 * either case read, odd lengths, other characters and texts longer than the
 * buffer refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hex.h"

static void test_encode(void **state)
{
    static const unsigned char in[] = {0x00, 0x01, 0x7f, 0x80, 0xab, 0xff};
    char out[2 * sizeof(in) + 1];
    (void)state;
    hex_encode(in, sizeof(in), out);
    assert_string_equal(out, "00017f80abff");
    hex_encode(in, 0, out);
    assert_string_equal(out, "");
}

static void test_decode(void **state)
{
    unsigned char out[8];
    size_t n = 99;
    (void)state;
    assert_int_equal(hex_decode("00017f80abff", out, sizeof(out), &n), 0);
    assert_int_equal(n, 6);
    assert_memory_equal(out, "\x00\x01\x7f\x80\xab\xff", 6);
    /* Either case: a key typed by hand may be upper case. */
    assert_int_equal(hex_decode("ABcdEF", out, sizeof(out), &n), 0);
    assert_int_equal(n, 3);
    assert_memory_equal(out, "\xab\xcd\xef", 3);
    assert_int_equal(hex_decode("", out, sizeof(out), &n), 0);
    assert_int_equal(n, 0);
    /* Exactly out_size bytes fit; one more does not. */
    assert_int_equal(hex_decode("0011223344556677", out, sizeof(out), &n), 0);
    assert_int_equal(n, 8);
    n = 99;
    assert_int_equal(hex_decode("001122334455667788", out, sizeof(out), &n), -1);
    assert_int_equal(n, 99);
}

static void test_decode_refused(void **state)
{
    static const char *const bad[] = {"0", "abc", "0g", "g0", " 00", "00 ", "0x00", "-1", "zz"};
    unsigned char out[8];
    size_t n = 99;
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(hex_decode(bad[i], out, sizeof(out), &n), -1);
    assert_int_equal(hex_decode(NULL, out, sizeof(out), &n), -1);
    assert_int_equal(n, 99);
}

/* One digit, as the form decoder's %XX and the key readers take it. */
static void test_digit(void **state)
{
    (void)state;
    assert_int_equal(hex_digit('0'), 0);
    assert_int_equal(hex_digit('9'), 9);
    assert_int_equal(hex_digit('a'), 10);
    assert_int_equal(hex_digit('F'), 15);
    assert_int_equal(hex_digit('g'), -1);
    assert_int_equal(hex_digit('G'), -1);
    assert_int_equal(hex_digit('/'), -1);
    assert_int_equal(hex_digit(':'), -1);
    assert_int_equal(hex_digit('\0'), -1);
}

static void test_round_trip(void **state)
{
    unsigned char in[256], back[256];
    char text[2 * sizeof(in) + 1];
    size_t n = 0;
    (void)state;
    for (size_t i = 0; i < sizeof(in); i++)
        in[i] = (unsigned char)i;
    hex_encode(in, sizeof(in), text);
    assert_int_equal(strlen(text), 2 * sizeof(in));
    assert_int_equal(hex_decode(text, back, sizeof(back), &n), 0);
    assert_int_equal(n, sizeof(in));
    assert_memory_equal(in, back, sizeof(in));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode),         cmocka_unit_test(test_decode),
        cmocka_unit_test(test_decode_refused), cmocka_unit_test(test_digit),
        cmocka_unit_test(test_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
