/*
 * webview.h — owns the victim's pages as HTML: the report form (transfer or
 * card, empty or with the values and errors of a post), the case page, and
 * the short pages (not found, refused, too many, unavailable). Plain
 * semantic HTML for one stylesheet and one optional script, both served by
 * the relay (/static/style.css, /static/app.js): no inline style or script,
 * so the Content-Security-Policy can forbid them.
 *
 * Accessibility: every field has a label; hints and errors are tied to it
 * with aria-describedby; a field in error has aria-invalid; the error
 * summary at the top links to each field; radios are grouped in fieldsets.
 * A full card number is never written into a page, whatever the caller
 * passes (webreport_mask_pan).
 *
 * Pure: builds into a struct html; no I/O, no clock (the caller passes now).
 */
#ifndef RELAY48_WEBVIEW_H
#define RELAY48_WEBVIEW_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "form.h"
#include "html.h"
#include "i18n.h"
#include "ids.h"
#include "webreport.h"

struct webview_form {
    enum lang lang;
    enum wf_kind kind;
    const struct form *values;      /* NULL: an empty form */
    const struct wf_errors *errors; /* NULL: none */
    const char *csrf;               /* the token of the hidden field */
    enum msg notice;                /* shown above the form; M_COUNT for none */
};

void webview_form_page(struct html *h, const struct webview_form *v);

#define WEBVIEW_MAX_PARTIES 8
#define WEBVIEW_MAX_ACKS    50

/* One bank or police unit the case is addressed to. */
struct webview_party {
    char party[64];       /* "bank:BNPAFRPP", "police:31", "police:NATIONAL" */
    char role[16];        /* debtor_bank, creditor_bank, issuer_bank, police; "" other */
    char name[128];       /* bank or département name; "" when unknown */
    int64_t escalated_at; /* 0: not alerted yet */
};

struct webview_ack {
    char party[64];
    char status[32];      /* received, recall_requested, funds_frozen, ... */
    int64_t amount_minor; /* 0: none */
    char currency[4];
    char note[512];
    int64_t at;
};

struct webview_case {
    enum lang lang;
    char ref[IDS_REF_SIZE];
    char token[IDS_TOKEN_SIZE]; /* for the link to the other language */
    enum wf_kind kind;
    char state[16];        /* open, resolved, expired, closed */
    char window_state[24]; /* open, expired_on_arrival */
    int64_t start_at, received_at, deadline_at, now;
    int64_t amount_minor;
    char currency[4];
    struct webview_party parties[WEBVIEW_MAX_PARTIES];
    size_t nparties;
    struct webview_ack acks[WEBVIEW_MAX_ACKS];
    size_t nacks;
};

void webview_case_page(struct html *h, const struct webview_case *c);

/* A short page: a title, one paragraph (text, escaped), and a link back to
 * the form. */
void webview_message_page(struct html *h, enum lang lang, enum msg title, const char *text);

/* "12 500,00 EUR" (narrow no-break space groups) or "12,500.00 EUR". */
void webview_amount(int64_t minor, const char *currency, enum lang lang, char *out,
                    size_t out_size);

#endif
