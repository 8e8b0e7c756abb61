/*
 * test_webreport.c — unit tests of relay/webreport.c: the victim's form
 * turned into a validated report (Paris wall time, amounts as typed,
 * evidence), its errors mapped to fields with the page's messages, and the
 * refusal of a full card number wherever it is typed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "webreport.h"

#define NOW      INT64_C(1774699200) /* 2026-03-28T12:00:00Z */
#define DEBTOR   "FR76 3000 4008 1900 0123 4567 879"
#define CREDITOR "FR76 1695 8000 0174 1258 9630 158"
#define NONCE    "AQIDBAUGBwgJCgsMDQ4PEA"

/* A form from name, value pairs (NULL-terminated), urlencoded then parsed
 * as the relay parses a post. */
static void make_form(struct form *f, const char *const *kv)
{
    char body[16384];
    size_t o = 0;
    for (size_t i = 0; kv[i]; i += 2) {
        if (i)
            body[o++] = '&';
        for (int part = 0; part < 2; part++) {
            for (const unsigned char *p = (const unsigned char *)kv[i + (size_t)part]; *p; p++) {
                if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.')
                    body[o++] = (char)*p;
                else if (*p == ' ')
                    body[o++] = '+';
                else
                    o += (size_t)snprintf(body + o, 4, "%%%02X", *p);
            }
            if (part == 0)
                body[o++] = '=';
        }
    }
    assert_int_equal(form_parse(body, o, f), FORM_OK);
}

static const char *transfer_base[] = {
    "kind",          "transfer",
    "executed_at",   "2026-03-28T10:00",
    "amount",        "12 500,00 €",
    "currency",      "EUR",
    "rail",          "unknown",
    "debtor_iban",   DEBTOR,
    "creditor_iban", CREDITOR,
    "creditor_name", "SECURIS CONSEIL SAS",
    "victim_type",   "public_body",
    "victim_name",   "Mairie de Saint-Exemple",
    "email",         "mairie@example.org",
    "phone",         "",
    "postal_code",   "31000",
    "scenario",      "fake_cyber_partnership",
    "narrative",     "Un faux partenariat.",
};

/* transfer_base with some values replaced (name, value pairs). */
static void transfer_form(struct form *f, const char *const *changes)
{
    const char *kv[96];
    size_t n = sizeof(transfer_base) / sizeof(transfer_base[0]);
    memcpy(kv, transfer_base, sizeof(transfer_base));
    for (size_t c = 0; changes && changes[c]; c += 2) {
        size_t i;
        for (i = 0; i < n; i += 2)
            if (strcmp(kv[i], changes[c]) == 0)
                break;
        if (i == n) {
            kv[n++] = changes[c];
            kv[n++] = changes[c + 1];
        } else {
            kv[i + 1] = changes[c + 1];
        }
    }
    kv[n] = NULL;
    make_form(f, kv);
}

static int build(const struct form *f, struct report *r, struct wf_errors *e)
{
    struct report_limits lim;
    report_limits_default(&lim);
    return webreport_build(f, NONCE, NOW, &lim, r, e);
}

static void test_transfer_ok(void **state)
{
    struct form f;
    struct report r;
    struct wf_errors e;
    (void)state;
    transfer_form(&f, NULL);
    assert_int_equal(build(&f, &r, &e), 0);
    assert_int_equal(e.count, 0);
    assert_int_equal(r.kind, REPORT_TRANSFER);
    /* 10:00 in Paris on 28 March 2026 is 09:00Z (winter time) */
    assert_int_equal(r.start_at, INT64_C(1774688400));
    assert_int_equal(r.amount_minor, 1250000);
    assert_string_equal(r.currency, "EUR");
    assert_string_equal(r.debtor_iban, "FR7630004008190001234567879");
    assert_string_equal(r.scenario, "fake_cyber_partnership");
    assert_string_equal(r.departement, "31");
    json_t *victim = json_object_get(r.details, "victim");
    assert_string_equal(json_string_value(json_object_get(victim, "type")), "public_body");
    assert_null(json_object_get(victim, "phone")); /* empty fields are left out */
    report_free(&r);
    form_free(&f);
}

static void test_amounts_and_times(void **state)
{
    static const struct {
        const char *amount, *when;
        int64_t minor, start;
    } ok[] = {
        {"12500", "2026-03-28T10:00", 1250000, INT64_C(1774688400)},
        {"12.500,50", "28/03/2026 10:00", 1250050, INT64_C(1774688400)},
        {"950,5 EUR", "28/03/2026 à 10h00", 95050, INT64_C(1774688400)},
        {"1 000.00", "2026-03-28T10:00:30", 100000, INT64_C(1774688430)},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        struct form f;
        struct report r;
        struct wf_errors e;
        const char *ch[] = {"amount", ok[i].amount, "executed_at", ok[i].when, NULL};
        transfer_form(&f, ch);
        assert_int_equal(build(&f, &r, &e), 0);
        assert_int_equal(r.amount_minor, ok[i].minor);
        assert_int_equal(r.start_at, ok[i].start);
        report_free(&r);
        form_free(&f);
    }
}

static enum msg error_of(const char *const *changes, enum wf_field field, int64_t *n)
{
    struct form f;
    struct report r;
    struct wf_errors e;
    transfer_form(&f, changes);
    assert_int_equal(build(&f, &r, &e), -1);
    form_free(&f);
    assert_true(e.e[field].set);
    if (n)
        *n = e.e[field].n;
    return e.e[field].msg;
}

static void test_iban_errors(void **state)
{
    int64_t n = 0;
    (void)state;
    const char *check[] = {"debtor_iban", "FR76 3000 4008 1900 0123 4567 878", NULL};
    assert_int_equal(error_of(check, WF_DEBTOR_IBAN, NULL), M_E_IBAN_CHECK);
    const char *len[] = {"debtor_iban", "FR76 3000 4008 1900 0123 4567 87", NULL};
    assert_int_equal(error_of(len, WF_DEBTOR_IBAN, &n), M_E_IBAN_LENGTH);
    assert_int_equal(n, 27);
    const char *country[] = {"creditor_iban", "ZZ76 3000 4008 1900 0123 4567 879", NULL};
    assert_int_equal(error_of(country, WF_CREDITOR_IBAN, NULL), M_E_IBAN_COUNTRY);
    const char *chars[] = {"creditor_iban", "FR76-3000-4008", NULL};
    assert_int_equal(error_of(chars, WF_CREDITOR_IBAN, NULL), M_E_IBAN_BAD_CHAR);
    const char *same[] = {"creditor_iban", "fr7630004008190001234567879", NULL};
    assert_int_equal(error_of(same, WF_CREDITOR_IBAN, NULL), M_E_IBAN_SAME);
    const char *empty[] = {"debtor_iban", "  ", NULL};
    assert_int_equal(error_of(empty, WF_DEBTOR_IBAN, NULL), M_E_REQ_DEBTOR_IBAN);

    /* the other fields carry no error */
    struct form f;
    struct report r;
    struct wf_errors e;
    transfer_form(&f, check);
    assert_int_equal(build(&f, &r, &e), -1);
    assert_int_equal(e.count, 1);
    assert_int_equal(e.general, 0);
    assert_int_equal(e.show[WF_DEBTOR_IBAN], WF_SHOW);
    form_free(&f);
}

static void test_other_errors(void **state)
{
    int64_t n = 0;
    (void)state;
    const char *time_bad[] = {"executed_at", "hier soir", NULL};
    assert_int_equal(error_of(time_bad, WF_EXECUTED_AT, NULL), M_E_TIME);
    const char *time_future[] = {"executed_at", "2026-03-29T10:00", NULL};
    assert_int_equal(error_of(time_future, WF_EXECUTED_AT, NULL), M_E_TIME_FUTURE);
    const char *time_old[] = {"executed_at", "2024-01-01T10:00", NULL};
    assert_int_equal(error_of(time_old, WF_EXECUTED_AT, NULL), M_E_TIME_OLD);
    const char *time_empty[] = {"executed_at", "", NULL};
    assert_int_equal(error_of(time_empty, WF_EXECUTED_AT, NULL), M_E_REQ_EXECUTED_AT);
    const char *amount[] = {"amount", "12,345", NULL};
    assert_int_equal(error_of(amount, WF_AMOUNT, &n), M_E_AMOUNT);
    assert_int_equal(n, 2);
    const char *zero[] = {"amount", "0", NULL};
    assert_int_equal(error_of(zero, WF_AMOUNT, NULL), M_E_AMOUNT);
    const char *cur[] = {"currency", "ZZZ", NULL};
    assert_int_equal(error_of(cur, WF_CURRENCY, NULL), M_E_CURRENCY);
    const char *email[] = {"email", "pas-un-email", NULL};
    assert_int_equal(error_of(email, WF_EMAIL, NULL), M_E_EMAIL);
    const char *contact[] = {"email", "", "phone", " ", NULL};
    assert_int_equal(error_of(contact, WF_EMAIL, NULL), M_E_NEED_CONTACT);
    const char *phone[] = {"phone", "appelez-moi", NULL};
    assert_int_equal(error_of(phone, WF_PHONE, NULL), M_E_PHONE);
    const char *postal[] = {"postal_code", "3100", NULL};
    assert_int_equal(error_of(postal, WF_POSTAL_CODE, NULL), M_E_POSTAL);
    const char *scenario[] = {"scenario", "", NULL};
    assert_int_equal(error_of(scenario, WF_SCENARIO, NULL), M_E_REQ_SCENARIO);
    const char *scenario2[] = {"scenario", "aliens", NULL};
    assert_int_equal(error_of(scenario2, WF_SCENARIO, NULL), M_E_CHOOSE);
    const char *name[] = {"victim_name", "", NULL};
    assert_int_equal(error_of(name, WF_VICTIM_NAME, NULL), M_E_REQ_VICTIM_NAME);
    char longname[260];
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    const char *toolong[] = {"victim_name", longname, NULL};
    assert_int_equal(error_of(toolong, WF_VICTIM_NAME, &n), M_E_TOO_LONG);
    assert_int_equal(n, 200);
}

static void test_pan_in_text(void **state)
{
    struct form f;
    struct report r;
    struct wf_errors e;
    char masked[128];
    (void)state;
    const char *ch[] = {"narrative", "Ma carte 4970 1012 3456 4825 a servi.", NULL};
    transfer_form(&f, ch);
    assert_int_equal(build(&f, &r, &e), -1);
    assert_true(e.e[WF_NARRATIVE].set);
    assert_int_equal(e.e[WF_NARRATIVE].msg, M_E_PAN_TEXT);
    assert_int_equal(e.show[WF_NARRATIVE], WF_MASK_PAN);
    form_free(&f);
    /* in a field report_from_json does not search (the phone) */
    const char *ph[] = {"phone", "4970101234564825", NULL};
    transfer_form(&f, ph);
    assert_int_equal(build(&f, &r, &e), -1);
    assert_int_equal(e.e[WF_PHONE].msg, M_E_PAN_TEXT);
    form_free(&f);

    webreport_mask_pan("Ma carte 4970 1012 3456 4825 a servi le 12/04, tél 06 12 34 56 78.", masked,
                       sizeof(masked));
    assert_string_equal(masked,
                        "Ma carte XXXX XXXX XXXX XXXX a servi le 12/04, tél 06 12 34 56 78.");
    webreport_mask_pan("4970-1012-3456-4825", masked, sizeof(masked));
    assert_string_equal(masked, "XXXX-XXXX-XXXX-XXXX");
    webreport_mask_pan("SIRET 123 456 789 00012", masked, sizeof(masked));
    assert_string_equal(masked, "SIRET XXX XXX XXX XXXXX"); /* a superset: shown back masked */
    webreport_mask_pan("x", masked, 1);
    assert_string_equal(masked, "");
}

static void test_evidence(void **state)
{
    struct form f;
    struct report r;
    struct wf_errors e;
    static const char sha[] = "c624a7e2351c5ef1a7323bfb03b36fe5a17fed235cc0247dcc622b667830501b";
    (void)state;
    const char *ch[] = {"evidence_name", "appel.eml", "evidence_sha256", sha, NULL};
    transfer_form(&f, ch);
    assert_int_equal(build(&f, &r, &e), 0);
    json_t *ev = json_object_get(r.details, "evidence");
    assert_int_equal(json_array_size(ev), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(ev, 0), "file_name")),
                        "appel.eml");
    report_free(&r);
    form_free(&f);
    const char *bad[] = {"evidence_name", "appel.eml", "evidence_sha256", "nothex", NULL};
    transfer_form(&f, bad);
    assert_int_equal(build(&f, &r, &e), -1);
    assert_int_equal(e.e[WF_EVIDENCE].msg, M_E_EVIDENCE);
    form_free(&f);
    const char *odd[] = {"evidence_name", "appel.eml", NULL};
    transfer_form(&f, odd);
    assert_int_equal(build(&f, &r, &e), -1);
    assert_int_equal(e.e[WF_EVIDENCE].msg, M_E_EVIDENCE);
    form_free(&f);
}

static const char *card_base[] = {
    "kind",        "card",   "card_bin",    "497010",           "card_last4", "4825",
    "receipt",     "",       "op_at",       "2026-03-28T08:14", "op_amount",  "849,90",
    "op_currency", "EUR",    "op_merchant", "ELECTRO-DISCOUNT", "op_country", "nl",
    "op_channel",  "online", "victim_name", "Jeanne Martin",    "email",      "jeanne@example.org",
    NULL,
};

static void test_card(void **state)
{
    struct form f;
    struct report r, r2;
    struct wf_errors e;
    (void)state;
    make_form(&f, card_base);
    assert_int_equal(build(&f, &r, &e), 0);
    assert_int_equal(r.kind, REPORT_CARD);
    assert_string_equal(r.card_bin, "497010");
    assert_string_equal(r.card_last4, "4825");
    assert_int_equal(r.amount_minor, 84990);
    assert_int_equal(r.start_at, INT64_C(1774682040)); /* 08:14 Paris = 07:14Z */
    assert_int_equal(strncmp(r.receipt, "WEB-", 4), 0);
    assert_int_equal(strlen(r.receipt), 20);
    /* the same form (nonce) gives the same receipt: a resent form is the same report */
    assert_int_equal(build(&f, &r2, &e), 0);
    assert_string_equal(r.receipt, r2.receipt);
    report_free(&r);
    report_free(&r2);
    form_free(&f);
}

static void test_card_refuses_pan(void **state)
{
    struct form f;
    struct report r;
    struct wf_errors e;
    const char *kv[64];
    size_t n = 0;
    (void)state;
    for (; card_base[n]; n++)
        kv[n] = card_base[n];
    kv[n] = NULL;
    kv[3] = "4970 1012 3456 4825"; /* the whole number in the first box */
    make_form(&f, kv);
    assert_int_equal(build(&f, &r, &e), -1);
    assert_int_equal(e.e[WF_CARD_BIN].msg, M_E_PAN_CARD_FIELD);
    assert_int_equal(e.show[WF_CARD_BIN], WF_HIDE);
    form_free(&f);
    kv[3] = "49701012345648"; /* no Luhn needed: too many digits is enough */
    make_form(&f, kv);
    assert_int_equal(build(&f, &r, &e), -1);
    assert_int_equal(e.e[WF_CARD_BIN].msg, M_E_PAN_CARD_FIELD);
    form_free(&f);
    kv[3] = "497010";
    kv[5] = "1012345648251";
    make_form(&f, kv);
    assert_int_equal(build(&f, &r, &e), -1);
    assert_int_equal(e.e[WF_CARD_LAST4].msg, M_E_PAN_CARD_FIELD);
    assert_int_equal(e.show[WF_CARD_LAST4], WF_HIDE);
    form_free(&f);
    kv[5] = "48";
    make_form(&f, kv);
    assert_int_equal(build(&f, &r, &e), -1);
    assert_int_equal(e.e[WF_CARD_LAST4].msg, M_E_LAST4);
    form_free(&f);
    kv[3] = "";
    kv[5] = "";
    make_form(&f, kv);
    assert_int_equal(build(&f, &r, &e), -1);
    assert_int_equal(e.e[WF_CARD_BIN].msg, M_E_REQ_CARD_BIN);
    form_free(&f);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(webreport_field_name(WF_DEBTOR_IBAN), "debtor_iban");
    assert_string_equal(webreport_field_name(WF_COUNT), "");
    for (int i = 0; i < WF_COUNT; i++)
        assert_true(webreport_field_name((enum wf_field)i)[0] != '\0');
    struct form f;
    const char *kv[] = {"kind", "card", NULL};
    make_form(&f, kv);
    assert_int_equal(webreport_kind(&f), WF_CARD);
    form_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transfer_ok), cmocka_unit_test(test_amounts_and_times),
        cmocka_unit_test(test_iban_errors), cmocka_unit_test(test_other_errors),
        cmocka_unit_test(test_pan_in_text), cmocka_unit_test(test_evidence),
        cmocka_unit_test(test_card),        cmocka_unit_test(test_card_refuses_pan),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
