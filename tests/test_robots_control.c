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

/* a one-joint arm in zero gravity driven by an MJCF position servo (kp 100,
   gear GEAR, force range +-FORCE) with a description torque limit TORQUE;
   returns the loaded robot or NULL */
static lfd_robot *servo_arm(const char *name, double gear, double force, double torque)
{
    const char *dir = lfd_test_tmpdir();
    char xml[8192], desc[1024], path[1024], file[256];
    snprintf(xml, sizeof xml,
             "<mujoco model=\"servo\">\n"
             "  <compiler angle=\"radian\"/>\n"
             "  <option gravity=\"0 0 0\" timestep=\"0.002\"/>\n"
             "  <worldbody>\n"
             "    <geom name=\"floor\" type=\"plane\" size=\"2 2 0.1\"/>\n"
             "    <body name=\"base\" pos=\"0 0 1\">\n"
             "      <geom type=\"box\" size=\"0.1 0.1 0.1\" mass=\"1\"/>\n"
             "      <body name=\"link\">\n"
             "        <joint name=\"j1\" axis=\"0 1 0\" limited=\"true\" range=\"-1 1\" damping=\"1\"/>\n"
             "        <geom type=\"capsule\" fromto=\"0 0 0 0.3 0 0\" size=\"0.03\" mass=\"1\"/>\n"
             "      </body>\n"
             "    </body>\n"
             "  </worldbody>\n"
             "  <actuator>\n"
             "    <position name=\"a1\" joint=\"j1\" kp=\"100\" gear=\"%g\" forcelimited=\"true\" "
             "forcerange=\"-%g %g\"/>\n"
             "  </actuator>\n"
             "</mujoco>\n",
             gear, force, force);
    snprintf(file, sizeof file, "%s.xml", name);
    if (fx_write(dir, file, xml, path, sizeof path))
        return NULL;
    snprintf(desc, sizeof desc, "lfd-robot 1\nmjcf %s.xml\njoint j1 vel=10 torque=%g kp=100 kd=1\n",
             name, torque);
    snprintf(file, sizeof file, "%s.robot", name);
    if (fx_write(dir, file, desc, path, sizeof path))
        return NULL;
    return load(path);
}

/* holds q_ref for `seconds`; returns the final angle; *tau_err = the
   largest difference between the torque lfd_robot_pd reports and the one
   MuJoCo applies (the step after the command), *tau_max = the largest
   applied, *nclamped = steps reported clamped */
static double servo_run(const lfd_robot *r, double q_ref, double seconds, double *tau_err,
                        double *tau_max, int *nclamped)
{
    double tau = 0;
    *tau_err = *tau_max = 0;
    *nclamped = 0;
    mjData *d = mj_makeData(r->m);
    if (!d)
        return NAN;
    for (int i = 0; i < (int)(seconds / r->m->opt.timestep + 0.5); i++) {
        *nclamped += lfd_robot_pd(r, d->qpos, d->qvel, &q_ref, NULL, NULL, d->ctrl, &tau) > 0;
        mj_step(r->m, d);
        /* qfrc_actuator of the step just taken: the force at the state the
           command was computed for */
        *tau_err = fmax(*tau_err, fabs(d->qfrc_actuator[0] - tau));
        *tau_max = fmax(*tau_max, fabs(d->qfrc_actuator[0]));
    }
    double q = d->qpos[0];
    mj_deleteData(d);
    return q;
}

/* ctrl of a position servo is gear * angle: a gear-2 servo sent the
   angle settled at half of it, and the torque reported used bp1 * q */
TEST(robots_control_servo_gear)
{
    lfd_robot *r = servo_arm("servo_g2", 2, 50, 100);
    if (!r)
        return;
    CHECK_EQ_INT(r->joints[0].act_kind, LFD_ACT_POSITION);
    double q = 0.05, qd = 0.3, ref = 0.1, ctrl, tau;
    CHECK_EQ_INT(lfd_robot_pd(r, &q, &qd, &ref, NULL, NULL, &ctrl, &tau), 0);
    /* gear * q_ref, plus the description's damping kd (qd_ref - qd) over
       the servo's gear * kp (the servo has no kv) */
    double c = 2 * 0.1 - 1.0 * 0.3 / (100 * 2);
    CHECK_NEAR(ctrl, c, 1e-15);
    /* gear (kp (c - gear q) - kv gear qd), kv 0 */
    CHECK_NEAR(tau, 2 * 100 * (c - 2 * 0.05), 1e-12);
    double tau_err, tau_max;
    int nclamped;
    double qf = servo_run(r, 0.1, 2.0, &tau_err, &tau_max, &nclamped);
    CHECK_NEAR(qf, 0.1, 1e-3);
    CHECK(tau_err < 1e-9);
    lfd_robot_free(&r);
}

/* the description's torque limit (5 N m) under the MJCF's force range
   (50): MuJoCo enforces only the latter, so the servo's target is limited
   to where it gives the former; before, it applied up to 50 N m while the
   torque reported said 5 */
TEST(robots_control_servo_torque_limit)
{
    lfd_robot *r = servo_arm("servo_t5", 1, 50, 5);
    if (!r)
        return;
    CHECK_NEAR(r->joints[0].torque_max, 5, 0);
    double q = 0, qd = 0, ref = 0.5, ctrl, tau;
    CHECK_EQ_INT(lfd_robot_pd(r, &q, &qd, &ref, NULL, NULL, &ctrl, &tau), 1);
    CHECK_NEAR(ctrl, 0.05, 1e-15); /* kp 100: 5 N m */
    CHECK_NEAR(tau, 5, 1e-12);
    double tau_err, tau_max;
    int nclamped;
    double qf = servo_run(r, 0.5, 5.0, &tau_err, &tau_max, &nclamped);
    CHECK_NEAR(qf, 0.5, 1e-3);
    CHECK(nclamped > 0);
    CHECK(tau_max < 5 + 1e-9);
    CHECK(tau_err < 1e-9);
    if (!(tau_max < 5 + 1e-9 && tau_err < 1e-9))
        fprintf(stderr, "applied up to %g N m, reported off by up to %g\n", tau_max, tau_err);
    /* with gear 2 the same: the limit is on the joint torque */
    lfd_robot_free(&r);
    r = servo_arm("servo_t5g2", 2, 50, 5);
    if (!r)
        return;
    qf = servo_run(r, 0.5, 5.0, &tau_err, &tau_max, &nclamped);
    CHECK_NEAR(qf, 0.5, 1e-3);
    CHECK(tau_max < 5 + 1e-9);
    CHECK(tau_err < 1e-9);
    lfd_robot_free(&r);
}

/* h1 with its motors replaced by position servos (kp = the description's,
   force range = its torque limit) stands under the standard controller:
   the feed-forward and kd reach the servos through their targets.  Without
   them it sagged onto the floor (root 0.11 m after 5 s). */
TEST(robots_control_servo_h1_stands)
{
    lfd_robot *h1 = load("h1");
    lfd_robot *r = NULL;
    lfd_robot_ff *ff = NULL;
    mjData *d = NULL;
    char *xml = NULL, *out = NULL;
    lfd_err err = {0};
    if (!h1)
        return;
    /* the built-in MJCF with a new actuator block */
    size_t n = 0;
    FILE *fp = fopen(h1->mjcf_path, "rb");
    CHECK(fp != NULL);
    if (!fp)
        goto done;
    xml = calloc(1, 1 << 20);
    out = calloc(1, 1 << 20);
    n = fread(xml, 1, (1 << 20) - 1, fp);
    fclose(fp);
    char *a0 = strstr(xml, "<actuator>"), *a1 = strstr(xml, "</actuator>");
    CHECK(n > 0 && a0 && a1);
    if (!a0 || !a1)
        goto done;
    size_t o = (size_t)snprintf(out, 1 << 20, "%.*s<actuator>\n", (int)(a0 - xml), xml);
    for (int j = 0; j < h1->njoints; j++) {
        const lfd_robot_joint *J = &h1->joints[j];
        o += (size_t)snprintf(out + o, (1 << 20) - o,
                              "    <position name=\"%s\" joint=\"%s\" kp=\"%.17g\" "
                              "forcelimited=\"true\" forcerange=\"%.17g %.17g\"/>\n",
                              J->name, J->name, J->kp, -J->torque_max, J->torque_max);
    }
    snprintf(out + o, (1 << 20) - o, "%s", a1);
    char path[1024], desc_path[1024];
    const char *dir = lfd_test_tmpdir();
    CHECK(fx_write(dir, "h1.xml", out, path, sizeof path) == 0);
    /* its description, beside it */
    fp = fopen(h1->desc_path, "rb");
    CHECK(fp != NULL);
    if (!fp)
        goto done;
    n = fread(xml, 1, (1 << 20) - 1, fp);
    xml[n] = 0;
    fclose(fp);
    CHECK(fx_write(dir, "h1.robot", xml, desc_path, sizeof desc_path) == 0);
    r = load(desc_path);
    if (!r)
        goto done;
    for (int j = 0; j < r->njoints; j++)
        CHECK_EQ_INT(r->joints[j].act_kind, LFD_ACT_POSITION);
    CHECK_OK(lfd_robot_ff_new(&ff, r, &err), &err);
    d = mj_makeData(r->m);
    if (!ff || !d)
        goto done;
    memcpy(d->qpos, r->qpos_default, (size_t)r->nq * sizeof(double));
    double z0 = d->qpos[2], zmin = z0, tilt_max = 0;
    for (int i = 0; i < (int)(5.0 / r->m->opt.timestep + 0.5); i++) {
        lfd_robot_ff_control(ff, d->qpos, d->qvel, r->qpos_default, NULL, NULL, NULL, d->ctrl, NULL,
                             NULL);
        mj_step(r->m, d);
        const double *q = d->qpos + 3;
        tilt_max = fmax(tilt_max, acos(fmin(1.0, fmax(-1.0, 1 - 2 * (q[1] * q[1] + q[2] * q[2])))));
        zmin = fmin(zmin, d->qpos[2]);
    }
    CHECK(zmin > z0 - 0.02);
    CHECK(tilt_max < 0.05);
    if (!(zmin > z0 - 0.02 && tilt_max < 0.05))
        fprintf(stderr, "servo h1: root %.3f m at lowest (started %.3f), tilt up to %.3f rad\n", zmin,
                z0, tilt_max);
done:
    if (d)
        mj_deleteData(d);
    lfd_robot_ff_free(&ff);
    lfd_robot_free(&r);
    lfd_robot_free(&h1);
    free(xml);
    free(out);
}
