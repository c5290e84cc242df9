/*  `lfd robots` and `lfd robot info`: list the built-in robots and print a
    robot's joint table with its limits (robots/lfd_robot.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/lfd_json.h"
#include "core/lfd_io.h"
#include "core/lfd_util.h"
#include "robots/lfd_robot.h"
#include "robots/lfd_robot_init.h"
#include "runtime/cli/lfd_cli.h"

#define MAX_LIST 64

static const char *act_kind_name(lfd_act_kind k)
{
    return k == LFD_ACT_MOTOR ? "motor" : k == LFD_ACT_POSITION ? "position" : "none";
}

static int run_list(const lfd_cmd *cmd, int argc, char **argv)
{
    int json = 0;
    lfd_opt opts[] = {{"json", 0, LFD_OPT_FLAG, &json, NULL, "print JSON instead of text"}, {0}};
    char **pos;
    int npos, rc;
    if ((rc = lfd_args_parse(cmd, opts, argc, argv, &pos, &npos, 0, 0)))
        return lfd_args_exit(rc);
    lfd_err err = {0};
    char dir[LFD_ROBOT_PATH_MAX];
    if ((rc = lfd_robot_builtin_dir(dir, sizeof dir, &err)))
        return lfd_cli_error(cmd, &err);
    static char names[MAX_LIST][LFD_NAME_MAX];
    int n = lfd_robot_list(names, MAX_LIST, &err);
    if (n < 0)
        return lfd_cli_error(cmd, &err);
    lfd_jw jw;
    if (json) {
        lfd_jw_init_file(&jw, stdout, 1);
        lfd_jw_obj_begin(&jw);
        lfd_jw_kstr(&jw, "folder", dir);
        lfd_jw_key(&jw, "robots");
        lfd_jw_arr_begin(&jw);
    } else {
        printf("built-in robots (%s)\n", dir);
        printf("  %-10s %4s %4s %9s  %s\n", "name", "dof", "act", "mass_kg", "source");
    }
    int failed = 0;
    for (int i = 0; i < n; i++) {
        lfd_robot *r = NULL;
        lfd_err lerr = {0};
        int lrc = lfd_robot_load(&r, names[i], &lerr);
        failed |= lrc != LFD_OK;
        if (json) {
            lfd_jw_obj_begin(&jw);
            lfd_jw_kstr(&jw, "name", names[i]);
            if (lrc) {
                lfd_jw_kstr(&jw, "error", lerr.msg);
            } else {
                lfd_jw_kint(&jw, "dof", r->njoints);
                lfd_jw_kint(&jw, "actuators", r->nu);
                lfd_jw_knum(&jw, "mass_kg", r->mass_kg);
                lfd_jw_kbool(&jw, "floating_base", r->floating);
                lfd_jw_kstr(&jw, "source", r->source);
                lfd_jw_kstr(&jw, "description", r->desc_path);
                lfd_jw_kstr(&jw, "mjcf", r->mjcf_path);
                lfd_jw_kstr(&jw, "model_hash", r->model_hash);
            }
            lfd_jw_obj_end(&jw);
        } else if (lrc) {
            printf("  %-10s error: %s\n", names[i], lerr.msg);
        } else {
            printf("  %-10s %4d %4d %9.2f  %s\n", r->name, r->njoints, r->nu, r->mass_kg,
                   r->source);
        }
        lfd_robot_free(&r);
    }
    if (json) {
        lfd_jw_arr_end(&jw);
        lfd_jw_obj_end(&jw);
        lfd_jw_finish(&jw);
    } else {
        printf("use `lfd robot info NAME` for a joint table; your own robot: a PATH to its MJCF "
               "or .robot file (docs/robots.md)\n");
    }
    return failed ? LFD_EXIT_ERROR : LFD_EXIT_OK;
}

LFD_COMMAND(cmd_robots, "robots", "list the built-in robots (name, DoF, mass, source)", "[--json]",
            "Built-in robots live in robots/NAME/ (NAME.xml + NAME.robot) next to the lfd "
            "program; $LFD_ROBOTS_DIR points elsewhere.",
            run_list)

static void info_json(const lfd_robot *r)
{
    const mjModel *m = r->m;
    lfd_jw jw;
    lfd_jw_init_file(&jw, stdout, 1);
    lfd_jw_obj_begin(&jw);
    lfd_jw_kstr(&jw, "name", r->name);
    lfd_jw_kstr(&jw, "source", r->source);
    lfd_jw_kstr(&jw, "description", r->desc_path);
    lfd_jw_kstr(&jw, "mjcf", r->mjcf_path);
    lfd_jw_kstr(&jw, "model_hash", r->model_hash);
    lfd_jw_kbool(&jw, "floating_base", r->floating);
    lfd_jw_kbool(&jw, "floor_added", r->floor_added);
    lfd_jw_kint(&jw, "nq", r->nq);
    lfd_jw_kint(&jw, "nv", r->nv);
    lfd_jw_kint(&jw, "nu", r->nu);
    lfd_jw_knum(&jw, "mass_kg", r->mass_kg);
    lfd_jw_knum(&jw, "timestep_s", m->opt.timestep);
    lfd_jw_key(&jw, "default_qpos");
    lfd_jw_arr_begin(&jw);
    for (int i = 0; i < r->nq; i++)
        lfd_jw_num_exact(&jw, r->qpos_default[i]);
    lfd_jw_arr_end(&jw);
    lfd_jw_key(&jw, "joints");
    lfd_jw_arr_begin(&jw);
    for (int j = 0; j < r->njoints; j++) {
        const lfd_robot_joint *jt = &r->joints[j];
        lfd_jw_obj_begin(&jw);
        lfd_jw_kstr(&jw, "name", jt->name);
        lfd_jw_kint(&jw, "qpos_adr", jt->qpos_adr);
        lfd_jw_kint(&jw, "dof_adr", jt->dof_adr);
        lfd_jw_kstr(&jw, "type", jt->type == mjJNT_SLIDE ? "slide" : "hinge");
        lfd_jw_knum(&jw, "range_lo", jt->range_lo);
        lfd_jw_knum(&jw, "range_hi", jt->range_hi);
        lfd_jw_knum(&jw, "vel_max", jt->vel_max);
        if (jt->acc_max > 0)
            lfd_jw_knum(&jw, "acc_max", jt->acc_max);
        else {
            lfd_jw_key(&jw, "acc_max");
            lfd_jw_null(&jw);
        }
        lfd_jw_knum(&jw, "torque_max", jt->torque_max);
        lfd_jw_knum(&jw, "kp", jt->kp);
        lfd_jw_knum(&jw, "kd", jt->kd);
        lfd_jw_knum(&jw, "default", jt->default_q);
        lfd_jw_kstr(&jw, "actuator",
                    jt->act_id >= 0 && mj_id2name(m, mjOBJ_ACTUATOR, jt->act_id)
                        ? mj_id2name(m, mjOBJ_ACTUATOR, jt->act_id)
                        : "");
        lfd_jw_kstr(&jw, "actuator_kind", act_kind_name(jt->act_kind));
        lfd_jw_obj_end(&jw);
    }
    lfd_jw_arr_end(&jw);
    static const char *side[2] = {"left", "right"};
    lfd_jw_key(&jw, "feet");
    lfd_jw_arr_begin(&jw);
    for (int s = 0; s < 2; s++) {
        const lfd_robot_foot *f = &r->feet[s];
        if (f->body_id < 0)
            continue;
        lfd_jw_obj_begin(&jw);
        lfd_jw_kstr(&jw, "side", side[s]);
        lfd_jw_kstr(&jw, "body", f->body);
        lfd_jw_key(&jw, "sole");
        lfd_jw_arr_begin(&jw);
        for (int k = 0; k < 4; k++)
            lfd_jw_num(&jw, f->sole[k]);
        lfd_jw_arr_end(&jw);
        lfd_jw_knum(&jw, "sole_z", f->sole_z);
        lfd_jw_obj_end(&jw);
    }
    lfd_jw_arr_end(&jw);
    lfd_jw_key(&jw, "hands");
    lfd_jw_arr_begin(&jw);
    for (int s = 0; s < 2; s++) {
        const lfd_robot_hand *h = &r->hands[s];
        if (h->body_id < 0)
            continue;
        lfd_jw_obj_begin(&jw);
        lfd_jw_kstr(&jw, "side", side[s]);
        lfd_jw_kstr(&jw, "body", h->body);
        lfd_jw_key(&jw, "offset");
        lfd_jw_arr_begin(&jw);
        for (int k = 0; k < 3; k++)
            lfd_jw_num(&jw, h->offset[k]);
        lfd_jw_arr_end(&jw);
        lfd_jw_obj_end(&jw);
    }
    lfd_jw_arr_end(&jw);
    lfd_jw_key(&jw, "exclude");
    lfd_jw_arr_begin(&jw);
    for (int i = 0; i < r->nexclude; i++) {
        lfd_jw_arr_begin(&jw);
        lfd_jw_str(&jw, mj_id2name(m, mjOBJ_BODY, r->exclude[i].body1));
        lfd_jw_str(&jw, mj_id2name(m, mjOBJ_BODY, r->exclude[i].body2));
        lfd_jw_arr_end(&jw);
    }
    lfd_jw_arr_end(&jw);
    lfd_jw_key(&jw, "map");
    lfd_jw_arr_begin(&jw);
    for (int i = 0; i < r->nmap; i++) {
        const lfd_robot_map_entry *e = &r->map[i];
        lfd_jw_obj_begin(&jw);
        lfd_jw_kstr(&jw, "human", lfd_cjoint_name(e->human));
        lfd_jw_kstr(&jw, "body", e->body);
        lfd_jw_knum(&jw, "pos_w", e->pos_w);
        lfd_jw_knum(&jw, "rot_w", e->rot_w);
        lfd_jw_key(&jw, "offset");
        lfd_jw_arr_begin(&jw);
        for (int k = 0; k < 3; k++)
            lfd_jw_num(&jw, e->offset[k]);
        lfd_jw_arr_end(&jw);
        lfd_jw_key(&jw, "rot");
        lfd_jw_arr_begin(&jw);
        for (int k = 0; k < 4; k++)
            lfd_jw_num(&jw, e->rot_offset[k]);
        lfd_jw_arr_end(&jw);
        lfd_jw_knum(&jw, "scale", e->scale);
        lfd_jw_obj_end(&jw);
    }
    lfd_jw_arr_end(&jw);
    lfd_jw_obj_end(&jw);
    lfd_jw_finish(&jw);
}

static void info_text(const lfd_robot *r)
{
    const mjModel *m = r->m;
    printf("robot         %s\n", r->name);
    printf("source        %s\n", r->source[0] ? r->source : "(not given)");
    printf("description   %s\n", r->desc_path);
    printf("mjcf          %s\n", r->mjcf_path);
    printf("model hash    %s\n", r->model_hash);
    printf("base          %s\n", r->floating ? "floating (free joint)" : "fixed");
    printf("nq / nv / nu  %d / %d / %d   (time step %g s)\n", r->nq, r->nv, r->nu, m->opt.timestep);
    if (r->floor_added)
        printf("ground        none in the MJCF: lfd adds a plane at z = 0 for simulation\n");
    printf("mass          %.3f kg\n", r->mass_kg);
    if (r->floating)
        printf("default root  z %.4f m (feet on the floor)\n", r->qpos_default[2]);
    printf("joints        %d\n", r->njoints);
    printf("  %3s %-28s %9s %9s %7s %7s %8s %7s %6s %8s  %s\n", "#", "name", "lo_rad", "hi_rad",
           "vel", "acc", "torque", "kp", "kd", "default", "actuator");
    for (int j = 0; j < r->njoints; j++) {
        const lfd_robot_joint *jt = &r->joints[j];
        char acc[16];
        if (jt->acc_max > 0)
            snprintf(acc, sizeof acc, "%7.1f", jt->acc_max);
        else
            snprintf(acc, sizeof acc, "%7s", "-");
        const char *an = jt->act_id >= 0 ? mj_id2name(m, mjOBJ_ACTUATOR, jt->act_id) : NULL;
        printf("  %3d %-28s %9.4f %9.4f %7.2f %s %8.2f %7.2f %6.2f %8.4f  %s%s%s\n", j, jt->name,
               jt->range_lo, jt->range_hi, jt->vel_max, acc, jt->torque_max, jt->kp, jt->kd,
               jt->default_q, jt->act_id < 0 ? "-" : an ? an : "(unnamed)",
               jt->act_id >= 0 ? " " : "", jt->act_id >= 0 ? act_kind_name(jt->act_kind) : "");
    }
    printf("  units: rad, rad/s, rad/s^2, N m, N m/rad, N m s/rad\n");
    static const char *side[2] = {"left", "right"};
    for (int s = 0; s < 2; s++)
        if (r->feet[s].body_id >= 0)
            printf("foot %-6s   %s, sole x %.3f..%.3f y %.3f..%.3f at z %.3f m\n", side[s],
                   r->feet[s].body, r->feet[s].sole[0], r->feet[s].sole[1], r->feet[s].sole[2],
                   r->feet[s].sole[3], r->feet[s].sole_z);
    for (int s = 0; s < 2; s++)
        if (r->hands[s].body_id >= 0)
            printf("hand %-6s   %s + (%.3f, %.3f, %.3f) m\n", side[s], r->hands[s].body,
                   r->hands[s].offset[0], r->hands[s].offset[1], r->hands[s].offset[2]);
    printf("excluded      %d description pairs, %d MJCF pairs (plus parent/child)\n", r->nexclude,
           m->nexclude);
    printf("retarget map  %d entries:", r->nmap);
    for (int i = 0; i < r->nmap; i++)
        printf(" %s->%s", lfd_cjoint_name(r->map[i].human), r->map[i].body);
    printf("\n");
}

static int run_info(const lfd_cmd *cmd, int argc, char **argv)
{
    int json = 0;
    lfd_opt opts[] = {{"json", 0, LFD_OPT_FLAG, &json, NULL, "print JSON instead of text"}, {0}};
    char **pos;
    int npos, rc;
    if ((rc = lfd_args_parse(cmd, opts, argc, argv, &pos, &npos, 1, 1)))
        return lfd_args_exit(rc);
    lfd_robot *r = NULL;
    lfd_err err = {0};
    if ((rc = lfd_robot_load(&r, pos[0], &err)))
        return lfd_cli_error(cmd, &err);
    if (json)
        info_json(r);
    else
        info_text(r);
    lfd_robot_free(&r);
    return LFD_EXIT_OK;
}

LFD_COMMAND(cmd_robot_info, "robot info", "print a robot's joint table with its limits",
            "NAME|PATH [--json]",
            "NAME is a built-in robot (see `lfd robots`).  PATH is your own robot: a .robot "
            "description file, or an MJCF .xml with its description beside it (same name, "
            ".robot).  See docs/robots.md.",
            run_info)

static int run_init(const lfd_cmd *cmd, int argc, char **argv)
{
    const char *out = NULL, *name = NULL;
    int force = 0;
    double vel = 0;
    lfd_opt opts[] = {
        {"out", 'o', LFD_OPT_STR, &out, "FILE", "the description to write (default: MODEL.robot beside the MJCF)"},
        {"name", 0, LFD_OPT_STR, &name, "NAME", "robot name (default: the MJCF's base name)"},
        {"vel", 0, LFD_OPT_DOUBLE, &vel, "RAD_S", "velocity limit for every joint (MJCF holds none; default 20)"},
        {"force", 0, LFD_OPT_FLAG, &force, NULL, "overwrite an existing description"},
        {0}};
    char **pos;
    int npos, rc;
    if ((rc = lfd_args_parse(cmd, opts, argc, argv, &pos, &npos, 1, 1)))
        return lfd_args_exit(rc);
    if (lfd_args_given("vel") && !(vel > 0 && vel <= 1000))
        return lfd_cli_range_error(cmd, "vel", vel, "above 0 up to 1000 rad/s");
    lfd_err err = {0};
    const char *mjcf = pos[0];
    /* a description given where the MJCF goes: said up front (it got "is the
       input: writing it would replace the input", or with -o MuJoCo's "XML
       parse error") */
    if (lfd_util_has_suffix(mjcf, ".robot")) {
        lfd_fail(&err, LFD_EARG, "it reads an MJCF model (.xml); %s is what it writes "
                 "(`lfd robot info %s` prints it)", mjcf, mjcf);
        return lfd_cli_error(cmd, &err);
    }
    char def[LFD_ROBOT_PATH_MAX];
    if (!out) {
        size_t n = strlen(mjcf);
        const char *dot = strrchr(mjcf, '.'), *slash = strrchr(mjcf, '/');
        if (dot && (!slash || dot > slash))
            n = (size_t)(dot - mjcf);
        if (n + 7 > sizeof def) {
            lfd_fail(&err, LFD_ELIMIT, "%s: path too long", mjcf);
            return lfd_cli_error(cmd, &err);
        }
        snprintf(def, sizeof def, "%.*s.robot", (int)n, mjcf);
        out = def;
    }
    /* before drafting: the folder exists, and the draft does not replace the MJCF */
    if (lfd_cli_check_out_parent(cmd, out) || lfd_cli_check_not_input(cmd, out, pos, 1))
        return LFD_EXIT_ERROR;
    if (!force && lfd_file_exists(out)) {
        lfd_fail(&err, LFD_EARG, "%s already exists (--force overwrites it, -o writes elsewhere)", out);
        return lfd_cli_error(cmd, &err);
    }
    lfd_robot_init_opts o;
    lfd_robot_init_opts_init(&o);
    if (vel > 0)
        o.vel_default = vel;
    o.name = name;
    char *text = NULL;
    size_t len = 0;
    if ((rc = lfd_robot_init(mjcf, out, &o, &text, &len, &err)) ||
        (rc = lfd_file_write_atomic(out, text, len, &err))) {
        free(text);
        return lfd_cli_error(cmd, &err);
    }
    free(text);
    lfd_robot *r = NULL;
    if ((rc = lfd_robot_load_desc(&r, out, &err)))
        return lfd_cli_error(cmd, &err);
    printf("wrote %s: %d joints, %s base, feet %s / %s, hands %s / %s, %d map entries, %d excluded "
           "pairs\n",
           out, r->njoints, r->floating ? "floating" : "fixed", r->feet[0].body, r->feet[1].body,
           r->hands[0].body, r->hands[1].body, r->nmap, r->nexclude);
    printf("check the values marked 'guessed' in it; `lfd robot info %s` prints the table\n", out);
    lfd_robot_free(&r);
    return LFD_EXIT_OK;
}

LFD_COMMAND(cmd_robot_init, "robot init", "draft a robot description from an MJCF alone",
            "MODEL.xml [-o MODEL.robot] [--name NAME] [--vel RAD_S] [--force]",
            "Reads the MJCF (includes, default classes, meshdir, motors and position servos) at its\n"
            "zero pose, which must stand upright facing +x, and writes the description lfd needs:\n"
            "joints with their ranges, torque limits from the actuators, PD gains (a servo's kp/kv,\n"
            "else guessed from the torque), velocity limits (a stated default: MJCF has none), feet\n"
            "with sole rectangles, hands, exclusions, the retargeting map and the default pose\n"
            "(keyframe home, stand or default, else zero).  Every guessed value is marked in a comment.\n"
            "The draft is loaded before it is written; a model that is not a humanoid (no two legs or\n"
            "no two arms) is refused with what was not found.  Written beside the MJCF with the same\n"
            "name, the MJCF path then works wherever a robot name does.  See docs/robots.md.",
            run_init)
