/* banks.c — the bank registry: `relay48 bank`, the daemon's cache; see banks.h. */
#include "banks.h"

#include <inttypes.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "config.h"
#include "keys.h"
#include "log.h"
#include "reload.h"
#include "sealed.h"

static const char *const format_names[] = {"json", "camt056"};

static void set_err(char *errstr, size_t errstr_size, const char *msg)
{
    if (errstr && errstr_size)
        snprintf(errstr, errstr_size, "%s", msg);
}

/* ---- pure --------------------------------------------------------------------- */

const char *banks_format_name(enum bank_format f)
{
    return (unsigned)f < RELAY_ARRAY_LEN(format_names) ? format_names[f] : "json";
}

int banks_format_parse(const char *s, enum bank_format *out)
{
    for (size_t i = 0; s && i < RELAY_ARRAY_LEN(format_names); i++) {
        if (strcmp(s, format_names[i]) == 0) {
            *out = (enum bank_format)i;
            return 0;
        }
    }
    return -1;
}

int banks_bic_normalise(const char *in, char out[BIC_MAX + 1], char *errstr, size_t errstr_size)
{
    out[0] = '\0';
    if (!in || strlen(in) > 2 * BIC_MAX || bic_normalise(in, out) != 0) {
        out[0] = '\0';
        snprintf(errstr, errstr_size,
                 "\"%.24s\" is not a BIC (8 or 11 letters and digits, e.g. BNPAFRPP)",
                 in ? in : "");
        return -1;
    }
    /* "XXX" names the primary office: one office, one name. */
    if (strlen(out) == 11 && strcmp(out + 8, "XXX") == 0)
        out[8] = '\0';
    return 0;
}

int banks_endpoint_check(const char *url, char *errstr, size_t errstr_size)
{
    if (!url || !*url) {
        set_err(errstr, errstr_size, "empty endpoint: give the bank's https:// URL");
        return -1;
    }
    size_t n = strnlen(url, BANKS_ENDPOINT_MAX + 1);
    if (n > BANKS_ENDPOINT_MAX) {
        snprintf(errstr, errstr_size, "endpoint longer than %d characters", BANKS_ENDPOINT_MAX);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (url[i] < 0x21 || url[i] > 0x7e) {
            set_err(errstr, errstr_size,
                    "endpoint: only visible ASCII characters (percent-encode the others)");
            return -1;
        }
    }
    const char *host = NULL;
    if (strncmp(url, "https://", 8) == 0)
        host = url + 8;
    else if (strncmp(url, "http://", 7) == 0)
        host = url + 7;
    if (!host || !*host || *host == '/' || *host == '?' || *host == '#') {
        set_err(errstr, errstr_size, "endpoint: expected an http:// or https:// URL with a host");
        return -1;
    }
    return 0;
}

int banks_name_check(const char *name, char *errstr, size_t errstr_size)
{
    char err[128];
    if (keys_party_check(name, err, sizeof(err)) != 0) {
        snprintf(errstr, errstr_size,
                 "bank name: 1 to %d bytes of UTF-8 text without control characters",
                 BANKS_NAME_MAX);
        return -1;
    }
    return 0;
}

void banks_secret_aad(const char *bic, char *out, size_t out_size)
{
    snprintf(out, out_size, "relay48 bank secret %s", bic);
}

/* ---- command line ------------------------------------------------------------- */

int banks_add(PGconn *c, const unsigned char key[SECRETBOX_KEY_LEN], const char *bic_in,
              const char *name, const char *endpoint, enum bank_format format, size_t nbytes,
              char secret_out[SIGN_SECRET_TEXT_SIZE], char *errstr, size_t errstr_size)
{
    char bic[BIC_MAX + 1], aad[SEALED_AAD_SIZE];
    secret_out[0] = '\0';
    if (banks_bic_normalise(bic_in, bic, errstr, errstr_size) != 0 ||
        banks_name_check(name, errstr, errstr_size) != 0 ||
        banks_endpoint_check(endpoint, errstr, errstr_size) != 0)
        return -1;
    banks_secret_aad(bic, aad, sizeof(aad));
    const char *params[4] = {bic, name, endpoint, banks_format_name(format)};
    /* One statement, so one transaction: the bank and its first secret. */
    int rc = sealed_add(c, key, aad, nbytes,
                        "WITH b AS (INSERT INTO banks (bic, name, endpoint, format)"
                        " VALUES ($1, $2, $3, $4) RETURNING bic)"
                        " INSERT INTO bank_secrets (bic, sealed)"
                        " SELECT bic, decode($5, 'hex') FROM b",
                        4, params, secret_out, "cannot register the bank", errstr, errstr_size);
    if (rc == 1)
        snprintf(errstr, errstr_size,
                 "bank %s is already registered (relay48 bank rotate-secret --bic %s gives "
                 "it a new secret)",
                 bic, bic);
    return rc == 0 ? 0 : -1;
}

/* Where a bank's secrets are, for sealed_rotate. */
static const struct sealed_owner bank_owner = {"bank", "banks", "bic", "bank_secrets", "bic"};

int banks_rotate(PGconn *c, const unsigned char key[SECRETBOX_KEY_LEN], const char *bic_in,
                 int overlap_hours, size_t nbytes, char secret_out[SIGN_SECRET_TEXT_SIZE],
                 char *errstr, size_t errstr_size)
{
    char bic[BIC_MAX + 1], aad[SEALED_AAD_SIZE];
    secret_out[0] = '\0';
    if (banks_bic_normalise(bic_in, bic, errstr, errstr_size) != 0)
        return -1;
    banks_secret_aad(bic, aad, sizeof(aad));
    return sealed_rotate(c, &bank_owner, bic, aad, key, overlap_hours, nbytes, secret_out, errstr,
                         errstr_size);
}

int banks_set_disabled(PGconn *c, const char *bic_in, int disabled, char *errstr,
                       size_t errstr_size)
{
    char bic[BIC_MAX + 1];
    if (banks_bic_normalise(bic_in, bic, errstr, errstr_size) != 0)
        return -1;
    int rc = cli_set_state(c,
                           disabled ? "UPDATE banks SET disabled_at = now()"
                                      " WHERE bic = $1 AND disabled_at IS NULL"
                                    : "UPDATE banks SET disabled_at = NULL"
                                      " WHERE bic = $1 AND disabled_at IS NOT NULL",
                           "SELECT 1 FROM banks WHERE bic = $1", bic, "cannot change the bank",
                           errstr, errstr_size);
    if (rc == 2) {
        snprintf(errstr, errstr_size, "no bank %s (relay48 bank list)", bic);
        return -1;
    }
    return rc;
}

int banks_list(PGconn *c, FILE *out, char *errstr, size_t errstr_size)
{
    enum { COLS = 7 };
    static const char *const head[COLS] = {"BIC",     "NAME",    "FORMAT",  "ENDPOINT",
                                           "SECRETS", "CREATED", "DISABLED"};
    return cli_list(
        c, out,
        "SELECT b.bic, b.name, b.format, b.endpoint,"
        " (SELECT count(*) FROM bank_secrets s WHERE s.bic = b.bic AND s.valid_from <= now()"
        "   AND (s.valid_until IS NULL OR s.valid_until > now()))::text,"
        " to_char(b.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
        " coalesce(to_char(b.disabled_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
        " '-')"
        " FROM banks b ORDER BY b.bic",
        head, COLS, "cannot list the banks", errstr, errstr_size);
}

static void banks_usage(FILE *out)
{
    fprintf(out,
            "usage: relay48 [-c FILE] bank add --bic BIC --name NAME --endpoint URL "
            "[--format json|camt056]\n"
            "       relay48 [-c FILE] bank rotate-secret --bic BIC [--overlap-hours N]\n"
            "       relay48 [-c FILE] bank list\n"
            "       relay48 [-c FILE] bank disable|enable --bic BIC\n"
            "  add            register a bank; its webhook secret (whsec_...) is printed once\n"
            "  rotate-secret  a new secret; the old one stays valid N hours more (default\n"
            "                 banks.rotation_overlap_hours), then is refused\n"
            "  list           the banks, their endpoints and how many secrets are valid now\n"
            "  disable        refuse the bank's webhooks (within banks.refresh_ms); enable undoes\n"
            "Secrets are sealed with AES-256-GCM under the master key: RELAY48_MASTER_KEY (64 hex\n"
            "digits) or the file named by secrets.master_key_file. add and rotate-secret need it.\n"
            "The bank's webhook URL is /v1/webhooks/banks/<BIC>.\n");
}

enum banks_cmd { BANKS_ADD, BANKS_ROTATE, BANKS_LIST, BANKS_DISABLE, BANKS_ENABLE };

int banks_main(const struct config *cfg, int argc, char **argv)
{
    static const char *const names[] = {"add", "rotate-secret", "list", "disable", "enable"};
    const char *sub = argc > 0 ? argv[0] : NULL;
    const char *bic = NULL, *name = NULL, *endpoint = NULL, *format_text = NULL;
    const char *overlap_text = NULL;
    enum bank_format format = BANK_FORMAT_JSON;
    int overlap = (int)cfg->banks_rotation_overlap_hours;
    char err[512], canon[BIC_MAX + 1];
    int rc = 1;
    int cmd = cli_subcommand("bank", argc, argv, names, RELAY_ARRAY_LEN(names), banks_usage, &rc);
    if (cmd < 0)
        return rc;
    for (int i = 1; i < argc; i++) {
        const char *val;
        if (cmd != BANKS_LIST && (val = cli_option_value(argc, argv, &i, "--bic"))) {
            bic = val;
        } else if (cmd == BANKS_ADD && (val = cli_option_value(argc, argv, &i, "--name"))) {
            name = val;
        } else if (cmd == BANKS_ADD && (val = cli_option_value(argc, argv, &i, "--endpoint"))) {
            endpoint = val;
        } else if (cmd == BANKS_ADD && (val = cli_option_value(argc, argv, &i, "--format"))) {
            format_text = val;
        } else if (cmd == BANKS_ROTATE &&
                   (val = cli_option_value(argc, argv, &i, "--overlap-hours"))) {
            overlap_text = val;
        } else {
            return cli_unexpected("bank", sub, argv[i], banks_usage);
        }
    }
    /* Arguments first: a usage error is told before anything else. */
    if (cmd != BANKS_LIST) {
        if (!bic) {
            fprintf(stderr, "relay48 bank %s: --bic is required\n", sub);
            return 2;
        }
        if (banks_bic_normalise(bic, canon, err, sizeof(err)) != 0) {
            fprintf(stderr, "relay48 bank %s: %s\n", sub, err);
            return 2;
        }
    }
    if (cmd == BANKS_ADD) {
        if (!name || !endpoint) {
            fprintf(stderr, "relay48 bank add: --name and --endpoint are required\n");
            return 2;
        }
        if (banks_name_check(name, err, sizeof(err)) != 0 ||
            banks_endpoint_check(endpoint, err, sizeof(err)) != 0) {
            fprintf(stderr, "relay48 bank add: %s\n", err);
            return 2;
        }
        if (format_text && banks_format_parse(format_text, &format) != 0) {
            fprintf(stderr, "relay48 bank add: --format is json or camt056\n");
            return 2;
        }
    }
    if (cmd == BANKS_ROTATE && overlap_text) {
        long h = 0;
        if (cli_parse_long(overlap_text, 0, BANKS_OVERLAP_MAX_HOURS, &h) != 0) {
            fprintf(stderr, "relay48 bank rotate-secret: --overlap-hours takes 0..%d\n",
                    BANKS_OVERLAP_MAX_HOURS);
            return 2;
        }
        overlap = (int)h;
    }
    unsigned char key[SECRETBOX_KEY_LEN];
    int need_key = cmd == BANKS_ADD || cmd == BANKS_ROTATE;
    if (need_key && secretbox_key_load(getenv(SECRETBOX_ENV), cfg->secrets_master_key_file, key,
                                       err, sizeof(err)) != 0) {
        fprintf(stderr, "relay48 bank %s: %s\n", sub, err);
        return 1;
    }

    rc = 1;
    PGconn *c = cli_connect(cfg->database_url, "bank", sub);
    if (!c)
        goto done;
    char secret[SIGN_SECRET_TEXT_SIZE];
    secret[0] = '\0';
    if (cmd == BANKS_ADD || cmd == BANKS_ROTATE) {
        size_t nbytes = (size_t)cfg->banks_secret_bytes;
        int r =
            cmd == BANKS_ADD
                ? banks_add(c, key, canon, name, endpoint, format, nbytes, secret, err, sizeof(err))
                : banks_rotate(c, key, canon, overlap, nbytes, secret, err, sizeof(err));
        if (r == 0) {
            printf("%s\n", secret);
            fflush(stdout);
            if (cmd == BANKS_ADD)
                fprintf(stderr,
                        "relay48: bank %s registered; its webhook URL is /v1/webhooks/banks/%s.\n"
                        "Its signing secret is printed above once and stored only sealed under "
                        "the master key:\nhand it to the bank on a secure channel now.\n",
                        canon, canon);
            else
                fprintf(stderr,
                        "relay48: new secret for bank %s printed above once; the previous "
                        "one%s.\n",
                        canon,
                        overlap ? " stays valid during the overlap" : " is refused from now on");
            rc = 0;
        } else {
            fprintf(stderr, "relay48 bank %s: %s\n", sub, err);
        }
        OPENSSL_cleanse(secret, sizeof(secret));
    } else if (cmd == BANKS_LIST) {
        rc = banks_list(c, stdout, err, sizeof(err)) == 0 ? 0 : 1;
        if (rc)
            fprintf(stderr, "relay48 bank list: %s\n", err);
    } else {
        int r = banks_set_disabled(c, canon, cmd == BANKS_DISABLE, err, sizeof(err));
        if (r == 0)
            fprintf(stderr, "relay48: bank %s %s; running relays follow within banks.refresh_ms\n",
                    canon, cmd == BANKS_DISABLE ? "disabled" : "enabled");
        else if (r == 1)
            fprintf(stderr, "relay48: bank %s was already %s; nothing changed\n", canon,
                    cmd == BANKS_DISABLE ? "disabled" : "enabled");
        else
            fprintf(stderr, "relay48 bank %s: %s\n", sub, err);
        rc = r >= 0 ? 0 : 1;
    }
done:
    PQfinish(c);
    OPENSSL_cleanse(key, sizeof(key));
    return rc;
}

/* ---- the daemon's cache ---------------------------------------------------------- */

struct secret_entry {
    unsigned char key[SIGN_SECRET_MAX];
    size_t len;
    int64_t valid_until; /* seconds; INT64_MAX: none */
};

struct bank_entry {
    char bic[BIC_MAX + 1];
    int nsecrets;
    struct secret_entry s[BANKS_SECRETS_MAX]; /* newest first */
};

struct banks_cache {
    struct reload *reload;
    unsigned char key[SECRETBOX_KEY_LEN];
    struct bank_entry *table; /* sorted by bic */
    size_t n;
};

static const char banks_load_sql[] =
    "SELECT b.bic, s.id, encode(s.sealed, 'hex'),"
    " coalesce(floor(extract(epoch FROM s.valid_until))::bigint::text, '')"
    " FROM banks b LEFT JOIN bank_secrets s ON s.bic = b.bic AND s.valid_from <= now()"
    "  AND (s.valid_until IS NULL OR s.valid_until > now())"
    " WHERE b.disabled_at IS NULL ORDER BY b.bic, s.id DESC";

static int entry_cmp(const void *a, const void *b)
{
    return strcmp(((const struct bank_entry *)a)->bic, ((const struct bank_entry *)b)->bic);
}

static void table_free(struct bank_entry *t, size_t n)
{
    if (t)
        OPENSSL_cleanse(t, n * sizeof(*t));
    free(t);
}

/* Open one row's secret into e; -1 when it does not open. */
static int open_secret(const struct banks_cache *c, const char *bic, const char *hex,
                       const char *until, struct secret_entry *e)
{
    char aad[SEALED_AAD_SIZE];
    banks_secret_aad(bic, aad, sizeof(aad));
    if (sealed_open(c->key, aad, hex, e->key, &e->len) != 0) {
        OPENSSL_cleanse(e, sizeof(*e));
        return -1;
    }
    e->valid_until = *until ? strtoll(until, NULL, 10) : INT64_MAX;
    return 0;
}

/* Loop thread: the answer to banks_load_sql, for reload.h. */
static int apply(void *owner, const PGresult *res, int announce, char *why, size_t why_size)
{
    struct banks_cache *c = owner;
    size_t n = 0, unopened = 0;
    int rows = PQntuples(res);
    struct bank_entry *t = calloc((size_t)rows + 1, sizeof(*t));
    if (!t) {
        snprintf(why, why_size, "out of memory");
        return -1;
    }
    for (int i = 0; i < rows; i++) {
        const char *bic = PQgetvalue(res, i, 0);
        if (strlen(bic) > BIC_MAX)
            continue;
        if (n == 0 || strcmp(t[n - 1].bic, bic) != 0) {
            if (n == BANKS_CACHE_MAX) {
                table_free(t, (size_t)rows + 1);
                snprintf(why, why_size, "more enabled banks than the cache's bound");
                return -1;
            }
            memcpy(t[n].bic, bic, strlen(bic) + 1);
            n++;
        }
        struct bank_entry *e = &t[n - 1];
        if (PQgetisnull(res, i, 1) || e->nsecrets == BANKS_SECRETS_MAX)
            continue;
        if (open_secret(c, bic, PQgetvalue(res, i, 2), PQgetvalue(res, i, 3), &e->s[e->nsecrets]) ==
            0) {
            e->nsecrets++;
        } else {
            unopened++;
            log_error("banks.secret_unopened",
                      "bank_secrets row %s of %s does not open under the master key: skipped",
                      PQgetvalue(res, i, 1), bic);
        }
    }
    /* ORDER BY bic in the database's collation; bsearch wants strcmp's. */
    qsort(t, n, sizeof(*t), entry_cmp);
    if (announce || n != c->n)
        log_info("banks.loaded", "%zu banks%s", n, unopened ? ", some secrets skipped" : "");
    table_free(c->table, c->n);
    c->table = t;
    c->n = n;
    return 0;
}

static size_t count(const void *owner)
{
    return ((const struct banks_cache *)owner)->n;
}

struct banks_cache *banks_cache_new(struct event_base *base, struct db *db,
                                    const unsigned char key[SECRETBOX_KEY_LEN], int refresh_ms)
{
    struct banks_cache *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    memcpy(c->key, key, SECRETBOX_KEY_LEN);
    struct reload_options o = {
        .name = "banks",
        .noun = "banks",
        .sql = banks_load_sql,
        .nfields = 4,
        .refresh_ms = refresh_ms > 0 ? refresh_ms : BANKS_REFRESH_MS,
        .apply = apply,
        .count = count,
        .owner = c,
    };
    c->reload = reload_new(base, db, &o);
    if (!c->reload) {
        OPENSSL_cleanse(c->key, sizeof(c->key));
        free(c);
        return NULL;
    }
    return c;
}

int banks_cache_secrets(const struct banks_cache *c, const char *bic, int64_t now,
                        struct sign_secret *out, int max)
{
    struct bank_entry probe;
    if (!c || !bic || strlen(bic) > BIC_MAX || !c->n)
        return -1;
    memcpy(probe.bic, bic, strlen(bic) + 1);
    const struct bank_entry *e = bsearch(&probe, c->table, c->n, sizeof(*c->table), entry_cmp);
    if (!e)
        return -1;
    int k = 0;
    for (int i = 0; i < e->nsecrets && k < max; i++) {
        if (now < e->s[i].valid_until) {
            out[k].key = e->s[i].key;
            out[k].len = e->s[i].len;
            k++;
        }
    }
    return k;
}

int banks_cache_loaded(const struct banks_cache *c)
{
    return c && reload_loaded(c->reload);
}

size_t banks_cache_count(const struct banks_cache *c)
{
    return c ? c->n : 0;
}

void banks_cache_free(struct banks_cache *c)
{
    if (!c)
        return;
    reload_free(c->reload);
    table_free(c->table, c->n);
    OPENSSL_cleanse(c->key, sizeof(c->key));
    free(c);
}
