/*  lfd_human tests: units and up-axis detection for every unit and both
    axes, body height, segment frames (orientation in a neutral pose, yaw
    following the body), foot contacts alternating in a walk, reference-pose
    detection and dropping, provenance sidecars, and the canonical skeleton
    helpers. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/lfd_io.h"
#include "core/lfd_motion.h"
#include "core/lfd_quat.h"
#include "ingest/lfd_human.h"
#include "ingest/lfd_skeleton.h"
#include "ingest/lfd_synth.h"
#include "tests/lfd_test.h"

static int load_synth(lfd_human *h, lfd_synth_opts o, const lfd_human_opts *ho)
{
    lfd_bvh b;
    lfd_err err = {0};
    if (lfd_synth_bvh(&b, &o, NULL, &err) || lfd_human_from_bvh(h, &b, ho, &err)) {
        lfd_test_fail_at(__FILE__, __LINE__, "%s", err.msg);
        lfd_bvh_free(&b);
        memset(h, 0, sizeof *h);
        return -1;
    }
    lfd_bvh_free(&b);
    return 0;
}

TEST(ingest_human_units_and_up_detection)
{
    static const char *units[] = {"m", "cm", "mm", "inch", "asf"};
    static const char *ups[] = {"y", "z"};
    static const double heights[] = {1.55, 1.75, 1.95};
    for (int u = 0; u < 5; u++)
        for (int a = 0; a < 2; a++)
            for (int k = 0; k < 3; k++) {
                lfd_synth_opts o = {.task = LFD_SYNTH_WALK, .seconds = 1, .fps = 30, .units = units[u],
                                    .up = ups[a], .height_m = heights[k]};
                lfd_human h;
                if (load_synth(&h, o, NULL))
                    continue;
                if (strcmp(h.units, units[u]) || strcmp(h.up, ups[a]) || fabs(h.height_m - heights[k]) > 0.005)
                    lfd_test_fail_at(__FILE__, __LINE__, "%s %s-up %.2f m: detected %s %s-up %.3f m", units[u],
                                     ups[a], heights[k], h.units, h.up, h.height_m);
                CHECK(h.units_detected && h.up_detected);
                lfd_human_free(&h);
            }
    /* a forced wrong unit is obeyed, with a warning about the height */
    lfd_synth_opts o = {.task = LFD_SYNTH_STAND, .seconds = 1, .fps = 30, .units = "cm"};
    lfd_human_opts ho = {.units = "m"};
    lfd_human h;
    if (load_synth(&h, o, &ho) == 0) {
        CHECK_STR(h.units, "m");
        CHECK(!h.units_detected);
        CHECK(h.nwarn >= 1);
        CHECK_CONTAINS(h.warn[0], "is implausible (check --units)");
        lfd_human_free(&h);
    }
    CHECK_NEAR(lfd_units_m("asf"), 0.0254 / 0.45, 1e-15);
    CHECK_NEAR(lfd_units_m("bogus"), 0, 0);
}

/* angle between a segment axis and a world direction */
static double axis_dev(const lfd_human *h, int f, int s, int axis, const double dir[3])
{
    double e[3] = {0, 0, 0}, v[3];
    e[axis] = 1;
    lfd_quat_rotate(v, lfd_human_seg(h, f, s) + 3, e);
    return acos(fmax(-1, fmin(1, lfd_v3_dot(v, dir)))) * 180 / M_PI;
}

TEST(ingest_human_segment_frames)
{
    static const double ex[3] = {1, 0, 0}, ey[3] = {0, 1, 0}, ez[3] = {0, 0, 1};
    lfd_synth_opts o = {.task = LFD_SYNTH_STAND, .seconds = 1, .fps = 30};
    lfd_human h;
    if (load_synth(&h, o, NULL))
        return;
    /* a person standing facing +X: every segment has x forward, y left, z up */
    for (int s = 0; s < LFD_SEG_COUNT; s++) {
        double dx = axis_dev(&h, 0, s, 0, ex), dy = axis_dev(&h, 0, s, 1, ey), dz = axis_dev(&h, 0, s, 2, ez);
        if (dx > 8 || dy > 8 || dz > 8)
            lfd_test_fail_at(__FILE__, __LINE__, "%s: axes off by %.1f %.1f %.1f deg", lfd_segment_name(s), dx, dy, dz);
    }
    /* origins are the joints */
    CHECK(lfd_v3_dist(lfd_human_seg(&h, 0, LFD_SEG_L_FOOT), lfd_human_cpos(&h, 0, LFD_CJ_L_ANKLE)) < 1e-12);
    /* stance foot pitch: the synth foot's ankle->toe drops 0.025 H over 0.08 H */
    CHECK_NEAR(h.foot_pitch_rad[0], atan2(0.025, 0.08), 1e-6);
    /* turn the whole clip 90 deg about Z: every frame's yaw follows */
    double q[4], z[3] = {0, 0, 1};
    lfd_quat_from_axis_angle(q, z, M_PI / 2);
    for (int f = 0; f < h.nframes; f++)
        for (int j = 0; j < h.njoints; j++)
            lfd_quat_rotate(lfd_human_pos(&h, f, j), q, lfd_human_pos(&h, f, j));
    lfd_err err = {0};
    CHECK_OK(lfd_human_analyze(&h, &err), &err);
    static const double my[3] = {0, 1, 0}, mx[3] = {-1, 0, 0};
    for (int s = 0; s < LFD_SEG_COUNT; s++) {
        CHECK(axis_dev(&h, 3, s, 0, my) < 8);
        CHECK(axis_dev(&h, 3, s, 1, mx) < 8);
    }
    lfd_human_free(&h);
    /* the pure function: a T-pose made of canonical positions */
    double cp[3 * LFD_CJ_COUNT] = {0}, seg[7 * LFD_SEG_COUNT];
#define P(cj, x, y, zz) (cp[3 * (cj)] = (x), cp[3 * (cj) + 1] = (y), cp[3 * (cj) + 2] = (zz))
    P(LFD_CJ_PELVIS, 0, 0, 1.0);
    P(LFD_CJ_SPINE, 0, 0, 1.1);
    P(LFD_CJ_CHEST, 0, 0, 1.3);
    P(LFD_CJ_NECK, 0, 0, 1.45);
    P(LFD_CJ_HEAD, 0, 0, 1.55);
    P(LFD_CJ_L_SHOULDER, 0, 0.2, 1.42);
    P(LFD_CJ_R_SHOULDER, 0, -0.2, 1.42);
    P(LFD_CJ_L_HIP, 0, 0.09, 0.95);
    P(LFD_CJ_R_HIP, 0, -0.09, 0.95);
    P(LFD_CJ_L_KNEE, 0.01, 0.09, 0.5);
    P(LFD_CJ_R_KNEE, 0.01, -0.09, 0.5);
    P(LFD_CJ_L_ANKLE, 0, 0.09, 0.08);
    P(LFD_CJ_R_ANKLE, 0, -0.09, 0.08);
    P(LFD_CJ_L_TOE, 0.14, 0.09, 0.02);
    P(LFD_CJ_R_TOE, 0.14, -0.09, 0.02);
#undef P
    double pitch[2] = {atan2(0.06, 0.14), atan2(0.06, 0.14)};
    lfd_seg_frames(cp, pitch, seg);
    double id[4] = {1, 0, 0, 0};
    for (int s = 0; s < LFD_SEG_COUNT; s++)
        if (lfd_quat_angle(seg + 7 * s + 3, id) > 1e-9)
            lfd_test_fail_at(__FILE__, __LINE__, "%s: %.3g rad from identity", lfd_segment_name(s),
                             lfd_quat_angle(seg + 7 * s + 3, id));
}

TEST(ingest_human_walk_contacts_alternate)
{
    lfd_synth_opts o = {.task = LFD_SYNTH_WALK, .seconds = 6, .fps = 120};
    lfd_human h;
    if (load_synth(&h, o, NULL))
        return;
    int n[2] = {0, 0}, both = 0, none = 0, runs[2] = {0, 0};
    for (int f = 0; f < h.nframes; f++) {
        int l = h.contact[2 * f], r = h.contact[2 * f + 1];
        n[0] += l;
        n[1] += r;
        both += l && r;
        none += !l && !r;
        for (int s = 0; s < 2; s++)
            if (h.contact[2 * f + s] && (f == 0 || !h.contact[2 * (f - 1) + s]))
                runs[s]++;
    }
    /* stance is 60% of a 1.1 s stride: each foot 45-65% in contact, a few
       double-support frames, never both feet in the air, one contact per stride */
    CHECK(n[0] > 0.45 * h.nframes && n[0] < 0.70 * h.nframes);
    CHECK(n[1] > 0.45 * h.nframes && n[1] < 0.70 * h.nframes);
    CHECK(both > 0);
    CHECK_EQ_INT(none, 0);
    CHECK(runs[0] >= 5 && runs[0] <= 7);
    CHECK(runs[1] >= 5 && runs[1] <= 7);
    /* a planted foot stays put: within each contact, its toe (or, landing
       heel first, its ankle) stays within 1.5 cm of where the contact began */
    for (int f = 0; f < h.nframes;) {
        if (!h.contact[2 * f]) {
            f++;
            continue;
        }
        int g = f;
        double dmax[2] = {0, 0};
        while (g < h.nframes && h.contact[2 * g]) {
            for (int k = 0; k < 2; k++) {
                int cj = k ? LFD_CJ_L_TOE : LFD_CJ_L_ANKLE;
                const double *a = lfd_human_cpos(&h, f, cj), *b = lfd_human_cpos(&h, g, cj);
                dmax[k] = fmax(dmax[k], hypot(a[0] - b[0], a[1] - b[1]));
            }
            g++;
        }
        if (fmin(dmax[0], dmax[1]) > 0.015)
            lfd_test_fail_at(__FILE__, __LINE__, "contact %d-%d: the foot drifts %.3f m", f, g - 1,
                             fmin(dmax[0], dmax[1]));
        f = g;
    }
    CHECK_NEAR(h.floor_z_m, 0.039 * 1.75 - 0.025 * 1.75, 0.002);
    lfd_human_free(&h);
    /* the detector on its own: still, moving, still */
    double a[3 * 90], t[3 * 90];
    uint8_t c[90];
    for (int f = 0; f < 90; f++) {
        double x = f < 30 ? 0 : f < 60 ? (f - 30) * 0.05 : 1.5, lift = f >= 30 && f < 60 ? 0.1 : 0;
        lfd_v3_set(a + 3 * f, x, 0, 0.08 + lift);
        lfd_v3_set(t + 3 * f, x + 0.14, 0, 0.02 + lift);
    }
    int cnt = lfd_foot_contacts(a, t, 3, 90, 30, NULL, c, 1);
    /* the frames next to a jump see it in their central difference */
    CHECK(c[0] && c[28] && !c[29] && !c[45] && !c[60] && c[61] && c[89]);
    CHECK_EQ_INT(cnt, 58);
}

TEST(ingest_human_reference_pose)
{
    lfd_synth_opts o = {.task = LFD_SYNTH_WALK, .seconds = 2, .fps = 120};
    lfd_bvh b;
    lfd_err err = {0};
    CHECK_OK(lfd_synth_bvh(&b, &o, NULL, &err), &err);
    if (!b.nframes)
        return;
    lfd_human h;
    /* a clean clip has none */
    CHECK_OK(lfd_human_from_bvh(&h, &b, NULL, &err), &err);
    CHECK_EQ_INT(h.ref_pose, 0);
    lfd_human_free(&h);
    /* frame 0 set to the rest pose (all rotations zero, root kept): detected */
    for (int c = 3; c < b.nchannels; c++)
        b.motion[c] = 0;
    CHECK_OK(lfd_human_from_bvh(&h, &b, NULL, &err), &err);
    CHECK_EQ_INT(h.ref_pose, 1);
    CHECK_EQ_INT(h.nframes, b.nframes);
    CHECK(h.ref_jump_m > 0.3);
    lfd_human_free(&h);
    lfd_human_opts ho = {.ref_pose = LFD_REFPOSE_DROP};
    CHECK_OK(lfd_human_from_bvh(&h, &b, &ho, &err), &err);
    CHECK_EQ_INT(h.ref_dropped, 1);
    CHECK_EQ_INT(h.nframes, b.nframes - 1);
    CHECK_EQ_INT(h.first_frame, 1);
    /* frame 0 of the human is now the file's frame 1 */
    double *pos = malloc((size_t)b.nnodes * 3 * sizeof(double)), *q = malloc((size_t)b.nnodes * 4 * sizeof(double));
    lfd_bvh_fk(&b, 1, pos, q);
    CHECK_NEAR(lfd_human_pos(&h, 0, 5)[2], pos[3 * 5 + 1] * 0.01, 1e-12); /* y-up cm -> z-up m */
    free(pos);
    free(q);
    lfd_human_free(&h);
    /* a rest pose that continues smoothly (no jump) is real motion, not a reference */
    for (int c = 0; c < b.nchannels; c++)
        b.motion[c] = b.motion[b.nchannels + c];
    for (int f = 0; f < b.nframes; f++)
        for (int c = 3; c < b.nchannels; c++)
            b.motion[(size_t)f * b.nchannels + c] = 0;
    CHECK_OK(lfd_human_from_bvh(&h, &b, NULL, &err), &err);
    CHECK_EQ_INT(h.ref_pose, 0);
    lfd_human_free(&h);
    lfd_bvh_free(&b);
}

TEST(ingest_human_provenance_sidecar)
{
    lfd_synth_opts o = {.task = LFD_SYNTH_STAND, .seconds = 1, .fps = 30};
    lfd_bvh b;
    lfd_err err = {0};
    CHECK_OK(lfd_synth_bvh(&b, &o, NULL, &err), &err);
    char path[1024], prov[1100];
    snprintf(path, sizeof path, "%s/demo.bvh", lfd_test_tmpdir());
    snprintf(prov, sizeof prov, "%s.prov.json", path);
    CHECK_OK(lfd_bvh_write(&b, path, NULL, &err), &err);
    lfd_bvh_free(&b);
    const char *pj = "{\"contributor\": \"anon-17\", \"consent\": {\"training\": true}, \"rig_notes\": [1, 2.5, \"x\"]}";
    CHECK_OK(lfd_file_write_atomic(prov, pj, strlen(pj), &err), &err);
    lfd_human h;
    CHECK_OK(lfd_human_load(&h, path, NULL, &err), &err);
    CHECK_EQ_INT(h.prov.n, 3);
    char v[64];
    CHECK_OK(lfd_prov_get_str(&h.prov, "contributor", v, sizeof v, &err), &err);
    CHECK_STR(v, "anon-17");
    CHECK(lfd_prov_get(&h.prov, "consent") != NULL);
    CHECK_EQ_INT((int)strlen(h.sha256), 64);
    lfd_human_free(&h);
    /* an explicit path wins; a broken one is an error naming it */
    char other[1100];
    snprintf(other, sizeof other, "%s/other.json", lfd_test_tmpdir());
    CHECK_OK(lfd_file_write_atomic(other, "{\"a\": 1", 7, &err), &err);
    lfd_human_opts ho = {.prov = other};
    CHECK(lfd_human_load(&h, path, &ho, &err) != LFD_OK);
    CHECK_CONTAINS(err.msg, "other.json");
    CHECK(h.pos == NULL);
}

TEST(ingest_human_skeleton_helpers)
{
    CHECK_STR(lfd_cjoint_name(LFD_CJ_L_SHOULDER), "l_shoulder");
    CHECK_EQ_INT(lfd_cjoint_find("r_toe"), LFD_CJ_R_TOE);
    CHECK_EQ_INT(lfd_cjoint_find("LeftArm"), -1);
    CHECK_EQ_INT(lfd_cjoint_parent(LFD_CJ_L_WRIST), LFD_CJ_L_ELBOW);
    CHECK_EQ_INT(lfd_cjoint_parent(LFD_CJ_PELVIS), -1);
    CHECK_EQ_INT(lfd_cjoint_mirror(LFD_CJ_L_KNEE), LFD_CJ_R_KNEE);
    CHECK_EQ_INT(lfd_cjoint_mirror(LFD_CJ_R_TOE), LFD_CJ_L_TOE);
    CHECK_EQ_INT(lfd_cjoint_mirror(LFD_CJ_NECK), LFD_CJ_NECK);
    CHECK(lfd_skel_name_eq("mixamorig:LeftArm", "LeftArm"));
    CHECK(lfd_skel_name_eq("mixamorig12:leftarm", "LeftArm"));
    CHECK(!lfd_skel_name_eq("LeftShoulder", "left_shoulder"));
    /* the glenohumeral joint, not the clavicle, in each rig */
    static const struct {
        const char *names[24];
        int n;
        const char *l_shoulder, *family;
    } rigs[] = {
        {{"Hips", "LHipJoint", "LeftUpLeg", "LeftLeg", "LeftFoot", "LeftToeBase", "RHipJoint", "RightUpLeg",
          "RightLeg", "RightFoot", "RightToeBase", "LowerBack", "Spine", "Spine1", "Neck", "Neck1", "Head",
          "LeftShoulder", "LeftArm", "LeftForeArm", "LeftHand", "RightShoulder", "RightArm", "RightForeArm"},
         24, "LeftArm", "biped"},
        {{"hip", "abdomen", "chest", "neck", "head", "lCollar", "lShldr", "lForeArm", "lHand", "rCollar",
          "rShldr", "rForeArm", "rHand", "lButtock", "lThigh", "lShin", "lFoot", "rButtock", "rThigh", "rShin",
          "rFoot", "lToe", "rToe"},
         23, "lShldr", "daz"},
        {{"pelvis", "left_hip", "right_hip", "spine1", "left_knee", "right_knee", "spine2", "left_ankle",
          "right_ankle", "spine3", "left_foot", "right_foot", "neck", "left_collar", "right_collar", "head",
          "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist"},
         22, "left_shoulder", "smpl"},
    };
    for (size_t i = 0; i < sizeof rigs / sizeof rigs[0]; i++) {
        lfd_skel_map m;
        lfd_err err = {0};
        int rc = lfd_skel_resolve(rigs[i].names, NULL, rigs[i].n, NULL, "rig", &m, &err);
        if (i == 0) {
            /* the CMU list above lacks the right hand: named in the error */
            CHECK(rc == LFD_EMISMATCH);
            CHECK_CONTAINS(err.msg, "r_wrist");
            CHECK(!strstr(err.msg, "l_wrist"));
        } else {
            CHECK_OK(rc, &err);
        }
        CHECK_STR(m.family, rigs[i].family);
        CHECK(m.c[LFD_CJ_L_SHOULDER].n == 1);
        CHECK_STR(rigs[i].names[m.c[LFD_CJ_L_SHOULDER].src[0]], rigs[i].l_shoulder);
    }
    CHECK(lfd_skel_nfamilies() >= 8);
}

/* Issue 21: a keypoint file whose units only the preset supplies says
   "assumed", not "given"; a sidecar that states them makes them given. */
TEST(ingest_human_units_assumed_from_preset)
{
    lfd_human src;
    lfd_synth_opts so = {.task = LFD_SYNTH_WALK, .seconds = 1, .fps = 30};
    if (load_synth(&src, so, NULL))
        return;
    /* SMPL-22 order from the canonical joints (collars at the chest, feet at the toes) */
    static const int order[22] = {LFD_CJ_PELVIS, LFD_CJ_L_HIP, LFD_CJ_R_HIP, LFD_CJ_SPINE, LFD_CJ_L_KNEE,
                                  LFD_CJ_R_KNEE, LFD_CJ_SPINE, LFD_CJ_L_ANKLE, LFD_CJ_R_ANKLE, LFD_CJ_CHEST,
                                  LFD_CJ_L_TOE, LFD_CJ_R_TOE, LFD_CJ_NECK, LFD_CJ_CHEST, LFD_CJ_CHEST,
                                  LFD_CJ_HEAD, LFD_CJ_L_SHOULDER, LFD_CJ_R_SHOULDER, LFD_CJ_L_ELBOW,
                                  LFD_CJ_R_ELBOW, LFD_CJ_L_WRIST, LFD_CJ_R_WRIST};
    int T = src.nframes;
    double *pos = malloc((size_t)T * 22 * 3 * sizeof *pos);
    for (int f = 0; f < T; f++)
        for (int j = 0; j < 22; j++) {
            const double *p = lfd_human_cpos(&src, f, order[j]);
            double *d = pos + ((size_t)f * 22 + j) * 3;
            d[0] = p[1], d[1] = p[2], d[2] = p[0]; /* Y-up, metres, as SMPL */
        }
    char path[1024], side[1100], args[1200], out[8192];
    snprintf(path, sizeof path, "%s/smpl.npy", lfd_test_tmpdir());
    lfd_err err = {0};
    CHECK_OK(lfd_npy_write(path, pos, T, 22, "<f8", 1, 0, &err), &err);
    free(pos);
    snprintf(args, sizeof args, "human info --fps 30 %s", path);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    CHECK_CONTAINS(out, "units         m (assumed, 1 unit = 1 m)  [preset smpl-22 default");
    lfd_human h;
    lfd_human_opts ho = {.fps = 30};
    CHECK_OK(lfd_human_load(&h, path, &ho, &err), &err);
    CHECK(h.units_assumed && !h.units_detected);
    lfd_human_free(&h);
    /* --units gives them */
    ho.units = "m";
    CHECK_OK(lfd_human_load(&h, path, &ho, &err), &err);
    CHECK(!h.units_assumed && !h.units_detected);
    lfd_human_free(&h);
    /* so does a sidecar */
    snprintf(side, sizeof side, "%s.json", path);
    const char *js = "{\"units\": \"m\"}";
    CHECK_OK(lfd_file_write_atomic(side, js, strlen(js), &err), &err);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    CHECK_CONTAINS(out, "units         m (given, 1 unit = 1 m)\n");
    lfd_human_free(&src);
}

/* Issue 21: `lfd motion info` on a file without velocities says "no qvel"
   instead of "nv 0". */
TEST(ingest_human_motion_info_says_no_qvel)
{
    lfd_motion m;
    lfd_err err = {0};
    CHECK_OK(lfd_motion_alloc(&m, 5, 1, 19, 0, &err), &err);
    m.fps = 30;
    snprintf(m.robot, sizeof m.robot, "toy");
    for (int j = 0; j < 19; j++)
        snprintf(m.joint_names[j], LFD_NAME_MAX, "j%d", j);
    for (int f = 0; f < 5; f++)
        lfd_motion_frame(&m, f)[3] = 1;
    char path[1024], args[1200], out[8192];
    snprintf(path, sizeof path, "%s/a.lfdm", lfd_test_tmpdir());
    CHECK_OK(lfd_motion_write(&m, path, &err), &err);
    snprintf(args, sizeof args, "motion info %s", path);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    CHECK_CONTAINS(out, "nq / nv       26 / no qvel");
    CHECK(!strstr(out, "26 / 0"));
    snprintf(args, sizeof args, "motion info --json %s", path);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    CHECK_CONTAINS(out, "\"has_qvel\": false");
    CHECK_CONTAINS(out, "\"nv\": null"); /* not 0: no qvel is stored */
    CHECK(!strstr(out, "\"nv\": 0"));
    lfd_motion_free(&m);
}

/* A heel strike: the heel stops on the floor with the toe 0.4 rad up, and
   the foot turns down about it to flat within 0.1 s (the ankle then moves
   at about 0.35 m/s, the toe at 0.8 m/s and up to 7 cm high).  The detector
   finds the contact from the heel's landing, not only once the sole is
   flat; the ankle and toe alone missed those frames. */
TEST(ingest_contacts_from_the_heel_strike)
{
    enum { N = 60 };
    double a[3 * N], t[3 * N];
    uint8_t c[N];
    const double fps = 30, len = 0.15, ankle_h = 0.08, toe_h = 0.02;
    /* the rest pitch of the ankle-toe line; the heel 0.35 len behind the ankle, at the toe's level */
    double ps = asin((ankle_h - toe_h) / len), hx = -0.35 * len;
    for (int f = 0; f < N; f++) {
        /* swing until frame 20 (the heel coming down from 20 cm at 1.5 m/s),
           heel strike at 20, the foot turning down about the heel over
           frames 20-23, flat from 23 */
        double phi = f < 20 ? -0.4 : f < 23 ? -0.4 * (23 - f) / 3.0 : 0;
        double heel[3] = {f < 20 ? 1.0 - 0.05 * (20 - f) : 1.0, 0, f < 20 ? toe_h + 0.01 * (20 - f) : toe_h};
        /* ankle and toe turned by phi about the heel from their flat places */
        double ax = -hx, az = ankle_h - toe_h, tx = -hx + len * cos(ps), tz = 0;
        double c0 = cos(phi), s0 = sin(phi);
        lfd_v3_set(a + 3 * f, heel[0] + ax * c0 + az * s0, 0, heel[2] - ax * s0 + az * c0);
        lfd_v3_set(t + 3 * f, heel[0] + tx * c0 + tz * s0, 0, heel[2] - tx * s0 + tz * c0);
    }
    lfd_foot_contacts(a, t, 3, N, fps, NULL, c, 1);
    for (int f = 21; f < 24; f++)
        if (!c[f])
            lfd_test_fail_at(__FILE__, __LINE__, "frame %d: the heel is down, no contact", f);
    CHECK(!c[10] && c[40]);
}
