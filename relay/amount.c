/*
 * amount.c — decimal strings <-> integer minor units; see amount.h.
 */
#include "amount.h"

#include <assert.h>
#include <string.h>

struct currency {
    char code[4];
    unsigned char exponent;
};

/* Sorted by code (currency_find relies on it). ISO 4217 list one,
 * 2026-01-01, plus BGN and ANG (see amount.h). */
static const struct currency currencies[] = {
    {"AED", 2}, {"AFN", 2}, {"ALL", 2}, {"AMD", 2}, {"ANG", 2}, {"AOA", 2}, {"ARS", 2}, {"AUD", 2},
    {"AWG", 2}, {"AZN", 2}, {"BAM", 2}, {"BBD", 2}, {"BDT", 2}, {"BGN", 2}, {"BHD", 3}, {"BIF", 0},
    {"BMD", 2}, {"BND", 2}, {"BOB", 2}, {"BOV", 2}, {"BRL", 2}, {"BSD", 2}, {"BTN", 2}, {"BWP", 2},
    {"BYN", 2}, {"BZD", 2}, {"CAD", 2}, {"CDF", 2}, {"CHE", 2}, {"CHF", 2}, {"CHW", 2}, {"CLF", 4},
    {"CLP", 0}, {"CNY", 2}, {"COP", 2}, {"COU", 2}, {"CRC", 2}, {"CUP", 2}, {"CVE", 2}, {"CZK", 2},
    {"DJF", 0}, {"DKK", 2}, {"DOP", 2}, {"DZD", 2}, {"EGP", 2}, {"ERN", 2}, {"ETB", 2}, {"EUR", 2},
    {"FJD", 2}, {"FKP", 2}, {"GBP", 2}, {"GEL", 2}, {"GHS", 2}, {"GIP", 2}, {"GMD", 2}, {"GNF", 0},
    {"GTQ", 2}, {"GYD", 2}, {"HKD", 2}, {"HNL", 2}, {"HTG", 2}, {"HUF", 2}, {"IDR", 2}, {"ILS", 2},
    {"INR", 2}, {"IQD", 3}, {"IRR", 2}, {"ISK", 0}, {"JMD", 2}, {"JOD", 3}, {"JPY", 0}, {"KES", 2},
    {"KGS", 2}, {"KHR", 2}, {"KMF", 0}, {"KPW", 2}, {"KRW", 0}, {"KWD", 3}, {"KYD", 2}, {"KZT", 2},
    {"LAK", 2}, {"LBP", 2}, {"LKR", 2}, {"LRD", 2}, {"LSL", 2}, {"LYD", 3}, {"MAD", 2}, {"MDL", 2},
    {"MGA", 2}, {"MKD", 2}, {"MMK", 2}, {"MNT", 2}, {"MOP", 2}, {"MRU", 2}, {"MUR", 2}, {"MVR", 2},
    {"MWK", 2}, {"MXN", 2}, {"MXV", 2}, {"MYR", 2}, {"MZN", 2}, {"NAD", 2}, {"NGN", 2}, {"NIO", 2},
    {"NOK", 2}, {"NPR", 2}, {"NZD", 2}, {"OMR", 3}, {"PAB", 2}, {"PEN", 2}, {"PGK", 2}, {"PHP", 2},
    {"PKR", 2}, {"PLN", 2}, {"PYG", 0}, {"QAR", 2}, {"RON", 2}, {"RSD", 2}, {"RUB", 2}, {"RWF", 0},
    {"SAR", 2}, {"SBD", 2}, {"SCR", 2}, {"SDG", 2}, {"SEK", 2}, {"SGD", 2}, {"SHP", 2}, {"SLE", 2},
    {"SOS", 2}, {"SRD", 2}, {"SSP", 2}, {"STN", 2}, {"SVC", 2}, {"SYP", 2}, {"SZL", 2}, {"THB", 2},
    {"TJS", 2}, {"TMT", 2}, {"TND", 3}, {"TOP", 2}, {"TRY", 2}, {"TTD", 2}, {"TWD", 2}, {"TZS", 2},
    {"UAH", 2}, {"UGX", 0}, {"USD", 2}, {"USN", 2}, {"UYI", 0}, {"UYU", 2}, {"UYW", 4}, {"UZS", 2},
    {"VED", 2}, {"VES", 2}, {"VND", 0}, {"VUV", 0}, {"WST", 2}, {"XAD", 2}, {"XAF", 0}, {"XCD", 2},
    {"XCG", 2}, {"XOF", 0}, {"XPF", 0}, {"YER", 2}, {"ZAR", 2}, {"ZMW", 2}, {"ZWG", 2},
};

/* 10^0 .. 10^4: the exponents of the table. */
static const int64_t pow10_table[] = {1, 10, 100, 1000, 10000};

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static const struct currency *currency_find(const char *code)
{
    size_t lo = 0;
    size_t hi = RELAY_ARRAY_LEN(currencies);

    if (code == NULL) {
        return NULL;
    }
    for (int i = 0; i < 3; i++) {
        if (code[i] < 'A' || code[i] > 'Z') {
            return NULL;
        }
    }
    if (code[3] != '\0') {
        return NULL;
    }
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int cmp = memcmp(code, currencies[mid].code, 3);

        if (cmp == 0) {
            return &currencies[mid];
        }
        if (cmp < 0) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    return NULL;
}

int currency_exponent(const char *code)
{
    const struct currency *c = currency_find(code);

    return c == NULL ? -1 : (int)c->exponent;
}

enum amount_error amount_parse(const char *value, const char *currency, int64_t *minor)
{
    const char *p = value;
    const char *int_start;
    const char *int_end;
    const char *frac_start = NULL;
    size_t frac_len = 0;
    int exponent;
    int64_t v = 0;

    assert(minor != NULL);
    *minor = 0;
    if (value == NULL || value[0] == '\0') {
        return AMOUNT_EMPTY;
    }
    exponent = currency_exponent(currency);
    if (exponent < 0) {
        return AMOUNT_UNKNOWN_CURRENCY;
    }

    /* Syntax first, over the whole string, so "1.2.3" and "1.234x" are
     * syntax errors whatever the currency. */
    int_start = p;
    while (is_digit(*p)) {
        p++;
    }
    int_end = p;
    if (int_end == int_start) {
        return AMOUNT_BAD_SYNTAX;
    }
    if (*p == '.') {
        p++;
        frac_start = p;
        while (is_digit(*p)) {
            p++;
        }
        frac_len = (size_t)(p - frac_start);
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

    /* Integer part, bounded so that v * 10^exponent stays <= the maximum.
     * Leading zeros cost nothing; every step is checked before it is taken,
     * so no intermediate value exceeds AMOUNT_MAX_MINOR. */
    for (const char *q = int_start; q < int_end; q++) {
        int64_t d = *q - '0';

        if (v > (AMOUNT_MAX_MINOR - d) / 10) {
            return AMOUNT_TOO_LARGE;
        }
        v = v * 10 + d;
    }
    if (v > AMOUNT_MAX_MINOR / pow10_table[exponent]) {
        return AMOUNT_TOO_LARGE;
    }
    v *= pow10_table[exponent];

    /* Decimals, right-padded with zeros to the exponent. With a maximum of
     * the form 10^k - 1 the test below cannot fire (v is a multiple of
     * 10^exponent, frac is below it); it stays for any other maximum. */
    {
        int64_t frac = 0;

        for (size_t i = 0; i < (size_t)exponent; i++) {
            int64_t d = i < frac_len ? frac_start[i] - '0' : 0;

            frac = frac * 10 + d;
        }
        if (v > AMOUNT_MAX_MINOR - frac) {
            return AMOUNT_TOO_LARGE;
        }
        v += frac;
    }

    if (v == 0) {
        return AMOUNT_NOT_POSITIVE;
    }
    *minor = v;
    return AMOUNT_OK;
}

int amount_format(int64_t minor, const char *currency, char *out, size_t out_size)
{
    char tmp[AMOUNT_FORMAT_MAX];
    size_t n = 0;
    int exponent = currency_exponent(currency);
    int64_t v = minor;

    if (out != NULL && out_size > 0) {
        out[0] = '\0';
    }
    if (out == NULL || exponent < 0 || minor < 0 || minor > AMOUNT_MAX_MINOR) {
        return -1;
    }
    /* Digits from the right: the decimals, the point, then the integer part
     * (at least one digit, so 5 minor units of EUR read "0.05"). */
    for (int i = 0; i < exponent; i++) {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    }
    if (exponent > 0) {
        tmp[n++] = '.';
    }
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);

    if (out_size < n + 1) {
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        out[i] = tmp[n - 1 - i];
    }
    out[n] = '\0';
    return 0;
}
