/*  Helpers for the checker's tests (tests/test_check_*.c): load a robot,
    run the checker, list findings, and assert that a report holds only the
    findings a test expects.  Motions are built with sim/lfd_poses.h from
    the default pose plus known joint trajectories. */
#ifndef TEST_CHECK_UTIL_H
#define TEST_CHECK_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/lfd_check.h"
#include "tests/lfd_poses.h"
#include "tests/lfd_test.h"

static inline lfd_robot *ck_robot(const char *name)
{
    lfd_robot *r = NULL;
    lfd_err err = {0};
    if (lfd_robot_load(&r, name, &err)) {
        lfd_test_fail_at(__FILE__, __LINE__, "loading %s: %s", name, err.msg);
        return NULL;
    }
    return r;
}

/* runs the checker; prints the report when LFD_TEST_VERBOSE is set */
static inline lfd_check_report *ck_run(const lfd_robot *r, const lfd_motion *m, const lfd_check_opts *o)
{
    lfd_check_report *rep = NULL;
    lfd_err err = {0};
    int rc = lfd_check_report_new(&rep, &err);
    if (rc == LFD_OK)
        rc = lfd_check_run(r, m, o, rep, &err);
    if (rc) {
        lfd_test_fail_at(__FILE__, __LINE__, "lfd_check_run: %s", err.msg);
        lfd_check_report_free(&rep);
        return NULL;
    }
    if (getenv("LFD_TEST_VERBOSE"))
        lfd_check_report_print(rep, r, "motion", stderr);
    return rep;
}

/* prints the report (on failure) */
static inline void ck_dump(const lfd_check_report *rep, const lfd_robot *r)
{
    if (rep)
        lfd_check_report_print(rep, r, "motion", stderr);
}

/* number of findings whose kind is not in the bit set `kinds` (1u << kind) */
static inline int ck_others(const lfd_check_report *rep, unsigned kinds)
{
    int n = 0;
    for (int i = 0; i < rep->nfindings; i++)
        if (!((kinds >> rep->finding[i].kind) & 1u))
            n++;
    return n + rep->more_findings;
}

/* the first finding of a kind whose `what` contains `what` (NULL: any) */
static inline const lfd_check_finding *ck_find(const lfd_check_report *rep, int kind, const char *what)
{
    for (int i = 0; i < rep->nfindings; i++) {
        const lfd_check_finding *x = &rep->finding[i];
        if (x->kind == kind && (!what || strstr(x->what, what)))
            return x;
    }
    return NULL;
}

static inline int ck_count(const lfd_check_report *rep, int kind)
{
    int n = 0;
    for (int i = 0; i < rep->nfindings; i++)
        n += rep->finding[i].kind == kind;
    return n;
}

#define CK_KIND(k) (1u << (k))

#endif
