/*
 * test_reload.c — unit tests of relay/reload.c without a server: the first
 * attempt comes on the next loop turn, a database that is not connected is
 * an attempt that failed (the owner's table untouched, apply never called,
 * the reason kept, retried every RELOAD_FIRST_MS until a load succeeds),
 * and freeing stops the timer. Loads that succeed are run against
 * PostgreSQL by tests/integration/test_keys_cli.py (`key verify`) and
 * test_webhooks.py.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <event2/event.h>

#include "db.h"
#include "reload.h"

struct owner {
    int applied, attempts;
    size_t rows;
    struct event_base *base;
    int stop_after;
};

static int apply(void *arg, const PGresult *res, int announce, char *why, size_t why_size)
{
    struct owner *o = arg;
    o->applied++;
    return 0;
}

static size_t count(const void *arg)
{
    return ((const struct owner *)arg)->rows;
}

static void attempted(void *arg)
{
    struct owner *o = arg;
    if (++o->attempts == o->stop_after)
        event_base_loopbreak(o->base);
}

static void test_without_database(void **state)
{
    char err[256];
    (void)state;
    struct event_base *base = event_base_new();
    assert_non_null(base);
    struct db_options dbo = {
        .conninfo = "postgresql://nobody@127.0.0.1:1/none", .name = "test", .retry_max_ms = 1000};
    struct db *db = db_new(base, &dbo, err, sizeof(err));
    assert_non_null(db);
    struct owner own = {.base = base, .rows = 7, .stop_after = 3};
    struct reload_options o = {.name = "test",
                               .noun = "rows",
                               .sql = "SELECT 1",
                               .nfields = 1,
                               .refresh_ms = 60000,
                               .apply = apply,
                               .count = count,
                               .attempted = attempted,
                               .owner = &own};
    struct reload *r = reload_new(base, db, &o);
    assert_non_null(r);
    assert_int_equal(reload_loaded(r), 0);
    assert_string_equal(reload_last_error(r), "");

    /* Three attempts, RELOAD_FIRST_MS apart although refresh_ms is a minute. */
    struct timeval limit = {5, 0};
    event_base_loopexit(base, &limit);
    struct timeval t0, t1;
    event_base_gettimeofday_cached(base, &t0);
    event_base_dispatch(base);
    event_base_update_cache_time(base);
    event_base_gettimeofday_cached(base, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_usec - t0.tv_usec) / 1000;
    assert_int_equal(own.attempts, 3);
    assert_true(ms >= 2 * RELOAD_FIRST_MS - 20 && ms < 4000);
    assert_int_equal(own.applied, 0);
    assert_int_equal(reload_loaded(r), 0);
    assert_string_equal(reload_last_error(r), "database not connected");
    assert_int_equal(reload_sent(r), 0); /* nothing was queued */
    assert_int_equal(reload_done(r), 0);

    /* Freed: no more attempts. */
    reload_free(r);
    own.stop_after = 0;
    struct timeval wait = {0, 3 * RELOAD_FIRST_MS * 1000};
    event_base_loopexit(base, &wait);
    event_base_dispatch(base);
    assert_int_equal(own.attempts, 3);

    db_free(db);
    event_base_free(base);
}

static void test_null(void **state)
{
    (void)state;
    assert_int_equal(reload_loaded(NULL), 0);
    assert_int_equal(reload_sent(NULL), 0);
    assert_int_equal(reload_done(NULL), 0);
    assert_string_equal(reload_last_error(NULL), "");
    reload_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_without_database),
        cmocka_unit_test(test_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
