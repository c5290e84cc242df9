/*  Tests for robot motion files and CSV (core/lfd_motion) and atomic writes
    (core/lfd_io). */
#include <stdlib.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/lfd_io.h"
#include "core/lfd_json.h"
#include "core/lfd_motion.h"
#include "core/lfd_mp.h"
#include "core/lfd_quat.h"
#include "core/lfd_sha256.h"
#include "tests/lfd_test.h"

/* A floating-base motion with varied values, qvel and provenance. */
static void make_motion(lfd_motion *m, int frames, int joints, int qvel)
{
    lfd_err err = {0};
    CHECK_OK(lfd_motion_alloc(m, frames, 1, joints, qvel, &err), &err);
    snprintf(m->robot, sizeof m->robot, "h1");
    snprintf(m->model_hash, sizeof m->model_hash, "%064d", 7);
    m->fps = 29.97;
    for (int j = 0; j < joints; j++)
        snprintf(m->joint_names[j], LFD_NAME_MAX, "joint_%02d_joint", j);
    for (int f = 0; f < frames; f++) {
        double *q = lfd_motion_frame(m, f);
        q[0] = 0.01 * f;
        q[1] = -0.3 + 1e-3 * f * f;
        q[2] = 0.98 + 0.01 * sin(f * 0.1);
        double ax[3] = {0.1, 0.2, 1.0};
        lfd_quat_from_axis_angle(q + 3, ax, 0.05 * f);
        for (int j = 0; j < joints; j++)
            q[7 + j] = sin(0.37 * f + j) * (j + 1) * 0.1 + 1.0 / 3.0;
        if (qvel)
            for (int c = 0; c < m->nv; c++)
                m->qvel[(size_t)f * (size_t)m->nv + (size_t)c] = cos(0.2 * f + c) / 7.0;
    }
    CHECK_OK(lfd_prov_set_str(&m->prov, "contributor_id", "anon-7f3a", &err), &err);
    CHECK_OK(lfd_prov_set_num(&m->prov, "capture_fps", 120.0, &err), &err);
}

static void check_same(const lfd_motion *a, const lfd_motion *b)
{
    CHECK_STR(a->robot, b->robot);
    CHECK_STR(a->model_hash, b->model_hash);
    CHECK(a->fps == b->fps);
    CHECK_EQ_INT(a->nframes, b->nframes);
    CHECK_EQ_INT(a->nq, b->nq);
    CHECK_EQ_INT(a->nv, b->nv);
    CHECK_EQ_INT(a->floating, b->floating);
    for (int j = 0; j < a->njoints; j++)
        CHECK_STR(a->joint_names[j], b->joint_names[j]);
    CHECK(memcmp(a->qpos, b->qpos, (size_t)a->nframes * (size_t)a->nq * sizeof(double)) == 0);
    if (a->qvel)
        CHECK(memcmp(a->qvel, b->qvel, (size_t)a->nframes * (size_t)a->nv * sizeof(double)) == 0);
    CHECK_EQ_INT(a->prov.n, b->prov.n);
}

TEST(motion_file_round_trip_bit_identical)
{
    lfd_motion m, back;
    lfd_err err = {0};
    make_motion(&m, 240, 19, 1);
    char path[512];
    snprintf(path, sizeof path, "%s/m.lfdm", lfd_test_tmpdir());
    CHECK_OK(lfd_motion_write(&m, path, &err), &err);
    CHECK_OK(lfd_motion_read(&back, path, &err), &err);
    check_same(&m, &back);
    /* re-encoding what was read gives the same bytes as the file */
    uint8_t *data;
    size_t len;
    CHECK_OK(lfd_file_read(path, 1 << 26, &data, &len, &err), &err);
    lfd_buf b;
    CHECK_OK(lfd_motion_encode(&back, &b, &err), &err);
    CHECK_EQ_INT(b.len, len);
    CHECK(memcmp(b.data, data, len) == 0);
    /* the content hash is the SHA-256 of the file bytes */
    char hex[65], hex2[65];
    uint8_t d[32];
    CHECK_OK(lfd_file_sha256_hex(path, hex, &err), &err);
    lfd_sha256_buf(data, len, d);
    lfd_sha256_hex(d, hex2);
    CHECK_STR(hex, hex2);
    free(data);
    lfd_buf_free(&b);
    lfd_motion_free(&back);
    lfd_motion_free(&m);
}

TEST(motion_file_rejects_every_corruption)
{
    lfd_motion m, back;
    lfd_err err = {0};
    make_motion(&m, 6, 5, 1);
    lfd_buf b;
    CHECK_OK(lfd_motion_encode(&m, &b, &err), &err);
    uint8_t *copy = malloc(b.len);
    /* every byte flipped: the checksum (or the trailer check) refuses it */
    int accepted = 0;
    for (size_t i = 0; i < b.len; i++) {
        memcpy(copy, b.data, b.len);
        copy[i] ^= 0xff;
        int rc = lfd_motion_decode(&back, copy, b.len, "x.lfdm", &err);
        if (rc == LFD_OK) {
            accepted++;
            lfd_motion_free(&back);
        } else {
            CHECK(err.msg[0] != '\0');
        }
    }
    CHECK_EQ_INT(accepted, 0);
    /* every prefix is refused */
    for (size_t n = 0; n < b.len; n++) {
        CHECK(lfd_motion_decode(&back, b.data, n, "x.lfdm", &err) != LFD_OK);
        CHECK_CONTAINS(err.msg, "x.lfdm");
    }
    /* the parser itself under a valid checksum: flip each byte of the body and
       re-seal it, so only the parser stands between the bytes and the caller */
    size_t body = b.len - 41;
    for (size_t i = 0; i < body; i++) {
        for (int pattern = 0; pattern < 3; pattern++) {
            memcpy(copy, b.data, b.len);
            copy[i] = pattern == 0 ? (uint8_t)(copy[i] ^ 0xff) : pattern == 1 ? 0xdf : 0x00;
            lfd_sha256_buf(copy, body, copy + b.len - 32);
            if (lfd_motion_decode(&back, copy, b.len, "x.lfdm", &err) == LFD_OK) {
                /* a value changed but the structure held: the result is still valid */
                CHECK_OK(lfd_motion_validate(&back, &err), &err);
                lfd_motion_free(&back);
            }
        }
    }
    free(copy);
    lfd_buf_free(&b);
    lfd_motion_free(&m);
}

TEST(motion_rejects_bad_values)
{
    lfd_motion m;
    lfd_err err = {0};
    make_motion(&m, 4, 3, 0);
    lfd_buf b;
    lfd_motion_frame(&m, 2)[8] = NAN;
    CHECK(lfd_motion_encode(&m, &b, &err) == LFD_ENUMERIC);
    CHECK_CONTAINS(err.msg, "frame 2");
    lfd_motion_frame(&m, 2)[8] = 0;
    lfd_motion_frame(&m, 1)[3] = 2.0; /* not a unit quaternion */
    CHECK(lfd_motion_encode(&m, &b, &err) == LFD_ENUMERIC);
    CHECK_CONTAINS(err.msg, "frame 1");
    lfd_motion_free(&m);
    CHECK(lfd_motion_alloc(&m, 0, 1, 3, 0, &err) == LFD_ELIMIT);
    CHECK(lfd_motion_alloc(&m, 10, 1, 100000, 0, &err) == LFD_ELIMIT);
    /* a file that is not a motion */
    char path[512];
    snprintf(path, sizeof path, "%s/junk.lfdm", lfd_test_tmpdir());
    CHECK_OK(lfd_file_write_atomic(path, "hello", 5, &err), &err);
    CHECK(lfd_motion_read(&m, path, &err) == LFD_EPARSE);
    CHECK_CONTAINS(err.msg, "not an lfd motion file");
    CHECK(lfd_motion_read(&m, "/nonexistent/x.lfdm", &err) == LFD_EIO);
}

TEST(motion_csv_round_trip)
{
    lfd_motion m, back, back2;
    lfd_err err = {0};
    make_motion(&m, 50, 19, 0);
    const char *dir = lfd_test_tmpdir();
    char csv[512], csv2[512], mid[512];
    snprintf(csv, sizeof csv, "%s/a.csv", dir);
    snprintf(csv2, sizeof csv2, "%s/b.csv", dir);
    snprintf(mid, sizeof mid, "%s/a.lfdm", dir);
    CHECK_OK(lfd_motion_write_csv(&m, csv, 0, &err), &err);
    /* the CSV row layout: root xyz, quaternion xyzw, joints */
    FILE *fp = fopen(csv, "r");
    double row[26];
    for (int c = 0; c < 26; c++)
        CHECK(fscanf(fp, c ? ",%lf" : "%lf", &row[c]) == 1);
    fclose(fp);
    CHECK_NEAR(row[3], m.qpos[4], 0);
    CHECK_NEAR(row[6], m.qpos[3], 0);
    /* CSV -> motion -> CSV: identical to 1e-9 (here exactly) */
    lfd_csv_opts o = {.fps = 30, .floating = 1, .robot = "h1"};
    CHECK_OK(lfd_motion_read_csv(&back, csv, &o, &err), &err);
    CHECK_OK(lfd_motion_write(&back, mid, &err), &err);
    CHECK_OK(lfd_motion_read(&back2, mid, &err), &err);
    CHECK_OK(lfd_motion_write_csv(&back2, csv2, 0, &err), &err);
    lfd_motion c1, c2;
    CHECK_OK(lfd_motion_read_csv(&c1, csv, &o, &err), &err);
    CHECK_OK(lfd_motion_read_csv(&c2, csv2, &o, &err), &err);
    CHECK_EQ_INT(c1.nframes, 50);
    for (int i = 0; i < c1.nframes * c1.nq; i++)
        CHECK_NEAR(c1.qpos[i], c2.qpos[i], 1e-9);
    for (int i = 0; i < m.nframes * m.nq; i++)
        CHECK_NEAR(c1.qpos[i], m.qpos[i], 1e-9);
    /* a header row is written and recognised, names recovered */
    CHECK_OK(lfd_motion_write_csv(&m, csv2, 1, &err), &err);
    lfd_motion h;
    CHECK_OK(lfd_motion_read_csv(&h, csv2, &o, &err), &err);
    CHECK_STR(h.joint_names[18], "joint_18_joint");
    CHECK_EQ_INT(h.nframes, 50);
    lfd_motion_free(&h);
    lfd_motion_free(&c1);
    lfd_motion_free(&c2);
    lfd_motion_free(&back);
    lfd_motion_free(&back2);
    lfd_motion_free(&m);
}

TEST(motion_csv_errors_name_line_and_column)
{
    const char *dir = lfd_test_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/bad.csv", dir);
    lfd_err err = {0};
    lfd_motion m;
    lfd_csv_opts o = {.fps = 30, .floating = 1};
    const char *text = "0,0,1,0,0,0,1,0.5\r\n0,0,1,0,0,0,1,abc\n";
    CHECK_OK(lfd_file_write_atomic(path, text, strlen(text), &err), &err);
    CHECK(lfd_motion_read_csv(&m, path, &o, &err) == LFD_EPARSE);
    CHECK_CONTAINS(err.msg, "bad.csv:2: column 8");
    text = "0,0,1,0,0,0,1,0.5\n0,0,1,0,0,0,1\n";
    CHECK_OK(lfd_file_write_atomic(path, text, strlen(text), &err), &err);
    CHECK(lfd_motion_read_csv(&m, path, &o, &err) == LFD_EPARSE);
    CHECK_CONTAINS(err.msg, "bad.csv:2: 7 columns, expected 8");
    text = "0,0,1,0,0,0,5,0.5\n"; /* quaternion norm 5 */
    CHECK_OK(lfd_file_write_atomic(path, text, strlen(text), &err), &err);
    CHECK(lfd_motion_read_csv(&m, path, &o, &err) == LFD_ENUMERIC);
    o.fps = 0;
    CHECK(lfd_motion_read_csv(&m, path, &o, &err) == LFD_EARG);
    /* CRLF, blank lines and spaces are fine */
    o.fps = 50;
    text = "\r\n 0, 0, 1, 0, 0, 0, 1, 0.5 \r\n\r\n0,0,1,0,0,0,1,0.25\r\n\n";
    CHECK_OK(lfd_file_write_atomic(path, text, strlen(text), &err), &err);
    CHECK_OK(lfd_motion_read_csv(&m, path, &o, &err), &err);
    CHECK_EQ_INT(m.nframes, 2);
    CHECK_NEAR(m.qpos[7 + 8], 0.25, 0);
    lfd_motion_free(&m);
}

TEST(atomic_write_leaves_old_or_new)
{
    const char *dir = lfd_test_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/f.bin", dir);
    lfd_err err = {0};
    CHECK_OK(lfd_file_write_atomic(path, "old", 3, &err), &err);
    /* an aborted streaming write leaves the old file and no temporary */
    lfd_atomic_file af;
    CHECK_OK(lfd_atomic_open(&af, path, &err), &err);
    fputs("partial new content", af.fp);
    lfd_atomic_abort(&af);
    uint8_t *d;
    size_t n;
    CHECK_OK(lfd_file_read(path, 100, &d, &n, &err), &err);
    CHECK_EQ_INT(n, 3);
    CHECK(memcmp(d, "old", 3) == 0);
    free(d);
    char cmd[600], out[256];
    snprintf(cmd, sizeof cmd, "ls -a '%s' | grep -c tmp", dir);
    FILE *fp = popen(cmd, "r");
    CHECK(fgets(out, sizeof out, fp) != NULL);
    pclose(fp);
    CHECK_EQ_INT(atoi(out), 0);
    /* a committed one replaces it */
    CHECK_OK(lfd_atomic_open(&af, path, &err), &err);
    fputs("new", af.fp);
    CHECK_OK(lfd_atomic_commit(&af, &err), &err);
    CHECK_OK(lfd_file_read(path, 100, &d, &n, &err), &err);
    CHECK(n == 3 && memcmp(d, "new", 3) == 0);
    free(d);
    /* the size cap is applied before reading */
    CHECK(lfd_file_read(path, 2, &d, &n, &err) == LFD_ELIMIT);
    /* writing into a missing folder fails cleanly */
    CHECK(lfd_file_write_atomic("/nonexistent-dir/x", "a", 1, &err) == LFD_EIO);
    char deep[600];
    snprintf(deep, sizeof deep, "%s/a/b/c", dir);
    CHECK_OK(lfd_mkdir_p(deep, &err), &err);
    struct stat st;
    CHECK(stat(deep, &st) == 0 && S_ISDIR(st.st_mode));
}

/* Crash safety: a writer killed at random moments while it rewrites a motion
   file leaves, every time, a file that reads back as the old or the new
   motion, never a mix or a partial file. */
TEST(atomic_write_survives_kill_at_any_point)
{
    lfd_motion a, b;
    lfd_err err = {0};
    make_motion(&a, 3000, 19, 1);
    make_motion(&b, 2000, 19, 0);
    lfd_motion_frame(&b, 0)[7] = 42.0;
    char path[512];
    snprintf(path, sizeof path, "%s/target.lfdm", lfd_test_tmpdir());
    CHECK_OK(lfd_motion_write(&a, path, &err), &err);
    int seen_a = 0, seen_b = 0;
    srand(11);
    for (int round = 0; round < 40; round++) {
        pid_t pid = fork();
        if (pid == 0) {
            for (int k = 0;; k++)
                lfd_motion_write(k % 2 ? &a : &b, path, NULL);
        }
        usleep((useconds_t)(2000 + rand() % 30000));
        kill(pid, SIGKILL);
        int st;
        waitpid(pid, &st, 0);
        lfd_motion m;
        int rc = lfd_motion_read(&m, path, &err);
        CHECK_OK(rc, &err);
        if (rc != LFD_OK)
            break;
        if (m.nframes == a.nframes && !memcmp(m.qpos, a.qpos, (size_t)a.nframes * a.nq * 8))
            seen_a++;
        else if (m.nframes == b.nframes && !memcmp(m.qpos, b.qpos, (size_t)b.nframes * b.nq * 8))
            seen_b++;
        else
            lfd_test_fail_at(__FILE__, __LINE__, "round %d: file is neither motion", round);
        lfd_motion_free(&m);
    }
    CHECK_EQ_INT(seen_a + seen_b, 40);
    lfd_motion_free(&a);
    lfd_motion_free(&b);
}

/* A CSV header row, where the robot's joint names are known, says which
   column holds which joint, and the root's quaternion must be x, y, z, w
   (found by review: the header was skipped, so swapped joint columns and a
   w-first quaternion were read in silently). */
TEST(motion_csv_header_orders_the_joints)
{
    const char *dir = lfd_test_tmpdir();
    char p[1100], q[1100];
    snprintf(p, sizeof p, "%s/swapped.csv", dir);
    snprintf(q, sizeof q, "%s/wfirst.csv", dir);
    const char *a = "root_x,root_y,root_z,root_qx,root_qy,root_qz,root_qw,knee,hip\n"
                    "0,0,1,0,0,0,1,0.9,0.1\n0,0,1,0,0,0,1,0.8,0.2\n";
    const char *b = "root_x,root_y,root_z,root_qw,root_qx,root_qy,root_qz,hip,knee\n"
                    "0,0,1,1,0,0,0,0.1,0.9\n";
    lfd_err err = {0};
    CHECK_OK(lfd_file_write_atomic(p, a, strlen(a), &err), &err);
    CHECK_OK(lfd_file_write_atomic(q, b, strlen(b), &err), &err);
    static const char names[2][LFD_NAME_MAX] = {"hip", "knee"};
    lfd_csv_opts o = {.fps = 30, .floating = 1, .njoint_names = 2, .joint_names = names};
    lfd_motion m;
    CHECK_OK(lfd_motion_read_csv(&m, p, &o, &err), &err);
    if (m.nframes == 2) {
        CHECK_NEAR(lfd_motion_frame(&m, 0)[7], 0.1, 1e-12); /* hip */
        CHECK_NEAR(lfd_motion_frame(&m, 0)[8], 0.9, 1e-12); /* knee */
        lfd_motion_free(&m);
    }
    CHECK(lfd_motion_read_csv(&m, q, &o, &err) == LFD_EPARSE);
    CHECK_CONTAINS(err.msg, "x, y, z, w in that order");
    static const char other[2][LFD_NAME_MAX] = {"hip", "ankle"};
    o.joint_names = other;
    CHECK(lfd_motion_read_csv(&m, p, &o, &err) == LFD_EMISMATCH);
    CHECK_CONTAINS(err.msg, "column 8 'knee' names no joint of the robot");
}

/* A CSV write that fails (here the file-size limit stands in for a full
   disk) leaves the old CSV and the old provenance sidecar as they were
   (found by review: the sidecar was replaced, or removed, before the CSV
   was committed, so alice's recording then read back as bob's, or as
   no one's).  Runs in a forked child so the limit ends with it. */
static int csv_write_under_fsize_limit(const lfd_motion *m, const char *path)
{
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit rl = {64 * 1024, 64 * 1024};
        setrlimit(RLIMIT_FSIZE, &rl);
        lfd_err e = {0};
        _exit(lfd_motion_write_csv(m, path, 1, &e) == LFD_OK ? 0 : 1);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void csv_small(lfd_motion *m, int frames, const char *who)
{
    lfd_err err = {0};
    CHECK_OK(lfd_motion_alloc(m, frames, 0, 2, 0, &err), &err);
    m->fps = 30;
    snprintf(m->robot, sizeof m->robot, "r");
    snprintf(m->joint_names[0], LFD_NAME_MAX, "j0");
    snprintf(m->joint_names[1], LFD_NAME_MAX, "j1");
    for (int f = 0; f < frames; f++) {
        m->qpos[2 * f] = 0.123456789012345 * f;
        m->qpos[2 * f + 1] = -0.5;
    }
    if (who)
        CHECK_OK(lfd_prov_set_str(&m->prov, "contributor_id", who, &err), &err);
}

TEST(motion_csv_failed_write_keeps_old_sidecar)
{
    char path[512], side[600];
    snprintf(path, sizeof path, "%s/m.csv", lfd_test_tmpdir());
    snprintf(side, sizeof side, "%s.prov.json", path);
    lfd_err err = {0};
    lfd_motion alice, bob, nobody;
    csv_small(&alice, 10, "alice");
    csv_small(&bob, 200000, "bob");
    csv_small(&nobody, 200000, NULL);
    CHECK_OK(lfd_motion_write_csv(&alice, path, 1, &err), &err);
    for (int k = 0; k < 2; k++) {
        CHECK(csv_write_under_fsize_limit(k ? &nobody : &bob, path) == 1);
        lfd_motion r;
        lfd_csv_opts o = {.fps = 30};
        CHECK_OK(lfd_motion_read_csv(&r, path, &o, &err), &err);
        CHECK_EQ_INT(r.nframes, 10);
        char who[64] = "(none)";
        if (lfd_prov_get(&r.prov, "contributor_id"))
            lfd_prov_get_str(&r.prov, "contributor_id", who, sizeof who, NULL);
        CHECK_STR(who, "alice");
        lfd_motion_free(&r);
    }
    CHECK(lfd_file_exists(side));
    /* and a successful write still replaces, then removes, the sidecar */
    lfd_motion_free(&nobody);
    csv_small(&nobody, 5, NULL);
    CHECK_OK(lfd_motion_write_csv(&nobody, path, 1, &err), &err);
    CHECK(!lfd_file_exists(side));
    lfd_motion_free(&alice);
    lfd_motion_free(&bob);
    lfd_motion_free(&nobody);
}

/* Provenance numbers survive the CSV sidecar's JSON exactly (found by
   review: doubles were written with %.10g, so a capture time 1767225600.123456
   came back as 1767225600, and integers were parsed through strtod, so
   9007199254740993 came back as ...992). */
static int prov_item(const lfd_prov *p, const char *key, lfd_mp_item *it)
{
    const lfd_prov_entry *e = lfd_prov_get(p, key);
    if (!e)
        return -1;
    lfd_mpr r;
    lfd_mpr_init(&r, e->val, e->len);
    return lfd_mpr_next(&r, it, NULL);
}

TEST(motion_csv_sidecar_keeps_provenance_numbers_exact)
{
    lfd_err err = {0};
    lfd_motion m, r;
    csv_small(&m, 3, "alice");
    CHECK_OK(lfd_prov_set_num(&m.prov, "capture_unix_s", 1767225600.123456, &err), &err);
    CHECK_OK(lfd_prov_set_num(&m.prov, "tenth", 0.1, &err), &err);
    CHECK_OK(lfd_prov_set_int(&m.prov, "device_serial", 9007199254740993LL, &err), &err);
    CHECK_OK(lfd_prov_set_int(&m.prov, "offset_ns", -9007199254740993LL, &err), &err);
    char path[512];
    snprintf(path, sizeof path, "%s/p.csv", lfd_test_tmpdir());
    CHECK_OK(lfd_motion_write_csv(&m, path, 1, &err), &err);
    lfd_csv_opts o = {.fps = 30};
    CHECK_OK(lfd_motion_read_csv(&r, path, &o, &err), &err);
    lfd_mp_item it;
    CHECK(prov_item(&r.prov, "capture_unix_s", &it) == 0 && it.type == LFD_MP_FLOAT &&
          it.f == 1767225600.123456);
    CHECK(prov_item(&r.prov, "tenth", &it) == 0 && it.type == LFD_MP_FLOAT && it.f == 0.1);
    CHECK(prov_item(&r.prov, "device_serial", &it) == 0 &&
          (it.type == LFD_MP_UINT || it.type == LFD_MP_INT) && it.i == 9007199254740993LL);
    CHECK(prov_item(&r.prov, "offset_ns", &it) == 0 && it.type == LFD_MP_INT &&
          it.i == -9007199254740993LL);
    lfd_motion_free(&m);
    lfd_motion_free(&r);

    /* the parser keeps integer literals exact, up to uint64 */
    lfd_json_doc *doc;
    const char *t = "[9007199254740993, -9223372036854775808, 18446744073709551615, "
                    "18446744073709551616, 1.5, 2e3]";
    CHECK_OK(lfd_json_parse(t, strlen(t), "n.json", &doc, &err), &err);
    const lfd_json *a = lfd_json_root(doc);
    CHECK(lfd_json_at(a, 0)->inum == 1 && lfd_json_at(a, 0)->i == 9007199254740993LL);
    CHECK(lfd_json_at(a, 1)->inum == 1 && lfd_json_at(a, 1)->i == INT64_MIN);
    CHECK(lfd_json_at(a, 2)->inum == 2 && lfd_json_at(a, 2)->u == UINT64_MAX);
    CHECK(lfd_json_at(a, 3)->inum == 0 && lfd_json_at(a, 3)->num == 18446744073709551616.0);
    CHECK(lfd_json_at(a, 4)->inum == 0 && lfd_json_at(a, 5)->inum == 0);
    lfd_json_free(&doc);
}
