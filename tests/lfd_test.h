/*  lfd_test: the unit-test harness.

    A test is a function declared with TEST(name) in any tests/test_*.c file;
    it registers itself.  The runner (tests/runner.c) runs each test in its
    own forked process with a time limit, so a crash or hang fails that test
    only, and ends with the line "N passed, N failed".

    Inside a test:
      CHECK(cond)                      fails the test (and goes on) if false
      CHECK_EQ_INT(a, b)               integers, printing both values
      CHECK_NEAR(a, b, tol)            doubles within tol
      CHECK_OK(expr, &err)             expr returns LFD_OK, else prints err
      CHECK_STR(a, b)                  equal strings
      CHECK_CONTAINS(hay, needle)      substring
      SKIP("reason")                   ends the test as skipped (needs data etc.)
    Helpers:
      lfd_test_tmpdir()                a fresh folder for this test's files
      lfd_test_shared("data/mocap")    path under ../shared, or NULL if absent
      lfd_test_run_lfd(args, out, n)   runs the built `lfd` binary, returns
                                       its exit code, captures stdout+stderr
      lfd_test_run_lfdf(out, n, fmt, ...)  the same with printf-style arguments
      lfd_test_under_valgrind()        1 in the Valgrind pass (shorter inputs)
    Tests never assert timings (the machine is shared and noisy).
*/
#ifndef LFD_TEST_H
#define LFD_TEST_H

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/lfd_err.h"

typedef void (*lfd_test_fn)(void);
void lfd_test_register(const char *name, lfd_test_fn fn, const char *file);
void lfd_test_fail_at(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void lfd_test_skip(const char *reason) __attribute__((noreturn));
const char *lfd_test_tmpdir(void);
const char *lfd_test_shared(const char *rel);
const char *lfd_test_lfd_bin(void);
int lfd_test_run_lfd(const char *args, char *out, size_t outsz);
int lfd_test_run_lfdf(char *out, size_t outsz, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int lfd_test_failures(void);
/* 1 under `make valgrind` (LFD_VALGRIND set): long tests shorten their input,
   never their assertions. */
int lfd_test_under_valgrind(void);
/* The motion-capture files (.bvh, .npy) of ../shared/data/mocap, sorted by
   name, into paths[0..max); returns how many, or -1 when the folder is
   absent (the caller SKIPs). */
int lfd_test_mocap_files(char (*paths)[1024], int max);

#define TEST(name)                                                                    \
    static void test_##name(void);                                                    \
    __attribute__((constructor)) static void lfd_test_reg_##name(void)                \
    {                                                                                 \
        lfd_test_register(#name, test_##name, __FILE__);                              \
    }                                                                                 \
    static void test_##name(void)

#define CHECK(c)                                                                      \
    do {                                                                              \
        if (!(c))                                                                     \
            lfd_test_fail_at(__FILE__, __LINE__, "CHECK(%s)", #c);                    \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                            \
    do {                                                                              \
        long long va_ = (long long)(a), vb_ = (long long)(b);                         \
        if (va_ != vb_)                                                               \
            lfd_test_fail_at(__FILE__, __LINE__, "%s == %s: %lld != %lld", #a, #b,    \
                             va_, vb_);                                               \
    } while (0)

#define CHECK_NEAR(a, b, tol)                                                         \
    do {                                                                              \
        double va_ = (double)(a), vb_ = (double)(b);                                  \
        if (!(fabs(va_ - vb_) <= (tol)))                                              \
            lfd_test_fail_at(__FILE__, __LINE__, "%s ~ %s: %.12g vs %.12g (tol %g)",  \
                             #a, #b, va_, vb_, (double)(tol));                        \
    } while (0)

#define CHECK_OK(expr, errp)                                                          \
    do {                                                                              \
        int rc_ = (expr);                                                             \
        if (rc_ != LFD_OK)                                                            \
            lfd_test_fail_at(__FILE__, __LINE__, "%s returned %d: %s", #expr, rc_,    \
                             (errp)->msg);                                            \
    } while (0)

#define CHECK_STR(a, b)                                                               \
    do {                                                                              \
        const char *sa_ = (a), *sb_ = (b);                                            \
        if (!sa_ || !sb_ || strcmp(sa_, sb_))                                         \
            lfd_test_fail_at(__FILE__, __LINE__, "%s == %s: '%s' != '%s'", #a, #b,    \
                             sa_ ? sa_ : "(null)", sb_ ? sb_ : "(null)");             \
    } while (0)

#define CHECK_CONTAINS(hay, needle)                                                   \
    do {                                                                              \
        const char *h_ = (hay), *n_ = (needle);                                       \
        if (!h_ || !strstr(h_, n_))                                                   \
            lfd_test_fail_at(__FILE__, __LINE__, "'%s' not found in: %.400s", n_,     \
                             h_ ? h_ : "(null)");                                     \
    } while (0)

#define SKIP(reason) lfd_test_skip(reason)

#endif
