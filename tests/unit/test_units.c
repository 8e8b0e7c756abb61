/*
 * test_units.c — unit tests of the pure part of relay/units.c: endpoints
 * (https only), département codes, the additional data of sealed secrets.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "units.h"

static void test_endpoint(void **state)
{
    char err[200];
    assert_int_equal(units_endpoint_check("https://br31.gendarmerie.example/r48", err, sizeof(err)),
                     0);
    assert_int_equal(units_endpoint_check("https://127.0.0.1:8443/", err, sizeof(err)), 0);
    const char *bad[] = {NULL,
                         "",
                         "http://br31.gendarmerie.example/r48",
                         "HTTP://x",
                         "ftp://x",
                         "https://",
                         "https:///path",
                         "https://host/with space",
                         "https://host/\x7f",
                         "https://h\xc3\xa9t\xc3\xa9.example/",
                         "br31.gendarmerie.example"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        assert_int_equal(units_endpoint_check(bad[i], err, sizeof(err)), -1);
        assert_true(strlen(err) > 0);
    }
    char longer[UNITS_ENDPOINT_MAX + 20] = "https://x/";
    memset(longer + 10, 'a', sizeof(longer) - 11);
    longer[sizeof(longer) - 1] = '\0';
    assert_int_equal(units_endpoint_check(longer, err, sizeof(err)), -1);
}

static void test_departement(void **state)
{
    char out[9], err[200];
    assert_int_equal(units_departement_normalise("31", out, err, sizeof(err)), 0);
    assert_string_equal(out, "31");
    assert_int_equal(units_departement_normalise("2a", out, err, sizeof(err)), 0);
    assert_string_equal(out, "2A");
    assert_int_equal(units_departement_normalise("974", out, err, sizeof(err)), 0);
    assert_string_equal(out, "974");
    assert_int_equal(units_departement_normalise("national", out, err, sizeof(err)), 0);
    assert_string_equal(out, "NATIONAL");
    const char *bad[] = {NULL, "", "20", "96", "00", "3", "310", "980", "NATIONALE", "2C"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(units_departement_normalise(bad[i], out, err, sizeof(err)), -1);
        assert_string_equal(out, "");
    }
}

static void test_aad(void **state)
{
    char a[64], b[64];
    units_secret_aad(12, a, sizeof(a));
    units_secret_aad(123, b, sizeof(b));
    assert_string_equal(a, "relay48 unit secret 12");
    assert_string_not_equal(a, b); /* a secret copied onto another unit does not open */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_endpoint),
        cmocka_unit_test(test_departement),
        cmocka_unit_test(test_aad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
