/*  lfd_check_explain: where a joint's torque at one frame comes from
    (`lfd check --explain-torque FRAME`).

    lfd check finds a joint over its torque limit; this says why, in the
    terms a retargeting fix is chosen by.  The torque is the check's own
    (the same central differences, inverse dynamics and share of the
    floor's load), and it is split exactly:

        tau_j = g_j                       gravity (the pose held still)
              + c_j(q, v)                 the velocity terms (Coriolis, centrifugal)
              + sum_i M_ji a_i            the acceleration of each part of the body
                                          (M with the armature on its diagonal)
              - passive_j                 the description's springs and damping
              + floor_j                   what the floor's load on the feet takes off

    with the accelerations grouped by where the dof sits: the root's
    translation, the root's turn, each leg (the joints on the path from the
    root to a foot), the trunk (joints above both hands), each arm (above
    one hand) and the rest.  For a joint above no foot the floor term is 0
    and the part that dominates names the fix: gravity is the posture
    (lean less), the root's terms are the pelvis path (smooth or slow it),
    the joint's own group is its own motion.  docs/retarget.md part 20 is
    the analysis this tool was made from (G1's bend-scoop: gravity 23.8 and
    the root's turn 19.2 of the waist's 44.8 N m at frame 117). */
#include "sim/lfd_check.h"
#include "sim/lfd_check_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/lfd_util.h"
#include "robots/lfd_mj.h"

const char *lfd_torque_part_name(int part)
{
    static const char *names[LFD_TQP_COUNT] = {
        "gravity",   "velocity",   "root translation", "root turn", "left leg", "right leg",
        "trunk",     "left arm",   "right arm",        "other",     "floor",    "passive"};
    return part >= 0 && part < LFD_TQP_COUNT ? names[part] : "?";
}

/* 1 if body b is on the path from the root to body leaf (leaf included) */
static int above(const mjModel *m, int b, int leaf)
{
    for (int x = leaf; x > 0; x = m->body_parentid[x])
        if (x == b)
            return 1;
    return 0;
}

/* the part (LFD_TQP_*) of dof i's acceleration */
static int part_of_dof(const lfd_robot *r, int i)
{
    const mjModel *m = r->m;
    int j = m->dof_jntid[i];
    if (m->jnt_type[j] == mjJNT_FREE)
        return i - m->jnt_dofadr[j] < 3 ? LFD_TQP_ROOT_LIN : LFD_TQP_ROOT_TURN;
    int b = m->jnt_bodyid[j];
    for (int s = 0; s < 2; s++)
        if (r->feet[s].body_id > 0 && above(m, b, r->feet[s].body_id))
            return s ? LFD_TQP_RIGHT_LEG : LFD_TQP_LEFT_LEG;
    int h0 = r->hands[0].body_id > 0 && above(m, b, r->hands[0].body_id);
    int h1 = r->hands[1].body_id > 0 && above(m, b, r->hands[1].body_id);
    return h0 && h1 ? LFD_TQP_TRUNK : h0 ? LFD_TQP_LEFT_ARM : h1 ? LFD_TQP_RIGHT_ARM : LFD_TQP_OTHER;
}

static int explain_at(const lfd_checker *c, lfd_check_ws *ws, const lfd_motion *mo,
                      const lfd_check_opts *opts, int frame, int joint, lfd_torque_split *out,
                      lfd_err *err);

int lfd_check_explain_torque(const lfd_robot *r, const lfd_motion *mo, const lfd_check_opts *opts,
                             int frame, int joint, lfd_torque_split *out, lfd_err *err)
{
    lfd_checker *c = NULL;
    lfd_check_ws *ws = NULL;
    memset(out, 0, sizeof *out);
    int rc = lfd_checker_new(&c, r, err);
    if (rc == LFD_OK)
        rc = lfd_check_ws_new(&ws, c, err);
    if (rc == LFD_OK)
        rc = lfd_check_explain_torque_with(c, ws, mo, opts, frame, joint, out, err);
    lfd_check_ws_free(&ws);
    lfd_checker_free(&c);
    return rc;
}

/* o, or the defaults in *def where o is NULL */
static const lfd_check_opts *opts_or(const lfd_check_opts *o, lfd_check_opts *def)
{
    if (o)
        return o;
    lfd_check_opts_init(def);
    return def;
}

/* o (NULL: the defaults) with the torque and balance groups only and the
   per-frame series, into *out */
static void series_opts(const lfd_check_opts *o, lfd_check_opts *out)
{
    lfd_check_opts def;
    *out = *opts_or(o, &def);
    out->series = 1;
    out->checks = (1u << LFD_CG_TORQUE) | (1u << LFD_CG_BALANCE);
}

int lfd_check_explain_torque_with(const lfd_checker *c, lfd_check_ws *ws, const lfd_motion *mo,
                                  const lfd_check_opts *opts, int frame, int joint,
                                  lfd_torque_split *out, lfd_err *err)
{
    int rc = explain_at(c, ws, mo, opts, frame, joint, out, err);
    if (rc)
        return rc;
    /* the pose held still (lfd_check_torque_frames) */
    int nj = lfd_checker_robot(c)->njoints;
    double *t = malloc(2 * (size_t)nj * sizeof(double));
    if (!t)
        return lfd_fail(err, LFD_ENOMEM, "out of memory");
    rc = lfd_check_torque_frames(c, ws, mo, opts, frame, frame, t, t + nj, err);
    out->still_nm = rc ? NAN : t[nj + out->joint];
    free(t);
    return rc;
}

/* lfd check on frames a..b of mo and two either side (so that a..b take
   their central differences as in the whole clip) with the torque and
   balance groups and the per-frame series; *rep (new, the caller frees it)
   and *k, frame a's index in it */
static int window_check(const lfd_checker *c, lfd_check_ws *ws, const lfd_motion *mo,
                        const lfd_check_opts *opts, int a, int b, lfd_check_report **rep, int *k,
                        lfd_err *err)
{
    int n = mo->nframes;
    *rep = NULL;
    if (a == b && (a < 0 || a >= n))
        return lfd_fail(err, LFD_EARG, "frame %d is outside the motion (0-%d)", a, n - 1);
    if (a < 0 || b >= n || a > b)
        return lfd_fail(err, LFD_EARG, "frames %d-%d are outside the motion (0-%d)", a, b, n - 1);
    int wa = a - 2 < 0 ? 0 : a - 2, wb = b + 2 > n - 1 ? n - 1 : b + 2;
    lfd_motion sub = *mo;
    sub.nframes = wb - wa + 1;
    sub.qpos = mo->qpos + (size_t)wa * (size_t)mo->nq;
    sub.qvel = NULL;
    lfd_check_opts o;
    series_opts(opts, &o);
    int rc = lfd_check_report_new(rep, err);
    if (rc == LFD_OK)
        rc = lfd_check_motion(c, ws, &sub, &o, *rep, err);
    if (rc)
        lfd_check_report_free(rep);
    *k = a - wa;
    return rc;
}

static int explain_at(const lfd_checker *c, lfd_check_ws *ws, const lfd_motion *mo,
                      const lfd_check_opts *opts, int frame, int joint, lfd_torque_split *out,
                      lfd_err *err)
{
    const lfd_robot *r = lfd_checker_robot(c);
    memset(out, 0, sizeof *out);
    int n = mo->nframes, kf;
    if (joint < -1 || joint >= r->njoints)
        return lfd_fail(err, LFD_EARG, "joint %d is not one of the robot's %d", joint, r->njoints);
    lfd_check_report *rep;
    int rc = window_check(c, ws, mo, opts, frame, frame, &rep, &kf, err);
    if (rc)
        return rc;
    const double *tau = rep->s_torque + (size_t)kf * (size_t)r->njoints;
    if (joint < 0) { /* the joint closest to (or furthest past) its limit */
        double best = -1;
        for (int j = 0; j < r->njoints; j++) {
            double lim = r->joints[j].torque_max;
            double x = lim > 0 && isfinite(lim) ? fabs(tau[j]) / lim : 0;
            if (x > best) {
                best = x;
                joint = j;
            }
        }
    }
    out->frame = frame;
    out->joint = joint;
    out->torque_nm = tau[joint];
    out->limit_nm = r->joints[joint].torque_max;
    lfd_check_report_free(&rep);

    /* the same state as the check's: velocity and acceleration at the
       frame from central differences (an end frame: its neighbour's) */
    const mjModel *m = r->m;
    int nv = m->nv, da = r->joints[joint].dof_adr;
    mjData *d = lfd_mj_make_data_kin(m);
    double *buf = malloc((size_t)nv * (5 + (size_t)nv) * sizeof(double));
    if (!d || !buf) {
        if (d)
            mj_deleteData(d);
        free(buf);
        return lfd_fail(err, LFD_ENOMEM, "out of memory");
    }
    double *v0 = buf, *v1 = buf + nv, *qv = buf + 2 * nv, *qa = buf + 3 * nv, *f = buf + 4 * nv;
    double *M = buf + 5 * nv, dt = 1.0 / mo->fps;
    if (n < 2) {
        memset(qv, 0, (size_t)nv * sizeof(double));
        memset(qa, 0, (size_t)nv * sizeof(double));
    } else {
        int k = frame == 0 ? 1 : frame == n - 1 && n >= 3 ? n - 2 : frame; /* where the acceleration is taken */
        if (n == 2)
            k = 0;
        if (k >= 1 && k + 1 < n) {
            mj_differentiatePos(m, v0, dt, lfd_motion_frame(mo, k - 1), lfd_motion_frame(mo, k));
            mj_differentiatePos(m, v1, dt, lfd_motion_frame(mo, k), lfd_motion_frame(mo, k + 1));
            for (int i = 0; i < nv; i++)
                qa[i] = (v1[i] - v0[i]) / dt;
        } else {
            memset(qa, 0, (size_t)nv * sizeof(double));
        }
        /* the velocity at the frame itself */
        int hp = frame > 0, hn = frame + 1 < n;
        if (hp)
            mj_differentiatePos(m, v0, dt, lfd_motion_frame(mo, frame - 1), lfd_motion_frame(mo, frame));
        if (hn)
            mj_differentiatePos(m, v1, dt, lfd_motion_frame(mo, frame), lfd_motion_frame(mo, frame + 1));
        for (int i = 0; i < nv; i++)
            qv[i] = hp && hn ? 0.5 * (v0[i] + v1[i]) : hp ? v0[i] : v1[i];
    }
    memcpy(d->qpos, lfd_motion_frame(mo, frame), (size_t)m->nq * sizeof(double));
    mj_kinematics(m, d);
    mj_comPos(m, d);
    mj_crb(m, d);
    mj_fullM(m, M, d->qM);
    /* gravity: the pose held still */
    memset(d->qvel, 0, (size_t)nv * sizeof(double));
    mj_comVel(m, d);
    mj_rne(m, d, 0, f);
    out->part_nm[LFD_TQP_GRAVITY] = f[da];
    /* the velocity terms */
    memcpy(d->qvel, qv, (size_t)nv * sizeof(double));
    mj_comVel(m, d);
    mj_rne(m, d, 0, f);
    out->part_nm[LFD_TQP_VELOCITY] = f[da] - out->part_nm[LFD_TQP_GRAVITY];
    mj_passive(m, d);
    out->part_nm[LFD_TQP_PASSIVE] = -d->qfrc_passive[da];
    /* the accelerations, by part */
    /* (mj_crb's M holds the armature on its diagonal: the check's
       armature_j a_j is in the joint's own part) */
    for (int i = 0; i < nv; i++)
        out->part_nm[part_of_dof(r, i)] += M[(size_t)da * nv + i] * qa[i];
    double sum = 0;
    for (int p = 0; p < LFD_TQP_COUNT; p++)
        sum += p == LFD_TQP_FLOOR ? 0 : out->part_nm[p];
    out->part_nm[LFD_TQP_FLOOR] = out->torque_nm - sum;
    mj_deleteData(d);
    free(buf);
    return LFD_OK;
}

void lfd_torque_split_print(const lfd_torque_split *s, const lfd_robot *r, FILE *fp)
{
    const lfd_robot_joint *jt = &r->joints[s->joint];
    fprintf(fp, "torque of %s at frame %d: %.2f N·m", jt->name, s->frame, s->torque_nm);
    if (s->limit_nm > 0 && isfinite(s->limit_nm))
        fprintf(fp, " (%.2f of its %.0f N·m)", fabs(s->torque_nm) / s->limit_nm, s->limit_nm);
    fprintf(fp, "\n");
    for (int p = 0; p < LFD_TQP_COUNT; p++) {
        if (p == LFD_TQP_ROOT_LIN)
            fprintf(fp, "  acceleration of:\n");
        if (p == LFD_TQP_FLOOR)
            fprintf(fp, "  ---\n");
        fprintf(fp, "  %s%-18s %9.2f\n", p >= LFD_TQP_ROOT_LIN && p < LFD_TQP_FLOOR ? "  " : "",
                lfd_torque_part_name(p), s->part_nm[p]);
    }
    fprintf(fp, "  held still, the pose asks %.2f N·m (gravity and the floor's share of the weight); the "
                "rest, %.2f, falls with 1/s^2 when the motion is played s times slower\n",
            s->still_nm, s->torque_nm - s->still_nm);
}

void lfd_torque_split_json(const lfd_torque_split *s, const lfd_robot *r, lfd_jw *jw)
{
    lfd_jw_obj_begin(jw);
    lfd_jw_kint(jw, "frame", s->frame);
    lfd_jw_kstr(jw, "joint", r->joints[s->joint].name);
    lfd_jw_knum(jw, "torque_nm", s->torque_nm);
    lfd_jw_knum(jw, "limit_nm", s->limit_nm);
    lfd_jw_knum(jw, "still_nm", s->still_nm);
    lfd_jw_key(jw, "parts_nm");
    lfd_jw_obj_begin(jw);
    for (int p = 0; p < LFD_TQP_COUNT; p++)
        lfd_jw_knum(jw, lfd_torque_part_name(p), s->part_nm[p]);
    lfd_jw_obj_end(jw);
    lfd_jw_obj_end(jw);
}

/* appends to a finding's message; where it does not fit, the message ends
   at the last whole UTF-8 character (the text has "·") */
static void msg_add(lfd_check_finding *x, const char *fmt, ...)
{
    size_t l = strlen(x->msg);
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(x->msg + l, sizeof x->msg - l, fmt, ap);
    va_end(ap);
    if (w < 0 || (size_t)w < sizeof x->msg - l)
        return;
    /* cut: after the last whole character of what was appended */
    size_t e = strlen(x->msg), i = l, k;
    while (i < e && (k = lfd_util_utf8_len((const unsigned char *)x->msg + i, e - i)) > 0)
        i += k;
    x->msg[i] = '\0';
}

/* whether slowing frames first..last of m by s, with --fix's raised-cosine
   ramps either side, would push a joint past its limit at a frame where the
   motion keeps it within (lfd_check_slowdown_harm) */
int lfd_check_slowdown_harm_around(const lfd_checker *c, lfd_check_ws *ws, const lfd_motion *m,
                                   const lfd_check_opts *o, int first, int last, double s,
                                   lfd_slowdown_harm *h, lfd_err *err)
{
    const lfd_robot *r = lfd_checker_robot(c);
    int n = m->nframes, nj = r->njoints;
    double R = LFD_CHECK_FIX_RAMP_S * m->fps;
    int a = first - (int)ceil(R), b = last + (int)ceil(R);
    a = a < 0 ? 0 : a;
    b = b > n - 1 ? n - 1 : b;
    h->frame = h->joint = -1;
    if (a > b)
        return LFD_OK;
    size_t w = (size_t)(b - a + 1);
    double *buf = malloc(w * (2 * (size_t)nj + 1) * sizeof(double));
    if (!buf)
        return lfd_fail(err, LFD_ENOMEM, "out of memory");
    double *tau = buf, *still = buf + w * nj, *rate = buf + 2 * w * nj;
    for (int k = a; k <= b; k++) {
        double dist = k < first ? first - k : k > last ? k - last : 0;
        rate[k - a] = 1 + (s - 1) * lfd_check_ramp_w(dist, R);
    }
    int rc = lfd_check_torque_frames(c, ws, m, o, a, b, tau, still, err);
    if (rc == LFD_OK)
        lfd_check_slowdown_harm(r, o, a, b, tau, still, rate, h);
    free(buf);
    return rc;
}

int lfd_check_annotate_torque(const lfd_checker *c, lfd_check_ws *ws, const lfd_motion *m,
                              const lfd_check_opts *o, lfd_check_report *rep, lfd_err *err)
{
    const lfd_robot *r = lfd_checker_robot(c);
    lfd_check_opts def;
    o = opts_or(o, &def);
    for (int i = 0; i < rep->nfindings; i++) {
        lfd_check_finding *x = &rep->finding[i];
        if (x->kind != LFD_CK_TORQUE || x->severity != LFD_CHECK_FAIL || x->joint < 0 ||
            x->peak < 0 || x->peak >= m->nframes)
            continue;
        lfd_torque_split sp;
        int rc = lfd_check_explain_torque_with(c, ws, m, o, x->peak, x->joint, &sp, err);
        if (rc)
            return rc;
        double lim = x->limit, t = sp.torque_nm, t0 = sp.still_nm, td = t - t0;
        if (!isfinite(t0) || !(lim > 0))
            continue;
        if (fabs(t0) >= lim) {
            msg_add(x, "; held still the pose asks %.1f N·m: slowing down cannot fix it", fabs(t0));
        } else if (td != 0 && fabs(t) > lim) {
            /* the rest falls with 1/s^2: the slow-down --fix would make,
               to its aim under the limit */
            double s = lfd_check_slow_factor(t, t0, LFD_CHECK_FIX_AIM * lim);
            lfd_slowdown_harm h = {.frame = -1};
            if (s > 1 && s <= o->fix_time_max) {
                /* the slow-down --fix would make (its ramps included) must not
                   raise a neighbouring frame's torque past a limit */
                int rc = lfd_check_slowdown_harm_around(c, ws, m, o, x->first, x->last, s, &h, err);
                if (rc)
                    return rc;
            }
            if (!isfinite(s))
                msg_add(x, "; held still the pose asks %.1f N·m, over --fix's aim of %.1f: slowing down cannot fix it",
                        fabs(t0), LFD_CHECK_FIX_AIM * lim);
            else if (h.frame >= 0)
                msg_add(x,
                        "; held still the pose asks %.1f N·m: %.2fx slower fits its peak, but would raise "
                        "%s to %.1f N·m at frame %d, where the motion leans on its momentum (held still "
                        "%.1f N·m): slowing down cannot fix it",
                        fabs(t0), s, r->joints[h.joint].name, fabs(h.slowed_nm), h.frame, fabs(h.still_nm));
            else
                msg_add(x, "; held still the pose asks %.1f N·m: it fits %.2fx slower%s",
                        fabs(t0), s, s <= o->fix_time_max ? " (lfd check --fix)" : " (more than --fix-time-max)");
        }
    }
    return LFD_OK;
}

/* ---- why a frame needs external help ----------------------------------------------------- */
int lfd_check_explain_help(const lfd_robot *r, const lfd_motion *mo, const lfd_check_opts *opts,
                           int frame, lfd_help_split *out, lfd_err *err)
{
    memset(out, 0, sizeof *out);
    if (!r->floating)
        return lfd_fail(err, LFD_EARG, "%s has a fixed base: no ground wrench to explain", r->name);
    lfd_check_report *rep = NULL;
    lfd_checker *c = NULL;
    lfd_check_ws *ws = NULL;
    int k = 0, rc = lfd_checker_new(&c, r, err);
    if (rc == LFD_OK)
        rc = lfd_check_ws_new(&ws, c, err);
    if (rc == LFD_OK)
        rc = window_check(c, ws, mo, opts, frame, frame, &rep, &k, err);
    if (rc == LFD_OK) {
        out->lever_m = c->h_ref;
        const double *sw = rep->s_wrench + 12 * (size_t)k;
        out->frame = frame;
        out->help = rep->s_assist[k];
        out->weight_n = rep->weight_n;
        for (int i = 0; i < 3; i++) {
            out->need_n[i] = sw[i];
            out->need_nm[i] = sw[3 + i];
            out->miss_n[i] = sw[6 + i];
            out->miss_nm[i] = sw[9 + i];
        }
        out->feet = rep->s_contact ? rep->s_contact[k] : 0;
    }
    lfd_check_report_free(&rep);
    lfd_check_ws_free(&ws);
    lfd_checker_free(&c);
    return rc;
}

void lfd_help_split_print(const lfd_help_split *s, FILE *fp)
{
    double W = s->weight_n, L = s->lever_m;
    fprintf(fp, "external help at frame %d: %.1f %% of body weight (feet carrying load: %s)\n", s->frame,
            100 * s->help, s->feet == 3 ? "both" : s->feet == 1 ? "left" : s->feet == 2 ? "right" : "none");
    fprintf(fp, "  the motion asks of the floor: force %.0f %.0f %.0f N (%.2f body weights up), "
                "moment about the CoM %.1f %.1f %.1f N·m\n",
            s->need_n[0], s->need_n[1], s->need_n[2], s->need_n[2] / W, s->need_nm[0], s->need_nm[1],
            s->need_nm[2]);
    /* the parts of the misfit, forces as shares of W and moments of W x
       the lever (the check's units): the largest names the cause */
    double part[4] = {hypot(s->miss_n[0], s->miss_n[1]) / W, fabs(s->miss_n[2]) / W,
                      hypot(s->miss_nm[0], s->miss_nm[1]) / (W * L), fabs(s->miss_nm[2]) / (W * L)};
    static const char *why[4] = {"friction: the horizontal force is more than the soles can hold",
                                 "the vertical force (no foot to push on, or the push traded for the moments)",
                                 "the tilting moment: the ZMP outside the support polygon",
                                 "the yaw moment: twisting the soles' friction cannot hold"};
    int top = 0;
    for (int i = 1; i < 4; i++)
        if (part[i] > part[top])
            top = i;
    fprintf(fp, "  what the loaded sole corners cannot match (the closest wrench they give, as lfd check fits it):\n");
    fprintf(fp, "    horizontal force %8.1f N     (%.1f %% of body weight)\n", hypot(s->miss_n[0], s->miss_n[1]), 100 * part[0]);
    fprintf(fp, "    vertical force   %8.1f N     (%.1f %%; negative: more push than asked)\n", s->miss_n[2], 100 * part[1]);
    fprintf(fp, "    tilting moment   %8.1f N·m   (%.1f %% of body weight x %.2f m)\n",
            hypot(s->miss_nm[0], s->miss_nm[1]), 100 * part[2], L);
    fprintf(fp, "    yaw moment       %8.1f N·m   (%.1f %%)\n", s->miss_nm[2], 100 * part[3]);
    /* a cause only where there is help to explain (at 0.0 % it named the
       largest of four numerical zeros: found by review) */
    if (s->help >= 1e-3)
        fprintf(fp, "  mostly: %s\n", why[top]);
    else
        fprintf(fp, "  none to speak of: the loaded soles supply the motion's wrench\n");
}

void lfd_help_split_json(const lfd_help_split *s, lfd_jw *jw)
{
    lfd_jw_obj_begin(jw);
    lfd_jw_kint(jw, "frame", s->frame);
    lfd_jw_knum(jw, "help_body_weight", s->help);
    lfd_jw_kint(jw, "feet", s->feet);
    const char *k[4] = {"need_force_n", "need_moment_nm", "missing_force_n", "missing_moment_nm"};
    const double *v[4] = {s->need_n, s->need_nm, s->miss_n, s->miss_nm};
    for (int i = 0; i < 4; i++) {
        lfd_jw_key(jw, k[i]);
        lfd_jw_arr_begin(jw);
        for (int a = 0; a < 3; a++)
            lfd_jw_num(jw, v[i][a]);
        lfd_jw_arr_end(jw);
    }
    lfd_jw_obj_end(jw);
}

/* ---- what slowing down does to the torques ---------------------------------------------- */
int lfd_check_torque_frames(const lfd_checker *c, lfd_check_ws *ws, const lfd_motion *mo,
                            const lfd_check_opts *opts, int a, int b, double *tau, double *still,
                            lfd_err *err)
{
    const lfd_robot *r = lfd_checker_robot(c);
    int nj = r->njoints, ka = 0;
    /* the motion's own */
    lfd_check_report *rep = NULL;
    int rc = window_check(c, ws, mo, opts, a, b, &rep, &ka, err);
    if (rc)
        return rc;
    memcpy(tau, rep->s_torque + (size_t)ka * (size_t)nj, (size_t)(b - a + 1) * (size_t)nj * sizeof(double));
    /* held still: each frame three times, the middle one's torque (its
       neighbours are itself: no velocity, no acceleration) */
    int m3 = 3 * (b - a + 1);
    double *q = malloc((size_t)m3 * (size_t)mo->nq * sizeof(double));
    if (!q)
        rc = lfd_fail(err, LFD_ENOMEM, "out of memory");
    if (rc == LFD_OK) {
        lfd_check_opts o;
        series_opts(opts, &o);
        for (int k = 0; k < m3; k++)
            memcpy(q + (size_t)k * mo->nq, lfd_motion_frame(mo, a + k / 3), (size_t)mo->nq * sizeof(double));
        lfd_motion st = *mo;
        st.qpos = q;
        st.qvel = NULL;
        st.nframes = m3;
        if ((rc = lfd_check_motion(c, ws, &st, &o, rep, err)) == LFD_OK)
            for (int k = 0; k <= b - a; k++)
                memcpy(still + (size_t)k * nj, rep->s_torque + (size_t)(3 * k + 1) * (size_t)nj,
                       (size_t)nj * sizeof(double));
    }
    lfd_check_report_free(&rep);
    free(q);
    return rc;
}

int lfd_check_slowdown_harm(const lfd_robot *r, const lfd_check_opts *opts, int a, int b,
                            const double *tau, const double *still, const double *rate,
                            lfd_slowdown_harm *out)
{
    lfd_check_opts def;
    opts = opts_or(opts, &def);
    int nj = r->njoints;
    memset(out, 0, sizeof *out);
    out->frame = out->joint = -1;
    for (int k = 0; k <= b - a; k++) {
        double s = rate[k];
        if (!(s > 1))
            continue;
        for (int j = 0; j < nj; j++) {
            double lim = opts->torque_hard * r->joints[j].torque_max;
            if (!(lim > 0) || !isfinite(lim))
                continue;
            double t = tau[(size_t)k * nj + j], t0 = still[(size_t)k * nj + j];
            double ts = t0 + (t - t0) / (s * s);
            if (fabs(t) <= lim && fabs(ts) > lim) {
                out->frame = a + k;
                out->joint = j;
                out->torque_nm = t;
                out->slowed_nm = ts;
                out->still_nm = t0;
                out->rate = s;
                return 1;
            }
        }
    }
    return 0;
}

int lfd_check_momentum_frames(const lfd_checker *c, lfd_check_ws *ws, const lfd_motion *mo,
                              const lfd_check_opts *opts, int *count, lfd_err *err)
{
    const lfd_robot *r = lfd_checker_robot(c);
    lfd_check_opts def;
    opts = opts_or(opts, &def);
    int n = mo->nframes, nj = r->njoints;
    *count = 0;
    if (n < 1)
        return LFD_OK;
    double *tau = malloc(2 * (size_t)n * (size_t)nj * sizeof(double));
    if (!tau)
        return lfd_fail(err, LFD_ENOMEM, "out of memory");
    double *still = tau + (size_t)n * nj;
    int rc = lfd_check_torque_frames(c, ws, mo, opts, 0, n - 1, tau, still, err);
    for (int k = 0; rc == LFD_OK && k < n; k++)
        for (int j = 0; j < nj; j++) {
            double lim = opts->torque_hard * r->joints[j].torque_max;
            if (lim > 0 && isfinite(lim) && fabs(tau[(size_t)k * nj + j]) <= lim &&
                fabs(still[(size_t)k * nj + j]) > lim) {
                (*count)++;
                break;
            }
        }
    free(tau);
    return rc;
}
