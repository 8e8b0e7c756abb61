/*
 * directory.h — owns the bank directory: country + national bank code ->
 * BIC and bank name, the key that turns a victim's or a beneficiary's IBAN
 * into the bank an escalation is addressed to. The data is CSV (RFC 4180),
 * shipped in sql/data/bank_directory.csv and loaded by `relay48 migrate`
 * (directory_seed), or imported by an operator (`relay48 directory import`)
 * into the bank_directory table.
 *
 * The CSV: a header line "country,bank_code,bic,name" (any case, an UTF-8
 * byte order mark allowed), then one row a line, LF or CRLF:
 *   country    2 upper-case letters (ISO 3166 alpha-2, the IBAN's prefix);
 *   bank_code  1..11 letters or digits, upper-cased: the bank identifier
 *              that iban_bank_code finds in an IBAN of that country (FR 5
 *              digits, DE 8, BE 3, ES 4, IT 5...);
 *   bic        a BIC, spaces removed and upper-cased (bic_normalise); a
 *              branch code "XXX", which names the primary office, is dropped
 *              ("BNPAFRPPXXX" -> "BNPAFRPP") so that one office has one name
 *              in the directory, in bank:<BIC> roles and in Kafka keys;
 *   name       1..200 characters of UTF-8 without control characters.
 * Fields may be quoted ("..."), with "" for a quote inside; a line break
 * inside a quoted field is refused (one record is one line, so a bad line
 * never swallows the lines after it). Blank lines are skipped.
 *
 * Pure: directory_parse_line, directory_check_header. Blocking libpq (the
 * command line and `relay48 migrate`, never the daemon's loop): the rest.
 */
#ifndef RELAY48_DIRECTORY_H
#define RELAY48_DIRECTORY_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdio.h>

#include "common.h"
#include "iban.h"

#define DIRECTORY_BANK_CODE_MAX 11
/* Characters (code points) of a bank name; its buffer holds 4 bytes each. */
#define DIRECTORY_NAME_MAX 200
/* Longest line, in bytes, without its line break. */
#define DIRECTORY_LINE_MAX 4096
/* Rows per INSERT statement. */
#define DIRECTORY_BATCH 500
/* Bad lines reported one by one; the rest are only counted. */
#define DIRECTORY_REPORT_MAX 100

struct directory_row {
    char country[3];
    char bank_code[DIRECTORY_BANK_CODE_MAX + 1];
    char bic[BIC_MAX + 1];
    char name[DIRECTORY_NAME_MAX * 4 + 1];
};

/*
 * Parse one data line (a trailing "\n" or "\r\n" is ignored) into row,
 * checked and normalised as above. 0, or -1 with a one-line reason that
 * names the field ("field 3 (bic): invalid BIC \"BNPA\"") and row zeroed.
 */
int directory_parse_line(const char *line, struct directory_row *row, char *errstr,
                         size_t errstr_size) RELAY_MUSTCHECK;

/* 0 when line is the header "country,bank_code,bic,name" (see above), -1
 * with a reason otherwise. */
int directory_check_header(const char *line, char *errstr, size_t errstr_size) RELAY_MUSTCHECK;

/*
 * Import a CSV file into bank_directory, in one transaction, DIRECTORY_BATCH
 * rows per statement (INSERT ... ON CONFLICT (country, bank_code) DO UPDATE;
 * a row whose bic and name are unchanged is not rewritten, so updated_at
 * tells when a bank's entry last changed). When a (country, bank_code)
 * appears twice in the file, the later line wins.
 *
 * Bad lines are skipped, each reported on `report` as "FILE:LINE: reason"
 * (the first DIRECTORY_REPORT_MAX of them); a progress bar is drawn there
 * when it is a terminal; a summary line ends the report. report may be NULL
 * (silent).
 *
 * Returns the number of bad lines (0: everything imported), with the good
 * rows committed; or -1 with errstr when nothing was imported: the file
 * cannot be read, its first line is not the header, or the database failed
 * (the transaction is rolled back).
 */
int directory_import_file(PGconn *c, const char *path, FILE *report, char *errstr,
                          size_t errstr_size) RELAY_MUSTCHECK;

/*
 * Load <sql_dir>/data/bank_directory.csv, when that file exists, for
 * `relay48 migrate` (after migrate_run): rows already in bank_directory are
 * left as they are (ON CONFLICT DO NOTHING), so a fuller directory an
 * operator imported is never overwritten by the partial shipped one; an
 * operator who wants the shipped rows to win imports the file explicitly.
 * A summary line goes to stdout. 0 (also when the file does not exist), or
 * -1 with errstr (a bad line in the shipped file included: it is a bug).
 */
int directory_seed(const char *conninfo, const char *sql_dir, char *errstr,
                   size_t errstr_size) RELAY_MUSTCHECK;

/*
 * The directory row of an IBAN (any spacing and case): 0 found (row
 * filled), 1 not in the directory, -1 with errstr (an invalid IBAN, or a
 * database error).
 */
int directory_lookup(PGconn *c, const char *iban, struct directory_row *row, char *errstr,
                     size_t errstr_size) RELAY_MUSTCHECK;

/*
 * `relay48 directory ...`; argv[0] is the first word after "directory".
 * Returns the exit code: 0, 1 (an error, bad lines, an unknown bank) or 2
 * (bad usage, an invalid IBAN). Subcommands:
 *   import FILE.csv   import, report bad lines on stderr, summary on stderr
 *   lookup IBAN       "BIC<TAB>name" on stdout, or "unknown" (exit 1)
 */
int directory_main(const char *conninfo, int argc, char **argv);

#endif
