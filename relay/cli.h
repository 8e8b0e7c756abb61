/*
 * cli.h — owns what the command-line subcommands (key, bank, unit, purge) share:
 * options with a value, one-line errors from libpq messages, and query
 * results printed as aligned columns for a person.
 */
#ifndef RELAY48_CLI_H
#define RELAY48_CLI_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdio.h>

#include "common.h"

/* The value of option `name` at argv[*i], given as "--name=value" or as
 * "--name value" (then *i moves past it); NULL when argv[*i] is another
 * option or the value is missing. */
const char *cli_option_value(int argc, char **argv, int *i, const char *name);

/* "what: msg" cut at the first line break of msg. */
void cli_pq_error(char *errstr, size_t errstr_size, const char *what, const char *msg);

/* The rows of r under the cols headings, each column as wide as its widest
 * value (counted in code points) plus two spaces. */
void cli_print_table(FILE *out, const PGresult *r, const char *const *head, int cols);

#endif
