/*  lfd_dataset: (observation, action chunk) samples from robot motions (see
    lfd_dataset.h). */
#include "policies/lfd_dataset.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <pthread.h>

#include "core/lfd_quat.h"
#include "core/lfd_rng.h"
#include "policies/lfd_track.h"
#include "policies/lfd_policy.h"

int lfd_dataset_init(lfd_dataset *ds, const lfd_obs_layout *L, int chunk, double period_s,
                     lfd_err *err)
{
    memset(ds, 0, sizeof *ds);
    if (chunk < 1 || chunk > LFD_POLICY_MAX_CHUNK)
        return lfd_fail(err, LFD_EARG, "chunk %d (must be 1..%d)", chunk, LFD_POLICY_MAX_CHUNK);
    if (!(period_s >= 1e-4 && period_s <= 10))
        return lfd_fail(err, LFD_EARG, "control period %g s (must be 0.0001..10)", period_s);
    ds->obs_dim = L->dim;
    ds->chunk = chunk;
    ds->ndriven = L->ndriven;
    ds->act_dim = chunk * L->ndriven;
    ds->period_s = period_s;
    return LFD_OK;
}

void lfd_dataset_free(lfd_dataset *ds)
{
    free(ds->obs);
    free(ds->act);
    free(ds->demos);
    memset(ds, 0, sizeof *ds);
}

/* qpos at time t: joints and root position linear between frames, the root
   orientation by slerp */
static void qpos_at(const lfd_motion *m, double t, double *q)
{
    double x = t * m->fps, last = m->nframes - 1;
    x = x < 0 ? 0 : x > last ? last : x;
    int i0 = (int)x, i1 = i0 + 1 < m->nframes ? i0 + 1 : i0;
    double a = x - i0;
    const double *f0 = lfd_motion_frame(m, i0), *f1 = lfd_motion_frame(m, i1);
    for (int k = 0; k < m->nq; k++)
        q[k] = f0[k] + a * (f1[k] - f0[k]);
    if (m->floating)
        lfd_quat_slerp(q + 3, f0 + 3, f1 + 3, a);
}

void lfd_motion_state_at(const lfd_motion *m, double t_s, double *qpos, double *qvel)
{
    double T = lfd_motion_duration_s(m);
    double t = t_s < 0 ? 0 : t_s > T ? T : t_s;
    qpos_at(m, t, qpos);
    if (!qvel)
        return;
    if (m->qvel) {
        /* stored velocities, linear between frames */
        double x = t * m->fps, last = m->nframes - 1;
        x = x < 0 ? 0 : x > last ? last : x;
        int i0 = (int)x, i1 = i0 + 1 < m->nframes ? i0 + 1 : i0;
        double a = x - i0;
        const double *v0 = m->qvel + (size_t)i0 * (size_t)m->nv;
        const double *v1 = m->qvel + (size_t)i1 * (size_t)m->nv;
        for (int k = 0; k < m->nv; k++)
            qvel[k] = v0[k] + a * (v1[k] - v0[k]);
        return;
    }
    int nv = 6 * m->floating + m->njoints;
    if (m->nframes < 2 || !(T > 0)) {
        memset(qvel, 0, (size_t)nv * sizeof(double));
        return;
    }
    /* central differences over one frame each side (one-sided at the ends) */
    double h = 1.0 / m->fps, ta = t - h, tb = t + h;
    ta = ta < 0 ? 0 : ta;
    tb = tb > T ? T : tb;
    double qa[7 + LFD_MOTION_MAX_JOINTS], qb[7 + LFD_MOTION_MAX_JOINTS];
    qpos_at(m, ta, qa);
    qpos_at(m, tb, qb);
    double dt = tb - ta;
    int r = 7 * m->floating;
    for (int j = 0; j < m->njoints; j++)
        qvel[6 * m->floating + j] = (qb[r + j] - qa[r + j]) / dt;
    if (m->floating) {
        /* root: linear velocity in the world frame, angular in the root's
           frame (MuJoCo's free-joint convention) */
        for (int k = 0; k < 3; k++)
            qvel[k] = (qb[k] - qa[k]) / dt;
        double w[3];
        lfd_quat_angvel_local(w, qa + 3, qb + 3, dt);
        for (int k = 0; k < 3; k++)
            qvel[3 + k] = w[k];
    }
}

/* room for n more samples and one more demonstration */
static int reserve(lfd_dataset *ds, int n, lfd_err *err)
{
    if (ds->ndemos >= LFD_DATASET_MAX_DEMOS || (double)n + ds->n > LFD_DATASET_MAX_SAMPLES ||
        ((double)n + ds->n) * (double)(ds->obs_dim + ds->act_dim) > (double)LFD_DATASET_MAX_FLOATS)
        return lfd_fail(err, LFD_ELIMIT, "the dataset would exceed %d samples, %d "
                                         "demonstrations or %zu floats",
                        LFD_DATASET_MAX_SAMPLES, LFD_DATASET_MAX_DEMOS,
                        (size_t)LFD_DATASET_MAX_FLOATS);
    if (ds->n + n > ds->cap) {
        int cap = ds->cap ? ds->cap : 1024;
        while (cap < ds->n + n)
            cap = cap > LFD_DATASET_MAX_SAMPLES / 2 ? LFD_DATASET_MAX_SAMPLES : cap * 2;
        float *o = realloc(ds->obs, (size_t)cap * (size_t)ds->obs_dim * sizeof(float));
        if (!o)
            return lfd_fail(err, LFD_ENOMEM, "out of memory for %d samples", cap);
        ds->obs = o;
        float *a = realloc(ds->act, (size_t)cap * (size_t)ds->act_dim * sizeof(float));
        if (!a)
            return lfd_fail(err, LFD_ENOMEM, "out of memory for %d samples", cap);
        ds->act = a;
        ds->cap = cap;
    }
    if (ds->ndemos == ds->demo_cap) {
        int cap = ds->demo_cap ? 2 * ds->demo_cap : 16;
        lfd_dataset_demo *d = realloc(ds->demos, (size_t)cap * sizeof *d);
        if (!d)
            return lfd_fail(err, LFD_ENOMEM, "out of memory");
        ds->demos = d;
        ds->demo_cap = cap;
    }
    return LFD_OK;
}

int lfd_dataset_add_motion(lfd_dataset *ds, const lfd_obs_layout *L, const lfd_motion *m,
                           const char *name, lfd_err *err)
{
    if (L->dim != ds->obs_dim || L->ndriven != ds->ndriven)
        return lfd_fail(err, LFD_EARG, "dataset and layout disagree");
    if (m->njoints != L->njoints || m->floating != L->floating)
        return lfd_fail(err, LFD_EMISMATCH, "%s: motion has %d joints (%s base), the policy's "
                                            "robot %d (%s)",
                        name, m->njoints, m->floating ? "floating" : "fixed", L->njoints,
                        L->floating ? "floating" : "fixed");
    if (!(m->fps > 0) || m->nframes < 1)
        return lfd_fail(err, LFD_EARG, "%s: empty motion", name);
    double T = lfd_motion_duration_s(m), dt = ds->period_s;
    double ns = floor(T / dt + 1e-9) + 1;
    if (ns > LFD_DATASET_MAX_SAMPLES)
        return lfd_fail(err, LFD_ELIMIT, "%s: more than %d samples", name,
                        LFD_DATASET_MAX_SAMPLES);
    int n = (int)ns;
    int rc = reserve(ds, n, err);
    if (rc)
        return lfd_err_prefix_rc(err, rc, "%s", name);
    double qpos[7 + LFD_MOTION_MAX_JOINTS], qvel[6 + LFD_MOTION_MAX_JOINTS];
    double qa[7 + LFD_MOTION_MAX_JOINTS];
    float prev[LFD_MOTION_MAX_JOINTS];
    int r = 7 * m->floating;
    for (int i = 0; i < n; i++) {
        double t = i * dt;
        float *obs = ds->obs + (size_t)(ds->n + i) * (size_t)ds->obs_dim;
        float *act = ds->act + (size_t)(ds->n + i) * (size_t)ds->act_dim;
        /* the previous action: the targets of the previous control period */
        qpos_at(m, i > 0 ? t - dt : 0, qa);
        for (int j = 0; j < m->njoints; j++)
            prev[j] = (float)qa[r + j];
        /* the state now, and its observation */
        lfd_motion_state_at(m, t, qpos, qvel);
        lfd_obs_build(L, qpos, qvel, prev, T > 0 ? t / T : 0, obs);
        /* the chunk: driven joints at t + k dt, held at the end */
        for (int k = 0; k < ds->chunk; k++) {
            double tk = t + k * dt;
            qpos_at(m, tk > T ? T : tk, qa);
            for (int d = 0; d < L->ndriven; d++)
                act[k * L->ndriven + d] = (float)qa[r + L->driven[d]];
        }
    }
    lfd_dataset_demo *dm = &ds->demos[ds->ndemos++];
    memset(dm, 0, sizeof *dm);
    snprintf(dm->name, sizeof dm->name, "%s", name);
    dm->start = ds->n;
    dm->count = n;
    dm->duration_s = T;
    ds->n += n;
    return LFD_OK;
}

/* ---- simulated rollouts ----------------------------------------------------------- */

void lfd_dataset_sim_init(lfd_dataset_sim *s)
{
    memset(s, 0, sizeof *s);
    s->noise_rad = 0.05;
    s->noise_tau_s = 0.3;
    s->seed = 1;
}

/* every joint's target a demonstration asks for at time t: its joints, or
   (upper body) the default pose with its driven joints */
static void targets_at(const lfd_obs_layout *L, const lfd_motion *m, double t, double *qbuf,
                       float *q)
{
    double T = lfd_motion_duration_s(m);
    qpos_at(m, t < 0 ? 0 : t > T ? T : t, qbuf);
    int r0 = 7 * m->floating;
    for (int j = 0; j < L->njoints; j++)
        q[j] = (float)(L->upper_body ? L->q_default[j] : qbuf[r0 + j]);
    for (int d = 0; d < L->ndriven; d++)
        q[L->driven[d]] = (float)qbuf[r0 + L->driven[d]];
}

typedef struct rollout_job {
    const lfd_dataset *ds;
    const lfd_obs_layout *L;
    const lfd_motion *m;
    const lfd_dataset_sim *sim;
    const float *labels;  /* n x act_dim: the demonstration's chunks */
    int n, demo_index;
    float *obs, *act;     /* rollouts x n sample slots */
    int *count;           /* samples each rollout produced */
    int next;             /* next rollout to run (under mu) */
    pthread_mutex_t mu;
    int rc;
    lfd_err err;
} rollout_job;

/* one noisy replay of the demonstration in simulation */
static int rollout(rollout_job *J, lfd_track *tr, int k, lfd_err *err)
{
    const lfd_obs_layout *L = J->L;
    const lfd_motion *m = J->m;
    const lfd_robot *r = J->sim->robot;
    int nj = L->njoints, nd = L->ndriven, nq = r->nq;
    double qbuf[7 + LFD_MOTION_MAX_JOINTS], qstart[7 + LFD_MOTION_MAX_JOINTS];
    float rows[2 * LFD_MOTION_MAX_JOINTS], prev[LFD_MOTION_MAX_JOINTS];
    float ncur[LFD_MOTION_MAX_JOINTS], nnext[LFD_MOTION_MAX_JOINTS];
    double dt = J->ds->period_s, T = lfd_motion_duration_s(m);
    uint64_t rng = J->sim->seed * 0x9e3779b97f4a7c15ull ^
                   ((uint64_t)J->demo_index * 0xbf58476d1ce4e5b9ull + (uint64_t)k * 0x94d049bb133111ebull + 1);
    double a = exp(-dt / (J->sim->noise_tau_s > 1e-6 ? J->sim->noise_tau_s : 1e-6));
    float innov = (float)(J->sim->noise_rad * sqrt(1 - a * a));
    /* the start, as closed-loop evaluation starts */
    qpos_at(m, 0, qbuf);
    if (L->upper_body) {
        memcpy(qstart, r->qpos_default, (size_t)nq * sizeof(double));
        for (int d = 0; d < nd; d++)
            qstart[L->qpos_adr[L->driven[d]]] = qbuf[7 * m->floating + L->driven[d]];
    } else {
        memcpy(qstart, qbuf, (size_t)nq * sizeof(double));
    }
    lfd_track_reset(tr, qstart, NULL);
    const double *q = lfd_track_qpos(tr);
    for (int j = 0; j < nj; j++)
        prev[j] = (float)q[L->qpos_adr[j]];
    for (int d = 0; d < nd; d++) {
        ncur[d] = 0;
        nnext[d] = (float)a * ncur[d] + innov * lfd_rng_gauss(&rng);
    }
    int made = 0;
    for (int i = 0; i < J->n; i++) {
        double t = i * dt;
        /* the sample: the simulated state, labelled with the clean chunk */
        float *o = J->obs + ((size_t)k * J->n + made) * (size_t)J->ds->obs_dim;
        float *y = J->act + ((size_t)k * J->n + made) * (size_t)J->ds->act_dim;
        lfd_obs_build(L, q, lfd_track_qvel(tr), prev, T > 0 ? t / T : 0, o);
        memcpy(y, J->labels + (size_t)i * J->ds->act_dim, (size_t)J->ds->act_dim * sizeof(float));
        made++;
        /* the perturbed targets of this period, and one period of simulation */
        targets_at(L, m, t, qbuf, rows);
        targets_at(L, m, t + dt, qbuf, rows + nj);
        for (int d = 0; d < nd; d++) {
            rows[L->driven[d]] += ncur[d];
            rows[nj + L->driven[d]] += nnext[d];
        }
        memcpy(prev, rows, (size_t)nj * sizeof(float));
        for (int d = 0; d < nd; d++) {
            ncur[d] = nnext[d];
            nnext[d] = (float)a * ncur[d] + innov * lfd_rng_gauss(&rng);
        }
        if (lfd_track_period(tr, rows, 2, err) != LFD_OK || lfd_track_tilt_rad(tr) > 0.8)
            break;
    }
    J->count[k] = made;
    return LFD_OK;
}

static void *rollout_worker(void *arg)
{
    rollout_job *J = arg;
    lfd_track *tr = NULL;
    lfd_err err = {0};
    int rc = lfd_track_new(&tr, J->sim->robot, J->ds->period_s, &err);
    for (;;) {
        pthread_mutex_lock(&J->mu);
        int k = rc == LFD_OK && J->rc == LFD_OK ? J->next++ : J->sim->rollouts;
        if (rc != LFD_OK && J->rc == LFD_OK) {
            J->rc = rc;
            J->err = err;
        }
        pthread_mutex_unlock(&J->mu);
        if (k >= J->sim->rollouts)
            break;
        lfd_err e2 = {0};
        rollout(J, tr, k, &e2);
    }
    lfd_track_free(&tr);
    return NULL;
}

int lfd_dataset_add_demo(lfd_dataset *ds, const lfd_obs_layout *L, const lfd_motion *m,
                         const char *name, const lfd_dataset_sim *sim, lfd_err *err)
{
    int rc = lfd_dataset_add_motion(ds, L, m, name, err);
    if (rc || !sim || sim->rollouts <= 0)
        return rc;
    if (!sim->robot || sim->robot->njoints != L->njoints || sim->rollouts > 1000)
        return lfd_fail(err, LFD_EARG, "%s: simulated rollouts need the layout's robot and "
                                       "1..1000 rollouts",
                        name);
    lfd_dataset_demo *dm = &ds->demos[ds->ndemos - 1];
    int n = dm->count, R = sim->rollouts;
    if ((double)n * R + ds->n > LFD_DATASET_MAX_SAMPLES)
        return lfd_fail(err, LFD_ELIMIT, "%s: %d rollouts of %d samples exceed %d samples", name,
                        R, n, LFD_DATASET_MAX_SAMPLES);
    /* every rollout writes its own slots; the worker threads share nothing else */
    rollout_job J;
    memset(&J, 0, sizeof J);
    J.ds = ds;
    J.L = L;
    J.m = m;
    J.sim = sim;
    J.n = n;
    J.demo_index = ds->ndemos - 1;
    J.obs = malloc((size_t)R * (size_t)n * (size_t)ds->obs_dim * sizeof(float));
    J.act = malloc((size_t)R * (size_t)n * (size_t)ds->act_dim * sizeof(float));
    J.labels = malloc((size_t)n * (size_t)ds->act_dim * sizeof(float));
    J.count = calloc((size_t)R, sizeof(int));
    if (!J.obs || !J.act || !J.labels || !J.count) {
        rc = lfd_fail(err, LFD_ENOMEM, "%s: out of memory for %d rollouts", name, R);
        goto done;
    }
    memcpy((float *)J.labels, ds->act + (size_t)dm->start * ds->act_dim,
           (size_t)n * (size_t)ds->act_dim * sizeof(float));
    pthread_mutex_init(&J.mu, NULL);
    int nt = sim->threads > 0 ? sim->threads : 2;
    nt = nt > R ? R : nt > 16 ? 16 : nt;
    pthread_t th[16];
    int started = 0;
    for (int t = 1; t < nt; t++)
        if (pthread_create(&th[t], NULL, rollout_worker, &J) == 0)
            started++;
    rollout_worker(&J);
    for (int t = 1; t <= started; t++)
        pthread_join(th[t], NULL);
    pthread_mutex_destroy(&J.mu);
    if (J.rc) {
        rc = J.rc;
        if (err)
            *err = J.err;
        goto done;
    }
    /* the rollouts' samples join the demonstration, in rollout order */
    int total = 0;
    for (int k = 0; k < R; k++)
        total += J.count[k];
    if ((rc = reserve(ds, total, err)))
        goto done;
    dm = &ds->demos[ds->ndemos - 1];
    for (int k = 0; k < R; k++) {
        memcpy(ds->obs + (size_t)ds->n * ds->obs_dim, J.obs + (size_t)k * n * ds->obs_dim,
               (size_t)J.count[k] * ds->obs_dim * sizeof(float));
        memcpy(ds->act + (size_t)ds->n * ds->act_dim, J.act + (size_t)k * n * ds->act_dim,
               (size_t)J.count[k] * ds->act_dim * sizeof(float));
        ds->n += J.count[k];
        dm->count += J.count[k];
    }
done:
    free(J.obs);
    free(J.act);
    free((float *)J.labels);
    free(J.count);
    return rc;
}

int lfd_dataset_split(const lfd_dataset *ds, double val_frac, uint64_t seed, int *is_val)
{
    int nd = ds->ndemos;
    for (int d = 0; d < nd; d++)
        is_val[d] = 0;
    if (nd < 2 || !(val_frac > 0))
        return 0;
    int nval = (int)lround(val_frac * nd);
    nval = nval < 1 ? 1 : nval > nd - 1 ? nd - 1 : nval;
    /* a seeded shuffle of the demonstration indices; the first nval validate */
    int *perm = malloc((size_t)nd * sizeof *perm);
    if (!perm) {
        /* no memory for the shuffle: the last nval demonstrations */
        for (int d = nd - nval; d < nd; d++)
            is_val[d] = 1;
        return nval;
    }
    for (int d = 0; d < nd; d++)
        perm[d] = d;
    uint64_t s = seed ^ 0x5eedda7a5e7ull;
    for (int d = nd - 1; d > 0; d--) {
        int k = (int)(lfd_rng_next(&s) % (uint64_t)(d + 1));
        int t = perm[d];
        perm[d] = perm[k];
        perm[k] = t;
    }
    for (int d = 0; d < nval; d++)
        is_val[perm[d]] = 1;
    free(perm);
    return nval;
}

static int selected(const lfd_dataset *ds, const int *is_val, int which, int d)
{
    (void)ds;
    return !is_val || (is_val[d] != 0) == (which != 0);
}

int lfd_dataset_stats(const lfd_dataset *ds, const int *is_val, int which, float obs_floor,
                      float act_floor, float *obs_mean, float *obs_std, float *act_mean,
                      float *act_std, lfd_err *err)
{
    int no = ds->obs_dim, nd = ds->ndriven;
    double *acc = calloc(2 * ((size_t)no + (size_t)nd), sizeof(double));
    if (!acc)
        return lfd_fail(err, LFD_ENOMEM, "out of memory");
    double *os = acc, *oss = acc + no, *as = oss + no, *ass = as + nd;
    long cnt = 0;
    /* sums over the selected samples (in double: millions of floats) */
    for (int d = 0; d < ds->ndemos; d++) {
        if (!selected(ds, is_val, which, d))
            continue;
        const lfd_dataset_demo *dm = &ds->demos[d];
        for (int i = dm->start; i < dm->start + dm->count; i++) {
            const float *o = ds->obs + (size_t)i * (size_t)no;
            const float *a = ds->act + (size_t)i * (size_t)ds->act_dim;
            for (int k = 0; k < no; k++) {
                os[k] += o[k];
                oss[k] += (double)o[k] * o[k];
            }
            for (int r = 0; r < ds->chunk; r++)
                for (int k = 0; k < nd; k++) {
                    double v = a[r * nd + k];
                    as[k] += v;
                    ass[k] += v * v;
                }
            cnt++;
        }
    }
    if (cnt == 0) {
        free(acc);
        return lfd_fail(err, LFD_EARG, "no samples to compute statistics from");
    }
    /* mean and floored std */
    for (int k = 0; k < no; k++) {
        double mu = os[k] / cnt, var = oss[k] / cnt - mu * mu;
        double sd = sqrt(var > 0 ? var : 0);
        obs_mean[k] = (float)mu;
        obs_std[k] = (float)(sd > obs_floor ? sd : obs_floor);
    }
    double na = (double)cnt * ds->chunk;
    for (int k = 0; k < nd; k++) {
        double mu = as[k] / na, var = ass[k] / na - mu * mu;
        double sd = sqrt(var > 0 ? var : 0);
        act_mean[k] = (float)mu;
        act_std[k] = (float)(sd > act_floor ? sd : act_floor);
    }
    free(acc);
    return LFD_OK;
}

int lfd_dataset_to_residual(lfd_dataset *ds, const lfd_obs_layout *L, lfd_err *err)
{
    if (!L->prev_action || L->off_prev < 0)
        return lfd_fail(err, LFD_EARG, "residual actions need the previous action in the "
                                       "observation (the prev block)");
    if (L->dim != ds->obs_dim || L->ndriven != ds->ndriven)
        return lfd_fail(err, LFD_EMISMATCH, "dataset is %d -> %d driven, the layout %d -> %d",
                        ds->obs_dim, ds->ndriven, L->dim, L->ndriven);
    int nd = ds->ndriven;
    for (int i = 0; i < ds->n; i++) {
        const float *o = ds->obs + (size_t)i * (size_t)ds->obs_dim + L->off_prev;
        float *a = ds->act + (size_t)i * (size_t)ds->act_dim;
        /* every row minus the hold (prev block + default, as at inference) */
        for (int r = 0; r < ds->chunk; r++)
            for (int k = 0; k < nd; k++) {
                float hold = o[k] + (float)L->q_default[L->driven[k]];
                a[r * nd + k] -= hold;
            }
    }
    return LFD_OK;
}

int lfd_dataset_gather(const lfd_dataset *ds, const int *is_val, int which,
                       const float *obs_mean, const float *obs_std, const float *act_mean,
                       const float *act_std, float **X, float **Y, int *n, lfd_err *err)
{
    *X = *Y = NULL;
    *n = 0;
    int cnt = 0, no = ds->obs_dim, na = ds->act_dim, nd = ds->ndriven;
    for (int d = 0; d < ds->ndemos; d++)
        if (selected(ds, is_val, which, d))
            cnt += ds->demos[d].count;
    if (cnt == 0)
        return LFD_OK;
    float *x = malloc((size_t)cnt * (size_t)no * sizeof(float));
    float *y = malloc((size_t)cnt * (size_t)na * sizeof(float));
    if (!x || !y) {
        free(x);
        free(y);
        return lfd_fail(err, LFD_ENOMEM, "out of memory for %d samples", cnt);
    }
    int o = 0;
    for (int d = 0; d < ds->ndemos; d++) {
        if (!selected(ds, is_val, which, d))
            continue;
        const lfd_dataset_demo *dm = &ds->demos[d];
        for (int i = dm->start; i < dm->start + dm->count; i++, o++) {
            const float *so = ds->obs + (size_t)i * (size_t)no;
            const float *sa = ds->act + (size_t)i * (size_t)na;
            float *xo = x + (size_t)o * (size_t)no, *ya = y + (size_t)o * (size_t)na;
            for (int k = 0; k < no; k++)
                xo[k] = (so[k] - obs_mean[k]) / obs_std[k];
            for (int k = 0; k < na; k++)
                ya[k] = (sa[k] - act_mean[k % nd]) / act_std[k % nd];
        }
    }
    *X = x;
    *Y = y;
    *n = cnt;
    return LFD_OK;
}
