/* camt056.c — the pre-filled camt.056 recall request; see camt056.h. */
#include "camt056.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "timeutil.h"

/* Copy at most max_chars UTF-8 characters of src (and fewer bytes than
 * dst_size), never cutting a character. */
static void copy_chars(char *dst, size_t dst_size, const char *src, size_t max_chars)
{
    size_t i = 0, chars = 0;
    if (!src)
        src = "";
    while (src[i] && chars < max_chars) {
        size_t len = 1;
        unsigned char c = (unsigned char)src[i];
        if (c >= 0xF0)
            len = 4;
        else if (c >= 0xE0)
            len = 3;
        else if (c >= 0xC0)
            len = 2;
        size_t k = 1;
        while (k < len && ((unsigned char)src[i + k] & 0xC0) == 0x80)
            k++;
        if (k < len)
            len = k; /* broken sequence: copied as is, the escaper replaces it */
        if (i + len >= dst_size)
            break;
        i += len;
        chars++;
    }
    memcpy(dst, src, i);
    dst[i] = '\0';
}

static const char *str_at(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

int camt056_from_escalation(const json_t *ev, const char *created_at, struct camt056 *r,
                            char *errstr, size_t errstr_size)
{
    memset(r, 0, sizeof(*r));
    if (!json_is_object(ev)) {
        snprintf(errstr, errstr_size, "not a JSON object");
        return -1;
    }
    /* kind is required by the contract; an event without it is read as a
     * transfer when it carries no card. */
    const char *kind = str_at(ev, "kind");
    if (strcmp(str_at(ev, "role"), "debtor_bank") != 0 ||
        (*kind ? strcmp(kind, "transfer") != 0 : json_object_get(ev, "card") != NULL)) {
        snprintf(errstr, errstr_size, "a recall is for the debtor's bank of a transfer");
        return -1;
    }
    const char *ref = str_at(ev, "ref");
    const char *milestone = str_at(ev, "milestone");
    const json_t *amount = json_object_get(ev, "amount");
    const json_t *debtor = json_object_get(ev, "debtor");
    const json_t *creditor = json_object_get(ev, "creditor");
    const char *value = str_at(amount, "value"), *currency = str_at(amount, "currency");
    if (!*ref || strlen(ref) > 20 || !*value || strlen(value) >= sizeof(r->amount) ||
        strlen(currency) != 3 || !*str_at(creditor, "iban")) {
        snprintf(errstr, errstr_size, "ref, amount or the creditor's IBAN is missing or malformed");
        return -1;
    }
    char upper[16];
    size_t n = 0;
    for (; milestone[n] && n < sizeof(upper) - 1; n++)
        upper[n] = (char)toupper((unsigned char)milestone[n]);
    upper[n] = '\0';
    snprintf(r->assignment_id, sizeof(r->assignment_id), "%s%s%s", ref, n ? "-" : "", upper);
    snprintf(r->case_id, sizeof(r->case_id), "%s", ref);
    snprintf(r->cancellation_id, sizeof(r->cancellation_id), "%s", ref);
    copy_chars(r->created_at, sizeof(r->created_at), created_at, 20);
    copy_chars(r->assigner_bic, sizeof(r->assigner_bic), str_at(debtor, "bic"), 11);
    if (!*r->assigner_bic)
        copy_chars(r->assigner_bic, sizeof(r->assigner_bic), str_at(ev, "bic"), 11);
    copy_chars(r->assignee_bic, sizeof(r->assignee_bic), str_at(creditor, "bic"), 11);
    copy_chars(r->end_to_end_id, sizeof(r->end_to_end_id), str_at(ev, "end_to_end_id"),
               CAMT056_MAX35);
    copy_chars(r->uetr, sizeof(r->uetr), str_at(ev, "uetr"), 36);
    snprintf(r->amount, sizeof(r->amount), "%s", value);
    snprintf(r->currency, sizeof(r->currency), "%s", currency);
    int64_t start;
    char iso[TIMEUTIL_ISO_SIZE];
    if (rfc3339_parse(str_at(ev, "start_at"), &start) == RFC3339_OK &&
        paris_format_iso(start, iso, sizeof(iso)) == 0)
        copy_chars(r->settlement_date, sizeof(r->settlement_date), iso, 10);
    const char *victim = str_at(json_object_get(ev, "victim"), "name");
    const char *origin = *str_at(debtor, "name") ? str_at(debtor, "name") : victim;
    copy_chars(r->originator, sizeof(r->originator), origin, CAMT056_MAX140);
    char info[160];
    snprintf(info, sizeof(info), "Fraud reported to relay48, case %s, scenario %s", ref,
             *str_at(ev, "scenario") ? str_at(ev, "scenario") : "unknown");
    copy_chars(r->additional_info, sizeof(r->additional_info), info, CAMT056_MAX105);
    copy_chars(r->debtor_name, sizeof(r->debtor_name), str_at(debtor, "name"), CAMT056_MAX140);
    copy_chars(r->debtor_iban, sizeof(r->debtor_iban), str_at(debtor, "iban"), 34);
    copy_chars(r->creditor_name, sizeof(r->creditor_name), str_at(creditor, "name"),
               CAMT056_MAX140);
    copy_chars(r->creditor_iban, sizeof(r->creditor_iban), str_at(creditor, "iban"), 34);
    return 0;
}

/* ---- JSON ----------------------------------------------------------------- */

static int set_str(json_t *o, const char *key, const char *value)
{
    if (!*value)
        return 0;
    return json_object_set_new(o, key, json_string(value));
}

static json_t *party(const char *name, const char *iban, const char *bic)
{
    json_t *p = json_object();
    if (!p || set_str(p, "name", name) || set_str(p, "iban", iban) || set_str(p, "bic", bic)) {
        json_decref(p);
        return NULL;
    }
    return p;
}

json_t *camt056_to_json(const struct camt056 *r)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    /* json_object_set_new takes the value even when it fails. */
    if (json_object_set_new(o, "message_type", json_string(CAMT056_MESSAGE)) ||
        set_str(o, "assignment_id", r->assignment_id) ||
        set_str(o, "assigner_bic", r->assigner_bic) ||
        set_str(o, "assignee_bic", r->assignee_bic) || set_str(o, "created_at", r->created_at) ||
        set_str(o, "case_id", r->case_id) || set_str(o, "cancellation_id", r->cancellation_id) ||
        set_str(o, "original_end_to_end_id", r->end_to_end_id) ||
        set_str(o, "original_uetr", r->uetr) ||
        json_object_set_new(o, "original_amount",
                            json_pack("{s:s, s:s}", "value", r->amount, "currency", r->currency)) ||
        set_str(o, "original_settlement_date", r->settlement_date) ||
        json_object_set_new(o, "reason_code", json_string(CAMT056_REASON)) ||
        set_str(o, "originator_name", r->originator) ||
        set_str(o, "additional_information", r->additional_info) ||
        json_object_set_new(o, "debtor", party(r->debtor_name, r->debtor_iban, r->assigner_bic)) ||
        json_object_set_new(o, "creditor",
                            party(r->creditor_name, r->creditor_iban, r->assignee_bic))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* ---- XML ------------------------------------------------------------------ */

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when invalid. */
static size_t utf8_len(const unsigned char *s)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t len;
    unsigned cp;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((len == 3 &&
         (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF)) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    return len;
}

long camt056_xml_escape(const char *in, char *out, size_t out_size)
{
    size_t o = 0;
    const unsigned char *s = (const unsigned char *)(in ? in : "");
    while (*s) {
        const char *rep = NULL;
        size_t len = 1;
        char one[5];
        switch (*s) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&apos;";
            break;
        default:
            if (*s < 0x20 && *s != '\t' && *s != '\n' && *s != '\r') {
                rep = "\xEF\xBF\xBD";
            } else if ((len = utf8_len(s)) == 0) {
                rep = "\xEF\xBF\xBD";
                len = 1;
            } else {
                memcpy(one, s, len);
                one[len] = '\0';
                rep = one;
            }
        }
        size_t rl = strlen(rep);
        if (o + rl >= out_size) {
            if (out_size > 0)
                out[0] = '\0';
            return -1;
        }
        memcpy(out + o, rep, rl);
        o += rl;
        s += len;
    }
    if (o >= out_size) {
        if (out_size > 0)
            out[0] = '\0';
        return -1;
    }
    out[o] = '\0';
    return (long)o;
}

struct xbuf {
    char *p;
    size_t len, cap;
    int oom;
};

static void xb_raw(struct xbuf *b, const char *s)
{
    size_t n = strlen(s);
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 2048;
        while (b->len + n + 1 > cap)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n + 1);
    b->len += n;
}

static void xb_text(struct xbuf *b, const char *s)
{
    char esc[6 * (CAMT056_MAX140 * 4) + 1];
    if (camt056_xml_escape(s, esc, sizeof(esc)) < 0) {
        b->oom = 1; /* cannot happen: every member is shorter than that */
        return;
    }
    xb_raw(b, esc);
}

/* <tag>text</tag> with indentation, left out when text is "". */
static void xb_elem(struct xbuf *b, int depth, const char *tag, const char *text)
{
    if (!*text)
        return;
    for (int i = 0; i < depth; i++)
        xb_raw(b, "  ");
    xb_raw(b, "<");
    xb_raw(b, tag);
    xb_raw(b, ">");
    xb_text(b, text);
    xb_raw(b, "</");
    xb_raw(b, tag);
    xb_raw(b, ">\n");
}

static void xb_open(struct xbuf *b, int depth, const char *tag)
{
    for (int i = 0; i < depth; i++)
        xb_raw(b, "  ");
    xb_raw(b, tag);
    xb_raw(b, "\n");
}

static void xb_agent(struct xbuf *b, int depth, const char *role, const char *bic)
{
    if (!*bic)
        return;
    char tag[32];
    snprintf(tag, sizeof(tag), "<%s>", role);
    xb_open(b, depth, tag);
    xb_open(b, depth + 1, "<FinInstnId>");
    xb_elem(b, depth + 2, "BICFI", bic);
    xb_open(b, depth + 1, "</FinInstnId>");
    snprintf(tag, sizeof(tag), "</%s>", role);
    xb_open(b, depth, tag);
}

static void xb_account(struct xbuf *b, int depth, const char *tag, const char *iban)
{
    if (!*iban)
        return;
    char t[32];
    snprintf(t, sizeof(t), "<%s>", tag);
    xb_open(b, depth, t);
    xb_open(b, depth + 1, "<Id>");
    xb_elem(b, depth + 2, "IBAN", iban);
    xb_open(b, depth + 1, "</Id>");
    snprintf(t, sizeof(t), "</%s>", tag);
    xb_open(b, depth, t);
}

static void xb_party(struct xbuf *b, int depth, const char *tag, const char *name)
{
    if (!*name)
        return;
    char t[32];
    snprintf(t, sizeof(t), "<%s>", tag);
    xb_open(b, depth, t);
    /* PartyIdentification135: the name. */
    xb_elem(b, depth + 1, "Nm", name);
    snprintf(t, sizeof(t), "</%s>", tag);
    xb_open(b, depth, t);
}

char *camt056_to_xml(const struct camt056 *r)
{
    struct xbuf b = {0};
    xb_raw(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    xb_raw(&b, "<Document xmlns=\"" CAMT056_NAMESPACE "\">\n");
    xb_open(&b, 1, "<FIToFIPmtCxlReq>");
    xb_open(&b, 2, "<Assgnmt>");
    xb_elem(&b, 3, "Id", r->assignment_id);
    xb_open(&b, 3, "<Assgnr>");
    xb_agent(&b, 4, "Agt", r->assigner_bic);
    xb_open(&b, 3, "</Assgnr>");
    xb_open(&b, 3, "<Assgne>");
    xb_agent(&b, 4, "Agt", r->assignee_bic);
    xb_open(&b, 3, "</Assgne>");
    xb_elem(&b, 3, "CreDtTm", r->created_at);
    xb_open(&b, 2, "</Assgnmt>");
    xb_open(&b, 2, "<CtrlData>");
    xb_elem(&b, 3, "NbOfTxs", "1");
    xb_open(&b, 2, "</CtrlData>");
    xb_open(&b, 2, "<Undrlyg>");
    xb_open(&b, 3, "<TxInf>");
    xb_elem(&b, 4, "CxlId", r->cancellation_id);
    xb_open(&b, 4, "<Case>");
    xb_elem(&b, 5, "Id", r->case_id);
    xb_open(&b, 5, "<Cretr>");
    xb_agent(&b, 6, "Agt", r->assigner_bic);
    xb_open(&b, 5, "</Cretr>");
    xb_open(&b, 4, "</Case>");
    xb_elem(&b, 4, "OrgnlEndToEndId", r->end_to_end_id);
    xb_elem(&b, 4, "OrgnlUETR", r->uetr);
    xb_raw(&b, "        <OrgnlIntrBkSttlmAmt Ccy=\"");
    xb_text(&b, r->currency);
    xb_raw(&b, "\">");
    xb_text(&b, r->amount);
    xb_raw(&b, "</OrgnlIntrBkSttlmAmt>\n");
    xb_elem(&b, 4, "OrgnlIntrBkSttlmDt", r->settlement_date);
    xb_open(&b, 4, "<CxlRsnInf>");
    xb_party(&b, 5, "Orgtr", r->originator);
    xb_open(&b, 5, "<Rsn>");
    xb_elem(&b, 6, "Cd", CAMT056_REASON);
    xb_open(&b, 5, "</Rsn>");
    xb_elem(&b, 5, "AddtlInf", r->additional_info);
    xb_open(&b, 4, "</CxlRsnInf>");
    xb_open(&b, 4, "<OrgnlTxRef>");
    if (*r->debtor_name) {
        xb_open(&b, 5, "<Dbtr>");
        xb_open(&b, 6, "<Pty>");
        xb_elem(&b, 7, "Nm", r->debtor_name);
        xb_open(&b, 6, "</Pty>");
        xb_open(&b, 5, "</Dbtr>");
    }
    xb_account(&b, 5, "DbtrAcct", r->debtor_iban);
    xb_agent(&b, 5, "DbtrAgt", r->assigner_bic);
    xb_agent(&b, 5, "CdtrAgt", r->assignee_bic);
    if (*r->creditor_name) {
        xb_open(&b, 5, "<Cdtr>");
        xb_open(&b, 6, "<Pty>");
        xb_elem(&b, 7, "Nm", r->creditor_name);
        xb_open(&b, 6, "</Pty>");
        xb_open(&b, 5, "</Cdtr>");
    }
    xb_account(&b, 5, "CdtrAcct", r->creditor_iban);
    xb_open(&b, 4, "</OrgnlTxRef>");
    xb_open(&b, 3, "</TxInf>");
    xb_open(&b, 2, "</Undrlyg>");
    xb_open(&b, 1, "</FIToFIPmtCxlReq>");
    xb_raw(&b, "</Document>\n");
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    return b.p;
}
