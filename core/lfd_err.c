/*  lfd_err: status codes and error messages (see lfd_err.h). */
#include "core/lfd_err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int lfd_fail(lfd_err *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

int lfd_err_prefix(lfd_err *err, const char *fmt, ...)
{
    if (!err)
        return LFD_OK;
    if (err->code == LFD_OK)
        return LFD_OK;
    char pre[LFD_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pre, sizeof pre, fmt, ap);
    va_end(ap);
    /* shift the old message right and put "<pre>: " in front, truncating the tail */
    size_t pl = strlen(pre), cap = sizeof err->msg - 1;
    if (pl > cap - 2)
        pl = cap - 2;
    size_t ol = strlen(err->msg);
    if (pl + 2 + ol > cap)
        ol = cap - pl - 2;
    memmove(err->msg + pl + 2, err->msg, ol);
    memcpy(err->msg, pre, pl);
    err->msg[pl] = ':';
    err->msg[pl + 1] = ' ';
    err->msg[pl + 2 + ol] = '\0';
    return err->code;
}

void lfd_err_clear(lfd_err *err)
{
    if (err) {
        err->code = LFD_OK;
        err->msg[0] = '\0';
    }
}

const char *lfd_status_str(int code)
{
    switch (code) {
    case LFD_OK: return "ok";
    case LFD_EARG: return "invalid argument";
    case LFD_EIO: return "i/o error";
    case LFD_EPARSE: return "parse error";
    case LFD_ELIMIT: return "limit exceeded";
    case LFD_ENOMEM: return "out of memory";
    case LFD_EMISMATCH: return "mismatch";
    case LFD_ECHECKSUM: return "checksum mismatch";
    case LFD_ENUMERIC: return "numeric error";
    case LFD_ESTATE: return "invalid state";
    case LFD_ETIMEOUT: return "timeout";
    case LFD_ENET: return "network error";
    case LFD_EDENIED: return "denied";
    case LFD_EUNSUPPORTED: return "unsupported";
    default: return "unknown error";
    }
}
