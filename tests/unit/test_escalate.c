/*
 * test_escalate.c — unit tests of relay/escalate.c: the addressees of a
 * case, the events of its reminder, critical and expiry built from its row
 * (topics, keys, types, members, personal data by topic), and the payloads
 * of case.acknowledged and case.resolved; the events of a new case built
 * from its row (escalate_intake_events): deterministic ids and bytes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <string.h>

#include "escalate.h"
#include "events.h"

/* 2026-03-28T09:00:00Z */
#define T0 INT64_C(1774688400)
/* seconds -> microseconds (the fired time escalate_milestone takes) */
#define US(s) ((s)*INT64_C(1000000))

static json_t *details(void)
{
    return json_pack("{s:{s:s, s:s, s:s, s:s, s:s}, s:{s:s}, s:{s:s}, s:s, s:s}", "victim", "name",
                     "Mairie de Saint-Exemple", "email", "mairie@example.org", "phone",
                     "+33 5 61 00 00 00", "postal_code", "31000", "type", "public_body", "debtor",
                     "name", "Mairie", "creditor", "name", "SECURIS \"CONSEIL\" SAS", "narrative",
                     "Un faux conseiller.\nIl avait mon nom.", "end_to_end_id", "E2E-1");
}

static struct escalate_case transfer_case(json_t *d, json_t *linked)
{
    struct escalate_case c = {
        .id = 42,
        .ref = "R48-7K2M-9QXD-4HV3",
        .kind = "transfer",
        .rail = "sct",
        .state = "open",
        .window_state = "open",
        .start_at = T0,
        .received_at = T0 + 600,
        .deadline_at = T0 + 172800,
        .amount_minor = 1250000,
        .currency = "EUR",
        .debtor_iban = "FR7630004000010000000000042",
        .debtor_bic = "BNPAFRPP",
        .creditor_iban = "FR7630003000010000000000042",
        .creditor_bic = "SOGEFRPP",
        .scenario = "fake_bank_advisor",
        .departement = "31",
        .debtor_bank_name = "BNP Paribas",
        .creditor_bank_name = NULL,
        .details = d,
        .linked_cases = linked,
    };
    return c;
}

static json_t *parse(const struct escalate_event *e)
{
    json_error_t err;
    json_t *j = json_loadb(e->payload, e->payload_len, JSON_REJECT_DUPLICATES, &err);
    if (!j)
        fail_msg("payload is not JSON: %s (%s)", err.text, e->payload);
    assert_int_equal(strlen(e->payload), e->payload_len);
    return j;
}

static const char *str(json_t *o, const char *path1, const char *path2)
{
    json_t *x = json_object_get(o, path1);
    if (path2)
        x = json_object_get(x, path2);
    return json_string_value(x);
}

static void test_addressees(void **state)
{
    (void)state;
    json_t *d = details();
    struct escalate_case c = transfer_case(d, NULL);
    struct escalate_addressee a[3];
    assert_int_equal(escalate_addressees(&c, 1, a), 3);
    assert_int_equal(a[0].role, ROLE_DEBTOR_BANK);
    assert_string_equal(a[0].party, "bank:BNPAFRPP");
    assert_string_equal(a[0].key, "BNPAFRPP");
    assert_int_equal(a[1].role, ROLE_CREDITOR_BANK);
    assert_string_equal(a[1].party, "bank:SOGEFRPP");
    assert_int_equal(a[2].role, ROLE_POLICE);
    assert_string_equal(a[2].party, "police:31");
    assert_string_equal(a[2].key, "31");
    assert_int_equal(escalate_addressees(&c, 0, a), 2);

    /* unknown bank and no département: key UNKNOWN, no party; NATIONAL */
    c.creditor_bic = NULL;
    c.departement = "";
    assert_int_equal(escalate_addressees(&c, 1, a), 3);
    assert_string_equal(a[1].key, "UNKNOWN");
    assert_string_equal(a[1].party, "");
    assert_string_equal(a[2].party, "police:NATIONAL");
    assert_string_equal(a[2].key, "NATIONAL");

    /* a card: the issuer alone */
    c.kind = "card";
    c.creditor_bic = "CRLYFRPP";
    assert_int_equal(escalate_addressees(&c, 0, a), 1);
    assert_int_equal(a[0].role, ROLE_ISSUER_BANK);
    assert_string_equal(a[0].party, "bank:CRLYFRPP");
    json_decref(d);
}

static void test_role_names(void **state)
{
    (void)state;
    enum escalate_role r;
    for (int i = ROLE_DEBTOR_BANK; i <= ROLE_POLICE; i++) {
        assert_int_equal(escalate_role_parse(escalate_role_name((enum escalate_role)i), &r), 0);
        assert_int_equal(r, i);
    }
    assert_int_equal(escalate_role_parse("bank", &r), -1);
    assert_int_equal(escalate_role_parse(NULL, &r), -1);
    assert_null(escalate_role_name((enum escalate_role)9));
}

static void test_reminder_events(void **state)
{
    (void)state;
    json_t *d = details();
    json_t *linked = json_pack("[s]", "R48-3FJ8-ZC1N-8WQA");
    struct escalate_case c = transfer_case(d, linked);
    struct escalate_event ev[ESCALATE_EVENTS_MAX];
    int n = escalate_milestone(&c, MILESTONE_REMINDER, SEVERITY_HIGH, US(T0 + 86400), ev,
                               ESCALATE_EVENTS_MAX);
    assert_int_equal(n, 3);

    /* the banks: same case facts, their own role, BIC and name */
    for (int i = 0; i < 2; i++) {
        assert_string_equal(ev[i].topic, TOPIC_BANK);
        assert_string_equal(ev[i].type, "escalation.bank");
        json_t *p = parse(&ev[i]);
        assert_string_equal(str(p, "ref", NULL), "R48-7K2M-9QXD-4HV3");
        assert_string_equal(str(p, "milestone", NULL), "reminder");
        assert_string_equal(str(p, "severity", NULL), "high");
        assert_string_equal(str(p, "kind", NULL), "transfer");
        assert_string_equal(str(p, "rail", NULL), "sct");
        assert_string_equal(str(p, "deadline_at", NULL), "2026-03-30T09:00:00Z");
        assert_string_equal(str(p, "amount", "value"), "12500.00");
        assert_string_equal(str(p, "debtor", "iban"), "FR7630004000010000000000042");
        assert_string_equal(str(p, "creditor", "name"), "SECURIS \"CONSEIL\" SAS");
        assert_string_equal(str(p, "victim", "phone"), "+33 5 61 00 00 00");
        assert_null(json_object_get(json_object_get(p, "victim"), "postal_code"));
        assert_string_equal(str(p, "narrative", NULL), "Un faux conseiller.\nIl avait mon nom.");
        assert_string_equal(str(p, "end_to_end_id", NULL), "E2E-1");
        assert_string_equal(str(p, "ack_url", NULL), "/v1/cases/R48-7K2M-9QXD-4HV3/acks");
        assert_int_equal(json_array_size(json_object_get(p, "linked_cases")), 1);
        if (i == 0) {
            assert_string_equal(ev[i].key, "BNPAFRPP");
            assert_string_equal(ev[i].party, "bank:BNPAFRPP");
            assert_int_equal(ev[i].role, ROLE_DEBTOR_BANK);
            assert_string_equal(str(p, "role", NULL), "debtor_bank");
            assert_string_equal(str(p, "bank_name", NULL), "BNP Paribas");
        } else {
            assert_string_equal(ev[i].key, "SOGEFRPP");
            assert_string_equal(str(p, "role", NULL), "creditor_bank");
            assert_string_equal(str(p, "bic", NULL), "SOGEFRPP");
            assert_null(json_object_get(p, "bank_name"));
        }
        json_decref(p);
    }
    assert_string_not_equal(ev[0].id, ev[1].id);

    /* the police: the beneficiary's IBAN, the BIC of the victim's account only */
    assert_string_equal(ev[2].topic, TOPIC_POLICE);
    assert_string_equal(ev[2].key, "31");
    assert_string_equal(ev[2].party, "police:31");
    json_t *p = parse(&ev[2]);
    assert_string_equal(str(p, "departement", NULL), "31");
    assert_string_equal(str(p, "departement_name", NULL), "Haute-Garonne");
    assert_false(json_is_true(json_object_get(p, "national_queue")));
    assert_string_equal(json_string_value(json_array_get(json_object_get(p, "reasons"), 0)),
                        "reminder");
    assert_string_equal(str(p, "debtor_bic", NULL), "BNPAFRPP");
    assert_null(json_object_get(p, "debtor"));
    assert_string_equal(str(p, "creditor", "iban"), "FR7630003000010000000000042");
    assert_string_equal(str(p, "victim", "postal_code"), "31000");
    assert_string_equal(str(p, "window_state", NULL), "open");
    json_decref(p);
    escalate_events_free(ev, n);
    json_decref(linked);
    json_decref(d);
}

static void test_critical_unknown_bank_national(void **state)
{
    (void)state;
    json_t *d = details();
    struct escalate_case c = transfer_case(d, NULL);
    c.creditor_bic = NULL;
    c.departement = NULL;
    struct escalate_event ev[ESCALATE_EVENTS_MAX];
    int n = escalate_milestone(&c, MILESTONE_CRITICAL, SEVERITY_CRITICAL, US(T0), ev,
                               ESCALATE_EVENTS_MAX);
    assert_int_equal(n, 3);
    assert_string_equal(ev[1].key, "UNKNOWN");
    assert_string_equal(ev[1].party, "");
    json_t *p = parse(&ev[1]);
    assert_string_equal(str(p, "bic", NULL), "UNKNOWN");
    assert_string_equal(str(p, "severity", NULL), "critical");
    assert_null(json_object_get(json_object_get(p, "creditor"), "bic"));
    json_decref(p);
    assert_string_equal(ev[2].key, "NATIONAL");
    p = parse(&ev[2]);
    assert_true(json_is_true(json_object_get(p, "national_queue")));
    assert_null(json_object_get(p, "departement_name"));
    assert_int_equal(json_array_size(json_object_get(p, "linked_cases")), 0);
    json_decref(p);
    escalate_events_free(ev, n);
    json_decref(d);
}

static void test_card_case(void **state)
{
    (void)state;
    json_t *d = json_pack("{s:{s:s}, s:[{s:s}]}", "victim", "name", "Jean Dupont", "operations",
                          "merchant", "SHOP");
    struct escalate_case c = {.id = 7,
                              .ref = "R48-0000-0000-0001",
                              .kind = "card",
                              .rail = "card",
                              .state = "open",
                              .start_at = T0,
                              .received_at = T0,
                              .deadline_at = T0 + 100,
                              .amount_minor = 24990,
                              .currency = "EUR",
                              .creditor_bic = "CRLYFRPP",
                              .card_bin = "497010",
                              .card_last4 = "4242",
                              .receipt = "PCV-1",
                              .departement = "75",
                              .details = d};
    struct escalate_event ev[ESCALATE_EVENTS_MAX];
    int n = escalate_milestone(&c, MILESTONE_CRITICAL, SEVERITY_CRITICAL, US(T0), ev,
                               ESCALATE_EVENTS_MAX);
    assert_int_equal(n, 2);
    json_t *p = parse(&ev[0]);
    assert_string_equal(str(p, "role", NULL), "issuer_bank");
    assert_string_equal(str(p, "card", "last4"), "4242");
    assert_string_equal(str(p, "receipt", NULL), "PCV-1");
    assert_int_equal(json_array_size(json_object_get(p, "operations")), 1);
    assert_null(json_object_get(p, "debtor"));
    json_decref(p);
    assert_string_equal(ev[1].key, "75");
    escalate_events_free(ev, n);
    json_decref(d);
}

static void test_expiry_and_alert(void **state)
{
    (void)state;
    json_t *d = details();
    struct escalate_case c = transfer_case(d, NULL);
    struct escalate_event ev[ESCALATE_EVENTS_MAX];
    int n = escalate_milestone(&c, MILESTONE_EXPIRY, SEVERITY_EXPIRED, US(T0 + 172801), ev,
                               ESCALATE_EVENTS_MAX);
    assert_int_equal(n, 1);
    assert_string_equal(ev[0].topic, TOPIC_CASE_EVENTS);
    assert_string_equal(ev[0].type, "window.expired");
    assert_string_equal(ev[0].key, "R48-7K2M-9QXD-4HV3");
    assert_string_equal(ev[0].party, "");
    json_t *p = parse(&ev[0]);
    assert_string_equal(str(p, "deadline_at", NULL), "2026-03-30T09:00:00Z");
    assert_string_equal(str(p, "at", NULL), "2026-03-30T09:00:01Z");
    json_t *to = json_object_get(p, "addressed_to");
    assert_int_equal(json_array_size(to), 3);
    assert_string_equal(json_string_value(json_array_get(to, 2)), "police:31");
    json_decref(p);
    escalate_events_free(ev, n);

    /* the alert's events are the intake's (escalate_intake_events) */
    assert_int_equal(
        escalate_milestone(&c, MILESTONE_ALERT, SEVERITY_ALERT, US(T0), ev, ESCALATE_EVENTS_MAX),
        0);
    /* bad arguments */
    assert_int_equal(escalate_milestone(&c, MILESTONE_REMINDER, SEVERITY_HIGH, US(T0), ev, 2), -1);
    c.ref = NULL;
    assert_int_equal(
        escalate_milestone(&c, MILESTONE_REMINDER, SEVERITY_HIGH, US(T0), ev, ESCALATE_EVENTS_MAX),
        -1);
    json_decref(d);
}

/* The ids of a milestone's events: the same whenever built again from the
 * same fired milestone, one per addressee, another for another firing. */
static void test_milestone_ids(void **state)
{
    (void)state;
    json_t *d = details();
    struct escalate_case c = transfer_case(d, NULL);
    c.creditor_bic = "BNPAFRPP"; /* both banks the same BIC: still two ids */
    struct escalate_event a[ESCALATE_EVENTS_MAX], b[ESCALATE_EVENTS_MAX], x[ESCALATE_EVENTS_MAX];
    int64_t fired = US(T0 + 86400) + 123456;
    int na =
        escalate_milestone(&c, MILESTONE_REMINDER, SEVERITY_HIGH, fired, a, ESCALATE_EVENTS_MAX);
    int nb =
        escalate_milestone(&c, MILESTONE_REMINDER, SEVERITY_HIGH, fired, b, ESCALATE_EVENTS_MAX);
    int nx = escalate_milestone(&c, MILESTONE_REMINDER, SEVERITY_HIGH, fired + 1, x,
                                ESCALATE_EVENTS_MAX);
    assert_int_equal(na, 3);
    assert_int_equal(nb, 3);
    assert_int_equal(nx, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(strlen(a[i].id), 36);
        assert_int_equal(a[i].id[14], '8'); /* UUID version 8 */
        assert_true(strchr("89ab", a[i].id[19]) != NULL);
        assert_string_equal(a[i].id, b[i].id);
        assert_string_equal(a[i].payload, b[i].payload);
        assert_string_not_equal(a[i].id, x[i].id);
        for (int j = 0; j < i; j++)
            assert_string_not_equal(a[i].id, a[j].id);
    }
    /* pinned: the id of an event published again by a later version must
     * not change (SHA-256 of "milestone|<ref>|<milestone>|<fired_us>|<type>|
     * <role>", UUID version 8; computed independently with Python's hashlib) */
    c.creditor_bic = "SOGEFRPP";
    struct escalate_event p[ESCALATE_EVENTS_MAX];
    int np = escalate_milestone(&c, MILESTONE_REMINDER, SEVERITY_HIGH, INT64_C(1774774800123456), p,
                                ESCALATE_EVENTS_MAX);
    assert_int_equal(np, 3);
    assert_string_equal(p[0].id, "9d608329-85eb-87be-b9d6-288d39f28536");
    escalate_events_free(p, np);
    /* the critical of the same case at the same instant: other ids */
    struct escalate_event k[ESCALATE_EVENTS_MAX];
    int nk = escalate_milestone(&c, MILESTONE_CRITICAL, SEVERITY_CRITICAL, fired, k,
                                ESCALATE_EVENTS_MAX);
    assert_int_equal(nk, 3);
    for (int i = 0; i < 3; i++)
        assert_string_not_equal(a[i].id, k[i].id);
    escalate_events_free(a, na);
    escalate_events_free(b, nb);
    escalate_events_free(x, nx);
    escalate_events_free(k, nk);
    json_decref(d);
}

/* The text itself, byte for byte as jansson's compact dump wrote it before
 * the payloads were written directly: member order, escaping of quotes,
 * backslashes, control characters and non-ASCII text. */
static void test_payload_text(void **state)
{
    (void)state;
    json_t *d = json_pack("{s:{s:s, s:s}, s:{s:s}, s:s, s:[{s:i}]}", "victim", "name",
                          "J\u00e9r\u00f4me \"Jo\" \\ O'Neil", "postal_code", "2A004", "creditor",
                          "name", "Tab\there\001", "narrative", "ligne 1\nligne 2\r\b\f/",
                          "operations", "amount", 5);
    json_t *linked = json_pack("[s,s]", "R48-3FJ8-ZC1N-8WQA", "R48-3FJ8-ZC1N-8WQB");
    struct escalate_case c = transfer_case(d, linked);
    c.departement = "2A";
    c.debtor_bank_name = NULL;
    struct escalate_event ev[ESCALATE_EVENTS_MAX];
    int n = escalate_milestone(&c, MILESTONE_CRITICAL, SEVERITY_CRITICAL, US(T0 + 151200), ev,
                               ESCALATE_EVENTS_MAX);
    assert_int_equal(n, 3);
    const char *common =
        "\"ref\":\"R48-7K2M-9QXD-4HV3\",\"milestone\":\"critical\",\"severity\":\"critical\","
        "\"kind\":\"transfer\",\"rail\":\"sct\",\"received_at\":\"2026-03-28T09:10:00Z\","
        "\"start_at\":\"2026-03-28T09:00:00Z\",\"deadline_at\":\"2026-03-30T09:00:00Z\","
        "\"amount\":{\"value\":\"12500.00\",\"currency\":\"EUR\"}";
    const char *creditor = "\"creditor\":{\"iban\":\"FR7630003000010000000000042\",\"bic\":"
                           "\"SOGEFRPP\",\"name\":\"Tab\\there\\u0001\"}";
    const char *facts = "\"scenario\":\"fake_bank_advisor\",\"narrative\":"
                        "\"ligne 1\\nligne 2\\r\\b\\f/\"";
    const char *tail = "\"linked_cases\":[\"R48-3FJ8-ZC1N-8WQA\",\"R48-3FJ8-ZC1N-8WQB\"],"
                       "\"ack_url\":\"/v1/cases/R48-7K2M-9QXD-4HV3/acks\"}";
    char want[4096];
    snprintf(want, sizeof(want),
             "{\"role\":\"debtor_bank\",\"bic\":\"BNPAFRPP\",%s,\"debtor\":{\"iban\":"
             "\"FR7630004000010000000000042\",\"bic\":\"BNPAFRPP\"},%s,%s,\"victim\":{\"name\":"
             "\"J\u00e9r\u00f4me \\\"Jo\\\" \\\\ O'Neil\"},%s",
             common, creditor, facts, tail);
    assert_string_equal(ev[0].payload, want);
    assert_int_equal(ev[0].payload_len, strlen(want));
    snprintf(want, sizeof(want),
             "{%s,\"departement\":\"2A\",\"departement_name\":\"Corse-du-Sud\","
             "\"national_queue\":false,\"window_state\":\"open\",\"reasons\":[\"critical\"],"
             "\"debtor_bic\":\"BNPAFRPP\",%s,%s,\"victim\":{\"name\":"
             "\"J\u00e9r\u00f4me \\\"Jo\\\" \\\\ O'Neil\",\"postal_code\":\"2A004\"},%s",
             common, creditor, facts, tail);
    assert_string_equal(ev[2].payload, want);
    escalate_events_free(ev, n);

    /* a card case: card, operations copied as JSON, receipt */
    c.kind = "card";
    c.card_bin = "497010";
    c.card_last4 = "0042";
    c.receipt = "PCV-1";
    n = escalate_milestone(&c, MILESTONE_REMINDER, SEVERITY_HIGH, US(T0), ev, ESCALATE_EVENTS_MAX);
    assert_int_equal(n, 2);
    assert_non_null(strstr(ev[0].payload,
                           ",\"card\":{\"bin\":\"497010\",\"last4\":\"0042\"},"
                           "\"operations\":[{\"amount\":5}],\"receipt\":\"PCV-1\","));
    escalate_events_free(ev, n);
    json_decref(linked);
    json_decref(d);
}

static const unsigned char TOKEN_KEY[32] = {0x5e, 0x5e, 0x5e, 0x5e, 0x5e, 0x5e, 0x5e, 0x5e,
                                            0x5e, 0x5e, 0x5e, 0x5e, 0x5e, 0x5e, 0x5e, 0x5e};

static struct escalate_intake intake_facts(const char *police_reason)
{
    struct escalate_intake in = {.channel = "api",
                                 .alert_severity = SEVERITY_ALERT,
                                 .police_reason = police_reason,
                                 .token_key = TOKEN_KEY,
                                 .token_key_len = sizeof(TOKEN_KEY)};
    return in;
}

/* A new case: report.accepted (tokens, no personal data), its two banks and
 * the police at alert, ids derived. */
static void test_intake_events(void **state)
{
    (void)state;
    json_t *d = details();
    struct escalate_case c = transfer_case(d, NULL);
    struct escalate_intake in = intake_facts("amount_threshold");
    struct escalate_event ev[ESCALATE_EVENTS_MAX];
    int n = escalate_intake_events(&c, &in, ev, ESCALATE_EVENTS_MAX);
    assert_int_equal(n, 4);
    assert_string_equal(ev[0].topic, TOPIC_REPORTS);
    assert_string_equal(ev[0].type, "report.accepted");
    assert_string_equal(ev[0].key, c.ref);
    json_t *p = parse(&ev[0]);
    assert_string_equal(str(p, "channel", NULL), "api");
    assert_string_equal(str(p, "creditor_bic", NULL), "SOGEFRPP");
    /* HMAC-SHA256 under token.key (computed independently with Python's hmac) */
    assert_string_equal(str(p, "debtor_iban_token", NULL),
                        "38dafc6e5053b600694cf10136baa616c7ed56b9efc349e67333e1e6361ddc10");
    assert_null(strstr(ev[0].payload, "FR76"));   /* no IBAN */
    assert_null(strstr(ev[0].payload, "Mairie")); /* no personal data */
    json_t *flags = json_object_get(p, "flags");
    assert_int_equal(json_array_size(flags), 1);
    assert_string_equal(json_string_value(json_array_get(flags, 0)), "police_escalation");
    json_decref(p);
    for (int i = 1; i <= 2; i++) {
        assert_string_equal(ev[i].topic, TOPIC_BANK);
        p = parse(&ev[i]);
        assert_string_equal(str(p, "milestone", NULL), "alert");
        assert_string_equal(str(p, "severity", NULL), "alert");
        assert_string_equal(str(p, "victim", "name"), "Mairie de Saint-Exemple");
        json_decref(p);
    }
    assert_string_equal(ev[1].key, "BNPAFRPP");
    assert_string_equal(ev[2].key, "SOGEFRPP");
    assert_string_equal(ev[3].topic, TOPIC_POLICE);
    assert_string_equal(ev[3].key, "31");
    p = parse(&ev[3]);
    json_t *reasons = json_object_get(p, "reasons");
    assert_int_equal(json_array_size(reasons), 1);
    assert_string_equal(json_string_value(json_array_get(reasons, 0)), "amount_threshold");
    json_decref(p);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < i; j++)
            assert_string_not_equal(ev[i].id, ev[j].id);
    escalate_events_free(ev, n);

    /* below the threshold, no link: no police */
    in.police_reason = NULL;
    n = escalate_intake_events(&c, &in, ev, ESCALATE_EVENTS_MAX);
    assert_int_equal(n, 3);
    escalate_events_free(ev, n);
    /* after the deadline: the police only, as an ordinary complaint */
    c.window_state = "expired_on_arrival";
    in.police_reason = "expired_on_arrival";
    n = escalate_intake_events(&c, &in, ev, ESCALATE_EVENTS_MAX);
    assert_int_equal(n, 2);
    assert_string_equal(ev[0].type, "report.accepted");
    assert_string_equal(ev[1].type, "escalation.police");
    escalate_events_free(ev, n);
    /* bad arguments */
    assert_int_equal(escalate_intake_events(&c, &in, ev, 3), -1);
    in.token_key = NULL;
    assert_int_equal(escalate_intake_events(&c, &in, ev, ESCALATE_EVENTS_MAX), -1);
    json_decref(d);
}

/* Built again from the row (details read back from jsonb, in another member
 * order): the same ids and the same bytes; a link found by the commit adds
 * the police and linked_iban, and changes no id. */
static void test_intake_events_built_again(void **state)
{
    (void)state;
    json_t *d1 = json_pack("{s:{s:s}, s:[{s:s, s:{s:s, s:s}, s:s}], s:s}", "victim", "name", "A",
                           "operations", "at", "2026-03-28T08:00:00Z", "amount", "value", "1.00",
                           "currency", "EUR", "merchant", "SHOP", "narrative", "n");
    json_t *d2 = json_pack("{s:s, s:[{s:s, s:s, s:{s:s, s:s}}], s:{s:s}}", "narrative", "n",
                           "operations", "merchant", "SHOP", "at", "2026-03-28T08:00:00Z", "amount",
                           "currency", "EUR", "value", "1.00", "victim", "name", "A");
    json_t *linked = json_pack("[s]", "R48-0000-0000-0009");
    struct escalate_case c = {.ref = "R48-0000-0000-0001",
                              .kind = "card",
                              .rail = "card",
                              .window_state = "open",
                              .start_at = T0,
                              .received_at = T0 + 60,
                              .deadline_at = T0 + 100,
                              .amount_minor = 100,
                              .currency = "EUR",
                              .creditor_bic = "CRLYFRPP",
                              .creditor_bank_name = "LCL",
                              .card_bin = "497010",
                              .card_last4 = "4242",
                              .receipt = "PCV-1",
                              .details = d1};
    struct escalate_intake in = intake_facts(NULL);
    struct escalate_event a[ESCALATE_EVENTS_MAX], b[ESCALATE_EVENTS_MAX], l[ESCALATE_EVENTS_MAX];
    int na = escalate_intake_events(&c, &in, a, ESCALATE_EVENTS_MAX);
    c.details = d2;
    int nb = escalate_intake_events(&c, &in, b, ESCALATE_EVENTS_MAX);
    assert_int_equal(na, 2); /* accepted, the issuer */
    assert_int_equal(nb, 2);
    for (int i = 0; i < na; i++) {
        assert_string_equal(a[i].id, b[i].id);
        assert_string_equal(a[i].payload, b[i].payload);
    }
    json_t *p = parse(&a[1]);
    assert_string_equal(str(p, "role", NULL), "issuer_bank");
    assert_string_equal(str(p, "bank_name", NULL), "LCL");
    assert_int_equal(json_array_size(json_object_get(p, "actions")), 2);
    json_decref(p);
    p = parse(&a[0]);
    assert_string_equal(str(p, "card_bin", NULL), "497010");
    assert_null(json_object_get(p, "creditor_bic"));
    json_decref(p);

    c.linked_cases = linked;
    int nl = escalate_intake_events(&c, &in, l, ESCALATE_EVENTS_MAX);
    assert_int_equal(nl, 3);
    assert_string_equal(l[0].id, a[0].id);
    assert_string_equal(l[1].id, a[1].id);
    assert_string_equal(l[2].type, "escalation.police");
    assert_string_equal(l[2].key, "NATIONAL");
    p = parse(&l[2]);
    assert_string_equal(json_string_value(json_array_get(json_object_get(p, "reasons"), 0)),
                        "linked_iban");
    assert_string_equal(json_string_value(json_array_get(json_object_get(p, "linked_cases"), 0)),
                        "R48-0000-0000-0009");
    json_decref(p);
    p = parse(&l[0]);
    json_t *flags = json_object_get(p, "flags");
    assert_string_equal(json_string_value(json_array_get(flags, json_array_size(flags) - 1)),
                        "linked_iban");
    json_decref(p);
    /* linked and above the threshold: both reasons */
    in.police_reason = "amount_threshold";
    escalate_events_free(l, nl);
    nl = escalate_intake_events(&c, &in, l, ESCALATE_EVENTS_MAX);
    p = parse(&l[2]);
    assert_int_equal(json_array_size(json_object_get(p, "reasons")), 2);
    json_decref(p);
    escalate_events_free(a, na);
    escalate_events_free(b, nb);
    escalate_events_free(l, nl);
    json_decref(d1);
    json_decref(d2);
    json_decref(linked);
}

/* The members picked from the text of details (as PostgreSQL returns a
 * jsonb: spaces, escapes its way) give the events the tree gives, byte for
 * byte; a copied member that is not a string is left to the tree. */
static void test_details_from_text(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "{\"uetr\": \"u-1\", \"debtor\": {\"name\": \"D\\u00e9bit\", \"x\": [1]}, "
        "\"victim\": {\"name\": \"J\\\"o\\\\ \\ud83d\\ude00\", \"type\": 3, \"email\": "
        "\"a@b.fr\", \"phone\": \"+33\\t1\", \"postal_code\": \"31000\"}, \"creditor\": "
        "{\"name\": \"C \\u001f/\"}, \"narrative\": \"l1\\nl2 \\\"q\\\" [{\", "
        "\"end_to_end_id\": \"E2E\", \"evidence\": {\"hash\": [\"}\"]}}",
        "{}",
        "{\"victim\": \"not an object\", \"debtor\": [], \"creditor\": {\"name\": 7}}",
        "{\"victim\": {}, \"narrative\": \"\"}",
    };
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        json_t *tree = json_loads(texts[i], 0, NULL);
        assert_non_null(tree);
        char scratch[1024];
        struct escalate_details picked;
        assert_int_equal(escalate_details_from_text(texts[i], strlen(texts[i]), &picked, scratch,
                                                    sizeof(scratch)),
                         0);
        struct escalate_case a = transfer_case(tree, NULL), b = transfer_case(NULL, NULL);
        b.picked = &picked;
        struct escalate_event ea[ESCALATE_EVENTS_MAX], eb[ESCALATE_EVENTS_MAX];
        int na = escalate_milestone(&a, MILESTONE_REMINDER, SEVERITY_HIGH, US(T0), ea,
                                    ESCALATE_EVENTS_MAX);
        int nb = escalate_milestone(&b, MILESTONE_REMINDER, SEVERITY_HIGH, US(T0), eb,
                                    ESCALATE_EVENTS_MAX);
        assert_int_equal(na, 3);
        assert_int_equal(nb, na);
        for (int k = 0; k < na; k++) {
            assert_string_equal(ea[k].id, eb[k].id);
            assert_string_equal(ea[k].payload, eb[k].payload);
            assert_int_equal(ea[k].payload_len, eb[k].payload_len);
        }
        if (i == 0) {
            assert_non_null(strstr(ea[0].payload, "\"name\":\"D\u00e9bit\""));
            assert_non_null(strstr(ea[2].payload, "\"phone\":\"+33\\t1\",\"postal_code\""));
            assert_null(strstr(ea[2].payload, "\"type\""));
        }
        escalate_events_free(ea, na);
        escalate_events_free(eb, nb);
        json_decref(tree);
    }
    /* left to the tree: operations (an array), a null uetr; not an object;
     * a scratch too small */
    static const char *const tree_only[] = {"{\"operations\": [{\"amount\": 5}]}",
                                            "{\"uetr\": null}", "[]", "{\"victim\": {\"name\"}}"};
    for (size_t i = 0; i < sizeof(tree_only) / sizeof(tree_only[0]); i++) {
        char scratch[256];
        struct escalate_details picked;
        assert_int_equal(escalate_details_from_text(tree_only[i], strlen(tree_only[i]), &picked,
                                                    scratch, sizeof(scratch)),
                         -1);
    }
    char tiny[4];
    struct escalate_details picked;
    assert_int_equal(escalate_details_from_text("{\"a\":1}", 7, &picked, tiny, sizeof(tiny)), -1);
}

static void test_ack_events(void **state)
{
    (void)state;
    struct escalate_ack a = {.ref = "R48-7K2M-9QXD-4HV3",
                             .party = "bank:SOGEFRPP",
                             .role = "creditor_bank",
                             .status = "funds_frozen",
                             .amount_minor = 980000,
                             .currency = "EUR",
                             .note = "Bloqués.\n2 700 € déjà retirés.",
                             .party_ref = "SG-1",
                             .at = T0};
    struct escalate_event e;
    assert_int_equal(escalate_acknowledged(&a, &e), 0);
    assert_string_equal(e.topic, TOPIC_CASE_EVENTS);
    assert_string_equal(e.type, "case.acknowledged");
    assert_string_equal(e.key, a.ref);
    json_t *p = parse(&e);
    assert_string_equal(str(p, "status", NULL), "funds_frozen");
    assert_string_equal(str(p, "amount", "value"), "9800.00");
    assert_string_equal(str(p, "note", NULL), a.note);
    assert_string_equal(str(p, "at", NULL), "2026-03-28T09:00:00Z");
    json_decref(p);
    escalate_events_free(&e, 1);

    a.amount_minor = 0;
    a.note = a.party_ref = NULL;
    json_t *o = escalate_ack_json(&a);
    assert_null(json_object_get(o, "amount"));
    assert_null(json_object_get(o, "note"));
    assert_int_equal(json_object_size(o), 5); /* ref, party, role, status, at */
    json_decref(o);

    assert_int_equal(escalate_resolved(a.ref, "no_recovery", T0, &e), 0);
    assert_string_equal(e.type, "case.resolved");
    p = parse(&e);
    assert_string_equal(str(p, "reason", NULL), "no_recovery");
    json_decref(p);
    escalate_events_free(&e, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_addressees),
        cmocka_unit_test(test_role_names),
        cmocka_unit_test(test_reminder_events),
        cmocka_unit_test(test_critical_unknown_bank_national),
        cmocka_unit_test(test_card_case),
        cmocka_unit_test(test_expiry_and_alert),
        cmocka_unit_test(test_milestone_ids),
        cmocka_unit_test(test_payload_text),
        cmocka_unit_test(test_details_from_text),
        cmocka_unit_test(test_ack_events),
        cmocka_unit_test(test_intake_events),
        cmocka_unit_test(test_intake_events_built_again),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
