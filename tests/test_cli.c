/*  Tests of the `lfd` command itself: help, version, exit codes, and the
    motion commands end to end; and of `make check-layers`. */
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/lfd_motion.h"
#include "core/lfd_quat.h"
#include "tests/lfd_test.h"

static char out[1 << 16];

TEST(cli_help_version_and_errors)
{
    CHECK_EQ_INT(lfd_test_run_lfd("--help", out, sizeof out), 0);
    CHECK_CONTAINS(out, "motion info");
    CHECK_EQ_INT(lfd_test_run_lfd("--version", out, sizeof out), 0);
    CHECK_CONTAINS(out, "lfd 0.");
    CHECK_EQ_INT(lfd_test_run_lfd("no-such-command", out, sizeof out), 2);
    CHECK_CONTAINS(out, "unknown command 'no-such-command'");
    CHECK_EQ_INT(lfd_test_run_lfd("motion info --bogus x", out, sizeof out), 2);
    CHECK_CONTAINS(out, "unknown option '--bogus'");
    CHECK_EQ_INT(lfd_test_run_lfd("motion info", out, sizeof out), 2);
    CHECK_CONTAINS(out, "missing argument");
    CHECK_EQ_INT(lfd_test_run_lfd("motion convert a.csv b.lfdm --fps abc", out, sizeof out), 2);
    CHECK_CONTAINS(out, "--fps needs a number");
    CHECK_EQ_INT(lfd_test_run_lfd("motion", out, sizeof out), 0);
    CHECK_CONTAINS(out, "motion convert");
    CHECK_EQ_INT(lfd_test_run_lfd("motion frobnicate", out, sizeof out), 2);
}

/* every command listed by `lfd --help` answers --help with exit 0 */
TEST(cli_every_command_has_help)
{
    CHECK_EQ_INT(lfd_test_run_lfd("--help", out, sizeof out), 0);
    char *p = strstr(out, "commands:\n");
    CHECK(p != NULL);
    if (!p)
        return;
    p += strlen("commands:\n");
    int n = 0;
    while (*p == ' ') {
        char name[64] = "";
        /* a name is one or two words separated by single spaces, then 2+ spaces */
        const char *s = p + 2;
        const char *e = strstr(s, "  ");
        if (!e || (size_t)(e - s) >= sizeof name)
            break;
        memcpy(name, s, (size_t)(e - s));
        char args[128], help[1 << 14];
        snprintf(args, sizeof args, "%s --help", name);
        int rc = lfd_test_run_lfd(args, help, sizeof help);
        if (rc != 0)
            lfd_test_fail_at(__FILE__, __LINE__, "'lfd %s' exit %d: %s", args, rc, help);
        CHECK_CONTAINS(help, "usage: lfd");
        n++;
        p = strchr(p, '\n');
        if (!p)
            break;
        p++;
    }
    CHECK(n >= 2);
}

TEST(cli_motion_convert_and_info)
{
    const char *dir = lfd_test_tmpdir();
    lfd_motion m;
    lfd_err err = {0};
    CHECK_OK(lfd_motion_alloc(&m, 20, 1, 3, 0, &err), &err);
    m.fps = 50;
    snprintf(m.robot, sizeof m.robot, "toy");
    for (int j = 0; j < 3; j++)
        snprintf(m.joint_names[j], LFD_NAME_MAX, "j%d", j);
    for (int f = 0; f < 20; f++) {
        double *q = lfd_motion_frame(&m, f);
        q[0] = 0.1 * f;
        q[2] = 1.0;
        q[7] = 0.01 * f;
        q[9] = -0.5;
    }
    char a[512], csv[512], b[512], args[2048];
    snprintf(a, sizeof a, "%s/a.lfdm", dir);
    snprintf(csv, sizeof csv, "%s/a.csv", dir);
    snprintf(b, sizeof b, "%s/b.lfdm", dir);
    CHECK_OK(lfd_motion_write(&m, a, &err), &err);
    snprintf(args, sizeof args, "motion convert %s %s", a, csv);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    snprintf(args, sizeof args, "motion convert %s %s", csv, b);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 2);
    CHECK_CONTAINS(out, "--fps");
    snprintf(args, sizeof args, "motion convert %s %s --fps 50 --robot toy", csv, b);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    lfd_motion back;
    CHECK_OK(lfd_motion_read(&back, b, &err), &err);
    CHECK_EQ_INT(back.nframes, 20);
    CHECK_STR(back.robot, "toy");
    for (int i = 0; i < m.nframes * m.nq; i++)
        CHECK_NEAR(back.qpos[i], m.qpos[i], 1e-12);
    snprintf(args, sizeof args, "motion info %s", a);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    CHECK_CONTAINS(out, "20 at 50 fps");
    CHECK_CONTAINS(out, "horizontal path 1.900 m");
    snprintf(args, sizeof args, "motion info --json %s", a);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    CHECK_CONTAINS(out, "\"frames\": 20");
    /* a failed conversion leaves no output file behind */
    char bad[512], never[512];
    snprintf(bad, sizeof bad, "%s/bad.csv", dir);
    snprintf(never, sizeof never, "%s/never.lfdm", dir);
    FILE *fp = fopen(bad, "w");
    fputs("1,2,3\n", fp);
    fclose(fp);
    snprintf(args, sizeof args, "motion convert %s %s --fps 30", bad, never);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 2);
    CHECK(access(never, F_OK) != 0);
    lfd_motion_free(&back);
    lfd_motion_free(&m);
}

TEST(check_layers_passes_here_and_catches_violations)
{
    CHECK_EQ_INT(system("sh tests/check-layers.sh >/dev/null"), 0);
    const char *dir = lfd_test_tmpdir();
    char cmd[3 * 4096], script[PATH_MAX];
    CHECK(realpath("tests/check-layers.sh", script) != NULL);
    snprintf(cmd, sizeof cmd,
             "mkdir -p %s/t/core %s/t/sim && echo '#include \"sim/x.h\"' > %s/t/core/a.c && "
             "cd %s/t && sh %s >/dev/null 2>&1",
             dir, dir, dir, dir, script);
    CHECK(system(cmd) != 0);
    snprintf(cmd, sizeof cmd,
             "rm -f %s/t/core/a.c && echo '#include \"retarget/x.h\"' > %s/t/sim/a.c && "
             "cd %s/t && sh %s >/dev/null 2>&1",
             dir, dir, dir, script);
    CHECK(system(cmd) != 0);
    snprintf(cmd, sizeof cmd,
             "rm -f %s/t/sim/a.c && echo '#include \"core/x.h\"' > %s/t/sim/a.c && "
             "cd %s/t && sh %s >/dev/null 2>&1",
             dir, dir, dir, script);
    CHECK(system(cmd) == 0);
}
