/*  lfd_err: status codes and error messages (see lfd_err.h). */
#include "core/lfd_err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* the start of the UTF-8 character holding byte i of s (i itself when it
   starts one) */
static size_t char_start(const char *s, size_t i)
{
    while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80)
        i--;
    return i;
}

/* full (n bytes) into msg (cap bytes with its NUL): whole if it fits, else
   its head and its tail around " ... ", each cut on a character boundary.
   A long file name no longer pushes the reason, which comes last, out of
   the message, and no character is cut in two (found by review: a 610-byte
   path kept only the path, and a cut 'é' made lfd's JSON undecodable). */
static void put_elided(char *msg, size_t cap, const char *full, size_t n)
{
    if (n < cap) {
        memcpy(msg, full, n + 1);
        return;
    }
    static const char mid[] = " ... ";
    size_t room = cap - 1 - (sizeof mid - 1), head = char_start(full, room / 3);
    size_t t = n - (room - head);
    while (t < n && ((unsigned char)full[t] & 0xC0) == 0x80) /* inside a character: start after it */
        t++;
    memcpy(msg, full, head);
    memcpy(msg + head, mid, sizeof mid - 1);
    memcpy(msg + head + sizeof mid - 1, full + t, n - t);
    msg[head + sizeof mid - 1 + (n - t)] = '\0';
}

#define ERR_FULL_MAX 8192

int lfd_fail(lfd_err *err, int code, const char *fmt, ...)
{
    if (err) {
        char full[ERR_FULL_MAX];
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        int n = vsnprintf(full, sizeof full, fmt, ap);
        va_end(ap);
        size_t len = n < 0 ? 0 : (size_t)n < sizeof full ? (size_t)n : sizeof full - 1;
        if (n < 0)
            full[0] = '\0';
        put_elided(err->msg, sizeof err->msg, full, len);
    }
    return code;
}

static void prefix_v(lfd_err *err, const char *fmt, va_list ap)
{
    if (!err || err->code == LFD_OK)
        return;
    char full[ERR_FULL_MAX];
    int n = vsnprintf(full, sizeof full, fmt, ap);
    /* "<pre>: <old message>" */
    size_t pl = n < 0 ? 0 : (size_t)n < sizeof full - 3 ? (size_t)n : sizeof full - 3;
    size_t ol = strlen(err->msg);
    if (pl + 2 + ol >= sizeof full)
        ol = sizeof full - 1 - pl - 2;
    full[pl] = ':';
    full[pl + 1] = ' ';
    memcpy(full + pl + 2, err->msg, ol);
    full[pl + 2 + ol] = '\0';
    put_elided(err->msg, sizeof err->msg, full, pl + 2 + ol);
}

int lfd_err_prefix(lfd_err *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    prefix_v(err, fmt, ap);
    va_end(ap);
    return err ? err->code : LFD_OK;
}

int lfd_err_prefix_rc(lfd_err *err, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    prefix_v(err, fmt, ap);
    va_end(ap);
    return rc;
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
