/* sealed.c — webhook signing secrets sealed at rest; see sealed.h. */
#include "sealed.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "hex.h"

/* Longest statement sealed_rotate writes (identifiers included). */
#define SQL_MAX 512

int sealed_new(const unsigned char key[SECRETBOX_KEY_LEN], const char *aad, size_t nbytes,
               char secret_out[SIGN_SECRET_TEXT_SIZE], char sealed_hex[SEALED_HEX_SIZE],
               char *errstr, size_t errstr_size)
{
    unsigned char secret[SIGN_SECRET_MAX], sealed[SEALED_MAX];
    size_t sealed_len = 0;
    int rc = -1;
    secret_out[0] = '\0';
    sealed_hex[0] = '\0';
    if (sign_secret_generate(secret, nbytes) != 0) {
        snprintf(errstr, errstr_size, "cannot generate a secret of %zu bytes (24 to 64)", nbytes);
        goto done;
    }
    if (secretbox_seal(key, aad, strlen(aad), secret, nbytes, sealed, sizeof(sealed),
                       &sealed_len) != 0 ||
        sign_secret_format(secret, nbytes, secret_out, SIGN_SECRET_TEXT_SIZE) != 0) {
        snprintf(errstr, errstr_size, "cannot seal the secret (OpenSSL)");
        goto done;
    }
    hex_encode(sealed, sealed_len, sealed_hex);
    rc = 0;
done:
    OPENSSL_cleanse(secret, sizeof(secret));
    OPENSSL_cleanse(sealed, sizeof(sealed));
    if (rc != 0) {
        OPENSSL_cleanse(secret_out, SIGN_SECRET_TEXT_SIZE);
        OPENSSL_cleanse(sealed_hex, SEALED_HEX_SIZE);
    }
    return rc;
}

int sealed_open(const unsigned char key[SECRETBOX_KEY_LEN], const char *aad, const char *hex,
                unsigned char out[SIGN_SECRET_MAX], size_t *out_len)
{
    unsigned char sealed[SEALED_MAX];
    size_t len = 0;
    int rc = -1;
    *out_len = 0;
    if (hex_decode(hex, sealed, sizeof(sealed), &len) == 0 &&
        secretbox_open(key, aad, strlen(aad), sealed, len, out, SIGN_SECRET_MAX, out_len) == 0 &&
        *out_len >= SIGN_SECRET_MIN)
        rc = 0;
    OPENSSL_cleanse(sealed, sizeof(sealed));
    if (rc != 0) {
        OPENSSL_cleanse(out, SIGN_SECRET_MAX);
        *out_len = 0;
    }
    return rc;
}

int sealed_reseal(const unsigned char old_key[SECRETBOX_KEY_LEN],
                  const unsigned char new_key[SECRETBOX_KEY_LEN], const char *aad, const char *hex,
                  char out_hex[SEALED_HEX_SIZE])
{
    unsigned char in[SEALED_MAX], out[SEALED_MAX];
    size_t in_len = 0, out_len = 0;
    out_hex[0] = '\0';
    if (hex_decode(hex, in, sizeof(in), &in_len) != 0)
        return SECRETBOX_UNOPENED;
    int rc = secretbox_reseal(old_key, new_key, aad, strlen(aad), in, in_len, out, sizeof(out),
                              &out_len);
    if (rc == SECRETBOX_RESEALED)
        hex_encode(out, out_len, out_hex);
    OPENSSL_cleanse(out, sizeof(out));
    return rc;
}

int sealed_add(PGconn *c, const unsigned char key[SECRETBOX_KEY_LEN], const char *aad,
               size_t nbytes, const char *sql, int nparams, const char *const *params,
               char secret_out[SIGN_SECRET_TEXT_SIZE], const char *what, char *errstr,
               size_t errstr_size)
{
    char sealed_hex[SEALED_HEX_SIZE];
    const char *all[SEALED_PARAMS_MAX + 1];
    secret_out[0] = '\0';
    if (nparams < 0 || nparams > SEALED_PARAMS_MAX) {
        snprintf(errstr, errstr_size, "%s: more than %d parameters", what, SEALED_PARAMS_MAX);
        return -1;
    }
    if (sealed_new(key, aad, nbytes, secret_out, sealed_hex, errstr, errstr_size) != 0)
        return -1;
    for (int k = 0; k < nparams; k++)
        all[k] = params[k];
    all[nparams] = sealed_hex;
    PGresult *r = PQexecParams(c, sql, nparams + 1, NULL, all, NULL, NULL, 0);
    int rc = 0;
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        cli_pq_error(errstr, errstr_size, what, PQresultErrorMessage(r));
        OPENSSL_cleanse(secret_out, SIGN_SECRET_TEXT_SIZE);
        rc = state && strcmp(state, "23505") == 0 ? 1 : -1;
    }
    PQclear(r);
    OPENSSL_cleanse(sealed_hex, sizeof(sealed_hex));
    return rc;
}

int sealed_rotate(PGconn *c, const struct sealed_owner *owner, const char *owner_key,
                  const char *aad, const unsigned char key[SECRETBOX_KEY_LEN], int overlap_hours,
                  size_t nbytes, char secret_out[SIGN_SECRET_TEXT_SIZE], char *errstr,
                  size_t errstr_size)
{
    static const char what[] = "cannot rotate";
    char sealed_hex[SEALED_HEX_SIZE], hours[16];
    char lock_sql[SQL_MAX], expire_sql[SQL_MAX], insert_sql[SQL_MAX];
    PGresult *r = NULL;
    int rc = -1, in_tx = 0;
    secret_out[0] = '\0';
    sealed_hex[0] = '\0';
    if (overlap_hours < 0 || overlap_hours > SEALED_OVERLAP_MAX_HOURS) {
        snprintf(errstr, errstr_size, "overlap: 0 to %d hours", SEALED_OVERLAP_MAX_HOURS);
        return -1;
    }
    snprintf(hours, sizeof(hours), "%d", overlap_hours);
    snprintf(lock_sql, sizeof(lock_sql), "SELECT 1 FROM %s WHERE %s = $1 FOR UPDATE", owner->table,
             owner->column);
    snprintf(expire_sql, sizeof(expire_sql),
             "UPDATE %s SET valid_until = now() + make_interval(hours => $2::int)"
             " WHERE %s = $1 AND (valid_until IS NULL"
             " OR valid_until > now() + make_interval(hours => $2::int))",
             owner->secrets_table, owner->secrets_column);
    snprintf(insert_sql, sizeof(insert_sql),
             "INSERT INTO %s (%s, sealed) VALUES ($1, decode($2, 'hex'))", owner->secrets_table,
             owner->secrets_column);
    if (sealed_new(key, aad, nbytes, secret_out, sealed_hex, errstr, errstr_size) != 0)
        return -1;
    const char *p1[1] = {owner_key};
    const char *p2[2] = {owner_key, hours};
    const char *p3[2] = {owner_key, sealed_hex};
    if (cli_exec(c, "BEGIN", 0, NULL, PGRES_COMMAND_OK, NULL, what, errstr, errstr_size) != 0)
        goto done;
    in_tx = 1;
    /* The owner's row lock orders concurrent rotations. */
    if (cli_exec(c, lock_sql, 1, p1, PGRES_TUPLES_OK, &r, what, errstr, errstr_size) != 0)
        goto done;
    int found = PQntuples(r) == 1;
    PQclear(r);
    if (!found) {
        snprintf(errstr, errstr_size, "no %s %s (relay48 %s list)", owner->noun, owner_key,
                 owner->noun);
        goto done;
    }
    if (cli_exec(c, expire_sql, 2, p2, PGRES_COMMAND_OK, NULL, what, errstr, errstr_size) != 0 ||
        cli_exec(c, insert_sql, 2, p3, PGRES_COMMAND_OK, NULL, what, errstr, errstr_size) != 0)
        goto done;
    in_tx = 0; /* COMMIT ends the transaction whether it succeeds or not */
    if (cli_exec(c, "COMMIT", 0, NULL, PGRES_COMMAND_OK, NULL, what, errstr, errstr_size) != 0)
        goto done;
    rc = 0;
done:
    if (in_tx)
        PQclear(PQexec(c, "ROLLBACK"));
    if (rc != 0)
        OPENSSL_cleanse(secret_out, SIGN_SECRET_TEXT_SIZE);
    OPENSSL_cleanse(sealed_hex, sizeof(sealed_hex));
    return rc;
}
