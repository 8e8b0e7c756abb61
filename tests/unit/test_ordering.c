/*
 * test_ordering.c — unit tests of relay/ordering.c: an offset is never
 * stored past an unfinished record, whatever order records finish in; a
 * case's escalations take their turns; chains are independent.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ordering.h"

static void test_window_in_order(void **state)
{
    struct ordering_window *w = ordering_window_new();
    uint64_t s0, s1, s2;
    assert_int_equal(ordering_window_push(w, 10, &s0), 0);
    assert_int_equal(ordering_window_push(w, 11, &s1), 0);
    assert_int_equal(ordering_window_push(w, 15, &s2), 0); /* gaps (compaction) are fine */
    assert_int_equal(ordering_window_first(w), 10);
    assert_int_equal(ordering_window_open(w), 3);
    assert_int_equal(ordering_window_done(w, s0), 11);
    assert_int_equal(ordering_window_done(w, s1), 12);
    assert_int_equal(ordering_window_done(w, s2), 16);
    assert_int_equal(ordering_window_open(w), 0);
    assert_int_equal(ordering_window_first(w), -1);
    /* Twice, or unknown: nothing. */
    assert_int_equal(ordering_window_done(w, s2), -1);
    assert_int_equal(ordering_window_done(w, 99), -1);
    ordering_window_free(w);
}

static void test_window_out_of_order(void **state)
{
    struct ordering_window *w = ordering_window_new();
    uint64_t s[5];
    for (int i = 0; i < 5; i++)
        assert_int_equal(ordering_window_push(w, 100 + i, &s[i]), 0);
    /* Later records finish first: nothing may be stored past record 0. */
    assert_int_equal(ordering_window_done(w, s[3]), -1);
    assert_int_equal(ordering_window_done(w, s[1]), -1);
    assert_int_equal(ordering_window_done(w, s[4]), -1);
    assert_int_equal(ordering_window_first(w), 100);
    /* The head finishes: the prefix jumps over what was finished. */
    assert_int_equal(ordering_window_done(w, s[0]), 102);
    assert_int_equal(ordering_window_first(w), 102);
    assert_int_equal(ordering_window_done(w, s[2]), 105);
    assert_int_equal(ordering_window_open(w), 0);
    ordering_window_free(w);
}

/* A random order of completions over a growing, wrapping window, against
 * a simple model: the stored offset is always 1 + the largest offset whose
 * predecessors all finished. */
static void test_window_random(void **state)
{
    struct ordering_window *w = ordering_window_new();
    enum { N = 5000 };
    uint64_t *seq = calloc(N, sizeof(*seq));
    char *done = calloc(N, 1);
    int64_t stored = -1;
    int pushed = 0, model_prefix = 0;
    uint32_t r = 12345;
    for (int step = 0; step < 4 * N; step++) {
        r = r * 1103515245u + 12345u;
        if (pushed < N && (r >> 16) % 3 != 0) {
            assert_int_equal(ordering_window_push(w, 1000 + 2 * pushed, &seq[pushed]), 0);
            pushed++;
            continue;
        }
        if (pushed == 0)
            continue;
        int k = (int)((r >> 8) % (uint32_t)pushed);
        if (done[k])
            continue;
        done[k] = 1;
        int64_t got = ordering_window_done(w, seq[k]);
        int before = model_prefix;
        while (model_prefix < pushed && done[model_prefix])
            model_prefix++;
        if (model_prefix > before) {
            assert_int_equal(got, 1000 + 2 * (model_prefix - 1) + 1);
            assert_true(got > stored);
            stored = got;
        } else {
            assert_int_equal(got, -1);
        }
        assert_int_equal(ordering_window_open(w), (size_t)(pushed - model_prefix));
    }
    free(seq);
    free(done);
    ordering_window_free(w);
}

struct elem {
    int id;
    struct ordering_item ord;
};

#define ELEM(it) ((struct elem *)(void *)((char *)(it)-offsetof(struct elem, ord)))

static void test_chains(void **state)
{
    struct ordering_chains *c = ordering_chains_new(7);
    struct elem a1 = {1, {0}}, a2 = {2, {0}}, a3 = {3, {0}}, b1 = {4, {0}};
    assert_int_equal(ordering_chains_add(c, "BNPAFRPP|R48-A", &a1.ord), 1);
    assert_int_equal(ordering_chains_add(c, "BNPAFRPP|R48-A", &a2.ord), 0);
    assert_int_equal(ordering_chains_add(c, "BNPAFRPP|R48-B", &b1.ord), 1); /* another case */
    assert_int_equal(ordering_chains_add(c, "BNPAFRPP|R48-A", &a3.ord), 0);
    assert_int_equal(ordering_chains_count(c), 2);
    /* The head finishes: the next of its case takes its turn. */
    struct ordering_item *next = ordering_chains_remove(c, &a1.ord);
    assert_non_null(next);
    assert_int_equal(ELEM(next)->id, 2);
    /* A waiting one leaves (handed back): no turn changes. */
    assert_null(ordering_chains_remove(c, &a3.ord));
    assert_null(ordering_chains_remove(c, &a3.ord)); /* in no chain now */
    assert_null(ordering_chains_remove(c, &a2.ord)); /* the last: the chain goes */
    assert_int_equal(ordering_chains_count(c), 1);
    /* A chain emptied and used again starts afresh. */
    assert_int_equal(ordering_chains_add(c, "BNPAFRPP|R48-A", &a1.ord), 1);
    assert_null(ordering_chains_remove(c, &b1.ord));
    assert_int_equal(ordering_chains_count(c), 1);
    ordering_chains_free(c); /* a1 still in: freed with the chains, a1 stays the caller's */
    assert_null(a1.ord.chain);
}

static void test_chains_many(void **state)
{
    struct ordering_chains *c = ordering_chains_new(16);
    enum { CASES = 300, PER = 4 };
    struct elem *e = calloc(CASES * PER, sizeof(*e));
    char key[32];
    for (int m = 0; m < PER; m++) {
        for (int k = 0; k < CASES; k++) {
            struct elem *x = &e[k * PER + m];
            x->id = k * PER + m;
            snprintf(key, sizeof(key), "31|R48-%04d", k);
            assert_int_equal(ordering_chains_add(c, key, &x->ord), m == 0);
        }
    }
    assert_int_equal(ordering_chains_count(c), CASES);
    for (int k = 0; k < CASES; k++) {
        for (int m = 0; m < PER; m++) {
            struct ordering_item *n = ordering_chains_remove(c, &e[k * PER + m].ord);
            if (m < PER - 1) {
                assert_non_null(n);
                assert_int_equal(ELEM(n)->id, k * PER + m + 1);
            } else {
                assert_null(n);
            }
        }
    }
    assert_int_equal(ordering_chains_count(c), 0);
    free(e);
    ordering_chains_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_window_in_order), cmocka_unit_test(test_window_out_of_order),
        cmocka_unit_test(test_window_random),   cmocka_unit_test(test_chains),
        cmocka_unit_test(test_chains_many),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
