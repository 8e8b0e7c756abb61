/*
 * test_http.c — unit tests of relay/http.c's pure helpers: the route
 * pattern matcher and the Allow value of a 405.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <event2/http.h>

#include "http.h"

static void test_path_match(void **state)
{
    (void)state;
    struct http_match m;
    assert_int_equal(http_path_match("/v1/cases/*/acks", "/v1/cases/R48-1/acks", &m), 1);
    assert_int_equal(m.nparams, 1);
    assert_string_equal(m.param[0], "R48-1");
    assert_int_equal(http_path_match("/v1/cases/*", "/v1/cases/R48-1/acks", &m), 0);
    assert_int_equal(http_path_match("/v1/cases/*", "/v1/cases/", &m), 0);
    /* a segment too long for param[]: the route, with an empty segment */
    char path[400];
    memset(path, 0, sizeof(path));
    strcpy(path, "/case/");
    memset(path + 6, 'A', 300);
    assert_int_equal(http_path_match("/case/*", path, &m), 1);
    assert_int_equal(m.nparams, 1);
    assert_string_equal(m.param[0], "");
    strcat(path, "/acks");
    assert_int_equal(http_path_match("/case/*/acks", path, &m), 1);
    assert_string_equal(m.param[0], "");
    path[6 + 127] = '\0';
    assert_int_equal(http_path_match("/case/*", path, &m), 1);
    assert_int_equal((int)strlen(m.param[0]), 127);
    assert_int_equal(http_path_match("/healthz", "/healthz", &m), 1);
    assert_int_equal(http_path_match("/healthz", "/healthz/", &m), 0);
}

static void test_allow_value(void **state)
{
    (void)state;
    char out[64];
    http_allow_value(EVHTTP_REQ_GET | EVHTTP_REQ_HEAD, out, sizeof(out));
    assert_string_equal(out, "GET, HEAD");
    http_allow_value(EVHTTP_REQ_POST, out, sizeof(out));
    assert_string_equal(out, "POST");
    http_allow_value(EVHTTP_REQ_POST | EVHTTP_REQ_GET | EVHTTP_REQ_HEAD, out, sizeof(out));
    assert_string_equal(out, "GET, HEAD, POST");
    /* TRACE and CONNECT are never offered */
    http_allow_value(EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT, out, sizeof(out));
    assert_string_equal(out, "");
    /* a short buffer keeps whole names only */
    char small[10];
    http_allow_value(EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST, small, sizeof(small));
    assert_string_equal(small, "GET, HEAD");
    char twelve[12];
    http_allow_value(EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST, twelve, sizeof(twelve));
    assert_string_equal(twelve, "GET, HEAD");
}

static void test_content_type_json(void **state)
{
    (void)state;
    assert_true(http_content_type_is_json("application/json"));
    assert_true(http_content_type_is_json("Application/JSON"));
    assert_true(http_content_type_is_json("  application/json ; charset=utf-8"));
    assert_true(http_content_type_is_json("application/json;charset=utf-8"));
    assert_false(http_content_type_is_json(NULL));
    assert_false(http_content_type_is_json(""));
    assert_false(http_content_type_is_json("application/jsonp"));
    assert_false(http_content_type_is_json("application/json-seq"));
    assert_false(http_content_type_is_json("text/plain"));
    assert_false(http_content_type_is_json("application/problem+json"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path_match),
        cmocka_unit_test(test_allow_value),
        cmocka_unit_test(test_content_type_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
