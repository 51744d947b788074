/* progress: the progress bar of export and import (see progress.h). */
#include "progress.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

#define BAR_WIDTH 30
#define REDRAW_MS 100

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void progress_init(struct progress *p, FILE *f, const char *what, size_t total)
{
    *p = (struct progress){.f = isatty(fileno(f)) == 1 ? f : NULL, .what = what, .total = total};
}

void progress_format(const char *what, size_t done, size_t total, int width, char *buf, size_t cap)
{
    char bar[128];

    if (total == 0) {
        snprintf(buf, cap, "%s %zu", what, done);
        return;
    }
    if (width > (int)sizeof(bar) - 1)
        width = (int)sizeof(bar) - 1;
    size_t shown = done < total ? done : total;
    int filled = (int)(shown * (size_t)width / total);
    memset(bar, '#', (size_t)filled);
    memset(bar + filled, '.', (size_t)(width - filled));
    bar[width] = '\0';
    snprintf(buf, cap, "%s %zu/%zu [%s] %3d%%", what, done, total, bar, (int)(shown * 100 / total));
}

void progress_update(struct progress *p, size_t done)
{
    char line[256];
    int64_t t;

    if (p->f == NULL)
        return;
    t = now_ms();
    if (p->showing && t - p->drawn_ms < REDRAW_MS && (p->total == 0 || done < p->total))
        return;
    progress_format(p->what, done, p->total, BAR_WIDTH, line, sizeof(line));
    fprintf(p->f, "\r\033[K%s", line);
    fflush(p->f);
    p->showing = true;
    p->drawn_ms = t;
}

void progress_clear(struct progress *p)
{
    if (p->f != NULL && p->showing) {
        fputs("\r\033[K", p->f);
        fflush(p->f);
    }
    p->showing = false;
}
