/* destinations.c — the connector's registry cache and endpoint health; see destinations.h. */
#include "destinations.h"

#include <event2/event.h>
#include <inttypes.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banks.h"
#include "db.h"
#include "log.h"
#include "units.h"

#define SEALED_MAX     (SIGN_SECRET_MAX + SECRETBOX_OVERHEAD)
#define FIRST_LOAD_MS  100
#define TABLE_MAX      100000
#define HEALTH_BUCKETS 256

/* Columns: 0 id key, 1 département, 2 name, 3 endpoint, 4 format, 5 hours,
 * 6 fallback, 7 gone, 8 secret id, 9 sealed hex, 10 valid_until (s or ''). */
static const char bank_sql[] =
    "SELECT b.bic, '', b.name, b.endpoint, b.format, '', 'f',"
    " CASE WHEN g.party IS NULL THEN 'f' ELSE 't' END, s.id, encode(s.sealed, 'hex'),"
    " coalesce(floor(extract(epoch FROM s.valid_until))::bigint::text, '')"
    " FROM banks b"
    " LEFT JOIN delivery_endpoints_gone g ON g.party = 'bank:' || b.bic AND g.endpoint = b.endpoint"
    " LEFT JOIN bank_secrets s ON s.bic = b.bic AND s.valid_from <= now()"
    "  AND (s.valid_until IS NULL OR s.valid_until > now())"
    " WHERE b.disabled_at IS NULL ORDER BY b.bic, s.id DESC";

static const char police_sql[] =
    "SELECT u.id::text, u.departement, u.name, u.endpoint, 'json', u.hours,"
    " CASE WHEN u.fallback THEN 't' ELSE 'f' END,"
    " CASE WHEN g.party IS NULL THEN 'f' ELSE 't' END, s.id, encode(s.sealed, 'hex'),"
    " coalesce(floor(extract(epoch FROM s.valid_until))::bigint::text, '')"
    " FROM police_units u"
    " LEFT JOIN delivery_endpoints_gone g ON g.party = 'unit:' || u.id AND g.endpoint = u.endpoint"
    " LEFT JOIN police_unit_secrets s ON s.unit_id = u.id AND s.valid_from <= now()"
    "  AND (s.valid_until IS NULL OR s.valid_until > now())"
    " WHERE u.disabled_at IS NULL ORDER BY u.id, s.id DESC";

struct health {
    char id[DEST_ID_MAX];
    int failures;
    int64_t failing_until_ms;
    struct health *next;
};

struct load {
    struct destinations *d; /* NULL: abandoned */
};

struct destinations {
    struct event_base *base;
    struct db *db;
    enum dest_role role;
    unsigned char key[SECRETBOX_KEY_LEN];
    int refresh_ms;
    int failures_to_fail;
    int64_t cooldown_ms;
    struct event *timer;
    struct destination *table;
    size_t n;
    int loaded, failing;
    struct load *inflight;
    struct health *health[HEALTH_BUCKETS];
};

static void table_free(struct destination *t, size_t n)
{
    if (!t)
        return;
    for (size_t i = 0; i < n; i++)
        free(t[i].endpoint);
    OPENSSL_cleanse(t, n * sizeof(*t));
    free(t);
}

static void schedule(struct destinations *d)
{
    int ms = d->loaded ? d->refresh_ms : FIRST_LOAD_MS;
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    evtimer_add(d->timer, &tv);
}

static void load_failed(struct destinations *d, const char *why)
{
    if (!d->failing)
        log_warn("destinations.load_failed", "keeping the %zu destinations loaded before: %s", d->n,
                 why);
    d->failing = 1;
}

static int unhex(const char *hex, unsigned char *out, size_t out_size, size_t *len)
{
    size_t n = strlen(hex);
    if (n % 2 || n / 2 > out_size)
        return -1;
    for (size_t i = 0; i < n / 2; i++) {
        int v = 0;
        for (int k = 0; k < 2; k++) {
            char c = hex[2 * i + (size_t)k];
            v <<= 4;
            if (c >= '0' && c <= '9')
                v |= c - '0';
            else if (c >= 'a' && c <= 'f')
                v |= c - 'a' + 10;
            else
                return -1;
        }
        out[i] = (unsigned char)v;
    }
    *len = n / 2;
    return 0;
}

static int open_secret(struct destinations *d, const char *key_text, const char *hex,
                       const char *until, struct dest_secret *out)
{
    unsigned char sealed[SEALED_MAX];
    char aad[64];
    size_t len;
    if (unhex(hex, sealed, sizeof(sealed), &len) != 0)
        return -1;
    if (d->role == DEST_ROLE_BANK)
        banks_secret_aad(key_text, aad, sizeof(aad));
    else
        units_secret_aad(strtoll(key_text, NULL, 10), aad, sizeof(aad));
    int rc = secretbox_open(d->key, aad, strlen(aad), sealed, len, out->key, sizeof(out->key),
                            &out->len);
    OPENSSL_cleanse(sealed, sizeof(sealed));
    if (rc != 0 || out->len < SIGN_SECRET_MIN) {
        OPENSSL_cleanse(out, sizeof(*out));
        return -1;
    }
    out->valid_until = *until ? strtoll(until, NULL, 10) : INT64_MAX;
    return 0;
}

/* Fill a new entry from row i; -1 to skip the row (logged). */
static int entry_fill(struct destinations *d, PGresult *res, int i, struct destination *e)
{
    const char *key = PQgetvalue(res, i, 0);
    char err[160];
    if (d->role == DEST_ROLE_BANK) {
        snprintf(e->id, sizeof(e->id), "bank:%s", key);
        snprintf(e->party, sizeof(e->party), "bank:%s", key);
        enum bank_format f = BANK_FORMAT_JSON;
        if (banks_format_parse(PQgetvalue(res, i, 4), &f) != 0)
            f = BANK_FORMAT_JSON;
        e->format = f == BANK_FORMAT_CAMT056 ? DEST_FORMAT_CAMT056 : DEST_FORMAT_JSON;
    } else {
        snprintf(e->id, sizeof(e->id), "unit:%s", key);
        snprintf(e->departement, sizeof(e->departement), "%s", PQgetvalue(res, i, 1));
        snprintf(e->party, sizeof(e->party), "police:%s", e->departement);
        e->fallback = PQgetvalue(res, i, 6)[0] == 't';
        if (routing_hours_parse(PQgetvalue(res, i, 5), &e->hours, err, sizeof(err)) != 0) {
            log_error("destinations.bad_hours", "unit %s: %s: skipped", key, err);
            return -1;
        }
        e->format = DEST_FORMAT_JSON;
    }
    snprintf(e->name, sizeof(e->name), "%s", PQgetvalue(res, i, 2));
    e->gone = PQgetvalue(res, i, 7)[0] == 't';
    e->endpoint = strdup(PQgetvalue(res, i, 3));
    return e->endpoint ? 0 : -1;
}

/* Loop thread: the answer to the load. */
static void on_loaded(PGresult *res, void *arg)
{
    struct load *l = arg;
    struct destinations *d = l->d;
    free(l);
    if (!d)
        return;
    d->inflight = NULL;
    struct destination *t = NULL;
    size_t n = 0, unopened = 0;
    if (!res) {
        load_failed(d, "connection lost during the load");
        goto next;
    }
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQnfields(res) != 11) {
        char why[200];
        snprintf(why, sizeof(why), "%s", PQresultErrorMessage(res));
        why[strcspn(why, "\n")] = '\0';
        load_failed(d, why);
        goto next;
    }
    int rows = PQntuples(res);
    t = calloc((size_t)rows + 1, sizeof(*t));
    if (!t) {
        load_failed(d, "out of memory");
        goto next;
    }
    const char *prev = NULL;
    int skip = 0;
    for (int i = 0; i < rows; i++) {
        const char *key = PQgetvalue(res, i, 0);
        if (!prev || strcmp(prev, key) != 0) {
            prev = key;
            if (n == TABLE_MAX) {
                table_free(t, n);
                t = NULL;
                load_failed(d, "more destinations than the bound");
                goto next;
            }
            skip = entry_fill(d, res, i, &t[n]) != 0;
            if (skip) {
                free(t[n].endpoint);
                memset(&t[n], 0, sizeof(t[n]));
                continue;
            }
            n++;
        } else if (skip) {
            continue;
        }
        struct destination *e = &t[n - 1];
        if (PQgetisnull(res, i, 8) || e->nsecrets == DEST_SECRETS_MAX)
            continue;
        if (open_secret(d, key, PQgetvalue(res, i, 9), PQgetvalue(res, i, 10),
                        &e->secrets[e->nsecrets]) == 0) {
            e->nsecrets++;
        } else {
            unopened++;
            log_error("destinations.secret_unopened",
                      "secret row %s of %s does not open under the master key: skipped",
                      PQgetvalue(res, i, 8), e->id);
        }
    }
    if (!d->loaded || d->failing || n != d->n)
        log_info("destinations.loaded", "%zu %s%s", n,
                 d->role == DEST_ROLE_BANK ? "banks" : "police units",
                 unopened ? ", some secrets skipped" : "");
    table_free(d->table, d->n);
    d->table = t;
    d->n = n;
    d->loaded = 1;
    d->failing = 0;
next:
    schedule(d);
}

static void on_refresh(evutil_socket_t fd, short what, void *arg)
{
    struct destinations *d = arg;
    if (d->inflight)
        return;
    struct load *l = calloc(1, sizeof(*l));
    if (!l) {
        schedule(d);
        return;
    }
    l->d = d;
    if (db_send(d->db, NULL, d->role == DEST_ROLE_BANK ? bank_sql : police_sql, 0, NULL, on_loaded,
                l) != 0) {
        free(l);
        schedule(d);
        return;
    }
    d->inflight = l;
    if (db_sync(d->db) != 0)
        log_debug("destinations.sync_failed", "connection lost while sending the load");
}

struct destinations *destinations_new(struct event_base *base, struct db *db, enum dest_role role,
                                      const unsigned char key[SECRETBOX_KEY_LEN], int refresh_ms,
                                      int failures_to_fail, int64_t cooldown_ms)
{
    struct destinations *d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    d->base = base;
    d->db = db;
    d->role = role;
    memcpy(d->key, key, SECRETBOX_KEY_LEN);
    d->refresh_ms = refresh_ms > 0 ? refresh_ms : 5000;
    d->failures_to_fail = failures_to_fail > 0 ? failures_to_fail : 3;
    d->cooldown_ms = cooldown_ms > 0 ? cooldown_ms : 60000;
    d->timer = evtimer_new(base, on_refresh, d);
    if (!d->timer) {
        OPENSSL_cleanse(d->key, sizeof(d->key));
        free(d);
        return NULL;
    }
    struct timeval now = {0, 0};
    evtimer_add(d->timer, &now);
    return d;
}

void destinations_free(struct destinations *d)
{
    if (!d)
        return;
    if (d->inflight)
        d->inflight->d = NULL;
    if (d->timer)
        event_free(d->timer);
    table_free(d->table, d->n);
    for (size_t b = 0; b < HEALTH_BUCKETS; b++) {
        for (struct health *h = d->health[b]; h;) {
            struct health *next = h->next;
            free(h);
            h = next;
        }
    }
    OPENSSL_cleanse(d->key, sizeof(d->key));
    free(d);
}

int destinations_loaded(const struct destinations *d)
{
    return d && d->loaded;
}

const struct destination *destinations_get(const struct destinations *d, const char *id)
{
    for (size_t i = 0; d && i < d->n; i++) {
        if (strcmp(d->table[i].id, id) == 0)
            return &d->table[i];
    }
    return NULL;
}

const struct destination *destinations_all(const struct destinations *d, size_t *n)
{
    *n = d ? d->n : 0;
    return d ? d->table : NULL;
}

int destinations_secrets(const struct destination *dst, int64_t now_s, struct sign_secret *out,
                         int max)
{
    int k = 0;
    for (int i = 0; i < dst->nsecrets && k < max; i++) {
        if (now_s < dst->secrets[i].valid_until) {
            out[k].key = dst->secrets[i].key;
            out[k].len = dst->secrets[i].len;
            k++;
        }
    }
    return k;
}

static void on_gone_recorded(PGresult *res, void *arg)
{
    if (!res || PQresultStatus(res) != PGRES_COMMAND_OK)
        log_error("destinations.gone_not_recorded",
                  "could not record a 410 endpoint (this connector keeps it disabled in memory)");
}

void destinations_mark_gone(struct destinations *d, const char *id)
{
    for (size_t i = 0; i < d->n; i++) {
        struct destination *e = &d->table[i];
        if (strcmp(e->id, id) != 0)
            continue;
        e->gone = 1;
        const char *params[2] = {e->id, e->endpoint};
        if (db_send(d->db, NULL,
                    "INSERT INTO delivery_endpoints_gone (party, endpoint) VALUES ($1, $2)"
                    " ON CONFLICT DO NOTHING",
                    2, params, on_gone_recorded, NULL) != 0 ||
            db_sync(d->db) != 0)
            log_error("destinations.gone_not_recorded",
                      "%s: database not ready; kept disabled in memory", e->id);
        return;
    }
}

static struct health *health_get(const struct destinations *d, const char *id, int create)
{
    uint32_t h = 2166136261u;
    for (const char *p = id; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    struct health **b = (struct health **)&d->health[h % HEALTH_BUCKETS];
    for (struct health *x = *b; x; x = x->next) {
        if (strcmp(x->id, id) == 0)
            return x;
    }
    if (!create)
        return NULL;
    struct health *x = calloc(1, sizeof(*x));
    if (!x)
        return NULL;
    snprintf(x->id, sizeof(x->id), "%s", id);
    x->next = *b;
    *b = x;
    return x;
}

void destinations_report(struct destinations *d, const char *id, int ok, int64_t now_ms)
{
    struct health *h = health_get(d, id, !ok);
    if (!h)
        return;
    if (ok) {
        if (h->failing_until_ms)
            log_info("destinations.healed", "%s answers again", id);
        h->failures = 0;
        h->failing_until_ms = 0;
        return;
    }
    h->failures++;
    if (h->failures >= d->failures_to_fail) {
        if (h->failing_until_ms <= now_ms)
            log_warn("destinations.failing",
                     "%s failed %d times in a row: avoided for %" PRId64
                     " ms where another destination can take it",
                     id, h->failures, d->cooldown_ms);
        h->failing_until_ms = now_ms + d->cooldown_ms;
    }
}

int destinations_failing(const struct destinations *d, const char *id, int64_t now_ms)
{
    const struct health *h = health_get(d, id, 0);
    return h && h->failing_until_ms > now_ms;
}
