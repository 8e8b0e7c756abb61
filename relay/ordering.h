/*
 * ordering.h — owns the two orders a connector keeps:
 * - per partition, a window of the offsets read, of which only the longest
 *   finished prefix may be stored (at least once: an offset is never stored
 *   past a record that is not finished);
 * - per case and destination, a chain of escalations of which only the head
 *   may be attempted (a later escalation of a case never overtakes an
 *   earlier one; other chains are independent).
 *
 * Pure data structures: no I/O, no Kafka, no clock, no global state. Not
 * thread-safe (the connector's loop thread owns them).
 */
#ifndef RELAY48_ORDERING_H
#define RELAY48_ORDERING_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

/* ---- the offsets of one partition ------------------------------------------- */

struct ordering_window;

/* NULL when out of memory. */
struct ordering_window *ordering_window_new(void);
void ordering_window_free(struct ordering_window *w);

/* A record was read at offset (greater than every offset pushed before):
 * its sequence number in *seq. 0, or -1 when out of memory (nothing changed). */
int ordering_window_push(struct ordering_window *w, int64_t offset, uint64_t *seq) RELAY_MUSTCHECK;

/*
 * The record of sequence number seq is finished. Returns the offset to store
 * (the last offset of the finished prefix + 1) when this made the prefix
 * longer, else -1 (an earlier record is still open, or seq is unknown or
 * finished already).
 */
int64_t ordering_window_done(struct ordering_window *w, uint64_t seq);

/* Records read and not yet in the finished prefix. */
size_t ordering_window_open(const struct ordering_window *w);
/* The first offset not in the finished prefix, or -1 when there is none. */
int64_t ordering_window_first(const struct ordering_window *w);

/* ---- chains of one case and destination ------------------------------------------ */

struct ordering_chain;

/* Embedded in the caller's element; zero it before the first add. */
struct ordering_item {
    struct ordering_item *next;
    struct ordering_chain *chain; /* NULL: in no chain */
};

struct ordering_chains;

/* buckets: hash table size (> 0). NULL when out of memory. */
struct ordering_chains *ordering_chains_new(size_t buckets);
/* Chains still holding items are freed; the items are the caller's. */
void ordering_chains_free(struct ordering_chains *c);

/* Append it to the chain of key (at most ORDERING_KEY_MAX - 1 bytes are
 * used). 1 when it is the head (its turn now), 0 when it waits behind
 * others, -1 when out of memory (it is in no chain). */
#define ORDERING_KEY_MAX 96
int ordering_chains_add(struct ordering_chains *c, const char *key,
                        struct ordering_item *it) RELAY_MUSTCHECK;

/* Take it out of its chain (a no-op when in none). Returns the item whose
 * turn comes next when it was the head, else NULL. */
struct ordering_item *ordering_chains_remove(struct ordering_chains *c, struct ordering_item *it);

/* Chains that hold items. */
size_t ordering_chains_count(const struct ordering_chains *c);

#endif
