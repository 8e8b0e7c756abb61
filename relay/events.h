/*
 * events.h — owns the Kafka events of a new case (the contract of
 * proto/asyncapi.yaml): report.accepted, the bank escalations and the police
 * escalation, built as JSON payloads with their topic, key and CloudEvents
 * type. Pure: the caller gives the report, its window plan, the routing it
 * resolved and the tokenisation key.
 *
 * The reports topic carries tokens (HMAC-SHA256 of the IBAN under the
 * relay's token key), never an IBAN or a victim's personal data; the
 * addressed escalation topics carry what the addressee needs to act.
 */
#ifndef RELAY48_EVENTS_H
#define RELAY48_EVENTS_H

#include <jansson.h>
#include <stddef.h>

#include "common.h"
#include "ids.h"
#include "report.h"
#include "window.h"

#define TOPIC_REPORTS     "relay48.reports.v1"
#define TOPIC_BANK        "relay48.escalations.bank.v1"
#define TOPIC_POLICE      "relay48.escalations.police.v1"
#define TOPIC_CASE_EVENTS "relay48.case-events.v1"
#define TOPIC_DLQ         "relay48.deliveries.dlq.v1"

#define EVENTS_MAX 4

struct bank_ref {
    char bic[12];   /* "" when unknown */
    char name[128]; /* "" when unknown */
};

/* What intake resolved before building events. */
struct routing {
    struct bank_ref debtor, creditor, issuer;
    int police_required;       /* amount threshold, expired on arrival, ... */
    const char *police_reason; /* the reason when required */
    char departement[4];       /* "" -> the national queue */
    const char *departement_name;
};

struct event {
    char id[IDS_UUID_SIZE];
    const char *topic;
    char key[20];
    const char *type;
    json_t *payload; /* owned */
    /* Published only if the creditor IBAN turns out to be in another open
     * case (decided inside the commit). */
    int only_if_linked;
};

/* Build the events of a new case. Returns the count (>= 1) or -1. The
 * payloads' "linked_cases" are empty and "flags" hold what is known before
 * the commit; the commit fills in links. */
int events_for_new_case(const struct report *r, const struct window_plan *plan, const char *ref,
                        enum report_channel channel, const struct routing *rt,
                        const unsigned char *token_key, size_t token_key_len, struct event *out,
                        int max) RELAY_MUSTCHECK;

void events_free(struct event *ev, int n);

/* HMAC-SHA256(key, text) as 64 hex chars. */
void events_token(const unsigned char *key, size_t key_len, const char *text, char out[65]);

/* The flags of a new case known before the commit (unknown banks, police). */
json_t *events_flags(const struct report *r, const struct routing *rt);

#endif
