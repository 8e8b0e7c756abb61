/*
 * test_html.c — unit tests of relay/html.c: escaping of the five
 * characters, replacement of invalid UTF-8 and control characters, the
 * bounded buffer, and the truncation of html_escape.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "html.h"

static void test_escape(void **state)
{
    char out[256];
    (void)state;
    assert_int_equal(html_escape("<a href=\"x\">'&'</a>", out, sizeof(out)),
                     strlen("&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"));
    assert_string_equal(out, "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    html_escape("été à 11:00 — €", out, sizeof(out));
    assert_string_equal(out, "été à 11:00 — €");
    html_escape("tab\tlf\ncr\r", out, sizeof(out));
    assert_string_equal(out, "tab\tlf\ncr\r");
    /* control characters, DEL and invalid UTF-8 become U+FFFD */
    html_escape("a\x01"
                "b\x7f"
                "c\xff"
                "d\xc3",
                out, sizeof(out));
    assert_string_equal(out, "a\xEF\xBF\xBD"
                             "b\xEF\xBF\xBD"
                             "c\xEF\xBF\xBD"
                             "d\xEF\xBF\xBD");
    html_escape("\xed\xa0\x80", out, sizeof(out)); /* a surrogate: 3 bad bytes */
    assert_string_equal(out, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
    html_escape(NULL, out, sizeof(out));
    assert_string_equal(out, "");
}

static void test_escape_truncates(void **state)
{
    char out[8];
    (void)state;
    /* "a&amp;" fits in 7 + NUL; the next entity does not and is not cut */
    assert_int_equal(html_escape("a&<b", out, sizeof(out)), 1 + 5 + 4 + 1);
    assert_string_equal(out, "a&amp;");
    char small[3];
    html_escape("éé", small, sizeof(small));
    assert_string_equal(small, "é");
    assert_int_equal(html_escape("x", NULL, 0), 1);
}

static void test_builder(void **state)
{
    struct html h;
    (void)state;
    html_init(&h, 0);
    html_lit(&h, "<p title=\"");
    html_text(&h, "\"><script>alert(1)</script>");
    html_lit(&h, "\">");
    html_textf(&h, "%d < %s", 3, "4");
    html_int(&h, -42);
    html_text(&h, NULL);
    html_lit(&h, "</p>");
    assert_string_equal(html_data(&h), "<p title=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"
                                       "\">3 &lt; 4-42</p>");
    html_free(&h);
    /* html_lit(&h, variable) does not compile: markup is literals only. */
}

static void test_bounded(void **state)
{
    struct html h;
    (void)state;
    html_init(&h, 10);
    html_lit(&h, "0123456789");
    assert_non_null(html_data(&h));
    html_lit(&h, "x");
    assert_null(html_data(&h)); /* over the cap: the page is not sent */
    html_text(&h, "more");
    assert_null(html_data(&h));
    html_free(&h);

    html_init(&h, 1 << 20);
    for (int i = 0; i < 10000; i++)
        html_text(&h, "<&>");
    assert_int_equal(strlen(html_data(&h)), 10000 * 13);
    html_free(&h);
}

static void test_textf_long(void **state)
{
    struct html h;
    char big[2000];
    (void)state;
    memset(big, 'a', sizeof(big));
    big[sizeof(big) - 1] = '\0';
    memcpy(big + 1021, "é", 2); /* a sequence across the 1024-byte cut */
    html_init(&h, 0);
    html_textf(&h, "%s", big);
    const char *d = html_data(&h);
    assert_non_null(d);
    assert_true(strlen(d) <= 1023);
    assert_null(strstr(d, "\xEF\xBF\xBD")); /* never a half character */
    html_free(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape),     cmocka_unit_test(test_escape_truncates),
        cmocka_unit_test(test_builder),    cmocka_unit_test(test_bounded),
        cmocka_unit_test(test_textf_long),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
