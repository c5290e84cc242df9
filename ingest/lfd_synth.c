/*  lfd_synth: procedural stand / walk / wipe motions (see lfd_synth.h).

    Each frame is built in lfd's world frame (metres, Z up, facing +X):
      1. the task sets the pelvis position and orientation, the trunk's
         local bends, and targets for the ankles (with the foot's pitch)
         and the wrists;
      2. two-bone IK places knees and elbows (knees forward, elbows back
         and out);
      3. every node's world rotation is the rotation that takes its rest
         bone direction (and a rest hinge axis) to the posed one, so the
         chain reproduces the IK positions exactly;
      4. local rotations (parent^T * world) become Euler channels in the
         requested order, in the requested units and axes.
    The truth positions are the FK of the world rotations in step 3, done
    with matrices here, independently of the BVH reader's quaternion FK.
*/
#include "ingest/lfd_synth.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/lfd_quat.h"

/* ---- skeleton ------------------------------------------------------------------- */
enum {
    N_PELVIS, N_SPINE, N_CHEST, N_NECK, N_HEAD, N_HEAD_END,
    N_LCLAV, N_LSHO, N_LELB, N_LWRI, N_LWRI_END,
    N_RCLAV, N_RSHO, N_RELB, N_RWRI, N_RWRI_END,
    N_LHIP, N_LKNEE, N_LANK, N_LTOE, N_LTOE_END,
    N_RHIP, N_RKNEE, N_RANK, N_RTOE, N_RTOE_END,
    N_COUNT
};

static const char *const node_name[N_COUNT] = {
    "pelvis", "spine", "chest", "neck", "head", "head_end",
    "l_clavicle", "l_shoulder", "l_elbow", "l_wrist", "l_wrist_end",
    "r_clavicle", "r_shoulder", "r_elbow", "r_wrist", "r_wrist_end",
    "l_hip", "l_knee", "l_ankle", "l_toe", "l_toe_end",
    "r_hip", "r_knee", "r_ankle", "r_toe", "r_toe_end"};

static const int node_parent[N_COUNT] = {
    -1, N_PELVIS, N_SPINE, N_CHEST, N_NECK, N_HEAD,
    N_CHEST, N_LCLAV, N_LSHO, N_LELB, N_LWRI,
    N_CHEST, N_RCLAV, N_RSHO, N_RELB, N_RWRI,
    N_PELVIS, N_LHIP, N_LKNEE, N_LANK, N_LTOE,
    N_PELVIS, N_RHIP, N_RKNEE, N_RANK, N_RTOE};

static int is_end(int i)
{
    return i == N_HEAD_END || i == N_LWRI_END || i == N_RWRI_END || i == N_LTOE_END || i == N_RTOE_END;
}

/* rest offsets in metres as fractions of stature H (Winter 2009, Fig. 4.1:
   hip 0.530 H, knee 0.285 H, ankle 0.039 H, shoulder 0.818 H, chin 0.870 H,
   upper arm 0.186 H, forearm 0.146 H, hand 0.108 H, foot 0.152 H) */
static void rest_offsets(double H, double off[N_COUNT][3])
{
    memset(off, 0, sizeof(double) * 3 * N_COUNT);
#define SET(n, x, y, z) (off[n][0] = (x) * H, off[n][1] = (y) * H, off[n][2] = (z) * H)
    SET(N_PELVIS, 0, 0, 0);
    SET(N_SPINE, 0, 0, 0.060);
    SET(N_CHEST, 0, 0, 0.120);
    SET(N_NECK, 0, 0, 0.090);
    SET(N_HEAD, 0, 0, 0.060);
    SET(N_HEAD_END, 0, 0, 0.120);
    SET(N_LCLAV, 0, 0.020, 0.070);
    SET(N_LSHO, 0, 0.090, 0.010);
    SET(N_LELB, 0, 0.186, 0);
    SET(N_LWRI, 0, 0.146, 0);
    SET(N_LWRI_END, 0, 0.090, 0);
    SET(N_RCLAV, 0, -0.020, 0.070);
    SET(N_RSHO, 0, -0.090, 0.010);
    SET(N_RELB, 0, -0.186, 0);
    SET(N_RWRI, 0, -0.146, 0);
    SET(N_RWRI_END, 0, -0.090, 0);
    SET(N_LHIP, 0, 0.050, -0.020);
    SET(N_LKNEE, 0, 0, -0.245);
    SET(N_LANK, 0, 0, -0.246);
    SET(N_LTOE, 0.080, 0, -0.025);
    SET(N_LTOE_END, 0.030, 0, 0);
    SET(N_RHIP, 0, -0.050, -0.020);
    SET(N_RKNEE, 0, 0, -0.245);
    SET(N_RANK, 0, 0, -0.246);
    SET(N_RTOE, 0.080, 0, -0.025);
    SET(N_RTOE_END, 0.030, 0, 0);
#undef SET
}

const char *lfd_synth_task_name(int t)
{
    return t == LFD_SYNTH_STAND ? "stand" : t == LFD_SYNTH_WALK ? "walk" : t == LFD_SYNTH_WIPE ? "wipe" : "?";
}

int lfd_synth_task_parse(const char *s)
{
    for (int t = 0; t < 3; t++)
        if (s && !strcmp(s, lfd_synth_task_name(t)))
            return t;
    return -1;
}

/* ---- small rotation helpers (row-major 3x3) ------------------------------------- */
static void rot_axis(double R[9], int axis, double a)
{
    double c = cos(a), s = sin(a);
    static const double I[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    memcpy(R, I, sizeof I);
    int i = (axis + 1) % 3, j = (axis + 2) % 3;
    R[3 * i + i] = c;
    R[3 * i + j] = -s;
    R[3 * j + i] = s;
    R[3 * j + j] = c;
}

static void unit(double v[3])
{
    double n = lfd_v3_norm(v);
    if (n > 1e-12)
        lfd_v3_scale(v, v, 1 / n);
}

/* the rotation taking the frame (d0, s0) to (d, s): R = F F0^T with F = [d s' d x s'] */
static void rot_two(double R[9], const double d0[3], const double s0[3], const double d[3],
                    const double s[3])
{
    double a[3], b[3], c[3], a0[3], b0[3], c0[3], t[3];
    lfd_v3_copy(a0, d0);
    unit(a0);
    lfd_v3_scale(t, a0, lfd_v3_dot(s0, a0));
    lfd_v3_sub(b0, s0, t);
    unit(b0);
    lfd_v3_cross(c0, a0, b0);
    lfd_v3_copy(a, d);
    unit(a);
    lfd_v3_scale(t, a, lfd_v3_dot(s, a));
    lfd_v3_sub(b, s, t);
    unit(b);
    lfd_v3_cross(c, a, b);
    for (int r = 0; r < 3; r++)
        for (int k = 0; k < 3; k++)
            R[3 * r + k] = a[r] * a0[k] + b[r] * b0[k] + c[r] * c0[k];
}

/* the minimal rotation taking unit direction a to unit direction b */
static void rot_between(double R[9], const double a[3], const double b[3])
{
    double ax[3], q[4];
    lfd_v3_cross(ax, a, b);
    double s = lfd_v3_norm(ax), c = lfd_v3_dot(a, b);
    if (s < 1e-12) {
        if (c > 0) {
            lfd_quat_identity(q);
        } else {
            double p[3] = {0, 0, 1};
            if (fabs(a[2]) > 0.9)
                p[0] = 1, p[2] = 0;
            lfd_v3_cross(ax, a, p);
            unit(ax);
            lfd_quat_from_axis_angle(q, ax, M_PI);
        }
    } else {
        lfd_v3_scale(ax, ax, 1 / s);
        lfd_quat_from_axis_angle(q, ax, atan2(s, c));
    }
    lfd_quat_to_mat(R, q);
}

/* two-bone IK: the middle joint for root a, end target c, lengths l1, l2,
   bending towards pole; the target is pulled in to 0.999 of full reach */
static void ik2(double mid[3], double end[3], const double a[3], const double c[3], double l1, double l2,
                const double pole[3])
{
    double u[3], t[3], n[3];
    lfd_v3_sub(u, c, a);
    double d = lfd_v3_norm(u);
    double dmax = 0.999 * (l1 + l2), dmin = fabs(l1 - l2) + 1e-6;
    if (d > dmax)
        d = dmax;
    if (d < dmin)
        d = dmin;
    unit(u);
    /* the pole's component orthogonal to the a -> c line */
    lfd_v3_scale(t, u, lfd_v3_dot(pole, u));
    lfd_v3_sub(n, pole, t);
    unit(n);
    double ca = (l1 * l1 + d * d - l2 * l2) / (2 * l1 * d);
    if (ca > 1) ca = 1;
    if (ca < -1) ca = -1;
    double sa = sqrt(1 - ca * ca);
    for (int k = 0; k < 3; k++) {
        mid[k] = a[k] + l1 * (ca * u[k] + sa * n[k]);
        end[k] = a[k] + d * u[k];
    }
}

static double smooth5(double x) /* minimum-jerk step 0..1 */
{
    if (x <= 0) return 0;
    if (x >= 1) return 1;
    return x * x * x * (10 + x * (-15 + 6 * x));
}

/* ---- one pose ---------------------------------------------------------------------- */
typedef struct pose_in {
    double pelvis[3];
    double yaw, pitch, roll;      /* pelvis orientation */
    double spine_pitch, chest_pitch, chest_yaw, neck_pitch, head_pitch;
    double ankle[2][3];           /* ankle targets */
    double foot_pitch[2];         /* heel rise (rad, positive = heel up) */
    double wrist[2][3];           /* wrist targets */
} pose_in;

typedef struct body {
    double H;
    double off[N_COUNT][3];
    double thigh, shank, upper, fore;
} body;

/* world rotations W[n] (row-major) of every node for one pose */
static void build_pose(const body *bd, const pose_in *in, double W[N_COUNT][9], double P[N_COUNT][3])
{
    double A[9], B[9], T[9];
    static const double I[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    for (int i = 0; i < N_COUNT; i++)
        memcpy(W[i], I, sizeof I);
    /* pelvis: yaw about z, then pitch about y (forward lean positive), then roll */
    rot_axis(A, 2, in->yaw);
    rot_axis(B, 1, in->pitch);
    lfd_mat3_mul(T, A, B);
    rot_axis(A, 0, in->roll);
    lfd_mat3_mul(W[N_PELVIS], T, A);
    lfd_v3_copy(P[N_PELVIS], in->pelvis);
    /* trunk: local bends compose down the chain */
    rot_axis(A, 1, in->spine_pitch);
    lfd_mat3_mul(W[N_SPINE], W[N_PELVIS], A);
    rot_axis(A, 1, in->chest_pitch);
    rot_axis(B, 2, in->chest_yaw);
    lfd_mat3_mul(T, A, B);
    lfd_mat3_mul(W[N_CHEST], W[N_SPINE], T);
    rot_axis(A, 1, in->neck_pitch);
    lfd_mat3_mul(W[N_NECK], W[N_CHEST], A);
    rot_axis(A, 1, in->head_pitch);
    lfd_mat3_mul(W[N_HEAD], W[N_NECK], A);
    memcpy(W[N_LCLAV], W[N_CHEST], sizeof I);
    memcpy(W[N_RCLAV], W[N_CHEST], sizeof I);
    /* positions of the trunk, clavicles, shoulders and hips */
    static const int trunk[] = {N_SPINE, N_CHEST, N_NECK, N_HEAD, N_LCLAV, N_LSHO, N_RCLAV, N_RSHO, N_LHIP, N_RHIP};
    for (size_t k = 0; k < sizeof trunk / sizeof trunk[0]; k++) {
        int n = trunk[k], p = node_parent[n];
        double r[3];
        lfd_mat3_mulv(r, W[p], bd->off[n]);
        lfd_v3_add(P[n], P[p], r);
    }
    /* legs: IK with the knee pointing forward along the pelvis heading */
    for (int s = 0; s < 2; s++) {
        int hip = s ? N_RHIP : N_LHIP, knee = hip + 1, ank = hip + 2, toe = hip + 3;
        double fwd[3] = {cos(in->yaw), sin(in->yaw), 0}, kp[3], ap[3];
        ik2(kp, ap, P[hip], in->ankle[s], bd->thigh, bd->shank, fwd);
        double d1[3], d2[3], h[3], down[3] = {0, 0, -1}, y0[3] = {0, 1, 0};
        lfd_v3_sub(d1, kp, P[hip]);
        lfd_v3_sub(d2, ap, kp);
        lfd_v3_cross(h, d1, d2);
        if (lfd_v3_norm(h) < 1e-9 * lfd_v3_norm(d1) * lfd_v3_norm(d2))
            lfd_mat3_mulv(h, W[N_PELVIS], y0);
        rot_two(W[hip], down, y0, d1, h);
        rot_two(W[knee], down, y0, d2, h);
        /* foot: pointing along +X, pitched toe-down by the heel rise */
        rot_axis(W[ank], 1, in->foot_pitch[s]);
        memcpy(W[toe], W[ank], 9 * sizeof(double));
    }
    /* arms: IK with the elbow pointing back and out */
    for (int s = 0; s < 2; s++) {
        int sho = s ? N_RSHO : N_LSHO, elb = sho + 1, wri = sho + 2;
        double side = s ? -1 : 1;
        double pole_l[3] = {-1, 0.6 * side, -0.3}, pole[3], ep[3], wp[3];
        lfd_mat3_mulv(pole, W[N_CHEST], pole_l);
        ik2(ep, wp, P[sho], in->wrist[s], bd->upper, bd->fore, pole);
        double d1[3], d2[3], h[3], d0[3] = {0, side, 0}, bend0[3] = {1, 0, 0}, h0[3], zc[3] = {0, 0, 1};
        lfd_v3_sub(d1, ep, P[sho]);
        lfd_v3_sub(d2, wp, ep);
        lfd_v3_cross(h0, d0, bend0); /* rest hinge: the forearm bends forward */
        lfd_v3_cross(h, d1, d2);
        if (lfd_v3_norm(h) < 1e-6 * lfd_v3_norm(d1) * lfd_v3_norm(d2)) {
            /* a straight arm: keep the hinge the chest would give it */
            double hz[3];
            lfd_mat3_mulv(hz, W[N_CHEST], zc);
            lfd_v3_scale(h, hz, -side);
        }
        rot_two(W[sho], d0, h0, d1, h);
        rot_two(W[elb], d0, h0, d2, h);
        memcpy(W[wri], W[elb], 9 * sizeof(double));
    }
    /* every position from the world rotations (the truth) */
    for (int n = 1; n < N_COUNT; n++) {
        int p = node_parent[n];
        double r[3];
        lfd_mat3_mulv(r, W[p], bd->off[n]);
        lfd_v3_add(P[n], P[p], r);
    }
}

/* ---- tasks -------------------------------------------------------------------------- */
/* relaxed hanging arms: wrist below the shoulder, slightly forward */
static void hang_wrist(const body *bd, const double W_chest[9], const double sho[3], int s, double out[3])
{
    double side = s ? -1 : 1;
    double l[3] = {0.05 * bd->H, 0.02 * side * bd->H, -0.96 * (bd->upper + bd->fore)}, r[3];
    lfd_mat3_mulv(r, W_chest, l);
    lfd_v3_add(out, sho, r);
}

typedef struct walk_state {
    double v, Ts, beta, step, clear;
} walk_state;

/* the ankle target of foot s at time t while walking along +X */
static void walk_foot(const body *bd, const walk_state *w, double t, int s, double out[3], double *pitch)
{
    double H = bd->H, ah = 0.039 * H, y = s ? -0.055 * H : 0.055 * H;
    double ph = t / w->Ts + (s ? 0.5 : 0.0);
    double k = floor(ph), u = ph - k;
    /* stance k starts at phase k with the foot landing a little ahead of the pelvis */
    double land = w->v * (k - (s ? 0.5 : 0.0)) * w->Ts + w->step * 0.35;
    *pitch = 0;
    out[1] = y;
    if (u < w->beta) {
        out[0] = land;
        out[2] = ah;
        return;
    }
    /* swing: from this stance's spot to the next, lifting on an arc */
    double tau = (u - w->beta) / (1 - w->beta);
    out[0] = land + w->v * w->Ts * smooth5(tau);
    out[2] = ah + w->clear * sin(M_PI * tau);
}

/* heel rise: turn the foot about its toe until the hip can reach the ankle */
static void heel_rise(const body *bd, const double hip[3], double ank[3], double *pitch)
{
    double reach = 0.985 * (bd->thigh + bd->shank);
    if (lfd_v3_dist(hip, ank) <= reach)
        return;
    double fx = bd->off[N_LTOE][0], fz = bd->off[N_LTOE][2];
    double toe[3] = {ank[0] + fx, ank[1], ank[2] + fz};
    /* toe -> ankle points back and up at angle a0 above -X; heel rise adds th */
    double Lf = hypot(fx, fz), a0 = atan2(-fz, fx);
    double lo = 0, hi = 1.4, best[3];
    lfd_v3_copy(best, ank);
    for (int it = 0; it < 40; it++) {
        double th = 0.5 * (lo + hi);
        double a[3] = {toe[0] - Lf * cos(a0 + th), ank[1], toe[2] + Lf * sin(a0 + th)};
        if (lfd_v3_dist(hip, a) > reach) {
            lo = th;
        } else {
            hi = th;
            lfd_v3_copy(best, a);
        }
    }
    lfd_v3_copy(ank, best);
    *pitch = hi;
}

/* the wipe's timeline (stand, reach, wipe, return, stand) takes 6 s; a
   shorter clip (LFD_SYNTH_WIPE_MIN_S or more) runs it faster by this factor */
#define WIPE_TIME(T) ((T) < 6.0 ? (T) / 6.0 : 1.0)

static void task_pose(const body *bd, const lfd_synth_opts *o, double t, double T, pose_in *in)
{
    double H = bd->H;
    memset(in, 0, sizeof *in);
    double hip_h = 0.530 * H, stand_z = hip_h + 0.020 * H - 0.003 * H; /* knees slightly soft */
    double W[N_COUNT][9], P[N_COUNT][3];
    pose_in tmp;
    if (o->task == LFD_SYNTH_WALK) {
        /* 1.0 m/s, 1.1 s strides, 60% stance, 5 cm swing clearance (scaled with height) */
        walk_state w = {.v = 1.0 * H / 1.75, .Ts = 1.1, .beta = 0.6, .clear = 0.05 * H / 1.75};
        w.step = w.v * w.Ts / 2;
        double f = 1 / w.Ts;
        in->pelvis[0] = w.v * t;
        in->pelvis[1] = 0.015 * H / 1.75 * sin(2 * M_PI * f * t);
        in->pelvis[2] = stand_z - 0.035 * H / 1.75 + 0.012 * H / 1.75 * cos(4 * M_PI * f * t);
        in->yaw = 0.06 * sin(2 * M_PI * f * t);
        in->pitch = 0.05;
        in->chest_yaw = -0.10 * sin(2 * M_PI * f * t);
        in->chest_pitch = -0.03;
        /* feet, with heel rise when the hip runs ahead */
        for (int s = 0; s < 2; s++)
            walk_foot(bd, &w, t, s, in->ankle[s], &in->foot_pitch[s]);
        tmp = *in;
        build_pose(bd, &tmp, W, P);
        for (int s = 0; s < 2; s++)
            heel_rise(bd, P[s ? N_RHIP : N_LHIP], in->ankle[s], &in->foot_pitch[s]);
        /* arms swing opposite to the legs */
        for (int s = 0; s < 2; s++) {
            double sw = 0.25 * sin(2 * M_PI * f * t + (s ? 0 : M_PI)), side = s ? -1 : 1;
            double l[3] = {sin(sw) * 0.9 * (bd->upper + bd->fore) + 0.03 * H, 0.02 * side * H,
                           -cos(sw) * 0.9 * (bd->upper + bd->fore)}, r[3];
            lfd_mat3_mulv(r, W[N_CHEST], l);
            lfd_v3_add(in->wrist[s], P[s ? N_RSHO : N_LSHO], r);
        }
        return;
    }
    /* standing tasks: feet fixed under the hips */
    for (int s = 0; s < 2; s++) {
        in->ankle[s][0] = 0;
        in->ankle[s][1] = s ? -0.055 * H : 0.055 * H;
        in->ankle[s][2] = 0.039 * H;
    }
    in->pelvis[2] = stand_z;
    /* breathing (0.25 Hz) and sway */
    in->pelvis[0] = 0.004 * H * sin(2 * M_PI * 0.2 * t);
    in->pelvis[1] = 0.003 * H * sin(2 * M_PI * 0.13 * t);
    in->chest_pitch = 0.015 * sin(2 * M_PI * 0.25 * t);
    double lean = 0, reach = 0;
    if (o->task == LFD_SYNTH_WIPE) {
        /* 0-1 s stand, 1-2.5 s reach, wipe until T-2.5, return by T-1, stand;
           a clip shorter than 6 s runs the same timeline faster (WIPE_TIME) */
        double k = WIPE_TIME(T);
        double t1 = 1.0 * k, t2 = 2.5 * k, t3 = T - 2.5 * k, t4 = T - 1.0 * k;
        reach = t < t2 ? smooth5((t - t1) / (t2 - t1)) : t < t3 ? 1.0 : 1.0 - smooth5((t - t3) / (t4 - t3));
        lean = reach;
        in->pitch = 0.20 * lean;
        in->spine_pitch = 0.18 * lean;
        in->chest_pitch += 0.22 * lean;
        in->neck_pitch = -0.20 * lean;
        in->head_pitch = -0.10 * lean;
        in->pelvis[0] -= 0.05 * H / 1.75 * lean; /* hips back for balance */
        in->pelvis[2] -= 0.04 * H / 1.75 * lean; /* knees bend a little */
    }
    tmp = *in;
    build_pose(bd, &tmp, W, P);
    for (int s = 0; s < 2; s++)
        hang_wrist(bd, W[N_CHEST], P[s ? N_RSHO : N_LSHO], s, in->wrist[s]);
    if (o->task == LFD_SYNTH_WIPE && reach > 0) {
        /* the right wrist goes to the table (0.75 m high, 0.35 m ahead), then wipes */
        double s = H / 1.75, table_z = 0.75 * s, wz = table_z + 0.035 * s;
        double k = WIPE_TIME(T), t2 = 2.5 * k, t3 = T - 2.5 * k, ph = 0;
        double stroke = o->stroke_s > 0 ? o->stroke_s : 1.6;     /* strokes of 1.6 s */
        double ws = o->stroke_scale > 0 ? o->stroke_scale : 1.0;
        double ahead = 0.36 * (o->reach_scale > 0 ? o->reach_scale : 1.0);
        if (t > t2 && t < t3)
            ph = (t - t2) / stroke;
        double amp = t > t2 && t < t3 ? smooth5((t - t2) / (0.5 * k)) * smooth5((t3 - t) / (0.5 * k)) : 0;
        double tgt[3] = {ahead * s + 0.04 * ws * s * amp * sin(4 * M_PI * ph),
                         -0.16 * s + 0.16 * ws * s * amp * sin(2 * M_PI * ph), wz};
        for (int k = 0; k < 3; k++)
            in->wrist[1][k] += reach * (tgt[k] - in->wrist[1][k]);
    }
}

/* ---- generation ---------------------------------------------------------------------- */
static void mat_t(double R[9], const double A[9]) { lfd_mat3_transpose(R, A); }

int lfd_synth_bvh(lfd_bvh *b, const lfd_synth_opts *opts, double **truth, lfd_err *err)
{
    lfd_synth_opts o = opts ? *opts : (lfd_synth_opts){0};
    if (truth)
        *truth = NULL;
    if (o.task < LFD_SYNTH_STAND || o.task > LFD_SYNTH_WIPE)
        return lfd_fail(err, LFD_EARG, "lfd_synth: unknown task %d", (int)o.task);
    double T = o.seconds > 0 ? o.seconds : o.task == LFD_SYNTH_STAND ? 3 : o.task == LFD_SYNTH_WALK ? 6 : 10;
    double fps = o.fps > 0 ? o.fps : 120;
    double H = o.height_m > 0 ? o.height_m : 1.75;
    const char *units = o.units ? o.units : "cm", *up = o.up ? o.up : "y";
    const char *order = o.order ? o.order : "ZXY", *rorder = o.root_order ? o.root_order : order;
    double um = lfd_units_m(units);
    if (um <= 0)
        return lfd_fail(err, LFD_EARG, "lfd_synth: unknown units '%s'", units);
    if (strcmp(up, "y") && strcmp(up, "z"))
        return lfd_fail(err, LFD_EARG, "lfd_synth: up-axis must be y or z, not '%s'", up);
    double q0[4], ang[3] = {0, 0, 0};
    if (lfd_quat_from_euler(q0, order, ang) || lfd_quat_from_euler(q0, rorder, ang) || order[0] == order[1] ||
        order[1] == order[2] || order[0] == order[2] || rorder[0] == rorder[1] || rorder[1] == rorder[2] ||
        rorder[0] == rorder[2])
        return lfd_fail(err, LFD_EARG, "lfd_synth: rotation order must be three different axes (e.g. ZXY)");
    if (T > 3600 || fps > 1000 || H < 0.5 || H > 2.5)
        return lfd_fail(err, LFD_EARG, "lfd_synth: %g s at %g fps for a %g m person is out of range", T, fps, H);
    if (T < LFD_SYNTH_WIPE_MIN_S && o.task == LFD_SYNTH_WIPE)
        return lfd_fail(err, LFD_EARG,
                        "lfd_synth: a wipe of %g s is too short: it needs %g s or more to stand, reach, "
                        "wipe and return (6 s at a natural pace; shorter runs it faster)",
                        T, LFD_SYNTH_WIPE_MIN_S);
    int nframes = (int)floor(T * fps + 0.5);
    if (nframes < 1)
        nframes = 1;
    int sr = o.static_root ? 1 : 0, nn = N_COUNT + sr;

    body bd = {.H = H};
    rest_offsets(H, bd.off);
    bd.thigh = 0.245 * H;
    bd.shank = 0.246 * H;
    bd.upper = 0.186 * H;
    bd.fore = 0.146 * H;

    /* axes: p_file = A^T p_lfd / unit (A as in lfd_human: y-up (x,y,z) -> (z,x,y)) */
    double A[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1}, At[9];
    if (!strcmp(up, "y")) {
        static const double Ry[9] = {0, 0, 1, 1, 0, 0, 0, 1, 0};
        memcpy(A, Ry, sizeof A);
    }
    mat_t(At, A);

    /* rest frames: with rest_x, node n's frame is turned so its first child lies on +X */
    double F[N_COUNT][9];
    for (int n = 0; n < N_COUNT; n++) {
        static const double I[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
        memcpy(F[n], I, sizeof I);
        if (!o.rest_x || is_end(n))
            continue;
        for (int c = n + 1; c < N_COUNT; c++)
            if (node_parent[c] == n) {
                double d[3], x[3] = {1, 0, 0};
                lfd_v3_copy(d, bd.off[c]);
                unit(d);
                rot_between(F[n], x, d);
                break;
            }
    }

    int rc = lfd_bvh_alloc(b, nn, 0, err);
    if (rc)
        return rc;
    snprintf(b->name, sizeof b->name, "synth-%s", lfd_synth_task_name(o.task));
    for (int i = 0; i < nn; i++) {
        lfd_bvh_joint *j = &b->node[i];
        int n = i - sr;
        if (sr && i == 0) {
            snprintf(j->name, sizeof j->name, "root");
            j->parent = -1;
            j->nchan = o.six_channel ? 6 : 0;
        } else {
            snprintf(j->name, sizeof j->name, "%s", node_name[n]);
            j->parent = node_parent[n] < 0 ? (sr ? 0 : -1) : node_parent[n] + sr;
            j->end_site = is_end(n);
            /* offset in the parent's (possibly turned) rest frame, file axes and units */
            double o1[3] = {0, 0, 0}, o2[3], Ft[9];
            if (node_parent[n] >= 0) {
                mat_t(Ft, F[node_parent[n]]);
                lfd_mat3_mulv(o1, Ft, bd.off[n]);
            }
            lfd_mat3_mulv(o2, At, o1);
            lfd_v3_scale(j->offset, o2, 1 / um);
            int six = o.six_channel || n == N_PELVIS;
            j->nchan = j->end_site ? 0 : six ? 6 : 3;
        }
        if (j->nchan) {
            const char *ord = (i == 0) ? rorder : order;
            int k = 0;
            if (j->nchan == 6)
                for (int a = 0; a < 3; a++)
                    j->chan[k++] = (unsigned char)(LFD_BVH_XPOS + a);
            for (int a = 0; a < 3; a++) {
                char c = ord[a];
                int ax = (c == 'X' || c == 'x') ? 0 : (c == 'Y' || c == 'y') ? 1 : 2;
                j->chan[k++] = (unsigned char)(LFD_BVH_XROT + ax);
            }
        }
    }
    rc = lfd_bvh_finalize(b, nframes, err);
    if (rc == LFD_OK && truth) {
        *truth = malloc((size_t)nframes * (size_t)nn * 3 * sizeof(double));
        if (!*truth)
            rc = lfd_fail(err, LFD_ENOMEM, "lfd_synth: out of memory");
    }
    if (rc) {
        lfd_bvh_free(b);
        return rc;
    }
    b->frame_time_s = 1.0 / fps;

    for (int f = 0; f < nframes; f++) {
        double t = f / fps, W[N_COUNT][9], P[N_COUNT][3];
        pose_in in;
        task_pose(&bd, &o, t, T, &in);
        build_pose(&bd, &in, W, P);
        /* world rotations in the turned rest frames: W' = W F */
        double Wf[N_COUNT][9];
        for (int n = 0; n < N_COUNT; n++)
            lfd_mat3_mul(Wf[n], W[n], F[n]);
        double *row = b->motion + (size_t)f * (size_t)b->nchannels;
        for (int i = 0; i < nn; i++) {
            const lfd_bvh_joint *j = &b->node[i];
            int n = i - sr;
            if (!j->nchan)
                continue;
            double L[9], t3[3] = {0, 0, 0};
            if (sr && i == 0) {
                static const double I[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
                memcpy(L, I, sizeof I);
            } else {
                int p = node_parent[n];
                if (p < 0) {
                    memcpy(L, Wf[n], sizeof L);
                    lfd_mat3_mulv(t3, At, P[n]);
                    lfd_v3_scale(t3, t3, 1 / um);
                } else {
                    double Pt[9];
                    mat_t(Pt, Wf[p]);
                    lfd_mat3_mul(L, Pt, Wf[n]);
                    lfd_v3_copy(t3, j->offset);
                }
            }
            /* local rotation in file axes: A^T L A */
            double Lf[9], tmp[9], q[4], e[3];
            lfd_mat3_mul(tmp, At, L);
            lfd_mat3_mul(Lf, tmp, A);
            lfd_mat_to_quat(q, Lf);
            const char *ord = i == 0 ? rorder : order;
            lfd_quat_to_euler(e, ord, q);
            int k = 0;
            if (j->nchan == 6)
                for (int a = 0; a < 3; a++)
                    row[j->chan0 + k++] = t3[a];
            for (int a = 0; a < 3; a++)
                row[j->chan0 + k++] = e[a] * 180.0 / M_PI;
        }
        if (truth) {
            double *tp = *truth + (size_t)f * (size_t)nn * 3;
            if (sr)
                tp[0] = tp[1] = tp[2] = 0;
            for (int n = 0; n < N_COUNT; n++)
                lfd_v3_copy(tp + 3 * (n + sr), P[n]);
        }
    }
    return LFD_OK;
}

int lfd_synth_human(lfd_human *h, const lfd_synth_opts *opts, lfd_err *err)
{
    lfd_bvh b;
    int rc = lfd_synth_bvh(&b, opts, NULL, err);
    if (rc) {
        memset(h, 0, sizeof *h);
        return rc;
    }
    rc = lfd_human_from_bvh(h, &b, NULL, err);
    lfd_bvh_free(&b);
    return rc;
}
