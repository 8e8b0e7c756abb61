/*
 * secretbox.h — owns secrets at rest: AES-256-GCM (OpenSSL EVP) under the
 * relay's master key, and the loading of that key.
 *
 * The master key is 32 bytes written as 64 hex digits, taken from the
 * environment variable RELAY48_MASTER_KEY or, when that is unset or empty,
 * from the file named by the configuration key secrets.master_key_file (64
 * hex digits, surrounding whitespace allowed). It is never a configuration
 * value itself, so `relay48 config` cannot print it; a missing or malformed
 * key is an error the caller reports at start (`relay48 bank ...`, and
 * `relay48 serve` when webhooks are enabled).
 *
 * A sealed value: one version byte (SECRETBOX_VERSION), a random 96-bit
 * nonce, the ciphertext, the 128-bit tag. The additional data (AAD) binds a
 * sealed value to what it belongs to (relay/banks.c gives the bank's BIC), so
 * a value copied onto another row does not open.
 *
 * Changing the master key: secretbox_reseal opens a value under the old key
 * and seals it again under the new one (`relay48 secrets reseal`, reseal.h).
 *
 * Pure but for RAND_bytes (the nonce) and the file reads of
 * secretbox_key_load and secretbox_key_file. Buffers that held plaintext or
 * the key are cleansed.
 */
#ifndef RELAY48_SECRETBOX_H
#define RELAY48_SECRETBOX_H

#include <stddef.h>

#include "common.h"

#define SECRETBOX_KEY_LEN   32
#define SECRETBOX_NONCE_LEN 12
#define SECRETBOX_TAG_LEN   16
#define SECRETBOX_VERSION   1
/* Bytes a sealed value has beyond its plaintext. */
#define SECRETBOX_OVERHEAD (1 + SECRETBOX_NONCE_LEN + SECRETBOX_TAG_LEN)
/* The environment variable of the master key. */
#define SECRETBOX_ENV "RELAY48_MASTER_KEY"

/*
 * The master key from env_value (the value of RELAY48_MASTER_KEY, NULL or ""
 * when unset) or else from the file at file_path (NULL or "": none). 0 with
 * the key in key; -1 with a message that says what to set (never the key)
 * and key zeroed.
 */
int secretbox_key_load(const char *env_value, const char *file_path,
                       unsigned char key[SECRETBOX_KEY_LEN], char *errstr,
                       size_t errstr_size) RELAY_MUSTCHECK;

/*
 * The key in the file at path: 64 hex digits, surrounding whitespace allowed,
 * at most 1 KiB. 0 with the key in key; -1 with "<what> <path>: ..." (what
 * names where the path came from: "secrets.master_key_file",
 * "--old-key-file"; never the file's content) and key zeroed.
 */
int secretbox_key_file(const char *what, const char *path, unsigned char key[SECRETBOX_KEY_LEN],
                       char *errstr, size_t errstr_size) RELAY_MUSTCHECK;

/*
 * 0 when hex is exactly 2 * SECRETBOX_KEY_LEN hex digits (any case), with
 * the key in key; -1 otherwise (key zeroed).
 */
int secretbox_key_from_hex(const char *hex, unsigned char key[SECRETBOX_KEY_LEN]) RELAY_MUSTCHECK;

/*
 * Seal plaintext (pt_len bytes) with AAD into out, which needs pt_len +
 * SECRETBOX_OVERHEAD bytes (out_size). 0 with *out_len set, or -1 (out_size
 * too small, random generator or cipher failure).
 */
int secretbox_seal(const unsigned char key[SECRETBOX_KEY_LEN], const void *aad, size_t aad_len,
                   const void *pt, size_t pt_len, unsigned char *out, size_t out_size,
                   size_t *out_len) RELAY_MUSTCHECK;

/*
 * Open a sealed value: 0 with the plaintext in pt (in_len -
 * SECRETBOX_OVERHEAD bytes; pt_size at least that) and *pt_len set; -1 when
 * the value is too short, of another version, or its tag does not match
 * (another key, another AAD, a changed byte): pt is then zeroed.
 */
int secretbox_open(const unsigned char key[SECRETBOX_KEY_LEN], const void *aad, size_t aad_len,
                   const unsigned char *in, size_t in_len, unsigned char *pt, size_t pt_size,
                   size_t *pt_len) RELAY_MUSTCHECK;

/* Longest plaintext secretbox_reseal handles (a webhook secret is 64 bytes). */
#define SECRETBOX_RESEAL_MAX 1024

/* What secretbox_reseal found. */
#define SECRETBOX_RESEALED  0  /* opened under the old key, sealed under the new one */
#define SECRETBOX_UNDER_NEW 1  /* does not open under the old key, opens under the new */
#define SECRETBOX_UNOPENED  -1 /* opens under neither key (or another AAD, a changed byte) */
#define SECRETBOX_FAILED    -2 /* longer than SECRETBOX_RESEAL_MAX, out too small, OpenSSL */

/*
 * Seal again under new_key (a fresh nonce) the value in (in_len bytes) sealed
 * under old_key with aad, into out (out_size at least in_len). Returns one of
 * the SECRETBOX_* outcomes above; *out_len is in_len for SECRETBOX_RESEALED,
 * 0 otherwise (out cleansed). The plaintext only passes through a buffer
 * that is cleansed. The caller refuses old_key == new_key: every value would
 * then be SECRETBOX_RESEALED.
 */
int secretbox_reseal(const unsigned char old_key[SECRETBOX_KEY_LEN],
                     const unsigned char new_key[SECRETBOX_KEY_LEN], const void *aad,
                     size_t aad_len, const unsigned char *in, size_t in_len, unsigned char *out,
                     size_t out_size, size_t *out_len) RELAY_MUSTCHECK;

#endif
