/*  lfd_log: diagnostics and progress on stderr.

    Library code reports through lfd_log() so that the command decides how
    loud to be (lfd_log_level) and tests can silence it.  lfd_progress draws a
    single-line progress bar on stderr for long work when stderr is a
    terminal, and a line every ~10 % otherwise (so CI logs show progress
    without a flood).
*/
#ifndef LFD_LOG_H
#define LFD_LOG_H

#include <stdint.h>

/* the clock (lfd_now_s, lfd_now_ns) is in lfd_util.h; included here until
   every caller includes it itself */
#include "core/lfd_util.h"

enum { LFD_LOG_ERROR = 0, LFD_LOG_WARN = 1, LFD_LOG_INFO = 2, LFD_LOG_DEBUG = 3 };

/* Messages above this level are dropped.  Default LFD_LOG_INFO; the
   environment variable LFD_LOG (error|warn|info|debug) overrides it when
   lfd_log_init() is called. */
extern int lfd_log_level;

void lfd_log_init(void);
void lfd_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define lfd_warn(...) lfd_log(LFD_LOG_WARN, __VA_ARGS__)
#define lfd_info(...) lfd_log(LFD_LOG_INFO, __VA_ARGS__)
#define lfd_debug(...) lfd_log(LFD_LOG_DEBUG, __VA_ARGS__)

typedef struct lfd_progress {
    const char *label;
    int64_t total;
    int64_t done;
    int last_decile;
    int tty;
    double t0_s;
} lfd_progress;

void lfd_progress_start(lfd_progress *p, const char *label, int64_t total);
void lfd_progress_update(lfd_progress *p, int64_t done);
void lfd_progress_end(lfd_progress *p);

#endif
