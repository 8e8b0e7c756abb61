/*
 * migrate.h — owns the schema migrations: sql/NNN_name.sql applied in order,
 * each inside its own transaction, recorded with its SHA-256 in
 * relay48_migrations. Applying is idempotent; a migration whose file changed
 * after it was applied, an applied migration whose file is gone, or a new file
 * numbered below one already applied stops the run before anything is done.
 *
 * The planning is pure (migrate_plan) so that the ordering rules are unit
 * tested; migrate_run is the thin blocking shell used by `relay48 migrate`.
 */
#ifndef RELAY48_MIGRATE_H
#define RELAY48_MIGRATE_H

#include <stddef.h>
#include <stdio.h>

#include "common.h"

#define MIGRATE_MAX 999

struct migration {
    int version;
    char name[128];    /* file name */
    char checksum[65]; /* hex SHA-256 of the file */
};

/* Parse "NNN_name.sql": version, or -1 when the name is not a migration. */
int migrate_parse_name(const char *file_name);

/* Decide what to apply. files and applied in any order. On success todo holds
 * indexes into files, ascending by version. -1 with errstr on any rule broken. */
int migrate_plan(const struct migration *files, size_t nfiles, const struct migration *applied,
                 size_t napplied, size_t *todo, size_t *ntodo, char *errstr,
                 size_t errstr_size) RELAY_MUSTCHECK;

/* Read dir: every migration file with its checksum. Caller frees *out. */
int migrate_scan(const char *dir, struct migration **out, size_t *n, char *errstr,
                 size_t errstr_size) RELAY_MUSTCHECK;

/* Connect, lock, plan, apply. Progress lines go to progress (may be NULL). */
int migrate_run(const char *conninfo, const char *dir, FILE *progress, char *errstr,
                size_t errstr_size) RELAY_MUSTCHECK;

#endif
