/* Unit tests of relay/migrate.c: file names and the planning rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "migrate.h"

static struct migration mig(int v, const char *name, const char *sum)
{
    struct migration m;
    memset(&m, 0, sizeof(m));
    m.version = v;
    snprintf(m.name, sizeof(m.name), "%s", name);
    snprintf(m.checksum, sizeof(m.checksum), "%s", sum);
    return m;
}

static void test_names(void **state)
{
    assert_int_equal(migrate_parse_name("001_init.sql"), 1);
    assert_int_equal(migrate_parse_name("042_bank_directory.sql"), 42);
    assert_int_equal(migrate_parse_name("999_x.sql"), 999);
    assert_int_equal(migrate_parse_name("000_zero.sql"), -1);
    assert_int_equal(migrate_parse_name("01_short.sql"), -1);
    assert_int_equal(migrate_parse_name("001_Upper.sql"), -1);
    assert_int_equal(migrate_parse_name("001_init.sql~"), -1);
    assert_int_equal(migrate_parse_name("001_.sql"), -1);
    assert_int_equal(migrate_parse_name("README.md"), -1);
    assert_int_equal(migrate_parse_name("001-init.sql"), -1);
}

static void test_fresh_database_applies_all_in_order(void **state)
{
    struct migration files[] = {mig(3, "003_c.sql", "c"), mig(1, "001_a.sql", "a"),
                                mig(2, "002_b.sql", "b")};
    size_t todo[3], n = 99;
    char err[256];
    assert_int_equal(migrate_plan(files, 3, NULL, 0, todo, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 3);
    assert_int_equal(files[todo[0]].version, 1);
    assert_int_equal(files[todo[1]].version, 2);
    assert_int_equal(files[todo[2]].version, 3);
}

static void test_idempotent(void **state)
{
    struct migration files[] = {mig(1, "001_a.sql", "a"), mig(2, "002_b.sql", "b")};
    struct migration applied[] = {mig(2, "002_b.sql", "b"), mig(1, "001_a.sql", "a")};
    size_t todo[2], n = 99;
    char err[256];
    assert_int_equal(migrate_plan(files, 2, applied, 2, todo, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 0);
}

static void test_only_new_ones(void **state)
{
    struct migration files[] = {mig(1, "001_a.sql", "a"), mig(4, "004_d.sql", "d"),
                                mig(2, "002_b.sql", "b")};
    struct migration applied[] = {mig(1, "001_a.sql", "a"), mig(2, "002_b.sql", "b")};
    size_t todo[3], n = 0;
    char err[256];
    assert_int_equal(migrate_plan(files, 3, applied, 2, todo, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 1);
    assert_int_equal(files[todo[0]].version, 4);
}

static void test_changed_file_refused(void **state)
{
    struct migration files[] = {mig(1, "001_a.sql", "a-edited"), mig(2, "002_b.sql", "b")};
    struct migration applied[] = {mig(1, "001_a.sql", "a")};
    size_t todo[2], n = 0;
    char err[256];
    assert_int_equal(migrate_plan(files, 2, applied, 1, todo, &n, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "001_a.sql changed after it was applied"));
    assert_int_equal(n, 0);
}

static void test_missing_file_refused(void **state)
{
    struct migration files[] = {mig(2, "002_b.sql", "b")};
    struct migration applied[] = {mig(1, "001_a.sql", "a")};
    size_t todo[1], n = 0;
    char err[256];
    assert_int_equal(migrate_plan(files, 1, applied, 1, todo, &n, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "file is gone"));
}

static void test_out_of_order_refused(void **state)
{
    struct migration files[] = {mig(1, "001_a.sql", "a"), mig(2, "002_late.sql", "x"),
                                mig(3, "003_c.sql", "c")};
    struct migration applied[] = {mig(1, "001_a.sql", "a"), mig(3, "003_c.sql", "c")};
    size_t todo[3], n = 0;
    char err[256];
    assert_int_equal(migrate_plan(files, 3, applied, 2, todo, &n, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "002_late.sql"));
}

static void test_duplicate_numbers_refused(void **state)
{
    struct migration files[] = {mig(1, "001_a.sql", "a"), mig(1, "001_b.sql", "b")};
    size_t todo[2], n = 0;
    char err[256];
    assert_int_equal(migrate_plan(files, 2, NULL, 0, todo, &n, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "two migrations numbered 001"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_fresh_database_applies_all_in_order),
        cmocka_unit_test(test_idempotent),
        cmocka_unit_test(test_only_new_ones),
        cmocka_unit_test(test_changed_file_refused),
        cmocka_unit_test(test_missing_file_refused),
        cmocka_unit_test(test_out_of_order_refused),
        cmocka_unit_test(test_duplicate_numbers_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
