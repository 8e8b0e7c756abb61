/*
 * test_banks.c — unit tests of the pure part of relay/banks.c: BIC naming,
 * endpoints, names, formats, the additional data of a sealed secret, and the
 * cache before any load (every bank unknown).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/event.h>

#include "banks.h"
#include "db.h"

static void test_bic(void **state)
{
    char out[BIC_MAX + 1], err[128];
    (void)state;
    assert_int_equal(banks_bic_normalise("bnpafrpp", out, err, sizeof(err)), 0);
    assert_string_equal(out, "BNPAFRPP");
    assert_int_equal(banks_bic_normalise("BNPAFRPPXXX", out, err, sizeof(err)), 0);
    assert_string_equal(out, "BNPAFRPP");
    assert_int_equal(banks_bic_normalise("BNPAFRPP123", out, err, sizeof(err)), 0);
    assert_string_equal(out, "BNPAFRPP123");
    static const char *const bad[] = {"",         "BNPA",      "BNPAFRP",   "BNPAFRPP1",
                                      "1NPAFRPP", "BNPAFRPP/", "not-a-bic", "BNPAFRPPXXXX"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(banks_bic_normalise(bad[i], out, err, sizeof(err)), -1);
        assert_string_equal(out, "");
        assert_non_null(strstr(err, "BIC"));
    }
    assert_int_equal(banks_bic_normalise(NULL, out, err, sizeof(err)), -1);
}

static void test_endpoint(void **state)
{
    char err[128];
    (void)state;
    assert_int_equal(banks_endpoint_check("https://fraud.bank.example/relay48", err, sizeof(err)),
                     0);
    assert_int_equal(banks_endpoint_check("http://127.0.0.1:8443/hook?x=1", err, sizeof(err)), 0);
    static const char *const bad[] = {"",
                                      "fraud.bank.example",
                                      "ftp://fraud.bank.example",
                                      "https://",
                                      "https:///path",
                                      "https://bank.example/a b",
                                      "https://bank.example/\x01",
                                      "https://bank.example/\xc3\xa9"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(banks_endpoint_check(bad[i], err, sizeof(err)), -1);
    assert_int_equal(banks_endpoint_check(NULL, err, sizeof(err)), -1);
    char *longer = malloc(BANKS_ENDPOINT_MAX + 2);
    assert_non_null(longer);
    memcpy(longer, "https://", 8);
    memset(longer + 8, 'a', BANKS_ENDPOINT_MAX - 8);
    longer[BANKS_ENDPOINT_MAX] = '\0';
    assert_int_equal(banks_endpoint_check(longer, err, sizeof(err)), 0);
    longer[BANKS_ENDPOINT_MAX] = 'a';
    longer[BANKS_ENDPOINT_MAX + 1] = '\0';
    assert_int_equal(banks_endpoint_check(longer, err, sizeof(err)), -1);
    free(longer);
}

static void test_name_format_aad(void **state)
{
    char err[128], aad[64];
    enum bank_format f;
    (void)state;
    assert_int_equal(banks_name_check("Société Générale", err, sizeof(err)), 0);
    assert_int_equal(banks_name_check("", err, sizeof(err)), -1);
    assert_int_equal(banks_name_check("a\nb", err, sizeof(err)), -1);
    assert_int_equal(banks_name_check("\xff", err, sizeof(err)), -1);
    assert_int_equal(banks_format_parse("json", &f), 0);
    assert_int_equal(f, BANK_FORMAT_JSON);
    assert_int_equal(banks_format_parse("camt056", &f), 0);
    assert_int_equal(f, BANK_FORMAT_CAMT056);
    assert_int_equal(banks_format_parse("xml", &f), -1);
    assert_int_equal(banks_format_parse(NULL, &f), -1);
    assert_string_equal(banks_format_name(BANK_FORMAT_CAMT056), "camt056");
    banks_secret_aad("BNPAFRPP", aad, sizeof(aad));
    assert_string_equal(aad, "relay48 bank secret BNPAFRPP");
}

/* Before its first load (no database here) the cache knows no bank. */
static void test_cache_without_database(void **state)
{
    unsigned char key[SECRETBOX_KEY_LEN] = {0};
    char err[256];
    struct sign_secret s[BANKS_SECRETS_MAX];
    (void)state;
    struct event_base *base = event_base_new();
    assert_non_null(base);
    struct db_options o = {
        .conninfo = "postgresql://nobody@127.0.0.1:1/none", .name = "test", .retry_max_ms = 1000};
    struct db *db = db_new(base, &o, err, sizeof(err));
    assert_non_null(db);
    struct banks_cache *c = banks_cache_new(base, db, key, 100);
    assert_non_null(c);
    struct timeval tv = {0, 200000};
    event_base_loopexit(base, &tv);
    event_base_dispatch(base);
    assert_false(banks_cache_loaded(c));
    assert_int_equal(banks_cache_count(c), 0);
    assert_int_equal(banks_cache_secrets(c, "BNPAFRPP", 0, s, BANKS_SECRETS_MAX), -1);
    assert_int_equal(banks_cache_secrets(NULL, "BNPAFRPP", 0, s, BANKS_SECRETS_MAX), -1);
    banks_cache_free(c);
    db_free(db);
    event_base_free(base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bic),
        cmocka_unit_test(test_endpoint),
        cmocka_unit_test(test_name_format_aad),
        cmocka_unit_test(test_cache_without_database),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
