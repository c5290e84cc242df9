/*  lfd report: the corpus report of a batch run, as JSON (the figures
    checked against the corpus made here) and as one self-contained HTML
    page, opened in headless Chromium (skipped where Chromium is absent). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/lfd_json.h"
#include "tests/lfd_test.h"
#include "tests/test_batch_util.h"

/* a run over 6 good recordings of 4 people and one of each bad kind */
static const char *make_run(void)
{
    static char run[PATH_MAX];
    const char *dir = lfd_test_tmpdir();
    char corpus[PATH_MAX], out[16384], args[8192];
    snprintf(corpus, sizeof corpus, "%s/corpus", dir);
    snprintf(run, sizeof run, "%s/run", dir);
    for (int i = 0; i < 6; i++)
        CHECK_EQ_INT(tb_recording(corpus, i, TB_GOOD, i % 4), 0);
    CHECK_EQ_INT(tb_recording(corpus, 8, TB_UNREADABLE, 5), 0);
    CHECK_EQ_INT(tb_recording(corpus, 9, TB_NO_SIDECAR, 6), 0);
    CHECK_EQ_INT(tb_recording(corpus, 10, TB_EXPIRED, 7), 0);
    CHECK_EQ_INT(tb_recording(corpus, 11, TB_RESEARCH_ONLY, 8), 0);
    CHECK_EQ_INT(tb_recording(corpus, 12, TB_TOO_SHORT, 0), 0);
    snprintf(args, sizeof args, "batch %s -o %s --robot h1 --robot no-such-robot --no-progress", corpus, run);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    return run;
}

static double num_at(const lfd_json *root, const char *a, const char *b, const char *c, const char *d)
{
    const lfd_json *v = root;
    const char *path[4] = {a, b, c, d};
    for (int i = 0; i < 4 && path[i] && v; i++)
        v = lfd_json_get(v, path[i]);
    return v && v->type == LFD_JSON_NUM ? v->num : -1;
}

TEST(report_json_counts)
{
    const char *run = make_run();
    char args[8192], jp[PATH_MAX + 32], out[4096];
    snprintf(jp, sizeof jp, "%s/report.json", run);
    /* no corpus.jsonl yet: the report merges first */
    snprintf(args, sizeof args, "report %s --json -o %s", run, jp);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    lfd_json_doc *doc = NULL;
    lfd_err e = {0};
    CHECK_OK(lfd_json_parse_file(&doc, jp, &e), &e);
    if (!doc)
        return;
    const lfd_json *r = lfd_json_root(doc);
    CHECK_EQ_INT(num_at(r, "corpus", "recordings", NULL, NULL), 11);
    CHECK_EQ_INT(num_at(r, "corpus", "motions", NULL, NULL), 6);
    CHECK_EQ_INT(num_at(r, "corpus", "recordings_rejected", NULL, NULL), 1);
    CHECK_EQ_INT(num_at(r, "corpus", "recordings_refused", NULL, NULL), 3);
    CHECK_EQ_INT(num_at(r, "corpus", "recordings_error", NULL, NULL), 1);
    CHECK(num_at(r, "corpus", "hours", NULL, NULL) > 0);
    /* 10 readable recordings: 9 pass, 1 rejected (too short) */
    CHECK_EQ_INT(num_at(r, "qa", "verdicts", "reject", NULL), 1);
    CHECK_EQ_INT(num_at(r, "qa", "verdicts", "pass", NULL) + num_at(r, "qa", "verdicts", "warn", NULL), 9);
    const lfd_json *dur = lfd_json_get(lfd_json_get(lfd_json_get(r, "qa"), "findings"), "reject");
    CHECK_EQ_INT(num_at(dur, "duration", "recordings", NULL, NULL), 1);
    CHECK_EQ_INT(num_at(r, "consent_refusals", "missing-sidecar", "recordings", NULL), 1);
    CHECK_EQ_INT(num_at(r, "consent_refusals", "expired", "recordings", NULL), 1);
    CHECK_EQ_INT(num_at(r, "consent_refusals", "purpose-not-covered", "recordings", NULL), 1);
    const lfd_json *h1 = lfd_json_get(lfd_json_get(r, "check"), "h1");
    CHECK(h1 != NULL);
    CHECK_EQ_INT(num_at(h1, "pass", NULL, NULL, NULL) + num_at(h1, "warn", NULL, NULL, NULL) +
                     num_at(h1, "fail", NULL, NULL, NULL),
                 6);
    CHECK_EQ_INT(num_at(r, "check", "no-such-robot", "errors", NULL), 6);
    /* the batch retargets as `lfd retarget` does, dynamics filter included:
       each of the 6 motions says what stopped its rounds and its 2 last steps */
    const lfd_json *fs = h1 ? lfd_json_get(h1, "filter_stops") : NULL;
    double rounds = 0, last = 0;
    for (const lfd_json *x = fs ? fs->child : NULL; x; x = x->next) {
        rounds += num_at(x, "rounds", NULL, NULL, NULL);
        last += num_at(x, "last_steps", NULL, NULL, NULL);
    }
    CHECK_EQ_INT(rounds, 6);
    CHECK_EQ_INT(last, 12);
    /* contributors: 4 with usable recordings plus those of the refused / rejected ones */
    const lfd_json *c = lfd_json_get(r, "contributors");
    CHECK(c && c->count >= 4);
    CHECK_EQ_INT(num_at(c, "anon-0000", "recordings", NULL, NULL), 3); /* 2 good + the short one */
    CHECK_EQ_INT(num_at(c, "anon-0000", "rejected", NULL, NULL), 1);
    CHECK_EQ_INT(num_at(c, "anon-0007", "refused", NULL, NULL), 1);
    /* every failing clip is listed among the worst, with its plot on disk */
    const lfd_json *w = lfd_json_get(r, "worst_clips");
    CHECK(w != NULL);
    for (const lfd_json *x = w ? w->child : NULL; x; x = x->next) {
        const lfd_json *pl = lfd_json_get(x, "plot");
        char p[PATH_MAX + 300];
        if (pl && pl->type == LFD_JSON_STR) {
            snprintf(p, sizeof p, "%s/%s", run, pl->str);
            CHECK(lfd_file_exists(p));
        }
    }
    lfd_json_free(&doc);
}

/* the report's sections, by their ids */
static const char *const SECTIONS[] = {"corpus", "qa", "consent", "errors", "check", "worst", "contributors"};

TEST(report_html_self_contained)
{
    const char *run = make_run();
    char args[8192], hp[PATH_MAX + 32], out[4096];
    const char *dir = lfd_test_tmpdir();
    /* written outside the run folder: links are made relative to it */
    snprintf(hp, sizeof hp, "%s/pages/report.html", dir);
    CHECK_EQ_INT(tb_sh("mkdir -p '%s/pages'", dir), 0);
    snprintf(args, sizeof args, "report %s -o %s", run, hp);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    char *h = tb_slurp(hp);
    CHECK(h != NULL);
    if (!h)
        return;
    for (size_t i = 0; i < sizeof SECTIONS / sizeof SECTIONS[0]; i++) {
        char id[64];
        snprintf(id, sizeof id, "<h2 id=\"%s\">", SECTIONS[i]);
        CHECK_CONTAINS(h, id);
    }
    CHECK(tb_count(h, "<svg") >= 4);
    /* nothing from the network, no script */
    CHECK_EQ_INT(tb_count(h, "http://") + tb_count(h, "https://") + tb_count(h, "<script") +
                     tb_count(h, "<link") + tb_count(h, "src=") + tb_count(h, "@import"),
                 0);
    /* the links to plots resolve from the report's folder */
    int links = 0;
    for (const char *p = h; (p = strstr(p, "href=\"")); p += 6) {
        char rel[PATH_MAX], full[2 * PATH_MAX];
        snprintf(rel, sizeof rel, "%.*s", (int)strcspn(p + 6, "\""), p + 6);
        snprintf(full, sizeof full, "%s/pages/%s", dir, rel);
        CHECK(lfd_file_exists(full));
        links++;
    }
    CHECK(links >= 2);
    free(h);
}

TEST(report_renders_in_headless_chromium)
{
    const char *chromium = NULL;
    if (access("/usr/bin/chromium", X_OK) == 0)
        chromium = "/usr/bin/chromium";
    else if (access("/usr/bin/chromium-browser", X_OK) == 0)
        chromium = "/usr/bin/chromium-browser";
    if (!chromium)
        SKIP("Chromium is not installed (Debian chromium; `make deps` installs it)");
    const char *run = make_run();
    const char *dir = tb_abs(lfd_test_tmpdir());
    char args[8192], hp[PATH_MAX + 32], out[4096];
    snprintf(hp, sizeof hp, "%s/report.html", run);
    snprintf(args, sizeof args, "report %s -o %s", run, hp);
    CHECK_EQ_INT(lfd_test_run_lfd(args, out, sizeof out), 0);
    const char *flags = "--headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
                        "--disable-background-networking --disable-component-update --disable-sync";
    /* the screenshot (kept in the test folder: look at it) and the DOM after layout */
    CHECK_EQ_INT(tb_sh("timeout 120 %s %s --user-data-dir='%s/profile1' --window-size=1200,2200 "
                       "--screenshot='%s/report.png' 'file://%s' >'%s/chromium.log' 2>&1",
                       chromium, flags, dir, dir, tb_abs(hp), dir),
                 0);
    CHECK_EQ_INT(tb_sh("timeout 120 %s %s --user-data-dir='%s/profile2' --dump-dom 'file://%s' "
                       ">'%s/dom.html' 2>>'%s/chromium.log'",
                       chromium, flags, dir, tb_abs(hp), dir, dir),
                 0);
    char p[PATH_MAX + 32];
    snprintf(p, sizeof p, "%s/report.png", dir);
    char *png = tb_slurp(p);
    CHECK(png && !memcmp(png, "\x89PNG", 4));
    struct stat st;
    /* a blank page compresses to a few kB; this one has text, bars and tables */
    CHECK(stat(p, &st) == 0 && st.st_size > 40000);
    free(png);
    snprintf(p, sizeof p, "%s/dom.html", dir);
    char *dom = tb_slurp(p);
    CHECK(dom != NULL);
    for (size_t i = 0; dom && i < sizeof SECTIONS / sizeof SECTIONS[0]; i++) {
        char id[64];
        snprintf(id, sizeof id, "<h2 id=\"%s\">", SECTIONS[i]);
        CHECK_CONTAINS(dom, id);
    }
    CHECK(dom && strstr(dom, "<rect"));
    free(dom);
}
