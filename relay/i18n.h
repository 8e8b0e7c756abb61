/*
 * i18n.h — owns the words of the victim's pages, in French (first, and the
 * default) and English: one table of messages, the choice of the language
 * from ?lang= and Accept-Language, and the substitution of a number into a
 * message ("{n}"). Texts are plain UTF-8, never markup: pages escape them.
 *
 * Written for a person in a hurry: short sentences, everyday words
 * ("virement", "IBAN (le numéro de compte)"), what to do rather than what
 * went wrong.
 *
 * Pure: no I/O, no global mutable state.
 */
#ifndef RELAY48_I18N_H
#define RELAY48_I18N_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

enum lang { LANG_FR = 0, LANG_EN, LANG_COUNT };

enum msg {
    /* chrome */
    M_SERVICE = 0,
    M_SKIP,
    M_OTHER_LANG,
    M_FOOTER,
    M_OPTIONAL,
    M_ERROR_PREFIX,
    M_BACK_TO_FORM,
    M_NEW_REPORT,
    /* form page */
    M_FORM_TITLE,
    M_FORM_INTRO,
    M_FORM_CHOOSE,
    M_PATH_TRANSFER,
    M_PATH_CARD,
    M_LEG_TRANSFER,
    M_L_EXECUTED_AT,
    M_H_EXECUTED_AT,
    M_L_AMOUNT,
    M_H_AMOUNT,
    M_L_CURRENCY,
    M_L_RAIL,
    M_RAIL_UNKNOWN,
    M_RAIL_SCT,
    M_RAIL_SCT_INST,
    M_RAIL_SWIFT,
    M_LEG_YOUR_ACCOUNT,
    M_L_DEBTOR_IBAN,
    M_H_DEBTOR_IBAN,
    M_LEG_BENEFICIARY,
    M_L_CREDITOR_IBAN,
    M_H_CREDITOR_IBAN,
    M_L_CREDITOR_NAME,
    M_H_CREDITOR_NAME,
    M_LEG_YOU,
    M_L_VICTIM_TYPE,
    M_VT_PERSON,
    M_VT_COMPANY,
    M_VT_PUBLIC,
    M_L_VICTIM_NAME,
    M_LEG_CONTACT,
    M_L_EMAIL,
    M_L_PHONE,
    M_H_CONTACT,
    M_L_POSTAL,
    M_H_POSTAL,
    M_LEG_WHAT,
    M_L_SCENARIO,
    M_SC_FAKE_ADVISOR,
    M_SC_CEO,
    M_SC_INVOICE,
    M_SC_CYBER,
    M_SC_INVEST,
    M_SC_OTHER,
    M_L_NARRATIVE,
    M_H_NARRATIVE,
    M_L_EVIDENCE,
    M_H_EVIDENCE,
    M_KEEP_EMAILS,
    M_EVIDENCE_ADDED,
    M_EVIDENCE_HASH,
    M_SUBMIT,
    M_SUBMIT_HINT,
    M_LEG_CARD,
    M_CARD_WARNING,
    M_L_CARD_BIN,
    M_H_CARD_BIN,
    M_L_CARD_LAST4,
    M_L_RECEIPT,
    M_H_RECEIPT,
    M_LEG_OPERATION,
    M_H_OPERATION,
    M_L_OP_AT,
    M_L_OP_MERCHANT,
    M_L_OP_COUNTRY,
    M_H_OP_COUNTRY,
    M_L_OP_CHANNEL,
    M_CH_ONLINE,
    M_CH_CONTACTLESS,
    M_CH_CHIP,
    M_CH_ATM,
    M_CH_OTHER,
    /* errors on the form */
    M_ERR_SUMMARY_ONE,
    M_ERR_SUMMARY_MANY,
    M_E_REQUIRED,
    M_E_REQ_EXECUTED_AT,
    M_E_REQ_AMOUNT,
    M_E_REQ_DEBTOR_IBAN,
    M_E_REQ_CREDITOR_IBAN,
    M_E_REQ_VICTIM_NAME,
    M_E_REQ_SCENARIO,
    M_E_REQ_CARD_BIN,
    M_E_REQ_CARD_LAST4,
    M_E_REQ_OP_AT,
    M_E_REQ_OP_MERCHANT,
    M_E_REQ_OP_COUNTRY,
    M_E_CHOOSE,
    M_E_IBAN_TOO_LONG,
    M_E_IBAN_BAD_CHAR,
    M_E_IBAN_COUNTRY,
    M_E_IBAN_LENGTH,
    M_E_IBAN_CHECK,
    M_E_IBAN_SAME,
    M_E_AMOUNT,
    M_E_CURRENCY,
    M_E_TIME,
    M_E_TIME_FUTURE,
    M_E_TIME_OLD,
    M_E_EMAIL,
    M_E_PHONE,
    M_E_NEED_CONTACT,
    M_E_POSTAL,
    M_E_RECEIPT,
    M_E_COUNTRY,
    M_E_EVIDENCE,
    M_E_TOO_MANY_EVIDENCE,
    M_E_CHARS,
    M_E_TOO_LONG,
    M_E_PAN_CARD_FIELD,
    M_E_PAN_TEXT,
    M_E_BIN,
    M_E_LAST4,
    M_E_UNREADABLE,
    M_NOTICE_EXPIRED,
    M_NOTICE_CONFLICT,
    M_NOTICE_REJECTED,
    /* case page */
    M_CASE_TITLE,
    M_CASE_REF,
    M_CASE_KEEP,
    M_CASE_DEADLINE,
    M_CASE_DEADLINE_CARD,
    M_PARIS_TIME,
    M_TIME_LEFT,
    M_COMPUTED_AT,
    M_RELOAD,
    M_WINDOW_PASSED_TITLE,
    M_WINDOW_PASSED,
    M_WINDOW_PASSED_NEXT,
    M_STATE_RESOLVED,
    M_TODO_TITLE,
    M_TODO_BANK,
    M_TODO_BANK_CARD,
    M_TODO_POLICE,
    M_TODO_EMAILS,
    M_TODO_BLOCK,
    M_STATUS_TITLE,
    M_PARTY_DEBTOR_BANK,
    M_PARTY_CREDITOR_BANK,
    M_PARTY_ISSUER,
    M_PARTY_POLICE,
    M_PARTY_OTHER_BANK,
    M_POLICE_NATIONAL,
    M_ALERTED_AT,
    M_NOT_ALERTED_YET,
    M_NO_ANSWER,
    M_BANK_UNKNOWN,
    M_ACK_RECEIVED,
    M_ACK_RECALL_REQUESTED,
    M_ACK_FUNDS_FROZEN,
    M_ACK_FUNDS_RETURNED,
    M_ACK_NO_FUNDS,
    M_ACK_REJECTED,
    M_ACK_TOO_LATE,
    M_ACK_OTHER,
    M_ACK_AMOUNT,
    M_SUM_TRANSFER,
    M_SUM_CARD,
    M_SUM_ON,
    /* short pages */
    M_NOTFOUND_TITLE,
    M_NOTFOUND_CASE,
    M_FORBIDDEN_TITLE,
    M_FORBIDDEN_ORIGIN,
    M_RATE_TITLE,
    M_RATE_BODY,
    M_UNAVAILABLE_TITLE,
    M_UNAVAILABLE_REPORT,
    M_UNAVAILABLE_PAGE,
    M_UNAVAILABLE_LINK,
    M_TOO_LARGE_TITLE,
    M_TOO_LARGE,
    M_BAD_REQUEST_TITLE,
    M_BAD_REQUEST,
    M_COUNT
};

/* "fr" or "en". */
const char *i18n_code(enum lang l);

/* The text of m in l; never NULL (the French text if one is missing). */
const char *i18n(enum lang l, enum msg m);

/*
 * The language of a page: ?lang= when it names one ("fr", "en", "en-GB"),
 * else the first of French and English in Accept-Language by quality (ties
 * to the one listed first), else French. Either argument may be NULL.
 */
enum lang i18n_negotiate(const char *query_lang, const char *accept_language);

/* m with "{n}" replaced by n. Returns 0, or -1 when out is too small (out
 * then holds a truncated text, still UTF-8 when the message is). */
int i18n_format(enum lang l, enum msg m, int64_t n, char *out, size_t out_size) RELAY_MUSTCHECK;

#endif
