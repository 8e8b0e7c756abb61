/*
 * test_cli.c — unit tests of the database-free part of relay/cli.c: the
 * subcommand word (help, missing, unknown), "--name VALUE" and
 * "--name=VALUE" options, numbers with bounds, the one-line libpq error,
 * and the aligned table (on a result built in memory).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli.h"

static int usage_calls;
static FILE *usage_out;

static void usage(FILE *out)
{
    usage_calls++;
    usage_out = out;
}

static void test_subcommand(void **state)
{
    static const char *const names[] = {"add", "list", "rotate-secret"};
    char *rotate[] = {"rotate-secret", "--bic", "X"};
    char *list[] = {"list"};
    char *help[] = {"help"}, *dash_h[] = {"-h"}, *dash_help[] = {"--help"};
    char *unknown[] = {"remove"}, *prefix[] = {"lis"};
    int code = -7;
    (void)state;

    usage_calls = 0;
    assert_int_equal(cli_subcommand("bank", 3, rotate, names, 3, usage, &code), 2);
    assert_int_equal(cli_subcommand("bank", 1, list, names, 3, usage, &code), 1);
    assert_int_equal(usage_calls, 0);
    assert_int_equal(code, -7); /* untouched when a subcommand was found */

    char **helps[] = {help, dash_h, dash_help};
    for (size_t i = 0; i < 3; i++) {
        code = -7;
        assert_int_equal(cli_subcommand("bank", 1, helps[i], names, 3, usage, &code), -1);
        assert_int_equal(code, 0);
        assert_ptr_equal(usage_out, stdout);
    }
    code = -7;
    assert_int_equal(cli_subcommand("bank", 0, NULL, names, 3, usage, &code), -1);
    assert_int_equal(code, 2);
    assert_ptr_equal(usage_out, stderr);
    code = -7;
    assert_int_equal(cli_subcommand("bank", 1, unknown, names, 3, usage, &code), -1);
    assert_int_equal(code, 2);
    assert_int_equal(cli_subcommand("bank", 1, prefix, names, 3, usage, &code), -1);
    assert_int_equal(usage_calls, 6);
}

static void test_option_value(void **state)
{
    char *argv[] = {"add",     "--bic",   "BNPAFRPP", "--name=BNP Paribas",
                    "--name=", "--names", "x",        "--bic"};
    int argc = 8, i;
    (void)state;
    i = 1;
    assert_string_equal(cli_option_value(argc, argv, &i, "--bic"), "BNPAFRPP");
    assert_int_equal(i, 2); /* on the value: the caller's loop steps past it */
    i = 3;
    assert_null(cli_option_value(argc, argv, &i, "--bic"));
    assert_int_equal(i, 3);
    assert_string_equal(cli_option_value(argc, argv, &i, "--name"), "BNP Paribas");
    assert_int_equal(i, 3);
    i = 4;
    assert_string_equal(cli_option_value(argc, argv, &i, "--name"), "");
    i = 5; /* a longer option is another option */
    assert_null(cli_option_value(argc, argv, &i, "--name"));
    assert_int_equal(i, 5);
    i = 7; /* the last word: no value after it */
    assert_null(cli_option_value(argc, argv, &i, "--bic"));
    assert_int_equal(i, 7);
}

static void test_parse_long(void **state)
{
    long v = -1;
    (void)state;
    assert_int_equal(cli_parse_long("0", 0, 720, &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(cli_parse_long("720", 0, 720, &v), 0);
    assert_int_equal(v, 720);
    assert_int_equal(cli_parse_long("+24", 0, 720, &v), 0); /* strtol's syntax */
    assert_int_equal(v, 24);
    static const char *const bad[] = {"",    "721", "-1",   "x",
                                      "24h", "2 4", "0x10", "99999999999999999999999"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        v = -5;
        assert_int_equal(cli_parse_long(bad[i], 0, 720, &v), -1);
        assert_int_equal(v, -5);
    }
    assert_int_equal(cli_parse_long(NULL, 0, 720, &v), -1);
    assert_int_equal(cli_parse_long("9", 10, 3600000, &v), -1);
}

static void test_pq_error(void **state)
{
    char err[64];
    (void)state;
    cli_pq_error(err, sizeof(err), "cannot list the banks", "ERROR:  relation missing\nLINE 1");
    assert_string_equal(err, "cannot list the banks: ERROR:  relation missing");
    char small[16];
    cli_pq_error(small, sizeof(small), "cannot connect", "refused");
    assert_string_equal(small, "cannot connect:");
}

static void test_print_table(void **state)
{
    static const char *const head[] = {"BIC", "NAME", "N"};
    (void)state;
    PGresult *r = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
    assert_non_null(r);
    PGresAttDesc att[3];
    memset(att, 0, sizeof(att));
    char *names[3] = {"bic", "name", "n"};
    for (int f = 0; f < 3; f++) {
        att[f].name = names[f];
        att[f].format = 0;
    }
    assert_int_equal(PQsetResultAttrs(r, 3, att), 1);
    const char *rows[2][3] = {{"BNPAFRPP", "Société Générale", "2"}, {"SOGEFRPP", "SG", "10"}};
    for (int i = 0; i < 2; i++) {
        for (int f = 0; f < 3; f++)
            assert_int_equal(PQsetvalue(r, i, f, (char *)rows[i][f], (int)strlen(rows[i][f])), 1);
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    assert_non_null(out);
    cli_print_table(out, r, head, 3);
    fclose(out);
    /* widths in code points: "Société Générale" is 16 wide, 18 bytes */
    assert_string_equal(buf, "BIC       NAME              N\n"
                             "BNPAFRPP  Société Générale  2\n"
                             "SOGEFRPP  SG                10\n");
    free(buf);
    PQclear(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_subcommand),  cmocka_unit_test(test_option_value),
        cmocka_unit_test(test_parse_long),  cmocka_unit_test(test_pq_error),
        cmocka_unit_test(test_print_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
