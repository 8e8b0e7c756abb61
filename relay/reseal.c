/* reseal.c — `relay48 secrets reseal`, a new master key; see reseal.h. */
#include "reseal.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "banks.h"
#include "cli.h"
#include "config.h"
#include "progress.h"
#include "sealed.h"
#include "units.h"

/* Longest statement written here (identifiers included). */
#define SQL_MAX 256

/* A table of sealed secrets. Identifiers are constants of the program. */
struct reseal_table {
    const char *table;  /* "bank_secrets" */
    const char *column; /* the owner: "bic" */
    const char *noun;   /* "bank" */
    void (*aad)(const char *owner, char *out, size_t out_size);
};

static void bank_aad(const char *owner, char *out, size_t out_size)
{
    banks_secret_aad(owner, out, out_size);
}

static void unit_aad(const char *owner, char *out, size_t out_size)
{
    units_secret_aad(strtoll(owner, NULL, 10), out, out_size);
}

static const struct reseal_table tables[RESEAL_TABLES] = {
    {"bank_secrets", "bic", "bank", bank_aad},
    {"police_unit_secrets", "unit_id", "unit", unit_aad},
};

/* One run of reseal_all. */
struct run {
    PGconn *c;
    const unsigned char *old_key, *new_key;
    int skip_resealed;
    FILE *report;
    struct progress *bar;
    size_t done;    /* rows seen, both tables */
    size_t refused; /* rows that would not re-seal */
};

/* Writes wait for the commit; the relays' SELECTs do not. */
static int lock_and_count(PGconn *c, size_t *total, char *errstr, size_t errstr_size)
{
    static const char what[] = "cannot re-seal";
    PGresult *r = NULL;
    if (cli_exec(c, "LOCK TABLE bank_secrets, police_unit_secrets IN EXCLUSIVE MODE", 0, NULL,
                 PGRES_COMMAND_OK, NULL, what, errstr, errstr_size) != 0 ||
        cli_exec(c,
                 "SELECT (SELECT count(*) FROM bank_secrets)"
                 " + (SELECT count(*) FROM police_unit_secrets)",
                 0, NULL, PGRES_TUPLES_OK, &r, what, errstr, errstr_size) != 0)
        return -1;
    *total = (size_t)strtoull(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return 0;
}

/* A row that will not re-seal: named (table, id, owner), never shown. */
static void refuse(struct run *r, const struct reseal_table *t, const char *id, const char *owner,
                   const char *why)
{
    r->refused++;
    if (!r->report || r->refused > RESEAL_REPORT_MAX + 1)
        return;
    progress_clear(r->bar);
    if (r->refused <= RESEAL_REPORT_MAX)
        fprintf(r->report, "relay48 secrets reseal: %s row %s (%s %s): %s\n", t->table, id, t->noun,
                owner, why);
    else
        fprintf(r->report, "relay48 secrets reseal: more rows refused, counted but not shown\n");
}

static int reseal_row(struct run *r, const struct reseal_table *t, const char *update_sql,
                      const char *id, const char *owner, const char *hex, struct reseal_count *n,
                      char *errstr, size_t errstr_size)
{
    char aad[SEALED_AAD_SIZE], out_hex[SEALED_HEX_SIZE];
    t->aad(owner, aad, sizeof(aad));
    int rc = 0;
    switch (sealed_reseal(r->old_key, r->new_key, aad, hex, out_hex)) {
    case SECRETBOX_RESEALED:
        n->resealed++;
        /* Once a row is refused everything is rolled back: only count. */
        if (!r->refused) {
            const char *params[2] = {id, out_hex};
            rc = cli_exec(r->c, update_sql, 2, params, PGRES_COMMAND_OK, NULL, "cannot re-seal",
                          errstr, errstr_size);
        }
        break;
    case SECRETBOX_UNDER_NEW:
        if (r->skip_resealed)
            n->skipped++;
        else
            refuse(r, t, id, owner,
                   "already sealed under the new key, not under the old one "
                   "(--skip-resealed leaves such rows as they are)");
        break;
    case SECRETBOX_UNOPENED:
        refuse(r, t, id, owner, "does not open under the old key nor under the new one");
        break;
    default:
        snprintf(errstr, errstr_size, "cannot re-seal: %s row %s: OpenSSL failed", t->table, id);
        rc = -1;
    }
    OPENSSL_cleanse(out_hex, sizeof(out_hex));
    return rc;
}

static int reseal_table(struct run *r, const struct reseal_table *t, struct reseal_count *n,
                        char *errstr, size_t errstr_size)
{
    char select_sql[SQL_MAX], update_sql[SQL_MAX];
    PGresult *res = NULL;
    snprintf(select_sql, sizeof(select_sql),
             "SELECT id, %s, encode(sealed, 'hex') FROM %s ORDER BY id", t->column, t->table);
    snprintf(update_sql, sizeof(update_sql),
             "UPDATE %s SET sealed = decode($2, 'hex') WHERE id = $1", t->table);
    n->table = t->table;
    if (cli_exec(r->c, select_sql, 0, NULL, PGRES_TUPLES_OK, &res, "cannot re-seal", errstr,
                 errstr_size) != 0)
        return -1;
    int rc = 0, rows = PQntuples(res);
    for (int i = 0; i < rows && rc == 0; i++) {
        rc = reseal_row(r, t, update_sql, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
                        PQgetvalue(res, i, 2), n, errstr, errstr_size);
        progress_update(r->bar, ++r->done);
    }
    PQclear(res);
    return rc;
}

int reseal_all(PGconn *c, const unsigned char old_key[SECRETBOX_KEY_LEN],
               const unsigned char new_key[SECRETBOX_KEY_LEN], int skip_resealed, FILE *report,
               struct reseal_count counts[RESEAL_TABLES], char *errstr, size_t errstr_size)
{
    struct run r = {c, old_key, new_key, skip_resealed, report, NULL, 0, 0};
    size_t total = 0;
    int rc = -1, in_tx = 0;
    memset(counts, 0, RESEAL_TABLES * sizeof(*counts));
    if (cli_exec(c, "BEGIN", 0, NULL, PGRES_COMMAND_OK, NULL, "BEGIN", errstr, errstr_size) != 0)
        return -1;
    in_tx = 1;
    if (lock_and_count(c, &total, errstr, errstr_size) != 0)
        goto done;
    r.bar = progress_start(report, total, "secrets");
    for (size_t k = 0; k < RESEAL_TABLES; k++) {
        if (reseal_table(&r, &tables[k], &counts[k], errstr, errstr_size) != 0)
            goto done;
    }
    if (r.refused) {
        snprintf(errstr, errstr_size, "%zu of %zu secret%s would not re-seal: nothing changed",
                 r.refused, r.done, r.done == 1 ? "" : "s");
        goto done;
    }
    in_tx = 0; /* COMMIT ends the transaction whether it succeeds or not */
    if (cli_exec(c, "COMMIT", 0, NULL, PGRES_COMMAND_OK, NULL, "COMMIT", errstr, errstr_size) != 0)
        goto done;
    rc = 0;
done:
    progress_end(r.bar);
    if (in_tx)
        PQclear(PQexec(c, "ROLLBACK"));
    if (rc != 0) {
        for (size_t k = 0; k < RESEAL_TABLES; k++)
            counts[k].resealed = counts[k].skipped = 0;
    }
    return rc;
}

/* ---- command line ------------------------------------------------------------- */

static void reseal_usage(FILE *out)
{
    fprintf(out,
            "usage: relay48 [-c FILE] secrets reseal --old-key-file FILE [--skip-resealed]\n"
            "  reseal  open every bank and police unit secret under the old master key (64 hex\n"
            "          digits in FILE) and seal it again under the configured one\n"
            "          (RELAY48_MASTER_KEY or secrets.master_key_file), in one transaction:\n"
            "          if any secret does not open, nothing changes (exit 1)\n"
            "  --skip-resealed  leave as they are the secrets already sealed under the new key\n"
            "          (a second run); without it they make the command fail\n"
            "Then restart the relays and connectors with the new master key.\n");
}

/* Both keys, or an exit code (1 a key missing or unreadable, 2 the same key). */
static int load_keys(const struct config *cfg, const char *old_path,
                     unsigned char old_key[SECRETBOX_KEY_LEN],
                     unsigned char new_key[SECRETBOX_KEY_LEN])
{
    char err[512];
    if (secretbox_key_load(getenv(SECRETBOX_ENV), cfg->secrets_master_key_file, new_key, err,
                           sizeof(err)) != 0 ||
        secretbox_key_file("--old-key-file", old_path, old_key, err, sizeof(err)) != 0) {
        fprintf(stderr, "relay48 secrets reseal: %s\n", err);
        return 1;
    }
    if (CRYPTO_memcmp(old_key, new_key, SECRETBOX_KEY_LEN) == 0) {
        fprintf(stderr,
                "relay48 secrets reseal: the old key is the configured master key: set %s "
                "or secrets.master_key_file to the new key\n",
                SECRETBOX_ENV);
        return 2;
    }
    return 0;
}

static void print_summary(FILE *out, const struct reseal_count *counts)
{
    for (size_t k = 0; k < RESEAL_TABLES; k++)
        fprintf(out, "secrets reseal: %s: %zu re-sealed, %zu already under the new key\n",
                counts[k].table, counts[k].resealed, counts[k].skipped);
}

int reseal_main(const struct config *cfg, int argc, char **argv)
{
    static const char *const names[] = {"reseal"};
    const char *old_path = NULL;
    int skip_resealed = 0, rc = 1;
    if (cli_subcommand("secrets", argc, argv, names, RELAY_ARRAY_LEN(names), reseal_usage, &rc) < 0)
        return rc;
    for (int i = 1; i < argc; i++) {
        const char *val;
        if ((val = cli_option_value(argc, argv, &i, "--old-key-file")))
            old_path = val;
        else if (strcmp(argv[i], "--skip-resealed") == 0)
            skip_resealed = 1;
        else
            return cli_unexpected("secrets", "reseal", argv[i], reseal_usage);
    }
    if (!old_path || !*old_path) {
        fprintf(stderr, "relay48 secrets reseal: --old-key-file is required\n");
        return 2;
    }
    unsigned char old_key[SECRETBOX_KEY_LEN], new_key[SECRETBOX_KEY_LEN];
    struct reseal_count counts[RESEAL_TABLES];
    char err[512];
    PGconn *c = NULL;
    rc = load_keys(cfg, old_path, old_key, new_key);
    if (rc != 0)
        goto done;
    rc = 1;
    c = cli_connect(cfg->database_url, "secrets", "reseal");
    if (!c)
        goto done;
    if (reseal_all(c, old_key, new_key, skip_resealed, stderr, counts, err, sizeof(err)) != 0) {
        fprintf(stderr, "relay48 secrets reseal: %s\n", err);
        goto done;
    }
    print_summary(stdout, counts);
    fprintf(stderr, "relay48: every secret is sealed under the new master key; restart the "
                    "relays and connectors with it now\n");
    rc = 0;
done:
    PQfinish(c);
    OPENSSL_cleanse(old_key, sizeof(old_key));
    OPENSSL_cleanse(new_key, sizeof(new_key));
    return rc;
}
