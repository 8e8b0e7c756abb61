/*
 * units.h — owns the police jurisdiction table (sql/006_units.sql): the
 * units that receive a département's police escalations, their endpoints,
 * office hours (routing.h), fallback flag and Standard Webhooks secrets
 * sealed at rest under the master key (secretbox.h, AAD "relay48 unit secret
 * <id>") — and the `relay48 unit` command (blocking libpq, command line
 * only). The connectors read the table through destinations.h.
 *
 * A unit's party is "police:<département>" (the role of its API key for
 * acknowledgements); several units may serve one département (a day desk,
 * its 24/7 fallback). Endpoints are https:// only: a police escalation
 * carries a victim's name and contacts.
 */
#ifndef RELAY48_UNITS_H
#define RELAY48_UNITS_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common.h"
#include "secretbox.h"
#include "sign.h"

#define UNITS_NAME_MAX     200  /* bytes of UTF-8 */
#define UNITS_ENDPOINT_MAX 2048 /* bytes */

struct config;

/* ---- pure ------------------------------------------------------------------ */

/* An endpoint: "https://" then a host, at most UNITS_ENDPOINT_MAX visible
 * ASCII characters. 0, or -1 with a message. */
int units_endpoint_check(const char *url, char *errstr, size_t errstr_size) RELAY_MUSTCHECK;

/* A département code of postal.h or NATIONAL, upper-cased into out
 * ("2a" -> "2A"). 0, or -1 with a message. */
int units_departement_normalise(const char *in, char out[9], char *errstr,
                                size_t errstr_size) RELAY_MUSTCHECK;

/* The additional data that binds a sealed secret to its unit. */
void units_secret_aad(int64_t id, char *out, size_t out_size);

/* ---- command line (blocking libpq) -------------------------------------------- */

/*
 * Register a unit and its first secret (nbytes random bytes) in one
 * statement. hours NULL: the default calendar. 0 with the unit's id in *id
 * and the secret's text in secret_out; -1 with a message (never the secret).
 */
int units_add(PGconn *c, const unsigned char key[SECRETBOX_KEY_LEN], const char *departement,
              const char *name, const char *endpoint, const char *hours, int fallback,
              size_t nbytes, int64_t *id, char secret_out[SIGN_SECRET_TEXT_SIZE], char *errstr,
              size_t errstr_size) RELAY_MUSTCHECK;

/* A new secret for unit id; the current ones stay valid overlap_hours more. */
int units_rotate(PGconn *c, const unsigned char key[SECRETBOX_KEY_LEN], int64_t id,
                 int overlap_hours, size_t nbytes, char secret_out[SIGN_SECRET_TEXT_SIZE],
                 char *errstr, size_t errstr_size) RELAY_MUSTCHECK;

/* Disable (disabled = 1) or enable a unit; enabling also forgets a 410 Gone
 * its endpoint answered. 0 changed, 1 already so, -1 no such unit or error. */
int units_set_disabled(PGconn *c, int64_t id, int disabled, char *errstr,
                       size_t errstr_size) RELAY_MUSTCHECK;

/* Every unit as an aligned table: ID, DEPT, NAME, FALLBACK, HOURS, ENDPOINT,
 * SECRETS (valid now), STATE (enabled, disabled, gone). Never a secret. */
int units_list(PGconn *c, FILE *out, char *errstr, size_t errstr_size) RELAY_MUSTCHECK;

/*
 * `relay48 unit ...`; argv[0] is the first word after "unit". Exit code 0,
 * 1 (an error, with a message on stderr) or 2 (bad usage or value):
 *   add --dept D --name NAME --endpoint URL [--hours TEXT] [--fallback]
 *   rotate-secret ID [--overlap-hours N]
 *   list
 *   disable ID
 *   enable ID
 * add prints the unit's secret alone on stdout (its id on stderr); so does
 * rotate-secret.
 */
int units_main(const struct config *cfg, int argc, char **argv);

#endif
