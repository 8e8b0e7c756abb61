/* escalate.c — events of a case after its intake, from its row; see escalate.h. */
#include "escalate.h"

#include <stdio.h>
#include <string.h>

#include "amount.h"
#include "events.h"
#include "postal.h"
#include "timeutil.h"

static const char *const role_names[] = {"debtor_bank", "creditor_bank", "issuer_bank", "police"};

const char *escalate_role_name(enum escalate_role r)
{
    return (unsigned)r < RELAY_ARRAY_LEN(role_names) ? role_names[r] : NULL;
}

int escalate_role_parse(const char *name, enum escalate_role *out)
{
    for (size_t i = 0; name && i < RELAY_ARRAY_LEN(role_names); i++) {
        if (strcmp(name, role_names[i]) == 0) {
            *out = (enum escalate_role)i;
            return 0;
        }
    }
    return -1;
}

static int set(const char *s)
{
    return s && *s;
}

static void bank_addressee(struct escalate_addressee *a, enum escalate_role role, const char *bic)
{
    memset(a, 0, sizeof(*a));
    a->role = role;
    if (set(bic) && strlen(bic) <= 11) {
        snprintf(a->party, sizeof(a->party), "bank:%s", bic);
        snprintf(a->key, sizeof(a->key), "%s", bic);
    } else {
        snprintf(a->key, sizeof(a->key), "UNKNOWN");
    }
}

int escalate_addressees(const struct escalate_case *c, int with_police,
                        struct escalate_addressee out[3])
{
    int n = 0;
    if (c->kind && strcmp(c->kind, "card") == 0) {
        bank_addressee(&out[n++], ROLE_ISSUER_BANK, c->creditor_bic);
    } else {
        bank_addressee(&out[n++], ROLE_DEBTOR_BANK, c->debtor_bic);
        bank_addressee(&out[n++], ROLE_CREDITOR_BANK, c->creditor_bic);
    }
    if (with_police) {
        struct escalate_addressee *a = &out[n++];
        memset(a, 0, sizeof(*a));
        a->role = ROLE_POLICE;
        const char *dept = set(c->departement) ? c->departement : "NATIONAL";
        snprintf(a->party, sizeof(a->party), "police:%s", dept);
        snprintf(a->key, sizeof(a->key), "%s", dept);
    }
    return n;
}

/* ---- JSON pieces ------------------------------------------------------------- */

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
    if (!currency || amount_format(minor, currency, buf, sizeof(buf)) != 0)
        return json_null();
    return json_pack("{s:s, s:s}", "value", buf, "currency", currency);
}

static void copy_member(json_t *dst, json_t *src, const char *key)
{
    json_t *x = json_object_get(src, key);
    if (x)
        json_object_set(dst, key, x);
}

static json_t *party_json(const char *iban, const char *bic, json_t *details, const char *side)
{
    json_t *o = json_pack("{s:s}", "iban", iban);
    if (set(bic))
        json_object_set_new(o, "bic", json_string(bic));
    json_t *name = json_object_get(json_object_get(details, side), "name");
    if (json_is_string(name))
        json_object_set(o, "name", name);
    return o;
}

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

static int is_card(const struct escalate_case *c)
{
    return c->kind && strcmp(c->kind, "card") == 0;
}

/* Members every escalation of the case carries, in the order of the intake's. */
static json_t *case_base(const struct escalate_case *c, enum milestone m, enum severity sev)
{
    json_t *o = json_object();
    json_object_set_new(o, "ref", json_string(c->ref));
    json_object_set_new(o, "milestone", json_string(milestone_name(m)));
    json_object_set_new(o, "severity", json_string(severity_name(sev)));
    json_object_set_new(o, "kind", json_string(c->kind));
    json_object_set_new(o, "rail", json_string(c->rail));
    json_object_set_new(o, "received_at", time_json(c->received_at));
    json_object_set_new(o, "start_at", time_json(c->start_at));
    json_object_set_new(o, "deadline_at", time_json(c->deadline_at));
    json_object_set_new(o, "amount", amount_json(c->amount_minor, c->currency));
    return o;
}

static void add_case_facts(json_t *o, const struct escalate_case *c)
{
    if (set(c->scenario))
        json_object_set_new(o, "scenario", json_string(c->scenario));
    copy_member(o, c->details, "narrative");
    if (is_card(c)) {
        if (set(c->card_bin) && set(c->card_last4))
            json_object_set_new(
                o, "card", json_pack("{s:s, s:s}", "bin", c->card_bin, "last4", c->card_last4));
        copy_member(o, c->details, "operations");
        if (set(c->receipt))
            json_object_set_new(o, "receipt", json_string(c->receipt));
    }
}

static void add_tail(json_t *o, const struct escalate_case *c)
{
    json_object_set_new(o, "linked_cases",
                        json_is_array(c->linked_cases) ? json_copy(c->linked_cases) : json_array());
    char url[64];
    snprintf(url, sizeof(url), "/v1/cases/%s/acks", c->ref);
    json_object_set_new(o, "ack_url", json_string(url));
}

static char *dump(json_t *o, size_t *len)
{
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    if (text && len)
        *len = strlen(text);
    return text;
}

static int event_init(struct escalate_event *e, const char *topic, const char *key,
                      const char *type)
{
    memset(e, 0, sizeof(*e));
    if (ids_uuid4(e->id) != 0)
        return -1;
    e->topic = topic;
    snprintf(e->key, sizeof(e->key), "%s", key);
    e->type = type;
    return 0;
}

/* "{" + prefix members + "," + the members of base (a JSON object text). */
static char *splice(const char *prefix, const char *base, size_t base_len, size_t *len)
{
    size_t plen = strlen(prefix);
    char *out = malloc(plen + base_len + 2);
    if (!out)
        return NULL;
    out[0] = '{';
    memcpy(out + 1, prefix, plen);
    out[1 + plen] = ',';
    memcpy(out + 2 + plen, base + 1, base_len - 1); /* base's own '{' dropped */
    out[plen + base_len + 1] = '\0';
    *len = plen + base_len + 1;
    return out;
}

/* "\"key\":<value as JSON>" into buf. */
static int member(char *buf, size_t size, size_t *pos, const char *key, const char *value)
{
    json_t *s = json_string(value);
    char *v = s ? json_dumps(s, JSON_ENCODE_ANY) : NULL;
    json_decref(s);
    if (!v)
        return -1;
    int n = snprintf(buf + *pos, size - *pos, "%s\"%s\":%s", *pos ? "," : "", key, v);
    free(v);
    if (n < 0 || (size_t)n >= size - *pos)
        return -1;
    *pos += (size_t)n;
    return 0;
}

static int bank_events(const struct escalate_case *c, enum milestone m, enum severity sev,
                       const struct escalate_addressee *banks, int nbanks,
                       struct escalate_event *out)
{
    json_t *o = case_base(c, m, sev);
    if (!is_card(c)) {
        if (set(c->debtor_iban))
            json_object_set_new(o, "debtor",
                                party_json(c->debtor_iban, c->debtor_bic, c->details, "debtor"));
        if (set(c->creditor_iban))
            json_object_set_new(
                o, "creditor",
                party_json(c->creditor_iban, c->creditor_bic, c->details, "creditor"));
        copy_member(o, c->details, "end_to_end_id");
        copy_member(o, c->details, "uetr");
    }
    add_case_facts(o, c);
    json_object_set_new(o, "victim", victim_json(c->details, 0));
    add_tail(o, c);
    size_t base_len = 0;
    char *base = dump(o, &base_len);
    json_decref(o);
    if (!base)
        return -1;
    int n = 0;
    for (int i = 0; i < nbanks; i++) {
        const struct escalate_addressee *a = &banks[i];
        struct escalate_event *e = &out[n];
        char prefix[512];
        size_t pos = 0;
        const char *name =
            a->role == ROLE_DEBTOR_BANK ? c->debtor_bank_name : c->creditor_bank_name;
        if (event_init(e, TOPIC_BANK, a->key, "escalation.bank") != 0 ||
            member(prefix, sizeof(prefix), &pos, "role", escalate_role_name(a->role)) != 0 ||
            member(prefix, sizeof(prefix), &pos, "bic", a->key) != 0 ||
            (set(name) && member(prefix, sizeof(prefix), &pos, "bank_name", name) != 0))
            goto fail;
        e->payload = splice(prefix, base, base_len, &e->payload_len);
        if (!e->payload)
            goto fail;
        snprintf(e->party, sizeof(e->party), "%s", a->party);
        e->role = a->role;
        n++;
    }
    free(base);
    return n;
fail:
    free(base);
    escalate_events_free(out, n);
    return -1;
}

static int police_event(const struct escalate_case *c, enum milestone m, enum severity sev,
                        const struct escalate_addressee *a, struct escalate_event *e)
{
    if (event_init(e, TOPIC_POLICE, a->key, "escalation.police") != 0)
        return -1;
    json_t *o = case_base(c, m, sev);
    int national = !set(c->departement);
    json_object_set_new(o, "departement", json_string(a->key));
    const char *dname = national ? NULL : postal_departement_name(c->departement);
    if (dname)
        json_object_set_new(o, "departement_name", json_string(dname));
    json_object_set_new(o, "national_queue", json_boolean(national));
    json_object_set_new(o, "window_state",
                        json_string(set(c->window_state) ? c->window_state : "open"));
    json_object_set_new(o, "reasons", json_pack("[s]", milestone_name(m)));
    if (!is_card(c)) {
        if (set(c->debtor_bic))
            json_object_set_new(o, "debtor_bic", json_string(c->debtor_bic));
        if (set(c->creditor_iban))
            json_object_set_new(
                o, "creditor",
                party_json(c->creditor_iban, c->creditor_bic, c->details, "creditor"));
    }
    add_case_facts(o, c);
    json_object_set_new(o, "victim", victim_json(c->details, 1));
    add_tail(o, c);
    e->payload = dump(o, &e->payload_len);
    json_decref(o);
    if (!e->payload)
        return -1;
    snprintf(e->party, sizeof(e->party), "%s", a->party);
    e->role = ROLE_POLICE;
    return 0;
}

static int expired_event(const struct escalate_case *c, int64_t now, struct escalate_event *e)
{
    if (event_init(e, TOPIC_CASE_EVENTS, c->ref, "window.expired") != 0)
        return -1;
    struct escalate_addressee a[3];
    int na = escalate_addressees(c, 1, a);
    json_t *to = json_array();
    for (int i = 0; i < na; i++) {
        if (a[i].party[0])
            json_array_append_new(to, json_string(a[i].party));
    }
    json_t *o = json_pack("{s:s, s:o, s:o, s:o}", "ref", c->ref, "deadline_at",
                          time_json(c->deadline_at), "at", time_json(now), "addressed_to", to);
    e->payload = dump(o, &e->payload_len);
    json_decref(o);
    return e->payload ? 0 : -1;
}

int escalate_milestone(const struct escalate_case *c, enum milestone m, enum severity sev,
                       int64_t now, struct escalate_event *out, int max)
{
    if (!c || !c->ref || !c->kind || !c->rail || !out || max < ESCALATE_EVENTS_MAX)
        return -1;
    memset(out, 0, sizeof(*out) * (size_t)max);
    switch (m) {
    case MILESTONE_ALERT:
        return 0;
    case MILESTONE_REMINDER:
    case MILESTONE_CRITICAL: {
        struct escalate_addressee a[3];
        int na = escalate_addressees(c, 1, a);
        int nb = bank_events(c, m, sev, a, na - 1, out);
        if (nb < 0)
            return -1;
        if (police_event(c, m, sev, &a[na - 1], &out[nb]) != 0) {
            escalate_events_free(out, nb + 1);
            return -1;
        }
        return nb + 1;
    }
    case MILESTONE_EXPIRY:
        if (expired_event(c, now, &out[0]) != 0) {
            escalate_events_free(out, 1);
            return -1;
        }
        return 1;
    default:
        return -1;
    }
}

json_t *escalate_ack_json(const struct escalate_ack *a)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "ref", a->ref, "party", a->party, "role", a->role,
                          "status", a->status);
    if (!o)
        return NULL;
    if (a->amount_minor > 0 && a->currency)
        json_object_set_new(o, "amount", amount_json(a->amount_minor, a->currency));
    if (a->note)
        json_object_set_new(o, "note", json_string(a->note));
    if (a->party_ref)
        json_object_set_new(o, "party_ref", json_string(a->party_ref));
    json_object_set_new(o, "at", time_json(a->at));
    return o;
}

int escalate_acknowledged(const struct escalate_ack *a, struct escalate_event *out)
{
    if (event_init(out, TOPIC_CASE_EVENTS, a->ref, "case.acknowledged") != 0)
        return -1;
    json_t *o = escalate_ack_json(a);
    out->payload = dump(o, &out->payload_len);
    json_decref(o);
    return out->payload ? 0 : -1;
}

int escalate_resolved(const char *ref, const char *reason, int64_t now, struct escalate_event *out)
{
    if (event_init(out, TOPIC_CASE_EVENTS, ref, "case.resolved") != 0)
        return -1;
    json_t *o = json_pack("{s:s, s:s, s:o}", "ref", ref, "reason", reason, "at", time_json(now));
    out->payload = dump(o, &out->payload_len);
    json_decref(o);
    return out->payload ? 0 : -1;
}

void escalate_events_free(struct escalate_event *ev, int n)
{
    for (int i = 0; i < n; i++)
        RELAY_FREE(ev[i].payload);
}
