/* ratelimit.c — bounded per-client token buckets; see ratelimit.h. */
#include "ratelimit.h"

#include <string.h>
#include <sys/socket.h>

/* Tokens are counted in units of 1/60000: a client earns exactly
 * per_minute units a millisecond, so no fraction is ever lost. */
#define UNIT     60000
#define MAX_RATE INT64_C(1000000000)

struct bucket {
    unsigned char key[RATELIMIT_KEY_BYTES];
    int used;
    int64_t tokens; /* units at `at` */
    int64_t at;     /* ms of the last update */
};

struct ratelimit {
    struct bucket *b;
    size_t mask;
    uint64_t seed;
    size_t used;
};

struct ratelimit *ratelimit_new(size_t slots, uint64_t seed)
{
    size_t n = 16;
    while (n < slots && n < ((size_t)1 << 30))
        n <<= 1;
    struct ratelimit *rl = calloc(1, sizeof(*rl));
    if (!rl)
        return NULL;
    rl->b = calloc(n, sizeof(*rl->b));
    if (!rl->b) {
        free(rl);
        return NULL;
    }
    rl->mask = n - 1;
    rl->seed = seed;
    return rl;
}

void ratelimit_free(struct ratelimit *rl)
{
    if (!rl)
        return;
    free(rl->b);
    free(rl);
}

size_t ratelimit_used(const struct ratelimit *rl)
{
    return rl->used;
}

void ratelimit_key(int family, const unsigned char *addr, unsigned char key[RATELIMIT_KEY_BYTES])
{
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    memset(key, 0, RATELIMIT_KEY_BYTES);
    if (family == AF_INET6 && memcmp(addr, mapped, sizeof(mapped)) == 0) {
        family = AF_INET;
        addr += 12;
    }
    if (family == AF_INET) {
        key[0] = 4;
        memcpy(key + 1, addr, 4);
    } else {
        key[0] = 6;
        memcpy(key + 1, addr, 8);
    }
}

void ratelimit_key_name(const char *name, unsigned char key[RATELIMIT_KEY_BYTES])
{
    size_t n = strlen(name);
    if (n > RATELIMIT_KEY_BYTES - 1)
        n = RATELIMIT_KEY_BYTES - 1;
    memset(key, 0, RATELIMIT_KEY_BYTES);
    key[0] = 'n'; /* addresses' keys start with 4 or 6 */
    memcpy(key + 1, name, n);
}

/* A keyed mix (splitmix64 over the key's words): not a MAC, but a client
 * who does not know the seed cannot aim at a slot. */
static uint64_t mix(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

static uint64_t hash(const struct ratelimit *rl, const unsigned char *key)
{
    uint64_t h = rl->seed;
    for (int w = 0; w < RATELIMIT_KEY_BYTES / 8; w++) {
        uint64_t v = 0;
        for (int i = 0; i < 8; i++)
            v = (v << 8) | key[w * 8 + i];
        h = mix(h ^ v);
    }
    return h;
}

/* Tokens of b at now, capped at the burst. */
static int64_t refill(const struct bucket *b, int64_t now_ms, int64_t per_minute, int64_t cap)
{
    int64_t elapsed = now_ms - b->at;
    if (elapsed <= 0)
        return b->tokens < cap ? b->tokens : cap;
    /* Past the time a bucket takes to fill from empty it is full: the
     * product below stays under cap, no overflow. */
    if (elapsed >= cap / per_minute + 1)
        return cap;
    int64_t t = b->tokens + elapsed * per_minute;
    return t < cap ? t : cap;
}

int ratelimit_take(struct ratelimit *rl, const unsigned char key[RATELIMIT_KEY_BYTES],
                   int64_t now_ms, int64_t per_minute, int64_t burst, int64_t *retry_after_s)
{
    if (per_minute < 1)
        per_minute = 1;
    if (burst < 1)
        burst = 1;
    if (burst > MAX_RATE)
        burst = MAX_RATE;
    if (per_minute > MAX_RATE)
        per_minute = MAX_RATE;
    int64_t cap = burst * UNIT;
    size_t start = (size_t)hash(rl, key) & rl->mask;
    struct bucket *found = NULL, *free_slot = NULL, *full = NULL, *oldest = NULL;
    for (size_t i = 0; i < RATELIMIT_PROBES; i++) {
        struct bucket *b = &rl->b[(start + i) & rl->mask];
        if (!b->used) {
            if (!free_slot)
                free_slot = b;
            continue;
        }
        if (memcmp(b->key, key, RATELIMIT_KEY_BYTES) == 0) {
            found = b;
            break;
        }
        if (!full && refill(b, now_ms, per_minute, cap) >= cap)
            full = b;
        if (!oldest || b->at < oldest->at)
            oldest = b;
    }
    if (!found) {
        found = free_slot ? free_slot : full ? full : oldest;
        if (!found->used)
            rl->used++;
        memcpy(found->key, key, RATELIMIT_KEY_BYTES);
        found->used = 1;
        found->tokens = cap;
        found->at = now_ms;
    }
    int64_t tokens = refill(found, now_ms, per_minute, cap);
    if (now_ms > found->at)
        found->at = now_ms;
    if (tokens >= UNIT) {
        found->tokens = tokens - UNIT;
        return 1;
    }
    found->tokens = tokens;
    if (retry_after_s) {
        /* ms until one whole token, at per_minute units a millisecond. */
        int64_t ms = (UNIT - tokens + per_minute - 1) / per_minute;
        int64_t s = (ms + 999) / 1000;
        *retry_after_s = s < 1 ? 1 : s;
    }
    return 0;
}
