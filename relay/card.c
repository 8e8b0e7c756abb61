/*
 * card.c — Luhn, PAN reduction and detection; see card.h.
 */
#include "card.h"

#include <assert.h>
#include <string.h>

/* Longest run of digits a detection candidate can span. */
#define CARD_SCAN_MAX 19
/* Shortest and longest detection candidates. */
#define CARD_SCAN_MIN 13

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_alpha(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int is_alnum(char c)
{
    return is_digit(c) || is_alpha(c);
}

/*
 * Luhn over `n` digits, read from the right: every second digit, starting
 * with the one left of the check digit, is doubled (minus 9 above 9).
 */
static int luhn_sum_ok(const char *d, size_t n)
{
    unsigned sum = 0;

    for (size_t i = 0; i < n; i++) {
        unsigned v = (unsigned)(d[n - 1 - i] - '0');

        if (i % 2 == 1) {
            v *= 2;
            if (v > 9) {
                v -= 9;
            }
        }
        sum += v;
    }
    return sum % 10 == 0;
}

int card_luhn_ok(const char *digits)
{
    size_t n = 0;

    if (digits == NULL) {
        return 0;
    }
    for (const char *p = digits; *p != '\0'; p++, n++) {
        if (!is_digit(*p)) {
            return 0;
        }
    }
    return n >= 2 && luhn_sum_ok(digits, n);
}

/* Scrub the local PAN copy and return `e`: one exit for every path. */
static enum card_error reduce_done(char *digits, size_t size, enum card_error e)
{
    explicit_bzero(digits, size);
    return e;
}

enum card_error card_reduce_pan(const char *pan, char bin[7], char last4[5])
{
    char digits[CARD_PAN_MAX + 1];
    size_t n = 0;

    assert(bin != NULL && last4 != NULL);
    bin[0] = '\0';
    last4[0] = '\0';
    if (pan == NULL) {
        return CARD_BAD_CHAR;
    }
    for (const char *p = pan; *p != '\0'; p++) {
        if (*p == ' ' || *p == '-') {
            continue;
        }
        if (!is_digit(*p)) {
            return reduce_done(digits, sizeof(digits), CARD_BAD_CHAR);
        }
        if (n == CARD_PAN_MAX) {
            /* Keep reading: a bad character later is the better answer,
             * but no digit is stored beyond the buffer. */
            for (const char *q = p; *q != '\0'; q++) {
                if (*q != ' ' && *q != '-' && !is_digit(*q)) {
                    return reduce_done(digits, sizeof(digits), CARD_BAD_CHAR);
                }
            }
            return reduce_done(digits, sizeof(digits), CARD_BAD_LENGTH);
        }
        digits[n++] = *p;
    }
    if (n < CARD_PAN_MIN) {
        return reduce_done(digits, sizeof(digits), CARD_BAD_LENGTH);
    }
    if (!luhn_sum_ok(digits, n)) {
        return reduce_done(digits, sizeof(digits), CARD_LUHN);
    }
    memcpy(bin, digits, 6);
    bin[6] = '\0';
    memcpy(last4, digits + n - 4, 4);
    last4[4] = '\0';
    return reduce_done(digits, sizeof(digits), CARD_OK);
}

/* 0 when `s` is exactly `a` or exactly `b` digits. */
static int digits_of_length(const char *s, size_t a, size_t b)
{
    size_t n = 0;

    if (s == NULL) {
        return -1;
    }
    for (; s[n] != '\0'; n++) {
        if (!is_digit(s[n]) || n == a + b) {
            return -1;
        }
    }
    return (n == a || n == b) ? 0 : -1;
}

int card_check_bin(const char *bin)
{
    return digits_of_length(bin, 6, 8);
}

int card_check_last4(const char *last4)
{
    return digits_of_length(last4, 4, 4);
}

/*
 * Length of the separator at `p` allowed between two groups of a chain: one
 * ' ' or '-', or one UTF-8 no-break space (C2 A0) or narrow no-break space
 * (E2 80 AF); 0 when `p` is anything else.
 */
static size_t separator_len(const char *p)
{
    const unsigned char *u = (const unsigned char *)p;

    if (u[0] == ' ' || u[0] == '-') {
        return 1;
    }
    if (u[0] == 0xC2 && u[1] == 0xA0) {
        return 2;
    }
    if (u[0] == 0xE2 && u[1] == 0x80 && u[2] == 0xAF) {
        return 3;
    }
    return 0;
}

/* "FR76": two letters then two digits, the start of an IBAN. */
static int iban_prefix_shaped(const char *w, size_t n)
{
    return n == 4 && is_alpha(w[0]) && is_alpha(w[1]) && is_digit(w[2]) && is_digit(w[3]);
}

struct word {
    const char *s; /* NULL: no word */
    size_t n;
    int digits_only;
    int joined_to_next; /* exactly one separator between it and the next word */
};

/*
 * A chain of groups, newest last; only the last CARD_SCAN_MAX groups can
 * belong to a candidate that ends at the newest one.
 */
struct chain {
    const char *group[CARD_SCAN_MAX];
    size_t len[CARD_SCAN_MAX];
    size_t count; /* groups kept, at most CARD_SCAN_MAX */
    int skip;     /* tail of an IBAN: ignore the whole chain */
};

static void chain_push(struct chain *c, const char *s, size_t n)
{
    if (c->count == CARD_SCAN_MAX) {
        memmove(c->group, c->group + 1, (CARD_SCAN_MAX - 1) * sizeof(c->group[0]));
        memmove(c->len, c->len + 1, (CARD_SCAN_MAX - 1) * sizeof(c->len[0]));
        c->count--;
    }
    c->group[c->count] = s;
    c->len[c->count] = n;
    c->count++;
}

/*
 * Is there a candidate ending with the newest group? Walk back group by
 * group, folding digits into a Luhn sum from the right, and test at each
 * group boundary. No digit is copied.
 */
static int chain_has_pan_ending_here(const struct chain *c)
{
    unsigned sum = 0;
    size_t digits = 0;

    for (size_t g = c->count; g-- > 0;) {
        const char *s = c->group[g];

        if (digits + c->len[g] > CARD_SCAN_MAX) {
            return 0;
        }
        for (size_t k = c->len[g]; k-- > 0; digits++) {
            unsigned v = (unsigned)(s[k] - '0');

            if (digits % 2 == 1) {
                v *= 2;
                if (v > 9) {
                    v -= 9;
                }
            }
            sum += v;
        }
        if (digits >= CARD_SCAN_MIN && sum % 10 == 0 && (digits != 14 || s[0] == '3')) {
            return 1;
        }
    }
    return 0;
}

int card_looks_like_pan(const char *text)
{
    struct word prev[2] = {{0}, {0}}; /* prev[1]: the last word, prev[0]: the one before */
    struct chain chain = {0};
    const char *p = text;

    if (text == NULL) {
        return 0;
    }
    while (*p != '\0') {
        struct word w = {0};
        const char *gap = p;
        size_t sep;

        while (*p != '\0' && !is_alnum(*p)) {
            p++;
        }
        if (*p == '\0') {
            break;
        }
        /* Was the previous word joined to this one by exactly one separator? */
        sep = separator_len(gap);
        if (prev[1].s != NULL) {
            prev[1].joined_to_next = sep > 0 && gap + sep == p;
        }

        w.s = p;
        w.digits_only = 1;
        while (is_alnum(*p)) {
            if (!is_digit(*p)) {
                w.digits_only = 0;
            }
            p++;
        }
        w.n = (size_t)(p - w.s);

        if (w.digits_only && w.n <= CARD_SCAN_MAX) {
            int continues = prev[1].s != NULL && prev[1].digits_only &&
                            prev[1].n <= CARD_SCAN_MAX && prev[1].joined_to_next;

            if (!continues) {
                /* A new chain: is it the tail of an IBAN in groups? */
                chain.count = 0;
                chain.skip = 0;
                if (prev[1].s != NULL && prev[1].joined_to_next) {
                    if (iban_prefix_shaped(prev[1].s, prev[1].n)) {
                        chain.skip = 1;
                    } else if (prev[1].n <= 4 && prev[0].s != NULL && prev[0].joined_to_next &&
                               iban_prefix_shaped(prev[0].s, prev[0].n)) {
                        chain.skip = 1;
                    }
                }
            }
            chain_push(&chain, w.s, w.n);
            if (!chain.skip && chain_has_pan_ending_here(&chain)) {
                return 1;
            }
        }
        prev[0] = prev[1];
        prev[1] = w;
    }
    return 0;
}
