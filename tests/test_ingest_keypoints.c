/*  Keypoint tests: .npy headers v1/v2/v3, every dtype and byte order, C and
    Fortran order (cross-checked against files numpy itself writes, when
    Debian's python3-numpy is there), bad .npy files with byte offsets, CSV
    with a time column, sidecars, presets (SMPL, MediaPipe with virtual
    joints), mapping files, and keypoints made from a generated motion read
    back in other units and axes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/lfd_io.h"
#include "core/lfd_quat.h"
#include "ingest/lfd_human.h"
#include "ingest/lfd_keypoints.h"
#include "ingest/lfd_synth.h"
#include "tests/lfd_test.h"

static char path_buf[4][1024];

static const char *tmp_path(int slot, const char *name)
{
    snprintf(path_buf[slot], sizeof path_buf[slot], "%s/%s", lfd_test_tmpdir(), name);
    return path_buf[slot];
}

static void write_text(const char *path, const char *text)
{
    lfd_err err = {0};
    if (lfd_file_write_atomic(path, text, strlen(text), &err))
        lfd_test_fail_at(__FILE__, __LINE__, "%s", err.msg);
}

/* value of element (t, j, c) in the test arrays: exact in float32 */
static double val(int t, int j, int c) { return t * 100 + j * 10 + c + 0.25; }

TEST(ingest_kp_npy_variants_roundtrip)
{
    static const char *descr[] = {"<f4", "<f8", ">f4", ">f8"};
    const int T = 7, J = 4;
    double *pos = malloc((size_t)T * J * 3 * sizeof(double));
    for (int t = 0; t < T; t++)
        for (int j = 0; j < J; j++)
            for (int c = 0; c < 3; c++)
                pos[(t * J + j) * 3 + c] = val(t, j, c);
    const char *side = tmp_path(1, "names.json");
    write_text(side, "{\"joints\": [\"a\", \"b\", \"c\", \"d\"], \"fps\": 25}");
    for (int v = 1; v <= 3; v++)
        for (int d = 0; d < 4; d++)
            for (int fo = 0; fo < 2; fo++) {
                lfd_err err = {0};
                const char *p = tmp_path(0, "k.npy");
                CHECK_OK(lfd_npy_write(p, pos, T, J, descr[d], v, fo, &err), &err);
                lfd_keypoints kp;
                lfd_kp_opts o = {.sidecar = side};
                CHECK_OK(lfd_kp_read(&kp, p, &o, &err), &err);
                CHECK_EQ_INT(kp.nframes, T);
                CHECK_EQ_INT(kp.njoints, J);
                CHECK_NEAR(kp.fps, 25, 0);
                CHECK_STR(kp.names[3], "d");
                for (int t = 0; kp.pos && t < T; t++)
                    for (int j = 0; j < J; j++)
                        for (int c = 0; c < 3; c++)
                            if (kp.pos[(t * J + j) * 3 + c] != val(t, j, c))
                                lfd_test_fail_at(__FILE__, __LINE__, "v%d %s fortran=%d (%d,%d,%d): %g", v,
                                                 descr[d], fo, t, j, c, kp.pos[(t * J + j) * 3 + c]);
                lfd_kp_free(&kp);
            }
    free(pos);
}

/* files written by numpy itself: the reader must agree with numpy */
TEST(ingest_kp_npy_written_by_numpy)
{
    const char *dir = lfd_test_tmpdir();
    const char *script = tmp_path(0, "mk.py");
    write_text(script,
               "import sys, numpy as np\n"
               "from numpy.lib import format as F\n"
               "d = sys.argv[1]\n"
               "a = np.zeros((5, 3, 3))\n"
               "for t in range(5):\n"
               "  for j in range(3):\n"
               "    for c in range(3): a[t, j, c] = t * 100 + j * 10 + c + 0.25\n"
               "np.save(d + '/le4.npy', a.astype('<f4'))\n"
               "np.save(d + '/be8.npy', a.astype('>f8'))\n"
               "np.save(d + '/fo4.npy', np.asfortranarray(a.astype('<f4')))\n"
               "for v in (2, 3):\n"
               "  with open(d + '/v%d.npy' % v, 'wb') as f: F.write_array(f, a.astype('>f4'), version=(v, 0))\n"
               "open(d + '/names.json', 'w').write('{\"joints\": [\"a\", \"b\", \"c\"], \"fps\": 30}')\n");
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s' '%s' >/dev/null 2>&1", script, dir);
    if (system(cmd) != 0)
        SKIP("Debian python3-numpy not available");
    static const char *files[] = {"le4.npy", "be8.npy", "fo4.npy", "v2.npy", "v3.npy"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        lfd_keypoints kp;
        lfd_err err = {0};
        lfd_kp_opts o = {.sidecar = tmp_path(1, "names.json")};
        CHECK_OK(lfd_kp_read(&kp, tmp_path(2, files[i]), &o, &err), &err);
        for (int t = 0; kp.pos && t < 5; t++)
            for (int j = 0; j < 3; j++)
                for (int c = 0; c < 3; c++)
                    if (kp.pos[(t * 3 + j) * 3 + c] != val(t, j, c))
                        lfd_test_fail_at(__FILE__, __LINE__, "%s (%d,%d,%d): %g", files[i], t, j, c,
                                         kp.pos[(t * 3 + j) * 3 + c]);
        lfd_kp_free(&kp);
    }
}

TEST(ingest_kp_bad_npy_files)
{
    double pos[2 * 2 * 3] = {0};
    lfd_err err = {0};
    const char *p = tmp_path(0, "b.npy");
    CHECK_OK(lfd_npy_write(p, pos, 2, 2, "<f8", 1, 0, &err), &err);
    uint8_t *data;
    size_t len;
    CHECK_OK(lfd_file_read(p, 1 << 20, &data, &len, &err), &err);
    lfd_npy npy;
    size_t hl = (size_t)data[8] | (size_t)data[9] << 8, off = 10 + hl;
    CHECK_EQ_INT(off % 64, 0);
    CHECK_EQ_INT(len, off + 96);
    /* truncated data */
    char want[160];
    snprintf(want, sizeof want, "b.npy: byte %zu: data is truncated: the shape needs 96 bytes, the file has 88", off);
    CHECK(lfd_npy_parse(data, len - 8, "b.npy", &npy, &err) == LFD_EPARSE);
    CHECK_CONTAINS(err.msg, want);
    /* not a .npy */
    CHECK(lfd_npy_parse((const uint8_t *)"hello world", 11, "x.npy", &npy, &err) == LFD_EPARSE);
    CHECK_CONTAINS(err.msg, "x.npy: byte 0: not a .npy file");
    /* header length past the end */
    uint8_t *c = malloc(len);
    memcpy(c, data, len);
    c[8] = 0xff;
    c[9] = 0xff;
    CHECK(lfd_npy_parse(c, len, "b.npy", &npy, &err) == LFD_EPARSE);
    CHECK_CONTAINS(err.msg, "runs past the end of the file");
    /* unsupported dtype, huge shape, unknown key, bad boolean: the header is
       edited in place, padded back to its length */
    static const struct {
        const char *from, *to, *want;
        int code;
    } bad[] = {{"'<f8'", "'<i8'", "dtype '<i8' is not supported", LFD_EUNSUPPORTED},
               {"(2, 2, 3)", "(99999999999, 99999999, 3)", "more than", LFD_ELIMIT},
               {"'descr'", "'dexcr'", "unexpected header key 'dexcr'", LFD_EPARSE},
               {"False", "Maybe", "'fortran_order' must be True or False", LFD_EPARSE}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char hdr[512], nh[600];
        memcpy(hdr, data + 10, hl);
        hdr[hl] = '\0';
        char *at = strstr(hdr, bad[i].from);
        CHECK(at != NULL);
        if (!at)
            continue;
        snprintf(nh, sizeof nh, "%.*s%s%s", (int)(at - hdr), hdr, bad[i].to, at + strlen(bad[i].from));
        /* the dict ends at '}': re-pad with spaces to the old length */
        char *close = strrchr(nh, '}');
        size_t dl = (size_t)(close - nh) + 1;
        memset(nh + dl, ' ', hl - dl);
        nh[hl - 1] = '\n';
        memcpy(c, data, len);
        memcpy(c + 10, nh, hl);
        int rc = lfd_npy_parse(c, len, "b.npy", &npy, &err);
        if (rc != bad[i].code || !strstr(err.msg, bad[i].want))
            lfd_test_fail_at(__FILE__, __LINE__, "case %zu: rc %d, '%s'", i, rc, err.msg);
        CHECK_CONTAINS(err.msg, "b.npy: byte ");
    }
    /* Python 2 wrote its shapes as longs: (2L, 2L, 3L) reads as (2, 2, 3)
       (it was "bad 'shape' entry": found by review) */
    {
        memcpy(c, data, len);
        char *s2 = strstr((char *)c + 10, "(2, 2, 3), ");
        CHECK(s2 != NULL);
        if (s2) {
            memcpy(s2, "(2L,2L,3L),", 11);
            lfd_npy npy2;
            CHECK_OK(lfd_npy_parse(c, len, "p2.npy", &npy2, &err), &err);
            CHECK(npy2.ndim == 3 && npy2.shape[0] == 2 && npy2.shape[1] == 2 && npy2.shape[2] == 3);
        }
    }
    /* a (T, J) array is not keypoints */
    CHECK_OK(lfd_file_write_atomic(tmp_path(1, "flat.npy"), data, len, &err), &err);
    memcpy(c, data, len);
    char *sh = strstr((char *)c + 10, "(2, 2, 3)");
    memcpy(sh, "(4, 3)   ", 9);
    CHECK_OK(lfd_file_write_atomic(tmp_path(1, "flat.npy"), c, len, &err), &err);
    lfd_keypoints kp;
    lfd_kp_opts ko = {.fps = 30, .preset = "smpl-22"};
    CHECK(lfd_kp_read(&kp, tmp_path(1, "flat.npy"), &ko, &err) == LFD_EMISMATCH);
    CHECK_CONTAINS(err.msg, "shape (4, 3): keypoints must have shape (frames, joints, 3)");
    free(c);
    free(data);
}

TEST(ingest_kp_csv_time_column_and_errors)
{
    const char *p = tmp_path(0, "k.csv");
    write_text(p,
               "time,pelvis_x,pelvis_y,pelvis_z,head_x,head_y,head_z\n"
               "0.00,0,0,1,0,0,1.7\n"
               "0.02,0.01,0,1,0.01,0,1.7\n"
               "\n"
               "0.04,0.02,0,1,,0,1.7\n");
    lfd_keypoints kp;
    lfd_err err = {0};
    CHECK_OK(lfd_kp_read(&kp, p, NULL, &err), &err);
    CHECK_EQ_INT(kp.nframes, 3);
    CHECK_EQ_INT(kp.njoints, 2);
    CHECK_STR(kp.names[1], "head");
    CHECK_NEAR(kp.fps, 50, 1e-9);
    CHECK_STR(kp.fps_source, "time column");
    CHECK_EQ_INT(kp.nonfinite, 1);
    CHECK(kp.pos && isnan(kp.pos[2 * 6 + 3]));
    lfd_kp_free(&kp);
    static const struct {
        const char *text, *want;
    } bad[] = {
        {"time,a_x,a_y\n0,1,2\n", "k.csv:1: column 2 'a_x' has no _y and _z columns after it"},
        {"a_x,a_z,a_y\n0,1,2\n", "k.csv:1: column 2 'a_z': unknown column layout"},
        {"a_x,a_y,a_z,foo\n0,1,2,3\n", "k.csv:1: column 4 'foo': unknown column layout"},
        {"a_x,a_y,a_z\n0,1,2\n0,1\n", "k.csv:3: row has 2 columns, the header has 3 (the file is truncated?)"},
        {"a_x,a_y,a_z\n0,1,2\n0,one,2\n5,5,5\n", "k.csv:3: column 2 ('one') is not a number"},
        {"a_x,a_y,a_z\n", "k.csv:1: no data rows after the header"},
        {"a_x,a_y,a_z\n0,1,2\n", "k.csv: the frame rate is unknown: give --in-fps HZ"},
        {"t,a_x,a_y,a_z\n0,0,1,2\n0,0,1,2\n", "k.csv:3: column 1: time 0 s does not come after"},
        {"t,a_x,a_y,a_z\n0,0,1,2\n0.1,0,1,2\n0.05,0,1,2\n", "k.csv:4: column 1: time 0.05 s does not come after the previous frame's 0.1 s (timestamps going backwards"},
        {"frame,landmark,x,y,z\n0,a,1,2,3\n0,b,1,2,3\n1,a,1,2,3\n", "k.csv:4: column 1: the last frame has 1 landmarks, the first has 2 (mismatched joint counts)"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_text(p, bad[i].text);
        int rc = lfd_kp_read(&kp, p, NULL, &err);
        const char *msg = err.msg;
        /* messages carry the full path; compare from the file name on */
        const char *at = strstr(msg, "k.csv");
        if (rc == LFD_OK || !at || !strstr(at, bad[i].want))
            lfd_test_fail_at(__FILE__, __LINE__, "case %zu: rc %d '%s'", i, rc, msg);
        if (rc == LFD_OK)
            lfd_kp_free(&kp);
    }
}

/* keypoints made from a generated motion, in a chosen layout */
static const int smpl_from_synth[22] = {
    /* synth node index for each SMPL joint (see lfd_synth.c's node order) */
    0, 16, 21, 1, 17, 22, -1, 18, 23, 2, 19, 24, 3, 6, 11, 4, 7, 12, 8, 13, 9, 14};

static double *synth_smpl(int *T, double scale, int yup, lfd_human *h)
{
    lfd_synth_opts o = {.task = LFD_SYNTH_WALK, .seconds = 3, .fps = 30};
    lfd_err err = {0};
    if (lfd_synth_human(h, &o, &err)) {
        lfd_test_fail_at(__FILE__, __LINE__, "%s", err.msg);
        return NULL;
    }
    *T = h->nframes;
    double *pos = malloc((size_t)*T * 22 * 3 * sizeof(double));
    for (int f = 0; f < *T; f++)
        for (int j = 0; j < 22; j++) {
            double p[3];
            if (smpl_from_synth[j] >= 0) {
                lfd_v3_copy(p, lfd_human_pos(h, f, smpl_from_synth[j]));
            } else { /* spine2: between spine and chest */
                lfd_v3_add(p, lfd_human_pos(h, f, 1), lfd_human_pos(h, f, 2));
                lfd_v3_scale(p, p, 0.5);
            }
            double *d = pos + ((size_t)f * 22 + j) * 3;
            /* lfd (x fwd, y left, z up) -> Y-up (x left, y up, z fwd) */
            if (yup) {
                d[0] = p[1] * scale;
                d[1] = p[2] * scale;
                d[2] = p[0] * scale;
            } else {
                lfd_v3_scale(d, p, scale);
            }
        }
    return pos;
}

TEST(ingest_kp_smpl_preset_units_and_axes)
{
    lfd_human src;
    int T;
    double *pos = synth_smpl(&T, 100.0, 1, &src); /* centimetres, Y-up */
    if (!pos)
        return;
    lfd_err err = {0};
    const char *p = tmp_path(0, "smpl.npy");
    CHECK_OK(lfd_npy_write(p, pos, T, 22, "<f4", 1, 0, &err), &err);
    /* no names: the preset comes from the joint count, the rate must be given */
    lfd_human h;
    CHECK(lfd_human_load(&h, p, NULL, &err) == LFD_EARG);
    CHECK_CONTAINS(err.msg, "the frame rate is unknown");
    lfd_human_opts o = {.fps = 30};
    CHECK_OK(lfd_human_load(&h, p, &o, &err), &err);
    if (h.nframes) {
        CHECK_STR(h.map.family, "smpl");
        CHECK_STR(h.units, "m"); /* the SMPL preset says metres ... */
        /* ... which is wrong for this file: an implausible height warning */
        CHECK(h.nwarn >= 1);
        lfd_human_free(&h);
    }
    /* units "auto" is no option: the preset's metres still apply (options,
       then sidecar, then preset: docs/ingest.md), so the height is 100x */
    o.units = "auto";
    CHECK_OK(lfd_human_load(&h, p, &o, &err), &err);
    if (h.nframes) {
        CHECK_STR(h.units, "m");
        CHECK(!h.units_detected);
        CHECK_NEAR(h.height_m, 100 * src.height_m, 1e-2);
        CHECK(h.nwarn >= 1);
        lfd_human_free(&h);
    }
    lfd_human_opts o2 = {.fps = 30, .units = "cm"};
    CHECK_OK(lfd_human_load(&h, p, &o2, &err), &err);
    if (h.nframes) {
        CHECK_STR(h.up, "y");
        CHECK(h.up_detected);
        /* positions equal the generator's (float32 in cm: ~1e-6 m) */
        double worst = 0;
        for (int f = 0; f < T; f++) {
            worst = fmax(worst, lfd_v3_dist(lfd_human_cpos(&h, f, LFD_CJ_L_ANKLE), lfd_human_cpos(&src, f, LFD_CJ_L_ANKLE)));
            worst = fmax(worst, lfd_v3_dist(lfd_human_cpos(&h, f, LFD_CJ_HEAD), lfd_human_cpos(&src, f, LFD_CJ_HEAD)));
        }
        CHECK(worst < 1e-5);
        CHECK_NEAR(h.height_m, src.height_m, 1e-4);
        lfd_human_free(&h);
    }
    /* a sidecar can say it all instead: preset, rate and units */
    write_text(tmp_path(1, "smpl.npy.json"),
               "{\"preset\": \"smpl-22\", \"fps\": 30, \"units\": \"cm\", \"_note\": \"HumanML3D\"}");
    lfd_human_opts o3 = {.units = "auto"};
    lfd_keypoints kp;
    CHECK_OK(lfd_kp_read(&kp, p, NULL, &err), &err);
    CHECK_STR(kp.fps_source, "sidecar");
    lfd_kp_free(&kp);
    CHECK_OK(lfd_human_load(&h, p, &o3, &err), &err);
    if (h.nframes) {
        CHECK_NEAR(h.fps, 30, 1e-12);
        CHECK_STR(h.units, "cm");
        CHECK(!h.units_detected);
        CHECK_NEAR(h.height_m, src.height_m, 1e-4);
        CHECK_EQ_INT(h.nwarn, 0);
        lfd_human_free(&h);
    }
    /* an unknown sidecar key is refused with its line */
    write_text(tmp_path(1, "smpl.npy.json"), "{\"preset\": \"smpl-22\",\n \"fsp\": 30}");
    CHECK(lfd_kp_read(&kp, p, NULL, &err) == LFD_EPARSE);
    CHECK_CONTAINS(err.msg, "smpl.npy.json:2: unknown or invalid key 'fsp'");
    free(pos);
    lfd_human_free(&src);
}

TEST(ingest_kp_mediapipe_virtual_joints)
{
    /* 33 MediaPipe landmarks from a generated stand: joints that MediaPipe has
       come from the synth, the face points sit near the head */
    lfd_synth_opts so = {.task = LFD_SYNTH_STAND, .seconds = 1, .fps = 30};
    lfd_human s;
    lfd_err err = {0};
    CHECK_OK(lfd_synth_human(&s, &so, &err), &err);
    if (!s.nframes)
        return;
    const lfd_kp_preset *pr = lfd_kp_preset_find("MediaPipe-33");
    CHECK(pr != NULL);
    if (!pr)
        return;
    int T = s.nframes;
    double *pos = calloc((size_t)T * 33 * 3, sizeof(double));
    static const struct {
        int mp, cj;
    } m[] = {{11, LFD_CJ_L_SHOULDER}, {12, LFD_CJ_R_SHOULDER}, {13, LFD_CJ_L_ELBOW}, {14, LFD_CJ_R_ELBOW},
             {15, LFD_CJ_L_WRIST},    {16, LFD_CJ_R_WRIST},    {23, LFD_CJ_L_HIP},   {24, LFD_CJ_R_HIP},
             {25, LFD_CJ_L_KNEE},     {26, LFD_CJ_R_KNEE},     {27, LFD_CJ_L_ANKLE}, {28, LFD_CJ_R_ANKLE},
             {31, LFD_CJ_L_TOE},      {32, LFD_CJ_R_TOE}};
    for (int f = 0; f < T; f++) {
        for (int j = 0; j < 33; j++) /* everything else: at the head, ears 7 cm to the sides */
            lfd_v3_copy(pos + ((size_t)f * 33 + j) * 3, lfd_human_cpos(&s, f, LFD_CJ_HEAD));
        pos[((size_t)f * 33 + 7) * 3 + 1] += 0.07;
        pos[((size_t)f * 33 + 8) * 3 + 1] -= 0.07;
        for (size_t k = 0; k < sizeof m / sizeof m[0]; k++)
            lfd_v3_copy(pos + ((size_t)f * 33 + m[k].mp) * 3, lfd_human_cpos(&s, f, m[k].cj));
    }
    const char *p = tmp_path(0, "mp.npy");
    CHECK_OK(lfd_npy_write(p, pos, T, 33, "<f8", 1, 0, &err), &err);
    lfd_human h;
    lfd_human_opts o = {.preset = "mediapipe-33", .fps = 30, .up = "z"};
    CHECK_OK(lfd_human_load(&h, p, &o, &err), &err);
    if (h.nframes) {
        CHECK_STR(h.map.family, "mediapipe");
        CHECK_EQ_INT(h.njoints, 33 + 5); /* pelvis, spine, chest, neck, head are virtual */
        CHECK_STR(h.names[h.canon[LFD_CJ_PELVIS]], "lfd_pelvis");
        /* pelvis = mid-point of the hips */
        double mid[3];
        lfd_v3_add(mid, lfd_human_cpos(&s, 5, LFD_CJ_L_HIP), lfd_human_cpos(&s, 5, LFD_CJ_R_HIP));
        lfd_v3_scale(mid, mid, 0.5);
        CHECK(lfd_v3_dist(mid, lfd_human_cpos(&h, 5, LFD_CJ_PELVIS)) < 1e-9);
        /* the pelvis segment frame still faces +X, like the BVH source's */
        double a = lfd_quat_angle(lfd_human_seg(&h, 5, LFD_SEG_PELVIS) + 3, lfd_human_seg(&s, 5, LFD_SEG_PELVIS) + 3);
        CHECK(a < 0.15);
        lfd_human_free(&h);
    }
    free(pos);
    lfd_human_free(&s);
}

TEST(ingest_kp_mapping_file_for_unknown_rig)
{
    /* a CSV whose joint names no alias table knows */
    static const char *names[LFD_CJ_COUNT] = {"P", "S1", "S2", "NK", "HD", "LSh", "RSh", "LEl", "REl", "LWr",
                                              "RWr", "LHp", "RHp", "LKn", "RKn", "LAn", "RAn", "LTo", "RTo"};
    lfd_synth_opts so = {.task = LFD_SYNTH_WALK, .seconds = 2, .fps = 60};
    lfd_human s;
    lfd_err err = {0};
    CHECK_OK(lfd_synth_human(&s, &so, &err), &err);
    if (!s.nframes)
        return;
    lfd_buf b;
    lfd_buf_init(&b, 1 << 26);
    char cell[96];
    lfd_buf_append(&b, "frame", 5);
    for (int cj = 0; cj < LFD_CJ_COUNT; cj++) {
        snprintf(cell, sizeof cell, ",%s_x,%s_y,%s_z", names[cj], names[cj], names[cj]);
        lfd_buf_append(&b, cell, strlen(cell));
    }
    for (int f = 0; f < s.nframes; f++) {
        snprintf(cell, sizeof cell, "\r\n%d", f);
        lfd_buf_append(&b, cell, strlen(cell));
        for (int cj = 0; cj < LFD_CJ_COUNT; cj++) {
            const double *p = lfd_human_cpos(&s, f, cj);
            snprintf(cell, sizeof cell, ",%.6f,%.6f,%.6f", p[0] * 1000, p[1] * 1000, p[2] * 1000);
            lfd_buf_append(&b, cell, strlen(cell));
        }
    }
    const char *csv = tmp_path(0, "odd.csv");
    CHECK_OK(lfd_file_write_atomic(csv, b.data, b.len, &err), &err);
    lfd_buf_free(&b);
    lfd_human h;
    lfd_human_opts o = {.fps = 60};
    CHECK(lfd_human_load(&h, csv, &o, &err) == LFD_EMISMATCH);
    CHECK_CONTAINS(err.msg, "cannot place canonical joint(s) pelvis spine chest neck head l_shoulder");
    /* the mapping file: one source per canonical joint; pelvis as a mean */
    const char *map = tmp_path(1, "map.json");
    write_text(map, "{\"_comment\": \"test rig\", \"pelvis\": [\"LHp\", \"RHp\"], \"spine\": \"S1\", \"chest\": \"S2\",\n"
                    "\"neck\": \"NK\", \"head\": \"HD\", \"l_shoulder\": \"LSh\", \"r_shoulder\": \"RSh\",\n"
                    "\"l_elbow\": \"LEl\", \"r_elbow\": \"REl\", \"l_wrist\": \"LWr\", \"r_wrist\": \"RWr\",\n"
                    "\"l_hip\": \"LHp\", \"r_hip\": \"RHp\", \"l_knee\": \"LKn\", \"r_knee\": \"RKn\",\n"
                    "\"l_ankle\": \"LAn\", \"r_ankle\": \"RAn\", \"l_toe\": \"LTo\", \"r_toe\": \"RTo\"}\n");
    o.map = map;
    CHECK_OK(lfd_human_load(&h, csv, &o, &err), &err);
    if (h.nframes) {
        CHECK_STR(h.units, "mm");
        CHECK(h.units_detected);
        CHECK_STR(h.up, "z");
        CHECK_EQ_INT(h.map.c[LFD_CJ_PELVIS].how, LFD_CPLACE_MAPFILE);
        CHECK_EQ_INT(h.map.c[LFD_CJ_PELVIS].n, 2);
        CHECK(lfd_v3_dist(lfd_human_cpos(&h, 10, LFD_CJ_L_KNEE), lfd_human_cpos(&s, 10, LFD_CJ_L_KNEE)) < 1e-6);
        CHECK_NEAR(h.height_m, 1.75, 0.01);
        lfd_human_free(&h);
    }
    lfd_human_free(&s);
}
