/*
 * test_keys.c — unit tests of relay/keys.c: key shape and uniqueness, the
 * SHA-256 known answer, Authorization header parsing, roles (checked against
 * the CHECK constraint of sql/001_core.sql), party names, and the cache
 * without a reachable database.
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
#include <regex.h>

#include "db.h"
#include "keys.h"
#include "log.h"

/* A key written by hand; its hash computed with `printf %s KEY | sha256sum`. */
#define SAMPLE_KEY  "r48_0123456789_abcdefghjkmnpqrstvwxyz0123456789abcdefgh"
#define SAMPLE_HASH "0b4e7048fcc10ad98685bce72460915da6ed0fc6f92944eb5498a826ed66140c"

static const char crockford[] = "0123456789abcdefghjkmnpqrstvwxyz";

static int cmp_str(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

static void test_generate_shape_and_uniqueness(void **state)
{
    enum { N = 1000 };
    static char keys[N][KEYS_LEN + 1];
    static char ids[N][KEYS_ID_LEN + 1];
    char id2[KEYS_ID_LEN + 1];

    (void)state;
    for (int i = 0; i < N; i++) {
        assert_int_equal(keys_generate(keys[i], sizeof(keys[i]), ids[i]), 0);
        assert_int_equal(strlen(keys[i]), KEYS_LEN);
        assert_int_equal(strlen(ids[i]), KEYS_ID_LEN);
        assert_memory_equal(keys[i], "r48_", 4);
        assert_memory_equal(keys[i] + 4, ids[i], KEYS_ID_LEN);
        assert_int_equal(keys[i][4 + KEYS_ID_LEN], '_');
        for (size_t k = 4; k < KEYS_LEN; k++) {
            if (k != 4 + KEYS_ID_LEN)
                assert_non_null(strchr(crockford, keys[i][k]));
        }
        assert_int_equal(keys_split(keys[i], id2), 0);
        assert_string_equal(id2, ids[i]);
    }
    qsort(keys, N, sizeof(keys[0]), cmp_str);
    qsort(ids, N, sizeof(ids[0]), cmp_str);
    for (int i = 1; i < N; i++) {
        assert_string_not_equal(keys[i - 1], keys[i]);
        assert_string_not_equal(ids[i - 1], ids[i]);
    }
}

static void test_generate_small_buffer(void **state)
{
    char key[KEYS_LEN];
    char id[KEYS_ID_LEN + 1];

    (void)state;
    memset(key, 'x', sizeof(key));
    assert_int_equal(keys_generate(key, sizeof(key), id), -1);
    assert_string_equal(key, "");
    assert_string_equal(id, "");
}

static void test_hash_known_answer(void **state)
{
    unsigned char h[KEYS_HASH_LEN];
    char hex[2 * KEYS_HASH_LEN + 1];

    (void)state;
    keys_hash(SAMPLE_KEY, h);
    for (int i = 0; i < KEYS_HASH_LEN; i++)
        snprintf(hex + 2 * i, 3, "%02x", h[i]);
    assert_string_equal(hex, SAMPLE_HASH);
    /* The empty string, FIPS 180-2's known answer. */
    keys_hash("", h);
    for (int i = 0; i < KEYS_HASH_LEN; i++)
        snprintf(hex + 2 * i, 3, "%02x", h[i]);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_split(void **state)
{
    char id[KEYS_ID_LEN + 1];
    static const char *const bad[] = {
        "",
        "r48_",
        "r48_0123456789",
        "r48_0123456789_",
        "r48_0123456789_abcdefghjkmnpqrstvwxyz0123456789abcdefg",   /* 39 */
        "r48_0123456789_abcdefghjkmnpqrstvwxyz0123456789abcdefghj", /* 41 */
        "r48_012345678_abcdefghjkmnpqrstvwxyz0123456789abcdefghj",  /* id 9 */
        "R48_0123456789_abcdefghjkmnpqrstvwxyz0123456789abcdefgh",
        "r48-0123456789_abcdefghjkmnpqrstvwxyz0123456789abcdefgh",
        "r48_0123456789-abcdefghjkmnpqrstvwxyz0123456789abcdefgh",
        "r48_0123456789_ABCDEFGHJKMNPQRSTVWXYZ0123456789ABCDEFGH",
        "r48_0123456789_abcdefghjkmnpqrstvwxyz0123456789abcdefgi", /* i */
        "r48_0123456789_abcdefghjkmnpqrstvwxyz0123456789abcdefgl", /* l */
        "r48_012345678o_abcdefghjkmnpqrstvwxyz0123456789abcdefgh", /* o */
        "r48_0123456789_abcdefghjkmnpqrstvwxyz0123456789abcdefgu", /* u */
        "r48_0123456789_abcdefghjkmnpqrstvwxyz0123456789abcdefgh ",
        " r48_0123456789_abcdefghjkmnpqrstvwxyz0123456789abcdefgh",
    };

    (void)state;
    assert_int_equal(keys_split(SAMPLE_KEY, id), 0);
    assert_string_equal(id, "0123456789");
    for (size_t i = 0; i < RELAY_ARRAY_LEN(bad); i++) {
        memset(id, 'x', sizeof(id));
        assert_int_equal(keys_split(bad[i], id), -1);
        assert_string_equal(id, "");
    }
    assert_int_equal(keys_split(NULL, id), -1);
}

static void test_parse_bearer(void **state)
{
    static const char *const good[] = {
        "Bearer " SAMPLE_KEY, "bearer " SAMPLE_KEY,  "BEARER " SAMPLE_KEY,
        "BeArEr " SAMPLE_KEY, "Bearer  " SAMPLE_KEY, "Bearer     " SAMPLE_KEY,
    };
    static const char *const bad[] = {
        "",
        "Bearer",
        "Bearer ",
        "Bearer   ",
        "Bearer" SAMPLE_KEY,
        "Bearer\t" SAMPLE_KEY,
        " Bearer " SAMPLE_KEY,
        "Bearer " SAMPLE_KEY " ",
        "Bearer " SAMPLE_KEY "\n",
        "Bearer " SAMPLE_KEY "x",
        "Bearer " SAMPLE_KEY " extra",
        "Basic " SAMPLE_KEY,
        "Bearers " SAMPLE_KEY,
        "Token " SAMPLE_KEY,
        SAMPLE_KEY,
        "Bearer R48_0123456789_abcdefghjkmnpqrstvwxyz0123456789abcdefgh",
        "Bearer r48_0123456789_abcdefghjkmnpqrstvwxyz0123456789abcdefg",
        "Bearer r48_0123456789_ABCDEFGHJKMNPQRSTVWXYZ0123456789ABCDEFGH",
        "Bearer \"" SAMPLE_KEY "\"",
    };
    char key[KEYS_LEN + 1];

    (void)state;
    for (size_t i = 0; i < RELAY_ARRAY_LEN(good); i++) {
        memset(key, 'x', sizeof(key));
        assert_int_equal(keys_parse_bearer(good[i], key, sizeof(key)), 0);
        assert_string_equal(key, SAMPLE_KEY);
    }
    for (size_t i = 0; i < RELAY_ARRAY_LEN(bad); i++) {
        memset(key, 'x', sizeof(key));
        assert_int_equal(keys_parse_bearer(bad[i], key, sizeof(key)), -1);
        assert_string_equal(key, "");
    }
    assert_int_equal(keys_parse_bearer(NULL, key, sizeof(key)), -1);
    /* The buffer must hold a whole key. */
    assert_int_equal(keys_parse_bearer("Bearer " SAMPLE_KEY, key, KEYS_LEN), -1);
}

/* The CHECK constraint of api_keys.role in sql/001_core.sql. */
#define ROLE_SQL_CHECK                                                                             \
    "^(partner|platform|bank:[A-Z0-9]{8}([A-Z0-9]{3})?|police:([0-9]{2}|2A|2B|9[78][0-9]|"         \
    "NATIONAL))$"

static void test_roles(void **state)
{
    static const struct {
        const char *in, *canon;
    } good[] = {
        {"partner", "partner"},
        {"platform", "platform"},
        {"bank:BNPAFRPP", "bank:BNPAFRPP"},
        {"bank:bnpafrpp", "bank:BNPAFRPP"},
        {"bank:BNPAFRPPXXX", "bank:BNPAFRPP"},
        {"bank:AGRIFRPP882", "bank:AGRIFRPP882"},
        {"bank:QNTOFRP1", "bank:QNTOFRP1"},
        {"police:31", "police:31"},
        {"police:2A", "police:2A"},
        {"police:2b", "police:2B"},
        {"police:01", "police:01"},
        {"police:974", "police:974"},
        {"police:988", "police:988"},
        {"police:NATIONAL", "police:NATIONAL"},
        {"police:national", "police:NATIONAL"},
    };
    static const char *const bad[] = {
        "",
        "Partner",
        "PARTNER",
        "partner ",
        "admin",
        "bank",
        "bank:",
        "bank:bad",
        "bank:BNPAFRP",
        "bank:BNPAFRPP1",
        "bank:BNPAFRPP12345",
        "bank:12345678",
        "bank:BNPA FRPP",
        "bank:BNPAFRPP:x",
        "Bank:BNPAFRPP",
        "police",
        "police:",
        "police:99",
        "police:20",
        "police:00",
        "police:96",
        "police:979",
        "police:2C",
        "police:1",
        "police:310",
        "police:NATIONALE",
        "police:31 ",
        "gendarmerie:31",
        "bank:BNPAFRPPBNPAFRPPBNPAFRPPBNPAFRPPBNPAFRPP",
    };
    char canon[KEYS_ROLE_MAX + 1];
    char err[256];
    regex_t re;

    (void)state;
    assert_int_equal(regcomp(&re, ROLE_SQL_CHECK, REG_EXTENDED | REG_NOSUB), 0);
    for (size_t i = 0; i < RELAY_ARRAY_LEN(good); i++) {
        err[0] = '\0';
        assert_int_equal(keys_role_check(good[i].in, err, sizeof(err)), 0);
        assert_int_equal(keys_role_normalise(good[i].in, canon, err, sizeof(err)), 0);
        assert_string_equal(canon, good[i].canon);
        /* What the CLI stores, the database accepts. */
        assert_int_equal(regexec(&re, canon, 0, NULL, 0), 0);
    }
    for (size_t i = 0; i < RELAY_ARRAY_LEN(bad); i++) {
        err[0] = '\0';
        assert_int_equal(keys_role_check(bad[i], err, sizeof(err)), -1);
        assert_true(strlen(err) > 10);
        assert_int_equal(keys_role_normalise(bad[i], canon, err, sizeof(err)), -1);
        assert_string_equal(canon, "");
    }
    assert_int_equal(keys_role_check(NULL, err, sizeof(err)), -1);
    /* The brief's examples, with the reason. */
    assert_int_equal(keys_role_check("bank:bad", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "BIC"));
    assert_int_equal(keys_role_check("police:99", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "département"));
    regfree(&re);
}

static void test_party(void **state)
{
    char err[256];
    char long_name[KEYS_PARTY_MAX + 2];

    (void)state;
    assert_int_equal(keys_party_check("CERT-FR", err, sizeof(err)), 0);
    assert_int_equal(keys_party_check("Caisse d'Épargne Île-de-France", err, sizeof(err)), 0);
    assert_int_equal(keys_party_check("Brigade de gendarmerie — Toulouse", err, sizeof(err)), 0);
    assert_int_equal(keys_party_check("", err, sizeof(err)), -1);
    assert_int_equal(keys_party_check(NULL, err, sizeof(err)), -1);
    assert_int_equal(keys_party_check("a\tb", err, sizeof(err)), -1);
    assert_int_equal(keys_party_check("a\nb", err, sizeof(err)), -1);
    assert_int_equal(keys_party_check("a\x7f", err, sizeof(err)), -1);
    assert_int_equal(keys_party_check("caf\xe9", err, sizeof(err)), -1);      /* Latin-1 */
    assert_int_equal(keys_party_check("\xc0\xaf", err, sizeof(err)), -1);     /* overlong */
    assert_int_equal(keys_party_check("\xed\xa0\x80", err, sizeof(err)), -1); /* surrogate */
    assert_int_equal(keys_party_check("\xc2\x85", err, sizeof(err)), -1);     /* C1 NEL */
    memset(long_name, 'a', KEYS_PARTY_MAX);
    long_name[KEYS_PARTY_MAX] = '\0';
    assert_int_equal(keys_party_check(long_name, err, sizeof(err)), 0);
    long_name[KEYS_PARTY_MAX] = 'a';
    long_name[KEYS_PARTY_MAX + 1] = '\0';
    assert_int_equal(keys_party_check(long_name, err, sizeof(err)), -1);
}

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
    event_base_loopbreak(arg);
}

/* No server listens on port 1: the cache stays empty, refuses everything,
 * and frees cleanly (ASan checks the rest). */
static void test_cache_without_database(void **state)
{
    char err[256];
    struct keys_party p;
    FILE *logs = tmpfile();

    (void)state;
    assert_non_null(logs);
    log_set_stream(logs);
    struct event_base *base = event_base_new();
    assert_non_null(base);
    struct db_options opt = {.conninfo = "host=127.0.0.1 port=1 connect_timeout=1",
                             .name = "keys-test",
                             .retry_max_ms = 100};
    struct db *db = db_new(base, &opt, err, sizeof(err));
    assert_non_null(db);
    struct keys_cache *c = keys_cache_new(base, db, 50);
    assert_non_null(c);
    struct event *stop = evtimer_new(base, on_stop, base);
    struct timeval tv = {0, 300 * 1000};
    evtimer_add(stop, &tv);
    event_base_dispatch(base);
    assert_int_equal(keys_cache_loaded(c), 0);
    assert_int_equal(keys_cache_count(c), 0);
    assert_int_equal(keys_cache_lookup(c, "Bearer " SAMPLE_KEY, &p), -1);
    assert_int_equal(keys_cache_lookup(c, NULL, &p), -1);
    keys_cache_free(c);
    db_free(db);
    event_free(stop);
    event_base_free(base);
    keys_cache_free(NULL);
    assert_int_equal(keys_cache_loaded(NULL), 0);
    log_set_stream(stderr);
    fclose(logs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generate_shape_and_uniqueness),
        cmocka_unit_test(test_generate_small_buffer),
        cmocka_unit_test(test_hash_known_answer),
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_parse_bearer),
        cmocka_unit_test(test_roles),
        cmocka_unit_test(test_party),
        cmocka_unit_test(test_cache_without_database),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
