/*  lfd_playback: a playback policy from a motion and its robot (see
    lfd_playback.h). */
/* Built when the robots layer is present (robots/lfd_robot.h). */
#include "runtime/lfd_playback.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/lfd_sha256.h"
#include "policies/lfd_bc.h"

int lfd_playback_from_motion(const lfd_motion *m, const lfd_robot *r, const char *name,
                             double control_period_s, int chunk, const char *motion_label,
                             const char *motion_sha256, lfd_policy **out, lfd_err *err)
{
    *out = NULL;
    int rc;
    if ((rc = lfd_motion_validate(m, err)) || (rc = lfd_robot_motion_check(r, m, err)))
        return rc;
    if (!(control_period_s > 0 && control_period_s <= 10))
        return lfd_fail(err, LFD_EARG, "control period %g s is not in (0, 10]",
                        control_period_s);
    if (!name || !name[0] || strlen(name) >= LFD_POLICY_NAME_MAX)
        return lfd_fail(err, LFD_EARG, "a playback policy needs a name of 1..%d bytes",
                        LFD_POLICY_NAME_MAX - 1);
    int nj = r->njoints;
    lfd_policy *p;
    if ((rc = lfd_policy_new(&p, LFD_POLICY_PLAYBACK, 1, nj, chunk, err)))
        return rc;
    snprintf(p->name, sizeof p->name, "%s", name);
    p->control_period_s = control_period_s;
    snprintf(p->obs_names[0], sizeof p->obs_names[0], "time_s");
    snprintf(p->obs_units[0], sizeof p->obs_units[0], "s");
    /* the schema, limits and default pose from the robot's joint table */
    lfd_bc_policy_actions(p, r);
    /* the frames: the joint columns of qpos */
    p->playback_fps = m->fps;
    p->playback_frames = m->nframes;
    p->playback = malloc((size_t)m->nframes * (size_t)nj * sizeof(float));
    if (!p->playback) {
        lfd_policy_free(&p);
        return lfd_fail(err, LFD_ENOMEM, "out of memory");
    }
    for (int f = 0; f < m->nframes; f++) {
        const double *q = lfd_motion_frame(m, f) + 7 * m->floating;
        for (int j = 0; j < nj; j++)
            p->playback[(size_t)f * (size_t)nj + (size_t)j] = (float)q[j];
    }
    /* lineage: where the motion came from */
    if ((rc = lfd_prov_copy(&p->lineage, &m->prov, err)) ||
        (motion_label && (rc = lfd_prov_set_str(&p->lineage, "motion", motion_label, err))) ||
        (motion_sha256 && (rc = lfd_prov_set_str(&p->lineage, "motion_sha256", motion_sha256, err)))) {
        lfd_policy_free(&p);
        return rc;
    }
    /* its identity: the hash of its encoding, as if saved */
    lfd_buf b;
    if ((rc = lfd_policy_encode(p, &b, err))) {
        lfd_policy_free(&p);
        return rc;
    }
    lfd_sha256_buf_hex(b.data, b.len, p->hash);
    lfd_buf_free(&b);
    *out = p;
    return LFD_OK;
}

