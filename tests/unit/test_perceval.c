/*
 * test_perceval.c — unit tests of the pure part of relay/perceval.c: one
 * declaration or a batch, "declarant" in place of "victim" (and in the error
 * pointers), a full pan reduced and never echoed, per-item errors with
 * absolute pointers, the batch's own errors (not an array, empty, too many,
 * another member), what is not a JSON object (400), and a batch of 100 with 7
 * bad declarations.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "perceval.h"
#include "timeutil.h"

#define NOW_TEXT "2026-04-12T12:00:00Z"
/* A 16-digit number that passes Luhn, written with spaces. */
#define PAN      "4970 1012 3456 7893"
#define PAN_BARE "4970101234567893"

static int64_t now_s;

static int setup(void **state)
{
    (void)state;
    return rfc3339_parse(NOW_TEXT, &now_s) == RFC3339_OK ? 0 : -1;
}

/* A valid declaration; card is the JSON of the card member. */
static void declaration(char *out, size_t n, const char *receipt, const char *card)
{
    snprintf(out, n,
             "{\"receipt\":\"%s\",\"card\":%s,"
             "\"declarant\":{\"name\":\"Jean Dupont\",\"email\":\"jean@example.org\","
             "\"postal_code\":\"75011\"},"
             "\"operations\":[{\"at\":\"2026-04-12T08:00:00+02:00\","
             "\"amount\":{\"value\":\"49.90\",\"currency\":\"EUR\"},\"merchant\":\"SHOP\","
             "\"country\":\"FR\",\"channel\":\"online\"},"
             "{\"at\":\"2026-04-12T05:30:00Z\",\"amount\":{\"value\":\"10.00\",\"currency\":"
             "\"EUR\"},\"merchant\":\"ATM RUE X\",\"country\":\"ES\",\"channel\":\"atm\"}]}",
             receipt, card);
}

static int parse(const char *body, struct perceval_batch *b, json_t *errors, size_t max)
{
    struct report_limits l;
    report_limits_default(&l);
    return perceval_parse(body, strlen(body), now_s, &l, max, b, errors);
}

static int has_pointer(json_t *errors, const char *pointer, const char *code)
{
    size_t i;
    json_t *e;
    json_array_foreach(errors, i, e)
    {
        if (strcmp(json_string_value(json_object_get(e, "pointer")), pointer) == 0 &&
            (!code || strcmp(json_string_value(json_object_get(e, "code")), code) == 0))
            return 1;
    }
    return 0;
}

static void test_one_declaration(void **state)
{
    char body[2048];
    struct perceval_batch b;
    json_t *errors = json_array();
    (void)state;
    declaration(body, sizeof(body), "PCV-1", "{\"bin\":\"497010\",\"last4\":\"4242\"}");
    assert_int_equal(parse(body, &b, errors, 500), 0);
    assert_int_equal(json_array_size(errors), 0);
    assert_int_equal(b.n, 1);
    assert_true(b.single);
    assert_true(b.items[0].valid);
    const struct report *r = &b.items[0].report;
    assert_int_equal(r->kind, REPORT_CARD);
    assert_int_equal(r->rail, RAIL_CARD);
    assert_string_equal(r->receipt, "PCV-1");
    assert_string_equal(r->card_bin, "497010");
    assert_string_equal(r->card_last4, "4242");
    assert_string_equal(r->issuer_bic, "");
    assert_string_equal(r->departement, "75");
    assert_int_equal(r->amount_minor, 5990);
    /* the window starts at the earliest operation: 05:30Z, before 06:00Z */
    int64_t earliest;
    assert_int_equal(rfc3339_parse("2026-04-12T05:30:00Z", &earliest), RFC3339_OK);
    assert_int_equal(r->start_at, earliest);
    /* the declarant is the report's victim */
    json_t *victim = json_object_get(r->details, "victim");
    assert_string_equal(json_string_value(json_object_get(victim, "name")), "Jean Dupont");
    perceval_batch_free(&b);
    json_decref(errors);
}

static void test_pan_is_reduced_and_never_echoed(void **state)
{
    char body[2048];
    struct perceval_batch b;
    json_t *errors = json_array();
    (void)state;
    declaration(body, sizeof(body), "PCV-2", "{\"pan\":\"" PAN "\"}");
    assert_int_equal(parse(body, &b, errors, 500), 0);
    assert_true(b.items[0].valid);
    assert_string_equal(b.items[0].report.card_bin, "497010");
    assert_string_equal(b.items[0].report.card_last4, "7893");
    char *details = json_dumps(b.items[0].report.details, 0);
    assert_null(strstr(details, PAN_BARE));
    assert_null(strstr(details, "1012 3456"));
    free(details);
    perceval_batch_free(&b);

    /* a pan with a bad check digit, next to another invalid field: neither
     * the number nor its digits appear in the errors */
    declaration(body, sizeof(body), "PCV-3", "{\"pan\":\"4970101234567898\"}");
    char *e = strstr(body, "jean@example.org");
    memcpy(e, "jean_example.org", 16);
    assert_int_equal(parse(body, &b, errors, 500), 0);
    assert_false(b.items[0].valid);
    json_t *errs = b.items[0].errors;
    assert_true(has_pointer(errs, "/card/pan", "invalid_card"));
    assert_true(has_pointer(errs, "/declarant/email", "invalid_email"));
    char *text = json_dumps(errs, 0);
    assert_null(strstr(text, "4970101234567898"));
    assert_null(strstr(text, "/victim"));
    free(text);
    perceval_batch_free(&b);
    json_decref(errors);
}

static void test_batch_with_bad_items(void **state)
{
    char d0[2048], d1[2048], d2[2048], body[8192];
    struct perceval_batch b;
    json_t *errors = json_array();
    (void)state;
    declaration(d0, sizeof(d0), "PCV-10", "{\"bin\":\"497010\",\"last4\":\"0001\"}");
    declaration(d1, sizeof(d1), "PCV-11", "{\"bin\":\"4970\",\"last4\":\"0002\"}");
    declaration(d2, sizeof(d2), "PCV-12", "{\"bin\":\"49701012\",\"last4\":\"0003\"}");
    /* d1: no declarant, and a kind and a victim, which a declaration does not have */
    char *decl = strstr(d1, "\"declarant\":");
    memcpy(decl, "\"victim\":   ", 12);
    snprintf(body, sizeof(body), "{\"declarations\":[%s,%.*s,\"kind\":\"card\"},%s,42]}", d0,
             (int)strlen(d1) - 1, d1, d2);
    assert_int_equal(parse(body, &b, errors, 500), 0);
    assert_int_equal(json_array_size(errors), 0);
    assert_false(b.single);
    assert_int_equal(b.n, 4);
    assert_true(b.items[0].valid);
    assert_false(b.items[1].valid);
    assert_true(b.items[2].valid);
    assert_false(b.items[3].valid);
    assert_string_equal(b.items[2].report.card_bin, "49701012");
    json_t *e1 = b.items[1].errors;
    assert_true(has_pointer(e1, "/declarations/1/card/bin", "invalid_card"));
    assert_true(has_pointer(e1, "/declarations/1/declarant", "required"));
    assert_true(has_pointer(e1, "/declarations/1/victim", "unknown_field"));
    assert_true(has_pointer(e1, "/declarations/1/kind", "unknown_field"));
    assert_true(has_pointer(b.items[3].errors, "/declarations/3", "invalid_type"));
    perceval_batch_free(&b);
    json_decref(errors);
}

static void test_batch_errors(void **state)
{
    struct perceval_batch b;
    char d[2048], body[8192];
    (void)state;
    declaration(d, sizeof(d), "PCV-20", "{\"bin\":\"497010\",\"last4\":\"0001\"}");
    static const struct {
        const char *body;
        const char *pointer, *code;
    } cases[] = {
        {"{\"declarations\":{}}", "/declarations", "invalid_type"},
        {"{\"declarations\":[]}", "/declarations", "too_few_items"},
        {"{\"declarations\":[1,2,3]}", "/declarations", "too_many_items"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *errors = json_array();
        assert_int_equal(parse(cases[i].body, &b, errors, 2), -1);
        assert_true(has_pointer(errors, cases[i].pointer, cases[i].code));
        assert_int_equal(b.n, 0);
        json_decref(errors);
    }
    json_t *errors = json_array();
    snprintf(body, sizeof(body), "{\"declarations\":[%s],\"platform\":\"x\"}", d);
    assert_int_equal(parse(body, &b, errors, 2), -1);
    assert_true(has_pointer(errors, "/platform", "unknown_field"));
    json_decref(errors);

    /* not one JSON object: 400 */
    static const char *const not_objects[] = {
        "",
        "[]",
        "42",
        "{",
        "{\"declarations\":[]} x",
        "{\"a\":1,\"a\":2}",
        "{\"declarations\":[{\"card\":{\"bin\":\"1\",\"bin\":\"2\"}}]}",
        "{\"declarations\":[{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":{\"h\":{\"i\":1}}}}}}}"
        "}}]}",
        "\xff\xfe"};
    for (size_t i = 0; i < sizeof(not_objects) / sizeof(not_objects[0]); i++) {
        errors = json_array();
        assert_int_equal(parse(not_objects[i], &b, errors, 500), -2);
        json_decref(errors);
    }
    /* the deepest valid shape is accepted as JSON (and its fields judged) */
    errors = json_array();
    assert_int_equal(parse("{\"declarations\":[{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":1}}}}}}]}",
                           &b, errors, 500),
                     0);
    assert_false(b.items[0].valid);
    perceval_batch_free(&b);
    json_decref(errors);
}

static void test_hundred_with_seven_bad(void **state)
{
    enum { N = 100 };
    char *body = malloc(N * 1024);
    char d[2048];
    struct perceval_batch b;
    json_t *errors = json_array();
    (void)state;
    assert_non_null(body);
    size_t o = (size_t)sprintf(body, "{\"declarations\":[");
    for (int i = 0; i < N; i++) {
        char receipt[32];
        snprintf(receipt, sizeof(receipt), "PCV-%04d", i);
        declaration(d, sizeof(d), receipt, "{\"bin\":\"497010\",\"last4\":\"4242\"}");
        if (i % 14 == 3) { /* 3, 17, 31, 45, 59, 73, 87: a bad currency */
            char *c = strstr(d, "\"EUR\"");
            memcpy(c, "\"EUX\"", 5);
        }
        o += (size_t)sprintf(body + o, "%s%s", i ? "," : "", d);
    }
    sprintf(body + o, "]}");
    assert_int_equal(parse(body, &b, errors, 500), 0);
    assert_int_equal(b.n, N);
    int valid = 0;
    for (int i = 0; i < N; i++) {
        valid += b.items[i].valid;
        if (i % 14 == 3) {
            char ptr[64];
            snprintf(ptr, sizeof(ptr), "/declarations/%d/operations/0/amount/currency", i);
            assert_true(has_pointer(b.items[i].errors, ptr, "invalid_currency"));
        }
    }
    assert_int_equal(valid, 93);
    perceval_batch_free(&b);
    json_decref(errors);
    free(body);
}

static void test_declaration_alone(void **state)
{
    struct report r;
    json_t *errors = json_array();
    struct report_limits l;
    (void)state;
    report_limits_default(&l);
    json_t *obj = json_pack("{s:s}", "receipt", "PCV-9");
    assert_int_equal(perceval_declaration(obj, now_s, &l, "/x", &r, errors), -1);
    assert_true(has_pointer(errors, "/x/declarant", "required"));
    assert_true(has_pointer(errors, "/x/card", "required"));
    assert_true(has_pointer(errors, "/x/operations", "required"));
    json_decref(obj);
    json_decref(errors);
    errors = json_array();
    json_t *arr = json_array();
    assert_int_equal(perceval_declaration(arr, now_s, &l, NULL, &r, errors), -1);
    assert_true(has_pointer(errors, "", "invalid_type"));
    json_decref(arr);
    json_decref(errors);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_declaration),
        cmocka_unit_test(test_pan_is_reduced_and_never_echoed),
        cmocka_unit_test(test_batch_with_bad_items),
        cmocka_unit_test(test_batch_errors),
        cmocka_unit_test(test_hundred_with_seven_bad),
        cmocka_unit_test(test_declaration_alone),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
