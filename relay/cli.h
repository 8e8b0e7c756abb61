/*
 * cli.h — owns what the command-line subcommands (key, bank, unit, bin,
 * directory, secrets, purge) share: reading their words (the subcommand,
 * "--name VALUE" options, numbers) with the same messages and exit codes; the
 * blocking libpq calls they make (connect, one statement, an idempotent state
 * change, a listing), with one-line errors from libpq messages; and query
 * results printed as aligned columns for a person.
 *
 * Exit codes, as every subcommand documents them: 0, 1 (an error, with a
 * message on stderr), 2 (bad usage or a bad value). Messages read
 * "relay48 <cmd> <sub>: ..."; cmd is the subcommand's group ("bank"), sub
 * the word after it ("add").
 *
 * Blocking: the command line and `relay48 migrate` only, never the loop.
 */
#ifndef RELAY48_CLI_H
#define RELAY48_CLI_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdio.h>

#include "common.h"

/* ---- words ------------------------------------------------------------------ */

/*
 * Which of names argv[0] is (argc may be 0): its index, or -1 with
 * *exit_code set once the usage is printed: 0 for "help", "-h" or "--help"
 * (usage on stdout), 2 when the word is missing or unknown (on stderr, with
 * "relay48 <cmd>: unknown subcommand" for the latter).
 */
int cli_subcommand(const char *cmd, int argc, char **argv, const char *const *names, size_t nnames,
                   void (*usage)(FILE *out), int *exit_code);

/*
 * The value of "NAME VALUE" (then *i moves onto VALUE) or "NAME=VALUE" at
 * argv[*i]; NULL when argv[*i] is not option name, or it is the last word and
 * has no value.
 */
const char *cli_option_value(int argc, char **argv, int *i, const char *name);

/* "relay48 <cmd> <sub>: unexpected argument ..." then the usage, on stderr.
 * Returns 2, the exit code of bad usage. */
int cli_unexpected(const char *cmd, const char *sub, const char *arg, void (*usage)(FILE *out));

/* text as a decimal number of min..max (strtol's syntax, nothing after it):
 * 0 with *out set, or -1. */
int cli_parse_long(const char *text, long min, long max, long *out) RELAY_MUSTCHECK;

/* ---- the database (blocking libpq) ------------------------------------------- */

/* "what: msg" cut at the first line break of msg. */
void cli_pq_error(char *errstr, size_t errstr_size, const char *what, const char *msg);

/* A connection to conninfo; NULL after "relay48 <cmd> <sub>: cannot connect
 * to the database: ..." on stderr. The caller PQfinish-es it. */
PGconn *cli_connect(const char *conninfo, const char *cmd, const char *sub);

/*
 * Run sql with nparams text parameters. 0 when its status is want, with the
 * result in *keep (the caller PQclear-s it) or cleared when keep is NULL;
 * -1 with "what: <libpq message>".
 */
int cli_exec(PGconn *c, const char *sql, int nparams, const char *const *params,
             ExecStatusType want, PGresult **keep, const char *what, char *errstr,
             size_t errstr_size) RELAY_MUSTCHECK;

/*
 * An idempotent change of one row named by key ($1): update_sql changes the
 * row only when it is not in the new state yet; when it changed nothing,
 * exists_sql tells whether the row exists. 0 changed, 1 already so, 2 no such
 * row (errstr untouched: the caller names what it looked for), -1 with
 * "what: <libpq message>".
 */
int cli_set_state(PGconn *c, const char *update_sql, const char *exists_sql, const char *key,
                  const char *what, char *errstr, size_t errstr_size) RELAY_MUSTCHECK;

/* The rows of sql (its first cols columns) as cli_print_table prints them
 * under head. 0, or -1 with "what: <libpq message>" and nothing printed. */
int cli_list(PGconn *c, FILE *out, const char *sql, const char *const *head, int cols,
             const char *what, char *errstr, size_t errstr_size) RELAY_MUSTCHECK;

/* The rows of r under the cols headings, each column as wide as its widest
 * value (counted in code points) plus two spaces. */
void cli_print_table(FILE *out, const PGresult *r, const char *const *head, int cols);

#endif
