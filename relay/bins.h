/*
 * bins.h — owns the BIN table: the first 6 or 8 digits of a card (its BIN,
 * ISO/IEC 7812) -> the BIC and name of the issuing bank, so that a card
 * declaration that does not name its issuer is still escalated to it. The
 * data is CSV (RFC 4180), imported by an operator (`relay48 bin import`)
 * into card_bins, or loaded by `relay48 migrate` from
 * sql/data/card_bins.csv when that file exists (none is shipped: BIN
 * ranges are licensed by the card schemes and change often).
 *
 * The CSV: a header line "bin,bic,name" (any case, a UTF-8 byte order mark
 * allowed), then one row a line, LF or CRLF:
 *   bin   6 or 8 digits;
 *   bic   a BIC, normalised as in bank_directory (upper case, "XXX" branch
 *         code dropped);
 *   name  1..200 bytes of UTF-8 without control characters.
 * Fields may be quoted ("..." with "" inside); blank lines are skipped; bad
 * lines are reported and skipped; a BIN repeated in a file: the later line
 * wins.
 *
 * Lookup: an 8-digit entry equal to the card's first 8 digits wins over a
 * 6-digit entry equal to its first 6.
 *
 * Pure: bins_parse_line, bins_check_header. Blocking libpq (command line,
 * migrate): bins_import_file, bins_seed, bins_main. Loop thread: the cache.
 */
#ifndef RELAY48_BINS_H
#define RELAY48_BINS_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdio.h>

#include "common.h"
#include "iban.h"

#define BINS_NAME_MAX 200 /* bytes */
#define BINS_LINE_MAX 1024
#define BINS_BATCH    500
/* Bad lines reported one by one; the rest are only counted. */
#define BINS_REPORT_MAX 100
/* Bound of the daemon's table. */
#define BINS_CACHE_MAX 2000000

struct bins_row {
    char bin[9];
    char bic[BIC_MAX + 1];
    char name[BINS_NAME_MAX + 1];
};

/* One data line (its line break ignored) into row: 0, or -1 with a one-line
 * reason naming the field, row zeroed. */
int bins_parse_line(const char *line, struct bins_row *row, char *errstr,
                    size_t errstr_size) RELAY_MUSTCHECK;

/* 0 when line is the header "bin,bic,name", -1 with a reason. */
int bins_check_header(const char *line, char *errstr, size_t errstr_size) RELAY_MUSTCHECK;

/*
 * Import a CSV file into card_bins in one transaction. upsert: rows already
 * there are updated (an operator's import); otherwise left alone (the seed).
 * Bad lines are skipped and reported on `report` as "FILE:LINE: reason" (may
 * be NULL), with a summary line. Returns the number of bad lines, or -1 with
 * errstr when nothing was imported.
 */
int bins_import_file(PGconn *c, const char *path, int upsert, FILE *report, char *errstr,
                     size_t errstr_size) RELAY_MUSTCHECK;

/* <sql_dir>/data/card_bins.csv into card_bins (existing rows kept), when
 * the file exists. 0 (also without a file), or -1 with errstr. */
int bins_seed(const char *conninfo, const char *sql_dir, char *errstr,
              size_t errstr_size) RELAY_MUSTCHECK;

/*
 * `relay48 bin ...`: import FILE.csv | lookup BIN_OR_CARD_PREFIX ("BIC<TAB>name",
 * or "unknown" and exit 1). Exit code 0, 1, or 2 for bad usage.
 */
int bins_main(const char *conninfo, int argc, char **argv);

/* ---- the daemon's cache (loop thread) ------------------------------------------ */

struct event_base;
struct db;
struct bins;

/* Loaded through db now, then every refresh_ms; a failed load keeps the
 * last table. NULL when out of memory. */
struct bins *bins_new(struct event_base *base, struct db *db, int refresh_ms);
void bins_free(struct bins *b);

/* The issuer's BIC of a card whose first digits are `digits` (6 or more): 0
 * with bic filled, -1 unknown (or before the first load). NULL b: unknown. */
int bins_lookup(const struct bins *b, const char *digits, char bic[BIC_MAX + 1]);

/* Rows loaded. */
size_t bins_size(const struct bins *b);

#endif
