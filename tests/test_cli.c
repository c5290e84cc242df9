/*  Tests of the `lfd` command itself: help, version, exit codes, and the
    motion commands end to end; and of `make check-layers`. */
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/lfd_io.h"
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
    CHECK_CONTAINS(out, "--in-fps needs a number");
    /* a command group without its subcommand is a usage error that lists them */
    CHECK_EQ_INT(lfd_test_run_lfd("motion", out, sizeof out), 2);
    CHECK_CONTAINS(out, "motion convert");
    CHECK_EQ_INT(lfd_test_run_lfd("motion --help", out, sizeof out), 0);
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
    CHECK_CONTAINS(out, "give --in-fps");
    /* a robot lfd cannot load is refused, and nothing is written */
    snprintf(args, sizeof args, "motion convert %s %s --in-fps 50 --robot toy", csv, b);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 2);
    CHECK(!lfd_file_exists(b));
    snprintf(args, sizeof args, "motion convert %s %s --in-fps 50", csv, b);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    lfd_motion back;
    CHECK_OK(lfd_motion_read(&back, b, &err), &err);
    CHECK_EQ_INT(back.nframes, 20);
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

/* ---- one meaning per flag name (issue 21) ----
   Every command's option table, read with `lfd CMD --help-options`, must
   keep each flag name to one meaning across all commands:
   - renamed spellings (fps, human-fps, output) exist only as warned aliases;
   - a long name has one value type everywhere (flag / text / integer / number);
   - a short letter stands for one long name everywhere;
   - the rate and output flags have their one meaning: --in-fps is the rate
     of a source and --out-fps the rate written (both HZ numbers), -o is
     always --out, a path;
   - an alias (an old spelling, warned when used, not in --help) names an
     option of its own command. */
typedef struct {
    char cmd[32], name[40], type[8], meta[40], help[160];
    char shrt;
} cli_opt_row;

static int cli_read_tables(cli_opt_row *rows, int max)
{
    static char list[1 << 15], tab[1 << 15];
    if (lfd_test_run_lfd("--help", list, sizeof list) != 0)
        return -1;
    char *p = strstr(list, "commands:\n");
    if (!p)
        return -1;
    p += strlen("commands:\n");
    int n = 0, ncmd = 0;
    while (*p == ' ') {
        char name[64] = "", args[128];
        const char *s = p + 2, *e = strstr(s, "  ");
        if (!e || (size_t)(e - s) >= sizeof name)
            break;
        memcpy(name, s, (size_t)(e - s));
        snprintf(args, sizeof args, "%s --help-options", name);
        if (lfd_test_run_lfd(args, tab, sizeof tab) != 0) {
            lfd_test_fail_at(__FILE__, __LINE__, "'lfd %s' failed: %s", args, tab);
            return -1;
        }
        ncmd++;
        /* its help text speaks the new vocabulary only */
        static char help[1 << 15];
        snprintf(args, sizeof args, "%s --help", name);
        lfd_test_run_lfd(args, help, sizeof help);
        static const char *old_words[] = {"--fps", "--human-fps", "--output"};
        for (size_t k = 0; k < sizeof old_words / sizeof old_words[0]; k++)
            if (strstr(help, old_words[k]))
                lfd_test_fail_at(__FILE__, __LINE__, "'lfd %s --help' still says %s", name,
                                 old_words[k]);
        for (char *line = strtok(tab, "\n"); line; line = strtok(NULL, "\n")) {
            char *f[7] = {0};
            int nf = 0;
            for (char *q = line; nf < 7; nf++) {
                f[nf] = q;
                char *t = nf < 6 ? strchr(q, '\t') : NULL;
                if (!t) {
                    nf++;
                    break;
                }
                *t = '\0';
                q = t + 1;
            }
            if (nf < 7 || strcmp(f[0], "opt") || n >= max)
                continue;
            cli_opt_row *r = &rows[n++];
            snprintf(r->cmd, sizeof r->cmd, "%s", f[1]);
            snprintf(r->name, sizeof r->name, "%s", f[2]);
            r->shrt = f[3][0] == '-' ? 0 : f[3][0];
            snprintf(r->type, sizeof r->type, "%s", strcmp(f[4], "strs") ? f[4] : "str");
            snprintf(r->meta, sizeof r->meta, "%s", f[5]);
            snprintf(r->help, sizeof r->help, "%s", f[6]);
        }
        p = strchr(p, '\n');
        if (!p)
            break;
        p++;
    }
    return ncmd > 10 ? n : -1;
}

/* Number of rule violations in rows[0..n), each reported by fail() when it
   is set (the test), counted only otherwise. */
static int cli_flag_meaning_violations(const cli_opt_row *rows, int n, int report)
{
    static const char *renamed[] = {"fps", "human-fps", "output"};
    int bad = 0;
#define VIOL(...)                                                                      \
    do {                                                                               \
        bad++;                                                                         \
        if (report)                                                                    \
            lfd_test_fail_at(__FILE__, __LINE__, __VA_ARGS__);                         \
    } while (0)
    for (int i = 0; i < n; i++) {
        const cli_opt_row *a = &rows[i];
        int alias = !strcmp(a->type, "alias");
        if (alias) {
            int found = 0;
            for (int j = 0; j < n; j++)
                if (!strcmp(rows[j].cmd, a->cmd) && !strcmp(rows[j].name, a->meta) &&
                    strcmp(rows[j].type, "alias"))
                    found = 1;
            if (!found)
                VIOL("lfd %s: alias --%s names no option --%s", a->cmd, a->name, a->meta);
            continue;
        }
        for (size_t k = 0; k < sizeof renamed / sizeof renamed[0]; k++)
            if (!strcmp(a->name, renamed[k]))
                VIOL("lfd %s has --%s: that spelling meant different things; use --in-fps, "
                     "--out-fps or --out (keep it as an alias)", a->cmd, a->name);
        if ((!strcmp(a->name, "in-fps") || !strcmp(a->name, "out-fps")) &&
            (strcmp(a->type, "double") || strcmp(a->meta, "HZ")))
            VIOL("lfd %s: --%s must be a rate (number, HZ), is %s %s", a->cmd, a->name, a->type,
                 a->meta);
        /* every command loads its robot with lfd_robot_load: a name or a path */
        if (!strcmp(a->name, "robot") && strcmp(a->meta, "NAME|PATH"))
            VIOL("lfd %s: --robot takes NAME|PATH (a built-in name, .robot or .xml path), says %s",
                 a->cmd, a->meta);
        if (a->shrt == 'o' && strcmp(a->name, "out"))
            VIOL("lfd %s: -o is --%s, not --out", a->cmd, a->name);
        if (!strcmp(a->name, "out") && strcmp(a->type, "str"))
            VIOL("lfd %s: --out must take a path", a->cmd);
        for (int j = i + 1; j < n; j++) {
            const cli_opt_row *b = &rows[j];
            if (!strcmp(b->type, "alias"))
                continue;
            if (!strcmp(a->name, b->name) && strcmp(a->type, b->type))
                VIOL("--%s is %s in lfd %s but %s in lfd %s", a->name, a->type, a->cmd, b->type,
                     b->cmd);
            if (a->shrt && a->shrt == b->shrt && strcmp(a->name, b->name))
                VIOL("-%c is --%s in lfd %s but --%s in lfd %s", a->shrt, a->name, a->cmd,
                     b->name, b->cmd);
        }
    }
#undef VIOL
    return bad;
}

TEST(cli_flag_names_mean_one_thing)
{
    static cli_opt_row rows[1024];
    int n = cli_read_tables(rows, 1024);
    CHECK(n > 100);
    if (n <= 100)
        return;
    cli_flag_meaning_violations(rows, n, 1);

    /* the rule can fail: the tables as they were (fps three ways, -o as
       --output, -e two ways) are caught */
    cli_opt_row old[5] = {
        {"retarget", "fps", "double", "HZ", "output frame rate", 0},
        {"qa", "fps", "double", "HZ", "frame rate for files that state none", 0},
        {"train", "output", "str", "POLICY.lfdp", "where to write the policy", 'o'},
        {"ctl-demo", "endpoint", "str", "ENDPOINT", "use a running lfd serve", 'e'},
        {"serve", "robot", "str", "NAME", "serve MOTION.lfdm files as playback policies", 0},
    };
    static cli_opt_row mix[1025];
    memcpy(mix, rows, (size_t)n * sizeof rows[0]);
    for (int k = 0; k < 5; k++) {
        mix[n] = old[k];
        if (cli_flag_meaning_violations(mix, n + 1, 0) == 0)
            lfd_test_fail_at(__FILE__, __LINE__, "old flag --%s of lfd %s not caught", old[k].name,
                             old[k].cmd);
    }

    /* the old spellings still work, with one warning line */
    CHECK_EQ_INT(lfd_test_run_lfd("motion convert a.csv b.lfdm --fps abc", out, sizeof out), 2);
    CHECK_CONTAINS(out, "--fps is deprecated, use --in-fps");
    CHECK_CONTAINS(out, "--in-fps needs a number");
    CHECK_EQ_INT(lfd_test_run_lfd("retarget x.bvh -r h1 -o y.lfdm --human-fps=zz", out, sizeof out), 2);
    CHECK_CONTAINS(out, "--human-fps is deprecated, use --in-fps");
    CHECK_EQ_INT(lfd_test_run_lfd("train --output", out, sizeof out), 2);
    CHECK_CONTAINS(out, "--output is deprecated, use --out");
    /* help lists the new names only */
    CHECK_EQ_INT(lfd_test_run_lfd("retarget --help", out, sizeof out), 0);
    CHECK_CONTAINS(out, "--out-fps HZ");
    CHECK_CONTAINS(out, "--in-fps HZ");
    CHECK(strstr(out, "--fps") == NULL && strstr(out, "--human-fps") == NULL);
}

/* ---- the README's command reference matches --help (issue 21) ----
   Every `lfd CMD ...` span in README.md and the docs/ pages names only flags that
   CMD's option table has (long or short), and a --robot placeholder is
   NAME|PATH, as every command takes (lfd_robot_load). */
static int cli_doc_violations(const char *text, const char *file, const cli_opt_row *rows, int n,
                              int report)
{
    int bad = 0;
    for (const char *p = strstr(text, "`lfd "); p; p = strstr(p + 1, "`lfd ")) {
        const char *e = strchr(p + 1, '`');
        if (!e)
            break;
        char span[600];
        snprintf(span, sizeof span, "%.*s", (int)(e - p - 1) < 599 ? (int)(e - p - 1) : 599, p + 1);
        /* the longest command name the span starts with */
        const char *cmd = NULL;
        size_t best = 0;
        for (int i = 0; i < n; i++) {
            size_t l = strlen(rows[i].cmd);
            if (l > best && !strncmp(span + 4, rows[i].cmd, l) && (span[4 + l] == ' ' || !span[4 + l]))
                cmd = rows[i].cmd, best = l;
        }
        if (!cmd)
            continue;
        char *save = NULL, *prev = NULL;
        for (char *t = strtok_r(span + 4 + best, " \n", &save); t; prev = t, t = strtok_r(NULL, " \n", &save)) {
            while (*t == '[' || *t == '(')
                t++;
            if (t[0] != '-' || !((t[1] >= 'a' && t[1] <= 'z') || t[1] == '-'))
                continue;
            char name[48];
            size_t l = strcspn(t, "=])|,.;");
            snprintf(name, sizeof name, "%.*s", (int)(l < 47 ? l : 47), t);
            int found = 0, is_robot = 0;
            for (int i = 0; i < n; i++) {
                if (strcmp(rows[i].cmd, cmd))
                    continue;
                if ((name[1] == '-' && !strcmp(rows[i].name, name + 2)) ||
                    (name[1] != '-' && !name[2] && rows[i].shrt == name[1]))
                    found = 1, is_robot = !strcmp(rows[i].name, "robot");
            }
            if (!found && strcmp(name, "--help")) {
                bad++;
                if (report)
                    lfd_test_fail_at(__FILE__, __LINE__, "%s: `%.*s`: lfd %s has no %s", file, (int)(e - p - 1), p + 1,
                                     cmd, name);
            }
            if (is_robot) {
                char *v = strtok_r(NULL, " \n", &save);
                if (v && (!strncmp(v, "NAME", 4) && strncmp(v, "NAME|PATH", 9))) {
                    bad++;
                    if (report)
                        lfd_test_fail_at(__FILE__, __LINE__, "%s: `%.*s`: --robot %s (lfd %s takes NAME|PATH)",
                                         file, (int)(e - p - 1), p + 1, v, cmd);
                }
                prev = v;
                if (!v)
                    break;
            }
        }
        (void)prev;
    }
    return bad;
}

TEST(cli_readme_matches_help)
{
    static cli_opt_row rows[1024];
    int n = cli_read_tables(rows, 1024);
    CHECK(n > 100);
    if (n <= 100)
        return;
    static const char *files[] = {"README.md", "docs/batch.md", "docs/check.md", "docs/ingest.md",
                                  "docs/lineage.md", "docs/policies.md", "docs/protocol.md",
                                  "docs/retarget.md", "docs/robots.md", "docs/serve.md"};
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        uint8_t *text = NULL;
        size_t len = 0;
        lfd_err err = {0};
        CHECK_OK(lfd_file_read(files[f], 1 << 22, &text, &len, &err), &err);
        if (text)
            cli_doc_violations((const char *)text, files[f], rows, n, 1);
        free(text);
    }
    /* the rule can fail: the help as it was */
    CHECK_EQ_INT(cli_doc_violations("`lfd ctl-demo --robot NAME --motion M.lfdm`", "x", rows, n, 0), 1);
    CHECK_EQ_INT(cli_doc_violations("`lfd serve M.lfdm --robot NAME|PATH --no-such-flag`", "x", rows, n, 0), 1);
    CHECK_EQ_INT(cli_doc_violations("`lfd retarget a.bvh -r h1 -o out/ --out-fps 30`", "x", rows, n, 0), 0);
}
