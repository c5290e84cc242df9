/*  BVH reader/writer tests on generated and hand-written files: every
    rotation order, 6-channel joints, translation on a non-root joint, a rest
    pose that is not a T-pose, CRLF and mixed line endings, number formats,
    Frames: disagreeing with the rows, and every bad-input case (truncated,
    wrong channel counts, missing MOTION, non-numeric values, absurd frame
    counts, unknown joints) with the file:line the message must name. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "core/lfd_io.h"
#include "core/lfd_quat.h"
#include "ingest/lfd_bvh.h"
#include "ingest/lfd_human.h"
#include "ingest/lfd_synth.h"
#include "tests/lfd_test.h"

/* generated motion -> BVH text -> parser -> human; worst position error
   against the generator's own positions (metres) */
static double roundtrip_err(const lfd_synth_opts *o, const lfd_bvh_write_opts *wo, lfd_human *keep)
{
    lfd_bvh b, b2;
    lfd_err err = {0};
    double *truth = NULL;
    lfd_buf txt;
    if (lfd_synth_bvh(&b, o, &truth, &err) || lfd_bvh_to_text(&b, wo, &txt, &err)) {
        lfd_test_fail_at(__FILE__, __LINE__, "%s", err.msg);
        return INFINITY;
    }
    double worst = INFINITY;
    if (lfd_bvh_parse(&b2, (const char *)txt.data, txt.len, "gen.bvh", NULL, &err) == LFD_OK) {
        lfd_human h;
        if (lfd_human_from_bvh(&h, &b2, NULL, &err) == LFD_OK) {
            worst = 0;
            for (int f = 0; f < h.nframes; f++)
                for (int j = 0; j < b.nnodes; j++)
                    for (int k = 0; k < 3; k++) {
                        double e = fabs(lfd_human_pos(&h, f, j)[k] - truth[((size_t)f * b.nnodes + j) * 3 + k]);
                        if (!(e <= worst))
                            worst = e;
                    }
            if (keep)
                *keep = h;
            else
                lfd_human_free(&h);
        } else {
            lfd_test_fail_at(__FILE__, __LINE__, "%s", err.msg);
        }
        lfd_bvh_free(&b2);
    } else {
        lfd_test_fail_at(__FILE__, __LINE__, "%s", err.msg);
    }
    lfd_buf_free(&txt);
    free(truth);
    lfd_bvh_free(&b);
    return worst;
}

TEST(ingest_bvh_every_rotation_order)
{
    static const char *orders[] = {"XYZ", "XZY", "YXZ", "YZX", "ZXY", "ZYX"};
    for (int i = 0; i < 6; i++) {
        lfd_synth_opts o = {.task = LFD_SYNTH_WALK, .seconds = 1.5, .fps = 60, .order = orders[i]};
        double e = roundtrip_err(&o, NULL, NULL);
        if (!(e < 1e-6))
            lfd_test_fail_at(__FILE__, __LINE__, "order %s: error %.3g m", orders[i], e);
        /* each order also in Z-up metres with 10 decimals */
        o.units = "m";
        o.up = "z";
        lfd_bvh_write_opts wo = {.decimals = 10};
        e = roundtrip_err(&o, &wo, NULL);
        if (!(e < 1e-6))
            lfd_test_fail_at(__FILE__, __LINE__, "order %s (m, z-up): error %.3g m", orders[i], e);
    }
    /* mixed orders in one file (the Daz layout: root ZYX, joints ZXY) */
    lfd_synth_opts o = {.task = LFD_SYNTH_WIPE, .seconds = 6, .fps = 30, .order = "ZXY", .root_order = "ZYX"};
    CHECK(roundtrip_err(&o, NULL, NULL) < 1e-6);
}

TEST(ingest_bvh_six_channel_static_root_rest_x)
{
    lfd_human ht, hx;
    /* every joint with 6 channels whose positions replace the OFFSET */
    lfd_synth_opts o = {.task = LFD_SYNTH_WALK, .seconds = 1, .fps = 60, .six_channel = 1};
    CHECK(roundtrip_err(&o, NULL, NULL) < 1e-6);
    /* a still ROOT above the moving pelvis (translation on a non-root joint) */
    o.static_root = 1;
    CHECK(roundtrip_err(&o, NULL, NULL) < 1e-6);
    /* rest pose with bones along +X: same positions and same segment frames */
    lfd_synth_opts t = {.task = LFD_SYNTH_WALK, .seconds = 1, .fps = 60};
    lfd_synth_opts x = t;
    x.rest_x = 1;
    CHECK(roundtrip_err(&t, NULL, &ht) < 1e-6);
    CHECK(roundtrip_err(&x, NULL, &hx) < 1e-6);
    if (ht.nframes == hx.nframes && ht.seg && hx.seg) {
        double worst = 0;
        for (int f = 0; f < ht.nframes; f++)
            for (int s = 0; s < LFD_SEG_COUNT; s++) {
                double a = lfd_quat_angle(lfd_human_seg(&ht, f, s) + 3, lfd_human_seg(&hx, f, s) + 3);
                if (a > worst)
                    worst = a;
            }
        CHECK(worst < 1e-5);
        /* while the joint orientations themselves differ (the rest frames do) */
        int j = ht.canon[LFD_CJ_L_KNEE];
        CHECK(lfd_quat_angle(ht.quat + 4 * (size_t)j, hx.quat + 4 * (size_t)j) > 0.1);
    }
    lfd_human_free(&ht);
    lfd_human_free(&hx);
}

/* ---- hand-written files ------------------------------------------------------------ */
static const char *tiny =
    "HIERARCHY\n"                                   /* 1 */
    "ROOT mixamorig7:Hips\n"                        /* 2 */
    "{\n"                                           /* 3 */
    "\tOFFSET 0 0 0\n"                              /* 4 */
    "\tCHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation \n" /* 5 */
    "\tJOINT Bip01 L Thigh\n"                       /* 6 */
    "\t{\n"                                         /* 7 */
    "\t\tOFFSET 1 0 0\n"                            /* 8 */
    "\t\tCHANNELS 3 Zrotation Xrotation Yrotation\n" /* 9 */
    "\t\tEnd Site\n"                                /* 10 */
    "\t\t{\n"                                       /* 11 */
    "\t\t\tOFFSET 0 -2 0\n"                         /* 12 */
    "\t\t}\n"                                       /* 13 */
    "\t}\n"                                         /* 14 */
    "}\n"                                           /* 15 */
    "MOTION\n"                                      /* 16 */
    "Frames:\t2\n"                                  /* 17 */
    "Frame Time: .0083333\n"                        /* 18 */
    "1 2 3 90 0 0 0 0 0 \n"                         /* 19 */
    "+1.5 -0.000000 1e-05 .5 7. 1E-05 -2.5e+1 0 0\n" /* 20 */
    "\n\n";

static int parse_str(lfd_bvh *b, const char *s, lfd_err *err)
{
    return lfd_bvh_parse(b, s, strlen(s), "t.bvh", NULL, err);
}

TEST(ingest_bvh_hand_written_fk_and_numbers)
{
    lfd_bvh b;
    lfd_err err = {0};
    CHECK_OK(parse_str(&b, tiny, &err), &err);
    if (!b.nnodes)
        return;
    CHECK_EQ_INT(b.nnodes, 3);
    CHECK_EQ_INT(b.njoints, 2);
    CHECK_EQ_INT(b.nframes, 2);
    CHECK_EQ_INT(b.nchannels, 9);
    CHECK_STR(b.node[0].name, "mixamorig7:Hips");
    CHECK_STR(b.node[1].name, "Bip01 L Thigh");
    CHECK_STR(b.node[2].name, "Bip01 L Thigh_end");
    CHECK(b.node[2].end_site);
    CHECK_NEAR(b.frame_time_s, 0.0083333, 0);
    char ord[4];
    lfd_bvh_rot_order(&b.node[1], ord);
    CHECK_STR(ord, "ZXY");
    /* number formats */
    const double *r1 = b.motion + 9;
    CHECK_NEAR(r1[0], 1.5, 0);
    CHECK(r1[1] == 0 && signbit(r1[1]));
    CHECK_NEAR(r1[2], 1e-5, 0);
    CHECK_NEAR(r1[3], 0.5, 0);
    CHECK_NEAR(r1[4], 7.0, 0);
    CHECK_NEAR(r1[5], 1e-5, 0);
    CHECK_NEAR(r1[6], -25.0, 0);
    /* frame 0 by hand: root at (1,2,3) turned 90 deg about Z; the thigh's
       offset (1,0,0) becomes (0,1,0), the end site's (0,-2,0) becomes (2,0,0) */
    double pos[9], quat[12];
    lfd_bvh_fk(&b, 0, pos, quat);
    CHECK_NEAR(pos[3], 1, 1e-12);
    CHECK_NEAR(pos[4], 3, 1e-12);
    CHECK_NEAR(pos[5], 3, 1e-12);
    CHECK_NEAR(pos[6], 3, 1e-12);
    CHECK_NEAR(pos[7], 3, 1e-12);
    CHECK_NEAR(pos[8], 3, 1e-12);
    lfd_bvh_free(&b);
}

/* converts LF text: every line end to CRLF (mode 1), or a mix of LF, CRLF
   and lone CR (mode 2) */
static char *endings(const char *s, int mode)
{
    size_t n = strlen(s);
    char *o = malloc(2 * n + 1), *p = o;
    int line = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '\n') {
            *p++ = s[i];
            continue;
        }
        int kind = mode == 1 ? 1 : line % 3; /* 0 LF, 1 CRLF, 2 CR */
        if (kind == 1)
            *p++ = '\r', *p++ = '\n';
        else if (kind == 2)
            *p++ = '\r';
        else
            *p++ = '\n';
        line++;
    }
    *p = '\0';
    return o;
}

TEST(ingest_bvh_crlf_and_mixed_endings)
{
    lfd_synth_opts o = {.task = LFD_SYNTH_WALK, .seconds = 1, .fps = 30};
    lfd_bvh b, ref;
    lfd_err err = {0};
    lfd_buf txt;
    CHECK_OK(lfd_synth_bvh(&b, &o, NULL, &err), &err);
    CHECK_OK(lfd_bvh_to_text(&b, NULL, &txt, &err), &err);
    char *lf = malloc(txt.len + 1);
    memcpy(lf, txt.data, txt.len);
    lf[txt.len] = '\0';
    CHECK_OK(parse_str(&ref, lf, &err), &err);
    for (int mode = 1; mode <= 2; mode++) {
        char *t = endings(lf, mode);
        lfd_bvh x;
        CHECK_OK(parse_str(&x, t, &err), &err);
        CHECK_EQ_INT(x.nframes, ref.nframes);
        CHECK_EQ_INT(x.nchannels, ref.nchannels);
        if (x.motion && x.nframes == ref.nframes && x.nchannels == ref.nchannels)
            CHECK(!memcmp(x.motion, ref.motion, (size_t)x.nframes * x.nchannels * sizeof(double)));
        lfd_bvh_free(&x);
        free(t);
    }
    /* the writer's own CRLF output reads back the same too */
    lfd_bvh_write_opts wo = {.crlf = 1};
    lfd_buf t2;
    CHECK_OK(lfd_bvh_to_text(&b, &wo, &t2, &err), &err);
    CHECK(memchr(t2.data, '\r', t2.len) != NULL);
    lfd_bvh x;
    CHECK_OK(lfd_bvh_parse(&x, (const char *)t2.data, t2.len, "crlf.bvh", NULL, &err), &err);
    CHECK_EQ_INT(x.nframes, ref.nframes);
    lfd_bvh_free(&x);
    /* a line number after mixed endings is still right: break row 3 */
    char *t = endings(lf, 2);
    char *m = strstr(t, "MOTION");
    int line = 1;
    for (char *p = t; p < m; p++)
        if (*p == '\n' || (*p == '\r' && p[1] != '\n'))
            line++;
    /* MOTION is on `line`; rows start 3 lines later; spoil the third row */
    char *r = m;
    for (int k = 0; k < 5; k++) {
        while (*r != '\n' && *r != '\r')
            r++;
        if (*r == '\r' && r[1] == '\n')
            r++;
        r++;
    }
    r[0] = 'x';
    char want[64];
    snprintf(want, sizeof want, "t.bvh:%d: value 1 ('x", line + 5);
    CHECK(parse_str(&x, t, &err) == LFD_EPARSE);
    CHECK_CONTAINS(err.msg, want);
    free(t);
    free(lf);
    lfd_bvh_free(&ref);
    lfd_buf_free(&t2);
    lfd_buf_free(&txt);
    lfd_bvh_free(&b);
}

TEST(ingest_bvh_frames_count_disagrees)
{
    lfd_bvh b;
    lfd_err err = {0};
    char *s = strdup(tiny);
    /* Frames: 999999999 with 2 rows: a warning, 2 frames, nothing huge allocated */
    char *p = strstr(s, "Frames:\t2");
    char *big = malloc(strlen(s) + 32);
    snprintf(big, strlen(s) + 32, "%.*sFrames: 999999999%s", (int)(p - s), s, p + strlen("Frames:\t2"));
#if !defined(__SANITIZE_ADDRESS__)
    /* cap the address space at 8 GB: 999999999 rows x 9 doubles would need 72 GB */
    struct rlimit old, lim;
    getrlimit(RLIMIT_AS, &old);
    lim = old;
    lim.rlim_cur = 8ul << 30;
    setrlimit(RLIMIT_AS, &lim);
#endif
    CHECK_OK(parse_str(&b, big, &err), &err);
    CHECK_EQ_INT(b.nframes, 2);
    CHECK_EQ_INT(b.frames_declared, 999999999);
    CHECK_EQ_INT(b.nwarn, 1);
    CHECK_CONTAINS(b.warn[0], "'Frames: 999999999' but the file has 2 rows");
    lfd_bvh_free(&b);
    /* strict mode makes it an error */
    lfd_bvh_opts so = {.strict_frames = 1};
    CHECK(lfd_bvh_parse(&b, big, strlen(big), "t.bvh", &so, &err) == LFD_EPARSE);
    /* fewer declared than present: also the rows */
    snprintf(big, strlen(s) + 32, "%.*sFrames: 1%s", (int)(p - s), s, p + strlen("Frames:\t2"));
    CHECK_OK(parse_str(&b, big, &err), &err);
    CHECK_EQ_INT(b.nframes, 2);
    lfd_bvh_free(&b);
    /* more rows than the cap: refused before allocating */
    lfd_bvh_opts cap = {.max_frames = 1};
    CHECK(lfd_bvh_parse(&b, s, strlen(s), "t.bvh", &cap, &err) == LFD_ELIMIT);
    CHECK_CONTAINS(err.msg, "more than 1 MOTION rows");
    free(big);
    free(s);
}

TEST(ingest_bvh_non_integer_rate_and_nonfinite)
{
    lfd_bvh b;
    lfd_err err = {0};
    char *s = strdup(tiny);
    char *p = strstr(s, ".0083333");
    memcpy(p, ".0083420", 8); /* 119.875 Hz */
    char *r = strstr(s, "+1.5 -0.000000");
    memcpy(r, "nan ", 4);
    CHECK_OK(parse_str(&b, s, &err), &err);
    CHECK_NEAR(1 / b.frame_time_s, 119.875, 0.01);
    CHECK_EQ_INT(b.nonfinite, 1);
    lfd_bvh_free(&b);
    lfd_bvh_opts o = {.reject_nonfinite = 1};
    CHECK(lfd_bvh_parse(&b, s, strlen(s), "t.bvh", &o, &err) == LFD_ENUMERIC);
    CHECK_CONTAINS(err.msg, "t.bvh:20: value 1 is nan");
    free(s);
}

/* replaces the first occurrence of `from` in tiny by `to` */
static char *edit(const char *from, const char *to)
{
    const char *p = strstr(tiny, from);
    size_t n = strlen(tiny) + strlen(to) + 1;
    char *o = malloc(n);
    snprintf(o, n, "%.*s%s%s", (int)(p - tiny), tiny, to, p + strlen(from));
    return o;
}

TEST(ingest_bvh_bad_inputs_name_file_and_line)
{
    static const struct {
        const char *from, *to, *want;
    } bad[] = {
        /* wrong channel counts */
        {"CHANNELS 3 Zrotation Xrotation Yrotation", "CHANNELS 3 Zrotation Xrotation",
         "t.bvh:10: CHANNELS of 'Bip01 L Thigh' says 3 but lists 2 channel name(s) (found 'End')"},
        {"CHANNELS 3 Zrotation", "CHANNELS 7 Zrotation", "t.bvh:9: 'Bip01 L Thigh' declares 7 channels"},
        {"CHANNELS 3 Zrotation Xrotation Yrotation", "CHANNELS 3 Zrotation Xrotation Zrotation",
         "t.bvh:9: channel 'Zrotation' repeated"},
        {"1 2 3 90 0 0 0 0 0 ", "1 2 3 90 0 0 0 0 0 4", "t.bvh:19: row has more than the 9 values"},
        {"1 2 3 90 0 0 0 0 0 ", "1 2 3 90 0 0 0 0", "t.bvh:19: row has 8 values, the CHANNELS declare 9"},
        /* non-numeric values */
        {"-2.5e+1", "-2.5e+1x", "t.bvh:20: value 7 ('-2.5e+1x') is not a number"},
        {"1E-05", "0x10", "t.bvh:20: value 6 ('0x10') is not a number"},
        {"OFFSET 1 0 0", "OFFSET 1 zero 0", "t.bvh:8: OFFSET of 'Bip01 L Thigh' needs 3 finite numbers, value 2 is 'zero'"},
        {"OFFSET 1 0 0", "OFFSET 1 0", "t.bvh:8: OFFSET of 'Bip01 L Thigh' needs 3 finite numbers"},
        /* missing MOTION and broken structure */
        {"MOTION\n", "", "t.bvh:16: the MOTION keyword is missing before 'Frames:'"},
        {"\t}\n}\n", "\t}\n", "t.bvh:15: MOTION inside joint 'mixamorig7:Hips' (opened at line 2)"},
        {"HIERARCHY", "HIERARCHX", "t.bvh:1: expected HIERARCHY"},
        {"Frame Time: .0083333", "Frame Time: 0", "t.bvh:18: Frame Time 0 s is outside"},
        {"Frames:\t2", "Frames: -3", "t.bvh:17: 'Frames:' needs a non-negative integer, found '-3'"},
        {"Frames:\t2", "Frames: lots", "t.bvh:17: 'Frames:' needs a non-negative integer, found 'lots'"},
        {"\tJOINT Bip01 L Thigh\n", "\tJOINT\n", "t.bvh:6: joint without a name"},
        {"\t\t\tOFFSET 0 -2 0\n", "", "t.bvh:12: End Site of 'Bip01 L Thigh' (line 10) has no OFFSET"},
        {"{\n\tOFFSET 0 0 0", "{\n\tWHAT 0 0 0", "t.bvh:4: unexpected 'WHAT' in HIERARCHY"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *s = edit(bad[i].from, bad[i].to);
        lfd_bvh b;
        lfd_err err = {0};
        int rc = parse_str(&b, s, &err);
        if (rc == LFD_OK) {
            lfd_test_fail_at(__FILE__, __LINE__, "case %zu parsed but should fail (%s)", i, bad[i].want);
            lfd_bvh_free(&b);
        } else if (!strstr(err.msg, bad[i].want)) {
            lfd_test_fail_at(__FILE__, __LINE__, "case %zu: '%s' not in '%s'", i, bad[i].want, err.msg);
        }
        CHECK(b.node == NULL && b.motion == NULL);
        free(s);
    }
}

TEST(ingest_bvh_truncated_files)
{
    lfd_bvh b;
    lfd_err err = {0};
    /* cut inside the hierarchy */
    const char *cut = strstr(tiny, "\t\tEnd Site");
    CHECK(lfd_bvh_parse(&b, tiny, (size_t)(cut - tiny), "t.bvh", NULL, &err) == LFD_EPARSE);
    CHECK_CONTAINS(err.msg, "t.bvh:10: unexpected end of file inside joint 'Bip01 L Thigh' (opened at line 6): the file is truncated");
    /* cut after the hierarchy: no MOTION */
    cut = strstr(tiny, "MOTION");
    CHECK(lfd_bvh_parse(&b, tiny, (size_t)(cut - tiny), "t.bvh", NULL, &err) == LFD_EPARSE);
    CHECK_CONTAINS(err.msg, "t.bvh:16: no MOTION section after the hierarchy");
    /* cut in the middle of the last row */
    cut = strstr(tiny, "-2.5e+1");
    CHECK(lfd_bvh_parse(&b, tiny, (size_t)(cut - tiny), "t.bvh", NULL, &err) == LFD_EPARSE);
    CHECK_CONTAINS(err.msg, "t.bvh:20: row has 6 values, the CHANNELS declare 9 (the file is truncated)");
    /* an empty file */
    CHECK(lfd_bvh_parse(&b, "", 0, "t.bvh", NULL, &err) == LFD_EPARSE);
    CHECK_CONTAINS(err.msg, "the file is empty");
    /* every prefix of a real-shaped file either parses or fails cleanly */
    lfd_synth_opts o = {.task = LFD_SYNTH_STAND, .seconds = 0.1, .fps = 30, .six_channel = 1};
    lfd_bvh g;
    lfd_buf txt;
    CHECK_OK(lfd_synth_bvh(&g, &o, NULL, &err), &err);
    CHECK_OK(lfd_bvh_to_text(&g, NULL, &txt, &err), &err);
    int ok = 0, failed = 0;
    for (size_t n = 0; n < txt.len; n += 7) {
        if (lfd_bvh_parse(&b, (const char *)txt.data, n, "cut.bvh", NULL, &err) == LFD_OK) {
            ok++;
            lfd_bvh_free(&b);
        } else {
            failed++;
            CHECK_CONTAINS(err.msg, "cut.bvh");
        }
    }
    CHECK(failed > 0 && ok > 0);
    /* random byte corruption never crashes */
    unsigned x = 12345;
    for (int it = 0; it < 300; it++) {
        uint8_t *c = malloc(txt.len);
        memcpy(c, txt.data, txt.len);
        for (int k = 0; k < 4; k++) {
            x = x * 1103515245u + 12345u;
            c[(x >> 8) % txt.len] = (uint8_t)(x >> 24);
        }
        if (lfd_bvh_parse(&b, (const char *)c, txt.len, "fuzz.bvh", NULL, &err) == LFD_OK)
            lfd_bvh_free(&b);
        free(c);
    }
    lfd_buf_free(&txt);
    lfd_bvh_free(&g);
}

TEST(ingest_bvh_unknown_joints_and_mapping_file)
{
    const char *s =
        "HIERARCHY\nROOT Root\n{\n OFFSET 0 0 0\n CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation\n"
        " JOINT LThighX\n {\n  OFFSET 10 -5 0\n  CHANNELS 3 Zrotation Xrotation Yrotation\n"
        "  JOINT LKneeX\n  {\n   OFFSET 0 -40 0\n   CHANNELS 3 Zrotation Xrotation Yrotation\n"
        "   End Site\n   {\n    OFFSET 0 -40 0\n   }\n  }\n }\n}\n"
        "MOTION\nFrames: 1\nFrame Time: 0.033333\n0 90 0 0 0 0 0 0 0 0 0 0\n";
    lfd_bvh b;
    lfd_err err = {0};
    CHECK_OK(lfd_bvh_parse(&b, s, strlen(s), "odd.bvh", NULL, &err), &err);
    lfd_human h;
    CHECK(lfd_human_from_bvh(&h, &b, NULL, &err) == LFD_EMISMATCH);
    CHECK_CONTAINS(err.msg, "odd.bvh: unknown rig: cannot place canonical joint(s) spine chest neck head");
    CHECK_CONTAINS(err.msg, "--map FILE");
    /* a mapping file naming joints the skeleton lacks is refused with its line */
    char path[1024];
    snprintf(path, sizeof path, "%s/map.json", lfd_test_tmpdir());
    const char *map = "{\n  \"l_hip\": \"LThighX\",\n  \"l_knee\": \"NoSuchJoint\"\n}\n";
    CHECK_OK(lfd_file_write_atomic(path, map, strlen(map), &err), &err);
    lfd_human_opts o = {.map = path};
    CHECK(lfd_human_from_bvh(&h, &b, &o, &err) == LFD_EMISMATCH);
    CHECK_CONTAINS(err.msg, "map.json:3: 'l_knee' maps to joint 'NoSuchJoint', which odd.bvh does not have");
    map = "{\"l_elbw\": \"LThighX\"}";
    CHECK_OK(lfd_file_write_atomic(path, map, strlen(map), &err), &err);
    CHECK(lfd_human_from_bvh(&h, &b, &o, &err) == LFD_EPARSE);
    CHECK_CONTAINS(err.msg, "map.json:1: 'l_elbw' is not a canonical joint");
    lfd_bvh_free(&b);
}

TEST(ingest_bvh_writer_atomic_and_roundtrip)
{
    lfd_synth_opts o = {.task = LFD_SYNTH_WIPE, .seconds = 6, .fps = 30, .units = "inch"};
    lfd_bvh b, back;
    lfd_err err = {0};
    CHECK_OK(lfd_synth_bvh(&b, &o, NULL, &err), &err);
    char path[1024];
    snprintf(path, sizeof path, "%s/wipe.bvh", lfd_test_tmpdir());
    CHECK_OK(lfd_bvh_write(&b, path, NULL, &err), &err);
    CHECK_OK(lfd_bvh_read(&back, path, NULL, &err), &err);
    CHECK_EQ_INT(back.nnodes, b.nnodes);
    CHECK_EQ_INT(back.nframes, b.nframes);
    double worst = 0;
    for (size_t i = 0; back.motion && i < (size_t)b.nframes * b.nchannels; i++)
        worst = fmax(worst, fabs(back.motion[i] - b.motion[i]));
    CHECK(worst <= 5e-7);
    lfd_bvh_free(&back);
    /* a failed write (no such folder) leaves nothing behind */
    snprintf(path, sizeof path, "%s/no/such/dir/x.bvh", lfd_test_tmpdir());
    CHECK(lfd_bvh_write(&b, path, NULL, &err) != LFD_OK);
    CHECK(!lfd_file_exists(path));
    lfd_bvh_free(&b);
}

TEST(ingest_bvh_number_tokens)
{
    static const struct {
        const char *s;
        double v;
    } ok[] = {{".0083333", 0.0083333}, {"1e-05", 1e-5}, {"1E-05", 1e-5}, {"-0.000000", -0.0},
              {"+3", 3}, {"7.", 7}, {"-2.47945e-15", -2.47945e-15}, {"123456789012345678901234", 1.2345678901234568e23},
              {"0.1", 0.1}, {"1e300", 1e300}, {"4.9e-324", 4.9e-324}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        double v = NAN;
        if (lfd_parse_number(ok[i].s, strlen(ok[i].s), &v) || v != ok[i].v)
            lfd_test_fail_at(__FILE__, __LINE__, "'%s' -> %.17g", ok[i].s, v);
    }
    static const char *nf[] = {"nan", "-nan", "NaN", "inf", "-inf", "Infinity", "1.#QNAN", "-1.#IND", "1.#INF"};
    for (size_t i = 0; i < sizeof nf / sizeof nf[0]; i++) {
        double v = 0;
        CHECK(lfd_parse_number(nf[i], strlen(nf[i]), &v) == 0 && !isfinite(v));
    }
    static const char *bad[] = {"", "-", ".", "e5", "1e", "1e+", "--1", "0x10", "1.2.3", "1,5", "abc", "1d5"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double v;
        if (lfd_parse_number(bad[i], strlen(bad[i]), &v) == 0)
            lfd_test_fail_at(__FILE__, __LINE__, "'%s' accepted as %g", bad[i], v);
    }
    /* a token cut inside the MSVC spelling ("1.#Q" followed by "NAN" that is
       not part of it) is rejected without reading past the token (fuzz finding) */
    static const char *cut[] = {"1.#QNAN", "1.#INF", "1.#SNAN"};
    for (size_t i = 0; i < sizeof cut / sizeof cut[0]; i++) {
        char *t = malloc(4);
        CHECK(t != NULL);
        memcpy(t, cut[i], 4);
        double v;
        CHECK(lfd_parse_number(t, 4, &v) != 0);
        free(t);
    }
}
