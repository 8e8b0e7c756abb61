/* directory.c — the bank directory: CSV parsing, import, seed, lookup; see directory.h. */
#include "directory.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "csvread.h"
#include "progress.h"

#define DIRECTORY_FIELDS 4

static const char *const field_names[DIRECTORY_FIELDS] = {"country", "bank_code", "bic", "name"};
static const struct csvread_layout layout = {field_names, DIRECTORY_FIELDS, DIRECTORY_LINE_MAX};

/* ---- pure: the CSV line ------------------------------------------------------ */

static int is_upper(char c)
{
    return c >= 'A' && c <= 'Z';
}

static int is_alnum(char c)
{
    return is_upper(c) || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/*
 * Code points of s when it is valid UTF-8 (no overlong forms, no
 * surrogates, at most U+10FFFF) without control characters (C0, DEL, C1);
 * -1 otherwise.
 */
static long text_chars(const unsigned char *s)
{
    long chars = 0;
    size_t i = 0;
    while (s[i]) {
        unsigned c = s[i];
        chars++;
        if (c < 0x20 || c == 0x7f)
            return -1;
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
            return -1;
        }
        for (size_t k = 1; k <= need; k++) {
            if ((s[i + k] & 0xc0) != 0x80) /* the NUL ends this too */
                return -1;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if ((need == 2 && cp < 0x800) || (need == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp < 0xa0))
            return -1;
        i += need + 1;
    }
    return chars;
}

static int parse_line(const char *line, struct directory_row *row, char *errstr, size_t errstr_size)
{
    char buf[CSVREAD_BUF_SIZE(DIRECTORY_LINE_MAX, DIRECTORY_FIELDS)];
    char *f[DIRECTORY_FIELDS];

    memset(row, 0, sizeof(*row));
    if (csvread_split(line, &layout, buf, f, errstr, errstr_size) != 0)
        return -1;

    if (strlen(f[0]) != 2 || !is_upper(f[0][0]) || !is_upper(f[0][1])) {
        snprintf(errstr, errstr_size,
                 "field 1 (country): \"%.12s\" is not 2 upper-case letters (ISO 3166)", f[0]);
        goto bad;
    }
    memcpy(row->country, f[0], 3);

    size_t blen = strlen(f[1]);
    if (blen == 0) {
        snprintf(errstr, errstr_size, "field 2 (bank_code): empty");
        goto bad;
    }
    if (blen > DIRECTORY_BANK_CODE_MAX) {
        snprintf(errstr, errstr_size, "field 2 (bank_code): longer than %d characters",
                 DIRECTORY_BANK_CODE_MAX);
        goto bad;
    }
    for (size_t i = 0; i < blen; i++) {
        char c = f[1][i];
        if (!is_alnum(c)) {
            snprintf(errstr, errstr_size,
                     "field 2 (bank_code): \"%.12s\" has characters other than letters and "
                     "digits",
                     f[1]);
            goto bad;
        }
        row->bank_code[i] = c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
    }
    row->bank_code[blen] = '\0';

    if (bic_normalise(f[2], row->bic) != 0) {
        snprintf(errstr, errstr_size,
                 "field 3 (bic): invalid BIC \"%.20s\" (8 or 11 characters, e.g. BNPAFRPP)", f[2]);
        goto bad;
    }
    if (strlen(row->bic) == BIC_MAX && strcmp(row->bic + 8, "XXX") == 0)
        row->bic[8] = '\0';

    if (!f[3][0]) {
        snprintf(errstr, errstr_size, "field 4 (name): empty");
        goto bad;
    }
    long chars = text_chars((const unsigned char *)f[3]);
    if (chars < 0) {
        snprintf(errstr, errstr_size, "field 4 (name): not UTF-8 text, or has control characters");
        goto bad;
    }
    if (chars > DIRECTORY_NAME_MAX) {
        snprintf(errstr, errstr_size, "field 4 (name): longer than %d characters",
                 DIRECTORY_NAME_MAX);
        goto bad;
    }
    memcpy(row->name, f[3], strlen(f[3]) + 1); /* <= 4 bytes a character, checked above */
    return 0;
bad:
    memset(row, 0, sizeof(*row));
    return -1;
}

/* The reason of a refusal is printed on the operator's terminal: the line's
 * own control bytes (escape sequences, CR) must not reach it. */
int directory_parse_line(const char *line, struct directory_row *row, char *errstr,
                         size_t errstr_size)
{
    int rc = parse_line(line, row, errstr, errstr_size);
    if (rc != 0) {
        for (char *p = errstr; *p; p++) {
            if ((unsigned char)*p < 0x20 || *p == 0x7f)
                *p = '?';
        }
    }
    return rc;
}

int directory_check_header(const char *line, char *errstr, size_t errstr_size)
{
    if (!line) {
        snprintf(errstr, errstr_size, "no header line");
        return -1;
    }
    if (csvread_header(line, &layout) != 0) {
        snprintf(errstr, errstr_size,
                 "the first line must be the header country,bank_code,bic,name");
        return -1;
    }
    return 0;
}

/* ---- import ------------------------------------------------------------------ */

enum import_mode {
    IMPORT_UPSERT, /* the file wins */
    IMPORT_FILL    /* rows already there win (the shipped seed) */
};

struct import {
    PGconn *c;
    enum import_mode mode;
    const char *path;
    FILE *report;
    struct progress *bar;
    struct directory_row *batch;
    size_t nbatch;
    size_t first_line, last_line; /* of the batch, for error messages */
    char *sql;                    /* the statement for a full batch */
    size_t rows, changed, bad;
};

static char *batch_sql(size_t n, enum import_mode mode)
{
    static const char head[] = "INSERT INTO bank_directory (country, bank_code, bic, name) VALUES ";
    static const char upsert[] =
        " ON CONFLICT (country, bank_code) DO UPDATE SET bic = EXCLUDED.bic,"
        " name = EXCLUDED.name, updated_at = now()"
        " WHERE (bank_directory.bic, bank_directory.name)"
        " IS DISTINCT FROM (EXCLUDED.bic, EXCLUDED.name)";
    static const char fill[] = " ON CONFLICT (country, bank_code) DO NOTHING";
    size_t cap = sizeof(head) + n * 40 + sizeof(upsert);
    char *s = malloc(cap);
    if (!s)
        return NULL;
    size_t len = (size_t)snprintf(s, cap, "%s", head);
    for (size_t i = 0; i < n; i++) {
        len += (size_t)snprintf(s + len, cap - len, "%s($%zu, $%zu, $%zu, $%zu)", i ? ", " : "",
                                4 * i + 1, 4 * i + 2, 4 * i + 3, 4 * i + 4);
    }
    snprintf(s + len, cap - len, "%s", mode == IMPORT_UPSERT ? upsert : fill);
    return s;
}

static int flush_batch(struct import *im, char *errstr, size_t errstr_size)
{
    const char *values[DIRECTORY_BATCH * DIRECTORY_FIELDS];
    char *sql = im->sql;
    int rc = -1;

    if (!im->nbatch)
        return 0;
    if (im->nbatch != DIRECTORY_BATCH) {
        sql = batch_sql(im->nbatch, im->mode);
        if (!sql) {
            snprintf(errstr, errstr_size, "out of memory");
            return -1;
        }
    }
    for (size_t i = 0; i < im->nbatch; i++) {
        values[4 * i] = im->batch[i].country;
        values[4 * i + 1] = im->batch[i].bank_code;
        values[4 * i + 2] = im->batch[i].bic;
        values[4 * i + 3] = im->batch[i].name;
    }
    PGresult *r = PQexecParams(im->c, sql, (int)(4 * im->nbatch), NULL, values, NULL, NULL, 0);
    if (PQresultStatus(r) == PGRES_COMMAND_OK) {
        im->rows += im->nbatch;
        im->changed += (size_t)strtoul(PQcmdTuples(r), NULL, 10);
        im->nbatch = 0;
        rc = 0;
    } else {
        snprintf(errstr, errstr_size, "%s: lines %zu..%zu: %s", im->path, im->first_line,
                 im->last_line, PQresultErrorMessage(r));
        errstr[strcspn(errstr, "\n")] = '\0';
    }
    PQclear(r);
    if (sql != im->sql)
        free(sql);
    return rc;
}

static int add_row(struct import *im, const struct directory_row *row, size_t lineno, char *errstr,
                   size_t errstr_size)
{
    /* One statement cannot touch a row twice: a repeated key starts a new batch,
     * and the later line wins. */
    for (size_t i = 0; i < im->nbatch; i++) {
        if (strcmp(im->batch[i].bank_code, row->bank_code) == 0 &&
            strcmp(im->batch[i].country, row->country) == 0) {
            if (flush_batch(im, errstr, errstr_size) != 0)
                return -1;
            break;
        }
    }
    if (!im->nbatch)
        im->first_line = lineno;
    im->batch[im->nbatch++] = *row;
    im->last_line = lineno;
    if (im->nbatch == DIRECTORY_BATCH)
        return flush_batch(im, errstr, errstr_size);
    return 0;
}

/* Data lines of the file, for the progress bar's total. */
static size_t count_lines(FILE *f)
{
    char buf[65536];
    size_t n = 0, r;
    int last = '\n';
    while ((r = fread(buf, 1, sizeof(buf), f)) > 0) {
        for (size_t i = 0; i < r; i++)
            n += buf[i] == '\n';
        last = buf[r - 1];
    }
    if (last != '\n')
        n++;
    rewind(f);
    return n ? n - 1 : 0;
}

static int import_file(PGconn *c, const char *path, FILE *report, enum import_mode mode,
                       struct import *im, char *errstr, size_t errstr_size)
{
    FILE *f = NULL;
    char line[CSVREAD_LINE_SIZE(DIRECTORY_LINE_MAX)];
    size_t lineno = 0;
    int in_tx = 0, rc = -1;
    char why[256];
    enum csvread_status st;

    memset(im, 0, sizeof(*im));
    im->c = c;
    im->mode = mode;
    im->path = path;
    im->report = report;
    f = fopen(path, "rb");
    if (!f) {
        snprintf(errstr, errstr_size, "%s: %s", path, strerror(errno));
        goto done;
    }
    im->batch = malloc(DIRECTORY_BATCH * sizeof(*im->batch));
    im->sql = batch_sql(DIRECTORY_BATCH, mode);
    if (!im->batch || !im->sql) {
        snprintf(errstr, errstr_size, "out of memory");
        goto done;
    }
    size_t total = report && isatty(fileno(report)) ? count_lines(f) : 0;

    st = csvread_line(f, line, sizeof(line));
    lineno = 1;
    if (st == CSVREAD_EOF) {
        snprintf(errstr, errstr_size, "%s is empty: expected the header country,bank_code,bic,name",
                 path);
        goto done;
    }
    if (st != CSVREAD_OK || directory_check_header(line, why, sizeof(why)) != 0) {
        snprintf(errstr, errstr_size,
                 "%s:1: the first line must be the header country,bank_code,bic,name", path);
        goto done;
    }
    if (cli_exec(c, "BEGIN", 0, NULL, PGRES_COMMAND_OK, NULL, "BEGIN", errstr, errstr_size) != 0)
        goto done;
    in_tx = 1;
    im->bar = progress_start(report, total, "rows");
    while ((st = csvread_line(f, line, sizeof(line))) != CSVREAD_EOF) {
        lineno++;
        struct directory_row row;
        int ok;
        if (st == CSVREAD_TOO_LONG) {
            snprintf(why, sizeof(why), "line longer than %d bytes", DIRECTORY_LINE_MAX);
            ok = -1;
        } else if (st == CSVREAD_NUL) {
            snprintf(why, sizeof(why), "NUL byte in the line");
            ok = -1;
        } else if (line[strspn(line, " \t\r\n")] == '\0') {
            progress_update(im->bar, lineno - 1);
            continue; /* blank line */
        } else {
            ok = directory_parse_line(line, &row, why, sizeof(why));
        }
        if (ok != 0) {
            im->bad++;
            if (report && im->bad <= DIRECTORY_REPORT_MAX) {
                progress_clear(im->bar);
                fprintf(report, "%s:%zu: %s\n", path, lineno, why);
            } else if (report && im->bad == DIRECTORY_REPORT_MAX + 1) {
                progress_clear(im->bar);
                fprintf(report, "%s: more bad lines, counted but not shown\n", path);
            }
        } else if (add_row(im, &row, lineno, errstr, errstr_size) != 0) {
            goto done;
        }
        progress_update(im->bar, lineno - 1);
    }
    if (ferror(f)) {
        snprintf(errstr, errstr_size, "%s: %s", path, strerror(errno));
        goto done;
    }
    if (flush_batch(im, errstr, errstr_size) != 0 ||
        cli_exec(c, "COMMIT", 0, NULL, PGRES_COMMAND_OK, NULL, "COMMIT", errstr, errstr_size) != 0)
        goto done;
    in_tx = 0;
    rc = 0;
done:
    progress_end(im->bar);
    im->bar = NULL;
    if (in_tx)
        PQclear(PQexec(c, "ROLLBACK"));
    if (rc != 0)
        im->rows = im->changed = 0;
    free(im->batch);
    free(im->sql);
    im->batch = NULL;
    im->sql = NULL;
    if (f)
        fclose(f);
    return rc;
}

int directory_import_file(PGconn *c, const char *path, FILE *report, char *errstr,
                          size_t errstr_size)
{
    struct import im;
    if (import_file(c, path, report, IMPORT_UPSERT, &im, errstr, errstr_size) != 0)
        return -1;
    if (report)
        fprintf(report,
                "directory import: %zu row%s imported from %s (%zu new or changed), %zu bad "
                "line%s skipped\n",
                im.rows, im.rows == 1 ? "" : "s", path, im.changed, im.bad, im.bad == 1 ? "" : "s");
    return im.bad > (size_t)INT32_MAX ? INT32_MAX : (int)im.bad;
}

int directory_seed(const char *conninfo, const char *sql_dir, char *errstr, size_t errstr_size)
{
    char path[4096];
    struct import im;

    if (!csvread_shipped(sql_dir, "bank_directory.csv", path, sizeof(path)))
        return 0;
    PGconn *c = PQconnectdb(conninfo);
    int rc = -1;
    if (PQstatus(c) != CONNECTION_OK) {
        cli_pq_error(errstr, errstr_size, "cannot connect", PQerrorMessage(c));
    } else if (import_file(c, path, stdout, IMPORT_FILL, &im, errstr, errstr_size) == 0) {
        printf("directory: %zu rows in %s, %zu added\n", im.rows, path, im.changed);
        if (im.bad)
            snprintf(errstr, errstr_size, "%zu bad line%s in the shipped %s", im.bad,
                     im.bad == 1 ? "" : "s", path);
        else
            rc = 0;
    }
    PQfinish(c);
    return rc;
}

int directory_lookup(PGconn *c, const char *iban, struct directory_row *row, char *errstr,
                     size_t errstr_size)
{
    char norm[IBAN_MAX + 1];

    memset(row, 0, sizeof(*row));
    enum iban_error e = iban_validate(iban, norm);
    if (e != IBAN_OK) {
        snprintf(errstr, errstr_size, "invalid IBAN: %s", iban_error_message(e));
        return -1;
    }
    if (iban_country(norm, row->country) != 0 ||
        iban_bank_code(norm, row->bank_code, sizeof(row->bank_code)) < 0) {
        snprintf(errstr, errstr_size, "invalid IBAN: no bank code");
        return -1;
    }
    const char *params[2] = {row->country, row->bank_code};
    PGresult *r = PQexecParams(c,
                               "SELECT bic, name FROM bank_directory "
                               "WHERE country = $1 AND bank_code = $2",
                               2, NULL, params, NULL, NULL, 0);
    int rc = -1;
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        snprintf(errstr, errstr_size, "%s", PQresultErrorMessage(r));
        errstr[strcspn(errstr, "\n")] = '\0';
    } else if (PQntuples(r) == 0) {
        rc = 1;
    } else {
        snprintf(row->bic, sizeof(row->bic), "%s", PQgetvalue(r, 0, 0));
        snprintf(row->name, sizeof(row->name), "%s", PQgetvalue(r, 0, 1));
        rc = 0;
    }
    PQclear(r);
    return rc;
}

/* ---- command line ------------------------------------------------------------ */

static void directory_usage(FILE *out)
{
    fprintf(out, "usage: relay48 [-c FILE] directory import FILE.csv\n"
                 "       relay48 [-c FILE] directory lookup IBAN\n"
                 "  import  upsert the rows of a CSV file (header country,bank_code,bic,name)\n"
                 "          into the bank directory; bad lines are reported and skipped\n"
                 "  lookup  the BIC and name of an IBAN's bank, or \"unknown\"\n");
}

enum directory_cmd { DIRECTORY_IMPORT, DIRECTORY_LOOKUP };

int directory_main(const char *conninfo, int argc, char **argv)
{
    static const char *const names[] = {"import", "lookup"};
    const char *sub = argc > 0 ? argv[0] : NULL;
    char err[1024];
    char iban[128] = "";

    int rc = 2;
    int cmd = cli_subcommand("directory", argc, argv, names, RELAY_ARRAY_LEN(names),
                             directory_usage, &rc);
    if (cmd < 0)
        return rc;
    if (cmd == DIRECTORY_IMPORT) {
        if (argc != 2 || argv[1][0] == '-') {
            directory_usage(stderr);
            return 2;
        }
    } else {
        /* "FR76 3000 4000 ..." typed without quotes arrives as several words. */
        size_t len = 0;
        for (int i = 1; i < argc; i++) {
            size_t w = strlen(argv[i]);
            if (len + w + 1 >= sizeof(iban))
                break;
            memcpy(iban + len, argv[i], w);
            len += w;
            iban[len] = '\0';
        }
        char norm[IBAN_MAX + 1];
        enum iban_error e = argc < 2 ? IBAN_EMPTY : iban_validate(iban, norm);
        if (e != IBAN_OK) {
            fprintf(stderr, "relay48 directory lookup: invalid IBAN: %s\n", iban_error_message(e));
            return 2;
        }
    }

    if (cmd == DIRECTORY_IMPORT && access(argv[1], R_OK) != 0) {
        fprintf(stderr, "relay48 directory import: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    PGconn *c = cli_connect(conninfo, "directory", sub);
    if (!c)
        return 1;
    if (cmd == DIRECTORY_IMPORT) {
        int bad = directory_import_file(c, argv[1], stderr, err, sizeof(err));
        if (bad < 0)
            fprintf(stderr, "relay48 directory import: %s\n", err);
        rc = bad == 0 ? 0 : 1;
    } else {
        struct directory_row row;
        int r = directory_lookup(c, iban, &row, err, sizeof(err));
        if (r == 0) {
            printf("%s\t%s\n", row.bic, row.name);
        } else if (r == 1) {
            printf("unknown\n");
            fprintf(stderr, "relay48: bank code %s (%s) is not in the directory\n", row.bank_code,
                    row.country);
        } else {
            fprintf(stderr, "relay48 directory lookup: %s\n", err);
        }
        rc = r == 0 ? 0 : 1;
    }
    PQfinish(c);
    return rc;
}
