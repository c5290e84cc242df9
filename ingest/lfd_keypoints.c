/*  lfd_keypoints: CSV and .npy keypoint sequences, presets and sidecars
    (see lfd_keypoints.h).

    .npy layout (numpy's NEP 1, "A simple file format for NumPy arrays"):
    6-byte magic "\x93NUMPY", major and minor version bytes, header length
    (uint16 little-endian for 1.x, uint32 for 2.x/3.x), then an ASCII
    (3.x: UTF-8) Python dict literal with 'descr', 'fortran_order' and
    'shape', padded with spaces and a newline, then the raw data.
*/
#include "ingest/lfd_keypoints.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/lfd_io.h"
#include "core/lfd_util.h"
#include "core/lfd_json.h"
#include "core/lfd_log.h"
#include "ingest/lfd_bvh.h"

/* ---- presets ------------------------------------------------------------------- */
/* SMPL kinematic tree (Loper et al. 2015, SMPL: A Skinned Multi-Person Linear
   Model; joint names as in the smplx package's JOINT_NAMES). */
static const char *const smpl_names[24] = {
    "pelvis",     "left_hip",      "right_hip",      "spine1",        "left_knee",
    "right_knee", "spine2",        "left_ankle",     "right_ankle",   "spine3",
    "left_foot",  "right_foot",    "neck",           "left_collar",   "right_collar",
    "head",       "left_shoulder", "right_shoulder", "left_elbow",    "right_elbow",
    "left_wrist", "right_wrist",   "left_hand",      "right_hand"};
static const int smpl_parents[24] = {-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8,
                                     9,  9, 9, 12, 13, 14, 16, 17, 18, 19, 20, 21};

/* MediaPipe Pose landmarks 0..32 (BlazePose topology, google mediapipe
   "Pose landmark detection guide"). */
static const char *const mp_names[33] = {
    "nose",           "left_eye_inner", "left_eye",        "left_eye_outer", "right_eye_inner",
    "right_eye",      "right_eye_outer", "left_ear",       "right_ear",      "mouth_left",
    "mouth_right",    "left_shoulder",  "right_shoulder",  "left_elbow",     "right_elbow",
    "left_wrist",     "right_wrist",    "left_pinky",      "right_pinky",    "left_index",
    "right_index",    "left_thumb",     "right_thumb",     "left_hip",       "right_hip",
    "left_knee",      "right_knee",     "left_ankle",      "right_ankle",    "left_heel",
    "right_heel",     "left_foot_index", "right_foot_index"};

/* A tree over the landmarks (the BlazePose topology drawn in the same guide),
   used to anchor gap filling; shoulders are roots of the upper body. */
static const int mp_parents[33] = {-1, 0, 1, 2, 0, 4, 5, 3, 6, 0, 0, -1, 11, 11, 12, 13, 14,
                                   15, 16, 15, 16, 15, 16, 11, 12, 23, 24, 25, 26, 27, 28, 27, 28};

/* COCO 2017 person keypoints (cocodataset.org "Keypoint Evaluation"; the
   order of person_keypoints annotations), as 3D lifts write them. */
static const char *const coco_names[26] = {
    "nose",        "left_eye",       "right_eye",      "left_ear",        "right_ear",
    "left_shoulder", "right_shoulder", "left_elbow",   "right_elbow",     "left_wrist",
    "right_wrist", "left_hip",       "right_hip",      "left_knee",       "right_knee",
    "left_ankle",  "right_ankle",
    /* Halpe full-body 26 adds (MVIG-SJTU/AlphaPose, docs/output.md, "Halpe 26") */
    "head",        "neck",           "hip",            "left_big_toe",    "right_big_toe",
    "left_small_toe", "right_small_toe", "left_heel",  "right_heel"};
static const int coco_parents[26] = {-1, 0, 0, 1, 2, -1, 5, 5, 6, 7, 8, 5, 11, 11, 12, 13, 14,
                                     0, 5, 11, 15, 16, 15, 16, 15, 16};
/* Canonical placements for these presets (lfd_skeleton.h mapping-file
   form).  COCO-17 has no toe: its l_toe/r_toe sit on the ankles, so foot
   pitch and toe contact are unknown for it. */
static const char coco_map[] =
    "{\"pelvis\": [\"left_hip\", \"right_hip\"], \"neck\": [\"left_shoulder\", \"right_shoulder\"],"
    " \"head\": [\"left_ear\", \"right_ear\"], \"l_shoulder\": \"left_shoulder\", \"r_shoulder\": \"right_shoulder\","
    " \"l_elbow\": \"left_elbow\", \"r_elbow\": \"right_elbow\", \"l_wrist\": \"left_wrist\", \"r_wrist\": \"right_wrist\","
    " \"l_hip\": \"left_hip\", \"r_hip\": \"right_hip\", \"l_knee\": \"left_knee\", \"r_knee\": \"right_knee\","
    " \"l_ankle\": \"left_ankle\", \"r_ankle\": \"right_ankle\", \"l_toe\": \"left_ankle\", \"r_toe\": \"right_ankle\"}";
static const char halpe_map[] =
    "{\"pelvis\": \"hip\", \"neck\": \"neck\", \"head\": \"head\", \"l_shoulder\": \"left_shoulder\","
    " \"r_shoulder\": \"right_shoulder\", \"l_elbow\": \"left_elbow\", \"r_elbow\": \"right_elbow\","
    " \"l_wrist\": \"left_wrist\", \"r_wrist\": \"right_wrist\", \"l_hip\": \"left_hip\", \"r_hip\": \"right_hip\","
    " \"l_knee\": \"left_knee\", \"r_knee\": \"right_knee\", \"l_ankle\": \"left_ankle\", \"r_ankle\": \"right_ankle\","
    " \"l_toe\": [\"left_big_toe\", \"left_small_toe\"], \"r_toe\": [\"right_big_toe\", \"right_small_toe\"]}";

/* amazon-far/holosoma, holosoma_retargeting/config_types/data_type.py,
   MOCAP_DEMO_JOINTS (also listed in ../shared/data/mocap/README.md). */
static const char *const holo_names[53] = {
    "Hips", "Spine", "Spine1", "Neck", "Head",
    "LeftShoulder", "LeftArm", "LeftForeArm", "LeftHand",
    "LeftHandThumb1", "LeftHandThumb2", "LeftHandThumb3",
    "LeftHandIndex1", "LeftHandIndex2", "LeftHandIndex3",
    "LeftHandMiddle1", "LeftHandMiddle2", "LeftHandMiddle3",
    "LeftHandRing1", "LeftHandRing2", "LeftHandRing3",
    "LeftHandPinky1", "LeftHandPinky2", "LeftHandPinky3",
    "RightShoulder", "RightArm", "RightForeArm", "RightHand",
    "RightHandThumb1", "RightHandThumb2", "RightHandThumb3",
    "RightHandIndex1", "RightHandIndex2", "RightHandIndex3",
    "RightHandMiddle1", "RightHandMiddle2", "RightHandMiddle3",
    "RightHandRing1", "RightHandRing2", "RightHandRing3",
    "RightHandPinky1", "RightHandPinky2", "RightHandPinky3",
    "LeftUpLeg", "LeftLeg", "LeftFoot", "LeftToeBase",
    "RightUpLeg", "RightLeg", "RightFoot", "RightToeBase",
    "LeftFootMod", "RightFootMod"};
/* the Mixamo-style tree implied by the names; *FootMod sit on the feet */
static const int holo_parents[53] = {
    -1, 0, 1, 2, 3,
    2, 5, 6, 7,
    8, 9, 10, 8, 12, 13, 8, 15, 16, 8, 18, 19, 8, 21, 22,
    2, 24, 25, 26,
    27, 28, 29, 27, 31, 32, 27, 34, 35, 27, 37, 38, 27, 40, 41,
    0, 43, 44, 45,
    0, 47, 48, 49,
    44, 48};

static const lfd_kp_preset presets[] = {
    {"smpl-22", "SMPL body joints 0..21 (HumanML3D / AMASS joint arrays)", 22, smpl_names,
     smpl_parents, 0, "m", NULL, NULL},
    {"smpl-24", "SMPL body joints 0..23 (with hands)", 24, smpl_names, smpl_parents, 0, "m", NULL, NULL},
    {"mediapipe-33", "MediaPipe Pose world landmarks (33, metres, origin between the hips)", 33,
     mp_names, mp_parents, 0, "m", NULL, NULL},
    {"coco-17", "COCO-17 keypoints lifted to 3D (no toes: feet end at the ankles)", 17, coco_names,
     coco_parents, 0, NULL, NULL, coco_map},
    {"halpe-26", "Halpe-26 full-body keypoints (AlphaPose) lifted to 3D", 26, coco_names, coco_parents, 0,
     NULL, NULL, halpe_map},
    /* 120 Hz: not published; the walking part of climb seq 1 has swing phases of 64-98
       frames, and normal swing lasts about 0.4 s (Perry & Burnfield, Gait Analysis, 2nd ed.,
       2010: swing ~40% of a ~1 s stride), so the rate is >= 120 Hz, the usual optical
       mocap rate.  Override with --in-fps or a sidecar. */
    {"holosoma-53", "amazon-far/holosoma mocap demo joints (53, metres, Z-up; rate assumed 120 Hz)",
     53, holo_names, holo_parents, 120, "m", "z", NULL},
};
#define NPRESETS ((int)(sizeof presets / sizeof presets[0]))

int lfd_kp_npresets(void) { return NPRESETS; }
const lfd_kp_preset *lfd_kp_preset_at(int i) { return i >= 0 && i < NPRESETS ? &presets[i] : NULL; }

const lfd_kp_preset *lfd_kp_preset_find(const char *id)
{
    for (int i = 0; id && i < NPRESETS; i++)
        if (!strcasecmp(id, presets[i].id))
            return &presets[i];
    return NULL;
}

/* ---- common --------------------------------------------------------------------- */
void lfd_kp_free(lfd_keypoints *kp)
{
    if (!kp)
        return;
    free(kp->names);
    free(kp->parents);
    free(kp->pos);
    free(kp->conf);
    free(kp->times);
    memset(kp, 0, sizeof *kp);
}

int lfd_kp_clone(lfd_keypoints *d, const lfd_keypoints *s, lfd_err *err)
{
    *d = *s;
    size_t J = (size_t)s->njoints, T = (size_t)s->nframes;
    d->names = malloc(J * sizeof *d->names);
    d->parents = malloc(J * sizeof *d->parents);
    d->pos = malloc(T * J * 3 * sizeof *d->pos);
    d->conf = s->conf ? malloc(T * J * sizeof *d->conf) : NULL;
    d->times = s->times ? malloc(T * sizeof *d->times) : NULL;
    if (!d->names || !d->parents || !d->pos || (s->conf && !d->conf) || (s->times && !d->times)) {
        lfd_kp_free(d);
        return lfd_fail(err, LFD_ENOMEM, "%s: out of memory", s->name);
    }
    memcpy(d->names, s->names, J * sizeof *d->names);
    memcpy(d->parents, s->parents, J * sizeof *d->parents);
    memcpy(d->pos, s->pos, T * J * 3 * sizeof *d->pos);
    if (s->conf)
        memcpy(d->conf, s->conf, T * J * sizeof *d->conf);
    if (s->times)
        memcpy(d->times, s->times, T * sizeof *d->times);
    return LFD_OK;
}

static void kp_warn(lfd_keypoints *kp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void kp_warn(lfd_keypoints *kp, const char *fmt, ...)
{
    if (kp->nwarn >= LFD_KP_MAX_WARN)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(kp->warn[kp->nwarn], sizeof kp->warn[0], fmt, ap);
    va_end(ap);
    lfd_warn("%s", kp->warn[kp->nwarn]);
    kp->nwarn++;
}

static int kp_alloc(lfd_keypoints *kp, int T, int J, lfd_err *err)
{
    if (T <= 0 || J <= 0 || T > LFD_KP_MAX_FRAMES || J > LFD_KP_MAX_JOINTS ||
        (size_t)T * (size_t)J * 3 > LFD_KP_MAX_VALUES)
        return lfd_fail(err, LFD_ELIMIT, "%s: %d frames x %d joints is outside the limits (%d joints, %zu values)",
                        kp->name, T, J, LFD_KP_MAX_JOINTS, (size_t)LFD_KP_MAX_VALUES);
    kp->names = calloc((size_t)J, sizeof *kp->names);
    kp->parents = malloc((size_t)J * sizeof *kp->parents);
    kp->pos = malloc((size_t)T * (size_t)J * 3 * sizeof(double));
    if (!kp->names || !kp->parents || !kp->pos)
        return lfd_fail(err, LFD_ENOMEM, "%s: out of memory", kp->name);
    for (int j = 0; j < J; j++)
        kp->parents[j] = -1;
    kp->nframes = T;
    kp->njoints = J;
    return LFD_OK;
}

static int valid_units(const char *u)
{
    static const char *const ok[] = {"m", "cm", "mm", "inch", "asf"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (!strcmp(u, ok[i]))
            return 1;
    return 0;
}

static int valid_up(const char *u)
{
    return !strcmp(u, "y") || !strcmp(u, "z") || !strcmp(u, "-y") || !strcmp(u, "-z");
}

/* What a sidecar may say; names are filled only when present. */
typedef struct sidecar {
    int present;
    char path[1100];
    lfd_json_doc *doc;
    const lfd_json *joints, *parents;
    double fps;
    char units[8], up[4], preset[32];
} sidecar;

static int sidecar_load(sidecar *sc, const char *data_path, const lfd_kp_opts *o, lfd_err *err)
{
    memset(sc, 0, sizeof *sc);
    if (o && o->sidecar) {
        snprintf(sc->path, sizeof sc->path, "%s", o->sidecar);
    } else {
        snprintf(sc->path, sizeof sc->path, "%s.json", data_path);
        if (!lfd_file_exists(sc->path))
            return LFD_OK;
    }
    int rc = lfd_json_parse_file(&sc->doc, sc->path, err);
    if (rc)
        return rc;
    sc->present = 1;
    const lfd_json *root = lfd_json_root(sc->doc);
    if (root->type != LFD_JSON_OBJ)
        return lfd_fail(err, LFD_EPARSE, "%s:%d: a keypoint sidecar is a JSON object", sc->path, root->line);
    for (const lfd_json *e = root->child; e; e = e->next) {
        if (e->key[0] == '_')
            continue;
        if (!strcmp(e->key, "joints") && e->type == LFD_JSON_ARR) {
            sc->joints = e;
        } else if (!strcmp(e->key, "parents") && e->type == LFD_JSON_ARR) {
            sc->parents = e;
        } else if (!strcmp(e->key, "fps") && e->type == LFD_JSON_NUM) {
            if (!(e->num > 0 && e->num <= LFD_KP_FPS_MAX))
                return lfd_fail(err, LFD_EPARSE, "%s:%d: fps must be in (0, %g]", sc->path, e->line, LFD_KP_FPS_MAX);
            sc->fps = e->num;
        } else if (!strcmp(e->key, "units") && e->type == LFD_JSON_STR && valid_units(e->str)) {
            snprintf(sc->units, sizeof sc->units, "%s", e->str);
        } else if (!strcmp(e->key, "up") && e->type == LFD_JSON_STR && valid_up(e->str)) {
            snprintf(sc->up, sizeof sc->up, "%s", e->str);
        } else if (!strcmp(e->key, "preset") && e->type == LFD_JSON_STR && lfd_kp_preset_find(e->str)) {
            snprintf(sc->preset, sizeof sc->preset, "%s", e->str);
        } else {
            return lfd_fail(err, LFD_EPARSE,
                            "%s:%d: unknown or invalid key '%s' (keys: joints [names], parents [ints], "
                            "fps > 0, units m|cm|mm|inch|asf, up y|z|-y|-z, preset smpl-22|smpl-24|"
                            "mediapipe-33|coco-17|halpe-26|holosoma-53)",
                            sc->path, e->line, e->key);
        }
    }
    return LFD_OK;
}

/* index of name in names[0..n), or -1 */
static int kp_name_index(const char *const *names, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(names[i], name))
            return i;
    return -1;
}

/* Names, parents, fps, units and up for kp from options, sidecar and preset.
   have_names: the file itself named the joints (CSV header). */
static int kp_describe(lfd_keypoints *kp, const sidecar *sc, const lfd_kp_opts *o, int have_names,
                       double file_fps, lfd_err *err)
{
    const int J = kp->njoints;
    /* preset: option, sidecar, or (no names anywhere) by joint count */
    const lfd_kp_preset *pr = NULL;
    if (o && o->preset) {
        pr = lfd_kp_preset_find(o->preset);
        if (!pr)
            return lfd_fail(err, LFD_EARG, "unknown preset '%s' (smpl-22, smpl-24, mediapipe-33, coco-17, halpe-26, holosoma-53)",
                            o->preset);
    } else if (sc->preset[0]) {
        pr = lfd_kp_preset_find(sc->preset);
    } else if (!have_names && !sc->joints) {
        for (int i = 0; i < NPRESETS && !pr; i++)
            if (presets[i].njoints == J)
                pr = &presets[i];
        if (!pr)
            return lfd_fail(err, LFD_EARG,
                            "%s: %d joints and no joint names: give --preset (smpl-22, smpl-24, "
                            "mediapipe-33, coco-17, halpe-26, holosoma-53) or a sidecar %s.json with \"joints\"",
                            kp->name, J, kp->name);
        kp_warn(kp, "%s: no joint names; assuming preset %s from the joint count %d (pass --preset to choose)",
                kp->name, pr->id, J);
    }
    if (pr && pr->njoints != J)
        return lfd_fail(err, LFD_EMISMATCH, "%s: preset %s has %d joints, the file has %d", kp->name,
                        pr->id, pr->njoints, J);
    if (pr) {
        snprintf(kp->preset, sizeof kp->preset, "%s", pr->id);
        if (!have_names)
            for (int j = 0; j < J; j++)
                snprintf(kp->names[j], LFD_KP_NAME_MAX, "%s", pr->names[j]);
        if (pr->units)
            snprintf(kp->units, sizeof kp->units, "%s", pr->units);
        if (pr->up)
            snprintf(kp->up, sizeof kp->up, "%s", pr->up);
    }
    /* sidecar names and parents override the preset */
    if (sc->joints) {
        if (sc->joints->count != J)
            return lfd_fail(err, LFD_EMISMATCH, "%s:%d: \"joints\" lists %d names, the file has %d joints",
                            sc->path, sc->joints->line, sc->joints->count, J);
        int j = 0;
        for (const lfd_json *e = sc->joints->child; e; e = e->next, j++) {
            if (e->type != LFD_JSON_STR || e->len == 0 || e->len >= LFD_KP_NAME_MAX)
                return lfd_fail(err, LFD_EPARSE, "%s:%d: joint names must be strings of 1..%d characters",
                                sc->path, e->line, LFD_KP_NAME_MAX - 1);
            snprintf(kp->names[j], LFD_KP_NAME_MAX, "%s", e->str);
        }
    }
    /* the preset's tree: by position only when the names are the preset's
       own; a file (or sidecar) that names its joints may list them in any
       order, so each parent is found by name (by position, a shuffled COCO
       file had left_wrist under right_wrist) */
    if (pr && pr->parents) {
        int byname = have_names || sc->joints;
        for (int j = 0; j < J; j++) {
            if (!byname) {
                kp->parents[j] = pr->parents[j];
                continue;
            }
            int pj = kp_name_index(pr->names, pr->njoints, kp->names[j]);
            if (pj < 0)
                return lfd_fail(err, LFD_EARG,
                                "%s: joint '%s' is not a joint of preset %s, whose tree is found by joint name "
                                "(name the joints as the preset does, e.g. '%s', or leave out the preset)",
                                kp->name, kp->names[j], pr->id, pr->names[j < pr->njoints ? j : 0]);
            int pp = pr->parents[pj], q = -1;
            if (pp >= 0) {
                for (int k = 0; k < J && q < 0; k++)
                    if (!strcmp(kp->names[k], pr->names[pp]))
                        q = k;
                if (q < 0)
                    return lfd_fail(err, LFD_EARG,
                                    "%s: joint '%s' needs its parent '%s' in preset %s's tree, and the file "
                                    "names no such joint",
                                    kp->name, kp->names[j], pr->names[pp], pr->id);
            }
            kp->parents[j] = q;
        }
    }
    if (sc->parents) {
        if (sc->parents->count != J)
            return lfd_fail(err, LFD_EMISMATCH, "%s:%d: \"parents\" lists %d entries, the file has %d joints",
                            sc->path, sc->parents->line, sc->parents->count, J);
        int j = 0;
        for (const lfd_json *e = sc->parents->child; e; e = e->next, j++) {
            if (e->type != LFD_JSON_NUM || e->num != floor(e->num) || e->num < -1 || e->num >= j)
                return lfd_fail(err, LFD_EPARSE,
                                "%s:%d: parents[%d] must be -1 or the index of an earlier joint",
                                sc->path, e->line, j);
            kp->parents[j] = (int)e->num;
        }
    }
    for (int j = 0; j < J; j++)
        if (!kp->names[j][0])
            return lfd_fail(err, LFD_EARG, "%s: joint %d has no name", kp->name, j);
    if (sc->units[0])
        snprintf(kp->units, sizeof kp->units, "%s", sc->units);
    if (sc->up[0])
        snprintf(kp->up, sizeof kp->up, "%s", sc->up);
    /* rate: option > sidecar > the file's time column > preset.  A given
       rate (0: not given) is checked as the sidecar's is: NaN, infinity or
       an absurd rate would size the checks' windows beyond the clip. */
    if (o && ((o->fps != 0 && !(o->fps > 0 && o->fps <= LFD_KP_FPS_MAX)) ||
              (o->fps_default != 0 && !(o->fps_default > 0 && o->fps_default <= LFD_KP_FPS_MAX))))
        return lfd_fail(err, LFD_EARG, "%s: frame rate %g Hz is outside (0, %g]", kp->name,
                        o->fps != 0 ? o->fps : o->fps_default, LFD_KP_FPS_MAX);
    if (o && o->fps > 0) {
        kp->fps = o->fps;
        snprintf(kp->fps_source, sizeof kp->fps_source, "option");
    } else if (sc->fps > 0) {
        kp->fps = sc->fps;
        snprintf(kp->fps_source, sizeof kp->fps_source, "sidecar");
    } else if (file_fps > 0) {
        kp->fps = file_fps;
        snprintf(kp->fps_source, sizeof kp->fps_source, "time column");
    } else if (o && o->fps_default > 0) {
        kp->fps = o->fps_default;
        snprintf(kp->fps_source, sizeof kp->fps_source, "option (file has none)");
    } else if (pr && pr->fps > 0) {
        kp->fps = pr->fps;
        snprintf(kp->fps_source, sizeof kp->fps_source, "preset %s", pr->id);
    } else {
        return lfd_fail(err, LFD_EARG,
                        "%s: the frame rate is unknown: give --in-fps HZ or \"fps\" in a sidecar %s.json",
                        kp->name, kp->name);
    }
    return LFD_OK;
}

/* ---- .npy ------------------------------------------------------------------------- */
/* skips spaces in the header dict */
static size_t hsp(const char *h, size_t i, size_t n)
{
    while (i < n && (h[i] == ' ' || h[i] == '\t' || h[i] == '\n' || h[i] == '\r'))
        i++;
    return i;
}

int lfd_npy_parse(const uint8_t *buf, size_t len, const char *name, lfd_npy *npy, lfd_err *err)
{
    memset(npy, 0, sizeof *npy);
    if (len < 10 || memcmp(buf, "\x93NUMPY", 6))
        return lfd_fail(err, LFD_EPARSE, "%s: byte 0: not a .npy file (no \\x93NUMPY magic)", name);
    npy->major = buf[6];
    npy->minor = buf[7];
    size_t hlen, hoff;
    if (npy->major == 1) {
        hlen = (size_t)buf[8] | (size_t)buf[9] << 8;
        hoff = 10;
    } else if (npy->major == 2 || npy->major == 3) {
        if (len < 12)
            return lfd_fail(err, LFD_EPARSE, "%s: byte 8: truncated header length", name);
        hlen = (size_t)buf[8] | (size_t)buf[9] << 8 | (size_t)buf[10] << 16 | (size_t)buf[11] << 24;
        hoff = 12;
    } else {
        return lfd_fail(err, LFD_EUNSUPPORTED, "%s: byte 6: .npy format version %d.%d (lfd reads 1.x, 2.x, 3.x)",
                        name, npy->major, npy->minor);
    }
    if (hlen > ((size_t)1 << 20) || hoff + hlen > len)
        return lfd_fail(err, LFD_EPARSE, "%s: byte %zu: header length %zu runs past the end of the file (%zu bytes)",
                        name, hoff - 4 + (npy->major == 1 ? 2 : 0), hlen, len);
    const char *h = (const char *)buf + hoff;
    size_t i = hsp(h, 0, hlen);
    if (i >= hlen || h[i] != '{')
        return lfd_fail(err, LFD_EPARSE, "%s: byte %zu: header is not a Python dict", name, hoff + i);
    i++;
    int have_descr = 0, have_fortran = 0, have_shape = 0;
    for (;;) {
        i = hsp(h, i, hlen);
        if (i < hlen && h[i] == '}')
            break;
        /* key: a quoted string */
        if (i >= hlen || (h[i] != '\'' && h[i] != '"'))
            return lfd_fail(err, LFD_EPARSE, "%s: byte %zu: expected a quoted key in the header", name, hoff + i);
        char q = h[i++];
        size_t ks = i;
        while (i < hlen && h[i] != q)
            i++;
        if (i >= hlen)
            return lfd_fail(err, LFD_EPARSE, "%s: byte %zu: unterminated key", name, hoff + ks);
        size_t kl = i - ks;
        const char *key = h + ks;
        i = hsp(h, i + 1, hlen);
        if (i >= hlen || h[i] != ':')
            return lfd_fail(err, LFD_EPARSE, "%s: byte %zu: expected ':' after a key", name, hoff + i);
        i = hsp(h, i + 1, hlen);
        if (kl == 5 && !memcmp(key, "descr", 5)) {
            if (i >= hlen || (h[i] != '\'' && h[i] != '"'))
                return lfd_fail(err, LFD_EUNSUPPORTED, "%s: byte %zu: 'descr' is not a simple dtype string (structured arrays are not supported)",
                                name, hoff + i);
            char q2 = h[i++];
            size_t s = i;
            while (i < hlen && h[i] != q2)
                i++;
            if (i >= hlen || i - s >= sizeof npy->descr)
                return lfd_fail(err, LFD_EPARSE, "%s: byte %zu: bad 'descr'", name, hoff + s);
            memcpy(npy->descr, h + s, i - s);
            npy->descr[i - s] = '\0';
            i++;
            have_descr = 1;
        } else if (kl == 13 && !memcmp(key, "fortran_order", 13)) {
            if (i + 4 <= hlen && !memcmp(h + i, "True", 4)) {
                npy->fortran = 1;
                i += 4;
            } else if (i + 5 <= hlen && !memcmp(h + i, "False", 5)) {
                npy->fortran = 0;
                i += 5;
            } else {
                return lfd_fail(err, LFD_EPARSE, "%s: byte %zu: 'fortran_order' must be True or False", name, hoff + i);
            }
            have_fortran = 1;
        } else if (kl == 5 && !memcmp(key, "shape", 5)) {
            if (i >= hlen || h[i] != '(')
                return lfd_fail(err, LFD_EPARSE, "%s: byte %zu: 'shape' must be a tuple", name, hoff + i);
            i++;
            npy->ndim = 0;
            for (;;) {
                i = hsp(h, i, hlen);
                if (i < hlen && h[i] == ')') {
                    i++;
                    break;
                }
                if (i >= hlen || !isdigit((unsigned char)h[i]))
                    return lfd_fail(err, LFD_EPARSE, "%s: byte %zu: bad 'shape' entry", name, hoff + i);
                uint64_t v = 0;
                while (i < hlen && isdigit((unsigned char)h[i])) {
                    if (v > (UINT64_MAX - 9) / 10)
                        return lfd_fail(err, LFD_ELIMIT, "%s: byte %zu: shape entry overflows", name, hoff + i);
                    v = v * 10 + (uint64_t)(h[i++] - '0');
                }
                if (i < hlen && h[i] == 'L')
                    i++; /* Python 2's long literal: (400L, 53L, 3L) (found by review) */
                if (npy->ndim >= 8)
                    return lfd_fail(err, LFD_ELIMIT, "%s: byte %zu: more than 8 dimensions", name, hoff + i);
                npy->shape[npy->ndim++] = v;
                i = hsp(h, i, hlen);
                if (i < hlen && h[i] == ',')
                    i++;
            }
            have_shape = 1;
        } else {
            return lfd_fail(err, LFD_EPARSE, "%s: byte %zu: unexpected header key '%.*s'", name, hoff + ks,
                            (int)(kl < 40 ? kl : 40), key);
        }
        i = hsp(h, i, hlen);
        if (i < hlen && h[i] == ',')
            i++;
    }
    if (!have_descr || !have_fortran || !have_shape)
        return lfd_fail(err, LFD_EPARSE, "%s: byte %zu: header lacks %s", name, hoff,
                        !have_descr ? "'descr'" : !have_fortran ? "'fortran_order'" : "'shape'");
    /* dtype: float32 / float64, either byte order */
    const char *d = npy->descr;
    if ((d[0] == '<' || d[0] == '>' || d[0] == '=') && d[1] == 'f' && (d[2] == '4' || d[2] == '8') && !d[3]) {
        npy->itemsize = d[2] - '0';
        npy->big_endian = d[0] == '>';
    } else {
        return lfd_fail(err, LFD_EUNSUPPORTED,
                        "%s: byte %zu: dtype '%s' is not supported (keypoints must be <f4, <f8, >f4 or >f8)",
                        name, hoff, d);
    }
    /* element count with overflow checks, then the data size */
    uint64_t count = 1;
    for (int k = 0; k < npy->ndim; k++) {
        if (npy->shape[k] && count > LFD_KP_MAX_VALUES / npy->shape[k])
            return lfd_fail(err, LFD_ELIMIT, "%s: byte %zu: shape has more than %zu elements", name, hoff,
                            (size_t)LFD_KP_MAX_VALUES);
        count *= npy->shape[k];
    }
    if (count > LFD_KP_MAX_VALUES)
        return lfd_fail(err, LFD_ELIMIT, "%s: byte %zu: shape has more than %zu elements", name, hoff,
                        (size_t)LFD_KP_MAX_VALUES);
    npy->count = count;
    size_t off = hoff + hlen;
    npy->nbytes = (size_t)count * (size_t)npy->itemsize;
    if (len - off < npy->nbytes)
        return lfd_fail(err, LFD_EPARSE, "%s: byte %zu: data is truncated: the shape needs %zu bytes, the file has %zu",
                        name, off, npy->nbytes, len - off);
    npy->data = buf + off;
    return LFD_OK;
}

/* element i of the raw data as a double (any byte order, unaligned) */
static double npy_get(const lfd_npy *npy, size_t i)
{
    uint8_t b[8];
    memcpy(b, npy->data + i * (size_t)npy->itemsize, (size_t)npy->itemsize);
    if (npy->big_endian)
        for (int k = 0; k < npy->itemsize / 2; k++) {
            uint8_t t = b[k];
            b[k] = b[npy->itemsize - 1 - k];
            b[npy->itemsize - 1 - k] = t;
        }
    if (npy->itemsize == 4) {
        float f;
        memcpy(&f, b, 4);
        return f;
    }
    double v;
    memcpy(&v, b, 8);
    return v;
}

/* The start every reader shares: kp cleared and named after path, the whole
   file in a new buffer (*buf, the caller frees it). */
static int kp_file_read(lfd_keypoints *kp, const char *path, uint8_t **buf, size_t *len, lfd_err *err)
{
    memset(kp, 0, sizeof *kp);
    snprintf(kp->name, sizeof kp->name, "%s", path);
    return lfd_file_read(path, LFD_KP_MAX_BYTES, buf, len, err);
}

/* The end every reader shares: path's sidecar (if any) read, then kp described
   from it and the options. */
static int kp_finish(lfd_keypoints *kp, const char *path, const lfd_kp_opts *o, int have_names,
                     double file_fps, lfd_err *err)
{
    sidecar sc = {0};
    int rc = sidecar_load(&sc, path, o, err);
    if (rc == LFD_OK)
        rc = kp_describe(kp, &sc, o, have_names, file_fps, err);
    lfd_json_free(&sc.doc);
    return rc;
}

int lfd_kp_read_npy(lfd_keypoints *kp, const char *path, const lfd_kp_opts *o, lfd_err *err)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = kp_file_read(kp, path, &buf, &len, err);
    if (rc)
        return rc;
    lfd_npy npy;
    rc = lfd_npy_parse(buf, len, path, &npy, err);
    if (rc == LFD_OK && (npy.ndim != 3 || npy.shape[2] != 3)) {
        char sh[96] = "";
        size_t l = 0;
        for (int k = 0; k < npy.ndim && l < sizeof sh; k++)
            l += (size_t)snprintf(sh + l, sizeof sh - l, "%s%llu", k ? ", " : "", (unsigned long long)npy.shape[k]);
        rc = lfd_fail(err, LFD_EMISMATCH, "%s: shape (%s): keypoints must have shape (frames, joints, 3)", path, sh);
    }
    if (rc == LFD_OK && (npy.shape[0] == 0 || npy.shape[1] == 0))
        rc = lfd_fail(err, LFD_EPARSE, "%s: empty array (shape %llu x %llu x 3)", path,
                      (unsigned long long)npy.shape[0], (unsigned long long)npy.shape[1]);
    if (rc == LFD_OK && (npy.shape[0] > LFD_KP_MAX_FRAMES || npy.shape[1] > LFD_KP_MAX_JOINTS))
        rc = lfd_fail(err, LFD_ELIMIT, "%s: %llu frames x %llu joints is over the limits (%d, %d)", path,
                      (unsigned long long)npy.shape[0], (unsigned long long)npy.shape[1],
                      LFD_KP_MAX_FRAMES, LFD_KP_MAX_JOINTS);
    if (rc == LFD_OK)
        rc = kp_alloc(kp, (int)npy.shape[0], (int)npy.shape[1], err);
    if (rc == LFD_OK) {
        /* copy out, honouring byte order and C / Fortran layout */
        size_t T = (size_t)kp->nframes, J = (size_t)kp->njoints;
        for (size_t t = 0; t < T; t++)
            for (size_t j = 0; j < J; j++)
                for (size_t c = 0; c < 3; c++) {
                    size_t src = npy.fortran ? t + T * (j + J * c) : (t * J + j) * 3 + c;
                    double v = npy_get(&npy, src);
                    kp->nonfinite += !isfinite(v);
                    kp->pos[(t * J + j) * 3 + c] = v;
                }
    }
    if (rc == LFD_OK)
        rc = kp_finish(kp, path, o, 0, 0, err);
    free(buf);
    if (rc)
        lfd_kp_free(kp);
    return rc;
}

int lfd_npy_write(const char *path, const double *pos, int T, int J, const char *descr, int version,
                  int fortran, lfd_err *err)
{
    if (T <= 0 || J <= 0 || (size_t)T * (size_t)J * 3 > LFD_KP_MAX_VALUES)
        return lfd_fail(err, LFD_EARG, "lfd_npy_write: bad shape %d x %d x 3", T, J);
    if (!descr)
        descr = "<f8";
    int isz = descr[2] == '4' ? 4 : 8, big = descr[0] == '>';
    if (strlen(descr) != 3 || (descr[0] != '<' && descr[0] != '>') || descr[1] != 'f' ||
        (descr[2] != '4' && descr[2] != '8') || version < 1 || version > 3)
        return lfd_fail(err, LFD_EARG, "lfd_npy_write: descr '%s' / version %d not supported", descr, version);
    char dict[256];
    int dl = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': %s, 'shape': (%d, %d, 3), }",
                      descr, fortran ? "True" : "False", T, J);
    size_t pre = version == 1 ? 10 : 12;
    /* pad so that the data starts on a 64-byte boundary, header ends in '\n' */
    size_t total = pre + (size_t)dl + 1;
    size_t pad = (64 - total % 64) % 64;
    size_t hlen = (size_t)dl + pad + 1;
    size_t n = (size_t)T * (size_t)J * 3;
    size_t len = pre + hlen + n * (size_t)isz;
    uint8_t *out = malloc(len);
    if (!out)
        return lfd_fail(err, LFD_ENOMEM, "lfd_npy_write: out of memory");
    memcpy(out, "\x93NUMPY", 6);
    out[6] = (uint8_t)version;
    out[7] = 0;
    if (version == 1) {
        out[8] = (uint8_t)(hlen & 0xff);
        out[9] = (uint8_t)(hlen >> 8);
    } else {
        for (int k = 0; k < 4; k++)
            out[8 + k] = (uint8_t)(hlen >> (8 * k));
    }
    memcpy(out + pre, dict, (size_t)dl);
    memset(out + pre + dl, ' ', pad);
    out[pre + hlen - 1] = '\n';
    uint8_t *d = out + pre + hlen;
    for (size_t t = 0; t < (size_t)T; t++)
        for (size_t j = 0; j < (size_t)J; j++)
            for (size_t c = 0; c < 3; c++) {
                double v = pos[(t * (size_t)J + j) * 3 + c];
                size_t dst = fortran ? t + (size_t)T * (j + (size_t)J * c) : (t * (size_t)J + j) * 3 + c;
                uint8_t b[8];
                if (isz == 4) {
                    float f = (float)v;
                    memcpy(b, &f, 4);
                } else {
                    memcpy(b, &v, 8);
                }
                if (big)
                    for (int k = 0; k < isz / 2; k++) {
                        uint8_t tmp = b[k];
                        b[k] = b[isz - 1 - k];
                        b[isz - 1 - k] = tmp;
                    }
                memcpy(d + dst * (size_t)isz, b, (size_t)isz);
            }
    int rc = lfd_file_write_atomic(path, out, len, err);
    free(out);
    return rc;
}

/* ---- CSV ----------------------------------------------------------------------------- */
typedef struct cell {
    const char *s;
    size_t n;
} cell;

/* splits one line into cells (trimmed); returns the count or -1 past max */
static int split_line(const char *p, const char *e, char delim, cell *cells, int max)
{
    int k = 0;
    for (;;) {
        const char *q = p;
        while (q < e && *q != delim)
            q++;
        const char *a = p, *b = q;
        while (a < b && (*a == ' ' || *a == '\t') && delim != '\t')
            a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t') && delim != '\t')
            b--;
        /* strip one level of double quotes */
        if (b - a >= 2 && *a == '"' && b[-1] == '"') {
            a++;
            b--;
        }
        if (k >= max)
            return -1;
        cells[k].s = a;
        cells[k].n = (size_t)(b - a);
        k++;
        if (q >= e)
            break;
        p = q + 1;
    }
    return k;
}

static int ci_eq(const cell *c, const char *s)
{
    return c->n == strlen(s) && !strncasecmp(c->s, s, c->n);
}

/* a confidence column suffix (MediaPipe writes visibility and presence) */
static int conf_suffix(const char *s, size_t n)
{
    static const char *const suf[] = {"visibility", "presence", "confidence", "conf", "score", "vis"};
    for (size_t i = 0; i < sizeof suf / sizeof suf[0]; i++)
        if (n == strlen(suf[i]) && !strncasecmp(s, suf[i], n))
            return 1;
    return 0;
}

/* splits "<joint>_<suffix>" (or '.'); returns 0..2 for x/y/z, 3 for a
   confidence column, -1 otherwise; *jl gets the joint-name length */
static int column_role(const cell *c, size_t *jl)
{
    size_t i = c->n;
    while (i > 0 && c->s[i - 1] != '_' && c->s[i - 1] != '.')
        i--;
    if (i < 2)
        return -1;
    *jl = i - 1;
    const char *suf = c->s + i;
    size_t sn = c->n - i;
    if (sn == 1 && tolower((unsigned char)suf[0]) >= 'x' && tolower((unsigned char)suf[0]) <= 'z')
        return tolower((unsigned char)suf[0]) - 'x';
    return conf_suffix(suf, sn) ? 3 : -1;
}

/* joint names that are only numbers ("0", "landmark_12", "kp3") name nothing */
static int names_are_indices(const lfd_keypoints *kp)
{
    for (int j = 0; j < kp->njoints; j++) {
        const char *s = kp->names[j];
        size_t n = strlen(s);
        if (!n || !isdigit((unsigned char)s[n - 1]))
            return 0;
        size_t d = n;
        while (d > 0 && isdigit((unsigned char)s[d - 1]))
            d--;
        if (atoi(s + d) != j)
            return 0;
    }
    return 1;
}

/* conf array (1 where not given) */
static int kp_alloc_conf(lfd_keypoints *kp, lfd_err *err)
{
    size_t n = (size_t)kp->nframes * (size_t)kp->njoints;
    kp->conf = malloc(n * sizeof *kp->conf);
    if (!kp->conf)
        return lfd_fail(err, LFD_ENOMEM, "%s: out of memory", kp->name);
    for (size_t i = 0; i < n; i++)
        kp->conf[i] = 1;
    return LFD_OK;
}

/* the rate from per-frame times (1 / median step); times were checked to
   increase as they were read */
static int times_rate(lfd_keypoints *kp, double *file_fps, lfd_err *err)
{
    *file_fps = 0;
    int T = kp->nframes;
    if (!kp->times || T < 2)
        return LFD_OK;
    double *dt = malloc((size_t)(T - 1) * sizeof *dt);
    if (!dt)
        return lfd_fail(err, LFD_ENOMEM, "%s: out of memory", kp->name);
    for (int i = 0; i + 1 < T; i++)
        dt[i] = kp->times[i + 1] - kp->times[i];
    qsort(dt, (size_t)(T - 1), sizeof *dt, lfd_util_cmp_double);
    double med = dt[(T - 2) / 2];
    if (!(1 / med <= LFD_KP_FPS_MAX)) {
        /* a step of 1e-12 s is a unit mistake, not a camera */
        int rc = lfd_fail(err, LFD_EPARSE,
                          "%s: the time column steps %.4g s (median), a rate of %.4g Hz, outside (0, %g]: "
                          "are the times in the right unit?",
                          kp->name, med, 1 / med, LFD_KP_FPS_MAX);
        free(dt);
        return rc;
    }
    *file_fps = 1 / med;
    if (dt[T - 2] > 1.5 * med || dt[0] < 0.5 * med)
        kp_warn(kp, "%s: uneven time steps (%.4g..%.4g s, median %.4g s); using %.4g fps (lfd qa names the frames)",
                kp->name, dt[0], dt[T - 2], med, *file_fps);
    free(dt);
    return LFD_OK;
}

/* a time value of row f; fails when it does not increase */
static int put_time(lfd_keypoints *kp, int f, double v, const char *path, int line, int col, lfd_err *err)
{
    if (!isfinite(v))
        return lfd_fail(err, LFD_EPARSE, "%s:%d: column %d: the time is not a finite number", path, line, col);
    if (f > 0 && !(v > kp->times[f - 1]))
        return lfd_fail(err, LFD_EPARSE,
                        "%s:%d: column %d: time %.9g s does not come after the previous frame's %.9g s "
                        "(timestamps going backwards or repeated)",
                        path, line, col, v, kp->times[f - 1]);
    kp->times[f] = v;
    return LFD_OK;
}

static int is_time_name(const cell *c, int *ms)
{
    *ms = ci_eq(c, "time_ms") || ci_eq(c, "timestamp_ms") || ci_eq(c, "t_ms");
    return *ms || ci_eq(c, "time") || ci_eq(c, "t") || ci_eq(c, "time_s") || ci_eq(c, "timestamp");
}

static int is_landmark_name(const cell *c)
{
    return ci_eq(c, "landmark") || ci_eq(c, "landmark_id") || ci_eq(c, "landmark_index") || ci_eq(c, "joint") ||
           ci_eq(c, "keypoint") || ci_eq(c, "kp") || ci_eq(c, "id") || ci_eq(c, "name") || ci_eq(c, "joint_name");
}

/* one line of text [*q, e) and the start of the next */
typedef struct lines {
    const char *p, *end;
    int line;
} lines;

static int next_line(lines *L, const char **s, const char **e)
{
    while (L->p < L->end) {
        const char *a = L->p, *b = a;
        while (b < L->end && *b != '\n' && *b != '\r')
            b++;
        int ln = ++L->line;
        L->p = b;
        if (L->p < L->end && *L->p == '\r')
            L->p++;
        if (L->p < L->end && *L->p == '\n')
            L->p++;
        const char *t = a;
        while (t < b && (*t == ' ' || *t == '\t'))
            t++;
        if (t < b) {
            *s = a;
            *e = b;
            L->line = ln;
            return ln;
        }
    }
    return 0;
}

/* The long layout: one row per frame and landmark
   (frame|time, landmark, x, y, z[, visibility][, presence]). */
static int read_csv_long(lfd_keypoints *kp, const char *path, lines L, char delim, const cell *hdr, int nh,
                         int hline, cell *cells, int maxc, int *have_names, lfd_err *err)
{
    int cf = -1, ct = -1, ms = 0, cl = -1, cx = -1, cy = -1, cz = -1, cc[2] = {-1, -1};
    for (int k = 0; k < nh; k++) {
        int m = 0;
        if (ci_eq(&hdr[k], "frame") || ci_eq(&hdr[k], "frame_id") || ci_eq(&hdr[k], "index"))
            cf = k;
        else if (is_time_name(&hdr[k], &m))
            ct = k, ms = m;
        else if (is_landmark_name(&hdr[k]))
            cl = k;
        else if (ci_eq(&hdr[k], "x"))
            cx = k;
        else if (ci_eq(&hdr[k], "y"))
            cy = k;
        else if (ci_eq(&hdr[k], "z"))
            cz = k;
        else if (conf_suffix(hdr[k].s, hdr[k].n) && cc[1] < 0)
            cc[cc[0] >= 0] = k;
        else
            return lfd_fail(err, LFD_EPARSE,
                            "%s:%d: column %d '%.*s' is not part of the one-row-per-landmark layout (frame|time, "
                            "landmark, x, y, z, visibility, presence)",
                            path, hline, k + 1, (int)(hdr[k].n < 40 ? hdr[k].n : 40), hdr[k].s);
    }
    if ((cf < 0 && ct < 0) || cl < 0 || cx < 0 || cy < 0 || cz < 0)
        return lfd_fail(err, LFD_EPARSE,
                        "%s:%d: one-row-per-landmark CSV needs columns frame (or time), landmark, x, y, z", path,
                        hline);
    int key = ct >= 0 ? ct : cf;
    /* pass 1: frames and landmarks per frame */
    lines L1 = L;
    const char *s, *e;
    int rows = 0, frames = 0, J = 0, cur = 0, ln;
    cell kprev = {NULL, 0};
    double fprev = 0;
    while ((ln = next_line(&L1, &s, &e))) {
        int n = split_line(s, e, delim, cells, maxc);
        if (n != nh)
            return lfd_fail(err, LFD_EPARSE, "%s:%d: row has %d columns, the header has %d", path, ln,
                            n < 0 ? maxc : n, nh);
        if (!kprev.s || kprev.n != cells[key].n || memcmp(kprev.s, cells[key].s, cells[key].n)) {
            /* frame numbers are the only order there is without a time
               column: they must increase as times must (a clip written
               backwards or twice over read as one clean take) */
            double fv;
            if (key == cf) {
                if (!cells[cf].n || lfd_parse_number(cells[cf].s, cells[cf].n, &fv) || !isfinite(fv))
                    return lfd_fail(err, LFD_EPARSE, "%s:%d: column %d: frame '%.*s' is not a number", path, ln,
                                    cf + 1, (int)(cells[cf].n < 40 ? cells[cf].n : 40), cells[cf].s);
                if (frames > 0 && !(fv > fprev))
                    return lfd_fail(err, LFD_EPARSE,
                                    "%s:%d: column %d: frame %.9g does not come after the previous frame %.9g "
                                    "(frame numbers going backwards or repeated)",
                                    path, ln, cf + 1, fv, fprev);
                fprev = fv;
            }
            if (frames == 1)
                J = cur;
            else if (frames > 1 && cur != J)
                return lfd_fail(err, LFD_EMISMATCH, "%s:%d: column %d: the frame before has %d landmarks, the first "
                                "frame has %d (mismatched joint counts)", path, ln, key + 1, cur, J);
            frames++;
            cur = 0;
            kprev = cells[key];
        }
        cur++;
        if (++rows > LFD_KP_MAX_FRAMES)
            return lfd_fail(err, LFD_ELIMIT, "%s: more than %d rows", path, LFD_KP_MAX_FRAMES);
    }
    if (frames == 0)
        return lfd_fail(err, LFD_EPARSE, "%s:%d: no data rows after the header", path, hline);
    if (frames == 1)
        J = cur;
    else if (cur != J)
        return lfd_fail(err, LFD_EMISMATCH, "%s:%d: column %d: the last frame has %d landmarks, the first has %d "
                        "(mismatched joint counts)", path, L1.line, key + 1, cur, J);
    int rc = kp_alloc(kp, frames, J, err);
    if (rc == LFD_OK)
        rc = kp_alloc_conf(kp, err);
    if (rc == LFD_OK && ct >= 0 && !(kp->times = malloc((size_t)frames * sizeof *kp->times)))
        rc = lfd_fail(err, LFD_ENOMEM, "%s: out of memory", path);
    /* pass 2: values */
    int f = -1, j = 0;
    kprev.s = NULL;
    while (rc == LFD_OK && (ln = next_line(&L, &s, &e))) {
        split_line(s, e, delim, cells, maxc);
        if (!kprev.s || kprev.n != cells[key].n || memcmp(kprev.s, cells[key].s, cells[key].n)) {
            f++;
            j = 0;
            kprev = cells[key];
        }
        /* the landmark: a name (first frame sets them; later frames must repeat them) or an index */
        const cell *lc = &cells[cl];
        double idx;
        int numeric = lc->n && !lfd_parse_number(lc->s, lc->n, &idx);
        if (f == 0) {
            if (lc->n == 0 || lc->n >= LFD_KP_NAME_MAX) {
                rc = lfd_fail(err, LFD_EPARSE, "%s:%d: column %d: landmark name empty or too long", path, ln, cl + 1);
                break;
            }
            memcpy(kp->names[j], lc->s, lc->n);
            kp->names[j][lc->n] = '\0';
            if (!numeric)
                *have_names = 1;
        } else if (strlen(kp->names[j]) != lc->n || memcmp(kp->names[j], lc->s, lc->n)) {
            rc = lfd_fail(err, LFD_EMISMATCH, "%s:%d: column %d: landmark '%.*s' where frame 0 has '%s' (landmarks "
                          "must come in the same order in every frame)", path, ln, cl + 1,
                          (int)(lc->n < 40 ? lc->n : 40), lc->s, kp->names[j]);
            break;
        }
        for (int k = 0; k < nh && rc == LFD_OK; k++) {
            if (k == cl || (k == cf && k != key))
                continue;
            double v = NAN;
            if (cells[k].n && lfd_parse_number(cells[k].s, cells[k].n, &v)) {
                rc = lfd_fail(err, LFD_EPARSE, "%s:%d: column %d ('%.*s') is not a number", path, ln, k + 1,
                              (int)(cells[k].n < 40 ? cells[k].n : 40), cells[k].s);
                break;
            }
            size_t at = (size_t)f * (size_t)J + (size_t)j;
            if (k == ct && j == 0)
                rc = put_time(kp, f, ms ? v / 1000 : v, path, ln, k + 1, err);
            else if (k == cx || k == cy || k == cz) {
                kp->nonfinite += !isfinite(v);
                kp->pos[at * 3 + (size_t)(k == cx ? 0 : k == cy ? 1 : 2)] = v;
            } else if (k == cc[0] || k == cc[1]) {
                if (isfinite(v) && v < kp->conf[at])
                    kp->conf[at] = v;
                else if (!isfinite(v))
                    kp->conf[at] = 0;
            }
        }
        j++;
    }
    if (rc == LFD_OK) {
        snprintf(kp->conf_name, sizeof kp->conf_name, "%.*s", (int)(cc[0] >= 0 ? hdr[cc[0]].n : 0),
                 cc[0] >= 0 ? hdr[cc[0]].s : "");
        if (cc[0] < 0) {
            free(kp->conf);
            kp->conf = NULL;
        }
    }
    return rc;
}

int lfd_kp_read_csv(lfd_keypoints *kp, const char *path, const lfd_kp_opts *o, lfd_err *err)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = kp_file_read(kp, path, &buf, &len, err);
    if (rc)
        return rc;
    const char *text = (const char *)buf, *end = text + len;
    enum { MAXC = 4 * LFD_KP_MAX_JOINTS + 4 };
    cell *cells = malloc(MAXC * sizeof *cells);
    cell *hdr = malloc(MAXC * sizeof *hdr);
    int *role = malloc(MAXC * sizeof *role);  /* -1 skip, 0..2 axis, 3 confidence, 4 time */
    int *cjoint = malloc(MAXC * sizeof *cjoint);
    if (!cells || !hdr || !role || !cjoint) {
        free(cells), free(hdr), free(role), free(cjoint), free(buf);
        return lfd_fail(err, LFD_ENOMEM, "%s: out of memory", path);
    }
    /* skip a UTF-8 byte-order mark */
    if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3))
        text += 3;
    lines L = {text, end, 0};
    const char *p, *he;
    int hline = next_line(&L, &p, &he);
    int nh = 0, first = 0, time_ms = 0, J = 0, have_names = 1, nconf = 0;
    char delim = ',';
    if (!hline)
        rc = lfd_fail(err, LFD_EPARSE, "%s:1: empty file (expected a header row)", path);
    if (rc == LFD_OK) {
        delim = memchr(p, ',', (size_t)(he - p)) ? ',' : memchr(p, ';', (size_t)(he - p)) ? ';' : '\t';
        nh = split_line(p, he, delim, hdr, MAXC);
        if (nh < 0)
            rc = lfd_fail(err, LFD_ELIMIT, "%s:%d: more than %d columns", path, hline, MAXC);
    }
    int is_long = 0;
    for (int k = 0; rc == LFD_OK && k < nh; k++)
        is_long |= ci_eq(&hdr[k], "x") || is_landmark_name(&hdr[k]);
    if (rc == LFD_OK && is_long) {
        rc = read_csv_long(kp, path, L, delim, hdr, nh, hline, cells, MAXC, &have_names, err);
        goto describe;
    }
    /* wide layout: [time|frame,] then per joint <j>_x,<j>_y,<j>_z[,<j>_visibility][,<j>_presence] */
    for (int k = 0; rc == LFD_OK && k < nh; k++) {
        int ms = 0;
        size_t jl = 0;
        int r = column_role(&hdr[k], &jl);
        role[k] = -1;
        cjoint[k] = -1;
        if (k == 0 && is_time_name(&hdr[k], &ms)) {
            role[k] = 4;
            time_ms = ms;
            first = 1;
            continue;
        }
        if (k == 0 && (ci_eq(&hdr[k], "frame") || ci_eq(&hdr[k], "index"))) {
            first = 1;
            continue;
        }
        if (r == 0) {
            cjoint[k] = J++;
            role[k] = 0;
        } else if (r > 0 && k > 0) {
            role[k] = r;
            cjoint[k] = cjoint[k - 1];
        }
        /* the axis / confidence column must follow its joint's columns in order */
        int ok = r >= 0 && cjoint[k] >= 0;
        if (ok && r > 0) {
            size_t pl = 0;
            int pr = column_role(&hdr[k - 1], &pl);
            ok = pl == jl && !memcmp(hdr[k - 1].s, hdr[k].s, jl) &&
                 ((r <= 2 && pr == r - 1) || (r == 3 && pr >= 2));
        }
        if (ok && jl >= LFD_KP_NAME_MAX)
            rc = lfd_fail(err, LFD_EPARSE, "%s:%d: column %d: joint name longer than %d characters", path, hline,
                          k + 1, LFD_KP_NAME_MAX - 1);
        else if (!ok)
            rc = lfd_fail(err, LFD_EPARSE,
                          "%s:%d: column %d '%.*s': unknown column layout; expected an optional time/frame "
                          "column, then per joint <joint>_x, <joint>_y, <joint>_z in that order, optionally "
                          "followed by <joint>_visibility (or _presence, _confidence, _score); or the "
                          "one-row-per-landmark layout frame, landmark, x, y, z[, visibility]",
                          path, hline, k + 1, (int)(hdr[k].n < 60 ? hdr[k].n : 60), hdr[k].s);
        nconf += ok && r == 3;
    }
    /* every joint has its three axes */
    for (int k = first; rc == LFD_OK && k < nh; k++)
        if (role[k] == 0 && (k + 2 >= nh || role[k + 1] != 1 || role[k + 2] != 2))
            rc = lfd_fail(err, LFD_EPARSE, "%s:%d: column %d '%.*s' has no _y and _z columns after it", path,
                          hline, k + 1, (int)(hdr[k].n < 60 ? hdr[k].n : 60), hdr[k].s);
    if (rc == LFD_OK && J == 0)
        rc = lfd_fail(err, LFD_EPARSE,
                      "%s:%d: header has no <joint>_x,<joint>_y,<joint>_z columns (unknown column layout)", path,
                      hline);
    /* count the data rows before allocating */
    long rows = 0;
    {
        lines L1 = L;
        const char *s, *e;
        while (rc == LFD_OK && next_line(&L1, &s, &e))
            if (++rows > LFD_KP_MAX_FRAMES)
                rc = lfd_fail(err, LFD_ELIMIT, "%s: more than %d rows", path, LFD_KP_MAX_FRAMES);
    }
    if (rc == LFD_OK && rows == 0)
        rc = lfd_fail(err, LFD_EPARSE, "%s:%d: no data rows after the header", path, hline);
    if (rc == LFD_OK)
        rc = kp_alloc(kp, (int)rows, J, err);
    if (rc == LFD_OK && nconf)
        rc = kp_alloc_conf(kp, err);
    if (rc == LFD_OK) {
        for (int k = first; k < nh; k++)
            if (role[k] == 0) {
                size_t jl = 0;
                column_role(&hdr[k], &jl);
                memcpy(kp->names[cjoint[k]], hdr[k].s, jl);
                kp->names[cjoint[k]][jl] = '\0';
            }
        for (int k = first; k < nh; k++)
            if (role[k] == 3 && !kp->conf_name[0]) {
                size_t jl = 0;
                column_role(&hdr[k], &jl);
                snprintf(kp->conf_name, sizeof kp->conf_name, "%.*s", (int)(hdr[k].n - jl - 1), hdr[k].s + jl + 1);
            }
        if (first && role[0] == 4 && !(kp->times = malloc((size_t)rows * sizeof *kp->times)))
            rc = lfd_fail(err, LFD_ENOMEM, "%s: out of memory", path);
    }
    /* the rows */
    int f = 0, line;
    const char *s, *e;
    while (rc == LFD_OK && f < rows && (line = next_line(&L, &s, &e))) {
        int n = split_line(s, e, delim, cells, MAXC);
        if (n != nh) {
            rc = lfd_fail(err, LFD_EPARSE, "%s:%d: row has %d columns, the header has %d%s", path, line,
                          n < 0 ? MAXC : n, nh, f == rows - 1 ? " (the file is truncated?)" : "");
            break;
        }
        int seen = -1;
        for (int k = 0; k < nh && rc == LFD_OK; k++) {
            double v = NAN;
            if (cells[k].n && lfd_parse_number(cells[k].s, cells[k].n, &v)) {
                rc = lfd_fail(err, LFD_EPARSE, "%s:%d: column %d ('%.*s') is not a number", path, line, k + 1,
                              (int)(cells[k].n < 40 ? cells[k].n : 40), cells[k].s);
                break;
            }
            size_t at = (size_t)f * (size_t)J + (size_t)(cjoint[k] >= 0 ? cjoint[k] : 0);
            if (role[k] == 4) {
                rc = put_time(kp, f, time_ms ? v / 1000 : v, path, line, k + 1, err);
            } else if (role[k] >= 0 && role[k] <= 2) {
                kp->nonfinite += !isfinite(v);
                kp->pos[at * 3 + (size_t)role[k]] = v;
            } else if (role[k] == 3) {
                /* MediaPipe's visibility and presence: the lower one counts */
                double c = isfinite(v) ? v : 0;
                if (seen != cjoint[k] || c < kp->conf[at])
                    kp->conf[at] = c;
                seen = cjoint[k];
            }
        }
        f++;
    }
describe:;
    double file_fps = 0;
    if (rc == LFD_OK && have_names && names_are_indices(kp))
        have_names = 0;
    if (rc == LFD_OK)
        rc = times_rate(kp, &file_fps, err);
    if (rc == LFD_OK)
        rc = kp_finish(kp, path, o, have_names, file_fps, err);
    free(cells);
    free(hdr);
    free(role);
    free(cjoint);
    free(buf);
    if (rc)
        lfd_kp_free(kp);
    return rc;
}

/* ---- JSON lines ---------------------------------------------------------------------- */
/* One JSON object per line:
     {"t": 0.033, "joints": {"nose": [x, y, z], "left_eye": [x, y, z, conf], ...}}
   "joints" may also be an array of [x, y, z(, conf)] (names then come from a
   preset or sidecar), a joint may be {"x":..,"y":..,"z":..,"visibility":..},
   and null marks a missing joint.  Time keys: t, time, timestamp (s) or
   t_ms, time_ms (ms); "frame" is ignored.  Every line lists the same joints
   in the same order. */
static int jl_fail_at(lfd_err *err, const char *path, int line, const lfd_json *v, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int jl_fail_at(lfd_err *err, const char *path, int line, const lfd_json *v, const char *fmt, ...)
{
    char m[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    return lfd_fail(err, LFD_EPARSE, "%s:%d:%d: %s", path, line, v ? v->col : 1, m);
}

/* reads one joint value into xyz and conf; 0 ok, else fails */
static int jl_joint(const lfd_json *v, double xyz[3], double *conf, int *has_conf, const char *path, int line,
                    lfd_err *err)
{
    xyz[0] = xyz[1] = xyz[2] = NAN;
    *conf = 1;
    if (v->type == LFD_JSON_NULL) {
        *conf = 0;
        return LFD_OK;
    }
    if (v->type == LFD_JSON_ARR) {
        if (v->count != 3 && v->count != 4)
            return jl_fail_at(err, path, line, v, "a joint is [x, y, z] or [x, y, z, confidence] (%d values)", v->count);
        int i = 0;
        for (const lfd_json *e = v->child; e; e = e->next, i++) {
            if (e->type == LFD_JSON_NULL)
                continue;
            if (e->type != LFD_JSON_NUM)
                return jl_fail_at(err, path, line, e, "a joint coordinate must be a number or null");
            if (i < 3)
                xyz[i] = e->num;
            else
                *conf = e->num, *has_conf = 1;
        }
        return LFD_OK;
    }
    if (v->type == LFD_JSON_OBJ) {
        for (const lfd_json *e = v->child; e; e = e->next) {
            int ax = !strcmp(e->key, "x") ? 0 : !strcmp(e->key, "y") ? 1 : !strcmp(e->key, "z") ? 2 : -1;
            cell c = {e->key, strlen(e->key)};
            if (ax < 0 && !conf_suffix(c.s, c.n))
                return jl_fail_at(err, path, line, e, "unknown joint key '%.40s' (x, y, z, visibility, presence, "
                                  "confidence, score)", e->key);
            if (e->type == LFD_JSON_NULL)
                continue;
            if (e->type != LFD_JSON_NUM)
                return jl_fail_at(err, path, line, e, "'%.40s' must be a number or null", e->key);
            if (ax >= 0)
                xyz[ax] = e->num;
            else if (!*has_conf || e->num < *conf || *conf == 1)
                *conf = *has_conf ? fmin(*conf, e->num) : e->num, *has_conf = 1;
        }
        return LFD_OK;
    }
    return jl_fail_at(err, path, line, v, "a joint is [x, y, z(, confidence)], {\"x\":..}, or null");
}

int lfd_kp_read_jsonl(lfd_keypoints *kp, const char *path, const lfd_kp_opts *o, lfd_err *err)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = kp_file_read(kp, path, &buf, &len, err);
    if (rc)
        return rc;
    const char *text = (const char *)buf, *end = text + len;
    if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3))
        text += 3;
    /* count the lines */
    lines L = {text, end, 0};
    const char *s, *e;
    long rows = 0;
    {
        lines L1 = L;
        while (next_line(&L1, &s, &e))
            if (++rows > LFD_KP_MAX_FRAMES)
                break;
    }
    if (rows == 0)
        rc = lfd_fail(err, LFD_EPARSE, "%s:1: no JSON lines", path);
    else if (rows > LFD_KP_MAX_FRAMES)
        rc = lfd_fail(err, LFD_ELIMIT, "%s: more than %d lines", path, LFD_KP_MAX_FRAMES);
    int f = 0, J = 0, has_time = -1, has_conf = 0, named = 0;
    while (rc == LFD_OK && f < rows) {
        int line = next_line(&L, &s, &e);
        lfd_json_doc *doc = NULL;
        lfd_err jerr = {0};
        if (lfd_json_parse(s, (size_t)(e - s), "", &doc, &jerr)) {
            /* the parser numbers lines from 1 inside this one line: put the file's line in */
            int jl = 0, jc = 0, off = 0;
            if (sscanf(jerr.msg, ":%d:%d: %n", &jl, &jc, &off) == 2 && off > 0)
                rc = lfd_fail(err, LFD_EPARSE, "%s:%d:%d: %s", path, line, jc, jerr.msg + off);
            else
                rc = lfd_fail(err, LFD_EPARSE, "%s:%d: %s", path, line, jerr.msg);
            break;
        }
        const lfd_json *root = lfd_json_root(doc), *joints = NULL;
        double t = NAN;
        int tms = 0;
        if (root->type != LFD_JSON_OBJ)
            rc = jl_fail_at(err, path, line, root, "each line is a JSON object {\"t\": s, \"joints\": {...}}");
        for (const lfd_json *m = root->child; rc == LFD_OK && m; m = m->next) {
            if (!strcmp(m->key, "joints") || !strcmp(m->key, "keypoints") || !strcmp(m->key, "landmarks")) {
                joints = m;
            } else if (!strcmp(m->key, "t") || !strcmp(m->key, "time") || !strcmp(m->key, "timestamp") ||
                       (tms = !strcmp(m->key, "t_ms") || !strcmp(m->key, "time_ms"))) {
                if (m->type != LFD_JSON_NUM)
                    rc = jl_fail_at(err, path, line, m, "\"%s\" must be a number", m->key);
                t = tms ? m->num / 1000 : m->num;
            } else if (strcmp(m->key, "frame") && m->key[0] != '_') {
                rc = jl_fail_at(err, path, line, m, "unknown key '%.40s' (t, time, timestamp, t_ms, frame, joints)",
                                m->key);
            }
        }
        if (rc == LFD_OK && (!joints || (joints->type != LFD_JSON_OBJ && joints->type != LFD_JSON_ARR) ||
                             joints->count == 0))
            rc = jl_fail_at(err, path, line, joints ? joints : root,
                            "\"joints\" must be a non-empty object {name: [x, y, z]} or array of [x, y, z]");
        if (rc == LFD_OK && f == 0) {
            J = joints->count;
            named = joints->type == LFD_JSON_OBJ;
            has_time = isfinite(t);
            rc = kp_alloc(kp, (int)rows, J, err);
            if (rc == LFD_OK)
                rc = kp_alloc_conf(kp, err);
            if (rc == LFD_OK && has_time && !(kp->times = malloc((size_t)rows * sizeof *kp->times)))
                rc = lfd_fail(err, LFD_ENOMEM, "%s: out of memory", path);
            int j = 0;
            for (const lfd_json *v = joints->child; rc == LFD_OK && named && v; v = v->next, j++) {
                if (!v->key[0] || strlen(v->key) >= LFD_KP_NAME_MAX)
                    rc = jl_fail_at(err, path, line, v, "joint names must have 1..%d characters", LFD_KP_NAME_MAX - 1);
                else
                    snprintf(kp->names[j], LFD_KP_NAME_MAX, "%s", v->key);
            }
        } else if (rc == LFD_OK) {
            if (joints->count != J || (joints->type == LFD_JSON_OBJ) != named)
                rc = jl_fail_at(err, path, line, joints, "%d joints here, %d on the first line (mismatched joint "
                                "counts)", joints->count, J);
            else if (isfinite(t) != has_time)
                rc = jl_fail_at(err, path, line, root, has_time ? "no time here, but the first line has one"
                                                                : "a time here, but the first line has none");
        }
        if (rc == LFD_OK && has_time) {
            const lfd_json *tv = NULL;
            for (const lfd_json *m = root->child; m; m = m->next)
                if (m != joints && strcmp(m->key, "frame") && m->key[0] != '_')
                    tv = m;
            rc = put_time(kp, f, t, path, line, tv ? tv->col : 1, err);
        }
        int j = 0;
        for (const lfd_json *v = joints ? joints->child : NULL; rc == LFD_OK && v; v = v->next, j++) {
            if (named && strcmp(v->key, kp->names[j])) {
                rc = jl_fail_at(err, path, line, v, "joint '%.40s' where the first line has '%s' (same joints in "
                                "the same order on every line)", v->key, kp->names[j]);
                break;
            }
            size_t at = (size_t)f * (size_t)J + (size_t)j;
            double c = 1;
            rc = jl_joint(v, kp->pos + at * 3, &c, &has_conf, path, line, err);
            kp->conf[at] = c;
            for (int a = 0; a < 3; a++)
                kp->nonfinite += !isfinite(kp->pos[at * 3 + a]);
        }
        lfd_json_free(&doc);
        f++;
    }
    double file_fps = 0;
    if (rc == LFD_OK) {
        if (!has_conf) {
            /* null joints already have positions NaN: no confidence column needed */
            free(kp->conf);
            kp->conf = NULL;
        } else {
            snprintf(kp->conf_name, sizeof kp->conf_name, "confidence");
        }
        rc = times_rate(kp, &file_fps, err);
    }
    if (rc == LFD_OK)
        rc = kp_finish(kp, path, o, named && !names_are_indices(kp), file_fps, err);
    free(buf);
    if (rc)
        lfd_kp_free(kp);
    return rc;
}

int lfd_kp_read(lfd_keypoints *kp, const char *path, const lfd_kp_opts *opts, lfd_err *err)
{
    size_t n = strlen(path);
    if (n >= 4 && !strcasecmp(path + n - 4, ".npy"))
        return lfd_kp_read_npy(kp, path, opts, err);
    if (n >= 4 && !strcasecmp(path + n - 4, ".csv"))
        return lfd_kp_read_csv(kp, path, opts, err);
    if ((n >= 6 && !strcasecmp(path + n - 6, ".jsonl")) || (n >= 7 && !strcasecmp(path + n - 7, ".ndjson")))
        return lfd_kp_read_jsonl(kp, path, opts, err);
    memset(kp, 0, sizeof *kp);
    return lfd_fail(err, LFD_EUNSUPPORTED, "%s: not a keypoint file (.npy, .csv or .jsonl)", path);
}
