/*
 * test_form.c — unit tests of relay/form.c: the urlencoded parser as the
 * WHATWG URL standard reads bodies (+, %XX, empty pairs, repeated names),
 * its refusals (bad escapes, NUL, bad UTF-8) and its bounds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "form.h"

static enum form_error parse(const char *body, struct form *f)
{
    return form_parse(body, strlen(body), f);
}

static void test_basic(void **state)
{
    struct form f;
    (void)state;
    assert_int_equal(parse("a=1&b=two+words&c=%C3%A9t%C3%A9&d=%2B%26%3D", &f), FORM_OK);
    assert_int_equal(f.count, 4);
    assert_string_equal(form_get(&f, "a"), "1");
    assert_string_equal(form_get(&f, "b"), "two words");
    assert_string_equal(form_get(&f, "c"), "été");
    assert_string_equal(form_get(&f, "d"), "+&=");
    assert_null(form_get(&f, "e"));
    form_free(&f);
    assert_null(f.buf);
    assert_int_equal(f.count, 0);
}

static void test_shapes(void **state)
{
    struct form f;
    (void)state;
    /* empty pairs skipped, a name alone is an empty value, '=' in a value */
    assert_int_equal(parse("&&a&b=&c==x=&", &f), FORM_OK);
    assert_int_equal(f.count, 3);
    assert_string_equal(form_get(&f, "a"), "");
    assert_string_equal(form_get(&f, "b"), "");
    assert_string_equal(form_get(&f, "c"), "=x=");
    form_free(&f);
    /* repeated names keep their order */
    assert_int_equal(parse("e=1&x=0&e=2&e=3", &f), FORM_OK);
    assert_int_equal(form_count(&f, "e"), 3);
    assert_string_equal(form_get_nth(&f, "e", 0), "1");
    assert_string_equal(form_get_nth(&f, "e", 2), "3");
    assert_null(form_get_nth(&f, "e", 3));
    form_free(&f);
    /* an empty body */
    assert_int_equal(form_parse("", 0, &f), FORM_OK);
    assert_int_equal(f.count, 0);
    form_free(&f);
    /* not NUL-terminated: only len bytes are read */
    assert_int_equal(form_parse("a=12345", 3, &f), FORM_OK);
    assert_string_equal(form_get(&f, "a"), "1");
    form_free(&f);
    /* lower-case hex escapes */
    assert_int_equal(parse("a=%c3%a9", &f), FORM_OK);
    assert_string_equal(form_get(&f, "a"), "é");
    form_free(&f);
}

static void test_refusals(void **state)
{
    struct form f;
    static const struct {
        const char *body;
        enum form_error e;
    } cases[] = {
        {"a=%", FORM_BAD_ESCAPE},          {"a=%4", FORM_BAD_ESCAPE}, {"a=%zz", FORM_BAD_ESCAPE},
        {"a=%4g&b=1", FORM_BAD_ESCAPE},    {"a=%00", FORM_NUL},       {"%00=1", FORM_NUL},
        {"=1", FORM_NAME_TOO_LONG},        {"a=%FF", FORM_BAD_UTF8},  {"a=%C3", FORM_BAD_UTF8},
        {"a=%C0%AF", FORM_BAD_UTF8},       /* overlong '/' */
        {"a=%ED%A0%80", FORM_BAD_UTF8},    /* surrogate */
        {"a=%F4%90%80%80", FORM_BAD_UTF8}, /* above U+10FFFF */
        {"%E9=1", FORM_BAD_UTF8},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(parse(cases[i].body, &f), cases[i].e);
        assert_int_equal(f.count, 0);
        assert_null(f.buf);
        form_free(&f); /* harmless */
    }
    /* a raw NUL inside the body */
    assert_int_equal(form_parse("a=1\0b", 5, &f), FORM_NUL);
    assert_string_equal(form_error_name(FORM_BAD_ESCAPE), "bad_escape");
}

static void test_bounds(void **state)
{
    struct form f;
    (void)state;
    size_t n = (FORM_MAX_FIELDS + 1) * 4;
    char *body = malloc(n + 1);
    size_t o = 0;
    for (int i = 0; i <= FORM_MAX_FIELDS; i++)
        o += (size_t)sprintf(body + o, "a=1&");
    assert_int_equal(form_parse(body, o, &f), FORM_TOO_MANY);
    /* exactly the maximum is fine */
    assert_int_equal(form_parse(body, o - 4, &f), FORM_OK);
    assert_int_equal(f.count, FORM_MAX_FIELDS);
    form_free(&f);
    free(body);

    char name[FORM_MAX_NAME + 4];
    memset(name, 'n', sizeof(name));
    name[FORM_MAX_NAME + 1] = '=';
    name[FORM_MAX_NAME + 2] = '1';
    assert_int_equal(form_parse(name, FORM_MAX_NAME + 3, &f), FORM_NAME_TOO_LONG);
    assert_int_equal(form_parse(name + 1, FORM_MAX_NAME + 2, &f), FORM_OK);
    form_free(&f);

    char *big = malloc(FORM_MAX_VALUE + 8);
    memcpy(big, "v=", 2);
    memset(big + 2, 'x', FORM_MAX_VALUE + 1);
    assert_int_equal(form_parse(big, FORM_MAX_VALUE + 3, &f), FORM_VALUE_TOO_LONG);
    assert_int_equal(form_parse(big, FORM_MAX_VALUE + 2, &f), FORM_OK);
    assert_int_equal(f.field[0].value_len, FORM_MAX_VALUE);
    form_free(&f);
    /* %XX shrinks: 3 bytes in, 1 out, so the decoded length is what counts */
    free(big);
    assert_int_equal(form_parse("x", (size_t)FORM_MAX_BODY + 1, &f), FORM_TOO_LARGE);
}

/* Every prefix of a tricky body either parses or is refused, never more. */
static void test_prefixes(void **state)
{
    static const char body[] = "kind=transfer&amount=12+500%2C00&narrative=%C3%A9t%C3%A9%0D%0A"
                               "&evidence_name=a.eml&evidence_name=b.eml&%26=%3D";
    (void)state;
    for (size_t n = 0; n <= sizeof(body) - 1; n++) {
        struct form f;
        enum form_error e = form_parse(body, n, &f);
        assert_true(e == FORM_OK || e == FORM_BAD_ESCAPE || e == FORM_BAD_UTF8);
        form_free(&f);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic),    cmocka_unit_test(test_shapes),
        cmocka_unit_test(test_refusals), cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_prefixes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
