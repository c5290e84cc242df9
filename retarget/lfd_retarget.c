/*  lfd_retarget: human motion onto a humanoid robot (see lfd_retarget.h). */
#include "retarget/lfd_retarget_int.h"

#include "core/lfd_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/lfd_log.h"
#include "core/lfd_quat.h"
#include "robots/lfd_mj.h"

void lfd_retarget_opts_init(lfd_retarget_opts *o)
{
    memset(o, 0, sizeof *o);
    o->first_starts = 3;
    o->smooth_hz = LFD_RETARGET_SMOOTH_HZ;
    o->zmp_filter = 1;
    o->torque_step = 1;
    o->flight_step = 1;
    o->swing_clear_m = LFD_RETARGET_SWING_CLEAR_M;
    o->max_iters = 8;
    o->progress = 1;
}

/* ---- the retargeter --------------------------------------------------------------- */

void lfd_rt_map_point(const mjModel *m, const mjData *d, const lfd_robot_map_entry *e, double p[3])
{
    const double *R = d->xmat + 9 * e->body_id;
    lfd_mat3_mulv(p, R, e->offset);
    lfd_v3_add(p, p, d->xpos + 3 * e->body_id);
    (void)m;
}

void lfd_rt_map_quat(const mjData *d, const lfd_robot_map_entry *e, double q[4])
{
    double ci[4];
    lfd_quat_conj(ci, e->rot_offset);
    lfd_quat_mul(q, d->xquat + 4 * e->body_id, ci);
}

static int seg_source(int cj)
{
    switch (cj) {
    case LFD_CJ_PELVIS: return LFD_SEG_PELVIS;
    case LFD_CJ_SPINE: return SEGSRC_SPINE;
    case LFD_CJ_CHEST: return LFD_SEG_CHEST;
    case LFD_CJ_NECK:
    case LFD_CJ_HEAD: return LFD_SEG_HEAD;
    case LFD_CJ_L_ANKLE:
    case LFD_CJ_L_TOE: return LFD_SEG_L_FOOT;
    case LFD_CJ_R_ANKLE:
    case LFD_CJ_R_TOE: return LFD_SEG_R_FOOT;
    default: return SEGSRC_NONE; /* arms: positions only */
    }
}

/* Edges fixed within one body segment (pelvis -> hip, chest -> shoulder,
   ankle -> toe): their robot geometry rarely points where the human's does
   (H1's hip pitch link hangs below and beside its pelvis), so they take the
   robot's own edge vector turned by the human segment's orientation instead
   of the human edge scaled.  Returns the segment, or -1 for a limb edge. */
static int rigid_segment(int parent_cj, int cj)
{
    if (parent_cj == LFD_CJ_PELVIS && (cj == LFD_CJ_L_HIP || cj == LFD_CJ_R_HIP))
        return LFD_SEG_PELVIS;
    if (parent_cj == LFD_CJ_CHEST && (cj == LFD_CJ_L_SHOULDER || cj == LFD_CJ_R_SHOULDER))
        return LFD_SEG_CHEST;
    if (parent_cj == LFD_CJ_L_ANKLE && cj == LFD_CJ_L_TOE)
        return LFD_SEG_L_FOOT;
    if (parent_cj == LFD_CJ_R_ANKLE && cj == LFD_CJ_R_TOE)
        return LFD_SEG_R_FOOT;
    return -1;
}

static int is_upper(int cj)
{
    return cj == LFD_CJ_SPINE || cj == LFD_CJ_CHEST || cj == LFD_CJ_NECK || cj == LFD_CJ_HEAD ||
           (cj >= LFD_CJ_L_SHOULDER && cj <= LFD_CJ_R_WRIST);
}

void lfd_retargeter_free(lfd_retargeter **prt)
{
    if (!prt || !*prt)
        return;
    lfd_ik_free(&(*prt)->ik);
    lfd_ik_free(&(*prt)->ik_feet);
    lfd_ik_free(&(*prt)->ik_arms);
    free(*prt);
    *prt = NULL;
}

double lfd_retargeter_scale(const lfd_retargeter *rt, int cj)
{
    return cj >= 0 && cj < LFD_CJ_COUNT && rt->entry_of[cj] >= 0 ? rt->scale[rt->entry_of[cj]] : 0;
}

double lfd_retargeter_root_scale(const lfd_retargeter *rt) { return rt->s_root; }

/* The foot (0, 1) whose path from the root holds joint j (robot joint
   table index), or -1 for a joint on neither leg. */
int lfd_rt_joint_leg_side(const lfd_robot *r, int j)
{
    const mjModel *m = r->m;
    int jb = r->joints[j].body_id;
    for (int s = 1; s >= 0; s--)
        for (int b = r->feet[s].body_id; b > 0; b = m->body_parentid[b])
            if (b == jb)
                return s;
    return -1;
}

/* Clearance pairs for the IK: every collidable primitive geom of an arm
   against every collidable primitive geom outside that arm (trunk, legs,
   the other arm) or further along it (a hand against its own shoulder),
   except pairs MuJoCo never collides (same or welded body, parent and
   child) and pairs the description excludes.  An arm is the
   subtree that holds a hand, from the first body below the branching
   trunk.  Self-collision of arms with the body is the common failure of
   retargeted motions (a robot's hips are wider than a person's); legs
   against legs are left to the contact pinning. */
/* arm[b] = 1 or 2 for the bodies of the left or right arm, 0 elsewhere (arm
   comes zeroed): the subtree that holds a hand, from the first body below
   the branching trunk */
static int mark_arms(const lfd_robot *r, int *arm, lfd_err *err)
{
    const mjModel *m = r->m;
    int nb = m->nbody;
    int *nchild = calloc((size_t)nb, sizeof(int));
    if (!nchild)
        return lfd_fail(err, LFD_ENOMEM, "out of memory");
    for (int b = 1; b < nb; b++)
        nchild[m->body_parentid[b]]++;
    for (int s = 0; s < 2; s++) {
        int b = r->hands[s].body_id;
        if (b <= 0)
            continue;
        /* walk up to the arm's first body (its parent branches) */
        while (m->body_parentid[b] > 0 && nchild[m->body_parentid[b]] == 1)
            b = m->body_parentid[b];
        /* the arm is that body's subtree (bodies are numbered parents first) */
        arm[b] = s + 1;
        for (int c = b + 1; c < nb; c++)
            if (!arm[c] && arm[m->body_parentid[c]] == s + 1)
                arm[c] = s + 1;
    }
    free(nchild);
    return LFD_OK;
}

/* every pair of an arm geom with a geom of the trunk, the legs, the other
   arm or its own arm that may collide (arm from mark_arms) */
static int add_clearance_pairs(lfd_ik *ik, const lfd_robot *r, const int *arm, lfd_err *err)
{
    const mjModel *m = r->m;
    int rc = LFD_OK, skipped = 0;
    for (int g1 = 0; g1 < m->ngeom && rc == LFD_OK; g1++) {
        int b1 = m->geom_bodyid[g1], a1 = arm[b1];
        if (!a1)
            continue;
        for (int g2 = 0; g2 < m->ngeom && rc == LFD_OK; g2++) {
            int b2 = m->geom_bodyid[g2], a2 = arm[b2];
            /* within one arm each pair once, the bodies not parent and
               child (lfd_robot_pair_excluded below): a hand bent back onto
               its own shoulder (G1's dance: 34 mm deep) */
            if (b2 == 0 || (a2 && a2 < a1) || (a2 == a1 && g2 <= g1))
                continue;
            if (!((m->geom_contype[g1] & m->geom_conaffinity[g2]) ||
                  (m->geom_contype[g2] & m->geom_conaffinity[g1])))
                continue;
            if (lfd_robot_pair_excluded(r, b1, b2)) /* one body, parent-child, <exclude> */
                continue;
            if (ik->npair >= LFD_IK_MAX_PAIRS) {
                skipped++;
                continue;
            }
            lfd_err e2 = {0};
            int k = lfd_ik_add_clearance(ik, g1, g2, &e2);
            if (k == LFD_EUNSUPPORTED)
                continue; /* a mesh or plane: not kept clear */
            if (k < 0)
                rc = lfd_fail(err, k, "%s", e2.msg);
        }
    }
    if (skipped)
        lfd_log(LFD_LOG_WARN, "%s: %d arm geom pairs beyond the IK's %d clearance pairs are not kept "
                "clear", r->name, skipped, LFD_IK_MAX_PAIRS);
    return rc;
}

/* A limb IK's joints: the robot's ranges and velocity limits, continuity
   toward the pose it starts from, the default pose as its posture; only
   the legs' joints move (arm NULL) or the arms' (bodies marked in arm). */
static void limb_ik_dofs(lfd_ik *ik, const lfd_robot *r, const int *arm)
{
    memcpy(ik->q_default, r->qpos_default, (size_t)r->m->nq * sizeof(double));
    for (int i = 0; i < r->m->nv; i++)
        ik->dof_active[i] = 0;
    for (int j = 0; j < r->njoints; j++) {
        const lfd_robot_joint *J = &r->joints[j];
        int a = J->dof_adr;
        ik->dof_vmax[a] = J->vel_max;
        ik->dof_lo[a] = J->range_lo;
        ik->dof_hi[a] = J->range_hi;
        ik->dof_active[a] = (unsigned char)(arm ? arm[J->body_id] != 0 : lfd_rt_joint_leg_side(r, j) >= 0);
        ik->dof_continuity[a] = 1.0;
    }
}

/* The IK of the last whole-clip step: only the leg joints move, the planted
   feet's ankle (position and orientation) and toe points are its tasks, the
   soles stay above the floor, and each joint is pulled toward the smoothed
   pose it starts from. */
static int feet_ik_new(lfd_retargeter *rt, const lfd_ik_config *base, lfd_err *err)
{
    const lfd_robot *r = rt->r;
    lfd_ik_config cfg = *base;
    cfg.continuity_weight = FEET_POLISH_CONTINUITY;
    cfg.posture_weight = 0;
    int rc = lfd_ik_new(&rt->ik_feet, r->m, &cfg, err);
    for (int s = 0; s < 2; s++)
        for (int u = 0; u < 2; u++) {
            rt->feet_task[s][u] = -1;
            int e = u ? rt->toe_e[s] : rt->ankle_e[s];
            if (rc || e < 0)
                continue;
            const lfd_robot_map_entry *me = &r->map[e];
            double ci[4];
            lfd_quat_conj(ci, me->rot_offset);
            int k = lfd_ik_add_task(rt->ik_feet, me->body_id, me->offset, ci, me->pos_w,
                                    u ? 0 : rt->ik->tasks[e].rot_weight, err);
            if (k < 0)
                rc = k;
            else
                rt->feet_task[s][u] = k;
        }
    for (int i = 0; rc == LFD_OK && i < rt->ik->nfloor; i++) {
        int k = lfd_ik_add_floor_point(rt->ik_feet, rt->ik->floor[i].body, rt->ik->floor[i].offset, err);
        if (k < 0)
            rc = k;
    }
    if (rc)
        return rc;
    rt->ik_feet->floor_z = rt->ik->floor_z;
    limb_ik_dofs(rt->ik_feet, r, NULL);
    return LFD_OK;
}

/* The IK that keeps the hands where they are while the dynamics filter's
   last, direct steps move the root: only the arm joints move (bodies
   marked by mark_arms), the wrists' points are its tasks, the arms stay
   clear of the body (the main IK's clearance pairs), and each joint is
   pulled toward the pose it starts from. */
static int arms_ik_new(lfd_retargeter *rt, const lfd_ik_config *base, const int *arm, lfd_err *err)
{
    const lfd_robot *r = rt->r;
    lfd_ik_config cfg = *base;
    cfg.continuity_weight = FEET_POLISH_CONTINUITY;
    cfg.posture_weight = 0;
    int rc = lfd_ik_new(&rt->ik_arms, r->m, &cfg, err);
    int wrist[2] = {LFD_CJ_L_WRIST, LFD_CJ_R_WRIST};
    for (int s = 0; s < 2; s++) {
        int e = rt->entry_of[wrist[s]];
        rt->hand_task[s] = -1;
        if (rc || e < 0)
            continue;
        const lfd_robot_map_entry *me = &r->map[e];
        int k = lfd_ik_add_task(rt->ik_arms, me->body_id, me->offset, NULL, me->pos_w, 0, err);
        if (k < 0)
            rc = k;
        else
            rt->hand_task[s] = k;
    }
    if (rc == LFD_OK && !rt->opts.no_clearance)
        rc = add_clearance_pairs(rt->ik_arms, r, arm, err);
    if (rc)
        return rc;
    limb_ik_dofs(rt->ik_arms, r, arm);
    if (rt->ik_arms->npair)
        rc = lfd_ik_fit_clearance(rt->ik_arms, r->qpos_default, err);
    return rc;
}

int lfd_retargeter_new(lfd_retargeter **out, const lfd_robot *r, const lfd_retarget_calib *c,
                       const lfd_retarget_opts *opts, lfd_err *err)
{
    *out = NULL;
    if (!r->floating && !(opts && opts->upper_body))
        return lfd_fail(err, LFD_EUNSUPPORTED,
                        "%s: whole-body retargeting needs a floating base; use upper-body mode",
                        r->name);
    lfd_retargeter *rt = calloc(1, sizeof *rt);
    if (!rt)
        return lfd_fail(err, LFD_ENOMEM, "out of memory");
    rt->r = r;
    if (opts)
        rt->opts = *opts;
    else
        lfd_retarget_opts_init(&rt->opts);
    if (rt->opts.first_starts < 1 || rt->opts.first_starts > 3)
        rt->opts.first_starts = 3;
    if (rt->opts.max_iters < 1)
        rt->opts.max_iters = 8;
    rt->calib = *c;
    rt->nmap = r->nmap;
    if (rt->nmap > LFD_CJ_COUNT) {
        lfd_retargeter_free(&rt);
        return lfd_fail(err, LFD_ELIMIT, "%s: more map entries than canonical joints", r->desc_path);
    }
    lfd_rt_fill_entry_of(r, rt->entry_of);
    rt->pelvis_e = rt->entry_of[LFD_CJ_PELVIS];
    if (rt->pelvis_e < 0) {
        lfd_retargeter_free(&rt);
        return lfd_fail(err, LFD_EMISMATCH, "%s: the retarget map has no pelvis entry", r->desc_path);
    }
    const mjModel *m = r->m;
    mjData *d = lfd_mj_make_data_kin(m);
    if (!d) {
        lfd_retargeter_free(&rt);
        return lfd_fail(err, LFD_ENOMEM, "out of memory for MuJoCo data");
    }
    /* robot edges at the zero configuration */
    double P0[LFD_CJ_COUNT][3];
    mj_resetData(m, d);
    mj_kinematics(m, d);
    for (int e = 0; e < rt->nmap; e++)
        lfd_rt_map_point(m, d, &r->map[e], P0[e]);
    for (int e = 0; e < rt->nmap; e++) {
        int cj = r->map[e].human;
        rt->cj[e] = cj;
        rt->segsrc[e] = seg_source(cj);
        int a = lfd_rt_mapped_ancestor(rt->entry_of, cj);
        rt->parent_e[e] = a >= 0 ? rt->entry_of[a] : -1;
        rt->upper[e] = is_upper(cj);
        rt->rigid_seg[e] = -1;
        if (rt->parent_e[e] < 0) {
            rt->scale[e] = 1;
            continue;
        }
        rt->robot_edge_m[e] = lfd_v3_dist(P0[e], P0[rt->parent_e[e]]);
        /* the zero pose stands upright facing +x, so world axes are segment axes */
        lfd_v3_sub(rt->rel0[e], P0[e], P0[rt->parent_e[e]]);
        rt->rigid_seg[e] = r->map[e].scale > 0 ? -1 : rigid_segment(a, cj);
        double hl = c->edge_m[cj];
        if (r->map[e].scale > 0)
            rt->scale[e] = r->map[e].scale;
        else if (hl > 1e-3 && rt->robot_edge_m[e] > 1e-4)
            rt->scale[e] = rt->robot_edge_m[e] / hl;
        else
            rt->scale[e] = hl > 1e-3 ? 0 : 1; /* a robot edge of zero length collapses it */
    }
    /* a limb bone of the person with no length (a rig whose OFFSET is zero,
       a keypoint layout that puts two joints on one point) where the robot
       has one: its scale would be 1, the child's target would sit on its
       parent's and the IK would chase it with the robot's real limb (a
       zero-length left shank: the foot 25 cm from its target, a planted foot
       8 cm up, written with exit 0 and only its symptoms warned; review) */
    for (int e = 0; e < rt->nmap; e++) {
        int cj = rt->cj[e], leg = cj >= LFD_CJ_L_KNEE && cj <= LFD_CJ_R_ANKLE;
        int limb = leg || (cj >= LFD_CJ_L_ELBOW && cj <= LFD_CJ_R_WRIST);
        if (!limb || (leg && rt->opts.upper_body) || rt->parent_e[e] < 0 || r->map[e].scale > 0 ||
            !(rt->robot_edge_m[e] > 1e-4) || c->edge_m[cj] > 1e-3)
            continue;
        int pc = rt->cj[rt->parent_e[e]];
        double hl_mm = 1000 * c->edge_m[cj], rl_mm = 1000 * rt->robot_edge_m[e];
        mj_deleteData(d);
        lfd_retargeter_free(&rt);
        return lfd_fail(err, LFD_EMISMATCH,
                        "the person's %s-%s bone has no length (%.1f mm, the robot's is %.0f mm): "
                        "a broken rig (a zero OFFSET) or two keypoints on one point; fix the "
                        "recording, or map that joint to another of the rig with --map",
                        lfd_cjoint_name(pc), lfd_cjoint_name(cj), isfinite(hl_mm) ? hl_mm : 0.0, rl_mm);
    }
    /* root scale: the robot's standing pelvis height (zero pose, lowest sole on the floor) */
    double lowest = lfd_rt_lowest_sole(r, d);
    if (!isfinite(lowest) && !rt->opts.upper_body) {
        mj_deleteData(d);
        lfd_retargeter_free(&rt);
        return lfd_fail(err, LFD_EMISMATCH, "%s: the robot has no feet, so contact handling and "
                        "whole-body retargeting cannot place it on the floor", r->desc_path);
    }
    double robot_pel_h = P0[rt->pelvis_e][2] - (isfinite(lowest) ? lowest : 0);
    rt->s_root = robot_pel_h / c->pelvis_height_m;
    /* horizontal root travel takes the legs' scale: with the pelvis height's
       instead, a robot whose legs are shorter than its pelvis height implies
       (G1 0.76 vs 0.84, H1 0.93 vs 1.11 for LAFAN1's subject) walks its pelvis
       ahead of its planted feet until they are out of reach; the IK then
       lags the pelvis and it snaps forward when the foot lifts */
    double leg_r = 0, leg_h = 0;
    for (int s = 0; s < 2; s++) {
        int ke = rt->entry_of[s ? LFD_CJ_R_KNEE : LFD_CJ_L_KNEE];
        int ae = rt->entry_of[s ? LFD_CJ_R_ANKLE : LFD_CJ_L_ANKLE];
        if (ke < 0 || ae < 0 || rt->rigid_seg[ke] >= 0 || rt->rigid_seg[ae] >= 0)
            continue;
        leg_r += rt->robot_edge_m[ke] + rt->robot_edge_m[ae];
        leg_h += c->edge_m[rt->cj[ke]] + c->edge_m[rt->cj[ae]];
    }
    rt->s_xy = leg_r > 0.1 && leg_h > 0.1 ? leg_r / leg_h : rt->s_root;
    /* feet: ankle rest height and toe offset in the flat zero pose */
    for (int s = 0; s < 2; s++) {
        rt->ankle_e[s] = rt->entry_of[s ? LFD_CJ_R_ANKLE : LFD_CJ_L_ANKLE];
        rt->toe_e[s] = rt->entry_of[s ? LFD_CJ_R_TOE : LFD_CJ_L_TOE];
        int nleg = 0;
        for (int j = 0; j < r->njoints; j++)
            nleg += lfd_rt_joint_leg_side(r, j) == s;
        rt->foot_roll_set[s] = nleg >= 6;
        const lfd_robot_foot *ft = &r->feet[s];
        if (rt->ankle_e[s] >= 0 && ft->body_id >= 0) {
            double sole_lo = INFINITY;
            for (int k = 0; k < 4; k++) {
                double corner[3] = {ft->sole[k & 1], ft->sole[2 + (k >> 1)], ft->sole_z}, w[3];
                lfd_mat3_mulv(w, d->xmat + 9 * ft->body_id, corner);
                sole_lo = fmin(sole_lo, w[2] + d->xpos[3 * ft->body_id + 2]);
            }
            rt->ankle_rest_z[s] = P0[rt->ankle_e[s]][2] - sole_lo;
            /* heel and front edge (middle of each) relative to the ankle
               point, in the ankle target's frame */
            const lfd_robot_map_entry *ae = &r->map[rt->ankle_e[s]];
            double Q0[4], Q0i[4];
            lfd_rt_map_quat(d, ae, Q0);
            lfd_quat_conj(Q0i, Q0);
            for (int e = 0; e < 2; e++) {
                double pt[3] = {ft->sole[e], 0.5 * (ft->sole[2] + ft->sole[3]), ft->sole_z}, w[3];
                lfd_mat3_mulv(w, d->xmat + 9 * ft->body_id, pt);
                lfd_v3_add(w, w, d->xpos + 3 * ft->body_id);
                lfd_v3_sub(w, w, P0[rt->ankle_e[s]]);
                lfd_quat_rotate(rt->pivot_rel[s][e], Q0i, w);
            }
            double half[3] = {0, 0.5 * (ft->sole[3] - ft->sole[2]), 0}, hw[3];
            lfd_mat3_mulv(hw, d->xmat + 9 * ft->body_id, half);
            lfd_quat_rotate(rt->pivot_lat[s], Q0i, hw);
            if (rt->toe_e[s] >= 0)
                lfd_v3_sub(rt->toe_rel0[s], P0[rt->toe_e[s]], P0[rt->ankle_e[s]]);
        }
    }
    /* the robot's pelvis frame at the default pose (upper-body mode anchor) */
    memcpy(d->qpos, r->qpos_default, (size_t)m->nq * sizeof(double));
    mj_kinematics(m, d);
    const lfd_robot_map_entry *pe = &r->map[rt->pelvis_e];
    lfd_rt_map_point(m, d, pe, rt->pel_def_pos);
    lfd_rt_map_quat(d, pe, rt->pel_def_q);
    mj_deleteData(d);

    /* the IK problem: one task per map entry, sole corners above the floor */
    lfd_ik_config cfg;
    lfd_ik_config_init(&cfg);
    cfg.posture_weight = 2e-4;
    cfg.max_iters = rt->opts.max_iters;
    /* a redundant shoulder (the yaw of a bent arm near its singular pose) would
       otherwise flip 0.6-1 rad within a few frames when the targets barely
       prefer one side: lfd check found those flips as torque spikes */
    cfg.continuity_weight = 1e-3;
    /* joints keep their velocity unless the targets ask otherwise (issue 15:
       acceleration is penalised inside the solver, not only filtered after) */
    cfg.accel_weight = IK_ACCEL_WEIGHT;
    int rc = lfd_ik_new(&rt->ik, m, &cfg, err);
    for (int e = 0; rc == LFD_OK && e < rt->nmap; e++) {
        const lfd_robot_map_entry *me = &r->map[e];
        double ci2[4];
        lfd_quat_conj(ci2, me->rot_offset);
        int rw_ok = rt->segsrc[e] != SEGSRC_NONE;
        int k = lfd_ik_add_task(rt->ik, me->body_id, me->offset, ci2, me->pos_w,
                                rw_ok ? me->rot_w : 0, err);
        if (k < 0)
            rc = k;
    }
    for (int s = 0; rc == LFD_OK && s < 2; s++) {
        const lfd_robot_foot *ft = &r->feet[s];
        if (ft->body_id < 0)
            continue;
        for (int k = 0; k < 4 && rc == LFD_OK; k++) {
            double corner[3] = {ft->sole[k & 1], ft->sole[2 + (k >> 1)], ft->sole_z};
            int i = lfd_ik_add_floor_point(rt->ik, ft->body_id, corner, err);
            if (i < 0)
                rc = i;
        }
    }
    int *arm = NULL;
    if (rc == LFD_OK)
        rc = (arm = calloc((size_t)m->nbody, sizeof(int))) ? mark_arms(r, arm, err)
                                                          : lfd_fail(err, LFD_ENOMEM, "out of memory");
    if (rc == LFD_OK && !rt->opts.no_clearance)
        rc = add_clearance_pairs(rt->ik, r, arm, err);
    if (rc) {
        free(arm);
        lfd_retargeter_free(&rt);
        return rc;
    }
    rt->ik->floor_z = 0;
    memcpy(rt->ik->q_default, r->qpos_default, (size_t)m->nq * sizeof(double));
    /* never push the arms further from the body than the robot's own stance */
    if (rt->ik->npair && (rc = lfd_ik_fit_clearance(rt->ik, r->qpos_default, err))) {
        free(arm);
        lfd_retargeter_free(&rt);
        return rc;
    }
    for (int j = 0; j < r->njoints; j++) {
        const lfd_robot_joint *J = &r->joints[j];
        rt->ik->dof_vmax[J->dof_adr] = J->vel_max;
        rt->ik->dof_lo[J->dof_adr] = J->range_lo;
        rt->ik->dof_hi[J->dof_adr] = J->range_hi;
        if (rt->opts.upper_body && lfd_rt_joint_leg_side(r, j) >= 0)
            rt->ik->dof_active[J->dof_adr] = 0;
        /* continuity only where redundancy lets a joint flip: the arms (legs
           are pinned by the feet, the trunk by its orientation target) */
        rt->ik->dof_continuity[J->dof_adr] = arm[J->body_id] ? 1.0 : 0.0;
    }
    if (!rt->opts.upper_body && r->floating && (rc = arms_ik_new(rt, &cfg, arm, err))) {
        free(arm);
        lfd_retargeter_free(&rt);
        return rc;
    }
    free(arm);
    if (rt->opts.upper_body && r->floating)
        for (int i = 0; i < 6; i++)
            rt->ik->dof_active[i] = 0;
    if (!rt->opts.upper_body && (rc = feet_ik_new(rt, &cfg, err))) {
        lfd_retargeter_free(&rt);
        return rc;
    }
    *out = rt;
    return LFD_OK;
}

/* ---- one frame ---------------------------------------------------------------------- */

/* the stream and its four pose vectors, in one block (lfd_arena); the IK
   workspace is lfd_ik's own */
static lfd_retarget_stream *stream_layout(lfd_arena *a, size_t nq, lfd_retarget_stream *s)
{
    lfd_retarget_stream *head = lfd_arena_take(a, 1, sizeof *s);
    s->qprev = lfd_arena_take(a, nq, sizeof(double));
    s->qprev2 = lfd_arena_take(a, nq, sizeof(double));
    s->qtry = lfd_arena_take(a, nq, sizeof(double));
    s->qbest = lfd_arena_take(a, nq, sizeof(double));
    return head;
}

int lfd_retarget_stream_new(lfd_retarget_stream **out, const lfd_retargeter *rt, double fps,
                            lfd_err *err)
{
    *out = NULL;
    if (!(fps > 0))
        return lfd_fail(err, LFD_EARG, "retarget stream needs a frame rate > 0");
    size_t nq = (size_t)(rt->r->nq > 0 ? rt->r->nq : 1);
    lfd_retarget_stream tmp = {0};
    lfd_arena a = {0};
    stream_layout(&a, nq, &tmp);
    if (!lfd_arena_alloc(&a))
        return lfd_fail(err, LFD_ENOMEM, "out of memory for the retarget stream");
    lfd_retarget_stream *s = stream_layout(&a, nq, &tmp); /* == the block */
    *s = tmp;
    s->rt = rt;
    s->dt = 1.0 / fps;
    s->blend_frames = (int)ceil(BLEND_S * fps);
    int rc = lfd_ik_ws_new(&s->ws, rt->ik, err);
    if (rc) {
        lfd_retarget_stream_free(&s);
        return rc;
    }
    lfd_retarget_stream_reset(s);
    *out = s;
    return LFD_OK;
}

void lfd_retarget_stream_free(lfd_retarget_stream **ps)
{
    if (!ps || !*ps)
        return;
    lfd_ik_ws_free(&(*ps)->ws);
    free(*ps); /* the struct heads its block */
    *ps = NULL;
}

void lfd_retarget_stream_reset(lfd_retarget_stream *s)
{
    s->first = 1;
    s->nprev = 0;
    s->pin_pending[0] = s->pin_pending[1] = 0;
    s->pinned[0] = s->pinned[1] = 0;
    s->blend_left[0] = s->blend_left[1] = 0;
    s->pin_level[0] = s->pin_level[1] = 0;
}

void lfd_rt_stream_warm(lfd_retarget_stream *s, const double *qpos)
{
    memcpy(s->qprev, qpos, (size_t)s->rt->r->nq * sizeof(double));
    s->first = 0;
    s->nprev = 1;
}

static void yaw_quat(double q[4], double yaw)
{
    q[0] = cos(0.5 * yaw);
    q[1] = q[2] = 0;
    q[3] = sin(0.5 * yaw);
}

static double quat_yaw(const double q[4])
{
    double x[3] = {1, 0, 0}, w[3];
    lfd_quat_rotate(w, q, x);
    return atan2(w[1], w[0]);
}

void lfd_rt_roll_quat(const double hq[4], double allow, double q[4])
{
    double x[3] = {1, 0, 0}, w[3];
    lfd_quat_rotate(w, hq, x);
    double yaw = atan2(w[1], w[0]);
    double th = atan2(-w[2], hypot(w[0], w[1]));
    th = allow * fmin(fmax(th, -ROLL_HEEL_MAX_RAD), ROLL_TOE_MAX_RAD);
    /* heading, then pitch about the foot's own lateral (y) axis */
    double qy[4], qp[4] = {cos(0.5 * th), 0, sin(0.5 * th), 0};
    yaw_quat(qy, yaw);
    lfd_quat_mul(q, qy, qp);
}

/* pivot (toe or heel edge) of a foot at orientation q: its offset from the
   ankle rotated by q and by the flat foot of the same heading */
static void roll_offsets(const lfd_retargeter *rt, int side, const double q[4], double d_roll[3],
                         double d_flat[3])
{
    double x[3] = {1, 0, 0}, w[3], qf[4];
    lfd_quat_rotate(w, q, x);
    yaw_quat(qf, atan2(w[1], w[0]));
    /* toe down (w pointing below the horizon): the front edge carries it;
       rolled sideways, the lower of the two long edges (at no roll both
       give the same offsets, so the choice is continuous) */
    const double *lat = rt->pivot_lat[side];
    double lw[3], rel[3];
    lfd_quat_rotate(lw, q, lat);
    for (int a = 0; a < 3; a++)
        rel[a] = rt->pivot_rel[side][w[2] < 0 ? 1 : 0][a] + (lw[2] > 0 ? -lat[a] : lat[a]);
    lfd_quat_rotate(d_roll, q, rel);
    lfd_quat_rotate(d_flat, qf, rel);
}

void lfd_rt_roll_ankle(const lfd_retargeter *rt, int side, const double pin[3], const double q[4],
                       double ankle[3])
{
    double dr[3], df[3];
    roll_offsets(rt, side, q, dr, df);
    for (int a = 0; a < 3; a++)
        ankle[a] = pin[a] + df[a] - dr[a];
}

void lfd_rt_unroll_ankle(const lfd_retargeter *rt, int side, const double ankle[3],
                         const double q[4], double pin[3])
{
    double dr[3], df[3];
    roll_offsets(rt, side, q, dr, df);
    for (int a = 0; a < 3; a++)
        pin[a] = ankle[a] - df[a] + dr[a];
}

/* scaled targets down the map tree, plus orientation targets */
static void build_targets(const lfd_retargeter *rt, const lfd_retarget_input *in, double *tpos,
                          double *tquat)
{
    const lfd_retarget_calib *c = &rt->calib;
    for (int e = 0; e < rt->nmap; e++) {
        int cj = rt->cj[e], pe = rt->parent_e[e];
        const double *h = in->cpos + 3 * cj;
        double *t = tpos + 3 * e;
        if (pe < 0) {
            t[0] = rt->s_xy * (h[0] - c->origin_xy[0]);
            t[1] = rt->s_xy * (h[1] - c->origin_xy[1]);
            t[2] = rt->s_root * (h[2] - c->floor_z_m);
        } else if (rt->rigid_seg[e] >= 0) {
            /* a rigid edge: the robot's vector, turned like the human segment */
            double v[3];
            lfd_quat_rotate(v, in->seg + 7 * rt->rigid_seg[e] + 3, rt->rel0[e]);
            lfd_v3_add(t, tpos + 3 * pe, v);
        } else {
            /* parents come first in the canonical order, so tpos[pe] is ready */
            const double *hp = in->cpos + 3 * rt->cj[pe];
            for (int a = 0; a < 3; a++)
                t[a] = tpos[3 * pe + a] + rt->scale[e] * (h[a] - hp[a]);
        }
        double *q = tquat + 4 * e;
        int src = rt->segsrc[e];
        if (src >= 0)
            memcpy(q, in->seg + 7 * src + 3, 4 * sizeof(double));
        else if (src == SEGSRC_SPINE)
            lfd_quat_slerp(q, in->seg + 7 * LFD_SEG_PELVIS + 3, in->seg + 7 * LFD_SEG_CHEST + 3, 0.5);
        else
            lfd_quat_identity(q);
    }
}

/* upper-body mode: the human's upper body relative to its pelvis, placed on
   the robot's pelvis at the default pose */
static void to_upper_body(const lfd_retargeter *rt, const lfd_retarget_input *in, double *tpos,
                          double *tquat)
{
    const double *hp_q = in->seg + 7 * LFD_SEG_PELVIS + 3;
    double hinv[4], M[4];
    lfd_quat_conj(hinv, hp_q);
    lfd_quat_mul(M, rt->pel_def_q, hinv);
    const double *tp = tpos + 3 * rt->pelvis_e;
    double tpel[3] = {tp[0], tp[1], tp[2]};
    for (int e = 0; e < rt->nmap; e++) {
        double rel[3];
        lfd_v3_sub(rel, tpos + 3 * e, tpel);
        lfd_quat_rotate(rel, M, rel);
        lfd_v3_add(tpos + 3 * e, rt->pel_def_pos, rel);
        lfd_quat_mul(tquat + 4 * e, M, tquat + 4 * e);
    }
}

static double solve_from(lfd_retarget_stream *s, double *q, const lfd_ik_frame *fr, int iters,
                         lfd_ik_result *res)
{
    lfd_ik_frame f = *fr;
    f.max_iters = iters;
    return lfd_ik_solve(s->rt->ik, s->ws, &f, q, res) == LFD_OK ? res->cost : INFINITY;
}

/* the first frame: several starts, keep the best */
static int first_frame(lfd_retarget_stream *s, const lfd_ik_frame *fr, double *qpos,
                       lfd_ik_result *res)
{
    const lfd_retargeter *rt = s->rt;
    const lfd_robot *r = rt->r;
    const mjModel *m = r->m;
    size_t nq = (size_t)m->nq;
    double best = INFINITY;
    int nstart = rt->opts.upper_body ? 1 : rt->opts.first_starts;
    const double *tp = fr->pos + 3 * rt->pelvis_e;
    double yaw = fr->quat ? quat_yaw(fr->quat + 4 * rt->pelvis_e) : 0;
    for (int start = 0; start < nstart; start++) {
        /* the default (start 0, 2) or zero (start 1) pose, placed under the target pelvis */
        memcpy(s->qtry, start == 1 ? m->qpos0 : r->qpos_default, nq * sizeof(double));
        if (r->floating && !rt->opts.upper_body) {
            if (start == 1)
                s->qtry[2] = r->qpos_default[2];
            double yq[4];
            yaw_quat(yq, yaw);
            lfd_quat_mul(s->qtry + 3, yq, r->qpos_default + 3);
            s->qtry[0] = tp[0];
            s->qtry[1] = tp[1];
        }
        lfd_ik_result rr;
        if (start < 2) {
            solve_from(s, s->qtry, fr, 60, &rr);
        } else {
            /* homotopy: from where the placed default pose's bodies are to the targets */
            mjData *d = lfd_ik_ws_data(s->ws);
            memcpy(d->qpos, s->qtry, nq * sizeof(double));
            mj_kinematics(m, d);
            for (int e = 0; e < rt->nmap; e++) {
                lfd_rt_map_point(m, d, &r->map[e], s->p0 + 3 * e);
                double ci[4];
                lfd_quat_conj(ci, r->map[e].rot_offset);
                lfd_quat_mul(s->q0 + 4 * e, d->xquat + 4 * r->map[e].body_id, ci);
            }
            double ip[3 * LFD_CJ_COUNT], iq[4 * LFD_CJ_COUNT];
            lfd_ik_frame h = *fr;
            h.pos = ip;
            h.quat = fr->quat ? iq : NULL;
            for (int k = 1; k <= 10; k++) {
                double a = k / 10.0;
                for (int i = 0; i < 3 * rt->nmap; i++)
                    ip[i] = (1 - a) * s->p0[i] + a * fr->pos[i];
                for (int e = 0; fr->quat && e < rt->nmap; e++)
                    lfd_quat_slerp(iq + 4 * e, s->q0 + 4 * e, fr->quat + 4 * e, a);
                solve_from(s, s->qtry, &h, k == 10 ? 40 : 10, &rr);
            }
        }
        lfd_ik_evaluate(rt->ik, s->ws, fr, s->qtry, &rr);
        if (rr.cost < best) {
            best = rr.cost;
            memcpy(s->qbest, s->qtry, nq * sizeof(double));
        }
    }
    if (!isfinite(best))
        return LFD_ENUMERIC;
    memcpy(qpos, s->qbest, nq * sizeof(double));
    lfd_ik_evaluate(rt->ik, s->ws, fr, qpos, res);
    return LFD_OK;
}

static int all_finite(const double *v, int n)
{
    for (int i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return 0;
    return 1;
}

int lfd_retarget_stream_push(lfd_retarget_stream *s, const lfd_retarget_input *in, double *qpos,
                             lfd_retarget_info *info, lfd_err *err)
{
    const lfd_retargeter *rt = s->rt;
    const lfd_robot *r = rt->r;
    if (!all_finite(in->cpos, 3 * LFD_CJ_COUNT) || !all_finite(in->seg, 7 * LFD_SEG_COUNT))
        return lfd_fail(err, LFD_ENUMERIC, "retarget input has a NaN or infinite value");
    /* segment frames without their neutral tilt */
    double seg[7 * LFD_SEG_COUNT];
    for (int sg = 0; sg < LFD_SEG_COUNT; sg++) {
        double ci[4];
        memcpy(seg + 7 * sg, in->seg + 7 * sg, 3 * sizeof(double));
        lfd_quat_conj(ci, rt->calib.seg_tilt[sg]);
        lfd_quat_mul(seg + 7 * sg + 3, in->seg + 7 * sg + 3, ci);
    }
    lfd_retarget_input cin = {in->cpos, seg, in->contact, in->shift, in->roll};
    /* targets from the human, scaled down the map tree */
    build_targets(rt, &cin, s->tpos, s->tquat);
    if (rt->opts.upper_body)
        to_upper_body(rt, &cin, s->tpos, s->tquat);
    memcpy(s->hpos, s->tpos, sizeof s->hpos);
    for (int e = 0; e < rt->nmap; e++) {
        s->pw[e] = rt->opts.upper_body && !rt->upper[e] ? 0 : r->map[e].pos_w;
        s->rw[e] = rt->opts.upper_body && !rt->upper[e] ? 0 : rt->ik->tasks[e].rot_weight;
    }
    /* a whole-clip pass's pelvis path: the body moves with it, the pelvis follows closely */
    if (in->shift && !rt->opts.upper_body) {
        /* the arms keep their world targets: where the hands are is the task
           (a cup, a table), and the arms reach across the pelvis's shift */
        for (int e = 0; e < rt->nmap; e++)
            if (!(rt->cj[e] >= LFD_CJ_L_SHOULDER && rt->cj[e] <= LFD_CJ_R_WRIST))
                lfd_v3_add(s->tpos + 3 * e, s->tpos + 3 * e, in->shift);
        s->pw[rt->pelvis_e] *= SHIFT_PELVIS_GAIN;
    }
    /* feet in contact are pinned: where contact began, sole flat, heading kept */
    int pin_ok = !rt->opts.upper_body && !rt->opts.no_contacts && in->contact;
    for (int f = 0; f < 2; f++) {
        int ae = rt->ankle_e[f], te = rt->toe_e[f];
        if (ae < 0 || r->feet[f].body_id < 0) {
            s->pinned[f] = 0;
            continue;
        }
        int c = pin_ok && in->contact[f];
        if (c && !s->pinned[f]) {
            /* touch-down: this frame lands the foot where the IK puts it (from the
               human); it is pinned there from the next frame on, so the pin never
               pulls a landing foot sideways */
            s->pin_pending[f] = 1;
            s->blend_left[f] = 0;
        } else if (!c && s->pinned[f]) {
            s->pinned[f] = 0;
            s->blend_left[f] = s->blend_frames;
            /* blend_pos / blend_q hold the last pinned target (rolled) */
        }
        /* the pin's weight switches at once: ramping it in lets the landing
           foot slide (the whole-clip pass smooths the switch instead) */
        s->pin_level[f] = s->pinned[f] ? 1 : 0;
        double gain = 1 + (PIN_POS_GAIN - 1) * s->pin_level[f];
        double pos[3], q[4];
        double alpha;
        if (s->pinned[f]) {
            /* position pinned; the sole turns with the human foot's heading
               and rolls onto its toe or heel edge as the human's does */
            lfd_rt_roll_quat(s->tquat + 4 * ae, in->roll ? in->roll[f] : 1, q);
            lfd_rt_roll_ankle(rt, f, s->pin_pos[f], q, pos);
            memcpy(s->blend_pos[f], pos, sizeof pos);
            memcpy(s->blend_q[f], q, sizeof q);
            alpha = 0;
            s->pw[ae] *= gain;
            s->rw[ae] *= PIN_ROT_GAIN;
        } else if (s->blend_left[f] > 0) {
            memcpy(pos, s->blend_pos[f], sizeof pos);
            memcpy(q, s->blend_q[f], sizeof q);
            alpha = 1.0 - (double)s->blend_left[f] / (s->blend_frames + 1);
            s->blend_left[f]--;
        } else {
            continue;
        }
        /* the pinned foot's ankle and toe targets (lerp toward the human when blending) */
        double tq[4];
        lfd_quat_slerp(tq, q, s->tquat + 4 * ae, alpha);
        for (int a = 0; a < 3; a++)
            s->tpos[3 * ae + a] = (1 - alpha) * pos[a] + alpha * s->tpos[3 * ae + a];
        memcpy(s->tquat + 4 * ae, tq, sizeof tq);
        if (te >= 0) {
            double rel[3];
            lfd_quat_rotate(rel, q, rt->toe_rel0[f]);
            for (int a = 0; a < 3; a++)
                s->tpos[3 * te + a] = (1 - alpha) * (pos[a] + rel[a]) + alpha * s->tpos[3 * te + a];
            if (s->pinned[f])
                s->pw[te] *= gain;
        }
    }
    /* both feet planted: the trunk's heading and tilt yield to them (a human
       turns the pelvis further over planted feet than most robots' hip yaw) */
    double both = fmin(s->pin_level[0], s->pin_level[1]);
    if (both > 0)
        for (int e = 0; e < rt->nmap; e++)
            if (rt->cj[e] == LFD_CJ_PELVIS || rt->cj[e] == LFD_CJ_SPINE || rt->cj[e] == LFD_CJ_CHEST)
                s->rw[e] *= 1 - (1 - DOUBLE_SUPPORT_TRUNK_ROT) * both;
    lfd_ik_frame fr = {s->tpos, s->tquat, s->pw, s->rw, s->first ? NULL : s->qprev, s->dt, 0,
                       s->nprev >= 2 ? s->qprev2 : NULL, NULL};
    lfd_retarget_info tmp;
    lfd_retarget_info *out = info ? info : &tmp;
    int rc;
    if (s->first) {
        rc = first_frame(s, &fr, qpos, &out->ik);
        s->first = 0;
    } else {
        memcpy(qpos, s->qprev, (size_t)r->nq * sizeof(double));
        rc = lfd_ik_solve(rt->ik, s->ws, &fr, qpos, &out->ik);
    }
    if (rc)
        return lfd_fail(err, LFD_ENUMERIC, "inverse kinematics failed (singular step)");
    memcpy(s->qprev2, s->qprev, (size_t)r->nq * sizeof(double));
    memcpy(s->qprev, qpos, (size_t)r->nq * sizeof(double));
    s->nprev++;
    /* figures of this frame */
    mjData *d = lfd_ik_ws_data(s->ws);
    out->nmap = rt->nmap;
    out->lowest_sole_z_m = INFINITY;
    for (int f = 0; f < 2; f++) {
        out->pinned[f] = s->pinned[f];
        const lfd_robot_foot *ft = &r->feet[f];
        if (rt->ankle_e[f] >= 0) {
            const lfd_robot_map_entry *me = &r->map[rt->ankle_e[f]];
            double fq[4];
            lfd_rt_map_point(r->m, d, me, out->foot_pos[f]);
            lfd_rt_map_quat(d, me, fq);
            lfd_rt_unroll_ankle(rt, f, out->foot_pos[f], fq, out->foot_flat[f]);
        }
        if (s->pin_pending[f]) {
            /* pin where the foot landed, sole on the floor, heading from the
               human; the pin is the flat foot's ankle point (a foot landing on
               its heel pivots about the heel edge) */
            s->pin_pending[f] = 0;
            s->pinned[f] = 1;
            double qr[4];
            lfd_rt_roll_quat(s->tquat + 4 * rt->ankle_e[f], in->roll ? in->roll[f] : 1, qr);
            lfd_rt_unroll_ankle(rt, f, out->foot_pos[f], qr, s->pin_pos[f]);
            s->pin_pos[f][2] = rt->ankle_rest_z[f];
        }
        if (ft->body_id < 0)
            continue;
        for (int k = 0; k < 4; k++) {
            double corner[3] = {ft->sole[k & 1], ft->sole[2 + (k >> 1)], ft->sole_z}, w[3];
            lfd_mat3_mulv(w, d->xmat + 9 * ft->body_id, corner);
            out->lowest_sole_z_m = fmin(out->lowest_sole_z_m, w[2] + d->xpos[3 * ft->body_id + 2]);
        }
    }
    return LFD_OK;
}

/* ---- smoothing ----------------------------------------------------------------------- */

int lfd_filtfilt_lowpass(double *x, int n, size_t stride, double cutoff_hz, double fs,
                         lfd_err *err)
{
    if (n < 4 || !(cutoff_hz > 0) || cutoff_hz >= 0.5 * fs)
        return LFD_OK;
    /* 2nd-order Butterworth by the bilinear transform with prewarping */
    double k = tan(M_PI * cutoff_hz / fs), q = M_SQRT2;
    double norm = 1 / (1 + k * q + k * k);
    double b0 = k * k * norm, b1 = 2 * b0, b2 = b0;
    double a1 = 2 * (k * k - 1) * norm, a2 = (1 - k * q + k * k) * norm;
    int pad = n - 1 < 3 * (int)(fs / cutoff_hz) ? n - 1 : 3 * (int)(fs / cutoff_hz);
    int m = n + 2 * pad;
    double *y = malloc((size_t)m * sizeof *y);
    if (!y)
        return lfd_fail(err, LFD_ENOMEM, "out of memory (low-pass of %d samples)", n);
    /* odd reflection at both ends keeps the end values and slopes */
    for (int i = 0; i < n; i++)
        y[pad + i] = x[(size_t)i * stride];
    for (int i = 1; i <= pad; i++) {
        y[pad - i] = 2 * y[pad] - y[pad + i];
        y[pad + n - 1 + i] = 2 * y[pad + n - 1] - y[pad + n - 1 - i];
    }
    for (int pass = 0; pass < 2; pass++) {
        double x1 = y[0], x2 = y[0], y1 = y[0], y2 = y[0];
        for (int i = 0; i < m; i++) {
            double v = b0 * y[i] + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2;
            x2 = x1;
            x1 = y[i];
            y2 = y1;
            y1 = v;
            y[i] = v;
        }
        /* reverse for the backward pass (and back again after it) */
        for (int i = 0; i < m / 2; i++) {
            double t = y[i];
            y[i] = y[m - 1 - i];
            y[m - 1 - i] = t;
        }
    }
    for (int i = 0; i < n; i++)
        x[(size_t)i * stride] = y[pad + i];
    free(y);
    return LFD_OK;
}
