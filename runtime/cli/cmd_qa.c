/*  `lfd qa`: demonstration quality checks over many files.

    Each FILE (or every .bvh/.npy/.csv in a FOLDER) gets a verdict, a score
    and reasons with frame ranges (retarget/lfd_qa).  A file that cannot be
    read (unparsable, truncated) is a rejected demonstration, not an error;
    a path that does not exist is an error.  Exit 0 when every file passes
    or warns, 1 when any file is rejected (--strict: or warned about), 2 on
    usage errors and missing paths. */
#include <dirent.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "core/lfd_io.h"
#include "core/lfd_json.h"
#include "core/lfd_log.h"
#include "ingest/lfd_qa.h"
#include "runtime/cli/lfd_cli.h"

#define QA_MAX_FILES 100000

typedef struct flist {
    char **v;
    int n, cap;
} flist;

static int fl_add(flist *l, const char *s)
{
    if (l->n >= QA_MAX_FILES)
        return -1;
    if (l->n == l->cap) {
        int nc = l->cap ? 2 * l->cap : 64;
        char **p = realloc(l->v, (size_t)nc * sizeof *p);
        if (!p)
            return -1;
        l->v = p;
        l->cap = nc;
    }
    l->v[l->n] = strdup(s);
    return l->v[l->n] ? (l->n++, 0) : -1;
}

static void fl_free(flist *l)
{
    for (int i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int is_motion(const char *name)
{
    size_t n = strlen(name);
    return (n > 4 && (!strcasecmp(name + n - 4, ".bvh") || !strcasecmp(name + n - 4, ".npy") ||
                      !strcasecmp(name + n - 4, ".csv"))) ||
           (n > 6 && !strcasecmp(name + n - 6, ".jsonl")) || (n > 7 && !strcasecmp(name + n - 7, ".ndjson"));
}

/* a folder expands to its motion files, sorted */
static int expand(flist *l, const char *arg)
{
    struct stat st;
    if (stat(arg, &st) || !S_ISDIR(st.st_mode))
        return fl_add(l, arg);
    DIR *d = opendir(arg);
    if (!d)
        return fl_add(l, arg);
    int first = l->n, rc = 0;
    struct dirent *e;
    while ((e = readdir(d)) && !rc) {
        if (!is_motion(e->d_name))
            continue;
        char p[4096];
        snprintf(p, sizeof p, "%s%s%s", arg, arg[strlen(arg) - 1] == '/' ? "" : "/", e->d_name);
        rc = fl_add(l, p);
    }
    closedir(d);
    qsort(l->v + first, (size_t)(l->n - first), sizeof *l->v, cmp_str);
    return rc;
}

/* where the repaired version of in goes: OUT itself for one input named
   .npy/.csv, else OUT/<name> (a .jsonl becomes .csv) in a folder made as needed */
static int out_path(const char *out, int nfiles, const char *in, char *buf, size_t cap, lfd_err *err)
{
    size_t n = strlen(out);
    int is_file = nfiles == 1 && n > 4 && (!strcasecmp(out + n - 4, ".npy") || !strcasecmp(out + n - 4, ".csv"));
    if (is_file) {
        snprintf(buf, cap, "%s", out);
        return LFD_OK;
    }
    int rc = lfd_mkdir_p(out, err);
    if (rc)
        return rc;
    const char *base = strrchr(in, '/');
    base = base ? base + 1 : in;
    size_t bl = strlen(base);
    if ((bl > 6 && !strcasecmp(base + bl - 6, ".jsonl")) || (bl > 7 && !strcasecmp(base + bl - 7, ".ndjson"))) {
        const char *dot = strrchr(base, '.');
        snprintf(buf, cap, "%s/%.*s.csv", out, (int)(dot - base), base);
    } else {
        snprintf(buf, cap, "%s/%s", out, base);
    }
    return LFD_OK;
}

static int is_bvh(const char *p)
{
    size_t n = strlen(p);
    return n > 4 && !strcasecmp(p + n - 4, ".bvh");
}

/* A BVH under --repair -o DIR: lfd repairs keypoint files only, but the
   folder is the cleaned set, so the BVH goes there unchanged (with its
   consent sidecar FILE.prov.json), as a clean keypoint file does, and the
   report says so. */
static int copy_bvh(const char *in, const char *op, lfd_qa_report *r, lfd_err *err)
{
    uint8_t *data;
    size_t len;
    int rc = lfd_file_read(in, (size_t)1 << 32, &data, &len, err);
    if (rc == LFD_OK) {
        rc = lfd_file_write_atomic(op, data, len, err);
        free(data);
    }
    char sp[4200], so[4200];
    snprintf(sp, sizeof sp, "%s.prov.json", in);
    snprintf(so, sizeof so, "%s.prov.json", op);
    if (rc == LFD_OK && lfd_file_exists(sp) && (rc = lfd_file_read(sp, 16u << 20, &data, &len, err)) == LFD_OK) {
        rc = lfd_file_write_atomic(so, data, len, err);
        free(data);
    }
    if (rc)
        return rc;
    snprintf(r->repaired_to, sizeof r->repaired_to, "%.*s", (int)sizeof r->repaired_to - 1, op);
    r->repaired = 0;
    for (int i = 0; i < r->nreasons; i++)
        if (!strcmp(r->reason[i].check, "repair") && strstr(r->reason[i].msg, "not BVH"))
            snprintf(r->reason[i].msg, sizeof r->reason[i].msg,
                     "not repaired (--repair rewrites keypoint files): the BVH is copied unchanged");
    return LFD_OK;
}

static void print_limits(int json)
{
    if (json) {
        lfd_jw jw;
        lfd_jw_init_file(&jw, stdout, 1);
        lfd_jw_arr_begin(&jw);
        for (int i = 0; i < LFD_QAL_COUNT; i++) {
            lfd_jw_obj_begin(&jw);
            lfd_jw_kstr(&jw, "key", lfd_qa_limits[i].key);
            lfd_jw_knum(&jw, "value", lfd_qa_limits[i].value);
            lfd_jw_kstr(&jw, "meaning", lfd_qa_limits[i].meaning);
            lfd_jw_kstr(&jw, "source", lfd_qa_limits[i].source);
            lfd_jw_obj_end(&jw);
        }
        lfd_jw_arr_end(&jw);
        lfd_jw_finish(&jw);
        return;
    }
    for (int i = 0; i < LFD_QAL_COUNT; i++)
        printf("%-24s %-10.6g %s\n%24s            source: %s\n", lfd_qa_limits[i].key, lfd_qa_limits[i].value,
               lfd_qa_limits[i].meaning, "", lfd_qa_limits[i].source);
}

static int run_qa(const lfd_cmd *cmd, int argc, char **argv)
{
    int json = 0, strict = 0, limits = 0, repair = 0;
    const char *ref = NULL, *out = NULL;
    /* --in-fps starts at a value no one types, so a given 0, -5 or nan is
       told apart from "not given" and refused (they were silently ignored) */
    lfd_human_opts ho = {.fps = -DBL_MAX};
    lfd_opt opts[] = {
        {"json", 0, LFD_OPT_FLAG, &json, NULL, "print JSON instead of text"},
        {"strict", 0, LFD_OPT_FLAG, &strict, NULL, "exit 1 also when any file gets a warning"},
        {"units", 0, LFD_OPT_STR, &ho.units, "U", "source units: m|cm|mm|inch|asf, winning over a sidecar's or preset's (default/auto: theirs, else detected)"},
        {"up", 0, LFD_OPT_STR, &ho.up, "AXIS", "source up-axis: y|z|-y|-z, winning as --units does (default/auto: a sidecar's or preset's, else detected)"},
        {"in-fps", 0, LFD_OPT_DOUBLE, &ho.fps, "HZ", "frame rate for files that state none (a BVH's Frame Time, a "
                                                  "sidecar's fps or a time column win; each file says what applied)"},
        {"fps", 0, LFD_OPT_ALIAS, NULL, "in-fps", NULL},
        {"preset", 0, LFD_OPT_STR, &ho.preset, "NAME", "keypoint joints: smpl-22|smpl-24|mediapipe-33|coco-17|"
                                                       "halpe-26|holosoma-53"},
        {"repair", 0, LFD_OPT_FLAG, &repair, NULL, "repair keypoint files (swaps, flips, short gaps, floor tilt, "
                                                   "irregular times) into -o; the report is on the result"},
        {"out", 'o', LFD_OPT_STR, &out, "PATH", "with --repair: output folder (or a .npy/.csv file for one input)"},
        {"sidecar", 0, LFD_OPT_STR, &ho.sidecar, "FILE", "keypoint sidecar JSON (default <file>.json)"},
        {"map", 0, LFD_OPT_STR, &ho.map, "FILE", "canonical joint mapping JSON for an unknown rig"},
        {"ref-pose", 0, LFD_OPT_STR, &ref, "keep|drop", "a detected reference pose in frame 0 (default keep: "
                                                         "noted and left out of the checks)"},
        {"limits", 0, LFD_OPT_FLAG, &limits, NULL, "print the threshold table with sources and exit"},
        {0}};
    char **pos;
    int npos, rc;
    if ((rc = lfd_args_parse(cmd, opts, argc, argv, &pos, &npos, 0, -1)))
        return lfd_args_exit(rc);
    if ((rc = lfd_cli_check_preset(cmd, ho.preset)))
        return rc;
    if (ho.fps == -DBL_MAX)
        ho.fps = 0;
    else if (!(isfinite(ho.fps) && ho.fps > 0 && ho.fps <= LFD_KP_FPS_MAX))
        return lfd_cli_usage_error(cmd, "--in-fps must be a rate in (0, %g] Hz, got %g", LFD_KP_FPS_MAX, ho.fps);
    if (limits) {
        print_limits(json);
        return LFD_EXIT_OK;
    }
    if (npos == 0)
        return lfd_cli_usage_error(cmd, "missing argument: usage: lfd %s %s", cmd->name, cmd->usage);
    if (ref && !strcmp(ref, "drop"))
        ho.ref_pose = LFD_REFPOSE_DROP;
    else if (ref && strcmp(ref, "keep"))
        return lfd_cli_usage_error(cmd, "--ref-pose must be keep or drop");
    if (repair && !out)
        return lfd_cli_usage_error(cmd, "--repair needs -o OUT (a folder, or a .npy/.csv file for one input)");
    if (out && !repair)
        return lfd_cli_usage_error(cmd, "-o is only used with --repair");
    /* a path that is not there is a mistake in the command, not a bad
       demonstration: say so before judging anything */
    for (int i = 0; i < npos; i++) {
        struct stat st;
        if (stat(pos[i], &st) != 0) {
            lfd_err e = {0};
            lfd_fail(&e, LFD_EIO, "%s: %s", pos[i], strerror(errno));
            return lfd_cli_error(cmd, &e);
        }
    }
    flist files = {0};
    for (int i = 0; i < npos; i++)
        if (expand(&files, pos[i])) {
            fl_free(&files);
            return lfd_cli_usage_error(cmd, "too many files (limit %d) or out of memory", QA_MAX_FILES);
        }
    if (files.n == 0) {
        fl_free(&files);
        return lfd_cli_usage_error(cmd, "no .bvh, .npy, .csv or .jsonl files found");
    }
    /* -o naming one keypoint file cannot hold a BVH (nothing would be
       written while the command looked successful) */
    if (repair && files.n == 1 && is_bvh(files.v[0])) {
        size_t n = strlen(out);
        if (n > 4 && (!strcasecmp(out + n - 4, ".npy") || !strcasecmp(out + n - 4, ".csv"))) {
            int urc = lfd_cli_usage_error(cmd, "--repair -o %s: %s is a BVH; --repair rewrites keypoint "
                                               "files (.npy, .csv, .jsonl) and cannot write a BVH as %s "
                                               "(give -o a folder to copy it there unchanged)",
                                          out, files.v[0], out);
            fl_free(&files);
            return urc;
        }
    }
    lfd_jw jw;
    if (json) {
        lfd_jw_init_file(&jw, stdout, 1);
        lfd_jw_obj_begin(&jw);
        lfd_jw_key(&jw, "files");
        lfd_jw_arr_begin(&jw);
    }
    lfd_progress pr;
    if (files.n > 1)
        lfd_progress_start(&pr, "lfd qa", files.n);
    int count[3] = {0, 0, 0};
    lfd_qa_report *r = malloc(sizeof *r);
    if (!r) {
        fl_free(&files);
        lfd_err e = {0};
        lfd_fail(&e, LFD_ENOMEM, "out of memory");
        return lfd_cli_error(cmd, &e);
    }
    for (int i = 0; i < files.n; i++) {
        lfd_err err = {0};
        /* library warnings would repeat what the report says */
        int lvl = lfd_log_level;
        if (lfd_log_level == LFD_LOG_INFO)
            lfd_log_level = LFD_LOG_ERROR;
        if (repair) {
            char op[4096];
            rc = out_path(out, files.n, files.v[i], op, sizeof op, &err);
            /* the repaired file is never the recording itself (nor its
               sidecar): -o IN, or a folder given as its own output, replaced
               the raw data (found by review) */
            if (rc == LFD_OK) {
                char side[4200];
                snprintf(side, sizeof side, "%s.json", files.v[i]);
                if (lfd_cli_same_path(op, files.v[i]) || lfd_cli_same_path(op, side))
                    rc = lfd_fail(&err, LFD_EARG, "%s: the repaired file would replace the recording "
                                                  "(give -o another file or folder; nothing was written)",
                                  op);
            }
            if (rc == LFD_OK)
                rc = lfd_qa_file_repair(files.v[i], &ho, op, r, &err);
            if (rc == LFD_OK && r->loaded && !r->repaired_to[0] && is_bvh(files.v[i]) &&
                strcmp(op, files.v[i]))
                rc = copy_bvh(files.v[i], op, r, &err);
        } else {
            rc = lfd_qa_file(files.v[i], &ho, r, &err);
        }
        lfd_log_level = lvl;
        if (rc) {
            free(r);
            fl_free(&files);
            return lfd_cli_error(cmd, &err);
        }
        count[r->verdict]++;
        if (json)
            lfd_qa_report_json(r, &jw);
        else
            lfd_qa_print_text(r, stdout);
        fflush(stdout);
        if (files.n > 1)
            lfd_progress_update(&pr, i + 1);
    }
    if (files.n > 1)
        lfd_progress_end(&pr);
    if (json) {
        lfd_jw_arr_end(&jw);
        lfd_jw_key(&jw, "summary");
        lfd_jw_obj_begin(&jw);
        lfd_jw_kint(&jw, "pass", count[0]);
        lfd_jw_kint(&jw, "warn", count[1]);
        lfd_jw_kint(&jw, "reject", count[2]);
        lfd_jw_obj_end(&jw);
        lfd_jw_obj_end(&jw);
        lfd_jw_finish(&jw);
    } else if (files.n > 1) {
        printf("%d file(s): %d pass, %d warn, %d reject\n", files.n, count[0], count[1], count[2]);
    }
    free(r);
    fl_free(&files);
    /* the verdict is the exit code (README: 1 = the work ran and its
       verdict is fail/reject); --strict counts warnings too */
    return count[2] || (strict && count[1]) ? LFD_EXIT_FAIL : LFD_EXIT_OK;
}

LFD_COMMAND(cmd_qa, "qa", "check demonstrations: verdict, score and reasons per file",
            "FILE|FOLDER... [--json] [--strict] [--units U] [--up AXIS] [--in-fps HZ] [--preset NAME] "
            "[--repair -o OUT]",
            "Checks: nonfinite, frozen, teleport, jitter, bone_drift (keypoints), joint_angle,\n"
            "capture_area, floor, foot_slide, duration, frame_rate; and the failures of video\n"
            "pose estimators: lr_swap, depth_flip, dropout, bone_breathing, floor_tilt,\n"
            "timestamp_irregular (each marked [repairable] when --repair can fix it).  Each\n"
            "reason gives frame ranges (0-based rows of the file).  A file that cannot be read\n"
            "is rejected with score 0 and its whole file:line error; a path that does not\n"
            "exist is an error.  --in-fps applies only to files that state no rate; each\n"
            "file says what applied.  --repair -o OUT writes repaired keypoint files (a\n"
            "clean one is copied byte for byte) with a provenance listing every repair and\n"
            "its frames; what cannot be repaired stays a rejection.  BVH files are not\n"
            "repaired: with -o a folder they are copied there unchanged (with their\n"
            ".prov.json), and -o naming a .npy/.csv file for a BVH is refused.\n"
            "Exit 0 when every file passes or warns, 1 when any is rejected (with --strict\n"
            "also when any gets a warning), 2 on usage errors and paths that do not exist.\n"
            "Files: .bvh, .npy, .csv (wide or MediaPipe-style long, with visibility), .jsonl.\n"
            "`lfd qa --limits` prints every threshold with its source (docs/ingest.md).",
            run_qa)
