/*
 * ratelimit.h — owns the per-client token buckets of POST /report: each
 * client (an IPv4 address, or the /64 network of an IPv6 address) may spend
 * `burst` requests at once and earns `per_minute` tokens a minute back.
 *
 * Memory is bounded: a fixed table of `slots` buckets, chosen at creation.
 * A client looks for its bucket among a few slots (keyed hash, so a client
 * cannot pick its neighbours); when none is free it takes over the one idle
 * the longest, or one already full again (forgetting a full bucket changes
 * nothing). Under a flood of distinct addresses a client may thus be
 * forgotten and start again with a full bucket: the limit is a courtesy
 * against one noisy client, not a defence against a botnet.
 *
 * Pure: the clock (milliseconds, monotonic) is a parameter; the rate and the
 * burst too, so that a reload applies at once.
 */
#ifndef RELAY48_RATELIMIT_H
#define RELAY48_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

#define RATELIMIT_KEY_BYTES 16
#define RATELIMIT_PROBES    8

struct ratelimit;

/* slots: table size (rounded up to a power of two, at least 16). seed keys
 * the hash (random at start). NULL when out of memory. */
struct ratelimit *ratelimit_new(size_t slots, uint64_t seed);
void ratelimit_free(struct ratelimit *rl);

/* The bucket key of a client address: IPv4 as is, IPv6 its first 8 bytes
 * (a /64: one subscriber), an IPv4-mapped IPv6 address as IPv4. family is
 * AF_INET or AF_INET6 and addr the 4 or 16 address bytes. */
void ratelimit_key(int family, const unsigned char *addr, unsigned char key[RATELIMIT_KEY_BYTES]);

/* The bucket key of a named client (an API key's id): its first 15 bytes,
 * never equal to an address's key. */
void ratelimit_key_name(const char *name, unsigned char key[RATELIMIT_KEY_BYTES]);

/*
 * Take one token for key at now_ms. Returns 1 when allowed, 0 when refused;
 * on refusal *retry_after_s (if not NULL) is the whole number of seconds,
 * at least 1, after which one token will be there.
 */
int ratelimit_take(struct ratelimit *rl, const unsigned char key[RATELIMIT_KEY_BYTES],
                   int64_t now_ms, int64_t per_minute, int64_t burst, int64_t *retry_after_s);

/* Buckets in use (for tests and metrics). */
size_t ratelimit_used(const struct ratelimit *rl);

#endif
