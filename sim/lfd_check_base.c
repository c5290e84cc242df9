/*  lfd_check_base: what every part of the checker shares (lfd_check.h,
    lfd_check_int.h): the names of check groups, finding kinds, severities and
    verdicts; the report object; lfd_check_note, which merges over-limit
    frames into findings; the finite differences of a motion's frames and
    its pose between frames.

    The per-frame pass (lfd_check.c), the tracking simulation
    (lfd_check_track.c) and the text/JSON report (lfd_check_report.c) build
    on this file and not on each other, except that lfd_check.c runs the
    other two. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/lfd_quat.h"
#include "sim/lfd_check_int.h"

/* ---- names ------------------------------------------------------------------------ */
static const char *group_names[LFD_CG_COUNT] = {"range", "velocity", "torque", "self",
                                                "floor", "balance",  "track",  "speed"};
static const char *kind_names[LFD_CK_COUNT] = {
    "range", "velocity", "acceleration", "jerk", "torque", "self_collision", "floor", "foot_slide",
    "contact_force", "zmp", "com", "assist", "fall", "track_joint", "track_root", "track_assist",
    "speed", "needs_support", "track_scuff", "track_edge", "contacts_full", "hover_support",
    "track_pivot"};
static const int kind_groups[LFD_CK_COUNT] = {
    LFD_CG_RANGE,   LFD_CG_VELOCITY, LFD_CG_VELOCITY, LFD_CG_VELOCITY, LFD_CG_TORQUE,
    LFD_CG_SELF,    LFD_CG_FLOOR,    LFD_CG_FLOOR,    LFD_CG_FLOOR,    LFD_CG_BALANCE,
    LFD_CG_BALANCE, LFD_CG_BALANCE,  LFD_CG_TRACK,    LFD_CG_TRACK,    LFD_CG_TRACK,
    LFD_CG_TRACK,   LFD_CG_SPEED,    LFD_CG_BALANCE,  LFD_CG_TRACK,    LFD_CG_TRACK,
    LFD_CG_SELF,    LFD_CG_BALANCE,  LFD_CG_TRACK};

const char *lfd_check_group_name(int g) { return g >= 0 && g < LFD_CG_COUNT ? group_names[g] : "?"; }
const char *lfd_check_kind_name(int k) { return k >= 0 && k < LFD_CK_COUNT ? kind_names[k] : "?"; }
int lfd_check_kind_group(int k) { return k >= 0 && k < LFD_CK_COUNT ? kind_groups[k] : -1; }
const char *lfd_check_verdict_name(int v)
{
    return v == LFD_CHECK_FAIL ? "fail" : v == LFD_CHECK_WARN ? "warn" : "pass";
}
const char *lfd_check_severity_name(int s)
{
    return s == LFD_CHECK_FAIL ? "fail" : s == LFD_CHECK_WARN ? "warn" : "info";
}

int lfd_check_parse_groups(const char *list, unsigned *bits, lfd_err *err)
{
    unsigned b = 0;
    const char *p = list;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        int found = 0;
        if (n == 3 && !strncmp(p, "all", 3)) {
            b |= LFD_CHECK_ALL;
            found = 1;
        }
        for (int g = 0; g < LFD_CG_COUNT && !found; g++)
            if (strlen(group_names[g]) == n && !strncmp(p, group_names[g], n)) {
                b |= 1u << g;
                found = 1;
            }
        if (!found)
            return lfd_fail(err, LFD_EARG,
                            "unknown check '%.*s' (checks: range, velocity, torque, self, floor, "
                            "balance, track, speed, all)",
                            (int)n, p);
        p += n;
        if (*p == ',')
            p++;
    }
    *bits = b;
    return LFD_OK;
}

/* ---- report ------------------------------------------------------------------------ */
int lfd_check_report_new(lfd_check_report **out, lfd_err *err)
{
    *out = calloc(1, sizeof **out);
    return *out ? LFD_OK : lfd_fail(err, LFD_ENOMEM, "out of memory (check report)");
}

void lfd_check_report_free_series(lfd_check_report *rep)
{
    free(rep->s_torque);
    free(rep->s_zmp_margin);
    free(rep->s_com_margin);
    free(rep->s_assist);
    free(rep->s_wrench);
    rep->s_wrench = NULL;
    free(rep->s_track_err);
    free(rep->s_track_root);
    free(rep->s_contact);
    rep->s_torque = rep->s_zmp_margin = rep->s_com_margin = rep->s_assist = NULL;
    rep->s_track_err = rep->s_track_root = NULL;
    rep->s_contact = NULL;
    rep->series_frames = 0;
}

void lfd_check_report_free(lfd_check_report **prep)
{
    if (!prep || !*prep)
        return;
    lfd_check_report_free_series(*prep);
    free(*prep);
    *prep = NULL;
}

int lfd_check_report_find(const lfd_check_report *rep, int kind, int f, int *idx)
{
    for (int i = 0; i < rep->nfindings; i++) {
        const lfd_check_finding *x = &rep->finding[i];
        if (x->kind == kind && f >= x->first && f <= x->last) {
            if (idx)
                *idx = i;
            return 1;
        }
    }
    return 0;
}

/* ---- findings ------------------------------------------------------------------------------ */
static void count_sev(lfd_check_report *rep, int sev, int delta)
{
    if (sev == LFD_CHECK_FAIL)
        rep->nfail += delta;
    else if (sev == LFD_CHECK_WARN)
        rep->nwarn += delta;
    else
        rep->ninfo += delta;
}

/* A listed finding's rank for its place in a full list: its severity, and
   among infos the load on corners off the floor (hover_support, one per
   foot and step) below the others, so that it does not keep the centre of
   mass's infos out of the list (CMU's jumps on G1: 9 of 23 listed with it,
   all 23 without; found by review). */
static int list_rank(int sev, int kind)
{
    return 2 * sev + (kind != LFD_CK_HOVER);
}

/* Lists key's finding (a new range, or one found unlisted before:
   counted says it is already in more_findings): in the next free place,
   else in the place of the latest listed finding of the lowest rank below
   its own (list_rank: so failures are listed first: on the G1 dance 256
   findings listed 204 warnings and 18 infos and left out 109 failures,
   among them the deepest self-collision; found by review), else not
   listed.  Fills in the finding. */
static void list_finding(lfd_check_ws *ws, lfd_check_report *rep, int key, int kind, int item, int first,
                         int last, int at, int sev, double value, double limit, int counted)
{
    const lfd_checker *c = ws->c;
    int i = rep->nfindings;
    if (i >= LFD_CHECK_MAX_FINDINGS) {
        int v = -1, rank = list_rank(sev, kind);
        for (int k = 0; k < rep->nfindings; k++) {
            int rk = list_rank(rep->finding[k].severity, rep->finding[k].kind);
            if (rk < rank && (v < 0 || rk <= list_rank(rep->finding[v].severity, rep->finding[v].kind)))
                v = k;
        }
        if (v < 0) {
            ws->key_idx[key] = -2;
            if (!counted)
                rep->more_findings++;
            if (sev == LFD_CHECK_FAIL)
                rep->more_failures++;
            return;
        }
        /* a warning or an info: never a failure; its key unlisted unless it
           has a newer range listed in another place (that range went on
           growing: found by review, a torque range on Unitree's walk cut at
           2413-2414, peak 42.6 N m, where it runs 2413-2416, peak 45.2) */
        if (ws->key_idx[ws->slot_key[v]] == v)
            ws->key_idx[ws->slot_key[v]] = -2;
        rep->more_findings++;
        i = v;
    } else {
        rep->nfindings++;
    }
    if (counted)
        rep->more_findings--;
    ws->key_idx[key] = i;
    ws->slot_key[i] = key;
    lfd_check_finding *x = &rep->finding[i];
    memset(x, 0, sizeof *x);
    x->kind = kind;
    x->group = kind_groups[kind];
    x->severity = sev;
    x->first = first;
    x->last = last;
    x->peak = at;
    x->frames = last - first + 1;
    x->value = value;
    x->limit = limit;
    x->joint = x->body1 = x->body2 = -1;
    const lfd_robot *r = c->r;
    const mjModel *m = c->m;
    switch (kind) {
    case LFD_CK_RANGE:
    case LFD_CK_VEL:
    case LFD_CK_ACC:
    case LFD_CK_JERK:
    case LFD_CK_TORQUE:
        x->joint = item;
        snprintf(x->what, sizeof x->what, "%s", r->joints[item].name);
        break;
    case LFD_CK_SELF: {
        x->body1 = item / c->nbody;
        x->body2 = item % c->nbody;
        const char *n1 = mj_id2name(m, mjOBJ_BODY, x->body1), *n2 = mj_id2name(m, mjOBJ_BODY, x->body2);
        snprintf(x->what, sizeof x->what, "%s / %s", n1 ? n1 : "?", n2 ? n2 : "?");
        break;
    }
    case LFD_CK_FLOOR: {
        x->body1 = item;
        const char *n1 = mj_id2name(m, mjOBJ_BODY, item);
        snprintf(x->what, sizeof x->what, "%s", n1 ? n1 : "?");
        break;
    }
    case LFD_CK_SLIDE:
    case LFD_CK_FORCE:
    case LFD_CK_HOVER:
    case LFD_CK_TRACK_SCUFF:
    case LFD_CK_TRACK_EDGE:
    case LFD_CK_TRACK_PIVOT:
        x->body1 = r->feet[item].body_id;
        snprintf(x->what, sizeof x->what, "%s foot", item ? "right" : "left");
        break;
    case LFD_CK_SPEED:
        x->body1 = c->point_body[item];
        snprintf(x->what, sizeof x->what, "%s", c->point_name[item]);
        break;
    default:
        break;
    }
}


void lfd_check_note(lfd_check_ws *ws, lfd_check_report *rep, int kind, int item, int first,
                    int last, int at, int sev, double value, double limit, double bad)
{
    const lfd_checker *c = ws->c;
    int key = c->key_base[kind] + item;
    if (key < c->key_base[kind] || key >= c->key_base[kind + 1])
        return;
    int gap = (int)rep->opts.merge_gap_frames;
    /* extend the open range of this key, or open a new one */
    if (ws->key_idx[key] != -1 && first <= ws->key_last[key] + 1 + gap) {
        int i = ws->key_idx[key];
        lfd_check_finding *x = i >= 0 ? &rep->finding[i] : NULL;
        if (sev > ws->key_sev[key]) {
            count_sev(rep, ws->key_sev[key], -1);
            count_sev(rep, sev, +1);
            ws->key_sev[key] = sev;
            if (x) {
                x->severity = sev;
                x->limit = limit;
            } else {
                /* an unlisted range that now fails: listed if a warning or
                   an info can make room */
                int last2 = last > ws->key_last[key] ? last : ws->key_last[key];
                list_finding(ws, rep, key, kind, item, ws->key_first[key], last2, at, sev, value, limit, 1);
                if (bad > ws->key_bad[key])
                    ws->key_bad[key] = bad;
                ws->key_last[key] = last2;
                return;
            }
        }
        if (x) {
            if (last > x->last) {
                x->frames += last - (first > x->last ? first : x->last + 1) + 1;
                x->last = last;
            }
            if (bad > ws->key_bad[key]) {
                x->peak = at;
                x->value = value;
                if (sev == x->severity)
                    x->limit = limit;
            }
        }
        if (bad > ws->key_bad[key])
            ws->key_bad[key] = bad;
        if (last > ws->key_last[key])
            ws->key_last[key] = last;
        return;
    }
    count_sev(rep, sev, +1);
    ws->key_sev[key] = sev;
    ws->key_bad[key] = bad;
    ws->key_last[key] = last;
    ws->key_first[key] = first;
    list_finding(ws, rep, key, kind, item, first, last, at, sev, value, limit, 0);
}

/* ---- finite differences ------------------------------------------------------------------ */
void lfd_check_frame_derivs(const mjModel *m, const lfd_motion *mo, int k, double *vel,
                            double *acc, double *tmp1, double *tmp2)
{
    int n = mo->nframes, nv = m->nv;
    double fps = mo->fps;
    int has_prev = k > 0, has_next = k + 1 < n;
    if (has_prev)
        mj_differentiatePos(m, tmp1, 1.0 / fps, lfd_motion_frame(mo, k - 1), lfd_motion_frame(mo, k));
    if (has_next)
        mj_differentiatePos(m, tmp2, 1.0 / fps, lfd_motion_frame(mo, k), lfd_motion_frame(mo, k + 1));
    for (int i = 0; i < nv; i++) {
        double a = has_prev ? tmp1[i] : 0, b = has_next ? tmp2[i] : 0;
        if (vel)
            vel[i] = has_prev && has_next ? 0.5 * (a + b) : has_prev ? a : b;
        if (acc)
            acc[i] = has_prev && has_next ? (b - a) * fps : 0;
    }
    /* the end frames take their neighbour's acceleration */
    if (acc && n >= 3 && (k == 0 || k == n - 1)) {
        int j = k == 0 ? 1 : n - 2;
        mj_differentiatePos(m, tmp1, 1.0 / fps, lfd_motion_frame(mo, j - 1), lfd_motion_frame(mo, j));
        mj_differentiatePos(m, tmp2, 1.0 / fps, lfd_motion_frame(mo, j), lfd_motion_frame(mo, j + 1));
        for (int i = 0; i < nv; i++)
            acc[i] = (tmp2[i] - tmp1[i]) * fps;
    }
}

/* ---- sampling between frames ------------------------------------------------------------ */
double lfd_check_frame_at(int n, double u, int *k_out)
{
    int k = (int)floor(u);
    if (k > n - 2)
        k = n - 2;
    if (k < 0)
        k = 0;
    double a = n > 1 ? u - k : 0;
    *k_out = k;
    return a < 0 ? 0 : a > 1 ? 1 : a;
}

void lfd_check_sample(const lfd_motion *mo, double u, double *q)
{
    int n = mo->nframes, nq = mo->nq, k;
    double a = lfd_check_frame_at(n, u, &k);
    const double *q0 = lfd_motion_frame(mo, k), *q1 = lfd_motion_frame(mo, n > 1 ? k + 1 : k);
    for (int i = 0; i < nq; i++)
        q[i] = q0[i] + a * (q1[i] - q0[i]);
    if (mo->floating) {
        double s = q0[3] * q1[3] + q0[4] * q1[4] + q0[5] * q1[5] + q0[6] * q1[6];
        double sg = s < 0 ? -1 : 1;
        for (int i = 3; i < 7; i++)
            q[i] = q0[i] + a * (sg * q1[i] - q0[i]);
        lfd_quat_normalize(q + 3);
    }
}
