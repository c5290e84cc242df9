/*  A tiny user robot for the robot tests: a fixed-base two-link arm (MJCF +
    description) written into a test's tmp folder, plus a helper to write
    files.  Included by tests/test_robots_*.c. */
#ifndef TEST_ROBOTS_FIXTURE_H
#define TEST_ROBOTS_FIXTURE_H

#include <stdio.h>
#include <string.h>

static const char arm2_xml[] =
    "<mujoco model=\"arm2\">\n"
    "  <compiler angle=\"radian\"/>\n"
    "  <option timestep=\"0.002\"/>\n"
    "  <worldbody>\n"
    "    <geom name=\"floor\" type=\"plane\" size=\"1 1 0.1\"/>\n"
    "    <body name=\"base\" pos=\"0 0 0.1\">\n"
    "      <geom type=\"box\" size=\"0.05 0.05 0.05\"/>\n"
    "      <body name=\"upper\" pos=\"0 0 0.1\">\n"
    "        <joint name=\"shoulder_joint\" axis=\"0 1 0\" limited=\"true\" range=\"-1.5 1.5\"/>\n"
    "        <geom type=\"capsule\" fromto=\"0 0 0.03 0 0 0.3\" size=\"0.03\"/>\n"
    "        <body name=\"fore\" pos=\"0 0 0.3\">\n"
    "          <joint name=\"elbow_joint\" axis=\"0 1 0\" limited=\"true\" range=\"-2 2\"/>\n"
    "          <geom type=\"capsule\" fromto=\"0 0 0.03 0 0 0.25\" size=\"0.025\"/>\n"
    "        </body>\n"
    "      </body>\n"
    "    </body>\n"
    "  </worldbody>\n"
    "  <actuator>\n"
    "    <motor name=\"m_shoulder\" joint=\"shoulder_joint\" ctrllimited=\"true\" ctrlrange=\"-20 20\"/>\n"
    "    <motor name=\"m_elbow\" joint=\"elbow_joint\" ctrllimited=\"true\" ctrlrange=\"-10 10\"/>\n"
    "  </actuator>\n"
    "</mujoco>\n";

/* line numbers matter to the bad-input tests: keep the joints on 6 and 7 */
static const char arm2_robot[] =
    "lfd-robot 1\n"                                              /* 1 */
    "# a two-link test arm\n"                                    /* 2 */
    "name arm2\n"                                                /* 3 */
    "mjcf arm2.xml\n"                                            /* 4 */
    "source lfd test fixture\n"                                  /* 5 */
    "joint shoulder     vel=5 kp=50 kd=2 default=0.2\n"          /* 6 */
    "joint elbow_joint  vel=6 torque=8 kp=30 kd=1 default=-0.3\n" /* 7 */
    "hand right body=fore offset=0,0,0.25\n"                     /* 8 */
    "map r_wrist body=fore offset=0,0,0.25\n"                    /* 9 */
    "map r_elbow body=fore\n";                                   /* 10 */

__attribute__((unused)) static int fx_write(const char *dir, const char *name, const char *text, char *path, size_t pathsz)
{
    snprintf(path, pathsz, "%s/%s", dir, name);
    FILE *fp = fopen(path, "wb");
    if (!fp)
        return -1;
    size_t n = strlen(text);
    int ok = fwrite(text, 1, n, fp) == n;
    return fclose(fp) == 0 && ok ? 0 : -1;
}

/* the fixture's description with line `line` (1-based) replaced by repl
   (NULL deletes it) */
__attribute__((unused)) static void fx_replace_line(const char *text, int line, const char *repl, char *out, size_t outsz)
{
    out[0] = '\0';
    int l = 1;
    const char *p = text;
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p + 1) : strlen(p);
        size_t o = strlen(out);
        if (l == line) {
            if (repl)
                snprintf(out + o, outsz - o, "%s\n", repl);
        } else {
            snprintf(out + o, outsz - o, "%.*s", (int)n, p);
        }
        p += n;
        l++;
    }
}

#endif
