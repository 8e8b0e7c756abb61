/* bins.c — the BIN table: CSV, import, seed, lookup, the daemon's cache; see bins.h. */
#include "bins.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "csvread.h"
#include "keys.h"
#include "log.h"
#include "progress.h"
#include "reload.h"

#define FIELDS 3

/* ---- pure: the CSV line --------------------------------------------------------- */

static const char *const field_names[FIELDS] = {"bin", "bic", "name"};
static const struct csvread_layout layout = {field_names, FIELDS, BINS_LINE_MAX};

int bins_parse_line(const char *line, struct bins_row *row, char *errstr, size_t errstr_size)
{
    char buf[CSVREAD_BUF_SIZE(BINS_LINE_MAX, FIELDS)];
    char *f[FIELDS];
    char err[128];
    memset(row, 0, sizeof(*row));
    if (csvread_split(line, &layout, buf, f, errstr, errstr_size) != 0)
        return -1;
    size_t blen = strlen(f[0]);
    int digits = blen == 6 || blen == 8;
    for (size_t i = 0; digits && i < blen; i++)
        digits = f[0][i] >= '0' && f[0][i] <= '9';
    if (!digits) {
        snprintf(errstr, errstr_size, "field 1 (bin): not 6 or 8 digits");
        goto bad;
    }
    memcpy(row->bin, f[0], blen + 1);
    if (strlen(f[1]) > 2 * BIC_MAX || bic_normalise(f[1], row->bic) != 0) {
        snprintf(errstr, errstr_size,
                 "field 2 (bic): invalid BIC \"%.20s\" (8 or 11 characters, e.g. BNPAFRPP)", f[1]);
        goto bad;
    }
    if (strlen(row->bic) == 11 && strcmp(row->bic + 8, "XXX") == 0)
        row->bic[8] = '\0';
    if (keys_party_check(f[2], err, sizeof(err)) != 0) {
        snprintf(errstr, errstr_size,
                 "field 3 (name): 1 to %d bytes of UTF-8 without control characters",
                 BINS_NAME_MAX);
        goto bad;
    }
    memcpy(row->name, f[2], strlen(f[2]) + 1);
    return 0;
bad:
    memset(row, 0, sizeof(*row));
    return -1;
}

int bins_check_header(const char *line, char *errstr, size_t errstr_size)
{
    if (!line)
        return -1;
    if (csvread_header(line, &layout) != 0) {
        snprintf(errstr, errstr_size, "expected the header bin,bic,name");
        return -1;
    }
    return 0;
}

/* ---- import (blocking) ---------------------------------------------------------------- */

struct import {
    PGconn *c;
    int upsert;
    const char *path;
    struct bins_row *batch;
    size_t nbatch, rows, changed, bad;
};

static int flush(struct import *im, char *errstr, size_t errstr_size)
{
    if (!im->nbatch)
        return 0;
    const char *values[3] = {NULL, NULL, NULL};
    /* Three text arrays, unnested together: one statement per batch whatever its size. */
    size_t cap[3] = {3, 3, 3};
    for (size_t i = 0; i < im->nbatch; i++) {
        cap[0] += strlen(im->batch[i].bin) + 3;
        cap[1] += strlen(im->batch[i].bic) + 3;
        cap[2] += 2 * strlen(im->batch[i].name) + 3;
    }
    char *arr[3] = {malloc(cap[0]), malloc(cap[1]), malloc(cap[2])};
    int rc = -1;
    if (!arr[0] || !arr[1] || !arr[2]) {
        snprintf(errstr, errstr_size, "out of memory");
        goto done;
    }
    for (int k = 0; k < 3; k++) {
        size_t o = 0;
        arr[k][o++] = '{';
        for (size_t i = 0; i < im->nbatch; i++) {
            const char *v = k == 0   ? im->batch[i].bin
                            : k == 1 ? im->batch[i].bic
                                     : im->batch[i].name;
            if (i)
                arr[k][o++] = ',';
            arr[k][o++] = '"';
            for (; *v; v++) {
                if (*v == '"' || *v == '\\')
                    arr[k][o++] = '\\';
                arr[k][o++] = *v;
            }
            arr[k][o++] = '"';
        }
        arr[k][o++] = '}';
        arr[k][o] = '\0';
        values[k] = arr[k];
    }
    PGresult *r = PQexecParams(
        im->c,
        im->upsert ? "INSERT INTO card_bins (bin, bic, name)"
                     " SELECT * FROM unnest($1::text[], $2::text[], $3::text[])"
                     " ON CONFLICT (bin) DO UPDATE SET bic = EXCLUDED.bic, name = EXCLUDED.name,"
                     " updated_at = now()"
                     " WHERE (card_bins.bic, card_bins.name) IS DISTINCT FROM (EXCLUDED.bic, "
                     "EXCLUDED.name)"
                   : "INSERT INTO card_bins (bin, bic, name)"
                     " SELECT * FROM unnest($1::text[], $2::text[], $3::text[])"
                     " ON CONFLICT (bin) DO NOTHING",
        3, NULL, values, NULL, NULL, 0);
    if (PQresultStatus(r) == PGRES_COMMAND_OK) {
        im->rows += im->nbatch;
        im->changed += (size_t)strtoul(PQcmdTuples(r), NULL, 10);
        im->nbatch = 0;
        rc = 0;
    } else {
        snprintf(errstr, errstr_size, "%s: %s", im->path, PQresultErrorMessage(r));
        errstr[strcspn(errstr, "\n")] = '\0';
    }
    PQclear(r);
done:
    for (int k = 0; k < 3; k++)
        free(arr[k]);
    return rc;
}

static int add_row(struct import *im, const struct bins_row *row, char *errstr, size_t errstr_size)
{
    /* One statement cannot touch a row twice: a repeated BIN starts a new
     * batch, so the later line wins. */
    for (size_t i = 0; i < im->nbatch; i++) {
        if (strcmp(im->batch[i].bin, row->bin) == 0) {
            if (flush(im, errstr, errstr_size) != 0)
                return -1;
            break;
        }
    }
    im->batch[im->nbatch++] = *row;
    return im->nbatch == BINS_BATCH ? flush(im, errstr, errstr_size) : 0;
}

int bins_import_file(PGconn *c, const char *path, int upsert, FILE *report, char *errstr,
                     size_t errstr_size)
{
    struct import im;
    char line[CSVREAD_LINE_SIZE(BINS_LINE_MAX)], why[256];
    int in_tx = 0, rc = -1;
    size_t lineno = 1;
    struct progress *bar = NULL;
    memset(&im, 0, sizeof(im));
    im.c = c;
    im.upsert = upsert;
    im.path = path;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(errstr, errstr_size, "%s: %s", path, strerror(errno));
        return -1;
    }
    im.batch = malloc(BINS_BATCH * sizeof(*im.batch));
    if (!im.batch) {
        snprintf(errstr, errstr_size, "out of memory");
        goto done;
    }
    if (csvread_line(f, line, sizeof(line)) != CSVREAD_OK ||
        bins_check_header(line, why, sizeof(why)) != 0) {
        snprintf(errstr, errstr_size, "%s:1: the first line must be the header bin,bic,name", path);
        goto done;
    }
    if (cli_exec(c, "BEGIN", 0, NULL, PGRES_COMMAND_OK, NULL, "BEGIN", errstr, errstr_size) != 0)
        goto done;
    in_tx = 1;
    bar = progress_start(report, 0, "rows");
    enum csvread_status st;
    while ((st = csvread_line(f, line, sizeof(line))) != CSVREAD_EOF) {
        lineno++;
        struct bins_row row;
        int ok;
        if (st != CSVREAD_OK) {
            snprintf(why, sizeof(why), "line longer than %d bytes or holding a NUL", BINS_LINE_MAX);
            ok = -1;
        } else if (line[strspn(line, " \t\r\n")] == '\0') {
            continue;
        } else {
            ok = bins_parse_line(line, &row, why, sizeof(why));
        }
        if (ok != 0) {
            im.bad++;
            if (report && im.bad <= BINS_REPORT_MAX) {
                progress_clear(bar);
                fprintf(report, "%s:%zu: %s\n", path, lineno, why);
            }
        } else if (add_row(&im, &row, errstr, errstr_size) != 0) {
            goto done;
        }
        progress_update(bar, lineno - 1);
    }
    if (ferror(f)) {
        snprintf(errstr, errstr_size, "%s: %s", path, strerror(errno));
        goto done;
    }
    if (flush(&im, errstr, errstr_size) != 0 ||
        cli_exec(c, "COMMIT", 0, NULL, PGRES_COMMAND_OK, NULL, "COMMIT", errstr, errstr_size) != 0)
        goto done;
    in_tx = 0;
    rc = im.bad > (size_t)INT32_MAX ? INT32_MAX : (int)im.bad;
    progress_end(bar);
    bar = NULL;
    if (report)
        fprintf(report,
                "bin import: %zu row%s from %s (%zu new or changed), %zu bad line%s skipped\n",
                im.rows, im.rows == 1 ? "" : "s", path, im.changed, im.bad, im.bad == 1 ? "" : "s");
done:
    progress_end(bar);
    if (in_tx)
        PQclear(PQexec(c, "ROLLBACK"));
    free(im.batch);
    fclose(f);
    return rc;
}

int bins_seed(const char *conninfo, const char *sql_dir, char *errstr, size_t errstr_size)
{
    char path[4096];
    if (!csvread_shipped(sql_dir, "card_bins.csv", path, sizeof(path)))
        return 0;
    PGconn *c = PQconnectdb(conninfo);
    int rc = -1;
    if (PQstatus(c) != CONNECTION_OK) {
        cli_pq_error(errstr, errstr_size, "cannot connect", PQerrorMessage(c));
    } else {
        int bad = bins_import_file(c, path, 0, stdout, errstr, errstr_size);
        if (bad > 0)
            snprintf(errstr, errstr_size, "%d bad line%s in the shipped %s", bad,
                     bad == 1 ? "" : "s", path);
        rc = bad == 0 ? 0 : -1;
    }
    PQfinish(c);
    return rc;
}

static void bins_usage(FILE *out)
{
    fprintf(out, "usage: relay48 [-c FILE] bin import FILE.csv\n"
                 "       relay48 [-c FILE] bin lookup BIN\n"
                 "  import  load a CSV \"bin,bic,name\" (6 or 8 digits) into the BIN table;\n"
                 "          bad lines are reported and skipped; running relays reload within\n"
                 "          perceval.bins_refresh_ms\n"
                 "  lookup  the issuing bank of a BIN or of a card's first 6 to 8 digits\n");
}

int bins_main(const char *conninfo, int argc, char **argv)
{
    const char *sub = argc > 0 ? argv[0] : NULL;
    char err[512];
    if (!sub || argc != 2) {
        if (sub && (strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0)) {
            bins_usage(stdout);
            return 0;
        }
        bins_usage(stderr);
        return 2;
    }
    int import = strcmp(sub, "import") == 0;
    if (!import && strcmp(sub, "lookup") != 0) {
        fprintf(stderr, "relay48 bin: unknown subcommand \"%s\"\n", sub);
        bins_usage(stderr);
        return 2;
    }
    const char *arg = argv[1];
    size_t alen = strlen(arg);
    if (!import) {
        int ok = alen >= 6 && alen <= 8;
        for (size_t i = 0; ok && i < alen; i++)
            ok = arg[i] >= '0' && arg[i] <= '9';
        if (!ok) {
            fprintf(stderr, "relay48 bin lookup: give 6 to 8 digits (never a whole card "
                            "number)\n");
            return 2;
        }
    }
    PGconn *c = cli_connect(conninfo, "bin", sub);
    if (!c)
        return 1;
    int rc = 1;
    if (import) {
        int bad = bins_import_file(c, arg, 1, stderr, err, sizeof(err));
        if (bad < 0)
            fprintf(stderr, "relay48 bin import: %s\n", err);
        rc = bad == 0 ? 0 : 1;
    } else {
        char six[7];
        snprintf(six, sizeof(six), "%.6s", arg);
        const char *p[2] = {arg, six};
        PGresult *r = PQexecParams(c,
                                   "SELECT bic, name FROM card_bins WHERE bin IN ($1, $2)"
                                   " ORDER BY length(bin) DESC LIMIT 1",
                                   2, NULL, p, NULL, NULL, 0);
        if (PQresultStatus(r) != PGRES_TUPLES_OK) {
            snprintf(err, sizeof(err), "%s", PQresultErrorMessage(r));
            err[strcspn(err, "\n")] = '\0';
            fprintf(stderr, "relay48 bin lookup: %s\n", err);
        } else if (PQntuples(r) == 1) {
            printf("%s\t%s\n", PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1));
            rc = 0;
        } else {
            printf("unknown\n");
        }
        PQclear(r);
    }
    PQfinish(c);
    return rc;
}

/* ---- the daemon's cache ------------------------------------------------------------ */

struct bin_entry {
    char bin[9];
    char bic[BIC_MAX + 1];
};

struct bins {
    struct reload *reload;
    struct bin_entry *table; /* sorted by bin */
    size_t n;
};

static int bin_cmp(const void *a, const void *b)
{
    return strcmp(((const struct bin_entry *)a)->bin, ((const struct bin_entry *)b)->bin);
}

/* Loop thread: the answer to the load, for reload.h. */
static int apply(void *owner, const PGresult *res, int announce, char *why, size_t why_size)
{
    struct bins *b = owner;
    int rows = PQntuples(res);
    if (rows > BINS_CACHE_MAX) {
        snprintf(why, why_size, "more BINs than the cache's bound");
        return -1;
    }
    struct bin_entry *t = calloc((size_t)rows + 1, sizeof(*t));
    if (!t) {
        snprintf(why, why_size, "out of memory");
        return -1;
    }
    size_t n = 0;
    for (int i = 0; i < rows; i++) {
        const char *bin = PQgetvalue(res, i, 0), *bic = PQgetvalue(res, i, 1);
        if (strlen(bin) >= sizeof(t[n].bin) || strlen(bic) > BIC_MAX)
            continue;
        memcpy(t[n].bin, bin, strlen(bin) + 1);
        memcpy(t[n].bic, bic, strlen(bic) + 1);
        n++;
    }
    qsort(t, n, sizeof(*t), bin_cmp);
    if (announce || n != b->n)
        log_info("bins.loaded", "%zu BINs", n);
    free(b->table);
    b->table = t;
    b->n = n;
    return 0;
}

static size_t count(const void *owner)
{
    return ((const struct bins *)owner)->n;
}

struct bins *bins_new(struct event_base *base, struct db *db, int refresh_ms)
{
    struct bins *b = calloc(1, sizeof(*b));
    if (!b)
        return NULL;
    struct reload_options o = {
        .name = "bins",
        .noun = "BINs",
        .sql = "SELECT bin, bic FROM card_bins",
        .nfields = 2,
        .refresh_ms = refresh_ms > 0 ? refresh_ms : 60000,
        .query_failed = "the query failed (is migration 005 applied?)",
        .apply = apply,
        .count = count,
        .owner = b,
    };
    b->reload = reload_new(base, db, &o);
    if (!b->reload) {
        free(b);
        return NULL;
    }
    return b;
}

void bins_free(struct bins *b)
{
    if (!b)
        return;
    reload_free(b->reload);
    free(b->table);
    free(b);
}

int bins_lookup(const struct bins *b, const char *digits, char bic[BIC_MAX + 1])
{
    bic[0] = '\0';
    if (!b || !b->n || !digits)
        return -1;
    size_t len = strnlen(digits, 9);
    for (size_t i = 0; i < len && i < 8; i++) {
        if (digits[i] < '0' || digits[i] > '9')
            return -1;
    }
    /* The 8-digit entry first, then the 6-digit one. */
    for (size_t want = 8; want >= 6; want -= 2) {
        if (len < want)
            continue;
        struct bin_entry probe;
        memcpy(probe.bin, digits, want);
        probe.bin[want] = '\0';
        const struct bin_entry *e = bsearch(&probe, b->table, b->n, sizeof(*b->table), bin_cmp);
        if (e) {
            memcpy(bic, e->bic, sizeof(e->bic));
            return 0;
        }
    }
    return -1;
}

size_t bins_size(const struct bins *b)
{
    return b ? b->n : 0;
}
