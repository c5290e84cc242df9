/*  The `lfd` command's guards on what it is given, before any work: an
    output that is an input, an extension the command does not write, one
    file named for several inputs, numbers out of range, a missing output
    folder, a folder or a human recording where a motion is read, a command
    group without its subcommand, CSV's unstated rate, --robot that does not
    load, and `check --fix` with nothing to fix.  Exit 2 and nothing written
    for each refusal (README, "The `lfd` command").  All data is made here
    (lfd human synth / lfd motion synth), so the tests always run. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/lfd_io.h"
#include "core/lfd_motion.h"
#include "tests/lfd_test.h"
#include "tests/serve_helpers.h"

static char out[1 << 17];

/* runs lfd with printf-style arguments into out; returns the exit code */
#define g_run(...) lfd_test_run_lfdf(out, sizeof out, __VA_ARGS__)

/* the first bytes of a file ("" when it cannot be read) */
static void head(const char *path, char *buf, size_t n)
{
    buf[0] = '\0';
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return;
    size_t k = fread(buf, 1, n - 1, fp);
    buf[k] = '\0';
    fclose(fp);
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* a 2 s standing person as BVH, and a 2 s h1 motion, in dir */
static void make_inputs(const char *dir, char *bvh, char *lfdm)
{
    sprintf(bvh, "%s/stand.bvh", dir);
    sprintf(lfdm, "%s/h1.lfdm", dir);
    CHECK_EQ_INT(g_run("human synth --task stand --seconds 2 -o %s", bvh), 0);
    CHECK_EQ_INT(g_run("motion synth --robot h1 --seconds 2 -o %s", lfdm), 0);
}

/* 1. An output that is an input is refused, with nothing written: before,
   `retarget mx.bvh -o mx.bvh` replaced the recording with a motion file. */
TEST(cli_guards_output_is_never_an_input)
{
    const char *dir = lfd_test_tmpdir();
    char bvh[1024], lfdm[1024], p[1024], link_path[1024], buf[64];
    make_inputs(dir, bvh, lfdm);
    CHECK_EQ_INT(g_run("retarget %s --robot g1 -o %s", bvh, bvh), 2);
    head(bvh, buf, sizeof buf);
    CHECK(!strncmp(buf, "HIERARCHY", 9));
    /* a hard link is the same file under another name */
    sprintf(link_path, "%s/same.lfdm", dir);
    CHECK_EQ_INT(link(lfdm, link_path), 0);
    CHECK_EQ_INT(g_run("motion convert %s %s", lfdm, link_path), 2);
    CHECK_CONTAINS(out, "would replace the input");
    CHECK_EQ_INT(g_run("motion convert %s %s", lfdm, lfdm), 2);
    CHECK_CONTAINS(out, "would replace the input");
    /* check --fix and train write over no input either */
    CHECK_EQ_INT(g_run("check %s --robot h1 --fix -o %s", lfdm, link_path), 2);
    CHECK_CONTAINS(out, "would replace the input");
    CHECK_EQ_INT(g_run("train %s --robot h1 -o %s", lfdm, lfdm), 2);
    CHECK_CONTAINS(out, "would replace the input");
    /* nor policy import over its weights (it replaced them: found by
       review); the guard comes before the file is read */
    char st[1100];
    snprintf(st, sizeof st, "%s/w.safetensors", dir);
    FILE *wf = fopen(st, "w");
    if (wf) {
        fputs("weights", wf);
        fclose(wf);
    }
    CHECK_EQ_INT(g_run("policy import %s --robot h1 --layers net.0 --no-people -o %s/./w.safetensors", st, dir), 2);
    CHECK_CONTAINS(out, "would replace the input");
    head(st, buf, sizeof buf);
    CHECK(!strncmp(buf, "weights", 7));
    lfd_motion m;
    lfd_err err = {0};
    CHECK_OK(lfd_motion_read(&m, lfdm, &err), &err);
    lfd_motion_free(&m);
    /* robot init does not draft over its MJCF, even with --force */
    sprintf(p, "%s/model.xml", dir);
    CHECK_OK(lfd_file_write_atomic(p, "<mujoco/>\n", 10, &err), &err);
    CHECK_EQ_INT(g_run("robot init %s -o %s --force", p, p), 2);
    head(p, buf, sizeof buf);
    CHECK_STR(buf, "<mujoco/>\n");
    /* extensions the command does not write: refused, not msgpack in a .txt */
    sprintf(p, "%s/out.txt", dir);
    CHECK_EQ_INT(g_run("retarget %s --robot g1 -o %s", bvh, p), 2);
    CHECK_CONTAINS(out, ".lfdm");
    CHECK(!exists(p));
    sprintf(p, "%s/out.bvh", dir);
    CHECK_EQ_INT(g_run("motion convert %s %s", lfdm, p), 2);
    CHECK(!exists(p));
}

/* 2. --strict exits 1 when lfd check on the written motion fails (a walk
   played 2.5x as fast asks G1's ankles more than their torque), and says so;
   without --strict the exit is 0 and --help says the check does not set it. */
TEST(cli_guards_retarget_strict_fails_on_a_failing_check)
{
    if (lfd_test_under_valgrind())
        SKIP("retargets a clip and probes its slow-downs: too slow under Valgrind");
    const char *dir = lfd_test_tmpdir();
    char bvh[1024], mo[1024];
    sprintf(bvh, "%s/walk.bvh", dir);
    sprintf(mo, "%s/walk.lfdm", dir);
    CHECK_EQ_INT(g_run("human synth --task walk --seconds 3 -o %s", bvh), 0);
    /* the same frames, 2.5 times as fast */
    size_t n = 0;
    uint8_t *data = NULL;
    lfd_err err = {0};
    CHECK_OK(lfd_file_read(bvh, 1 << 24, &data, &n, &err), &err);
    char *ft = data ? strstr((char *)data, "Frame Time:") : NULL;
    CHECK(ft != NULL);
    if (!ft) {
        free(data);
        return;
    }
    char *eol = strchr(ft, '\n');
    FILE *fp = fopen(bvh, "wb");
    fwrite(data, 1, (size_t)(ft - (char *)data), fp);
    fputs("Frame Time: 0.00333333", fp);
    fwrite(eol, 1, n - (size_t)(eol - (char *)data), fp);
    fclose(fp);
    free(data);
    CHECK_EQ_INT(g_run("retarget %s --robot g1 -o %s --jobs 1 --strict", bvh, mo), 1);
    CHECK_CONTAINS(out, "lfd check on the written motion: fail");
    CHECK_CONTAINS(out, "--strict: walk.bvh: lfd check on the written motion");
    CHECK(exists(mo));
    CHECK_EQ_INT(g_run("retarget --help"), 0);
    CHECK_CONTAINS(out, "fails (without --strict both are printed and the exit is 0)");
}

/* 3. Several inputs and -o naming one file: refused, no folder of that name. */
TEST(cli_guards_retarget_several_inputs_need_a_folder)
{
    const char *dir = lfd_test_tmpdir();
    char bvh[1024], lfdm[1024], p[1024];
    make_inputs(dir, bvh, lfdm);
    sprintf(p, "%s/multi.lfdm", dir);
    CHECK_EQ_INT(g_run("retarget %s %s --robot g1 -o %s", bvh, bvh, p), 2);
    CHECK_CONTAINS(out, "names one file but 2 inputs were given");
    CHECK(!exists(p));
    sprintf(p, "%s/multi.csv", dir);
    CHECK_EQ_INT(g_run("retarget %s %s --robot g1 -o %s", bvh, bvh, p), 2);
    CHECK(!exists(p));
}

/* 4. Numbers out of range are refused by flag, value and range (before:
   --smooth -3, --out-fps 0, --every 0, --seconds -2 ... ran silently). */
TEST(cli_guards_numbers_out_of_range)
{
    const char *dir = lfd_test_tmpdir();
    char bvh[1024], lfdm[1024], p[1024];
    make_inputs(dir, bvh, lfdm);
    sprintf(p, "%s/never.lfdm", dir);
    static const struct {
        const char *args, *said;
    } bad[] = {
        {"--smooth -3", "--smooth -3 is out of range"},
        {"--smooth nan", "--smooth nan is out of range"},
        {"--out-fps 0", "--out-fps 0 is out of range"},
        {"--out-fps -5", "--out-fps -5 is out of range"},
        {"--out-fps nan", "--out-fps nan is out of range"},
        {"--fps 0", "--out-fps 0 is out of range"}, /* the old spelling too */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_EQ_INT(g_run("retarget %s --robot g1 -o %s %s", bvh, p, bad[i].args), 2);
        CHECK_CONTAINS(out, bad[i].said);
        CHECK(!exists(p));
    }
    sprintf(p, "%s/frames", dir);
    CHECK_EQ_INT(g_run("replay %s --robot h1 -o %s --every 0", lfdm, p), 2);
    CHECK_CONTAINS(out, "--every 0 is out of range: 1 or more");
    CHECK_EQ_INT(g_run("replay %s --robot h1 -o %s --max-frames 0", lfdm, p), 2);
    CHECK_CONTAINS(out, "--max-frames 0 is out of range");
    /* a motion CSV: said so, with the command that converts it (it said
       "not an lfd motion file, or truncated": found by review) */
    char csvp[1100];
    snprintf(csvp, sizeof csvp, "%s/walk.csv", dir);
    CHECK_EQ_INT(g_run("replay %s --robot h1 -o %s", csvp, p), 2);
    CHECK_CONTAINS(out, "is a motion CSV");
    CHECK_CONTAINS(out, "lfd motion convert");
    CHECK(!exists(p));
    sprintf(p, "%s/never.bvh", dir);
    CHECK_EQ_INT(g_run("human synth --task stand --seconds -2 -o %s", p), 2);
    CHECK_CONTAINS(out, "--seconds -2 is out of range");
    CHECK_EQ_INT(g_run("human synth --task stand --body-height 0 -o %s", p), 2);
    CHECK_CONTAINS(out, "--body-height 0 is out of range: 0.5 to 2.5 m");
    CHECK(!exists(p));
    /* it writes BVH: x.csv would later read as a keypoint CSV */
    sprintf(p, "%s/never.csv", dir);
    CHECK_EQ_INT(g_run("human synth --task stand -o %s", p), 2);
    CHECK_CONTAINS(out, "writes BVH");
    CHECK(!exists(p));
    sprintf(p, "%s/never2.lfdm", dir);
    CHECK_EQ_INT(g_run("motion synth --robot h1 -o %s --seconds 0", p), 2);
    CHECK_CONTAINS(out, "--seconds 0 is out of range");
    CHECK(!exists(p));
}

/* 5. A missing output folder is said before the work, naming the path. */
TEST(cli_guards_output_folder_must_exist)
{
    const char *dir = lfd_test_tmpdir();
    char bvh[1024], lfdm[1024], p[1024], notdir[1100];
    make_inputs(dir, bvh, lfdm);
    sprintf(p, "%s/none/x.lfdm", dir);
    CHECK_EQ_INT(g_run("retarget %s --robot g1 -o %s", bvh, p), 2);
    CHECK_CONTAINS(out, "does not exist");
    CHECK_CONTAINS(out, p);
    CHECK(strstr(out, "lfd check on the written motion") == NULL); /* no work was done */
    sprintf(p, "%s/none/p.lfdp", dir);
    CHECK_EQ_INT(g_run("train %s --robot h1 -o %s", lfdm, p), 2);
    CHECK_CONTAINS(out, "does not exist");
    CHECK(strstr(out, "epoch") == NULL);
    sprintf(p, "%s/none/p.svg", dir);
    CHECK_EQ_INT(g_run("check %s --robot h1 --plot %s", lfdm, p), 2);
    CHECK_CONTAINS(out, "does not exist");
    /* -o and --plot spelled differently for one file (compared as strings
       before: the plot was written, then replaced by the motion; found by
       review) */
    CHECK_EQ_INT(g_run("check %s --robot h1 --fix -o %s/same.lfdm --plot %s/./same.lfdm", lfdm, dir, dir), 2);
    CHECK_CONTAINS(out, "name the same file");
    sprintf(p, "%s/none/h1.robot", dir);
    CHECK_EQ_INT(g_run("robot init robots/h1/h1.xml -o %s", p), 2);
    CHECK_CONTAINS(out, "does not exist");
    /* a file where the folder should be */
    snprintf(notdir, sizeof notdir, "%s/x.lfdm", lfdm);
    CHECK_EQ_INT(g_run("motion convert %s %s", lfdm, notdir), 2);
    CHECK_CONTAINS(out, "is not a folder");
}

/* 6. lfd demo checks its arguments before it makes the run folder. */
TEST(cli_guards_demo_refuses_before_the_run_folder)
{
    char p[1024];
    sprintf(p, "%s/dd2", lfd_test_tmpdir());
    CHECK_EQ_INT(g_run("demo --seconds 0.5 -o %s", p), 2);
    CHECK_CONTAINS(out, "--seconds 0.5");
    CHECK(!exists(p));
    CHECK_EQ_INT(g_run("demo --robot no-such-robot -o %s", p), 2);
    CHECK(!exists(p));
}

/* 7. A folder is said to be a folder; a BVH given to check is named once,
   with the hint to retarget it. */
TEST(cli_guards_messages_name_what_the_input_is)
{
    const char *dir = lfd_test_tmpdir();
    char bvh[1024], lfdm[1024], p[1024], twice[2100];
    make_inputs(dir, bvh, lfdm);
    sprintf(p, "%s/x.lfdm", dir);
    CHECK_EQ_INT(g_run("retarget %s --robot g1 -o %s", dir, p), 2);
    CHECK_CONTAINS(out, "is a folder");
    CHECK_CONTAINS(out, "/*.bvh");
    CHECK(!exists(p));
    CHECK_EQ_INT(g_run("check %s --robot g1", bvh), 2);
    CHECK_CONTAINS(out, "retarget it first");
    snprintf(twice, sizeof twice, "%s: %s", bvh, bvh);
    CHECK(strstr(out, twice) == NULL);
    CHECK_EQ_INT(g_run("motion info %s", bvh), 2);
    CHECK_CONTAINS(out, "retarget it first");
    CHECK_EQ_INT(g_run("check %s --robot g1", dir), 2);
    CHECK_CONTAINS(out, "is a folder");
}

/* 8. A command group alone is a usage error (exit 2), its list on stderr;
   `lfd motion --help` lists it on stdout with exit 0. */
TEST(cli_guards_group_without_subcommand)
{
    CHECK_EQ_INT(g_run("motion"), 2);
    CHECK_CONTAINS(out, "lfd motion convert");
    CHECK_EQ_INT(g_run("human"), 2);
    CHECK_CONTAINS(out, "lfd human synth");
    CHECK_EQ_INT(g_run("motion --help"), 0);
    CHECK_CONTAINS(out, "lfd motion info");
    /* the list goes to stderr: stdout alone is empty */
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s motion 2>/dev/null", lfd_test_lfd_bin());
    FILE *fp = popen(cmd, "r");
    size_t n = fp ? fread(out, 1, sizeof out - 1, fp) : 1;
    int st = fp ? pclose(fp) : -1;
    CHECK_EQ_INT(n, 0);
    CHECK_EQ_INT(WIFEXITED(st) ? WEXITSTATUS(st) : -1, 2);
}

/* 9. CSV states no rate: check and motion info say the 30 fps they assume,
   and how to state it; with --in-fps, no note. */
TEST(cli_guards_csv_rate_assumed_is_said)
{
    const char *dir = lfd_test_tmpdir();
    char bvh[1024], lfdm[1024], csv[1024];
    make_inputs(dir, bvh, lfdm);
    sprintf(csv, "%s/h1.csv", dir);
    CHECK_EQ_INT(g_run("motion convert %s %s", lfdm, csv), 0);
    int rc = g_run("check %s --robot h1", csv);
    CHECK(rc == 0 || rc == 1);
    CHECK_CONTAINS(out, "CSV states no frame rate: 30 fps assumed (give --in-fps HZ)");
    CHECK_EQ_INT(g_run("motion info %s", csv), 0);
    CHECK_CONTAINS(out, "30 fps assumed (give --in-fps HZ)");
    CHECK_EQ_INT(g_run("motion info %s --in-fps 50", csv), 0);
    CHECK(strstr(out, "fps assumed") == NULL);
    CHECK_CONTAINS(out, "at 50 fps");
}

/* 10. motion convert --robot must load and fit; on a motion file it is
   applied only to a motion of that robot (or of none). */
TEST(cli_guards_motion_convert_robot_is_validated)
{
    const char *dir = lfd_test_tmpdir();
    char bvh[1024], lfdm[1024], csv[1024], p[1024];
    make_inputs(dir, bvh, lfdm);
    sprintf(csv, "%s/h1.csv", dir);
    sprintf(p, "%s/r.lfdm", dir);
    CHECK_EQ_INT(g_run("motion convert %s %s", lfdm, csv), 0);
    CHECK_EQ_INT(g_run("motion convert %s %s --in-fps 30 --robot foo", csv, p), 2);
    CHECK_CONTAINS(out, "--robot foo");
    CHECK(!exists(p));
    CHECK_EQ_INT(g_run("motion convert %s %s --robot g1", lfdm, p), 2);
    CHECK_CONTAINS(out, "not 'g1'");
    CHECK(!exists(p));
    /* a motion with no robot (CSV read without --robot) takes one that fits */
    char bare[1024];
    sprintf(bare, "%s/bare.lfdm", dir);
    CHECK_EQ_INT(g_run("motion convert %s %s --in-fps 30", csv, bare), 0);
    CHECK_EQ_INT(g_run("motion convert %s %s --robot g1", bare, p), 2); /* 19 joints, not 29 */
    CHECK(!exists(p));
    CHECK_EQ_INT(g_run("motion convert %s %s --robot h1", bare, p), 0);
    lfd_motion m;
    lfd_err err = {0};
    CHECK_OK(lfd_motion_read(&m, p, &err), &err);
    CHECK_STR(m.robot, "h1");
    CHECK(m.model_hash[0] != '\0');
    lfd_motion_free(&m);
}

/* 11. check --fix with nothing to change says so and writes OUT as the
   motion came: an OUT left from an earlier run must not stay behind for
   `check --fix -o OUT && play OUT` to play (it did until 2026-12-07: found
   by review). */
TEST(cli_guards_check_fix_without_changes_writes_the_motion_unchanged)
{
    const char *dir = lfd_test_tmpdir();
    char bvh[1024], lfdm[1024], p[1024];
    make_inputs(dir, bvh, lfdm);
    sprintf(p, "%s/fixed.lfdm", dir);
    int verdict = g_run("check %s --robot h1", lfdm);
    CHECK(verdict == 0 || verdict == 1);
    FILE *stale = fopen(p, "w"); /* from an earlier run */
    if (stale) {
        fputs("another motion", stale);
        fclose(stale);
    }
    int rc = g_run("check %s --robot h1 --fix -o %s", lfdm, p);
    if (strstr(out, "changed:"))
        SKIP("the synthetic motion has something --fix repairs");
    CHECK_EQ_INT(rc, verdict);
    CHECK_CONTAINS(out, "nothing to fix: ");
    lfd_motion a = {0}, b = {0};
    lfd_err err = {0};
    CHECK_OK(lfd_motion_read(&a, lfdm, &err), &err);
    CHECK_OK(lfd_motion_read(&b, p, &err), &err);
    CHECK(a.nframes == b.nframes && a.nq == b.nq &&
          !memcmp(a.qpos, b.qpos, (size_t)a.nframes * (size_t)a.nq * sizeof(double)));
    lfd_motion_free(&a);
    lfd_motion_free(&b);
}

/* lfd retarget: --time-scale auto with --upper-body is refused (no slow-down
   is probed there: the option did nothing, and the report said "the
   torques do not fit slowed down up to 2x" whatever they were), and with
   several inputs the table gives each file's check verdict (a failing check
   was printed nowhere).  Found by review. */
TEST(cli_guards_retarget_upper_body_time_scale_and_the_check_column)
{
    const char *dir = lfd_test_tmpdir();
    char bvh[1024], lfdm[1024], b2[1100];
    make_inputs(dir, bvh, lfdm);
    CHECK_EQ_INT(g_run("retarget %s --robot g1 --upper-body --time-scale auto -o %s/u.lfdm", bvh, dir), 2);
    CHECK_CONTAINS(out, "--upper-body");
    /* lfd serve: a bind no controller could reach is refused before any
       policy loads (a port past 65535 listened on its low 16 bits; inproc
       is this process's only: found by review) */
    CHECK_EQ_INT(g_run("serve %s/none.lfdp --robot h1 --bind tcp://127.0.0.1:99999", dir), 2);
    CHECK_CONTAINS(out, "the port must be 0 to 65535");
    CHECK_EQ_INT(g_run("serve %s/none.lfdp --robot h1 --bind inproc://lfd", dir), 2);
    CHECK_CONTAINS(out, "inproc");
    /* an unknown --preset is refused for a BVH too (it was taken silently) */
    CHECK_EQ_INT(g_run("retarget %s --robot g1 --preset nosuch -o %s/u.lfdm", bvh, dir), 2);
    CHECK_CONTAINS(out, "unknown preset 'nosuch'");
    CHECK_EQ_INT(g_run("qa %s --preset nosuch", bvh), 2);
    CHECK_EQ_INT(g_run("human info %s --preset nosuch", bvh), 2);
    CHECK_EQ_INT(g_run("retarget %s --robot g1 --upper-body -o %s/u.lfdm", bvh, dir), 0);
    CHECK(strstr(out, "do not fit slowed down") == NULL);
    snprintf(b2, sizeof b2, "%s/stand2.bvh", dir);
    CHECK_EQ_INT(g_run("human synth --task wipe --seconds 2 -o %s", b2), 0);
    CHECK_EQ_INT(g_run("retarget %s %s --robot g1 -o %s/multi", bvh, b2, dir), 0);
    CHECK_CONTAINS(out, "  check\n");
    /* the row of each file ends with its verdict */
    const char *row = strstr(out, "\nstand.bvh "), *eol = row ? strchr(row + 1, '\n') : NULL;
    CHECK(row && eol);
    if (row && eol) {
        char line[512];
        snprintf(line, sizeof line, "%.*s", (int)(eol - row - 1), row + 1);
        CHECK(strstr(line, "  pass") || strstr(line, "  warn") || strstr(line, "  fail"));
    }
}

/* train, eval, ctl-demo and demo refuse numbers out of range before any
   work (found by review: train replaced them by its defaults, eval's --extra
   nan read "out of memory", ctl-demo took a negative --seconds as the
   motion's length and checked --hz only once its server ran, demo --demos 2
   failed after five stages), eval counts a file given twice once, and
   ctl-demo exits 1 when the robot falls. */
TEST(cli_guards_train_eval_ctl_demo_numbers)
{
    const char *dir = lfd_test_tmpdir();
    char bvh[1024], lfdm[1024];
    make_inputs(dir, bvh, lfdm);
    static const char *bad[] = {"--epochs 0", "--batch -5", "--lr nan", "--val-frac 1", "--threads -3",
                                "--noise-q inf", "--chunk 0", "--period 0"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_EQ_INT(g_run("train %s --robot h1 --no-people -o %s/q.lfdp %s", lfdm, dir, bad[i]), 2);
        CHECK_CONTAINS(out, "is out of range");
    }
    CHECK_EQ_INT(g_run("eval %s/none.lfdp %s --extra nan", dir, lfdm), 2);
    CHECK_CONTAINS(out, "--extra nan is out of range");
    CHECK_EQ_INT(g_run("eval %s/none.lfdp %s %s", dir, lfdm, lfdm), 2);
    CHECK_CONTAINS(out, "is given twice");
    CHECK_EQ_INT(g_run("ctl-demo --robot h1 --motion %s --seconds -2", lfdm), 2);
    CHECK_CONTAINS(out, "--seconds -2 is out of range");
    CHECK_EQ_INT(g_run("ctl-demo --robot h1 --motion %s --hz 0", lfdm), 2);
    CHECK(strstr(out, "serving") == NULL); /* refused before the server ran */
    CHECK_EQ_INT(g_run("demo --quick -o %s/dm --demos 2", dir), 2);
    CHECK_CONTAINS(out, "--demos 2 is out of range");
}

/* The old spelling --output works wherever -o/--out does, with the one-line
   deprecation warning (README, "The `lfd` command"): only train, motion synth
   and policy import took it; retarget, check --fix, replay, qa, human synth,
   robot init, demo, report and batch said "unknown option '--output'". */
TEST(cli_guards_output_is_the_old_out_everywhere)
{
    const char *dir = lfd_test_tmpdir();
    char bvh[1024], lfdm[1024], fixed[1024];
    sprintf(bvh, "%s/stand.bvh", dir);
    sprintf(lfdm, "%s/stand.lfdm", dir);
    sprintf(fixed, "%s/stand.fixed.lfdm", dir);
    CHECK_EQ_INT(g_run("human synth --task stand --seconds 2 --output %s", bvh), 0);
    CHECK_CONTAINS(out, "lfd human synth: --output is deprecated, use --out");
    CHECK(exists(bvh));
    CHECK_EQ_INT(g_run("retarget %s --robot g1 --output %s", bvh, lfdm), 0);
    CHECK_CONTAINS(out, "lfd retarget: --output is deprecated, use --out");
    CHECK(exists(lfdm));
    int rc = g_run("check %s --robot g1 --fix --output=%s", lfdm, fixed);
    CHECK(rc == 0 || rc == 1);
    CHECK_CONTAINS(out, "lfd check: --output is deprecated, use --out");
    CHECK(exists(fixed));
    /* the others: the alias reaches --out (which then wants its value) */
    static const char *cmds[] = {"replay", "qa", "robot init", "demo", "report", "batch", "train",
                                 "motion synth", "policy import"};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        CHECK_EQ_INT(g_run("%s --output", cmds[i]), 2);
        char want[128];
        snprintf(want, sizeof want, "lfd %s: --output is deprecated, use --out", cmds[i]);
        CHECK_CONTAINS(out, want);
        CHECK_CONTAINS(out, "--out needs a value");
    }
    /* a command without --out still refuses it */
    CHECK_EQ_INT(g_run("serve --output x"), 2);
    CHECK_CONTAINS(out, "unknown option '--output'");
}

/* `robot init` reads an MJCF; given a .robot description (what it writes) it
   says so up front, and the file is left as it was.  Before it said "is the
   input: writing it would replace the input", or with -o "MuJoCo cannot load
   it: XML parse error". */
TEST(cli_guards_robot_init_refuses_a_robot_file)
{
    const char *dir = lfd_test_tmpdir();
    char desc[1024], other[1024], buf[4096], was[4096];
    sprintf(desc, "%s/mine.robot", dir);
    sprintf(other, "%s/other.robot", dir);
    head("robots/h1/h1.robot", was, sizeof was);
    FILE *fp = fopen(desc, "wb");
    CHECK(fp != NULL);
    if (!fp)
        return;
    fputs(was, fp);
    fclose(fp);
    CHECK_EQ_INT(g_run("robot init %s", desc), 2);
    CHECK_CONTAINS(out, "lfd robot init: it reads an MJCF model (.xml); ");
    CHECK_CONTAINS(out, "mine.robot is what it writes");
    CHECK_EQ_INT(g_run("robot init %s -o %s", desc, other), 2);
    CHECK_CONTAINS(out, "mine.robot is what it writes");
    CHECK(!exists(other));
    CHECK_EQ_INT(g_run("robot init %s --force", desc), 2);
    CHECK_CONTAINS(out, "mine.robot is what it writes");
    head(desc, buf, sizeof buf);
    CHECK_STR(buf, was);
}

/* `lfd serve POLICY --robot g1` with a policy trained for h1: served
   (checked against h1, as the help says) but with a warning naming both
   robots; it was served without a word, and every g1 controller's hello was
   then refused. */
static void serve_log(const char *policy, const char *robot, const char *dir, const char *tag, char *log,
                      size_t n)
{
    char ep[1200], logpath[1200];
    snprintf(ep, sizeof ep, "ipc://%s/%s.ipc", dir, tag);
    snprintf(logpath, sizeof logpath, "%s/%s.log", dir, tag);
    const char *args[] = {"serve", policy, "--robot", robot, "--bind", ep, NULL};
    pid_t pid = th_spawn_lfd(args, logpath);
    CHECK(pid > 0);
    log[0] = '\0';
    /* until it listens (or has ended): 30 s at most */
    for (int i = 0; i < 600 && !strstr(log, "listening on"); i++) {
        if (waitpid(pid, NULL, WNOHANG) == pid) {
            pid = 0;
            break;
        }
        usleep(50000);
        head(logpath, log, n);
    }
    if (pid > 0)
        CHECK_EQ_INT(th_kill_wait(pid, SIGTERM), 0);
    head(logpath, log, n);
    CHECK_CONTAINS(log, "listening on");
}

TEST(cli_guards_serve_warns_of_a_policy_for_another_robot)
{
    const char *dir = lfd_test_tmpdir();
    char mo[1024], pol[1024], log[1 << 14];
    sprintf(mo, "%s/h1.lfdm", dir);
    sprintf(pol, "%s/h1.lfdp", dir);
    CHECK_EQ_INT(g_run("motion synth --robot h1 --seconds 3 -o %s", mo), 0);
    CHECK_EQ_INT(g_run("train %s --robot h1 -o %s -e 2 --no-people", mo, pol), 0);
    serve_log(pol, "g1", dir, "g1", log, sizeof log);
    CHECK_CONTAINS(log, "policy 'h1' (");
    CHECK_CONTAINS(log, "is for robot 'h1', not --robot g1 ('g1')");
    CHECK_CONTAINS(log, "a controller saying hello as 'g1' is refused");
    /* its own robot: no warning */
    serve_log(pol, "h1", dir, "h1", log, sizeof log);
    CHECK(strstr(log, "warning") == NULL);
}

/* ctl-demo against a server that never answers, without keys: the timeout
   points at CURVE (a server started with --curve drops a plain client's
   messages, and "no answer from ... within 1.000 s" was all it said). */
TEST(cli_guards_ctl_demo_timeout_names_the_curve_keys)
{
    const char *dir = lfd_test_tmpdir();
    CHECK_EQ_INT(g_run("ctl-demo --robot h1 --endpoint ipc://%s/nobody.ipc --policy p --seconds 1", dir), 2);
    CHECK_CONTAINS(out, "no answer from ipc://");
    CHECK_CONTAINS(out, "(a server started with --curve needs --server-key and --key)");
}

/* `lfd human info` on a BVH that `lfd human synth` wrote with 21 joints
   said "joints 26 from the source": it counted the 5 End Sites as joints. */
TEST(cli_guards_human_info_tells_end_sites_from_joints)
{
    const char *dir = lfd_test_tmpdir();
    char bvh[1024];
    sprintf(bvh, "%s/walk.bvh", dir);
    CHECK_EQ_INT(g_run("human synth --task walk --seconds 2 -o %s", bvh), 0);
    CHECK_CONTAINS(out, "21 joints");
    CHECK_EQ_INT(g_run("human info %s", bvh), 0);
    CHECK_CONTAINS(out, "joints        26 from the source (21 ROOT/JOINT, 5 End Sites), 0 virtual");
    CHECK_EQ_INT(g_run("human info %s --json", bvh), 0);
    CHECK_CONTAINS(out, "\"source_end_sites\": 5");
}

/* The test runner exits 2 when its filter names no test: `make test
   TESTS=typo` printed "0 passed, 0 failed" and exited 0, testing nothing
   (review). */
TEST(cli_guards_test_runner_refuses_a_filter_matching_nothing)
{
    char bin[1024], cmd[1400];
    snprintf(bin, sizeof bin, "%s", lfd_test_lfd_bin());
    char *slash = strrchr(bin, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(bin, sizeof bin, ".");
    snprintf(cmd, sizeof cmd, "LFD_TEST_TMP='%s' '%s/lfd_tests' no_test_is_named_like_this_xyz >/dev/null 2>&1",
             lfd_test_tmpdir(), bin);
    int st = system(cmd);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 2);
}
