/* webview.c — the victim's pages; see webview.h. */
#include "webview.h"

#include <stdio.h>
#include <string.h>

#include "amount.h"
#include "card.h"
#include "timeutil.h"

#define VALUE_MAX 8200

/* ---- the frame of every page --------------------------------------------- */

static void page_start(struct html *h, enum lang lang, const char *title_prefix, enum msg title,
                       const char *other_lang_href)
{
    enum lang other = lang == LANG_EN ? LANG_FR : LANG_EN;
    html_lit(h, "<!doctype html>\n<html lang=\"");
    html_text(h, i18n_code(lang));
    html_lit(h, "\">\n<head>\n<meta charset=\"utf-8\">\n"
                "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                "<meta name=\"referrer\" content=\"no-referrer\">\n<title>");
    if (title_prefix) {
        html_text(h, title_prefix);
        html_lit(h, " ");
    }
    html_text(h, i18n(lang, title));
    html_lit(h, " — ");
    html_text(h, i18n(lang, M_SERVICE));
    html_lit(h, "</title>\n<link rel=\"stylesheet\" href=\"/static/style.css\">\n"
                "<script src=\"/static/app.js\" defer></script>\n</head>\n<body>\n"
                "<a class=\"skip\" href=\"#main\">");
    html_text(h, i18n(lang, M_SKIP));
    html_lit(h, "</a>\n<header class=\"top\"><div class=\"wrap\">"
                "<p class=\"brand\"><a href=\"/?lang=");
    html_text(h, i18n_code(lang));
    html_lit(h, "\">");
    html_text(h, i18n(lang, M_SERVICE));
    html_lit(h, "</a></p>");
    if (other_lang_href) {
        html_lit(h, "<p class=\"lang\"><a href=\"");
        html_text(h, other_lang_href);
        html_lit(h, "\" lang=\"");
        html_text(h, i18n_code(other));
        html_lit(h, "\" hreflang=\"");
        html_text(h, i18n_code(other));
        html_lit(h, "\">");
        html_text(h, i18n(lang, M_OTHER_LANG));
        html_lit(h, "</a></p>");
    }
    html_lit(h, "</div></header>\n<main id=\"main\" class=\"wrap\" tabindex=\"-1\">\n");
}

static void page_end(struct html *h, enum lang lang)
{
    html_lit(h, "</main>\n<footer class=\"wrap foot\"><p>");
    html_text(h, i18n(lang, M_FOOTER));
    html_lit(h, "</p></footer>\n</body>\n</html>\n");
}

static void para(struct html *h, const char *cls, const char *text)
{
    if (cls) {
        html_lit(h, "<p class=\"");
        html_text(h, cls);
        html_lit(h, "\">");
    } else {
        html_lit(h, "<p>");
    }
    html_text(h, text);
    html_lit(h, "</p>\n");
}

/* ---- values shown again -------------------------------------------------- */

static int digits_in(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s >= '0' && *s <= '9';
    return n;
}

/* The value of field f as it goes back into the page: what was typed, with
 * a card number never shown (hidden in the card boxes, masked elsewhere). */
static void shown_value(const struct webview_form *v, enum wf_field f, char *out, size_t out_size)
{
    char raw[VALUE_MAX];
    out[0] = '\0';
    if (!v->values)
        return;
    webreport_value(v->values, webreport_field_name(f), raw, sizeof(raw));
    enum wf_show show = v->errors ? v->errors->show[f] : WF_SHOW;
    if ((f == WF_CARD_BIN && digits_in(raw) > 8) || (f == WF_CARD_LAST4 && digits_in(raw) > 4))
        show = WF_HIDE;
    if (show == WF_SHOW && card_looks_like_pan(raw))
        show = WF_MASK_PAN;
    if (show == WF_HIDE)
        out[0] = '\0';
    else if (show == WF_MASK_PAN)
        webreport_mask_pan(raw, out, out_size);
    else
        snprintf(out, out_size, "%s", raw);
    explicit_bzero(raw, sizeof(raw));
}

static const struct wf_error *field_error(const struct webview_form *v, enum wf_field f)
{
    if (!v->errors || !v->errors->e[f].set)
        return NULL;
    return &v->errors->e[f];
}

static void error_text(enum lang lang, const struct wf_error *e, char *out, size_t out_size)
{
    if (i18n_format(lang, e->msg, e->n, out, out_size) != 0)
        snprintf(out, out_size, "%s", i18n(lang, M_E_UNREADABLE));
}

/* ---- fields -------------------------------------------------------------- */

struct opt {
    const char *value;
    enum msg label; /* M_COUNT: the value itself is the label */
};

static void id_attr(struct html *h, enum wf_field f, const char *suffix)
{
    html_lit(h, "f-");
    html_text(h, webreport_field_name(f));
    if (suffix)
        html_text(h, suffix);
}

/* Label, hint and error of a field; describedby lists the ids written. */
static void field_head(struct html *h, const struct webview_form *v, enum wf_field f,
                       enum msg label, int optional, enum msg hint)
{
    html_lit(h, "<label for=\"");
    id_attr(h, f, NULL);
    html_lit(h, "\">");
    html_text(h, i18n(v->lang, label));
    if (optional) {
        html_lit(h, " <span class=\"opt\">");
        html_text(h, i18n(v->lang, M_OPTIONAL));
        html_lit(h, "</span>");
    }
    html_lit(h, "</label>\n");
    if (hint != M_COUNT) {
        html_lit(h, "<p class=\"hint\" id=\"");
        id_attr(h, f, "-hint");
        html_lit(h, "\">");
        html_text(h, i18n(v->lang, hint));
        html_lit(h, "</p>\n");
    }
}

static void field_error_line(struct html *h, const struct webview_form *v, enum wf_field f)
{
    const struct wf_error *e = field_error(v, f);
    if (!e)
        return;
    char text[512];
    error_text(v->lang, e, text, sizeof(text));
    html_lit(h, "<p class=\"error\" id=\"");
    id_attr(h, f, "-error");
    html_lit(h, "\"><span class=\"vh\">");
    html_text(h, i18n(v->lang, M_ERROR_PREFIX));
    html_lit(h, " </span>");
    html_text(h, text);
    html_lit(h, "</p>\n");
}

/* aria-describedby and aria-invalid of the control. */
static void described_by(struct html *h, const struct webview_form *v, enum wf_field f, int hint,
                         const char *extra_id)
{
    int err = field_error(v, f) != NULL;
    if (!hint && !err && !extra_id)
        return;
    html_lit(h, " aria-describedby=\"");
    const char *sep = "";
    if (hint) {
        id_attr(h, f, "-hint");
        sep = " ";
    }
    if (extra_id) {
        html_text(h, sep);
        html_text(h, extra_id);
        sep = " ";
    }
    if (err) {
        html_text(h, sep);
        id_attr(h, f, "-error");
    }
    html_lit(h, "\"");
    if (err)
        html_lit(h, " aria-invalid=\"true\"");
}

static void open_field(struct html *h, const struct webview_form *v, enum wf_field f,
                       const char *cls)
{
    html_lit(h, "<div class=\"field");
    if (cls) {
        html_lit(h, " ");
        html_text(h, cls);
    }
    if (field_error(v, f))
        html_lit(h, " has-error");
    html_lit(h, "\">\n");
}

/* <input>: type, extra attributes (a literal), width class. */
struct input_spec {
    enum wf_field f;
    enum msg label, hint;
    int optional;          /* marked "(optional)"; not required */
    int either;            /* one of a group of which one is needed: no mark, not required */
    const char *type;      /* "text", "email", "tel", "datetime-local" */
    const char *autocomp;  /* autocomplete value */
    const char *inputmode; /* NULL: none */
    const char *width;     /* class of the input, NULL: full width */
    int code;              /* an identifier: no spell checking, upper case on phones */
    const char *def;       /* value of an empty form */
    const char *extra_id;  /* id of another text that describes this one, or NULL */
};

static void input_field(struct html *h, const struct webview_form *v, const struct input_spec *s)
{
    char value[VALUE_MAX];
    shown_value(v, s->f, value, sizeof(value));
    if (!v->values && s->def)
        snprintf(value, sizeof(value), "%s", s->def);
    open_field(h, v, s->f, NULL);
    field_head(h, v, s->f, s->label, s->optional, s->hint);
    field_error_line(h, v, s->f);
    html_lit(h, "<input id=\"");
    id_attr(h, s->f, NULL);
    html_lit(h, "\" name=\"");
    html_text(h, webreport_field_name(s->f));
    html_lit(h, "\" type=\"");
    html_text(h, s->type);
    html_lit(h, "\"");
    if (s->width) {
        html_lit(h, " class=\"");
        html_text(h, s->width);
        html_lit(h, "\"");
    }
    if (s->autocomp) {
        html_lit(h, " autocomplete=\"");
        html_text(h, s->autocomp);
        html_lit(h, "\"");
    }
    if (s->inputmode) {
        html_lit(h, " inputmode=\"");
        html_text(h, s->inputmode);
        html_lit(h, "\"");
    }
    if (s->code)
        html_lit(h, " spellcheck=\"false\" autocapitalize=\"characters\"");
    if (!s->optional && !s->either)
        html_lit(h, " required");
    described_by(h, v, s->f, s->hint != M_COUNT, s->extra_id);
    html_lit(h, " value=\"");
    html_text(h, value);
    html_lit(h, "\">\n</div>\n");
    explicit_bzero(value, sizeof(value));
}

static void select_field(struct html *h, const struct webview_form *v, enum wf_field f,
                         enum msg label, const struct opt *opts, size_t n, const char *def,
                         const char *width)
{
    char value[128];
    shown_value(v, f, value, sizeof(value));
    if (!value[0])
        snprintf(value, sizeof(value), "%s", def);
    open_field(h, v, f, width ? "inline" : NULL);
    field_head(h, v, f, label, 0, M_COUNT);
    field_error_line(h, v, f);
    html_lit(h, "<select id=\"");
    id_attr(h, f, NULL);
    html_lit(h, "\" name=\"");
    html_text(h, webreport_field_name(f));
    html_lit(h, "\"");
    described_by(h, v, f, 0, NULL);
    html_lit(h, ">\n");
    for (size_t i = 0; i < n; i++) {
        html_lit(h, "<option value=\"");
        html_text(h, opts[i].value);
        html_lit(h, "\"");
        if (strcmp(value, opts[i].value) == 0)
            html_lit(h, " selected");
        html_lit(h, ">");
        html_text(h, opts[i].label == M_COUNT ? opts[i].value : i18n(v->lang, opts[i].label));
        html_lit(h, "</option>\n");
    }
    html_lit(h, "</select>\n</div>\n");
}

static void radio_field(struct html *h, const struct webview_form *v, enum wf_field f,
                        enum msg legend, const struct opt *opts, size_t n, const char *def)
{
    char value[128];
    shown_value(v, f, value, sizeof(value));
    if (!v->values && def)
        snprintf(value, sizeof(value), "%s", def);
    int err = field_error(v, f) != NULL;
    html_lit(h, "<div class=\"field");
    if (err)
        html_lit(h, " has-error");
    html_lit(h, "\">\n<fieldset class=\"radios\"");
    if (err) {
        html_lit(h, " aria-describedby=\"");
        id_attr(h, f, "-error");
        html_lit(h, "\"");
    }
    html_lit(h, ">\n<legend>");
    html_text(h, i18n(v->lang, legend));
    html_lit(h, "</legend>\n");
    field_error_line(h, v, f);
    for (size_t i = 0; i < n; i++) {
        char suffix[24];
        snprintf(suffix, sizeof(suffix), "-%zu", i + 1);
        html_lit(h, "<div class=\"radio\"><input type=\"radio\" id=\"");
        id_attr(h, f, i ? suffix : NULL);
        html_lit(h, "\" name=\"");
        html_text(h, webreport_field_name(f));
        html_lit(h, "\" value=\"");
        html_text(h, opts[i].value);
        html_lit(h, "\"");
        if (strcmp(value, opts[i].value) == 0)
            html_lit(h, " checked");
        html_lit(h, "><label for=\"");
        id_attr(h, f, i ? suffix : NULL);
        html_lit(h, "\">");
        html_text(h, i18n(v->lang, opts[i].label));
        html_lit(h, "</label></div>\n");
    }
    html_lit(h, "</fieldset>\n</div>\n");
}

static void textarea_field(struct html *h, const struct webview_form *v, enum wf_field f,
                           enum msg label, enum msg hint)
{
    char value[VALUE_MAX];
    shown_value(v, f, value, sizeof(value));
    open_field(h, v, f, NULL);
    field_head(h, v, f, label, 1, hint);
    field_error_line(h, v, f);
    html_lit(h, "<textarea id=\"");
    id_attr(h, f, NULL);
    html_lit(h, "\" name=\"");
    html_text(h, webreport_field_name(f));
    html_lit(h, "\" rows=\"6\"");
    described_by(h, v, f, hint != M_COUNT, NULL);
    /* A newline right after <textarea> is dropped by parsers: one is added
     * so that a value starting with a newline keeps it. */
    html_lit(h, ">\n");
    html_text(h, value);
    html_lit(h, "</textarea>\n</div>\n");
    explicit_bzero(value, sizeof(value));
}

/* The e-mails kept as evidence: the script computes their SHA-256 and adds
 * hidden fields; those of a post with errors are kept here. Without the
 * script, the page asks the victim to keep them. */
static void evidence_field(struct html *h, const struct webview_form *v)
{
    enum wf_field f = WF_EVIDENCE;
    int keep = v->values && (!v->errors || v->errors->show[f] != WF_HIDE);
    size_t n = keep ? form_count(v->values, "evidence_name") : 0;
    if (n > WEBREPORT_MAX_EVIDENCE)
        n = WEBREPORT_MAX_EVIDENCE;
    open_field(h, v, f, "evidence");
    para(h, "keep", i18n(v->lang, M_KEEP_EMAILS));
    field_error_line(h, v, f);
    html_lit(h, "<div class=\"js-only\" id=\"evidence-box\" hidden>\n");
    field_head(h, v, f, M_L_EVIDENCE, 1, M_H_EVIDENCE);
    html_lit(h, "<input id=\"f-evidence\" type=\"file\" multiple");
    described_by(h, v, f, 1, NULL);
    html_lit(h, ">\n</div>\n<div id=\"evidence-list\" aria-live=\"polite\" data-added=\"");
    html_text(h, i18n(v->lang, M_EVIDENCE_ADDED));
    html_lit(h, "\" data-hash=\"");
    html_text(h, i18n(v->lang, M_EVIDENCE_HASH));
    html_lit(h, "\">");
    if (n) {
        html_lit(h, "<p>");
        html_text(h, i18n(v->lang, M_EVIDENCE_ADDED));
        html_lit(h, "</p><ul class=\"kept\">");
        for (size_t i = 0; i < n; i++) {
            const char *name = form_get_nth(v->values, "evidence_name", i);
            const char *hash = form_get_nth(v->values, "evidence_sha256", i);
            if (!name || !hash || card_looks_like_pan(name))
                continue;
            html_lit(h, "<li><input type=\"hidden\" name=\"evidence_name\" value=\"");
            html_text(h, name);
            html_lit(h, "\"><input type=\"hidden\" name=\"evidence_sha256\" value=\"");
            html_text(h, hash);
            html_lit(h, "\">");
            html_text(h, name);
            html_lit(h, " — ");
            html_text(h, i18n(v->lang, M_EVIDENCE_HASH));
            html_lit(h, " <code>");
            html_textn(h, hash, strnlen(hash, 12));
            html_lit(h, "…</code></li>");
        }
        html_lit(h, "</ul>");
    }
    html_lit(h, "</div>\n</div>\n");
}

/* ---- the form page ------------------------------------------------------- */

static const struct opt currencies[] = {
    {"EUR", M_COUNT}, {"CHF", M_COUNT}, {"GBP", M_COUNT}, {"USD", M_COUNT}, {"XPF", M_COUNT},
};
static const struct opt rails[] = {
    {"unknown", M_RAIL_UNKNOWN},
    {"sct", M_RAIL_SCT},
    {"sct_inst", M_RAIL_SCT_INST},
    {"swift", M_RAIL_SWIFT},
};
static const struct opt victim_types[] = {
    {"person", M_VT_PERSON},
    {"company", M_VT_COMPANY},
    {"public_body", M_VT_PUBLIC},
};
static const struct opt scenarios[] = {
    {"fake_bank_advisor", M_SC_FAKE_ADVISOR}, {"ceo_fraud", M_SC_CEO},
    {"forged_invoice", M_SC_INVOICE},         {"fake_cyber_partnership", M_SC_CYBER},
    {"fake_investment", M_SC_INVEST},         {"other", M_SC_OTHER},
};
static const struct opt channels[] = {
    {"online", M_CH_ONLINE}, {"contactless", M_CH_CONTACTLESS},
    {"chip_pin", M_CH_CHIP}, {"atm", M_CH_ATM},
    {"other", M_CH_OTHER},
};

static void error_summary(struct html *h, const struct webview_form *v)
{
    const struct wf_errors *e = v->errors;
    if (!e || (e->count == 0 && !e->general))
        return;
    char title[256];
    int n = e->count + (e->count == 0 ? 1 : 0);
    if (i18n_format(v->lang, n == 1 ? M_ERR_SUMMARY_ONE : M_ERR_SUMMARY_MANY, n, title,
                    sizeof(title)) != 0)
        title[0] = '\0';
    html_lit(h, "<div class=\"error-summary\" role=\"alert\" tabindex=\"-1\" "
                "aria-labelledby=\"error-summary-title\" id=\"error-summary\">\n"
                "<h2 id=\"error-summary-title\">");
    html_text(h, title);
    html_lit(h, "</h2>\n<ul>\n");
    for (int f = 0; f < WF_COUNT; f++) {
        if (!e->e[f].set)
            continue;
        char text[512];
        error_text(v->lang, &e->e[f], text, sizeof(text));
        html_lit(h, "<li><a href=\"#f-");
        html_text(h, webreport_field_name((enum wf_field)f));
        html_lit(h, "\">");
        html_text(h, i18n(v->lang, webreport_field_label((enum wf_field)f, v->kind)));
        html_text(h, v->lang == LANG_EN ? ": " : " : ");
        html_text(h, text);
        html_lit(h, "</a></li>\n");
    }
    if (e->count == 0) {
        html_lit(h, "<li>");
        html_text(h, i18n(v->lang, M_E_UNREADABLE));
        html_lit(h, "</li>\n");
    }
    html_lit(h, "</ul>\n</div>\n");
}

static void you_fieldset(struct html *h, const struct webview_form *v)
{
    html_lit(h, "<fieldset class=\"group\">\n<legend>");
    html_text(h, i18n(v->lang, M_LEG_YOU));
    html_lit(h, "</legend>\n");
    radio_field(h, v, WF_VICTIM_TYPE, M_L_VICTIM_TYPE, victim_types, RELAY_ARRAY_LEN(victim_types),
                "person");
    const struct input_spec name = {.f = WF_VICTIM_NAME,
                                    .label = M_L_VICTIM_NAME,
                                    .hint = M_COUNT,
                                    .type = "text",
                                    .autocomp = "name"};
    input_field(h, v, &name);
    html_lit(h, "<fieldset class=\"sub\" aria-describedby=\"f-contact-hint\">\n<legend>");
    html_text(h, i18n(v->lang, M_LEG_CONTACT));
    html_lit(h, "</legend>\n<p class=\"hint\" id=\"f-contact-hint\">");
    html_text(h, i18n(v->lang, M_H_CONTACT));
    html_lit(h, "</p>\n");
    const struct input_spec email = {.f = WF_EMAIL,
                                     .label = M_L_EMAIL,
                                     .hint = M_COUNT,
                                     .either = 1,
                                     .type = "email",
                                     .autocomp = "email",
                                     .extra_id = "f-contact-hint"};
    const struct input_spec phone = {.f = WF_PHONE,
                                     .label = M_L_PHONE,
                                     .hint = M_COUNT,
                                     .either = 1,
                                     .type = "tel",
                                     .autocomp = "tel",
                                     .width = "w-mid",
                                     .extra_id = "f-contact-hint"};
    input_field(h, v, &email);
    input_field(h, v, &phone);
    html_lit(h, "</fieldset>\n");
    const struct input_spec postal = {.f = WF_POSTAL_CODE,
                                      .label = M_L_POSTAL,
                                      .hint = M_H_POSTAL,
                                      .optional = 1,
                                      .type = "text",
                                      .autocomp = "postal-code",
                                      .inputmode = "numeric",
                                      .width = "w-short"};
    input_field(h, v, &postal);
    html_lit(h, "</fieldset>\n");
}

static void legend(struct html *h, enum lang l, enum msg m)
{
    html_lit(h, "<fieldset class=\"group\">\n<legend>");
    html_text(h, i18n(l, m));
    html_lit(h, "</legend>\n");
}

static void amount_row(struct html *h, const struct webview_form *v, enum wf_field amount,
                       enum wf_field currency)
{
    const struct input_spec a = {.f = amount,
                                 .label = M_L_AMOUNT,
                                 .hint = M_H_AMOUNT,
                                 .type = "text",
                                 .autocomp = "off",
                                 .inputmode = "decimal",
                                 .width = "w-mid"};
    html_lit(h, "<div class=\"row\">\n");
    input_field(h, v, &a);
    select_field(h, v, currency, M_L_CURRENCY, currencies, RELAY_ARRAY_LEN(currencies), "EUR",
                 "inline");
    html_lit(h, "</div>\n");
}

static void transfer_fields(struct html *h, const struct webview_form *v)
{
    enum lang l = v->lang;
    legend(h, l, M_LEG_TRANSFER);
    const struct input_spec when = {.f = WF_EXECUTED_AT,
                                    .label = M_L_EXECUTED_AT,
                                    .hint = M_H_EXECUTED_AT,
                                    .type = "datetime-local",
                                    .autocomp = "off",
                                    .width = "w-mid"};
    input_field(h, v, &when);
    amount_row(h, v, WF_AMOUNT, WF_CURRENCY);
    select_field(h, v, WF_RAIL, M_L_RAIL, rails, RELAY_ARRAY_LEN(rails), "unknown", NULL);
    html_lit(h, "</fieldset>\n");
    legend(h, l, M_LEG_YOUR_ACCOUNT);
    const struct input_spec debtor = {.f = WF_DEBTOR_IBAN,
                                      .label = M_L_DEBTOR_IBAN,
                                      .hint = M_H_DEBTOR_IBAN,
                                      .type = "text",
                                      .autocomp = "off",
                                      .width = "w-iban",
                                      .code = 1};
    input_field(h, v, &debtor);
    html_lit(h, "</fieldset>\n");
    legend(h, l, M_LEG_BENEFICIARY);
    const struct input_spec creditor = {.f = WF_CREDITOR_IBAN,
                                        .label = M_L_CREDITOR_IBAN,
                                        .hint = M_H_CREDITOR_IBAN,
                                        .type = "text",
                                        .autocomp = "off",
                                        .width = "w-iban",
                                        .code = 1};
    input_field(h, v, &creditor);
    const struct input_spec cname = {.f = WF_CREDITOR_NAME,
                                     .label = M_L_CREDITOR_NAME,
                                     .hint = M_H_CREDITOR_NAME,
                                     .optional = 1,
                                     .type = "text",
                                     .autocomp = "off"};
    input_field(h, v, &cname);
    html_lit(h, "</fieldset>\n");
    you_fieldset(h, v);
    legend(h, l, M_LEG_WHAT);
    radio_field(h, v, WF_SCENARIO, M_L_SCENARIO, scenarios, RELAY_ARRAY_LEN(scenarios), NULL);
    textarea_field(h, v, WF_NARRATIVE, M_L_NARRATIVE, M_H_NARRATIVE);
    evidence_field(h, v);
    html_lit(h, "</fieldset>\n");
}

static void card_fields(struct html *h, const struct webview_form *v)
{
    enum lang l = v->lang;
    legend(h, l, M_LEG_CARD);
    html_lit(h, "<p class=\"warning\" id=\"f-card-warning-hint\">");
    html_text(h, i18n(l, M_CARD_WARNING));
    html_lit(h, "</p>\n");
    const struct input_spec bin = {.f = WF_CARD_BIN,
                                   .label = M_L_CARD_BIN,
                                   .hint = M_H_CARD_BIN,
                                   .type = "text",
                                   .autocomp = "off",
                                   .inputmode = "numeric",
                                   .width = "w-short",
                                   .extra_id = "f-card-warning-hint"};
    input_field(h, v, &bin);
    const struct input_spec last4 = {.f = WF_CARD_LAST4,
                                     .label = M_L_CARD_LAST4,
                                     .hint = M_COUNT,
                                     .type = "text",
                                     .autocomp = "off",
                                     .inputmode = "numeric",
                                     .width = "w-short",
                                     .extra_id = "f-card-warning-hint"};
    input_field(h, v, &last4);
    const struct input_spec receipt = {.f = WF_RECEIPT,
                                       .label = M_L_RECEIPT,
                                       .hint = M_H_RECEIPT,
                                       .optional = 1,
                                       .type = "text",
                                       .autocomp = "off",
                                       .width = "w-mid",
                                       .code = 1};
    input_field(h, v, &receipt);
    html_lit(h, "</fieldset>\n");
    legend(h, l, M_LEG_OPERATION);
    para(h, "hint", i18n(l, M_H_OPERATION));
    const struct input_spec when = {.f = WF_OP_AT,
                                    .label = M_L_OP_AT,
                                    .hint = M_COUNT,
                                    .type = "datetime-local",
                                    .autocomp = "off",
                                    .width = "w-mid"};
    input_field(h, v, &when);
    amount_row(h, v, WF_OP_AMOUNT, WF_OP_CURRENCY);
    const struct input_spec merchant = {.f = WF_OP_MERCHANT,
                                        .label = M_L_OP_MERCHANT,
                                        .hint = M_COUNT,
                                        .type = "text",
                                        .autocomp = "off"};
    input_field(h, v, &merchant);
    const struct input_spec country = {.f = WF_OP_COUNTRY,
                                       .label = M_L_OP_COUNTRY,
                                       .hint = M_H_OP_COUNTRY,
                                       .type = "text",
                                       .autocomp = "off",
                                       .width = "w-2",
                                       .code = 1,
                                       .def = "FR"};
    input_field(h, v, &country);
    select_field(h, v, WF_OP_CHANNEL, M_L_OP_CHANNEL, channels, RELAY_ARRAY_LEN(channels), "online",
                 NULL);
    html_lit(h, "</fieldset>\n");
    you_fieldset(h, v);
    legend(h, l, M_LEG_WHAT);
    textarea_field(h, v, WF_NARRATIVE, M_L_NARRATIVE, M_H_NARRATIVE);
    html_lit(h, "</fieldset>\n");
}

void webview_form_page(struct html *h, const struct webview_form *v)
{
    enum lang l = v->lang;
    enum lang other = l == LANG_EN ? LANG_FR : LANG_EN;
    int card = v->kind == WF_CARD;
    char other_href[64];
    snprintf(other_href, sizeof(other_href), "/?%slang=%s", card ? "kind=card&" : "",
             i18n_code(other));
    int errors = v->errors && (v->errors->count || v->errors->general);
    page_start(h, l, errors ? i18n(l, M_ERROR_PREFIX) : NULL, M_FORM_TITLE, other_href);
    html_lit(h, "<h1>");
    html_text(h, i18n(l, M_FORM_TITLE));
    html_lit(h, "</h1>\n");
    if (!v->values)
        para(h, "lead", i18n(l, M_FORM_INTRO));
    if (v->notice != M_COUNT) {
        html_lit(h, "<div class=\"notice\" role=\"status\"><p>");
        html_text(h, i18n(l, v->notice));
        html_lit(h, "</p></div>\n");
    }
    error_summary(h, v);

    html_lit(h, "<nav class=\"paths\" aria-label=\"");
    html_text(h, i18n(l, M_FORM_CHOOSE));
    html_lit(h, "\"><ul>\n<li><a href=\"/?lang=");
    html_text(h, i18n_code(l));
    html_lit(h, "\"");
    if (!card)
        html_lit(h, " aria-current=\"page\"");
    html_lit(h, ">");
    html_text(h, i18n(l, M_PATH_TRANSFER));
    html_lit(h, "</a></li>\n<li><a href=\"/?kind=card&amp;lang=");
    html_text(h, i18n_code(l));
    html_lit(h, "\"");
    if (card)
        html_lit(h, " aria-current=\"page\"");
    html_lit(h, ">");
    html_text(h, i18n(l, M_PATH_CARD));
    html_lit(h, "</a></li>\n</ul></nav>\n<h2>");
    html_text(h, i18n(l, card ? M_PATH_CARD : M_PATH_TRANSFER));
    html_lit(h, "</h2>\n<form method=\"post\" action=\"/report\" novalidate "
                "accept-charset=\"utf-8\" id=\"report-form\">\n"
                "<input type=\"hidden\" name=\"csrf\" value=\"");
    html_text(h, v->csrf);
    html_lit(h, "\">\n<input type=\"hidden\" name=\"kind\" value=\"");
    html_text(h, card ? "card" : "transfer");
    html_lit(h, "\">\n<input type=\"hidden\" name=\"lang\" value=\"");
    html_text(h, i18n_code(l));
    html_lit(h, "\">\n");
    if (card)
        card_fields(h, v);
    else
        transfer_fields(h, v);
    html_lit(h, "<p class=\"hint\" id=\"submit-hint\">");
    html_text(h, i18n(l, M_SUBMIT_HINT));
    html_lit(h,
             "</p>\n<button type=\"submit\" class=\"primary\" aria-describedby=\"submit-hint\">");
    html_text(h, i18n(l, M_SUBMIT));
    html_lit(h, "</button>\n</form>\n");
    page_end(h, l);
}

/* ---- the case page ------------------------------------------------------- */

void webview_amount(int64_t minor, const char *currency, enum lang lang, char *out, size_t out_size)
{
    char plain[AMOUNT_FORMAT_MAX];
    if (out_size == 0)
        return;
    if (amount_format(minor, currency, plain, sizeof(plain)) != 0) {
        snprintf(out, out_size, "%s", currency);
        return;
    }
    const char *dot = strchr(plain, '.');
    size_t int_len = dot ? (size_t)(dot - plain) : strlen(plain);
    /* French groups with U+202F (narrow no-break space), English with ','. */
    const char *group = lang == LANG_EN ? "," : "\xE2\x80\xAF";
    char buf[96];
    size_t o = 0;
    for (size_t i = 0; i < int_len; i++) {
        if (i > 0 && (int_len - i) % 3 == 0) {
            size_t g = strlen(group);
            memcpy(buf + o, group, g);
            o += g;
        }
        buf[o++] = plain[i];
    }
    if (dot) {
        buf[o++] = lang == LANG_EN ? '.' : ',';
        size_t d = strlen(dot + 1);
        memcpy(buf + o, dot + 1, d);
        o += d;
    }
    buf[o] = '\0';
    snprintf(out, out_size, "%s\xC2\xA0%s", buf, currency);
}

static void time_el(struct html *h, int64_t t, enum lang lang)
{
    char iso[TIMEUTIL_UTC_SIZE], shown[TIMEUTIL_DISPLAY_SIZE];
    if (rfc3339_format_utc(t, iso, sizeof(iso)) != 0 ||
        paris_format(t, i18n_code(lang), shown, sizeof(shown)) != 0)
        return;
    html_lit(h, "<time datetime=\"");
    html_text(h, iso);
    html_lit(h, "\">");
    html_text(h, shown);
    html_lit(h, "</time>");
}

static enum msg ack_msg(const char *status)
{
    static const struct {
        const char *status;
        enum msg m;
    } map[] = {
        {"received", M_ACK_RECEIVED},         {"recall_requested", M_ACK_RECALL_REQUESTED},
        {"funds_frozen", M_ACK_FUNDS_FROZEN}, {"funds_returned", M_ACK_FUNDS_RETURNED},
        {"no_funds", M_ACK_NO_FUNDS},         {"rejected", M_ACK_REJECTED},
        {"too_late", M_ACK_TOO_LATE},
    };
    for (size_t i = 0; i < RELAY_ARRAY_LEN(map); i++)
        if (strcmp(status, map[i].status) == 0)
            return map[i].m;
    return M_ACK_OTHER;
}

static void party_item(struct html *h, const struct webview_case *c, const struct webview_party *p)
{
    enum lang l = c->lang;
    int police = strncmp(p->party, "police:", 7) == 0;
    enum msg who = police                                  ? M_PARTY_POLICE
                   : strcmp(p->role, "debtor_bank") == 0   ? M_PARTY_DEBTOR_BANK
                   : strcmp(p->role, "creditor_bank") == 0 ? M_PARTY_CREDITOR_BANK
                   : strcmp(p->role, "issuer_bank") == 0   ? M_PARTY_ISSUER
                                                           : M_PARTY_OTHER_BANK;
    const char *id = strchr(p->party, ':');
    id = id ? id + 1 : p->party;
    html_lit(h, "<li class=\"party\">\n<h3>");
    html_text(h, i18n(l, who));
    html_lit(h, " <span class=\"who\">— ");
    if (police) {
        if (strcmp(id, "NATIONAL") == 0) {
            html_text(h, i18n(l, M_POLICE_NATIONAL));
        } else {
            html_text(h, p->name[0] ? p->name : id);
            html_lit(h, " (");
            html_text(h, id);
            html_lit(h, ")");
        }
    } else if (strcmp(id, "UNKNOWN") == 0 || !id[0]) {
        html_text(h, i18n(l, M_BANK_UNKNOWN));
    } else {
        if (p->name[0]) {
            html_text(h, p->name);
            html_lit(h, " ");
        }
        html_lit(h, "(");
        html_text(h, id);
        html_lit(h, ")");
    }
    html_lit(h, "</span></h3>\n");
    if (p->escalated_at > 0) {
        html_lit(h, "<p class=\"meta\">");
        html_text(h, i18n(l, M_ALERTED_AT));
        html_lit(h, " ");
        time_el(h, p->escalated_at, l);
        html_lit(h, ".</p>\n");
    } else if (police) {
        para(h, "meta", i18n(l, M_NOT_ALERTED_YET));
    }
    int any = 0;
    for (size_t i = 0; i < c->nacks; i++) {
        const struct webview_ack *a = &c->acks[i];
        if (strcmp(a->party, p->party) != 0)
            continue;
        if (!any)
            html_lit(h, "<ul class=\"acks\">\n");
        any = 1;
        html_lit(h, "<li class=\"ack ack-");
        html_text(h, a->status);
        html_lit(h, "\">");
        time_el(h, a->at, l);
        html_lit(h, " : <strong>");
        html_text(h, i18n(l, ack_msg(a->status)));
        html_lit(h, "</strong>");
        if (a->amount_minor > 0 && a->currency[0]) {
            char amount[128];
            webview_amount(a->amount_minor, a->currency, l, amount, sizeof(amount));
            html_lit(h, " ");
            html_text(h, i18n(l, M_ACK_AMOUNT));
            html_lit(h, " ");
            html_text(h, amount);
            html_lit(h, ".");
        }
        if (a->note[0]) {
            /* A bank's free text: shown, but never with a card number. */
            char note[sizeof(a->note)];
            webreport_mask_pan(a->note, note, sizeof(note));
            html_lit(h, " <q>");
            html_text(h, card_looks_like_pan(a->note) ? note : a->note);
            html_lit(h, "</q>");
        }
        html_lit(h, "</li>\n");
    }
    if (any)
        html_lit(h, "</ul>\n");
    else
        para(h, "none", i18n(l, M_NO_ANSWER));
    html_lit(h, "</li>\n");
}

void webview_case_page(struct html *h, const struct webview_case *c)
{
    enum lang l = c->lang;
    enum lang other = l == LANG_EN ? LANG_FR : LANG_EN;
    char other_href[160];
    snprintf(other_href, sizeof(other_href), "/case/%s?t=%s&lang=%s", c->ref, c->token,
             i18n_code(other));
    int card = c->kind == WF_CARD;
    int passed = c->now >= c->deadline_at || strcmp(c->window_state, "expired_on_arrival") == 0;

    page_start(h, l, NULL, M_CASE_TITLE, other_href);
    html_lit(h, "<h1>");
    html_text(h, i18n(l, M_CASE_TITLE));
    html_lit(h, "</h1>\n<p class=\"ref\">");
    html_text(h, i18n(l, M_CASE_REF));
    html_lit(h, " <strong class=\"case-ref\">");
    html_text(h, c->ref);
    html_lit(h, "</strong></p>\n<p class=\"summary\">");
    char amount[128];
    webview_amount(c->amount_minor, c->currency, l, amount, sizeof(amount));
    html_text(h, i18n(l, card ? M_SUM_CARD : M_SUM_TRANSFER));
    html_lit(h, " ");
    html_text(h, amount);
    html_lit(h, ", ");
    html_text(h, i18n(l, M_SUM_ON));
    html_lit(h, " ");
    time_el(h, c->start_at, l);
    html_lit(h, ".</p>\n");

    if (!passed) {
        char left[TIMEUTIL_DURATION_SIZE], iso_deadline[TIMEUTIL_UTC_SIZE],
            iso_now[TIMEUTIL_UTC_SIZE];
        if (duration_format(c->deadline_at - c->now, i18n_code(l), left, sizeof(left)) != 0)
            left[0] = '\0';
        if (rfc3339_format_utc(c->deadline_at, iso_deadline, sizeof(iso_deadline)) != 0)
            iso_deadline[0] = '\0';
        if (rfc3339_format_utc(c->now, iso_now, sizeof(iso_now)) != 0)
            iso_now[0] = '\0';
        html_lit(h, "<section class=\"deadline\" aria-labelledby=\"deadline-text\">\n"
                    "<p id=\"deadline-text\">");
        html_text(h, i18n(l, card ? M_CASE_DEADLINE_CARD : M_CASE_DEADLINE));
        html_lit(h, " <strong class=\"deadline-at\">");
        time_el(h, c->deadline_at, l);
        html_lit(h, "</strong> ");
        html_text(h, i18n(l, M_PARIS_TIME));
        html_lit(h, ".</p>\n<p class=\"left\">");
        html_text(h, i18n(l, M_TIME_LEFT));
        html_lit(h, " <strong id=\"time-left\" data-deadline=\"");
        html_text(h, iso_deadline);
        html_lit(h, "\" data-now=\"");
        html_text(h, iso_now);
        html_lit(h, "\">");
        html_text(h, left);
        html_lit(h, "</strong></p>\n<p class=\"meta\" id=\"time-left-note\">");
        html_text(h, i18n(l, M_COMPUTED_AT));
        html_lit(h, " ");
        time_el(h, c->now, l);
        html_lit(h, ". ");
        html_text(h, i18n(l, M_RELOAD));
        html_lit(h, "</p>\n</section>\n");
    } else {
        html_lit(h, "<section class=\"deadline passed\" aria-labelledby=\"passed-title\">\n"
                    "<h2 id=\"passed-title\">");
        html_text(h, i18n(l, M_WINDOW_PASSED_TITLE));
        html_lit(h, "</h2>\n<p>");
        html_text(h, i18n(l, M_WINDOW_PASSED));
        html_lit(h, " ");
        time_el(h, c->deadline_at, l);
        html_lit(h, " ");
        html_text(h, i18n(l, M_PARIS_TIME));
        html_lit(h, ".</p>\n");
        para(h, NULL, i18n(l, M_WINDOW_PASSED_NEXT));
        html_lit(h, "</section>\n");
    }
    if (strcmp(c->state, "resolved") == 0) {
        html_lit(h, "<div class=\"notice\" role=\"status\"><p>");
        html_text(h, i18n(l, M_STATE_RESOLVED));
        html_lit(h, "</p></div>\n");
    }
    para(h, "keep", i18n(l, M_CASE_KEEP));

    html_lit(h, "<h2>");
    html_text(h, i18n(l, M_TODO_TITLE));
    html_lit(h, "</h2>\n<ol class=\"todo\">\n<li>");
    html_text(h, i18n(l, card ? M_TODO_BANK_CARD : M_TODO_BANK));
    html_lit(h, "</li>\n<li>");
    html_text(h, i18n(l, M_TODO_POLICE));
    html_lit(h, "</li>\n<li>");
    html_text(h, i18n(l, M_TODO_EMAILS));
    html_lit(h, "</li>\n");
    if (card) {
        html_lit(h, "<li>");
        html_text(h, i18n(l, M_TODO_BLOCK));
        html_lit(h, "</li>\n");
    }
    html_lit(h, "</ol>\n<h2>");
    html_text(h, i18n(l, M_STATUS_TITLE));
    html_lit(h, "</h2>\n<ul class=\"parties\">\n");
    for (size_t i = 0; i < c->nparties; i++)
        party_item(h, c, &c->parties[i]);
    html_lit(h, "</ul>\n<p><a href=\"/?lang=");
    html_text(h, i18n_code(l));
    html_lit(h, "\">");
    html_text(h, i18n(l, M_NEW_REPORT));
    html_lit(h, "</a></p>\n");
    page_end(h, l);
}

/* ---- short pages --------------------------------------------------------- */

void webview_message_page(struct html *h, enum lang lang, enum msg title, const char *text)
{
    char other_href[16];
    snprintf(other_href, sizeof(other_href), "/?lang=%s", lang == LANG_EN ? "fr" : "en");
    page_start(h, lang, NULL, title, other_href);
    html_lit(h, "<h1>");
    html_text(h, i18n(lang, title));
    html_lit(h, "</h1>\n");
    para(h, "lead", text);
    html_lit(h, "<p><a href=\"/?lang=");
    html_text(h, i18n_code(lang));
    html_lit(h, "\">");
    html_text(h, i18n(lang, M_BACK_TO_FORM));
    html_lit(h, "</a></p>\n");
    page_end(h, lang);
}
