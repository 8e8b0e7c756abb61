/*
 * amount.h — owns money amounts: the ISO 4217 minor-unit exponent of each
 * currency, and the conversion between the contract's decimal strings
 * ("12500.00") and integer minor units (1250000). Never a float: an amount is
 * an int64_t count of minor units from the moment it is parsed.
 *
 * Pure: no I/O, no allocation, no global mutable state.
 *
 * Data: ISO 4217 list one as published on 2026-01-01 (SIX), currencies with
 * a numeric minor unit, plus BGN (withdrawn 2026-01-01, Bulgaria joined the
 * euro) and ANG (replaced by XCG in 2025), kept because a report can concern a
 * transfer made before the withdrawal. Codes whose minor unit is "N.A." in
 * ISO 4217 (XAU, XAG, XPT, XPD, XDR, XBA-XBD, XSU, XUA, XTS, XXX) are not
 * currencies a transfer is made in and are unknown here.
 */
#ifndef RELAY48_AMOUNT_H
#define RELAY48_AMOUNT_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

/*
 * Largest amount accepted, in minor units: 10^15 - 1, i.e. at most 15
 * digits (9 999 999 999 999.99 EUR, 999 999 999 999 999 JPY). Far above any
 * transfer, yet below 2^53, so the figure stays exact in any JSON reader,
 * and far from INT64_MAX, so sums of a few amounts cannot overflow.
 */
#define AMOUNT_MAX_MINOR INT64_C(999999999999999)

/* Room for amount_format of any amount up to AMOUNT_MAX_MINOR, NUL included. */
#define AMOUNT_FORMAT_MAX 24

/* Why an amount was refused. Stable values. */
enum amount_error {
    AMOUNT_OK = 0,
    AMOUNT_EMPTY,             /* NULL or "" */
    AMOUNT_BAD_SYNTAX,        /* not digits[.digits] */
    AMOUNT_TOO_MANY_DECIMALS, /* more decimals than the currency's exponent */
    AMOUNT_NOT_POSITIVE,      /* zero */
    AMOUNT_TOO_LARGE,         /* above AMOUNT_MAX_MINOR minor units */
    AMOUNT_UNKNOWN_CURRENCY   /* not exactly 3 upper-case letters of the table */
};

/*
 * ISO 4217 minor-unit exponent (EUR 2, JPY 0, KWD 3, CLF 4), or -1 when
 * `code` is not exactly three upper-case letters naming a known currency
 * ("eur" is unknown: the contract's codes are upper case).
 */
RELAY_MUSTCHECK int currency_exponent(const char *code);

/*
 * Parse a decimal string into minor units of `currency`.
 * Grammar: DIGIT+ [ "." DIGIT+ ], nothing else: no sign, no '+', no
 * exponent, no spaces, no thousands separator, no ',' decimal mark. "12."
 * and ".5" are AMOUNT_BAD_SYNTAX. Leading zeros are allowed ("0012.50" is
 * 12.50): they change nothing and forms produce them. The number of
 * decimals may be anything from 1 to the exponent: "12.5" EUR is 1250, but
 * "12.500" EUR is AMOUNT_TOO_MANY_DECIMALS even though the extra digit is 0,
 * and "1.0" JPY likewise. Zero, in any spelling, is AMOUNT_NOT_POSITIVE.
 * Errors are checked in this order: EMPTY, UNKNOWN_CURRENCY, BAD_SYNTAX,
 * TOO_MANY_DECIMALS, TOO_LARGE, NOT_POSITIVE. Overflow-safe for inputs of
 * any length. `*minor` is set on AMOUNT_OK and to 0 otherwise.
 */
RELAY_MUSTCHECK enum amount_error amount_parse(const char *value, const char *currency,
                                               int64_t *minor);

/*
 * The canonical decimal string of an amount: no leading zeros but one before
 * the point, exactly `exponent` decimals, no point when the exponent is 0
 * (1250000 EUR -> "12500.00", 5 EUR -> "0.05", 1234 KWD -> "1.234", 7 JPY ->
 * "7"). `minor` must be in 0..AMOUNT_MAX_MINOR. Returns 0, or -1 (unknown
 * currency, `minor` out of range, `out_size` too small; AMOUNT_FORMAT_MAX is
 * always enough) with `out` = "" when `out_size` > 0.
 */
RELAY_MUSTCHECK int amount_format(int64_t minor, const char *currency, char *out, size_t out_size);

#endif
