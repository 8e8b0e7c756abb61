/* progress.c — a progress bar on a terminal; see progress.h. */
#include "progress.h"

#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PROGRESS_WIDTH    30
#define PROGRESS_EVERY_MS 100

struct progress {
    FILE *out;
    size_t total, done;
    int64_t last_ms; /* last draw; -1 before the first */
    char label[PROGRESS_LABEL_MAX + 1];
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void draw(struct progress *p)
{
    if (p->total) {
        char bar[PROGRESS_WIDTH + 1];
        size_t full = p->done >= p->total ? PROGRESS_WIDTH : p->done * PROGRESS_WIDTH / p->total;
        memset(bar, '#', full);
        memset(bar + full, '-', PROGRESS_WIDTH - full);
        bar[PROGRESS_WIDTH] = '\0';
        fprintf(p->out, "\r[%s] %zu/%zu %s\033[K", bar, p->done, p->total, p->label);
    } else {
        fprintf(p->out, "\r%zu %s\033[K", p->done, p->label);
    }
    fflush(p->out);
    p->last_ms = now_ms();
}

struct progress *progress_start(FILE *out, size_t total, const char *label)
{
    if (!out || !isatty(fileno(out)))
        return NULL;
    struct progress *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->out = out;
    p->total = total;
    p->last_ms = -1;
    snprintf(p->label, sizeof(p->label), "%s", label ? label : "");
    draw(p);
    return p;
}

void progress_update(struct progress *p, size_t done)
{
    if (!p)
        return;
    p->done = done;
    if (p->total && done > p->total)
        p->total = done;
    if (now_ms() - p->last_ms >= PROGRESS_EVERY_MS)
        draw(p);
}

void progress_clear(struct progress *p)
{
    if (!p)
        return;
    fputs("\r\033[K", p->out);
    fflush(p->out);
    p->last_ms = -PROGRESS_EVERY_MS; /* redraw at the next update */
}

void progress_end(struct progress *p)
{
    if (!p)
        return;
    draw(p);
    fputc('\n', p->out);
    fflush(p->out);
    free(p);
}
