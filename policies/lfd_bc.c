/*  lfd_bc: consent gate, dataset, training and the policy file (see
    lfd_bc.h). */
#include "policies/lfd_bc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/lfd_lineage.h"
#include "core/lfd_log.h"
#include "core/lfd_rng.h"
#include "core/lfd_sha256.h"
#include "policies/lfd_dataset.h"
#include "sim/lfd_check.h"

void lfd_bc_opts_init(lfd_bc_opts *o)
{
    memset(o, 0, sizeof *o);
    lfd_obs_opts_init(&o->obs);
    o->chunk = 10;
    o->control_period_s = 0.02;
    o->nhidden = 2;
    o->hidden[0] = o->hidden[1] = 256;
    o->act = LFD_ACT_RELU;
    lfd_train_opts_init(&o->train);
    o->train.epochs = 300;
    o->train.patience = 40;
    o->train.lr = 1e-3;
    o->train.lr_min = 1e-5;
    o->val_frac = 0.2;
    o->sim_rollouts = 4;
    o->sim_noise_rad = 0.05;
    o->sim_noise_tau_s = 0.3;
    o->noise_q_rad = 0.02;
    o->noise_qd_rad_s = 0.2;
    o->noise_prev_rad = 0.02;
    o->noise_gravity = 0.02;
    o->noise_angvel_rad_s = 0.1;
    o->obs_std_floor = 0.05f;
    o->act_std_floor = 0.01f;
    o->action_mode = LFD_ACTION_RESIDUAL;
    o->delta_std_floor = 0.002f;
    o->purpose = "robot-training";
}

/* ---- consent -------------------------------------------------------------------- */

int lfd_bc_consent_check(int n, const lfd_bc_demo *demos, const char *purpose,
                         const char *today, int no_people, int *no_people_used, lfd_err *err)
{
    char day[16];
    if (!today) {
        lfd_today(day);
        today = day;
    }
    if (!purpose || !purpose[0])
        return lfd_fail(err, LFD_EARG, "no purpose declared for the consent check");
    int refused = 0, used = 0;
    char list[LFD_ERR_MSG_MAX] = "";
    size_t len = 0;
    for (int i = 0; i < n; i++) {
        const lfd_prov *pv = &demos[i].motion->prov;
        lfd_consent c;
        lfd_err e = {0};
        int rc = lfd_consent_read(pv, &c, &e);
        if (rc == LFD_OK)
            rc = lfd_consent_allows(&c, purpose, today, &e);
        else if (rc == LFD_EDENIED && no_people && !lfd_prov_get(pv, "contributor_id")) {
            /* the override: no person anywhere in this demonstration's lineage */
            char ids[1][LFD_CONTRIB_MAX];
            int human = lfd_lineage_has_kind(pv, "human", &e);
            if (human < 0)
                rc = human;
            else if (lfd_lineage_contributors(pv, ids, 1) != 0)
                rc = lfd_fail(&e, LFD_EDENIED, "no consent record, and its lineage names "
                                               "contributor %s (--no-people does not apply)",
                              ids[0]);
            else if (human)
                /* a recording of a person, even an unnamed one, is not "no people" */
                rc = lfd_fail(&e, LFD_EDENIED, "no consent record, and it was made from a "
                                               "recording of a person (--no-people does not apply)");
            else {
                used++;
                continue;
            }
        }
        if (rc == LFD_OK)
            continue;
        /* every refusal is logged; the error names as many as fit */
        refused++;
        lfd_log(LFD_LOG_ERROR, "refused %s: %s", demos[i].name, e.msg);
        if (len < sizeof list - 1) {
            int w = snprintf(list + len, sizeof list - len, "%s%s (%s)", refused > 1 ? "; " : "",
                             demos[i].name, e.msg);
            len = w > 0 ? len + (size_t)w : len;
            if (len >= sizeof list)
                len = sizeof list - 1;
        }
    }
    if (no_people_used)
        *no_people_used = used;
    if (refused)
        return lfd_fail(err, LFD_EDENIED, "consent refused for '%s' on %s for %d of %d "
                                          "demonstrations: %.380s",
                        purpose, today, refused, n, list);
    return LFD_OK;
}

/* the name of the first human recording in a provenance's lineage (what
   the motion was retargeted from), or "" */
static void human_source(const lfd_prov *pv, char *name, size_t namesz)
{
    name[0] = '\0';
    const lfd_prov_entry *e = lfd_prov_get(pv, "lineage");
    if (!e)
        return;
    lfd_mpr r;
    lfd_mpr_init(&r, e->val, e->len);
    lfd_err err = {0};
    uint32_t n;
    if (lfd_mpr_array(&r, &n, &err))
        return;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t nk;
        if (lfd_mpr_map(&r, &nk, &err))
            return;
        char kind[32] = "", nm[256] = "";
        for (uint32_t k = 0; k < nk; k++) {
            char key[32];
            if (lfd_mpr_cstr(&r, key, sizeof key, &err))
                return;
            int rc = !strcmp(key, "kind")   ? lfd_mpr_cstr(&r, kind, sizeof kind, &err)
                     : !strcmp(key, "name") ? lfd_mpr_cstr(&r, nm, sizeof nm, &err)
                                            : lfd_mpr_skip(&r, &err);
            if (rc)
                return;
        }
        if (!strcmp(kind, "human") && nm[0]) {
            snprintf(name, namesz, "%s", nm);
            return;
        }
    }
}

void lfd_bc_consent_hint(int n, const lfd_bc_demo *demos, const char *purpose,
                         const char *today, int no_people, char *hint, size_t hintsz)
{
    char day[16];
    if (!today) {
        lfd_today(day);
        today = day;
    }
    hint[0] = '\0';
    int no_record = 0, personless = 0, not_covered = 0, out_of_date = 0;
    char recording[256] = "";
    for (int i = 0; i < n; i++) {
        const lfd_prov *pv = &demos[i].motion->prov;
        lfd_consent c;
        lfd_err e = {0};
        if (lfd_consent_read(pv, &c, &e) == LFD_OK) {
            lfd_consent_why why;
            if (lfd_consent_allows_why(&c, purpose ? purpose : "", today, &why, &e) != LFD_OK) {
                /* expired or not yet valid is a date, not a scope: --purpose cannot help */
                if (why == LFD_CONSENT_EXPIRED || why == LFD_CONSENT_NOT_YET_VALID)
                    out_of_date++;
                else
                    not_covered++;
            }
            continue;
        }
        char ids[1][LFD_CONTRIB_MAX];
        int human = lfd_lineage_has_kind(pv, "human", &e);
        if (!lfd_prov_get(pv, "contributor_id") && human == 0 &&
            lfd_lineage_contributors(pv, ids, 1) == 0) {
            if (!no_people)
                personless++; /* --no-people would let it through */
            continue;
        }
        no_record++;
        if (!recording[0])
            human_source(pv, recording, sizeof recording);
    }
    size_t len = 0;
#define HINT(...)                                                                        \
    do {                                                                                 \
        int w_ = snprintf(hint + len, hintsz - len, __VA_ARGS__);                        \
        len = w_ > 0 && (size_t)w_ < hintsz - len ? len + (size_t)w_ : hintsz - 1;       \
    } while (0)
    if (no_record) {
        if (recording[0])
            HINT("  - a recording of a person: put its consent record in %s.prov.json beside "
                 "%s (contributor_id and consent scopes/date: docs/lineage.md) and retarget it "
                 "again, or retarget with --prov FILE naming the record\n",
                 recording, recording);
        else
            HINT("  - a recording of a person: put its consent record in <recording>.prov.json "
                 "beside the recording (contributor_id and consent scopes/date: "
                 "docs/lineage.md) and retarget it again, or retarget with --prov FILE naming "
                 "the record\n");
    }
    if (not_covered)
        HINT("  - a consent record that does not cover '%s' today: only a new record from the "
             "person (then retarget again with it) or a --purpose they consented to\n",
             purpose ? purpose : "");
    if (out_of_date)
        HINT("  - a consent record that has expired or is dated after today (%s): only a renewed "
             "record from the person (then retarget again with it)\n",
             today);
    if (personless)
        HINT("  - data that names no person (synthetic or generated motions): add --no-people\n");
    else if (no_record && !no_people)
        HINT("  - --no-people is for data that names no person (synthetic motions); it does not "
             "apply to a recording of a person\n");
#undef HINT
}

/* ---- the policy's schema ------------------------------------------------------------ */

int lfd_bc_policy_schema(lfd_policy *p, const lfd_robot *r, const lfd_obs_layout *L,
                         lfd_err *err)
{
    if (p->obs_dim != L->dim || p->act_dim != r->njoints)
        return lfd_fail(err, LFD_EMISMATCH, "policy is %d -> %d, the layout %d -> %d joints",
                        p->obs_dim, p->act_dim, L->dim, r->njoints);
    for (int i = 0; i < L->dim; i++)
        lfd_obs_name(L, i, p->obs_names[i], p->obs_units[i]);
    lfd_bc_policy_actions(p, r);
    return lfd_policy_set_driven(p, L->ndriven, L->driven, err);
}

void lfd_bc_policy_actions(lfd_policy *p, const lfd_robot *r)
{
    snprintf(p->robot, sizeof p->robot, "%s", r->name);
    snprintf(p->model_hash, sizeof p->model_hash, "%s", r->model_hash);
    /* actions: the robot's joints, with their limits and default pose */
    for (int j = 0; j < r->njoints && j < p->act_dim; j++) {
        const lfd_robot_joint *J = &r->joints[j];
        snprintf(p->act_names[j], sizeof p->act_names[j], "%s", J->name);
        snprintf(p->act_units[j], sizeof p->act_units[j], "%s",
                 J->type == mjJNT_SLIDE ? "m" : "rad");
        p->act_lo[j] = (float)J->range_lo;
        p->act_hi[j] = (float)J->range_hi;
        p->vel_limit[j] = J->vel_max > 0 ? (float)J->vel_max : INFINITY;
        p->acc_limit[j] = J->acc_max > 0 ? (float)J->acc_max : 0.0f;
        p->default_action[j] = (float)J->default_q;
    }
}

/* ---- meta ------------------------------------------------------------------------ */

static int set_str_list(lfd_prov *pv, const char *key, int n, const char *const *v,
                        const int *mask, int want, lfd_err *err)
{
    lfd_buf b;
    msgpack_packer pk;
    lfd_buf_init(&b, LFD_PROV_MAX_BYTES);
    lfd_packer_init(&pk, &b);
    int cnt = 0;
    for (int i = 0; i < n; i++)
        cnt += !mask || (mask[i] != 0) == (want != 0);
    msgpack_pack_array(&pk, (size_t)cnt);
    for (int i = 0; i < n; i++)
        if (!mask || (mask[i] != 0) == (want != 0))
            lfd_mp_pack_cstr(&pk, v[i]);
    int rc = lfd_buf_ok(&b) ? lfd_prov_set_raw(pv, key, b.data, b.len, err)
                            : lfd_fail(err, LFD_ELIMIT, "meta '%s' too large", key);
    lfd_buf_free(&b);
    return rc;
}

static int set_meta(lfd_policy *p, const lfd_bc_opts *o, const lfd_obs_layout *L,
                    const lfd_bc_report *rep, int n, const lfd_bc_demo *demos, const int *is_val,
                    const char *today, lfd_err *err)
{
    lfd_prov *m = &p->meta;
    char hidden[256] = "";
    size_t len = 0;
    for (int i = 0; i < o->nhidden && len < sizeof hidden - 16; i++)
        len += (size_t)snprintf(hidden + len, sizeof hidden - len, "%s%d", i ? "," : "",
                                o->hidden[i]);
    const char **sha = malloc((size_t)n * sizeof *sha);
    if (!sha)
        return lfd_fail(err, LFD_ENOMEM, "out of memory");
    for (int i = 0; i < n; i++)
        sha[i] = demos[i].sha256;
    int rc;
    if ((rc = lfd_prov_set_str(m, "trainer", "lfd train (behaviour cloning, MLP, Adam)", err)) ||
        (rc = lfd_prov_set_str(m, "purpose", o->purpose, err)) ||
        (rc = lfd_prov_set_str(m, "consent_checked_on", today, err)) ||
        (rc = lfd_prov_set_int(m, "no_people_demos", rep->no_people_used, err)) ||
        (rc = lfd_prov_set_int(m, "allow_unchecked", o->allow_unchecked != 0, err)) ||
        (rc = lfd_prov_set_str(m, "check", o->allow_unchecked ? "not run (--allow-unchecked)"
                                           : rep->check_warned ? "every demonstration passed or warned"
                                                               : "every demonstration passed", err)) ||
        (rc = lfd_prov_set_int(m, "check_warned", rep->check_warned, err)) ||
        (rc = lfd_prov_set_int(m, "upper_body", L->upper_body, err)) ||
        (rc = lfd_prov_set_str(m, "action_mode", lfd_action_mode_name(p->action_mode), err)) ||
        (rc = lfd_prov_set_str(m, "hidden", hidden, err)) ||
        (rc = lfd_prov_set_str(m, "activation", lfd_activation_name(o->act), err)) ||
        (rc = lfd_prov_set_int(m, "seed", (int64_t)o->train.seed, err)) ||
        (rc = lfd_prov_set_int(m, "epochs_run", rep->train.epochs_run, err)) ||
        (rc = lfd_prov_set_int(m, "best_epoch", rep->train.best_epoch, err)) ||
        (rc = lfd_prov_set_num(m, "train_loss", rep->train.train_loss, err)) ||
        (rc = lfd_prov_set_num(m, "train_mse", rep->train.final_train_mse, err)) ||
        (isfinite(rep->train.val_loss) &&
         (rc = lfd_prov_set_num(m, "val_loss", rep->train.val_loss, err))) ||
        (rc = lfd_prov_set_num(m, "l1", o->train.l1, err)) ||
        (rc = lfd_prov_set_int(m, "sim_rollouts", o->sim_rollouts, err)) ||
        (rc = lfd_prov_set_num(m, "sim_noise_rad", o->sim_noise_rad, err)) ||
        (rc = lfd_prov_set_num(m, "noise_q_rad", o->noise_q_rad, err)) ||
        (rc = lfd_prov_set_num(m, "noise_qd_rad_s", o->noise_qd_rad_s, err)) ||
        (rc = lfd_prov_set_num(m, "noise_prev_rad", o->noise_prev_rad, err)) ||
        (rc = lfd_prov_set_int(m, "samples_train", rep->ntrain, err)) ||
        (rc = lfd_prov_set_int(m, "samples_val", rep->nval, err)) ||
        (rc = set_str_list(m, "train_demos", n, sha, is_val, 0, err)) ||
        (rc = set_str_list(m, "val_demos", n, sha, is_val, 1, err)))
        lfd_err_prefix(err, "policy meta");
    free(sha);
    return rc;
}


/* ---- the check gate ------------------------------------------------------------------ */

int lfd_bc_check_gate(const lfd_robot *r, int n, const lfd_bc_demo *demos, int *verdicts,
                      int *nwarn, lfd_err *err)
{
    lfd_checker *c = NULL;
    lfd_check_ws *ws = NULL;
    lfd_check_report *rep = NULL;
    lfd_check_opts o;
    lfd_check_opts_init(&o);
    char names[LFD_ERR_MSG_MAX] = "";
    size_t len = 0;
    int nfail = 0, rc = LFD_OK;
    *nwarn = 0;
    if ((rc = lfd_check_report_new(&rep, err)))
        return rc;
    if ((rc = lfd_checker_new(&c, r, err)) || (rc = lfd_check_ws_new(&ws, c, err)))
        goto done;
    for (int i = 0; i < n; i++) {
        /* the same checks and thresholds as `lfd check` with defaults */
        if ((rc = lfd_check_motion(c, ws, demos[i].motion, &o, rep, err))) {
            lfd_err_prefix(err, "%s: lfd check", demos[i].name);
            goto done;
        }
        verdicts[i] = rep->verdict;
        if (rep->verdict == LFD_CHECK_WARN) {
            (*nwarn)++;
            lfd_info("%s: lfd check warns (%d warnings); used", demos[i].name, rep->nwarn);
        } else if (rep->verdict == LFD_CHECK_FAIL) {
            if (nfail++ < 8 && len < sizeof names - 8)
                len += (size_t)snprintf(names + len, sizeof names - len, "%s%s (%d failures)",
                                        nfail > 1 ? ", " : "", demos[i].name, rep->nfail);
        }
    }
    if (nfail)
        rc = lfd_fail(err, LFD_EDENIED,
                      "%d of %d demonstrations fail lfd check: %s%s (run lfd check on them, "
                      "fix with lfd check --fix, or pass --allow-unchecked)",
                      nfail, n, names, nfail > 8 ? ", ..." : "");
done:
    lfd_check_ws_free(&ws);
    lfd_checker_free(&c);
    lfd_check_report_free(&rep);
    return rc;
}

/* ---- training ------------------------------------------------------------------------ */

/* per-observation noise stds in normalised units from the physical ones */
static void noise_vector(const lfd_obs_layout *L, const lfd_bc_opts *o, const float *obs_std,
                         float *noise)
{
    for (int i = 0; i < L->dim; i++) {
        double v = 0;
        if (i >= L->off_q && i < L->off_q + L->nobs_j)
            v = o->noise_q_rad;
        else if (i >= L->off_qd && i < L->off_qd + L->nobs_j)
            v = o->noise_qd_rad_s;
        else if (L->root && i >= L->off_gravity && i < L->off_gravity + 3)
            v = o->noise_gravity;
        else if (L->root && i >= L->off_angvel && i < L->off_angvel + 3)
            v = o->noise_angvel_rad_s;
        else if (L->prev_action && i >= L->off_prev && i < L->off_prev + L->ndriven)
            v = o->noise_prev_rad;
        noise[i] = (float)(v / obs_std[i]);
    }
}

int lfd_bc_train_motions(const lfd_robot *r, int n, const lfd_bc_demo *demos,
                         const lfd_bc_opts *o, lfd_policy **out, lfd_bc_report *rep,
                         lfd_err *err)
{
    *out = NULL;
    memset(rep, 0, sizeof *rep);
    if (n < 1 || n > LFD_BC_MAX_DEMOS)
        return lfd_fail(err, LFD_EARG, "%d demonstrations (give 1..%d)", n, LFD_BC_MAX_DEMOS);
    if (!o->name || !o->name[0] || strlen(o->name) >= LFD_POLICY_NAME_MAX)
        return lfd_fail(err, LFD_EARG, "a policy needs a name of 1..%d bytes",
                        LFD_POLICY_NAME_MAX - 1);
    if (o->nhidden < 0 || o->nhidden > LFD_MLP_MAX_LAYERS - 1)
        return lfd_fail(err, LFD_EARG, "%d hidden layers (0..%d)", o->nhidden,
                        LFD_MLP_MAX_LAYERS - 1);
    /* one file given twice (a copy, a second path) can fall on both sides
       of the train/validation split, and validation then scores a training
       sample: each demonstration once */
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n && demos[i].sha256; j++)
            if (demos[j].sha256 && !strcmp(demos[i].sha256, demos[j].sha256))
                return lfd_fail(err, LFD_EARG, "%s and %s are the same demonstration (sha256 %.12s...): "
                                               "give each once",
                                demos[i].name, demos[j].name, demos[i].sha256);
    char today[16];
    if (o->today)
        snprintf(today, sizeof today, "%s", o->today);
    else
        lfd_today(today);
    /* 1. consent, before anything is computed from the data */
    int rc = lfd_bc_consent_check(n, demos, o->purpose, today, o->no_people,
                                  &rep->no_people_used, err);
    if (rc == LFD_EDENIED)
        lfd_bc_consent_hint(n, demos, o->purpose, today, o->no_people, rep->consent_hint,
                            sizeof rep->consent_hint);
    if (rc)
        return rc;
    /* 2. every motion is this robot's */
    for (int i = 0; i < n; i++)
        if ((rc = lfd_motion_validate(demos[i].motion, err)) ||
            (rc = lfd_robot_motion_check(r, demos[i].motion, err)))
            return lfd_err_prefix_rc(err, rc, "%s", demos[i].name);
    /* 2b. only motions that pass lfd check (warnings are noted) */
    int nwarn = 0;
    if (!o->allow_unchecked) {
        int *verdicts = calloc((size_t)n, sizeof(int));
        if (!verdicts)
            return lfd_fail(err, LFD_ENOMEM, "out of memory");
        rc = lfd_bc_check_gate(r, n, demos, verdicts, &nwarn, err);
        free(verdicts);
        if (rc)
            return rc;
    }
    rep->check_warned = nwarn;
    /* 3. the dataset, split by demonstration, statistics from training */
    lfd_obs_layout *L = malloc(sizeof *L);
    lfd_dataset ds;
    memset(&ds, 0, sizeof ds);
    int *is_val = calloc((size_t)n, sizeof(int));
    float *X = NULL, *Y = NULL, *Xv = NULL, *Yv = NULL, *noise = NULL;
    float *om = NULL, *os = NULL, *am = NULL, *as = NULL, *dm = NULL, *dsd = NULL, *tmp = NULL;
    int resid = o->action_mode == LFD_ACTION_RESIDUAL;
    lfd_policy *p = NULL;
    if (!L || !is_val) {
        rc = lfd_fail(err, LFD_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = lfd_obs_layout_init(L, r, &o->obs, err)) ||
        (rc = lfd_dataset_init(&ds, L, o->chunk, o->control_period_s, err)))
        goto done;
    lfd_dataset_sim sim;
    lfd_dataset_sim_init(&sim);
    sim.robot = r;
    sim.rollouts = o->sim_rollouts;
    sim.noise_rad = o->sim_noise_rad;
    sim.noise_tau_s = o->sim_noise_tau_s;
    sim.seed = o->train.seed;
    if (o->sim_rollouts > 0)
        lfd_info("simulating %d noisy rollouts of each of %d demonstrations", o->sim_rollouts, n);
    for (int i = 0; i < n; i++)
        if ((rc = lfd_dataset_add_demo(&ds, L, demos[i].motion, demos[i].name, &sim, err)))
            goto done;
    rep->ndemos = n;
    rep->nval_demos = lfd_dataset_split(&ds, o->val_frac, o->train.seed, is_val);
    rep->ntrain_demos = n - rep->nval_demos;
    om = malloc((size_t)L->dim * sizeof(float));
    os = malloc((size_t)L->dim * sizeof(float));
    noise = malloc((size_t)L->dim * sizeof(float));
    am = malloc((size_t)L->ndriven * sizeof(float));
    as = malloc((size_t)L->ndriven * sizeof(float));
    dm = malloc((size_t)L->ndriven * sizeof(float));
    dsd = malloc((size_t)L->ndriven * sizeof(float));
    tmp = malloc((size_t)L->dim * 2 * sizeof(float));
    if (!om || !os || !noise || !am || !as || !dm || !dsd || !tmp) {
        rc = lfd_fail(err, LFD_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = lfd_dataset_stats(&ds, is_val, 0, o->obs_std_floor, o->act_std_floor, om, os, am,
                                as, err)))
        goto done;
    /* residual: labels become changes from the previous action, with their own statistics */
    if (resid) {
        if ((rc = lfd_dataset_to_residual(&ds, L, err)) ||
            (rc = lfd_dataset_stats(&ds, is_val, 0, o->obs_std_floor, o->delta_std_floor, tmp,
                                    tmp + L->dim, dm, dsd, err)))
            goto done;
    }
    const float *ym = resid ? dm : am, *ys = resid ? dsd : as;
    if ((rc = lfd_dataset_gather(&ds, is_val, 0, om, os, ym, ys, &X, &Y, &rep->ntrain, err)) ||
        (rc = lfd_dataset_gather(&ds, is_val, 1, om, os, ym, ys, &Xv, &Yv, &rep->nval, err)))
        goto done;
    /* 4. the network and its training */
    int dims[LFD_MLP_MAX_LAYERS + 1];
    lfd_activation acts[LFD_MLP_MAX_LAYERS];
    dims[0] = L->dim;
    for (int l = 0; l < o->nhidden; l++) {
        dims[l + 1] = o->hidden[l];
        acts[l] = o->act;
    }
    dims[o->nhidden + 1] = ds.act_dim;
    acts[o->nhidden] = LFD_ACT_LINEAR;
    if ((rc = lfd_policy_new(&p, LFD_POLICY_MLP, L->dim, r->njoints, o->chunk, err)) ||
        (rc = lfd_mlp_new(&p->mlp, o->nhidden + 1, dims, acts, err)))
        goto done;
    lfd_mlp_init_random(p->mlp, o->init_seed ? o->init_seed : o->train.seed);
    noise_vector(L, o, os, noise);
    lfd_train_opts to = o->train;
    to.obs_noise = noise;
    lfd_info("training on %d samples from %d demonstrations, validating on %d samples from %d",
             rep->ntrain, rep->ntrain_demos, rep->nval, rep->nval_demos);
    if ((rc = lfd_train_mlp(p->mlp, X, Y, rep->ntrain, Xv, Yv, rep->nval, &to, &rep->train,
                            err)))
        goto done;
    /* 5. the policy: schema, statistics, lineage, meta */
    snprintf(p->name, sizeof p->name, "%s", o->name);
    p->control_period_s = o->control_period_s;
    if ((rc = lfd_bc_policy_schema(p, r, L, err)))
        goto done;
    memcpy(p->obs_mean, om, (size_t)L->dim * sizeof(float));
    memcpy(p->obs_std, os, (size_t)L->dim * sizeof(float));
    for (int j = 0; j < r->njoints; j++) {
        p->act_mean[j] = p->default_action[j];
        p->act_std[j] = 1;
    }
    for (int d = 0; d < L->ndriven; d++) {
        p->act_mean[L->driven[d]] = am[d];
        p->act_std[L->driven[d]] = as[d];
    }
    if (resid && (rc = lfd_policy_set_action_mode(p, LFD_ACTION_RESIDUAL, dm, dsd, err)))
        goto done;
    for (int i = 0; i < n && rc == LFD_OK; i++)
        rc = lfd_lineage_add_input(&p->lineage, "motion", demos[i].name, demos[i].sha256,
                                   &demos[i].motion->prov, err);
    rep->obs_dim = L->dim;
    rep->act_dim = r->njoints;
    rep->ndriven = L->ndriven;
    rep->chunk = o->chunk;
    rep->nparams = lfd_mlp_nparams(p->mlp);
    if (rc == LFD_OK)
        rc = set_meta(p, o, L, rep, n, demos, is_val, today, err);
    if (rc == LFD_OK)
        rc = lfd_policy_validate(p, err);
done:
    if (rc)
        lfd_policy_free(&p);
    *out = p;
    free(X);
    free(Y);
    free(Xv);
    free(Yv);
    free(noise);
    free(om);
    free(os);
    free(am);
    free(as);
    free(dm);
    free(dsd);
    free(tmp);
    free(is_val);
    free(L);
    lfd_dataset_free(&ds);
    return rc;
}

int lfd_bc_train(const lfd_robot *r, int n, const char *const *paths, const char *out_path,
                 const lfd_bc_opts *o, lfd_bc_report *rep, lfd_err *err)
{
    memset(rep, 0, sizeof *rep);
    if (n < 1 || n > LFD_BC_MAX_DEMOS)
        return lfd_fail(err, LFD_EARG, "%d demonstrations (give 1..%d)", n, LFD_BC_MAX_DEMOS);
    lfd_motion *ms = calloc((size_t)n, sizeof *ms);
    lfd_bc_demo *demos = calloc((size_t)n, sizeof *demos);
    char (*hex)[65] = calloc((size_t)n, sizeof *hex);
    int loaded = 0, rc = LFD_OK;
    if (!ms || !demos || !hex) {
        rc = lfd_fail(err, LFD_ENOMEM, "out of memory");
        goto done;
    }
    /* read and hash every demonstration */
    for (; loaded < n; loaded++) {
        if ((rc = lfd_motion_read(&ms[loaded], paths[loaded], err)))
            goto done;
        if ((rc = lfd_file_sha256_hex(paths[loaded], hex[loaded], err))) {
            lfd_motion_free(&ms[loaded]);
            goto done;
        }
        demos[loaded].motion = &ms[loaded];
        demos[loaded].name = paths[loaded];
        demos[loaded].sha256 = hex[loaded];
    }
    lfd_policy *p;
    if ((rc = lfd_bc_train_motions(r, n, demos, o, &p, rep, err)))
        goto done;
    rc = lfd_policy_save(p, out_path, err);
    lfd_policy_free(&p);
done:
    for (int i = 0; i < loaded; i++)
        lfd_motion_free(&ms[i]);
    free(ms);
    free(demos);
    free(hex);
    return rc;
}

/* ---- synthetic demonstrations -------------------------------------------------------- */

void lfd_bc_synth_opts_init(lfd_bc_synth_opts *o)
{
    memset(o, 0, sizeof *o);
    o->seconds = 6;
    o->fps = 50;
    o->task_seed = 1;
    o->seed = 1;
    o->variation = 0.15;
}

/* uniform in [-1, 1) */
static double sym(uint64_t *s) { return 2.0 * lfd_rng_u01(s) - 1.0; }

int lfd_bc_synth_motion(const lfd_robot *r, const lfd_bc_synth_opts *o, lfd_motion *m,
                        lfd_err *err)
{
    if (!(o->seconds > 0 && o->seconds <= 3600) || !(o->fps >= 1 && o->fps <= 1000) ||
        !(o->variation >= 0 && o->variation < 1))
        return lfd_fail(err, LFD_EARG, "synthetic motion of %g s at %g fps, variation %g",
                        o->seconds, o->fps, o->variation);
    int nf = (int)lround(o->seconds * o->fps) + 1;
    int rc = lfd_robot_motion_alloc(r, m, nf, o->fps, 0, err);
    if (rc)
        return rc;
    int nj = r->njoints, r0 = 7 * r->floating;
    /* the task: per joint a reach offset, a wipe amplitude and phase, and a
       shared wipe frequency; the demonstration varies each a little */
    uint64_t ts = o->task_seed * 0x2545f4914f6cdd1dull + 17, vs = o->seed * 0x9e3779b97f4a7c15ull + 3;
    double f_hz = 0.5 + 0.15 * sym(&ts);
    f_hz *= 1 + o->variation * sym(&vs);
    double lag = 0.3 * o->variation * sym(&vs);
    for (int j = 0; j < nj; j++) {
        const lfd_robot_joint *J = &r->joints[j];
        double reach = sym(&ts), amp = 0.5 + 0.5 * fabs(sym(&ts)), ph = 3.14159 * sym(&ts);
        double vr = 1 + o->variation * sym(&vs), va = 1 + o->variation * sym(&vs);
        double vp = o->variation * sym(&vs);
        if (lfd_obs_joint_is_leg(r, j))
            continue;
        double half = 0.5 * (J->range_hi - J->range_lo);
        double scale = fmin(0.25 * half, 0.35);
        double lo = J->range_lo + 0.05 * half, hi = J->range_hi - 0.05 * half;
        /* a joint with far more room on one side of its default (a shoulder
           roll: the body is on the other side) moves only to that side */
        double room_hi = J->range_hi - J->default_q, room_lo = J->default_q - J->range_lo;
        int side = room_hi > 3 * room_lo ? 1 : room_lo > 3 * room_hi ? -1 : 0;
        for (int f = 0; f < nf; f++) {
            double t = f / o->fps;
            /* smooth ramp into the reach posture over the first second */
            double u = t < 1 ? t : 1, ramp = u * u * (3 - 2 * u);
            double off = ramp * scale *
                         (reach * vr + amp * va * sin(6.283185307 * f_hz * (t - lag) + ph + vp));
            double q = J->default_q + (side ? side * fabs(off) : off);
            lfd_motion_frame(m, f)[r0 + j] = q < lo ? lo : q > hi ? hi : q;
        }
    }
    char note[160];
    snprintf(note, sizeof note, "lfd_bc_synth_motion: task %llu, demonstration %llu",
             (unsigned long long)o->task_seed, (unsigned long long)o->seed);
    if ((rc = lfd_prov_set_str(&m->prov, "synthetic", note, err))) {
        lfd_motion_free(m);
        return rc;
    }
    return LFD_OK;
}
