/*  Tests of the built-in robots and the robot loader: the three robots load
    with the right joints in Unitree's order, every limit is present and
    sane, the default pose is inside every range and stands on the floor
    without self-collision, aliases resolve, self-collision pairs are
    filtered as documented, and the motion and PD helpers behave. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/lfd_quat.h"
#include "robots/lfd_mj.h"
#include "robots/lfd_robot.h"
#include "tests/lfd_test.h"

/* Unitree's joint order (unitree_ros h1.urdf / g1_29dof_rev_1_0.urdf) */
static const char *const h1_joints[19] = {
    "left_hip_yaw_joint", "left_hip_roll_joint", "left_hip_pitch_joint", "left_knee_joint",
    "left_ankle_joint", "right_hip_yaw_joint", "right_hip_roll_joint", "right_hip_pitch_joint",
    "right_knee_joint", "right_ankle_joint", "torso_joint", "left_shoulder_pitch_joint",
    "left_shoulder_roll_joint", "left_shoulder_yaw_joint", "left_elbow_joint",
    "right_shoulder_pitch_joint", "right_shoulder_roll_joint", "right_shoulder_yaw_joint",
    "right_elbow_joint"};

static const char *const g1_joints[29] = {
    "left_hip_pitch_joint", "left_hip_roll_joint", "left_hip_yaw_joint", "left_knee_joint",
    "left_ankle_pitch_joint", "left_ankle_roll_joint", "right_hip_pitch_joint",
    "right_hip_roll_joint", "right_hip_yaw_joint", "right_knee_joint", "right_ankle_pitch_joint",
    "right_ankle_roll_joint", "waist_yaw_joint", "waist_roll_joint", "waist_pitch_joint",
    "left_shoulder_pitch_joint", "left_shoulder_roll_joint", "left_shoulder_yaw_joint",
    "left_elbow_joint", "left_wrist_roll_joint", "left_wrist_pitch_joint",
    "left_wrist_yaw_joint", "right_shoulder_pitch_joint", "right_shoulder_roll_joint",
    "right_shoulder_yaw_joint", "right_elbow_joint", "right_wrist_roll_joint",
    "right_wrist_pitch_joint", "right_wrist_yaw_joint"};

static lfd_robot *load(const char *name)
{
    lfd_robot *r = NULL;
    lfd_err err = {0};
    CHECK_OK(lfd_robot_load(&r, name, &err), &err);
    return r;
}

TEST(robots_builtin_joint_tables)
{
    lfd_robot *h1 = load("h1"), *g1 = load("g1"), *hu = load("humanoid");
    if (!h1 || !g1 || !hu)
        return;
    CHECK_EQ_INT(h1->njoints, 19);
    CHECK_EQ_INT(g1->njoints, 29);
    CHECK_EQ_INT(hu->njoints, 21);
    for (int j = 0; j < 19; j++)
        CHECK_STR(h1->joints[j].name, h1_joints[j]);
    for (int j = 0; j < 29; j++)
        CHECK_STR(g1->joints[j].name, g1_joints[j]);
    CHECK_STR(hu->joints[0].name, "abdomen_z");
    CHECK_STR(hu->joints[20].name, "left_elbow");
    lfd_robot *all[3] = {h1, g1, hu};
    for (int i = 0; i < 3; i++) {
        lfd_robot *r = all[i];
        CHECK(r->floating);
        CHECK_EQ_INT(r->nq, 7 + r->njoints);
        CHECK_EQ_INT(r->nv, 6 + r->njoints);
        CHECK_EQ_INT(r->nu, r->njoints);
        /* the table is in qpos order with one actuator per joint */
        for (int j = 0; j < r->njoints; j++) {
            CHECK_EQ_INT(r->joints[j].qpos_adr, 7 + j);
            CHECK_EQ_INT(r->joints[j].dof_adr, 6 + j);
            CHECK(r->joints[j].act_id >= 0);
            CHECK_EQ_INT(r->joints[j].act_kind, LFD_ACT_MOTOR);
        }
        CHECK_EQ_INT((int)strlen(r->model_hash), 64);
        CHECK(r->feet[LFD_LEFT].body_id > 0 && r->feet[LFD_RIGHT].body_id > 0);
        CHECK(r->hands[LFD_LEFT].body_id > 0 && r->hands[LFD_RIGHT].body_id > 0);
        CHECK(r->nmap >= 17);
        for (int k = 0; k < r->nmap; k++)
            CHECK(r->map[k].body_id > 0 && r->map[k].human >= 0 && r->map[k].human < LFD_CJ_COUNT);
    }
    /* masses of the URDFs (unitree_ros): H1 59.3 kg, G1 33.3 kg */
    CHECK_NEAR(h1->mass_kg, 59.338, 0.01);
    CHECK_NEAR(g1->mass_kg, 33.339, 0.01);
    CHECK(hu->mass_kg > 30 && hu->mass_kg < 50);
    /* model hashes differ between robots and are stable across loads */
    CHECK(strcmp(h1->model_hash, g1->model_hash) != 0);
    lfd_robot *h1b = load("h1");
    if (h1b)
        CHECK_STR(h1b->model_hash, h1->model_hash);
    lfd_robot_free(&h1b);
    lfd_robot_free(&h1);
    lfd_robot_free(&g1);
    lfd_robot_free(&hu);
    CHECK(h1 == NULL);
}

TEST(robots_every_limit_present_and_default_inside)
{
    const char *names[3] = {"h1", "g1", "humanoid"};
    for (int i = 0; i < 3; i++) {
        lfd_robot *r = load(names[i]);
        if (!r)
            continue;
        const mjModel *m = r->m;
        for (int j = 0; j < r->njoints; j++) {
            const lfd_robot_joint *jt = &r->joints[j];
            if (!(jt->range_lo < jt->range_hi && jt->vel_max > 0 && jt->torque_max > 0 &&
                  jt->kp > 0 && jt->kd > 0 && isfinite(jt->torque_max)))
                lfd_test_fail_at(__FILE__, __LINE__, "%s %s: bad limits", names[i], jt->name);
            if (jt->default_q < jt->range_lo || jt->default_q > jt->range_hi)
                lfd_test_fail_at(__FILE__, __LINE__, "%s %s: default %g outside %g..%g", names[i],
                                 jt->name, jt->default_q, jt->range_lo, jt->range_hi);
            /* ranges agree with the MJCF; torque limits with the motors */
            CHECK_NEAR(jt->range_lo, m->jnt_range[2 * jt->jnt_id], 1e-12);
            CHECK_NEAR(jt->range_hi, m->jnt_range[2 * jt->jnt_id + 1], 1e-12);
            int a = jt->act_id;
            CHECK_NEAR(jt->torque_max, m->actuator_ctrlrange[2 * a + 1] * m->actuator_gear[6 * a],
                       1e-9);
            CHECK_NEAR(r->qpos_default[jt->qpos_adr], jt->default_q, 0);
        }
        lfd_robot_free(&r);
    }
}

/* spot values straight from the sources (unitree_ros URDFs) */
TEST(robots_h1_g1_limits_match_sources)
{
    lfd_robot *h1 = load("h1"), *g1 = load("g1");
    if (!h1 || !g1)
        return;
    const lfd_robot_joint *k = &h1->joints[lfd_robot_find_joint(h1, "left_knee_joint")];
    CHECK_NEAR(k->range_lo, -0.26, 1e-12);
    CHECK_NEAR(k->range_hi, 2.05, 1e-12);
    CHECK_NEAR(k->vel_max, 14, 0);
    CHECK_NEAR(k->torque_max, 300, 0);
    const lfd_robot_joint *a = &h1->joints[lfd_robot_find_joint(h1, "right_ankle_joint")];
    CHECK_NEAR(a->torque_max, 40, 0);
    CHECK_NEAR(a->vel_max, 9, 0);
    const lfd_robot_joint *e = &h1->joints[lfd_robot_find_joint(h1, "right_shoulder_roll_joint")];
    CHECK_NEAR(e->range_lo, -3.11, 1e-12);
    CHECK_NEAR(e->range_hi, 0.34, 1e-12);
    const lfd_robot_joint *w = &g1->joints[lfd_robot_find_joint(g1, "left_wrist_yaw_joint")];
    CHECK_NEAR(w->torque_max, 5, 0);
    CHECK_NEAR(w->vel_max, 22, 0);
    CHECK_NEAR(w->range_hi, 1.614429558, 1e-12);
    const lfd_robot_joint *hr = &g1->joints[lfd_robot_find_joint(g1, "right_hip_roll_joint")];
    CHECK_NEAR(hr->range_lo, -2.9671, 1e-12);
    CHECK_NEAR(hr->torque_max, 139, 0);
    CHECK_NEAR(hr->vel_max, 20, 0);
    lfd_robot_free(&h1);
    lfd_robot_free(&g1);
}

TEST(robots_joint_aliases)
{
    lfd_robot *h1 = load("h1"), *hu = load("humanoid");
    if (!h1 || !hu)
        return;
    int a = lfd_robot_find_joint(h1, "left_knee_joint");
    CHECK_EQ_INT(a, 3);
    CHECK_EQ_INT(lfd_robot_find_joint(h1, "left_knee"), a);
    CHECK_EQ_INT(lfd_robot_find_joint(h1, "torso"), 10);
    CHECK_EQ_INT(lfd_robot_find_joint(h1, "left_knee_jnt"), -1);
    CHECK_EQ_INT(lfd_robot_find_joint(h1, "knee"), -1);
    CHECK_EQ_INT(lfd_robot_find_joint(h1, ""), -1);
    /* the humanoid's names have no suffix: both spellings work there too */
    int k = lfd_robot_find_joint(hu, "left_knee");
    CHECK(k >= 0);
    CHECK_EQ_INT(lfd_robot_find_joint(hu, "left_knee_joint"), k);
    CHECK(lfd_robot_find_body(h1, "torso_link") > 0);
    CHECK_EQ_INT(lfd_robot_find_body(h1, "no_such_body"), -1);
    lfd_robot_free(&h1);
    lfd_robot_free(&hu);
}

/* the default pose stands on the floor (lowest foot point at z = 0) and
   touches nothing but the floor */
TEST(robots_default_pose_on_floor_without_self_collision)
{
    const char *names[3] = {"h1", "g1", "humanoid"};
    for (int i = 0; i < 3; i++) {
        lfd_robot *r = load(names[i]);
        if (!r)
            continue;
        const mjModel *m = r->m;
        mjData *d = mj_makeData(m);
        memcpy(d->qpos, r->qpos_default, (size_t)m->nq * sizeof(double));
        mj_forward(m, d);
        int floor_geom = mj_name2id(m, mjOBJ_GEOM, "floor");
        CHECK(floor_geom >= 0);
        double lowest = INFINITY;
        for (int g = 0; g < m->ngeom; g++) {
            if (m->geom_bodyid[g] == 0)
                continue;
            /* spheres and capsules are enough for a lower bound check here */
            double z = d->geom_xpos[3 * g + 2] - m->geom_rbound[g];
            if (z < lowest)
                lowest = z;
        }
        CHECK(lowest < 0.0); /* bounding spheres reach below the sole */
        for (int c = 0; c < d->ncon; c++) {
            const mjContact *con = d->contact + c;
            int b1 = m->geom_bodyid[con->geom1], b2 = m->geom_bodyid[con->geom2];
            if (b1 == 0 || b2 == 0) {
                /* floor contacts: only feet, and no deeper than 1 mm */
                int fb = b1 ? b1 : b2;
                CHECK(fb == r->feet[0].body_id || fb == r->feet[1].body_id);
                CHECK(con->dist > -0.001);
                continue;
            }
            lfd_test_fail_at(__FILE__, __LINE__, "%s default pose: %s touches %s", names[i],
                             mj_id2name(m, mjOBJ_BODY, b1), mj_id2name(m, mjOBJ_BODY, b2));
        }
        /* the sole plane of each foot is on the floor */
        for (int s = 0; s < 2; s++) {
            int b = r->feet[s].body_id;
            double local[3] = {r->feet[s].sole[0], r->feet[s].sole[2], r->feet[s].sole_z}, w[3];
            mju_mulMatVec(w, d->xmat + 9 * b, local, 3, 3);
            CHECK_NEAR(d->xpos[3 * b + 2] + w[2], 0.0, 0.003);
        }
        mj_deleteData(d);
        lfd_robot_free(&r);
    }
}

/* self-collision is meaningful: limbs that pass through the body or each
   other make contacts between bodies the filter does not exclude */
TEST(robots_self_collision_pairs)
{
    lfd_robot *r = load("h1");
    if (!r)
        return;
    const mjModel *m = r->m;
    int torso = lfd_robot_find_body(r, "torso_link");
    int lroll = lfd_robot_find_body(r, "left_shoulder_roll_link");
    int lpitch = lfd_robot_find_body(r, "left_shoulder_pitch_link");
    int lelbow = lfd_robot_find_body(r, "left_elbow_link");
    int relbow = lfd_robot_find_body(r, "right_elbow_link");
    int lknee = lfd_robot_find_body(r, "left_knee_link");
    int rknee = lfd_robot_find_body(r, "right_knee_link");
    CHECK(lfd_robot_pair_excluded(r, torso, lpitch));    /* parent/child */
    CHECK(lfd_robot_pair_excluded(r, torso, lroll));     /* description */
    CHECK(lfd_robot_pair_excluded(r, torso, torso));
    CHECK(!lfd_robot_pair_excluded(r, torso, lelbow));
    CHECK(!lfd_robot_pair_excluded(r, lelbow, relbow));
    CHECK(!lfd_robot_pair_excluded(r, lknee, rknee));
    /* forearm turned in across the waist (shoulder yaw), knees rolled inward */
    mjData *d = mj_makeData(m);
    memcpy(d->qpos, r->qpos_default, (size_t)m->nq * sizeof(double));
    d->qpos[r->joints[lfd_robot_find_joint(r, "left_shoulder_yaw")].qpos_adr] = -1.3;
    d->qpos[r->joints[lfd_robot_find_joint(r, "left_hip_roll")].qpos_adr] = -0.43;
    d->qpos[r->joints[lfd_robot_find_joint(r, "right_hip_roll")].qpos_adr] = 0.43;
    d->qpos[2] += 0.3;
    mj_forward(m, d);
    int arm_torso = 0, knees = 0;
    for (int c = 0; c < d->ncon; c++) {
        int b1 = m->geom_bodyid[d->contact[c].geom1], b2 = m->geom_bodyid[d->contact[c].geom2];
        CHECK(!lfd_robot_pair_excluded(r, b1, b2));
        if ((b1 == torso && b2 == lelbow) || (b2 == torso && b1 == lelbow))
            arm_torso = 1;
        if ((b1 == lknee && b2 == rknee) || (b2 == lknee && b1 == rknee))
            knees = 1;
    }
    CHECK(arm_torso);
    CHECK(knees);
    /* g1: the waist pair is excluded through the description */
    lfd_robot *g = load("g1");
    if (g) {
        CHECK(lfd_robot_pair_excluded(g, lfd_robot_find_body(g, "pelvis"),
                                      lfd_robot_find_body(g, "torso_link")));
        /* a welded child (head) counts as its parent (torso) */
        CHECK(lfd_robot_pair_excluded(g, lfd_robot_find_body(g, "head_link"),
                                      lfd_robot_find_body(g, "torso_link")));
        CHECK(!lfd_robot_pair_excluded(g, lfd_robot_find_body(g, "head_link"),
                                       lfd_robot_find_body(g, "left_rubber_hand")));
        /* g1's forearm turned in through the torso collides too */
        mjData *dg = mj_makeData(g->m);
        memcpy(dg->qpos, g->qpos_default, (size_t)g->nq * sizeof(double));
        dg->qpos[g->joints[lfd_robot_find_joint(g, "left_shoulder_yaw")].qpos_adr] = -1.5;
        dg->qpos[2] += 0.3;
        mj_forward(g->m, dg);
        int gt = lfd_robot_find_body(g, "torso_link"), ge = lfd_robot_find_body(g, "left_elbow_link");
        int hit = 0;
        for (int c = 0; c < dg->ncon; c++) {
            int b1 = g->m->geom_bodyid[dg->contact[c].geom1];
            int b2 = g->m->geom_bodyid[dg->contact[c].geom2];
            hit |= (b1 == gt && b2 == ge) || (b1 == ge && b2 == gt);
        }
        CHECK(hit);
        CHECK(!lfd_robot_pair_excluded(g, gt, ge));
        mj_deleteData(dg);
    }
    lfd_robot_free(&g);
    mj_deleteData(d);
    lfd_robot_free(&r);
}

TEST(robots_resolve_names_and_paths)
{
    char p[4096];
    lfd_err err = {0};
    CHECK_OK(lfd_robot_resolve("g1", p, sizeof p, &err), &err);
    CHECK_CONTAINS(p, "g1/g1.robot");
    CHECK_OK(lfd_robot_resolve("robots/h1/h1.xml", p, sizeof p, &err), &err);
    CHECK_STR(p, "robots/h1/h1.robot");
    CHECK_OK(lfd_robot_resolve("robots/h1/h1.robot", p, sizeof p, &err), &err);
    CHECK_EQ_INT(lfd_robot_resolve("t800", p, sizeof p, &err), LFD_EARG);
    CHECK_CONTAINS(err.msg, "unknown robot 't800'");
    CHECK_CONTAINS(err.msg, "h1");
    CHECK_EQ_INT(lfd_robot_resolve("nowhere/x.xml", p, sizeof p, &err), LFD_EIO);
    CHECK_CONTAINS(err.msg, "nowhere/x.xml");
    char names[8][LFD_NAME_MAX];
    int n = lfd_robot_list(names, 8, &err);
    CHECK_EQ_INT(n, 3);
    if (n == 3) {
        CHECK_STR(names[0], "g1");
        CHECK_STR(names[1], "h1");
        CHECK_STR(names[2], "humanoid");
    }
    /* LFD_ROBOTS_DIR comes first (this test runs in its own process) */
    setenv("LFD_ROBOTS_DIR", lfd_test_tmpdir(), 1);
    CHECK_EQ_INT(lfd_robot_list(names, 8, &err), 0);
    unsetenv("LFD_ROBOTS_DIR");
}

TEST(robots_motion_alloc_and_check)
{
    lfd_robot *r = load("h1"), *g = load("g1");
    if (!r || !g)
        return;
    lfd_err err = {0};
    lfd_motion m;
    CHECK_OK(lfd_robot_motion_alloc(r, &m, 10, 50, 0, &err), &err);
    CHECK_STR(m.robot, "h1");
    CHECK_STR(m.model_hash, r->model_hash);
    CHECK_EQ_INT(m.njoints, 19);
    CHECK_EQ_INT(m.nq, r->nq);
    CHECK(m.floating);
    CHECK_STR(m.joint_names[4], "left_ankle_joint");
    CHECK_NEAR(lfd_motion_frame(&m, 9)[2], r->qpos_default[2], 0);
    CHECK_NEAR(lfd_motion_frame(&m, 9)[7 + 3], 0.8, 0);
    CHECK_OK(lfd_robot_motion_check(r, &m, &err), &err);
    CHECK_OK(lfd_motion_validate(&m, &err), &err);

    /* names without the _joint suffix and CSV placeholders are accepted */
    snprintf(m.joint_names[3], LFD_NAME_MAX, "left_knee");
    snprintf(m.joint_names[5], LFD_NAME_MAX, "joint_5");
    CHECK_OK(lfd_robot_motion_check(r, &m, &err), &err);
    /* swapped joints: the error says the order differs */
    snprintf(m.joint_names[3], LFD_NAME_MAX, "left_ankle_joint");
    snprintf(m.joint_names[4], LFD_NAME_MAX, "left_knee_joint");
    CHECK_EQ_INT(lfd_robot_motion_check(r, &m, &err), LFD_EMISMATCH);
    CHECK_CONTAINS(err.msg, "joint 3 of the motion is 'left_ankle_joint'");
    CHECK_CONTAINS(err.msg, "order");
    snprintf(m.joint_names[3], LFD_NAME_MAX, "left_knee_joint");
    snprintf(m.joint_names[4], LFD_NAME_MAX, "left_foot_joint");
    CHECK_EQ_INT(lfd_robot_motion_check(r, &m, &err), LFD_EMISMATCH);
    CHECK_CONTAINS(err.msg, "'left_foot_joint', robot h1 has 'left_ankle_joint'");
    snprintf(m.joint_names[4], LFD_NAME_MAX, "left_ankle_joint");
    /* another model of the same robot */
    m.model_hash[0] = m.model_hash[0] == 'a' ? 'b' : 'a';
    CHECK_EQ_INT(lfd_robot_motion_check(r, &m, &err), LFD_EMISMATCH);
    CHECK_CONTAINS(err.msg, "another model");
    m.model_hash[0] = '\0'; /* a CSV import records no hash: accepted */
    CHECK_OK(lfd_robot_motion_check(r, &m, &err), &err);
    /* another robot */
    CHECK_EQ_INT(lfd_robot_motion_check(g, &m, &err), LFD_EMISMATCH);
    CHECK_CONTAINS(err.msg, "robot 'h1', not 'g1'");
    m.robot[0] = '\0';
    CHECK_EQ_INT(lfd_robot_motion_check(g, &m, &err), LFD_EMISMATCH);
    CHECK_CONTAINS(err.msg, "19 joints, robot g1 has 29");
    lfd_motion_free(&m);

    /* a file round trip keeps the robot binding */
    char path[1024];
    snprintf(path, sizeof path, "%s/g1.lfdm", lfd_test_tmpdir());
    lfd_motion a, b;
    CHECK_OK(lfd_robot_motion_alloc(g, &a, 3, 30, 1, &err), &err);
    CHECK_OK(lfd_motion_write(&a, path, &err), &err);
    CHECK_OK(lfd_motion_read(&b, path, &err), &err);
    CHECK_OK(lfd_robot_motion_check(g, &b, &err), &err);
    CHECK_EQ_INT(lfd_robot_motion_check(r, &b, &err), LFD_EMISMATCH);
    lfd_motion_free(&a);
    lfd_motion_free(&b);
    lfd_robot_free(&r);
    lfd_robot_free(&g);
}

TEST(robots_pd_torques_and_clamps)
{
    lfd_robot *r = load("humanoid");
    if (!r)
        return;
    int nq = r->nq, nv = r->nv, nu = r->nu;
    double *q = calloc((size_t)nq, sizeof(double)), *qd = calloc((size_t)nv, sizeof(double));
    double *qref = calloc((size_t)nq, sizeof(double)), *ff = calloc((size_t)nv, sizeof(double));
    double *ctrl = calloc((size_t)nu, sizeof(double)), *tau = calloc((size_t)nv, sizeof(double));
    memcpy(q, r->qpos_default, (size_t)nq * sizeof(double));
    memcpy(qref, r->qpos_default, (size_t)nq * sizeof(double));
    int k = lfd_robot_find_joint(r, "right_knee");
    int e = lfd_robot_find_joint(r, "left_elbow");
    const lfd_robot_joint *jk = &r->joints[k], *je = &r->joints[e];
    qref[jk->qpos_adr] -= 0.1;                 /* small error: linear PD */
    qd[jk->dof_adr] = 0.5;
    ff[jk->dof_adr] = 3.0;
    qref[je->qpos_adr] += 2.0;                 /* big error: clamped */
    int clamped = lfd_robot_pd(r, q, qd, qref, NULL, ff, ctrl, tau);
    CHECK_EQ_INT(clamped, 1);
    double tk = jk->kp * -0.1 + jk->kd * -0.5 + 3.0;
    CHECK_NEAR(tau[jk->dof_adr], tk, 1e-9);
    /* the humanoid's motors take ctrl in -1..1 times their gear */
    CHECK_NEAR(ctrl[jk->act_id], tk / jk->act_gear, 1e-12);
    CHECK_NEAR(tau[je->dof_adr], je->torque_max, 1e-9);
    CHECK_NEAR(ctrl[je->act_id], 1.0, 1e-12);
    for (int j = 0; j < r->njoints; j++)
        if (j != k && j != e)
            CHECK_NEAR(ctrl[r->joints[j].act_id], 0.0, 0);
    free(q);
    free(qd);
    free(qref);
    free(ff);
    free(ctrl);
    free(tau);
    lfd_robot_free(&r);
}

TEST(robots_human_joint_names)
{
    CHECK_EQ_INT(LFD_CJ_COUNT, 19);
    CHECK_STR(lfd_cjoint_name(LFD_CJ_L_SHOULDER), "l_shoulder");
    CHECK_STR(lfd_cjoint_name(LFD_CJ_R_TOE), "r_toe");
    CHECK_STR(lfd_cjoint_name(LFD_CJ_COUNT), "?");
    CHECK_EQ_INT(lfd_cjoint_find("chest"), LFD_CJ_CHEST);
    CHECK_EQ_INT(lfd_cjoint_find("left_shoulder"), -1);
    for (int i = 0; i < LFD_CJ_COUNT; i++)
        CHECK_EQ_INT(lfd_cjoint_find(lfd_cjoint_name(i)), i);
}
