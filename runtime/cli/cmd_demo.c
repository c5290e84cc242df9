/*  `lfd demo`: the whole pipeline on built-in defaults, into one run folder.

    Stages run in order and each prints one summary line with its figures.
    Stages that have not landed yet are listed as such, never faked. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/lfd_io.h"
#include "core/lfd_log.h"
#include "core/lfd_motion.h"
#include "core/lfd_quat.h"
#include "robots/lfd_robot.h"
#include "runtime/cli/lfd_cli.h"

static int run_demo(const lfd_cmd *cmd, int argc, char **argv)
{
    const char *out = NULL;
    lfd_opt opts[] = {{"out", 'o', LFD_OPT_STR, &out, "DIR",
                       "run folder (default runs/demo-<date>-<time>)"},
                      {0}};
    char **pos;
    int npos, rc;
    if ((rc = lfd_args_parse(cmd, opts, argc, argv, &pos, &npos, 0, 0)))
        return lfd_args_exit(rc);
    char dir[1024];
    if (out) {
        snprintf(dir, sizeof dir, "%s", out);
    } else {
        time_t t = time(NULL);
        struct tm tm;
        localtime_r(&t, &tm);
        strftime(dir, sizeof dir, "runs/demo-%Y%m%d-%H%M%S", &tm);
    }
    lfd_err err = {0};
    if ((rc = lfd_mkdir_p(dir, &err)))
        return lfd_cli_error(cmd, &err);
    double t0 = lfd_now_s();
    printf("lfd demo: run folder %s\n", dir);

    /* stage: a motion file written, read back and exported as CSV */
    lfd_motion m;
    if ((rc = lfd_motion_alloc(&m, 90, 1, 2, 0, &err)))
        return lfd_cli_error(cmd, &err);
    m.fps = 30;
    snprintf(m.robot, sizeof m.robot, "demo");
    snprintf(m.joint_names[0], LFD_NAME_MAX, "left_elbow");
    snprintf(m.joint_names[1], LFD_NAME_MAX, "right_elbow");
    for (int f = 0; f < m.nframes; f++) {
        double *q = lfd_motion_frame(&m, f);
        q[2] = 1.0;
        q[7] = 0.5 + 0.4 * sin(f / 10.0);
        q[8] = 0.5 - 0.4 * sin(f / 10.0);
    }
    char path[1200], csv[1200];
    snprintf(path, sizeof path, "%s/motion.lfdm", dir);
    snprintf(csv, sizeof csv, "%s/motion.csv", dir);
    lfd_motion back;
    if ((rc = lfd_motion_write(&m, path, &err)) || (rc = lfd_motion_read(&back, path, &err)) ||
        (rc = lfd_motion_write_csv(&back, csv, 0, &err))) {
        lfd_motion_free(&m);
        return lfd_cli_error(cmd, &err);
    }
    int same = !memcmp(m.qpos, back.qpos, (size_t)m.nframes * (size_t)m.nq * sizeof(double));
    printf("  motion file   %d frames written, read back %s, CSV export %s\n", back.nframes,
           same ? "bit-identical" : "DIFFERENT", csv);
    lfd_motion_free(&back);
    lfd_motion_free(&m);

    /* stage: the built-in robots load and cross-check against their descriptions */
    static char names[16][LFD_NAME_MAX];
    int nr = lfd_robot_list(names, 16, &err);
    if (nr < 0)
        return lfd_cli_error(cmd, &err);
    printf("  robots        ");
    for (int i = 0; i < nr; i++) {
        lfd_robot *r = NULL;
        if ((rc = lfd_robot_load(names[i], &r, &err)))
            return lfd_cli_error(cmd, &err);
        printf("%s%s (%d joints, %.1f kg)", i ? ", " : "", r->name, r->njoints, r->mass_kg);
        lfd_robot_free(&r);
    }
    printf("\n");
    printf("  not yet built: human demonstration, QA, retarget, check, train, serve, control\n");
    printf("lfd demo: done in %.2f s\n", lfd_now_s() - t0);
    return same ? LFD_EXIT_OK : LFD_EXIT_ERROR;
}

LFD_COMMAND(cmd_demo, "demo", "run the whole pipeline on built-in data into one run folder",
            "[-o DIR]", NULL, run_demo)
