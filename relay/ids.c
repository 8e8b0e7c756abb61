/* ids.c — random identifiers; see ids.h. */
#include "ids.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

int ids_case_ref(char out[IDS_REF_SIZE])
{
    unsigned char raw[8];
    if (RAND_bytes(raw, sizeof(raw)) != 1)
        return -1;
    unsigned long long v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | raw[i];
    memcpy(out, "R48-", 4);
    int pos = 4;
    for (int i = 0; i < 12; i++) {
        if (i == 4 || i == 8)
            out[pos++] = '-';
        out[pos++] = crockford[v & 31];
        v >>= 5;
    }
    out[pos] = '\0';
    return 0;
}

int ids_ref_valid(const char *s)
{
    if (strlen(s) != IDS_REF_SIZE - 1 || strncmp(s, "R48-", 4) != 0)
        return 0;
    for (int i = 4; i < IDS_REF_SIZE - 1; i++) {
        if (i == 8 || i == 13) {
            if (s[i] != '-')
                return 0;
        } else if (!s[i] || !strchr(crockford, s[i])) {
            return 0;
        }
    }
    return 1;
}

int ids_uuid4(char out[IDS_UUID_SIZE])
{
    unsigned char b[16];
    if (RAND_bytes(b, sizeof(b)) != 1)
        return -1;
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, IDS_UUID_SIZE,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
             b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
             b[15]);
    return 0;
}

/* SHA-256 fetched once: EVP_sha256() makes OpenSSL 3 look the algorithm
 * up again at every digest, a third of the cost of a short one. */
static EVP_MD *sha256;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_fetch(void)
{
    sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

int ids_uuid_derived(const char *name, size_t len, char out[IDS_UUID_SIZE])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    pthread_once(&sha256_once, sha256_fetch);
    if (EVP_Digest(name, len, md, &mdlen, sha256 ? sha256 : EVP_sha256(), NULL) != 1 || mdlen < 16)
        return -1;
    md[6] = (unsigned char)((md[6] & 0x0f) | 0x80); /* version 8: custom */
    md[8] = (unsigned char)((md[8] & 0x3f) | 0x80); /* RFC 9562 variant */
    static const char hex[] = "0123456789abcdef";
    int o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[md[i] >> 4];
        out[o++] = hex[md[i] & 15];
    }
    out[o] = '\0';
    return 0;
}

int ids_token(char out[IDS_TOKEN_SIZE])
{
    static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char raw[33];
    if (RAND_bytes(raw, 32) != 1)
        return -1;
    raw[32] = 0;
    int pos = 0;
    for (int i = 0; i < 33 && pos < IDS_TOKEN_SIZE - 1; i += 3) {
        unsigned v = ((unsigned)raw[i] << 16) | ((unsigned)(i + 1 < 33 ? raw[i + 1] : 0) << 8) |
                     (unsigned)(i + 2 < 33 ? raw[i + 2] : 0);
        for (int k = 18; k >= 0 && pos < IDS_TOKEN_SIZE - 1; k -= 6)
            out[pos++] = b64url[(v >> k) & 63];
    }
    out[pos] = '\0';
    return 0;
}
