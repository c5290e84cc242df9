/*  The tracking controller: lfd_robot_bal_control (robots/lfd_robot_control.c)
    run in lfd's simulation loop against known cases: standing still on g1
    and h1, and a sideways push that lfd's standard controller
    (lfd_robot_ff_control) drops and the balance controller holds. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "robots/lfd_robot.h"
#include "sim/lfd_simloop.h"
#include "tests/lfd_test.h"

typedef struct hold_result {
    int ok;            /* ran without error */
    double t_fall_s;   /* first time the root tilted past 0.5 rad, or -1 */
    double tilt_max;   /* rad */
    double drift_m;    /* horizontal root distance from the start at the end */
    double qerr_max;   /* rad, largest joint error at the end */
} hold_result;

/* Holds the default pose for `seconds` under the balance controller (flags
   include LFD_SIMLOOP_BALANCE) or the feed-forward one, pushing the pelvis
   (root body) horizontally with push_n newtons along +y from 1.0 s for
   push_s seconds. */
static hold_result hold(const char *name, unsigned flags, double seconds, double push_n, double push_s)
{
    hold_result h = {0};
    h.t_fall_s = -1;
    lfd_robot *r = NULL;
    lfd_simloop *sl = NULL;
    lfd_err err = {0};
    if (lfd_robot_load(&r, name, &err) || lfd_simloop_new(&sl, r, NULL, &err)) {
        fprintf(stderr, "setup: %s\n", err.msg);
        goto out;
    }
    const mjModel *m = r->m;
    mjData *d = sl->d;
    lfd_simloop_ref_hold(sl); /* the default pose, as reset left it */
    long steps = (long)(seconds / m->opt.timestep + 0.5);
    h.ok = 1;
    for (long i = 0; i < steps; i++) {
        double t = d->time;
        d->xfrc_applied[6 * r->root_body + 1] = t >= 1.0 && t < 1.0 + push_s ? push_n : 0;
        if (lfd_simloop_step(sl, 1, flags | LFD_SIMLOOP_CONTACTS, &err)) {
            h.ok = 0;
            fprintf(stderr, "step: %s\n", err.msg);
            break;
        }
        const double *q = d->qpos + 3;
        double tilt = acos(fmin(1.0, fmax(-1.0, 1 - 2 * (q[1] * q[1] + q[2] * q[2]))));
        h.tilt_max = fmax(h.tilt_max, tilt);
        if (tilt > 0.5 && h.t_fall_s < 0)
            h.t_fall_s = d->time;
    }
    h.drift_m = hypot(d->qpos[0] - r->qpos_default[0], d->qpos[1] - r->qpos_default[1]);
    for (int j = 0; j < r->njoints; j++) {
        int a = r->joints[j].qpos_adr;
        h.qerr_max = fmax(h.qerr_max, fabs(d->qpos[a] - r->qpos_default[a]));
    }
out:
    lfd_simloop_free(&sl);
    lfd_robot_free(&r);
    return h;
}

TEST(check_track_balance_stands)
{
    const char *robots[] = {"g1", "h1"};
    for (int i = 0; i < 2; i++) {
        hold_result h = hold(robots[i], LFD_SIMLOOP_BALANCE, lfd_test_under_valgrind() ? 0.5 : 3.0, 0, 0);
        CHECK(h.ok);
        CHECK(h.t_fall_s < 0);
        CHECK(h.tilt_max < 0.05);
        CHECK(h.drift_m < 0.02);
        CHECK(h.qerr_max < 0.05);
        if (h.t_fall_s >= 0 || h.tilt_max >= 0.05 || h.drift_m >= 0.02 || h.qerr_max >= 0.05)
            fprintf(stderr, "%s: fall %.2f s, tilt %.3f rad, drift %.3f m, joint error %.3f rad\n",
                    robots[i], h.t_fall_s, h.tilt_max, h.drift_m, h.qerr_max);
    }
}

TEST(check_track_balance_push)
{
    /* g1 standing, pushed sideways at the pelvis with 50 N for 0.2 s
       (10 N s on 35 kg: 0.29 m/s).  The standard controller (PD plus the
       minimum-norm feed-forward, no feedback on the root) lets the robot
       roll over its sole edge and fall; the balance controller keeps the
       centre of pressure in the soles and the pelvis upright. */
    int vg = lfd_test_under_valgrind();
    hold_result b = hold("g1", LFD_SIMLOOP_BALANCE, vg ? 2.0 : 4.0, 50, 0.2);
    CHECK(b.ok);
    CHECK(b.t_fall_s < 0);
    CHECK(b.tilt_max < 0.05);
    CHECK(b.drift_m < 0.02);
    if (b.t_fall_s >= 0 || b.tilt_max >= 0.05 || b.drift_m >= 0.02)
        fprintf(stderr, "balance: fall %.2f s, tilt %.3f rad, drift %.3f m\n", b.t_fall_s, b.tilt_max,
                b.drift_m);
    if (vg)
        return; /* the standard controller's fall takes 3 s of simulation */
    hold_result f = hold("g1", 0, 4.0, 50, 0.2);
    CHECK(f.ok);
    CHECK(f.t_fall_s > 1.0);
    if (!(f.t_fall_s > 1.0))
        fprintf(stderr, "standard: fall %.2f s, tilt %.3f rad\n", f.t_fall_s, f.tilt_max);
}

/* Stands g1 for `seconds` under the balance controller on a held reference:
   the default pose with right_ankle_pitch_joint turned by dpitch_rad and the
   robot lowered so the lowest sole corner is on the floor.  Returns the
   largest root tilt (rad), or -1 on a setup error. */
static double hold_tilted_sole(double dpitch_rad, double seconds, double *drift_m)
{
    double tilt_max = -1;
    lfd_robot *r = NULL;
    lfd_simloop *sl = NULL;
    lfd_err err = {0};
    double *q = NULL;
    if (lfd_robot_load(&r, "g1", &err) || lfd_simloop_new(&sl, r, NULL, &err)) {
        fprintf(stderr, "setup: %s\n", err.msg);
        goto out;
    }
    const mjModel *m = r->m;
    mjData *d = sl->d;
    int j = lfd_robot_find_joint(r, "right_ankle_pitch_joint");
    q = malloc((size_t)m->nq * sizeof *q);
    if (j < 0 || !q)
        goto out;
    memcpy(q, r->qpos_default, (size_t)m->nq * sizeof *q);
    q[r->joints[j].qpos_adr] += dpitch_rad;
    if (lfd_simloop_reset(sl, q, NULL, &err))
        goto out;
    /* the lowest sole corner onto the floor */
    double zmin = INFINITY;
    for (int s = 0; s < 2; s++) {
        const lfd_robot_foot *ft = &r->feet[s];
        const double *R = d->xmat + 9 * ft->body_id, *o = d->xpos + 3 * ft->body_id;
        for (int k = 0; k < 4; k++) {
            double x = ft->sole[k & 1], y = ft->sole[2 + (k >> 1)], z = ft->sole_z;
            zmin = fmin(zmin, o[2] + R[6] * x + R[7] * y + R[8] * z);
        }
    }
    q[2] -= zmin;
    if (lfd_simloop_reset(sl, q, NULL, &err))
        goto out;
    lfd_simloop_ref_hold(sl);
    tilt_max = 0;
    long steps = (long)(seconds / m->opt.timestep + 0.5);
    for (long i = 0; i < steps; i++) {
        if (lfd_simloop_step(sl, 1, LFD_SIMLOOP_BALANCE | LFD_SIMLOOP_CONTACTS, &err)) {
            fprintf(stderr, "step: %s\n", err.msg);
            tilt_max = -1;
            goto out;
        }
        const double *qq = d->qpos + 3;
        tilt_max = fmax(tilt_max, acos(fmin(1.0, fmax(-1.0, 1 - 2 * (qq[1] * qq[1] + qq[2] * qq[2])))));
    }
    *drift_m = hypot(d->qpos[0] - q[0], d->qpos[1] - q[1]);
out:
    free(q);
    lfd_simloop_free(&sl);
    lfd_robot_free(&r);
    return tilt_max;
}

TEST(check_track_balance_tilted_sole)
{
    /* A reference that stands on a sole tilted 0.15 rad, as the
       retargeted drink-soda clip starts on g1.  Followed literally, the
       robot stands on the toe edge; the balance controller lets a loaded
       foot's ankles lay the sole flat instead (the reference's other joints
       are still tracked) and keeps the body upright.  Without that, the
       robot rocked over its toes and fell within 0.8 s. */
    double drift = 1;
    double tilt = hold_tilted_sole(0.15, lfd_test_under_valgrind() ? 0.6 : 2.0, &drift);
    CHECK(tilt >= 0);
    CHECK(tilt < 0.1);
    CHECK(drift < 0.05);
    if (!(tilt >= 0 && tilt < 0.1 && drift < 0.05))
        fprintf(stderr, "tilted sole: root tilt max %.3f rad, drift %.3f m\n", tilt, drift);
}

TEST(check_track_balance_reset_repeats)
{
    /* lfd_simloop_reset forgets the balance controller's state (the contact
       QP's warm start, the feet's swing phase): a second run in the same
       loop is bit-identical to the first. */
    lfd_robot *r = NULL;
    lfd_simloop *sl = NULL;
    lfd_err err = {0};
    CHECK_OK(lfd_robot_load(&r, "g1", &err), &err);
    CHECK_OK(lfd_simloop_new(&sl, r, NULL, &err), &err);
    if (!sl) {
        lfd_robot_free(&r);
        return;
    }
    const mjModel *m = r->m;
    mjData *d = sl->d;
    double *end = calloc(2 * (size_t)m->nq, sizeof *end);
    CHECK(end != NULL);
    for (int run = 0; run < 2 && end; run++) {
        CHECK_OK(lfd_simloop_reset(sl, r->qpos_default, NULL, &err), &err);
        lfd_simloop_ref_hold(sl);
        for (int i = 0; i < 400; i++) {
            d->xfrc_applied[6 * r->root_body + 1] = i >= 100 && i < 200 ? 40 : 0;
            if (lfd_simloop_step(sl, 1, LFD_SIMLOOP_BALANCE | LFD_SIMLOOP_CONTACTS, &err))
                break;
        }
        d->xfrc_applied[6 * r->root_body + 1] = 0;
        memcpy(end + run * m->nq, d->qpos, (size_t)m->nq * sizeof *end);
    }
    if (end) {
        CHECK(memcmp(end, end + m->nq, (size_t)m->nq * sizeof *end) == 0);
        CHECK(fabs(end[1] - r->qpos_default[1]) > 1e-4); /* the push moved it: not a trivial run */
    }
    free(end);
    lfd_simloop_free(&sl);
    lfd_robot_free(&r);
}

/* A run that diverges says when: MuJoCo resets the data, its time included,
   when the state goes bad, and the error (and a fall's time) read t = 0.002
   s for a run that went bad at 1.002 s (review). */
TEST(check_track_divergence_reports_its_time)
{
    lfd_err err = {0};
    lfd_robot *r = NULL;
    CHECK_OK(lfd_robot_load(&r, "g1", &err), &err);
    if (!r)
        return;
    lfd_simloop *s = NULL;
    CHECK_OK(lfd_simloop_new(&s, r, NULL, &err), &err);
    int rc = LFD_OK;
    for (int k = 0; s && k < 500 && rc == LFD_OK; k++) {
        lfd_simloop_ref_hold(s);
        rc = lfd_simloop_step(s, 1, 0, &err);
    }
    CHECK_EQ_INT(rc, LFD_OK);
    if (s && rc == LFD_OK) {
        s->d->qvel[s->m->nv - 1] = 1e12;
        lfd_simloop_ref_hold(s);
        CHECK_EQ_INT(lfd_simloop_step(s, 1, 0, &err), LFD_ENUMERIC);
        CHECK_EQ_INT(s->diverged, 1);
        CHECK_CONTAINS(err.msg, "at t = 1.0020 s");
        CHECK(fabs(s->d->time - 1.002) < 1e-9);
    }
    lfd_simloop_free(&s);
    lfd_robot_free(&r);
}

/* A reference the controller cannot use (a NaN) holds the joint on damping,
   and the loop says so (lfd_simloop's held, which lfd check --track counts
   as held_steps and ctl-demo as a failed run): before, only the torque
   clamp count moved, and a held joint read as a torque limit reached; the
   clamp count now leaves it out. */
TEST(check_track_simloop_says_a_joint_was_held)
{
    lfd_err err = {0};
    lfd_robot *r = NULL;
    CHECK_OK(lfd_robot_load(&r, "h1", &err), &err);
    if (!r)
        return;
    lfd_simloop *s = NULL;
    CHECK_OK(lfd_simloop_new(&s, r, NULL, &err), &err);
    if (s) {
        for (int flags = 0; flags <= LFD_SIMLOOP_BALANCE; flags += LFD_SIMLOOP_BALANCE) {
            CHECK_OK(lfd_simloop_reset(s, r->qpos_default, NULL, &err), &err);
            lfd_simloop_ref_hold(s);
            CHECK_OK(lfd_simloop_step(s, 1, flags, &err), &err);
            CHECK_EQ_INT(s->held, 0);
            int clamped0 = s->clamped;
            int knee = lfd_robot_find_joint(r, "left_knee");
            lfd_simloop_ref_hold(s);
            s->q_ref[r->joints[knee].qpos_adr] = NAN;
            CHECK_OK(lfd_simloop_step(s, 1, flags, &err), &err);
            CHECK(s->held >= 1);
            /* held, not a torque limit reached: ctl-demo said "(torque
               limits reached)" and clamped_steps counted it (review) */
            CHECK(s->clamped <= clamped0);
            lfd_simloop_ref_hold(s);
            CHECK_OK(lfd_simloop_step(s, 1, flags, &err), &err);
            CHECK_EQ_INT(s->held, 0);
        }
    }
    lfd_simloop_free(&s);
    lfd_robot_free(&r);
}
