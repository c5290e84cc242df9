/*  lfd_policy: the policy object, its validation and allocation-free inference
    (see lfd_policy.h); the file codec is lfd_policy_file.c. */
#include "policies/lfd_policy.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/lfd_io.h"
#include "core/lfd_ndarray.h"
#include "core/lfd_seal.h"
#include "core/lfd_sha256.h"
#include "robots/lfd_robot.h"

int lfd_policy_new(lfd_policy **out, lfd_policy_kind kind, int obs_dim, int act_dim, int chunk,
                   lfd_err *err)
{
    *out = NULL;
    if (obs_dim < 1 || obs_dim > LFD_POLICY_MAX_DIM || act_dim < 1 ||
        act_dim > LFD_POLICY_MAX_DIM)
        return lfd_fail(err, LFD_ELIMIT, "policy dims obs %d, act %d (must be 1..%d)", obs_dim,
                        act_dim, LFD_POLICY_MAX_DIM);
    if (chunk < 1 || chunk > LFD_POLICY_MAX_CHUNK)
        return lfd_fail(err, LFD_ELIMIT, "policy chunk %d (must be 1..%d)", chunk,
                        LFD_POLICY_MAX_CHUNK);
    lfd_policy *p = calloc(1, sizeof *p);
    if (!p)
        return lfd_fail(err, LFD_ENOMEM, "out of memory");
    p->kind = kind;
    p->obs_dim = obs_dim;
    p->act_dim = act_dim;
    p->chunk = chunk;
    p->ndriven = act_dim;
    p->normalized = kind == LFD_POLICY_MLP;
    size_t na = (size_t)act_dim, no = (size_t)obs_dim;
    p->obs_names = calloc(no, sizeof *p->obs_names);
    p->obs_units = calloc(no, sizeof *p->obs_units);
    p->act_names = calloc(na, sizeof *p->act_names);
    p->act_units = calloc(na, sizeof *p->act_units);
    p->default_action = calloc(na, sizeof(float));
    p->act_lo = calloc(na, sizeof(float));
    p->act_hi = calloc(na, sizeof(float));
    p->vel_limit = calloc(na, sizeof(float));
    p->acc_limit = calloc(na, sizeof(float));
    if (p->normalized) {
        p->obs_mean = calloc(no, sizeof(float));
        p->obs_std = calloc(no, sizeof(float));
        p->act_mean = calloc(na, sizeof(float));
        p->act_std = calloc(na, sizeof(float));
    }
    lfd_prov_init(&p->lineage);
    lfd_prov_init(&p->meta);
    if (!p->obs_names || !p->obs_units || !p->act_names || !p->act_units ||
        !p->default_action || !p->act_lo || !p->act_hi || !p->vel_limit || !p->acc_limit ||
        (p->normalized && (!p->obs_mean || !p->obs_std || !p->act_mean || !p->act_std))) {
        lfd_policy_free(&p);
        return lfd_fail(err, LFD_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < na; i++) {
        p->act_lo[i] = -INFINITY;
        p->act_hi[i] = INFINITY;
        p->vel_limit[i] = INFINITY;
        if (p->normalized)
            p->act_std[i] = 1;
    }
    for (size_t i = 0; p->normalized && i < no; i++)
        p->obs_std[i] = 1;
    *out = p;
    return LFD_OK;
}

void lfd_policy_free(lfd_policy **pp)
{
    if (!pp || !*pp)
        return;
    lfd_policy *p = *pp;
    free(p->obs_names);
    free(p->obs_units);
    free(p->act_names);
    free(p->act_units);
    free(p->default_action);
    free(p->act_lo);
    free(p->act_hi);
    free(p->vel_limit);
    free(p->acc_limit);
    free(p->obs_mean);
    free(p->obs_std);
    free(p->act_mean);
    free(p->act_std);
    free(p->playback);
    free(p->driven);
    free(p->delta_mean);
    free(p->delta_std);
    lfd_mlp_free(&p->mlp);
    lfd_prov_free(&p->lineage);
    lfd_prov_free(&p->meta);
    free(p);
    *pp = NULL;
}

int lfd_policy_set_driven(lfd_policy *p, int n, const int *idx, lfd_err *err)
{
    if (n < 1 || n > p->act_dim)
        return lfd_fail(err, LFD_EARG, "policy drives %d of %d actions", n, p->act_dim);
    for (int k = 0; k < n; k++)
        if (idx[k] < 0 || idx[k] >= p->act_dim || (k && idx[k] <= idx[k - 1]))
            return lfd_fail(err, LFD_EARG, "driven action %d: index %d is out of range or not "
                                           "ascending",
                            k, idx[k]);
    if (n == p->act_dim) {
        free(p->driven);
        p->driven = NULL;
        p->ndriven = p->act_dim;
        return LFD_OK;
    }
    int *d = malloc((size_t)n * sizeof *d);
    if (!d)
        return lfd_fail(err, LFD_ENOMEM, "out of memory");
    memcpy(d, idx, (size_t)n * sizeof *d);
    free(p->driven);
    p->driven = d;
    p->ndriven = n;
    return LFD_OK;
}

static int finite_all(const float *v, int n)
{
    for (int i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return 0;
    return 1;
}

const char *lfd_action_mode_name(lfd_action_mode m)
{
    return m == LFD_ACTION_RESIDUAL ? "residual" : "absolute";
}

int lfd_action_mode_parse(const char *s, lfd_action_mode *m)
{
    if (s && !strcmp(s, "absolute"))
        *m = LFD_ACTION_ABSOLUTE;
    else if (s && !strcmp(s, "residual"))
        *m = LFD_ACTION_RESIDUAL;
    else
        return LFD_EARG;
    return LFD_OK;
}

int lfd_policy_find_prev_block(const lfd_policy *p, lfd_err *err)
{
    /* the first prev.<joint> of the first driven joint, then the others in order */
    int nd = p->ndriven;
    const char *first = p->act_names[p->driven ? p->driven[0] : 0];
    for (int i = 0; i < p->obs_dim; i++) {
        if (strncmp(p->obs_names[i], "prev.", 5) || strcmp(p->obs_names[i] + 5, first))
            continue;
        if (i + nd > p->obs_dim)
            return lfd_fail(err, LFD_EMISMATCH, "observation '%s' (%d) starts a prev block "
                                                "of %d driven joints that does not fit in %d "
                                                "observations",
                            p->obs_names[i], i, nd, p->obs_dim);
        for (int d = 1; d < nd; d++) {
            const char *want = p->act_names[p->driven ? p->driven[d] : d];
            const char *have = p->obs_names[i + d];
            if (strncmp(have, "prev.", 5) || strcmp(have + 5, want))
                return lfd_fail(err, LFD_EMISMATCH, "observation %d is '%s', expected "
                                                    "'prev.%s' (the previous actions of the "
                                                    "driven joints in order)",
                                i + d, have, want);
        }
        return i;
    }
    return lfd_fail(err, LFD_EMISMATCH, "the observation has no 'prev.%s': a residual policy "
                                        "needs the previous action of every driven joint",
                    first);
}

int lfd_policy_set_action_mode(lfd_policy *p, lfd_action_mode mode, const float *delta_mean,
                               const float *delta_std, lfd_err *err)
{
    if (mode == LFD_ACTION_ABSOLUTE) {
        free(p->delta_mean);
        free(p->delta_std);
        p->delta_mean = p->delta_std = NULL;
        p->action_mode = LFD_ACTION_ABSOLUTE;
        p->prev_off = 0;
        return LFD_OK;
    }
    if (mode != LFD_ACTION_RESIDUAL)
        return lfd_fail(err, LFD_EARG, "unknown action mode %d", (int)mode);
    if (p->kind != LFD_POLICY_MLP)
        return lfd_fail(err, LFD_EARG, "only MLP policies can be residual");
    if (!delta_mean || !delta_std)
        return lfd_fail(err, LFD_EARG, "a residual policy needs delta statistics");
    int nd = p->ndriven;
    for (int d = 0; d < nd; d++)
        if (!isfinite(delta_mean[d]) || !isfinite(delta_std[d]) || !(delta_std[d] > 0))
            return lfd_fail(err, LFD_ENUMERIC, "residual delta statistics of driven joint %d: "
                                               "mean %g, std %g (must be finite, std > 0)",
                            d, delta_mean[d], delta_std[d]);
    int off = lfd_policy_find_prev_block(p, err);
    if (off < 0)
        return off;
    float *m = malloc((size_t)nd * sizeof(float)), *sd = malloc((size_t)nd * sizeof(float));
    if (!m || !sd) {
        free(m);
        free(sd);
        return lfd_fail(err, LFD_ENOMEM, "out of memory");
    }
    memcpy(m, delta_mean, (size_t)nd * sizeof(float));
    memcpy(sd, delta_std, (size_t)nd * sizeof(float));
    free(p->delta_mean);
    free(p->delta_std);
    p->delta_mean = m;
    p->delta_std = sd;
    p->prev_off = off;
    p->action_mode = LFD_ACTION_RESIDUAL;
    return LFD_OK;
}

int lfd_policy_validate(const lfd_policy *p, lfd_err *err)
{
    if (!(p->control_period_s > 0 && p->control_period_s <= 10))
        return lfd_fail(err, LFD_EARG, "policy control period %g s is not in (0, 10]",
                        p->control_period_s);
    for (int i = 0; i < p->act_dim; i++) {
        if (!p->act_names[i][0])
            return lfd_fail(err, LFD_EARG, "policy action %d has no name", i);
        /* the safety filter's limits: every policy kind can be served, so
           every one needs a finite, non-empty range and a finite positive
           velocity limit (an infinite one would let the filter pass any
           action); the acceleration limit is finite, 0 meaning none */
        if (!isfinite(p->act_lo[i]) || !isfinite(p->act_hi[i]))
            return lfd_fail(err, LFD_EARG, "policy action '%s': range [%g, %g] is not finite",
                            p->act_names[i], p->act_lo[i], p->act_hi[i]);
        if (!(p->act_lo[i] <= p->act_hi[i]))
            return lfd_fail(err, LFD_EARG, "policy action '%s': range [%g, %g] is inverted",
                            p->act_names[i], p->act_lo[i], p->act_hi[i]);
        if (!isfinite(p->vel_limit[i]) || !(p->vel_limit[i] > 0))
            return lfd_fail(err, LFD_EARG, "policy action '%s': velocity limit %g is not a "
                                           "finite positive number",
                            p->act_names[i], p->vel_limit[i]);
        if (!isfinite(p->acc_limit[i]) || !(p->acc_limit[i] >= 0))
            return lfd_fail(err, LFD_EARG, "policy action '%s': acceleration limit %g is not "
                                           "finite and >= 0 (0: none)",
                            p->act_names[i], p->acc_limit[i]);
        if (!isfinite(p->default_action[i]))
            return lfd_fail(err, LFD_ENUMERIC, "policy action '%s': default is not finite",
                            p->act_names[i]);
    }
    for (int i = 0; i < p->obs_dim; i++)
        if (!p->obs_names[i][0])
            return lfd_fail(err, LFD_EARG, "policy observation %d has no name", i);
    if (p->normalized) {
        if (!p->obs_mean || !p->obs_std || !p->act_mean || !p->act_std)
            return lfd_fail(err, LFD_EARG, "policy normalisation statistics are missing");
        if (!finite_all(p->obs_mean, p->obs_dim) || !finite_all(p->obs_std, p->obs_dim) ||
            !finite_all(p->act_mean, p->act_dim) || !finite_all(p->act_std, p->act_dim))
            return lfd_fail(err, LFD_ENUMERIC, "policy normalisation statistics are not finite");
        for (int i = 0; i < p->obs_dim; i++)
            if (!(p->obs_std[i] > 0))
                return lfd_fail(err, LFD_ENUMERIC, "policy obs_std[%d] = %g is not positive", i,
                                p->obs_std[i]);
        for (int i = 0; i < p->act_dim; i++)
            if (!(p->act_std[i] > 0))
                return lfd_fail(err, LFD_ENUMERIC, "policy act_std[%d] = %g is not positive", i,
                                p->act_std[i]);
    }
    if (p->ndriven < 1 || p->ndriven > p->act_dim || (p->ndriven < p->act_dim && !p->driven))
        return lfd_fail(err, LFD_EARG, "policy drives %d of %d actions", p->ndriven, p->act_dim);
    for (int k = 0; p->driven && k < p->ndriven; k++)
        if (p->driven[k] < 0 || p->driven[k] >= p->act_dim || (k && p->driven[k] <= p->driven[k - 1]))
            return lfd_fail(err, LFD_EARG, "driven action %d (%d) is out of range or not "
                                           "ascending",
                            k, p->driven[k]);
    if (p->action_mode == LFD_ACTION_RESIDUAL) {
        if (p->kind != LFD_POLICY_MLP)
            return lfd_fail(err, LFD_EARG, "only MLP policies can be residual");
        if (!p->delta_mean || !p->delta_std)
            return lfd_fail(err, LFD_EARG, "residual policy without delta statistics");
        for (int d = 0; d < p->ndriven; d++)
            if (!isfinite(p->delta_mean[d]) || !(p->delta_std[d] > 0) ||
                !isfinite(p->delta_std[d]))
                return lfd_fail(err, LFD_ENUMERIC, "residual delta statistics of driven joint "
                                                   "%d: mean %g, std %g",
                                d, p->delta_mean[d], p->delta_std[d]);
        int off = lfd_policy_find_prev_block(p, err);
        if (off < 0)
            return off;
        if (off != p->prev_off)
            return lfd_fail(err, LFD_EARG, "residual policy's prev block is at %d, not %d", off,
                            p->prev_off);
    } else if (p->action_mode != LFD_ACTION_ABSOLUTE) {
        return lfd_fail(err, LFD_EARG, "unknown action mode %d", (int)p->action_mode);
    }
    if (p->kind == LFD_POLICY_MLP) {
        if (!p->mlp)
            return lfd_fail(err, LFD_EARG, "MLP policy has no model");
        if (p->mlp->in_dim != p->obs_dim || p->mlp->out_dim != p->chunk * p->ndriven)
            return lfd_fail(err, LFD_EMISMATCH,
                            "MLP maps %d -> %d but the schema needs %d -> %d (chunk %d x %d "
                            "driven actions)",
                            p->mlp->in_dim, p->mlp->out_dim, p->obs_dim, p->chunk * p->ndriven,
                            p->chunk, p->ndriven);
        for (int l = 0; l < p->mlp->nlayers; l++) {
            const lfd_mlp_layer *L = &p->mlp->layers[l];
            if (!finite_all(L->w, L->in * L->out) || !finite_all(L->b, L->out))
                return lfd_fail(err, LFD_ENUMERIC, "MLP layer %d has non-finite weights", l);
        }
    } else {
        if (p->obs_dim != 1)
            return lfd_fail(err, LFD_EARG, "playback policy observes time_s only (obs_dim 1)");
        if (p->ndriven != p->act_dim)
            return lfd_fail(err, LFD_EARG, "playback policy drives every action");
        if (!p->playback || p->playback_frames < 1 || !(p->playback_fps > 0))
            return lfd_fail(err, LFD_EARG, "playback policy has no frames");
        if (!finite_all(p->playback, p->playback_frames * p->act_dim))
            return lfd_fail(err, LFD_ENUMERIC, "playback frames are not finite");
    }
    return LFD_OK;
}

int lfd_policy_check_schema(const lfd_policy *p, const char *robot, const char *model_hash,
                            int njoints, const char (*joint_names)[64], lfd_err *err)
{
    if (robot && robot[0] && p->robot[0] && strcmp(robot, p->robot))
        return lfd_fail(err, LFD_EMISMATCH, "policy '%s' is for robot '%s', not '%s'", p->name,
                        p->robot, robot);
    if (model_hash && model_hash[0] && p->model_hash[0] && strcmp(model_hash, p->model_hash))
        return lfd_fail(err, LFD_EMISMATCH,
                        "policy '%s' was made for another model of '%s' (model hash %.12s..., "
                        "robot has %.12s...)",
                        p->name, p->robot, p->model_hash, model_hash);
    if (njoints != p->act_dim)
        return lfd_fail(err, LFD_EMISMATCH, "policy '%s' drives %d joints, the robot has %d",
                        p->name, p->act_dim, njoints);
    for (int i = 0; i < njoints; i++)
        if (strcmp(joint_names[i], p->act_names[i]))
            return lfd_fail(err, LFD_EMISMATCH, "policy '%s' action %d is '%s', robot joint %d "
                                                "is '%s'",
                            p->name, i, p->act_names[i], i, joint_names[i]);
    return LFD_OK;
}

/* The robot's value as the policy file holds it (float), so that a policy
   made from this robot compares equal. */
static double as_float(double v) { return (double)(float)v; }

#define LIMIT_TOL 1e-9

int lfd_policy_check_limits(const char *what, int n, const float *default_action,
                            const float *lo, const float *hi, const float *vel, const float *acc,
                            const struct lfd_robot *r, lfd_err *err)
{
    if (n != r->njoints)
        return lfd_fail(err, LFD_EMISMATCH, "policy '%s' drives %d joints, robot '%s' has %d",
                        what, n, r->name, r->njoints);
    for (int j = 0; j < n; j++) {
        const lfd_robot_joint *J = &r->joints[j];
        double rlo = as_float(J->range_lo), rhi = as_float(J->range_hi);
        if (!(lo[j] >= rlo - LIMIT_TOL) || !(hi[j] <= rhi + LIMIT_TOL))
            return lfd_fail(err, LFD_EMISMATCH,
                            "policy '%s' joint '%s': action range [%.7g, %.7g] is not within "
                            "the joint's range [%.7g, %.7g] on robot '%s'",
                            what, J->name, lo[j], hi[j], J->range_lo, J->range_hi, r->name);
        if (!(vel[j] <= as_float(J->vel_max) + LIMIT_TOL))
            return lfd_fail(err, LFD_EMISMATCH,
                            "policy '%s' joint '%s': velocity limit %.7g rad/s is larger than "
                            "the joint's %.7g rad/s on robot '%s'",
                            what, J->name, vel[j], J->vel_max, r->name);
        /* 0 is "no acceleration limit", which exceeds any the robot states */
        if (J->acc_max > 0 && !(acc[j] > 0 && acc[j] <= as_float(J->acc_max) + LIMIT_TOL))
            return lfd_fail(err, LFD_EMISMATCH,
                            "policy '%s' joint '%s': acceleration limit %.7g rad/s^2%s is larger "
                            "than the joint's %.7g rad/s^2 on robot '%s'",
                            what, J->name, acc[j], acc[j] > 0 ? "" : " (none)", J->acc_max,
                            r->name);
        if (!(fabs(default_action[j] - as_float(J->default_q)) <= LIMIT_TOL))
            return lfd_fail(err, LFD_EMISMATCH,
                            "policy '%s' joint '%s': default action %.7g differs from the "
                            "joint's default pose %.7g on robot '%s'",
                            what, J->name, default_action[j], J->default_q, r->name);
    }
    return LFD_OK;
}

int lfd_policy_check_robot(const lfd_policy *p, const struct lfd_robot *r, lfd_err *err)
{
    char(*names)[64] = malloc((size_t)(r->njoints > 0 ? r->njoints : 1) * sizeof *names);
    if (!names)
        return lfd_fail(err, LFD_ENOMEM, "out of memory");
    for (int j = 0; j < r->njoints; j++)
        snprintf(names[j], sizeof names[j], "%s", r->joints[j].name);
    int rc = lfd_policy_check_schema(p, r->name, r->model_hash, r->njoints,
                                     (const char(*)[64])names, err);
    free(names);
    if (rc)
        return rc;
    return lfd_policy_check_limits(p->name, p->act_dim, p->default_action, p->act_lo, p->act_hi,
                                   p->vel_limit, p->acc_limit, r, err);
}

/* ---- inference ------------------------------------------------------------------- */

int lfd_policy_ws_new_batch(lfd_policy_ws **out, const lfd_policy *p, int max_batch,
                            lfd_err *err)
{
    *out = NULL;
    if (max_batch < 1 || max_batch > LFD_POLICY_MAX_BATCH)
        return lfd_fail(err, LFD_EARG, "policy batch of %d (must be 1..%d)", max_batch,
                        LFD_POLICY_MAX_BATCH);
    lfd_policy_ws *ws = calloc(1, sizeof *ws);
    if (!ws)
        return lfd_fail(err, LFD_ENOMEM, "out of memory");
    size_t b = (size_t)max_batch;
    ws->max_batch = max_batch;
    ws->obs_n = calloc(b * (size_t)p->obs_dim, sizeof(float));
    ws->out = calloc(b * (size_t)p->chunk * (size_t)p->act_dim, sizeof(float));
    if (p->mlp)
        ws->mlp_ws = calloc(lfd_mlp_ws_floats(p->mlp, max_batch), sizeof(float));
    if (!ws->obs_n || !ws->out || (p->mlp && !ws->mlp_ws)) {
        lfd_policy_ws_free(&ws);
        return lfd_fail(err, LFD_ENOMEM, "out of memory");
    }
    *out = ws;
    return LFD_OK;
}

int lfd_policy_ws_new(lfd_policy_ws **out, const lfd_policy *p, lfd_err *err)
{
    return lfd_policy_ws_new_batch(out, p, 1, err);
}

void lfd_policy_ws_free(lfd_policy_ws **pws)
{
    if (!pws || !*pws)
        return;
    free((*pws)->obs_n);
    free((*pws)->out);
    free((*pws)->mlp_ws);
    free(*pws);
    *pws = NULL;
}

void lfd_policy_normalize_obs(const lfd_policy *p, const float *obs, float *obs_n)
{
    if (p->normalized)
        for (int i = 0; i < p->obs_dim; i++)
            obs_n[i] = (obs[i] - p->obs_mean[i]) / p->obs_std[i];
    else if (obs_n != obs)
        memmove(obs_n, obs, (size_t)p->obs_dim * sizeof(float));
}

void lfd_policy_output_rows(const lfd_policy *p, int rows, const float *prev,
                            size_t prev_stride, float *buf)
{
    int na = p->act_dim, nd = p->ndriven, nc = p->chunk;
    size_t stride = (size_t)nc * (size_t)na;
    if (p->action_mode == LFD_ACTION_RESIDUAL) {
        /* residual: previous action (prev block + default) plus the
           unnormalised change, from the last row and step as below */
        for (int r = rows - 1; r >= 0; r--) {
            float *row = buf + (size_t)r * stride;
            const float *net = buf + (size_t)r * (size_t)(nc * nd);
            const float *pv = prev + (size_t)r * prev_stride;
            for (int k = nc - 1; k >= 0; k--) {
                const float *src = net + (size_t)k * (size_t)nd;
                float *dst = row + (size_t)k * (size_t)na;
                int d = nd - 1;
                for (int j = na - 1; j >= 0; j--) {
                    int dj = p->driven ? (d >= 0 && p->driven[d] == j ? d : -1) : j;
                    if (dj >= 0) {
                        float hold = pv[dj] + p->default_action[j];
                        dst[j] = hold + (src[dj] * p->delta_std[dj] + p->delta_mean[dj]);
                        d--;
                    } else {
                        dst[j] = p->default_action[j];
                    }
                }
            }
        }
        return;
    }
    /* rows and chunk steps from the last: a network row is never longer than
       an action row, so writing backwards never overwrites an unread value */
    for (int r = rows - 1; r >= 0; r--) {
        float *row = buf + (size_t)r * stride;
        const float *net = buf + (size_t)r * (size_t)(nc * nd);
        for (int k = nc - 1; k >= 0; k--) {
            const float *src = net + (size_t)k * (size_t)nd;
            float *dst = row + (size_t)k * (size_t)na;
            if (nd == na) {
                /* every joint driven: undo the normalisation in place */
                if (dst != src)
                    memmove(dst, src, (size_t)na * sizeof(float));
                if (p->normalized)
                    for (int j = 0; j < na; j++)
                        dst[j] = dst[j] * p->act_std[j] + p->act_mean[j];
            } else {
                /* driven joints from the last; the rest hold the default */
                int d = nd - 1;
                for (int j = na - 1; j >= 0; j--) {
                    if (d >= 0 && p->driven[d] == j) {
                        float v = src[d--];
                        dst[j] = p->normalized ? v * p->act_std[j] + p->act_mean[j] : v;
                    } else {
                        dst[j] = p->default_action[j];
                    }
                }
            }
        }
    }
}

static int check_obs(const lfd_policy *p, int row, const float *obs, lfd_err *err)
{
    for (int i = 0; i < p->obs_dim; i++)
        if (!isfinite(obs[i]))
            return row < 0 ? lfd_fail(err, LFD_ENUMERIC, "observation %d ('%s') is not finite",
                                      i, p->obs_names[i])
                           : lfd_fail(err, LFD_ENUMERIC,
                                      "row %d: observation %d ('%s') is not finite", row, i,
                                      p->obs_names[i]);
    return LFD_OK;
}

/* playback: linear interpolation between the motion's frames, held at the ends */
static void playback_chunk(const lfd_policy *p, double t0, float *out)
{
    for (int k = 0; k < p->chunk; k++) {
        double t = t0 + k * p->control_period_s;
        double x = t * p->playback_fps;
        if (x < 0) x = 0;
        double last = p->playback_frames - 1;
        if (x > last) x = last;
        int i0 = (int)x;
        int i1 = i0 + 1 < p->playback_frames ? i0 + 1 : i0;
        float a = (float)(x - i0);
        const float *f0 = p->playback + (size_t)i0 * (size_t)p->act_dim;
        const float *f1 = p->playback + (size_t)i1 * (size_t)p->act_dim;
        for (int j = 0; j < p->act_dim; j++)
            out[k * p->act_dim + j] = f0[j] + a * (f1[j] - f0[j]);
    }
}

int lfd_policy_step(const lfd_policy *p, lfd_policy_ws *ws, const float *obs, float *chunk,
                    lfd_err *err)
{
    int rc = check_obs(p, -1, obs, err);
    if (rc)
        return rc;
    int n = p->chunk * p->act_dim;
    if (p->kind == LFD_POLICY_PLAYBACK) {
        playback_chunk(p, obs[0], ws->out);
    } else {
        /* normalise, run the network, make the network's output actions */
        lfd_policy_normalize_obs(p, obs, ws->obs_n);
        lfd_mlp_forward(p->mlp, ws->mlp_ws, ws->obs_n, ws->out);
        lfd_policy_output_rows(p, 1, obs + p->prev_off, (size_t)p->obs_dim, ws->out);
    }
    for (int i = 0; i < n; i++)
        if (!isfinite(ws->out[i]))
            return lfd_fail(err, LFD_ENUMERIC, "policy '%s' produced a non-finite action (%d)",
                            p->name, i);
    memcpy(chunk, ws->out, (size_t)n * sizeof(float));
    return LFD_OK;
}

int lfd_policy_step_batch(const lfd_policy *p, lfd_policy_ws *ws, int n, const float *obs,
                          float *chunks, lfd_err *err)
{
    if (n < 1 || n > ws->max_batch)
        return lfd_fail(err, LFD_EARG, "batch of %d observations (the workspace takes 1..%d)",
                        n, ws->max_batch);
    size_t no = (size_t)p->obs_dim, nout = (size_t)p->chunk * (size_t)p->act_dim;
    for (int r = 0; r < n; r++) {
        int rc = check_obs(p, r, obs + (size_t)r * no, err);
        if (rc)
            return rc;
    }
    if (p->kind == LFD_POLICY_PLAYBACK) {
        for (int r = 0; r < n; r++)
            playback_chunk(p, obs[(size_t)r * no], ws->out + (size_t)r * nout);
    } else {
        /* normalise every row, one sgemm per layer, then the actions */
        for (int r = 0; r < n; r++)
            lfd_policy_normalize_obs(p, obs + (size_t)r * no, ws->obs_n + (size_t)r * no);
        if (n == 1)
            lfd_mlp_forward(p->mlp, ws->mlp_ws, ws->obs_n, ws->out);
        else
            lfd_mlp_forward_batch(p->mlp, ws->mlp_ws, n, ws->obs_n, ws->out);
        lfd_policy_output_rows(p, n, obs + p->prev_off, no, ws->out);
    }
    for (size_t i = 0; i < (size_t)n * nout; i++)
        if (!isfinite(ws->out[i]))
            return lfd_fail(err, LFD_ENUMERIC,
                            "policy '%s' produced a non-finite action (row %zu, %zu)", p->name,
                            i / nout, i % nout);
    memcpy(chunks, ws->out, (size_t)n * nout * sizeof(float));
    return LFD_OK;
}
