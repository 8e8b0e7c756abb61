/*
 * fuzz_csv.c — libFuzzer target of relay/directory.c's pure parsers: the
 * input (up to its first NUL or LF) as one line of the bank directory CSV for
 * directory_parse_line, and as its header for directory_check_header.
 *
 * Invariants (abort() when broken):
 * - on success the row is what directory.h promises: a 2-letter country, a
 *   bank code of 1..11 upper-case letters or digits, a BIC that bic_check
 *   accepts without a trailing "XXX", a name of 1..200 characters with no
 *   byte below 0x20 nor 0x7F;
 * - on failure the row is all zeros and the reason is a non-empty line
 *   without control characters (it is printed on the operator's terminal);
 * - reasons fit any errstr_size: an exact heap block of 16 bytes as well.
 */
#include <string.h>

#include "directory.h"
#include "fuzz.h"

static int all_zero(const void *p, size_t n)
{
    const unsigned char *b = p;

    for (size_t i = 0; i < n; i++) {
        if (b[i] != 0) {
            return 0;
        }
    }
    return 1;
}

/* Code points of a string (the continuation bytes are not counted). */
static size_t code_points(const char *s)
{
    size_t n = 0;

    for (; *s != '\0'; s++) {
        n += ((unsigned char)*s & 0xc0) != 0x80;
    }
    return n;
}

static void check_row(const struct directory_row *row)
{
    size_t blen = strlen(row->bank_code);
    size_t bic = strlen(row->bic);

    FUZZ_CHECK(strlen(row->country) == 2);
    FUZZ_CHECK(row->country[0] >= 'A' && row->country[0] <= 'Z');
    FUZZ_CHECK(row->country[1] >= 'A' && row->country[1] <= 'Z');
    FUZZ_CHECK(blen >= 1 && blen <= DIRECTORY_BANK_CODE_MAX);
    for (size_t i = 0; i < blen; i++) {
        char c = row->bank_code[i];

        FUZZ_CHECK((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'));
    }
    FUZZ_CHECK(bic_check(row->bic) == 0);
    FUZZ_CHECK(bic == 8 || strcmp(row->bic + 8, "XXX") != 0);
    FUZZ_CHECK(row->name[0] != '\0');
    FUZZ_CHECK(code_points(row->name) <= DIRECTORY_NAME_MAX);
    for (const char *p = row->name; *p != '\0'; p++) {
        FUZZ_CHECK((unsigned char)*p >= 0x20 && *p != 0x7f);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* One line as the importer reads it: up to and with its first LF. */
    const uint8_t *lf = size > 0 ? memchr(data, '\n', size) : NULL;
    char *line = fuzz_cstr(data, lf != NULL ? (size_t)(lf - data) + 1 : size);
    char *tiny = malloc(16); /* exact size: a message must be cut, not overflow */
    struct directory_row row;
    struct directory_row again;
    char err[256];
    int rc;

    if (tiny == NULL) {
        abort();
    }
    memset(&row, 0xa5, sizeof(row));
    err[0] = '\0';
    rc = directory_parse_line(line, &row, err, sizeof(err));
    if (rc == 0) {
        check_row(&row);
    } else {
        FUZZ_CHECK(rc == -1);
        FUZZ_CHECK(all_zero(&row, sizeof(row)));
        FUZZ_CHECK(err[0] != '\0' && strchr(err, '\n') == NULL);
        /* printed on a terminal: none of the line's control bytes */
        for (const char *p = err; *p != '\0'; p++) {
            FUZZ_CHECK((unsigned char)*p >= 0x20 && *p != 0x7f);
        }
    }
    /* The same answer again, with a short errstr. */
    FUZZ_CHECK(directory_parse_line(line, &again, tiny, 16) == rc);
    FUZZ_CHECK(memcmp(&row, &again, sizeof(row)) == 0);
    FUZZ_CHECK(rc == 0 || strlen(tiny) < 16);

    rc = directory_check_header(line, tiny, 16);
    FUZZ_CHECK(rc == 0 || rc == -1);
    free(tiny);
    free(line);
    return 0;
}
