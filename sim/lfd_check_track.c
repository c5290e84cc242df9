/*  lfd_check_track: the physical tracking check (`lfd check --track`).

    The robot is simulated in MuJoCo following the motion in lfd's one
    simulation loop (lfd_simloop: the description's PD gains plus the
    contact-consistent inverse-dynamics feed-forward evaluated at the
    measured state every step; PD alone drops a standing humanoid within
    about a second, docs/robots.md).  The reference between frames is
    interpolated linearly (joints, root position; normalised for the root
    quaternion), its velocity and acceleration from the frames' finite
    differences.  The feet the feed-forward loads are those touching the
    floor in the simulation.

    At every motion frame the state is compared with the reference: RMS
    joint error, root position error, and the root's tilt against the
    reference's.  The robot has fallen when the tilt exceeds tilt_fall_rad or
    the root sinks below fall_height_frac of the reference's height; the run
    stops there.

    When the free run fails (a fall, or a tracking error over its fail
    threshold), a second run adds a harness: every body gets a force
    m_b (a_lin + a_rot x (x_b - root)) that pulls the root toward its
    reference (2 Hz, damping ratio 0.7).  Spreading it over the bodies in
    proportion to their mass keeps it stable under explicit integration
    (the gains act on the whole robot's inertia, not the pelvis's).  The
    harness's total force / (m g) and moment / (m g h_ref) are the
    assisting force the motion needs, as a share of body weight.

    What the simulated feet do that the motion does not, at every motion
    frame of the free run, says why a run fell (docs/check.md):
      - a scuff (LFD_CK_TRACK_SCUFF, warning): a foot the motion lifts or
        moves (its lowest sole corner contact_height_m or more above the
        floor, where the balance check does not let it carry load, or that
        corner moving faster than the slide warning's speed) carries more
        than SCUFF_FORCE_BW of the body weight in the simulation: a swinging
        toe dragged along the floor, a landing foot that meets the floor
        early and slides.  A real robot trips there.  (A still foot a few
        millimetres up, as retargets leave stance feet, is not one: the
        robot settles onto it.)
      - an edge (LFD_CK_TRACK_EDGE, info): a foot the motion holds flat on
        the floor (its corners within FLAT_REF_Z_M of each other, and not a
        scuff) stands on an edge or a corner in the simulation, its sole
        tilted EDGE_TILT_M or more from its lowest corner to its highest,
        while it carries load: the centre of pressure has reached the sole's
        rim and the robot rolls over it.
      - a pivot (LFD_CK_TRACK_PIVOT, info): a foot that carries load where
        the motion has it on the floor (not a scuff) turns about the vertical
        by PIVOT_RAD or more, and by as much beyond what the motion turns it,
        counted from the frame it took the load: the twisting moment has passed what its
        friction holds (on an edge, two corners hold little), and the robot
        turns away from the motion's heading. */
#include <math.h>
#include <string.h>

#include "core/lfd_quat.h"
#include "core/lfd_util.h"
#include "sim/lfd_check_int.h"
#include "sim/lfd_simloop.h"

#define HARNESS_HZ 2.0
#define HARNESS_ZETA 0.7
#define START_GAP_MAX_M 0.03 /* a first frame's sole this close above the floor starts on it */
#define FLAT_REF_Z_M 0.005   /* a reference sole whose corners are within this of each other is flat */
#define SCUFF_FORCE_BW 0.1   /* a foot carrying this share of body weight in the simulation is loaded */
#define EDGE_TILT_M 0.015    /* a loaded sole tilted this much (highest corner over lowest) is on an edge */
#define PIVOT_RAD 0.08       /* a loaded foot turned this much about the vertical, and this much beyond the motion, pivots */
#define PIVOT_LOW_M 0.003    /* the next sole corner this close to its lowest: it turns on that edge */

typedef struct track_run {
    int fell, fall_frame, diverged, frames;
    double fall_time_s, tilt_at_fall, height_at_fall;
    double err_sum, err_max, root_max, tilt_max;
    double assist_sum, assist_max;
    int assist_n;
    double ref_corner_prev[2][4][2]; /* the reference's sole corners (x, y) at the last frame */
    /* per foot, while it carries load: its heading and the reference's when it took the load */
    int piv_on[2];
    double piv_yaw0[2], piv_ref0[2];
} track_run;

/* reference at motion time u (in frames): q (nq), qd, qdd (nv) */
typedef struct ref_cache {
    int k; /* frames k, k+1 held in v0/a0, v1/a1; -1 none */
} ref_cache;

static void reference_at(const lfd_checker *c, lfd_check_ws *ws, const lfd_motion *mo, double u,
                         ref_cache *rc, double *q, double *qd, double *qdd)
{
    const mjModel *m = c->m;
    int n = mo->nframes, nv = m->nv, k;
    double a = lfd_check_frame_at(n, u, &k);
    int k1 = n > 1 ? k + 1 : k;
    /* derivatives of frames k and k+1 (shifted when the reference moves on) */
    if (rc->k != k) {
        if (rc->k == k - 1 && rc->k >= 0) {
            double *t = ws->v0;
            ws->v0 = ws->v1;
            ws->v1 = t;
            t = ws->a0;
            ws->a0 = ws->a1;
            ws->a1 = t;
        } else {
            lfd_check_frame_derivs(m, mo, k, ws->v0, ws->a0, ws->tmp1, ws->tmp2);
        }
        lfd_check_frame_derivs(m, mo, k1, ws->v1, ws->a1, ws->tmp1, ws->tmp2);
        rc->k = k;
    }
    lfd_check_sample(mo, u, q);
    for (int i = 0; i < nv; i++) {
        qd[i] = ws->v0[i] + a * (ws->v1[i] - ws->v0[i]);
        qdd[i] = ws->a0[i] + a * (ws->a1[i] - ws->a0[i]);
    }
}

/* the harness: mass-proportional forces toward the reference root pose;
   writes d->xfrc_applied and returns the assist share of body weight */
static double harness(const lfd_checker *c, mjData *d, const double *qref, const double *qdref)
{
    const mjModel *m = c->m;
    const lfd_robot *r = c->r;
    int rb = r->root_body;
    double wn = 2 * M_PI * HARNESS_HZ, kp = wn * wn, kd = 2 * HARNESS_ZETA * wn;
    /* root position and orientation errors (world) */
    double alin[3], arot[3], w[3], wref[3], R[9], Rref[9], e[3];
    for (int i = 0; i < 3; i++)
        alin[i] = kp * (qref[i] - d->qpos[i]) + kd * (qdref[i] - d->qvel[i]);
    lfd_quat_to_mat(R, d->qpos + 3);
    lfd_quat_to_mat(Rref, qref + 3);
    lfd_mat3_mulv(w, R, d->qvel + 3);
    lfd_mat3_mulv(wref, Rref, qdref + 3);
    double qinv[4], qe[4];
    lfd_quat_conj(qinv, d->qpos + 3);
    lfd_quat_mul(qe, qref + 3, qinv);
    lfd_quat_to_rotvec(e, qe);
    for (int i = 0; i < 3; i++)
        arot[i] = kp * e[i] + kd * (wref[i] - w[i]);
    /* per-body forces at the bodies' centres of mass */
    double F[3] = {0, 0, 0}, M[3] = {0, 0, 0};
    const double *o = d->xpos + 3 * rb;
    for (int b = 1; b < m->nbody; b++) {
        double *xf = d->xfrc_applied + 6 * b;
        double rr[3] = {d->xipos[3 * b] - o[0], d->xipos[3 * b + 1] - o[1], d->xipos[3 * b + 2] - o[2]};
        double t[3];
        lfd_v3_cross(t, arot, rr);
        double mb = m->body_mass[b];
        for (int i = 0; i < 3; i++) {
            xf[i] = mb * (alin[i] + t[i]);
            xf[3 + i] = 0;
            F[i] += xf[i];
        }
        double mm[3];
        lfd_v3_cross(mm, rr, xf);
        lfd_v3_add(M, M, mm);
    }
    return fmax(lfd_v3_norm(F) / c->weight_n, lfd_v3_norm(M) / (c->weight_n * c->h_ref));
}

/* sole corners of foot s (world) in d's kinematics; returns the lowest's index */
static int sole_corners(const lfd_robot *r, const mjData *d, int s, double p[4][3])
{
    int lo = 0;
    for (int k = 0; k < 4; k++) {
        lfd_robot_sole_corner(d, &r->feet[s], k, p[k]);
        if (p[k][2] < p[lo][2])
            lo = k;
    }
    return lo;
}

/* height of the lowest sole corner of the feet over the floor (z = 0), from
   d's kinematics; +inf for a robot without feet */
static double lowest_sole_m(const lfd_robot *r, const mjData *d)
{
    double zmin = INFINITY, p[4][3];
    for (int s = 0; s < 2; s++)
        if (r->feet[s].body_id >= 0)
            zmin = fmin(zmin, p[sole_corners(r, d, s, p)][2]);
    return zmin;
}

/* the reference's sole corners (x, y) at frame f into tr, for the next
   frame's speeds (kinematics of frame f in ws->d) */
static void ref_corners_keep(const lfd_checker *c, lfd_check_ws *ws, const lfd_motion *mo, int f,
                             int kinematics, track_run *tr)
{
    const lfd_robot *r = c->r;
    if (kinematics) {
        memcpy(ws->d->qpos, lfd_motion_frame(mo, f), (size_t)c->m->nq * sizeof(double));
        mj_kinematics(c->m, ws->d);
    }
    for (int s = 0; s < 2; s++) {
        double p[4][3];
        if (r->feet[s].body_id < 0)
            continue;
        sole_corners(r, ws->d, s, p);
        for (int k = 0; k < 4; k++) {
            tr->ref_corner_prev[s][k][0] = p[k][0];
            tr->ref_corner_prev[s][k][1] = p[k][1];
        }
    }
}

/* normal force of the floor (the world body) on foot s's body, N */
static double foot_floor_force(const mjModel *m, const mjData *d, int body)
{
    double fz = 0;
    for (int i = 0; i < d->ncon; i++) {
        const mjContact *con = d->contact + i;
        int b1 = m->geom_bodyid[con->geom1], b2 = m->geom_bodyid[con->geom2];
        if (!((b1 == body && b2 == 0) || (b2 == body && b1 == 0)))
            continue;
        double f6[6];
        mj_contactForce(m, d, i, f6);
        fz += f6[0];
    }
    return fz;
}

/* where a sole whose corners are q (lowest: lo) stands: the corner lo, or
   the edge when the next corner along an edge is within tol of it (0-3 a
   corner, 4 + 0-3 the heel, toe, y_min or y_max edge: corner_text) */
static int stands_on(const double q[4][3], int lo, double tol)
{
    int s2 = -1;
    for (int k = 0; k < 4; k++)
        if (k != lo && (s2 < 0 || q[k][2] < q[s2][2]))
            s2 = k;
    if (q[s2][2] - q[lo][2] < tol && ((lo ^ s2) == 1 || (lo ^ s2) == 2))
        return (lo ^ s2) == 2 ? 4 + (lo & 1) : 6 + (lo >> 1);
    return lo;
}

/* the heading of foot s's sole (its x axis about the vertical) in d */
static double foot_yaw(const lfd_robot *r, const mjData *d, int s)
{
    const double *R = d->xmat + 9 * r->feet[s].body_id;
    return atan2(R[3], R[0]);
}

static double wrap_pi(double a) { return atan2(sin(a), cos(a)); }

/* foot s carries load at frame f where the motion has it on the floor: its
   turn on the floor since it took the load (ds: the simulation, d: the
   reference's kinematics) */
static void pivot_event(const lfd_checker *c, lfd_check_ws *ws, lfd_check_report *rep,
                        const mjData *d, const mjData *ds, int s, int f, track_run *tr)
{
    const lfd_robot *r = c->r;
    double ys = foot_yaw(r, ds, s), yr = foot_yaw(r, d, s);
    if (!tr->piv_on[s]) {
        tr->piv_on[s] = 1;
        tr->piv_yaw0[s] = ys;
        tr->piv_ref0[s] = yr;
        return;
    }
    /* the simulated foot itself turned, and by that much more than the
       motion turns it: a motion that turns a planted foot the simulation
       holds still is not a pivot (review) */
    double own = wrap_pi(ys - tr->piv_yaw0[s]);
    double turn = fabs(wrap_pi(own - wrap_pi(yr - tr->piv_ref0[s])));
    if (fabs(own) < PIVOT_RAD || turn < PIVOT_RAD)
        return;
    lfd_check_note(ws, rep, LFD_CK_TRACK_PIVOT, s, f, f, f, LFD_CHECK_INFO, turn, PIVOT_RAD, turn);
    int ki = ws->key_idx[c->key_base[LFD_CK_TRACK_PIVOT] + s];
    if (ki >= 0 && rep->finding[ki].first == f) {
        /* what it turned on when it was first found: its sole, flat within
           FLAT_REF_Z_M (a few millimetres of tilt named an edge: review), or
           the corner or edge it stands on (aux PIVOT_FLAT, or stands_on's) */
        double q[4][3];
        int lo = sole_corners(r, ds, s, q), hi = lo;
        for (int k = 0; k < 4; k++)
            if (q[k][2] > q[hi][2])
                hi = k;
        rep->finding[ki].aux = q[hi][2] - q[lo][2] < FLAT_REF_Z_M ? LFD_CHECK_PIVOT_FLAT
                                                                  : stands_on(q, lo, PIVOT_LOW_M);
    }
    lfd_check_track *t = &rep->track;
    if (t->first_pivot_frame < 0) {
        t->first_pivot_frame = f;
        t->first_pivot_foot = s;
    }
}

/* frame f >= 1 of the free run (frames come one after the other; tr holds
   frame f - 1's reference corners): the simulated feet against the
   reference's (frame f of the motion, whose kinematics ws->d gets): scuffs
   and edges */
static void feet_events(const lfd_checker *c, lfd_check_ws *ws, const lfd_motion *mo,
                        const lfd_check_opts *o, lfd_check_report *rep, const mjData *ds, int f,
                        track_run *tr)
{
    const lfd_robot *r = c->r;
    mjData *d = ws->d;
    memcpy(d->qpos, lfd_motion_frame(mo, f), (size_t)c->m->nq * sizeof(double));
    mj_kinematics(c->m, d);
    double slide_v = o->slide_warn_m * 30.0; /* m/s: the slide warning's speed */
    lfd_check_track *t = &rep->track;
    for (int s = 0; s < 2; s++) {
        if (r->feet[s].body_id < 0)
            continue;
        double p[4][3], q[4][3];
        int lo = sole_corners(r, d, s, p), hi = lo;
        for (int k = 0; k < 4; k++)
            if (p[k][2] > p[hi][2])
                hi = k;
        /* the lowest corner's speed since the last frame (the same corner:
           a foot rolling on its toe keeps that corner still) */
        double v = hypot(p[lo][0] - tr->ref_corner_prev[s][lo][0],
                         p[lo][1] - tr->ref_corner_prev[s][lo][1]) * mo->fps;
        double fz = foot_floor_force(c->m, ds, r->feet[s].body_id), load = fz / c->weight_n;
        if (load <= SCUFF_FORCE_BW) {
            tr->piv_on[s] = 0;
            continue;
        }
        int air = p[lo][2] >= o->contact_height_m || v > slide_v;
        if (air) {
            tr->piv_on[s] = 0;
            lfd_check_note(ws, rep, LFD_CK_TRACK_SCUFF, s, f, f, f, LFD_CHECK_WARN, fz,
                           SCUFF_FORCE_BW * c->weight_n, fz);
            int ki = ws->key_idx[c->key_base[LFD_CK_TRACK_SCUFF] + s];
            if (ki >= 0 && rep->finding[ki].peak == f) {
                /* 0.1 mm up to 999.9 mm, mm/s up to 99.999 m/s: within an int */
                long hz = lround(fmin(fmax(p[lo][2], 0), 0.9999) * 1e4);
                rep->finding[ki].aux = (int)(hz * 100000 + lround(fmin(v, 99.999) * 1e3));
            }
            if (t->first_scuff_frame < 0) {
                t->first_scuff_frame = f;
                t->first_scuff_foot = s;
            }
            continue;
        }
        pivot_event(c, ws, rep, d, ds, s, f, tr);
        /* flat in the reference, on an edge in the simulation */
        if (p[hi][2] - p[lo][2] >= FLAT_REF_Z_M)
            continue;
        int sl = sole_corners(r, ds, s, q), sh = sl;
        for (int k = 0; k < 4; k++)
            if (q[k][2] > q[sh][2])
                sh = k;
        double tilt = q[sh][2] - q[sl][2];
        if (tilt < EDGE_TILT_M)
            continue;
        lfd_check_note(ws, rep, LFD_CK_TRACK_EDGE, s, f, f, f, LFD_CHECK_INFO, tilt, EDGE_TILT_M, tilt);
        /* where it first stood */
        int ki = ws->key_idx[c->key_base[LFD_CK_TRACK_EDGE] + s];
        if (ki >= 0 && rep->finding[ki].first == f)
            rep->finding[ki].aux = stands_on(q, sl, EDGE_TILT_M / 3);
        if (t->first_edge_frame < 0) {
            t->first_edge_frame = f;
            t->first_edge_foot = s;
        }
    }
    ref_corners_keep(c, ws, mo, f, 0, tr);
}

static int simulate(const lfd_checker *c, lfd_check_ws *ws, const lfd_motion *mo,
                    const lfd_check_opts *o, lfd_check_report *rep, int with_harness, track_run *tr,
                    lfd_err *err)
{
    const lfd_robot *r = c->r;
    const mjModel *m = c->m;
    lfd_simloop *sl = ws->sim;
    mjData *d = sl->d;
    int n = mo->nframes;
    double fps = mo->fps, dt = m->opt.timestep;
    memset(tr, 0, sizeof *tr);
    tr->fall_frame = -1;
    if (!with_harness && r->floating)
        ref_corners_keep(c, ws, mo, 0, 1, tr); /* frame 0's, for frame 1's speeds */

    /* start at frame 0 with its velocity */
    lfd_check_frame_derivs(m, mo, 0, sl->qd_ref, NULL, ws->tmp1, ws->tmp2);
    int rc = lfd_simloop_reset(sl, lfd_motion_frame(mo, 0), sl->qd_ref, err);
    if (rc)
        return rc;
    /* a reference that starts with its lowest sole a little above the floor
       (retargeting leaves millimetres to centimetres) would drop the robot
       onto the floor in its first steps: start it standing instead */
    double gap = lowest_sole_m(r, d);
    if (o->track_balance && r->floating && gap > 0 && gap < START_GAP_MAX_M) {
        memcpy(sl->q_ref, lfd_motion_frame(mo, 0), (size_t)m->nq * sizeof(double));
        sl->q_ref[2] -= gap;
        rc = lfd_simloop_reset(sl, sl->q_ref, sl->qd_ref, err);
        if (rc)
            return rc;
    }
    ref_cache cache = {-1};
    unsigned flags = LFD_SIMLOOP_ACC | LFD_SIMLOOP_CONTACTS | (o->track_balance ? LFD_SIMLOOP_BALANCE : 0);
    double T = (n - 1) / fps;
    long steps = (long)ceil(T / dt - 1e-9);
    int next = 1;
    for (long s = 0; s < steps; s++) {
        /* reference at this time, then the controller (feet loaded where
           they touch the floor) and one step */
        reference_at(c, ws, mo, d->time * fps, &cache, sl->q_ref, sl->qd_ref, sl->qdd_ref);
        if (with_harness && r->floating)
            harness(c, d, sl->q_ref, sl->qd_ref); /* applies the force for this step */
        lfd_err serr; /* a bad state is a fall, not an error */
        rc = lfd_simloop_step(sl, 1, flags, &serr);
        if (rc && !sl->diverged) {
            if (err)
                *err = serr;
            return rc;
        }
        if (!with_harness) {
            if (sl->clamped)
                rep->track.clamped_steps++;
            if (sl->held)
                rep->track.held_steps++;
            for (int j = 0; j < r->njoints; j++) {
                const lfd_robot_joint *jt = &r->joints[j];
                if (!(jt->torque_max > 0))
                    continue;
                double e = fabs(sl->tau[jt->dof_adr]) / jt->torque_max;
                if (e > rep->joint[j].track_effort_peak)
                    rep->joint[j].track_effort_peak = e;
                if (e > rep->track.effort_peak) {
                    rep->track.effort_peak = e;
                    rep->track.effort_joint = j;
                }
            }
        }
        if (sl->diverged) {
            tr->diverged = 1;
            tr->fell = 1;
            tr->fall_frame = next < n ? next : n - 1;
            tr->fall_time_s = d->time;
            break;
        }
        rep->track.sim_s += dt;
        /* compare with the reference at every motion frame */
        while (next < n && d->time >= next / fps - 1e-9) {
            double *qref = sl->q_ref, *qdref = sl->qd_ref;
            reference_at(c, ws, mo, d->time * fps, &cache, qref, qdref, sl->qdd_ref);
            double se = 0;
            for (int j = 0; j < r->njoints; j++) {
                int a = r->joints[j].qpos_adr;
                se += (d->qpos[a] - qref[a]) * (d->qpos[a] - qref[a]);
            }
            double jerr = r->njoints ? sqrt(se / r->njoints) : 0;
            double rerr = 0, tilt = 0, hgt_ok = 1;
            if (r->floating) {
                rerr = sqrt((d->qpos[0] - qref[0]) * (d->qpos[0] - qref[0]) +
                            (d->qpos[1] - qref[1]) * (d->qpos[1] - qref[1]) +
                            (d->qpos[2] - qref[2]) * (d->qpos[2] - qref[2]));
                /* tilt: angle between the root's z axis and the reference's */
                double R[9], Rr[9];
                lfd_quat_to_mat(R, d->qpos + 3);
                lfd_quat_to_mat(Rr, qref + 3);
                double cz = R[2] * Rr[2] + R[5] * Rr[5] + R[8] * Rr[8];
                tilt = acos(cz > 1 ? 1 : cz < -1 ? -1 : cz);
                hgt_ok = d->qpos[2] >= o->fall_height_frac * qref[2];
            }
            int f = next;
            tr->frames = f + 1;
            if (!with_harness && r->floating)
                feet_events(c, ws, mo, o, rep, d, f, tr);
            tr->err_sum += jerr;
            tr->err_max = fmax(tr->err_max, jerr);
            tr->root_max = fmax(tr->root_max, rerr);
            tr->tilt_max = fmax(tr->tilt_max, tilt);
            if (with_harness) {
                /* the harness force of this step, as a share of body weight */
                double a = harness(c, d, qref, qdref);
                tr->assist_sum += a;
                tr->assist_n++;
                tr->assist_max = fmax(tr->assist_max, a);
                if (a > o->assist_warn) {
                    int fail = a > o->assist_fail;
                    lfd_check_note(ws, rep, LFD_CK_TRACK_ASSIST, 0, f, f, f,
                                   fail ? LFD_CHECK_FAIL : LFD_CHECK_WARN, a,
                                   fail ? o->assist_fail : o->assist_warn, a);
                }
            } else {
                if (rep->s_track_err) {
                    rep->s_track_err[f] = jerr;
                    rep->s_track_root[f] = rerr;
                }
                if (jerr > o->track_joint_warn_rad) {
                    int fail = jerr > o->track_joint_fail_rad;
                    lfd_check_note(ws, rep, LFD_CK_TRACK_JOINT, 0, f, f, f,
                                   fail ? LFD_CHECK_FAIL : LFD_CHECK_WARN, jerr,
                                   fail ? o->track_joint_fail_rad : o->track_joint_warn_rad, jerr);
                }
                if (rerr > o->track_root_warn_m) {
                    int fail = rerr > o->track_root_fail_m;
                    lfd_check_note(ws, rep, LFD_CK_TRACK_ROOT, 0, f, f, f,
                                   fail ? LFD_CHECK_FAIL : LFD_CHECK_WARN, rerr,
                                   fail ? o->track_root_fail_m : o->track_root_warn_m, rerr);
                }
            }
            if (tilt > o->tilt_fall_rad || !hgt_ok) {
                tr->fell = 1;
                tr->fall_frame = f;
                tr->fall_time_s = d->time;
                tr->tilt_at_fall = tilt;
                tr->height_at_fall = d->qpos[2];
                break;
            }
            next++;
        }
        if (tr->fell)
            break;
    }
    if (r->floating)
        memset(d->xfrc_applied, 0, (size_t)m->nbody * 6 * sizeof(double));
    return LFD_OK;
}

int lfd_check_track_run(const lfd_checker *c, lfd_check_ws *ws, const lfd_motion *mo,
                        const lfd_check_opts *o, lfd_check_report *rep, lfd_err *err)
{
    double t0 = lfd_now_s();
    lfd_check_track *t = &rep->track;
    t->ran = 1;
    t->first_scuff_frame = t->first_edge_frame = -1;
    t->first_scuff_foot = t->first_edge_foot = -1;
    t->first_pivot_frame = t->first_pivot_foot = -1;
    track_run tr;
    int fails_before = rep->nfail;
    int rc = simulate(c, ws, mo, o, rep, 0, &tr, err);
    if (rc)
        return lfd_err_prefix_rc(err, rc, "tracking simulation");
    t->fell = tr.fell;
    t->diverged = tr.diverged;
    t->fall_frame = tr.fall_frame;
    t->fall_time_s = tr.fall_time_s;
    t->frames_tracked = tr.fell ? tr.fall_frame + 1 : mo->nframes;
    t->joint_err_rms_mean = tr.frames > 1 ? tr.err_sum / (tr.frames - 1) : 0;
    t->joint_err_rms_max = tr.err_max;
    t->root_err_max_m = tr.root_max;
    t->tilt_max_rad = tr.tilt_max;
    if (tr.fell) {
        double v = tr.diverged ? NAN : tr.tilt_at_fall;
        lfd_check_note(ws, rep, LFD_CK_FALL, 0, tr.fall_frame, tr.fall_frame, tr.fall_frame,
                       LFD_CHECK_FAIL, v, o->tilt_fall_rad, 1);
        int ki = ws->key_idx[c->key_base[LFD_CK_FALL]];
        if (ki >= 0)
            rep->finding[ki].aux = tr.diverged ? 2 : tr.tilt_at_fall > o->tilt_fall_rad ? 0 : 1;
    }
    /* the motion failed to track: how much help would it need? */
    int track_failed = tr.fell || rep->nfail > fails_before;
    if (track_failed && c->r->floating) {
        track_run ta;
        rc = simulate(c, ws, mo, o, rep, 1, &ta, err);
        if (rc)
            return lfd_err_prefix_rc(err, rc, "tracking simulation with the harness");
        t->assist_ran = 1;
        t->assist_peak = ta.assist_max;
        t->assist_mean = ta.assist_n ? ta.assist_sum / ta.assist_n : 0;
    }
    t->wall_s = lfd_now_s() - t0;
    return LFD_OK;
}
