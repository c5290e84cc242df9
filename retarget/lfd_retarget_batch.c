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
    if ((rc = lfd_lineage_add_input(out, "human", base, h->sha256, &h->prov, err)))
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
    lfd_jw_knum(&jw, "source_fps", h->fps);
    lfd_jw_kbool(&jw, "upper_body", o->upper_body);
    lfd_jw_knum(&jw, "smooth_hz", o->smooth_hz);
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

int lfd_retarget_human(const lfd_robot *r, const lfd_human *h, const lfd_retarget_opts *opts_in,
                       lfd_motion *m, lfd_retarget_report *rep, lfd_err *err)
{
    memset(m, 0, sizeof *m);
    memset(rep, 0, sizeof *rep);
    lfd_retarget_opts o = opts_in ? *opts_in : lfd_retarget_opts_default();
    if (h->nonfinite)
        return lfd_fail(err, LFD_ENUMERIC, "%s: the human motion has NaN or infinite values",
                        h->path);
    int f0 = h->ref_pose && !h->ref_dropped ? 1 : 0;
    double fps = o.fps > 0 ? o.fps : h->fps;
    double dur = (h->nframes - 1 - f0) / h->fps;
    int nout = (int)floor(dur * fps + 1e-9) + 1;
    if (nout < 1 || h->nframes - f0 < 1)
        return lfd_fail(err, LFD_EARG, "%s: no frames to retarget", h->path);
    lfd_retarget_calib calib;
    lfd_retargeter *rt = NULL;
    lfd_retarget_stream *s = NULL;
    int rc = lfd_retarget_calib_from_human(r, h, &calib, err);
    if (rc == LFD_OK)
        rc = lfd_retargeter_new(&rt, r, &calib, &o, err);
    if (rc == LFD_OK)
        rc = lfd_retarget_stream_new(&s, rt, fps, err);
    if (rc == LFD_OK)
        rc = lfd_robot_motion_alloc(r, m, nout, fps, 0, err);
    if (rc)
        goto done;
    rep->frames = nout;
    rep->fps = fps;
    rep->nmap = rt->nmap;
    rep->scale_root = rt->s_root;
    for (int e = 0; e < rt->nmap; e++) {
        rep->map_cj[e] = rt->cj[e];
        snprintf(rep->map_body[e], LFD_NAME_MAX, "%s", r->map[e].body);
    }
    double cpos[3 * LFD_CJ_COUNT], seg[7 * LFD_SEG_COUNT];
    uint8_t contact[2];
    int prev_pin[2] = {0, 0}, nhand = 0, nfoot = 0;
    double pin_start[2][3];
    int hand_e[2] = {rt->entry_of[LFD_CJ_L_WRIST], rt->entry_of[LFD_CJ_R_WRIST]};
    lfd_progress prog;
    lfd_progress_start(&prog, "retarget", nout);
    double t0 = lfd_now_s();
    for (int k = 0; k < nout; k++) {
        interp_input(h, f0, f0 + k * h->fps / fps, cpos, seg, contact);
        lfd_retarget_input in = {cpos, seg, contact};
        lfd_retarget_info info;
        double *q = lfd_motion_frame(m, k);
        if ((rc = lfd_retarget_stream_push(s, &in, q, &info, err))) {
            lfd_err_prefix(err, "%s: frame %d", h->path, k);
            break;
        }
        /* per-body errors against the targets used */
        for (int e = 0; e < rt->nmap; e++) {
            if (s->pw[e] > 0)
                add_err(&rep->pos_err_mean_m[e], &rep->pos_err_max_m[e], info.ik.pos_err_m[e]);
            if (s->rw[e] > 0)
                add_err(&rep->rot_err_mean_rad[e], &rep->rot_err_max_rad[e], info.ik.rot_err_rad[e]);
        }
        /* hands and feet against the scaled human targets (not the pins) */
        mjData *d = lfd_ik_ws_data(s->ws);
        for (int side = 0; side < 2; side++) {
            double p[3];
            if (hand_e[side] >= 0 && s->pw[hand_e[side]] > 0) {
                lfd_rt_map_point(r->m, d, &r->map[hand_e[side]], p);
                rep->hand_err_mean_m += lfd_v3_dist(p, s->hpos + 3 * hand_e[side]);
                nhand++;
            }
            if (rt->ankle_e[side] >= 0 && s->pw[rt->ankle_e[side]] > 0) {
                rep->foot_err_mean_m += lfd_v3_dist(info.foot_pos[side], s->hpos + 3 * rt->ankle_e[side]);
                nfoot++;
            }
        }
        if (info.ik.at_limit)
            rep->limit_hit_frames++;
        rep->floor_pen_max_m = fmax(rep->floor_pen_max_m, -info.lowest_sole_z_m);
        /* foot slide within each contact phase */
        for (int side = 0; side < 2; side++) {
            if (info.pinned[side] && !prev_pin[side]) {
                rep->contact_phases++;
                memcpy(pin_start[side], info.foot_pos[side], sizeof pin_start[side]);
            }
            if (info.pinned[side])
                rep->foot_slide_max_m = fmax(rep->foot_slide_max_m,
                                             hypot(info.foot_pos[side][0] - pin_start[side][0],
                                                   info.foot_pos[side][1] - pin_start[side][1]));
            prev_pin[side] = info.pinned[side];
        }
        if (o.progress && k % 256 == 0)
            lfd_progress_update(&prog, k);
    }
    rep->seconds = lfd_now_s() - t0;
    if (o.progress)
        lfd_progress_update(&prog, nout);
    if (rc)
        goto done;
    rep->frames_per_s = nout / fmax(rep->seconds, 1e-9);
    for (int e = 0; e < rt->nmap; e++) {
        rep->pos_err_mean_m[e] /= nout;
        rep->rot_err_mean_rad[e] /= nout;
    }
    rep->hand_err_mean_m = nhand ? rep->hand_err_mean_m / nhand : 0;
    rep->foot_err_mean_m = nfoot ? rep->foot_err_mean_m / nfoot : 0;
    rep->floor_pen_max_m = fmax(rep->floor_pen_max_m, 0);
    /* optional zero-phase smoothing of joints and root, then the ranges again */
    if (o.smooth_hz > 0 && nout >= 4) {
        for (int c = 0; c < m->nq; c++) {
            if (r->floating && c >= 3 && c < 7)
                continue;
            lfd_filtfilt_lowpass(m->qpos + c, nout, (size_t)m->nq, o.smooth_hz, fps);
        }
        if (r->floating) {
            /* quaternion: keep one hemisphere, filter the components, renormalise */
            for (int k = 1; k < nout; k++) {
                double *q = lfd_motion_frame(m, k) + 3, *p = lfd_motion_frame(m, k - 1) + 3;
                if (q[0] * p[0] + q[1] * p[1] + q[2] * p[2] + q[3] * p[3] < 0)
                    for (int i = 0; i < 4; i++)
                        q[i] = -q[i];
            }
            for (int c = 3; c < 7; c++)
                lfd_filtfilt_lowpass(m->qpos + c, nout, (size_t)m->nq, o.smooth_hz, fps);
            for (int k = 0; k < nout; k++)
                lfd_quat_normalize(lfd_motion_frame(m, k) + 3);
        }
        for (int k = 0; k < nout; k++)
            for (int j = 0; j < r->njoints; j++) {
                double *v = lfd_motion_frame(m, k) + r->joints[j].qpos_adr;
                *v = fmin(fmax(*v, r->joints[j].range_lo), r->joints[j].range_hi);
            }
    }
    /* velocities and range, measured on the final motion */
    for (int k = 0; k < nout; k++)
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
    if ((rc = write_provenance(r, h, &o, rep, &m->prov, err)) == LFD_OK)
        rc = lfd_motion_validate(m, err);
done:
    if (rc)
        lfd_motion_free(m);
    lfd_retarget_stream_free(&s);
    lfd_retargeter_free(&rt);
    if (rc == LFD_OK && o.progress)
        lfd_progress_end(&prog);
    return rc;
}

/* ---- report ----------------------------------------------------------------------------- */

void lfd_retarget_report_print(const lfd_retarget_report *rep, FILE *fp)
{
    fprintf(fp, "  frames %d at %g fps, IK %.0f frames/s, root scale %.3f\n", rep->frames, rep->fps,
            rep->frames_per_s, rep->scale_root);
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
    fprintf(fp, "  contact phases %d, worst foot slide %.4f m, floor penetration %.4f m\n",
            rep->contact_phases, rep->foot_slide_max_m, rep->floor_pen_max_m);
}

void lfd_retarget_report_json(const lfd_retarget_report *rep, lfd_jw *jw)
{
    lfd_jw_obj_begin(jw);
    lfd_jw_kint(jw, "frames", rep->frames);
    lfd_jw_knum(jw, "fps", rep->fps);
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
    lfd_jw_knum(jw, "floor_pen_max_m", rep->floor_pen_max_m);
    lfd_jw_obj_end(jw);
}
