/* secretbox.c — AES-256-GCM at rest under the master key; see secretbox.h. */
#include "secretbox.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

#include "hex.h"

/* A key file is small: 64 hex digits and some whitespace. */
#define KEY_FILE_MAX 1024

int secretbox_key_from_hex(const char *hex, unsigned char key[SECRETBOX_KEY_LEN])
{
    size_t n = 0;
    memset(key, 0, SECRETBOX_KEY_LEN);
    if (!hex || strnlen(hex, 2 * SECRETBOX_KEY_LEN + 1) != 2 * SECRETBOX_KEY_LEN ||
        hex_decode(hex, key, SECRETBOX_KEY_LEN, &n) != 0 || n != SECRETBOX_KEY_LEN) {
        OPENSSL_cleanse(key, SECRETBOX_KEY_LEN);
        return -1;
    }
    return 0;
}

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int secretbox_key_file(const char *what, const char *path, unsigned char key[SECRETBOX_KEY_LEN],
                       char *errstr, size_t errstr_size)
{
    char buf[KEY_FILE_MAX + 1];
    memset(key, 0, SECRETBOX_KEY_LEN);
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(errstr, errstr_size, "%s %s: %s", what, path, strerror(errno));
        return -1;
    }
    size_t n = fread(buf, 1, KEY_FILE_MAX + 1, f);
    int read_error = ferror(f);
    fclose(f);
    int rc = -1;
    if (read_error) {
        snprintf(errstr, errstr_size, "%s %s: read error", what, path);
    } else if (n > KEY_FILE_MAX) {
        snprintf(errstr, errstr_size, "%s %s: larger than %d bytes; it must hold 64 hex digits",
                 what, path, KEY_FILE_MAX);
    } else {
        buf[n] = '\0';
        char *s = buf;
        while (is_ws(*s))
            s++;
        char *e = s + strlen(s);
        while (e > s && is_ws(e[-1]))
            *--e = '\0';
        if (secretbox_key_from_hex(s, key) == 0)
            rc = 0;
        else
            snprintf(errstr, errstr_size, "%s %s: must hold 64 hex digits (32 bytes)", what, path);
    }
    OPENSSL_cleanse(buf, sizeof(buf));
    return rc;
}

int secretbox_key_load(const char *env_value, const char *file_path,
                       unsigned char key[SECRETBOX_KEY_LEN], char *errstr, size_t errstr_size)
{
    memset(key, 0, SECRETBOX_KEY_LEN);
    if (env_value && *env_value) {
        if (secretbox_key_from_hex(env_value, key) == 0)
            return 0;
        snprintf(errstr, errstr_size,
                 "%s must be 64 hex digits (32 bytes; e.g. from `openssl rand -hex 32`)",
                 SECRETBOX_ENV);
        return -1;
    }
    if (!file_path || !*file_path) {
        snprintf(errstr, errstr_size,
                 "no master key: set %s to 64 hex digits (32 bytes; e.g. from `openssl rand "
                 "-hex 32`), or secrets.master_key_file to a file that holds them",
                 SECRETBOX_ENV);
        return -1;
    }
    return secretbox_key_file("secrets.master_key_file", file_path, key, errstr, errstr_size);
}

int secretbox_seal(const unsigned char key[SECRETBOX_KEY_LEN], const void *aad, size_t aad_len,
                   const void *pt, size_t pt_len, unsigned char *out, size_t out_size,
                   size_t *out_len)
{
    int rc = -1, len = 0;
    *out_len = 0;
    if (!out || pt_len > (size_t)1 << 30 || out_size < pt_len + SECRETBOX_OVERHEAD ||
        (!pt && pt_len) || (!aad && aad_len) || aad_len > (size_t)1 << 30)
        return -1;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    unsigned char *nonce = out + 1;
    unsigned char *ct = nonce + SECRETBOX_NONCE_LEN;
    out[0] = SECRETBOX_VERSION;
    if (!ctx || RAND_bytes(nonce, SECRETBOX_NONCE_LEN) != 1)
        goto done;
    if (EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, SECRETBOX_NONCE_LEN, NULL) != 1 ||
        EVP_EncryptInit_ex(ctx, NULL, NULL, key, nonce) != 1)
        goto done;
    if (aad_len && EVP_EncryptUpdate(ctx, NULL, &len, aad, (int)aad_len) != 1)
        goto done;
    if (pt_len && EVP_EncryptUpdate(ctx, ct, &len, pt, (int)pt_len) != 1)
        goto done;
    if (EVP_EncryptFinal_ex(ctx, ct + pt_len, &len) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, SECRETBOX_TAG_LEN, ct + pt_len) != 1)
        goto done;
    *out_len = pt_len + SECRETBOX_OVERHEAD;
    rc = 0;
done:
    if (rc != 0)
        OPENSSL_cleanse(out, out_size < pt_len + SECRETBOX_OVERHEAD ? out_size
                                                                    : pt_len + SECRETBOX_OVERHEAD);
    EVP_CIPHER_CTX_free(ctx);
    return rc;
}

int secretbox_open(const unsigned char key[SECRETBOX_KEY_LEN], const void *aad, size_t aad_len,
                   const unsigned char *in, size_t in_len, unsigned char *pt, size_t pt_size,
                   size_t *pt_len)
{
    int rc = -1, len = 0;
    *pt_len = 0;
    if (!in || in_len < SECRETBOX_OVERHEAD || in[0] != SECRETBOX_VERSION ||
        in_len - SECRETBOX_OVERHEAD > pt_size || in_len > (size_t)1 << 30 || (!aad && aad_len) ||
        aad_len > (size_t)1 << 30)
        return -1;
    size_t n = in_len - SECRETBOX_OVERHEAD;
    const unsigned char *nonce = in + 1;
    const unsigned char *ct = nonce + SECRETBOX_NONCE_LEN;
    unsigned char tag[SECRETBOX_TAG_LEN];
    memcpy(tag, ct + n, SECRETBOX_TAG_LEN);
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (!ctx)
        goto done;
    if (EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, SECRETBOX_NONCE_LEN, NULL) != 1 ||
        EVP_DecryptInit_ex(ctx, NULL, NULL, key, nonce) != 1)
        goto done;
    if (aad_len && EVP_DecryptUpdate(ctx, NULL, &len, aad, (int)aad_len) != 1)
        goto done;
    if (n && EVP_DecryptUpdate(ctx, pt, &len, ct, (int)n) != 1)
        goto done;
    if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, SECRETBOX_TAG_LEN, tag) != 1 ||
        EVP_DecryptFinal_ex(ctx, pt + n, &len) != 1)
        goto done;
    *pt_len = n;
    rc = 0;
done:
    if (rc != 0 && pt)
        OPENSSL_cleanse(pt, n);
    EVP_CIPHER_CTX_free(ctx);
    return rc;
}

int secretbox_reseal(const unsigned char old_key[SECRETBOX_KEY_LEN],
                     const unsigned char new_key[SECRETBOX_KEY_LEN], const void *aad,
                     size_t aad_len, const unsigned char *in, size_t in_len, unsigned char *out,
                     size_t out_size, size_t *out_len)
{
    unsigned char pt[SECRETBOX_RESEAL_MAX];
    size_t n = 0;
    int rc = SECRETBOX_FAILED;
    *out_len = 0;
    if (!in || !out || in_len > SECRETBOX_RESEAL_MAX + SECRETBOX_OVERHEAD || out_size < in_len)
        return SECRETBOX_FAILED;
    if (secretbox_open(old_key, aad, aad_len, in, in_len, pt, sizeof(pt), &n) == 0) {
        if (secretbox_seal(new_key, aad, aad_len, pt, n, out, out_size, out_len) == 0)
            rc = SECRETBOX_RESEALED;
    } else if (secretbox_open(new_key, aad, aad_len, in, in_len, pt, sizeof(pt), &n) == 0) {
        rc = SECRETBOX_UNDER_NEW;
    } else {
        rc = SECRETBOX_UNOPENED;
    }
    OPENSSL_cleanse(pt, sizeof(pt));
    if (rc != SECRETBOX_RESEALED) {
        OPENSSL_cleanse(out, in_len);
        *out_len = 0;
    }
    return rc;
}
