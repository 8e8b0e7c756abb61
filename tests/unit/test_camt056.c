/*
 * test_camt056.c — unit tests of relay/camt056.c: the recall request of the
 * victim's bank from an escalation, as JSON and as camt.056 XML, with every
 * text escaped.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "camt056.h"

/* proto/examples/event_escalation_bank.json, as the victim's bank gets it. */
static const char *const EVENT =
    "{\"ref\":\"R48-7K2M-9QXD-4HV3\",\"milestone\":\"reminder\",\"severity\":\"high\","
    "\"role\":\"debtor_bank\",\"bic\":\"BNPAFRPP\",\"bank_name\":\"BNP Paribas\","
    "\"kind\":\"transfer\",\"rail\":\"sct_inst\",\"received_at\":\"2026-03-28T09:42:17Z\","
    "\"start_at\":\"2026-03-28T23:30:00Z\",\"deadline_at\":\"2026-03-30T23:30:00Z\","
    "\"amount\":{\"value\":\"12500.00\",\"currency\":\"EUR\"},"
    "\"debtor\":{\"iban\":\"FR7630004008190001234567879\",\"bic\":\"BNPAFRPP\","
    "\"name\":\"Commune de Saint-Genis-les-Ollières\"},"
    "\"creditor\":{\"iban\":\"FR7616958000017412589630158\",\"bic\":\"QNTOFRP1\","
    "\"name\":\"SECURIS <CONSEIL> & \\\"Fils\\\" l'SAS\"},"
    "\"scenario\":\"fake_bank_advisor\",\"end_to_end_id\":\"E2E-2026032810000042\","
    "\"uetr\":\"8a562c67-ca16-48ba-b074-65581be6f001\","
    "\"victim\":{\"name\":\"Mairie\",\"email\":\"m@example.org\"},"
    "\"linked_cases\":[],\"ack_url\":\"/v1/cases/R48-7K2M-9QXD-4HV3/acks\"}";

static json_t *load(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    if (!j)
        fail_msg("bad test JSON: %s", e.text);
    return j;
}

static void fill(const char *text, struct camt056 *r)
{
    json_t *ev = load(text);
    char err[128];
    int rc = camt056_from_escalation(ev, "2026-03-29T09:00:00Z", r, err, sizeof(err));
    json_decref(ev);
    if (rc != 0)
        fail_msg("camt056_from_escalation: %s", err);
}

static void test_fields(void **state)
{
    struct camt056 r;
    fill(EVENT, &r);
    assert_string_equal(r.assignment_id, "R48-7K2M-9QXD-4HV3-REMINDER");
    assert_string_equal(r.case_id, "R48-7K2M-9QXD-4HV3");
    assert_string_equal(r.cancellation_id, "R48-7K2M-9QXD-4HV3");
    assert_string_equal(r.created_at, "2026-03-29T09:00:00Z");
    assert_string_equal(r.assigner_bic, "BNPAFRPP");
    assert_string_equal(r.assignee_bic, "QNTOFRP1");
    assert_string_equal(r.end_to_end_id, "E2E-2026032810000042");
    assert_string_equal(r.uetr, "8a562c67-ca16-48ba-b074-65581be6f001");
    assert_string_equal(r.amount, "12500.00");
    assert_string_equal(r.currency, "EUR");
    /* 23:30Z on 28 March is 00:30 on 29 March in Paris: the Paris date. */
    assert_string_equal(r.settlement_date, "2026-03-29");
    assert_string_equal(r.originator, "Commune de Saint-Genis-les-Ollières");
    assert_string_equal(r.debtor_iban, "FR7630004008190001234567879");
    assert_string_equal(r.creditor_iban, "FR7616958000017412589630158");
    assert_non_null(strstr(r.additional_info, "R48-7K2M-9QXD-4HV3"));
    assert_true(strlen(r.assignment_id) <= CAMT056_MAX35);
}

static void test_json(void **state)
{
    struct camt056 r;
    fill(EVENT, &r);
    json_t *j = camt056_to_json(&r);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "message_type")), "camt.056.001.08");
    assert_string_equal(json_string_value(json_object_get(j, "reason_code")), "FRAD");
    json_t *amount = json_object_get(j, "original_amount");
    assert_string_equal(json_string_value(json_object_get(amount, "value")), "12500.00");
    assert_string_equal(json_string_value(json_object_get(amount, "currency")), "EUR");
    assert_string_equal(json_string_value(json_object_get(j, "original_end_to_end_id")),
                        "E2E-2026032810000042");
    assert_string_equal(json_string_value(json_object_get(j, "original_settlement_date")),
                        "2026-03-29");
    json_t *creditor = json_object_get(j, "creditor");
    assert_string_equal(json_string_value(json_object_get(creditor, "bic")), "QNTOFRP1");
    assert_string_equal(json_string_value(json_object_get(creditor, "name")),
                        "SECURIS <CONSEIL> & \"Fils\" l'SAS");
    json_decref(j);

    /* Without end-to-end id nor UETR: those members are left out. */
    json_t *ev = load(EVENT);
    json_object_del(ev, "end_to_end_id");
    json_object_del(ev, "uetr");
    char err[128];
    assert_int_equal(camt056_from_escalation(ev, "2026-03-29T09:00:00Z", &r, err, sizeof(err)), 0);
    json_decref(ev);
    j = camt056_to_json(&r);
    assert_null(json_object_get(j, "original_end_to_end_id"));
    assert_null(json_object_get(j, "original_uetr"));
    json_decref(j);
}

static void test_xml(void **state)
{
    struct camt056 r;
    fill(EVENT, &r);
    char *x = camt056_to_xml(&r);
    assert_non_null(x);
    assert_true(strncmp(x, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", 39) == 0);
    assert_non_null(
        strstr(x, "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.056.001.08\">"));
    assert_non_null(strstr(x, "<Id>R48-7K2M-9QXD-4HV3-REMINDER</Id>"));
    assert_non_null(strstr(x, "<Cd>FRAD</Cd>"));
    assert_non_null(strstr(x, "<OrgnlIntrBkSttlmAmt Ccy=\"EUR\">12500.00</OrgnlIntrBkSttlmAmt>"));
    assert_non_null(strstr(x, "<OrgnlIntrBkSttlmDt>2026-03-29</OrgnlIntrBkSttlmDt>"));
    assert_non_null(strstr(x, "<OrgnlEndToEndId>E2E-2026032810000042</OrgnlEndToEndId>"));
    assert_non_null(strstr(x, "<OrgnlUETR>8a562c67-ca16-48ba-b074-65581be6f001</OrgnlUETR>"));
    assert_non_null(strstr(x, "<BICFI>QNTOFRP1</BICFI>"));
    assert_non_null(strstr(x, "<IBAN>FR7616958000017412589630158</IBAN>"));
    assert_non_null(strstr(x, "<Nm>Commune de Saint-Genis-les-Ollières</Nm>"));
    /* The beneficiary's name, escaped; never raw. */
    assert_non_null(
        strstr(x, "<Nm>SECURIS &lt;CONSEIL&gt; &amp; &quot;Fils&quot; l&apos;SAS</Nm>"));
    assert_null(strstr(x, "<CONSEIL>"));
    /* The elements in the schema's order. */
    const char *order[] = {"<Assgnmt>",
                           "<CreDtTm>",
                           "<CtrlData>",
                           "<Undrlyg>",
                           "<CxlId>",
                           "<Case>",
                           "<OrgnlEndToEndId>",
                           "<OrgnlUETR>",
                           "<OrgnlIntrBkSttlmAmt",
                           "<OrgnlIntrBkSttlmDt>",
                           "<CxlRsnInf>",
                           "<OrgnlTxRef>",
                           "<DbtrAcct>",
                           "<DbtrAgt>",
                           "<CdtrAgt>",
                           "<Cdtr>",
                           "<CdtrAcct>",
                           "</Document>"};
    const char *at = x;
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        const char *p = strstr(at, order[i]);
        if (!p)
            fail_msg("%s missing or out of order", order[i]);
        at = p;
    }
    /* Every tag opened is closed: as many '<' as '>' once entities are out. */
    int lt = 0, gt = 0;
    for (const char *p = x; *p; p++) {
        lt += *p == '<';
        gt += *p == '>';
    }
    assert_int_equal(lt, gt);
    free(x);
}

static void test_escape(void **state)
{
    char out[64];
    assert_int_equal(camt056_xml_escape("a&b<c>d\"e'f", out, sizeof(out)), 31);
    assert_string_equal(out, "a&amp;b&lt;c&gt;d&quot;e&apos;f");
    /* Controls XML forbids and broken UTF-8 become U+FFFD; TAB LF CR stay. */
    assert_true(camt056_xml_escape("x\x01y\tz\n\r", out, sizeof(out)) > 0);
    assert_string_equal(out, "x\xEF\xBF\xBDy\tz\n\r");
    assert_true(camt056_xml_escape("\xC3(\xFF\xE2\x82", out, sizeof(out)) > 0);
    assert_string_equal(out, "\xEF\xBF\xBD(\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
    assert_true(camt056_xml_escape("\xED\xA0\x80", out, sizeof(out)) > 0); /* a surrogate */
    assert_string_equal(out, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
    assert_true(camt056_xml_escape("é€😀", out, sizeof(out)) > 0);
    assert_string_equal(out, "é€😀");
    /* Too small: "" and -1, never a cut entity. */
    assert_int_equal(camt056_xml_escape("a&b", out, 5), -1);
    assert_string_equal(out, "");
    assert_int_equal(camt056_xml_escape("abc", out, 3), -1);
    assert_int_equal(camt056_xml_escape("abc", out, 4), 3);
    assert_int_equal(camt056_xml_escape("", out, 1), 0);
    assert_int_equal(camt056_xml_escape(NULL, out, 1), 0);
    /* The bound of the header holds: 6 bytes per input byte. */
    char worst[8] = "'''''''";
    char big[6 * 7 + 1];
    assert_int_equal(camt056_xml_escape(worst, big, sizeof(big)), 42);
}

static void test_long_names_cut_at_characters(void **state)
{
    json_t *ev = load(EVENT);
    char name[400];
    size_t n = 0;
    for (int i = 0; i < 150; i++) {
        memcpy(name + n, "é", 2); /* two bytes each */
        n += 2;
    }
    name[n] = '\0';
    json_object_set_new(json_object_get(ev, "creditor"), "name", json_string(name));
    struct camt056 r;
    char err[128];
    assert_int_equal(camt056_from_escalation(ev, "2026-03-29T09:00:00Z", &r, err, sizeof(err)), 0);
    json_decref(ev);
    assert_int_equal(strlen(r.creditor_name), 2 * CAMT056_MAX140);
    assert_true(strncmp(r.creditor_name, name, 2 * CAMT056_MAX140) == 0);
}

static void test_refused(void **state)
{
    struct camt056 r;
    char err[128];
    /* The beneficiary's bank freezes; it gets no recall. */
    json_t *ev = load(EVENT);
    json_object_set_new(ev, "role", json_string("creditor_bank"));
    assert_int_equal(camt056_from_escalation(ev, "2026-03-29T09:00:00Z", &r, err, sizeof(err)), -1);
    json_decref(ev);
    /* A card case has no transfer to recall. */
    ev = load(EVENT);
    json_object_set_new(ev, "kind", json_string("card"));
    assert_int_equal(camt056_from_escalation(ev, "2026-03-29T09:00:00Z", &r, err, sizeof(err)), -1);
    json_decref(ev);
    /* No amount. */
    ev = load(EVENT);
    json_object_del(ev, "amount");
    assert_int_equal(camt056_from_escalation(ev, "2026-03-29T09:00:00Z", &r, err, sizeof(err)), -1);
    json_decref(ev);
    /* No creditor IBAN. */
    ev = load(EVENT);
    json_object_del(ev, "creditor");
    assert_int_equal(camt056_from_escalation(ev, "2026-03-29T09:00:00Z", &r, err, sizeof(err)), -1);
    json_decref(ev);
    assert_int_equal(camt056_from_escalation(NULL, "x", &r, err, sizeof(err)), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_xml),
        cmocka_unit_test(test_escape),
        cmocka_unit_test(test_long_names_cut_at_characters),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
