/*
 * test_directory.c — unit tests of relay/directory.c's CSV line parser and
 * header check (quotes, doubled quotes, CRLF, bad BIC, missing and too-long
 * fields), of the shipped data (sql/data/bank_directory.csv parses cleanly;
 * sql/002_departements.sql lists exactly relay/postal.c's codes and names),
 * and of relay/progress.c on a pseudo-terminal.
 */
#define _XOPEN_SOURCE 700 /* posix_openpt and friends */

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "directory.h"
#include "postal.h"
#include "progress.h"

static void parse_ok(const char *line, const char *country, const char *bank_code, const char *bic,
                     const char *name)
{
    struct directory_row row;
    char err[256] = "";

    if (directory_parse_line(line, &row, err, sizeof(err)) != 0)
        fail_msg("refused \"%s\": %s", line, err);
    assert_string_equal(row.country, country);
    assert_string_equal(row.bank_code, bank_code);
    assert_string_equal(row.bic, bic);
    assert_string_equal(row.name, name);
}

/* Refused, with a reason that contains `why`, and the row zeroed. */
static void parse_bad(const char *line, const char *why)
{
    struct directory_row row, zero;
    char err[256] = "";

    memset(&row, 'x', sizeof(row));
    memset(&zero, 0, sizeof(zero));
    if (directory_parse_line(line, &row, err, sizeof(err)) == 0)
        fail_msg("accepted \"%s\"", line);
    if (!strstr(err, why))
        fail_msg("\"%s\": reason \"%s\" lacks \"%s\"", line, err, why);
    assert_memory_equal(&row, &zero, sizeof(row));
}

static void test_parse_plain(void **state)
{
    (void)state;
    parse_ok("FR,30004,BNPAFRPP,BNP Paribas", "FR", "30004", "BNPAFRPP", "BNP Paribas");
    parse_ok("FR,30004,BNPAFRPP,BNP Paribas\n", "FR", "30004", "BNPAFRPP", "BNP Paribas");
    parse_ok("FR,30004,BNPAFRPP,BNP Paribas\r\n", "FR", "30004", "BNPAFRPP", "BNP Paribas");
    parse_ok("FR,30003,SOGEFRPP,Société Générale", "FR", "30003", "SOGEFRPP", "Société Générale");
    parse_ok("FR,18206,AGRIFRPP882,Crédit Agricole Paris et Île-de-France", "FR", "18206",
             "AGRIFRPP882", "Crédit Agricole Paris et Île-de-France");
    parse_ok("DE,10070000,DEUTDEBB,Deutsche Bank", "DE", "10070000", "DEUTDEBB", "Deutsche Bank");
    parse_ok("BE,001,GEBABEBB,BNP Paribas Fortis", "BE", "001", "GEBABEBB", "BNP Paribas Fortis");
    /* Normalised: BIC case, spaces and XXX; bank code case. */
    parse_ok("FR,30004,bnpafrpp,BNP Paribas", "FR", "30004", "BNPAFRPP", "BNP Paribas");
    parse_ok("FR,30004,BNPA FR PP,BNP Paribas", "FR", "30004", "BNPAFRPP", "BNP Paribas");
    parse_ok("FR,30004,BNPAFRPPXXX,BNP Paribas", "FR", "30004", "BNPAFRPP", "BNP Paribas");
    parse_ok("NL,abna,ABNANL2A,ABN AMRO", "NL", "ABNA", "ABNANL2A", "ABN AMRO");
    /* Spaces inside an unquoted name are kept (RFC 4180). */
    parse_ok("FR,30004,BNPAFRPP, BNP ", "FR", "30004", "BNPAFRPP", " BNP ");
}

static void test_parse_quotes(void **state)
{
    (void)state;
    parse_ok("\"FR\",\"30004\",\"BNPAFRPP\",\"BNP Paribas\"", "FR", "30004", "BNPAFRPP",
             "BNP Paribas");
    parse_ok("FR,30004,BNPAFRPP,\"BNP Paribas, Paris\"", "FR", "30004", "BNPAFRPP",
             "BNP Paribas, Paris");
    parse_ok("FR,30004,BNPAFRPP,\"The \"\"Bank\"\", Paris\"", "FR", "30004", "BNPAFRPP",
             "The \"Bank\", Paris");
    parse_ok("FR,30004,BNPAFRPP,\"\"\"\"", "FR", "30004", "BNPAFRPP", "\"");
    parse_ok("FR,30004,BNPAFRPP,\"a,b,c\"\r\n", "FR", "30004", "BNPAFRPP", "a,b,c");
    parse_ok("FR,\"30004\",BNPAFRPP,x", "FR", "30004", "BNPAFRPP", "x");
    parse_bad("FR,30004,BNPAFRPP,\"BNP Paribas", "not closed");
    parse_bad("FR,30004,BNPAFRPP,\"BNP Paribas\n", "not closed");
    parse_bad("FR,30004,BNPAFRPP,\"BNP\" Paribas", "after the closing quote");
    parse_bad("FR,30004,BNPAFRPP,\"BNP\"x", "after the closing quote");
    parse_bad("FR,30004,BNPAFRPP,BNP \"Paribas\"", "quote inside an unquoted field");
    parse_bad("FR,30004,BNPAFRPP,\"\"", "field 4 (name): empty");
    parse_bad("\"FR,30004,BNPAFRPP,BNP", "not closed");
}

static void test_parse_fields(void **state)
{
    char line[DIRECTORY_LINE_MAX + 64];
    char name[DIRECTORY_NAME_MAX * 2 + 8];

    (void)state;
    parse_bad("", "1 field, expected 4");
    parse_bad("\r\n", "1 field, expected 4");
    parse_bad("FR", "1 field, expected 4");
    parse_bad("FR,30004,BNPAFRPP", "3 fields, expected 4");
    parse_bad("FR,30004", "2 fields");
    parse_bad("FR,30004,BNPAFRPP,BNP,Paris", "more than 4 fields");
    parse_bad("FR,30004,BNPAFRPP,BNP,", "more than 4 fields");
    /* country */
    parse_bad(",30004,BNPAFRPP,BNP", "field 1 (country)");
    parse_bad("fr,30004,BNPAFRPP,BNP", "field 1 (country)");
    parse_bad("FRA,30004,BNPAFRPP,BNP", "field 1 (country)");
    parse_bad("F1,30004,BNPAFRPP,BNP", "field 1 (country)");
    parse_bad(" FR,30004,BNPAFRPP,BNP", "field 1 (country)");
    /* bank_code */
    parse_bad("FR,,BNPAFRPP,BNP", "field 2 (bank_code): empty");
    parse_bad("FR,300040000000,BNPAFRPP,BNP", "field 2 (bank_code): longer than 11");
    parse_ok("FR,30004000000,BNPAFRPP,BNP", "FR", "30004000000", "BNPAFRPP", "BNP");
    parse_bad("FR,300-4,BNPAFRPP,BNP", "field 2 (bank_code)");
    parse_bad("FR,30004 ,BNPAFRPP,BNP", "field 2 (bank_code)");
    parse_bad("FR,3000\xc3\xa9,BNPAFRPP,BNP", "field 2 (bank_code)");
    /* bic */
    parse_bad("FR,30004,,BNP", "field 3 (bic): invalid BIC");
    parse_bad("FR,30004,BNPA,BNP", "field 3 (bic): invalid BIC");
    parse_bad("FR,30004,bad,BNP", "field 3 (bic): invalid BIC");
    parse_bad("FR,30004,12345678,BNP", "field 3 (bic): invalid BIC");
    parse_bad("FR,30004,BNPAFRPPX,BNP", "field 3 (bic): invalid BIC");
    parse_bad("FR,30004,BNPAFRPP1234,BNP", "field 3 (bic): invalid BIC");
    parse_bad("FR,30004,BNPA-FRPP,BNP", "field 3 (bic): invalid BIC");
    /* name */
    parse_bad("FR,30004,BNPAFRPP,", "field 4 (name): empty");
    parse_bad("FR,30004,BNPAFRPP,BNP\tParibas", "field 4 (name): not UTF-8");
    parse_bad("FR,30004,BNPAFRPP,BNP\rParibas", "field 4 (name): not UTF-8");
    parse_bad("FR,30004,BNPAFRPP,Soci\xe9t\xe9", "field 4 (name): not UTF-8"); /* Latin-1 */
    parse_bad("FR,30004,BNPAFRPP,\xc3", "field 4 (name): not UTF-8");
    parse_bad("FR,30004,BNPAFRPP,\xef\xbf", "field 4 (name): not UTF-8");
    /* 200 characters of two bytes each pass; 201 do not. */
    name[0] = '\0';
    for (int i = 0; i < DIRECTORY_NAME_MAX; i++)
        strcat(name, "\xc3\xa9");
    snprintf(line, sizeof(line), "FR,30004,BNPAFRPP,%s", name);
    parse_ok(line, "FR", "30004", "BNPAFRPP", name);
    snprintf(line, sizeof(line), "FR,30004,BNPAFRPP,%s\xc3\xa9", name);
    parse_bad(line, "field 4 (name): longer than 200 characters");
    /* The line itself. */
    memset(line, 'a', DIRECTORY_LINE_MAX + 1);
    memcpy(line, "FR,30004,BNPAFRPP,", 18);
    line[DIRECTORY_LINE_MAX + 1] = '\0';
    parse_bad(line, "line longer than 4096 bytes");
    parse_bad(NULL, "no line");
}

static void test_header(void **state)
{
    char err[256];
    static const char *const good[] = {
        "country,bank_code,bic,name",
        "country,bank_code,bic,name\n",
        "country,bank_code,bic,name\r\n",
        "Country,Bank_Code,BIC,Name",
        "\"country\",\"bank_code\",\"bic\",\"name\"",
        "\xef\xbb\xbf"
        "country,bank_code,bic,name\r\n",
    };
    static const char *const bad[] = {
        "",
        "country,bank_code,bic",
        "country,bank_code,bic,name,extra",
        "country,bank,bic,name",
        "bank_code,country,bic,name",
        "FR,30004,BNPAFRPP,BNP Paribas",
        " country,bank_code,bic,name",
        "country;bank_code;bic;name",
    };

    (void)state;
    for (size_t i = 0; i < RELAY_ARRAY_LEN(good); i++)
        assert_int_equal(directory_check_header(good[i], err, sizeof(err)), 0);
    for (size_t i = 0; i < RELAY_ARRAY_LEN(bad); i++) {
        err[0] = '\0';
        assert_int_equal(directory_check_header(bad[i], err, sizeof(err)), -1);
        assert_non_null(strstr(err, "country,bank_code,bic,name"));
    }
    assert_int_equal(directory_check_header(NULL, err, sizeof(err)), -1);
}

static FILE *open_source(const char *rel)
{
    const char *src = getenv("RELAY48_SOURCE_DIR");
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", src && *src ? src : ".", rel);
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("%s: %s (set RELAY48_SOURCE_DIR)", path, strerror(errno));
    return f;
}

/* Length of the bank code in an IBAN of each shipped country (SWIFT registry). */
static size_t bank_code_length(const char *country)
{
    static const struct {
        const char *country;
        size_t len;
    } lens[] = {{"FR", 5}, {"DE", 8}, {"BE", 3}, {"ES", 4}, {"IT", 5}};
    for (size_t i = 0; i < RELAY_ARRAY_LEN(lens); i++) {
        if (strcmp(lens[i].country, country) == 0)
            return lens[i].len;
    }
    return 0;
}

static void test_shipped_directory(void **state)
{
    enum { MAX_ROWS = 1000 };
    static char keys[MAX_ROWS][16];
    char line[DIRECTORY_LINE_MAX + 3];
    char err[256];
    size_t n = 0, fr = 0, lineno = 1;
    int bnp = 0;

    (void)state;
    FILE *f = open_source("sql/data/bank_directory.csv");
    assert_non_null(fgets(line, sizeof(line), f));
    assert_int_equal(directory_check_header(line, err, sizeof(err)), 0);
    while (fgets(line, sizeof(line), f)) {
        struct directory_row row;
        lineno++;
        if (directory_parse_line(line, &row, err, sizeof(err)) != 0)
            fail_msg("bank_directory.csv:%zu: %s", lineno, err);
        if (bank_code_length(row.country) != strlen(row.bank_code))
            fail_msg("bank_directory.csv:%zu: bank code %s is not the length of %s IBANs", lineno,
                     row.bank_code, row.country);
        snprintf(keys[n], sizeof(keys[n]), "%s/%s", row.country, row.bank_code);
        for (size_t i = 0; i < n; i++) {
            if (strcmp(keys[i], keys[n]) == 0)
                fail_msg("bank_directory.csv:%zu: %s twice", lineno, keys[n]);
        }
        fr += strcmp(row.country, "FR") == 0;
        if (strcmp(keys[n], "FR/30004") == 0) {
            assert_string_equal(row.bic, "BNPAFRPP");
            bnp = 1;
        }
        n++;
        assert_true(n < MAX_ROWS);
    }
    fclose(f);
    assert_true(fr >= 25);
    assert_true(bnp);
}

/* sql/002_departements.sql holds exactly the codes postal_departement can
 * return, with postal.c's names, plus NATIONAL. */
static void test_departements_sql(void **state)
{
    enum { MAX_CODES = 200 };
    static char sql_codes[MAX_CODES][4];
    char line[512];
    size_t nsql = 0;
    int national = 0;

    (void)state;
    FILE *f = open_source("sql/002_departements.sql");
    while (fgets(line, sizeof(line), f)) {
        char code[16], raw[256], name[256];
        if (sscanf(line, " ('%15[^']', '%255[^\n]", code, raw) != 2)
            continue;
        /* raw: the name, then "')," or "');"; '' is a quote. */
        char *end = strstr(raw, "')");
        assert_non_null(end);
        *end = '\0';
        size_t o = 0;
        for (size_t i = 0; raw[i]; i++) {
            name[o++] = raw[i];
            if (raw[i] == '\'' && raw[i + 1] == '\'')
                i++;
        }
        name[o] = '\0';
        if (strcmp(code, "NATIONAL") == 0) {
            national = 1;
            continue;
        }
        const char *expect = postal_departement_name(code);
        if (!expect || strcmp(expect, name) != 0)
            fail_msg("002_departements.sql: %s is \"%s\", postal.c says \"%s\"", code, name,
                     expect ? expect : "(no such code)");
        assert_true(nsql < MAX_CODES);
        assert_true(strlen(code) < sizeof(sql_codes[0]));
        memcpy(sql_codes[nsql++], code, strlen(code) + 1);
    }
    fclose(f);
    assert_true(national);
    assert_int_equal(nsql, 107);
    /* Every code a postal code can give is in the file. */
    char postal[8], dep[4];
    for (int p = 0; p <= 99999; p++) {
        snprintf(postal, sizeof(postal), "%05d", p);
        if (postal_departement(postal, dep) != 0)
            continue;
        int found = 0;
        for (size_t i = 0; i < nsql && !found; i++)
            found = strcmp(sql_codes[i], dep) == 0;
        if (!found)
            fail_msg("postal code %s gives %s, missing from 002_departements.sql", postal, dep);
    }
}

/* Everything the pty's master side can read now. */
static size_t drain(int master, char *buf, size_t size)
{
    size_t n = 0;
    for (int idle = 0; idle < 20 && n + 1 < size;) {
        ssize_t r = read(master, buf + n, size - 1 - n);
        if (r > 0) {
            n += (size_t)r;
            idle = 0;
        } else {
            struct timespec ts = {0, 5 * 1000 * 1000};
            nanosleep(&ts, NULL);
            idle++;
        }
    }
    buf[n] = '\0';
    return n;
}

static size_t count(const char *s, const char *what)
{
    size_t n = 0;
    for (const char *p = strstr(s, what); p; p = strstr(p + 1, what))
        n++;
    return n;
}

static void test_progress(void **state)
{
    static char out[65536];

    (void)state;
    /* Not a terminal: nothing at all. */
    FILE *file = tmpfile();
    assert_non_null(file);
    struct progress *p = progress_start(file, 10, "rows");
    assert_null(p);
    progress_update(p, 5);
    progress_clear(p);
    progress_end(p);
    assert_int_equal(ftell(file), 0);
    fclose(file);
    assert_null(progress_start(NULL, 10, "rows"));

    /* A terminal. */
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0) {
        skip();
        return;
    }
    assert_int_equal(grantpt(master), 0);
    assert_int_equal(unlockpt(master), 0);
    int slave = open(ptsname(master), O_RDWR | O_NOCTTY);
    assert_true(slave >= 0);
    assert_int_equal(fcntl(master, F_SETFL, O_NONBLOCK), 0);
    FILE *tty = fdopen(slave, "w");
    assert_non_null(tty);

    p = progress_start(tty, 1000, "rows");
    assert_non_null(p);
    for (size_t i = 1; i <= 1000; i++)
        progress_update(p, i);
    drain(master, out, sizeof(out));
    /* At most ~10 draws a second: the start, and few if any of the 1000. */
    assert_true(count(out, "\r[") >= 1);
    assert_true(count(out, "\r[") <= 4);
    assert_non_null(strstr(out, "[------------------------------] 0/1000 rows"));

    struct timespec ts = {0, 150 * 1000 * 1000};
    nanosleep(&ts, NULL);
    progress_update(p, 1000);
    drain(master, out, sizeof(out));
    assert_non_null(strstr(out, "\r[##############################] 1000/1000 rows"));

    progress_update(p, 1200); /* above the total: the total follows */
    progress_clear(p);
    drain(master, out, sizeof(out));
    assert_non_null(strstr(out, "\r\033[K"));
    progress_end(p);
    drain(master, out, sizeof(out));
    assert_non_null(strstr(out, "] 1200/1200 rows"));
    assert_non_null(strchr(out, '\n'));

    /* Unknown total: the count alone. */
    p = progress_start(tty, 0, "cases");
    progress_update(p, 7);
    progress_end(p);
    drain(master, out, sizeof(out));
    assert_non_null(strstr(out, "\r7 cases"));
    assert_null(strstr(out, "[-"));
    assert_null(strstr(out, "[#"));

    fclose(tty);
    close(master);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_plain),       cmocka_unit_test(test_parse_quotes),
        cmocka_unit_test(test_parse_fields),      cmocka_unit_test(test_header),
        cmocka_unit_test(test_shipped_directory), cmocka_unit_test(test_departements_sql),
        cmocka_unit_test(test_progress),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
