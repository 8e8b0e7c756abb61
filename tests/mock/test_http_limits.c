/*
 * test_http_limits.c — relay/http.c's connection limits with an in-process
 * evhttp server and raw client sockets on 127.0.0.1 (no other server):
 * past http.max_connections the connection waiting the longest is closed;
 * when every other one is in a handler the newcomer is answered 503
 * too_many_connections, and past an eighth more it is closed at once; a
 * connection without a whole request within request_timeout is closed
 * whatever it trickles in; a request head over header_limit is answered 431;
 * a request whose client leaves before the answer is logged and freed (the
 * ASan build of this test is the leak check).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>
#include <event2/event.h>
#include <event2/http.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "log.h"
#include "metrics.h"

#define MAX_HELD 8

struct fixture {
    struct event_base *base;
    struct http_server *http;
    struct http_route routes[2];
    int port;
    struct evhttp_request *held[MAX_HELD];
    int nheld;
};

/* GET /hold: kept unanswered until the test answers it. */
static void on_hold(struct evhttp_request *req, const struct http_match *m, void *arg)
{
    struct fixture *f = arg;
    (void)m;
    assert_true(f->nheld < MAX_HELD);
    f->held[f->nheld++] = req;
}

static void on_ok(struct evhttp_request *req, const struct http_match *m, void *arg)
{
    (void)m;
    (void)arg;
    http_reply_text(req, 200, "text/plain", "ok");
}

static struct fixture *start(size_t max_connections, int request_timeout_ms)
{
    struct fixture *f = calloc(1, sizeof(*f));
    char err[256];
    assert_non_null(f);
    f->base = event_base_new();
    assert_non_null(f->base);
    f->routes[0] = (struct http_route){EVHTTP_REQ_GET, "/hold", on_hold, f};
    f->routes[1] = (struct http_route){EVHTTP_REQ_GET, "/ok", on_ok, f};
    struct http_options o = {.addr = "127.0.0.1",
                             .port = 0,
                             .body_limit = 1024,
                             .header_limit = 1024,
                             .timeout_s = 30,
                             .max_connections = max_connections,
                             .request_timeout_ms = request_timeout_ms,
                             .retry_after_s = 3};
    f->http = http_server_new(f->base, &o, f->routes, 2, err, sizeof(err));
    if (!f->http)
        fail_msg("http_server_new: %s", err);
    f->port = http_server_port(f->http);
    return f;
}

static void stop(struct fixture *f)
{
    http_server_free(f->http);
    event_base_free(f->base);
    free(f);
    metrics_reset();
}

static int64_t now_ms(void)
{
    return http_now_us() / 1000;
}

/* Run the loop for ms milliseconds. */
static void pump(struct fixture *f, int ms)
{
    int64_t end = now_ms() + ms;
    do {
        event_base_loop(f->base, EVLOOP_NONBLOCK);
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
    } while (now_ms() < end);
}

/* A client connection (accepted in the kernel's backlog; the server sees it
 * at the next pump), non-blocking. */
static int client(struct fixture *f)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa;
    assert_true(fd >= 0);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)f->port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
    return fd;
}

static void say(int fd, const char *text)
{
    assert_int_equal(send(fd, text, strlen(text), 0), (ssize_t)strlen(text));
}

/* 1 when text holds a whole answer (head, and a body of its Content-Length). */
static int answer_whole(const char *text)
{
    const char *end = strstr(text, "\r\n\r\n");
    const char *cl = strstr(text, "Content-Length: ");
    if (!end || !cl || cl > end)
        return 0;
    return strlen(end + 4) >= (size_t)strtoul(cl + 16, NULL, 10);
}

/* What the server sent fd (pumping the loop meanwhile), and whether it
 * closed: 1 closed, 0 still open after ms or after a whole answer. */
static int hear(struct fixture *f, int fd, int ms, char *out, size_t size)
{
    size_t n = 0;
    int64_t end = now_ms() + ms;
    out[0] = '\0';
    while (now_ms() < end) {
        pump(f, 5);
        ssize_t r = recv(fd, out + n, size - n - 1, 0);
        if (r > 0) {
            n += (size_t)r;
            out[n] = '\0';
        } else if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
            return 1;
        } else if (answer_whole(out)) {
            return 0;
        }
    }
    return 0;
}

/* Like hear, but on through whole answers until the server closes (1) or
 * ms pass (0); out gets everything it sent. */
static int hear_until_closed(struct fixture *f, int fd, int ms, char *out, size_t size)
{
    int64_t end = now_ms() + ms;
    size_t n = 0;
    out[0] = '\0';
    while (now_ms() < end) {
        if (hear(f, fd, (int)(end - now_ms()), out + n, size - n))
            return 1;
        n = strlen(out);
    }
    return 0;
}

static void test_cap_decide(void **state)
{
    (void)state;
    assert_int_equal(http_cap_decide(10, 0, 0), HTTP_CAP_ACCEPT); /* no cap */
    assert_int_equal(http_cap_decide(10, 10, 0), HTTP_CAP_ACCEPT);
    assert_int_equal(http_cap_decide(11, 10, 3), HTTP_CAP_EVICT);
    assert_int_equal(http_cap_decide(11, 10, 0), HTTP_CAP_REFUSE);
    assert_int_equal(http_cap_decide(12, 10, 0), HTTP_CAP_REFUSE); /* 10 + 10/8 + 1 */
    assert_int_equal(http_cap_decide(13, 10, 0), HTTP_CAP_DROP);
    assert_int_equal(http_cap_decide(9001, 8000, 0), HTTP_CAP_REFUSE);
    assert_int_equal(http_cap_decide(9002, 8000, 0), HTTP_CAP_DROP);
    assert_int_equal(http_cap_decide(9002, 8000, 1), HTTP_CAP_EVICT);
}

static void test_longest_waiting_is_evicted(void **state)
{
    struct fixture *f = start(2, 0);
    char buf[4096];
    (void)state;
    int a = client(f);
    pump(f, 30);
    int b = client(f);
    pump(f, 30);
    assert_int_equal(http_server_connections(f->http), 2);
    int c = client(f); /* past the cap: a, idle the longest, goes */
    assert_int_equal(hear(f, a, 2000, buf, sizeof(buf)), 1);
    assert_string_equal(buf, "");
    assert_int_equal(http_server_connections(f->http), 2);
    say(c, "GET /ok HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_int_equal(hear(f, c, 2000, buf, sizeof(buf)), 0);
    assert_non_null(strstr(buf, "HTTP/1.1 200"));
    assert_int_equal(hear(f, b, 50, buf, sizeof(buf)), 0); /* b stays */
    assert_int_equal(metrics_get("relay48_http_connections_closed_total{reason=\"evicted\"}"), 1);
    close(a);
    close(b);
    close(c);
    stop(f);
}

static void test_503_when_every_connection_is_in_a_handler(void **state)
{
    struct fixture *f = start(2, 0);
    char buf[4096];
    (void)state;
    int a = client(f), b = client(f);
    say(a, "GET /hold HTTP/1.1\r\nHost: x\r\n\r\n");
    say(b, "GET /hold HTTP/1.1\r\nHost: x\r\n\r\n");
    pump(f, 50);
    assert_int_equal(f->nheld, 2);
    int c = client(f); /* nothing to evict: told 503 when its request comes */
    pump(f, 30);
    say(c, "GET /ok HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_int_equal(hear_until_closed(f, c, 2000, buf, sizeof(buf)), 1); /* answered, closed */
    assert_non_null(strstr(buf, "HTTP/1.1 503"));
    assert_non_null(strstr(buf, "Retry-After: 3"));
    assert_non_null(strstr(buf, "application/problem+json"));
    assert_non_null(strstr(buf, "\"code\":\"too_many_connections\""));
    /* A refused connection waits like any other: the next newcomer evicts
     * it (and is refused in turn), so refused ones never pile up; closing
     * newcomers at once (HTTP_CAP_DROP) is for when more than an eighth
     * over the cap are all in handlers. */
    int d = client(f);
    pump(f, 30);
    int e = client(f);
    assert_int_equal(hear(f, d, 2000, buf, sizeof(buf)), 1);
    assert_string_equal(buf, "");
    say(e, "GET /ok HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_int_equal(hear_until_closed(f, e, 2000, buf, sizeof(buf)), 1);
    assert_non_null(strstr(buf, "HTTP/1.1 503"));
    assert_int_equal(metrics_get("relay48_http_connections_refused_total"), 3);
    assert_int_equal(metrics_get("relay48_http_connections_closed_total{reason=\"evicted\"}"), 1);
    /* the held requests are answered as usual */
    for (int i = 0; i < f->nheld; i++)
        http_reply_text(f->held[i], 200, "text/plain", "held");
    assert_int_equal(hear(f, a, 2000, buf, sizeof(buf)), 0);
    assert_non_null(strstr(buf, "HTTP/1.1 200"));
    close(a);
    close(b);
    close(c);
    close(d);
    close(e);
    stop(f);
}

static void test_request_timeout_whatever_trickles_in(void **state)
{
    struct fixture *f = start(100, 300);
    char buf[4096];
    const char *head = "GET /ok HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    (void)state;
    int idle = client(f), slow = client(f);
    int64_t t0 = now_ms();
    int closed = 0;
    for (size_t i = 0; head[i] && !closed; i++) {
        char one[2] = {head[i], '\0'};
        if (send(slow, one, 1, MSG_NOSIGNAL) != 1)
            break;
        closed = hear(f, slow, 25, buf, sizeof(buf));
    }
    if (!closed)
        closed = hear(f, slow, 2000, buf, sizeof(buf));
    int64_t took = now_ms() - t0;
    assert_int_equal(closed, 1);
    assert_string_equal(buf, "");
    assert_true(took >= 280 && took < 2000);
    assert_int_equal(hear(f, idle, 2000, buf, sizeof(buf)), 1);
    assert_int_equal(
        metrics_get("relay48_http_connections_closed_total{reason=\"request_timeout\"}"), 2);
    close(idle);
    close(slow);
    /* a keep-alive connection waits again from its answer */
    int k = client(f);
    say(k, "GET /ok HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_int_equal(hear(f, k, 2000, buf, sizeof(buf)), 0);
    assert_non_null(strstr(buf, "HTTP/1.1 200"));
    int64_t answered = now_ms();
    assert_int_equal(hear(f, k, 2000, buf, sizeof(buf)), 1);
    assert_true(now_ms() - answered >= 250);
    close(k);
    stop(f);
}

static void test_431_past_the_header_limit(void **state)
{
    struct fixture *f = start(100, 0);
    char buf[4096], req[2048];
    (void)state;
    int a = client(f);
    int n = snprintf(req, sizeof(req), "GET /ok HTTP/1.1\r\nHost: x\r\nX-Pad: ");
    memset(req + n, 'p', 1200);
    memcpy(req + n + 1200, "\r\n\r\n", 5);
    say(a, req);
    assert_int_equal(hear(f, a, 2000, buf, sizeof(buf)), 0);
    assert_non_null(strstr(buf, "HTTP/1.1 431 Request Header Fields Too Large"));
    assert_non_null(strstr(buf, "\"code\":\"headers_too_large\""));
    close(a);
    stop(f);
}

static void test_client_gone_before_the_answer(void **state)
{
    struct fixture *f = start(100, 0);
    struct linger reset = {1, 0};
    (void)state;
    int a = client(f);
    say(a, "GET /hold HTTP/1.1\r\nHost: x\r\n\r\n");
    pump(f, 50);
    assert_int_equal(f->nheld, 1);
    /* The client resets the connection while its request is in a handler;
     * evhttp (2.1) reads nothing meanwhile and learns it when it writes the
     * answer: the connection is freed without the answer's completion
     * callback, which is where the access-log state used to leak. */
    assert_int_equal(setsockopt(a, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset)), 0);
    close(a);
    pump(f, 20);
    http_reply_text(f->held[0], 200, "text/plain", "late");
    pump(f, 50);
    assert_int_equal(http_server_connections(f->http), 0);
    assert_int_equal(metrics_get("relay48_http_client_gone_total"), 1);
    stop(f);
}

int main(void)
{
    log_set_level(LOG_ERROR); /* no access log lines */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cap_decide),
        cmocka_unit_test(test_longest_waiting_is_evicted),
        cmocka_unit_test(test_503_when_every_connection_is_in_a_handler),
        cmocka_unit_test(test_request_timeout_whatever_trickles_in),
        cmocka_unit_test(test_431_past_the_header_limit),
        cmocka_unit_test(test_client_gone_before_the_answer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
