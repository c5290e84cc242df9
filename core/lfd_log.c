/*  lfd_log: diagnostics and progress on stderr (see lfd_log.h). */
#include "core/lfd_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/lfd_util.h"

int lfd_log_level = LFD_LOG_INFO;

void lfd_log_init(void)
{
    const char *s = getenv("LFD_LOG");
    if (!s)
        return;
    if (!strcmp(s, "error")) lfd_log_level = LFD_LOG_ERROR;
    else if (!strcmp(s, "warn")) lfd_log_level = LFD_LOG_WARN;
    else if (!strcmp(s, "info")) lfd_log_level = LFD_LOG_INFO;
    else if (!strcmp(s, "debug")) lfd_log_level = LFD_LOG_DEBUG;
}

void lfd_log(int level, const char *fmt, ...)
{
    static const char *tag[] = {"error", "warning", "", "debug"};
    if (level > lfd_log_level)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (level == LFD_LOG_INFO)
        fprintf(stderr, "%s\n", line);
    else
        fprintf(stderr, "lfd: %s: %s\n", tag[level < 0 ? 0 : level > 3 ? 3 : level], line);
}

void lfd_progress_start(lfd_progress *p, const char *label, int64_t total)
{
    p->label = label;
    p->total = total > 0 ? total : 1;
    p->done = 0;
    p->last_decile = -1;
    p->tty = isatty(STDERR_FILENO);
    p->t0_s = lfd_now_s();
}

void lfd_progress_update(lfd_progress *p, int64_t done)
{
    if (lfd_log_level < LFD_LOG_INFO)
        return;
    p->done = done;
    int pct = (int)(100 * done / p->total);
    if (pct > 100)
        pct = 100;
    if (p->tty) {
        int bars = pct / 4;
        char bar[26];
        memset(bar, '#', (size_t)bars);
        memset(bar + bars, '.', (size_t)(25 - bars));
        bar[25] = '\0';
        fprintf(stderr, "\r%s [%s] %3d%% (%lld/%lld)", p->label, bar, pct,
                (long long)done, (long long)p->total);
        fflush(stderr);
    } else if (pct / 10 != p->last_decile) {
        p->last_decile = pct / 10;
        fprintf(stderr, "%s: %d%% (%lld/%lld)\n", p->label, pct, (long long)done,
                (long long)p->total);
    }
}

void lfd_progress_end(lfd_progress *p)
{
    if (lfd_log_level < LFD_LOG_INFO)
        return;
    if (p->tty)
        fprintf(stderr, "\r%s: done, %lld items in %.2f s%20s\n", p->label,
                (long long)p->done, lfd_now_s() - p->t0_s, "");
    else
        fprintf(stderr, "%s: done, %lld items in %.2f s\n", p->label, (long long)p->done,
                lfd_now_s() - p->t0_s);
}
