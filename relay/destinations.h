/*
 * destinations.h — owns a connector's view of where deliveries go: the
 * endpoints, formats and signing secrets of the bank registry (banks.h,
 * sql/005_banks.sql) for the bank role, of the police jurisdiction table
 * (units.h, sql/006_units.sql) for the police role; the endpoints that
 * answered 410 Gone; and the health of each endpoint (consecutive failures).
 *
 * Endpoints come from the registry only, never from a message. The table is
 * loaded through one asynchronous query (one consistent snapshot: a bank's
 * endpoint and secrets come together) now and every refresh_ms; a failed
 * load keeps the previous table. Secrets are opened with the master key
 * (secretbox.h, AAD as banks.h and units.h say) at load and cleansed when
 * the table is replaced.
 *
 * Loop thread only. Pointers returned are valid until control returns to
 * the loop (a reload replaces the table): callers keep ids, not pointers.
 */
#ifndef RELAY48_DESTINATIONS_H
#define RELAY48_DESTINATIONS_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "routing.h"
#include "secretbox.h"
#include "sign.h"

#define DEST_ID_MAX      32 /* "bank:BNPAFRPPXXX", "unit:123456" */
#define DEST_SECRETS_MAX 4

enum dest_role { DEST_ROLE_BANK = 0, DEST_ROLE_POLICE };
enum dest_format { DEST_FORMAT_JSON = 0, DEST_FORMAT_CAMT056 };

struct dest_secret {
    unsigned char key[SIGN_SECRET_MAX];
    size_t len;
    int64_t valid_until; /* seconds; INT64_MAX: none */
};

struct destination {
    char id[DEST_ID_MAX];    /* "bank:<BIC>" or "unit:<id>": delivery bound and health key */
    char party[DEST_ID_MAX]; /* "bank:<BIC>" or "police:<département>" */
    char departement[9];     /* police: "31", "NATIONAL"; bank: "" */
    char name[201];
    char *endpoint;
    enum dest_format format;
    int fallback; /* police: the 24/7 desk */
    int gone;     /* the endpoint answered 410 */
    struct routing_hours hours;
    int nsecrets; /* newest first */
    struct dest_secret secrets[DEST_SECRETS_MAX];
};

struct event_base;
struct db;
struct destinations;

/*
 * Start loading through db (text SQL; db stays the caller's and must outlive
 * this or be freed after it). key is copied. failures_to_fail consecutive
 * failed attempts make an endpoint "failing" for cooldown_ms; a success
 * heals it at once. NULL when out of memory.
 */
struct destinations *destinations_new(struct event_base *base, struct db *db, enum dest_role role,
                                      const unsigned char key[SECRETBOX_KEY_LEN], int refresh_ms,
                                      int failures_to_fail, int64_t cooldown_ms);
void destinations_free(struct destinations *d);

/* 1 once a load succeeded. */
int destinations_loaded(const struct destinations *d);

/* The destination of that id, or NULL. */
const struct destination *destinations_get(const struct destinations *d, const char *id);

/* Every destination of the table, in the registry's order (units by id). */
const struct destination *destinations_all(const struct destinations *d, size_t *n);

/* The secrets of dst valid at now_s, as sign_secret entries (up to max). */
int destinations_secrets(const struct destination *dst, int64_t now_s, struct sign_secret *out,
                         int max);

/* 410 Gone: marked now in memory and recorded (delivery_endpoints_gone) so
 * that other connectors and restarts know it. */
void destinations_mark_gone(struct destinations *d, const char *id);

/* The outcome of an attempt to id (health). */
void destinations_report(struct destinations *d, const char *id, int ok, int64_t now_ms);
/* 1 while id is failing (see destinations_new). */
int destinations_failing(const struct destinations *d, const char *id, int64_t now_ms);

#endif
