/* ordering.c — finished-prefix windows and per-case chains; see ordering.h. */
#include "ordering.h"

#include <stdio.h>
#include <string.h>

/* ---- windows ------------------------------------------------------------------ */

struct ordering_window {
    int64_t *offsets;
    unsigned char *done;
    size_t cap, head, count;
    uint64_t head_seq; /* sequence number of offsets[head] */
};

struct ordering_window *ordering_window_new(void)
{
    return calloc(1, sizeof(struct ordering_window));
}

void ordering_window_free(struct ordering_window *w)
{
    if (!w)
        return;
    free(w->offsets);
    free(w->done);
    free(w);
}

int ordering_window_push(struct ordering_window *w, int64_t offset, uint64_t *seq)
{
    if (w->count == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 256;
        int64_t *o = malloc(cap * sizeof(*o));
        unsigned char *d = malloc(cap);
        if (!o || !d) {
            free(o);
            free(d);
            return -1;
        }
        for (size_t i = 0; i < w->count; i++) {
            o[i] = w->offsets[(w->head + i) % w->cap];
            d[i] = w->done[(w->head + i) % w->cap];
        }
        free(w->offsets);
        free(w->done);
        w->offsets = o;
        w->done = d;
        w->cap = cap;
        w->head = 0;
    }
    size_t at = (w->head + w->count) % w->cap;
    w->offsets[at] = offset;
    w->done[at] = 0;
    *seq = w->head_seq + w->count;
    w->count++;
    return 0;
}

int64_t ordering_window_done(struct ordering_window *w, uint64_t seq)
{
    if (seq < w->head_seq || seq >= w->head_seq + w->count)
        return -1;
    size_t at = (w->head + (size_t)(seq - w->head_seq)) % w->cap;
    if (w->done[at])
        return -1;
    w->done[at] = 1;
    int64_t next = -1;
    while (w->count > 0 && w->done[w->head]) {
        next = w->offsets[w->head] + 1;
        w->head = (w->head + 1) % w->cap;
        w->head_seq++;
        w->count--;
    }
    return next;
}

size_t ordering_window_open(const struct ordering_window *w)
{
    return w->count;
}

int64_t ordering_window_first(const struct ordering_window *w)
{
    return w->count ? w->offsets[w->head] : -1;
}

/* ---- chains --------------------------------------------------------------------- */

struct ordering_chain {
    char key[ORDERING_KEY_MAX];
    struct ordering_item *head, *tail;
    struct ordering_chain *next; /* hash bucket */
};

struct ordering_chains {
    size_t nbuckets, count;
    struct ordering_chain **buckets;
};

static size_t hash_key(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h % n;
}

struct ordering_chains *ordering_chains_new(size_t buckets)
{
    struct ordering_chains *c = calloc(1, sizeof(*c));
    if (!c || !buckets)
        goto fail;
    c->buckets = calloc(buckets, sizeof(*c->buckets));
    if (!c->buckets)
        goto fail;
    c->nbuckets = buckets;
    return c;
fail:
    free(c);
    return NULL;
}

void ordering_chains_free(struct ordering_chains *c)
{
    if (!c)
        return;
    for (size_t b = 0; b < c->nbuckets; b++) {
        for (struct ordering_chain *ch = c->buckets[b]; ch;) {
            struct ordering_chain *next = ch->next;
            for (struct ordering_item *it = ch->head; it; it = it->next)
                it->chain = NULL;
            free(ch);
            ch = next;
        }
    }
    free(c->buckets);
    free(c);
}

int ordering_chains_add(struct ordering_chains *c, const char *key, struct ordering_item *it)
{
    char k[ORDERING_KEY_MAX];
    snprintf(k, sizeof(k), "%s", key);
    struct ordering_chain **b = &c->buckets[hash_key(k, c->nbuckets)];
    struct ordering_chain *ch = *b;
    while (ch && strcmp(ch->key, k) != 0)
        ch = ch->next;
    if (!ch) {
        ch = calloc(1, sizeof(*ch));
        if (!ch)
            return -1;
        memcpy(ch->key, k, sizeof(k));
        ch->next = *b;
        *b = ch;
        c->count++;
    }
    it->chain = ch;
    it->next = NULL;
    if (ch->tail)
        ch->tail->next = it;
    else
        ch->head = it;
    ch->tail = it;
    return ch->head == it;
}

struct ordering_item *ordering_chains_remove(struct ordering_chains *c, struct ordering_item *it)
{
    struct ordering_chain *ch = it->chain;
    if (!ch)
        return NULL;
    it->chain = NULL;
    struct ordering_item *prev = NULL, *x = ch->head;
    while (x && x != it) {
        prev = x;
        x = x->next;
    }
    if (!x)
        return NULL;
    if (prev)
        prev->next = it->next;
    else
        ch->head = it->next;
    if (ch->tail == it)
        ch->tail = prev;
    it->next = NULL;
    if (!ch->head) {
        struct ordering_chain **b = &c->buckets[hash_key(ch->key, c->nbuckets)];
        while (*b != ch)
            b = &(*b)->next;
        *b = ch->next;
        free(ch);
        c->count--;
        return NULL;
    }
    return prev ? NULL : ch->head;
}

size_t ordering_chains_count(const struct ordering_chains *c)
{
    return c ? c->count : 0;
}
