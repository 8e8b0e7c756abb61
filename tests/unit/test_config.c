/* Unit tests of relay/config.c: the table's defaults, bounds, unknown keys,
 * file parsing and environment overrides. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"

static void test_defaults(void **state)
{
    struct config c;
    char err[256];
    assert_int_equal(config_init(&c, err, sizeof(err)), 0);
    assert_int_equal(c.http_port, 8080);
    assert_string_equal(c.http_addr, "127.0.0.1");
    assert_int_equal(c.http_body_limit, 65536);
    assert_string_equal(c.log_level, "info");
    assert_string_equal(config_kafka_get(&c, "bootstrap.servers"), "127.0.0.1:59092");
    assert_null(config_kafka_get(&c, "linger.ms"));
    config_free(&c);
}

static void test_bounds(void **state)
{
    struct config c;
    char err[256];
    assert_int_equal(config_init(&c, err, sizeof(err)), 0);
    assert_int_equal(config_set(&c, "http.port", "65535", err, sizeof(err)), 0);
    assert_int_equal(c.http_port, 65535);
    assert_int_equal(config_set(&c, "http.port", "65536", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "http.port"));
    assert_non_null(strstr(err, "out of bounds"));
    assert_int_equal(c.http_port, 65535); /* unchanged on error */
    assert_int_equal(config_set(&c, "http.port", "0", err, sizeof(err)), -1);
    assert_int_equal(config_set(&c, "http.port", "80x", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "not a whole number"));
    assert_int_equal(config_set(&c, "http.port", "", err, sizeof(err)), -1);
    assert_int_equal(config_set(&c, "http.port", "99999999999999999999999", err, sizeof(err)), -1);
    assert_int_equal(config_set(&c, "http.body_limit", "1023", err, sizeof(err)), -1);
    assert_int_equal(config_set(&c, "log.level", "verbose", err, sizeof(err)), -1);
    assert_int_equal(config_set(&c, "log.level", "debug", err, sizeof(err)), 0);
    assert_string_equal(c.log_level, "debug");
    assert_int_equal(config_set(&c, "instance", "", err, sizeof(err)), -1);
    config_free(&c);
}

static void test_unknown_key(void **state)
{
    struct config c;
    char err[256];
    assert_int_equal(config_init(&c, err, sizeof(err)), 0);
    assert_int_equal(config_set(&c, "http.prot", "1", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "unknown configuration key"));
    /* kafka.* keys the table does not own go to librdkafka */
    assert_int_equal(config_set(&c, "kafka.linger.ms", "5", err, sizeof(err)), 0);
    assert_string_equal(config_kafka_get(&c, "linger.ms"), "5");
    assert_int_equal(config_set(&c, "kafka.linger.ms", "7", err, sizeof(err)), 0);
    assert_string_equal(config_kafka_get(&c, "linger.ms"), "7");
    assert_int_equal(config_set(&c, "kafka.", "7", err, sizeof(err)), -1);
    config_free(&c);
}

static void test_env(void **state)
{
    struct config c;
    char err[256];
    assert_int_equal(config_init(&c, err, sizeof(err)), 0);
    char *env[] = {"PATH=/bin",
                   "RELAY48_HTTP_PORT=9090",
                   "RELAY48_HTTP_BODY_LIMIT=2048",
                   "RELAY48_KAFKA_BOOTSTRAP_SERVERS=10.0.0.1:9092",
                   "RELAY48_KAFKA_LINGER_MS=3",
                   "RELAY48_SOMETHING_ELSE=ignored",
                   "RELAY48_HTTP=ignored-too",
                   NULL};
    assert_int_equal(config_load_env(&c, env, err, sizeof(err)), 0);
    assert_int_equal(c.http_port, 9090);
    assert_int_equal(c.http_body_limit, 2048);
    assert_string_equal(config_kafka_get(&c, "bootstrap.servers"), "10.0.0.1:9092");
    assert_string_equal(config_kafka_get(&c, "linger.ms"), "3");

    char *bad[] = {"RELAY48_HTTP_PORT=70000", NULL};
    assert_int_equal(config_load_env(&c, bad, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "RELAY48_HTTP_PORT"));
    assert_int_equal(c.http_port, 9090);
    config_free(&c);
}

static void test_file_then_env(void **state)
{
    char path[] = "/tmp/relay48-config-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "# comment\n\nhttp.port = 7070\n  log.level=warn  \nkafka.acks = 1\n");
    fclose(f);

    struct config c;
    char err[256];
    assert_int_equal(config_init(&c, err, sizeof(err)), 0);
    assert_int_equal(config_load_file(&c, path, err, sizeof(err)), 0);
    assert_int_equal(c.http_port, 7070);
    assert_string_equal(c.log_level, "warn");
    assert_string_equal(config_kafka_get(&c, "acks"), "1");
    char *env[] = {"RELAY48_HTTP_PORT=6060", NULL};
    assert_int_equal(config_load_env(&c, env, err, sizeof(err)), 0);
    assert_int_equal(c.http_port, 6060); /* the environment wins over the file */
    config_free(&c);

    f = fopen(path, "w");
    fprintf(f, "http.port = 7070\nnot a setting\n");
    fclose(f);
    assert_int_equal(config_init(&c, err, sizeof(err)), 0);
    assert_int_equal(config_load_file(&c, path, err, sizeof(err)), -1);
    assert_non_null(strstr(err, ":2:"));
    config_free(&c);

    f = fopen(path, "w");
    fprintf(f, "http.porrt = 7070\n");
    fclose(f);
    assert_int_equal(config_init(&c, err, sizeof(err)), 0);
    assert_int_equal(config_load_file(&c, path, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "unknown configuration key"));
    config_free(&c);
    unlink(path);

    assert_int_equal(config_init(&c, err, sizeof(err)), 0);
    assert_int_equal(config_load_file(&c, "/nonexistent/relay48.conf", err, sizeof(err)), -1);
    config_free(&c);
}

static void test_reloadable(void **state)
{
    struct config a, b;
    char err[256];
    assert_int_equal(config_init(&a, err, sizeof(err)), 0);
    assert_int_equal(config_init(&b, err, sizeof(err)), 0);
    assert_int_equal(config_set(&b, "log.level", "error", err, sizeof(err)), 0);
    assert_int_equal(config_set(&b, "http.port", "1234", err, sizeof(err)), 0);
    config_apply_reloadable(&a, &b);
    assert_string_equal(a.log_level, "error"); /* reloadable */
    assert_int_equal(a.http_port, 8080);       /* not reloadable: needs a restart */
    config_free(&a);
    config_free(&b);
}

static void test_table_is_consistent(void **state)
{
    size_t n;
    const struct config_entry *t = config_table(&n);
    assert_true(n > 5);
    for (size_t i = 0; i < n; i++) {
        assert_true(t[i].min <= t[i].max);
        assert_non_null(t[i].help);
        for (size_t j = i + 1; j < n; j++)
            assert_string_not_equal(t[i].key, t[j].key);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_unknown_key),
        cmocka_unit_test(test_env),
        cmocka_unit_test(test_file_then_env),
        cmocka_unit_test(test_reloadable),
        cmocka_unit_test(test_table_is_consistent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
