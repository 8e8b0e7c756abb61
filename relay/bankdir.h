/*
 * bankdir.h — owns the relay's in-memory copy of the bank directory
 * (country + national bank code -> BIC and name), loaded from PostgreSQL on
 * the loop and refreshed every directory.refresh_ms, so that routing a report
 * to its banks costs no round trip. A failed refresh keeps the last copy.
 */
#ifndef RELAY48_BANKDIR_H
#define RELAY48_BANKDIR_H

#include <stddef.h>

#include "common.h"

struct event_base;
struct db;
struct bankdir;

struct bankdir *bankdir_new(struct event_base *base, struct db *db, int refresh_ms) RELAY_MUSTCHECK;
void bankdir_free(struct bankdir *d);

/* BIC and name of a normalised, valid IBAN's bank. 0 found, -1 unknown.
 * name may be NULL. */
int bankdir_lookup(const struct bankdir *d, const char *iban, char bic[12], char *name,
                   size_t name_size);

/* Rows loaded (0 before the first load). */
size_t bankdir_size(const struct bankdir *d);

/* 1 once a load succeeded, 0 before: a report routed before would name no
 * bank (UNKNOWN), so the intake refuses reports until then. */
int bankdir_loaded(const struct bankdir *d);

#endif
