/*
 * fuzz_card.c — libFuzzer target of relay/card.c: card_reduce_pan and
 * card_looks_like_pan on the input (up to its first NUL).
 *
 * Invariants (abort() when broken):
 * - card_reduce_pan yields digits only: on success a 6-digit bin that is the
 *   first 6 digits of the input and a 4-digit last4 that is its last 4, the
 *   input being 12..19 digits (with ' ' and '-' only) that pass Luhn; on any
 *   error "" and "";
 * - card_looks_like_pan says 1 for a number it would reduce when it is
 *   written as card.h's detection reads one: groups of digits separated by
 *   exactly one ' ' or '-', 13..19 digits, 14 only when it starts with '3'.
 */
#include <string.h>

#include "card.h"
#include "fuzz.h"

static int is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

static int only_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!is_digit(s[i])) {
            return 0;
        }
    }
    return 1;
}

/* Digits, with single ' ' or '-' between two digits only. */
static int is_chain(const char *s)
{
    if (!is_digit(s[0])) {
        return 0;
    }
    for (size_t i = 1; s[i] != '\0'; i++) {
        if (!is_digit(s[i]) &&
            !((s[i] == ' ' || s[i] == '-') && is_digit(s[i - 1]) && is_digit(s[i + 1]))) {
            return 0;
        }
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstr(data, size);
    size_t len = strlen(s);
    char *digits = malloc(len + 1);
    size_t ndigits = 0;
    int other = 0;
    char bin[7];
    char last4[5];
    enum card_error e;
    int looks;

    if (digits == NULL) {
        abort();
    }
    for (size_t i = 0; i < len; i++) {
        if (is_digit(s[i])) {
            digits[ndigits++] = s[i];
        } else if (s[i] != ' ' && s[i] != '-') {
            other = 1;
        }
    }
    digits[ndigits] = '\0';

    memset(bin, 'x', sizeof(bin));
    memset(last4, 'x', sizeof(last4));
    e = card_reduce_pan(s, bin, last4);
    if (e == CARD_OK) {
        FUZZ_CHECK(strlen(bin) == 6 && only_digits(bin, 6));
        FUZZ_CHECK(strlen(last4) == 4 && only_digits(last4, 4));
        FUZZ_CHECK(!other);
        FUZZ_CHECK(ndigits >= CARD_PAN_MIN && ndigits <= CARD_PAN_MAX);
        FUZZ_CHECK(memcmp(bin, digits, 6) == 0);
        FUZZ_CHECK(memcmp(last4, digits + ndigits - 4, 4) == 0);
        FUZZ_CHECK(card_luhn_ok(digits) == 1);
        FUZZ_CHECK(card_check_bin(bin) == 0 && card_check_last4(last4) == 0);
    } else {
        FUZZ_CHECK(e == CARD_BAD_CHAR || e == CARD_BAD_LENGTH || e == CARD_LUHN);
        FUZZ_CHECK(bin[0] == '\0' && last4[0] == '\0');
        FUZZ_CHECK(e != CARD_BAD_CHAR || other);
        if (!other && ndigits >= CARD_PAN_MIN && ndigits <= CARD_PAN_MAX) {
            FUZZ_CHECK(e == CARD_LUHN && card_luhn_ok(digits) == 0);
        }
    }

    looks = card_looks_like_pan(s);
    FUZZ_CHECK(looks == 0 || looks == 1);
    if (e == CARD_OK && ndigits >= 13 && is_chain(s) && (ndigits != 14 || digits[0] == '3')) {
        FUZZ_CHECK(looks == 1);
    }
    (void)card_luhn_ok(s);
    (void)card_check_bin(s);
    (void)card_check_last4(s);

    free(digits);
    free(s);
    return 0;
}
