/*
 * report.h — owns the reading of one report (JSON, kind "transfer" or
 * "card") into a normalised, validated struct report: IBANs normalised and
 * checked, amounts in integer minor units, times in UTC seconds, the window's
 * start, the département from the victim's postal code. Pure: no I/O, the
 * clock is a parameter.
 *
 * A full card number ("card.pan") is reduced to bin + last4 here and goes no
 * further: the struct never holds it, the parsed JSON's copy is wiped before
 * it is freed, and no error detail echoes it. A card number typed into a free
 * text field is refused (full_card_number_refused).
 *
 * Field errors are appended to a jansson array as {"pointer", "code",
 * "detail"} with the JSON pointer of the field (RFC 6901), the codes of
 * proto/README.md, and details that never repeat a sensitive value.
 */
#ifndef RELAY48_REPORT_H
#define RELAY48_REPORT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "window.h"

#define REPORT_MAX_OPERATIONS 100
#define REPORT_MAX_EVIDENCE   20
#define REPORT_MAX_DEPTH      8 /* deepest nesting a valid report has is 4 */

enum report_kind { REPORT_TRANSFER = 0, REPORT_CARD };

enum report_channel { CHANNEL_API = 0, CHANNEL_WEB, CHANNEL_BANK, CHANNEL_PERCEVAL };

struct report_limits {
    int64_t future_skew; /* a time may be this far in the future (300 s) */
    int64_t max_age;     /* and no older than this (13 months: 396 days) */
};

struct report {
    enum report_kind kind;
    enum rail rail;
    int64_t start_at;     /* executed_at, or the earliest card operation */
    int64_t amount_minor; /* transfer: amount; card: sum of the operations in currency */
    char currency[4];
    char debtor_iban[35]; /* normalised, "" for card reports */
    char debtor_bic[12];  /* "" when not given */
    char creditor_iban[35];
    char creditor_bic[12];
    char card_bin[9]; /* card reports: 6 or 8 digits */
    char card_last4[5];
    char issuer_bic[12];
    char receipt[65];
    char scenario[32];    /* "" for card reports without one */
    char postal_code[6];  /* "" when not given */
    char departement[4];  /* from postal_code; "" when unknown */
    int mixed_currencies; /* card: operations in other currencies than `currency` */
    /* Everything else the addressees need, normalised, in a fixed shape:
     * {"victim": {...}, "debtor": {"name"}, "creditor": {"name"}, "narrative",
     *  "evidence": [...], "end_to_end_id", "uetr", "channel_ref",
     *  "operations": [{"at" (RFC 3339 Z), "amount": {"value","currency"},
     *  "merchant", "country", "channel"}]}; absent members are left out.
     * Owned by the report. */
    json_t *details;
};

void report_limits_default(struct report_limits *l);

/*
 * Parse and validate body (len bytes, not necessarily NUL-terminated).
 * Returns 0 with *out filled (caller calls report_free), -1 when the JSON is
 * valid but fields are not (errors appended to `errors`, *out cleared), or -2
 * when the body is not a JSON object (malformed, trailing garbage, duplicate
 * keys, nesting deeper than REPORT_MAX_DEPTH): a 400.
 */
int report_parse(const char *body, size_t len, int64_t now, const struct report_limits *limits,
                 struct report *out, json_t *errors) RELAY_MUSTCHECK;

/* The same from an already parsed object (the Perceval batch, the web form
 * after its own parsing). pointer_prefix is prepended to error pointers
 * ("/declarations/3"). obj is not modified except that a "pan" member is
 * wiped. */
int report_from_json(json_t *obj, int64_t now, const struct report_limits *limits,
                     const char *pointer_prefix, struct report *out,
                     json_t *errors) RELAY_MUSTCHECK;

void report_free(struct report *r);

/* SHA-256 of the normalised report (not of the raw body, which may hold a
 * card number): what Idempotency-Key compares. */
void report_hash(const struct report *r, unsigned char out[32]);

const char *report_kind_name(enum report_kind k);
const char *report_channel_name(enum report_channel c);

#endif
