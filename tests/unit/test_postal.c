/*
 * test_postal.c — unit tests of relay/postal.c: postal code -> département
 * (Corsica, overseas, Monaco, refusals), names, and the whole code space.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "postal.h"

static void test_departement(void **state)
{
    static const struct {
        const char *postal;
        const char *code;
    } cases[] = {
        {"31000", "31"},
        {"75001", "75"},
        {"75116", "75"},
        {"01000", "01"},
        {"09000", "09"},
        {"13001", "13"},
        {"19000", "19"},
        {"21000", "21"},
        {"69001", "69"},
        {"90000", "90"},
        {"95000", "95"},
        {"95999", "95"},
        /* Corsica */
        {"20000", "2A"},
        {"20090", "2A"},
        {"20100", "2A"},
        {"20199", "2A"},
        {"20200", "2B"},
        {"20600", "2B"},
        {"20250", "2B"},
        {"20699", "2B"},
        /* Overseas départements and collectivités */
        {"97100", "971"},
        {"97110", "971"},
        {"97200", "972"},
        {"97300", "973"},
        {"97400", "974"},
        {"97490", "974"},
        {"97500", "975"},
        {"97600", "976"},
        {"97133", "977"},
        {"97150", "978"},
        {"98600", "986"},
        {"98700", "987"},
        {"98800", "988"},
        {"98899", "988"},
    };
    char out[4];

    (void)state;
    for (size_t i = 0; i < RELAY_ARRAY_LEN(cases); i++) {
        memset(out, 'x', sizeof(out));
        assert_int_equal(postal_departement(cases[i].postal, out), 0);
        assert_string_equal(out, cases[i].code);
    }
}

static void test_departement_refusals(void **state)
{
    static const char *const bad[] = {
        "7500",
        "750011",
        "ABCDE",
        "7500A",
        " 75001",
        "75001 ",
        "75 001",
        "",
        "2A000",
        "00000",
        "00100",
        "00999",
        "20700",
        "20999",
        "96000",
        "96999",
        "97000",
        "97099",
        "97700",
        "97800",
        "97900",
        "98000",
        "98300",
        "98099",
        "98400",
        "98500",
        "98900",
        "99000",
        "99999",
        "+7500",
        "-7500",
        "7\xc2\xb9"
        "500",
    };
    char out[4];

    (void)state;
    for (size_t i = 0; i < RELAY_ARRAY_LEN(bad); i++) {
        memset(out, 'x', sizeof(out));
        assert_int_equal(postal_departement(bad[i], out), -1);
        assert_string_equal(out, "");
    }
    assert_int_equal(postal_departement(NULL, out), -1);
}

static void test_names(void **state)
{
    static const struct {
        const char *code;
        const char *name;
    } cases[] = {
        {"01", "Ain"},
        {"2A", "Corse-du-Sud"},
        {"2B", "Haute-Corse"},
        {"21", "Côte-d'Or"},
        {"31", "Haute-Garonne"},
        {"75", "Paris"},
        {"90", "Territoire de Belfort"},
        {"95", "Val-d'Oise"},
        {"971", "Guadeloupe"},
        {"974", "La Réunion"},
        {"976", "Mayotte"},
        {"977", "Saint-Barthélemy"},
        {"978", "Saint-Martin"},
        {"986", "Wallis-et-Futuna"},
        {"987", "Polynésie française"},
        {"988", "Nouvelle-Calédonie"},
    };
    static const char *const unknown[] = {"",   "0", "00",  "20",  "2a",  "2b",  "2C", "96",
                                          "99", "1", "970", "980", "984", "75 ", "075"};

    (void)state;
    for (size_t i = 0; i < RELAY_ARRAY_LEN(cases); i++) {
        assert_non_null(postal_departement_name(cases[i].code));
        assert_string_equal(postal_departement_name(cases[i].code), cases[i].name);
        assert_int_equal(departement_check(cases[i].code), 0);
    }
    for (size_t i = 0; i < RELAY_ARRAY_LEN(unknown); i++) {
        assert_null(postal_departement_name(unknown[i]));
        assert_int_equal(departement_check(unknown[i]), -1);
    }
    assert_null(postal_departement_name(NULL));
    assert_int_equal(departement_check(NULL), -1);
}

/* Exactly 96 metropolitan codes and 11 overseas ones, each with a name. */
static void test_code_list(void **state)
{
    char code[4];
    int metro = 0;
    int overseas = 0;

    (void)state;
    for (int i = 0; i <= 99; i++) {
        snprintf(code, sizeof(code), "%02d", i);
        if (departement_check(code) == 0) {
            assert_non_null(postal_departement_name(code));
            metro++;
        }
    }
    assert_int_equal(departement_check("2A"), 0);
    assert_int_equal(departement_check("2B"), 0);
    metro += 2;
    for (int i = 0; i <= 999; i++) {
        snprintf(code, sizeof(code), "%03d", i);
        if (departement_check(code) == 0) {
            assert_non_null(postal_departement_name(code));
            assert_true(i >= 971 && i <= 988);
            overseas++;
        }
    }
    assert_int_equal(metro, 96);
    assert_int_equal(overseas, 11);
    assert_int_equal(departement_check("20"), -1);
    assert_int_equal(departement_check("00"), -1);
    assert_int_equal(departement_check("96"), -1);
}

/*
 * Every 5-digit string: an answer is always a known code, every known code
 * is reached, and the prefix rule holds outside the listed exceptions.
 */
static void test_whole_code_space(void **state)
{
    char postal[6];
    char out[4];
    int reached_2a = 0;
    int reached_977 = 0;
    int reached_978 = 0;
    int accepted = 0;

    (void)state;
    for (int n = 0; n <= 99999; n++) {
        snprintf(postal, sizeof(postal), "%05d", n);
        if (postal_departement(postal, out) != 0) {
            assert_string_equal(out, "");
            continue;
        }
        accepted++;
        assert_int_equal(departement_check(out), 0);
        assert_non_null(postal_departement_name(out));
        if (n >= 20000 && n < 21000) {
            assert_string_equal(out, n < 20200 ? "2A" : "2B");
            reached_2a += n < 20200;
        } else if (n == 97133) {
            reached_977++;
        } else if (n == 97150) {
            reached_978++;
        } else {
            /* Otherwise the code is the postal code's prefix. */
            assert_memory_equal(out, postal, strlen(out));
        }
    }
    assert_int_equal(reached_2a, 200);
    assert_int_equal(reached_977, 1);
    assert_int_equal(reached_978, 1);
    /* 01000..95999 but Corsica's unallocated 20700..20999, then 97100..97699
     * and 98600..98899. */
    assert_int_equal(accepted, (95999 - 1000 + 1) - 300 + 600 + 300);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_departement),
        cmocka_unit_test(test_departement_refusals),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_code_list),
        cmocka_unit_test(test_whole_code_space),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
