/*
 * fuzz.h — what every libFuzzer target of tests/fuzz/ shares: the entry
 * point's prototype (-Wmissing-prototypes), a NUL-terminated copy of the
 * input on a heap block of the exact size (so ASan sees a read one byte past
 * the terminator), and the invariant check that turns a wrong answer into a
 * crash libFuzzer records.
 */
#ifndef RELAY48_FUZZ_H
#define RELAY48_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A wrong answer is a finding: say which invariant broke, then abort() so
 * that libFuzzer writes the input under findings/<target>/. */
#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond);           \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* data[0..size) as a C string on a block of exactly size + 1 bytes (bytes
 * after an embedded NUL are then invisible to the parser, as they would be
 * to its callers). Aborts when out of memory: that is not a finding about
 * the parser, and libFuzzer's -rss_limit_mb catches real blow-ups. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);

    if (s == NULL) {
        abort();
    }
    if (size > 0) {
        memcpy(s, data, size);
    }
    s[size] = '\0';
    return s;
}

/* The input cut at its first NUL: *first gets the part before it, *second
 * the part after it ("" when there is no NUL). Both are fuzz_cstr copies:
 * the caller frees them. */
static inline void fuzz_split(const uint8_t *data, size_t size, char **first, char **second)
{
    const uint8_t *nul = size > 0 ? memchr(data, '\0', size) : NULL;
    size_t n = nul != NULL ? (size_t)(nul - data) : size;

    *first = fuzz_cstr(data, n);
    *second = nul != NULL ? fuzz_cstr(nul + 1, size - n - 1) : fuzz_cstr(data, 0);
}

#endif
