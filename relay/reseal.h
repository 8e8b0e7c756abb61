/*
 * reseal.h — owns the change of the master key: `relay48 secrets reseal`
 * opens every sealed secret (bank_secrets and police_unit_secrets, expired
 * ones too) under the old key and seals it again under the new one, in one
 * transaction: every row or none.
 *
 * The new key is the configured master key (RELAY48_MASTER_KEY or
 * secrets.master_key_file, read as every command reads it, secretbox.h); the
 * old one comes from the file named by --old-key-file, never from the command
 * line, where ps would show it. The crypto is secretbox_reseal's, through
 * sealed_reseal; each row keeps its additional data (the bank's BIC, the
 * unit's id).
 *
 * A row that opens under neither key makes the whole run fail. A row that
 * opens under the new key only (a second run, or a secret added under the new
 * key) makes it fail too, unless skip_resealed: then it is left as it is and
 * counted. Failing rows are named by table and row id on the report stream,
 * never by their content; nothing is changed. The two tables are locked
 * against writes (LOCK ... IN EXCLUSIVE MODE) for the transaction, so no
 * secret added meanwhile stays under the old key; the relays' loads (plain
 * SELECTs) go on.
 *
 * Blocking libpq: the command line only.
 */
#ifndef RELAY48_RESEAL_H
#define RELAY48_RESEAL_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdio.h>

#include "common.h"
#include "secretbox.h"

/* The tables re-sealed, in this order: bank_secrets, police_unit_secrets. */
#define RESEAL_TABLES 2
/* Failing rows named on the report; the others are counted. */
#define RESEAL_REPORT_MAX 20

struct config;

/* What one table gave. */
struct reseal_count {
    const char *table; /* "bank_secrets" */
    size_t resealed;   /* opened under the old key, sealed under the new */
    size_t skipped;    /* already under the new key (skip_resealed only) */
};

/*
 * Re-seal every secret from old_key to new_key in one transaction, with a
 * progress bar on report when it is a terminal (progress.h) and the failing
 * rows named on report (NULL: not shown). 0 committed, with counts filled;
 * -1 with a message (rows that would not re-seal, how many; or libpq's) and
 * nothing changed. old_key and new_key differ (the caller checks).
 */
int reseal_all(PGconn *c, const unsigned char old_key[SECRETBOX_KEY_LEN],
               const unsigned char new_key[SECRETBOX_KEY_LEN], int skip_resealed, FILE *report,
               struct reseal_count counts[RESEAL_TABLES], char *errstr,
               size_t errstr_size) RELAY_MUSTCHECK;

/*
 * `relay48 secrets ...`; argv[0] is the first word after "secrets":
 *   reseal --old-key-file FILE [--skip-resealed]
 * Prints one summary line a table on stdout. Exit code 0, 1 (an error, or a
 * secret that would not re-seal: nothing changed) or 2 (bad usage, or the
 * old key is the configured one).
 */
int reseal_main(const struct config *cfg, int argc, char **argv);

#endif
