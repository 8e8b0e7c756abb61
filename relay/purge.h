/*
 * purge.h — owns `relay48 purge`: the command that anonymises or deletes
 * personal data past its retention (relay/retention.h), for cron or an
 * operator, with --dry-run to see what is due. A progress bar on a
 * terminal (stderr), plain progress lines otherwise; a summary per data
 * class on stdout.
 */
#ifndef RELAY48_PURGE_H
#define RELAY48_PURGE_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

struct config;

/* argv: what follows "purge". 0 done, 1 database failure, 2 usage. */
int purge_main(const struct config *cfg, int argc, char **argv);

/* A retention for people: "30 d" for whole days, else "900 s". Pure. */
void purge_format_keep(int64_t seconds, char *out, size_t out_size);

#endif
