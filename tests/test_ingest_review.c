/*  Faults a review of the keypoint path found (lfd qa, lfd qa --repair and
    the keypoint readers), each with the input that showed it: an absurd
    frame rate, rate options that are not numbers, low-confidence joints
    erased by a floor-tilt repair, gaps spread by resampling, partial output
    after an error, joint names CSV cannot hold, the long CSV layout's frame
    numbers, a preset's tree applied to named columns out of order, BVH end
    sites taken for wrists, and text output printing nan/inf. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/lfd_io.h"
#include "ingest/lfd_human.h"
#include "ingest/lfd_keypoints.h"
#include "ingest/lfd_kp_corrupt.h"
#include "ingest/lfd_qa.h"
#include "ingest/lfd_repair.h"
#include "ingest/lfd_synth.h"
#include "tests/lfd_test.h"

/* a generated walk as keypoints (lfd's joint names, Z up, metres) */
static int walk_kp(lfd_keypoints *kp, double seconds, double fps)
{
    lfd_synth_opts o = {.task = LFD_SYNTH_WALK, .seconds = seconds, .fps = fps};
    lfd_human h;
    lfd_err err = {0};
    if (lfd_synth_human(&h, &o, &err) || lfd_kp_from_human(kp, &h, &err)) {
        lfd_test_fail_at(__FILE__, __LINE__, "%s", err.msg);
        return -1;
    }
    lfd_human_free(&h);
    return 0;
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* item 1: a time column stepping 1e-12 s (or a rate option of 1e12 Hz)
   sized bone_breathing's window at 1e11 frames and lfd qa never ended */
TEST(ingest_review_absurd_frame_rate_refused)
{
    const char *dir = lfd_test_tmpdir();
    lfd_err err = {0};
    lfd_keypoints kp;
    if (walk_kp(&kp, 3, 30))
        return;
    kp.times = malloc((size_t)kp.nframes * sizeof *kp.times);
    for (int f = 0; f < kp.nframes; f++)
        kp.times[f] = f * 1e-12;
    char pico[1024], norate[1024];
    snprintf(pico, sizeof pico, "%s/pico.csv", dir);
    CHECK_OK(lfd_repair_write(pico, &kp, NULL, NULL, NULL, NULL, &err), &err);
    free(kp.times);
    kp.times = NULL;
    snprintf(norate, sizeof norate, "%s/norate.npy", dir);
    CHECK_OK(lfd_npy_write(norate, kp.pos, kp.nframes, kp.njoints, "<f8", 1, 0, &err), &err);
    char sc[1100];
    snprintf(sc, sizeof sc, "%s.json", norate);
    FILE *fp = fopen(sc, "w");
    CHECK(fp);
    if (fp) {
        fputs("{\"joints\": [", fp);
        for (int j = 0; j < kp.njoints; j++)
            fprintf(fp, "%s\"%s\"", j ? ", " : "", kp.names[j]);
        fputs("], \"parents\": [", fp);
        for (int j = 0; j < kp.njoints; j++)
            fprintf(fp, "%s%d", j ? ", " : "", kp.parents[j]);
        fputs("], \"units\": \"m\", \"up\": \"z\"}", fp);
        fclose(fp);
    }
    lfd_keypoints k2;
    lfd_kp_opts ko = {0};
    int rc = lfd_kp_read(&k2, pico, &ko, &err);
    CHECK(rc != LFD_OK);
    if (rc == LFD_OK)
        lfd_kp_free(&k2);
    else
        CHECK_CONTAINS(err.msg, "outside (0, 10000]");
    lfd_kp_opts big = {.fps_default = 1e12};
    rc = lfd_kp_read(&k2, norate, &big, &err);
    CHECK(rc != LFD_OK);
    if (rc == LFD_OK)
        lfd_kp_free(&k2);
    else
        CHECK_CONTAINS(err.msg, "outside (0, 10000]");
    /* the detector itself keeps its window inside the clip, whatever the rate */
    lfd_human h;
    lfd_synth_opts so = {.task = LFD_SYNTH_WALK, .seconds = 2, .fps = 30};
    CHECK_OK(lfd_synth_human(&h, &so, &err), &err);
    h.fps = 1e12;
    lfd_qa_report *r = calloc(1, sizeof *r);
    CHECK_OK(lfd_qa_video_detect(&h, NULL, 0, r, NULL, NULL, &err), &err);
    free(r);
    lfd_human_free(&h);
    /* the command says why and ends */
    static char out[1 << 15];
    CHECK_EQ_INT(lfd_test_run_lfdf(out, sizeof out, "qa %s", pico), 1);
    CHECK_CONTAINS(out, "time column steps 1e-12 s");
    lfd_kp_free(&kp);
}

/* item 2: lfd qa --in-fps nan, 0 or -5 was silently ignored and inf taken
   as a rate; each is a usage error naming the option */
TEST(ingest_review_qa_in_fps_must_be_a_rate)
{
    const char *dir = lfd_test_tmpdir();
    lfd_err err = {0};
    lfd_keypoints kp;
    if (walk_kp(&kp, 2, 30))
        return;
    char csv[1024];
    snprintf(csv, sizeof csv, "%s/walk.csv", dir);
    CHECK_OK(lfd_repair_write(csv, &kp, NULL, NULL, NULL, NULL, &err), &err);
    lfd_kp_free(&kp);
    static char out[1 << 15];
    static const char *bad[] = {"nan", "0", "-5", "inf", "1e12"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = lfd_test_run_lfdf(out, sizeof out, "qa %s --in-fps %s", csv, bad[i]);
        if (rc != 2 || !strstr(out, "--in-fps must be a rate in (0, 10000] Hz"))
            lfd_test_fail_at(__FILE__, __LINE__, "--in-fps %s: exit %d: %.300s", bad[i], rc, out);
    }
    CHECK_EQ_INT(lfd_test_run_lfdf(out, sizeof out, "qa %s --in-fps 30", csv), 0);
}

static int joint_index(const lfd_keypoints *kp, const char *name)
{
    for (int j = 0; j < kp->njoints; j++)
        if (!strcmp(kp->names[j], name))
            return j;
    return -1;
}

static const double *kp_at(const lfd_keypoints *kp, int f, int j)
{
    return kp->pos + ((size_t)f * kp->njoints + j) * 3;
}

/* item 3: a floor-tilt repair turned every low-confidence joint's real
   coordinates into empty cells (the checks' NaN mask was written back); the
   rotation must rotate the file's values */
TEST(ingest_review_tilt_repair_keeps_low_confidence_joints)
{
    const char *dir = lfd_test_tmpdir();
    lfd_err err = {0};
    lfd_keypoints kp;
    if (walk_kp(&kp, 6, 30))
        return;
    int T = kp.nframes, J = kp.njoints, lw = joint_index(&kp, "l_wrist"), le = joint_index(&kp, "l_elbow");
    CHECK(lw >= 0 && le >= 0);
    if (lw < 0 || le < 0)
        return;
    /* the ground tilted 8 degrees about y, the left wrist seen with low confidence throughout */
    double a = 8 * M_PI / 180, c = cos(a), s = sin(a);
    for (size_t k = 0; k < (size_t)T * J; k++) {
        double *p = kp.pos + k * 3, x = p[0], z = p[2];
        p[0] = c * x + s * z;
        p[2] = -s * x + c * z;
    }
    kp.conf = malloc((size_t)T * J * sizeof *kp.conf);
    for (int f = 0; f < T; f++)
        for (int j = 0; j < J; j++)
            kp.conf[(size_t)f * J + j] = j == lw ? 0.2 : 1;
    char in[1024], out[1024];
    snprintf(in, sizeof in, "%s/tilt_lowconf.csv", dir);
    snprintf(out, sizeof out, "%s/fixed.csv", dir);
    CHECK_OK(lfd_repair_write(in, &kp, NULL, NULL, NULL, NULL, &err), &err);
    lfd_qa_report *r = calloc(1, sizeof *r);
    CHECK_OK(lfd_qa_file_repair(in, NULL, out, r, &err), &err);
    int tilted = 0;
    for (int i = 0; i < r->nrepairs; i++)
        tilted |= !strcmp(r->repair[i].kind, "floor_tilt");
    CHECK(tilted);
    free(r);
    lfd_keypoints fx;
    lfd_kp_opts ko = {0};
    int rc = lfd_kp_read(&fx, out, &ko, &err);
    CHECK_OK(rc, &err);
    if (rc == LFD_OK) {
        CHECK_EQ_INT(fx.nframes, T);
        int nonfinite = 0, stretched = 0;
        for (int f = 0; f < T && fx.nframes == T; f++) {
            const double *p = kp_at(&fx, f, lw), *q = kp_at(&fx, f, le);
            nonfinite += !(isfinite(p[0]) && isfinite(p[1]) && isfinite(p[2]));
            /* a rotation keeps the forearm's length */
            double d0 = sqrt(pow(kp_at(&kp, f, lw)[0] - kp_at(&kp, f, le)[0], 2) +
                             pow(kp_at(&kp, f, lw)[1] - kp_at(&kp, f, le)[1], 2) +
                             pow(kp_at(&kp, f, lw)[2] - kp_at(&kp, f, le)[2], 2));
            double d1 = sqrt(pow(p[0] - q[0], 2) + pow(p[1] - q[1], 2) + pow(p[2] - q[2], 2));
            stretched += !(fabs(d1 - d0) < 1e-6);
        }
        CHECK_EQ_INT(nonfinite, 0);
        CHECK_EQ_INT(stretched, 0);
        CHECK(fx.conf && fabs(fx.conf[lw] - 0.2) < 1e-12);
        lfd_kp_free(&fx);
    }
    lfd_kp_free(&kp);
}

/* item 4: resampling irregular times spread a gap of missing samples into
   the good frames on both sides (tangents reached one sample past the
   interval, and 0 * NaN is NaN even on a sample's own time) */
TEST(ingest_review_resample_keeps_gaps_their_length)
{
    const char *dir = lfd_test_tmpdir();
    lfd_err err = {0};
    lfd_keypoints kp;
    if (walk_kp(&kp, 6, 30))
        return;
    int T = kp.nframes, J = kp.njoints, lw = joint_index(&kp, "l_wrist");
    CHECK(lw >= 0 && T == 180);
    if (lw < 0 || T != 180)
        return;
    /* frames 40-47 dropped (irregular times), the left wrist lost on 100-119 (too long to fill) */
    int n = 0;
    kp.times = malloc((size_t)T * sizeof *kp.times);
    for (int f = 0; f < T; f++) {
        if (f >= 40 && f <= 47)
            continue;
        memmove(kp.pos + (size_t)n * J * 3, kp.pos + (size_t)f * J * 3, (size_t)J * 3 * sizeof *kp.pos);
        kp.times[n] = f / 30.0;
        if (f >= 100 && f <= 119)
            kp.pos[((size_t)n * J + lw) * 3 + 0] = kp.pos[((size_t)n * J + lw) * 3 + 1] =
                kp.pos[((size_t)n * J + lw) * 3 + 2] = NAN;
        n++;
    }
    kp.nframes = n;
    char in[1024], out[1024];
    snprintf(in, sizeof in, "%s/drop_gap.csv", dir);
    snprintf(out, sizeof out, "%s/fixed.csv", dir);
    CHECK_OK(lfd_repair_write(in, &kp, NULL, NULL, NULL, NULL, &err), &err);
    lfd_qa_report *r = calloc(1, sizeof *r);
    CHECK_OK(lfd_qa_file_repair(in, NULL, out, r, &err), &err);
    free(r);
    lfd_keypoints fx;
    lfd_kp_opts ko = {0};
    int rc = lfd_kp_read(&fx, out, &ko, &err);
    CHECK_OK(rc, &err);
    if (rc == LFD_OK) {
        CHECK_EQ_INT(fx.nframes, T);
        int missing = 0, first = -1;
        for (int f = 0; f < fx.nframes; f++)
            if (!isfinite(kp_at(&fx, f, lw)[0])) {
                missing++;
                if (first < 0)
                    first = f;
            }
        CHECK_EQ_INT(missing, 20);
        CHECK_EQ_INT(first, 100);
        /* the frames next to the gap are the samples themselves */
        if (fx.nframes == T) {
            CHECK(kp_at(&fx, 99, lw)[0] == kp_at(&kp, 99 - 8, lw)[0]);
            CHECK(kp_at(&fx, 120, lw)[2] == kp_at(&kp, 120 - 8, lw)[2]);
        }
        lfd_kp_free(&fx);
    }
    lfd_kp_free(&kp);
}

/* item 5: when the sidecar or provenance could not be written (a folder in
   its place), lfd qa --repair failed but left the data file behind */
TEST(ingest_review_repair_error_leaves_no_output)
{
    const char *dir = lfd_test_tmpdir();
    lfd_err err = {0};
    lfd_keypoints kp;
    if (walk_kp(&kp, 3, 30))
        return;
    char clean[1024], gap[1024];
    snprintf(clean, sizeof clean, "%s/clean.csv", dir);
    CHECK_OK(lfd_repair_write(clean, &kp, NULL, NULL, NULL, NULL, &err), &err);
    int lw = joint_index(&kp, "l_wrist");
    for (int f = 50; f <= 55 && lw >= 0; f++)
        for (int c = 0; c < 3; c++)
            kp.pos[((size_t)f * kp.njoints + lw) * 3 + c] = NAN;
    snprintf(gap, sizeof gap, "%s/gap.csv", dir);
    CHECK_OK(lfd_repair_write(gap, &kp, NULL, NULL, NULL, NULL, &err), &err);
    lfd_kp_free(&kp);
    /* a clean file is copied, a file with a short gap repaired: either way
       a folder in the sidecar's or the provenance's place is an error with nothing left */
    const char *in[] = {clean, gap, clean, gap};
    static const char *blocked[] = {".json", ".json", ".prov.json", ".prov.json"};
    static char out[1 << 15];
    for (int i = 0; i < 4; i++) {
        char o[1100], b[1200], sc[1200];
        snprintf(o, sizeof o, "%s/out%d/fixed.csv", dir, i);
        snprintf(b, sizeof b, "%s%s", o, blocked[i]);
        snprintf(sc, sizeof sc, "%s.json", o);
        CHECK_OK(lfd_mkdir_p(b, &err), &err);
        int rc = lfd_test_run_lfdf(out, sizeof out, "qa %s --repair -o %s", in[i], o);
        if (rc != 2 || !strstr(out, "Is a directory"))
            lfd_test_fail_at(__FILE__, __LINE__, "case %d: exit %d: %.300s", i, rc, out);
        if (exists(o) || (i >= 2 && exists(sc)))
            lfd_test_fail_at(__FILE__, __LINE__, "case %d: %s left after the error", i, exists(o) ? o : sc);
    }
    /* and without the obstacle both are written */
    for (int i = 0; i < 2; i++) {
        char o[1100];
        snprintf(o, sizeof o, "%s/ok%d/fixed.csv", dir, i);
        CHECK_OK(lfd_mkdir_p(o, &err), &err);
        rmdir(o);
        lfd_test_run_lfdf(out, sizeof out, "qa %s --repair -o %s", in[i], o);
        CHECK(exists(o));
    }
}

/* kp as JSON lines ({"t": s, "joints": {name: [x, y, z]}}) */
static void write_jsonl(const char *path, const lfd_keypoints *kp)
{
    FILE *fp = fopen(path, "w");
    CHECK(fp);
    if (!fp)
        return;
    for (int f = 0; f < kp->nframes; f++) {
        fprintf(fp, "{\"t\": %.17g, \"joints\": {", f / kp->fps);
        for (int j = 0; j < kp->njoints; j++) {
            const double *p = kp_at(kp, f, j);
            fprintf(fp, "%s\"%s\": [%.17g, %.17g, %.17g]", j ? ", " : "", kp->names[j], p[0], p[1], p[2]);
        }
        fputs("}}\n", fp);
    }
    fclose(fp);
}

/* item 6: a JSONL joint named "l_clavicle, est" was written into a CSV
   header that could not be read back; and a clean JSONL rewritten as CSV
   was said to be "copied" */
TEST(ingest_review_csv_refuses_names_it_cannot_hold)
{
    const char *dir = lfd_test_tmpdir();
    lfd_keypoints kp;
    if (walk_kp(&kp, 2, 30))
        return;
    char clean[1024], comma[1024], o1[1100], o2[1100];
    snprintf(clean, sizeof clean, "%s/clean.jsonl", dir);
    write_jsonl(clean, &kp);
    snprintf(kp.names[5], sizeof kp.names[5], "%s", "l_clavicle, est");
    snprintf(comma, sizeof comma, "%s/comma.jsonl", dir);
    write_jsonl(comma, &kp);
    lfd_kp_free(&kp);
    snprintf(o1, sizeof o1, "%s/clean_out.csv", dir);
    snprintf(o2, sizeof o2, "%s/comma_out.csv", dir);
    static char out[1 << 15];
    CHECK_EQ_INT(lfd_test_run_lfdf(out, sizeof out, "qa %s --repair -o %s", clean, o1), 0);
    CHECK_CONTAINS(out, "nothing to repair; converted to ");
    CHECK(exists(o1));
    CHECK_EQ_INT(lfd_test_run_lfdf(out, sizeof out, "qa %s --repair -o %s", comma, o2), 2);
    CHECK_CONTAINS(out, "joint 5 'l_clavicle, est' has a comma, quote or line break in its name");
    CHECK(!exists(o2));
    /* as .npy the names go to the sidecar's JSON, which holds them */
    snprintf(o2, sizeof o2, "%s/comma_out.npy", dir);
    CHECK_EQ_INT(lfd_test_run_lfdf(out, sizeof out, "qa %s --repair -o %s", comma, o2), 0);
}

/* item 7: the one-row-per-landmark CSV grouped rows by the text of the
   frame column only: frames numbered backwards or twice over read as a
   clean take; they are errors with file:line as backward times are */
TEST(ingest_review_long_csv_frames_must_increase)
{
    const char *dir = lfd_test_tmpdir();
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"frame,landmark,x,y,z\n2,a,0,0,1\n2,b,0,1,1\n1,a,0,0,1\n1,b,0,1,1\n0,a,0,0,1\n0,b,0,1,1\n",
         "long.csv:4: column 1: frame 1 does not come after the previous frame 2 (frame numbers going backwards or "
         "repeated)"},
        {"frame,landmark,x,y,z\n0,a,0,0,1\n0,b,0,1,1\n1,a,0,0,1\n1,b,0,1,1\n0,a,0,0,1\n0,b,0,1,1\n",
         "long.csv:6: column 1: frame 0 does not come after the previous frame 1"},
        {"landmark,frame,x,y,z\na,0,0,0,1\nb,0,0,1,1\na,x1,0,0,1\nb,x1,0,1,1\n",
         "long.csv:4: column 2: frame 'x1' is not a number"},
    };
    char p[1024];
    snprintf(p, sizeof p, "%s/long.csv", dir);
    lfd_err err = {0};
    lfd_keypoints kp;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        FILE *fp = fopen(p, "w");
        CHECK(fp);
        if (!fp)
            return;
        fputs(cases[i].text, fp);
        fclose(fp);
        lfd_kp_opts o = {.fps = 30};
        int rc = lfd_kp_read(&kp, p, &o, &err);
        if (rc == LFD_OK || !strstr(err.msg, cases[i].want))
            lfd_test_fail_at(__FILE__, __LINE__, "case %zu: rc %d '%s'", i, rc, rc ? err.msg : "");
        if (rc == LFD_OK)
            lfd_kp_free(&kp);
    }
    /* gaps in the numbering are fine (frames dropped by a tracker) */
    FILE *fp = fopen(p, "w");
    CHECK(fp);
    if (!fp)
        return;
    fputs("frame,landmark,x,y,z\n0,a,0,0,1\n0,b,0,1,1\n5,a,0,0,1\n5,b,0,1,1\n", fp);
    fclose(fp);
    lfd_kp_opts o = {.fps = 30};
    int rc = lfd_kp_read(&kp, p, &o, &err);
    CHECK_OK(rc, &err);
    if (rc == LFD_OK) {
        CHECK_EQ_INT(kp.nframes, 2);
        lfd_kp_free(&kp);
    }
}

/* item 8: --preset coco-17 on a CSV naming its joints in another order gave
   the preset's parents by column position (left_wrist under right_wrist);
   they are found by name, and a name the tree needs but the file lacks is
   an error */
TEST(ingest_review_preset_tree_by_joint_name)
{
    const char *dir = lfd_test_tmpdir();
    const lfd_kp_preset *pr = lfd_kp_preset_find("coco-17");
    CHECK(pr && pr->parents);
    if (!pr || !pr->parents)
        return;
    int J = pr->njoints;
    char p[1024];
    snprintf(p, sizeof p, "%s/coco_shuf.csv", dir);
    for (int pass = 0; pass < 2; pass++) {
        FILE *fp = fopen(p, "w");
        CHECK(fp);
        if (!fp)
            return;
        /* the columns in reverse order; pass 1 calls left_elbow something else */
        for (int k = 0; k < J; k++) {
            const char *nm = pr->names[J - 1 - k];
            if (pass == 1 && !strcmp(nm, "left_elbow"))
                nm = "l_elb";
            fprintf(fp, "%s%s_x,%s_y,%s_z", k ? "," : "", nm, nm, nm);
        }
        fputc('\n', fp);
        for (int f = 0; f < 3; f++)
            for (int k = 0; k < J; k++)
                fprintf(fp, "%s%d,%d,%g%s", k ? "," : "", k, f, 1.0 + 0.01 * k, k + 1 < J ? "" : "\n");
        fclose(fp);
        lfd_keypoints kp;
        lfd_kp_opts o = {.fps = 30, .preset = "coco-17"};
        lfd_err err = {0};
        int rc = lfd_kp_read(&kp, p, &o, &err);
        if (pass == 1) {
            CHECK(rc != LFD_OK);
            if (rc == LFD_OK)
                lfd_kp_free(&kp);
            else
                CHECK_CONTAINS(err.msg, "joint 'left_wrist' needs its parent 'left_elbow' in preset coco-17's tree");
            continue;
        }
        CHECK_OK(rc, &err);
        if (rc)
            return;
        for (int j = 0; j < J; j++) {
            int pj = -1;
            for (int i = 0; i < J; i++)
                if (!strcmp(pr->names[i], kp.names[j]))
                    pj = i;
            const char *want = pj >= 0 && pr->parents[pj] >= 0 ? pr->names[pr->parents[pj]] : "-";
            const char *got = kp.parents[j] >= 0 ? kp.names[kp.parents[j]] : "-";
            if (pj < 0 || strcmp(want, got))
                lfd_test_fail_at(__FILE__, __LINE__, "%s: parent %s, the preset says %s", kp.names[j], got, want);
        }
        lfd_kp_free(&kp);
    }
}

/* item 9: lfd's own keypoint exports keep BVH End Sites as leaf joints
   ('l_wrist_end'); the geometry took that tip for the wrist, read each arm
   one joint off and the note called it "left and right swapped?" */
TEST(ingest_review_end_sites_are_not_wrists)
{
    lfd_keypoints kp;
    if (walk_kp(&kp, 2, 30))
        return;
    CHECK(joint_index(&kp, "l_wrist_end") >= 0);
    lfd_err err = {0};
    lfd_human h;
    int rc = lfd_human_from_keypoints(&h, &kp, NULL, &err);
    CHECK_OK(rc, &err);
    if (rc == LFD_OK) {
        CHECK_STR(h.map.note, "");
        CHECK_EQ_INT(h.map.c[LFD_CJ_L_WRIST].src[0], joint_index(&kp, "l_wrist"));
        CHECK(h.map.c[LFD_CJ_L_WRIST].conf >= 0.8);
        lfd_human_free(&h);
    }
    /* tips under names that say nothing: the geometry still reads the arm
       one joint off, which is a disagreement but not a swap */
    snprintf(kp.names[joint_index(&kp, "l_wrist_end")], sizeof kp.names[0], "%s", "l_q1");
    snprintf(kp.names[joint_index(&kp, "r_wrist_end")], sizeof kp.names[0], "%s", "r_q1");
    rc = lfd_human_from_keypoints(&h, &kp, NULL, &err);
    CHECK_OK(rc, &err);
    if (rc == LFD_OK) {
        CHECK_CONTAINS(h.map.note, "names and geometry disagree on 6 joint(s): l_shoulder");
        CHECK(strstr(h.map.note, "swapped") == NULL);
        lfd_human_free(&h);
    }
    lfd_kp_free(&kp);
}

/* item 10: text output printed "height nan m" for a clip with every joint
   missing and "inf m/s", "inf%" for a coordinate of 1e308; a COCO file
   under --preset coco-17 was labelled "MediaPipe Pose (33) + mapping file" */
TEST(ingest_review_text_says_unknown_and_preset_rig)
{
    const char *dir = lfd_test_tmpdir();
    lfd_err err = {0};
    lfd_keypoints kp;
    if (walk_kp(&kp, 3, 30))
        return;
    int lw = joint_index(&kp, "l_wrist");
    char huge[1024], missing[1024];
    snprintf(huge, sizeof huge, "%s/huge.csv", dir);
    snprintf(missing, sizeof missing, "%s/all_missing.csv", dir);
    kp.pos[((size_t)60 * kp.njoints + lw) * 3] = 1e308;
    CHECK_OK(lfd_repair_write(huge, &kp, NULL, NULL, NULL, NULL, &err), &err);
    for (size_t k = 0; k < (size_t)kp.nframes * kp.njoints * 3; k++)
        kp.pos[k] = NAN;
    CHECK_OK(lfd_repair_write(missing, &kp, NULL, NULL, NULL, NULL, &err), &err);
    lfd_kp_free(&kp);
    static char out[1 << 15];
    lfd_test_run_lfdf(out, sizeof out, "qa %s", missing);
    CHECK_CONTAINS(out, "(3.00 s), height unknown\n");
    lfd_test_run_lfdf(out, sizeof out, "qa %s", huge);
    CHECK_CONTAINS(out, "l_wrist moves at an unknown speed between frames");
    CHECK_CONTAINS(out, "changes length by up to an unknown amount");
    CHECK(!strstr(out, "inf"));
    /* COCO-17 named keypoints with the preset */
    const lfd_kp_preset *pr = lfd_kp_preset_find("coco-17");
    if (!pr)
        return;
    char coco[1024];
    snprintf(coco, sizeof coco, "%s/coco.csv", dir);
    FILE *fp = fopen(coco, "w");
    CHECK(fp);
    if (!fp)
        return;
    for (int j = 0; j < pr->njoints; j++)
        fprintf(fp, "%s%s_x,%s_y,%s_z", j ? "," : "", pr->names[j], pr->names[j], pr->names[j]);
    fputc('\n', fp);
    for (int f = 0; f < 30; f++)
        for (int j = 0; j < pr->njoints; j++)
            fprintf(fp, "%s%g,%g,%g%s", j ? "," : "", 0.01 * f + 0.02 * j, 0.1 * (j % 2), 0.1 * j,
                    j + 1 < pr->njoints ? "" : "\n");
    fclose(fp);
    lfd_test_run_lfdf(out, sizeof out, "qa %s --preset coco-17 --in-fps 30", coco);
    CHECK_CONTAINS(out, "preset coco-17 (its own joint placements)");
    CHECK(!strstr(out, "MediaPipe"));
    /* lfd human info with a mapping file for the toes COCO lacks: the
       preset names the rig (it read "MediaPipe Pose (33) + mapping file,
       preset coco-17") */
    char map[1100];
    snprintf(map, sizeof map, "%s/coco_map.json", dir);
    fp = fopen(map, "w");
    CHECK(fp);
    if (!fp)
        return;
    fputs("{\"l_toe\": \"left_ankle\", \"r_toe\": \"right_ankle\"}\n", fp);
    fclose(fp);
    CHECK_EQ_INT(lfd_test_run_lfdf(out, sizeof out, "human info %s --preset coco-17 --in-fps 30 --map %s", coco, map), 0);
    CHECK_CONTAINS(out, "preset coco-17 + mapping file");
    CHECK(!strstr(out, "MediaPipe"));
}

/* --in-fps takes the rates docs/ingest.md gives, (0, 10000] Hz, in every
   command that reads a person: human info and retarget capped it at 1000
   where qa took 10000 (review) */
TEST(ingest_review_in_fps_range_is_one_for_every_command)
{
    const char *dir = lfd_test_tmpdir();
    static char out[1 << 14];
    char bvh[1024];
    snprintf(bvh, sizeof bvh, "%s/stand.bvh", dir);
    CHECK_EQ_INT(lfd_test_run_lfdf(out, sizeof out, "human synth --task stand --seconds 1 -o %s", bvh), 0);
    CHECK_EQ_INT(lfd_test_run_lfdf(out, sizeof out, "human info %s --in-fps 5000", bvh), 0);
    CHECK_EQ_INT(lfd_test_run_lfdf(out, sizeof out, "human info %s --in-fps 20000", bvh), 2);
    CHECK_CONTAINS(out, "up to 10000 Hz");
    CHECK_EQ_INT(lfd_test_run_lfdf(out, sizeof out, "retarget %s --robot g1 --in-fps 20000 -o %s/x.csv", bvh, dir), 2);
    CHECK_CONTAINS(out, "up to 10000 Hz");
}
