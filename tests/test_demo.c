/*  Tests for `lfd demo` (runtime/lfd_demo): the whole pipeline on built-in
    data, run quick, and what its run folder and summary hold. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "core/lfd_io.h"
#include "core/lfd_json.h"
#include "tests/lfd_test.h"

static const lfd_json *get(const lfd_json *o, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *tok = strtok(buf, "."); tok && o; tok = strtok(NULL, "."))
        o = lfd_json_get(o, tok);
    return o;
}

static double num(const lfd_json *o, const char *path)
{
    const lfd_json *v = get(o, path);
    return v && v->type == LFD_JSON_NUM ? v->num : NAN;
}

TEST(demo_runs_the_pipeline_into_one_folder)
{
    char dir[1024], args[1200], out[1 << 16], p[1200];
    snprintf(dir, sizeof dir, "%s/run", lfd_test_tmpdir());
    snprintf(args, sizeof args, "demo --quick --no-pictures -o %s", dir);
    int rc = lfd_test_run_lfd(args, out, sizeof out);
    if (rc != 0)
        printf("%s\n", out);
    CHECK_EQ_INT(rc, 0);
    /* every stage printed its line */
    CHECK_CONTAINS(out, "1 human");
    CHECK_CONTAINS(out, "2 qa");
    CHECK_CONTAINS(out, "3 consent");
    CHECK_CONTAINS(out, "4 retarget");
    CHECK_CONTAINS(out, "5 check");
    CHECK_CONTAINS(out, "6 train");
    CHECK_CONTAINS(out, "7 serve");
    CHECK_CONTAINS(out, "8 pictures");
    CHECK_CONTAINS(out, "9 real");
    /* the stage lines follow one another: the trainer's own lines ("...: lfd
       check warns (4 warnings); used", "simulating 4 noisy rollouts ...",
       "training on N samples ...") came between stages 5 and 6 */
    const char *s5 = strstr(out, "\n  5 check");
    const char *eol5 = s5 ? strchr(s5 + 1, '\n') : NULL;
    CHECK(eol5 && !strncmp(eol5 + 1, "  6 train", 9));
    CHECK(strstr(out, "lfd check warns") == NULL);
    CHECK(strstr(out, "noisy rollouts") == NULL);
    /* stage 1 says what its people are: generated, not recorded */
    CHECK_CONTAINS(out, "synthetic people");
    /* the outputs are in the run folder */
    snprintf(p, sizeof p, "%s/human/wipe-01.bvh", dir);
    CHECK(lfd_file_exists(p));
    snprintf(p, sizeof p, "%s/human/wipe-01.bvh.prov.json", dir);
    CHECK(lfd_file_exists(p));
    snprintf(p, sizeof p, "%s/motions/wipe-01.lfdm", dir);
    CHECK(lfd_file_exists(p));
    /* the research-only recording was left out, by name, and never retargeted */
    CHECK_CONTAINS(out, "wipe-06 (contributor");
    snprintf(p, sizeof p, "%s/motions/wipe-06.lfdm", dir);
    CHECK(!lfd_file_exists(p));
    snprintf(p, sizeof p, "%s/policy/wipe.lfdp", dir);
    CHECK(lfd_file_exists(p));
    snprintf(p, sizeof p, "%s/check/wipe-01.txt", dir);
    CHECK(lfd_file_exists(p));
    snprintf(p, sizeof p, "%s/summary.txt", dir);
    CHECK(lfd_file_exists(p));
    snprintf(p, sizeof p, "%s/summary.json", dir);
    lfd_json_doc *doc = NULL;
    lfd_err err = {0};
    CHECK_OK(lfd_json_parse_file(&doc, p, &err), &err);
    if (!doc)
        return;
    const lfd_json *root = lfd_json_root(doc);
    /* --quick shortens the recordings (7 s for the first, not the 10 s default):
       the six come to 45.9 s, about 5500 frames at 120 Hz; at 10 s they were 7668 */
    CHECK(num(root, "human.frames") > 5000 && num(root, "human.frames") < 6000);
    CHECK_EQ_INT((int)num(root, "consent.kept"), 5);
    CHECK_EQ_INT((int)num(root, "consent.refused"), 1);
    /* the policy learnt something: better than repeating the last action */
    CHECK(num(root, "train.rmse_rad") < num(root, "train.zoh_rmse_rad"));
    CHECK_EQ_INT((int)num(root, "train.in_sample"), 0);
    /* the served policy really moved the simulated robot: it tracked the
       held-out demonstration far better than holding still, and stayed up */
    CHECK(num(root, "serve.ticks") > 1000);
    CHECK(num(root, "serve.chunk_requests") > 10);
    const lfd_json *fell = get(root, "serve.fell");
    CHECK(fell && fell->type == LFD_JSON_BOOL && !fell->b);
    CHECK(num(root, "serve.track_rad_mean") < 0.5 * num(root, "serve.hold_still_rad_mean"));
    /* the real stage ran on every clip shipped in examples/data/ and gave each a verdict
       (whatever the current retargeter earns: no verdict is expected here) */
    int shipped = 0;
    DIR *dp = opendir("examples/data");
    CHECK(dp != NULL);
    for (struct dirent *e; dp && (e = readdir(dp));) {
        size_t l = strlen(e->d_name);
        shipped += l > 4 && !strcmp(e->d_name + l - 4, ".bvh");
    }
    if (dp)
        closedir(dp);
    CHECK(shipped >= 1);
    CHECK_EQ_INT((int)num(root, "real.clips"), shipped);
    const lfd_json *res = get(root, "real.results");
    CHECK(res && res->type == LFD_JSON_ARR && res->count == shipped);
    for (int i = 0; res && i < res->count; i++) {
        const lfd_json *c = lfd_json_at(res, i);
        const lfd_json *name = get(c, "name"), *v = get(c, "check_verdict"), *qa = get(c, "qa_verdict");
        CHECK(name && name->type == LFD_JSON_STR);
        CHECK(v && v->type == LFD_JSON_STR &&
              (!strcmp(v->str, "pass") || !strcmp(v->str, "warn") || !strcmp(v->str, "fail")));
        CHECK(qa && qa->type == LFD_JSON_STR);
        CHECK(num(c, "frames") > 10);
        CHECK(num(c, "root_jump_max_m") >= 0);
        CHECK(num(c, "acc_p99_rad_s2") >= 0);
        if (!name || name->type != LFD_JSON_STR)
            continue;
        /* its line names it, and its motion and check report are in the run folder */
        char line[300];
        snprintf(line, sizeof line, "%s: ", name->str);
        CHECK_CONTAINS(out, line);
        snprintf(p, sizeof p, "%s/real/%s.h1.lfdm", dir, name->str);
        CHECK(lfd_file_exists(p));
        snprintf(p, sizeof p, "%s/real/%s.check.txt", dir, name->str);
        CHECK(lfd_file_exists(p));
    }
    CHECK_EQ_INT((int)(num(root, "real.pass") + num(root, "real.warn") + num(root, "real.fail")), shipped);
    lfd_json_free(&doc);
    /* a second run into the same folder is refused, not mixed in */
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 2);
    CHECK_CONTAINS(out, "previous run");
}
