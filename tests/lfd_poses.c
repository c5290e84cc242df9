/*  lfd_poses: planting a floating robot's feet and simple motions
    (lfd_poses.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/lfd_quat.h"
#include "tests/lfd_poses.h"

int lfd_pose_plant(const lfd_robot *r, mjData *d, double *qpos, int side, double x, double y,
                   double yaw_rad, lfd_err *err)
{
    const mjModel *m = r->m;
    if (!r->floating)
        return lfd_fail(err, LFD_EARG, "robot %s has a fixed base: nothing to plant", r->name);
    const lfd_robot_foot *ft = &r->feet[side & 1];
    if (ft->body_id < 0)
        return lfd_fail(err, LFD_EARG, "robot %s has no %s foot", r->name, side ? "right" : "left");
    /* the foot's pose relative to the root, from the root at the identity */
    memcpy(d->qpos, qpos, (size_t)m->nq * sizeof(double));
    memset(d->qpos, 0, 3 * sizeof(double));
    d->qpos[3] = 1;
    d->qpos[4] = d->qpos[5] = d->qpos[6] = 0;
    mj_kinematics(m, d);
    const double *pf = d->xpos + 3 * ft->body_id, *Rf = d->xmat + 9 * ft->body_id;
    /* the wanted foot pose: level, heading yaw, sole centre at (x, y, 0) */
    double Rw[9] = {cos(yaw_rad), -sin(yaw_rad), 0, sin(yaw_rad), cos(yaw_rad), 0, 0, 0, 1};
    double sole[3] = {0.5 * (ft->sole[0] + ft->sole[1]), 0.5 * (ft->sole[2] + ft->sole[3]), ft->sole_z};
    double pw[3], t[3];
    lfd_mat3_mulv(t, Rw, sole);
    pw[0] = x - t[0];
    pw[1] = y - t[1];
    pw[2] = -t[2];
    /* root = wanted foot pose * (foot relative to root)^-1 */
    double RfT[9], Rroot[9], proot[3];
    lfd_mat3_transpose(RfT, Rf);
    lfd_mat3_mul(Rroot, Rw, RfT);
    lfd_mat3_mulv(t, Rroot, pf);
    for (int i = 0; i < 3; i++)
        proot[i] = pw[i] - t[i];
    memcpy(qpos, proot, sizeof proot);
    lfd_mat_to_quat(qpos + 3, Rroot);
    lfd_quat_normalize(qpos + 3);
    return LFD_OK;
}

int lfd_pose_plant_motion(const lfd_robot *r, lfd_motion *mo, int side, lfd_err *err)
{
    const mjModel *m = r->m;
    mjData *d = mj_makeData(m);
    if (!d)
        return lfd_fail(err, LFD_ENOMEM, "out of memory");
    /* where the foot stands in the default pose */
    memcpy(d->qpos, r->qpos_default, (size_t)m->nq * sizeof(double));
    mj_kinematics(m, d);
    const lfd_robot_foot *ft = &r->feet[side & 1];
    int rc = LFD_OK;
    if (ft->body_id < 0) {
        mj_deleteData(d);
        return lfd_fail(err, LFD_EARG, "robot %s has no %s foot", r->name, side ? "right" : "left");
    }
    double sole[3] = {0.5 * (ft->sole[0] + ft->sole[1]), 0.5 * (ft->sole[2] + ft->sole[3]), ft->sole_z};
    const double *R = d->xmat + 9 * ft->body_id, *p = d->xpos + 3 * ft->body_id;
    double c[3];
    lfd_mat3_mulv(c, R, sole);
    double x = p[0] + c[0], y = p[1] + c[1], yaw = atan2(R[3], R[0]);
    for (int f = 0; f < mo->nframes && !rc; f++)
        rc = lfd_pose_plant(r, d, lfd_motion_frame(mo, f), side, x, y, yaw, err);
    mj_deleteData(d);
    return rc;
}

double lfd_pose_bump(double t, double t0, double t1, double ramp_s)
{
    if (t <= t0 - ramp_s || t >= t1 + ramp_s)
        return 0;
    if (t >= t0 && t <= t1)
        return 1;
    double u = t < t0 ? (t - (t0 - ramp_s)) / ramp_s : ((t1 + ramp_s) - t) / ramp_s;
    return 0.5 * (1 - cos(M_PI * u));
}

int lfd_pose_add_joint(const lfd_robot *r, lfd_motion *mo, const char *pattern, double value,
                       double t0, double t1, double ramp_s)
{
    int matched = 0;
    for (int j = 0; j < r->njoints; j++) {
        if (strcmp(r->joints[j].name, pattern) && !strstr(r->joints[j].name, pattern))
            continue;
        matched++;
        int a = r->joints[j].qpos_adr;
        for (int f = 0; f < mo->nframes; f++)
            lfd_motion_frame(mo, f)[a] += value * lfd_pose_bump(f / mo->fps, t0, t1, ramp_s);
    }
    return matched;
}

int lfd_pose_stand(const lfd_robot *r, lfd_motion *mo, double seconds, double fps, lfd_err *err)
{
    int n = (int)lround(seconds * fps) + 1;
    return lfd_robot_motion_alloc(r, mo, n, fps, 0, err);
}

/* a joint whose name contains one of the patterns ("" if none) */
static int find_any(const lfd_robot *r, const char *side, const char *const *pats)
{
    for (int p = 0; pats[p]; p++)
        for (int j = 0; j < r->njoints; j++) {
            const char *n = r->joints[j].name;
            if (!strncmp(n, side, strlen(side)) && strstr(n, pats[p]))
                return j;
        }
    return -1;
}

int lfd_pose_squat(const lfd_robot *r, lfd_motion *mo, double seconds, double fps, double depth_rad,
                   double period_s, lfd_err *err)
{
    static const char *hip[] = {"hip_pitch", NULL}, *knee[] = {"knee", NULL},
                      *ankle[] = {"ankle_pitch", "ankle", NULL};
    int jh[2], jk[2], ja[2];
    const char *sides[2] = {"left", "right"};
    for (int s = 0; s < 2; s++) {
        jh[s] = find_any(r, sides[s], hip);
        jk[s] = find_any(r, sides[s], knee);
        ja[s] = find_any(r, sides[s], ankle);
        if (jh[s] < 0 || jk[s] < 0 || ja[s] < 0)
            return lfd_fail(err, LFD_EUNSUPPORTED,
                            "robot %s: no %s hip_pitch/knee/ankle joints for a squat", r->name, sides[s]);
    }
    int rc = lfd_pose_stand(r, mo, seconds, fps, err);
    if (rc)
        return rc;
    for (int f = 0; f < mo->nframes; f++) {
        double a = depth_rad * 0.5 * (1 - cos(2 * M_PI * (f / fps) / period_s));
        double *q = lfd_motion_frame(mo, f);
        for (int s = 0; s < 2; s++) {
            q[r->joints[jh[s]].qpos_adr] -= a;
            q[r->joints[jk[s]].qpos_adr] += 2 * a;
            q[r->joints[ja[s]].qpos_adr] -= a;
        }
    }
    rc = lfd_pose_plant_motion(r, mo, LFD_LEFT, err);
    if (rc)
        lfd_motion_free(mo);
    return rc;
}
