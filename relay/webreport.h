/*
 * webreport.h — owns the translation of the victim's form into a report:
 * the form's fields (form.h) become a JSON object of the API's report shape
 * (proto/schemas/report_transfer.json or report_card.json), which
 * report_from_json validates exactly as it validates a partner's report;
 * its errors come back as one message per form field, in the page's words.
 *
 * What the form adds before report_from_json:
 * - the transfer's date and time (<input type="datetime-local">, or
 *   "28/03/2026 10:00" typed by hand) read as Europe/Paris wall time
 *   (localtime_paris_parse) and written as RFC 3339 UTC;
 * - amounts as people type them ("12 500,00 €") made decimal strings;
 * - at least one way to reach the victim (e-mail or phone);
 * - a full card number typed into the card's digit boxes is refused here,
 *   before anything else sees it, and never shown again; one in a free text
 *   field is refused by report_from_json and shown back hidden by Xs;
 * - a card report without a Perceval receipt gets one derived from the
 *   form's nonce ("WEB-" + 16 hex digits), so that a resent form is the same
 *   report (idempotency) and the receipt stays unique.
 *
 * Pure: no I/O; the clock and the nonce are parameters.
 */
#ifndef RELAY48_WEBREPORT_H
#define RELAY48_WEBREPORT_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "form.h"
#include "i18n.h"
#include "report.h"

/* The form's fields, in the order of the page (and of the error summary). */
enum wf_field {
    WF_CARD_BIN = 0,
    WF_CARD_LAST4,
    WF_RECEIPT,
    WF_EXECUTED_AT,
    WF_OP_AT,
    WF_AMOUNT,
    WF_CURRENCY,
    WF_OP_AMOUNT,
    WF_OP_CURRENCY,
    WF_OP_MERCHANT,
    WF_OP_COUNTRY,
    WF_OP_CHANNEL,
    WF_RAIL,
    WF_DEBTOR_IBAN,
    WF_CREDITOR_IBAN,
    WF_CREDITOR_NAME,
    WF_VICTIM_TYPE,
    WF_VICTIM_NAME,
    WF_EMAIL,
    WF_PHONE,
    WF_POSTAL_CODE,
    WF_SCENARIO,
    WF_NARRATIVE,
    WF_EVIDENCE,
    WF_COUNT
};

#define WEBREPORT_MAX_EVIDENCE REPORT_MAX_EVIDENCE

/* How a field's value is shown again on a page with errors. */
enum wf_show { WF_SHOW = 0, WF_HIDE, WF_MASK_PAN };

struct wf_error {
    int set;
    enum msg msg;
    int64_t n; /* for "{n}" */
};

struct wf_errors {
    struct wf_error e[WF_COUNT];
    enum wf_show show[WF_COUNT];
    int count;   /* fields with an error */
    int general; /* an error no field owns (shown in the summary only) */
};

enum wf_kind { WF_TRANSFER = 0, WF_CARD };

/* The form's name of a field ("debtor_iban"); the page uses "f-" + it as id. */
const char *webreport_field_name(enum wf_field f);

/* The field's label, for the error summary. */
enum msg webreport_field_label(enum wf_field f, enum wf_kind kind);

/* "card" in the form's kind field, else transfer. */
enum wf_kind webreport_kind(const struct form *f);

/*
 * Build and validate. nonce is the form's (csrf.h), used only for a card
 * report's derived receipt. Returns 0 with *out filled (caller calls
 * report_free), -1 with errs filled (at least one error), or -2 when out of
 * memory. errs is always initialised.
 */
int webreport_build(const struct form *f, const char *nonce, int64_t now,
                    const struct report_limits *limits, struct report *out,
                    struct wf_errors *errs) RELAY_MUSTCHECK;

/* Copy text into out with every digit of a run of 12 or more digits
 * (groups separated by one space, hyphen or no-break space) replaced by 'X':
 * how a free text that held a card number is shown again. */
void webreport_mask_pan(const char *text, char *out, size_t out_size);

/* Trimmed value of a field (ASCII blanks and no-break spaces at both
 * ends), into out; "" when absent. */
void webreport_value(const struct form *f, const char *name, char *out, size_t out_size);

#endif
