/*
 * test_csvread.c — unit tests of relay/csvread.c: lines read from a file
 * (LF, CRLF, no final break, too long, a NUL), fields split (quotes, doubled
 * quotes, empty fields, too many or too few, quotes misplaced, a line too
 * long), the header (case, quotes, byte order mark) and the shipped file's
 * path.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "csvread.h"

#define LINE_MAX_TEST 20

static const char *const names[3] = {"bin", "bic", "name"};
static const struct csvread_layout layout = {names, 3, LINE_MAX_TEST};

static void split_ok(const char *line, const char *a, const char *b, const char *c)
{
    char buf[CSVREAD_BUF_SIZE(LINE_MAX_TEST, 3)], err[200] = "";
    char *f[3];
    if (csvread_split(line, &layout, buf, f, err, sizeof(err)) != 0)
        fail_msg("refused \"%s\": %s", line, err);
    assert_string_equal(f[0], a);
    assert_string_equal(f[1], b);
    assert_string_equal(f[2], c);
}

static void split_bad(const char *line, const char *why)
{
    char buf[CSVREAD_BUF_SIZE(LINE_MAX_TEST, 3)], err[200] = "";
    char *f[3];
    if (csvread_split(line, &layout, buf, f, err, sizeof(err)) == 0)
        fail_msg("accepted \"%s\"", line);
    if (!strstr(err, why))
        fail_msg("\"%s\": reason \"%s\" lacks \"%s\"", line, err, why);
}

static void test_split(void **state)
{
    (void)state;
    split_ok("1,2,3", "1", "2", "3");
    split_ok("1,2,3\n", "1", "2", "3");
    split_ok("1,2,3\r\n", "1", "2", "3");
    split_ok(",,", "", "", "");
    split_ok("\"a,b\",\"\",c d", "a,b", "", "c d");
    split_ok("\"say \"\"hi\"\"\",x,y", "say \"hi\"", "x", "y");
    split_ok("1,2,3\r", "1", "2", "3");
    /* exactly the longest line, its break not counted */
    split_ok("1234567890,bbbb,cccc\r\n", "1234567890", "bbbb", "cccc");
    split_bad("1234567890,bbbb,ccccc", "line longer than 20 bytes");
    split_bad("1,2", "2 fields, expected 3: bin,bic,name");
    split_bad("", "1 field, expected 3");
    split_bad("1,2,3,4", "more than 3 fields, expected bin,bic,name");
    split_bad("1,2,3,", "more than 3 fields");
    split_bad("1,\"2,3", "field 2: quote not closed on this line");
    split_bad("1,\"2\"x,3", "field 2: text after the closing quote");
    split_bad("1,2,a\"b", "field 3: quote inside an unquoted field");
    split_bad(NULL, "no line");
}

static void test_header(void **state)
{
    static const char *const good[] = {
        "bin,bic,name",
        "bin,bic,name\n",
        "bin,bic,name\r\n",
        "BIN,Bic,NAME\r\n",
        "\"bin\",\"bic\",\"name\"",
        "\xef\xbb\xbf"
        "bin,bic,name\n",
    };
    static const char *const bad[] = {
        "",
        "bin,bic",
        "bin,bic,name,x",
        "bin,bic,names",
        "bic,bin,name",
        " bin,bic,name",
        "bin;bic;name",
        "\xef\xbb"
        "bin,bic,name",
        "1,2,3",
    };
    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        if (csvread_header(good[i], &layout) != 0)
            fail_msg("header refused: \"%s\"", good[i]);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (csvread_header(bad[i], &layout) == 0)
            fail_msg("not a header accepted: \"%s\"", bad[i]);
    }
    assert_int_equal(csvread_header(NULL, &layout), -1);
}

static void test_line(void **state)
{
    static const char text[] = "a,b\r\n"
                               "0123456789abcdefghij\n" /* too long for 8 + 3 */
                               "\n"
                               "x\0y\n"
                               "last";
    char buf[CSVREAD_LINE_SIZE(8)];
    (void)state;
    FILE *f = fmemopen((void *)text, sizeof(text) - 1, "rb");
    assert_non_null(f);
    assert_int_equal(csvread_line(f, buf, sizeof(buf)), CSVREAD_OK);
    assert_string_equal(buf, "a,b\r\n");
    assert_int_equal(csvread_line(f, buf, sizeof(buf)), CSVREAD_TOO_LONG);
    assert_int_equal(strlen(buf), sizeof(buf) - 1); /* bounded, and read to its end: */
    assert_int_equal(csvread_line(f, buf, sizeof(buf)), CSVREAD_OK);
    assert_string_equal(buf, "\n");
    assert_int_equal(csvread_line(f, buf, sizeof(buf)), CSVREAD_NUL);
    assert_int_equal(csvread_line(f, buf, sizeof(buf)), CSVREAD_OK);
    assert_string_equal(buf, "last");
    assert_int_equal(csvread_line(f, buf, sizeof(buf)), CSVREAD_EOF);
    assert_int_equal(csvread_line(f, buf, sizeof(buf)), CSVREAD_EOF);
    fclose(f);
}

static void test_shipped(void **state)
{
    char path[4096], sql_dir[4000];
    const char *src = getenv("RELAY48_SOURCE_DIR");
    (void)state;
    assert_int_equal(csvread_shipped("/nonexistent-relay48", "x.csv", path, sizeof(path)), 0);
    assert_string_equal(path, "/nonexistent-relay48/data/x.csv");
    assert_non_null(src); /* set by ctest (cmake/tests.cmake) */
    snprintf(sql_dir, sizeof(sql_dir), "%s/sql", src);
    assert_int_equal(csvread_shipped(sql_dir, "bank_directory.csv", path, sizeof(path)), 1);
    assert_non_null(strstr(path, "/sql/data/bank_directory.csv"));
    assert_int_equal(csvread_shipped(sql_dir, "no_such_file.csv", path, sizeof(path)), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_header),
        cmocka_unit_test(test_line),
        cmocka_unit_test(test_shipped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
