/* escalate.c — events of a case after its intake, from its row; see escalate.h. */
#include "escalate.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "amount.h"
#include "events.h"
#include "jsonpick.h"
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

/* prefix then s at dst (size), cut to fit as snprintf would; without
 * snprintf: several per event, tens of thousands per burst. */
static void put2(char *dst, size_t size, const char *prefix, const char *s)
{
    size_t np = strlen(prefix), ns = strlen(s);
    if (np >= size)
        np = size - 1;
    if (ns >= size - np)
        ns = size - np - 1;
    memcpy(dst, prefix, np);
    memcpy(dst + np, s, ns);
    dst[np + ns] = '\0';
}

static void bank_addressee(struct escalate_addressee *a, enum escalate_role role, const char *bic)
{
    memset(a, 0, sizeof(*a));
    a->role = role;
    if (set(bic) && strlen(bic) <= 11) {
        put2(a->party, sizeof(a->party), "bank:", bic);
        put2(a->key, sizeof(a->key), "", bic);
    } else {
        put2(a->key, sizeof(a->key), "", "UNKNOWN");
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
        put2(a->party, sizeof(a->party), "police:", dept);
        put2(a->key, sizeof(a->key), "", dept);
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

/* ---- JSON text, written directly --------------------------------------------- *
 *
 * The escalations of a milestone are written as text, member by member, in
 * the order and with the escaping of jansson's compact dump (what the
 * intake's events use): no tree of json_t is built for them. A scheduler
 * batch builds thousands, and building then dumping trees cost more than
 * the rest of the firing in the relay (callgrind: 377 000 instructions per
 * reminder, 75 % of them in jansson and snprintf).
 */

struct jw {
    char *p;
    size_t len, cap;
    int failed;
};

static void jw_reserve(struct jw *w, size_t more)
{
    if (w->failed || w->len + more + 1 <= w->cap)
        return;
    size_t ncap = w->cap ? w->cap : 1024;
    while (ncap < w->len + more + 1)
        ncap *= 2;
    char *n = realloc(w->p, ncap);
    if (!n) {
        w->failed = 1;
        return;
    }
    w->p = n;
    w->cap = ncap;
}

static void jw_raw(struct jw *w, const char *s, size_t n)
{
    jw_reserve(w, n);
    if (w->failed)
        return;
    memcpy(w->p + w->len, s, n);
    w->len += n;
    w->p[w->len] = '\0';
}

static void jw_lit(struct jw *w, const char *s)
{
    jw_raw(w, s, strlen(s));
}

/* A JSON string of s (UTF-8, as stored): '"' and '\\' escaped, control
 * characters as jansson writes them (\b \f \n \r \t, else \u00XX). */
static void jw_str(struct jw *w, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(s);
    jw_reserve(w, 6 * n + 2);
    if (w->failed)
        return;
    char *o = w->p + w->len;
    *o++ = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch >= 0x20 && ch != '"' && ch != '\\') {
            *o++ = (char)ch;
            continue;
        }
        *o++ = '\\';
        switch (ch) {
        case '"':
            *o++ = '"';
            break;
        case '\\':
            *o++ = '\\';
            break;
        case '\b':
            *o++ = 'b';
            break;
        case '\f':
            *o++ = 'f';
            break;
        case '\n':
            *o++ = 'n';
            break;
        case '\r':
            *o++ = 'r';
            break;
        case '\t':
            *o++ = 't';
            break;
        default:
            *o++ = 'u';
            *o++ = '0';
            *o++ = '0';
            *o++ = hex[ch >> 4];
            *o++ = hex[ch & 15];
        }
    }
    *o++ = '"';
    w->len = (size_t)(o - w->p);
    w->p[w->len] = '\0';
}

/* ,"key": (the comma unless the object was just opened). key: a member name
 * of this file, plain ASCII that needs no escaping. */
static void jw_key(struct jw *w, const char *key)
{
    size_t n = strlen(key);
    jw_reserve(w, n + 4);
    if (w->failed)
        return;
    char *o = w->p + w->len;
    if (w->len && w->p[w->len - 1] != '{')
        *o++ = ',';
    *o++ = '"';
    memcpy(o, key, n);
    o += n;
    *o++ = '"';
    *o++ = ':';
    w->len = (size_t)(o - w->p);
    w->p[w->len] = '\0';
}

static void jw_member_str(struct jw *w, const char *key, const char *value)
{
    jw_key(w, key);
    jw_str(w, value);
}

/* Any JSON value: strings directly, the rest through jansson (rare: card
 * operations, a non-string member copied as it is), its object members
 * sorted: details read back from jsonb come in another order than the
 * request's, and an event built again must be the same bytes. */
static void jw_json(struct jw *w, json_t *v)
{
    if (json_is_string(v)) {
        jw_str(w, json_string_value(v));
        return;
    }
    char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
    if (!text) {
        w->failed = 1;
        return;
    }
    jw_lit(w, text);
    free(text);
}

static void jw_time(struct jw *w, const char *key, int64_t t)
{
    char buf[TIMEUTIL_UTC_SIZE];
    jw_key(w, key);
    if (rfc3339_format_utc(t, buf, sizeof(buf)) != 0)
        jw_lit(w, "null");
    else
        jw_str(w, buf);
}

/* The member key, copied when present. */
static void jw_copy(struct jw *w, const struct escalate_member *x, const char *key)
{
    if (x->str) {
        jw_member_str(w, key, x->str);
    } else if (x->tree) {
        jw_key(w, key);
        jw_json(w, x->tree);
    }
}

/* {"iban", "bic"?, "name"?}: name from details.<side>.name when a string. */
static void jw_party(struct jw *w, const char *key, const char *iban, const char *bic,
                     const char *name)
{
    jw_key(w, key);
    jw_raw(w, "{", 1);
    jw_member_str(w, "iban", iban);
    if (set(bic))
        jw_member_str(w, "bic", bic);
    if (name)
        jw_member_str(w, "name", name);
    jw_raw(w, "}", 1);
}

static void jw_victim(struct jw *w, const struct escalate_details *d, int with_postal)
{
    const char *const values[] = {d->victim_name, d->victim_email, d->victim_phone, d->victim_type,
                                  with_postal ? d->victim_postal_code : NULL};
    static const char *const keys[] = {"name", "email", "phone", "type", "postal_code"};
    jw_key(w, "victim");
    jw_raw(w, "{", 1);
    for (size_t i = 0; i < RELAY_ARRAY_LEN(keys); i++) {
        if (values[i])
            jw_member_str(w, keys[i], values[i]);
    }
    jw_raw(w, "}", 1);
}

static const char *string_member(json_t *o, const char *key)
{
    json_t *x = json_object_get(o, key);
    return json_is_string(x) ? json_string_value(x) : NULL;
}

static void member_from_json(json_t *details, const char *key, struct escalate_member *out)
{
    json_t *x = json_object_get(details, key);
    out->str = json_is_string(x) ? json_string_value(x) : NULL;
    out->tree = out->str ? NULL : x;
}

void escalate_details_from_json(json_t *details, struct escalate_details *out)
{
    memset(out, 0, sizeof(*out));
    if (!json_is_object(details))
        return;
    member_from_json(details, "narrative", &out->narrative);
    member_from_json(details, "operations", &out->operations);
    member_from_json(details, "end_to_end_id", &out->end_to_end_id);
    member_from_json(details, "uetr", &out->uetr);
    out->debtor_name = string_member(json_object_get(details, "debtor"), "name");
    out->creditor_name = string_member(json_object_get(details, "creditor"), "name");
    json_t *v = json_object_get(details, "victim");
    out->victim_name = string_member(v, "name");
    out->victim_email = string_member(v, "email");
    out->victim_phone = string_member(v, "phone");
    out->victim_type = string_member(v, "type");
    out->victim_postal_code = string_member(v, "postal_code");
}

/* The string value of span, decoded at scratch[*used]; NULL when absent or
 * not a string. -1 when it cannot be decoded. */
static int pick_string(struct jsonpick_span span, char *scratch, size_t size, size_t *used,
                       const char **out)
{
    *out = NULL;
    if (!jsonpick_is_string(span))
        return 0;
    long n = jsonpick_string(span, scratch + *used, size - *used);
    if (n < 0)
        return -1;
    *out = scratch + *used;
    *used += (size_t)n + 1;
    return 0;
}

/* The members keys of the object span into out (strings only); a span that
 * is not an object leaves them absent. */
static int pick_object(struct jsonpick_span span, const char *const *keys, size_t n,
                       const char **out[], char *scratch, size_t size, size_t *used)
{
    struct jsonpick_span v[8];
    for (size_t i = 0; i < n; i++)
        *out[i] = NULL;
    if (!span.p || span.p[0] != '{')
        return 0;
    if (jsonpick_members(span.p, span.len, keys, n, v) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (pick_string(v[i], scratch, size, used, out[i]) != 0)
            return -1;
    }
    return 0;
}

int escalate_details_from_text(const char *text, size_t len, struct escalate_details *out,
                               char *scratch, size_t scratch_size)
{
    static const char *const top[] = {"narrative", "operations", "end_to_end_id", "uetr",
                                      "debtor",    "creditor",   "victim"};
    static const char *const name[] = {"name"};
    static const char *const victim[] = {"name", "email", "phone", "type", "postal_code"};
    struct jsonpick_span v[RELAY_ARRAY_LEN(top)];
    struct escalate_member *copied[] = {&out->narrative, &out->operations, &out->end_to_end_id,
                                        &out->uetr};
    const char **debtor[] = {&out->debtor_name}, **creditor[] = {&out->creditor_name};
    const char **vict[] = {&out->victim_name, &out->victim_email, &out->victim_phone,
                           &out->victim_type, &out->victim_postal_code};
    size_t used = 0;
    memset(out, 0, sizeof(*out));
    if (scratch_size < len + 1 || jsonpick_members(text, len, top, RELAY_ARRAY_LEN(top), v) != 0)
        return -1;
    for (size_t i = 0; i < RELAY_ARRAY_LEN(copied); i++) {
        if (v[i].p && !jsonpick_is_string(v[i]))
            goto fail; /* another value: copied as a tree */
        if (pick_string(v[i], scratch, scratch_size, &used, &copied[i]->str) != 0)
            goto fail;
    }
    if (pick_object(v[4], name, 1, debtor, scratch, scratch_size, &used) != 0 ||
        pick_object(v[5], name, 1, creditor, scratch, scratch_size, &used) != 0 ||
        pick_object(v[6], victim, RELAY_ARRAY_LEN(victim), vict, scratch, scratch_size, &used) != 0)
        goto fail;
    return 0;
fail:
    memset(out, 0, sizeof(*out));
    return -1;
}

static int is_card(const struct escalate_case *c)
{
    return c->kind && strcmp(c->kind, "card") == 0;
}

static void jw_amount(struct jw *w, const struct escalate_case *c)
{
    char buf[AMOUNT_FORMAT_MAX];
    jw_key(w, "amount");
    if (!c->currency || amount_format(c->amount_minor, c->currency, buf, sizeof(buf)) != 0) {
        jw_lit(w, "null");
    } else {
        jw_raw(w, "{", 1);
        jw_member_str(w, "value", buf);
        jw_member_str(w, "currency", c->currency);
        jw_raw(w, "}", 1);
    }
}

/* Members every escalation of the case carries, in the order of the intake's. */
static void jw_case_base(struct jw *w, const struct escalate_case *c, enum milestone m,
                         enum severity sev)
{
    jw_member_str(w, "ref", c->ref);
    jw_member_str(w, "milestone", milestone_name(m));
    jw_member_str(w, "severity", severity_name(sev));
    jw_member_str(w, "kind", c->kind);
    jw_member_str(w, "rail", c->rail);
    jw_time(w, "received_at", c->received_at);
    jw_time(w, "start_at", c->start_at);
    jw_time(w, "deadline_at", c->deadline_at);
    jw_amount(w, c);
}

static void jw_case_facts(struct jw *w, const struct escalate_case *c,
                          const struct escalate_details *d)
{
    if (set(c->scenario))
        jw_member_str(w, "scenario", c->scenario);
    jw_copy(w, &d->narrative, "narrative");
    if (is_card(c)) {
        if (set(c->card_bin) && set(c->card_last4)) {
            jw_key(w, "card");
            jw_raw(w, "{", 1);
            jw_member_str(w, "bin", c->card_bin);
            jw_member_str(w, "last4", c->card_last4);
            jw_raw(w, "}", 1);
        }
        jw_copy(w, &d->operations, "operations");
        if (set(c->receipt))
            jw_member_str(w, "receipt", c->receipt);
    }
}

static void jw_linked(struct jw *w, const struct escalate_case *c)
{
    jw_key(w, "linked_cases");
    jw_raw(w, "[", 1);
    if (json_is_array(c->linked_cases)) {
        size_t i;
        json_t *x;
        json_array_foreach(c->linked_cases, i, x)
        {
            if (i)
                jw_raw(w, ",", 1);
            jw_json(w, x);
        }
    }
    jw_raw(w, "]", 1);
}

static void jw_tail(struct jw *w, const struct escalate_case *c)
{
    jw_linked(w, c);
    char url[64];
    snprintf(url, sizeof(url), "/v1/cases/%s/acks", c->ref);
    jw_member_str(w, "ack_url", url);
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

/* s at *pos in buf (size), then '|' unless last; -1 when it does not fit. */
static int id_part(char *buf, size_t size, size_t *pos, const char *s, int last)
{
    size_t n = strlen(s);
    if (*pos + n + 1 >= size)
        return -1;
    memcpy(buf + *pos, s, n);
    *pos += n;
    if (!last)
        buf[(*pos)++] = '|';
    return 0;
}

/* The ce_id of an event of milestone m of case ref fired at fired_us: see
 * escalate_milestone. The name hashed is
 * "milestone|<ref>|<milestone>|<fired_us>|<type>|<role>" (built without
 * snprintf: three per escalation, thousands per batch). */
static int milestone_event_id(const char *ref, enum milestone m, int64_t fired_us,
                              struct escalate_event *e)
{
    const char *role = escalate_role_name(e->role);
    char in[160], digits[24];
    size_t pos = 0, nd = 0;
    uint64_t v = fired_us < 0 ? (uint64_t)0 - (uint64_t)fired_us : (uint64_t)fired_us;
    do {
        digits[nd++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    if (fired_us < 0)
        digits[nd++] = '-';
    char num[24];
    for (size_t i = 0; i < nd; i++)
        num[i] = digits[nd - 1 - i];
    num[nd] = '\0';
    if (id_part(in, sizeof(in), &pos, "milestone", 0) != 0 ||
        id_part(in, sizeof(in), &pos, ref, 0) != 0 ||
        id_part(in, sizeof(in), &pos, milestone_name(m), 0) != 0 ||
        id_part(in, sizeof(in), &pos, num, 0) != 0 ||
        id_part(in, sizeof(in), &pos, e->type ? e->type : "", 0) != 0 ||
        id_part(in, sizeof(in), &pos, role ? role : "", 1) != 0)
        return -1;
    return ids_uuid_derived(in, pos, e->id);
}

/* An event of a milestone: topic, key, type, role and party; no payload yet. */
static int milestone_event(struct escalate_event *e, const char *ref, enum milestone m,
                           int64_t fired_us, const char *topic, const struct escalate_addressee *a,
                           const char *key, const char *type)
{
    memset(e, 0, sizeof(*e));
    e->topic = topic;
    put2(e->key, sizeof(e->key), "", key);
    e->type = type;
    if (a) {
        put2(e->party, sizeof(e->party), "", a->party);
        e->role = a->role;
    }
    return milestone_event_id(ref, m, fired_us, e);
}

/* The text of w as the event's payload (w's buffer moves into it). */
static int take_payload(struct jw *w, struct escalate_event *e)
{
    if (w->failed || !w->p) {
        RELAY_FREE(w->p);
        return -1;
    }
    e->payload = w->p;
    e->payload_len = w->len;
    memset(w, 0, sizeof(*w));
    return 0;
}

/* The pieces of a case's escalations that do not depend on the addressee,
 * written once per case (each starts with its comma, as after a member). */
struct pieces {
    struct jw base;     /* ref ... amount: opens every escalation */
    struct jw creditor; /* "creditor":{...} of a transfer, "" when none */
    struct jw facts;    /* scenario, narrative, card ... receipt */
    struct jw tail;     /* linked_cases, ack_url */
};

/* A member written alone into w: "," + member, for splicing. */
static void piece_open(struct jw *w)
{
    jw_raw(w, "{", 1); /* so that jw_key writes no comma before the first member */
}

/* w's text without the "{" piece_open put first, with a leading comma when
 * not empty. */
static void jw_piece(struct jw *out, const struct jw *piece)
{
    if (piece->len > 1) {
        jw_raw(out, ",", 1);
        jw_raw(out, piece->p + 1, piece->len - 1);
    }
}

static void pieces_free(struct pieces *pc)
{
    free(pc->base.p);
    free(pc->creditor.p);
    free(pc->facts.p);
    free(pc->tail.p);
}

static int pieces_build(struct pieces *pc, const struct escalate_case *c,
                        const struct escalate_details *d, enum milestone m, enum severity sev)
{
    memset(pc, 0, sizeof(*pc));
    piece_open(&pc->base);
    jw_case_base(&pc->base, c, m, sev);
    piece_open(&pc->creditor);
    if (!is_card(c) && set(c->creditor_iban))
        jw_party(&pc->creditor, "creditor", c->creditor_iban, c->creditor_bic, d->creditor_name);
    piece_open(&pc->facts);
    jw_case_facts(&pc->facts, c, d);
    piece_open(&pc->tail);
    jw_tail(&pc->tail, c);
    if (pc->base.failed || pc->creditor.failed || pc->facts.failed || pc->tail.failed) {
        pieces_free(pc);
        return -1;
    }
    return 0;
}

static int bank_events(const struct escalate_case *c, const struct escalate_details *d,
                       enum milestone m, int64_t fired_us, const struct pieces *pc,
                       const struct escalate_addressee *banks, int nbanks,
                       struct escalate_event *out)
{
    /* What follows the bank's own members, the same for every bank. */
    struct jw body = {0};
    jw_piece(&body, &pc->base);
    if (!is_card(c)) {
        if (set(c->debtor_iban))
            jw_party(&body, "debtor", c->debtor_iban, c->debtor_bic, d->debtor_name);
        jw_piece(&body, &pc->creditor);
        jw_copy(&body, &d->end_to_end_id, "end_to_end_id");
        jw_copy(&body, &d->uetr, "uetr");
    }
    jw_piece(&body, &pc->facts);
    /* What the issuer is asked to do at the alert of a card case: block the
     * card (if the holder has not done so yet) and dispute the operations. */
    if (is_card(c) && m == MILESTONE_ALERT)
        jw_lit(&body, ",\"actions\":[\"block_card\",\"dispute_operations\"]");
    jw_victim(&body, d, 0);
    jw_piece(&body, &pc->tail);
    jw_raw(&body, "}", 1);
    if (body.failed) {
        free(body.p);
        return -1;
    }
    int n = 0;
    for (int i = 0; i < nbanks; i++) {
        const struct escalate_addressee *a = &banks[i];
        struct escalate_event *e = &out[n];
        const char *name =
            a->role == ROLE_DEBTOR_BANK ? c->debtor_bank_name : c->creditor_bank_name;
        if (milestone_event(e, c->ref, m, fired_us, TOPIC_BANK, a, a->key, "escalation.bank") != 0)
            goto fail;
        struct jw w = {0};
        jw_reserve(&w, body.len + 128);
        jw_raw(&w, "{", 1);
        jw_member_str(&w, "role", escalate_role_name(a->role));
        jw_member_str(&w, "bic", a->key);
        if (set(name))
            jw_member_str(&w, "bank_name", name);
        jw_raw(&w, body.p, body.len); /* starts with its comma */
        if (take_payload(&w, e) != 0)
            goto fail;
        n++;
    }
    free(body.p);
    return n;
fail:
    free(body.p);
    escalate_events_free(out, n);
    return -1;
}

/* reasons: one or two (r2 NULL: one). */
static int police_event(const struct escalate_case *c, const struct escalate_details *d,
                        enum milestone m, int64_t fired_us, const struct pieces *pc,
                        const struct escalate_addressee *a, const char *r1, const char *r2,
                        struct escalate_event *e)
{
    if (milestone_event(e, c->ref, m, fired_us, TOPIC_POLICE, a, a->key, "escalation.police") != 0)
        return -1;
    struct jw w = {0};
    int national = !set(c->departement);
    jw_reserve(&w, pc->base.len + pc->facts.len + pc->tail.len + 512);
    jw_raw(&w, "{", 1);
    jw_raw(&w, pc->base.p + 1, pc->base.len - 1);
    jw_member_str(&w, "departement", a->key);
    const char *dname = national ? NULL : postal_departement_name(c->departement);
    if (dname)
        jw_member_str(&w, "departement_name", dname);
    jw_key(&w, "national_queue");
    jw_lit(&w, national ? "true" : "false");
    jw_member_str(&w, "window_state", set(c->window_state) ? c->window_state : "open");
    jw_key(&w, "reasons");
    jw_raw(&w, "[", 1);
    jw_str(&w, r1);
    if (r2) {
        jw_raw(&w, ",", 1);
        jw_str(&w, r2);
    }
    jw_raw(&w, "]", 1);
    if (!is_card(c)) {
        if (set(c->debtor_bic))
            jw_member_str(&w, "debtor_bic", c->debtor_bic);
        jw_piece(&w, &pc->creditor);
    }
    jw_piece(&w, &pc->facts);
    jw_victim(&w, d, 1);
    jw_piece(&w, &pc->tail);
    jw_raw(&w, "}", 1);
    return take_payload(&w, e);
}

static char *dump(json_t *o, size_t *len)
{
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    if (text && len)
        *len = strlen(text);
    return text;
}

static int expired_event(const struct escalate_case *c, int64_t fired_us, struct escalate_event *e)
{
    if (milestone_event(e, c->ref, MILESTONE_EXPIRY, fired_us, TOPIC_CASE_EVENTS, NULL, c->ref,
                        "window.expired") != 0)
        return -1;
    struct escalate_addressee a[3];
    int na = escalate_addressees(c, 1, a);
    json_t *to = json_array();
    for (int i = 0; i < na; i++) {
        if (a[i].party[0])
            json_array_append_new(to, json_string(a[i].party));
    }
    json_t *o =
        json_pack("{s:s, s:o, s:o, s:o}", "ref", c->ref, "deadline_at", time_json(c->deadline_at),
                  "at", time_json(fired_us / 1000000), "addressed_to", to);
    e->payload = dump(o, &e->payload_len);
    json_decref(o);
    return e->payload ? 0 : -1;
}

int escalate_milestone(const struct escalate_case *c, enum milestone m, enum severity sev,
                       int64_t fired_us, struct escalate_event *out, int max)
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
        struct pieces pc;
        struct escalate_details own;
        const struct escalate_details *d = c->picked;
        if (!d) {
            escalate_details_from_json(c->details, &own);
            d = &own;
        }
        int na = escalate_addressees(c, 1, a);
        if (pieces_build(&pc, c, d, m, sev) != 0)
            return -1;
        int nb = bank_events(c, d, m, fired_us, &pc, a, na - 1, out);
        if (nb < 0) {
            pieces_free(&pc);
            return -1;
        }
        if (police_event(c, d, m, fired_us, &pc, &a[na - 1], milestone_name(m), NULL, &out[nb]) !=
            0) {
            pieces_free(&pc);
            escalate_events_free(out, nb + 1);
            return -1;
        }
        pieces_free(&pc);
        return nb + 1;
    }
    case MILESTONE_EXPIRY:
        if (expired_event(c, fired_us, &out[0]) != 0) {
            escalate_events_free(out, 1);
            return -1;
        }
        return 1;
    default:
        return -1;
    }
}

/* ---- a new case's events ------------------------------------------------------ */

static void jw_flag(struct jw *w, const char *flag, int *first)
{
    if (!*first)
        jw_raw(w, ",", 1);
    *first = 0;
    jw_str(w, flag);
}

/* report.accepted: tokens only, no personal data; members in the order the
 * intake always wrote them. */
static int accepted_event(const struct escalate_case *c, const struct escalate_intake *in,
                          int64_t fired_us, int linked, struct escalate_event *e)
{
    if (milestone_event(e, c->ref, MILESTONE_ALERT, fired_us, TOPIC_REPORTS, NULL, c->ref,
                        "report.accepted") != 0)
        return -1;
    int card = is_card(c);
    struct jw w = {0};
    char token[65];
    jw_reserve(&w, 1024);
    jw_raw(&w, "{", 1);
    jw_member_str(&w, "ref", c->ref);
    jw_member_str(&w, "kind", c->kind);
    jw_member_str(&w, "rail", c->rail);
    jw_time(&w, "received_at", c->received_at);
    jw_time(&w, "start_at", c->start_at);
    jw_time(&w, "deadline_at", c->deadline_at);
    jw_amount(&w, c);
    jw_member_str(&w, "channel", in->channel ? in->channel : "api");
    jw_member_str(&w, "window_state", set(c->window_state) ? c->window_state : "open");
    if (set(c->debtor_iban)) {
        events_token(in->token_key, in->token_key_len, c->debtor_iban, token);
        jw_member_str(&w, "debtor_iban_token", token);
    }
    if (set(c->creditor_iban)) {
        events_token(in->token_key, in->token_key_len, c->creditor_iban, token);
        jw_member_str(&w, "creditor_iban_token", token);
    }
    if (!card && set(c->debtor_bic))
        jw_member_str(&w, "debtor_bic", c->debtor_bic);
    if (!card && set(c->creditor_bic))
        jw_member_str(&w, "creditor_bic", c->creditor_bic);
    if (card && set(c->card_bin))
        jw_member_str(&w, "card_bin", c->card_bin);
    if (set(c->scenario))
        jw_member_str(&w, "scenario", c->scenario);
    if (set(c->departement))
        jw_member_str(&w, "departement", c->departement);
    jw_linked(&w, c);
    /* The flags known before the commit (events_flags), derived from the
     * row, then the link the commit found. */
    int first = 1;
    jw_key(&w, "flags");
    jw_raw(&w, "[", 1);
    if (!card) {
        if (!set(c->debtor_bic))
            jw_flag(&w, "unknown_debtor_bank", &first);
        if (!set(c->creditor_bic))
            jw_flag(&w, "unknown_creditor_bank", &first);
    } else if (!set(c->creditor_bic)) {
        jw_flag(&w, "unknown_issuer_bank", &first);
    }
    if (set(in->police_reason))
        jw_flag(&w, "police_escalation", &first);
    if (!set(c->departement))
        jw_flag(&w, "national_queue", &first);
    if (linked)
        jw_flag(&w, "linked_iban", &first);
    jw_raw(&w, "]}", 2);
    return take_payload(&w, e);
}

int escalate_intake_events(const struct escalate_case *c, const struct escalate_intake *in,
                           struct escalate_event *out, int max)
{
    if (!c || !in || !c->ref || !c->kind || !c->rail || !out || max < ESCALATE_EVENTS_MAX ||
        !in->token_key)
        return -1;
    memset(out, 0, sizeof(*out) * (size_t)max);
    int64_t fired_us = c->received_at * 1000000;
    int linked = json_array_size(c->linked_cases) > 0;
    int police = set(in->police_reason) || linked;
    struct escalate_addressee a[3];
    struct pieces pc;
    int n = 0;
    if (accepted_event(c, in, fired_us, linked, &out[n]) != 0)
        goto fail;
    n++;
    struct escalate_details own;
    const struct escalate_details *d = c->picked;
    if (!d) {
        escalate_details_from_json(c->details, &own);
        d = &own;
    }
    int na = escalate_addressees(c, 1, a);
    if (pieces_build(&pc, c, d, MILESTONE_ALERT, in->alert_severity) != 0)
        goto fail;
    /* Banks: not for a report that arrived after the deadline (police only,
     * as an ordinary complaint). */
    if (!set(c->window_state) || strcmp(c->window_state, "open") == 0) {
        int nb = bank_events(c, d, MILESTONE_ALERT, fired_us, &pc, a, na - 1, out + n);
        if (nb < 0) {
            pieces_free(&pc);
            goto fail;
        }
        n += nb;
    }
    if (police) {
        const char *r1 = set(in->police_reason) ? in->police_reason : "linked_iban";
        const char *r2 = set(in->police_reason) && linked ? "linked_iban" : NULL;
        if (police_event(c, d, MILESTONE_ALERT, fired_us, &pc, &a[na - 1], r1, r2, &out[n]) != 0) {
            pieces_free(&pc);
            goto fail;
        }
        n++;
    }
    pieces_free(&pc);
    return n;
fail:
    escalate_events_free(out, max);
    return -1;
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
