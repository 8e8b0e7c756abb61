/*
 * fuzz_amount.c — libFuzzer target of relay/amount.c: amount_parse with the
 * currency taken from the first 3 bytes of the input and the value from the
 * rest ("EUR12500.00").
 *
 * Invariants (abort() when broken):
 * - amount_parse gives what a plain reading of amount.h's grammar gives
 *   (the model below, which counts digits instead of doing arithmetic), the
 *   same error in the same order, and *minor = 0 on any error;
 * - an accepted amount is 1..AMOUNT_MAX_MINOR, and amount_format then
 *   amount_parse gives it back.
 */
#include <string.h>

#include "amount.h"
#include "fuzz.h"

static int is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

/* amount.h's rules read literally, on strings of digits. */
static enum amount_error model(const char *value, const char *currency, int64_t *minor)
{
    int exponent = currency_exponent(currency);
    const char *p = value;
    const char *int_start;
    size_t int_len;
    const char *frac = "";
    size_t frac_len = 0;
    size_t skip;
    size_t digits;
    int64_t v = 0;

    *minor = 0;
    if (value[0] == '\0') {
        return AMOUNT_EMPTY;
    }
    if (exponent < 0) {
        return AMOUNT_UNKNOWN_CURRENCY;
    }
    int_start = p;
    while (is_digit(*p)) {
        p++;
    }
    int_len = (size_t)(p - int_start);
    if (int_len == 0) {
        return AMOUNT_BAD_SYNTAX;
    }
    if (*p == '.') {
        frac = ++p;
        while (is_digit(*p)) {
            p++;
        }
        frac_len = (size_t)(p - frac);
        if (frac_len == 0) {
            return AMOUNT_BAD_SYNTAX;
        }
    }
    if (*p != '\0') {
        return AMOUNT_BAD_SYNTAX;
    }
    if (frac_len > (size_t)exponent) {
        return AMOUNT_TOO_MANY_DECIMALS;
    }
    /* minor units = the integer digits then the decimals padded to the
     * exponent; leading zeros count for nothing. */
    for (skip = 0; skip < int_len && int_start[skip] == '0'; skip++) {
    }
    digits = int_len - skip + (size_t)exponent;
    if (skip == int_len) {
        size_t z;

        for (z = 0; z < frac_len && frac[z] == '0'; z++) {
        }
        digits = (size_t)exponent - z;
    }
    if (digits > 15) {
        return AMOUNT_TOO_LARGE;
    }
    for (size_t i = skip; i < int_len; i++) {
        v = v * 10 + (int_start[i] - '0');
    }
    for (int i = 0; i < exponent; i++) {
        v = v * 10 + ((size_t)i < frac_len ? frac[i] - '0' : 0);
    }
    if (v == 0) {
        return AMOUNT_NOT_POSITIVE;
    }
    *minor = v;
    return AMOUNT_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t n = size < 3 ? size : 3;
    char *currency = fuzz_cstr(data, n);
    char *value = fuzz_cstr(data + n, size - n);
    int64_t minor = -1;
    int64_t expected = -1;
    enum amount_error e = amount_parse(value, currency, &minor);
    enum amount_error m = model(value, currency, &expected);

    if (e != m || minor != expected) {
        fprintf(stderr, "amount_parse(\"%s\", \"%s\") = %d, %lld; expected %d, %lld\n", value,
                currency, (int)e, (long long)minor, (int)m, (long long)expected);
    }
    FUZZ_CHECK(e == m);
    FUZZ_CHECK(minor == expected);
    if (e == AMOUNT_OK) {
        char text[AMOUNT_FORMAT_MAX];
        char again[AMOUNT_FORMAT_MAX];
        int64_t back = -1;

        FUZZ_CHECK(minor > 0 && minor <= AMOUNT_MAX_MINOR);
        FUZZ_CHECK(amount_format(minor, currency, text, sizeof(text)) == 0);
        FUZZ_CHECK(amount_parse(text, currency, &back) == AMOUNT_OK && back == minor);
        /* the canonical form is a fixed point */
        FUZZ_CHECK(amount_format(back, currency, again, sizeof(again)) == 0);
        FUZZ_CHECK(strcmp(text, again) == 0);
    } else {
        FUZZ_CHECK(minor == 0);
    }
    free(currency);
    free(value);
    return 0;
}
