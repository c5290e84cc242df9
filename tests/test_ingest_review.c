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
