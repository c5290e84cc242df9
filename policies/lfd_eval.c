/*  lfd_eval: offline errors against baselines, and closed-loop tracking in
    MuJoCo (see lfd_eval.h). */
#include "policies/lfd_eval.h"

#include <cblas.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/lfd_log.h"
#include "policies/lfd_dataset.h"
#include "policies/lfd_track.h"

/* ---- demonstration classes ---------------------------------------------------------- */

/* 1 if the meta list under key holds sha */
static int meta_lists(const lfd_policy *p, const char *key, const char *sha)
{
    const lfd_prov_entry *e = lfd_prov_get(&p->meta, key);
    if (!e)
        return 0;
    lfd_mpr r;
    uint32_t n;
    lfd_mpr_init(&r, e->val, e->len);
    if (lfd_mpr_array(&r, &n, NULL))
        return 0;
    for (uint32_t i = 0; i < n; i++) {
        char s[80];
        if (lfd_mpr_cstr(&r, s, sizeof s, NULL))
            return 0;
        if (!strcmp(s, sha))
            return 1;
    }
    return 0;
}

int lfd_eval_demo_class(const lfd_policy *p, const char *sha256)
{
    if (sha256 && meta_lists(p, "train_demos", sha256))
        return LFD_DEMO_TRAIN;
    if (sha256 && meta_lists(p, "val_demos", sha256))
        return LFD_DEMO_VAL;
    return LFD_DEMO_NEW;
}

/* the layout a policy observes, checked against the robot */
static int policy_layout(const lfd_policy *p, const lfd_robot *r, lfd_obs_layout *L,
                         lfd_err *err)
{
    if (p->kind != LFD_POLICY_MLP)
        return lfd_fail(err, LFD_EUNSUPPORTED, "policy '%s' is a playback policy: nothing to "
                                               "evaluate",
                        p->name);
    int rc = lfd_policy_check_robot(p, r, err);
    if (rc)
        return rc;
    return lfd_obs_layout_from_names(L, r, p->obs_dim, (const char(*)[64])p->obs_names,
                                     p->driven, p->ndriven, err);
}

/* ---- offline ---------------------------------------------------------------------- */

void lfd_eval_offline_free(lfd_eval_offline_report *rep)
{
    free(rep->demo_class);
    rep->demo_class = NULL;
}

/* nearest reference sample (other demonstrations only) for every query row,
   in blocks with sgemm: |q - r|^2 = |q|^2 + |r|^2 - 2 q.r */
static int nearest(const float *Q, const int *qdemo, int nq, const float *R, const int *rdemo,
                   int nr, int d, int *best, lfd_err *err)
{
    enum { QB = 256, RB = 2048 };
    float *dot = malloc((size_t)QB * RB * sizeof(float));
    float *rn = malloc((size_t)nr * sizeof(float));
    float *bd = malloc((size_t)nq * sizeof(float));
    if (!dot || !rn || !bd) {
        free(dot);
        free(rn);
        free(bd);
        return lfd_fail(err, LFD_ENOMEM, "out of memory for the nearest-neighbour search");
    }
    for (int j = 0; j < nr; j++)
        rn[j] = cblas_sdot(d, R + (size_t)j * d, 1, R + (size_t)j * d, 1);
    for (int i = 0; i < nq; i++) {
        bd[i] = FLT_MAX;
        best[i] = -1;
    }
    for (int q0 = 0; q0 < nq; q0 += QB) {
        int qb = nq - q0 < QB ? nq - q0 : QB;
        for (int r0 = 0; r0 < nr; r0 += RB) {
            int rb = nr - r0 < RB ? nr - r0 : RB;
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, qb, rb, d, 1.0f,
                        Q + (size_t)q0 * d, d, R + (size_t)r0 * d, d, 0.0f, dot, rb);
            for (int i = 0; i < qb; i++)
                for (int j = 0; j < rb; j++) {
                    if (rdemo[r0 + j] == qdemo[q0 + i])
                        continue;
                    float dist = rn[r0 + j] - 2 * dot[(size_t)i * rb + j];
                    if (dist < bd[q0 + i]) {
                        bd[q0 + i] = dist;
                        best[q0 + i] = r0 + j;
                    }
                }
        }
    }
    free(dot);
    free(rn);
    free(bd);
    return LFD_OK;
}

int lfd_eval_offline(const lfd_policy *p, const lfd_robot *r, int n, const lfd_bc_demo *demos,
                     lfd_eval_offline_report *rep, lfd_err *err)
{
    memset(rep, 0, sizeof *rep);
    if (n < 1)
        return lfd_fail(err, LFD_EARG, "no demonstrations to evaluate on");
    lfd_obs_layout *L = malloc(sizeof *L);
    if (!L)
        return lfd_fail(err, LFD_ENOMEM, "out of memory");
    lfd_dataset ds;
    memset(&ds, 0, sizeof ds);
    lfd_policy_ws *ws = NULL;
    float *Q = NULL, *R = NULL, *pred = NULL;
    int *qi = NULL, *qd = NULL, *rd = NULL, *rsi = NULL, *nn = NULL;
    double *acc = NULL;
    int rc;
    if ((rc = policy_layout(p, r, L, err)) ||
        (rc = lfd_dataset_init(&ds, L, p->chunk, p->control_period_s, err)))
        goto done;
    rep->demo_class = calloc((size_t)n, sizeof(int));
    if (!rep->demo_class) {
        rc = lfd_fail(err, LFD_ENOMEM, "out of memory");
        goto done;
    }
    /* the samples of every demonstration, and its class */
    rep->ndemos = n;
    for (int i = 0; i < n; i++) {
        if ((rc = lfd_robot_motion_check(r, demos[i].motion, err)) ||
            (rc = lfd_dataset_add_motion(&ds, L, demos[i].motion, demos[i].name, err))) {
            lfd_err_prefix(err, "%s", demos[i].name);
            goto done;
        }
        rep->demo_class[i] = lfd_eval_demo_class(p, demos[i].sha256);
        rep->nheld_out += rep->demo_class[i] != LFD_DEMO_TRAIN;
        rep->ntrain_given += rep->demo_class[i] == LFD_DEMO_TRAIN;
    }
    rep->in_sample = rep->nheld_out == 0;
    rep->chunk = p->chunk;
    rep->njoints = L->ndriven;
    int nd = L->ndriven, na = ds.act_dim, no = ds.obs_dim, nc = p->chunk;
    /* the evaluated samples (held out, else all) and the reference (training) ones */
    int neval = 0, nref = 0;
    for (int i = 0; i < n; i++) {
        int ev = rep->in_sample || rep->demo_class[i] != LFD_DEMO_TRAIN;
        neval += ev ? ds.demos[i].count : 0;
        nref += rep->demo_class[i] == LFD_DEMO_TRAIN ? ds.demos[i].count : 0;
    }
    rep->nsamples = neval;
    Q = malloc((size_t)neval * (size_t)no * sizeof(float));
    qi = malloc((size_t)neval * sizeof(int));
    qd = malloc((size_t)neval * sizeof(int));
    R = malloc(((size_t)nref + 1) * (size_t)no * sizeof(float));
    rd = malloc(((size_t)nref + 1) * sizeof(int));
    rsi = malloc(((size_t)nref + 1) * sizeof(int));
    nn = malloc((size_t)neval * sizeof(int));
    acc = calloc((size_t)3 * (size_t)(nd + nc), sizeof(double));
    if (!Q || !qi || !qd || !R || !rd || !rsi || !nn || !acc) {
        rc = lfd_fail(err, LFD_ENOMEM, "out of memory for %d samples", neval + nref);
        goto done;
    }
    int e = 0, f = 0;
    for (int i = 0; i < n; i++) {
        const lfd_dataset_demo *dm = &ds.demos[i];
        int ev = rep->in_sample || rep->demo_class[i] != LFD_DEMO_TRAIN;
        for (int s = dm->start; s < dm->start + dm->count; s++) {
            const float *o = ds.obs + (size_t)s * (size_t)no;
            if (ev) {
                lfd_policy_normalize_obs(p, o, Q + (size_t)e * (size_t)no);
                qi[e] = s;
                qd[e++] = i;
            }
            if (rep->demo_class[i] == LFD_DEMO_TRAIN) {
                lfd_policy_normalize_obs(p, o, R + (size_t)f * (size_t)no);
                rsi[f] = s;
                rd[f++] = i;
            }
        }
    }
    /* nearest neighbours among the training samples of other demonstrations */
    rep->have_nn = 0;
    if (nref > 0) {
        if ((rc = nearest(Q, qd, neval, R, rd, nref, no, nn, err)))
            goto done;
        rep->have_nn = 1;
        for (int k = 0; k < neval; k++)
            rep->have_nn &= nn[k] >= 0;
    }
    /* the policy on every evaluated sample, in batches */
    enum { PB = 256 };
    int nout = nc * p->act_dim;
    if ((rc = lfd_policy_ws_new_batch(&ws, p, PB, err)))
        goto done;
    pred = malloc((size_t)PB * (size_t)nout * sizeof(float));
    float *raw = malloc((size_t)PB * (size_t)no * sizeof(float));
    if (!pred || !raw) {
        free(raw);
        rc = lfd_fail(err, LFD_ENOMEM, "out of memory");
        goto done;
    }
    double *se = acc, *se_zoh = acc + (nd + nc), *se_nn = acc + 2 * (nd + nc);
    for (int b0 = 0; b0 < neval && rc == LFD_OK; b0 += PB) {
        int bs = neval - b0 < PB ? neval - b0 : PB;
        for (int k = 0; k < bs; k++)
            memcpy(raw + (size_t)k * no, ds.obs + (size_t)qi[b0 + k] * no, (size_t)no * sizeof(float));
        if ((rc = lfd_policy_step_batch(p, ws, bs, raw, pred, err)))
            break;
        for (int k = 0; k < bs; k++) {
            int s = qi[b0 + k];
            const lfd_dataset_demo *dm = &ds.demos[qd[b0 + k]];
            const float *tgt = ds.act + (size_t)s * na;
            /* zero-order hold: the previous period's target, row 0 of the previous sample */
            const float *zoh = ds.act + (size_t)(s > dm->start ? s - 1 : s) * na;
            const float *nnc = rep->have_nn ? ds.act + (size_t)rsi[nn[b0 + k]] * na : NULL;
            for (int row = 0; row < nc; row++)
                for (int d = 0; d < nd; d++) {
                    double t = tgt[row * nd + d];
                    double ep = pred[(size_t)k * nout + (size_t)row * p->act_dim + L->driven[d]] - t;
                    double ez = zoh[d] - t;
                    double en = nnc ? nnc[row * nd + d] - t : 0;
                    se[d] += ep * ep;
                    se[nd + row] += ep * ep;
                    se_zoh[d] += ez * ez;
                    se_zoh[nd + row] += ez * ez;
                    se_nn[d] += en * en;
                    se_nn[nd + row] += en * en;
                }
        }
    }
    free(raw);
    if (rc)
        goto done;
    /* root mean squares per joint, per row and overall */
    double tot = 0, tz = 0, tn = 0, cnt_j = (double)neval * nc, cnt_r = (double)neval * nd;
    for (int d = 0; d < nd; d++) {
        lfd_eval_joint *J = &rep->joints[d];
        snprintf(J->name, sizeof J->name, "%s", L->joint_names[L->driven[d]]);
        J->rmse_rad = sqrt(se[d] / cnt_j);
        J->zoh_rmse_rad = sqrt(se_zoh[d] / cnt_j);
        J->nn_rmse_rad = rep->have_nn ? sqrt(se_nn[d] / cnt_j) : NAN;
        tot += se[d];
        tz += se_zoh[d];
        tn += se_nn[d];
    }
    for (int row = 0; row < nc; row++) {
        rep->row_rmse[row] = sqrt(se[nd + row] / cnt_r);
        rep->row_zoh_rmse[row] = sqrt(se_zoh[nd + row] / cnt_r);
        rep->row_nn_rmse[row] = rep->have_nn ? sqrt(se_nn[nd + row] / cnt_r) : NAN;
    }
    rep->rmse_rad = sqrt(tot / (cnt_j * nd));
    rep->zoh_rmse_rad = sqrt(tz / (cnt_j * nd));
    rep->nn_rmse_rad = rep->have_nn ? sqrt(tn / (cnt_j * nd)) : NAN;
done:
    if (rc)
        lfd_eval_offline_free(rep);
    lfd_policy_ws_free(&ws);
    free(Q);
    free(R);
    free(pred);
    free(qi);
    free(qd);
    free(rd);
    free(rsi);
    free(nn);
    free(acc);
    free(L);
    lfd_dataset_free(&ds);
    return rc;
}

/* ---- closed loop -------------------------------------------------------------------- */

void lfd_eval_closed_opts_init(lfd_eval_closed_opts *o)
{
    memset(o, 0, sizeof *o);
    o->extra_s = 0.5;
    o->fall_tilt_rad = 0.8;
    o->reference = 1;
    o->series_dt_s = 0.25;
}

/* the target pose a demonstration asks of the robot at time t: its joints,
   or (upper body) the default pose with its driven joints */
static void demo_targets(const lfd_obs_layout *L, const lfd_motion *m, double t, double *qbuf,
                         double *q)
{
    lfd_motion_state_at(m, t, qbuf, NULL);
    int r0 = 7 * m->floating;
    for (int j = 0; j < L->njoints; j++)
        q[j] = L->upper_body ? L->q_default[j] : qbuf[r0 + j];
    for (int d = 0; d < L->ndriven; d++)
        q[L->driven[d]] = qbuf[r0 + L->driven[d]];
}

/* one closed-loop run: the policy (p non-NULL) or the demonstration itself */
static int run_loop(const lfd_policy *p, const lfd_robot *r, const lfd_obs_layout *L,
                    const lfd_motion *m, const lfd_eval_closed_opts *o, double period_s,
                    lfd_eval_run *run, lfd_err *err)
{
    memset(run, 0, sizeof *run);
    run->t_fall_s = -1;
    int nj = r->njoints, nq = r->nq;
    int nc = p ? p->chunk : 2, na = nj;
    lfd_track *tr = NULL;
    lfd_policy_ws *ws = NULL;
    double *buf = calloc((size_t)(2 * nq + nj + 16), sizeof(double));
    float *fbuf = calloc((size_t)(nc * na + 2 * na + (p ? p->obs_dim : 0) + 8), sizeof(float));
    double *serr = NULL;
    int rc = LFD_OK;
    if (!buf || !fbuf) {
        rc = lfd_fail(err, LFD_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = lfd_track_new(&tr, r, period_s, err)) ||
        (p && (rc = lfd_policy_ws_new(&ws, p, err))))
        goto done;
    double dt = lfd_track_period_s(tr), T = lfd_motion_duration_s(m);
    int nper = (int)ceil((T + o->extra_s) / dt);
    serr = calloc((size_t)nper + 1, sizeof(double));
    if (!serr) {
        rc = lfd_fail(err, LFD_ENOMEM, "out of memory");
        goto done;
    }
    double *qstart = buf, *qbuf = qstart + nq, *tdemo = qbuf + nq;
    float *chunk = fbuf, *prev = chunk + nc * na, *obs = prev + na;
    /* the start: the motion's first frame, or standing with the driven joints from it */
    lfd_motion_state_at(m, 0, qbuf, NULL);
    if (L->upper_body) {
        memcpy(qstart, r->qpos_default, (size_t)nq * sizeof(double));
        for (int d = 0; d < L->ndriven; d++)
            qstart[L->qpos_adr[L->driven[d]]] = qbuf[7 * m->floating + L->driven[d]];
    } else {
        memcpy(qstart, qbuf, (size_t)nq * sizeof(double));
    }
    lfd_track_reset(tr, qstart, NULL);
    const double *q = lfd_track_qpos(tr);
    for (int j = 0; j < nj; j++)
        prev[j] = (float)q[r->joints[j].qpos_adr];
    double z0 = r->floating ? q[2] : 0, err_sum = 0;
    run->root_z_min_m = z0;
    int nerr = 0, exec = o->exec > 0 ? o->exec : nc / 2;
    exec = exec < 1 ? 1 : exec > nc ? nc : exec;
    int since_query = exec;
    for (int k = 0; k < nper; k++) {
        double t = k * dt;
        /* tracking error against the demonstration now, and falls */
        demo_targets(L, m, t, qbuf, tdemo);
        double e = 0;
        for (int d = 0; d < L->ndriven; d++) {
            int j = L->driven[d];
            double ej = fabs(q[L->qpos_adr[j]] - tdemo[j]);
            e += ej;
            run->track_rad_max = ej > run->track_rad_max ? ej : run->track_rad_max;
        }
        e /= L->ndriven;
        serr[nerr++] = e;
        err_sum += e;
        if (r->floating) {
            double tilt = lfd_track_tilt_rad(tr);
            run->tilt_max_rad = tilt > run->tilt_max_rad ? tilt : run->tilt_max_rad;
            run->root_z_min_m = q[2] < run->root_z_min_m ? q[2] : run->root_z_min_m;
            if (tilt > o->fall_tilt_rad || q[2] < 0.5 * z0) {
                run->fell = 1;
                run->t_fall_s = t;
                break;
            }
        }
        const float *rows = chunk;
        int nrows = 2;
        if (p) {
            if (since_query >= exec) {
                /* the policy's chunk for this state (a failed step holds the last target) */
                lfd_obs_build(L, q, lfd_track_qvel(tr), prev, T > 0 ? t / T : 1, obs);
                if (lfd_policy_step(p, ws, obs, chunk, NULL) != LFD_OK) {
                    run->policy_errors++;
                    for (int row = 0; row < nc; row++)
                        memcpy(chunk + row * na, prev, (size_t)na * sizeof(float));
                }
                since_query = 0;
            }
            /* this period follows rows since_query.. of the chunk; the previous
               action observed next is the row in force now */
            rows = chunk + (size_t)since_query * na;
            nrows = nc - since_query;
            memcpy(prev, rows, (size_t)na * sizeof(float));
            since_query++;
        } else {
            /* the demonstration's own targets now (tdemo, above) and one
               period ahead */
            for (int j = 0; j < nj; j++)
                chunk[j] = (float)tdemo[j];
            demo_targets(L, m, t + dt, qbuf, tdemo);
            for (int j = 0; j < nj; j++)
                chunk[na + j] = (float)tdemo[j];
        }
        /* one control period of simulation */
        lfd_err se = {0};
        if (lfd_track_period(tr, rows, nrows, &se)) {
            run->fell = 1;
            run->t_fall_s = t;
            lfd_info("closed loop stopped at %.2f s: %s", t, se.msg);
            break;
        }
    }
    /* the figures over the time it ran */
    run->torque_clamped = lfd_track_clamped_steps(tr);
    run->track_rad_mean = nerr ? err_sum / nerr : 0;
    int last = (int)ceil(0.5 / dt), from = nerr - last < 0 ? 0 : nerr - last;
    double fs = 0;
    for (int i = from; i < nerr; i++)
        fs += serr[i];
    run->track_rad_final = nerr > from ? fs / (nerr - from) : 0;
    int per_bin = (int)lround(o->series_dt_s / dt);
    per_bin = per_bin < 1 ? 1 : per_bin;
    while ((nerr + per_bin - 1) / per_bin > LFD_EVAL_MAX_SERIES)
        per_bin *= 2;
    for (int i = 0; i < nerr; i += per_bin) {
        double s = 0;
        int cnt = 0;
        for (int k2 = i; k2 < nerr && k2 < i + per_bin; k2++, cnt++)
            s += serr[k2];
        run->series_err[run->nseries++] = s / cnt;
    }
done:
    lfd_policy_ws_free(&ws);
    lfd_track_free(&tr);
    free(buf);
    free(fbuf);
    free(serr);
    return rc;
}

/* the tracking error of holding the first frame's driven joints still
   over nper periods of dt (the closed-loop run's length) */
static int hold_error(const lfd_robot *r, const lfd_obs_layout *L, const lfd_motion *m,
                      double dt, int nper, double *out, lfd_err *err)
{
    double *qbuf = malloc((size_t)(r->nq + 2 * r->njoints + 8) * sizeof(double));
    if (!qbuf)
        return lfd_fail(err, LFD_ENOMEM, "out of memory");
    double *q0 = qbuf + r->nq + 4, *qt = q0 + r->njoints;
    demo_targets(L, m, 0, qbuf, q0);
    double sum = 0;
    for (int k = 0; k < nper; k++) {
        demo_targets(L, m, k * dt, qbuf, qt);
        double e = 0;
        for (int d = 0; d < L->ndriven; d++)
            e += fabs(qt[L->driven[d]] - q0[L->driven[d]]);
        sum += L->ndriven ? e / L->ndriven : 0;
    }
    *out = nper > 0 ? sum / nper : 0;
    free(qbuf);
    return LFD_OK;
}

int lfd_eval_closed_loop(const lfd_policy *p, const lfd_robot *r, const lfd_motion *m,
                         const lfd_eval_closed_opts *o, lfd_eval_closed_report *rep,
                         lfd_err *err)
{
    memset(rep, 0, sizeof *rep);
    lfd_obs_layout *L = malloc(sizeof *L);
    if (!L)
        return lfd_fail(err, LFD_ENOMEM, "out of memory");
    int rc;
    if ((rc = policy_layout(p, r, L, err)) || (rc = lfd_motion_validate(m, err)) ||
        (rc = lfd_robot_motion_check(r, m, err))) {
        free(L);
        return rc;
    }
    rep->duration_s = lfd_motion_duration_s(m);
    double dt = p->control_period_s;
    int sub = (int)lround(dt / r->m->opt.timestep);
    double dts = (sub < 1 ? 1 : sub) * r->m->opt.timestep;
    int per_bin = (int)lround(o->series_dt_s / dts);
    per_bin = per_bin < 1 ? 1 : per_bin;
    int nper = (int)ceil((rep->duration_s + o->extra_s) / dts);
    while ((nper + per_bin - 1) / per_bin > LFD_EVAL_MAX_SERIES)
        per_bin *= 2;
    rep->series_dt_s = per_bin * dts;
    rc = run_loop(p, r, L, m, o, dt, &rep->policy, err);
    if (rc == LFD_OK && o->reference) {
        rc = run_loop(NULL, r, L, m, o, dt, &rep->reference, err);
        rep->have_reference = rc == LFD_OK;
    }
    if (rc == LFD_OK)
        rc = hold_error(r, L, m, dts, nper, &rep->hold_rad_mean, err);
    free(L);
    return rc;
}

int lfd_eval_closed_comparable(const lfd_eval_closed_report *rep)
{
    return !(rep->have_reference && rep->reference.fell);
}

/* ---- JSON ------------------------------------------------------------------------------ */

static const char *CLASS_NAMES[3] = {"train", "validation", "new"};

void lfd_eval_offline_json(const lfd_eval_offline_report *rep, const lfd_bc_demo *demos,
                           lfd_jw *jw)
{
    lfd_jw_obj_begin(jw);
    lfd_jw_key(jw, "demonstrations");
    lfd_jw_arr_begin(jw);
    for (int i = 0; i < rep->ndemos; i++) {
        lfd_jw_obj_begin(jw);
        lfd_jw_kstr(jw, "name", demos[i].name);
        lfd_jw_kstr(jw, "class", CLASS_NAMES[rep->demo_class[i]]);
        lfd_jw_obj_end(jw);
    }
    lfd_jw_arr_end(jw);
    lfd_jw_kbool(jw, "held_out", !rep->in_sample);
    lfd_jw_kint(jw, "samples", rep->nsamples);
    lfd_jw_knum(jw, "rmse_rad", rep->rmse_rad);
    lfd_jw_knum(jw, "zoh_rmse_rad", rep->zoh_rmse_rad);
    lfd_jw_key(jw, "nn_rmse_rad");
    if (rep->have_nn)
        lfd_jw_num(jw, rep->nn_rmse_rad);
    else
        lfd_jw_null(jw);
    lfd_jw_key(jw, "joints");
    lfd_jw_arr_begin(jw);
    for (int d = 0; d < rep->njoints; d++) {
        const lfd_eval_joint *J = &rep->joints[d];
        lfd_jw_obj_begin(jw);
        lfd_jw_kstr(jw, "name", J->name);
        lfd_jw_knum(jw, "rmse_rad", J->rmse_rad);
        lfd_jw_knum(jw, "zoh_rmse_rad", J->zoh_rmse_rad);
        lfd_jw_knum(jw, "nn_rmse_rad", J->nn_rmse_rad);
        lfd_jw_obj_end(jw);
    }
    lfd_jw_arr_end(jw);
    const char *keys[3] = {"row_rmse_rad", "row_zoh_rmse_rad", "row_nn_rmse_rad"};
    const double *rows[3] = {rep->row_rmse, rep->row_zoh_rmse, rep->row_nn_rmse};
    for (int k = 0; k < 3; k++) {
        lfd_jw_key(jw, keys[k]);
        lfd_jw_arr_begin(jw);
        for (int i = 0; i < rep->chunk; i++)
            lfd_jw_num(jw, rows[k][i]);
        lfd_jw_arr_end(jw);
    }
    lfd_jw_obj_end(jw);
}

static void run_json(const lfd_eval_run *run, lfd_jw *jw)
{
    lfd_jw_obj_begin(jw);
    lfd_jw_kbool(jw, "fell", run->fell);
    lfd_jw_knum(jw, "t_fall_s", run->t_fall_s);
    lfd_jw_knum(jw, "track_rad_mean", run->track_rad_mean);
    lfd_jw_knum(jw, "track_rad_max", run->track_rad_max);
    lfd_jw_knum(jw, "track_rad_final", run->track_rad_final);
    lfd_jw_knum(jw, "root_z_min_m", run->root_z_min_m);
    lfd_jw_knum(jw, "tilt_max_rad", run->tilt_max_rad);
    lfd_jw_kint(jw, "policy_errors", run->policy_errors);
    lfd_jw_kint(jw, "torque_clamped_steps", run->torque_clamped);
    lfd_jw_key(jw, "track_rad_series");
    lfd_jw_arr_begin(jw);
    for (int i = 0; i < run->nseries; i++)
        lfd_jw_num(jw, run->series_err[i]);
    lfd_jw_arr_end(jw);
    lfd_jw_obj_end(jw);
}

void lfd_eval_closed_json(const lfd_eval_closed_report *rep, lfd_jw *jw)
{
    lfd_jw_obj_begin(jw);
    lfd_jw_knum(jw, "duration_s", rep->duration_s);
    lfd_jw_knum(jw, "series_dt_s", rep->series_dt_s);
    lfd_jw_key(jw, "policy");
    run_json(&rep->policy, jw);
    if (rep->have_reference) {
        lfd_jw_key(jw, "reference");
        run_json(&rep->reference, jw);
    }
    lfd_jw_knum(jw, "hold_still_rad_mean", rep->hold_rad_mean);
    lfd_jw_kbool(jw, "comparison_meaningful", lfd_eval_closed_comparable(rep));
    if (!lfd_eval_closed_comparable(rep))
        lfd_jw_kstr(jw, "note", "reference falls: closed-loop comparison not meaningful");
    lfd_jw_obj_end(jw);
}
