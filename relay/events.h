/*
 * events.h — owns the topics of relay48's events, the routing the intake
 * resolves for a new case (banks, police), the flags known before its commit
 * and the IBAN tokens of report.accepted (HMAC-SHA256 under the relay's token
 * key: the reports topic carries tokens, never an IBAN). The payloads of a
 * new case's events are built from its row by escalate_intake_events
 * (escalate.h), the first time and whenever they are sent again.
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

/* HMAC-SHA256(key, text) as 64 hex chars. */
void events_token(const unsigned char *key, size_t key_len, const char *text, char out[65]);

/* The flags of a new case known before the commit (unknown banks, police,
 * national queue). escalate_intake_events derives the same list from the
 * row for report.accepted: keep the two in step. */
json_t *events_flags(const struct report *r, const struct routing *rt);

#endif
