/*
 * produce.c — puts N escalation.bank records on the bank topic for the
 * delivery benchmark, as the relay's outbox would (CloudEvents headers, a
 * distinct ce_id and case per record), spread over the BICs given.
 *   produce BROKERS N BIC [BIC...]
 * A benchmark tool, not part of relay48.
 */
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: produce BROKERS N BIC [BIC...]\n");
        return 2;
    }
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", argv[1], err, sizeof(err));
    rd_kafka_conf_set(conf, "linger.ms", "20", err, sizeof(err));
    rd_kafka_conf_set(conf, "queue.buffering.max.messages", "1000000", err, sizeof(err));
    rd_kafka_conf_set(conf, "enable.idempotence", "true", err, sizeof(err));
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (!rk) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    long n = atol(argv[2]);
    int nbics = argc - 3;
    time_t now = time(NULL);
    char received[32], start[32], deadline[32], ce_time[32];
    strftime(received, sizeof(received), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    time_t s = now - 3600, d = now + 47 * 3600;
    strftime(start, sizeof(start), "%Y-%m-%dT%H:%M:%SZ", gmtime(&s));
    strftime(deadline, sizeof(deadline), "%Y-%m-%dT%H:%M:%SZ", gmtime(&d));
    memcpy(ce_time, received, sizeof(ce_time));
    unsigned seed = (unsigned)now;
    for (long i = 0; i < n; i++) {
        const char *bic = argv[3 + i % nbics];
        char ref[19], id[37], value[2048];
        snprintf(ref, sizeof(ref), "R48-B%03X-%04lX-%04lX", (unsigned)(seed & 0xfff),
                 (i >> 16) & 0xffff, i & 0xffff);
        for (char *p = ref; *p; p++) /* Crockford base32 has no I, L, O, U */
            if (*p == 'I' || *p == 'L' || *p == 'O' || *p == 'U')
                *p = 'X';
        snprintf(id, sizeof(id), "%08x-0000-4000-8000-%012lx", seed, i);
        int len = snprintf(
            value, sizeof(value),
            "{\"ref\":\"%s\",\"milestone\":\"alert\",\"severity\":\"alert\","
            "\"role\":\"creditor_bank\",\"bic\":\"%s\",\"bank_name\":\"Bench bank\","
            "\"kind\":\"transfer\",\"rail\":\"sct_inst\",\"received_at\":\"%s\","
            "\"start_at\":\"%s\",\"deadline_at\":\"%s\","
            "\"amount\":{\"value\":\"12500.00\",\"currency\":\"EUR\"},"
            "\"debtor\":{\"iban\":\"FR7630004008190001234567879\",\"bic\":\"BNPAFRPP\","
            "\"name\":\"Commune de Saint-Genis-les-Olli\xc3\xa8res\"},"
            "\"creditor\":{\"iban\":\"FR7616958000017412589630158\",\"bic\":\"%s\","
            "\"name\":\"SECURIS CONSEIL SAS\"},\"scenario\":\"fake_bank_advisor\","
            "\"narrative\":\"Un faux conseiller de ma banque m'a appel\xc3\xa9 en affichant le "
            "num\xc3\xa9ro de mon agence.\",\"end_to_end_id\":\"E2E-%ld\","
            "\"victim\":{\"name\":\"Mairie\",\"email\":\"m@example.org\",\"phone\":\"+33 4 78 57 "
            "00 "
            "00\"},\"linked_cases\":[],\"ack_url\":\"/v1/cases/%s/acks\"}",
            ref, bic, received, start, deadline, bic, i, ref);
        for (;;) {
            rd_kafka_resp_err_t e = rd_kafka_producev(
                rk, RD_KAFKA_V_TOPIC("relay48.escalations.bank.v1"),
                RD_KAFKA_V_KEY(bic, strlen(bic)), RD_KAFKA_V_VALUE(value, (size_t)len),
                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                RD_KAFKA_V_HEADER("ce_specversion", "1.0", -1), RD_KAFKA_V_HEADER("ce_id", id, -1),
                RD_KAFKA_V_HEADER("ce_source", "urn:relay48:bench-deliver", -1),
                RD_KAFKA_V_HEADER("ce_type", "escalation.bank", -1),
                RD_KAFKA_V_HEADER("ce_time", ce_time, -1),
                RD_KAFKA_V_HEADER("content-type", "application/json", -1), RD_KAFKA_V_END);
            if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                rd_kafka_poll(rk, 50);
                continue;
            }
            if (e) {
                fprintf(stderr, "produce: %s\n", rd_kafka_err2str(e));
                return 1;
            }
            break;
        }
        rd_kafka_poll(rk, 0);
    }
    if (rd_kafka_flush(rk, 60000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        fprintf(stderr, "produce: flush timed out\n");
        return 1;
    }
    rd_kafka_destroy(rk);
    return 0;
}
