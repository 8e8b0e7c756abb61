/* events.c — payloads of a new case's events; see events.h. */
#include "events.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

#include "amount.h"
#include "timeutil.h"

void events_token(const unsigned char *key, size_t key_len, const char *text, char out[65])
{
    unsigned char md[32];
    unsigned int len = 0;
    HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)text, strlen(text), md, &len);
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static json_t *time_json(int64_t t)
{
    char buf[TIMEUTIL_UTC_SIZE];
    if (rfc3339_format_utc(t, buf, sizeof(buf)) != 0)
        return json_null();
    return json_string(buf);
}

static json_t *amount_json(int64_t minor, const char *currency)
{
    char buf[AMOUNT_FORMAT_MAX];
    if (amount_format(minor, currency, buf, sizeof(buf)) != 0)
        return json_null();
    return json_pack("{s:s, s:s}", "value", buf, "currency", currency);
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

/* Members common to every event of the case. */
static json_t *case_base(const struct report *r, const struct window_plan *plan, const char *ref,
                         const char *milestone, const char *severity)
{
    json_t *o = json_object();
    json_object_set_new(o, "ref", json_string(ref));
    json_object_set_new(o, "kind", json_string(report_kind_name(r->kind)));
    json_object_set_new(o, "rail", json_string(rail_name(r->rail)));
    if (milestone)
        json_object_set_new(o, "milestone", json_string(milestone));
    if (severity)
        json_object_set_new(o, "severity", json_string(severity));
    json_object_set_new(o, "received_at", time_json(plan->received_at));
    json_object_set_new(o, "start_at", time_json(plan->start));
    json_object_set_new(o, "deadline_at", time_json(plan->deadline_at));
    json_object_set_new(o, "amount", amount_json(r->amount_minor, r->currency));
    return o;
}

static json_t *party_json(const char *iban, const char *bic, json_t *details, const char *side)
{
    json_t *o = json_pack("{s:s}", "iban", iban);
    if (bic && *bic)
        json_object_set_new(o, "bic", json_string(bic));
    json_t *name = json_object_get(json_object_get(details, side), "name");
    if (json_is_string(name))
        json_object_set(o, "name", name);
    return o;
}

/* Victim contact for the addressees; police also get the postal code. */
static json_t *victim_json(json_t *details, int with_postal)
{
    json_t *v = json_object_get(details, "victim");
    json_t *o = json_object();
    static const char *const keys[] = {"name", "email", "phone", "type", "postal_code"};
    for (size_t i = 0; i < RELAY_ARRAY_LEN(keys); i++) {
        if (!with_postal && strcmp(keys[i], "postal_code") == 0)
            continue;
        json_t *x = json_object_get(v, keys[i]);
        if (json_is_string(x))
            json_object_set(o, keys[i], x);
    }
    return o;
}

static void copy_member(json_t *dst, json_t *details, const char *key)
{
    json_t *x = json_object_get(details, key);
    if (x)
        json_object_set(dst, key, x);
}

static void add_case_facts(json_t *o, const struct report *r)
{
    if (r->scenario[0])
        json_object_set_new(o, "scenario", json_string(r->scenario));
    copy_member(o, r->details, "narrative");
    if (r->kind == REPORT_CARD) {
        json_object_set_new(o, "card",
                            json_pack("{s:s, s:s}", "bin", r->card_bin, "last4", r->card_last4));
        copy_member(o, r->details, "operations");
        json_object_set_new(o, "receipt", json_string(r->receipt));
    }
}

static int push(struct event *out, int *n, int max, const char *topic, const char *key,
                const char *type, json_t *payload, int only_if_linked)
{
    if (*n >= max || !payload || ids_uuid4(out[*n].id) != 0) {
        json_decref(payload);
        return -1;
    }
    out[*n].topic = topic;
    snprintf(out[*n].key, sizeof(out[*n].key), "%s", key);
    out[*n].type = type;
    out[*n].payload = payload;
    out[*n].only_if_linked = only_if_linked;
    (*n)++;
    return 0;
}

static json_t *bank_escalation(const struct report *r, const struct window_plan *plan,
                               const char *ref, const char *role, const struct bank_ref *bank)
{
    const struct window_milestone *alert = &plan->m[MILESTONE_ALERT];
    json_t *o = case_base(r, plan, ref, "alert", severity_name(alert->severity));
    json_object_set_new(o, "role", json_string(role));
    json_object_set_new(o, "bic", json_string(bank->bic[0] ? bank->bic : "UNKNOWN"));
    if (bank->name[0])
        json_object_set_new(o, "bank_name", json_string(bank->name));
    if (r->kind == REPORT_TRANSFER) {
        json_object_set_new(o, "debtor",
                            party_json(r->debtor_iban, r->debtor_bic, r->details, "debtor"));
        json_object_set_new(o, "creditor",
                            party_json(r->creditor_iban, r->creditor_bic, r->details, "creditor"));
        copy_member(o, r->details, "end_to_end_id");
        copy_member(o, r->details, "uetr");
    }
    add_case_facts(o, r);
    /* What the issuer is asked to do with a card case: block the card (if
     * the holder has not done so yet) and dispute the operations listed. */
    if (r->kind == REPORT_CARD)
        json_object_set_new(o, "actions", json_pack("[s, s]", "block_card", "dispute_operations"));
    json_object_set_new(o, "victim", victim_json(r->details, 0));
    json_object_set_new(o, "linked_cases", json_array());
    char url[64];
    snprintf(url, sizeof(url), "/v1/cases/%s/acks", ref);
    json_object_set_new(o, "ack_url", json_string(url));
    return o;
}

int events_for_new_case(const struct report *r, const struct window_plan *plan, const char *ref,
                        enum report_channel channel, const struct routing *rt,
                        const unsigned char *token_key, size_t token_key_len, struct event *out,
                        int max)
{
    int n = 0;
    memset(out, 0, sizeof(*out) * (size_t)max);

    /* report.accepted: tokens only, no personal data. */
    json_t *acc = case_base(r, plan, ref, NULL, NULL);
    json_object_set_new(acc, "kind", json_string(report_kind_name(r->kind)));
    json_object_set_new(acc, "channel", json_string(report_channel_name(channel)));
    json_object_set_new(acc, "rail", json_string(rail_name(r->rail)));
    json_object_set_new(acc, "window_state", json_string(window_state_name(plan->state)));
    char token[65];
    if (r->debtor_iban[0]) {
        events_token(token_key, token_key_len, r->debtor_iban, token);
        json_object_set_new(acc, "debtor_iban_token", json_string(token));
    }
    if (r->creditor_iban[0]) {
        events_token(token_key, token_key_len, r->creditor_iban, token);
        json_object_set_new(acc, "creditor_iban_token", json_string(token));
    }
    if (rt->debtor.bic[0])
        json_object_set_new(acc, "debtor_bic", json_string(rt->debtor.bic));
    if (rt->creditor.bic[0])
        json_object_set_new(acc, "creditor_bic", json_string(rt->creditor.bic));
    if (r->kind == REPORT_CARD)
        json_object_set_new(acc, "card_bin", json_string(r->card_bin));
    if (r->scenario[0])
        json_object_set_new(acc, "scenario", json_string(r->scenario));
    if (rt->departement[0])
        json_object_set_new(acc, "departement", json_string(rt->departement));
    json_object_set_new(acc, "linked_cases", json_array());
    json_object_set_new(acc, "flags", events_flags(r, rt));
    if (push(out, &n, max, TOPIC_REPORTS, ref, "report.accepted", acc, 0) != 0)
        goto fail;

    /* Banks: not for a report that arrived after the deadline (police only,
     * as an ordinary complaint). */
    if (plan->state == WINDOW_OPEN) {
        if (r->kind == REPORT_TRANSFER) {
            if (push(out, &n, max, TOPIC_BANK, rt->debtor.bic[0] ? rt->debtor.bic : "UNKNOWN",
                     "escalation.bank", bank_escalation(r, plan, ref, "debtor_bank", &rt->debtor),
                     0) != 0 ||
                push(out, &n, max, TOPIC_BANK, rt->creditor.bic[0] ? rt->creditor.bic : "UNKNOWN",
                     "escalation.bank",
                     bank_escalation(r, plan, ref, "creditor_bank", &rt->creditor), 0) != 0)
                goto fail;
        } else if (push(out, &n, max, TOPIC_BANK, rt->issuer.bic[0] ? rt->issuer.bic : "UNKNOWN",
                        "escalation.bank",
                        bank_escalation(r, plan, ref, "issuer_bank", &rt->issuer), 0) != 0) {
            goto fail;
        }
    }

    /* Police: always built; published unconditionally when required, else
     * only if the commit finds the beneficiary IBAN in another open case. */
    const struct window_milestone *alert = &plan->m[MILESTONE_ALERT];
    json_t *pol = case_base(r, plan, ref, "alert", severity_name(alert->severity));
    const char *dept = rt->departement[0] ? rt->departement : "NATIONAL";
    json_object_set_new(pol, "departement", json_string(dept));
    if (rt->departement_name)
        json_object_set_new(pol, "departement_name", json_string(rt->departement_name));
    json_object_set_new(pol, "national_queue", json_boolean(!rt->departement[0]));
    json_object_set_new(pol, "window_state", json_string(window_state_name(plan->state)));
    json_t *reasons = json_array();
    json_array_append_new(reasons,
                          json_string(rt->police_required ? rt->police_reason : "linked_iban"));
    json_object_set_new(pol, "reasons", reasons);
    if (r->kind == REPORT_TRANSFER) {
        if (rt->debtor.bic[0])
            json_object_set_new(pol, "debtor_bic", json_string(rt->debtor.bic));
        json_object_set_new(pol, "creditor",
                            party_json(r->creditor_iban, rt->creditor.bic, r->details, "creditor"));
    }
    add_case_facts(pol, r);
    json_object_set_new(pol, "victim", victim_json(r->details, 1));
    json_object_set_new(pol, "linked_cases", json_array());
    char url[64];
    snprintf(url, sizeof(url), "/v1/cases/%s/acks", ref);
    json_object_set_new(pol, "ack_url", json_string(url));
    if (push(out, &n, max, TOPIC_POLICE, dept, "escalation.police", pol, !rt->police_required) != 0)
        goto fail;
    return n;
fail:
    events_free(out, n);
    return -1;
}

void events_free(struct event *ev, int n)
{
    for (int i = 0; i < n; i++) {
        json_decref(ev[i].payload);
        ev[i].payload = NULL;
    }
}
