/*
 * banks.h — owns the bank registry: the banks that push events to
 * POST /v1/webhooks/banks/{bic} and to which the bank connectors deliver,
 * with their Standard Webhooks secrets sealed at rest (secretbox.h) — the
 * `relay48 bank` command (blocking libpq, command line only) and the
 * daemon's in-memory cache of enabled banks and their valid secrets
 * (asynchronous, loop thread).
 *
 * A bank is named by its BIC, normalised as everywhere in relay48: upper
 * case, an 11-character BIC whose branch code is "XXX" written as its
 * 8-character form. The same BIC is the bank's party ("bank:<BIC>"), the key
 * of its escalations on Kafka and the {bank_id} of its webhook URL.
 *
 * A secret is 24 to 64 random bytes (banks.secret_bytes, 32), handed to the
 * bank once as "whsec_<base64>" on stdout by `bank add` or `bank
 * rotate-secret`; the database holds it sealed under the master key (AAD
 * "relay48 bank secret <BIC>", sealed.h), never in clear; nothing logs it.
 *
 * Rotation: `bank rotate-secret` adds a new secret and ends the validity of
 * the current ones after the overlap (--overlap-hours, default
 * banks.rotation_overlap_hours): during the overlap a signature under either
 * secret is accepted, after it only the new one.
 */
#ifndef RELAY48_BANKS_H
#define RELAY48_BANKS_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common.h"
#include "iban.h"
#include "sealed.h"
#include "secretbox.h"
#include "sign.h"

#define BANKS_NAME_MAX     200  /* bytes of UTF-8 */
#define BANKS_ENDPOINT_MAX 2048 /* bytes */
/* Valid secrets of one bank the cache keeps (the newest). */
#define BANKS_SECRETS_MAX 8
/* Bound of the cache; more enabled banks than this is refused. */
#define BANKS_CACHE_MAX  10000
#define BANKS_REFRESH_MS 2000
/* Longest overlap of a rotation, hours (30 days). */
#define BANKS_OVERLAP_MAX_HOURS SEALED_OVERLAP_MAX_HOURS

enum bank_format { BANK_FORMAT_JSON = 0, BANK_FORMAT_CAMT056 };

struct config;

/* ---- pure ----------------------------------------------------------------- */

const char *banks_format_name(enum bank_format f);
int banks_format_parse(const char *s, enum bank_format *out) RELAY_MUSTCHECK;

/* A BIC as relay48 names a bank (see above): 0, or -1 with out "" and a message. */
int banks_bic_normalise(const char *in, char out[BIC_MAX + 1], char *errstr,
                        size_t errstr_size) RELAY_MUSTCHECK;

/* An endpoint: "http://" or "https://" then a non-empty host, at most
 * BANKS_ENDPOINT_MAX visible ASCII characters. 0, or -1 with a message. */
int banks_endpoint_check(const char *url, char *errstr, size_t errstr_size) RELAY_MUSTCHECK;

/* 1..BANKS_NAME_MAX bytes of UTF-8 without control characters. */
int banks_name_check(const char *name, char *errstr, size_t errstr_size) RELAY_MUSTCHECK;

/* The additional data that binds a sealed secret to its bank. */
void banks_secret_aad(const char *bic, char *out, size_t out_size);

/* ---- command line (blocking libpq; never on the loop thread) ---------------- */

/*
 * Register a bank and its first secret (nbytes random bytes), in one
 * transaction. 0 with the secret's text in secret_out; -1 with a message
 * (the BIC already registered included). The secret is in no message.
 */
int banks_add(PGconn *c, const unsigned char key[SECRETBOX_KEY_LEN], const char *bic,
              const char *name, const char *endpoint, enum bank_format format, size_t nbytes,
              char secret_out[SIGN_SECRET_TEXT_SIZE], char *errstr,
              size_t errstr_size) RELAY_MUSTCHECK;

/*
 * A new secret for bic; the secrets valid now stay valid for overlap_hours
 * more (0: refused at once). 0 with the text in secret_out, -1 with a message.
 */
int banks_rotate(PGconn *c, const unsigned char key[SECRETBOX_KEY_LEN], const char *bic,
                 int overlap_hours, size_t nbytes, char secret_out[SIGN_SECRET_TEXT_SIZE],
                 char *errstr, size_t errstr_size) RELAY_MUSTCHECK;

/* Disable (enable = 0: enable again) a bank: its webhooks are refused (401)
 * within banks.refresh_ms. 0 changed, 1 already so, -1 no such bank or error. */
int banks_set_disabled(PGconn *c, const char *bic, int disabled, char *errstr,
                       size_t errstr_size) RELAY_MUSTCHECK;

/* Every bank as an aligned table: BIC, NAME, FORMAT, ENDPOINT, SECRETS (valid
 * now), CREATED, DISABLED. Never a secret. */
int banks_list(PGconn *c, FILE *out, char *errstr, size_t errstr_size) RELAY_MUSTCHECK;

/*
 * `relay48 bank ...`; argv[0] is the first word after "bank". Exit code: 0,
 * 1 (an error, with a message on stderr: a missing master key included) or
 * 2 (bad usage or a bad value). Subcommands:
 *   add --bic BIC --name NAME --endpoint URL [--format json|camt056]
 *   rotate-secret --bic BIC [--overlap-hours N]
 *   list
 *   disable --bic BIC
 *   enable --bic BIC
 * add and rotate-secret print the new secret alone on stdout.
 */
int banks_main(const struct config *cfg, int argc, char **argv);

/* ---- the daemon's cache (loop thread) ------------------------------------------ */

struct event_base;
struct db;
struct banks_cache;

/*
 * Load the enabled banks and their secrets valid now (opened with key, which
 * is copied) through db now, then every refresh_ms, like keys_cache (keys.h):
 * a failed load keeps the previous table; a secret that does not open under
 * the master key is skipped and logged (by its row id). NULL when out of
 * memory.
 */
struct banks_cache *banks_cache_new(struct event_base *base, struct db *db,
                                    const unsigned char key[SECRETBOX_KEY_LEN], int refresh_ms);

/*
 * The secrets of bank bic (normalised) valid at now (seconds), newest first,
 * up to max, into out: their bytes stay valid until control returns to the
 * loop. Returns the count (0: a known bank without a valid secret), or -1
 * when bic is not an enabled bank.
 */
int banks_cache_secrets(const struct banks_cache *c, const char *bic, int64_t now,
                        struct sign_secret *out, int max);

/* 1 once a load succeeded. */
int banks_cache_loaded(const struct banks_cache *c);
/* Enabled banks in the table. */
size_t banks_cache_count(const struct banks_cache *c);
/* The secrets are cleansed; a load in flight is abandoned. */
void banks_cache_free(struct banks_cache *c);

#endif
