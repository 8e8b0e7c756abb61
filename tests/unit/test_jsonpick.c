/*
 * test_jsonpick.c — unit tests of relay/jsonpick.c: members found at any
 * place of an object with their values' text, the last of a repeated key,
 * escaped keys, nested values skipped (strings holding brackets), texts that
 * are not one object refused, and strings decoded (escapes, surrogate
 * pairs, bounds, \u0000 refused).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "jsonpick.h"

static int span_is(struct jsonpick_span s, const char *want)
{
    return s.p && s.len == strlen(want) && memcmp(s.p, want, s.len) == 0;
}

static void test_members(void **state)
{
    (void)state;
    static const char *const keys[] = {"a", "victim", "n", "missing", "k\"q"};
    struct jsonpick_span v[5];
    const char *text = " {\"x\": {\"a\": \"inner\"}, \"a\": \"va}l\", \"victim\": {\"name\": "
                       "\"[{\\\"\", \"l\": [1, {\"b\": []}]}, \"n\": -1.5e+3, \"z\": null,"
                       " \"k\\\"q\": true} \n";
    assert_int_equal(jsonpick_members(text, strlen(text), keys, 5, v), 0);
    assert_true(span_is(v[0], "\"va}l\""));
    assert_true(span_is(v[1], "{\"name\": \"[{\\\"\", \"l\": [1, {\"b\": []}]}"));
    assert_true(span_is(v[2], "-1.5e+3"));
    assert_null(v[3].p);
    assert_true(span_is(v[4], "true"));
    assert_true(jsonpick_is_string(v[0]));
    assert_false(jsonpick_is_string(v[1]));

    /* the last of a repeated key; an escaped key; the empty object */
    text = "{\"a\":1,\"\\u0061\":2}";
    assert_int_equal(jsonpick_members(text, strlen(text), keys, 1, v), 0);
    assert_true(span_is(v[0], "2"));
    assert_int_equal(jsonpick_members("{}", 2, keys, 1, v), 0);
    assert_null(v[0].p);
    /* only the first len bytes are read */
    assert_int_equal(jsonpick_members("{\"a\":1}garbage", 7, keys, 1, v), 0);
    assert_true(span_is(v[0], "1"));
}

static void test_refused(void **state)
{
    (void)state;
    static const char *const keys[] = {"a"};
    static const char *const bad[] = {
        "",
        "[]",
        "\"a\"",
        "{",
        "{\"a\":1",
        "{\"a\" 1}",
        "{\"a\":}",
        "{\"a\":1,}",
        "{a:1}",
        "{\"a\":1} x",
        "{\"a\":[}",
        "{\"a\":{]}",
        "{\"a\":\"x}",
        "{\"a\":\"\\x\"}",
        "{\"a\":\"\\u12\"}",
        "{\"a\":1 2}",
        "{\"a\":\"\x01\"}",
    };
    struct jsonpick_span v[1];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        v[0].p = "x";
        assert_int_equal(jsonpick_members(bad[i], strlen(bad[i]), keys, 1, v), -1);
        assert_null(v[0].p);
    }
    /* nesting: at the bound read, beyond it refused */
    for (int depth = JSONPICK_DEPTH_MAX; depth <= JSONPICK_DEPTH_MAX + 1; depth++) {
        char deep[2 * JSONPICK_DEPTH_MAX + 16];
        size_t n = (size_t)snprintf(deep, sizeof(deep), "{\"a\":");
        for (int i = 0; i < depth; i++)
            deep[n++] = '[';
        for (int i = 0; i < depth; i++)
            deep[n++] = ']';
        deep[n++] = '}';
        assert_int_equal(jsonpick_members(deep, n, keys, 1, v),
                         depth <= JSONPICK_DEPTH_MAX ? 0 : -1);
    }
}

static long decode(const char *json, char *out, size_t size)
{
    return jsonpick_string((struct jsonpick_span){json, strlen(json)}, out, size);
}

static void test_string(void **state)
{
    (void)state;
    char out[64];
    assert_int_equal(decode("\"plain\"", out, sizeof(out)), 5);
    assert_string_equal(out, "plain");
    assert_int_equal(decode("\"\"", out, sizeof(out)), 0);
    assert_string_equal(out, "");
    assert_true(decode("\"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t\"", out, sizeof(out)) > 0);
    assert_string_equal(out, "q\" b\\ s/ \b\f\n\r\t");
    /* \u: one, two and three UTF-8 bytes, a surrogate pair (four), raw UTF-8 kept */
    assert_true(decode("\"\\u0041\\u00e9\\u20AC\\ud83d\\ude00 J\xc3\xa9r\xc3\xb4me\"", out,
                       sizeof(out)) > 0);
    assert_string_equal(out, "A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80 J\xc3\xa9r\xc3\xb4me");
    /* refused: \u0000, lone surrogates, bad escapes, not a string, too long */
    assert_int_equal(decode("\"a\\u0000b\"", out, sizeof(out)), -1);
    assert_int_equal(decode("\"\\ud83d\"", out, sizeof(out)), -1);
    assert_int_equal(decode("\"\\ud83d\\u0041\"", out, sizeof(out)), -1);
    assert_int_equal(decode("\"\\ude00\"", out, sizeof(out)), -1);
    assert_int_equal(decode("\"\\q\"", out, sizeof(out)), -1);
    assert_int_equal(decode("\"\\u00g1\"", out, sizeof(out)), -1);
    assert_int_equal(decode("12", out, sizeof(out)), -1);
    assert_int_equal(decode("\"", out, sizeof(out)), -1);
    assert_int_equal(decode("\"abcd\"", out, 5), 4);
    assert_int_equal(decode("\"abcde\"", out, 5), -1);
    assert_int_equal(decode("\"\\u20ac\"", out, 4), -1);
    assert_int_equal(decode("\"\\u20ac\"", out, 5), 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_members),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_string),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
