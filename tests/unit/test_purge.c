/*
 * test_purge.c — unit tests of relay/purge.c's pure part: how a retention
 * is shown in `relay48 purge`'s summary.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "purge.h"

static void test_format_keep(void **state)
{
    (void)state;
    char buf[32];
    purge_format_keep(30 * 86400, buf, sizeof(buf));
    assert_string_equal(buf, "30 d");
    purge_format_keep(86400, buf, sizeof(buf));
    assert_string_equal(buf, "1 d");
    purge_format_keep(900, buf, sizeof(buf));
    assert_string_equal(buf, "900 s");
    purge_format_keep(0, buf, sizeof(buf));
    assert_string_equal(buf, "0 d");
    purge_format_keep(3650 * 86400LL, buf, 4); /* cut, NUL-terminated */
    assert_string_equal(buf, "365");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_keep),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
