/*
 * keys.h — owns the API keys of partners, platforms, banks and police units:
 * their format, generation and hashing (pure), the `relay48 key` command
 * (blocking libpq, command line only), and the daemon's in-memory cache of
 * valid keys (asynchronous, on the loop thread).
 *
 * A key reads "r48_<id>_<secret>": <id> is 10 and <secret> 40 characters of
 * lower-case Crockford base32 ("0123456789abcdefghjkmnpqrstvwxyz"), drawn from
 * OpenSSL's RAND_bytes (50 + 200 bits). The id is public: it names the key in
 * `relay48 key list`, in logs and in cases.submitted_by. The database keeps
 * id, party, role and the SHA-256 of the whole key string; the key itself is
 * printed once by `relay48 key create` and is never stored or logged.
 *
 * Roles (api_keys.role):
 *   partner               a CSIRT or victim-help platform pushing reports;
 *   platform              a declaration platform (Perceval-style);
 *   bank:<BIC>            a bank fraud desk, BIC of its primary office;
 *   police:<département>  a police unit ("31", "2A", "974"...), or
 *   police:NATIONAL       the national desk (unknown départements).
 */
#ifndef RELAY48_KEYS_H
#define RELAY48_KEYS_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdio.h>

#include "common.h"

#define KEYS_ID_LEN     10
#define KEYS_SECRET_LEN 40
/* "r48_" + id + "_" + secret; buffers are KEYS_LEN + 1. */
#define KEYS_LEN      (4 + KEYS_ID_LEN + 1 + KEYS_SECRET_LEN)
#define KEYS_HASH_LEN 32
/* Party names: 1..200 bytes of UTF-8, no control characters. */
#define KEYS_PARTY_MAX 200
/* Longest role: "bank:" + an 11-character BIC. */
#define KEYS_ROLE_MAX 32
/* Bound of the daemon's cache; more valid keys than this is refused. */
#define KEYS_CACHE_MAX 100000
/* Default refresh period of the cache. */
#define KEYS_REFRESH_MS 2000

/* Who a valid key belongs to. */
struct keys_party {
    char id[KEYS_ID_LEN + 1];
    char party[KEYS_PARTY_MAX + 1];
    char role[KEYS_ROLE_MAX + 1];
};

/* ---- pure ---------------------------------------------------------------- */

/*
 * A new random key into key_out (n >= KEYS_LEN + 1) and its id into id_out.
 * -1 when n is too small or the random generator fails (both buffers are then
 * ""). The caller should OPENSSL_cleanse key_out once it has been shown.
 */
int keys_generate(char *key_out, size_t n, char id_out[KEYS_ID_LEN + 1]) RELAY_MUSTCHECK;

/* SHA-256 of the key string (its bytes up to the NUL): what api_keys.key_hash holds. */
void keys_hash(const char *key, unsigned char out[KEYS_HASH_LEN]);

/* 0 with the id in id_out when key has the exact shape of a key, -1 (id_out
 * "") otherwise. Upper-case letters and the Crockford letters i, l, o, u are
 * refused: a key is compared byte for byte. */
int keys_split(const char *key, char id_out[KEYS_ID_LEN + 1]) RELAY_MUSTCHECK;

/*
 * Extract the key from an Authorization header value: "Bearer" (any case),
 * one or more spaces, then a string of the exact key shape and nothing after
 * it. 0 with the key in key_out (n >= KEYS_LEN + 1), -1 (key_out "")
 * otherwise, NULL included.
 */
int keys_parse_bearer(const char *authorization_header, char *key_out, size_t n) RELAY_MUSTCHECK;

/*
 * Canonical form of a role: "partner", "platform", "bank:" + BIC upper-cased
 * (bic_check; a branch code "XXX", which names the primary office, is
 * dropped: "bank:bnpafrppxxx" -> "bank:BNPAFRPP"), "police:" + a département
 * code of postal.h or NATIONAL, upper-cased ("police:2a" -> "police:2A").
 * The prefixes are lower case exactly. 0, or -1 with out "" and a message.
 */
int keys_role_normalise(const char *role, char out[KEYS_ROLE_MAX + 1], char *errstr,
                        size_t errstr_size) RELAY_MUSTCHECK;

/* keys_role_normalise without the result: 0 when the role is acceptable. */
int keys_role_check(const char *role, char *errstr, size_t errstr_size) RELAY_MUSTCHECK;

/* 1..KEYS_PARTY_MAX bytes of valid UTF-8 without control characters. */
int keys_party_check(const char *party, char *errstr, size_t errstr_size) RELAY_MUSTCHECK;

/* ---- command line (blocking libpq; never on the loop thread) --------------- */

/*
 * Insert a new key for party and role (checked and normalised here). 0 with
 * the key in key_out (n >= KEYS_LEN + 1) and its id in id_out, -1 with a
 * message. The key is in no message.
 */
int keys_create(PGconn *c, const char *party, const char *role, char *key_out, size_t n,
                char id_out[KEYS_ID_LEN + 1], char *errstr, size_t errstr_size) RELAY_MUSTCHECK;

/* Mark the key revoked now. 0 revoked, 1 it was already revoked (unchanged),
 * -1 no such key or a database error. id is an id, or a whole key. */
int keys_revoke(PGconn *c, const char *id, char *errstr, size_t errstr_size) RELAY_MUSTCHECK;

/* Print every key (id, party, role, created, revoked; never the hash) as an
 * aligned table with a header line, oldest first. */
int keys_list(PGconn *c, FILE *out, char *errstr, size_t errstr_size) RELAY_MUSTCHECK;

/*
 * `relay48 key ...`; argv[0] is the first word after "key". Returns the
 * process exit code: 0, 1 (an error, with a message on stderr) or 2 (bad
 * usage or a bad argument value). Subcommands:
 *   create --party NAME --role ROLE   the key alone on stdout, a hint on stderr
 *   list                              the table of keys
 *   revoke ID                         revoke (idempotent)
 *   verify [--refresh-ms N]           read keys ("r48_..." or "Bearer r48_...")
 *                                     from stdin, one a line, and answer each
 *                                     through the daemon's cache (keys_cache)
 *                                     after its next load: "ok ID ROLE PARTY"
 *                                     or "refused"; exit 1 if any was refused
 */
int keys_main(const char *conninfo, int argc, char **argv);

/* ---- the daemon's cache (loop thread) --------------------------------------- */

struct event_base;
struct db;
struct keys_cache;

/*
 * Load every non-revoked key (id, party, role, key_hash) through db (text
 * SQL, db_send with a NULL name, then db_sync) now and then every refresh_ms
 * (<= 0: KEYS_REFRESH_MS), and until the first load succeeded every
 * min(refresh_ms, 100) ms. A load replaces the table at once, and only when
 * it succeeded: an error, a lost connection (a NULL result) or more than
 * KEYS_CACHE_MAX keys keeps the previous table and is logged.
 *
 * So a revoked key stops working within refresh_ms (plus one query) after
 * `relay48 key revoke`, and a new key works within the same delay; while
 * PostgreSQL is unreachable the last loaded table stays in force.
 *
 * db stays the caller's and must outlive the cache or be freed after it;
 * the cache sends one statement at a time. NULL when out of memory.
 */
struct keys_cache *keys_cache_new(struct event_base *base, struct db *db, int refresh_ms);

/*
 * Check an Authorization header value: 0 and out filled when it is
 * "Bearer <key>" for a key of the table (looked up by id, then the SHA-256
 * of the presented key compared with CRYPTO_memcmp), -1 otherwise, before
 * the first load included.
 */
int keys_cache_lookup(struct keys_cache *c, const char *authorization_header,
                      struct keys_party *out) RELAY_MUSTCHECK;

struct config;
struct evhttp_request;

/*
 * Rate-limit the authenticated API per key: a token bucket per key id
 * (ratelimit.h) of cfg's api.rate_slots buckets, refilled at
 * api.rate_per_minute up to api.rate_burst, both read at each request so
 * that SIGHUP applies them at once. cfg must outlive the cache. -1 when out
 * of memory. Without this call, keys_cache_authorise does not limit.
 */
int keys_cache_set_rate(struct keys_cache *c, const struct config *cfg) RELAY_MUSTCHECK;

/*
 * Authenticate an API request: 0 with *out filled when its Authorization
 * header holds a valid key (keys_cache_lookup) and that key has a token
 * left. Otherwise the answer is sent and its status returned: 401
 * unauthorized (with WWW-Authenticate), 429 rate_limited (with
 * Retry-After), or 503 not_ready (with Retry-After) while no load of the
 * keys has answered yet since the start. The key is checked before its bucket is touched, so only
 * its holder can spend its tokens; refusing costs a SHA-256 and a lookup,
 * before any body is parsed or any statement sent.
 */
int keys_cache_authorise(struct keys_cache *c, struct evhttp_request *req,
                         struct keys_party *out) RELAY_MUSTCHECK;

/* 1 once a load succeeded (readiness), 0 before. */
int keys_cache_loaded(const struct keys_cache *c);

/* Keys in the current table. */
size_t keys_cache_count(const struct keys_cache *c);

/* A load in flight is abandoned: its result is dropped when it comes. */
void keys_cache_free(struct keys_cache *c);

#endif
