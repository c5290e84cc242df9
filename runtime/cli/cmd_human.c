/*  `lfd human info` and `lfd human synth`: inspect a human demonstration
    (BVH, keypoint CSV or .npy) as lfd reads it, and generate procedural
    human motion as BVH.  Thin wrappers over retarget/lfd_human and
    retarget/lfd_synth. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ingest/lfd_keypoints.h"
#include "core/lfd_json.h"
#include "core/lfd_quat.h"
#include "ingest/lfd_human.h"
#include "ingest/lfd_synth.h"
#include "runtime/cli/lfd_cli.h"

/* the source joints a canonical joint is placed on, as text */
static void place_text(const lfd_human *h, int cj, char *out, size_t n)
{
    const lfd_cplace *pl = &h->map.c[cj];
    size_t len = 0;
    out[0] = '\0';
    for (int i = 0; i < pl->n && len < n; i++) {
        if (pl->n == 1)
            len += (size_t)snprintf(out + len, n - len, "%s", h->names[pl->src[i]]);
        else
            len += (size_t)snprintf(out + len, n - len, "%s%.3g*%s", i ? " + " : "", pl->w[i],
                                    h->names[pl->src[i]]);
    }
}

/* shares of the frames: left foot, right foot, both, neither in contact */
static void contact_frac(const lfd_human *h, double fr[4])
{
    int c[4] = {0, 0, 0, 0};
    for (int f = 0; f < h->nframes; f++) {
        int l = h->contact[2 * f], r = h->contact[2 * f + 1];
        c[0] += l;
        c[1] += r;
        c[2] += l && r;
        c[3] += !l && !r;
    }
    for (int s = 0; s < 4; s++)
        fr[s] = h->nframes > 0 ? (double)c[s] / h->nframes : 0;
}

/* the End Sites among a BVH's source joints: leaves named "<parent>_end"
   (ingest/lfd_bvh.h); "joints 26 from the source" counted them with the 21
   ROOT/JOINTs `lfd human synth` wrote */
static int end_sites(const lfd_human *h)
{
    if (strcmp(h->format, "bvh"))
        return 0;
    int n = 0;
    for (int j = 0; j < h->nsource; j++) {
        int p = h->parent[j], leaf = 1;
        for (int k = 0; k < h->nsource && leaf; k++)
            leaf = h->parent[k] != j;
        size_t lp = p >= 0 ? strlen(h->names[p]) : 0;
        n += leaf && p >= 0 && p < h->nsource && !strncmp(h->names[j], h->names[p], lp) &&
             !strcmp(h->names[j] + lp, "_end");
    }
    return n;
}

static void info_text(const lfd_human *h)
{
    char buf[256];
    double cf[4];
    contact_frac(h, cf);
    printf("file          %s (%s)\n", h->path, h->format);
    printf("sha256        %s\n", h->sha256[0] ? h->sha256 : "(in memory)");
    printf("rig           %s\n", h->rig);
    printf("frames        %d at %.6g Hz (%.3f s)%s\n", h->nframes, h->fps, h->nframes / h->fps,
           h->fps_assumed ? "  [rate assumed: " : "");
    if (h->fps_assumed)
        printf("              %s; give --in-fps if you know it]\n", h->fps_assumed_why);
    if (h->fps_note[0])
        printf("note          %s\n", h->fps_note);
    int ne = end_sites(h);
    if (ne)
        printf("joints        %d from the source (%d ROOT/JOINT, %d End Sites), %d virtual\n", h->nsource,
               h->nsource - ne, ne, h->njoints - h->nsource);
    else
        printf("joints        %d from the source, %d virtual\n", h->nsource, h->njoints - h->nsource);
    printf("units         %s (%s, 1 unit = %.6g m)%s%s%s\n", h->units,
           h->units_detected ? "detected" : h->units_assumed ? "assumed" : "given", h->unit_m,
           h->units_assumed ? "  [" : "", h->units_assumed ? h->assumed_why : "",
           h->units_assumed ? "; give --units if you know them]" : "");
    printf("up-axis       %s (%s); lfd works Z-up\n", h->up,
           h->up_detected ? "detected" : h->up_assumed ? "assumed" : "given");
    printf("body          height %.3f m, leg %.3f m\n", h->height_m, h->leg_m);
    printf("floor         z = %.3f m (the lowest level the feet rest at)\n", h->floor_z_m);
    if (h->ref_pose)
        printf("ref. pose     frame 0 is a reference pose (jump %.2f m to frame 1)%s\n", h->ref_jump_m,
               h->ref_dropped ? ": dropped" : "; --ref-pose drop removes it");
    else
        printf("ref. pose     none detected\n");
    printf("contacts      left foot %.0f%% of frames, right %.0f%%, both %.0f%%, neither %.0f%%; stance "
           "foot pitch %.1f / %.1f deg\n",
           100 * cf[0], 100 * cf[1], 100 * cf[2], 100 * cf[3], h->foot_pitch_rad[0] * 180 / M_PI,
           h->foot_pitch_rad[1] * 180 / M_PI);
    if (h->nonfinite)
        printf("nonfinite     %d NaN/inf values in the source\n", h->nonfinite);
    printf("canonical     %-11s %-9s %-13s %-5s %s\n", "joint", "bone_m", "found by", "conf",
           "source joint(s)");
    for (int cj = 0; cj < LFD_CJ_COUNT; cj++) {
        place_text(h, cj, buf, sizeof buf);
        printf("              %-11s %-9.3f %-13s %-5.2f %s\n", lfd_cjoint_name(cj), h->bone_m[cj],
               lfd_cplace_how_name(h->map.c[cj].how), h->map.c[cj].conf, buf);
    }
    for (int i = 0; i < h->nwarn; i++)
        printf("warning       %s\n", h->warn[i]);
    printf("provenance    %d keys\n", h->prov.n);
    if (h->prov.n) {
        lfd_jw jw;
        lfd_jw_init_file(&jw, stdout, 1);
        lfd_prov_to_json(&h->prov, &jw, NULL);
        lfd_jw_finish(&jw);
    }
}

static void info_json(const lfd_human *h)
{
    char buf[256];
    double cf[4];
    contact_frac(h, cf);
    lfd_jw jw;
    lfd_jw_init_file(&jw, stdout, 1);
    lfd_jw_obj_begin(&jw);
    lfd_jw_kstr(&jw, "file", h->path);
    lfd_jw_kstr(&jw, "format", h->format);
    lfd_jw_kstr(&jw, "sha256", h->sha256);
    lfd_jw_kstr(&jw, "rig", h->rig);
    lfd_jw_kstr(&jw, "rig_family", h->map.family);
    lfd_jw_kint(&jw, "frames", h->nframes);
    lfd_jw_knum(&jw, "fps", h->fps);
    lfd_jw_kbool(&jw, "fps_assumed", h->fps_assumed);
    lfd_jw_kstr(&jw, "rate_note", h->fps_note[0] ? h->fps_note : NULL);
    lfd_jw_kint(&jw, "first_frame", h->first_frame);
    lfd_jw_kint(&jw, "source_joints", h->nsource);
    lfd_jw_kint(&jw, "source_end_sites", end_sites(h));
    lfd_jw_kint(&jw, "joints", h->njoints);
    lfd_jw_kstr(&jw, "units", h->units);
    lfd_jw_kbool(&jw, "units_detected", h->units_detected);
    lfd_jw_kbool(&jw, "units_assumed", h->units_assumed);
    lfd_jw_kstr(&jw, "up", h->up);
    lfd_jw_kbool(&jw, "up_detected", h->up_detected);
    lfd_jw_knum(&jw, "height_m", h->height_m);
    lfd_jw_knum(&jw, "leg_m", h->leg_m);
    lfd_jw_knum(&jw, "floor_z_m", h->floor_z_m);
    lfd_jw_kbool(&jw, "reference_pose", h->ref_pose);
    lfd_jw_kbool(&jw, "reference_pose_dropped", h->ref_dropped);
    lfd_jw_knum(&jw, "contact_left", cf[0]);
    lfd_jw_knum(&jw, "contact_right", cf[1]);
    lfd_jw_knum(&jw, "contact_both", cf[2]);
    lfd_jw_knum(&jw, "contact_neither", cf[3]);
    lfd_jw_kint(&jw, "nonfinite", h->nonfinite);
    lfd_jw_key(&jw, "canonical");
    lfd_jw_obj_begin(&jw);
    for (int cj = 0; cj < LFD_CJ_COUNT; cj++) {
        lfd_jw_key(&jw, lfd_cjoint_name(cj));
        lfd_jw_obj_begin(&jw);
        place_text(h, cj, buf, sizeof buf);
        lfd_jw_kstr(&jw, "source", buf);
        lfd_jw_kstr(&jw, "found_by", lfd_cplace_how_name(h->map.c[cj].how));
        lfd_jw_knum(&jw, "confidence", h->map.c[cj].conf);
        lfd_jw_kint(&jw, "index", h->canon[cj]);
        lfd_jw_knum(&jw, "bone_m", h->bone_m[cj]);
        lfd_jw_obj_end(&jw);
    }
    lfd_jw_obj_end(&jw);
    lfd_jw_key(&jw, "skeleton");
    lfd_jw_arr_begin(&jw);
    for (int j = 0; j < h->njoints; j++) {
        lfd_jw_obj_begin(&jw);
        lfd_jw_kstr(&jw, "name", h->names[j]);
        lfd_jw_kint(&jw, "parent", h->parent[j]);
        lfd_jw_obj_end(&jw);
    }
    lfd_jw_arr_end(&jw);
    lfd_jw_key(&jw, "warnings");
    lfd_jw_arr_begin(&jw);
    for (int i = 0; i < h->nwarn; i++)
        lfd_jw_str(&jw, h->warn[i]);
    lfd_jw_arr_end(&jw);
    lfd_jw_key(&jw, "provenance");
    lfd_prov_to_json(&h->prov, &jw, NULL);
    lfd_jw_obj_end(&jw);
    lfd_jw_finish(&jw);
}

static int parse_ref_pose(const char *s, int *out)
{
    if (!s || !strcmp(s, "keep"))
        *out = LFD_REFPOSE_KEEP;
    else if (!strcmp(s, "drop"))
        *out = LFD_REFPOSE_DROP;
    else
        return -1;
    return 0;
}

static int run_info(const lfd_cmd *cmd, int argc, char **argv)
{
    int json = 0;
    const char *ref = NULL;
    lfd_human_opts ho = {0};
    lfd_opt opts[] = {
        {"json", 0, LFD_OPT_FLAG, &json, NULL, "print JSON instead of text"},
        {"units", 0, LFD_OPT_STR, &ho.units, "U", "source units: m|cm|mm|inch|asf, winning over a sidecar's or preset's (default/auto: theirs, else detected)"},
        {"up", 0, LFD_OPT_STR, &ho.up, "AXIS", "source up-axis: y|z|-y|-z, winning as --units does (default/auto: a sidecar's or preset's, else detected)"},
        {"in-fps", 0, LFD_OPT_DOUBLE, &ho.fps, "HZ", "frame rate of a file that states none (a BVH's Frame Time, a sidecar's fps or a time column win; a note says so)"},
        {"fps", 0, LFD_OPT_ALIAS, NULL, "in-fps", NULL},
        {"preset", 0, LFD_OPT_STR, &ho.preset, "NAME", "keypoint joints: smpl-22|smpl-24|mediapipe-33|holosoma-53"},
        {"sidecar", 0, LFD_OPT_STR, &ho.sidecar, "FILE", "keypoint sidecar JSON (default <file>.json)"},
        {"map", 0, LFD_OPT_STR, &ho.map, "FILE", "canonical joint mapping JSON for an unknown rig"},
        {"prov", 0, LFD_OPT_STR, &ho.prov, "FILE", "provenance JSON (default <file>.prov.json)"},
        {"ref-pose", 0, LFD_OPT_STR, &ref, "keep|drop", "a detected reference pose in frame 0 (default keep)"},
        {0}};
    char **pos;
    int npos, rc;
    if ((rc = lfd_args_parse(cmd, opts, argc, argv, &pos, &npos, 1, 1)))
        return lfd_args_exit(rc);
    if ((rc = lfd_cli_check_preset(cmd, ho.preset)))
        return rc;
    if (parse_ref_pose(ref, &ho.ref_pose))
        return lfd_cli_usage_error(cmd, "--ref-pose must be keep or drop");
    if (lfd_args_given("in-fps") && !(ho.fps > 0 && ho.fps <= LFD_KP_FPS_MAX)) {
        char rng[48];
        snprintf(rng, sizeof rng, "above 0 up to %g Hz", LFD_KP_FPS_MAX);
        return lfd_cli_range_error(cmd, "in-fps", ho.fps, rng);
    }
    if (lfd_cli_is_dir(pos[0]))
        return lfd_cli_usage_error(cmd, "%s is a folder, not a recording: give one file of it "
                                        "(lfd qa takes a folder)", pos[0]);
    lfd_human h;
    lfd_err err = {0};
    if ((rc = lfd_human_load(&h, pos[0], &ho, &err)))
        return lfd_cli_error(cmd, &err);
    if (json)
        info_json(&h);
    else
        info_text(&h);
    lfd_human_free(&h);
    return LFD_EXIT_OK;
}

LFD_COMMAND(cmd_human_info, "human info",
            "show how lfd reads a human demonstration (BVH, keypoint CSV or .npy)",
            "FILE [--json] [--units U] [--up AXIS] [--in-fps HZ] [--preset NAME] [--map FILE]",
            "Prints the skeleton, detected units and up-axis, frames and rate, the canonical\n"
            "joint mapping with bone lengths, body height, floor, foot contacts and whether\n"
            "frame 0 is a reference pose.  For each canonical joint: its source joint(s), how\n"
            "it was found (name, name tokens, geometry, derived or mapping file) and a\n"
            "confidence 0..1.  See docs/ingest.md.",
            run_info)

static int run_synth(const lfd_cmd *cmd, int argc, char **argv)
{
    const char *task = NULL, *out = NULL;
    int crlf = 0, decimals = 0;
    lfd_synth_opts so = {0};
    lfd_opt opts[] = {
        {"task", 0, LFD_OPT_STR, &task, "TASK", "stand | walk | wipe (reach and wipe a table)"},
        {"out", 'o', LFD_OPT_STR, &out, "FILE", "output BVH (written atomically)"},
        {"seconds", 0, LFD_OPT_DOUBLE, &so.seconds, "S", "duration (default: stand 3, walk 6, wipe 10; a wipe under 6 s runs faster, 1 s at least)"},
        {"out-fps", 0, LFD_OPT_DOUBLE, &so.fps, "HZ", "frame rate of the written BVH (default 120)"},
        {"fps", 0, LFD_OPT_ALIAS, NULL, "out-fps", NULL},
        {"body-height", 0, LFD_OPT_DOUBLE, &so.height_m, "M", "body height in metres (default 1.75)"},
        {"height", 0, LFD_OPT_ALIAS, NULL, "body-height", NULL}, /* --height is replay's image height */
        {"units", 0, LFD_OPT_STR, &so.units, "U", "units of the file: m|cm|mm|inch|asf (default cm)"},
        {"up", 0, LFD_OPT_STR, &so.up, "AXIS", "up-axis of the file: y|z (default y)"},
        {"order", 0, LFD_OPT_STR, &so.order, "XYZ", "rotation channel order (default ZXY)"},
        {"root-order", 0, LFD_OPT_STR, &so.root_order, "XYZ", "a different order for the root"},
        {"six-channel", 0, LFD_OPT_FLAG, &so.six_channel, NULL, "give every joint 6 channels"},
        {"static-root", 0, LFD_OPT_FLAG, &so.static_root, NULL, "a still ROOT above a moving pelvis"},
        {"rest-x", 0, LFD_OPT_FLAG, &so.rest_x, NULL, "rest pose with bones along +X (not a T-pose)"},
        {"stroke", 0, LFD_OPT_DOUBLE, &so.stroke_s, "S", "wipe: seconds per stroke (default 1.6)"},
        {"stroke-scale", 0, LFD_OPT_DOUBLE, &so.stroke_scale, "X", "wipe: stroke size relative to the default"},
        {"reach-scale", 0, LFD_OPT_DOUBLE, &so.reach_scale, "X", "wipe: table distance relative to the default"},
        {"crlf", 0, LFD_OPT_FLAG, &crlf, NULL, "CRLF line endings"},
        {"decimals", 0, LFD_OPT_INT, &decimals, "N", "digits after the point (default 6)"},
        {0}};
    char **pos;
    int npos, rc;
    if ((rc = lfd_args_parse(cmd, opts, argc, argv, &pos, &npos, 0, 0)))
        return lfd_args_exit(rc);
    if (!task || lfd_synth_task_parse(task) < 0)
        return lfd_cli_usage_error(cmd, "--task must be stand, walk or wipe");
    if (!out)
        return lfd_cli_usage_error(cmd, "missing -o FILE");
    /* it writes BVH: under another name lfd would read it as something else
       (x.csv as a keypoint CSV) */
    if (!lfd_util_has_suffix(out, ".bvh"))
        return lfd_cli_usage_error(cmd, "-o %s: human synth writes BVH, give a name ending in .bvh", out);
    /* a given number is used as given: 0 or a negative is not "the default" */
    if (lfd_args_given("seconds") && !(so.seconds > 0 && so.seconds <= 3600))
        return lfd_cli_range_error(cmd, "seconds", so.seconds, "above 0 up to 3600 s (a wipe 1 s or more)");
    if (lfd_args_given("out-fps") && !(so.fps > 0 && so.fps <= 1000))
        return lfd_cli_range_error(cmd, "out-fps", so.fps, "above 0 up to 1000 Hz");
    if (lfd_args_given("body-height") && !(so.height_m >= 0.5 && so.height_m <= 2.5))
        return lfd_cli_range_error(cmd, "body-height", so.height_m, "0.5 to 2.5 m");
    if (lfd_args_given("stroke") && !(so.stroke_s > 0 && so.stroke_s <= 60))
        return lfd_cli_range_error(cmd, "stroke", so.stroke_s, "above 0 up to 60 s");
    if (lfd_args_given("stroke-scale") && !(so.stroke_scale > 0 && so.stroke_scale <= 10))
        return lfd_cli_range_error(cmd, "stroke-scale", so.stroke_scale, "above 0 up to 10");
    if (lfd_args_given("reach-scale") && !(so.reach_scale > 0 && so.reach_scale <= 10))
        return lfd_cli_range_error(cmd, "reach-scale", so.reach_scale, "above 0 up to 10");
    if (lfd_args_given("decimals") && !(decimals >= 1 && decimals <= 12))
        return lfd_cli_range_error(cmd, "decimals", decimals, "1 to 12");
    if (lfd_cli_check_out_parent(cmd, out))
        return LFD_EXIT_ERROR;
    so.task = (lfd_synth_task)lfd_synth_task_parse(task);
    lfd_bvh b;
    lfd_err err = {0};
    if ((rc = lfd_synth_bvh(&b, &so, NULL, &err)))
        return lfd_cli_error(cmd, &err);
    lfd_bvh_write_opts wo = {.decimals = decimals, .crlf = crlf};
    rc = lfd_bvh_write(&b, out, &wo, &err);
    if (rc == LFD_OK)
        fprintf(stderr, "wrote %s: %s, %d frames at %g Hz, %d joints, %s, %s-up\n", out, task, b.nframes,
                1 / b.frame_time_s, b.njoints, so.units ? so.units : "cm", so.up ? so.up : "y");
    lfd_bvh_free(&b);
    return rc ? lfd_cli_error(cmd, &err) : LFD_EXIT_OK;
}

LFD_COMMAND(cmd_human_synth, "human synth", "generate procedural human motion (stand, walk, wipe) as BVH",
            "--task stand|walk|wipe -o OUT.bvh [--seconds S] [--out-fps HZ] [--order ZXY] ...",
            "Needs no data: a person of the given height stands, walks with alternating\n"
            "foot contacts, or reaches to a 0.75 m table and wipes it.  The file options\n"
            "(units, up-axis, rotation order, 6-channel joints, a still root, a rest pose\n"
            "along +X, CRLF) exercise every BVH reader path.",
            run_synth)
