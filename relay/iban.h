/*
 * iban.h — owns account identifiers: IBAN normalisation and validation
 * (ISO 13616, with the per-country lengths and BBAN structures of the SWIFT
 * IBAN registry), the parts of an IBAN the relay routes on (country, bank
 * identifier), the masked form that may appear in logs, and BIC shape checks
 * (ISO 9362).
 *
 * Pure: no I/O, no allocation, no global mutable state. Every output buffer
 * is the caller's and is always NUL-terminated when its size is not zero
 * (an empty string on failure).
 *
 * Data: SWIFT IBAN Registry, release 102 (June 2026), 89 countries. Only the
 * registry's own prefixes are accepted: territories that the registry folds
 * into another country (GF, GP, MQ, RE, YT, PM, NC, PF, WF, BL, MF, TF under
 * FR; IM, JE, GG under GB; AX under FI) issue IBANs with that country's
 * prefix, so "GP..." is IBAN_UNKNOWN_COUNTRY.
 */
#ifndef RELAY48_IBAN_H
#define RELAY48_IBAN_H

#include <stddef.h>

#include "common.h"

/* Longest IBAN of ISO 13616; buffers are IBAN_MAX + 1. */
#define IBAN_MAX 34
/* Longest BIC (ISO 9362, with branch code); buffers are BIC_MAX + 1. */
#define BIC_MAX 11
/* Longest bank identifier of the registry (RU, 9 digits); buffers are + 1. */
#define IBAN_BANK_CODE_MAX 9

/*
 * Why an IBAN was refused, in the order they are checked. Stable values: the
 * caller maps them to one machine code (invalid_iban) and a message.
 */
enum iban_error {
    IBAN_OK = 0,
    IBAN_EMPTY,           /* NULL, or nothing but spaces */
    IBAN_TOO_LONG,        /* more than IBAN_MAX characters once spaces are removed */
    IBAN_BAD_CHAR,        /* a character other than A-Z, a-z, 0-9 (and ' ' in input) */
    IBAN_UNKNOWN_COUNTRY, /* first two characters are not a registry country */
    IBAN_BAD_LENGTH,      /* not the registry length of that country */
    IBAN_BAD_FORMAT,      /* check digits not digits, or the BBAN breaks its structure */
    IBAN_BAD_CHECKSUM     /* ISO 7064 MOD 97-10 fails, or check digits 00, 01 or 99 */
};

/*
 * Normalise user input: remove ASCII spaces (0x20) anywhere, upper-case
 * ASCII letters. Anything else, tabs, '-', '.', a non-breaking space or any
 * non-ASCII byte included, is IBAN_BAD_CHAR: the HTTP layer trims its fields,
 * and an IBAN copied with odd characters is better re-typed than guessed.
 * Returns IBAN_OK, IBAN_EMPTY, IBAN_TOO_LONG or IBAN_BAD_CHAR; `out` holds
 * the normalised IBAN on IBAN_OK, "" otherwise. Does not validate.
 */
RELAY_MUSTCHECK enum iban_error iban_normalise(const char *in, char out[IBAN_MAX + 1]);

/*
 * Validate a normalised IBAN (upper case, no spaces): known country, that
 * country's length, two check digits, the BBAN structure of the registry
 * (n digits, a upper-case letters, c upper-case letters or digits: this is
 * what refuses a letter typed where the bank code has digits, even when
 * MOD 97-10 happens to pass), then MOD 97-10 == 1. Lower case is
 * IBAN_BAD_CHAR here: call iban_normalise first, or iban_validate.
 */
RELAY_MUSTCHECK enum iban_error iban_check(const char *normalised);

/* iban_normalise then iban_check. `out` holds the normalised IBAN only on IBAN_OK. */
RELAY_MUSTCHECK enum iban_error iban_validate(const char *in, char out[IBAN_MAX + 1]);

/* Short English text for an error ("unknown country code"); never NULL. */
const char *iban_error_message(enum iban_error e);

/*
 * Registry length of the IBANs of a country ("FR" -> 27), to tell a user how
 * many characters are expected; -1 when the code is not a registry country.
 */
RELAY_MUSTCHECK int iban_country_length(const char *country);

/*
 * Bank identifier of a valid IBAN, as the registry places it in the BBAN
 * (FR/MC: 5 digits, DE: 8 digits, BE 3, ES 4, IT/SM: 5 digits after the
 * CIN letter, NL 4 letters, LU 3, GB/IE 4 letters, CH 5, PT 4, ...): the key
 * of the bank directory (country + bank code -> BIC). Every registry country
 * defines one. Returns its length (> 0), or -1 when `normalised` does not
 * pass iban_check or `out_size` is too small (at most IBAN_BANK_CODE_MAX + 1
 * is needed).
 */
RELAY_MUSTCHECK int iban_bank_code(const char *normalised, char *out, size_t out_size);

/*
 * Country code of a normalised IBAN ("FR"). Checks only that the first two
 * characters are a registry country, not the rest: 0, or -1.
 */
RELAY_MUSTCHECK int iban_country(const char *normalised, char out[3]);

/*
 * The form of an IBAN that logs may carry (STYLE.md: never the victim's full
 * IBAN): country and check digits, then '*' for each hidden character, then
 * the last 4 ("FR76*******************0189"). Strings of 4 to 11 characters
 * keep only their first 2 (a short string would otherwise be shown whole).
 * Works on any normalised string, valid or not, so a refused IBAN can be
 * logged too. Returns 0, or -1 when `normalised` has characters other than
 * A-Z and 0-9, is shorter than 4 or longer than IBAN_MAX, or `out_size` is
 * below its length + 1.
 */
RELAY_MUSTCHECK int iban_mask(const char *normalised, char *out, size_t out_size);

/*
 * BIC shape (ISO 9362): 8 or 11 characters, 4 letters (institution), 2
 * letters (country: the shape of an ISO 3166 alpha-2 code, not a lookup), 2
 * letters or digits (location), then optionally 3 letters or digits
 * (branch). Upper case only. Returns 0 when valid, -1 otherwise. "BNPAFRPP"
 * and "BNPAFRPPXXX" both pass; they name the same primary office, and this
 * module does not rewrite one into the other.
 */
RELAY_MUSTCHECK int bic_check(const char *in);

/*
 * Remove ASCII spaces, upper-case ASCII letters, then bic_check. Returns 0
 * with the BIC in `out`, or -1 with `out` = "".
 */
RELAY_MUSTCHECK int bic_normalise(const char *in, char out[BIC_MAX + 1]);

#endif
