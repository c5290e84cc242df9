/*  test_core_io: the folder walker shared by batch, withdraw and lineage. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/lfd_io.h"
#include "tests/lfd_test.h"

typedef struct seen {
    char rel[8][256];
    int n, stop_at;
} seen;

static int note(void *ctx, const char *path, const char *rel, const struct stat *st)
{
    seen *s = ctx;
    if (S_ISDIR(st->st_mode) || strlen(path) < strlen(rel) || strcmp(path + strlen(path) - strlen(rel), rel))
        return -99;
    if (s->n < 8)
        snprintf(s->rel[s->n], sizeof s->rel[0], "%s", rel);
    s->n++;
    return s->stop_at && s->n == s->stop_at ? 7 : 0;
}

static int has(const seen *s, const char *rel)
{
    for (int i = 0; i < s->n && i < 8; i++)
        if (!strcmp(s->rel[i], rel))
            return 1;
    return 0;
}

static void touch(const char *dir, const char *name)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    if (f)
        fclose(f);
}

TEST(walk_files_relative_paths_dots_links_and_stop)
{
    const char *dir = lfd_test_tmpdir();
    char p[4200], q[4200];
    snprintf(p, sizeof p, "%s/a/b", dir);
    lfd_err err = {0};
    CHECK_OK(lfd_mkdir_p(p, &err), &err);
    snprintf(p, sizeof p, "%s/.hidden", dir);
    CHECK_OK(lfd_mkdir_p(p, &err), &err);
    touch(dir, "top.txt");
    touch(dir, "a/b/deep.txt");
    touch(dir, ".hidden/no.txt");
    touch(dir, ".dotfile");
    snprintf(q, sizeof q, "%s/link", dir);
    CHECK_EQ_INT(symlink("a", q), 0); /* relative to the link's folder */

    /* lstat: the link is handed over as an entry, not entered; dot names are passed over */
    seen s = {0};
    CHECK_OK(lfd_walk_files(dir, 0, note, &s, &err), &err);
    CHECK_EQ_INT(s.n, 3);
    CHECK(has(&s, "top.txt"));
    CHECK(has(&s, "a/b/deep.txt"));
    CHECK(has(&s, "link"));

    /* following links enters the linked folder too */
    s = (seen){0};
    CHECK_OK(lfd_walk_files(dir, LFD_WALK_FOLLOW_LINKS, note, &s, &err), &err);
    CHECK_EQ_INT(s.n, 3);
    CHECK(has(&s, "link/b/deep.txt"));

    /* a nonzero return stops the walk and is its result */
    s = (seen){.stop_at = 1};
    CHECK_EQ_INT(lfd_walk_files(dir, LFD_WALK_FOLLOW_LINKS, note, &s, &err), 7);
    CHECK_EQ_INT(s.n, 1);

    snprintf(p, sizeof p, "%s/missing", dir);
    CHECK_EQ_INT(lfd_walk_files(p, 0, note, &s, &err), LFD_EIO);
    CHECK_CONTAINS(err.msg, "cannot open folder");
}

/* lfd lineage --contributor and lfd batch withdraw walk hidden folders and
   links (a person's data in .staging/ or behind a link was not found), and
   a link back to an ancestor is not walked round again. */
TEST(walk_files_hidden_and_link_loops)
{
    const char *dir = lfd_test_tmpdir();
    char p[4200], q[4200];
    lfd_err err = {0};
    snprintf(p, sizeof p, "%s/.staging", dir);
    CHECK_OK(lfd_mkdir_p(p, &err), &err);
    snprintf(p, sizeof p, "%s/sub", dir);
    CHECK_OK(lfd_mkdir_p(p, &err), &err);
    touch(dir, ".staging/p.lfdp");
    touch(dir, "sub/m.lfdm");
    snprintf(q, sizeof q, "%s/sub/up", dir);
    CHECK_EQ_INT(symlink("..", q), 0); /* a loop: sub/up is the walk's root */
    seen s = {0};
    CHECK_OK(lfd_walk_files(dir, LFD_WALK_FOLLOW_LINKS | LFD_WALK_HIDDEN, note, &s, &err), &err);
    CHECK_EQ_INT(s.n, 2);
    CHECK(has(&s, ".staging/p.lfdp"));
    CHECK(has(&s, "sub/m.lfdm"));
    /* without LFD_WALK_HIDDEN the staging folder is passed over */
    s = (seen){0};
    CHECK_OK(lfd_walk_files(dir, LFD_WALK_FOLLOW_LINKS, note, &s, &err), &err);
    CHECK_EQ_INT(s.n, 1);
}

/* lfd lineage --contributor and batch withdraw walk each file once
   (LFD_WALK_ONCE): a link to a sibling folder (latest -> run-3) or to a
   file inside the tree is not followed, so a person's recording is not
   counted twice; a link leading out of the tree still is. */
TEST(walk_files_once_skips_links_into_the_tree)
{
    const char *dir = lfd_test_tmpdir();
    char p[4200], q[4200];
    lfd_err err = {0};
    snprintf(p, sizeof p, "%s/tree/run-3", dir);
    CHECK_OK(lfd_mkdir_p(p, &err), &err);
    snprintf(p, sizeof p, "%s/elsewhere", dir);
    CHECK_OK(lfd_mkdir_p(p, &err), &err);
    touch(dir, "tree/run-3/r.bvh.prov.json");
    touch(dir, "elsewhere/x.lfdm");
    snprintf(q, sizeof q, "%s/tree/latest", dir);
    CHECK_EQ_INT(symlink("run-3", q), 0);
    snprintf(q, sizeof q, "%s/tree/r.again", dir);
    CHECK_EQ_INT(symlink("run-3/r.bvh.prov.json", q), 0);
    snprintf(q, sizeof q, "%s/tree/out", dir);
    CHECK_EQ_INT(symlink("../elsewhere", q), 0);
    snprintf(p, sizeof p, "%s/tree", dir);
    seen s = {0};
    CHECK_OK(lfd_walk_files(p, LFD_WALK_FOLLOW_LINKS | LFD_WALK_ONCE, note, &s, &err), &err);
    CHECK_EQ_INT(s.n, 2);
    CHECK(has(&s, "run-3/r.bvh.prov.json"));
    CHECK(has(&s, "out/x.lfdm"));
    /* without it both links into the tree are followed */
    s = (seen){0};
    CHECK_OK(lfd_walk_files(p, LFD_WALK_FOLLOW_LINKS, note, &s, &err), &err);
    CHECK_EQ_INT(s.n, 4);
}

/* An error message longer than lfd_err holds keeps its head and its tail
   (the reason comes last) around " ... ", cut on character boundaries; a
   prefix is added the same way.  Found by review: a 610-byte path to a bad
   CSV kept only the path, and a cut inside 'é' made the JSON that quotes
   the message undecodable. */
TEST(err_long_message_keeps_its_reason_and_whole_characters)
{
    char path[2000] = "/data/";
    for (int i = 0; i < 300; i++)
        strcat(path, "\xc3\xa9"); /* 'é', two bytes */
    strcat(path, "/walk.csv");
    lfd_err err = {0};
    CHECK_EQ_INT(lfd_fail(&err, LFD_EPARSE, "%s: line 3: 36 columns, the robot has 35", path), LFD_EPARSE);
    size_t n = strlen(err.msg);
    CHECK(n < sizeof err.msg);
    CHECK(strncmp(err.msg, "/data/", 6) == 0);
    CHECK(strstr(err.msg, " ... ") != NULL);
    CHECK_CONTAINS(err.msg, "/walk.csv: line 3: 36 columns, the robot has 35");
    /* every 0xC3 is followed by its 0xA9, every 0xA9 preceded by a 0xC3 */
    int whole = 1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)err.msg[i];
        if (c == 0xC3)
            whole &= (unsigned char)err.msg[i + 1] == 0xA9;
        if (c == 0xA9)
            whole &= i > 0 && (unsigned char)err.msg[i - 1] == 0xC3;
    }
    CHECK(whole);
    lfd_err_prefix(&err, "lfd check: %s", path);
    n = strlen(err.msg);
    CHECK(n < sizeof err.msg && strncmp(err.msg, "lfd check: /data/", 17) == 0);
    CHECK_CONTAINS(err.msg, "the robot has 35");
    /* short ones are untouched */
    lfd_fail(&err, LFD_EARG, "bad %s", "thing");
    lfd_err_prefix(&err, "x");
    CHECK_STR(err.msg, "x: bad thing");
}
