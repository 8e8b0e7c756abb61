/*
 * test_connector.c — unit tests of the pure part of relay/connector.c: the
 * body a desk receives (connector_body) and the role names.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <string.h>

#include "connector.h"

#define T_2026_03_28_0943Z INT64_C(1774691000) /* 2026-03-28T09:43:20Z */

static json_t *event(void)
{
    json_error_t e;
    json_t *ev = json_loads("{\"ref\":\"R48-7K2M-9QXD-4HV3\",\"milestone\":\"alert\","
                            "\"deadline_at\":\"2026-03-30T09:00:00Z\",\"amount\":{\"value\":"
                            "\"12500.00\",\"currency\":\"EUR\"},"
                            "\"ack_url\":\"/v1/cases/R48-7K2M-9QXD-4HV3/acks\"}",
                            0, &e);
    assert_non_null(ev);
    return ev;
}

static void test_body_bank(void **state)
{
    json_t *ev = event();
    json_t *recall = json_pack("{s:s}", "reason_code", "FRAD");
    json_t *b = connector_body(ev, "escalation.bank", "0b9d5a3e-6f1c-4c2a-9a57-3e8f6d1b0008",
                               "2026-03-28T09:42:18Z", 3, T_2026_03_28_0943Z, recall,
                               "<?xml version=\"1.0\"?><Document/>", "bank:BNPAFRPP", NULL, NULL,
                               "https://relay48.example.org");
    assert_non_null(b);
    assert_string_equal(json_string_value(json_object_get(b, "type")), "escalation.bank");
    assert_string_equal(json_string_value(json_object_get(b, "id")),
                        "0b9d5a3e-6f1c-4c2a-9a57-3e8f6d1b0008");
    assert_int_equal(json_integer_value(json_object_get(b, "attempt")), 3);
    assert_string_equal(json_string_value(json_object_get(b, "sent_at")), "2026-03-28T09:43:20Z");
    /* 48 h window from 09:00Z, 43 min 20 s gone. */
    assert_int_equal(json_integer_value(json_object_get(b, "time_left_s")), 170200);
    assert_string_equal(json_string_value(json_object_get(b, "time_left")), "47 h 16 min");
    /* The clocks move on 29 March: 11:00 in Paris. */
    assert_string_equal(json_string_value(json_object_get(b, "deadline_paris")),
                        "2026-03-30T11:00:00+02:00");
    assert_string_equal(json_string_value(json_object_get(b, "ack_url")),
                        "https://relay48.example.org/v1/cases/R48-7K2M-9QXD-4HV3/acks");
    assert_true(json_equal(json_object_get(b, "data"), ev)); /* unchanged */
    assert_true(json_equal(json_object_get(b, "recall_request"), recall));
    assert_non_null(json_object_get(b, "recall_request_xml"));
    assert_null(json_object_get(b, "unit"));
    json_decref(b);
    json_decref(recall);
    json_decref(ev);
}

static void test_body_police_and_late(void **state)
{
    json_t *ev = event();
    int64_t after = T_2026_03_28_0943Z + 3 * 86400;
    json_t *b = connector_body(ev, "escalation.police", "0b9d5a3e-6f1c-4c2a-9a57-3e8f6d1b0009",
                               "2026-03-28T09:42:18Z", 1, after, NULL, NULL, "police:31", "CORG 31",
                               "fallback_closed", "");
    assert_non_null(b);
    assert_int_equal(json_integer_value(json_object_get(b, "time_left_s")), 0);
    assert_string_equal(json_string_value(json_object_get(b, "time_left")), "dépassé");
    assert_string_equal(json_string_value(json_object_get(b, "ack_url")),
                        "/v1/cases/R48-7K2M-9QXD-4HV3/acks");
    json_t *unit = json_object_get(b, "unit");
    assert_string_equal(json_string_value(json_object_get(unit, "name")), "CORG 31");
    assert_string_equal(json_string_value(json_object_get(unit, "routing")), "fallback_closed");
    assert_null(json_object_get(b, "recall_request"));
    assert_null(json_object_get(b, "recall_request_xml"));
    json_decref(b);
    /* No deadline: no time left members, still a body. */
    json_object_del(ev, "deadline_at");
    b = connector_body(ev, "escalation.police", "x", "t", 1, after, NULL, NULL, "police:31", NULL,
                       NULL, NULL);
    assert_non_null(b);
    assert_null(json_object_get(b, "time_left_s"));
    json_decref(b);
    json_decref(ev);
}

static void test_role(void **state)
{
    enum connector_role r;
    assert_int_equal(connector_role_parse("bank", &r), 0);
    assert_int_equal(r, CONNECTOR_BANK);
    assert_int_equal(connector_role_parse("police", &r), 0);
    assert_int_equal(r, CONNECTOR_POLICE);
    assert_int_equal(connector_role_parse("Bank", &r), -1);
    assert_int_equal(connector_role_parse("", &r), -1);
    assert_int_equal(connector_role_parse(NULL, &r), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_body_bank),
        cmocka_unit_test(test_body_police_and_late),
        cmocka_unit_test(test_role),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
