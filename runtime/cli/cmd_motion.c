/*  `lfd motion info` and `lfd motion convert`: inspect and convert robot
    motion files (.lfdm) and Unitree/BeyondMimic-layout CSV. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/lfd_json.h"
#include "core/lfd_motion.h"
#include "core/lfd_util.h"
#include "robots/lfd_robot.h"
#include "runtime/cli/lfd_cli.h"

static void info_json(const char *path, const lfd_motion *m)
{
    lfd_jw jw;
    lfd_jw_init_file(&jw, stdout, 1);
    lfd_jw_obj_begin(&jw);
    lfd_jw_kstr(&jw, "file", path);
    lfd_jw_kstr(&jw, "robot", m->robot);
    lfd_jw_kstr(&jw, "model_hash", m->model_hash);
    lfd_jw_knum(&jw, "fps", m->fps);
    lfd_jw_kint(&jw, "frames", m->nframes);
    lfd_jw_knum(&jw, "duration_s", lfd_motion_duration_s(m));
    lfd_jw_kbool(&jw, "floating_base", m->floating);
    lfd_jw_kint(&jw, "nq", m->nq);
    lfd_jw_kbool(&jw, "has_qvel", m->qvel != NULL);
    /* nv is the width of the stored qvel: null (not 0) when there is none */
    lfd_jw_key(&jw, "nv");
    if (m->qvel)
        lfd_jw_int(&jw, m->nv);
    else
        lfd_jw_null(&jw);
    lfd_jw_key(&jw, "joints");
    lfd_jw_arr_begin(&jw);
    for (int j = 0; j < m->njoints; j++) {
        double lo = INFINITY, hi = -INFINITY;
        for (int f = 0; f < m->nframes; f++) {
            double v = lfd_motion_frame(m, f)[7 * m->floating + j];
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
        }
        lfd_jw_obj_begin(&jw);
        lfd_jw_kstr(&jw, "name", m->joint_names[j]);
        lfd_jw_knum(&jw, "min_rad", lo);
        lfd_jw_knum(&jw, "max_rad", hi);
        lfd_jw_obj_end(&jw);
    }
    lfd_jw_arr_end(&jw);
    lfd_jw_key(&jw, "provenance");
    lfd_prov_to_json(&m->prov, &jw, NULL);
    lfd_jw_obj_end(&jw);
    lfd_jw_finish(&jw);
}

static void info_text(const char *path, const lfd_motion *m)
{
    printf("file          %s\n", path);
    printf("robot         %s\n", m->robot[0] ? m->robot : "(not set)");
    printf("model hash    %s\n", m->model_hash[0] ? m->model_hash : "(not set)");
    printf("frames        %d at %g fps (%.3f s)\n", m->nframes, m->fps, lfd_motion_duration_s(m));
    printf("base          %s\n", m->floating ? "floating (root xyz + quaternion)" : "fixed");
    if (m->qvel)
        printf("nq / nv       %d / %d\n", m->nq, m->nv);
    else
        printf("nq / nv       %d / no qvel (the file stores positions only)\n", m->nq);
    if (m->floating) {
        double path_m = 0, zlo = INFINITY, zhi = -INFINITY;
        for (int f = 0; f < m->nframes; f++) {
            const double *q = lfd_motion_frame(m, f);
            if (f) {
                const double *p = lfd_motion_frame(m, f - 1);
                path_m += hypot(q[0] - p[0], q[1] - p[1]);
            }
            zlo = q[2] < zlo ? q[2] : zlo;
            zhi = q[2] > zhi ? q[2] : zhi;
        }
        printf("root          horizontal path %.3f m, height %.3f .. %.3f m\n", path_m, zlo, zhi);
    }
    printf("joints        %d\n", m->njoints);
    printf("  %-32s %10s %10s\n", "name", "min_rad", "max_rad");
    for (int j = 0; j < m->njoints; j++) {
        double lo = INFINITY, hi = -INFINITY;
        for (int f = 0; f < m->nframes; f++) {
            double v = lfd_motion_frame(m, f)[7 * m->floating + j];
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
        }
        printf("  %-32s %10.4f %10.4f\n", m->joint_names[j], lo, hi);
    }
    printf("provenance    %d keys\n", m->prov.n);
    if (m->prov.n) {
        lfd_jw jw;
        lfd_jw_init_file(&jw, stdout, 1);
        lfd_prov_to_json(&m->prov, &jw, NULL);
        lfd_jw_finish(&jw);
    }
}

/* A path a motion command cannot read, said before reading it: a folder, or
   a human recording (which needs retargeting first).  0, or the exit code
   after the message. */
static int refuse_non_motion(const lfd_cmd *cmd, const char *path)
{
    if (lfd_cli_is_dir(path))
        return lfd_cli_usage_error(cmd, "%s is a folder, not a motion file", path);
    if (lfd_cli_is_human_file(path))
        return lfd_cli_usage_error(cmd, "%s is a human recording, not a robot motion: retarget it "
                                        "first (lfd retarget %s --robot NAME -o OUT.lfdm)", path, path);
    return 0;
}

static int run_info(const lfd_cmd *cmd, int argc, char **argv)
{
    int json = 0;
    double fps = 0;
    int fixed = 0;
    lfd_opt opts[] = {
        {"json", 0, LFD_OPT_FLAG, &json, NULL, "print JSON instead of text"},
        {"in-fps", 0, LFD_OPT_DOUBLE, &fps, "HZ", "frame rate of a CSV input (CSV states none; without it 30 is assumed, with a note)"},
        {"fps", 0, LFD_OPT_ALIAS, NULL, "in-fps", NULL},
        {"fixed-base", 0, LFD_OPT_FLAG, &fixed, NULL, "CSV input has no root columns"},
        {0}};
    char **pos;
    int npos, rc;
    if ((rc = lfd_args_parse(cmd, opts, argc, argv, &pos, &npos, 1, 1)))
        return lfd_args_exit(rc);
    if (lfd_args_given("in-fps") && !(fps > 0 && fps <= 1000))
        return lfd_cli_range_error(cmd, "in-fps", fps, "above 0 up to 1000 Hz");
    if ((rc = refuse_non_motion(cmd, pos[0])))
        return rc;
    lfd_motion m;
    lfd_err err = {0};
    if (lfd_util_has_suffix(pos[0], ".csv")) {
        /* CSV states no rate: an assumed one is said, as README promises */
        if (!(fps > 0)) {
            fps = 30;
            fprintf(stderr, "lfd motion info: note: %s: CSV states no frame rate: 30 fps assumed "
                            "(give --in-fps HZ)\n", pos[0]);
        }
        lfd_csv_opts co = {.fps = fps, .floating = !fixed};
        rc = lfd_motion_read_csv(&m, pos[0], &co, &err);
    } else {
        rc = lfd_motion_read(&m, pos[0], &err);
        if (rc == LFD_OK && fps > 0)
            fprintf(stderr, "lfd motion info: note: --in-fps %g not applied: %s states %g Hz\n", fps, pos[0],
                    m.fps);
    }
    if (rc)
        return lfd_cli_error(cmd, &err);
    if (json)
        info_json(pos[0], &m);
    else
        info_text(pos[0], &m);
    lfd_motion_free(&m);
    return LFD_EXIT_OK;
}

LFD_COMMAND(cmd_motion_info, "motion info", "print a motion file's header, joints and provenance",
            "FILE [--json]",
            "FILE is an lfd motion (.lfdm) or a Unitree/BeyondMimic-layout CSV (.csv).", run_info)

/* the robot --robot names, loaded (a name or path lfd cannot load is an
   error: a motion labelled with it would fit no robot lfd knows) */
static int load_robot(const lfd_cmd *cmd, const char *robot, lfd_robot **r)
{
    lfd_err err = {0};
    if (lfd_robot_load(r, robot, &err) == LFD_OK)
        return 0;
    fprintf(stderr, "lfd %s: --robot %s: %s\n", cmd->name, robot, err.msg);
    return LFD_EXIT_ERROR;
}

/* --robot on a motion file: the motion must already be that robot's (or
   name none) and fit it; then the robot's name, joint names and model hash
   are written into it.  0, or the exit code after the message. */
static int apply_robot(const lfd_cmd *cmd, const char *in, const lfd_robot *r, lfd_motion *m)
{
    if (m->robot[0] && strcmp(m->robot, r->name))
        return lfd_cli_usage_error(cmd, "%s is a motion of '%s', not '%s': --robot does not relabel a "
                                        "motion file (it names the robot of a CSV input, or of a motion "
                                        "that states none)", in, m->robot, r->name);
    if (m->njoints != r->njoints || m->floating != r->floating)
        return lfd_cli_usage_error(cmd, "%s has %d joints and a %s base but %s has %d joints and a %s base",
                                   in, m->njoints, m->floating ? "floating" : "fixed", r->name, r->njoints,
                                   r->floating ? "floating" : "fixed");
    snprintf(m->robot, sizeof m->robot, "%s", r->name);
    snprintf(m->model_hash, sizeof m->model_hash, "%s", r->model_hash);
    for (int j = 0; j < r->njoints; j++)
        snprintf(m->joint_names[j], LFD_NAME_MAX, "%s", r->joints[j].name);
    return 0;
}

static int run_convert(const lfd_cmd *cmd, int argc, char **argv)
{
    double fps = 0;
    int fixed = 0, header = 0;
    const char *robot = NULL;
    lfd_opt opts[] = {
        {"in-fps", 0, LFD_OPT_DOUBLE, &fps, "HZ", "frame rate of a CSV input (required for CSV)"},
        {"fps", 0, LFD_OPT_ALIAS, NULL, "in-fps", NULL},
        {"fixed-base", 0, LFD_OPT_FLAG, &fixed, NULL, "CSV input has no root columns"},
        {"robot", 'r', LFD_OPT_STR, &robot, "NAME|PATH",
         "the robot (built-in name, .robot or .xml path), which must load and fit the motion's "
         "columns: its name, joint names, base and model hash go into the motion (a CSV input; or a "
         "motion file that states no robot or this one; a motion of another robot is refused)"},
        {"header", 0, LFD_OPT_FLAG, &header, NULL, "write a header row in a CSV output"},
        {0}};
    char **pos;
    int npos, rc;
    if ((rc = lfd_args_parse(cmd, opts, argc, argv, &pos, &npos, 2, 2)))
        return lfd_args_exit(rc);
    const char *in = pos[0], *out = pos[1];
    int in_csv = lfd_util_has_suffix(in, ".csv"), out_csv = lfd_util_has_suffix(out, ".csv");
    if (lfd_args_given("in-fps") && !(fps > 0 && fps <= 1000))
        return lfd_cli_range_error(cmd, "in-fps", fps, "above 0 up to 1000 Hz");
    if ((rc = refuse_non_motion(cmd, in)))
        return rc;
    /* the output: a format this command writes, in a folder that exists, not the input */
    if (!out_csv && !lfd_util_has_suffix(out, ".lfdm"))
        return lfd_cli_usage_error(cmd, "%s: motion convert writes .lfdm (lfd motion) or .csv "
                                        "(Unitree/BeyondMimic layout)", out);
    if (lfd_cli_check_out_parent(cmd, out) || lfd_cli_check_not_input(cmd, out, pos, 1))
        return LFD_EXIT_ERROR;
    if (in_csv && !(fps > 0))
        return lfd_cli_usage_error(cmd, "CSV carries no frame rate: give --in-fps");
    lfd_robot *r = NULL;
    if (robot && (rc = load_robot(cmd, robot, &r)))
        return rc;
    lfd_motion m;
    lfd_err err = {0};
    if (in_csv) {
        lfd_csv_opts co = {.fps = fps, .floating = !fixed};
        /* the robot gives the motion its joint names, base and model hash, and
           the reader checks the columns against it */
        char (*names)[LFD_NAME_MAX] = NULL;
        if (r && !(names = calloc((size_t)(r->njoints > 0 ? r->njoints : 1), sizeof *names))) {
            lfd_robot_free(&r);
            lfd_fail(&err, LFD_ENOMEM, "out of memory");
            return lfd_cli_error(cmd, &err);
        }
        if (r) {
            for (int j = 0; j < r->njoints; j++)
                snprintf(names[j], LFD_NAME_MAX, "%s", r->joints[j].name);
            co.robot = r->name;
            co.model_hash = r->model_hash;
            co.floating = r->floating;
            co.njoint_names = r->njoints;
            co.joint_names = (const char(*)[LFD_NAME_MAX])names;
        }
        rc = lfd_motion_read_csv(&m, in, &co, &err);
        free(names);
    } else {
        rc = lfd_motion_read(&m, in, &err);
        /* a motion file states its rate: a given one does not replace it */
        if (rc == LFD_OK && fps > 0)
            fprintf(stderr, "lfd motion convert: note: --in-fps %g not applied: %s states %g Hz\n", fps, in,
                    m.fps);
        if (rc == LFD_OK && r && apply_robot(cmd, in, r, &m)) {
            lfd_motion_free(&m);
            lfd_robot_free(&r);
            return LFD_EXIT_ERROR;
        }
    }
    lfd_robot_free(&r);
    if (rc)
        return lfd_cli_error(cmd, &err);
    rc = out_csv ? lfd_motion_write_csv(&m, out, header, &err) : lfd_motion_write(&m, out, &err);
    if (rc == LFD_OK)
        fprintf(stderr, "wrote %s (%d frames, %d joints%s)\n", out, m.nframes, m.njoints,
                out_csv ? ", CSV" : "");
    lfd_motion_free(&m);
    return rc ? lfd_cli_error(cmd, &err) : LFD_EXIT_OK;
}

LFD_COMMAND(cmd_motion_convert, "motion convert",
            "convert between lfd motion files (.lfdm) and Unitree-layout CSV",
            "IN OUT [--in-fps HZ] [--fixed-base] [--header] [--robot NAME|PATH]",
            "The direction follows the file names: a name ending in .csv is CSV (per row:\n"
            "root x y z, quaternion x y z w, joint angles in model order), one ending in\n"
            ".lfdm an lfd motion file; OUT must be one of the two, in a folder that exists,\n"
            "and not IN.  The output is written atomically.  --robot must be a robot lfd\n"
            "loads whose joints fit the motion; on a motion file it is applied when the\n"
            "file states no robot or the same one, and refused for another robot.",
            run_convert)
