/* keys.c — API keys: format, hashing, `relay48 key`, the daemon's cache; see keys.h. */
#include "keys.h"

#include <event2/event.h>
#include <event2/http.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "db.h"
#include "hex.h"
#include "http.h"
#include "iban.h"
#include "log.h"
#include "metrics.h"
#include "postal.h"
#include "problem.h"
#include "ratelimit.h"
#include "reload.h"

/* Crockford's base32 in lower case: no i, l, o, u. */
static const char crockford[] = "0123456789abcdefghjkmnpqrstvwxyz";

#define KEYS_PREFIX     "r48_"
#define KEYS_PREFIX_LEN 4
/* Creation retries when a random id is already taken. */
#define KEYS_CREATE_TRIES 3
/* How long `key verify` waits for a load before giving up. */
#define KEYS_VERIFY_TIMEOUT_MS 10000

static int is_crockford(char c)
{
    return c != '\0' && strchr(crockford, c) != NULL;
}

static void set_err(char *errstr, size_t errstr_size, const char *msg)
{
    if (errstr && errstr_size)
        snprintf(errstr, errstr_size, "%s", msg);
}

/* ---- pure ------------------------------------------------------------------ */

int keys_generate(char *key_out, size_t n, char id_out[KEYS_ID_LEN + 1])
{
    unsigned char rnd[KEYS_ID_LEN + KEYS_SECRET_LEN];

    if (key_out && n)
        key_out[0] = '\0';
    id_out[0] = '\0';
    if (!key_out || n < KEYS_LEN + 1)
        return -1;
    if (RAND_bytes(rnd, (int)sizeof(rnd)) != 1)
        return -1;
    /* 256 is a multiple of 32: the low 5 bits of a random byte are uniform. */
    char *p = key_out;
    memcpy(p, KEYS_PREFIX, KEYS_PREFIX_LEN);
    p += KEYS_PREFIX_LEN;
    for (size_t i = 0; i < KEYS_ID_LEN; i++)
        *p++ = crockford[rnd[i] & 31];
    *p++ = '_';
    for (size_t i = 0; i < KEYS_SECRET_LEN; i++)
        *p++ = crockford[rnd[KEYS_ID_LEN + i] & 31];
    *p = '\0';
    OPENSSL_cleanse(rnd, sizeof(rnd));
    memcpy(id_out, key_out + KEYS_PREFIX_LEN, KEYS_ID_LEN);
    id_out[KEYS_ID_LEN] = '\0';
    return 0;
}

void keys_hash(const char *key, unsigned char out[KEYS_HASH_LEN])
{
    unsigned int len = 0;
    if (!EVP_Digest(key, strlen(key), out, &len, EVP_sha256(), NULL) || len != KEYS_HASH_LEN) {
        /* Only on a broken OpenSSL; a hash of zeros matches nothing stored. */
        memset(out, 0, KEYS_HASH_LEN);
    }
}

int keys_split(const char *key, char id_out[KEYS_ID_LEN + 1])
{
    id_out[0] = '\0';
    if (!key || strncmp(key, KEYS_PREFIX, KEYS_PREFIX_LEN) != 0)
        return -1;
    const char *id = key + KEYS_PREFIX_LEN;
    for (size_t i = 0; i < KEYS_ID_LEN; i++) {
        if (!is_crockford(id[i]))
            return -1;
    }
    if (id[KEYS_ID_LEN] != '_')
        return -1;
    const char *secret = id + KEYS_ID_LEN + 1;
    for (size_t i = 0; i < KEYS_SECRET_LEN; i++) {
        if (!is_crockford(secret[i]))
            return -1;
    }
    if (secret[KEYS_SECRET_LEN] != '\0')
        return -1;
    memcpy(id_out, id, KEYS_ID_LEN);
    id_out[KEYS_ID_LEN] = '\0';
    return 0;
}

int keys_parse_bearer(const char *h, char *key_out, size_t n)
{
    static const char scheme[] = "bearer";
    char id[KEYS_ID_LEN + 1];

    if (key_out && n)
        key_out[0] = '\0';
    if (!h || !key_out || n < KEYS_LEN + 1)
        return -1;
    for (size_t i = 0; i < sizeof(scheme) - 1; i++) {
        char c = h[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != scheme[i])
            return -1;
    }
    const char *p = h + sizeof(scheme) - 1;
    if (*p != ' ')
        return -1;
    while (*p == ' ')
        p++;
    if (keys_split(p, id) != 0)
        return -1;
    memcpy(key_out, p, KEYS_LEN + 1);
    return 0;
}

int keys_role_normalise(const char *role, char out[KEYS_ROLE_MAX + 1], char *errstr,
                        size_t errstr_size)
{
    char q[16]; /* longest: an 11-character BIC, "NATIONAL" */

    out[0] = '\0';
    if (!role || !*role) {
        set_err(errstr, errstr_size,
                "empty role: expected partner, platform, bank:<BIC> or police:<département>");
        return -1;
    }
    if (strcmp(role, "partner") == 0 || strcmp(role, "platform") == 0) {
        snprintf(out, KEYS_ROLE_MAX + 1, "%s", role);
        return 0;
    }
    const char *colon = strchr(role, ':');
    size_t qlen = colon ? strlen(colon + 1) : 0;
    if (!colon || qlen == 0 || qlen >= sizeof(q)) {
        snprintf(errstr, errstr_size,
                 "unknown role \"%.40s\": expected partner, platform, bank:<BIC> or "
                 "police:<département>",
                 role);
        return -1;
    }
    for (size_t i = 0; i <= qlen; i++) {
        char c = colon[1 + i];
        q[i] = c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
    }
    size_t plen = (size_t)(colon - role);
    if (plen == 4 && strncmp(role, "bank", 4) == 0) {
        if (bic_check(q) != 0) {
            snprintf(errstr, errstr_size,
                     "bad role \"%.40s\": \"%.20s\" is not a BIC (8 or 11 characters, "
                     "e.g. BNPAFRPP)",
                     role, colon + 1);
            return -1;
        }
        /* "XXX" is the primary office's branch code: one name for one office. */
        if (qlen == 11 && strcmp(q + 8, "XXX") == 0)
            q[8] = '\0';
        snprintf(out, KEYS_ROLE_MAX + 1, "bank:%s", q);
        return 0;
    }
    if (plen == 6 && strncmp(role, "police", 6) == 0) {
        if (strcmp(q, "NATIONAL") != 0 && departement_check(q) != 0) {
            snprintf(errstr, errstr_size,
                     "bad role \"%.40s\": \"%.20s\" is not a département code (01..95, 2A, "
                     "2B, 971..978, 986..988) nor NATIONAL",
                     role, colon + 1);
            return -1;
        }
        snprintf(out, KEYS_ROLE_MAX + 1, "police:%s", q);
        return 0;
    }
    snprintf(errstr, errstr_size,
             "unknown role \"%.40s\": expected partner, platform, bank:<BIC> or "
             "police:<département>",
             role);
    return -1;
}

int keys_role_check(const char *role, char *errstr, size_t errstr_size)
{
    char out[KEYS_ROLE_MAX + 1];
    return keys_role_normalise(role, out, errstr, errstr_size);
}

/* Valid UTF-8 (no overlong forms, no surrogates, at most U+10FFFF) and no
 * control character (C0, DEL, C1). */
static int text_ok(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i];
        if (c < 0x20 || c == 0x7f)
            return 0;
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t need;
        unsigned cp;
        if (c >= 0xc2 && c <= 0xdf) {
            need = 1;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            need = 2;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            need = 3;
            cp = c & 0x07;
        } else {
            return 0;
        }
        if (len - i <= need)
            return 0;
        for (size_t k = 1; k <= need; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if ((need == 2 && cp < 0x800) || (need == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp < 0xa0))
            return 0;
        i += need + 1;
    }
    return 1;
}

int keys_party_check(const char *party, char *errstr, size_t errstr_size)
{
    size_t len = party ? strnlen(party, KEYS_PARTY_MAX + 1) : 0;
    if (len == 0) {
        set_err(errstr, errstr_size, "empty party name");
        return -1;
    }
    if (len > KEYS_PARTY_MAX) {
        snprintf(errstr, errstr_size, "party name longer than %d bytes", KEYS_PARTY_MAX);
        return -1;
    }
    if (!text_ok((const unsigned char *)party, len)) {
        set_err(errstr, errstr_size, "party name must be UTF-8 text without control characters");
        return -1;
    }
    return 0;
}

/* ---- the daemon's cache ------------------------------------------------------ */

struct key_entry {
    struct keys_party p;
    unsigned char hash[KEYS_HASH_LEN];
};

struct keys_cache {
    struct event_base *base;
    struct reload *reload;
    struct key_entry *table; /* sorted by id */
    size_t n;
    /* Called after each load attempt; only `relay48 key verify` sets it. */
    void (*on_load)(struct keys_cache *c, void *arg);
    void *on_load_arg;
    /* Per-key rate limit (keys_cache_set_rate); NULL: none. */
    struct ratelimit *rl;
    const struct config *cfg;
};

static const char keys_load_sql[] =
    "SELECT id, party, role, encode(key_hash, 'hex') FROM api_keys WHERE revoked_at IS NULL";

static int entry_cmp(const void *a, const void *b)
{
    return strcmp(((const struct key_entry *)a)->p.id, ((const struct key_entry *)b)->p.id);
}

/* Fill e from one row; 0, or -1 when the row cannot be a valid key. */
static int entry_from_row(const PGresult *res, int row, struct key_entry *e)
{
    const char *id = PQgetvalue(res, row, 0);
    const char *party = PQgetvalue(res, row, 1);
    const char *role = PQgetvalue(res, row, 2);
    const char *hex = PQgetvalue(res, row, 3);
    if (strlen(id) != KEYS_ID_LEN || strlen(party) > KEYS_PARTY_MAX ||
        strlen(role) > KEYS_ROLE_MAX || strlen(hex) != 2 * KEYS_HASH_LEN)
        return -1;
    for (size_t i = 0; i < KEYS_ID_LEN; i++) {
        if (!is_crockford(id[i]))
            return -1;
    }
    size_t hlen = 0;
    if (hex_decode(hex, e->hash, KEYS_HASH_LEN, &hlen) != 0)
        return -1;
    memcpy(e->p.id, id, KEYS_ID_LEN + 1);
    memcpy(e->p.party, party, strlen(party) + 1);
    memcpy(e->p.role, role, strlen(role) + 1);
    return 0;
}

/* Loop thread: the answer to keys_load_sql, for reload.h. */
static int apply(void *owner, const PGresult *res, int announce, char *why, size_t why_size)
{
    struct keys_cache *c = owner;
    size_t n = 0, skipped = 0;
    int rows = PQntuples(res);
    if (rows > KEYS_CACHE_MAX) {
        snprintf(why, why_size, "%d valid keys, more than the bound of %d", rows, KEYS_CACHE_MAX);
        return -1;
    }
    struct key_entry *t = calloc((size_t)rows + 1, sizeof(*t));
    if (!t) {
        snprintf(why, why_size, "out of memory");
        return -1;
    }
    for (int i = 0; i < rows; i++) {
        if (entry_from_row(res, i, &t[n]) == 0)
            n++;
        else
            skipped++;
    }
    qsort(t, n, sizeof(*t), entry_cmp);
    if (skipped)
        log_warn("keys.bad_rows", "%zu rows of api_keys ignored: not the shape of a key", skipped);
    if (announce || n != c->n)
        log_info("keys.loaded", "%zu keys", n);
    /* The swap: lookups run on this same thread, so they see one table or the other. */
    if (c->table)
        OPENSSL_cleanse(c->table, c->n * sizeof(*c->table));
    free(c->table);
    c->table = t;
    c->n = n;
    return 0;
}

static size_t count(const void *owner)
{
    return ((const struct keys_cache *)owner)->n;
}

static void attempted(void *owner)
{
    struct keys_cache *c = owner;
    if (c->on_load)
        c->on_load(c, c->on_load_arg);
}

struct keys_cache *keys_cache_new(struct event_base *base, struct db *db, int refresh_ms)
{
    struct keys_cache *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->base = base;
    struct reload_options o = {
        .name = "keys",
        .noun = "keys",
        .sql = keys_load_sql,
        .nfields = 4,
        .refresh_ms = refresh_ms > 0 ? refresh_ms : KEYS_REFRESH_MS,
        .apply = apply,
        .count = count,
        .attempted = attempted,
        .owner = c,
    };
    c->reload = reload_new(base, db, &o);
    if (!c->reload) {
        free(c);
        return NULL;
    }
    return c;
}

int keys_cache_lookup(struct keys_cache *c, const char *authorization_header,
                      struct keys_party *out)
{
    char key[KEYS_LEN + 1];
    struct key_entry probe;
    int rc = -1;

    if (!c || !c->n || keys_parse_bearer(authorization_header, key, sizeof(key)) != 0)
        return -1;
    if (keys_split(key, probe.p.id) != 0)
        goto done;
    const struct key_entry *e = bsearch(&probe, c->table, c->n, sizeof(*c->table), entry_cmp);
    if (!e)
        goto done;
    unsigned char h[KEYS_HASH_LEN];
    keys_hash(key, h);
    if (CRYPTO_memcmp(h, e->hash, KEYS_HASH_LEN) != 0)
        goto done;
    if (out)
        *out = e->p;
    rc = 0;
done:
    OPENSSL_cleanse(key, sizeof(key));
    return rc;
}

int keys_cache_set_rate(struct keys_cache *c, const struct config *cfg)
{
    uint64_t seed = 0;
    if (RAND_bytes((unsigned char *)&seed, sizeof(seed)) != 1)
        return -1;
    struct ratelimit *rl = ratelimit_new((size_t)cfg->api_rate_slots, seed);
    if (!rl)
        return -1;
    ratelimit_free(c->rl);
    c->rl = rl;
    c->cfg = cfg;
    metrics_describe("relay48_api_rate_limited_total", METRIC_COUNTER,
                     "Authenticated API requests refused 429 by the per-key rate limit.");
    return 0;
}

int keys_cache_authorise(struct keys_cache *c, struct evhttp_request *req, struct keys_party *out)
{
    const char *auth = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
    if (!keys_cache_loaded(c)) {
        /* Just after a start no key is known yet: a 401 would tell a partner
         * its valid key is wrong, and it would not send the report again. */
        problem_reply(req, PROBLEM_NOT_READY, "starting: the API keys are not loaded yet",
                      c->cfg ? (int)c->cfg->retry_after_s : 2);
        return 503;
    }
    if (!auth || keys_cache_lookup(c, auth, out) != 0) {
        evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate",
                          "Bearer realm=\"relay48\"");
        problem_reply(req, PROBLEM_UNAUTHORIZED, NULL, 0);
        return 401;
    }
    if (!c->rl)
        return 0;
    unsigned char key[RATELIMIT_KEY_BYTES];
    int64_t retry = 1;
    ratelimit_key_name(out->id, key);
    if (ratelimit_take(c->rl, key, http_now_us() / 1000, c->cfg->api_rate_per_minute,
                       c->cfg->api_rate_burst, &retry))
        return 0;
    metrics_add("relay48_api_rate_limited_total", 1);
    problem_reply(req, PROBLEM_RATE_LIMITED,
                  "this API key sent more than api.rate_per_minute requests a minute",
                  retry > 3600 ? 3600 : (int)retry);
    return 429;
}

int keys_cache_loaded(const struct keys_cache *c)
{
    return c && reload_loaded(c->reload);
}

size_t keys_cache_count(const struct keys_cache *c)
{
    return c ? c->n : 0;
}

void keys_cache_free(struct keys_cache *c)
{
    if (!c)
        return;
    reload_free(c->reload);
    if (c->table)
        OPENSSL_cleanse(c->table, c->n * sizeof(*c->table));
    free(c->table);
    ratelimit_free(c->rl);
    free(c);
}

/* ---- command line ------------------------------------------------------------ */

int keys_create(PGconn *c, const char *party, const char *role, char *key_out, size_t n,
                char id_out[KEYS_ID_LEN + 1], char *errstr, size_t errstr_size)
{
    char canon[KEYS_ROLE_MAX + 1];
    unsigned char h[KEYS_HASH_LEN];
    char hex[2 * KEYS_HASH_LEN + 1];

    if (key_out && n)
        key_out[0] = '\0';
    id_out[0] = '\0';
    if (!key_out || n < KEYS_LEN + 1) {
        set_err(errstr, errstr_size, "key buffer too small");
        return -1;
    }
    if (keys_party_check(party, errstr, errstr_size) != 0 ||
        keys_role_normalise(role, canon, errstr, errstr_size) != 0)
        return -1;
    for (int attempt = 0; attempt < KEYS_CREATE_TRIES; attempt++) {
        if (keys_generate(key_out, n, id_out) != 0) {
            set_err(errstr, errstr_size, "cannot generate a key (random generator)");
            return -1;
        }
        keys_hash(key_out, h);
        hex_encode(h, KEYS_HASH_LEN, hex);
        const char *params[4] = {id_out, party, canon, hex};
        PGresult *r = PQexecParams(c,
                                   "INSERT INTO api_keys (id, party, role, key_hash) "
                                   "VALUES ($1, $2, $3, decode($4, 'hex'))",
                                   4, NULL, params, NULL, NULL, 0);
        ExecStatusType st = PQresultStatus(r);
        const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        int taken = st == PGRES_FATAL_ERROR && state && strcmp(state, "23505") == 0;
        if (st == PGRES_COMMAND_OK) {
            PQclear(r);
            return 0;
        }
        cli_pq_error(errstr, errstr_size, "cannot store the key", PQresultErrorMessage(r));
        PQclear(r);
        OPENSSL_cleanse(key_out, n);
        id_out[0] = '\0';
        if (!taken)
            return -1;
        /* 2^50 ids: a collision is a freak, draw again. */
    }
    return -1;
}

/* The id named by a command-line argument: an id, or a whole key. */
static int id_from_arg(const char *arg, char id[KEYS_ID_LEN + 1], char *errstr, size_t errstr_size)
{
    /* A whole key is accepted too: whoever holds a leaked key revokes it. */
    if (keys_split(arg, id) == 0)
        return 0;
    size_t len = strlen(arg);
    int ok = len == KEYS_ID_LEN;
    for (size_t i = 0; ok && i < len; i++)
        ok = is_crockford(arg[i]);
    if (!ok) {
        snprintf(errstr, errstr_size,
                 "\"%.20s\" is not a key id (10 characters of 0-9 and a-z, as in "
                 "`relay48 key list`)",
                 arg);
        return -1;
    }
    memcpy(id, arg, KEYS_ID_LEN + 1);
    return 0;
}

int keys_revoke(PGconn *c, const char *arg, char *errstr, size_t errstr_size)
{
    char id[KEYS_ID_LEN + 1];

    if (id_from_arg(arg, id, errstr, errstr_size) != 0)
        return -1;
    int rc = cli_set_state(
        c, "UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL",
        "SELECT 1 FROM api_keys WHERE id = $1", id, "cannot revoke", errstr, errstr_size);
    if (rc == 2) {
        snprintf(errstr, errstr_size, "no key with id %s", id);
        return -1;
    }
    return rc;
}

int keys_list(PGconn *c, FILE *out, char *errstr, size_t errstr_size)
{
    static const char *const head[5] = {"ID", "PARTY", "ROLE", "CREATED", "REVOKED"};
    return cli_list(c, out,
                    "SELECT id, party, role,"
                    " to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
                    " coalesce(to_char(revoked_at AT TIME ZONE 'UTC',"
                    " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '-')"
                    " FROM api_keys ORDER BY created_at, id",
                    head, 5, "cannot list the keys", errstr, errstr_size);
}

static void keys_usage(FILE *out)
{
    fprintf(out,
            "usage: relay48 [-c FILE] key create --party NAME --role ROLE\n"
            "       relay48 [-c FILE] key list\n"
            "       relay48 [-c FILE] key revoke ID\n"
            "       relay48 [-c FILE] key verify [--refresh-ms N] < keys\n"
            "  create  print a new key on stdout, once: it is stored only as a SHA-256\n"
            "  list    id, party, role, created, revoked of every key\n"
            "  revoke  the daemon refuses the key within its refresh period (2 s)\n"
            "  verify  check keys read from stdin as the daemon does\n"
            "ROLE: partner | platform | bank:<BIC> | police:<département> | police:NATIONAL\n");
}

struct verify_state {
    int timed_out;
};

static void on_verify_load(struct keys_cache *c, void *arg)
{
    event_base_loopbreak(c->base);
}

static void on_verify_timeout(evutil_socket_t fd, short what, void *arg)
{
    struct verify_state *v = arg;
    v->timed_out = 1;
}

/* `key verify`: each line is answered through a keys_cache after a load that
 * started once the line was read, so it reflects the database at that time. */
static int keys_verify(const char *conninfo, int refresh_ms)
{
    struct event_base *base = NULL;
    struct db *db = NULL;
    struct keys_cache *cache = NULL;
    struct event *ev_timeout = NULL;
    struct verify_state v = {0};
    char err[256];
    char line[512];
    int rc = 1, refused = 0;

    /* Fail fast and clearly when the database cannot be reached at all; the
     * cache's own connection retries quietly: the answers are the output, the
     * JSON log lines of a daemon would be noise. */
    PGconn *probe = cli_connect(conninfo, "key", "verify");
    if (!probe)
        return 1;
    PQfinish(probe);
    if (log_get_level() < LOG_ERROR)
        log_set_level(LOG_ERROR);
    base = event_base_new();
    if (!base)
        goto fail;
    struct db_options opt = {.conninfo = conninfo, .name = "keys", .retry_max_ms = 1000};
    db = db_new(base, &opt, err, sizeof(err));
    if (!db) {
        fprintf(stderr, "relay48 key verify: %s\n", err);
        goto fail;
    }
    cache = keys_cache_new(base, db, refresh_ms);
    ev_timeout = evtimer_new(base, on_verify_timeout, &v);
    if (!cache || !ev_timeout) {
        fprintf(stderr, "relay48 key verify: out of memory\n");
        goto fail;
    }
    cache->on_load = on_verify_load;
    while (fgets(line, sizeof(line), stdin)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0])
            continue;
        uint64_t wanted = reload_done(cache->reload) ? reload_sent(cache->reload) + 1 : 1;
        struct timeval tv = {(refresh_ms + KEYS_VERIFY_TIMEOUT_MS) / 1000, 0};
        evtimer_add(ev_timeout, &tv);
        while (reload_done(cache->reload) < wanted && !v.timed_out)
            event_base_loop(base, EVLOOP_ONCE);
        evtimer_del(ev_timeout);
        if (v.timed_out) {
            const char *why = reload_last_error(cache->reload);
            fprintf(stderr, "relay48 key verify: could not load the keys: %s\n",
                    why[0] ? why : "no answer");
            OPENSSL_cleanse(line, sizeof(line));
            goto fail;
        }
        char header[sizeof(line) + 8];
        snprintf(header, sizeof(header), "%s%s", strncmp(line, "r48_", 4) == 0 ? "Bearer " : "",
                 line);
        struct keys_party p;
        if (keys_cache_lookup(cache, header, &p) == 0) {
            printf("ok %s %s %s\n", p.id, p.role, p.party);
        } else {
            printf("refused\n");
            refused = 1;
        }
        fflush(stdout);
        OPENSSL_cleanse(line, sizeof(line));
        OPENSSL_cleanse(header, sizeof(header));
    }
    rc = refused ? 1 : 0;
fail:
    if (ev_timeout)
        event_free(ev_timeout);
    keys_cache_free(cache);
    db_free(db);
    if (base)
        event_base_free(base);
    return rc;
}

enum keys_cmd { KEYS_CREATE, KEYS_LIST, KEYS_REVOKE, KEYS_VERIFY };

int keys_main(const char *conninfo, int argc, char **argv)
{
    static const char *const names[] = {"create", "list", "revoke", "verify"};
    const char *sub = argc > 0 ? argv[0] : NULL;
    const char *party = NULL, *role = NULL, *id = NULL;
    int refresh_ms = KEYS_REFRESH_MS;
    char err[512];
    char kid[KEYS_ID_LEN + 1];
    int rc = 1;
    int cmd = cli_subcommand("key", argc, argv, names, RELAY_ARRAY_LEN(names), keys_usage, &rc);
    if (cmd < 0)
        return rc;
    for (int i = 1; i < argc; i++) {
        const char *val;
        if (cmd == KEYS_CREATE && (val = cli_option_value(argc, argv, &i, "--party"))) {
            party = val;
        } else if (cmd == KEYS_CREATE && (val = cli_option_value(argc, argv, &i, "--role"))) {
            role = val;
        } else if (cmd == KEYS_VERIFY && (val = cli_option_value(argc, argv, &i, "--refresh-ms"))) {
            long ms = 0;
            if (cli_parse_long(val, 10, 3600000, &ms) != 0) {
                fprintf(stderr, "relay48 key verify: --refresh-ms takes 10..3600000\n");
                return 2;
            }
            refresh_ms = (int)ms;
        } else if (cmd == KEYS_REVOKE && !id && argv[i][0] != '-') {
            id = argv[i];
        } else {
            return cli_unexpected("key", sub, argv[i], keys_usage);
        }
    }
    if (cmd == KEYS_CREATE) {
        if (!party || !role) {
            fprintf(stderr, "relay48 key create: --party and --role are required\n");
            keys_usage(stderr);
            return 2;
        }
        if (keys_party_check(party, err, sizeof(err)) != 0 ||
            keys_role_check(role, err, sizeof(err)) != 0) {
            fprintf(stderr, "relay48 key create: %s\n", err);
            return 2;
        }
    } else if (cmd == KEYS_REVOKE) {
        if (!id) {
            fprintf(stderr, "relay48 key revoke: which key? give its ID (see `relay48 key "
                            "list`)\n");
            return 2;
        }
        if (id_from_arg(id, kid, err, sizeof(err)) != 0) {
            fprintf(stderr, "relay48 key revoke: %s\n", err);
            return 2;
        }
    } else if (cmd == KEYS_VERIFY) {
        return keys_verify(conninfo, refresh_ms);
    }

    PGconn *c = cli_connect(conninfo, "key", sub);
    if (!c)
        return 1;
    rc = 1;
    if (cmd == KEYS_CREATE) {
        char key[KEYS_LEN + 1], canon[KEYS_ROLE_MAX + 1];
        if (keys_create(c, party, role, key, sizeof(key), kid, err, sizeof(err)) == 0 &&
            keys_role_normalise(role, canon, err, sizeof(err)) == 0) {
            printf("%s\n", key);
            fflush(stdout);
            OPENSSL_cleanse(key, sizeof(key));
            fprintf(stderr,
                    "relay48: key %s created for \"%s\" (%s). It is printed above once and "
                    "stored only as a SHA-256:\nhand it over on a secure channel now; a lost "
                    "key is revoked (relay48 key revoke %s) and replaced.\n",
                    kid, party, canon, kid);
            rc = 0;
        } else {
            fprintf(stderr, "relay48 key create: %s\n", err);
        }
    } else if (cmd == KEYS_REVOKE) {
        int r = keys_revoke(c, kid, err, sizeof(err));
        if (r == 0)
            fprintf(stderr,
                    "relay48: key revoked; running relays refuse it within their key "
                    "refresh period (%d ms by default)\n",
                    KEYS_REFRESH_MS);
        else if (r == 1)
            fprintf(stderr, "relay48: key already revoked; nothing changed\n");
        else
            fprintf(stderr, "relay48 key revoke: %s\n", err);
        rc = r >= 0 ? 0 : 1;
    } else {
        rc = keys_list(c, stdout, err, sizeof(err)) == 0 ? 0 : 1;
        if (rc)
            fprintf(stderr, "relay48 key list: %s\n", err);
    }
    PQfinish(c);
    return rc;
}
