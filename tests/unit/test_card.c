/*
 * test_card.c — unit tests of relay/card.c: Luhn, PAN reduction to BIN and
 * last 4, the checks of those parts, and detection of card numbers in free
 * text (with its deliberate exclusions: IBAN tails, SIRET-like numbers).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "card.h"

static void test_luhn(void **state)
{
    static const char *const ok[] = {
        "4111111111111111", /* Visa test number */
        "5555555555554444", /* Mastercard */
        "378282246310005",  /* Amex, 15 */
        "30569309025904",   /* Diners, 14 */
        "6011111111111117", /* Discover */
        "4222222222222",    /* Visa, 13 */
        "4970101234567893",
        "6270000000000000003", /* 19 */
        "18",
        "00",
        "79927398713", /* the classic worked example */
    };
    static const char *const bad[] = {
        "4111111111111112",
        "4111111111111121", /* adjacent transposition */
        "5555555555554445",
        "378282246310006",
        "4970101234567890",
        "79927398710",
        "",
        "0",
        "7",
        "4111 1111 1111 1111",
        "4111-1111-1111-1111",
        "411111111111111a",
        " 4111111111111111",
        "4111111111111111\n",
    };

    (void)state;
    for (size_t i = 0; i < RELAY_ARRAY_LEN(ok); i++) {
        assert_int_equal(card_luhn_ok(ok[i]), 1);
    }
    for (size_t i = 0; i < RELAY_ARRAY_LEN(bad); i++) {
        assert_int_equal(card_luhn_ok(bad[i]), 0);
    }
    assert_int_equal(card_luhn_ok(NULL), 0);
}

/* Luhn catches every single-digit error of a valid number. */
static void test_luhn_single_errors(void **state)
{
    const char *valid = "4970101234567893";
    char buf[32];
    size_t len = strlen(valid);

    (void)state;
    for (size_t i = 0; i < len; i++) {
        for (char d = '0'; d <= '9'; d++) {
            if (d == valid[i]) {
                continue;
            }
            memcpy(buf, valid, len + 1);
            buf[i] = d;
            assert_int_equal(card_luhn_ok(buf), 0);
        }
    }
}

static void test_reduce_pan(void **state)
{
    static const struct {
        const char *pan;
        const char *bin;
        const char *last4;
    } cases[] = {
        {"4111111111111111", "411111", "1111"},
        {"4970 1012 3456 7893", "497010", "7893"},
        {"4970-1012-3456-7893", "497010", "7893"},
        {" 4970 1012-3456 7893 ", "497010", "7893"},
        {"3782 822463 10005", "378282", "0005"},
        {"497010123451", "497010", "3451"},        /* 12 digits */
        {"6270000000000000003", "627000", "0003"}, /* 19 digits */
        {"6270 0000 0000 0000 003", "627000", "0003"},
    };
    static const struct {
        const char *pan;
        enum card_error want;
    } refusals[] = {
        {"4111111111111112", CARD_LUHN},
        {"4970 1012 3456 7890", CARD_LUHN},
        {"4111x11111111111", CARD_BAD_CHAR},
        {"4111.1111.1111.1111", CARD_BAD_CHAR},
        {"4111/1111/1111/1111", CARD_BAD_CHAR},
        {"4111\t1111 1111 1111", CARD_BAD_CHAR},
        {"4111\xc2\xa0"
         "1111 1111 1111",
         CARD_BAD_CHAR},
        {"", CARD_BAD_LENGTH},
        {"   ", CARD_BAD_LENGTH},
        {"49701012345", CARD_BAD_LENGTH},          /* 11 */
        {"41111111111111111230", CARD_BAD_LENGTH}, /* 20, Luhn-valid */
        {"4111 1111 1111 1111 1111 1111 1111", CARD_BAD_LENGTH},
        /* A bad character after too many digits is reported as such. */
        {"41111111111111111230x", CARD_BAD_CHAR},
        {NULL, CARD_BAD_CHAR},
    };

    (void)state;
    for (size_t i = 0; i < RELAY_ARRAY_LEN(cases); i++) {
        char bin[7];
        char last4[5];

        assert_int_equal(card_reduce_pan(cases[i].pan, bin, last4), CARD_OK);
        assert_string_equal(bin, cases[i].bin);
        assert_string_equal(last4, cases[i].last4);
        assert_int_equal(card_check_bin(bin), 0);
        assert_int_equal(card_check_last4(last4), 0);
    }
    for (size_t i = 0; i < RELAY_ARRAY_LEN(refusals); i++) {
        char bin[7];
        char last4[5];

        memset(bin, 'x', sizeof(bin));
        memset(last4, 'x', sizeof(last4));
        assert_int_equal(card_reduce_pan(refusals[i].pan, bin, last4), refusals[i].want);
        assert_string_equal(bin, "");
        assert_string_equal(last4, "");
    }
}

static void test_check_bin_last4(void **state)
{
    static const char *const bins_ok[] = {"411111", "497010", "000000", "41111111", "22210000"};
    static const char *const bins_bad[] = {"",       "41111",   "4111111",          "411111111",
                                           "41111a", "411 111", "4111111111111111", " 411111",
                                           "411111 "};
    static const char *const last4_ok[] = {"1111", "0000", "7893"};
    static const char *const last4_bad[] = {"", "111", "11111", "11a1", " 111", "1111 ", "-111"};

    (void)state;
    for (size_t i = 0; i < RELAY_ARRAY_LEN(bins_ok); i++) {
        assert_int_equal(card_check_bin(bins_ok[i]), 0);
    }
    for (size_t i = 0; i < RELAY_ARRAY_LEN(bins_bad); i++) {
        assert_int_equal(card_check_bin(bins_bad[i]), -1);
    }
    for (size_t i = 0; i < RELAY_ARRAY_LEN(last4_ok); i++) {
        assert_int_equal(card_check_last4(last4_ok[i]), 0);
    }
    for (size_t i = 0; i < RELAY_ARRAY_LEN(last4_bad); i++) {
        assert_int_equal(card_check_last4(last4_bad[i]), -1);
    }
    assert_int_equal(card_check_bin(NULL), -1);
    assert_int_equal(card_check_last4(NULL), -1);
}

static void test_looks_like_pan_found(void **state)
{
    static const char *const texts[] = {
        "4111111111111111",
        "ma carte 4970 1012 3456 7893 a été débitée",
        "CB n°4970101234567893 volée",
        "carte: 4970-1012-3456-7893.",
        "(4111111111111111)",
        "4970\xc2\xa0"
        "1012\xc2\xa0"
        "3456\xc2\xa0"
        "7893", /* no-break spaces */
        "4970\xe2\x80\xaf"
        "1012\xe2\x80\xaf"
        "3456\xe2\x80\xaf"
        "7893", /* narrow */
        "Amex 3782 822463 10005",
        "Diners 3056 9309 0259 04",
        "visa 4222222222222 ok",
        "carte 6270 0000 0000 0000 003",
        /* Followed by its expiry or its CVV in the same chain. */
        "4970 1012 3456 7893 12/27",
        "4970 1012 3456 7893 12 27",
        "4970101234567893 123",
        /* Preceded by other numbers in the same chain. */
        "ref 12 4111 1111 1111 1111 99",
        "le 12-03 4111-1111-1111-1111",
        /* A first line, then the number. */
        "Bonjour,\nvoici le numéro\n4111 1111 1111 1111\nmerci",
        /* The digits of an IBAN tail, without the IBAN start before them. */
        "compte 3000 6000 0108 7973 2321 668",
        "2811 1015 5795 7930 388",
    };

    (void)state;
    for (size_t i = 0; i < RELAY_ARRAY_LEN(texts); i++) {
        if (card_looks_like_pan(texts[i]) != 1) {
            print_error("not detected: \"%s\"\n", texts[i]);
        }
        assert_int_equal(card_looks_like_pan(texts[i]), 1);
    }
}

static void test_looks_like_pan_not_found(void **state)
{
    static const char *const texts[] = {
        "",
        "rien à signaler",
        "4111111111111112", /* Luhn fails */
        "4111 1111 1111 1112",
        "497010123451", /* 12 digits: too short to count */
        "appelez le 06 12 34 56 78",
        "06 12 34 56 78 07 12 34 56 78", /* two phone numbers, 20 digits */
        "le 2024-03-15 à 10:00",
        "montant 12 500,00 EUR",
        "41111111111111111230", /* one 20-digit group */
        "x4111111111111111",    /* glued to a word */
        "4111111111111111abc",
        "4111,1111,1111,1111", /* ',' does not join groups */
        "4111 / 1111 / 1111 / 1111",
        /* SIRET, 14 digits, Luhn-valid by construction, not starting with 3. */
        "société SIRET 732 829 320 00074",
        "SIRET 55282932000076",
        /* IBANs written in groups: their digit tails are not card numbers. */
        "IBAN FR52 3000 6000 0108 7973 2321 668",
        "iban fr52 3000 6000 0108 7973 2321 668",
        "IT95 X054 2811 1015 5795 7930 388",
        "FR7630006000011234567890189",
        "FR76 3000 6000 0112 3456 7890 189",
    };

    (void)state;
    for (size_t i = 0; i < RELAY_ARRAY_LEN(texts); i++) {
        if (card_looks_like_pan(texts[i]) != 0) {
            print_error("false positive: \"%s\"\n", texts[i]);
        }
        assert_int_equal(card_looks_like_pan(texts[i]), 0);
    }
    assert_int_equal(card_looks_like_pan(NULL), 0);
}

/* The premises of the exclusions above, checked with the module's own Luhn. */
static void test_looks_like_pan_premises(void **state)
{
    (void)state;
    assert_int_equal(card_luhn_ok("73282932000074"), 1);
    assert_int_equal(card_luhn_ok("55282932000076"), 1);
    assert_int_equal(card_luhn_ok("3000600001087973"), 1);
    assert_int_equal(card_luhn_ok("101557957930388"), 1);
    /* A 14-digit candidate starting with 3 still counts (Diners). */
    assert_int_equal(card_looks_like_pan("30569309025904"), 1);
    /* An IBAN start only excuses the chain right after it. */
    assert_int_equal(card_looks_like_pan("FR52 3000 6000 0108 7973 2321 668 et la carte "
                                         "4111 1111 1111 1111"),
                     1);
    assert_int_equal(card_looks_like_pan("FR76 puis carte 4111 1111 1111 1111"), 1);
}

/* A long text made of digit groups: bounded work, no overflow, right answer. */
static void test_looks_like_pan_long_chain(void **state)
{
    static char text[40000];
    size_t n = 0;

    (void)state;
    while (n + 5 < sizeof(text) - 32) {
        memcpy(text + n, "1234 ", 5);
        n += 5;
    }
    text[n] = '\0';
    /* "1234" repeated: a 16-digit window 1234123412341234 fails Luhn, and so
     * do all the others (sums of whole groups). */
    assert_int_equal(card_luhn_ok("1234123412341234"), 0);
    assert_int_equal(card_looks_like_pan(text), 0);
    memcpy(text + n, "4111 1111 1111 1111", 20);
    assert_int_equal(card_looks_like_pan(text), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_luhn),
        cmocka_unit_test(test_luhn_single_errors),
        cmocka_unit_test(test_reduce_pan),
        cmocka_unit_test(test_check_bin_last4),
        cmocka_unit_test(test_looks_like_pan_found),
        cmocka_unit_test(test_looks_like_pan_not_found),
        cmocka_unit_test(test_looks_like_pan_premises),
        cmocka_unit_test(test_looks_like_pan_long_chain),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
