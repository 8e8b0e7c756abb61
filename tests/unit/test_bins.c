/*
 * test_bins.c — unit tests of the pure part of relay/bins.c: the CSV line
 * and header of the BIN table, and the lookup of an empty table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bins.h"

static void test_parse_line(void **state)
{
    struct bins_row row;
    char err[256];
    (void)state;
    assert_int_equal(bins_parse_line("497010,bnpafrppxxx,BNP Paribas\r\n", &row, err, sizeof(err)),
                     0);
    assert_string_equal(row.bin, "497010");
    assert_string_equal(row.bic, "BNPAFRPP");
    assert_string_equal(row.name, "BNP Paribas");
    assert_int_equal(bins_parse_line("49701012,SOGEFRPP,\"Soci\xc3\xa9t\xc3\xa9 \"\"G\"\", Paris\"",
                                     &row, err, sizeof(err)),
                     0);
    assert_string_equal(row.bin, "49701012");
    assert_string_equal(row.name, "Soci\xc3\xa9t\xc3\xa9 \"G\", Paris");
    static const struct {
        const char *line, *reason;
    } bad[] = {
        {"4970,BNPAFRPP,x", "field 1"},      {"4970101,BNPAFRPP,x", "field 1"},
        {"49701a,BNPAFRPP,x", "field 1"},    {"497010,BNPA,x", "field 2"},
        {"497010,BNPAFRPP,", "field 3"},     {"497010,BNPAFRPP,a\x01", "field 3"},
        {"497010,BNPAFRPP", "2 fields"},     {"497010,BNPAFRPP,x,y", "more than 3"},
        {"497010,BNPAFRPP,\"open", "quote"}, {"497010,BNPAFRPP,a\"b", "quote"},
        {"497010,BNPAFRPP,\"a\"b", "after"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(bins_parse_line(bad[i].line, &row, err, sizeof(err)), -1);
        assert_non_null(strstr(err, bad[i].reason));
        assert_string_equal(row.bin, "");
    }
    assert_int_equal(bins_parse_line(NULL, &row, err, sizeof(err)), -1);
    char longer[BINS_LINE_MAX + 20];
    memset(longer, 'a', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = '\0';
    assert_int_equal(bins_parse_line(longer, &row, err, sizeof(err)), -1);
}

static void test_header(void **state)
{
    char err[128];
    (void)state;
    assert_int_equal(bins_check_header("bin,bic,name\n", err, sizeof(err)), 0);
    assert_int_equal(bins_check_header("\xef\xbb\xbf"
                                       "BIN,Bic,NAME\r\n",
                                       err, sizeof(err)),
                     0);
    assert_int_equal(bins_check_header("bin,bic\n", err, sizeof(err)), -1);
    assert_int_equal(bins_check_header("bin,bic,names\n", err, sizeof(err)), -1);
    assert_int_equal(bins_check_header("497010,BNPAFRPP,x\n", err, sizeof(err)), -1);
    assert_int_equal(bins_check_header(NULL, err, sizeof(err)), -1);
}

static void test_lookup_empty(void **state)
{
    char bic[BIC_MAX + 1];
    (void)state;
    assert_int_equal(bins_lookup(NULL, "49701012", bic), -1);
    assert_string_equal(bic, "");
    assert_int_equal(bins_size(NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_line),
        cmocka_unit_test(test_header),
        cmocka_unit_test(test_lookup_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
