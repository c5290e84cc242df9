/*  Tests for the box-constrained QP (core/lfd_boxqp) and the whole-body IK
    solver (retarget/lfd_ik) on MuJoCo's sample humanoid. */
#include <malloc.h>
#include <mujoco/mujoco.h>
#include <stdlib.h>

#include "core/lfd_boxqp.h"
#include "core/lfd_quat.h"
#include "retarget/lfd_ik.h"
#include "core/lfd_util.h"
#include "robots/lfd_robot.h"
#include "tests/lfd_test.h"

#define HUMANOID "/usr/share/mujoco/model/humanoid/humanoid.xml"

TEST(boxqp_known_solutions)
{
    /* separable: H = I, g = (-2, 3, 0.5), box [-1, 1]^3 -> (1, -1, -0.5) */
    double H[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1}, g[3] = {-2, 3, 0.5};
    double lo[3] = {-1, -1, -1}, hi[3] = {1, 1, 1}, x[3] = {0, 0, 0};
    double ws[64];
    lfd_boxqp_result r;
    CHECK(lfd_boxqp_ws_doubles(3) <= sizeof ws / sizeof ws[0]);
    CHECK(lfd_boxqp_solve(3, H, g, lo, hi, x, 50, 1e-12, ws, &r) == 0);
    CHECK_NEAR(x[0], 1, 1e-12);
    CHECK_NEAR(x[1], -1, 1e-12);
    CHECK_NEAR(x[2], -0.5, 1e-12);
    CHECK(r.converged);
    CHECK_EQ_INT(r.nfree, 1);
    /* coupled: compare with a long projected-gradient run on random problems */
    srand(3);
    for (int trial = 0; trial < 50; trial++) {
        enum { N = 6 };
        double A[N * N], Hm[N * N], gg[N], l[N], h[N], xs[N], xr[N], w[N * N + 8 * N];
        for (int i = 0; i < N * N; i++)
            A[i] = rand() / (double)RAND_MAX - 0.5;
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++) {
                double s = i == j ? 0.1 : 0;
                for (int k = 0; k < N; k++)
                    s += A[i * N + k] * A[j * N + k];
                Hm[i * N + j] = s;
            }
        for (int i = 0; i < N; i++) {
            gg[i] = 2 * (rand() / (double)RAND_MAX - 0.5);
            l[i] = -0.3 - rand() / (double)RAND_MAX;
            h[i] = i == 2 ? INFINITY : 0.3 + rand() / (double)RAND_MAX;
            xs[i] = xr[i] = 0;
        }
        CHECK(lfd_boxqp_ws_doubles(N) <= sizeof w / sizeof w[0]);
        CHECK(lfd_boxqp_solve(N, Hm, gg, l, h, xs, 100, 1e-12, w, &r) == 0);
        double lmax = 0;
        for (int i = 0; i < N * N; i++)
            lmax += fabs(Hm[i]);
        for (int it = 0; it < 200000; it++)
            for (int i = 0; i < N; i++) {
                double s = gg[i];
                for (int j = 0; j < N; j++)
                    s += Hm[i * N + j] * xr[j];
                double v = xr[i] - s / lmax;
                xr[i] = v < l[i] ? l[i] : v > h[i] ? h[i] : v;
            }
        /* the objective the solver tracks step by step is the true one at x */
        double f = 0;
        for (int i = 0; i < N; i++) {
            CHECK_NEAR(xs[i], xr[i], 1e-5);
            double hx = 0;
            for (int j = 0; j < N; j++)
                hx += Hm[i * N + j] * xs[j];
            f += xs[i] * (0.5 * hx + gg[i]);
        }
        CHECK_NEAR(r.f, f, 1e-12);
    }
    /* Cholesky solve */
    double M[4] = {4, 2, 2, 3}, b[2] = {2, 1};
    CHECK(lfd_util_chol_factor(M, 2) == 0);
    lfd_util_chol_solve(M, 2, b);
    CHECK_NEAR(4 * b[0] + 2 * b[1], 2, 1e-12);
    CHECK_NEAR(2 * b[0] + 3 * b[1], 1, 1e-12);
    double bad[4] = {1, 2, 2, 1};
    CHECK(lfd_util_chol_factor(bad, 2) == -1);
}

static mjModel *load_humanoid(void)
{
    char msg[1000] = "";
    mjModel *m = mj_loadXML(HUMANOID, NULL, msg, sizeof msg);
    if (!m)
        SKIP("MuJoCo's sample humanoid is not installed (make deps installs libmujoco-samples)");
    return m;
}

static const char *TASK_BODIES[] = {"torso", "head", "right_hand", "left_hand", "right_lower_arm",
                                    "left_lower_arm", "right_foot", "left_foot", "right_shin",
                                    "left_shin", "pelvis"};
enum { NT = 11 };

static void setup(mjModel *m, lfd_ik **ik, lfd_ik_ws **ws)
{
    lfd_err err = {0};
    CHECK_OK(lfd_ik_new(ik, m, NULL, &err), &err);
    for (int k = 0; k < NT; k++) {
        int b = mj_name2id(m, mjOBJ_BODY, TASK_BODIES[k]);
        CHECK(b > 0);
        int rot = !strcmp(TASK_BODIES[k], "torso") || strstr(TASK_BODIES[k], "foot") ||
                  !strcmp(TASK_BODIES[k], "pelvis");
        CHECK(lfd_ik_add_task(*ik, b, NULL, NULL, 1.0, rot ? 0.3 : 0.0, &err) == k);
    }
    (*ik)->floor_z = -100;
    CHECK_OK(lfd_ik_ws_new(ws, *ik, &err), &err);
}

/* targets from the FK of a configuration */
static void targets_of(const mjModel *m, mjData *d, const double *q, double *pos, double *quat)
{
    memcpy(d->qpos, q, (size_t)m->nq * sizeof(double));
    mj_kinematics(m, d);
    for (int k = 0; k < NT; k++) {
        int b = mj_name2id(m, mjOBJ_BODY, TASK_BODIES[k]);
        memcpy(pos + 3 * k, d->xpos + 3 * b, 3 * sizeof(double));
        memcpy(quat + 4 * k, d->xquat + 4 * b, 4 * sizeof(double));
    }
}

static void random_pose(const mjModel *m, double *q, unsigned *seed)
{
    memcpy(q, m->qpos0, (size_t)m->nq * sizeof(double));
    q[0] = 0.3 * (rand_r(seed) / (double)RAND_MAX - 0.5);
    q[1] = 0.3 * (rand_r(seed) / (double)RAND_MAX - 0.5);
    q[2] = 1.2 + 0.1 * (rand_r(seed) / (double)RAND_MAX);
    double ax[3] = {0, 0, 1};
    lfd_quat_from_axis_angle(q + 3, ax, 1.0 * (rand_r(seed) / (double)RAND_MAX - 0.5));
    for (int j = 1; j < m->njnt; j++) {
        double lo = m->jnt_range[2 * j], hi = m->jnt_range[2 * j + 1];
        /* stay off the limits so the pose is reachable from either side */
        q[m->jnt_qposadr[j]] = lo + (0.15 + 0.7 * rand_r(seed) / (double)RAND_MAX) * (hi - lo);
    }
}

TEST(ik_self_retarget_recovers_fk_targets)
{
    mjModel *m = load_humanoid();
    mjData *d = mj_makeData(m);
    lfd_ik *ik;
    lfd_ik_ws *ws;
    setup(m, &ik, &ws);
    ik->cfg.posture_weight = 1e-4;
    ik->cfg.max_iters = 50;
    unsigned seed = 5;
    double *q = malloc((size_t)m->nq * sizeof(double)), *qt = malloc((size_t)m->nq * sizeof(double));
    double pos[3 * NT], quat[4 * NT];
    int solved = 0;
    for (int trial = 0; trial < 10; trial++) {
        random_pose(m, qt, &seed);
        targets_of(m, d, qt, pos, quat);
        memcpy(q, m->qpos0, (size_t)m->nq * sizeof(double));
        q[2] = qt[2];
        lfd_ik_frame fr = {pos, quat, NULL, NULL, NULL, 0, 0, NULL, NULL};
        lfd_ik_result r;
        CHECK_EQ_INT(lfd_ik_solve(ik, ws, &fr, q, &r), LFD_OK);
        double worst = 0, worst_rot = 0;
        for (int k = 0; k < NT; k++) {
            worst = fmax(worst, r.pos_err_m[k]);
            if (ik->tasks[k].rot_weight > 0)
                worst_rot = fmax(worst_rot, r.rot_err_rad[k]);
        }
        if (worst < 0.01 && worst_rot < 0.02)
            solved++;
        else
            fprintf(stderr, "trial %d: worst position error %.4f m, rotation %.4f rad after %d it\n",
                    trial, worst, worst_rot, r.iterations);
        /* the solution respects every joint range */
        for (int j = 1; j < m->njnt; j++) {
            double v = q[m->jnt_qposadr[j]];
            CHECK(v >= m->jnt_range[2 * j] - 1e-9 && v <= m->jnt_range[2 * j + 1] + 1e-9);
        }
    }
    /* from the default pose in one call: all but the odd local minimum */
    CHECK(solved >= 8);
    free(q);
    free(qt);
    lfd_ik_ws_free(&ws);
    lfd_ik_free(&ik);
    mj_deleteData(d);
    mj_deleteModel(m);
}

TEST(ik_tracks_a_smooth_trajectory_warm_started_within_velocity_bounds)
{
    mjModel *m = load_humanoid();
    mjData *d = mj_makeData(m);
    lfd_ik *ik;
    lfd_ik_ws *ws;
    setup(m, &ik, &ws);
    ik->cfg.posture_weight = 1e-4;
    for (int i = 6; i < m->nv; i++)
        ik->dof_vmax[i] = 3.0; /* rad/s */
    double *q = malloc((size_t)m->nq * sizeof(double)), *qt = malloc((size_t)m->nq * sizeof(double));
    double *qprev = malloc((size_t)m->nq * sizeof(double));
    double pos[3 * NT], quat[4 * NT];
    unsigned seed = 9;
    double *qa = malloc((size_t)m->nq * sizeof(double));
    random_pose(m, qa, &seed);
    /* warm start at the exact first pose */
    memcpy(q, m->qpos0, (size_t)m->nq * sizeof(double));
    double dt = 1.0 / 120;
    double worst = 0;
    struct mallinfo2 before = mallinfo2();
    for (int f = 0; f < 240; f++) {
        /* a sinusoidal motion of every joint around the first pose */
        memcpy(qt, qa, (size_t)m->nq * sizeof(double));
        for (int j = 1; j < m->njnt; j++) {
            int a = m->jnt_qposadr[j];
            double lo = m->jnt_range[2 * j], hi = m->jnt_range[2 * j + 1];
            double v = qt[a] + 0.1 * (hi - lo) * sin(2 * M_PI * 0.5 * f * dt + j);
            qt[a] = fmin(fmax(v, lo + 0.05), hi - 0.05);
        }
        qt[0] += 0.3 * f * dt;
        targets_of(m, d, qt, pos, quat);
        if (f == 0)
            memcpy(q, qt, (size_t)m->nq * sizeof(double));
        memcpy(qprev, q, (size_t)m->nq * sizeof(double));
        lfd_ik_frame fr = {pos, quat, NULL, NULL, f ? qprev : NULL, dt, 0, NULL, NULL};
        lfd_ik_result r;
        CHECK_EQ_INT(lfd_ik_solve(ik, ws, &fr, q, &r), LFD_OK);
        for (int k = 0; k < NT; k++)
            worst = fmax(worst, r.pos_err_m[k]);
        for (int i = 6; f && i < m->nv; i++) {
            int a = ik->dof_qadr[i];
            CHECK(fabs(q[a] - qprev[a]) <= 3.0 * dt + 1e-9);
        }
    }
    struct mallinfo2 after = mallinfo2();
    /* the per-frame path allocates nothing: heap use is unchanged */
    CHECK_EQ_INT(after.uordblks, before.uordblks);
    CHECK(worst < 0.01);
    free(qa);
    free(q);
    free(qt);
    free(qprev);
    lfd_ik_ws_free(&ws);
    lfd_ik_free(&ik);
    mj_deleteData(d);
    mj_deleteModel(m);
}

/* the velocity bound binds: targets that jump to another pose are reached
   no faster than the bound allows (the smooth trajectory above stays under
   its bound, so it cannot tell whether the bound is applied) */
TEST(ik_velocity_bound_binds_on_a_jump)
{
    mjModel *m = load_humanoid();
    mjData *d = mj_makeData(m);
    lfd_ik *ik;
    lfd_ik_ws *ws;
    setup(m, &ik, &ws);
    const double vmax = 0.5, dt = 1.0 / 120; /* rad/s */
    for (int i = 6; i < m->nv; i++)
        ik->dof_vmax[i] = vmax;
    double *q = malloc((size_t)m->nq * sizeof(double)), *qt = malloc((size_t)m->nq * sizeof(double));
    double *qprev = malloc((size_t)m->nq * sizeof(double));
    double pos[3 * NT], quat[4 * NT];
    unsigned seed = 21;
    random_pose(m, q, &seed);  /* where the robot is */
    random_pose(m, qt, &seed); /* where the targets jump to */
    memcpy(qt, q, 7 * sizeof(double));
    targets_of(m, d, qt, pos, quat);
    double fastest = 0;
    for (int f = 0; f < 10; f++) {
        memcpy(qprev, q, (size_t)m->nq * sizeof(double));
        lfd_ik_frame fr = {pos, quat, NULL, NULL, qprev, dt, 0, NULL, NULL};
        lfd_ik_result r;
        CHECK_EQ_INT(lfd_ik_solve(ik, ws, &fr, q, &r), LFD_OK);
        for (int i = 6; i < m->nv; i++) {
            int a = ik->dof_qadr[i];
            double v = fabs(q[a] - qprev[a]) / dt;
            fastest = fmax(fastest, v);
        }
    }
    CHECK(fastest <= vmax + 1e-6);
    CHECK(fastest >= 0.99 * vmax); /* the bound was reached: it is what held the joints */
    free(q);
    free(qt);
    free(qprev);
    lfd_ik_ws_free(&ws);
    lfd_ik_free(&ik);
    mj_deleteData(d);
    mj_deleteModel(m);
}

TEST(ik_respects_limits_floor_and_frozen_dofs)
{
    mjModel *m = load_humanoid();
    lfd_ik *ik;
    lfd_ik_ws *ws;
    lfd_err err = {0};
    CHECK_OK(lfd_ik_new(&ik, m, NULL, &err), &err);
    int hand = mj_name2id(m, mjOBJ_BODY, "right_hand");
    int foot = mj_name2id(m, mjOBJ_BODY, "right_foot");
    int torso = mj_name2id(m, mjOBJ_BODY, "torso");
    CHECK(lfd_ik_add_task(ik, hand, NULL, NULL, 1, 0, &err) == 0);
    CHECK(lfd_ik_add_task(ik, foot, NULL, NULL, 1, 0, &err) == 1);
    CHECK(lfd_ik_add_task(ik, torso, NULL, NULL, 1, 0, &err) == 2);
    double sole[3] = {0, 0, -0.03};
    CHECK(lfd_ik_add_floor_point(ik, foot, sole, &err) == 0);
    ik->floor_z = 0.0;
    /* the root cannot move: freeze its six dofs */
    for (int i = 0; i < 6; i++)
        ik->dof_active[i] = 0;
    CHECK_OK(lfd_ik_ws_new(&ws, ik, &err), &err);
    mjData *d = lfd_ik_ws_data(ws);
    double *q = malloc((size_t)m->nq * sizeof(double));
    memcpy(q, m->qpos0, (size_t)m->nq * sizeof(double));
    q[2] = 1.2;
    double root[7];
    memcpy(root, q, sizeof root);
    memcpy(d->qpos, q, (size_t)m->nq * sizeof(double));
    mj_kinematics(m, d);
    double pos[9];
    /* the hand far out of reach, the foot 30 cm below the floor */
    pos[0] = 5; pos[1] = -5; pos[2] = 3;
    memcpy(pos + 3, d->xpos + 3 * foot, 3 * sizeof(double));
    pos[5] = -0.3;
    memcpy(pos + 6, d->xpos + 3 * torso, 3 * sizeof(double));
    /* the posture pulls the left knee far past its range: it must stop at the bound */
    int knee = mj_name2id(m, mjOBJ_JOINT, "left_knee");
    int kadr = m->jnt_qposadr[knee];
    ik->q_default[kadr] = 3.0;
    ik->cfg.posture_weight = 10;
    lfd_ik_frame fr = {pos, NULL, NULL, NULL, NULL, 0, 0, NULL, NULL};
    lfd_ik_result r;
    ik->cfg.max_iters = 40;
    CHECK_EQ_INT(lfd_ik_solve(ik, ws, &fr, q, &r), LFD_OK);
    for (int i = 0; i < 7; i++)
        CHECK_NEAR(q[i], root[i], 0);
    CHECK(r.at_limit > 0);
    CHECK_NEAR(q[kadr], m->jnt_range[2 * knee + 1], 1e-9);
    for (int j = 1; j < m->njnt; j++) {
        double v = q[m->jnt_qposadr[j]];
        CHECK(v >= m->jnt_range[2 * j] - 1e-9 && v <= m->jnt_range[2 * j + 1] + 1e-9);
    }
    CHECK(r.floor_pen_m < 0.005);
    /* a NaN target is refused and leaves q alone */
    double keep = q[10];
    pos[4] = NAN;
    CHECK_EQ_INT(lfd_ik_solve(ik, ws, &fr, q, &r), LFD_ENUMERIC);
    CHECK_NEAR(q[10], keep, 0);
    free(q);
    lfd_ik_ws_free(&ws);
    lfd_ik_free(&ik);
    mj_deleteModel(m);
}

/* The IK's clearance term is MuJoCo's narrow phase with the margin, summed
   over the pairs: w^2 max(0, margin - dist)^2.  The solver skips the narrow
   phase where the pair's bounding spheres, then its bounding capsules, are
   further apart than the margin (lfd_ik.c, geom_capsule); that must change
   no cost.  On G1 and H1 (capsules, boxes, spheres, cylinders), every pair
   of geoms on different bodies, 300 poses with the joints thrown about
   their ranges: the cost equals the narrow phase's sum, and enough pairs
   come within the margin that a wrong bound would show. */
static void clearance_matches(const char *robot)
{
    lfd_robot *r = NULL;
    lfd_err err = {0};
    CHECK_OK(lfd_robot_load(&r, robot, &err), &err);
    if (!r)
        return;
    const mjModel *m = r->m;
    lfd_ik_config cfg;
    lfd_ik_config_init(&cfg);
    cfg.posture_weight = 0;
    cfg.clear_m = 0.03;
    cfg.clear_weight = 1;
    lfd_ik *ik;
    lfd_ik_ws *ws;
    CHECK_OK(lfd_ik_new(&ik, m, &cfg, &err), &err);
    for (int g1 = 0; g1 < m->ngeom && ik->npair < LFD_IK_MAX_PAIRS; g1++)
        for (int g2 = g1 + 1; g2 < m->ngeom && ik->npair < LFD_IK_MAX_PAIRS; g2++)
            if (m->geom_bodyid[g1] > 0 && m->geom_bodyid[g2] > 0 && m->geom_bodyid[g1] != m->geom_bodyid[g2])
                (void)lfd_ik_add_clearance(ik, g1, g2, &err); /* unsupported type pairs are refused */
    CHECK(ik->npair >= 100);
    CHECK_OK(lfd_ik_ws_new(&ws, ik, &err), &err);
    mjData *d = mj_makeData(m);
    double *q = malloc((size_t)m->nq * sizeof(double));
    mjContact con[mjMAXCONPAIR];
    uint32_t seed = 99;
    int near = 0, worst_i = -1;
    double worst = 0;
    for (int pose = 0; pose < 300; pose++) {
        memcpy(q, r->qpos_default, (size_t)m->nq * sizeof(double));
        for (int j = 0; j < r->njoints; j++) {
            const lfd_robot_joint *J = &r->joints[j];
            seed = seed * 1664525u + 1013904223u;
            double u = (double)seed / 4294967296.0;
            q[J->qpos_adr] = J->range_lo + u * (J->range_hi - J->range_lo);
        }
        lfd_ik_frame fr = {NULL, NULL, NULL, NULL, NULL, 0, 0, NULL, NULL};
        lfd_ik_result res;
        lfd_ik_evaluate(ik, ws, &fr, q, &res);
        memcpy(d->qpos, q, (size_t)m->nq * sizeof(double));
        mj_kinematics(m, d);
        double ref = 0;
        for (int i = 0; i < ik->npair; i++) {
            const lfd_ik_pair *p = &ik->pairs[i];
            int n = mjCOLLISIONFUNC[m->geom_type[p->geom1]][m->geom_type[p->geom2]](
                m, d, con, p->geom1, p->geom2, p->margin_m);
            double dist = INFINITY;
            for (int k = 0; k < n && k < mjMAXCONPAIR; k++)
                dist = fmin(dist, con[k].dist);
            if (dist < p->margin_m) {
                near++;
                ref += (p->margin_m - dist) * (p->margin_m - dist);
            }
        }
        double e = fabs(res.cost - ref) / fmax(ref, 1e-12);
        if (e > worst) {
            worst = e;
            worst_i = pose;
        }
    }
    fprintf(stderr, "%s: %d pairs, %d pair-poses within the margin, cost vs narrow phase worst relative "
                    "difference %.2g (pose %d)\n", robot, ik->npair, near, worst, worst_i);
    CHECK(near >= 300);
    CHECK(worst < 1e-9);
    free(q);
    mj_deleteData(d);
    lfd_ik_ws_free(&ws);
    lfd_ik_free(&ik);
    lfd_robot_free(&r);
}

TEST(ik_clearance_cost_is_the_narrow_phase_g1_h1)
{
    clearance_matches("g1");
    clearance_matches("h1");
}
