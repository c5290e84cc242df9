/*  A user's own robot (any MJCF plus a description file) loads exactly like
    a built-in one: through the MJCF path or the description path, in the
    library and through `lfd robot info PATH`.  Uses the two-link arm of
    tests/test_robots_fixture.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "robots/lfd_mj.h"
#include "robots/lfd_robot.h"
#include "tests/lfd_test.h"
#include "tests/test_robots_fixture.h"

static char out[1 << 16];

static int write_arm(char *xml, char *desc, size_t n)
{
    const char *dir = lfd_test_tmpdir();
    return fx_write(dir, "arm2.xml", arm2_xml, xml, n) || fx_write(dir, "arm2.robot", arm2_robot, desc, n);
}

TEST(robots_user_robot_loads_from_mjcf_or_description)
{
    char xml[1024], desc[1024];
    CHECK(write_arm(xml, desc, sizeof xml) == 0);
    lfd_err err = {0};
    lfd_robot *a = NULL, *b = NULL;
    CHECK_OK(lfd_robot_load(&a, xml, &err), &err);
    CHECK_OK(lfd_robot_load(&b, desc, &err), &err);
    if (!a || !b)
        goto out;
    CHECK_STR(a->name, "arm2");
    CHECK_STR(a->source, "lfd test fixture");
    CHECK_STR(a->desc_path, desc);
    CHECK_STR(a->mjcf_path, xml);
    CHECK_STR(a->model_hash, b->model_hash);
    CHECK(!a->floating);
    CHECK_EQ_INT(a->nq, 2);
    CHECK_EQ_INT(a->njoints, 2);
    CHECK_STR(a->joints[0].name, "shoulder_joint"); /* "shoulder" in the file: alias */
    CHECK_NEAR(a->joints[0].torque_max, 20, 0);     /* from the MJCF motor */
    CHECK_NEAR(a->joints[1].torque_max, 8, 0);      /* tightened by the description */
    CHECK_NEAR(a->joints[0].vel_max, 5, 0);
    CHECK_NEAR(a->joints[1].default_q, -0.3, 0);
    CHECK_NEAR(a->qpos_default[0], 0.2, 0);
    CHECK_NEAR(a->joints[1].range_lo, -2, 0);
    CHECK_EQ_INT(a->feet[0].body_id, -1);
    CHECK_EQ_INT(a->feet[1].body_id, -1);
    CHECK_EQ_INT(a->hands[LFD_LEFT].body_id, -1);
    CHECK_EQ_INT(a->hands[LFD_RIGHT].body_id, lfd_robot_find_body(a, "fore"));
    CHECK_EQ_INT(a->nmap, 2);
    CHECK_EQ_INT(a->map[0].human, LFD_CJ_R_WRIST);
    CHECK_NEAR(a->map[0].offset[2], 0.25, 0);
    CHECK_NEAR(a->map[0].rot_offset[0], 1, 0);
    /* motions and the controller work the same way */
    lfd_motion m;
    CHECK_OK(lfd_robot_motion_alloc(a, &m, 4, 30, 0, &err), &err);
    CHECK(!m.floating);
    CHECK_OK(lfd_robot_motion_check(b, &m, &err), &err);
    lfd_motion_free(&m);
out:
    lfd_robot_free(&a);
    lfd_robot_free(&b);
}

/* fixed base: the feed-forward is plain gravity compensation, so PD holds
   a pose with the arm held out sideways within a fraction of a degree */
TEST(robots_user_robot_holds_pose)
{
    char xml[1024], desc[1024];
    CHECK(write_arm(xml, desc, sizeof xml) == 0);
    lfd_err err = {0};
    lfd_robot *r = NULL;
    CHECK_OK(lfd_robot_load(&r, xml, &err), &err);
    if (!r)
        return;
    lfd_robot_ff *ff = NULL;
    CHECK_OK(lfd_robot_ff_new(&ff, r, &err), &err);
    mjData *d = mj_makeData(r->m);
    double qref[2] = {1.2, -0.5}, res[6];
    memcpy(d->qpos, qref, sizeof qref);
    for (int i = 0; i < 1000; i++) {
        lfd_robot_ff_control(ff, d->qpos, d->qvel, qref, NULL, NULL, NULL, d->ctrl, NULL, res);
        mj_step(r->m, d);
    }
    CHECK_OK(lfd_mj_check_data(r->m, d, &err), &err);
    CHECK_NEAR(d->qpos[0], 1.2, 0.005);
    CHECK_NEAR(d->qpos[1], -0.5, 0.005);
    CHECK_NEAR(res[0], 0, 0); /* no root rows on a fixed base */
    /* without the feed-forward the arm sags under gravity */
    memcpy(d->qpos, qref, sizeof qref);
    memset(d->qvel, 0, 2 * sizeof(double));
    for (int i = 0; i < 1000; i++) {
        lfd_robot_pd(r, d->qpos, d->qvel, qref, NULL, NULL, d->ctrl, NULL);
        mj_step(r->m, d);
    }
    CHECK(fabs(d->qpos[0] - 1.2) > 0.02);
    mj_deleteData(d);
    lfd_robot_ff_free(&ff);
    CHECK(ff == NULL);
    lfd_robot_free(&r);
}

TEST(robots_user_robot_through_lfd_robot_info)
{
    char xml[1024], desc[1024], args[2200];
    CHECK(write_arm(xml, desc, sizeof xml) == 0);
    snprintf(args, sizeof args, "robot info %s", xml);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    CHECK_CONTAINS(out, "robot         arm2");
    CHECK_CONTAINS(out, "shoulder_joint");
    CHECK_CONTAINS(out, "elbow_joint");
    CHECK_CONTAINS(out, "fixed");
    CHECK_CONTAINS(out, "m_elbow motor");
    snprintf(args, sizeof args, "robot info %s --json", desc);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    CHECK_CONTAINS(out, "\"name\": \"arm2\"");
    CHECK_CONTAINS(out, "\"torque_max\": 8");
    CHECK_CONTAINS(out, "\"floating_base\": false");
    /* built-ins through the same command */
    CHECK_EQ_INT(lfd_test_run_lfd("robot info g1", out, sizeof out), 0);
    CHECK_CONTAINS(out, "left_wrist_yaw_joint");
    CHECK_CONTAINS(out, "joints        29");
    CHECK_EQ_INT(lfd_test_run_lfd("robot info robots/h1/h1.xml --json", out, sizeof out), 0);
    CHECK_CONTAINS(out, "\"left_ankle_joint\"");
    CHECK_EQ_INT(lfd_test_run_lfd("robots", out, sizeof out), 0);
    CHECK_CONTAINS(out, "h1");
    CHECK_CONTAINS(out, "humanoid");
    CHECK_CONTAINS(out, "   29 ");
    CHECK_EQ_INT(lfd_test_run_lfd("robots --json", out, sizeof out), 0);
    CHECK_CONTAINS(out, "\"dof\": 19");
    /* errors: exit 2 with the reason */
    CHECK_EQ_INT(lfd_test_run_lfd("robot info t800", out, sizeof out), 2);
    CHECK_CONTAINS(out, "unknown robot 't800'");
    CHECK_EQ_INT(lfd_test_run_lfd("robot info", out, sizeof out), 2);
    snprintf(args, sizeof args, "robot info %s/none.xml", lfd_test_tmpdir());
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 2);
    CHECK_CONTAINS(out, "none.xml: no such MJCF file");
}

/* other actuator kinds: a position servo is commanded its target; a joint
   whose MJCF actuator has no limits takes its torque from the description */
TEST(robots_user_robot_position_servo_and_description_torque)
{
    const char *dir = lfd_test_tmpdir();
    char xml[1024], desc[1024], text[4096];
    snprintf(text, sizeof text, "%s", arm2_xml);
    char *a = strstr(text, "<motor name=\"m_shoulder\"");
    char *e = a ? strchr(a, '\n') : NULL;
    CHECK(a && e);
    if (!a || !e)
        return;
    const char *servo =
        "<position name=\"m_shoulder\" joint=\"shoulder_joint\" kp=\"80\" forcelimited=\"true\" "
        "forcerange=\"-15 15\"/>";
    char tail[4096];
    snprintf(tail, sizeof tail, "%s", e);
    snprintf(a, sizeof text - (size_t)(a - text), "%s%s", servo, tail);
    /* the elbow motor without ctrlrange */
    char *lim = strstr(text, "ctrllimited=\"true\" ctrlrange=\"-10 10\"");
    CHECK(lim != NULL);
    if (lim)
        memset(lim, ' ', strlen("ctrllimited=\"true\" ctrlrange=\"-10 10\""));
    CHECK(fx_write(dir, "servo.xml", text, xml, sizeof xml) == 0);
    char d2[4096];
    fx_replace_line(arm2_robot, 4, "mjcf servo.xml", d2, sizeof d2);
    CHECK(fx_write(dir, "servo.robot", d2, desc, sizeof desc) == 0);
    lfd_err err = {0};
    lfd_robot *r = NULL;
    CHECK_OK(lfd_robot_load(&r, xml, &err), &err);
    if (!r)
        return;
    CHECK_EQ_INT(r->joints[0].act_kind, LFD_ACT_POSITION);
    CHECK_NEAR(r->joints[0].torque_max, 15, 0);  /* forcerange x gear */
    CHECK_EQ_INT(r->joints[1].act_kind, LFD_ACT_MOTOR);
    CHECK_NEAR(r->joints[1].torque_max, 8, 0);
    double q[2] = {0, 0}, qd[2] = {0, 0}, ref[2] = {0.7, 0.4}, ctrl[2], tau[2];
    lfd_robot_pd(r, q, qd, ref, NULL, NULL, ctrl, tau);
    /* 80 * 0.7 = 56 N m asked, servo limit 15: the target where it gives 15 */
    CHECK_NEAR(ctrl[0], 15.0 / 80, 1e-15);
    CHECK_NEAR(tau[0], 15, 1e-9);
    CHECK_NEAR(ctrl[1], 8, 1e-9); /* 30 * 0.4 = 12 N m, clamped to 8 */
    lfd_robot_free(&r);
    /* without torque= the unlimited elbow motor has no limit: an error */
    fx_replace_line(d2, 7, "joint elbow_joint  vel=6 kp=30 kd=1 default=-0.3", text, sizeof text);
    CHECK(fx_write(dir, "servo.robot", text, desc, sizeof desc) == 0);
    CHECK_EQ_INT(lfd_robot_load(&r, xml, &err), LFD_EPARSE);
    CHECK_CONTAINS(err.msg, "servo.robot:7: joint elbow_joint: no torque limit");
}
