/*
 * camt056.h — owns the pre-filled recall request relay48 hands the victim's
 * bank (role debtor_bank): the fields of an ISO 20022 camt.056
 * FIToFIPaymentCancellationRequest (version camt.056.001.08, the one the
 * EPC SEPA rulebooks use for a recall) with reason code FRAD, as JSON for
 * every bank and as XML for banks whose registry entry asks for camt.056.
 *
 * It is pre-filled, not complete: relay48 knows the transfer as the victim
 * reported it (amount, date, IBANs, BICs, end-to-end id or UETR when given),
 * not the bank's own message ids (OrgnlGrpInf, OrgnlTxId), which the bank
 * adds from its records before sending the recall to the beneficiary's bank.
 *
 * Pure: no I/O, no clock, no global state; jansson for the JSON.
 */
#ifndef RELAY48_CAMT056_H
#define RELAY48_CAMT056_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"

#define CAMT056_MESSAGE   "camt.056.001.08"
#define CAMT056_NAMESPACE "urn:iso:std:iso:20022:tech:xsd:camt.056.001.08"
#define CAMT056_REASON    "FRAD"

/* ISO 20022 text limits (characters). */
#define CAMT056_MAX35  35
#define CAMT056_MAX105 105
#define CAMT056_MAX140 140

/* The fields. Strings are UTF-8, "" when unknown (then left out). Every
 * member is a copy: the struct owns nothing on the heap. */
struct camt056 {
    char assignment_id[CAMT056_MAX35 + 1];        /* Assgnmt/Id: "<ref>-<MILESTONE>" */
    char case_id[CAMT056_MAX35 + 1];              /* Case/Id: the case ref */
    char cancellation_id[CAMT056_MAX35 + 1];      /* TxInf/CxlId: the case ref */
    char created_at[21];                          /* Assgnmt/CreDtTm, UTC "…Z" */
    char assigner_bic[12];                        /* the victim's bank */
    char assignee_bic[12];                        /* the beneficiary's bank */
    char end_to_end_id[CAMT056_MAX35 + 1];        /* OrgnlEndToEndId */
    char uetr[37];                                /* OrgnlUETR */
    char amount[24];                              /* OrgnlIntrBkSttlmAmt, canonical decimal */
    char currency[4];                             /* its Ccy */
    char settlement_date[11];                     /* OrgnlIntrBkSttlmDt, YYYY-MM-DD */
    char originator[CAMT056_MAX140 * 4 + 1];      /* CxlRsnInf/Orgtr/Nm: the victim */
    char additional_info[CAMT056_MAX105 * 4 + 1]; /* CxlRsnInf/AddtlInf */
    char debtor_name[CAMT056_MAX140 * 4 + 1];
    char debtor_iban[35];
    char creditor_name[CAMT056_MAX140 * 4 + 1];
    char creditor_iban[35];
};

/*
 * Fill r from an escalation.bank event (event_escalation_bank.json) of role
 * debtor_bank and kind transfer (no kind and no card: read as a transfer).
 * created_at is the UTC time the request is dated with (the event's
 * ce_time). The settlement date is the Europe/Paris date of start_at (the
 * transfer's execution). Names longer than 140 characters are cut at a
 * character boundary. 0, or -1 with a message when
 * the event is not a transfer to recall (another role, a card case) or
 * lacks ref, amount or the creditor's IBAN.
 */
int camt056_from_escalation(const json_t *event, const char *created_at, struct camt056 *r,
                            char *errstr, size_t errstr_size) RELAY_MUSTCHECK;

/* The JSON form ("recall_request" of a delivery, see docs/connectors.md).
 * New reference; NULL when out of memory. */
json_t *camt056_to_json(const struct camt056 *r);

/* The XML document, UTF-8, NUL-terminated; caller frees. NULL when out of
 * memory. Every text is escaped (camt056_xml_escape). */
char *camt056_to_xml(const struct camt056 *r);

/*
 * Escape text for XML character data and attribute values: & < > " ' as
 * entities; characters XML 1.0 forbids (C0 controls other than TAB, LF, CR)
 * and invalid UTF-8 bytes become U+FFFD. Returns the length written
 * (without the NUL), or -1 when out_size is too small (out then holds "").
 * 6 * strlen(in) + 1 bytes are always enough.
 */
long camt056_xml_escape(const char *in, char *out, size_t out_size);

#endif
