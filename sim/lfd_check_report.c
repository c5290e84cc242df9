/*  lfd_check_report: the words and numbers of a check report.

    lfd_check_finalize_findings writes each finding's one-line message
    ("frames 312-340: left_knee_joint torque 341 N·m > 300 N·m, peak at
    327") and sorts the list (failures first, then by frame);
    lfd_check_report_print renders the report for people,
    lfd_check_report_json for machines. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/lfd_check_int.h"

static void frames_text(const lfd_check_finding *x, char *out, size_t n)
{
    if (x->first == x->last)
        snprintf(out, n, "frame %d", x->first);
    else
        snprintf(out, n, "frames %d–%d", x->first, x->last);
}

static const char *peak_text(const lfd_check_finding *x, char *buf, size_t n)
{
    if (x->first == x->last)
        buf[0] = '\0';
    else
        snprintf(buf, n, ", peak at %d", x->peak);
    return buf;
}

/* "heel outer corner", "toe edge" ...: k 0-3 a corner of side s's sole
   (bit 0: x_max, the toe; bit 1: y_max, the left side, outward on the left
   foot); 4, 5 the heel and toe edges; 6, 7 the y_min and y_max edges */
static void corner_text(int s, int k, char *out, size_t n)
{
    if (k >= 6) {
        int outer = s == 0 ? k == 7 : k == 6;
        snprintf(out, n, "%s edge", outer ? "outer" : "inner");
        return;
    }
    if (k >= 4) {
        snprintf(out, n, "%s edge", k == 5 ? "toe" : "heel");
        return;
    }
    int outer = s == 0 ? (k >> 1) & 1 : !((k >> 1) & 1);
    snprintf(out, n, "%s %s corner", k & 1 ? "toe" : "heel", outer ? "outer" : "inner");
}

/* what the feet did before frame f, for a fall's message: the earliest of
   the first scuff, the first edge and the first pivot (in that order when
   on the same frame) */
static void fall_cause_text(const lfd_check_report *rep, int f, char *out, size_t n)
{
    const lfd_check_track *t = &rep->track;
    static const char *side[2] = {"left", "right"};
    out[0] = '\0';
    int fs = t->first_scuff_frame, fe = t->first_edge_frame, fp = t->first_pivot_frame;
    int s_on = fs >= 0 && fs <= f, e_on = fe >= 0 && fe <= f, p_on = fp >= 0 && fp <= f;
    if (p_on && (!s_on || fp < fs) && (!e_on || fp < fe))
        snprintf(out, n, "; first the %s foot turned on the floor at frame %d where the motion "
                         "holds its heading",
                 side[t->first_pivot_foot], fp);
    else if (s_on && (!e_on || fs <= fe))
        snprintf(out, n, "; first the %s foot scuffed the floor at frame %d where the motion lifts "
                         "or moves it",
                 side[t->first_scuff_foot], fs);
    else if (e_on)
        snprintf(out, n, "; first the %s foot rolled onto its edge at frame %d where the motion "
                         "holds it flat",
                 side[t->first_edge_foot], fe);
}

static void finding_msg(const lfd_checker *c, const lfd_check_report *rep, lfd_check_finding *x)
{
    const lfd_check_opts *o = &rep->opts;
    const lfd_robot *r = c->r;
    char fr[48], pk[32], lim[96] = "";
    /* a copy: x->msg and x->what live in the same struct */
    char what[sizeof x->what];
    memcpy(what, x->what, sizeof what);
    frames_text(x, fr, sizeof fr);
    peak_text(x, pk, sizeof pk);
    int w = x->severity != LFD_CHECK_FAIL;
    const lfd_robot_joint *jt = x->joint >= 0 ? &r->joints[x->joint] : NULL;
    switch (x->kind) {
    case LFD_CK_RANGE: {
        const char *cmp = x->value > x->limit ? ">" : "<";
        snprintf(x->msg, sizeof x->msg, "%s: %s at %.3f rad %s %.3f rad (%srange %.3f..%.3f)%s", fr,
                 what, x->value, cmp, x->limit, w ? "soft limit; " : "", jt->range_lo, jt->range_hi,
                 pk);
        return;
    }
    case LFD_CK_VEL:
    case LFD_CK_ACC:
    case LFD_CK_TORQUE: {
        const char *name = x->kind == LFD_CK_VEL ? "velocity" : x->kind == LFD_CK_ACC ? "acceleration" : "torque";
        const char *unit = x->kind == LFD_CK_VEL ? "rad/s" : x->kind == LFD_CK_ACC ? "rad/s²" : "N·m";
        double full = x->kind == LFD_CK_VEL ? jt->vel_max
                      : x->kind == LFD_CK_ACC ? lfd_check_acc_limit(jt, o)
                                              : jt->torque_max;
        if (w)
            snprintf(lim, sizeof lim, " (soft limit: %.2f of %.4g %s)", x->limit / full, full, unit);
        snprintf(x->msg, sizeof x->msg, "%s: %s %s %.4g %s > %.4g %s%s%s", fr, what, name, x->value,
                 unit, x->limit, unit, lim, pk);
        return;
    }
    case LFD_CK_JERK:
        snprintf(x->msg, sizeof x->msg, "%s: %s jerk %.4g rad/s³ > %.4g rad/s³%s", fr, what, x->value,
                 x->limit, pk);
        return;
    case LFD_CK_SELF:
        snprintf(x->msg, sizeof x->msg, "%s: self-collision %s, %.1f mm deep > %.1f mm%s", fr, what,
                 x->value * 1e3, x->limit * 1e3, pk);
        return;
    case LFD_CK_FLOOR:
        snprintf(x->msg, sizeof x->msg, "%s: %s %.1f mm below the floor > %.1f mm%s", fr, what,
                 x->value * 1e3, x->limit * 1e3, pk);
        return;
    case LFD_CK_SLIDE:
        /* a planted foot does not slide at a walking foot's speed: faster,
           it is a swinging foot passing within the contact height (the
           retarget report's skimming swings, docs/retarget.md part 14) */
        snprintf(x->msg, sizeof x->msg,
                 "%s: %s slides %.1f cm per frame (%.2f m/s) while in contact > %.1f cm%s%s", fr, what,
                 x->value * 100, x->value * rep->fps, x->limit * 100, pk,
                 x->value * rep->fps > LFD_CHECK_SKIM_V ? " (this fast: a swinging foot skimming the floor)" : "");
        return;
    case LFD_CK_FORCE:
        snprintf(x->msg, sizeof x->msg, "%s: %s carries %.0f N (%.2f body weights) > %.0f N%s", fr,
                 what, x->value, x->value / rep->weight_n, x->limit, pk);
        return;
    case LFD_CK_ZMP:
        snprintf(x->msg, sizeof x->msg,
                 "%s: zero-moment point %.3f m outside the support polygon > %.3f m%s", fr, x->value,
                 x->limit, pk);
        return;
    case LFD_CK_COM:
        snprintf(x->msg, sizeof x->msg,
                 "%s: centre of mass %.3f m outside the support polygon (info: statically "
                 "unstable; fine while the ZMP is inside)%s",
                 fr, x->value, pk);
        return;
    case LFD_CK_ASSIST:
        snprintf(x->msg, sizeof x->msg,
                 "%s: needs external help: %.0f%% of body weight > %.0f%% (the feet in contact cannot "
                 "supply the motion's ground wrench%s)%s",
                 fr, x->value * 100, x->limit * 100,
                 x->aux & 1 ? "; at times no foot is in contact" : "", pk);
        return;
    case LFD_CK_FALL: {
        char cause[160];
        fall_cause_text(rep, x->first, cause, sizeof cause);
        if (x->aux == 2)
            snprintf(x->msg, sizeof x->msg, "%s: tracking: the simulation diverged at %.2f s%s", fr,
                     rep->track.fall_time_s, cause);
        else if (x->aux == 1)
            snprintf(x->msg, sizeof x->msg,
                     "%s: tracking: falls at %.2f s (root below %.2f of the reference's height)%s", fr,
                     rep->track.fall_time_s, o->fall_height_frac, cause);
        else
            snprintf(x->msg, sizeof x->msg,
                     "%s: tracking: falls at %.2f s (root tilted %.2f rad from the reference > %.2f rad)%s",
                     fr, rep->track.fall_time_s, x->value, x->limit, cause);
        return;
    }
    case LFD_CK_TRACK_JOINT:
        snprintf(x->msg, sizeof x->msg, "%s: tracking: RMS joint error %.3f rad > %.3f rad%s", fr,
                 x->value, x->limit, pk);
        return;
    case LFD_CK_TRACK_ROOT:
        snprintf(x->msg, sizeof x->msg, "%s: tracking: root %.3f m from the reference > %.3f m%s", fr,
                 x->value, x->limit, pk);
        return;
    case LFD_CK_TRACK_ASSIST:
        snprintf(x->msg, sizeof x->msg,
                 "%s: tracking with a harness on the root: needs %.0f%% of body weight > %.0f%%%s", fr,
                 x->value * 100, x->limit * 100, pk);
        return;
    case LFD_CK_NEEDS_SUPPORT:
        /* the retarget report's words (lfd_retarget_report_print) */
        snprintf(x->msg, sizeof x->msg,
                 "needs support: frames %d-%d (%s): no foot support on the floor carries them; "
                 "their external help is not counted as a failure",
                 x->first, x->last, lfd_support_why(x->aux));
        return;
    case LFD_CK_SPEED:
        snprintf(x->msg, sizeof x->msg, "%s: %s moves at %.3f m/s > %.3f m/s%s", fr, what, x->value,
                 x->limit, pk);
        return;
    case LFD_CK_HOVER:
        snprintf(x->msg, sizeof x->msg,
                 "%s: the %s carries %.0f%% of body weight on sole corners up to %.1f mm above the "
                 "floor (info: counted as support within --contact-height %.0f mm; a real foot must "
                 "touch)%s",
                 fr, what, x->value * 100, x->aux * 0.1, o->contact_height_m * 1e3, pk);
        return;
    case LFD_CK_TRACK_SCUFF:
        snprintf(x->msg, sizeof x->msg,
                 "%s: tracking: the %s carries %.0f N (%.2f body weights) where the motion lifts "
                 "or moves it (lowest sole corner %.1f mm up, moving %.2f m/s)%s: the robot scuffs the "
                 "floor",
                 fr, what, x->value, x->value / rep->weight_n,
                 (x->aux / 100000) * 0.1, (x->aux % 100000) * 1e-3, pk);
        return;
    case LFD_CK_TRACK_EDGE: {
        char cn[32];
        corner_text(x->body1 == r->feet[1].body_id, x->aux, cn, sizeof cn);
        snprintf(x->msg, sizeof x->msg,
                 "%s: tracking: the %s stands on its %s, its sole tilted up to %.1f cm, "
                 "where the motion holds it flat%s",
                 fr, what, cn, x->value * 100, pk);
        return;
    }
    case LFD_CK_TRACK_PIVOT: {
        char cn[32] = "sole, flat";
        if (x->aux != LFD_CHECK_PIVOT_FLAT)
            corner_text(x->body1 == r->feet[1].body_id, x->aux, cn, sizeof cn);
        snprintf(x->msg, sizeof x->msg,
                 "%s: tracking: the %s turns %.2f rad about the vertical on the floor (on its %s) "
                 "while it carries load, beyond what the motion turns it: its friction does not "
                 "hold the twist%s",
                 fr, what, x->value, cn, pk);
        return;
    }
    case LFD_CK_CONTACTS:
        snprintf(x->msg, sizeof x->msg,
                 "%s: MuJoCo's contact buffer is full (%.0f contacts): contacts past it were "
                 "dropped, so the self-collision and floor checks of these frames are incomplete "
                 "(bodies deep in each other or in the floor)",
                 fr, x->limit);
        return;
    default:
        snprintf(x->msg, sizeof x->msg, "%s: %s", fr, lfd_check_kind_name(x->kind));
    }
}

static int cmp_finding(const void *a, const void *b)
{
    const lfd_check_finding *x = a, *y = b;
    if (x->severity != y->severity)
        return y->severity - x->severity;
    if (x->first != y->first)
        return x->first - y->first;
    return x->kind - y->kind;
}

void lfd_check_finalize_findings(const lfd_checker *c, lfd_check_report *rep)
{
    for (int i = 0; i < rep->nfindings; i++)
        finding_msg(c, rep, &rep->finding[i]);
    qsort(rep->finding, (size_t)rep->nfindings, sizeof rep->finding[0], cmp_finding);
}

/* ---- text ------------------------------------------------------------------------------- */
void lfd_check_report_print(const lfd_check_report *rep, const lfd_robot *r, const char *name,
                            FILE *fp)
{
    const char *V[] = {"PASS", "WARN", "FAIL"};
    fprintf(fp, "%s (%s): %s%s — %d frames, %.2f s at %g fps; %d failure%s, %d warning%s\n", name,
            rep->robot, V[rep->verdict], rep->support.nranges ? " (needs support)" : "", rep->nframes, rep->duration_s, rep->fps, rep->nfail,
            rep->nfail == 1 ? "" : "s", rep->nwarn, rep->nwarn == 1 ? "" : "s");
    fprintf(fp, "  checks:");
    for (int g = 0; g < LFD_CG_COUNT; g++) {
        int on = (rep->checks >> g) & 1u;
        if (g == LFD_CG_SPEED && !(rep->opts.speed_cap_m_s > 0))
            on = 0;
        fprintf(fp, " %s%s", lfd_check_group_name(g), on ? "" : "(off)");
    }
    fprintf(fp, "\n");
    /* the joints closest to their limits */
    if (r) {
        int jr = -1, jv = -1, jt = -1;
        double ur = 0, uv = 0, ut = 0;
        for (int j = 0; j < rep->njoints && j < r->njoints; j++) {
            const lfd_check_joint_stats *s = &rep->joint[j];
            const lfd_robot_joint *J = &r->joints[j];
            double mid = 0.5 * (J->range_lo + J->range_hi), half = 0.5 * (J->range_hi - J->range_lo);
            double u = half > 0 ? fmax(fabs(s->q_max - mid), fabs(s->q_min - mid)) / half : 0;
            if (u > ur) {
                ur = u;
                jr = j;
            }
            u = J->vel_max > 0 ? s->vel_peak / J->vel_max : 0;
            if (u > uv) {
                uv = u;
                jv = j;
            }
            u = J->torque_max > 0 ? s->torque_peak / J->torque_max : 0;
            if (u > ut) {
                ut = u;
                jt = j;
            }
        }
        if (jr >= 0)
            fprintf(fp, "  joints: closest to a range limit %s (%.2f of the half-range)", r->joints[jr].name, ur);
        if (jv >= 0)
            fprintf(fp, ", fastest %s (%.2f of its limit)", r->joints[jv].name, uv);
        if (jt >= 0 && ((rep->checks >> LFD_CG_TORQUE) & 1u))
            fprintf(fp, ", most torque %s (%.0f N·m, %.2f of its limit, frame %d)", r->joints[jt].name,
                    rep->joint[jt].torque_peak, ut, rep->joint[jt].torque_peak_frame);
        if (jr >= 0 || jv >= 0)
            fprintf(fp, "\n");
    }
    if (rep->self_depth_max_m > 0 || rep->floor_depth_max_m > 0)
        fprintf(fp, "  contact: deepest self-collision %.1f mm, deepest below the floor %.1f mm\n",
                rep->self_depth_max_m * 1e3, rep->floor_depth_max_m * 1e3);
    if (!isnan(rep->zmp_margin_min_m) || rep->assist_max > 0)
        fprintf(fp,
                "  balance: ZMP margin min %+.3f m, CoM margin min %+.3f m, external help max %.0f%% "
                "of body weight (%d frames over %.0f%%), foot on the floor in %d of %d frames\n",
                rep->zmp_margin_min_m, rep->com_margin_min_m, rep->assist_max * 100, rep->assist_frames,
                rep->opts.assist_warn * 100, rep->support_frames, rep->nframes);
    if (rep->support.nranges)
        fprintf(fp, "  needs support: %d frames (%.1f s) no foot support on the floor carries; their "
                    "external help (max %.0f%% of body weight) is stated, not failed\n",
                rep->support.frames, rep->support.frames / rep->fps, rep->assist_supported_max * 100);
    if (rep->foot_force_max_n > 0 || rep->slide_max_m > 0)
        fprintf(fp, "  feet: peak normal force %.0f N (%.2f body weights), largest slide %.1f cm/frame\n",
                rep->foot_force_max_n, rep->foot_force_max_n / rep->weight_n, rep->slide_max_m * 100);
    if (rep->hover_load_max > rep->opts.assist_warn)
        fprintf(fp, "  support off the floor: up to %.0f%% of body weight on sole corners %.0f-%.0f mm up "
                    "(%d frames over %.0f%%)\n",
                rep->hover_load_max * 100, rep->opts.hover_height_m * 1e3,
                rep->opts.contact_height_m * 1e3, rep->hover_frames, rep->opts.assist_warn * 100);
    if (rep->speed_point >= 0) {
        static const char *pn[] = {"left hand", "right hand", "left foot", "right foot"};
        fprintf(fp, "  speed: fastest hand/foot %.2f m/s (%s)%s\n", rep->speed_max_m_s,
                pn[rep->speed_point], rep->opts.speed_cap_m_s > 0 ? "" : " (no cap set)");
    }
    const lfd_check_track *t = &rep->track;
    if (t->ran) {
        if (t->fell)
            fprintf(fp, "  tracking: %s at %.2f s (frame %d)", t->diverged ? "diverged" : "FALLS",
                    t->fall_time_s, t->fall_frame);
        else
            fprintf(fp, "  tracking: stays up over %.2f s", rep->duration_s);
        fprintf(fp, "; RMS joint error mean %.3f max %.3f rad, root error max %.3f m, peak effort %.0f%%",
                t->joint_err_rms_mean, t->joint_err_rms_max, t->root_err_max_m, t->effort_peak * 100);
        if (t->held_steps)
            fprintf(fp, "; joints held on damping at %ld control steps (a torque was not finite)",
                    t->held_steps);
        fprintf(fp, "\n");
        if (t->assist_ran)
            fprintf(fp, "  tracking with a harness: assisting force peak %.0f%%, mean %.0f%% of body weight\n",
                    t->assist_peak * 100, t->assist_mean * 100);
    }
    if (rep->nfindings == 0) {
        fprintf(fp, "  no findings\n");
        return;
    }
    for (int i = 0; i < rep->nfindings; i++)
        fprintf(fp, "  %-4s %s\n", lfd_check_severity_name(rep->finding[i].severity), rep->finding[i].msg);
    if (rep->more_findings)
        fprintf(fp, "  ... and %d more findings not listed (%d of them failing; failures are listed first)\n",
                rep->more_findings, rep->more_failures);
}

/* ---- JSON ------------------------------------------------------------------------------- */
static void series_arr(lfd_jw *jw, const char *key, const double *v, int n)
{
    lfd_jw_key(jw, key);
    lfd_jw_arr_begin(jw);
    for (int i = 0; i < n; i++)
        lfd_jw_num(jw, v[i]);
    lfd_jw_arr_end(jw);
}

void lfd_check_report_json(const lfd_check_report *rep, const lfd_robot *r, const char *name,
                           lfd_jw *jw)
{
    lfd_jw_obj_begin(jw);
    lfd_jw_kstr(jw, "motion", name);
    lfd_jw_kstr(jw, "robot", rep->robot);
    lfd_jw_kstr(jw, "verdict", lfd_check_verdict_name(rep->verdict));
    lfd_support_json(&rep->support, jw);
    lfd_jw_kint(jw, "frames", rep->nframes);
    lfd_jw_knum(jw, "fps", rep->fps);
    lfd_jw_knum(jw, "duration_s", rep->duration_s);
    lfd_jw_kint(jw, "failures", rep->nfail);
    lfd_jw_kint(jw, "warnings", rep->nwarn);
    lfd_jw_kint(jw, "infos", rep->ninfo);
    lfd_jw_key(jw, "checks");
    lfd_jw_arr_begin(jw);
    for (int g = 0; g < LFD_CG_COUNT; g++)
        if ((rep->checks >> g) & 1u)
            lfd_jw_str(jw, lfd_check_group_name(g));
    lfd_jw_arr_end(jw);
    lfd_jw_key(jw, "thresholds");
    lfd_jw_obj_begin(jw);
    for (int i = 0; i < lfd_check_nlimits; i++)
        lfd_jw_knum(jw, lfd_check_limits[i].key,
                    *(const double *)((const char *)&rep->opts + lfd_check_limits[i].offset));
    lfd_jw_obj_end(jw);
    lfd_jw_key(jw, "findings");
    lfd_jw_arr_begin(jw);
    for (int i = 0; i < rep->nfindings; i++) {
        const lfd_check_finding *x = &rep->finding[i];
        lfd_jw_obj_begin(jw);
        lfd_jw_kstr(jw, "check", lfd_check_group_name(x->group));
        lfd_jw_kstr(jw, "kind", lfd_check_kind_name(x->kind));
        lfd_jw_kstr(jw, "severity", lfd_check_severity_name(x->severity));
        lfd_jw_kint(jw, "first", x->first);
        lfd_jw_kint(jw, "last", x->last);
        lfd_jw_kint(jw, "peak", x->peak);
        lfd_jw_kint(jw, "frames", x->frames);
        lfd_jw_knum(jw, "value", x->value);
        lfd_jw_knum(jw, "limit", x->limit);
        if (x->what[0])
            lfd_jw_kstr(jw, "what", x->what);
        lfd_jw_kstr(jw, "message", x->msg);
        lfd_jw_obj_end(jw);
    }
    lfd_jw_arr_end(jw);
    lfd_jw_kint(jw, "findings_not_listed", rep->more_findings);
    lfd_jw_kint(jw, "failures_not_listed", rep->more_failures);
    lfd_jw_key(jw, "joints");
    lfd_jw_arr_begin(jw);
    for (int j = 0; j < rep->njoints; j++) {
        const lfd_check_joint_stats *s = &rep->joint[j];
        const lfd_robot_joint *jt = r ? &r->joints[j] : NULL;
        lfd_jw_obj_begin(jw);
        if (jt)
            lfd_jw_kstr(jw, "name", jt->name);
        lfd_jw_knum(jw, "q_min_rad", s->q_min);
        lfd_jw_knum(jw, "q_max_rad", s->q_max);
        lfd_jw_knum(jw, "vel_peak_rad_s", s->vel_peak);
        lfd_jw_knum(jw, "acc_peak_rad_s2", s->acc_peak);
        lfd_jw_knum(jw, "jerk_peak_rad_s3", s->jerk_peak);
        lfd_jw_knum(jw, "torque_peak_nm", s->torque_peak);
        lfd_jw_kint(jw, "torque_peak_frame", s->torque_peak_frame);
        lfd_jw_knum(jw, "torque_rms_nm", s->torque_rms);
        if (jt) {
            lfd_jw_knum(jw, "range_lo_rad", jt->range_lo);
            lfd_jw_knum(jw, "range_hi_rad", jt->range_hi);
            lfd_jw_knum(jw, "vel_max_rad_s", jt->vel_max);
            lfd_jw_knum(jw, "torque_max_nm", jt->torque_max);
        }
        if (rep->track.ran)
            lfd_jw_knum(jw, "track_effort_peak", s->track_effort_peak);
        lfd_jw_obj_end(jw);
    }
    lfd_jw_arr_end(jw);
    lfd_jw_key(jw, "summary");
    lfd_jw_obj_begin(jw);
    lfd_jw_knum(jw, "self_collision_depth_max_m", rep->self_depth_max_m);
    lfd_jw_knum(jw, "floor_depth_max_m", rep->floor_depth_max_m);
    lfd_jw_knum(jw, "foot_slide_max_m_per_frame", rep->slide_max_m);
    lfd_jw_knum(jw, "foot_force_max_n", rep->foot_force_max_n);
    lfd_jw_knum(jw, "foot_force_limit_n", rep->foot_force_limit_n);
    lfd_jw_knum(jw, "assist_supported_max_body_weight", rep->assist_supported_max);
    lfd_jw_knum(jw, "zmp_margin_min_m", rep->zmp_margin_min_m);
    lfd_jw_knum(jw, "com_margin_min_m", rep->com_margin_min_m);
    lfd_jw_knum(jw, "assist_max_body_weight", rep->assist_max);
    lfd_jw_kint(jw, "assist_frames", rep->assist_frames);
    lfd_jw_kint(jw, "support_frames", rep->support_frames);
    lfd_jw_knum(jw, "hover_load_max_body_weight", rep->hover_load_max);
    lfd_jw_kint(jw, "hover_frames", rep->hover_frames);
    lfd_jw_knum(jw, "speed_max_m_s", rep->speed_max_m_s);
    lfd_jw_knum(jw, "weight_n", rep->weight_n);
    lfd_jw_knum(jw, "wall_s", rep->wall_s);
    lfd_jw_obj_end(jw);
    if (rep->track.ran) {
        const lfd_check_track *t = &rep->track;
        lfd_jw_key(jw, "tracking");
        lfd_jw_obj_begin(jw);
        lfd_jw_kbool(jw, "fell", t->fell);
        lfd_jw_kbool(jw, "diverged", t->diverged);
        lfd_jw_kint(jw, "fall_frame", t->fall_frame);
        lfd_jw_knum(jw, "fall_time_s", t->fell ? t->fall_time_s : NAN);
        lfd_jw_kint(jw, "frames_tracked", t->frames_tracked);
        lfd_jw_knum(jw, "joint_err_rms_mean_rad", t->joint_err_rms_mean);
        lfd_jw_knum(jw, "joint_err_rms_max_rad", t->joint_err_rms_max);
        lfd_jw_knum(jw, "root_err_max_m", t->root_err_max_m);
        lfd_jw_knum(jw, "tilt_max_rad", t->tilt_max_rad);
        lfd_jw_knum(jw, "effort_peak", t->effort_peak);
        if (r && t->effort_joint >= 0)
            lfd_jw_kstr(jw, "effort_peak_joint", r->joints[t->effort_joint].name);
        lfd_jw_kint(jw, "clamped_steps", t->clamped_steps);
        lfd_jw_kint(jw, "held_steps", t->held_steps);
        lfd_jw_kint(jw, "first_scuff_frame", t->first_scuff_frame);
        lfd_jw_kint(jw, "first_edge_frame", t->first_edge_frame);
        lfd_jw_kint(jw, "first_pivot_frame", t->first_pivot_frame);
        lfd_jw_kbool(jw, "assist_ran", t->assist_ran);
        lfd_jw_knum(jw, "assist_peak_body_weight", t->assist_ran ? t->assist_peak : 0);
        lfd_jw_knum(jw, "assist_mean_body_weight", t->assist_ran ? t->assist_mean : 0);
        lfd_jw_knum(jw, "sim_s", t->sim_s);
        lfd_jw_knum(jw, "wall_s", t->wall_s);
        lfd_jw_obj_end(jw);
    }
    if (rep->series_frames > 0) {
        int n = rep->series_frames;
        lfd_jw_key(jw, "series");
        lfd_jw_obj_begin(jw);
        series_arr(jw, "zmp_margin_m", rep->s_zmp_margin, n);
        series_arr(jw, "com_margin_m", rep->s_com_margin, n);
        series_arr(jw, "assist_body_weight", rep->s_assist, n);
        if (rep->track.ran) {
            series_arr(jw, "track_joint_err_rad", rep->s_track_err, n);
            series_arr(jw, "track_root_err_m", rep->s_track_root, n);
        }
        lfd_jw_key(jw, "contact");
        lfd_jw_arr_begin(jw);
        for (int i = 0; i < n; i++)
            lfd_jw_int(jw, rep->s_contact[i]);
        lfd_jw_arr_end(jw);
        lfd_jw_key(jw, "torque_nm");
        lfd_jw_arr_begin(jw);
        for (int j = 0; j < rep->njoints; j++) {
            lfd_jw_arr_begin(jw);
            for (int i = 0; i < n; i++)
                lfd_jw_num(jw, rep->s_torque[(size_t)i * (size_t)rep->njoints + (size_t)j]);
            lfd_jw_arr_end(jw);
        }
        lfd_jw_arr_end(jw);
        lfd_jw_obj_end(jw);
    }
    lfd_jw_obj_end(jw);
}
