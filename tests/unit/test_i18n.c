/*
 * test_i18n.c — unit tests of relay/i18n.c: every message exists in both
 * languages, "{n}" substitution, and the choice of the language.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "i18n.h"

static void test_complete(void **state)
{
    (void)state;
    for (int m = 0; m < M_COUNT; m++) {
        const char *fr = i18n(LANG_FR, (enum msg)m);
        const char *en = i18n(LANG_EN, (enum msg)m);
        assert_true(fr[0] != '\0');
        assert_true(en[0] != '\0');
        /* no markup in texts: pages escape them */
        assert_null(strchr(fr, '<'));
        assert_null(strchr(en, '<'));
    }
    assert_string_equal(i18n(LANG_FR, M_COUNT), "");
    assert_string_equal(i18n_code(LANG_EN), "en");
    assert_string_equal(i18n_code(LANG_FR), "fr");
}

static void test_format(void **state)
{
    char out[256];
    char small[10];
    (void)state;
    assert_int_equal(i18n_format(LANG_FR, M_ERR_SUMMARY_MANY, 3, out, sizeof(out)), 0);
    assert_string_equal(out, "Il y a 3 points à corriger");
    assert_int_equal(i18n_format(LANG_EN, M_E_IBAN_LENGTH, 27, out, sizeof(out)), 0);
    assert_non_null(strstr(out, "has 27 letters"));
    assert_int_equal(i18n_format(LANG_FR, M_E_REQUIRED, 5, out, sizeof(out)), 0);
    assert_string_equal(out, "Remplissez ce champ.");
    assert_int_equal(i18n_format(LANG_FR, M_E_REQUIRED, 0, small, sizeof(small)), -1);
}

static void test_negotiate(void **state)
{
    (void)state;
    assert_int_equal(i18n_negotiate(NULL, NULL), LANG_FR);
    assert_int_equal(i18n_negotiate("en", "fr"), LANG_EN);
    assert_int_equal(i18n_negotiate("EN-gb", NULL), LANG_EN);
    assert_int_equal(i18n_negotiate("fr", "en-US,en;q=0.9"), LANG_FR);
    assert_int_equal(i18n_negotiate("de", "en-US,en;q=0.9"), LANG_EN);
    assert_int_equal(i18n_negotiate(NULL, "en-US,en;q=0.9,fr;q=0.8"), LANG_EN);
    assert_int_equal(i18n_negotiate(NULL, "fr-FR,fr;q=0.9,en-US;q=0.8,en;q=0.7"), LANG_FR);
    assert_int_equal(i18n_negotiate(NULL, "de-DE,de;q=0.9,en;q=0.5,fr;q=0.6"), LANG_FR);
    assert_int_equal(i18n_negotiate(NULL, "de-DE,de;q=0.9,en;q=0.5"), LANG_EN);
    assert_int_equal(i18n_negotiate(NULL, "de, it"), LANG_FR);
    assert_int_equal(i18n_negotiate(NULL, "en;q=0"), LANG_FR);
    assert_int_equal(i18n_negotiate(NULL, "*"), LANG_FR);
    assert_int_equal(i18n_negotiate(NULL, "english"), LANG_FR);
    assert_int_equal(i18n_negotiate(NULL, " en ; q=1.0 , fr;q=0.999"), LANG_EN);
    assert_int_equal(i18n_negotiate(NULL, ",,;;,q=,en;q=bogus"), LANG_EN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_complete),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_negotiate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
