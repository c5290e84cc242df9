/*  The ingest commands end to end: `lfd human synth`, `lfd human info`,
    `lfd qa` (text, JSON, --strict, folders, --limits) and their exit codes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/lfd_io.h"
#include "core/lfd_json.h"
#include "core/lfd_sha256.h"
#include "tests/lfd_test.h"

static char out[1 << 18];

TEST(ingest_cli_synth_info_qa)
{
    const char *dir = lfd_test_tmpdir();
    char args[2048];
    snprintf(args, sizeof args, "human synth --task wipe --fps 60 --units inch --order YXZ -o %s/wipe.bvh", dir);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    CHECK_CONTAINS(out, "wrote");
    snprintf(args, sizeof args, "human info %s/wipe.bvh", dir);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    CHECK_CONTAINS(out, "units         inch (detected");
    CHECK_CONTAINS(out, "up-axis       y (detected)");
    CHECK_CONTAINS(out, "frames        600 at 60 Hz");
    CHECK_CONTAINS(out, "l_shoulder  0.");
    snprintf(args, sizeof args, "human info --json %s/wipe.bvh", dir);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    lfd_json_doc *doc = NULL;
    lfd_err err = {0};
    CHECK_OK(lfd_json_parse(out, strlen(out), "info", &doc, &err), &err);
    if (doc) {
        const lfd_json *r = lfd_json_root(doc);
        CHECK_STR(lfd_json_get(r, "units")->str, "inch");
        CHECK_NEAR(lfd_json_get(r, "height_m")->num, 1.75, 0.01);
        CHECK(lfd_json_get(lfd_json_get(r, "canonical"), "r_toe") != NULL);
        lfd_json_free(&doc);
    }
    /* a clean file passes, also with --strict */
    snprintf(args, sizeof args, "qa --strict %s/wipe.bvh", dir);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    CHECK_CONTAINS(out, "wipe.bvh: pass (score 100)");
    /* a truncated copy is rejected with its line, and the exit is 1 (the verdict) */
    uint8_t *data;
    size_t len;
    char p[1200], q[1200];
    snprintf(p, sizeof p, "%s/wipe.bvh", dir);
    snprintf(q, sizeof q, "%s/cut.bvh", dir);
    CHECK_OK(lfd_file_read(p, 1 << 26, &data, &len, &err), &err);
    CHECK_OK(lfd_file_write_atomic(q, data, len - 40, &err), &err);
    free(data);
    snprintf(args, sizeof args, "qa %s", dir);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 1); /* a reject verdict exits 1 */
    CHECK_CONTAINS(out, "cut.bvh: reject (score");
    CHECK_CONTAINS(out, "(the file is truncated)");
    CHECK_CONTAINS(out, "2 file(s): 1 pass, 0 warn, 1 reject");
    snprintf(args, sizeof args, "qa --strict %s", dir);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 1);
    /* stderr is captured too: keep the progress lines out of the JSON */
    setenv("LFD_LOG", "error", 1);
    snprintf(args, sizeof args, "qa --json %s/wipe.bvh %s/cut.bvh", dir, dir);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 1);
    unsetenv("LFD_LOG");
    const char *js = out;
    CHECK_OK(lfd_json_parse(js, strlen(js), "qa", &doc, &err), &err);
    if (doc) {
        const lfd_json *s = lfd_json_get(lfd_json_root(doc), "summary");
        CHECK_NEAR(lfd_json_get(s, "pass")->num, 1, 0);
        CHECK_NEAR(lfd_json_get(s, "reject")->num, 1, 0);
        const lfd_json *f1 = lfd_json_at(lfd_json_get(lfd_json_root(doc), "files"), 1);
        CHECK_STR(lfd_json_get(f1, "verdict")->str, "reject");
        lfd_json_free(&doc);
    }
}

TEST(ingest_cli_usage_errors_and_limits)
{
    CHECK_EQ_INT(lfd_test_run_lfd("qa", out, sizeof out), 2);
    CHECK_CONTAINS(out, "missing argument");
    CHECK_EQ_INT(lfd_test_run_lfd("human synth --task dance -o x.bvh", out, sizeof out), 2);
    CHECK_CONTAINS(out, "--task must be stand, walk or wipe");
    CHECK_EQ_INT(lfd_test_run_lfd("human info /no/such/file.bvh", out, sizeof out), 2);
    CHECK_CONTAINS(out, "/no/such/file.bvh");
    CHECK_EQ_INT(lfd_test_run_lfd("human info --ref-pose maybe x.bvh", out, sizeof out), 2);
    CHECK_EQ_INT(lfd_test_run_lfd("qa --limits", out, sizeof out), 0);
    CHECK_CONTAINS(out, "root_speed_m_s");
    CHECK_CONTAINS(out, "Graubner");
}

/* the real set: nothing rejected, the CMU reference poses noted */
TEST(ingest_cli_qa_real_mocap)
{
    const char *d = lfd_test_shared("data/mocap");
    if (!d)
        SKIP("../shared/data/mocap not found");
    char args[1200];
    snprintf(args, sizeof args, "qa %s", d);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    CHECK_CONTAINS(out, "12 file(s): 11 pass, 1 warn, 0 reject");
    snprintf(args, sizeof args, "qa --strict %s", d); /* --strict: the warning exits 1 */
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 1);
    CHECK_CONTAINS(out, "bandai1_run_normal_001.bvh: warn");
    CHECK_CONTAINS(out, "cmu_01_01_playground_jumps.bvh: pass (score 100)");
    CHECK_CONTAINS(out, "frame 0 is a reference pose");
    snprintf(args, sizeof args, "human info %s/holosoma_climb_seq1_joints53.npy", d);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    CHECK_CONTAINS(out, "[rate assumed");
    CHECK_CONTAINS(out, "units         m (assumed");
}

/* Found by review, each: a BVH that starts with a UTF-8 byte-order mark (as
   Windows editors write) is read; lfd qa --repair never writes over the
   recording itself; what the loader warns of ('Frames: N' beyond the rows
   present) is in qa's report, where it was dropped. */
TEST(ingest_cli_bom_repair_target_and_load_notes)
{
    const char *dir = lfd_test_tmpdir();
    char args[4096], p[1200], q[1200], r[1200];
    snprintf(p, sizeof p, "%s/walk.bvh", dir);
    snprintf(args, sizeof args, "human synth --task walk --seconds 2 -o %s", p);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    uint8_t *data;
    size_t len;
    lfd_err err = {0};
    CHECK_OK(lfd_file_read(p, 1 << 26, &data, &len, &err), &err);
    /* the BOM */
    snprintf(q, sizeof q, "%s/bom.bvh", dir);
    uint8_t *b = malloc(len + 3);
    if (b) {
        memcpy(b, "\xEF\xBB\xBF", 3);
        memcpy(b + 3, data, len);
        CHECK_OK(lfd_file_write_atomic(q, b, len + 3, &err), &err);
        free(b);
    }
    snprintf(args, sizeof args, "human info %s", q);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    /* 'Frames:' promising more rows than there are: said in the report */
    char *txt = malloc(len + 64);
    if (txt) {
        memcpy(txt, data, len);
        txt[len] = '\0';
        char *fr = strstr(txt, "Frames:");
        if (fr) {
            int nf = atoi(fr + 7);
            char *eol = strchr(fr, '\n');
            char head[64];
            snprintf(head, sizeof head, "Frames: %d", nf + 50);
            snprintf(r, sizeof r, "%s/more.bvh", dir);
            FILE *fp = fopen(r, "w");
            if (fp && eol) {
                fwrite(txt, 1, (size_t)(fr - txt), fp);
                fputs(head, fp);
                fputs(eol, fp);
                fclose(fp);
                snprintf(args, sizeof args, "qa %s", r);
                lfd_test_run_lfd(args, out, sizeof out);
                CHECK_CONTAINS(out, "info   load");
                CHECK_CONTAINS(out, "but the file has");
            } else if (fp)
                fclose(fp);
        }
        free(txt);
    }
    free(data);
    /* qa --repair onto the recording itself is refused, the file untouched */
    char sha0[65], sha1[65];
    CHECK_OK(lfd_file_sha256_hex(p, sha0, &err), &err);
    snprintf(args, sizeof args, "qa %s --repair -o %s/./walk.bvh", p, dir);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 2);
    CHECK_CONTAINS(out, "walk.bvh");
    CHECK_OK(lfd_file_sha256_hex(p, sha1, &err), &err);
    CHECK_STR(sha1, sha0);
}
