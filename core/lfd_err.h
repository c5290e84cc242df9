/*  lfd_err: status codes and error messages for the whole library.

    Every fallible lfd function returns an int status (LFD_OK or a negative
    LFD_E* code) and, when given a non-NULL lfd_err, fills it with a one-line
    message that says where (file and line, or byte offset) and why.  The
    library never calls exit(); the `lfd` command turns codes into exit codes.

    Convention for messages: "<file>:<line>: <reason>" for text inputs,
    "<file>: byte <offset>: <reason>" for binary inputs, plain "<reason>"
    where no location applies.  Callers may add context in front with
    lfd_err_prefix().
*/
#ifndef LFD_ERR_H
#define LFD_ERR_H

#include <stddef.h>

enum {
    LFD_OK = 0,
    LFD_EARG = -1,      /* invalid argument from the caller */
    LFD_EIO = -2,       /* open, read or write failed */
    LFD_EPARSE = -3,    /* malformed input */
    LFD_ELIMIT = -4,    /* input exceeds a hard cap */
    LFD_ENOMEM = -5,    /* allocation failed */
    LFD_EMISMATCH = -6, /* schema, robot or model does not match */
    LFD_ECHECKSUM = -7, /* stored checksum does not match content */
    LFD_ENUMERIC = -8,  /* NaN, infinity, or a numeric failure */
    LFD_ESTATE = -9,    /* operation not valid in this state */
    LFD_ETIMEOUT = -10, /* deadline passed */
    LFD_ENET = -11,     /* network / transport failure */
    LFD_EDENIED = -12,  /* refused by policy (consent, allow-list) */
    LFD_EUNSUPPORTED = -13 /* valid input that lfd does not handle */
};

#define LFD_ERR_MSG_MAX 512

typedef struct lfd_err {
    int code;
    char msg[LFD_ERR_MSG_MAX];
} lfd_err;

/* Sets err (if non-NULL) to code and a printf-formatted message; returns code
   so that `return lfd_fail(err, LFD_EPARSE, "...")` reads naturally. */
int lfd_fail(lfd_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Puts "<context>: " in front of the current message (if err is non-NULL and
   holds an error).  Returns err->code, or LFD_OK for a NULL err: so never
   write `return lfd_err_prefix(err, ...)` on a failure path where err may be
   NULL (that turns the failure into success); use lfd_err_prefix_rc, as every
   such return in lfd does since 2026-12-07. */
int lfd_err_prefix(lfd_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The same prefixing, but returns rc, the failure being reported, whatever
   err holds and also for a NULL err: `return lfd_err_prefix_rc(err, rc, ...)`. */
int lfd_err_prefix_rc(lfd_err *err, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Resets err to LFD_OK with an empty message. */
void lfd_err_clear(lfd_err *err);

/* A short constant name for a status code ("parse error", ...). */
const char *lfd_status_str(int code);

#endif
