/* log.c — JSON-lines logging; see log.h. */
#include "log.h"

#include <stdarg.h>
#include <string.h>
#include <time.h>

static enum log_level current_level = LOG_INFO;
static FILE *log_stream;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

int log_level_parse(const char *name, enum log_level *out)
{
    for (size_t i = 0; i < RELAY_ARRAY_LEN(level_names); i++) {
        if (strcmp(name, level_names[i]) == 0) {
            *out = (enum log_level)i;
            return 0;
        }
    }
    return -1;
}

const char *log_level_name(enum log_level level)
{
    return (unsigned)level < RELAY_ARRAY_LEN(level_names) ? level_names[level] : "info";
}

void log_set_level(enum log_level level)
{
    current_level = level;
}

enum log_level log_get_level(void)
{
    return current_level;
}

void log_set_stream(FILE *stream)
{
    log_stream = stream;
}

/* Append s to buf as the inside of a JSON string, escaping what JSON needs
 * and any control or non-ASCII byte that is not valid UTF-8 (as \ufffd). */
static size_t json_escape(char *buf, size_t pos, size_t cap, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p && pos + 8 < cap) {
        unsigned char c = *p;
        if (c == '"' || c == '\\') {
            buf[pos++] = '\\';
            buf[pos++] = (char)c;
            p++;
        } else if (c < 0x20 || c == 0x7f) {
            snprintf(buf + pos, cap - pos, "\\u%04x", c);
            pos += 6;
            p++;
        } else if (c < 0x80) {
            buf[pos++] = (char)c;
            p++;
        } else {
            /* Copy a well-formed UTF-8 sequence as is; replace anything else. */
            size_t n = (c >= 0xc2 && c <= 0xdf)   ? 2
                       : (c >= 0xe0 && c <= 0xef) ? 3
                       : (c >= 0xf0 && c <= 0xf4) ? 4
                                                  : 0;
            size_t k = 1;
            while (n && k < n && (p[k] & 0xc0) == 0x80)
                k++;
            if (n && k == n && pos + n < cap) {
                memcpy(buf + pos, p, n);
                pos += n;
                p += n;
            } else {
                memcpy(buf + pos, "\\ufffd", 6);
                pos += 6;
                p++;
            }
        }
    }
    return pos;
}

/* Append a literal; a line that is full is cut, never overrun. */
static size_t put(char *buf, size_t pos, size_t cap, const char *s)
{
    size_t n = strlen(s);
    if (pos + n >= cap)
        return pos;
    memcpy(buf + pos, s, n);
    return pos + n;
}

void log_write(enum log_level level, const char *event, const char *req, const char *ref,
               const char *fmt, ...)
{
    if (level < current_level)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);

    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);

    char line[4096];
    size_t cap = sizeof(line) - 4; /* room for "}\n" */
    size_t pos =
        (size_t)snprintf(line, cap,
                         "{\"ts\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ\",\"level\":\"%s\","
                         "\"event\":\"",
                         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                         tm.tm_sec, ts.tv_nsec / 1000000, log_level_name(level));
    pos = json_escape(line, pos, cap, event);
    if (req) {
        pos = put(line, pos, cap, "\",\"req\":\"");
        pos = json_escape(line, pos, cap, req);
    }
    if (ref) {
        pos = put(line, pos, cap, "\",\"ref\":\"");
        pos = json_escape(line, pos, cap, ref);
    }
    pos = put(line, pos, cap, "\",\"msg\":\"");
    pos = json_escape(line, pos, cap, msg);
    line[pos++] = '"';
    line[pos++] = '}';
    line[pos++] = '\n';
    FILE *out = log_stream ? log_stream : stderr;
    fwrite(line, 1, pos, out);
    fflush(out);
}
