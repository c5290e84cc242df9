/*  lfd's joint controller (robots/lfd_robot_control.c) at its edges: what
    reaches the motors when the reference is not finite, and how position
    servos are commanded (gear, torque limit, feed-forward). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policies/lfd_track.h"
#include "robots/lfd_robot.h"
#include "tests/lfd_test.h"
#include "tests/test_robots_fixture.h"

static lfd_robot *load(const char *spec)
{
    lfd_robot *r = NULL;
    lfd_err err = {0};
    CHECK_OK(lfd_robot_load(&r, spec, &err), &err);
    return r;
}

/* A NaN in q_ref failed both limit tests and fmin/fmax then sent the ctrl
   range's low end: the joint's full negative torque, counted as nothing.
   A NaN in qd_ref went through mj_rne into every joint's feed-forward:
   every joint at its negative limit. */
TEST(robots_control_nonfinite_reference_holds)
{
    lfd_robot *r = load("h1");
    lfd_robot_ff *ff = NULL;
    lfd_err err = {0};
    if (!r)
        return;
    CHECK_OK(lfd_robot_ff_new(&ff, r, &err), &err);
    if (!ff)
        goto out;
    int nq = r->nq, nv = r->nv, nu = r->nu;
    double *q = malloc((size_t)nq * sizeof(double)), *qd = calloc((size_t)nv, sizeof(double));
    double *qref = malloc((size_t)nq * sizeof(double)), *qdref = calloc((size_t)nv, sizeof(double));
    double *ctrl = calloc((size_t)nu, sizeof(double)), *tau = calloc((size_t)nv, sizeof(double));
    double *ctrl0 = calloc((size_t)nu, sizeof(double));
    memcpy(q, r->qpos_default, (size_t)nq * sizeof(double));
    memcpy(qref, q, (size_t)nq * sizeof(double));
    const lfd_robot_joint *knee = &r->joints[lfd_robot_find_joint(r, "left_knee")];
    const lfd_robot_joint *elbow = &r->joints[lfd_robot_find_joint(r, "left_elbow")];
    qd[knee->dof_adr] = 0.5;

    /* the same call with a finite reference, to compare the other joints */
    CHECK_EQ_INT(lfd_robot_pd(r, q, qd, qref, NULL, NULL, ctrl0, NULL), 0);

    /* NaN in one joint's q_ref: that joint is held (damping only), the
       others are untouched, and the count says so */
    qref[knee->qpos_adr] = NAN;
    int nonfinite = -1;
    int lim = lfd_robot_pd_checked(r, q, qd, qref, NULL, NULL, ctrl, tau, &nonfinite);
    CHECK_EQ_INT(nonfinite, 1);
    CHECK_EQ_INT(lim, 1);
    CHECK_NEAR(tau[knee->dof_adr], -knee->kd * 0.5, 1e-12);
    CHECK(isfinite(ctrl[knee->act_id]) && ctrl[knee->act_id] > knee->ctrl_lo);
    for (int j = 0; j < r->njoints; j++)
        if (&r->joints[j] != knee)
            CHECK_NEAR(ctrl[r->joints[j].act_id], ctrl0[r->joints[j].act_id], 0);
    /* an infinite one the same */
    qref[knee->qpos_adr] = -INFINITY;
    lfd_robot_pd_checked(r, q, qd, qref, NULL, NULL, ctrl, tau, &nonfinite);
    CHECK_EQ_INT(nonfinite, 1);
    CHECK_NEAR(tau[knee->dof_adr], -knee->kd * 0.5, 1e-12);
    qref[knee->qpos_adr] = q[knee->qpos_adr];

    /* NaN in one joint's qd_ref through the standard controller: the
       feed-forward is NaN everywhere, so every joint is held; none gets a
       limit torque */
    qdref[elbow->dof_adr] = NAN;
    lim = lfd_robot_ff_control(ff, q, qd, qref, qdref, NULL, NULL, ctrl, tau, NULL);
    CHECK_EQ_INT(lfd_robot_ff_nonfinite(ff), r->njoints);
    CHECK_EQ_INT(lim, r->njoints);
    for (int j = 0; j < r->njoints; j++) {
        const lfd_robot_joint *J = &r->joints[j];
        double want = J == knee ? -knee->kd * 0.5 : 0.0;
        if (!(isfinite(ctrl[J->act_id]) && fabs(tau[J->dof_adr] - want) < 1e-12))
            lfd_test_fail_at(__FILE__, __LINE__, "%s: ctrl %g tau %g, want torque %g", J->name,
                             ctrl[J->act_id], tau[J->dof_adr], want);
    }
    /* and the balance controller */
    lfd_robot_bal_reset(ff);
    lfd_robot_bal_control(ff, q, qd, qref, qdref, NULL, NULL, ctrl, tau, NULL);
    CHECK(lfd_robot_ff_nonfinite(ff) > 0);
    for (int j = 0; j < r->njoints; j++) {
        const lfd_robot_joint *J = &r->joints[j];
        CHECK(isfinite(ctrl[J->act_id]) && fabs(tau[J->dof_adr]) < J->torque_max);
    }
    /* a finite step afterwards is finite everywhere again (the contact
       QP's warm start was not left NaN) */
    qdref[elbow->dof_adr] = 0;
    lfd_robot_bal_control(ff, q, qd, qref, qdref, NULL, NULL, ctrl, tau, NULL);
    CHECK_EQ_INT(lfd_robot_ff_nonfinite(ff), 0);
    lfd_robot_ff_control(ff, q, qd, qref, qdref, NULL, NULL, ctrl, tau, NULL);
    CHECK_EQ_INT(lfd_robot_ff_nonfinite(ff), 0);
    free(q);
    free(qd);
    free(qref);
    free(qdref);
    free(ctrl);
    free(tau);
    free(ctrl0);
out:
    lfd_robot_ff_free(&ff);
    lfd_robot_free(&r);
}

/* lfd_track's range clamp let a NaN policy target through (both
   comparisons false); it is refused before the simulation moves */
TEST(robots_control_track_refuses_nonfinite_target)
{
    lfd_robot *r = load("h1");
    lfd_track *t = NULL;
    lfd_err err = {0};
    if (!r)
        return;
    CHECK_OK(lfd_track_new(&t, r, 0.02, &err), &err);
    if (!t)
        goto out;
    lfd_track_reset(t, r->qpos_default, NULL);
    float rows[2 * LFD_ROBOT_MAX_JOINTS];
    for (int j = 0; j < r->njoints; j++)
        rows[j] = rows[r->njoints + j] = (float)r->joints[j].default_q;
    CHECK_OK(lfd_track_period(t, rows, 2, &err), &err);
    double z = lfd_track_qpos(t)[2];
    rows[r->njoints + 3] = NAN;
    CHECK_EQ_INT(lfd_track_period(t, rows, 2, &err), LFD_ENUMERIC);
    CHECK_CONTAINS(err.msg, r->joints[3].name);
    CHECK_CONTAINS(err.msg, "not finite");
    CHECK_NEAR(lfd_track_qpos(t)[2], z, 0); /* nothing moved */
out:
    lfd_track_free(&t);
    lfd_robot_free(&r);
}
