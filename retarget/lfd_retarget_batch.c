/*  lfd_retarget_batch: a whole human clip onto a robot (resampling, the per-frame
    stream, optional smoothing, provenance) and the quality report (see
    lfd_retarget.h). */
#include "retarget/lfd_retarget_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/lfd_json.h"
#include "core/lfd_lineage.h"
#include "core/lfd_log.h"
#include "core/lfd_quat.h"
#include "robots/lfd_mj.h"

/* ---- batch ------------------------------------------------------------------------------ */

static void interp_input(const lfd_human *h, int f0, double x, double *cpos, double *seg,
                         uint8_t *contact)
{
    int last = h->nframes - 1;
    if (x < f0) x = f0;
    if (x > last) x = last;
    int i0 = (int)floor(x), i1 = i0 + 1 <= last ? i0 + 1 : i0;
    double a = x - i0;
    for (int cj = 0; cj < LFD_CJ_COUNT; cj++) {
        const double *p0 = lfd_human_cpos(h, i0, cj), *p1 = lfd_human_cpos(h, i1, cj);
        for (int k = 0; k < 3; k++)
            cpos[3 * cj + k] = (1 - a) * p0[k] + a * p1[k];
    }
    for (int sg = 0; sg < LFD_SEG_COUNT; sg++) {
        const double *s0 = lfd_human_seg(h, i0, sg), *s1 = lfd_human_seg(h, i1, sg);
        for (int k = 0; k < 3; k++)
            seg[7 * sg + k] = (1 - a) * s0[k] + a * s1[k];
        lfd_quat_slerp(seg + 7 * sg + 3, s0 + 3, s1 + 3, a);
    }
    int near = a < 0.5 ? i0 : i1;
    contact[0] = h->contact[(size_t)near * 2];
    contact[1] = h->contact[(size_t)near * 2 + 1];
}

static const char *IDENTIFYING_KEYS[] = {"bone_lengths", "bone_lengths_m", "height_m",
                                         "body_height_m", "body_measurements", "capture_location",
                                         "location", "gps"};

static int write_provenance(const lfd_robot *r, const lfd_human *h, const lfd_retarget_opts *o,
                            const lfd_retarget_report *rep, lfd_prov *out, lfd_err *err)
{
    int rc = lfd_prov_copy(out, &h->prov, err);
    if (rc)
        return rc;
    /* body measurements and capture location, at any depth */
    if (!o->keep_measurements &&
        (rc = lfd_prov_drop_keys(out, IDENTIFYING_KEYS,
                                 (int)(sizeof IDENTIFYING_KEYS / sizeof IDENTIFYING_KEYS[0]), NULL, err)))
        return rc;
    const char *base = strrchr(h->path, '/') ? strrchr(h->path, '/') + 1 : h->path;
    /* the input's own lineage goes under its "human" entry, once (the copy
       above brought it to the top as well), and from the provenance the
       identifying keys were dropped from (the nested copy kept gps and
       height_m: found by review) */
    lfd_prov_remove(out, "lineage");
    lfd_prov in;
    lfd_prov_init(&in);
    if ((rc = lfd_prov_copy(&in, &h->prov, err)) == LFD_OK && !o->keep_measurements)
        rc = lfd_prov_drop_keys(&in, IDENTIFYING_KEYS,
                                (int)(sizeof IDENTIFYING_KEYS / sizeof IDENTIFYING_KEYS[0]), NULL, err);
    if (rc == LFD_OK)
        rc = lfd_lineage_add_input(out, "human", base, h->sha256, &in, err);
    lfd_prov_free(&in);
    if (rc)
        return rc;
    /* the settings and the quality report, as one map under "retarget" */
    lfd_buf b;
    lfd_buf_init(&b, 1 << 20);
    lfd_jw jw;
    lfd_jw_init_buf(&jw, &b, 0);
    lfd_jw_obj_begin(&jw);
    lfd_jw_kstr(&jw, "robot", r->name);
    lfd_jw_kstr(&jw, "source", base);
    lfd_jw_kstr(&jw, "source_format", h->format);
    lfd_jw_kstr(&jw, "source_rig", h->rig);
    /* the recording's own rate, and the slow-down it was played at (found by
       review: a 120 Hz clip slowed 2x read source_fps 60 and said nothing) */
    double ts = o->time_scale > 0 ? o->time_scale : 1;
    lfd_jw_knum(&jw, "source_fps", h->fps * ts);
    if (ts != 1)
        lfd_jw_knum(&jw, "time_scale", ts);
    lfd_jw_kbool(&jw, "upper_body", o->upper_body);
    lfd_jw_knum(&jw, "smooth_hz", o->smooth_hz);
    if (o->swing_clear_m > 0) /* the swing clearance, when on (the default) */
        lfd_jw_knum(&jw, "swing_clear_m", o->swing_clear_m);
    lfd_jw_kbool(&jw, "contacts", !o->no_contacts);
    lfd_jw_kbool(&jw, "kept_measurements", o->keep_measurements);
    if (o->keep_measurements)
        lfd_jw_knum(&jw, "human_height_m", h->height_m);
    lfd_jw_key(&jw, "report");
    lfd_retarget_report_json(rep, &jw);
    lfd_jw_obj_end(&jw);
    lfd_json_doc *doc;
    rc = lfd_json_parse((const char *)b.data, b.len, "retarget report", &doc, err);
    lfd_buf_free(&b);
    if (rc)
        return rc;
    lfd_prov tmp;
    lfd_prov_init(&tmp);
    /* lfd_prov_from_json turns an object into keys; wrap it as one value */
    lfd_buf mb;
    msgpack_packer pk;
    lfd_buf_init(&mb, 1 << 20);
    lfd_packer_init(&pk, &mb);
    rc = lfd_prov_from_json(&tmp, lfd_json_root(doc), err);
    if (rc == LFD_OK) {
        lfd_prov_pack(&tmp, &pk);
        rc = lfd_buf_ok(&mb) ? lfd_prov_set_raw(out, "retarget", mb.data, mb.len, err)
                             : lfd_fail(err, LFD_ELIMIT, "retarget report too large");
    }
    lfd_buf_free(&mb);
    lfd_prov_free(&tmp);
    lfd_json_free(&doc);
    return rc;
}

static void add_err(double *mean, double *mx, double v)
{
    *mean += v;
    if (v > *mx)
        *mx = v;
}


static void clip_free(lfd_rt_clip *c)
{
    free(c->cpos);
    free(c->seg);
    free(c->contact);
    free(c->roll);
    free(c->tpel);
    free(c->pel);
    free(c->shift);
    free(c->dshift);
    free(c->work);
    free(c->limb_t);
    free(c->limb_on);
    free(c->pinned);
    free(c->feet_t);
    free(c->level);
    free(c->leg_side);
    free(c->no_support);
    free(c->no_support_all);
    memset(c, 0, sizeof *c);
}

static int clip_alloc(lfd_rt_clip *c, int n, int njoints, lfd_err *err)
{
    memset(c, 0, sizeof *c);
    c->n = n;
    size_t N = (size_t)n;
    c->cpos = malloc(N * 3 * LFD_CJ_COUNT * sizeof(double));
    c->seg = malloc(N * 7 * LFD_SEG_COUNT * sizeof(double));
    c->contact = malloc(N * 2);
    c->roll = malloc(N * 2 * sizeof(double));
    c->tpel = malloc(N * 3 * sizeof(double));
    c->pel = malloc(N * 3 * sizeof(double));
    c->shift = calloc(N * 3, sizeof(double));
    c->dshift = calloc(N * 2, sizeof(double));
    c->work = malloc((N * 6 + (size_t)(njoints > 0 ? njoints : 0)) * sizeof(double));
    c->limb_t = malloc(N * 12 * sizeof(double));
    c->limb_on = malloc(N * 4);
    c->pinned = malloc(N * 2);
    c->feet_t = calloc(N * 20, sizeof(double));
    c->level = calloc(N * 2, sizeof(double));
    c->leg_side = calloc((size_t)(njoints > 0 ? njoints : 1), sizeof(int));
    c->no_support = calloc(N, 1);
    c->no_support_all = calloc(N, 1);
    if (!c->no_support || !c->no_support_all || !c->feet_t || !c->level || !c->leg_side || !c->cpos || !c->seg || !c->contact || !c->roll || !c->tpel || !c->pel || !c->shift || !c->dshift || !c->work ||
        !c->limb_t || !c->limb_on || !c->pinned) {
        clip_free(c);
        return lfd_fail(err, LFD_ENOMEM, "out of memory for %d frames", n);
    }
    return LFD_OK;
}

/* How far each planted foot may roll (lfd_rt_roll_quat): 1 within
   ROLL_END_S of its contact phase's start or end (heel strike, heel-off),
   fading linearly to 0 over ROLL_FADE_S further in. */
static void roll_windows(lfd_rt_clip *c, double fps)
{
    double e0 = ROLL_END_S * fps, e1 = (ROLL_END_S + ROLL_FADE_S) * fps;
    for (int s = 0; s < 2; s++) {
        int k = 0;
        while (k < c->n) {
            if (!c->contact[2 * k + s]) {
                c->roll[2 * k + s] = 1;
                k++;
                continue;
            }
            int a = k;
            while (k < c->n && c->contact[2 * k + s])
                k++;
            int b = k - 1;
            for (int i = a; i <= b; i++) {
                double e = fmin(i - a, b - i);
                c->roll[2 * i + s] = e <= e0 ? 1 : e >= e1 ? 0 : (e1 - e) / (e1 - e0);
            }
        }
    }
}

/* One IK pass over the clip into m (shifts from c->shift when use_shift);
   records the pelvis reached (and, on a pass without shifts, the human's
   pelvis target); with rep, gathers the report's per-frame figures. */
static int run_pass(const lfd_retargeter *rt, lfd_retarget_stream *s, lfd_rt_clip *c, int use_shift,
                    lfd_motion *m, lfd_retarget_report *rep, const lfd_retarget_opts *o,
                    lfd_progress *prog, int prog_base, const char *path, lfd_err *err)
{
    const lfd_robot *r = rt->r;
    int nout = c->n, rc = LFD_OK;
    int hand_e[2] = {rt->entry_of[LFD_CJ_L_WRIST], rt->entry_of[LFD_CJ_R_WRIST]};
    lfd_retarget_stream_reset(s);
    if (use_shift)
        lfd_rt_stream_warm(s, lfd_motion_frame(m, 0)); /* the first pass's first frame */
    for (int k = 0; k < nout; k++) {
        lfd_retarget_input in = {c->cpos + (size_t)k * 3 * LFD_CJ_COUNT,
                                 c->seg + (size_t)k * 7 * LFD_SEG_COUNT, c->contact + 2 * k,
                                 use_shift ? c->shift + 3 * k : NULL, c->roll + 2 * k};
        lfd_retarget_info info;
        double *q = lfd_motion_frame(m, k);
        if ((rc = lfd_retarget_stream_push(s, &in, q, &info, err))) {
            lfd_err_prefix(err, "%s: frame %d", path, k);
            return rc;
        }
        mjData *d = lfd_ik_ws_data(s->ws);
        lfd_rt_map_point(r->m, d, &r->map[rt->pelvis_e], c->pel + 3 * k);
        if (!use_shift)
            memcpy(c->tpel + 3 * k, s->hpos + 3 * rt->pelvis_e, 3 * sizeof(double));
        if (o->progress && k % 256 == 0)
            lfd_progress_update(prog, prog_base + k);
        for (int side = 0; side < 2; side++) {
            /* pinned: the targets the stream used (pin_pending frames land, not pinned) */
            c->pinned[2 * k + side] = (uint8_t)info.pinned[side];
            int ae = rt->ankle_e[side], te = rt->toe_e[side];
            double *ft = c->feet_t + 20 * k + 10 * side;
            if (!info.pinned[side] || ae < 0)
                continue;
            memcpy(ft, s->tpos + 3 * ae, 3 * sizeof(double));
            memcpy(ft + 3, s->tquat + 4 * ae, 4 * sizeof(double));
            if (te >= 0)
                memcpy(ft + 7, s->tpos + 3 * te, 3 * sizeof(double));
        }
        for (int side = 0; side < 2; side++) {
            int le[2] = {hand_e[side], rt->ankle_e[side]};
            for (int u = 0; u < 2; u++) {
                int slot = 2 * u + side;
                c->limb_on[4 * k + slot] = le[u] >= 0 && s->pw[le[u]] > 0;
                if (le[u] >= 0)
                    memcpy(c->limb_t + 12 * k + 3 * slot, s->hpos + 3 * le[u], 3 * sizeof(double));
            }
        }
        if (!rep)
            continue;
        /* per-body errors against the targets used */
        for (int e = 0; e < rt->nmap; e++) {
            if (s->pw[e] > 0)
                add_err(&rep->pos_err_mean_m[e], &rep->pos_err_max_m[e], info.ik.pos_err_m[e]);
            if (s->rw[e] > 0)
                add_err(&rep->rot_err_mean_rad[e], &rep->rot_err_max_rad[e], info.ik.rot_err_rad[e]);
        }
        if (info.ik.at_limit)
            rep->limit_hit_frames++;
    }
    if (rep)
        for (int e = 0; e < rt->nmap; e++) {
            rep->pos_err_mean_m[e] /= nout;
            rep->rot_err_mean_rad[e] /= nout;
        }
    return LFD_OK;
}

/* the pelvis path of the second pass: the path the first pass reached,
   without its jumps (Whittaker smoother) */
static int smooth_pelvis(lfd_rt_clip *c, double fps)
{
    memcpy(c->shift, c->pel, (size_t)c->n * 3 * sizeof(double));
    double lambda = lfd_rt_smooth_lambda(ROOT_SMOOTH_HZ, fps);
    for (int a = 0; a < 3; a++) {
        int rc = lfd_rt_smooth_accel(c->shift + a, c->n, 3, NULL, lambda, c->work);
        if (rc)
            return rc;
    }
    for (int i = 0; i < 3 * c->n; i++)
        c->shift[i] -= c->tpel[i];
    return LFD_OK;
}

/* the figures run_pass gathers, back to zero before a pass that replaces them */
static void reset_ik_figures(lfd_retarget_report *rep)
{
    memset(rep->pos_err_mean_m, 0, sizeof rep->pos_err_mean_m);
    memset(rep->pos_err_max_m, 0, sizeof rep->pos_err_max_m);
    memset(rep->rot_err_mean_rad, 0, sizeof rep->rot_err_mean_rad);
    memset(rep->rot_err_max_rad, 0, sizeof rep->rot_err_max_rad);
    rep->limit_hit_frames = 0;
}


/* The report's figures of the written motion m: hands and feet against the
   human targets, foot slide within the contact phases of the last pass,
   floor, ranges, velocity, root jump and joint acceleration. */
static int measure_motion(const lfd_retargeter *rt, const lfd_rt_clip *c, const lfd_motion *m,
                          lfd_retarget_report *rep, lfd_err *err)
{
    const lfd_robot *r = rt->r;
    int n = m->nframes, nhand = 0, nfoot = 0, prev_pin[2] = {0, 0};
    double fps = m->fps, pin_start[2][3] = {{0}};
    int hand_e[2] = {rt->entry_of[LFD_CJ_L_WRIST], rt->entry_of[LFD_CJ_R_WRIST]};
    mjData *d = lfd_mj_make_data_kin(r->m);
    size_t nacc = n > 2 ? (size_t)(n - 2) * (size_t)r->njoints : 0;
    double *acc = malloc((nacc ? nacc : 1) * sizeof *acc);
    unsigned char *on = calloc((size_t)r->m->nbody, 1);
    if (!d || !acc || !on) {
        if (d)
            mj_deleteData(d);
        free(acc);
        free(on);
        return lfd_fail(err, LFD_ENOMEM, "out of memory");
    }
    /* the kinematics of the bodies read here only: the hands', the ankles'
       (map entries) and the feet's */
    for (int side = 0; side < 2; side++) {
        if (hand_e[side] >= 0)
            lfd_mj_mark_body(r->m, on, r->map[hand_e[side]].body_id);
        if (rt->ankle_e[side] >= 0)
            lfd_mj_mark_body(r->m, on, r->map[rt->ankle_e[side]].body_id);
        lfd_mj_mark_body(r->m, on, r->feet[side].body_id);
    }
    rep->hand_err_mean_m = rep->foot_err_mean_m = 0;
    rep->floor_pen_max_m = rep->foot_slide_max_m = rep->pin_lift_max_m = 0;
    rep->contact_phases = 0;
    for (int k = 0; k < n; k++) {
        memcpy(d->qpos, lfd_motion_frame(m, k), (size_t)m->nq * sizeof(double));
        lfd_mj_kinematics_some(r->m, d, on, NULL, 0);
        double foot[2][3];
        for (int side = 0; side < 2; side++) {
            double p[3];
            if (hand_e[side] >= 0 && c->limb_on[4 * k + side]) {
                lfd_rt_map_point(r->m, d, &r->map[hand_e[side]], p);
                rep->hand_err_mean_m += lfd_v3_dist(p, c->limb_t + 12 * k + 3 * side);
                nhand++;
            }
            if (rt->ankle_e[side] >= 0) {
                lfd_rt_map_point(r->m, d, &r->map[rt->ankle_e[side]], foot[side]);
                if (c->limb_on[4 * k + 2 + side]) {
                    rep->foot_err_mean_m += lfd_v3_dist(foot[side], c->limb_t + 12 * k + 3 * (2 + side));
                    nfoot++;
                }
            }
            /* foot slide within each contact phase: of the sole edge it
               stands on (the flat foot's ankle point, lfd_rt_unroll_ankle) */
            int pin = c->pinned[2 * k + side] && rt->ankle_e[side] >= 0;
            double flat[3];
            if (pin) {
                const lfd_robot_map_entry *ae = &r->map[rt->ankle_e[side]];
                double fq[4];
                lfd_rt_map_quat(d, ae, fq);
                lfd_rt_unroll_ankle(rt, side, foot[side], fq, flat);
            }
            if (pin && !prev_pin[side]) {
                rep->contact_phases++;
                memcpy(pin_start[side], flat, sizeof pin_start[side]);
            }
            if (pin) {
                rep->foot_slide_max_m = fmax(rep->foot_slide_max_m,
                                             hypot(flat[0] - pin_start[side][0],
                                                   flat[1] - pin_start[side][1]));
                rep->pin_lift_max_m = fmax(rep->pin_lift_max_m, lfd_rt_foot_lowest(r, d, side));
            }
            prev_pin[side] = pin;
        }
        rep->floor_pen_max_m = fmax(rep->floor_pen_max_m, -lfd_rt_lowest_sole(r, d));
    }
    rep->hand_err_mean_m = nhand ? rep->hand_err_mean_m / nhand : 0;
    rep->foot_err_mean_m = nfoot ? rep->foot_err_mean_m / nfoot : 0;
    rep->floor_pen_max_m = fmax(rep->floor_pen_max_m, 0);
    /* velocities and range */
    rep->range_violations = 0;
    rep->peak_vel_ratio = 0;
    for (int k = 0; k < n; k++)
        for (int j = 0; j < r->njoints; j++) {
            const lfd_robot_joint *J = &r->joints[j];
            double v = lfd_motion_frame(m, k)[J->qpos_adr];
            if (v < J->range_lo - 1e-9 || v > J->range_hi + 1e-9)
                rep->range_violations++;
            if (k) {
                double rate = fabs(v - lfd_motion_frame(m, k - 1)[J->qpos_adr]) * fps / J->vel_max;
                if (rate > rep->peak_vel_ratio) {
                    rep->peak_vel_ratio = rate;
                    snprintf(rep->peak_vel_joint, LFD_NAME_MAX, "%s", J->name);
                }
            }
        }
    /* root jump: deviation from the midpoint of the two neighbours; joint
       acceleration from second differences (docs/tools/retarget_table.py
       measures the same from the written file) */
    rep->root_jump_max_m = 0;
    rep->root_jump_frame = -1;
    size_t na = 0;
    for (int k = 1; k + 1 < n; k++) {
        const double *a = lfd_motion_frame(m, k - 1), *b = lfd_motion_frame(m, k),
                     *cc = lfd_motion_frame(m, k + 1);
        if (r->floating) {
            double dv[3];
            for (int i = 0; i < 3; i++)
                dv[i] = b[i] - 0.5 * (a[i] + cc[i]);
            double jmp = sqrt(lfd_v3_dot(dv, dv));
            if (jmp > rep->root_jump_max_m) {
                rep->root_jump_max_m = jmp;
                rep->root_jump_frame = k;
            }
        }
        for (int j = 0; j < r->njoints; j++) {
            int q = r->joints[j].qpos_adr;
            acc[na++] = fabs(cc[q] - 2 * b[q] + a[q]) * fps * fps;
        }
    }
    rep->acc_p99_rad_s2 = rep->acc_max_rad_s2 = 0;
    if (na) {
        size_t i99 = (size_t)(0.99 * (double)na);
        for (size_t i = 0; i < na; i++)
            rep->acc_max_rad_s2 = fmax(rep->acc_max_rad_s2, acc[i]);
        /* the 99th percentile by selection: measured after every round, a
           sort of n x joints values was a twentieth of the retargeting */
        rep->acc_p99_rad_s2 = lfd_util_select(acc, na, i99 < na ? i99 : na - 1);
    }
    free(acc);
    free(on);
    mj_deleteData(d);
    return LFD_OK;
}

/* The feet of the written motion m (c: its contact phases at m's rate),
   outside the report's needs-support ranges (sup): the swings between
   contact phases, the lowest sole corner over the middle half of each,
   where a person's toe clears the floor by 1-2 cm (docs/retarget.md part
   14), and how many pass under LFD_RETARGET_SWING_LOW_M; the planted soles'
   sideways tilt, mean and largest (part 15). */
static int measure_feet(const lfd_retargeter *rt, const lfd_rt_clip *c, const lfd_motion *m,
                          const lfd_support *sup, lfd_retarget_report *rep, lfd_err *err)
{
    const lfd_robot *r = rt->r;
    int n = m->nframes;
    rep->swings = rep->swings_low = 0;
    rep->swing_low_min_m = 0;
    rep->stance_roll_mean_rad = rep->stance_roll_max_rad = 0;
    if (!r->floating || n < 1)
        return LFD_OK;
    mjData *d = lfd_mj_make_data_kin(r->m);
    double *low = malloc(2 * (size_t)n * sizeof *low); /* each foot's lowest corner */
    unsigned char *on = calloc((size_t)r->m->nbody, 1), *seat = calloc((size_t)n, 1);
    int rc = d && low && on && seat ? LFD_OK : lfd_fail(err, LFD_ENOMEM, "out of memory");
    for (int i = 0; rc == LFD_OK && i < sup->nranges; i++)
        for (int k = sup->r[i].first; k <= sup->r[i].last && k < n; k++)
            seat[k] = 1;
    for (int side = 0; rc == LFD_OK && side < 2; side++)
        lfd_mj_mark_body(r->m, on, r->feet[side].body_id);
    int nroll = 0;
    for (int k = 0; rc == LFD_OK && k < n; k++) {
        memcpy(d->qpos, lfd_motion_frame(m, k), (size_t)m->nq * sizeof(double));
        lfd_mj_kinematics_some(r->m, d, on, NULL, 0);
        for (int side = 0; side < 2; side++) {
            low[2 * k + side] = lfd_rt_foot_lowest(r, d, side);
            /* a planted sole's sideways tilt: its side axis out of the
               horizontal (a pitch about that axis, as at heel-off, is not) */
            if (c->pinned[2 * k + side] && !seat[k] && r->feet[side].body_id >= 0) {
                double t = fabs(asin(fmin(1, fmax(-1, d->xmat[9 * r->feet[side].body_id + 7]))));
                rep->stance_roll_mean_rad += t;
                rep->stance_roll_max_rad = fmax(rep->stance_roll_max_rad, t);
                nroll++;
            }
        }
    }
    rep->stance_roll_mean_rad = nroll ? rep->stance_roll_mean_rad / nroll : 0;
    for (int side = 0; rc == LFD_OK && side < 2; side++)
        for (int k = 0; k < n; k++) {
            int a, b, seated = 0;
            if (!lfd_rt_swing_window(c, side, k, m->fps, &a, &b))
                continue;
            for (int f = a; f <= b; f++)
                seated |= seat[f];
            double lo = INFINITY;
            for (int f = a + 1; !seated && f < b; f++) {
                double u = (double)(f - a) / (b - a);
                if (u >= 0.25 && u <= 0.75)
                    lo = fmin(lo, low[2 * f + side]);
            }
            if (isfinite(lo)) {
                rep->swing_low_min_m = rep->swings ? fmin(rep->swing_low_min_m, lo) : lo;
                rep->swings++;
                rep->swings_low += lo < LFD_RETARGET_SWING_LOW_M;
            }
            k = b;
        }
    if (d)
        mj_deleteData(d);
    free(low);
    free(on);
    free(seat);
    return rc;
}

/* what a round or a direct step of the dynamics filter may not push a
   motion's figures past */
typedef struct dyn_caps {
    double slide, jump, floor, lift, hand, acc;
} dyn_caps;

/* the cap fig passes (LFD_RT_DYN_KEPT: none), with its figure and limit */
static lfd_retarget_dyn_stop caps_check(const lfd_retarget_report *fig, const dyn_caps *cap)
{
    const struct {
        lfd_rt_dyn_why why;
        double value, limit;
    } c[] = {{LFD_RT_DYN_SLIDE, fig->foot_slide_max_m, cap->slide},
             {LFD_RT_DYN_ROOT_JUMP, fig->root_jump_max_m, cap->jump},
             {LFD_RT_DYN_FLOOR, fig->floor_pen_max_m, cap->floor},
             {LFD_RT_DYN_LIFT, fig->pin_lift_max_m, cap->lift},
             {LFD_RT_DYN_HANDS, fig->hand_err_mean_m, cap->hand},
             {LFD_RT_DYN_ACC, fig->acc_p99_rad_s2, cap->acc}};
    /* of several, the one passed furthest for its cap */
    lfd_retarget_dyn_stop st = {0, LFD_RT_DYN_KEPT, 0, 0};
    double worst = 1;
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        double over = c[i].limit > 0 ? c[i].value / c[i].limit : INFINITY;
        if (!(c[i].value <= c[i].limit) && (st.why == LFD_RT_DYN_KEPT || over > worst)) {
            st = (lfd_retarget_dyn_stop){0, c[i].why, c[i].value, c[i].limit};
            worst = over;
        }
    }
    return st;
}

const char *lfd_rt_dyn_why_name(lfd_rt_dyn_why why)
{
    switch (why) {
    case LFD_RT_DYN_KEPT: return "kept";
    case LFD_RT_DYN_DONE: return "done";
    case LFD_RT_DYN_NO_CLOSER: return "no_closer";
    case LFD_RT_DYN_SLIDE: return "slide";
    case LFD_RT_DYN_ROOT_JUMP: return "root_jump";
    case LFD_RT_DYN_FLOOR: return "floor";
    case LFD_RT_DYN_LIFT: return "lift";
    case LFD_RT_DYN_HANDS: return "hands";
    case LFD_RT_DYN_ACC: return "acc";
    case LFD_RT_DYN_NOT_TRIED: return "not_tried";
    default: return "none";
    }
}

/* The frames of m that need support (lfd_support_from_robot, the rule of
   the report and of lfd check) marked in c->no_support: the dynamics filter
   gives them no ZMP target.  No foot support carries a person sitting on a
   stool; pulling such a frame's ZMP toward the feet would bend it into
   something else (and on CMU 13_01 it asked for a 10 m ZMP move that no
   shift makes, so the filter's iterations were spent on them). */
static int mark_no_support(const lfd_robot *r, lfd_rt_clip *c, const lfd_motion *m, lfd_err *err)
{
    lfd_support sup;
    mjData *d = lfd_mj_make_data_kin(r->m);
    int rc = d ? lfd_support_from_robot(r, r->m, d, m, &sup, err)
               : lfd_fail(err, LFD_ENOMEM, "out of memory for MuJoCo data");
    if (d)
        mj_deleteData(d);
    memset(c->no_support, 0, (size_t)c->n);
    memset(c->no_support_all, 0, (size_t)c->n);
    int e = c->no_support_trim;
    for (int i = 0; rc == LFD_OK && i < sup.nranges; i++)
        for (int k = sup.r[i].first; k <= sup.r[i].last && k < c->n; k++) {
            c->no_support_all[k] = 1;
            c->no_support[k] = k >= sup.r[i].first + e && k <= sup.r[i].last - e;
        }
    return rc;
}

/* --zmp-filter, DYN_ROUNDS times: the dynamics filter finds the root shift
   that brings the motion's ZMP into its support (lfd_rt_dynamics_filter);
   the second pass then runs again with its pelvis path shifted by it, so
   the arms keep their targets in the world and the feet their pins, and
   the smoothing, feet and floor steps follow.  The arms no longer move
   with the root, so the ZMP moves less than the filter planned: the next
   round corrects the rest.  The round whose motion has the smallest ZMP
   error (lfd_rt_zmp_error) is kept, with the contact phases and figures of
   its pass, if it does not push the root's jump or the floor penetration
   past lfd's warning thresholds (or past what the motion as it came in
   had), nor the planted feet's slide past lfd's threshold (a motion that
   came in past it: more than DYN_SLIDE_SLACK_M past what it had), nor the hands' mean error more than DYN_HAND_SLACK_M past what it
   was (and not past its threshold); none such keeps the motion as it came
   in.  The rounds stop at the first that is not kept, or when the filter
   asks less than DYN_MIN_SHIFT_M anywhere. */
static int dynamics_rounds(const lfd_retargeter *rt, lfd_retarget_stream *s, lfd_rt_clip *c,
                           lfd_motion *m, lfd_retarget_report *rep, const lfd_retarget_opts *o,
                           lfd_progress *prog, const char *path, lfd_err *err)
{
    const lfd_robot *r = rt->r;
    int n = c->n;
    size_t nq_all = (size_t)n * (size_t)m->nq;
    double e_best, e, worst;
    double *best = malloc(nq_all * sizeof(double));
    uint8_t *pinned = malloc((size_t)n * 2);
    double *tot = calloc((size_t)n * 4, sizeof(double)), shift_max = 0;
    double *tot_best = tot ? tot + 2 * n : NULL; /* the shift of the kept round */
    lfd_retarget_report *rep_best = malloc(sizeof *rep_best);
    lfd_retarget_report *fig = malloc(sizeof *fig);
    int rc = best && pinned && tot && rep_best && fig
                 ? mark_no_support(r, c, m, err)
                 : lfd_fail(err, LFD_ENOMEM, "out of memory");
    if (rc == LFD_OK)
        rc = lfd_rt_zmp_error(rt, m, LFD_RT_SUPPORT_LEVER, c->no_support, &e_best, &worst, err);
    /* the figures a round may not push past the warning thresholds (or
       past what the motion as it came in had) */
    dyn_caps cap = {0, 0, 0, 0, 0, INFINITY};
    if (rc == LFD_OK && (rc = measure_motion(rt, c, m, fig, err)) == LFD_OK) {
        /* within the slide threshold as it came in, it stays within it;
           past it already, it may slide DYN_SLIDE_SLACK_M more */
        cap.slide = fig->foot_slide_max_m > LFD_RETARGET_WARN_SLIDE_M
                        ? fig->foot_slide_max_m + DYN_SLIDE_SLACK_M
                        : LFD_RETARGET_WARN_SLIDE_M;
        cap.hand = fmin(fig->hand_err_mean_m + DYN_HAND_SLACK_M,
                        fmax(fig->hand_err_mean_m, LFD_RETARGET_WARN_HAND_M));
        cap.jump = fmax(fig->root_jump_max_m, LFD_RETARGET_WARN_ROOT_JUMP_M);
        cap.floor = fmax(fig->floor_pen_max_m, LFD_RETARGET_WARN_FLOOR_M);
        cap.lift = fmax(fig->pin_lift_max_m, LFD_RETARGET_PIN_LIFT_CAP_M);
    }
    if (rc == LFD_OK) {
        memcpy(best, m->qpos, nq_all * sizeof(double));
        memcpy(pinned, c->pinned, (size_t)n * 2);
        *rep_best = *rep;
    }
    lfd_retarget_opts oq = *o;
    oq.progress = 0;
    int first_refused = 0; /* a round runs only after the one before it was kept */
    int rounds_kept = 0;
    /* why the rounds ended: all kept unless one says otherwise */
    lfd_retarget_dyn_stop stop = {DYN_ROUNDS, LFD_RT_DYN_KEPT, 0, 0}, last = stop;
    for (int rd = 0; rd < DYN_ROUNDS && rc == LFD_OK; rd++) {
        double eio[3] = {NAN, NAN, NAN};
        if ((rc = lfd_rt_dynamics_filter(rt, c, m, LFD_RT_SUPPORT_LEVER, 0, 1, rep, tot, c->dshift, eio, err)))
            break;
        /* the shift of all rounds stays within ZMP_MAX_SHIFT_M; c->dshift
           becomes the shift this round applies */
        double dmax = 0;
        for (int k = 0; k < n; k++) {
            double *t = tot + 2 * k, x = t[0] + c->dshift[2 * k], y = t[1] + c->dshift[2 * k + 1];
            double l = hypot(x, y), f = l > ZMP_MAX_SHIFT_M ? ZMP_MAX_SHIFT_M / l : 1;
            dmax = fmax(dmax, hypot(c->dshift[2 * k], c->dshift[2 * k + 1]));
            c->dshift[2 * k] = f * x - t[0];
            c->dshift[2 * k + 1] = f * y - t[1];
        }
        if (dmax < DYN_MIN_SHIFT_M) {
            /* the ZMP is where it should be, or no shift the filter tried
               brought it closer */
            stop = (lfd_retarget_dyn_stop){rd + 1, eio[2] <= DYN_DONE_M ? LFD_RT_DYN_DONE : LFD_RT_DYN_NO_CLOSER, 0, 0};
            break;
        }
        /* the round's shift, and where the caps refuse it (its ZMPs closer
           to their support, but the feet sliding or the root jumping more
           than allowed) DYN_RETRIES more times at half the shift before */
        int kept = 0;
        double frac = 1;
        for (int tr = 0; tr <= DYN_RETRIES && rc == LFD_OK && !kept; tr++, frac *= 0.5) {
            double rshift_max = 0;
            for (int k = 0; k < n; k++)
                for (int a = 0; a < 2; a++) {
                    double dd = (tr ? -frac : frac) * c->dshift[2 * k + a]; /* 1, then 1/2, 1/4 of it */
                    c->shift[3 * k + a] += dd;
                    tot[2 * k + a] += dd;
                }
            for (int k = 0; k < n; k++)
                rshift_max = fmax(rshift_max, hypot(tot[2 * k], tot[2 * k + 1]));
            if (tr)
                memcpy(m->qpos, best, nq_all * sizeof(double)); /* the pass starts from frame 0 */
            reset_ik_figures(rep);
            if ((rc = run_pass(rt, s, c, 1, m, rep, &oq, prog, 0, path, err)))
                break;
            lfd_rt_contact_levels(r, c, m->fps);
            if (lfd_rt_smooth_motion(r, c, m, o->smooth_hz, c->work))
                rc = lfd_fail(err, LFD_ENUMERIC, "%s: smoothing failed", path);
            else if ((rc = lfd_rt_feet_step(rt, c, m, err)) == LFD_OK &&
                     (rc = lfd_rt_swing_clear_step(rt, c, m, c->work, err)) == LFD_OK &&
                     (rc = lfd_rt_floor_step(rt, m, c->work, err)) == LFD_OK)
                lfd_rt_impose_bounds(r, m);
            if (rc || (rc = lfd_rt_zmp_error(rt, m, LFD_RT_SUPPORT_LEVER, c->no_support, &e, &worst, err)))
                break;
            if (!(e < e_best)) {
                last = (lfd_retarget_dyn_stop){rd + 1, LFD_RT_DYN_NO_CLOSER, 0, 0};
                break; /* no closer: a smaller shift is not tried */
            }
            if ((rc = measure_motion(rt, c, m, fig, err)))
                break;
            last = caps_check(fig, &cap);
            last.round = rd + 1;
            if (last.why == LFD_RT_DYN_KEPT) {
                kept = 1;
                rounds_kept++;
                e_best = e;
                memcpy(best, m->qpos, nq_all * sizeof(double));
                memcpy(pinned, c->pinned, (size_t)n * 2);
                *rep_best = *rep;
                shift_max = rshift_max;
                memcpy(tot_best, tot, (size_t)n * 2 * sizeof(double));
            }
        }
        if (rc == LFD_OK && !kept) {
            stop = last;
            first_refused = rd == 0;
            break; /* a round that did not help: the next starts from its motion, and rarely does */
        }
    }
    if (rc == LFD_OK) {
        memcpy(m->qpos, best, nq_all * sizeof(double));
        memcpy(c->pinned, pinned, (size_t)n * 2);
        *rep = *rep_best;
        rep->zmp_shift_max_m = shift_max;
        rep->zmp_filter_ran = 1;
        rep->zmp_rounds_kept = rounds_kept;
        rep->zmp_direct_kept = 0;
        rep->zmp_left_frames = 0;
        for (int k = 0; k < n; k++)
            rep->zmp_left_frames += c->no_support[k];
        rep->zmp_rounds_stop = stop;
        for (int i = 0; i < 2; i++)
            rep->zmp_direct_stop[i] = (lfd_retarget_dyn_stop){i + 1, LFD_RT_DYN_NOT_TRIED, 0, 0};
    }
    /* The last corrections are applied as the filter makes them, the root
       moved and the legs keeping the feet, without a pass and smoothing
       after them: the ZMP's quick moves from foot to foot in double support
       need the body's acceleration to change within a frame or two, which
       the rounds' smoothing (LFD_RETARGET_SMOOTH_HZ) takes out again.  Kept
       on the same terms as a round, and as the arms move with the root here,
       only if the hands' mean error grows by DYN_HAND_SLACK_M at most and
       not past lfd's warning threshold (unless it was there already), and
       the acceleration p99 does not rise past its threshold (or what it
       was; DYN_ACC_SLACK).  The first works on the support the
       rounds used; the second on the exact one (lfd_rt_support_region),
       which asks more where a foot stands on its toe or heel edge: alone,
       it leaves single frames at a heel-off whose ZMP would have to move
       several centimetres within the frame, and the rounds then settle
       worse (G1's bandai1 walk: ankle pitch 1.07 of its limit against
       0.87); after the first, it takes what is still within reach (H1's
       LAFAN1 walk: 1.58 -> 0.90). */
    if (rc == LFD_OK && (rc = measure_motion(rt, c, m, fig, err)) == LFD_OK)
        cap.acc = fmax(fig->acc_p99_rad_s2, LFD_RETARGET_WARN_ACC_P99) * DYN_ACC_SLACK;
    static const int support[2] = {LFD_RT_SUPPORT_LEVER, LFD_RT_SUPPORT_EXACT};
    /* After a refused round and none kept, the direct steps are not tried:
       they move the arms with the root and answer to the acceleration guard
       too, and on the shared clips none was kept after a refused round
       (all 22 clip x robot rows at 30 fps identical with and without them);
       on a long clip the filter's iterations are the retargeting's largest
       cost (CMU 13_01 onto H1 at 120 Hz: 1,340 -> 2,800 frames/s). */
    for (int i = 0; i < 2 && rc == LFD_OK && !first_refused; i++) {
        /* the filter reports the ZMP error of the motion as it came in and
           as it leaves, on its support; measured again only where the bounds
           moved something after it (or it did not run) */
        double e0 = e_best, eio[3] = {NAN, NAN, NAN};
        /* the filter raises the report's largest shift by its own: kept
           only with the step (a refused step's shift was reported, H1's
           bandai2 walk 11.8 cm of a kept 7.9; found by review) */
        double shift_kept = rep->zmp_shift_max_m;
        memcpy(best, m->qpos, nq_all * sizeof(double));
        if ((rc = lfd_rt_dynamics_filter(rt, c, m, support[i], 1, 0, rep, tot_best, c->dshift, eio, err)))
            break;
        if (i > 0 && !isnan(eio[0]))
            e0 = eio[0];
        else if (i > 0 && (rc = lfd_rt_zmp_error(rt, m, support[i], c->no_support, &e0, &worst, err)))
            break; /* the filter did not run: m is as it came in */
        e = eio[1];
        if ((lfd_rt_impose_bounds(r, m) || isnan(e)) &&
            (rc = lfd_rt_zmp_error(rt, m, support[i], c->no_support, &e, &worst, err)))
            break;
        /* a filter with nothing to correct (no ZMP DYN_DONE_M or more off
           its support) returns m as it came */
        lfd_retarget_dyn_stop ds = {0, eio[2] <= DYN_DONE_M ? LFD_RT_DYN_DONE : LFD_RT_DYN_NO_CLOSER, 0, 0};
        if (e < e0 && (rc = measure_motion(rt, c, m, fig, err)) == LFD_OK)
            ds = caps_check(fig, &cap);
        /* a step that brought the ZMPs closer but passed a guard's cap is
           tried again at half and a quarter of its shift, from the motion
           before it: the caps are knife edges (H1's bandai2 walk: a planted
           foot's slide 1.01 cm against 1.00 came in at 1.00, and one frame
           more or less at the clip's end decided the step; its help went
           0.02 -> 0.07 with it refused) */
        /* (only a step that passed its cap by less than DYN_RETRY_OVER
           times: a smaller shift does not bring a root jump of 22 mm under
           its 5 mm, and on CMU 13_01 at 120 Hz those retries cost 9 % of
           the retargeting's instructions) */
        if (rc == LFD_OK && ds.why >= LFD_RT_DYN_SLIDE && ds.why <= LFD_RT_DYN_ACC &&
            ds.value < DYN_RETRY_OVER * ds.limit) {
            lfd_retarget_dyn_stop full = ds;
            double scale = 1;
            for (int h = 0; h < DYN_DIRECT_RETRIES && rc == LFD_OK && ds.why != LFD_RT_DYN_KEPT; h++) {
                scale *= 0.5;
                memcpy(m->qpos, best, nq_all * sizeof(double));
                double eh = NAN;
                if ((rc = lfd_rt_apply_shift(rt, c, m, c->dshift, scale, 1, err)) == LFD_OK) {
                    lfd_rt_impose_bounds(r, m);
                    rc = lfd_rt_zmp_error(rt, m, support[i], c->no_support, &eh, &worst, err);
                }
                ds = full;
                if (rc == LFD_OK && eh < e0 && (rc = measure_motion(rt, c, m, fig, err)) == LFD_OK)
                    ds = caps_check(fig, &cap);
            }
            if (rc == LFD_OK && ds.why == LFD_RT_DYN_KEPT)
                for (int k = 0; k < 2 * n; k++)
                    c->dshift[k] *= scale;
            else
                ds = full; /* the full step's reason is the one reported */
        }
        ds.round = i + 1;
        rep->zmp_direct_stop[i] = ds;
        if (rc == LFD_OK && ds.why == LFD_RT_DYN_KEPT) {
            rep->zmp_direct_kept++;
            for (int k = 0; k < 2 * n; k++)
                tot_best[k] += c->dshift[k];
            for (int k = 0; k < n; k++)
                rep->zmp_shift_max_m =
                    fmax(rep->zmp_shift_max_m, hypot(tot_best[2 * k], tot_best[2 * k + 1]));
        } else if (rc == LFD_OK) {
            memcpy(m->qpos, best, nq_all * sizeof(double));
            rep->zmp_shift_max_m = shift_kept;
        }
    }
    free(fig);
    free(tot);
    free(best);
    free(pinned);
    free(rep_best);
    return rc;
}

/* The stride of the solved frames (lfd_retarget_opts.solve_every_frame):
   1, or with smoothing on the output frames per LFD_RETARGET_SOLVE_HZ
   frame, rounded down, if the clip keeps 4 solved frames or more. */
static int solve_stride(const lfd_retarget_opts *o, double fps, int nout)
{
    if (o->solve_every_frame || !(o->smooth_hz > 0))
        return 1;
    int k = (int)floor(fps / LFD_RETARGET_SOLVE_HZ + 1e-9);
    return k > 1 && (nout - 1 + k - 1) / k + 1 >= 4 ? k : 1;
}

/* The output-rate clip cf's figures for measure_motion from the solved
   clip c (knots every k-th frame): targets splined, a target in use or a
   foot pinned where it was at both solved frames around. */
static void clip_up(const lfd_rt_clip *c, int k, lfd_rt_clip *cf)
{
    for (int i = 0; i < 12; i++)
        lfd_rt_spline_up(c->limb_t + i, c->n, 12, k, cf->limb_t + i, cf->n, 12, c->work);
    for (int j = 0; j < cf->n; j++) { /* cf->n <= (c->n - 1) k + 1 */
        int a = j / k, b = j % k ? a + 1 : a;
        for (int u = 0; u < 4; u++)
            cf->limb_on[4 * j + u] = c->limb_on[4 * a + u] && c->limb_on[4 * b + u];
        for (int u = 0; u < 2; u++)
            cf->pinned[2 * j + u] = c->pinned[2 * a + u] && c->pinned[2 * b + u];
    }
}

int lfd_retarget_human(const lfd_robot *r, const lfd_human *h, const lfd_retarget_opts *opts_in,
                       lfd_motion *m, lfd_retarget_report *rep, lfd_err *err)
{
    memset(m, 0, sizeof *m);
    memset(rep, 0, sizeof *rep);
    lfd_retarget_opts o;
    if (opts_in)
        o = *opts_in;
    else
        lfd_retarget_opts_init(&o);
    if (h->nonfinite)
        return lfd_fail(err, LFD_ENUMERIC, "%s: the human motion has NaN or infinite values",
                        h->path);
    int f0 = h->ref_pose && !h->ref_dropped ? 1 : 0;
    double fps = o.fps > 0 ? o.fps : h->fps;
    double dur = (h->nframes - 1 - f0) / h->fps;
    /* slack of a thousandth of a frame and 1e-5 of the clip: a BVH's Frame
       Time is written with 6-7 digits (LAFAN1's and mixamo's 0.0333333 s is
       30.00003 Hz), so at --out-fps 30 the last frame fell microseconds past
       the clip's end and was dropped (69 frames in, 68 out; bandai's 1901
       in, 1900 out).  The last one is clamped to the clip's last frame. */
    int nout = (int)floor(dur * fps * (1 + 1e-5) + 1e-3) + 1;
    if (nout < 1 || h->nframes - f0 < 1)
        return lfd_fail(err, LFD_EARG, "%s: no frames to retarget", h->path);
    /* the passes solve every k-th output frame at fps_s (ns frames, the
       last at or just past the clip's end, where the person holds still)
       into ms, splined to the output rate at the end */
    int k = solve_stride(&o, fps, nout);
    int ns = k > 1 ? (nout - 1 + k - 1) / k + 1 : nout;
    double fps_s = fps / k;
    lfd_retarget_calib calib;
    lfd_retargeter *rt = NULL;
    lfd_retarget_stream *s = NULL;
    lfd_rt_clip c, cf;
    lfd_motion ms;
    memset(&c, 0, sizeof c);
    memset(&cf, 0, sizeof cf);
    memset(&ms, 0, sizeof ms);
    lfd_motion *mw = k > 1 ? &ms : m; /* the motion the passes write */
    int rc = lfd_retarget_calib_from_human(r, h, &calib, err);
    if (rc == LFD_OK)
        rc = lfd_retargeter_new(&rt, r, &calib, &o, err);
    if (rc == LFD_OK)
        rc = lfd_retarget_stream_new(&s, rt, fps_s, err);
    if (rc == LFD_OK)
        rc = lfd_robot_motion_alloc(r, m, nout, fps, 0, err);
    if (rc == LFD_OK && k > 1)
        rc = lfd_robot_motion_alloc(r, &ms, ns, fps_s, 0, err);
    if (rc == LFD_OK)
        rc = clip_alloc(&c, ns, r->njoints, err);
    if (rc == LFD_OK && k > 1)
        rc = clip_alloc(&cf, nout, r->njoints, err); /* the output rate's figures */
    if (rc)
        goto done;
    rep->frames = nout;
    rep->fps = fps;
    rep->solve_fps = fps_s;
    rep->nmap = rt->nmap;
    rep->scale_root = rt->s_root;
    for (int e = 0; e < rt->nmap; e++) {
        rep->map_cj[e] = rt->cj[e];
        snprintf(rep->map_body[e], LFD_NAME_MAX, "%s", r->map[e].body);
    }
    /* The human smoothed over the clip first: the targets then ask for no
       more acceleration than the cutoff lets through.  The inputs are
       sampled at ka times the output rate (ka: the whole multiple nearest
       below the person's rate, 1 when the output is as fast or faster),
       smoothed there and taken on every (k ka)-th frame: the smoothing is
       the filter against aliasing (its gain at 15 Hz is 0.5 %).  Sampled
       at the output rate directly, a 120 Hz capture's jitter above 15 Hz
       folded into the 30 fps targets (xia walk onto H1 at 30 fps:
       acceleration p99 59 -> 50 rad/s^2 with this).  So a clip is solved
       from the same targets at every output rate with the same solve rate. */
    int ka = o.smooth_hz > 0 ? (int)floor(h->fps / fps + 1e-3) : 1;
    ka = ka < 1 ? 1 : ka;
    int step = k * ka;
    double fps_i = fps * ka;
    lfd_rt_clip ca, *ci = &c;
    memset(&ca, 0, sizeof ca);
    if (step > 1) {
        if ((rc = clip_alloc(&ca, (ns - 1) * step + 1, r->njoints, err)))
            goto done;
        ci = &ca;
    }
    for (int i = 0; i < ci->n; i++)
        interp_input(h, f0, f0 + i * h->fps / fps_i, ci->cpos + (size_t)i * 3 * LFD_CJ_COUNT,
                     ci->seg + (size_t)i * 7 * LFD_SEG_COUNT, ci->contact + 2 * i);
    if (o.smooth_hz > 0 && ci->n >= 4 && (rc = lfd_rt_smooth_inputs(ci, o.smooth_hz, fps_i))) {
        clip_free(&ca);
        rc = lfd_fail(err, LFD_ENUMERIC, "%s: smoothing failed", h->path);
        goto done;
    }
    for (int i = 0; ci != &c && i < ns; i++) {
        size_t j = (size_t)i * (size_t)step;
        memcpy(c.cpos + (size_t)i * 3 * LFD_CJ_COUNT, ci->cpos + j * 3 * LFD_CJ_COUNT,
               3 * LFD_CJ_COUNT * sizeof(double));
        memcpy(c.seg + (size_t)i * 7 * LFD_SEG_COUNT, ci->seg + j * 7 * LFD_SEG_COUNT,
               7 * LFD_SEG_COUNT * sizeof(double));
        c.contact[2 * i] = ci->contact[2 * j];
        c.contact[2 * i + 1] = ci->contact[2 * j + 1];
    }
    clip_free(&ca);
    roll_windows(&c, fps_s);
    /* whole body: a first pass finds the pelvis path the legs can reach, the
       second follows it without jumps; upper body: one pass */
    int whole = !o.upper_body && ns >= 3;
    int npass = whole ? 2 : 1;
    lfd_progress prog;
    lfd_progress_start(&prog, "retarget", npass * ns);
    double t0 = lfd_now_s();
    for (int pass = 0; pass < npass && rc == LFD_OK; pass++) {
        int last = pass == npass - 1;
        if (pass == 1)
            rc = smooth_pelvis(&c, fps_s)
                     ? lfd_fail(err, LFD_ENUMERIC, "%s: pelvis path smoothing failed", h->path)
                     : LFD_OK;
        if (rc == LFD_OK)
            rc = run_pass(rt, s, &c, pass > 0, mw, last ? rep : NULL, &o, &prog, pass * ns, h->path, err);
    }
    rep->seconds = lfd_now_s() - t0;
    if (o.progress)
        lfd_progress_update(&prog, npass * ns);
    if (rc)
        goto done;
    rep->frames_per_s = nout / fmax(rep->seconds, 1e-9);
    /* the whole clip smoothed (root, joints), planted feet put back, then the
       joints' hard bounds again.  Where that moves planted feet or soles
       further than the unsmoothed motion did (beyond SMOOTH_SLIDE_MAX_M /
       SMOOTH_FLOOR_MAX_M), the unsmoothed motion is kept and the report
       says so, if its acceleration is not much higher (SMOOTH_KEEP_ACC_RATIO):
       a smooth motion that skates is not the better one, nor a jerky one */
    int smooth = o.smooth_hz > 0 && ns >= 4;
    double *raw = NULL;
    /* the IK figures of the pass that made raw (the filter's rounds replace
       them with their own pass's): the report's, should raw be written */
    lfd_retarget_report *ik_raw = smooth ? malloc(sizeof *ik_raw) : NULL;
    if (ik_raw)
        *ik_raw = *rep;
    if (smooth && (!ik_raw || !(raw = malloc((size_t)ns * (size_t)mw->nq * sizeof(double)))))
        rc = lfd_fail(err, LFD_ENOMEM, "out of memory");
    if (rc == LFD_OK && smooth) {
        memcpy(raw, mw->qpos, (size_t)ns * (size_t)mw->nq * sizeof(double));
        lfd_rt_contact_levels(r, &c, fps_s);
        if (lfd_rt_smooth_motion(r, &c, mw, o.smooth_hz, c.work))
            rc = lfd_fail(err, LFD_ENUMERIC, "%s: smoothing failed", h->path);
        else if ((rc = lfd_rt_feet_step(rt, &c, mw, err)) == LFD_OK &&
                 /* the swing clearance lifts no foot in frames that need
                    support (the person sitting down lifts their feet) */
                 (o.swing_clear_m <= 0 || o.upper_body || !r->floating ||
                  (rc = mark_no_support(r, &c, mw, err)) == LFD_OK) &&
                 (rc = lfd_rt_swing_clear_step(rt, &c, mw, c.work, err)) == LFD_OK &&
                 (rc = lfd_rt_floor_step(rt, mw, c.work, err)) == LFD_OK)
            lfd_rt_impose_bounds(r, mw);
        /* Solved below the output rate, the filter's ZMP targets reach one
           solved frame into each needs-support range: the spline to the output
           rate spreads a solved frame's acceleration over the interval before
           it, and the output's own ranges start and end between solved
           frames.  With the first solved frame of a seated range left free,
           the correction turned there, and the output frames just before the
           range needed help (G1's sitting clip at 120 Hz: 0.12-0.30 body
           weights at frames 1525-1529, failing on 3 draws of 5; 0.02-0.05 and
           warn on all 5 with this; H1's sitting clip, failing either way, goes
           from 10-11 % to 15-19 % of its frames failing, docs/retarget.md part
           10).  At the solve rate itself the edge frames stay free (there the
           same trim fails one 30 fps draw of five on G1). */
        c.no_support_trim = k > 1 ? 1 : 0;
        if (rc == LFD_OK && o.zmp_filter && !o.upper_body)
            rc = dynamics_rounds(rt, s, &c, mw, rep, &o, &prog, h->path, err);
    }
    if (rc == LFD_OK)
        rc = measure_motion(rt, &c, mw, rep, err);
    if (rc == LFD_OK && smooth &&
        (rep->foot_slide_max_m > SMOOTH_SLIDE_MAX_M || rep->floor_pen_max_m > SMOOTH_FLOOR_MAX_M)) {
        /* swap in the unsmoothed motion; swap back unless it is better */
        lfd_retarget_report sm = *rep;
        double *tmp = mw->qpos;
        mw->qpos = raw;
        raw = tmp;
        rc = measure_motion(rt, &c, mw, rep, err);
        if (rc == LFD_OK && rep->foot_slide_max_m <= sm.foot_slide_max_m &&
            rep->floor_pen_max_m <= sm.floor_pen_max_m + 1e-4 &&
            rep->acc_p99_rad_s2 <= SMOOTH_KEEP_ACC_RATIO * sm.acc_p99_rad_s2) {
            rep->smoothing_kept_off = 1;
            memcpy(rep->pos_err_mean_m, ik_raw->pos_err_mean_m, sizeof rep->pos_err_mean_m);
            memcpy(rep->pos_err_max_m, ik_raw->pos_err_max_m, sizeof rep->pos_err_max_m);
            memcpy(rep->rot_err_mean_rad, ik_raw->rot_err_mean_rad, sizeof rep->rot_err_mean_rad);
            memcpy(rep->rot_err_max_rad, ik_raw->rot_err_max_rad, sizeof rep->rot_err_max_rad);
            rep->limit_hit_frames = ik_raw->limit_hit_frames;
            /* the motion written is the one from before the filter too */
            rep->zmp_shift_max_m = 0;
            rep->zmp_rounds_kept = rep->zmp_direct_kept = rep->zmp_left_frames = 0;
            rep->zmp_rounds_stop = rep->zmp_direct_stop[0] = rep->zmp_direct_stop[1] =
                (lfd_retarget_dyn_stop){0, LFD_RT_DYN_NONE, 0, 0};
        } else if (rc == LFD_OK) {
            tmp = mw->qpos;
            mw->qpos = raw;
            raw = tmp;
            *rep = sm;
        }
    }
    free(raw);
    free(ik_raw);
    if (rc)
        goto done;
    if (k > 1) {
        /* the solved motion at the output rate, measured there: the report
           is of the motion written.  Counts of solved frames become output
           frames in proportion. */
        lfd_rt_upsample_motion(r, &ms, k, m, c.work);
        clip_up(&c, k, &cf);
        rep->limit_hit_frames = (int)lround((double)rep->limit_hit_frames * nout / ns);
        rep->zmp_left_frames = (int)lround((double)rep->zmp_left_frames * nout / ns);
        if ((rc = measure_motion(rt, &cf, m, rep, err)))
            goto done;
    }
    /* the arms out of the body where the legs' steps left one in it, on the
       motion written; measured again if it moved anything */
    {
        int ng = lfd_rt_arms_guard(rt, m, err);
        if (ng < 0) {
            rc = ng;
            goto done;
        }
        rep->arms_guard_frames = ng;
        int moved = ng > 0;
        /* flights in free fall, on the motion written (the rate lfd check
           differentiates at), before the torque step so that it sees them */
        if (o.flight_step && !o.upper_body) {
            if ((rc = lfd_rt_flight_step(rt, m, &rep->flight, err)))
                goto done;
            moved |= rep->flight.phases_kept > 0;
        }
        /* the upper body's torques within their limits, on the motion written
           (the rate lfd check differentiates at) */
        if (o.torque_step) {
            if ((rc = lfd_rt_torque_step(r, m, &rep->torque, err)))
                goto done;
            moved |= rep->torque.windows > 0;
        }
        if (moved && (rc = measure_motion(rt, k > 1 ? &cf : &c, m, rep, err)))
            goto done;
    }
    lfd_retarget_root_travel(h, m, rt->s_xy, o.upper_body, rep);
    /* "needs support" on the written motion: the rule and the call of lfd check */
    {
        mjData *d = lfd_mj_make_data_kin(r->m);
        rc = d ? lfd_support_from_robot(r, r->m, d, m, &rep->support, err)
               : lfd_fail(err, LFD_ENOMEM, "out of memory for MuJoCo data");
        if (d)
            mj_deleteData(d);
        if (rc || (rc = measure_feet(rt, k > 1 ? &cf : &c, m, &rep->support, rep, err)))
            goto done;
    }
    if ((rc = write_provenance(r, h, &o, rep, &m->prov, err)) == LFD_OK)
        rc = lfd_motion_validate(m, err);
done:
    if (rc)
        lfd_motion_free(m);
    lfd_motion_free(&ms);
    clip_free(&c);
    clip_free(&cf);
    lfd_retarget_stream_free(&s);
    lfd_retargeter_free(&rt);
    if (rc == LFD_OK && o.progress)
        lfd_progress_end(&prog);
    return rc;
}

/* ---- report ----------------------------------------------------------------------------- */

/* the person's pelvis (x, y) at fractional source frame x (clamped), linearly */
static void human_pelvis_xy(const lfd_human *h, double x, double out[2])
{
    int last = h->nframes - 1;
    x = x < 0 ? 0 : x > last ? last : x;
    int i0 = (int)floor(x), i1 = i0 < last ? i0 + 1 : i0;
    double a = x - i0;
    const double *p0 = lfd_human_cpos(h, i0, LFD_CJ_PELVIS), *p1 = lfd_human_cpos(h, i1, LFD_CJ_PELVIS);
    out[0] = (1 - a) * p0[0] + a * p1[0];
    out[1] = (1 - a) * p0[1] + a * p1[1];
}

void lfd_retarget_root_travel(const lfd_human *h, const lfd_motion *m, double s_xy, int upper_body,
                              lfd_retarget_report *rep)
{
    rep->root_travel_m = rep->human_travel_m = rep->root_speed_ratio = 0;
    rep->root_speed_judged = 0;
    int n = m->nframes;
    if (n < 2 || !(m->fps > 0) || !(h->fps > 0) || h->nframes < 1)
        return;
    int f0 = h->ref_pose && !h->ref_dropped ? 1 : 0;
    int step = (int)lround(LFD_RETARGET_TRAVEL_STEP_S * m->fps);
    if (step < 1)
        step = 1;
    /* both paths over the same times: output frame k is source frame
       f0 + k * h->fps / m->fps (lfd_retarget_human's resampling) */
    double hp[2], rp[2] = {0, 0};
    human_pelvis_xy(h, f0, hp);
    if (m->floating)
        rp[0] = lfd_motion_frame(m, 0)[0], rp[1] = lfd_motion_frame(m, 0)[1];
    for (int k = step;; k += step) {
        if (k > n - 1)
            k = n - 1;
        double hq[2], rq[2];
        human_pelvis_xy(h, f0 + k * h->fps / m->fps, hq);
        rep->human_travel_m += s_xy * hypot(hq[0] - hp[0], hq[1] - hp[1]);
        hp[0] = hq[0], hp[1] = hq[1];
        if (m->floating) {
            rq[0] = lfd_motion_frame(m, k)[0], rq[1] = lfd_motion_frame(m, k)[1];
            rep->root_travel_m += hypot(rq[0] - rp[0], rq[1] - rp[1]);
            rp[0] = rq[0], rp[1] = rq[1];
        }
        if (k == n - 1)
            break;
    }
    if (!m->floating || upper_body || rep->human_travel_m < LFD_RETARGET_TRAVEL_MIN_M)
        return;
    rep->root_speed_judged = 1;
    rep->root_speed_ratio = rep->root_travel_m / rep->human_travel_m;
}

/* value and cap, scaled, with the decimals (from d, two more at most)
   that tell them apart: "1.6 cm, cap 1.5", "72.94 rad/s^2, cap 72.93" */
static void value_cap(char *buf, size_t n, double v, double l, double scale, int d, const char *unit)
{
    char a[32], b[32];
    for (int k = d; k <= d + 2; k++) {
        snprintf(a, sizeof a, "%.*f", k, scale * v);
        snprintf(b, sizeof b, "%.*f", k, scale * l);
        if (strcmp(a, b))
            break;
    }
    snprintf(buf, n, "%s %s, cap %s", a, unit, b);
}

/* one step of the dynamics filter in words: kept, or why not */
static void dyn_stop_text(const lfd_retarget_dyn_stop *st, char *buf, size_t n)
{
    /* the caps: the figure's name, its scale to the unit printed, decimals, unit */
    static const struct {
        lfd_rt_dyn_why why;
        const char *figure;
        double scale;
        int decimals;
        const char *unit;
    } caps[] = {{LFD_RT_DYN_SLIDE, "planted-foot slide", 100, 1, "cm"},
                {LFD_RT_DYN_ROOT_JUMP, "root jump", 1000, 1, "mm"},
                {LFD_RT_DYN_FLOOR, "floor penetration", 1000, 1, "mm"},
                {LFD_RT_DYN_LIFT, "a planted foot's lift off the floor", 1000, 1, "mm"},
                {LFD_RT_DYN_HANDS, "the hands' mean error", 100, 1, "cm"},
                {LFD_RT_DYN_ACC, "joint acceleration p99", 1, 0, "rad/s^2"}};
    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++)
        if (caps[i].why == st->why) {
            char vc[96];
            value_cap(vc, sizeof vc, st->value, st->limit, caps[i].scale, caps[i].decimals, caps[i].unit);
            snprintf(buf, n, "not kept (%s would be %s)", caps[i].figure, vc);
            return;
        }
    snprintf(buf, n, "%s",
             st->why == LFD_RT_DYN_KEPT       ? "kept"
             : st->why == LFD_RT_DYN_DONE     ? "nothing left to correct"
             : st->why == LFD_RT_DYN_NO_CLOSER ? "not kept (its ZMPs no closer to their support)"
             : st->why == LFD_RT_DYN_NOT_TRIED ? "not tried (the first round was not kept)"
                                              : "-");
}

int lfd_retarget_report_warnings(const lfd_retarget_report *rep,
                                 char out[LFD_RETARGET_WARN_MAX][LFD_RETARGET_WARN_LEN])
{
    int n = 0;
    if (rep->hand_err_mean_m > LFD_RETARGET_WARN_HAND_M)
        snprintf(out[n++], LFD_RETARGET_WARN_LEN,
                 "hands %.1f cm from their targets on average (threshold %.0f cm)",
                 100 * rep->hand_err_mean_m, 100 * LFD_RETARGET_WARN_HAND_M);
    if (rep->frames > 0 && rep->limit_hit_frames > LFD_RETARGET_WARN_BOUND_SHARE * rep->frames)
        snprintf(out[n++], LFD_RETARGET_WARN_LEN,
                 "a joint at a range bound in %.0f %% of the frames (threshold %.0f %%)",
                 100.0 * rep->limit_hit_frames / rep->frames, 100 * LFD_RETARGET_WARN_BOUND_SHARE);
    if (rep->root_jump_max_m > LFD_RETARGET_WARN_ROOT_JUMP_M)
        snprintf(out[n++], LFD_RETARGET_WARN_LEN,
                 "root jumps %.1f mm in one frame at frame %d (threshold %.0f mm)",
                 1000 * rep->root_jump_max_m, rep->root_jump_frame, 1000 * LFD_RETARGET_WARN_ROOT_JUMP_M);
    if (rep->acc_p99_rad_s2 > LFD_RETARGET_WARN_ACC_P99)
        snprintf(out[n++], LFD_RETARGET_WARN_LEN,
                 "joint acceleration p99 %.0f rad/s^2 (threshold %.0f)", rep->acc_p99_rad_s2,
                 LFD_RETARGET_WARN_ACC_P99);
    if (rep->foot_slide_max_m > LFD_RETARGET_WARN_SLIDE_M)
        snprintf(out[n++], LFD_RETARGET_WARN_LEN,
                 "a planted foot slides %.1f cm (threshold %.0f cm)", 100 * rep->foot_slide_max_m,
                 100 * LFD_RETARGET_WARN_SLIDE_M);
    if (rep->floor_pen_max_m > LFD_RETARGET_WARN_FLOOR_M)
        snprintf(out[n++], LFD_RETARGET_WARN_LEN,
                 "a sole %.1f mm below the floor (threshold %.0f mm)", 1000 * rep->floor_pen_max_m,
                 1000 * LFD_RETARGET_WARN_FLOOR_M);
    if (rep->stance_roll_mean_rad > LFD_RETARGET_WARN_STANCE_ROLL_RAD)
        snprintf(out[n++], LFD_RETARGET_WARN_LEN,
                 "planted soles tilted sideways %.2f rad on average, %.2f at most: they stand on an edge "
                 "(threshold %.2f rad)",
                 rep->stance_roll_mean_rad, rep->stance_roll_max_rad, LFD_RETARGET_WARN_STANCE_ROLL_RAD);
    if (rep->root_speed_judged && (rep->root_speed_ratio < LFD_RETARGET_WARN_SPEED_LO ||
                                   rep->root_speed_ratio > LFD_RETARGET_WARN_SPEED_HI))
        snprintf(out[n++], LFD_RETARGET_WARN_LEN,
                 "root speed %.2f of the person's (the root travels %.2f m, the person %.2f m at the "
                 "robot's size; threshold %.2f-%.2f)",
                 rep->root_speed_ratio, rep->root_travel_m, rep->human_travel_m, LFD_RETARGET_WARN_SPEED_LO,
                 LFD_RETARGET_WARN_SPEED_HI);
    return n;
}

void lfd_retarget_report_print(const lfd_retarget_report *rep, FILE *fp)
{
    fprintf(fp, "  frames %d at %g fps", rep->frames, rep->fps);
    if (rep->solve_fps > 0 && rep->solve_fps < rep->fps)
        fprintf(fp, " (solved at %g fps, splined)", rep->solve_fps);
    fprintf(fp, ", IK %.0f frames/s, root scale %.3f\n", rep->frames_per_s, rep->scale_root);
    fprintf(fp, "  %-12s %-26s %10s %10s %10s %10s\n", "human", "robot body", "mean_m", "max_m",
            "mean_rad", "max_rad");
    for (int e = 0; e < rep->nmap; e++)
        fprintf(fp, "  %-12s %-26s %10.4f %10.4f %10.4f %10.4f\n", lfd_cjoint_name(rep->map_cj[e]),
                rep->map_body[e], rep->pos_err_mean_m[e], rep->pos_err_max_m[e],
                rep->rot_err_mean_rad[e], rep->rot_err_max_rad[e]);
    fprintf(fp, "  hands to scaled human targets: mean %.3f m; feet: mean %.3f m\n",
            rep->hand_err_mean_m, rep->foot_err_mean_m);
    fprintf(fp, "  joint-range violations %d; frames with a joint at a bound %d\n",
            rep->range_violations, rep->limit_hit_frames);
    fprintf(fp, "  peak joint velocity %.2f of the limit (%s)\n", rep->peak_vel_ratio,
            rep->peak_vel_joint[0] ? rep->peak_vel_joint : "-");
    fprintf(fp, "  contact phases %d, worst foot slide %.4f m, floor penetration %.4f m, planted feet up to %.4f m off the floor\n",
            rep->contact_phases, rep->foot_slide_max_m, rep->floor_pen_max_m, rep->pin_lift_max_m);
    if (rep->swings)
        fprintf(fp, "  swings %d: lowest sole corner in mid-swing %.1f cm at least, %d under %.0f cm%s\n",
                rep->swings, 100 * fmax(rep->swing_low_min_m, 0) + 0.0, rep->swings_low,
                100 * LFD_RETARGET_SWING_LOW_M,
                rep->swings_low ? " (they skim the floor: the swing clearance, --swing-clearance-m, lifts a swing "
                                  "between two contact phases; docs/retarget.md parts 14 and 19)"
                                : "");
    if (rep->stance_roll_max_rad > 0)
        fprintf(fp, "  planted soles tilted sideways %.3f rad on average, %.3f at most\n",
                rep->stance_roll_mean_rad, rep->stance_roll_max_rad);
    if (rep->arms_guard_frames)
        fprintf(fp, "  arms taken out of the body in %d frames (the last step: an arm inside it after the legs' steps)\n",
                rep->arms_guard_frames);
    fprintf(fp, "  root jump max %.1f mm (frame %d), joint acceleration p99 %.0f rad/s^2 (max %.0f)\n",
            1000 * rep->root_jump_max_m, rep->root_jump_frame, rep->acc_p99_rad_s2,
            rep->acc_max_rad_s2);
    if (rep->root_speed_judged)
        fprintf(fp, "  root travel %.2f m against the person's %.2f m at the robot's size: speed %.2f of theirs\n",
                rep->root_travel_m, rep->human_travel_m, rep->root_speed_ratio);
    else
        fprintf(fp, "  root travel %.2f m, the person's %.2f m at the robot's size: not compared (%s)\n",
                rep->root_travel_m, rep->human_travel_m,
                rep->human_travel_m < LFD_RETARGET_TRAVEL_MIN_M ? "the person travels under 0.5 m"
                                                                 : "the root is held");
    if (rep->zmp_filter_ran) {
        fprintf(fp, "  dynamics filter: root moved up to %.1f cm (rounds kept %d, last steps kept %d)",
                100 * rep->zmp_shift_max_m, rep->zmp_rounds_kept, rep->zmp_direct_kept);
        if (rep->zmp_left_frames)
            fprintf(fp, "; %d frames that need support left alone", rep->zmp_left_frames);
        fputc('\n', fp);
        char t[3][160];
        const lfd_retarget_dyn_stop *rs = &rep->zmp_rounds_stop;
        if (rs->why != LFD_RT_DYN_NONE) {
            dyn_stop_text(rs, t[0], sizeof t[0]);
            dyn_stop_text(&rep->zmp_direct_stop[0], t[1], sizeof t[1]);
            dyn_stop_text(&rep->zmp_direct_stop[1], t[2], sizeof t[2]);
            if (rs->why == LFD_RT_DYN_KEPT)
                fprintf(fp, "    rounds: all %d kept", rs->round);
            else if (rs->why == LFD_RT_DYN_DONE)
                fprintf(fp, "    rounds: %s after %d", t[0], rs->round - 1);
            else
                fprintf(fp, "    rounds: round %d %s", rs->round, t[0]);
            fprintf(fp, "; last steps: 1 %s, 2 %s\n", t[1], t[2]);
        }
    }
    if (rep->flight.phases > 0)
        fprintf(fp, "  flight step: %d flights (%d frames with both feet off the floor), %d corrected: "
                    "the CoM's acceleration off gravity %.1f -> %.1f m/s^2, the moment about it %.0f -> "
                    "%.0f N m; the root moved up to %.1f cm and turned up to %.3f rad\n",
                rep->flight.phases, rep->flight.frames, rep->flight.phases_kept, rep->flight.acc_err_before,
                rep->flight.acc_err_after, rep->flight.moment_before, rep->flight.moment_after,
                100 * rep->flight.shift_max_m, rep->flight.turn_max_rad);
    if (rep->torque.measured && rep->torque.windows > 0)
        fprintf(fp, "  torque step: the joints with no foot below them asked up to %.2f of their torque "
                    "limits; %.2f after turning them by up to %.3f rad in %d windows\n",
                rep->torque.ratio_before, rep->torque.ratio_after, rep->torque.change_max_rad, rep->torque.windows);
    for (int i = 0; i < rep->support.nranges; i++)
        fprintf(fp, "  needs support: frames %d-%d (%s)\n", rep->support.r[i].first,
                rep->support.r[i].last, lfd_support_why(rep->support.r[i].why));
    if (rep->smoothing_kept_off)
        fprintf(fp, "  warning: whole-clip smoothing was kept off: it moved planted feet or soles "
                    "beyond 2 cm / 8 mm on this clip\n");
    char w[LFD_RETARGET_WARN_MAX][LFD_RETARGET_WARN_LEN];
    int nw = lfd_retarget_report_warnings(rep, w);
    for (int i = 0; i < nw; i++)
        fprintf(fp, "  warning: %s\n", w[i]);
}

static void dyn_stop_json(lfd_jw *jw, const lfd_retarget_dyn_stop *st)
{
    lfd_jw_obj_begin(jw);
    lfd_jw_kint(jw, "round", st->round);
    lfd_jw_kstr(jw, "why", lfd_rt_dyn_why_name(st->why));
    if (st->why >= LFD_RT_DYN_SLIDE && st->why <= LFD_RT_DYN_ACC) {
        lfd_jw_knum(jw, "value", st->value);
        lfd_jw_knum(jw, "limit", st->limit);
    }
    lfd_jw_obj_end(jw);
}

void lfd_retarget_report_json(const lfd_retarget_report *rep, lfd_jw *jw)
{
    lfd_jw_obj_begin(jw);
    lfd_jw_kint(jw, "frames", rep->frames);
    lfd_jw_knum(jw, "fps", rep->fps);
    lfd_jw_knum(jw, "solve_fps", rep->solve_fps);
    lfd_jw_knum(jw, "frames_per_s", rep->frames_per_s);
    lfd_jw_knum(jw, "root_scale", rep->scale_root);
    lfd_jw_key(jw, "bodies");
    lfd_jw_arr_begin(jw);
    for (int e = 0; e < rep->nmap; e++) {
        lfd_jw_obj_begin(jw);
        lfd_jw_kstr(jw, "human", lfd_cjoint_name(rep->map_cj[e]));
        lfd_jw_kstr(jw, "body", rep->map_body[e]);
        lfd_jw_knum(jw, "pos_err_mean_m", rep->pos_err_mean_m[e]);
        lfd_jw_knum(jw, "pos_err_max_m", rep->pos_err_max_m[e]);
        lfd_jw_knum(jw, "rot_err_mean_rad", rep->rot_err_mean_rad[e]);
        lfd_jw_knum(jw, "rot_err_max_rad", rep->rot_err_max_rad[e]);
        lfd_jw_obj_end(jw);
    }
    lfd_jw_arr_end(jw);
    lfd_jw_knum(jw, "hand_err_mean_m", rep->hand_err_mean_m);
    lfd_jw_knum(jw, "foot_err_mean_m", rep->foot_err_mean_m);
    lfd_jw_kint(jw, "range_violations", rep->range_violations);
    lfd_jw_kint(jw, "limit_hit_frames", rep->limit_hit_frames);
    lfd_jw_knum(jw, "peak_vel_ratio", rep->peak_vel_ratio);
    lfd_jw_kstr(jw, "peak_vel_joint", rep->peak_vel_joint);
    lfd_jw_kint(jw, "contact_phases", rep->contact_phases);
    lfd_jw_knum(jw, "foot_slide_max_m", rep->foot_slide_max_m);
    lfd_jw_knum(jw, "pin_lift_max_m", rep->pin_lift_max_m);
    lfd_jw_kint(jw, "swings", rep->swings);
    lfd_jw_kint(jw, "swings_low", rep->swings_low);
    lfd_jw_knum(jw, "swing_low_min_m", rep->swing_low_min_m);
    lfd_jw_kint(jw, "arms_guard_frames", rep->arms_guard_frames);
    lfd_jw_knum(jw, "stance_roll_mean_rad", rep->stance_roll_mean_rad);
    lfd_jw_knum(jw, "stance_roll_max_rad", rep->stance_roll_max_rad);
    lfd_jw_knum(jw, "floor_pen_max_m", rep->floor_pen_max_m);
    lfd_jw_knum(jw, "root_jump_max_m", rep->root_jump_max_m);
    lfd_jw_kint(jw, "root_jump_frame", rep->root_jump_frame);
    lfd_jw_knum(jw, "acc_p99_rad_s2", rep->acc_p99_rad_s2);
    lfd_jw_knum(jw, "acc_max_rad_s2", rep->acc_max_rad_s2);
    lfd_jw_kbool(jw, "smoothing_kept_off", rep->smoothing_kept_off);
    lfd_jw_kbool(jw, "zmp_filter_ran", rep->zmp_filter_ran);
    lfd_jw_kbool(jw, "torque_step_ran", rep->torque.measured);
    lfd_jw_knum(jw, "torque_step_before", rep->torque.ratio_before);
    lfd_jw_knum(jw, "torque_step_after", rep->torque.ratio_after);
    lfd_jw_knum(jw, "torque_step_change_max_rad", rep->torque.change_max_rad);
    lfd_jw_kint(jw, "torque_step_windows", rep->torque.windows);
    lfd_jw_kint(jw, "flight_phases", rep->flight.phases);
    lfd_jw_kint(jw, "flight_frames", rep->flight.frames);
    lfd_jw_kint(jw, "flight_phases_kept", rep->flight.phases_kept);
    lfd_jw_knum(jw, "flight_acc_err_before_m_s2", rep->flight.acc_err_before);
    lfd_jw_knum(jw, "flight_acc_err_after_m_s2", rep->flight.acc_err_after);
    lfd_jw_knum(jw, "flight_moment_before_nm", rep->flight.moment_before);
    lfd_jw_knum(jw, "flight_moment_after_nm", rep->flight.moment_after);
    lfd_jw_knum(jw, "flight_shift_max_m", rep->flight.shift_max_m);
    lfd_jw_knum(jw, "flight_turn_max_rad", rep->flight.turn_max_rad);
    lfd_jw_knum(jw, "zmp_shift_max_m", rep->zmp_shift_max_m);
    lfd_jw_kint(jw, "zmp_rounds_kept", rep->zmp_rounds_kept);
    lfd_jw_kint(jw, "zmp_direct_kept", rep->zmp_direct_kept);
    lfd_jw_kint(jw, "zmp_left_frames", rep->zmp_left_frames);
    lfd_jw_key(jw, "zmp_rounds_stop");
    dyn_stop_json(jw, &rep->zmp_rounds_stop);
    lfd_jw_key(jw, "zmp_direct_stop");
    lfd_jw_arr_begin(jw);
    for (int i = 0; i < 2; i++)
        dyn_stop_json(jw, &rep->zmp_direct_stop[i]);
    lfd_jw_arr_end(jw);
    lfd_jw_knum(jw, "root_travel_m", rep->root_travel_m);
    lfd_jw_knum(jw, "human_travel_m", rep->human_travel_m);
    lfd_jw_key(jw, "root_speed_ratio");
    if (rep->root_speed_judged)
        lfd_jw_num(jw, rep->root_speed_ratio);
    else
        lfd_jw_null(jw);
    lfd_support_json(&rep->support, jw);
    char w[LFD_RETARGET_WARN_MAX][LFD_RETARGET_WARN_LEN];
    int nw = lfd_retarget_report_warnings(rep, w);
    lfd_jw_key(jw, "warnings");
    lfd_jw_arr_begin(jw);
    for (int i = 0; i < nw; i++)
        lfd_jw_str(jw, w[i]);
    lfd_jw_arr_end(jw);
    lfd_jw_obj_end(jw);
}
