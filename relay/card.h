/*
 * card.h — owns payment card numbers, so that a full one never goes further:
 * the Luhn check, the reduction of a full PAN to the two parts the relay may
 * keep (first 6 digits, the BIN, and last 4), the checks of those parts as
 * sent in a card report, and the detection of a full card number typed into
 * free text (a narrative, a merchant name) so that the caller can refuse or
 * redact it. ARCHITECTURE.md: a full card number is never stored, logged or
 * published.
 *
 * Pure: no I/O, no allocation, no global mutable state. The only copy of
 * PAN digits this module makes (in card_reduce_pan) is scrubbed before it
 * returns; the caller owns and scrubs the input.
 */
#ifndef RELAY48_CARD_H
#define RELAY48_CARD_H

#include <stddef.h>

#include "common.h"

/* PAN lengths accepted by card_reduce_pan (ISO/IEC 7812 PANs in use). */
#define CARD_PAN_MIN 12
#define CARD_PAN_MAX 19

/* Why a PAN was refused. Stable values. */
enum card_error {
    CARD_OK = 0,
    CARD_BAD_CHAR,   /* a character other than a digit, ' ' or '-'; or NULL */
    CARD_BAD_LENGTH, /* fewer than CARD_PAN_MIN or more than CARD_PAN_MAX digits */
    CARD_LUHN        /* the Luhn check digit does not match */
};

/*
 * 1 when `digits` is at least 2 ASCII digits and nothing else, and its last
 * digit is the Luhn (ISO/IEC 7812-1 annex B, mod 10) check digit of the
 * others; 0 otherwise (NULL, empty, one digit, any other character).
 */
RELAY_MUSTCHECK int card_luhn_ok(const char *digits);

/*
 * Reduce a full PAN to its first 6 digits (`bin`) and last 4 (`last4`).
 * Accepts digits with ' ' or '-' anywhere among them ("4111 1111 1111 1111",
 * "4111-1111-1111-1111"), 12 to 19 digits, which must pass Luhn. On any
 * error both outputs are "". The digits are copied once, into a local buffer
 * that is scrubbed (explicit_bzero) on every path before returning.
 */
RELAY_MUSTCHECK enum card_error card_reduce_pan(const char *pan, char bin[7], char last4[5]);

/* 0 when `bin` is exactly 6 or exactly 8 ASCII digits (8-digit BINs, ISO/IEC
 * 7812-1:2017), -1 otherwise. */
RELAY_MUSTCHECK int card_check_bin(const char *bin);

/* 0 when `last4` is exactly 4 ASCII digits, -1 otherwise. */
RELAY_MUSTCHECK int card_check_last4(const char *last4);

/*
 * 1 when free text appears to hold a full card number, 0 otherwise (NULL
 * included). What counts, precisely:
 * - A group is a maximal run of ASCII digits not touching a letter or digit
 *   on either side ("n°4970..." and "(4970..." start a group; "FR76" and
 *   "x4970" are words, not groups).
 * - A chain is a sequence of groups separated by exactly one separator: ' ',
 *   '-', or a UTF-8 no-break space (U+00A0, U+202F) that phones and French
 *   typing insert. Anything else ends the chain.
 * - A candidate is one or more consecutive groups of a chain, 13 to 19
 *   digits in all, that passes Luhn. So "4970 1012 3456 7897 12/27" (a PAN
 *   and its expiry) and "4970101234567897 123" (and its CVV) are caught, while
 *   a phone number or a date is not.
 * - A 14-digit candidate counts only when it starts with '3': the only
 *   14-digit PANs issued are Diners Club's (30, 36, 38, 39), whereas the
 *   French SIRET, 14 digits, passes Luhn by construction and is common in
 *   fraud narratives (forged invoices).
 * - A chain that directly follows, through one separator, a word shaped like
 *   an IBAN's start (2 letters + 2 digits, "FR76"), or a word of at most 4
 *   characters that itself follows one ("GB29 NWBK 6016 ..."), is the tail of
 *   an IBAN written in groups, and is not a card number.
 * A 16-digit reference number that happens to pass Luhn (1 in 10) is
 * reported too: callers that refuse the text should say why, and let the
 * user rephrase.
 */
RELAY_MUSTCHECK int card_looks_like_pan(const char *text);

#endif
