/*  Bad robot input: each broken MJCF or description gives a clear error that
    names the file, the line where there is one, and the item; nothing
    crashes or leaks (make asan).  Starts from the two-link arm fixture and
    breaks one thing at a time. */
#include <stdlib.h>
#include <string.h>

#include "robots/lfd_robot.h"
#include "tests/lfd_test.h"
#include "tests/test_robots_fixture.h"

typedef struct bad_case {
    int line;           /* line to replace (0: append `text` at the end) */
    const char *text;   /* replacement (NULL: delete the line) */
    int code;           /* expected status */
    const char *want1;  /* expected in the message */
    const char *want2;
} bad_case;

static const bad_case cases[] = {
    {1, "robot 1", LFD_EPARSE, "arm2.robot:1: not an lfd robot description", "lfd-robot 1"},
    {1, "lfd-robot 2", LFD_EUNSUPPORTED, "arm2.robot:1: description version '2'", NULL},
    {4, NULL, LFD_EPARSE, "arm2.robot: no 'mjcf' line", NULL},
    {4, "mjcf nothere.xml", LFD_EIO, "arm2.robot:4: MJCF file 'nothere.xml' not found", NULL},
    {6, "jiont shoulder vel=5 kp=50 kd=2", LFD_EPARSE, "arm2.robot:6: unknown entry 'jiont'", NULL},
    {6, "joint shoulder velocity=5 kp=50 kd=2", LFD_EPARSE,
     "arm2.robot:6: unknown joint key 'velocity'", NULL},
    {6, "joint shoulder vel=fast kp=50 kd=2", LFD_EPARSE, "arm2.robot:6: 'vel' needs a number",
     "'fast'"},
    {6, "joint shoulder vel=-5 kp=50 kd=2", LFD_EPARSE,
     "arm2.robot:6: 'vel' needs a positive number", NULL},
    {6, "joint shoulder vel=5 kp=50 kd=2 range=1", LFD_EPARSE, "arm2.robot:6: 'range' needs LO,HI",
     NULL},
    {6, "joint shoulder vel=5 kp=50 kd=2 7", LFD_EPARSE, "arm2.robot:6: expected key=value", NULL},
    {0, "joint wrist_joint vel=5 kp=1 kd=1", LFD_EMISMATCH,
     "arm2.robot:11: joint 'wrist_joint' is not in the model", "arm2.xml"},
    {7, NULL, LFD_EMISMATCH, "arm2.robot: joint 'elbow_joint' of the model", "has no 'joint' entry"},
    {7, "joint shoulder_joint vel=5 kp=50 kd=2", LFD_EPARSE,
     "arm2.robot:7: joint 'shoulder_joint' is listed twice (as 'shoulder' at line 6)", NULL},
    {6, "joint shoulder vel=5 kp=50 kd=2 range=-2,1", LFD_EMISMATCH,
     "arm2.robot:6: joint shoulder_joint: range -2..1 is outside the MJCF range -1.5..1.5",
     "arm2.xml"},
    {6, "joint shoulder vel=5 kp=50 kd=2 default=1.6", LFD_EMISMATCH,
     "arm2.robot:6: joint shoulder_joint: default 1.6 is outside its range -1.5..1.5", NULL},
    {6, "joint shoulder vel=5 kp=50 kd=2 range=-1,1 default=1.2", LFD_EMISMATCH,
     "default 1.2 is outside its range -1..1", NULL},
    {6, "joint shoulder vel=5 torque=25 kp=50 kd=2", LFD_EMISMATCH,
     "arm2.robot:6: joint shoulder_joint: torque 25 N m exceeds the MJCF actuator limit 20 N m",
     NULL},
    {6, "joint shoulder kp=50 kd=2", LFD_EPARSE, "arm2.robot:6: joint shoulder_joint: no velocity",
     NULL},
    {6, "joint shoulder vel=5 kd=2", LFD_EPARSE,
     "arm2.robot:6: joint shoulder_joint has an actuator but no PD gains", NULL},
    {8, "hand right body=hand offset=0,0,0.25", LFD_EMISMATCH,
     "arm2.robot:8: body 'hand' is not in the model", NULL},
    {8, "hand middle body=fore", LFD_EPARSE, "arm2.robot:8: 'hand' needs left or right", NULL},
    {8, "hand right offset=0,0,0.25", LFD_EPARSE, "arm2.robot:8: 'hand' needs body=", NULL},
    {0, "hand right body=fore", LFD_EPARSE, "arm2.robot:11: right hand is given twice (first at line 8)",
     NULL},
    {9, "map left_hand body=fore", LFD_EPARSE,
     "arm2.robot:9: 'left_hand' is not a canonical human joint", "l_wrist"},
    {9, "map r_wrist body=fore pos_w=0", LFD_EPARSE, "arm2.robot:9: map r_wrist has zero", NULL},
    {9, "map r_wrist body=fore rot=0,0,0,0", LFD_EPARSE, "arm2.robot:9: 'rot' needs a non-zero",
     NULL},
    {10, "map r_wrist body=fore", LFD_EPARSE,
     "arm2.robot:10: human joint r_wrist is mapped twice (first at line 9)", NULL},
    {0, "foot left body=fore sole=-0.1,0.1,-0.05,0.05 z=-0.2", LFD_EMISMATCH,
     "arm2.robot:11: left foot: sole z -0.2 m, but the collision geoms of body fore", NULL},
    {0, "foot left body=fore sole=0.1,-0.1,-0.05,0.05 z=0.005", LFD_EPARSE,
     "arm2.robot:11: 'sole' needs XMIN,XMAX,YMIN,YMAX", NULL},
    {0, "exclude upper", LFD_EPARSE, "arm2.robot:11: 'exclude' needs two body names", NULL},
    {0, "exclude upper nobody", LFD_EMISMATCH, "arm2.robot:11: body 'nobody' is not in the model",
     NULL},
};

TEST(robots_bad_description_entries)
{
    const char *dir = lfd_test_tmpdir();
    char path[1024], text[8192];
    CHECK(fx_write(dir, "arm2.xml", arm2_xml, path, sizeof path) == 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const bad_case *c = &cases[i];
        if (c->line)
            fx_replace_line(arm2_robot, c->line, c->text, text, sizeof text);
        else
            snprintf(text, sizeof text, "%s%s\n", arm2_robot, c->text);
        CHECK(fx_write(dir, "arm2.robot", text, path, sizeof path) == 0);
        lfd_robot *r = NULL;
        lfd_err err = {0};
        int rc = lfd_robot_load(&r, path, &err);
        if (rc != c->code)
            lfd_test_fail_at(__FILE__, __LINE__, "case %zu (%s): status %d, want %d: %s", i,
                             c->text ? c->text : "(deleted line)", rc, c->code, err.msg);
        if (!strstr(err.msg, c->want1) || (c->want2 && !strstr(err.msg, c->want2)))
            lfd_test_fail_at(__FILE__, __LINE__, "case %zu: message '%s' lacks '%s'%s%s", i,
                             err.msg, c->want1, c->want2 ? " / " : "", c->want2 ? c->want2 : "");
        CHECK(r == NULL);
        lfd_robot_free(&r);
    }
    /* the unbroken fixture loads (the cases above really are the breakage) */
    CHECK(fx_write(dir, "arm2.robot", arm2_robot, path, sizeof path) == 0);
    lfd_robot *r = NULL;
    lfd_err err = {0};
    CHECK_OK(lfd_robot_load(&r, path, &err), &err);
    lfd_robot_free(&r);
}

TEST(robots_bad_files)
{
    const char *dir = lfd_test_tmpdir();
    char xml[1024], desc[1024], p[1200];
    lfd_robot *r = NULL;
    lfd_err err = {0};
    /* no description */
    snprintf(p, sizeof p, "%s/missing.robot", dir);
    CHECK_EQ_INT(lfd_robot_load(&r, p, &err), LFD_EIO);
    CHECK_CONTAINS(err.msg, "missing.robot: no such robot description file");
    /* an MJCF without its description beside it */
    CHECK(fx_write(dir, "lonely.xml", arm2_xml, xml, sizeof xml) == 0);
    CHECK_EQ_INT(lfd_robot_load(&r, xml, &err), LFD_EIO);
    CHECK_CONTAINS(err.msg, "no description file");
    CHECK_CONTAINS(err.msg, "lonely.robot");
    /* an empty description */
    CHECK(fx_write(dir, "empty.robot", "# nothing here\n\n", desc, sizeof desc) == 0);
    CHECK_EQ_INT(lfd_robot_load(&r, desc, &err), LFD_EPARSE);
    CHECK_CONTAINS(err.msg, "empty.robot: empty robot description");
    /* binary junk */
    CHECK(fx_write(dir, "junk.robot", "lfd-robot 1\n", desc, sizeof desc) == 0);
    FILE *fp = fopen(desc, "ab");
    if (fp) {
        fputc(0, fp);
        fputs("\x01\x02garbage", fp);
        fclose(fp);
    }
    CHECK_EQ_INT(lfd_robot_load(&r, desc, &err), LFD_EPARSE);
    CHECK_CONTAINS(err.msg, "junk.robot: not a text file");
    /* an absurdly large description is refused before it is read */
    snprintf(p, sizeof p, "%s/huge.robot", dir);
    fp = fopen(p, "wb");
    if (fp) {
        fputs("lfd-robot 1\n", fp);
        for (int i = 0; i < 70000; i++)
            fputs("# padding padding\n", fp);
        fclose(fp);
    }
    CHECK_EQ_INT(lfd_robot_load(&r, p, &err), LFD_ELIMIT);
    CHECK_CONTAINS(err.msg, "huge.robot");
    /* a malformed MJCF: MuJoCo's message with the file name */
    CHECK(fx_write(dir, "broken.xml", "<mujoco model=\"x\">\n  <worldbody>\n    <body>\n</mujoco>\n",
                   xml, sizeof xml) == 0);
    char d2[4096];
    fx_replace_line(arm2_robot, 4, "mjcf broken.xml", d2, sizeof d2);
    CHECK(fx_write(dir, "broken.robot", d2, desc, sizeof desc) == 0);
    CHECK_EQ_INT(lfd_robot_load(&r, desc, &err), LFD_EPARSE);
    CHECK_CONTAINS(err.msg, "broken.xml: MuJoCo cannot load it");
    CHECK_CONTAINS(err.msg, "Line number=3");
    CHECK(strchr(err.msg, '\n') == NULL); /* one line, as every lfd error */
    /* well-formed XML that MuJoCo rejects (unknown attribute), with its line */
    CHECK(fx_write(dir, "broken.xml",
                   "<mujoco model=\"x\">\n  <worldbody>\n    <body name=\"a\" colour=\"red\"/>\n"
                   "  </worldbody>\n</mujoco>\n",
                   xml, sizeof xml) == 0);
    CHECK_EQ_INT(lfd_robot_load(&r, desc, &err), LFD_EPARSE);
    CHECK_CONTAINS(err.msg, "broken.xml: MuJoCo cannot load it");
    CHECK_CONTAINS(err.msg, "colour");
    CHECK_CONTAINS(err.msg, "line 3");
    /* a description that names a directory as its MJCF */
    fx_replace_line(arm2_robot, 4, "mjcf .", d2, sizeof d2);
    CHECK(fx_write(dir, "dir.robot", d2, desc, sizeof desc) == 0);
    CHECK(lfd_robot_load(&r, desc, &err) != LFD_OK);
    CHECK_CONTAINS(err.msg, "dir.robot:4");
    /* ball joints are refused with the joint's name */
    char text[4096];
    snprintf(text, sizeof text, "%s", arm2_xml);
    char *hinge = strstr(text, "<joint name=\"elbow_joint\"");
    char *end = hinge ? strstr(hinge, "/>") : NULL;
    CHECK(hinge && end);
    if (hinge && end) {
        /* same length: the ball joint's attributes, then blanks */
        const char *ball = "<joint name=\"elbow_joint\" type=\"ball\"";
        memset(hinge, ' ', (size_t)(end - hinge));
        memcpy(hinge, ball, strlen(ball));
    }
    CHECK(fx_write(dir, "ball.xml", text, xml, sizeof xml) == 0);
    fx_replace_line(arm2_robot, 4, "mjcf ball.xml", d2, sizeof d2);
    CHECK(fx_write(dir, "ball.robot", d2, desc, sizeof desc) == 0);
    CHECK_EQ_INT(lfd_robot_load(&r, desc, &err), LFD_EUNSUPPORTED);
    CHECK_CONTAINS(err.msg, "ball joint 'elbow_joint'");
    CHECK(r == NULL);
}

/* arm2.xml with `from` (its first occurrence) replaced by `to`, written as
   NAME.xml, and NAME.robot: `robot` (NULL: the fixture's description) with
   its mjcf line naming NAME.xml; the description's path goes to desc */
static int write_variant(const char *name, const char *from, const char *to, const char *robot,
                         char *desc, size_t descsz)
{
    const char *dir = lfd_test_tmpdir();
    char text[8192], xml[1024], mj[256], d2[4096];
    const char *at = strstr(arm2_xml, from);
    if (!at)
        return -1;
    snprintf(text, sizeof text, "%.*s%s%s", (int)(at - arm2_xml), arm2_xml, to, at + strlen(from));
    snprintf(xml, sizeof xml, "%s.xml", name);
    if (fx_write(dir, xml, text, d2, sizeof d2))
        return -1;
    snprintf(mj, sizeof mj, "mjcf %s.xml", name);
    fx_replace_line(robot ? robot : arm2_robot, 4, mj, d2, sizeof d2);
    snprintf(xml, sizeof xml, "%s.robot", name);
    return fx_write(dir, xml, d2, desc, descsz);
}

/* an actuator that gives no torque at all loaded with torque_max 0, and the
   torque check then skipped the joint: refused, naming joint and actuator */
TEST(robots_bad_zero_torque_actuator)
{
    char desc[1024];
    lfd_robot *r = NULL;
    lfd_err err = {0};
    /* a motor with gear 0 (the shoulder takes its limit from the MJCF) */
    CHECK(write_variant("gear0", "joint=\"shoulder_joint\"", "joint=\"shoulder_joint\" gear=\"0\"",
                        NULL, desc, sizeof desc) == 0);
    CHECK_EQ_INT(lfd_robot_load(&r, desc, &err), LFD_EMISMATCH);
    CHECK_CONTAINS(err.msg, "gear0.robot:6: joint shoulder_joint: its actuator 'm_shoulder' gives 0 N m (gear 0)");
    CHECK(r == NULL);
    /* a general actuator with gain 0 */
    CHECK(write_variant("gain0", "<motor name=\"m_shoulder\"", "<general gainprm=\"0\" name=\"m_shoulder\"",
                        NULL, desc, sizeof desc) == 0);
    CHECK_EQ_INT(lfd_robot_load(&r, desc, &err), LFD_EMISMATCH);
    CHECK_CONTAINS(err.msg, "joint shoulder_joint: its actuator 'm_shoulder' gives 0 N m (gain 0)");
    CHECK(r == NULL);
    /* a position servo with gear 0, even with torque= in the description */
    char d2[4096];
    fx_replace_line(arm2_robot, 6, "joint shoulder vel=5 torque=10 kp=50 kd=2 default=0.2", d2, sizeof d2);
    CHECK(write_variant("servo0",
                        "<motor name=\"m_shoulder\" joint=\"shoulder_joint\" ctrllimited=\"true\" ctrlrange=\"-20 20\"/>",
                        "<position name=\"m_shoulder\" joint=\"shoulder_joint\" kp=\"50\" gear=\"0\"/>",
                        d2, desc, sizeof desc) == 0);
    CHECK_EQ_INT(lfd_robot_load(&r, desc, &err), LFD_EMISMATCH);
    CHECK_CONTAINS(err.msg, "servo0.robot:6: joint shoulder_joint: its actuator 'm_shoulder' gives 0 N m (gear 0)");
    CHECK(r == NULL);
    /* the same replacement with gear 1 loads (the cases above are the zero) */
    CHECK(write_variant("gear1", "joint=\"shoulder_joint\"", "joint=\"shoulder_joint\" gear=\"1\"",
                        NULL, desc, sizeof desc) == 0);
    CHECK_OK(lfd_robot_load(&r, desc, &err), &err);
    lfd_robot_free(&r);
}

/* feet that cannot be feet loaded silently: both on one body (single
   support read as double), a body with no collision geometry anywhere
   below it (it sinks through the floor), a geometry-less link whose
   subtree ends far from the given sole (h1 with a shoulder as its foot) */
TEST(robots_bad_feet)
{
    char desc[1024], d2[4096];
    lfd_robot *r = NULL;
    lfd_err err = {0};
    const char *dir = lfd_test_tmpdir();
    /* both feet on the forearm (its capsule ends at z 0.005) */
    snprintf(d2, sizeof d2, "%sfoot left body=fore sole=-0.02,0.02,-0.02,0.02 z=0.005\n"
                            "foot right body=fore sole=-0.02,0.02,-0.02,0.02 z=0.005\n", arm2_robot);
    CHECK(fx_write(dir, "arm2.xml", arm2_xml, desc, sizeof desc) == 0);
    CHECK(fx_write(dir, "samefoot.robot", d2, desc, sizeof desc) == 0);
    CHECK_EQ_INT(lfd_robot_load(&r, desc, &err), LFD_EPARSE);
    CHECK_CONTAINS(err.msg, "samefoot.robot:12: right foot: body fore is the left foot's too (line 11)");
    CHECK(r == NULL);
    /* one foot there loads (the case above is the second foot) */
    snprintf(d2, sizeof d2, "%sfoot left body=fore sole=-0.02,0.02,-0.02,0.02 z=0.005\n", arm2_robot);
    CHECK(fx_write(dir, "onefoot.robot", d2, desc, sizeof desc) == 0);
    CHECK_OK(lfd_robot_load(&r, desc, &err), &err);
    lfd_robot_free(&r);
    /* the forearm's capsule made non-colliding: nothing of the foot touches */
    const char *cap = "<geom type=\"capsule\" fromto=\"0 0 0.03 0 0 0.25\" size=\"0.025\"";
    char nocoll[256];
    snprintf(nocoll, sizeof nocoll, "%s contype=\"0\" conaffinity=\"0\"", cap);
    CHECK(write_variant("nogeom", cap, nocoll, d2, desc, sizeof desc) == 0);
    CHECK_EQ_INT(lfd_robot_load(&r, desc, &err), LFD_EMISMATCH);
    CHECK_CONTAINS(err.msg, "nogeom.robot:11: left foot: body fore has no collision geoms, nor do "
                            "the bodies below it");
    CHECK(r == NULL);
    /* the upper arm's capsule made non-colliding and the upper arm named as
       the foot: it stands on the forearm, 30 cm below the sole given */
    const char *ucap = "<geom type=\"capsule\" fromto=\"0 0 0.03 0 0 0.3\" size=\"0.03\"";
    snprintf(nocoll, sizeof nocoll, "%s contype=\"0\" conaffinity=\"0\"", ucap);
    snprintf(d2, sizeof d2, "%sfoot left body=upper sole=-0.02,0.02,-0.02,0.02 z=0.0\n", arm2_robot);
    CHECK(write_variant("upperfoot", ucap, nocoll, d2, desc, sizeof desc) == 0);
    CHECK_EQ_INT(lfd_robot_load(&r, desc, &err), LFD_EMISMATCH);
    CHECK_CONTAINS(err.msg, "upperfoot.robot:11: left foot: sole z 0 m, but body upper has no "
                            "collision geoms and those of the bodies below it reach down to z 0.3");
    CHECK(r == NULL);
}

/* an actuator range 0..20 was read as +-20 (the check then passed torques
   the actuator cannot give one way), and the ctrl-range clamp that follows
   was not counted */
TEST(robots_bad_asymmetric_actuator)
{
    char desc[1024], d2[4096];
    lfd_robot *r = NULL;
    lfd_err err = {0};
    const char *from = "ctrlrange=\"-20 20\"";
    CHECK(write_variant("asym", from, "ctrlrange=\"0 20\"", NULL, desc, sizeof desc) == 0);
    CHECK_EQ_INT(lfd_robot_load(&r, desc, &err), LFD_EMISMATCH);
    CHECK_CONTAINS(err.msg, "asym.robot:6: joint shoulder_joint: its actuator 'm_shoulder' has an "
                            "asymmetric ctrlrange 0..20");
    CHECK_CONTAINS(err.msg, "give torque=");
    CHECK(r == NULL);
    /* the same for a servo's force range */
    CHECK(write_variant("asymf", "<motor name=\"m_shoulder\" joint=\"shoulder_joint\" ctrllimited=\"true\" ctrlrange=\"-20 20\"/>",
                        "<position name=\"m_shoulder\" joint=\"shoulder_joint\" kp=\"50\" forcelimited=\"true\" forcerange=\"-5 20\"/>",
                        NULL, desc, sizeof desc) == 0);
    CHECK_EQ_INT(lfd_robot_load(&r, desc, &err), LFD_EMISMATCH);
    CHECK_CONTAINS(err.msg, "asymmetric forcerange -5..20");
    CHECK(r == NULL);
    /* with torque= it loads, and the PD's clamp to the ctrl range counts */
    fx_replace_line(arm2_robot, 6, "joint shoulder vel=5 torque=20 kp=50 kd=2 default=0.2", d2, sizeof d2);
    CHECK(write_variant("asymt", from, "ctrlrange=\"0 20\"", d2, desc, sizeof desc) == 0);
    CHECK_OK(lfd_robot_load(&r, desc, &err), &err);
    if (!r)
        return;
    double q[2] = {0.2, -0.3}, qd[2] = {0, 0}, ref[2] = {0.0, -0.3}, ctrl[2], tau[2];
    /* asks 50 * -0.2 = -10 N m; the actuator gives 0 */
    CHECK_EQ_INT(lfd_robot_pd(r, q, qd, ref, NULL, NULL, ctrl, tau), 1);
    CHECK_NEAR(ctrl[0], 0, 0);
    CHECK_NEAR(tau[0], 0, 0);
    lfd_robot_free(&r);
}
