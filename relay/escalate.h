/*
 * escalate.h — owns the Kafka events a case causes after its intake, built
 * from its row in `cases` (proto/asyncapi.yaml): the bank and police
 * escalations of the reminder and critical milestones, window.expired at
 * the deadline, case.acknowledged and case.resolved; and who a case is
 * addressed to (the parties of its escalations).
 *
 * Pure: no I/O, no clock (the caller passes the time), no global state; the
 * events of a milestone are deterministic, ids included (those of an
 * acknowledgement or a resolution are random). Payloads come out as JSON
 * text, ready for Kafka: the part common to every bank of a case is written
 * once, as text, without a jansson tree.
 */
#ifndef RELAY48_ESCALATE_H
#define RELAY48_ESCALATE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "ids.h"
#include "window.h"

/* Events of one milestone of one case: two banks (or the issuer) and the
 * police, or one window.expired. */
#define ESCALATE_EVENTS_MAX 4
/* "bank:" + 11-character BIC, "police:NATIONAL". */
#define ESCALATE_PARTY_SIZE 20

/* A member of details copied into the escalations whatever its type: a
 * string (escaped when written) or another value, as a jansson tree. Both
 * NULL: absent. */
struct escalate_member {
    const char *str;
    json_t *tree;
};

/* The members of a case's details its escalations carry, read by the
 * caller (the scheduler picks them from the text PostgreSQL returns,
 * without a tree). Strings borrowed; NULL = absent (names and victim's:
 * absent or not a string). */
struct escalate_details {
    struct escalate_member narrative, operations, end_to_end_id, uetr;
    const char *debtor_name, *creditor_name;
    const char *victim_name, *victim_email, *victim_phone, *victim_type, *victim_postal_code;
};

/* What of a details tree the escalations carry, borrowed from it (NULL
 * details: none). */
void escalate_details_from_json(json_t *details, struct escalate_details *out);

/*
 * The same from the JSON text of details (as PostgreSQL returns a jsonb),
 * without a tree: the strings are decoded into scratch (at least len + 1
 * bytes: decoded strings never take more than their text), which out
 * borrows. Returns 0; -1 when the text cannot be read so, or when a copied
 * member (narrative, operations, end_to_end_id, uetr) is not a string: then
 * the caller parses it (escalate_details_from_json, or details).
 */
RELAY_MUSTCHECK int escalate_details_from_text(const char *text, size_t len,
                                               struct escalate_details *out, char *scratch,
                                               size_t scratch_size);

/* A case as loaded from its row. Strings are borrowed; NULL or "" = none. */
struct escalate_case {
    int64_t id;
    const char *ref;
    const char *kind;                           /* transfer, card */
    const char *rail;                           /* sct, ... */
    const char *state;                          /* open, resolved, expired, closed */
    const char *window_state;                   /* open, expired_on_arrival */
    int64_t start_at, received_at, deadline_at; /* UTC seconds */
    int64_t amount_minor;
    const char *currency;
    const char *debtor_iban, *debtor_bic;
    const char *creditor_iban, *creditor_bic; /* card cases: creditor_bic is the issuer's */
    const char *card_bin, *card_last4, *receipt, *scenario;
    const char *departement;                           /* NULL or "": the national queue */
    const char *debtor_bank_name, *creditor_bank_name; /* from the bank directory, may be NULL */
    json_t *details; /* {victim, debtor{name}, creditor{name}, narrative, ...}; borrowed */
    /* When not NULL, what the events carry of the details, instead of
     * details (borrowed). */
    const struct escalate_details *picked;
    json_t *linked_cases; /* array of refs; borrowed, may be NULL */
};

/* Roles of an addressee in a case (case_addressees.role). */
enum escalate_role { ROLE_DEBTOR_BANK = 0, ROLE_CREDITOR_BANK, ROLE_ISSUER_BANK, ROLE_POLICE };

const char *escalate_role_name(enum escalate_role r);
RELAY_MUSTCHECK int escalate_role_parse(const char *name, enum escalate_role *out);

/* One party a case's escalations go to. */
struct escalate_addressee {
    enum escalate_role role;
    char party[ESCALATE_PARTY_SIZE]; /* "bank:BIC", "police:31"; "" for an unknown bank */
    char key[ESCALATE_PARTY_SIZE];   /* Kafka key: BIC or UNKNOWN, département or NATIONAL */
};

/*
 * The parties of a case, banks first: debtor_bank then creditor_bank for a
 * transfer, issuer_bank for a card; then the police of the case's
 * département (NATIONAL when it has none) when with_police. Returns the
 * count (at most 3).
 */
int escalate_addressees(const struct escalate_case *c, int with_police,
                        struct escalate_addressee out[3]);

/* An event ready for the outbox. */
struct escalate_event {
    char id[IDS_UUID_SIZE]; /* ce_id: derived for a milestone's, random otherwise */
    const char *topic;
    char key[ESCALATE_PARTY_SIZE + 20];
    const char *type;
    char *payload; /* JSON text, owned (escalate_events_free) */
    size_t payload_len;
    /* The addressee it escalates to (case_addressees), "" when none: an
     * unknown bank, or an event of relay48.case-events.v1. */
    char party[ESCALATE_PARTY_SIZE];
    enum escalate_role role;
};

/*
 * The events of milestone `m` of case c fired at `fired_us` (microseconds
 * since the epoch: the milestone's fired_at) with severity `sev` (the most
 * severe of the milestones collapsed into it):
 *   reminder, critical: escalation.bank to each bank of the case (key BIC or
 *     UNKNOWN) and escalation.police to its département (or NATIONAL), with
 *     reasons [milestone name];
 *   expiry: one window.expired on relay48.case-events.v1 (key ref) naming
 *     every party of the case in addressed_to, `at` the fired second;
 *   alert: none (escalate_intake_events builds the intake's).
 * Deterministic: each event's id is derived (ids_uuid_derived) from the
 * case ref, the milestone, fired_us, the event's type and addressee role,
 * so that the events built again from the same fired milestone (the
 * scheduler's firings sweep, after a crash) carry the same ce_id, and
 * consumers de-duplicate on it.
 * Returns the count (0..ESCALATE_EVENTS_MAX) or -1 (out of memory, bad
 * arguments); on -1 nothing is left to free.
 */
int escalate_milestone(const struct escalate_case *c, enum milestone m, enum severity sev,
                       int64_t fired_us, struct escalate_event *out, int max) RELAY_MUSTCHECK;

/* What the events of a new case need besides its row. */
struct escalate_intake {
    const char *channel;            /* api, web, bank, perceval */
    enum severity alert_severity;   /* of the alert milestone (late reports collapse) */
    const char *police_reason;      /* amount_threshold, expired_on_arrival; NULL: not required */
    const unsigned char *token_key; /* token.key: IBANs of report.accepted as HMAC tokens */
    size_t token_key_len;
};

/*
 * The events of a new case (its intake, docs/intake.md), built from its row
 * alone: report.accepted (tokens, no personal data; key ref), when its
 * window_state is open one escalation.bank per bank of the case (milestone
 * alert), and escalation.police when a police_reason is given or the case
 * has linked cases (reasons: the reason, then linked_iban when linked).
 * c->linked_cases are the links its commit found (stored on the case).
 * Deterministic, ids included: derived like a milestone's (alert, fired at
 * the case's received_at), so that a batch published again after a crash
 * (the outbox's sweep of intake batches) carries the same ce_ids and the
 * same bytes. Returns the count (1..ESCALATE_EVENTS_MAX) or -1; on -1
 * nothing is left to free.
 */
int escalate_intake_events(const struct escalate_case *c, const struct escalate_intake *in,
                           struct escalate_event *out, int max) RELAY_MUSTCHECK;

/* An acknowledgement as recorded. */
struct escalate_ack {
    const char *ref;
    const char *party;    /* bank:BIC, police:31 */
    const char *role;     /* debtor_bank, creditor_bank, issuer_bank, police */
    const char *status;   /* received, ..., too_late */
    int64_t amount_minor; /* 0: none */
    const char *currency;
    const char *note, *party_ref; /* NULL: none */
    int64_t at;
};

/* The ack as JSON (the body of POST /v1/cases/{ref}/acks and of
 * case.acknowledged): {ref, party, role, status, amount?, note?, party_ref?,
 * at}. NULL when out of memory. */
json_t *escalate_ack_json(const struct escalate_ack *a);

/* case.acknowledged (key ref). 0 or -1. */
int escalate_acknowledged(const struct escalate_ack *a, struct escalate_event *out) RELAY_MUSTCHECK;

/* case.resolved {ref, reason, at} (key ref); reason funds_frozen,
 * funds_returned or no_recovery. 0 or -1. */
int escalate_resolved(const char *ref, const char *reason, int64_t now,
                      struct escalate_event *out) RELAY_MUSTCHECK;

void escalate_events_free(struct escalate_event *ev, int n);

#endif
