/*
 * test_acks.c — unit tests of the pure parts of relay/acks.c: the body of
 * an acknowledgement (fields, errors, the hash of identical repeats), the
 * resolution rule, and who sees a case.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include <jansson.h>
#include <string.h>

#include "acks.h"

static int parse(const char *body, struct ack_request *out, json_t **errors)
{
    *errors = json_array();
    return acks_parse(body, strlen(body), out, *errors);
}

/* The codes of the errors, "pointer=code" sorted by the order given. */
static void expect_error(json_t *errors, const char *pointer, const char *code)
{
    size_t i;
    json_t *e;
    json_array_foreach(errors, i, e)
    {
        if (strcmp(json_string_value(json_object_get(e, "pointer")), pointer) == 0 &&
            strcmp(json_string_value(json_object_get(e, "code")), code) == 0)
            return;
    }
    char *dump = json_dumps(errors, 0);
    fail_msg("no %s %s in %s", pointer, code, dump);
}

static void test_status_names(void **state)
{
    (void)state;
    enum ack_status s;
    for (int i = 0; i < ACK_STATUS_COUNT; i++) {
        assert_int_equal(ack_status_parse(ack_status_name((enum ack_status)i), &s), 0);
        assert_int_equal(s, i);
    }
    assert_int_equal(ack_status_parse("Received", &s), -1);
    assert_null(ack_status_name(ACK_STATUS_COUNT));
}

static void test_parse_valid(void **state)
{
    (void)state;
    struct ack_request r;
    json_t *errors;
    assert_int_equal(parse("{\"status\":\"funds_frozen\",\"amount\":{\"value\":\"9800.5\","
                           "\"currency\":\"EUR\"},\"note\":\"Bloqués\\n ok\\t.\","
                           "\"party_ref\":\"SG-2026/42\"}",
                           &r, &errors),
                     0);
    assert_int_equal(json_array_size(errors), 0);
    assert_int_equal(r.status, ACK_FUNDS_FROZEN);
    assert_int_equal(r.amount_minor, 980050);
    assert_string_equal(r.currency, "EUR");
    assert_string_equal(r.note, "Bloqués\n ok\t.");
    assert_string_equal(r.party_ref, "SG-2026/42");
    assert_int_equal(strlen(r.hash), 64);
    char first[65];
    memcpy(first, r.hash, sizeof(first));
    acks_request_free(&r);
    json_decref(errors);

    /* the same acknowledgement, written otherwise: same hash */
    assert_int_equal(parse("{\"party_ref\":\"SG-2026/42\",\"note\":\"Bloqués\\n ok\\t.\","
                           "\"amount\":{\"currency\":\"EUR\",\"value\":\"9800.50\"},"
                           "\"status\":\"funds_frozen\"}",
                           &r, &errors),
                     0);
    assert_string_equal(r.hash, first);
    acks_request_free(&r);
    json_decref(errors);

    /* another note: another hash; no note vs empty note differ */
    assert_int_equal(parse("{\"status\":\"received\"}", &r, &errors), 0);
    assert_null(r.note);
    assert_null(r.party_ref);
    assert_int_equal(r.amount_minor, 0);
    memcpy(first, r.hash, sizeof(first));
    acks_request_free(&r);
    json_decref(errors);
    assert_int_equal(parse("{\"status\":\"received\",\"note\":\"\"}", &r, &errors), 0);
    assert_string_not_equal(r.hash, first);
    acks_request_free(&r);
    json_decref(errors);
}

static void test_parse_errors(void **state)
{
    (void)state;
    struct ack_request r;
    json_t *errors;
    assert_int_equal(parse("{}", &r, &errors), -1);
    expect_error(errors, "/status", "required");
    json_decref(errors);

    assert_int_equal(parse("{\"status\":\"funds_returned\"}", &r, &errors), -1);
    expect_error(errors, "/amount", "required");
    json_decref(errors);

    assert_int_equal(parse("{\"status\":1,\"amount\":{\"value\":12,\"currency\":\"EURO\","
                           "\"x\":1},\"note\":5,\"party_ref\":\"\",\"foo\":null}",
                           &r, &errors),
                     -1);
    expect_error(errors, "/status", "invalid_type");
    expect_error(errors, "/amount/value", "invalid_type");
    expect_error(errors, "/amount/currency", "invalid_currency");
    expect_error(errors, "/amount/x", "unknown_field");
    expect_error(errors, "/note", "invalid_type");
    expect_error(errors, "/party_ref", "too_short");
    expect_error(errors, "/foo", "unknown_field");
    json_decref(errors);

    assert_int_equal(parse("{\"status\":\"no_funds\",\"amount\":{\"value\":\"1.234\","
                           "\"currency\":\"EUR\"},\"note\":\"a\\u0001b\",\"party_ref\":\"é\"}",
                           &r, &errors),
                     -1);
    expect_error(errors, "/amount/value", "invalid_amount");
    expect_error(errors, "/note", "invalid_format");
    expect_error(errors, "/party_ref", "invalid_format");
    json_decref(errors);

    /* a card number, in a note or a reference */
    assert_int_equal(parse("{\"status\":\"rejected\",\"note\":\"carte 4970 1012 3456 7893\","
                           "\"party_ref\":\"4970101234567893\"}",
                           &r, &errors),
                     -1);
    expect_error(errors, "/note", "full_card_number_refused");
    expect_error(errors, "/party_ref", "full_card_number_refused");
    json_decref(errors);

    /* 2000 code points pass, 2001 do not (é is two bytes, one code point) */
    char note[2 * 2001 + 64];
    strcpy(note, "{\"status\":\"received\",\"note\":\"");
    for (int i = 0; i < 2000; i++)
        strcat(note, "é");
    strcat(note, "\"}");
    assert_int_equal(parse(note, &r, &errors), 0);
    acks_request_free(&r);
    json_decref(errors);
    note[strlen(note) - 2] = '\0';
    strcat(note, "é\"}");
    assert_int_equal(parse(note, &r, &errors), -1);
    expect_error(errors, "/note", "too_long");
    json_decref(errors);

    char ref[200];
    snprintf(ref, sizeof(ref), "{\"status\":\"received\",\"party_ref\":\"%065d\"}", 0);
    assert_int_equal(parse(ref, &r, &errors), -1);
    expect_error(errors, "/party_ref", "too_long");
    json_decref(errors);

    /* unknown members: pointers escaped as RFC 6901 says; a name that looks
     * like a card number, or too long to repeat, points at its object */
    assert_int_equal(parse("{\"status\":\"received\",\"a~b/c\":1,\"4970101234567893\":1,"
                           "\"amount\":{\"value\":\"1.00\",\"currency\":\"EUR\",\"~\":1,"
                           "\"4970 1012 3456 7893\":2}}",
                           &r, &errors),
                     -1);
    expect_error(errors, "/a~0b~1c", "unknown_field");
    expect_error(errors, "", "unknown_field");
    expect_error(errors, "/amount/~0", "unknown_field");
    expect_error(errors, "/amount", "unknown_field");
    char *dump = json_dumps(errors, 0);
    assert_null(strstr(dump, "4970"));
    free(dump);
    json_decref(errors);

    /* a long name with multi-byte characters is never cut inside one */
    char longname[1024];
    strcpy(longname, "{\"status\":\"received\",\"x");
    for (int i = 0; i < 45; i++)
        strcat(longname, "\xc3\xa9"); /* 90 bytes of é */
    strcat(longname, "\":1}");
    assert_int_equal(parse(longname, &r, &errors), -1);
    assert_int_equal(json_array_size(errors), 1);
    assert_non_null(json_string_value(json_object_get(json_array_get(errors, 0), "pointer")));
    json_decref(errors);
}

static void test_parse_not_json(void **state)
{
    (void)state;
    struct ack_request r;
    json_t *errors;
    const char *bad[] = {"",
                         "[]",
                         "\"x\"",
                         "{\"status\":\"received\"",
                         "{\"a\":1,\"a\":2}",
                         "{\"status\":\"received\"} x",
                         "{\"a\":[[[[[[[[[1]]]]]]]]]}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (parse(bad[i], &r, &errors) != -2)
            fail_msg("not refused as JSON: %s", bad[i]);
        json_decref(errors);
    }
    assert_int_equal(acks_parse(NULL, 0, &r, errors = json_array()), -2);
    json_decref(errors);
}

static void test_resolution(void **state)
{
    (void)state;
    struct acks_party p[3] = {{ROLE_DEBTOR_BANK, -1}, {ROLE_CREDITOR_BANK, -1}, {ROLE_POLICE, -1}};

    /* the creditor's bank froze or returned: resolved */
    p[1].status = ACK_FUNDS_FROZEN;
    assert_string_equal(acks_resolution(p, 3, ROLE_CREDITOR_BANK, ACK_FUNDS_FROZEN),
                        "funds_frozen");
    p[1].status = ACK_FUNDS_RETURNED;
    assert_string_equal(acks_resolution(p, 3, ROLE_CREDITOR_BANK, ACK_FUNDS_RETURNED),
                        "funds_returned");
    /* the same from the victim's bank or the police: not the rule */
    p[1].status = -1;
    p[0].status = ACK_FUNDS_RETURNED;
    assert_null(acks_resolution(p, 3, ROLE_DEBTOR_BANK, ACK_FUNDS_RETURNED));
    p[0].status = -1;
    p[2].status = ACK_FUNDS_FROZEN;
    assert_null(acks_resolution(p, 3, ROLE_POLICE, ACK_FUNDS_FROZEN));
    p[2].status = -1;

    /* every bank without funds, whatever the police said */
    p[0].status = ACK_TOO_LATE;
    assert_null(acks_resolution(p, 3, ROLE_DEBTOR_BANK, ACK_TOO_LATE));
    p[1].status = ACK_NO_FUNDS;
    p[2].status = ACK_RECEIVED;
    assert_string_equal(acks_resolution(p, 3, ROLE_CREDITOR_BANK, ACK_NO_FUNDS), "no_recovery");
    /* the latest answer counts: a bank that then asked for a recall */
    p[0].status = ACK_RECALL_REQUESTED;
    assert_null(acks_resolution(p, 3, ROLE_CREDITOR_BANK, ACK_NO_FUNDS));
    /* a police answer never resolves */
    p[0].status = ACK_NO_FUNDS;
    assert_null(acks_resolution(p, 3, ROLE_POLICE, ACK_NO_FUNDS));
    /* no bank addressed (both unknown): never by no_recovery */
    struct acks_party police_only[1] = {{ROLE_POLICE, ACK_NO_FUNDS}};
    assert_null(acks_resolution(police_only, 1, ROLE_POLICE, ACK_NO_FUNDS));

    /* a card: the issuer froze */
    struct acks_party card[1] = {{ROLE_ISSUER_BANK, ACK_FUNDS_FROZEN}};
    assert_string_equal(acks_resolution(card, 1, ROLE_ISSUER_BANK, ACK_FUNDS_FROZEN),
                        "funds_frozen");
    card[0].status = ACK_NO_FUNDS;
    assert_string_equal(acks_resolution(card, 1, ROLE_ISSUER_BANK, ACK_NO_FUNDS), "no_recovery");
}

static void test_visibility(void **state)
{
    (void)state;
    /* banks: addressed only */
    assert_true(acks_party_sees("bank:BNPAFRPP", "31", "debtor_bank"));
    assert_false(acks_party_sees("bank:BNPAFRPP", "31", NULL));
    /* police: their département, addressed or not; NATIONAL: everything */
    assert_true(acks_party_sees("police:31", "31", NULL));
    assert_true(acks_party_sees("police:31", "31", "police"));
    assert_false(acks_party_sees("police:75", "31", NULL));
    assert_false(acks_party_sees("police:31", NULL, NULL));
    assert_true(acks_party_sees("police:NATIONAL", "31", NULL));
    assert_true(acks_party_sees("police:NATIONAL", NULL, "police"));
    assert_false(acks_party_sees("partner", "31", NULL));
    assert_false(acks_party_sees(NULL, "31", NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_names), cmocka_unit_test(test_parse_valid),
        cmocka_unit_test(test_parse_errors), cmocka_unit_test(test_parse_not_json),
        cmocka_unit_test(test_resolution),   cmocka_unit_test(test_visibility),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
