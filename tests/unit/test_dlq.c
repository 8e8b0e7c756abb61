/*
 * test_dlq.c — unit tests of relay/dlq.c: the dead letter's members, the
 * base64 of a value that is not JSON, the stable event id.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <string.h>

#include "dlq.h"

#define NOW INT64_C(1774861204) /* 2026-03-30T09:00:04Z */

static json_t *parse(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    assert_non_null(j);
    return j;
}

static void test_full(void **state)
{
    json_t *orig = parse("{\"ref\":\"R48-7K2M-9QXD-4HV3\"}");
    struct dlq_source s = {.topic = "relay48.escalations.bank.v1",
                           .partition = 7,
                           .offset = 18342,
                           .type = "escalation.bank",
                           .event_id = "0b9d5a3e-6f1c-4c2a-9a57-3e8f6d1b2c40",
                           .destination = "bank:QNTOFRP1",
                           .reason = "deadline_reached",
                           .attempts = 214,
                           .last_status = 503,
                           .last_error = "",
                           .last_answer = "maintenance",
                           .original = orig};
    char *text = dlq_build(&s, NOW);
    assert_non_null(text);
    json_t *d = parse(text);
    free(text);
    assert_string_equal(json_string_value(json_object_get(d, "source_topic")),
                        "relay48.escalations.bank.v1");
    assert_int_equal(json_integer_value(json_object_get(d, "source_partition")), 7);
    assert_int_equal(json_integer_value(json_object_get(d, "source_offset")), 18342);
    assert_string_equal(json_string_value(json_object_get(d, "source_type")), "escalation.bank");
    assert_string_equal(json_string_value(json_object_get(d, "event_id")),
                        "0b9d5a3e-6f1c-4c2a-9a57-3e8f6d1b2c40");
    assert_string_equal(json_string_value(json_object_get(d, "destination")), "bank:QNTOFRP1");
    assert_string_equal(json_string_value(json_object_get(d, "reason")), "deadline_reached");
    assert_int_equal(json_integer_value(json_object_get(d, "attempts")), 214);
    assert_int_equal(json_integer_value(json_object_get(d, "last_status")), 503);
    assert_null(json_object_get(d, "last_error")); /* "" is left out */
    assert_string_equal(json_string_value(json_object_get(d, "last_answer")), "maintenance");
    assert_string_equal(json_string_value(json_object_get(d, "at")), "2026-03-30T09:00:04Z");
    assert_true(json_equal(json_object_get(d, "original"), orig));
    assert_null(json_object_get(d, "original_base64"));
    json_decref(d);
    json_decref(orig);
}

static void test_not_json(void **state)
{
    struct dlq_source s = {.topic = "relay48.escalations.police.v1",
                           .partition = 0,
                           .offset = 1,
                           .type = "",
                           .event_id = "not-a-uuid",
                           .destination = "police:NATIONAL",
                           .reason = "invalid_event",
                           .value = "\x01\x02garbage",
                           .value_len = 9};
    char *text = dlq_build(&s, NOW);
    json_t *d = parse(text);
    free(text);
    assert_string_equal(json_string_value(json_object_get(d, "event_id")), "");
    assert_null(json_object_get(d, "source_type"));
    assert_null(json_object_get(d, "last_status"));
    assert_int_equal(json_object_size(json_object_get(d, "original")), 0);
    assert_string_equal(json_string_value(json_object_get(d, "original_base64")), "AQJnYXJiYWdl");
    json_decref(d);
}

static void test_event_id(void **state)
{
    char a[37], b[37], c[37];
    assert_int_equal(dlq_event_id("relay48.escalations.bank.v1", 7, 18342, a), 0);
    assert_int_equal(dlq_event_id("relay48.escalations.bank.v1", 7, 18342, b), 0);
    assert_int_equal(dlq_event_id("relay48.escalations.bank.v1", 7, 18343, c), 0);
    assert_string_equal(a, b); /* produced again after a crash: the same id */
    assert_string_not_equal(a, c);
    assert_true(dlq_uuid_ok(a));
    assert_int_equal(a[14], '8');           /* version 8 */
    assert_non_null(strchr("89ab", a[19])); /* RFC 9562 variant */
    assert_false(dlq_uuid_ok("0B9D5A3E-6F1C-4C2A-9A57-3E8F6D1B2C40"));
    assert_false(dlq_uuid_ok(NULL));
    assert_false(dlq_uuid_ok("0b9d5a3e-6f1c-4c2a-9a57-3e8f6d1b2c4"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full),
        cmocka_unit_test(test_not_json),
        cmocka_unit_test(test_event_id),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
