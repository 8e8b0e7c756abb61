/*
 * test_amount.c — unit tests of relay/amount.c: ISO 4217 exponents, the
 * decimal grammar, the edges of every exponent, the upper bound and
 * overflow, and canonical formatting.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "amount.h"

static void test_exponents(void **state)
{
    static const struct {
        const char *code;
        int exponent;
    } known[] = {
        {"EUR", 2}, {"USD", 2}, {"GBP", 2}, {"CHF", 2}, {"XCG", 2}, {"ZWG", 2},
        {"SLE", 2}, {"BGN", 2}, {"ANG", 2}, {"JPY", 0}, {"KRW", 0}, {"ISK", 0},
        {"VND", 0}, {"CLP", 0}, {"XOF", 0}, {"XAF", 0}, {"XPF", 0}, {"UGX", 0},
        {"PYG", 0}, {"UYI", 0}, {"KWD", 3}, {"BHD", 3}, {"TND", 3}, {"OMR", 3},
        {"JOD", 3}, {"IQD", 3}, {"LYD", 3}, {"CLF", 4}, {"UYW", 4},
    };
    static const char *const unknown[] = {
        "",    "E",   "EU",  "EURO", "eur", "Eur", "E1R", "EU ", " EUR",
        "XAU", "XAG", "XPT", "XPD",  "XDR", "XTS", "XXX", "XSU", "XUA",
        "XBA", "ZWL", "HRK", "SLL",  "CUC", "FRF", "DEM", "AAA", "ZZZ",
    };

    (void)state;
    for (size_t i = 0; i < RELAY_ARRAY_LEN(known); i++) {
        assert_int_equal(currency_exponent(known[i].code), known[i].exponent);
    }
    for (size_t i = 0; i < RELAY_ARRAY_LEN(unknown); i++) {
        assert_int_equal(currency_exponent(unknown[i]), -1);
    }
    assert_int_equal(currency_exponent(NULL), -1);
}

/*
 * Every code AAA..ZZZ: the table holds exactly 167 currencies, all found
 * (so its order suits the binary search), with exponents 0, 2, 3 or 4.
 */
static void test_exponent_table_complete(void **state)
{
    char code[4] = {0};
    int found = 0;
    int by_exp[5] = {0};

    (void)state;
    for (char a = 'A'; a <= 'Z'; a++) {
        for (char b = 'A'; b <= 'Z'; b++) {
            for (char c = 'A'; c <= 'Z'; c++) {
                int e;

                code[0] = a;
                code[1] = b;
                code[2] = c;
                e = currency_exponent(code);
                if (e < 0) {
                    continue;
                }
                assert_true(e == 0 || e == 2 || e == 3 || e == 4);
                found++;
                by_exp[e]++;
            }
        }
    }
    assert_int_equal(found, 167);
    assert_int_equal(by_exp[0], 17);
    assert_int_equal(by_exp[3], 7);
    assert_int_equal(by_exp[4], 2);
}

struct parse_case {
    const char *value;
    const char *currency;
    enum amount_error want;
    int64_t minor;
};

static void run_parse_cases(const struct parse_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int64_t minor = -42;
        enum amount_error e = amount_parse(cases[i].value, cases[i].currency, &minor);

        if (e != cases[i].want || minor != cases[i].minor) {
            print_error("case %zu: \"%s\" %s: got %d/%lld, want %d/%lld\n", i,
                        cases[i].value ? cases[i].value : "(null)",
                        cases[i].currency ? cases[i].currency : "(null)", (int)e, (long long)minor,
                        (int)cases[i].want, (long long)cases[i].minor);
        }
        assert_int_equal(e, cases[i].want);
        assert_true(minor == cases[i].minor);
    }
}

static void test_parse_exponent_edges(void **state)
{
    static const struct parse_case cases[] = {
        /* EUR, 2 decimals */
        {"12500.00", "EUR", AMOUNT_OK, 1250000},
        {"12500", "EUR", AMOUNT_OK, 1250000},
        {"12500.5", "EUR", AMOUNT_OK, 1250050},
        {"0.01", "EUR", AMOUNT_OK, 1},
        {"0.1", "EUR", AMOUNT_OK, 10},
        {"0.001", "EUR", AMOUNT_TOO_MANY_DECIMALS, 0},
        {"12.500", "EUR", AMOUNT_TOO_MANY_DECIMALS, 0},
        {"0.00", "EUR", AMOUNT_NOT_POSITIVE, 0},
        {"0", "EUR", AMOUNT_NOT_POSITIVE, 0},
        {"000.0", "EUR", AMOUNT_NOT_POSITIVE, 0},
        /* JPY, no decimals */
        {"1", "JPY", AMOUNT_OK, 1},
        {"150000", "JPY", AMOUNT_OK, 150000},
        {"1.0", "JPY", AMOUNT_TOO_MANY_DECIMALS, 0},
        {"1.5", "JPY", AMOUNT_TOO_MANY_DECIMALS, 0},
        {"0", "JPY", AMOUNT_NOT_POSITIVE, 0},
        {"1.", "JPY", AMOUNT_BAD_SYNTAX, 0},
        /* XOF, no decimals */
        {"500000", "XOF", AMOUNT_OK, 500000},
        {"500000.00", "XOF", AMOUNT_TOO_MANY_DECIMALS, 0},
        /* KWD, 3 decimals */
        {"1.234", "KWD", AMOUNT_OK, 1234},
        {"1.23", "KWD", AMOUNT_OK, 1230},
        {"1", "KWD", AMOUNT_OK, 1000},
        {"0.001", "KWD", AMOUNT_OK, 1},
        {"1.2345", "KWD", AMOUNT_TOO_MANY_DECIMALS, 0},
        {"0.000", "KWD", AMOUNT_NOT_POSITIVE, 0},
        {"2.5", "TND", AMOUNT_OK, 2500},
        {"2.505", "BHD", AMOUNT_OK, 2505},
        /* CLF, 4 decimals */
        {"1.2345", "CLF", AMOUNT_OK, 12345},
        {"0.0001", "CLF", AMOUNT_OK, 1},
        {"0.00001", "CLF", AMOUNT_TOO_MANY_DECIMALS, 0},
        /* Leading zeros are allowed. */
        {"0012.50", "EUR", AMOUNT_OK, 1250},
        {"00000000000000000000000000000000000001", "JPY", AMOUNT_OK, 1},
    };

    (void)state;
    run_parse_cases(cases, RELAY_ARRAY_LEN(cases));
}

static void test_parse_syntax(void **state)
{
    static const struct parse_case cases[] = {
        {NULL, "EUR", AMOUNT_EMPTY, 0},
        {"", "EUR", AMOUNT_EMPTY, 0},
        {"12", NULL, AMOUNT_UNKNOWN_CURRENCY, 0},
        {"12", "eur", AMOUNT_UNKNOWN_CURRENCY, 0},
        {"12", "XAU", AMOUNT_UNKNOWN_CURRENCY, 0},
        /* The currency is checked before the syntax. */
        {"abc", "EURO", AMOUNT_UNKNOWN_CURRENCY, 0},
        {"12.", "EUR", AMOUNT_BAD_SYNTAX, 0},
        {".5", "EUR", AMOUNT_BAD_SYNTAX, 0},
        {".", "EUR", AMOUNT_BAD_SYNTAX, 0},
        {"-1", "EUR", AMOUNT_BAD_SYNTAX, 0},
        {"-0.01", "EUR", AMOUNT_BAD_SYNTAX, 0},
        {"+1", "EUR", AMOUNT_BAD_SYNTAX, 0},
        {"1e3", "EUR", AMOUNT_BAD_SYNTAX, 0},
        {"1E3", "EUR", AMOUNT_BAD_SYNTAX, 0},
        {" 1", "EUR", AMOUNT_BAD_SYNTAX, 0},
        {"1 ", "EUR", AMOUNT_BAD_SYNTAX, 0},
        {"1 000", "EUR", AMOUNT_BAD_SYNTAX, 0},
        {"1,000", "EUR", AMOUNT_BAD_SYNTAX, 0},
        {"1,50", "EUR", AMOUNT_BAD_SYNTAX, 0},
        {"1_000", "EUR", AMOUNT_BAD_SYNTAX, 0},
        {"1.2.3", "EUR", AMOUNT_BAD_SYNTAX, 0},
        {"1..2", "EUR", AMOUNT_BAD_SYNTAX, 0},
        {"12.5a", "EUR", AMOUNT_BAD_SYNTAX, 0},
        /* A bad character after too many decimals is still a syntax error. */
        {"12.345x", "EUR", AMOUNT_BAD_SYNTAX, 0},
        {"0x10", "EUR", AMOUNT_BAD_SYNTAX, 0},
        {"NaN", "EUR", AMOUNT_BAD_SYNTAX, 0},
        {"Infinity", "EUR", AMOUNT_BAD_SYNTAX, 0},
        {"12\n", "EUR", AMOUNT_BAD_SYNTAX, 0},
        {"\xd9\xa1", "EUR", AMOUNT_BAD_SYNTAX, 0},     /* ARABIC-INDIC DIGIT ONE */
        {"\xef\xbc\x91", "EUR", AMOUNT_BAD_SYNTAX, 0}, /* FULLWIDTH DIGIT ONE */
    };

    (void)state;
    run_parse_cases(cases, RELAY_ARRAY_LEN(cases));
}

static void test_parse_bounds(void **state)
{
    static const struct parse_case cases[] = {
        {"9999999999999.99", "EUR", AMOUNT_OK, AMOUNT_MAX_MINOR},
        {"10000000000000", "EUR", AMOUNT_TOO_LARGE, 0},
        {"10000000000000.00", "EUR", AMOUNT_TOO_LARGE, 0},
        {"9999999999999.991", "EUR", AMOUNT_TOO_MANY_DECIMALS, 0},
        {"999999999999999", "JPY", AMOUNT_OK, AMOUNT_MAX_MINOR},
        {"1000000000000000", "JPY", AMOUNT_TOO_LARGE, 0},
        {"999999999999.999", "KWD", AMOUNT_OK, AMOUNT_MAX_MINOR},
        {"1000000000000", "KWD", AMOUNT_TOO_LARGE, 0},
        {"99999999999.9999", "CLF", AMOUNT_OK, AMOUNT_MAX_MINOR},
        {"100000000000", "CLF", AMOUNT_TOO_LARGE, 0},
        /* Around int64_t and uint64_t limits: refused, never wrapped. */
        {"9223372036854775807", "JPY", AMOUNT_TOO_LARGE, 0},
        {"9223372036854775808", "JPY", AMOUNT_TOO_LARGE, 0},
        {"92233720368547758.07", "EUR", AMOUNT_TOO_LARGE, 0},
        {"18446744073709551616", "JPY", AMOUNT_TOO_LARGE, 0},
        {"18446744073709551617.00", "EUR", AMOUNT_TOO_LARGE, 0},
        /* Values that would wrap to small positives with 64-bit overflow. */
        {"18446744073709551617", "JPY", AMOUNT_TOO_LARGE, 0},
        {"1844674407370955162", "EUR", AMOUNT_TOO_LARGE, 0},
    };
    char huge[2048];

    (void)state;
    run_parse_cases(cases, RELAY_ARRAY_LEN(cases));

    /* A very long number. */
    memset(huge, '9', sizeof(huge) - 1);
    huge[sizeof(huge) - 1] = '\0';
    {
        int64_t minor = -1;

        assert_int_equal(amount_parse(huge, "EUR", &minor), AMOUNT_TOO_LARGE);
        assert_true(minor == 0);
    }
    /* Very many leading zeros do not count. */
    memset(huge, '0', sizeof(huge) - 1);
    memcpy(huge + sizeof(huge) - 6, "12.34", 6);
    {
        int64_t minor = -1;

        assert_int_equal(amount_parse(huge, "EUR", &minor), AMOUNT_OK);
        assert_true(minor == 1234);
    }
}

static void test_format(void **state)
{
    static const struct {
        int64_t minor;
        const char *currency;
        const char *text;
    } cases[] = {
        {1250000, "EUR", "12500.00"},
        {1, "EUR", "0.01"},
        {5, "EUR", "0.05"},
        {10, "EUR", "0.10"},
        {100, "EUR", "1.00"},
        {0, "EUR", "0.00"},
        {1234, "KWD", "1.234"},
        {1, "KWD", "0.001"},
        {7, "JPY", "7"},
        {0, "JPY", "0"},
        {150000, "JPY", "150000"},
        {12345, "CLF", "1.2345"},
        {AMOUNT_MAX_MINOR, "EUR", "9999999999999.99"},
        {AMOUNT_MAX_MINOR, "JPY", "999999999999999"},
        {AMOUNT_MAX_MINOR, "CLF", "99999999999.9999"},
    };
    char out[AMOUNT_FORMAT_MAX];

    (void)state;
    for (size_t i = 0; i < RELAY_ARRAY_LEN(cases); i++) {
        assert_int_equal(amount_format(cases[i].minor, cases[i].currency, out, sizeof(out)), 0);
        assert_string_equal(out, cases[i].text);
    }
}

static void test_format_refusals(void **state)
{
    char out[AMOUNT_FORMAT_MAX];
    char small[8];

    (void)state;
    assert_int_equal(amount_format(100, "XAU", out, sizeof(out)), -1);
    assert_string_equal(out, "");
    assert_int_equal(amount_format(100, NULL, out, sizeof(out)), -1);
    assert_int_equal(amount_format(-1, "EUR", out, sizeof(out)), -1);
    assert_int_equal(amount_format(INT64_MIN, "EUR", out, sizeof(out)), -1);
    assert_int_equal(amount_format(AMOUNT_MAX_MINOR + 1, "EUR", out, sizeof(out)), -1);
    assert_int_equal(amount_format(INT64_MAX, "JPY", out, sizeof(out)), -1);
    /* "12500.00" needs 9 bytes. */
    assert_int_equal(amount_format(1250000, "EUR", small, sizeof(small)), -1);
    assert_string_equal(small, "");
    assert_int_equal(amount_format(1250000, "EUR", out, 9), 0);
    assert_string_equal(out, "12500.00");
    assert_int_equal(amount_format(1, "EUR", NULL, 0), -1);
    assert_int_equal(amount_format(1, "EUR", out, 0), -1);
}

/* format(parse(x)) is canonical, and parse(format(m)) == m, for every
 * currency of the table. */
static void test_round_trip_every_currency(void **state)
{
    static const int64_t values[] = {1, 9, 10, 99, 100, 101, 123456789, AMOUNT_MAX_MINOR};
    char code[4] = {0};

    (void)state;
    for (char a = 'A'; a <= 'Z'; a++) {
        for (char b = 'A'; b <= 'Z'; b++) {
            for (char c = 'A'; c <= 'Z'; c++) {
                code[0] = a;
                code[1] = b;
                code[2] = c;
                if (currency_exponent(code) < 0) {
                    continue;
                }
                for (size_t i = 0; i < RELAY_ARRAY_LEN(values); i++) {
                    char text[AMOUNT_FORMAT_MAX];
                    int64_t back = 0;

                    assert_int_equal(amount_format(values[i], code, text, sizeof(text)), 0);
                    assert_int_equal(amount_parse(text, code, &back), AMOUNT_OK);
                    assert_true(back == values[i]);
                }
            }
        }
    }
}

static void test_canonical_form(void **state)
{
    int64_t minor = 0;
    char out[AMOUNT_FORMAT_MAX];

    (void)state;
    assert_int_equal(amount_parse("0012.5", "EUR", &minor), AMOUNT_OK);
    assert_int_equal(amount_format(minor, "EUR", out, sizeof(out)), 0);
    assert_string_equal(out, "12.50");
    assert_int_equal(amount_parse("7.1", "KWD", &minor), AMOUNT_OK);
    assert_int_equal(amount_format(minor, "KWD", out, sizeof(out)), 0);
    assert_string_equal(out, "7.100");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exponents),
        cmocka_unit_test(test_exponent_table_complete),
        cmocka_unit_test(test_parse_exponent_edges),
        cmocka_unit_test(test_parse_syntax),
        cmocka_unit_test(test_parse_bounds),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_format_refusals),
        cmocka_unit_test(test_round_trip_every_currency),
        cmocka_unit_test(test_canonical_form),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
