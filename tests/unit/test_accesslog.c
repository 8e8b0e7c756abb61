/*
 * test_accesslog.c — unit tests of relay/accesslog.c without a database:
 * the text[] literal its INSERT takes (quotes, backslashes, separators and
 * UTF-8 kept exact), and the refusal of a read whose rows cannot even be
 * queued (no database, nothing to record, too many rows), in which case its
 * callback is never called.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <event2/event.h>

#include "accesslog.h"

static void test_array_literal(void **state)
{
    (void)state;
    char *s = accesslog_array_literal(NULL, 0);
    assert_string_equal(s, "{}");
    free(s);
    const char *one[] = {"R48-ABCD-EFGH-JKMN"};
    s = accesslog_array_literal(one, 1);
    assert_string_equal(s, "{\"R48-ABCD-EFGH-JKMN\"}");
    free(s);
    const char *tricky[] = {"", "a,b", "{x}", "say \"hi\"", "back\\slash", "NULL", "Crédit é"};
    s = accesslog_array_literal(tricky, 7);
    assert_string_equal(s, "{\"\",\"a,b\",\"{x}\",\"say \\\"hi\\\"\",\"back\\\\slash\",\"NULL\","
                           "\"Crédit é\"}");
    free(s);
}

static int calls;

static void on_done(int ok, void *arg)
{
    (void)ok;
    (void)arg;
    calls++;
}

static void test_refused_without_a_database(void **state)
{
    (void)state;
    struct event_base *base = event_base_new();
    char err[128];
    struct accesslog *l = accesslog_new(base, NULL, 100, err, sizeof(err));
    assert_non_null(l);
    struct accesslog_entry e = {.key_id = "k1",
                                .party = "BNP fraud desk",
                                .role = "bank:BNPAFRPP",
                                .ref = "R48-ABCD-EFGH-JKMN",
                                .route = "case",
                                .request_id = "0123456789abcdef"};
    assert_int_equal(accesslog_record(l, &e, 1, on_done, NULL), -1);
    assert_int_equal(accesslog_record(l, &e, 0, on_done, NULL), -1);
    assert_int_equal(accesslog_record(l, &e, ACCESSLOG_BATCH_MAX + 1, on_done, NULL), -1);
    assert_int_equal(accesslog_pending(l), 0);
    event_base_loop(base, EVLOOP_NONBLOCK);
    accesslog_free(l);
    assert_int_equal(calls, 0);
    assert_int_equal(accesslog_pending(NULL), 0);
    accesslog_free(NULL);
    event_base_free(base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_array_literal),
        cmocka_unit_test(test_refused_without_a_database),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
