/*
 * test_webview.c — unit tests of relay/webview.c: the form page (labels for
 * every control, hints and errors tied with aria-describedby to ids that
 * exist, the error summary, values kept, a card number never written), the
 * case page (deadline in Paris time, time left, actions in order, answers)
 * and the short pages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "webview.h"

#define NOW INT64_C(1774699200) /* 2026-03-28T12:00:00Z */

static int count_of(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* Every id="..." named in aria-describedby exists; every control with an id
 * has a <label for> (or is hidden, or a radio inside a fieldset with one). */
static void check_wiring(const char *page)
{
    const char *p = page;
    while ((p = strstr(p, "aria-describedby=\"")) != NULL) {
        p += strlen("aria-describedby=\"");
        const char *end = strchr(p, '"');
        assert_non_null(end);
        char ids[256];
        size_t n = (size_t)(end - p);
        assert_true(n < sizeof(ids));
        memcpy(ids, p, n);
        ids[n] = '\0';
        for (char *tok = strtok(ids, " "); tok; tok = strtok(NULL, " ")) {
            char want[300];
            snprintf(want, sizeof(want), "id=\"%s\"", tok);
            if (!strstr(page, want))
                fail_msg("aria-describedby names a missing id: %s", tok);
        }
    }
    p = page;
    while ((p = strstr(p, "<input")) != NULL || (p = NULL)) {
        const char *end = strchr(p, '>');
        char tag[1024];
        size_t n = (size_t)(end - p);
        if (n >= sizeof(tag))
            n = sizeof(tag) - 1;
        memcpy(tag, p, n);
        tag[n] = '\0';
        p = end;
        if (strstr(tag, "type=\"hidden\""))
            continue;
        const char *id = strstr(tag, " id=\"");
        assert_non_null(id);
        char want[128];
        const char *q = id + 5;
        size_t idn = strcspn(q, "\"");
        snprintf(want, sizeof(want), "<label for=\"%.*s\"", (int)idn, q);
        if (!strstr(page, want))
            fail_msg("no label for %.*s", (int)idn, q);
    }
}

static void parse_form(struct form *f, const char *body)
{
    assert_int_equal(form_parse(body, strlen(body), f), FORM_OK);
}

static void test_empty_form(void **state)
{
    struct html h;
    (void)state;
    for (int kind = 0; kind < 2; kind++) {
        for (int lang = 0; lang < 2; lang++) {
            struct webview_form v = {.lang = (enum lang)lang,
                                     .kind = (enum wf_kind)kind,
                                     .csrf = "1.tok\"en",
                                     .notice = M_COUNT};
            html_init(&h, 0);
            webview_form_page(&h, &v);
            const char *page = html_data(&h);
            assert_non_null(page);
            assert_non_null(strstr(page, lang ? "<html lang=\"en\">" : "<html lang=\"fr\">"));
            assert_non_null(strstr(page, "name=\"csrf\" value=\"1.tok&quot;en\""));
            assert_non_null(strstr(page, "<form method=\"post\" action=\"/report\""));
            assert_null(strstr(page, "<script>"));
            assert_null(strstr(page, "style=\""));
            assert_int_equal(count_of(page, "<script"), 1);
            assert_null(strstr(page, "error-summary"));
            check_wiring(page);
            if (kind == WF_CARD) {
                assert_non_null(strstr(page, "name=\"card_bin\""));
                assert_non_null(strstr(page, lang ? "Never type your full card number"
                                                  : "crivez jamais le numéro complet"));
            } else {
                assert_non_null(strstr(page, "type=\"datetime-local\""));
                assert_non_null(strstr(page, lang ? "Your IBAN" : "Votre IBAN"));
                assert_non_null(strstr(page, "fake_cyber_partnership"));
            }
            html_free(&h);
        }
    }
}

static void test_form_with_errors(void **state)
{
    struct html h;
    struct form f;
    struct wf_errors e;
    (void)state;
    parse_form(&f, "kind=transfer&debtor_iban=FR76+3000+4008&amount=12500&victim_name=%3Cb%3EX"
                   "&narrative=carte+4970+1012+3456+4825&evidence_name=a.eml"
                   "&evidence_sha256=c624a7e2351c5ef1a7323bfb03b36fe5a17fed235cc0247dcc622b6678305"
                   "01b&scenario=other");
    memset(&e, 0, sizeof(e));
    e.e[WF_DEBTOR_IBAN] = (struct wf_error){.set = 1, .msg = M_E_IBAN_LENGTH, .n = 27};
    e.e[WF_NARRATIVE] = (struct wf_error){.set = 1, .msg = M_E_PAN_TEXT};
    e.show[WF_NARRATIVE] = WF_MASK_PAN;
    e.count = 2;
    struct webview_form v = {.lang = LANG_FR,
                             .kind = WF_TRANSFER,
                             .values = &f,
                             .errors = &e,
                             .csrf = "t",
                             .notice = M_COUNT};
    html_init(&h, 0);
    webview_form_page(&h, &v);
    const char *page = html_data(&h);
    assert_non_null(page);
    check_wiring(page);
    assert_non_null(strstr(page, "<title>Erreur : Signaler une fraude"));
    assert_non_null(strstr(page, "Il y a 2 points à corriger"));
    assert_non_null(strstr(page, "<a href=\"#f-debtor_iban\">"));
    assert_non_null(strstr(page, "Un IBAN de ce pays a 27 lettres et chiffres"));
    assert_non_null(strstr(page, "id=\"f-debtor_iban-error\""));
    assert_non_null(strstr(page, "aria-describedby=\"f-debtor_iban-hint f-debtor_iban-error\" "
                                 "aria-invalid=\"true\" value=\"FR76 3000 4008\""));
    /* values kept, escaped */
    assert_non_null(strstr(page, "value=\"&lt;b&gt;X\""));
    assert_non_null(strstr(page, "value=\"12500\""));
    assert_non_null(strstr(page, "value=\"other\" checked"));
    /* evidence kept as hidden fields */
    assert_non_null(strstr(page, "name=\"evidence_name\" value=\"a.eml\""));
    /* the card number never comes back */
    assert_null(strstr(page, "4970 1012"));
    assert_non_null(strstr(page, "carte XXXX XXXX XXXX XXXX"));
    html_free(&h);
    form_free(&f);

    /* even without an error saying so (a form shown again after a stale token) */
    parse_form(&f, "kind=card&card_bin=4970101234564825&card_last4=48251&victim_name=4970+1012+"
                   "3456+4825");
    struct webview_form v2 = {
        .lang = LANG_EN, .kind = WF_CARD, .values = &f, .csrf = "t", .notice = M_NOTICE_EXPIRED};
    html_init(&h, 0);
    webview_form_page(&h, &v2);
    page = html_data(&h);
    assert_null(strstr(page, "49701012"));
    assert_null(strstr(page, "3456 4825"));
    assert_null(strstr(page, "48251"));
    assert_non_null(strstr(page, "This page was open for a long time"));
    html_free(&h);
    form_free(&f);
}

static void test_case_page(void **state)
{
    struct html h;
    struct webview_case *c = calloc(1, sizeof(*c));
    (void)state;
    c->lang = LANG_FR;
    snprintf(c->ref, sizeof(c->ref), "R48-ABCD-EFGH-JKMN");
    snprintf(c->token, sizeof(c->token), "tok");
    c->kind = WF_TRANSFER;
    snprintf(c->state, sizeof(c->state), "open");
    snprintf(c->window_state, sizeof(c->window_state), "open");
    c->start_at = INT64_C(1774688400);
    c->received_at = NOW;
    c->deadline_at = INT64_C(1774861200);
    c->now = NOW;
    c->amount_minor = 1250000;
    snprintf(c->currency, sizeof(c->currency), "EUR");
    c->nparties = 3;
    snprintf(c->parties[0].party, 64, "bank:BNPAFRPP");
    snprintf(c->parties[0].role, 16, "debtor_bank");
    snprintf(c->parties[0].name, 128, "BNP Paribas");
    c->parties[0].escalated_at = NOW;
    snprintf(c->parties[1].party, 64, "bank:SOGEFRPP");
    snprintf(c->parties[1].role, 16, "creditor_bank");
    snprintf(c->parties[2].party, 64, "police:31");
    snprintf(c->parties[2].role, 16, "police");
    snprintf(c->parties[2].name, 128, "Haute-Garonne");
    c->nacks = 1;
    snprintf(c->acks[0].party, 64, "bank:SOGEFRPP");
    snprintf(c->acks[0].status, 32, "funds_frozen");
    c->acks[0].amount_minor = 1250000;
    snprintf(c->acks[0].currency, 4, "EUR");
    snprintf(c->acks[0].note, 512, "<b>bloqué</b>");
    c->acks[0].at = NOW + 600;
    html_init(&h, 0);
    webview_case_page(&h, c);
    const char *page = html_data(&h);
    assert_non_null(page);
    assert_non_null(strstr(page, "R48-ABCD-EFGH-JKMN"));
    assert_non_null(strstr(page, "<time datetime=\"2026-03-30T09:00:00Z\">30 mars 2026 à "
                                 "11:00</time>"));
    assert_non_null(strstr(page, "data-deadline=\"2026-03-30T09:00:00Z\" "
                                 "data-now=\"2026-03-28T12:00:00Z\">45 h</strong>"));
    assert_non_null(strstr(page, "12\xE2\x80\xAF"
                                 "500,00\xC2\xA0"
                                 "EUR"));
    /* actions in the order of the issue, no card step for a transfer */
    const char *bank = strstr(page, "Appelez tout de suite");
    const char *police = strstr(page, "Portez plainte");
    const char *mails = strstr(page, "Gardez les e-mails");
    assert_true(bank && police && mails && bank < police && police < mails);
    assert_null(strstr(page, "opposition"));
    /* answers */
    assert_non_null(strstr(page, "A bloqué l'argent.") ? strstr(page, "A bloqué l'argent.")
                                                       : strstr(page, "A bloqué l&#39;argent."));
    assert_non_null(strstr(page, "&lt;b&gt;bloqué&lt;/b&gt;"));
    assert_int_equal(count_of(page, "Pas encore de réponse."), 2);
    assert_non_null(strstr(page, "BNP Paribas (BNPAFRPP)"));
    assert_non_null(strstr(page, "Haute-Garonne (31)"));
    assert_non_null(strstr(page, "/case/R48-ABCD-EFGH-JKMN?t=tok&amp;lang=en"));
    html_free(&h);

    /* after the deadline, in English, a card case */
    c->lang = LANG_EN;
    c->kind = WF_CARD;
    c->now = c->deadline_at + 1;
    html_init(&h, 0);
    webview_case_page(&h, c);
    page = html_data(&h);
    assert_non_null(strstr(page, "The urgent window has passed"));
    assert_null(strstr(page, "time-left"));
    assert_non_null(strstr(page, "Block the card"));
    assert_non_null(strstr(page, "12,500.00\xC2\xA0"
                                 "EUR"));
    html_free(&h);
    free(c);
}

static void test_message_page(void **state)
{
    struct html h;
    (void)state;
    html_init(&h, 0);
    webview_message_page(&h, LANG_EN, M_RATE_TITLE, "Try <again>");
    const char *page = html_data(&h);
    assert_non_null(strstr(page, "<h1>Too many submissions</h1>"));
    assert_non_null(strstr(page, "Try &lt;again&gt;"));
    assert_non_null(strstr(page, "<html lang=\"en\">"));
    html_free(&h);
}

static void test_amount(void **state)
{
    char out[64];
    (void)state;
    webview_amount(5, "EUR", LANG_FR, out, sizeof(out));
    assert_string_equal(out, "0,05\xC2\xA0"
                             "EUR");
    webview_amount(123456789, "EUR", LANG_EN, out, sizeof(out));
    assert_string_equal(out, "1,234,567.89\xC2\xA0"
                             "EUR");
    webview_amount(1000, "XPF", LANG_FR, out, sizeof(out));
    assert_string_equal(out, "1\xE2\x80\xAF"
                             "000\xC2\xA0"
                             "XPF");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_form), cmocka_unit_test(test_form_with_errors),
        cmocka_unit_test(test_case_page),  cmocka_unit_test(test_message_page),
        cmocka_unit_test(test_amount),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
