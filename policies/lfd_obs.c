/*  lfd_obs: observation layouts and the allocation-free builder (see
    lfd_obs.h). */
#include "policies/lfd_obs.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/lfd_quat.h"

void lfd_obs_opts_init(lfd_obs_opts *o)
{
    memset(o, 0, sizeof *o);
    o->root = -1;
    o->prev_action = 1;
    o->phase = 1;
}

int lfd_obs_joint_is_leg(const lfd_robot *r, int j)
{
    int b = r->joints[j].body_id;
    for (int k = 0; k < 2; k++) {
        /* walk up from the foot: is the joint's body on the way? */
        for (int f = r->feet[k].body_id; f > 0; f = r->m->body_parentid[f])
            if (f == b)
                return 1;
    }
    return 0;
}

/* the robot-dependent part shared by both constructors */
static int layout_robot(lfd_obs_layout *L, const lfd_robot *r, lfd_err *err)
{
    memset(L, 0, sizeof *L);
    if (r->njoints < 1 || r->njoints > LFD_OBS_MAX_JOINTS)
        return lfd_fail(err, LFD_ELIMIT, "robot '%s' has %d joints (policies take 1..%d)",
                        r->name, r->njoints, LFD_OBS_MAX_JOINTS);
    L->njoints = r->njoints;
    L->floating = r->floating;
    for (int j = 0; j < r->njoints; j++) {
        const lfd_robot_joint *J = &r->joints[j];
        if (strlen(J->name) > 58)
            return lfd_fail(err, LFD_ELIMIT, "joint name '%s' is too long for an observation "
                                             "name (58 bytes at most)",
                            J->name);
        L->qpos_adr[j] = J->qpos_adr;
        L->dof_adr[j] = J->dof_adr;
        L->q_default[j] = J->default_q;
        L->slide[j] = J->type == mjJNT_SLIDE;
        snprintf(L->joint_names[j], sizeof L->joint_names[j], "%s", J->name);
    }
    return LFD_OK;
}

/* offsets of every block from the counts and flags */
static void layout_offsets(lfd_obs_layout *L)
{
    int o = 0;
    L->off_q = o;
    o += L->nobs_j;
    L->off_qd = o;
    o += L->nobs_j;
    L->off_gravity = L->off_angvel = L->off_prev = L->off_phase = -1;
    if (L->root) {
        L->off_gravity = o;
        L->off_angvel = o + 3;
        o += 6;
    }
    if (L->prev_action) {
        L->off_prev = o;
        o += L->ndriven;
    }
    if (L->phase)
        L->off_phase = o++;
    L->dim = o;
}

int lfd_obs_layout_init(lfd_obs_layout *L, const lfd_robot *r, const lfd_obs_opts *o,
                        lfd_err *err)
{
    int rc = layout_robot(L, r, err);
    if (rc)
        return rc;
    L->upper_body = o->upper_body != 0;
    for (int j = 0; j < r->njoints; j++)
        if (!L->upper_body || !lfd_obs_joint_is_leg(r, j)) {
            L->obs_j[L->nobs_j++] = j;
            L->driven[L->ndriven++] = j;
        }
    if (L->ndriven == 0)
        return lfd_fail(err, LFD_EARG, "robot '%s' has no joint off its legs to drive",
                        r->name);
    L->root = r->floating && (o->root < 0 ? !L->upper_body : o->root != 0);
    L->prev_action = o->prev_action != 0;
    L->phase = o->phase != 0;
    layout_offsets(L);
    return LFD_OK;
}

static const char *AXES[3] = {"x", "y", "z"};

void lfd_obs_name(const lfd_obs_layout *L, int i, char name[64], char unit[16])
{
    name[0] = unit[0] = '\0';
    if (i < 0 || i >= L->dim)
        return;
    if (i < L->off_qd) {
        int j = L->obs_j[i - L->off_q];
        snprintf(name, 64, "q.%s", L->joint_names[j]);
        snprintf(unit, 16, "%s", L->slide[j] ? "m" : "rad");
    } else if (i < L->off_qd + L->nobs_j) {
        int j = L->obs_j[i - L->off_qd];
        snprintf(name, 64, "qd.%s", L->joint_names[j]);
        snprintf(unit, 16, "%s", L->slide[j] ? "m/s" : "rad/s");
    } else if (L->root && i < L->off_gravity + 3) {
        snprintf(name, 64, "gravity.%s", AXES[i - L->off_gravity]);
        snprintf(unit, 16, "1");
    } else if (L->root && i < L->off_angvel + 3) {
        snprintf(name, 64, "angvel.%s", AXES[i - L->off_angvel]);
        snprintf(unit, 16, "rad/s");
    } else if (L->prev_action && i < L->off_prev + L->ndriven) {
        int j = L->driven[i - L->off_prev];
        snprintf(name, 64, "prev.%s", L->joint_names[j]);
        snprintf(unit, 16, "%s", L->slide[j] ? "m" : "rad");
    } else {
        snprintf(name, 64, "phase");
        snprintf(unit, 16, "1");
    }
}

static int joint_by_name(const lfd_obs_layout *L, const char *name)
{
    for (int j = 0; j < L->njoints; j++)
        if (!strcmp(L->joint_names[j], name))
            return j;
    return -1;
}

int lfd_obs_layout_from_names(lfd_obs_layout *L, const lfd_robot *r, int n,
                              const char (*names)[64], const int *driven, int ndriven,
                              lfd_err *err)
{
    int rc = layout_robot(L, r, err);
    if (rc)
        return rc;
    /* the driven joints: given, or all */
    if (driven && ndriven > 0 && ndriven < r->njoints) {
        for (int k = 0; k < ndriven; k++) {
            if (driven[k] < 0 || driven[k] >= r->njoints || (k && driven[k] <= driven[k - 1]))
                return lfd_fail(err, LFD_EMISMATCH, "driven joint list is not ascending "
                                                    "robot joint indices (entry %d)",
                                k);
            L->driven[k] = driven[k];
        }
        L->ndriven = ndriven;
        L->upper_body = 1;
    } else {
        for (int j = 0; j < r->njoints; j++)
            L->driven[j] = j;
        L->ndriven = r->njoints;
    }
    /* the blocks in order: q, qd, gravity, angvel, prev, phase */
    int i = 0, nq = 0;
    while (i < n && !strncmp(names[i], "q.", 2)) {
        int j = joint_by_name(L, names[i] + 2);
        if (j < 0)
            return lfd_fail(err, LFD_EMISMATCH, "observation %d '%s': robot '%s' has no such "
                                                "joint",
                            i, names[i], r->name);
        if (nq >= LFD_OBS_MAX_JOINTS)
            return lfd_fail(err, LFD_ELIMIT, "too many joint observations");
        L->obs_j[nq++] = j;
        i++;
    }
    L->nobs_j = nq;
    for (int k = 0; k < nq; k++, i++)
        if (i >= n || strncmp(names[i], "qd.", 3) ||
            strcmp(names[i] + 3, L->joint_names[L->obs_j[k]]))
            return lfd_fail(err, LFD_EMISMATCH, "observation %d: expected 'qd.%s', found '%s'", i,
                            L->joint_names[L->obs_j[k]], i < n ? names[i] : "(end)");
    if (i < n && !strcmp(names[i], "gravity.x")) {
        static const char *root[6] = {"gravity.x", "gravity.y", "gravity.z",
                                      "angvel.x",  "angvel.y",  "angvel.z"};
        if (!r->floating)
            return lfd_fail(err, LFD_EMISMATCH, "observation %d: root observations on "
                                                "fixed-base robot '%s'",
                            i, r->name);
        for (int k = 0; k < 6; k++, i++)
            if (i >= n || strcmp(names[i], root[k]))
                return lfd_fail(err, LFD_EMISMATCH, "observation %d: expected '%s', found '%s'",
                                i, root[k], i < n ? names[i] : "(end)");
        L->root = 1;
    }
    if (i < n && !strncmp(names[i], "prev.", 5)) {
        for (int k = 0; k < L->ndriven; k++, i++)
            if (i >= n || strncmp(names[i], "prev.", 5) ||
                strcmp(names[i] + 5, L->joint_names[L->driven[k]]))
                return lfd_fail(err, LFD_EMISMATCH,
                                "observation %d: expected 'prev.%s' (previous actions of the "
                                "driven joints in order), found '%s'",
                                i, L->joint_names[L->driven[k]], i < n ? names[i] : "(end)");
        L->prev_action = 1;
    }
    if (i < n && !strcmp(names[i], "phase")) {
        L->phase = 1;
        i++;
    }
    if (i != n)
        return lfd_fail(err, LFD_EMISMATCH, "observation %d '%s' is not part of lfd's "
                                            "observation layout (policies/lfd_obs.h)",
                        i, names[i]);
    layout_offsets(L);
    return LFD_OK;
}

void lfd_obs_build(const lfd_obs_layout *L, const double *qpos, const double *qvel,
                   const float *prev_action, double phase, float *obs)
{
    /* joints relative to the default pose, and their velocities */
    for (int k = 0; k < L->nobs_j; k++) {
        int j = L->obs_j[k];
        obs[L->off_q + k] = (float)(qpos[L->qpos_adr[j]] - L->q_default[j]);
        obs[L->off_qd + k] = qvel ? (float)qvel[L->dof_adr[j]] : 0.0f;
    }
    /* root: gravity in the root frame, angular velocity (MuJoCo's free-joint
       qvel[3..6) is already in the root frame) */
    if (L->root) {
        double q[4] = {qpos[3], qpos[4], qpos[5], qpos[6]}, g[3] = {0, 0, -1}, gr[3];
        double nq = sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
        for (int k = 0; k < 4; k++)
            q[k] = nq > 0 ? q[k] / nq : q[k];
        lfd_quat_rotate_inv(gr, q, g);
        for (int k = 0; k < 3; k++) {
            obs[L->off_gravity + k] = (float)gr[k];
            obs[L->off_angvel + k] = qvel ? (float)qvel[3 + k] : 0.0f;
        }
    }
    /* the previous action of each driven joint, relative to the default */
    if (L->prev_action)
        for (int k = 0; k < L->ndriven; k++) {
            int j = L->driven[k];
            obs[L->off_prev + k] = prev_action ? (float)(prev_action[j] - L->q_default[j]) : 0.0f;
        }
    if (L->phase)
        obs[L->off_phase] = (float)(phase < 0 ? 0 : phase > 1 ? 1 : phase);
}
