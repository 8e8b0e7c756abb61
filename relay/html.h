/*
 * html.h — owns the building of HTML pages: a bounded growable buffer in
 * which every piece of text is escaped on the way in. Markup can only be
 * added as string literals (html_lit refuses anything else at compile time),
 * so a value that came from a request, the database or the translations
 * cannot reach the page unescaped.
 *
 * Escaping (html_text): & < > " ' become entities, so the same call is safe
 * in element content and in double- or single-quoted attribute values
 * (never in an unquoted attribute, a <script> or a <style>: the pages have
 * none). Invalid UTF-8 bytes and C0 control characters other than TAB, LF
 * and CR become U+FFFD, so the output is always valid UTF-8 text.
 *
 * Pure: no I/O, no global state.
 */
#ifndef RELAY48_HTML_H
#define RELAY48_HTML_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

struct html {
    char *buf;
    size_t len, cap;
    size_t max; /* hard cap on len; past it the page is marked failed */
    int failed; /* out of memory or over max: the page must not be sent */
};

#define HTML_DEFAULT_MAX (512 * 1024)

void html_init(struct html *h, size_t max);
void html_free(struct html *h);

/* NUL-terminated page, or NULL when building failed. */
const char *html_data(const struct html *h);

/* Markup: only a string literal compiles here. */
#define html_lit(h, s) html_raw_(h, "" s "", sizeof(s) - 1)
void html_raw_(struct html *h, const char *s, size_t n);

/* Text, escaped. NULL appends nothing. */
void html_text(struct html *h, const char *s);
void html_textn(struct html *h, const char *s, size_t n);
/* printf then escape the result (at most 1024 bytes formatted). */
void html_textf(struct html *h, const char *fmt, ...) RELAY_PRINTF(2, 3);
void html_int(struct html *h, int64_t v);

/*
 * Escape into out (always NUL-terminated when out_size > 0). Returns the
 * length the full escape needs, without the NUL; the output is truncated
 * (at a whole entity or character) when that is >= out_size.
 */
size_t html_escape(const char *in, char *out, size_t out_size);

#endif
