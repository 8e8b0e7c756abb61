/* dlq.c — dead letters of the connectors; see dlq.h. */
#include "dlq.h"

#include <inttypes.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "ids.h"
#include "timeutil.h"

int dlq_event_id(const char *topic, int32_t partition, int64_t offset, char out[37])
{
    char in[320];
    int n =
        snprintf(in, sizeof(in), "delivery.failed|%.250s|%d|%" PRId64, topic, partition, offset);
    if (n < 0 || (size_t)n >= sizeof(in))
        return -1;
    return ids_uuid_derived(in, (size_t)n, out);
}

int dlq_uuid_ok(const char *s)
{
    if (!s || strlen(s) != 36)
        return 0;
    for (int i = 0; i < 36; i++) {
        char ch = s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (ch != '-')
                return 0;
        } else if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))) {
            return 0;
        }
    }
    return 1;
}

char *dlq_build(const struct dlq_source *s, int64_t now_s)
{
    char at[TIMEUTIL_UTC_SIZE];
    if (rfc3339_format_utc(now_s, at, sizeof(at)) != 0)
        return NULL;
    json_t *d = json_object();
    if (!d)
        return NULL;
    /* json_object_set_new takes the value even when it fails. */
    int bad = json_object_set_new(d, "source_topic", json_string(s->topic)) ||
              json_object_set_new(d, "source_partition", json_integer(s->partition)) ||
              json_object_set_new(d, "source_offset", json_integer(s->offset)) ||
              json_object_set_new(d, "event_id",
                                  json_string(dlq_uuid_ok(s->event_id) ? s->event_id : "")) ||
              json_object_set_new(d, "destination", json_string(s->destination)) ||
              json_object_set_new(d, "reason", json_string(s->reason)) ||
              json_object_set_new(d, "attempts", json_integer(s->attempts)) ||
              json_object_set_new(d, "at", json_string(at));
    if (!bad && s->type && *s->type)
        bad = json_object_set_new(d, "source_type", json_string(s->type));
    if (!bad && s->last_status >= 100 && s->last_status <= 599)
        bad = json_object_set_new(d, "last_status", json_integer(s->last_status));
    if (!bad && s->last_error && *s->last_error)
        bad = json_object_set_new(d, "last_error", json_string(s->last_error));
    if (!bad && s->last_answer && *s->last_answer)
        bad = json_object_set_new(d, "last_answer", json_string(s->last_answer));
    if (!bad && s->original) {
        bad = json_object_set_new(d, "original", json_incref((json_t *)s->original));
    } else if (!bad) {
        /* Not a JSON object: its bytes, base64, within the bound. */
        size_t n = s->value_len < DLQ_ORIGINAL_MAX ? s->value_len : DLQ_ORIGINAL_MAX;
        char *b64 = malloc(4 * ((n + 2) / 3) + 1);
        if (b64)
            EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)(s->value ? s->value : ""),
                            (int)n);
        bad = !b64 || json_object_set_new(d, "original", json_object()) ||
              json_object_set_new(d, "original_base64", json_string(b64));
        free(b64);
    }
    char *text = bad ? NULL : json_dumps(d, JSON_COMPACT);
    json_decref(d);
    return text;
}
