/* events.c — the tokens and flags of a new case; see events.h. */
#include "events.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <string.h>

#include "hex.h"

/* SHA-256 fetched once (as in ids.c): EVP_sha256() makes OpenSSL 3 look the
 * algorithm up again at every HMAC; two tokens a report. */
static EVP_MD *sha256;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_fetch(void)
{
    sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}
void events_token(const unsigned char *key, size_t key_len, const char *text, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    pthread_once(&sha256_once, sha256_fetch);
    if (!HMAC(sha256 ? sha256 : EVP_sha256(), key, (int)key_len, (const unsigned char *)text,
              strlen(text), md, &len) ||
        len < 32)
        memset(md, 0, 32);
    hex_encode(md, 32, out);
}

json_t *events_flags(const struct report *r, const struct routing *rt)
{
    json_t *flags = json_array();
    if (r->kind == REPORT_TRANSFER) {
        if (!rt->debtor.bic[0])
            json_array_append_new(flags, json_string("unknown_debtor_bank"));
        if (!rt->creditor.bic[0])
            json_array_append_new(flags, json_string("unknown_creditor_bank"));
    } else if (!rt->issuer.bic[0]) {
        json_array_append_new(flags, json_string("unknown_issuer_bank"));
    }
    if (rt->police_required)
        json_array_append_new(flags, json_string("police_escalation"));
    if (!rt->departement[0])
        json_array_append_new(flags, json_string("national_queue"));
    return flags;
}
