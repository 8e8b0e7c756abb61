/*
 * endpoint.c — the benchmark's bank endpoint: HTTPS (libevent + OpenSSL),
 * answers every POST 200 at once, and remembers when each delivery arrived
 * (CLOCK_REALTIME, microseconds) with the case ref of its body.
 *   endpoint PORT CERT KEY OUT
 * GET /stats answers {"count", "first_us", "last_us"}; on SIGTERM the
 * arrivals are written to OUT as "ref microseconds" lines.
 * A benchmark tool, not part of relay48.
 */
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_RECORDS 4000000

struct record {
    char ref[19];
    int64_t at_us;
};

static struct record *records;
static size_t count;
static int64_t first_us, last_us;
static const char *out_path;
static struct event_base *base;

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void on_request(struct evhttp_request *req, void *arg)
{
    struct evbuffer *reply = evbuffer_new();
    if (evhttp_request_get_command(req) == EVHTTP_REQ_GET) {
        evbuffer_add_printf(reply, "{\"count\":%zu,\"first_us\":%lld,\"last_us\":%lld}\n", count,
                            (long long)first_us, (long long)last_us);
        evhttp_send_reply(req, 200, "OK", reply);
        evbuffer_free(reply);
        return;
    }
    int64_t t = now_us();
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(in);
    const char *body = (const char *)evbuffer_pullup(in, (ev_ssize_t)len);
    if (count < MAX_RECORDS) {
        struct record *r = &records[count];
        r->ref[0] = '\0';
        static const char key[] = "\"ref\":\"";
        const char *p = body ? memmem(body, len, key, sizeof(key) - 1) : NULL;
        if (p && p + sizeof(key) - 1 + 18 <= body + len) {
            memcpy(r->ref, p + sizeof(key) - 1, 18);
            r->ref[18] = '\0';
        }
        r->at_us = t;
    }
    if (!count)
        first_us = t;
    last_us = t;
    count++;
    evbuffer_add(reply, "{}", 2);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
    evhttp_send_reply(req, 200, "OK", reply);
    evbuffer_free(reply);
}

static struct bufferevent *on_connection(struct event_base *b, void *arg)
{
    SSL *ssl = SSL_new(arg);
    return bufferevent_openssl_socket_new(b, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                          BEV_OPT_CLOSE_ON_FREE);
}

static void on_term(evutil_socket_t fd, short what, void *arg)
{
    event_base_loopexit(base, NULL);
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: endpoint PORT CERT KEY OUT\n");
        return 2;
    }
    out_path = argv[4];
    records = calloc(MAX_RECORDS, sizeof(*records));
    signal(SIGPIPE, SIG_IGN);
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!records || !ctx || SSL_CTX_use_certificate_chain_file(ctx, argv[2]) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, argv[3], SSL_FILETYPE_PEM) != 1) {
        ERR_print_errors_fp(stderr);
        return 1;
    }
    base = event_base_new();
    struct evhttp *http = evhttp_new(base);
    evhttp_set_bevcb(http, on_connection, ctx);
    evhttp_set_gencb(http, on_request, NULL);
    evhttp_set_max_body_size(http, 1 << 20);
    struct evhttp_bound_socket *sock =
        evhttp_bind_socket_with_handle(http, "127.0.0.1", (ev_uint16_t)atoi(argv[1]));
    if (!sock) {
        fprintf(stderr, "cannot listen on %s\n", argv[1]);
        return 1;
    }
    /* Accepted sockets inherit it (Linux): an answer written as two TLS
     * records must not wait for the client's delayed ACK (40 ms). */
    int one = 1;
    setsockopt(evhttp_bound_socket_get_fd(sock), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    struct event *term = evsignal_new(base, SIGTERM, on_term, NULL);
    struct event *intr = evsignal_new(base, SIGINT, on_term, NULL);
    event_add(term, NULL);
    event_add(intr, NULL);
    event_base_dispatch(base);
    FILE *f = fopen(out_path, "w");
    for (size_t i = 0; f && i < count && i < MAX_RECORDS; i++)
        fprintf(f, "%s %lld\n", records[i].ref, (long long)records[i].at_us);
    if (f)
        fclose(f);
    fprintf(stderr, "endpoint: %zu deliveries\n", count);
    return 0;
}
