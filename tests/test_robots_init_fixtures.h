/*  Third-party humanoid MJCFs for tests/test_robots_init.c, written for lfd
    from public facts (no file copied); each test writes them into its tmp
    folder with fx_init_write().

    1. "menagerie_biped": a humanoid laid out the way MuJoCo Menagerie
       files are (google-deepmind/mujoco_menagerie, its README and e.g.
       unitree_h1/h1.xml, booster_t1/t1.xml): <compiler angle="radian"
       meshdir="assets"/>; default classes "visual" (group 2, contype 0,
       conaffinity 0, density 0, meshes) and "collision" (group 3,
       primitives); the robot file has no floor (Menagerie's scene.xml adds
       it); a keyframe "home" with bent knees; position servos
       (<position kp= forcerange=>) in a file pulled in with <include>.
       Meshes are a small tetrahedron STL written by the test (the real
       ones are vendor CAD); every collision shape is a primitive.  Link
       lengths roughly those of a 1.7 m adult (0.4 m thigh and shin).
    2. "cmu_style": the dm_control CMU humanoid's layout (google-deepmind/
       dm_control suite/humanoid_CMU.xml; Merel et al. 2017): the CMU
       mocap skeleton's body names (root, lhipjoint, lfemur, ltibia, lfoot,
       ltoes, lowerback, upperback, thorax, lowerneck, upperneck, head,
       lclavicle, lhumerus, lradius, lwrist, lhand, lfingers, lthumb and
       the right side), every ball joint written as three hinges named
       <body>rz/ry/rx, 56 hinges in all, one torque motor per hinge with
       ctrlrange -1..1 and a gear, arms out in a T at the zero pose.
       Unlike that file, this one is z-up and faces +x at its zero pose
       (dm_control's turns its y-up root with euler="90 0 0"): lfd's
       retargeter reads the zero pose as the rest pose facing +x, and
       docs/robots.md says which edit the original needs.
*/
#ifndef TEST_ROBOTS_INIT_FIXTURES_H
#define TEST_ROBOTS_INIT_FIXTURES_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* ---- 1. Menagerie kind ----------------------------------------------------------- */
static const char mb_robot_xml[] =
    "<mujoco model=\"menagerie_biped\">\n"
    "  <compiler angle=\"radian\" meshdir=\"assets\" autolimits=\"true\"/>\n"
    "  <option timestep=\"0.002\"/>\n"
    "  <default>\n"
    "    <default class=\"biped\">\n"
    "      <joint damping=\"1\" armature=\"0.01\" frictionloss=\"0.1\"/>\n"
    "      <default class=\"visual\">\n"
    "        <geom type=\"mesh\" group=\"2\" contype=\"0\" conaffinity=\"0\" density=\"0\"/>\n"
    "      </default>\n"
    "      <default class=\"collision\">\n"
    "        <geom group=\"3\" rgba=\".5 .6 .7 1\"/>\n"
    "        <default class=\"sole\"><geom type=\"box\" size=\"0.1 0.045 0.02\" pos=\"0.04 0 -0.04\"/></default>\n"
    "      </default>\n"
    "      <default class=\"big\"><position kp=\"300\" forcerange=\"-150 150\" ctrlrange=\"-3 3\"/></default>\n"
    "      <default class=\"mid\"><position kp=\"120\" forcerange=\"-60 60\" ctrlrange=\"-3 3\"/></default>\n"
    "      <default class=\"small\"><position kp=\"40\" forcerange=\"-25 25\" ctrlrange=\"-3 3\"/></default>\n"
    "    </default>\n"
    "  </default>\n"
    "  <asset>\n"
    "    <mesh name=\"shell\" file=\"shell.stl\" scale=\"0.05 0.05 0.05\"/>\n"
    "  </asset>\n"
    "  <worldbody>\n"
    "    <body name=\"pelvis\" pos=\"0 0 1.0\" childclass=\"biped\">\n"
    "      <freejoint name=\"floating_base\"/>\n"
    "      <inertial pos=\"0 0 0\" mass=\"8\" diaginertia=\"0.08 0.06 0.08\"/>\n"
    "      <geom class=\"visual\" mesh=\"shell\"/>\n"
    "      <geom class=\"collision\" type=\"box\" size=\"0.07 0.12 0.06\"/>\n"
    "      <body name=\"left_hip_yaw_link\" pos=\"0 0.1 -0.08\">\n"
    "        <inertial pos=\"0 0 0\" mass=\"1\" diaginertia=\"0.002 0.002 0.002\"/>\n"
    "        <joint name=\"left_hip_yaw\" axis=\"0 0 1\" range=\"-0.6 0.6\"/>\n"
    "        <body name=\"left_hip_roll_link\">\n"
    "          <inertial pos=\"0 0 0\" mass=\"1\" diaginertia=\"0.002 0.002 0.002\"/>\n"
    "          <joint name=\"left_hip_roll\" axis=\"1 0 0\" range=\"-0.4 0.6\"/>\n"
    "          <body name=\"left_thigh\">\n"
    "            <inertial pos=\"0 0 -0.18\" mass=\"5\" diaginertia=\"0.07 0.07 0.01\"/>\n"
    "            <joint name=\"left_hip_pitch\" axis=\"0 1 0\" range=\"-2.0 1.0\"/>\n"
    "            <geom class=\"visual\" mesh=\"shell\" pos=\"0 0 -0.2\"/>\n"
    "            <geom class=\"collision\" type=\"capsule\" fromto=\"0 0 -0.06 0 0 -0.34\" size=\"0.055\"/>\n"
    "            <body name=\"left_shin\" pos=\"0 0 -0.4\">\n"
    "              <inertial pos=\"0 0 -0.18\" mass=\"3\" diaginertia=\"0.04 0.04 0.005\"/>\n"
    "              <joint name=\"left_knee\" axis=\"0 1 0\" range=\"0 2.3\"/>\n"
    "              <geom class=\"collision\" type=\"capsule\" fromto=\"0 0 -0.05 0 0 -0.33\" size=\"0.045\"/>\n"
    "              <body name=\"left_foot\" pos=\"0 0 -0.4\">\n"
    "                <inertial pos=\"0.03 0 -0.03\" mass=\"1\" diaginertia=\"0.003 0.004 0.003\"/>\n"
    "                <joint name=\"left_ankle_pitch\" axis=\"0 1 0\" range=\"-0.9 0.5\"/>\n"
    "                <joint name=\"left_ankle_roll\" axis=\"1 0 0\" range=\"-0.3 0.3\"/>\n"
    "                <geom class=\"visual\" mesh=\"shell\"/>\n"
    "                <geom class=\"sole\" name=\"left_sole\"/>\n"
    "              </body>\n"
    "            </body>\n"
    "          </body>\n"
    "        </body>\n"
    "      </body>\n"
    "      <body name=\"right_hip_yaw_link\" pos=\"0 -0.1 -0.08\">\n"
    "        <inertial pos=\"0 0 0\" mass=\"1\" diaginertia=\"0.002 0.002 0.002\"/>\n"
    "        <joint name=\"right_hip_yaw\" axis=\"0 0 1\" range=\"-0.6 0.6\"/>\n"
    "        <body name=\"right_hip_roll_link\">\n"
    "          <inertial pos=\"0 0 0\" mass=\"1\" diaginertia=\"0.002 0.002 0.002\"/>\n"
    "          <joint name=\"right_hip_roll\" axis=\"1 0 0\" range=\"-0.6 0.4\"/>\n"
    "          <body name=\"right_thigh\">\n"
    "            <inertial pos=\"0 0 -0.18\" mass=\"5\" diaginertia=\"0.07 0.07 0.01\"/>\n"
    "            <joint name=\"right_hip_pitch\" axis=\"0 1 0\" range=\"-2.0 1.0\"/>\n"
    "            <geom class=\"visual\" mesh=\"shell\" pos=\"0 0 -0.2\"/>\n"
    "            <geom class=\"collision\" type=\"capsule\" fromto=\"0 0 -0.06 0 0 -0.34\" size=\"0.055\"/>\n"
    "            <body name=\"right_shin\" pos=\"0 0 -0.4\">\n"
    "              <inertial pos=\"0 0 -0.18\" mass=\"3\" diaginertia=\"0.04 0.04 0.005\"/>\n"
    "              <joint name=\"right_knee\" axis=\"0 1 0\" range=\"0 2.3\"/>\n"
    "              <geom class=\"collision\" type=\"capsule\" fromto=\"0 0 -0.05 0 0 -0.33\" size=\"0.045\"/>\n"
    "              <body name=\"right_foot\" pos=\"0 0 -0.4\">\n"
    "                <inertial pos=\"0.03 0 -0.03\" mass=\"1\" diaginertia=\"0.003 0.004 0.003\"/>\n"
    "                <joint name=\"right_ankle_pitch\" axis=\"0 1 0\" range=\"-0.9 0.5\"/>\n"
    "                <joint name=\"right_ankle_roll\" axis=\"1 0 0\" range=\"-0.3 0.3\"/>\n"
    "                <geom class=\"visual\" mesh=\"shell\"/>\n"
    "                <geom class=\"sole\" name=\"right_sole\"/>\n"
    "              </body>\n"
    "            </body>\n"
    "          </body>\n"
    "        </body>\n"
    "      </body>\n"
    "      <body name=\"torso_link\" pos=\"0 0 0.08\">\n"
    "        <inertial pos=\"0 0 0.2\" mass=\"15\" diaginertia=\"0.4 0.35 0.15\"/>\n"
    "        <joint name=\"waist_yaw\" axis=\"0 0 1\" range=\"-1.5 1.5\"/>\n"
    "        <geom class=\"visual\" mesh=\"shell\" pos=\"0 0 0.2\"/>\n"
    "        <geom class=\"collision\" type=\"box\" size=\"0.08 0.12 0.16\" pos=\"0 0 0.2\"/>\n"
    "        <geom class=\"collision\" type=\"sphere\" size=\"0.1\" pos=\"0 0 0.55\" name=\"head\"/>\n"
    "        <body name=\"left_shoulder_pitch_link\" pos=\"0 0.19 0.33\">\n"
    "          <inertial pos=\"0 0 0\" mass=\"0.5\" diaginertia=\"0.001 0.001 0.001\"/>\n"
    "          <joint name=\"left_shoulder_pitch\" axis=\"0 1 0\" range=\"-3 1.5\"/>\n"
    "          <body name=\"left_shoulder_roll_link\">\n"
    "            <inertial pos=\"0 0 0\" mass=\"0.5\" diaginertia=\"0.001 0.001 0.001\"/>\n"
    "            <joint name=\"left_shoulder_roll\" axis=\"1 0 0\" range=\"-0.3 2.8\"/>\n"
    "            <body name=\"left_upper_arm\">\n"
    "              <inertial pos=\"0 0 -0.12\" mass=\"1.5\" diaginertia=\"0.01 0.01 0.002\"/>\n"
    "              <joint name=\"left_shoulder_yaw\" axis=\"0 0 1\" range=\"-1.5 1.5\"/>\n"
    "              <geom class=\"collision\" type=\"capsule\" fromto=\"0 0 -0.05 0 0 -0.22\" size=\"0.04\"/>\n"
    "              <body name=\"left_forearm\" pos=\"0 0 -0.27\">\n"
    "                <inertial pos=\"0 0 -0.1\" mass=\"1\" diaginertia=\"0.006 0.006 0.001\"/>\n"
    "                <joint name=\"left_elbow\" axis=\"0 1 0\" range=\"-2.5 0.1\"/>\n"
    "                <geom class=\"collision\" type=\"capsule\" fromto=\"0 0 -0.04 0 0 -0.2\" size=\"0.035\"/>\n"
    "                <body name=\"left_hand\" pos=\"0 0 -0.24\">\n"
    "                  <inertial pos=\"0 0 -0.04\" mass=\"0.4\" diaginertia=\"0.0005 0.0005 0.0005\"/>\n"
    "                  <joint name=\"left_wrist_roll\" axis=\"0 0 1\" range=\"-1.5 1.5\"/>\n"
    "                  <geom class=\"collision\" type=\"sphere\" size=\"0.04\" pos=\"0 0 -0.05\"/>\n"
    "                </body>\n"
    "              </body>\n"
    "            </body>\n"
    "          </body>\n"
    "        </body>\n"
    "        <body name=\"right_shoulder_pitch_link\" pos=\"0 -0.19 0.33\">\n"
    "          <inertial pos=\"0 0 0\" mass=\"0.5\" diaginertia=\"0.001 0.001 0.001\"/>\n"
    "          <joint name=\"right_shoulder_pitch\" axis=\"0 1 0\" range=\"-3 1.5\"/>\n"
    "          <body name=\"right_shoulder_roll_link\">\n"
    "            <inertial pos=\"0 0 0\" mass=\"0.5\" diaginertia=\"0.001 0.001 0.001\"/>\n"
    "            <joint name=\"right_shoulder_roll\" axis=\"1 0 0\" range=\"-2.8 0.3\"/>\n"
    "            <body name=\"right_upper_arm\">\n"
    "              <inertial pos=\"0 0 -0.12\" mass=\"1.5\" diaginertia=\"0.01 0.01 0.002\"/>\n"
    "              <joint name=\"right_shoulder_yaw\" axis=\"0 0 1\" range=\"-1.5 1.5\"/>\n"
    "              <geom class=\"collision\" type=\"capsule\" fromto=\"0 0 -0.05 0 0 -0.22\" size=\"0.04\"/>\n"
    "              <body name=\"right_forearm\" pos=\"0 0 -0.27\">\n"
    "                <inertial pos=\"0 0 -0.1\" mass=\"1\" diaginertia=\"0.006 0.006 0.001\"/>\n"
    "                <joint name=\"right_elbow\" axis=\"0 1 0\" range=\"-2.5 0.1\"/>\n"
    "                <geom class=\"collision\" type=\"capsule\" fromto=\"0 0 -0.04 0 0 -0.2\" size=\"0.035\"/>\n"
    "                <body name=\"right_hand\" pos=\"0 0 -0.24\">\n"
    "                  <inertial pos=\"0 0 -0.04\" mass=\"0.4\" diaginertia=\"0.0005 0.0005 0.0005\"/>\n"
    "                  <joint name=\"right_wrist_roll\" axis=\"0 0 1\" range=\"-1.5 1.5\"/>\n"
    "                  <geom class=\"collision\" type=\"sphere\" size=\"0.04\" pos=\"0 0 -0.05\"/>\n"
    "                </body>\n"
    "              </body>\n"
    "            </body>\n"
    "          </body>\n"
    "        </body>\n"
    "      </body>\n"
    "    </body>\n"
    "  </worldbody>\n"
    "  <include file=\"biped_actuators.xml\"/>\n"
    "  <keyframe>\n"
    "    <key name=\"home\" qpos=\"0 0 0.97 1 0 0 0\n"
    "      0 0 -0.3 0.6 -0.3 0  0 0 -0.3 0.6 -0.3 0  0\n"
    "      0 0.2 0 -0.3 0  0 -0.2 0 -0.3 0\"/>\n"
    "  </keyframe>\n"
    "</mujoco>\n";

static const char mb_actuators_xml[] =
    "<mujoco>\n"
    "  <actuator>\n"
    "    <position class=\"big\" name=\"left_hip_yaw\" joint=\"left_hip_yaw\"/>\n"
    "    <position class=\"big\" name=\"left_hip_roll\" joint=\"left_hip_roll\"/>\n"
    "    <position class=\"big\" name=\"left_hip_pitch\" joint=\"left_hip_pitch\"/>\n"
    "    <position class=\"big\" name=\"left_knee\" joint=\"left_knee\"/>\n"
    "    <position class=\"mid\" name=\"left_ankle_pitch\" joint=\"left_ankle_pitch\"/>\n"
    "    <position class=\"mid\" name=\"left_ankle_roll\" joint=\"left_ankle_roll\"/>\n"
    "    <position class=\"big\" name=\"right_hip_yaw\" joint=\"right_hip_yaw\"/>\n"
    "    <position class=\"big\" name=\"right_hip_roll\" joint=\"right_hip_roll\"/>\n"
    "    <position class=\"big\" name=\"right_hip_pitch\" joint=\"right_hip_pitch\"/>\n"
    "    <position class=\"big\" name=\"right_knee\" joint=\"right_knee\"/>\n"
    "    <position class=\"mid\" name=\"right_ankle_pitch\" joint=\"right_ankle_pitch\"/>\n"
    "    <position class=\"mid\" name=\"right_ankle_roll\" joint=\"right_ankle_roll\"/>\n"
    "    <position class=\"big\" name=\"waist_yaw\" joint=\"waist_yaw\"/>\n"
    "    <position class=\"mid\" name=\"left_shoulder_pitch\" joint=\"left_shoulder_pitch\"/>\n"
    "    <position class=\"mid\" name=\"left_shoulder_roll\" joint=\"left_shoulder_roll\"/>\n"
    "    <position class=\"small\" name=\"left_shoulder_yaw\" joint=\"left_shoulder_yaw\"/>\n"
    "    <position class=\"small\" name=\"left_elbow\" joint=\"left_elbow\"/>\n"
    "    <position class=\"small\" name=\"left_wrist_roll\" joint=\"left_wrist_roll\"/>\n"
    "    <position class=\"mid\" name=\"right_shoulder_pitch\" joint=\"right_shoulder_pitch\"/>\n"
    "    <position class=\"mid\" name=\"right_shoulder_roll\" joint=\"right_shoulder_roll\"/>\n"
    "    <position class=\"small\" name=\"right_shoulder_yaw\" joint=\"right_shoulder_yaw\"/>\n"
    "    <position class=\"small\" name=\"right_elbow\" joint=\"right_elbow\"/>\n"
    "    <position class=\"small\" name=\"right_wrist_roll\" joint=\"right_wrist_roll\"/>\n"
    "  </actuator>\n"
    "</mujoco>\n";

/* a closed tetrahedron as binary STL (80-byte header, count, 4 facets) */
__attribute__((unused)) static int fx_write_stl(const char *path)
{
    static const float v[4][3] = {{1, 0, -0.7f}, {-1, 0, -0.7f}, {0, 1, 0.7f}, {0, -1, 0.7f}};
    static const int f[4][3] = {{0, 2, 1}, {0, 1, 3}, {0, 3, 2}, {1, 2, 3}};
    FILE *fp = fopen(path, "wb");
    if (!fp)
        return -1;
    char hdr[80] = "lfd test tetrahedron";
    uint32_t n = 4;
    int ok = fwrite(hdr, 1, 80, fp) == 80 && fwrite(&n, 4, 1, fp) == 1;
    for (int i = 0; i < 4 && ok; i++) {
        float rec[12] = {0};
        for (int k = 0; k < 3; k++)
            memcpy(rec + 3 + 3 * k, v[f[i][k]], sizeof v[0]);
        uint16_t attr = 0;
        ok = fwrite(rec, sizeof rec, 1, fp) == 1 && fwrite(&attr, 2, 1, fp) == 1;
    }
    return fclose(fp) == 0 && ok ? 0 : -1;
}

/* ---- 2. dm_control CMU humanoid layout, generated ------------------------------- */
typedef struct fx_buf {
    char s[1 << 16];
    size_t n;
} fx_buf;

__attribute__((format(printf, 2, 3))) static void fx_put(fx_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(b->s + b->n, sizeof b->s - b->n, fmt, ap);
    va_end(ap);
    if (k > 0 && b->n + (size_t)k < sizeof b->s)
        b->n += (size_t)k;
}

/* three hinges named NAMErz, NAMEry, NAMErx (the dm_control CMU way), ranges in degrees */
static void fx_ball(fx_buf *b, fx_buf *act, const char *name, int lo, int hi, int gear)
{
    static const char *ax[3] = {"z", "y", "x"}, *vec[3] = {"0 0 1", "0 1 0", "1 0 0"};
    for (int i = 0; i < 3; i++) {
        fx_put(b, "<joint name=\"%sr%s\" axis=\"%s\" range=\"%d %d\"/>\n", name, ax[i], vec[i], lo, hi);
        fx_put(act, "<motor name=\"%sr%s\" joint=\"%sr%s\" gear=\"%d\"/>\n", name, ax[i], name, ax[i], gear);
    }
}

static void fx_hinge(fx_buf *b, fx_buf *act, const char *jn, const char *axis, int lo, int hi,
                     int gear)
{
    fx_put(b, "<joint name=\"%s\" axis=\"%s\" range=\"%d %d\"/>\n", jn, axis, lo, hi);
    fx_put(act, "<motor name=\"%s\" joint=\"%s\" gear=\"%d\"/>\n", jn, jn, gear);
}

/* the CMU-style humanoid: 56 hinges; returns the XML in out (static) */
__attribute__((unused)) static const char *fx_cmu_xml(void)
{
    static fx_buf b, act;
    b.n = act.n = 0;
    fx_put(&b, "<mujoco model=\"cmu_style\">\n<compiler angle=\"degree\" autolimits=\"true\"/>\n"
               "<option timestep=\"0.002\"/>\n<default>\n"
               "<joint limited=\"true\" damping=\"1\" armature=\"0.01\" stiffness=\"0.1\"/>\n"
               "<geom type=\"capsule\" friction=\"0.7\" density=\"1000\"/>\n"
               "<motor ctrllimited=\"true\" ctrlrange=\"-1 1\"/>\n</default>\n"
               "<worldbody>\n<geom name=\"floor\" type=\"plane\" size=\"0 0 0.05\"/>\n"
               "<body name=\"root\" pos=\"0 0 1.0\">\n<freejoint name=\"root\"/>\n"
               "<geom name=\"root_geom\" size=\"0.09 0.06\" fromto=\"0 -0.06 0 0 0.06 0\"/>\n");
    for (int s = 0; s < 2; s++) {
        const char *p = s ? "r" : "l";
        double y = s ? -1 : 1;
        char n[32];
        fx_put(&b, "<body name=\"%shipjoint\" pos=\"0 %g -0.05\">\n", p, 0.05 * y);
        fx_put(&b, "<geom name=\"%shipjoint\" size=\"0.008\" fromto=\"0 0 0 0 %g -0.04\"/>\n", p, 0.04 * y);
        fx_put(&b, "<body name=\"%sfemur\" pos=\"0 %g -0.04\">\n", p, 0.04 * y);
        snprintf(n, sizeof n, "%sfemur", p);
        fx_ball(&b, &act, n, -60, 70, 120);
        fx_put(&b, "<geom name=\"%sfemur\" size=\"0.06\" fromto=\"0 0 -0.05 0 0 -0.36\"/>\n", p);
        fx_put(&b, "<body name=\"%stibia\" pos=\"0 0 -0.41\">\n", p);
        snprintf(n, sizeof n, "%stibiarx", p);
        fx_hinge(&b, &act, n, "0 1 0", 1, 170, 80);
        fx_put(&b, "<geom name=\"%stibia\" size=\"0.04\" fromto=\"0 0 -0.04 0 0 -0.37\"/>\n", p);
        fx_put(&b, "<body name=\"%sfoot\" pos=\"0 0 -0.41\">\n", p);
        snprintf(n, sizeof n, "%sfootrz", p);
        fx_hinge(&b, &act, n, "0 0 1", -70, 20, 20);
        snprintf(n, sizeof n, "%sfootrx", p);
        fx_hinge(&b, &act, n, "0 1 0", -45, 45, 20);
        fx_put(&b, "<geom name=\"%sfoot0\" size=\"0.02\" fromto=\"-0.05 0.02 -0.06 0.11 0.02 -0.06\"/>\n"
                   "<geom name=\"%sfoot1\" size=\"0.02\" fromto=\"-0.05 -0.02 -0.06 0.11 -0.02 -0.06\"/>\n",
               p, p);
        fx_put(&b, "<body name=\"%stoes\" pos=\"0.13 0 -0.06\">\n", p);
        snprintf(n, sizeof n, "%stoesrx", p);
        fx_hinge(&b, &act, n, "0 1 0", -20, 45, 10);
        fx_put(&b, "<geom name=\"%stoes0\" type=\"sphere\" size=\"0.02\" pos=\"0.01 0.02 0\"/>\n"
                   "<geom name=\"%stoes1\" type=\"sphere\" size=\"0.02\" pos=\"0.01 -0.02 0\"/>\n",
               p, p);
        fx_put(&b, "</body></body></body></body></body>\n");
    }
    /* the spine: lowerback, upperback, thorax, each a 3-hinge ball */
    static const char *spine[3] = {"lowerback", "upperback", "thorax"};
    for (int i = 0; i < 3; i++) {
        fx_put(&b, "<body name=\"%s\" pos=\"0 0 %g\">\n", spine[i], i ? 0.11 : 0.05);
        fx_ball(&b, &act, spine[i], -30, 30, 80);
        fx_put(&b, "<geom name=\"%s\" size=\"0.08\" fromto=\"0 -0.06 0.05 0 0.06 0.05\"/>\n", spine[i]);
    }
    fx_put(&b, "<body name=\"lowerneck\" pos=\"0 0 0.12\">\n");
    fx_ball(&b, &act, "lowerneck", -30, 30, 20);
    fx_put(&b, "<geom name=\"lowerneck\" size=\"0.03\" fromto=\"0 0 0.01 0 0 0.06\"/>\n");
    fx_put(&b, "<body name=\"upperneck\" pos=\"0 0 0.07\">\n");
    fx_ball(&b, &act, "upperneck", -30, 30, 20);
    fx_put(&b, "<geom name=\"upperneck\" size=\"0.03\" fromto=\"0 0 0.01 0 0 0.04\"/>\n");
    fx_put(&b, "<body name=\"head\" pos=\"0 0 0.05\">\n");
    fx_ball(&b, &act, "head", -30, 30, 20);
    fx_put(&b, "<geom name=\"head\" type=\"sphere\" size=\"0.09\" pos=\"0.01 0 0.1\"/>\n"
               "</body></body></body>\n");
    for (int s = 0; s < 2; s++) {
        const char *p = s ? "r" : "l";
        double y = s ? -1 : 1;
        char n[32];
        fx_put(&b, "<body name=\"%sclavicle\" pos=\"0 %g 0.1\">\n", p, 0.02 * y);
        snprintf(n, sizeof n, "%sclaviclerz", p);
        fx_hinge(&b, &act, n, "0 0 1", s ? -20 : 0, s ? 0 : 20, 20);
        snprintf(n, sizeof n, "%sclaviclery", p);
        fx_hinge(&b, &act, n, "1 0 0", -20, 10, 20);
        fx_put(&b, "<geom name=\"%sclavicle\" size=\"0.03\" fromto=\"0 %g 0 0 %g 0\"/>\n", p,
               0.04 * y, 0.12 * y);
        fx_put(&b, "<body name=\"%shumerus\" pos=\"0 %g 0\">\n", p, 0.17 * y);
        snprintf(n, sizeof n, "%shumerus", p);
        fx_ball(&b, &act, n, -90, 90, 60);
        fx_put(&b, "<geom name=\"%shumerus\" size=\"0.035\" fromto=\"0 %g 0 0 %g 0\"/>\n", p,
               0.04 * y, 0.24 * y);
        fx_put(&b, "<body name=\"%sradius\" pos=\"0 %g 0\">\n", p, 0.28 * y);
        snprintf(n, sizeof n, "%sradiusrx", p);
        fx_hinge(&b, &act, n, "0 0 1", s ? -10 : -170, s ? 170 : 10, 40);
        fx_put(&b, "<geom name=\"%sradius\" size=\"0.03\" fromto=\"0 %g 0 0 %g 0\"/>\n", p,
               0.03 * y, 0.16 * y);
        fx_put(&b, "<body name=\"%swrist\" pos=\"0 %g 0\">\n", p, 0.2 * y);
        snprintf(n, sizeof n, "%swristry", p);
        fx_hinge(&b, &act, n, "0 1 0", -90, 90, 10);
        fx_put(&b, "<geom name=\"%swrist\" size=\"0.025\" fromto=\"0 0 0 0 %g 0\"/>\n", p, 0.02 * y);
        fx_put(&b, "<body name=\"%shand\" pos=\"0 %g 0\">\n", p, 0.03 * y);
        snprintf(n, sizeof n, "%shandrz", p);
        fx_hinge(&b, &act, n, "0 0 1", -45, 45, 10);
        snprintf(n, sizeof n, "%shandrx", p);
        fx_hinge(&b, &act, n, "1 0 0", -90, 90, 10);
        fx_put(&b, "<geom name=\"%shand\" type=\"ellipsoid\" size=\"0.02 0.048 0.06\" pos=\"0 %g 0\"/>\n",
               p, 0.05 * y);
        fx_put(&b, "<body name=\"%sfingers\" pos=\"0 %g 0\">\n", p, 0.1 * y);
        snprintf(n, sizeof n, "%sfingersrx", p);
        fx_hinge(&b, &act, n, "1 0 0", 0, 90, 5);
        fx_put(&b, "<geom name=\"%sfinger0\" size=\"0.01\" fromto=\"0 0 0 0 %g 0\"/>\n", p, 0.06 * y);
        fx_put(&b, "</body>\n<body name=\"%sthumb\" pos=\"0.02 %g 0\">\n", p, 0.03 * y);
        snprintf(n, sizeof n, "%sthumbrz", p);
        fx_hinge(&b, &act, n, "0 0 1", -45, 45, 5);
        snprintf(n, sizeof n, "%sthumbrx", p);
        fx_hinge(&b, &act, n, "1 0 0", 0, 90, 5);
        fx_put(&b, "<geom name=\"%sthumb\" size=\"0.012\" fromto=\"0 0 0 0.04 %g 0\"/>\n", p, 0.02 * y);
        fx_put(&b, "</body></body></body></body></body></body>\n");
    }
    fx_put(&b, "</body></body></body>\n</body>\n</worldbody>\n<actuator>\n%s</actuator>\n</mujoco>\n",
           act.s);
    return b.s;
}

/* writes the fixture `which` (0 Menagerie kind, 1 CMU style) into dir;
   path gets the robot MJCF's path */
__attribute__((unused)) static int fx_init_write(const char *dir, int which, char *path, size_t n)
{
    char p[1024];
    if (which == 1) {
        snprintf(path, n, "%s/cmu_style.xml", dir);
        FILE *fp = fopen(path, "wb");
        if (!fp)
            return -1;
        const char *x = fx_cmu_xml();
        int ok = fputs(x, fp) >= 0;
        return fclose(fp) == 0 && ok ? 0 : -1;
    }
    snprintf(p, sizeof p, "%s/assets", dir);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/assets/shell.stl", dir);
    if (fx_write_stl(p))
        return -1;
    const char *files[2][2] = {{"biped_actuators.xml", mb_actuators_xml},
                               {"menagerie_biped.xml", mb_robot_xml}};
    for (int i = 0; i < 2; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, files[i][0]);
        FILE *fp = fopen(p, "wb");
        if (!fp)
            return -1;
        int ok = fputs(files[i][1], fp) >= 0;
        if (fclose(fp) || !ok)
            return -1;
    }
    snprintf(path, n, "%s/menagerie_biped.xml", dir);
    return 0;
}

#endif
