/* events.c — the tokens and flags of a new case; see events.h. */
#include "events.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

void events_token(const unsigned char *key, size_t key_len, const char *text, char out[65])
{
    unsigned char md[32];
    unsigned int len = 0;
    HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)text, strlen(text), md, &len);
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
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
