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
     smpl_parents, 0, "m", NULL},
    {"smpl-24", "SMPL body joints 0..23 (with hands)", 24, smpl_names, smpl_parents, 0, "m", NULL},
    {"mediapipe-33", "MediaPipe Pose world landmarks (33, metres, origin between the hips)", 33,
     mp_names, NULL, 0, "m", NULL},
    /* 120 Hz: not published; the walking part of climb seq 1 has swing phases of 64-98
       frames, and normal swing lasts about 0.4 s (Perry & Burnfield, Gait Analysis, 2nd ed.,
       2010: swing ~40% of a ~1 s stride), so the rate is >= 120 Hz, the usual optical
       mocap rate.  Override with --fps or a sidecar. */
    {"holosoma-53", "amazon-far/holosoma mocap demo joints (53, metres, Z-up; rate assumed 120 Hz)",
     53, holo_names, holo_parents, 120, "m", "z"},
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
    memset(kp, 0, sizeof *kp);
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
    int rc = lfd_json_parse_file(sc->path, &sc->doc, err);
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
            if (!(e->num > 0 && e->num <= 10000))
                return lfd_fail(err, LFD_EPARSE, "%s:%d: fps must be in (0, 10000]", sc->path, e->line);
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
                            "mediapipe-33|holosoma-53)",
                            sc->path, e->line, e->key);
        }
    }
    return LFD_OK;
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
            return lfd_fail(err, LFD_EARG, "unknown preset '%s' (smpl-22, smpl-24, mediapipe-33, holosoma-53)",
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
                            "mediapipe-33, holosoma-53) or a sidecar %s.json with \"joints\"",
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
        if (pr->parents)
            for (int j = 0; j < J; j++)
                kp->parents[j] = pr->parents[j];
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
    /* rate: option > sidecar > the file's time column > preset */
    if (o && o->fps > 0) {
        kp->fps = o->fps;
        snprintf(kp->fps_source, sizeof kp->fps_source, "option");
    } else if (sc->fps > 0) {
        kp->fps = sc->fps;
        snprintf(kp->fps_source, sizeof kp->fps_source, "sidecar");
    } else if (file_fps > 0) {
        kp->fps = file_fps;
        snprintf(kp->fps_source, sizeof kp->fps_source, "time column");
    } else if (pr && pr->fps > 0) {
        kp->fps = pr->fps;
        snprintf(kp->fps_source, sizeof kp->fps_source, "preset %s", pr->id);
    } else {
        return lfd_fail(err, LFD_EARG,
                        "%s: the frame rate is unknown: give --fps HZ or \"fps\" in a sidecar %s.json",
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

int lfd_kp_read_npy(lfd_keypoints *kp, const char *path, const lfd_kp_opts *o, lfd_err *err)
{
    memset(kp, 0, sizeof *kp);
    snprintf(kp->name, sizeof kp->name, "%s", path);
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = lfd_file_read(path, LFD_KP_MAX_BYTES, &buf, &len, err);
    if (rc)
        return rc;
    lfd_npy npy;
    sidecar sc = {0};
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
        rc = sidecar_load(&sc, path, o, err);
    }
    if (rc == LFD_OK)
        rc = kp_describe(kp, &sc, o, 0, 0, err);
    lfd_json_free(&sc.doc);
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

/* "<joint>_x" / "<joint>.x": the joint-name length and the axis (0..2), or -1 */
static int triplet_axis(const cell *c, size_t *jl)
{
    if (c->n < 3)
        return -1;
    char sep = c->s[c->n - 2], ax = (char)tolower((unsigned char)c->s[c->n - 1]);
    if ((sep != '_' && sep != '.') || ax < 'x' || ax > 'z')
        return -1;
    *jl = c->n - 2;
    return ax - 'x';
}

static int ci_eq(const cell *c, const char *s)
{
    return c->n == strlen(s) && !strncasecmp(c->s, s, c->n);
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int lfd_kp_read_csv(lfd_keypoints *kp, const char *path, const lfd_kp_opts *o, lfd_err *err)
{
    memset(kp, 0, sizeof *kp);
    snprintf(kp->name, sizeof kp->name, "%s", path);
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = lfd_file_read(path, LFD_KP_MAX_BYTES, &buf, &len, err);
    if (rc)
        return rc;
    const char *text = (const char *)buf, *end = text + len;
    enum { MAXC = 3 * LFD_KP_MAX_JOINTS + 2 };
    cell *cells = malloc(MAXC * sizeof *cells);
    double *times = NULL;
    sidecar sc = {0};
    if (!cells) {
        free(buf);
        return lfd_fail(err, LFD_ENOMEM, "%s: out of memory", path);
    }
    /* skip a UTF-8 byte-order mark */
    if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3))
        text += 3;
    /* header line */
    const char *p = text;
    int line = 1;
    while (p < end && (*p == '\n' || *p == '\r')) {
        line += *p == '\n';
        p++;
    }
    const char *he = p;
    while (he < end && *he != '\n' && *he != '\r')
        he++;
    char delim = memchr(p, ',', (size_t)(he - p)) ? ',' : memchr(p, ';', (size_t)(he - p)) ? ';' : '\t';
    int hline = line;
    int nh = split_line(p, he, delim, cells, MAXC);
    int time_col = -1, time_ms = 0, first = 0;
    if (nh < 0)
        rc = lfd_fail(err, LFD_ELIMIT, "%s:%d: more than %d columns", path, hline, MAXC);
    if (rc == LFD_OK && nh > 0) {
        /* optional time / frame column */
        if (ci_eq(&cells[0], "time") || ci_eq(&cells[0], "t") || ci_eq(&cells[0], "time_s") ||
            ci_eq(&cells[0], "timestamp")) {
            time_col = 0;
            first = 1;
        } else if (ci_eq(&cells[0], "time_ms")) {
            time_col = 0;
            time_ms = 1;
            first = 1;
        } else if (ci_eq(&cells[0], "frame") || ci_eq(&cells[0], "index")) {
            first = 1;
        }
    }
    int J = rc == LFD_OK ? (nh - first) / 3 : 0;
    if (rc == LFD_OK && (nh - first < 3 || (nh - first) % 3))
        rc = lfd_fail(err, LFD_EPARSE,
                      "%s:%d: header has %d columns; expected an optional time/frame column then "
                      "<joint>_x,<joint>_y,<joint>_z triplets",
                      path, hline, nh);
    for (int j = 0; rc == LFD_OK && j < J; j++) {
        size_t jl[3];
        for (int a = 0; a < 3 && rc == LFD_OK; a++) {
            const cell *c = &cells[first + 3 * j + a];
            if (triplet_axis(c, &jl[a]) != a || jl[a] != jl[0] || memcmp(c->s, cells[first + 3 * j].s, jl[0]))
                rc = lfd_fail(err, LFD_EPARSE,
                              "%s:%d: column %d '%.*s' should be '<joint>_%c' (triplets x, y, z of one joint)",
                              path, hline, first + 3 * j + a + 1, (int)(c->n < 60 ? c->n : 60), c->s, 'x' + a);
        }
        if (rc == LFD_OK && (jl[0] == 0 || jl[0] >= LFD_KP_NAME_MAX))
            rc = lfd_fail(err, LFD_EPARSE, "%s:%d: joint name %d is empty or longer than %d characters",
                          path, hline, j + 1, LFD_KP_NAME_MAX - 1);
    }
    /* count the data rows before allocating */
    long rows = 0;
    const char *data = he;
    for (const char *q = data; rc == LFD_OK && q < end;) {
        const char *e = q;
        int blank = 1;
        while (e < end && *e != '\n' && *e != '\r') {
            if (*e != ' ' && *e != '\t')
                blank = 0;
            e++;
        }
        rows += !blank;
        if (rows > LFD_KP_MAX_FRAMES)
            rc = lfd_fail(err, LFD_ELIMIT, "%s: more than %d rows", path, LFD_KP_MAX_FRAMES);
        q = e;
        if (q < end && *q == '\r')
            q++;
        if (q < end && *q == '\n')
            q++;
    }
    if (rc == LFD_OK && rows == 0)
        rc = lfd_fail(err, LFD_EPARSE, "%s:%d: no data rows after the header", path, hline);
    if (rc == LFD_OK)
        rc = kp_alloc(kp, (int)rows, J, err);
    if (rc == LFD_OK) {
        for (int j = 0; j < J; j++) {
            const cell *c = &cells[first + 3 * j];
            memcpy(kp->names[j], c->s, c->n - 2);
            kp->names[j][c->n - 2] = '\0';
        }
        if (time_col >= 0 && !(times = malloc((size_t)rows * sizeof *times)))
            rc = lfd_fail(err, LFD_ENOMEM, "%s: out of memory", path);
    }
    /* the rows */
    int f = 0;
    const char *q = he;
    line = hline;
    while (rc == LFD_OK && q < end && f < rows) {
        if (*q == '\r')
            q++;
        if (q < end && *q == '\n')
            q++;
        line++;
        const char *e = q;
        while (e < end && *e != '\n' && *e != '\r')
            e++;
        const char *t = q;
        while (t < e && (*t == ' ' || *t == '\t'))
            t++;
        if (t == e) {
            q = e;
            continue;
        }
        int n = split_line(q, e, delim, cells, MAXC);
        if (n != nh) {
            rc = lfd_fail(err, LFD_EPARSE, "%s:%d: row has %d columns, the header has %d%s", path, line,
                          n < 0 ? MAXC : n, nh, f == rows - 1 ? " (the file is truncated?)" : "");
            break;
        }
        for (int k = 0; k < nh && rc == LFD_OK; k++) {
            double v = NAN;
            if (cells[k].n && lfd_parse_number(cells[k].s, cells[k].n, &v)) {
                rc = lfd_fail(err, LFD_EPARSE, "%s:%d: column %d ('%.*s') is not a number", path, line, k + 1,
                              (int)(cells[k].n < 40 ? cells[k].n : 40), cells[k].s);
                break;
            }
            if (k == time_col) {
                times[f] = time_ms ? v / 1000 : v;
            } else if (k >= first) {
                kp->nonfinite += !isfinite(v);
                kp->pos[(size_t)f * (size_t)J * 3 + (size_t)(k - first)] = v;
            }
        }
        f++;
        q = e;
    }
    /* rate from the time column: 1 / median step */
    double file_fps = 0;
    if (rc == LFD_OK && times && rows >= 2) {
        double *dt = malloc((size_t)(rows - 1) * sizeof *dt);
        if (!dt) {
            rc = lfd_fail(err, LFD_ENOMEM, "%s: out of memory", path);
        } else {
            int bad = 0;
            for (long i = 0; i + 1 < rows; i++) {
                dt[i] = times[i + 1] - times[i];
                bad += !(dt[i] > 0);
            }
            if (bad) {
                rc = lfd_fail(err, LFD_EPARSE, "%s: the time column is not strictly increasing (%d steps)", path, bad);
            } else {
                qsort(dt, (size_t)(rows - 1), sizeof *dt, cmp_dbl);
                double med = dt[(rows - 1) / 2];
                file_fps = 1 / med;
                if (dt[rows - 2] > 1.5 * med || dt[0] < 0.5 * med)
                    kp_warn(kp, "%s: uneven time steps (%.4g..%.4g s, median %.4g s); using %.4g fps", path,
                            dt[0], dt[rows - 2], med, file_fps);
            }
            free(dt);
        }
    }
    if (rc == LFD_OK)
        rc = sidecar_load(&sc, path, o, err);
    if (rc == LFD_OK)
        rc = kp_describe(kp, &sc, o, 1, file_fps, err);
    lfd_json_free(&sc.doc);
    free(times);
    free(cells);
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
    memset(kp, 0, sizeof *kp);
    return lfd_fail(err, LFD_EUNSUPPORTED, "%s: not a keypoint file (.npy or .csv)", path);
}
