/*
 * test_retention.c — unit tests of relay/retention.c's pure parts: class
 * names, the policy from the configuration, the cutoff and due arithmetic
 * (strict boundary, 1970 floor, bad input), and a run's walk over the
 * classes and batches (mask, keyset, short batch, no-keyset class), its
 * reading of a batch's result, and its totals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "retention.h"
#include "timeutil.h"

#define DAY INT64_C(86400)
#define T0  INT64_C(1774692000) /* 2026-03-28T10:00:00Z */

static void test_class_names(void **state)
{
    (void)state;
    static const char *const names[RETENTION_CLASSES] = {"narrative",   "identity",  "payment",
                                                         "notes",       "tokens",    "idempotency",
                                                         "webhook_ids", "access_log"};
    for (int i = 0; i < RETENTION_CLASSES; i++) {
        enum retention_class c;
        assert_string_equal(retention_class_name((enum retention_class)i), names[i]);
        assert_non_null(retention_class_what((enum retention_class)i));
        assert_int_equal(retention_class_parse(names[i], &c), 0);
        assert_int_equal(c, i);
    }
    enum retention_class c = RETENTION_PAYMENT;
    assert_int_equal(retention_class_parse("Narrative", &c), -1);
    assert_int_equal(retention_class_parse("", &c), -1);
    assert_int_equal(retention_class_parse(NULL, &c), -1);
    assert_int_equal(c, RETENTION_PAYMENT);
    assert_null(retention_class_name((enum retention_class)RETENTION_CLASSES));
    assert_null(retention_class_what((enum retention_class) - 1));
}

static void test_policy_from_config(void **state)
{
    (void)state;
    struct config cfg;
    char err[256];
    assert_int_equal(config_init(&cfg, err, sizeof(err)), 0);
    struct retention_policy p;
    retention_policy_from_config(&cfg, &p);
    assert_int_equal(p.keep_s[RETENTION_NARRATIVE], 30 * DAY);
    assert_int_equal(p.keep_s[RETENTION_IDENTITY], 90 * DAY);
    assert_int_equal(p.keep_s[RETENTION_PAYMENT], 180 * DAY);
    assert_int_equal(p.keep_s[RETENTION_NOTES], 90 * DAY);
    assert_int_equal(p.keep_s[RETENTION_TOKENS], 90 * DAY);
    assert_int_equal(p.keep_s[RETENTION_IDEMPOTENCY], 30 * DAY);
    assert_int_equal(p.keep_s[RETENTION_WEBHOOK_IDS], 86400); /* webhooks.ids_retention_s */
    assert_int_equal(p.keep_s[RETENTION_ACCESS_LOG], 365 * DAY);
    assert_int_equal(config_set(&cfg, "retention.payment_days", "400", err, sizeof(err)), 0);
    assert_int_equal(config_set(&cfg, "retention.identity_days", "0", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "retention.identity_days"));
    assert_int_equal(config_set(&cfg, "retention.access_log_days", "3651", err, sizeof(err)), -1);
    retention_policy_from_config(&cfg, &p);
    assert_int_equal(p.keep_s[RETENTION_PAYMENT], 400 * DAY);
    config_free(&cfg);
}

static void test_cutoff(void **state)
{
    (void)state;
    int64_t c = -7;
    assert_int_equal(retention_cutoff(T0, 30 * DAY, &c), 0);
    assert_int_equal(c, T0 - 30 * DAY);
    assert_int_equal(retention_cutoff(T0, 0, &c), 0);
    assert_int_equal(c, T0);
    /* nothing is older than 1970: the cutoff stops there */
    assert_int_equal(retention_cutoff(10 * DAY, 30 * DAY, &c), 0);
    assert_int_equal(c, TIMEUTIL_TIME_MIN);
    assert_int_equal(retention_cutoff(TIMEUTIL_TIME_MAX, 3650 * DAY, &c), 0);
    assert_int_equal(c, TIMEUTIL_TIME_MAX - 3650 * DAY);
    c = 42;
    assert_int_equal(retention_cutoff(T0, -1, &c), -1);
    assert_int_equal(retention_cutoff(-1, DAY, &c), -1);
    assert_int_equal(retention_cutoff(TIMEUTIL_TIME_MAX + 1, DAY, &c), -1);
    assert_int_equal(retention_cutoff(INT64_MAX, INT64_MAX, &c), -1);
    assert_int_equal(c, 42);
}

static void test_due(void **state)
{
    (void)state;
    /* closed 30 days ago to the second: kept exactly that long, not yet due */
    assert_int_equal(retention_due(T0 - 30 * DAY, T0, 30 * DAY), 0);
    assert_int_equal(retention_due(T0 - 30 * DAY - 1, T0, 30 * DAY), 1);
    assert_int_equal(retention_due(T0, T0, 30 * DAY), 0);
    assert_int_equal(retention_due(T0 + DAY, T0, 30 * DAY), 0); /* closed "later": never */
    /* a case closed on 28 March 2026 10:00 UTC, 90 days: due from 26 June 10:00:01 */
    assert_int_equal(retention_due(T0, T0 + 90 * DAY, 90 * DAY), 0);
    assert_int_equal(retention_due(T0, T0 + 90 * DAY + 1, 90 * DAY), 1);
    /* an open case has no closure */
    assert_int_equal(retention_due(-1, T0, 0), 0);
    assert_int_equal(retention_due(0, T0, -5), 0);
    assert_int_equal(retention_due(0, 1, 0), 1);
}

static void policy_days(struct retention_policy *p, int64_t days)
{
    for (int i = 0; i < RETENTION_CLASSES; i++)
        p->keep_s[i] = days * DAY;
}

static void test_run_walks_classes_and_batches(void **state)
{
    (void)state;
    struct retention_policy p;
    policy_days(&p, 30);
    struct retention_run r;
    const char *name, *sql;
    char params[RETENTION_PARAMS][RETENTION_PARAM_MAX];

    retention_run_init(&r, &p, T0, 1000,
                       (1u << RETENTION_IDENTITY) | (1u << RETENTION_WEBHOOK_IDS));
    assert_int_equal(r.cls, RETENTION_IDENTITY);
    assert_int_equal(retention_run_next(&r, &name, &sql, params), 0);
    assert_string_equal(name, "retention_identity");
    assert_non_null(strstr(sql, "closed_at"));
    assert_non_null(strstr(sql, "SKIP LOCKED"));
    char cutoff[32];
    snprintf(cutoff, sizeof(cutoff), "%lld", (long long)(T0 - 30 * DAY));
    assert_string_equal(params[0], cutoff);
    assert_string_equal(params[1], "1000");
    assert_string_equal(params[2], "0");

    /* a full batch: the keyset moves to its last id */
    retention_run_account(&r, 1000, 0, 1000, 5123, 10);
    assert_int_equal(r.cls, RETENTION_IDENTITY);
    assert_int_equal(retention_run_next(&r, &name, &sql, params), 0);
    assert_string_equal(params[2], "5123");
    /* a short one: the class is done, the next in the mask starts afresh */
    retention_run_account(&r, 7, 0, 7, 6001, 20);
    assert_int_equal(r.cls, RETENTION_WEBHOOK_IDS);
    assert_int_equal(retention_run_next(&r, &name, &sql, params), 0);
    assert_string_equal(name, "retention_webhook_ids");
    assert_string_equal(params[2], "0");
    /* no keyset (last id 0): full batches go on with the same statement */
    retention_run_account(&r, 1000, 0, 1000, 0, 5);
    assert_int_equal(r.cls, RETENTION_WEBHOOK_IDS);
    retention_run_account(&r, 1000, 0, 1000, 0, 5);
    retention_run_account(&r, 0, 0, 0, 0, 5);
    assert_int_equal(retention_run_next(&r, &name, &sql, params), 1);
    assert_int_equal(r.t.rows[RETENTION_IDENTITY], 1007);
    assert_int_equal(r.t.batches[RETENTION_IDENTITY], 2);
    assert_int_equal(r.t.us[RETENTION_IDENTITY], 30);
    assert_int_equal(r.t.rows[RETENTION_WEBHOOK_IDS], 2000);
    assert_int_equal(r.t.batches[RETENTION_WEBHOOK_IDS], 3);
    assert_int_equal(r.t.rows[RETENTION_PAYMENT], 0);
    assert_int_equal(retention_totals_rows(&r.t), 3007);
    /* accounting after the end changes nothing */
    retention_run_account(&r, 5, 5, 5, 5, 5);
    assert_int_equal(retention_totals_rows(&r.t), 3007);
}

static void test_run_every_class(void **state)
{
    (void)state;
    struct retention_policy p;
    policy_days(&p, 1);
    struct retention_run r;
    const char *name, *sql;
    char params[RETENTION_PARAMS][RETENTION_PARAM_MAX];
    retention_run_init(&r, &p, T0, 0, RETENTION_ALL); /* batch_rows 0 -> 1 */
    assert_int_equal(r.batch_rows, 1);
    int seen = 0;
    while (retention_run_next(&r, &name, &sql, params) == 0) {
        assert_int_equal(strncmp(name, "retention_", 10), 0);
        assert_string_equal(name + 10, retention_class_name((enum retention_class)r.cls));
        /* every statement takes $1 $2 $3 and answers four numbers */
        assert_non_null(strstr(sql, "$1"));
        assert_non_null(strstr(sql, "$2"));
        assert_non_null(strstr(sql, "$3"));
        retention_run_account(&r, 0, 0, 0, 0, 0);
        seen++;
    }
    assert_int_equal(seen, RETENTION_CLASSES);
    /* a class whose cutoff cannot be computed is left out */
    p.keep_s[RETENTION_NOTES] = -1;
    retention_run_init(&r, &p, T0, 10, RETENTION_ALL);
    assert_int_equal(r.mask, RETENTION_ALL & ~(1u << RETENTION_NOTES));
    /* and a clock out of range leaves nothing to do */
    retention_run_init(&r, &p, -5, 10, RETENTION_ALL);
    assert_int_equal(r.mask, 0);
    assert_int_equal(retention_run_next(&r, &name, &sql, params), 1);
}

static PGresult *batch_result(const char *const *values, int nfields)
{
    PGresult *res = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
    PGresAttDesc attrs[4];
    memset(attrs, 0, sizeof(attrs));
    static char names[4][8] = {"rows", "linked", "taken", "last"};
    for (int i = 0; i < nfields; i++) {
        attrs[i].name = names[i];
        attrs[i].typid = 20; /* int8 */
        attrs[i].typlen = 8;
        attrs[i].atttypmod = -1;
    }
    assert_true(PQsetResultAttrs(res, nfields, attrs));
    for (int i = 0; i < nfields; i++)
        assert_true(PQsetvalue(res, 0, i, (char *)values[i], (int)strlen(values[i])));
    return res;
}

static void test_run_result(void **state)
{
    (void)state;
    struct retention_policy p;
    policy_days(&p, 90);
    struct retention_run r;
    char err[256];
    retention_run_init(&r, &p, T0, 1000, 1u << RETENTION_PAYMENT);

    const char *ok[4] = {"1000", "1800", "1000", "99"};
    PGresult *res = batch_result(ok, 4);
    assert_int_equal(retention_run_result(&r, res, 100, err, sizeof(err)), 0);
    PQclear(res);
    assert_int_equal(r.t.rows[RETENTION_PAYMENT], 1000);
    assert_int_equal(r.t.linked[RETENTION_PAYMENT], 1800);
    assert_int_equal(r.after, 99);

    const char *bad[4] = {"1", "0", "x", "99"};
    res = batch_result(bad, 4);
    assert_int_equal(retention_run_result(&r, res, 1, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "payment"));
    PQclear(res);
    res = batch_result(ok, 3);
    assert_int_equal(retention_run_result(&r, res, 1, err, sizeof(err)), -1);
    PQclear(res);
    res = PQmakeEmptyPGresult(NULL, PGRES_FATAL_ERROR);
    assert_int_equal(retention_run_result(&r, res, 1, err, sizeof(err)), -1);
    PQclear(res);
    assert_int_equal(retention_run_result(&r, NULL, 1, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "connection lost"));
    /* failures account nothing */
    assert_int_equal(r.t.batches[RETENTION_PAYMENT], 1);
    assert_int_equal(r.cls, RETENTION_PAYMENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_class_names),
        cmocka_unit_test(test_policy_from_config),
        cmocka_unit_test(test_cutoff),
        cmocka_unit_test(test_due),
        cmocka_unit_test(test_run_walks_classes_and_batches),
        cmocka_unit_test(test_run_every_class),
        cmocka_unit_test(test_run_result),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
