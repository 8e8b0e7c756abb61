/*
 * sealed.h — owns a webhook signing secret sealed at rest: the Standard
 * Webhooks secrets of the banks (banks.h) and of the police units (units.h),
 * both kept the same way.
 *
 * A secret is nbytes random bytes (SIGN_SECRET_MIN..SIGN_SECRET_MAX), handed
 * once to its owner as its "whsec_..." text (sign.h) and stored only sealed
 * under the master key (secretbox.h) with an additional data that names the
 * owner ("relay48 bank secret <BIC>", "relay48 unit secret <id>"), so that a
 * sealed value copied onto another owner's row does not open. PostgreSQL
 * holds it as bytea, sent and read as hex text (hex.h).
 *
 * Every owner's secrets live in a table of their own (bank_secrets,
 * police_unit_secrets) with the columns sealed, valid_from and valid_until;
 * a rotation adds a new secret and ends the validity of the current ones
 * after an overlap, during which a signature under either is accepted.
 *
 * Pure but for RAND_bytes: sealed_new, sealed_open, sealed_reseal. Blocking
 * libpq (command line only): sealed_add, sealed_rotate. Buffers that held a secret are cleansed.
 */
#ifndef RELAY48_SEALED_H
#define RELAY48_SEALED_H

#include <libpq-fe.h>
#include <stddef.h>

#include "common.h"
#include "secretbox.h"
#include "sign.h"

/* The longest sealed secret, its hex text with the NUL, an additional data. */
#define SEALED_MAX      (SIGN_SECRET_MAX + SECRETBOX_OVERHEAD)
#define SEALED_HEX_SIZE (2 * SEALED_MAX + 1)
#define SEALED_AAD_SIZE 64
/* Longest overlap of a rotation, hours (30 days). */
#define SEALED_OVERLAP_MAX_HOURS 720

/*
 * A new secret of nbytes random bytes for the owner named by aad: its text
 * into secret_out, its sealed value as hex into sealed_hex. 0, or -1 with a
 * message (nbytes out of bounds, OpenSSL) and both buffers cleansed. The
 * caller cleanses secret_out once it was shown.
 */
int sealed_new(const unsigned char key[SECRETBOX_KEY_LEN], const char *aad, size_t nbytes,
               char secret_out[SIGN_SECRET_TEXT_SIZE], char sealed_hex[SEALED_HEX_SIZE],
               char *errstr, size_t errstr_size) RELAY_MUSTCHECK;

/*
 * Open the sealed value written as hex (what encode(sealed, 'hex') gives) for
 * the owner named by aad: 0 with the secret's bytes in out and *out_len set
 * (SIGN_SECRET_MIN..SIGN_SECRET_MAX), or -1 (not hex, longer than a sealed
 * secret, another key or owner, shorter than a secret) with out zeroed.
 */
int sealed_open(const unsigned char key[SECRETBOX_KEY_LEN], const char *aad, const char *hex,
                unsigned char out[SIGN_SECRET_MAX], size_t *out_len) RELAY_MUSTCHECK;

/*
 * The sealed value written as hex, for the owner named by aad, sealed again
 * from old_key to new_key (secretbox_reseal) into out_hex, as hex. Returns
 * SECRETBOX_RESEALED with out_hex set, SECRETBOX_UNDER_NEW (it already opens
 * under new_key only), SECRETBOX_UNOPENED (under neither, or not the hex of
 * a sealed secret) or SECRETBOX_FAILED (OpenSSL); out_hex is "" but for the
 * first.
 */
int sealed_reseal(const unsigned char old_key[SECRETBOX_KEY_LEN],
                  const unsigned char new_key[SECRETBOX_KEY_LEN], const char *aad, const char *hex,
                  char out_hex[SEALED_HEX_SIZE]) RELAY_MUSTCHECK;

/* Parameters sealed_add passes before the sealed hex, at most. */
#define SEALED_PARAMS_MAX 15

/*
 * A new owner with its first secret, in one statement so in one
 * transaction: sealed_new with aad, then sql run with the nparams text
 * params followed by the sealed hex ($nparams + 1, for decode(..., 'hex')),
 * which must answer PGRES_COMMAND_OK. 0 with the secret's text in
 * secret_out; 1 when a unique constraint refused a row (the owner exists),
 * -1 otherwise, both with "what: <libpq message>" and secret_out cleansed.
 */
int sealed_add(PGconn *c, const unsigned char key[SECRETBOX_KEY_LEN], const char *aad,
               size_t nbytes, const char *sql, int nparams, const char *const *params,
               char secret_out[SIGN_SECRET_TEXT_SIZE], const char *what, char *errstr,
               size_t errstr_size) RELAY_MUSTCHECK;

/* Where an owner's secrets are: the owners' table and its key column, the
 * secrets' table and its column naming the owner. Identifiers written into
 * SQL as they are: constants of the program, never input. */
struct sealed_owner {
    const char *noun;           /* "bank": "no bank X (relay48 bank list)" */
    const char *table;          /* "banks" */
    const char *column;         /* "bic" */
    const char *secrets_table;  /* "bank_secrets" */
    const char *secrets_column; /* "bic" */
};

/*
 * A new secret (sealed_new with aad) for the owner whose key is owner_key, in
 * one transaction that locks the owner's row (concurrent rotations queue
 * behind it): the secrets valid now stay valid overlap_hours more (0:
 * refused at once, at most SEALED_OVERLAP_MAX_HOURS), then the new one is
 * added. 0 with the text in secret_out; -1 with a message, "no <noun> ..."
 * when the owner does not exist, and secret_out cleansed.
 */
int sealed_rotate(PGconn *c, const struct sealed_owner *owner, const char *owner_key,
                  const char *aad, const unsigned char key[SECRETBOX_KEY_LEN], int overlap_hours,
                  size_t nbytes, char secret_out[SIGN_SECRET_TEXT_SIZE], char *errstr,
                  size_t errstr_size) RELAY_MUSTCHECK;

#endif
