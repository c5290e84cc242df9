/*  Tests for core/lfd_quat (against hand-computed rotations) and
    core/lfd_sha256 (against the FIPS 180-2 example vectors). */
#include <stdlib.h>
#include <string.h>

#include "core/lfd_boxqp.h"
#include "core/lfd_quat.h"
#include "core/lfd_sha256.h"
#include "core/lfd_util.h"
#include "tests/lfd_test.h"

static void check_mat_near(const double *a, const double *b, double tol)
{
    for (int i = 0; i < 9; i++)
        CHECK_NEAR(a[i], b[i], tol);
}

static void rx(double R[9], double a) { double t[9] = {1, 0, 0, 0, cos(a), -sin(a), 0, sin(a), cos(a)}; memcpy(R, t, sizeof t); }
static void ry(double R[9], double a) { double t[9] = {cos(a), 0, sin(a), 0, 1, 0, -sin(a), 0, cos(a)}; memcpy(R, t, sizeof t); }
static void rz(double R[9], double a) { double t[9] = {cos(a), -sin(a), 0, sin(a), cos(a), 0, 0, 0, 1}; memcpy(R, t, sizeof t); }

static void axis_mat(double R[9], char ax, double a)
{
    if (ax == 'X') rx(R, a);
    else if (ax == 'Y') ry(R, a);
    else rz(R, a);
}

TEST(quat_rotate_known)
{
    double q[4], v[3] = {1, 0, 0}, r[3];
    double z[3] = {0, 0, 1};
    lfd_quat_from_axis_angle(q, z, M_PI / 2);
    lfd_quat_rotate(r, q, v);
    CHECK_NEAR(r[0], 0, 1e-12);
    CHECK_NEAR(r[1], 1, 1e-12);
    CHECK_NEAR(r[2], 0, 1e-12);
    /* 120 degrees about (1,1,1) cycles the axes: x -> y */
    double d[3] = {1, 1, 1};
    lfd_quat_from_axis_angle(q, d, 2 * M_PI / 3);
    lfd_quat_rotate(r, q, v);
    CHECK_NEAR(r[0], 0, 1e-12);
    CHECK_NEAR(r[1], 1, 1e-12);
    CHECK_NEAR(r[2], 0, 1e-12);
    lfd_quat_rotate_inv(r, q, r);
    CHECK_NEAR(r[0], 1, 1e-12);
    /* quaternion product composes: rotate by b then a */
    double a[4], b[4], ab[4], x[3] = {1, 0, 0}, y[3] = {0, 1, 0};
    lfd_quat_from_axis_angle(a, z, M_PI / 2);
    lfd_quat_from_axis_angle(b, y, M_PI / 2);
    lfd_quat_mul(ab, a, b);
    lfd_quat_rotate(r, ab, x); /* Ry(90) x = -z; Rz(90) (-z) = -z */
    CHECK_NEAR(r[0], 0, 1e-12);
    CHECK_NEAR(r[1], 0, 1e-12);
    CHECK_NEAR(r[2], -1, 1e-12);
}

TEST(quat_matrix_round_trip)
{
    srand(7);
    for (int k = 0; k < 200; k++) {
        double q[4] = {rand() / (double)RAND_MAX - 0.5, rand() / (double)RAND_MAX - 0.5,
                       rand() / (double)RAND_MAX - 0.5, rand() / (double)RAND_MAX - 0.5};
        lfd_quat_normalize(q);
        if (q[0] < 0)
            for (int i = 0; i < 4; i++) q[i] = -q[i];
        double R[9], q2[4], v[3] = {0.3, -0.7, 1.1}, r1[3], r2[3];
        lfd_quat_to_mat(R, q);
        lfd_mat_to_quat(q2, R);
        for (int i = 0; i < 4; i++)
            CHECK_NEAR(q[i], q2[i], 1e-12);
        lfd_quat_rotate(r1, q, v);
        lfd_mat3_mulv(r2, R, v);
        for (int i = 0; i < 3; i++)
            CHECK_NEAR(r1[i], r2[i], 1e-12);
    }
}

TEST(quat_euler_all_orders)
{
    static const char *orders[] = {"XYZ", "XZY", "YXZ", "YZX", "ZXY", "ZYX",
                                   "XYX", "XZX", "YXY", "YZY", "ZXZ", "ZYZ"};
    double ang[3] = {0.3, -0.5, 1.2};
    for (int o = 0; o < 12; o++) {
        const char *ord = orders[o];
        /* from_euler equals the product of the three axis matrices */
        double q[4], R[9], A[9], B[9], C[9], P[9];
        CHECK(lfd_quat_from_euler(q, ord, ang) == 0);
        lfd_quat_to_mat(R, q);
        axis_mat(A, ord[0], ang[0]);
        axis_mat(B, ord[1], ang[1]);
        axis_mat(C, ord[2], ang[2]);
        lfd_mat3_mul(P, A, B);
        lfd_mat3_mul(P, P, C);
        check_mat_near(R, P, 1e-12);
        /* to_euler recovers a rotation-equivalent triple, here the same angles */
        double back[3], q2[4];
        CHECK(lfd_quat_to_euler(back, ord, q) == 0);
        CHECK(lfd_quat_from_euler(q2, ord, back) == 0);
        CHECK_NEAR(lfd_quat_angle(q, q2), 0, 1e-9);
        if (ord[0] != ord[2])
            for (int i = 0; i < 3; i++)
                CHECK_NEAR(back[i], ang[i], 1e-9);
    }
    /* gimbal lock (middle angle 90 degrees) still round-trips the rotation */
    double lock[3] = {0.4, M_PI / 2, -0.2}, q[4], back[3], q2[4];
    lfd_quat_from_euler(q, "ZYX", lock);
    lfd_quat_to_euler(back, "ZYX", q);
    lfd_quat_from_euler(q2, "ZYX", back);
    CHECK_NEAR(lfd_quat_angle(q, q2), 0, 1e-6);
    CHECK(lfd_quat_from_euler(q, "ZZ", lock) == -1);
    CHECK(lfd_quat_from_euler(q, "ZQX", lock) == -1);
}

TEST(quat_slerp_angvel_rotvec)
{
    double id[4] = {1, 0, 0, 0}, q[4], m[4], x[3] = {1, 0, 0};
    lfd_quat_from_axis_angle(q, x, M_PI / 2);
    lfd_quat_slerp(m, id, q, 0.5);
    CHECK_NEAR(m[0], cos(M_PI / 8), 1e-12);
    CHECK_NEAR(m[1], sin(M_PI / 8), 1e-12);
    CHECK_NEAR(lfd_quat_angle(id, q), M_PI / 2, 1e-12);
    /* slerp takes the short way even when b is given with the other sign */
    double nq[4] = {-q[0], -q[1], -q[2], -q[3]};
    lfd_quat_slerp(m, id, nq, 0.5);
    CHECK_NEAR(lfd_quat_angle(m, id), M_PI / 4, 1e-12);

    /* angular velocity: integrate a known local rate, then recover it */
    double q0[4], w[3] = {0.5, -1.0, 2.0}, q1[4], wl[3], ww[3];
    double ax[3] = {0.2, 0.9, -0.4};
    lfd_quat_from_axis_angle(q0, ax, 0.8);
    memcpy(q1, q0, sizeof q1);
    lfd_quat_integrate_local(q1, w, 0.01);
    lfd_quat_angvel_local(wl, q0, q1, 0.01);
    for (int i = 0; i < 3; i++)
        CHECK_NEAR(wl[i], w[i], 1e-9);
    /* world rate is the local rate rotated into the world */
    double wr[3];
    lfd_quat_angvel_world(ww, q0, q1, 0.01);
    lfd_quat_rotate(wr, q0, w);
    for (int i = 0; i < 3; i++)
        CHECK_NEAR(ww[i], wr[i], 1e-9);

    double v[3] = {0.1, 0.2, -0.3}, qq[4], v2[3];
    lfd_rotvec_to_quat(qq, v);
    lfd_quat_to_rotvec(v2, qq);
    for (int i = 0; i < 3; i++)
        CHECK_NEAR(v[i], v2[i], 1e-12);
    /* xyzw storage order */
    double xyzw[4], back[4];
    lfd_quat_to_xyzw(xyzw, qq);
    CHECK_NEAR(xyzw[3], qq[0], 0);
    CHECK_NEAR(xyzw[0], qq[1], 0);
    lfd_quat_from_xyzw(back, xyzw);
    for (int i = 0; i < 4; i++)
        CHECK_NEAR(back[i], qq[i], 0);
}

TEST(sha256_known_vectors)
{
    char hex[65];
    lfd_sha256_buf_hex("", 0, hex);
    CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    lfd_sha256_buf_hex("abc", 3, hex);
    CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *m2 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    lfd_sha256_buf_hex(m2, strlen(m2), hex);
    CHECK_STR(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    /* one million 'a', fed in uneven pieces through the streaming interface */
    lfd_sha256 s;
    lfd_sha256_init(&s);
    char a[997];
    memset(a, 'a', sizeof a);
    size_t left = 1000000;
    for (size_t k = 1; left; k = k % 997 + 1) {
        size_t n = k < left ? k : left;
        lfd_sha256_update(&s, a, n);
        left -= n;
    }
    uint8_t d[32];
    lfd_sha256_final(&s, d);
    lfd_sha256_hex(d, hex);
    CHECK_STR(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* the arena: the sizing pass and the carving pass agree, every array is
   aligned and inside the block, arrays do not overlap, the block is zeroed,
   and a size that overflows is refused */
typedef struct arena_ws {
    double *a;
    int *b;
    unsigned char *c;
    double *d;
} arena_ws;

static arena_ws *arena_layout(lfd_arena *ar, arena_ws *w)
{
    arena_ws *head = lfd_arena_take(ar, 1, sizeof *w);
    w->a = lfd_arena_take(ar, 3, sizeof(double));
    w->b = lfd_arena_take(ar, 5, sizeof(int));
    w->c = lfd_arena_take(ar, 0, 1);
    w->d = lfd_arena_take(ar, 7, sizeof(double));
    return head;
}

TEST(core_arena_carves_one_aligned_block)
{
    lfd_arena ar = {0};
    arena_ws tmp = {0};
    CHECK(arena_layout(&ar, &tmp) == NULL); /* sizing: no pointers */
    CHECK(tmp.a == NULL && tmp.d == NULL);
    /* head 32 -> 64, a 24 -> 128, b 20 -> 192, c 0 -> 192, d 56 -> 248: 256 */
    size_t bytes = lfd_arena_bytes(&ar);
    CHECK_EQ_INT((int)bytes, 256);
    unsigned char *block = aligned_alloc(LFD_ARENA_ALIGN, bytes);
    CHECK(block != NULL);
    if (!block)
        return;
    memset(block, 0xab, bytes);
    lfd_arena_start(&ar, block);
    arena_ws *w = arena_layout(&ar, &tmp);
    CHECK(!ar.overflow);
    CHECK((unsigned char *)w == block);
    CHECK((unsigned char *)tmp.a == block + 64);
    CHECK((unsigned char *)tmp.b == block + 128);
    CHECK((unsigned char *)tmp.d == block + 192);
    CHECK(ar.used <= bytes);
    for (size_t i = 0; i < bytes; i++)
        if (block[i]) {
            CHECK(!"the block is zeroed");
            break;
        }
    /* a carving pass that asks for more than the block holds is refused */
    CHECK(lfd_arena_take(&ar, bytes, 1) == NULL);
    CHECK(ar.overflow);
    free(block);
    /* sizes that do not fit size_t */
    lfd_arena big = {0};
    CHECK(lfd_arena_take(&big, SIZE_MAX / 4, 8) == NULL);
    CHECK(big.overflow);
    CHECK_EQ_INT((int)lfd_arena_bytes(&big), 0);
    /* nothing taken: still a valid aligned_alloc size */
    lfd_arena none = {0};
    CHECK_EQ_INT((int)lfd_arena_bytes(&none), LFD_ARENA_ALIGN);
    /* lfd_arena_alloc: the same layout, allocated and started */
    lfd_arena a2 = {0};
    arena_layout(&a2, &tmp);
    arena_ws *w2 = lfd_arena_alloc(&a2);
    CHECK(w2 != NULL);
    if (w2) {
        CHECK(arena_layout(&a2, &tmp) == w2);
        CHECK(((uintptr_t)tmp.d % LFD_ARENA_ALIGN) == 0 && tmp.d[6] == 0);
        CHECK(!a2.overflow);
        free(w2);
    }
    lfd_arena bad = {0};
    lfd_arena_take(&bad, SIZE_MAX / 2, 4);
    CHECK(lfd_arena_alloc(&bad) == NULL);
}

/* lfd_util_select against a full sort: every k of arrays with ties, runs
   and random values, and the partition it promises around k. */
TEST(util_select_matches_sort)
{
    unsigned seed = 12345;
    double v[257], w[257];
    for (int trial = 0; trial < 60; trial++) {
        size_t n = 1 + (size_t)(trial * 37 % 257);
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            /* trials mix: few distinct values (ties), sorted, reversed, random */
            double r = (double)(seed >> 8) / (double)(1u << 24);
            v[i] = trial % 4 == 0 ? floor(r * 3) : trial % 4 == 1 ? (double)i
                 : trial % 4 == 2 ? (double)(n - i) : r;
        }
        memcpy(w, v, n * sizeof *v);
        qsort(w, n, sizeof *w, lfd_util_cmp_double);
        for (size_t k = 0; k < n; k += 1 + n / 9) {
            double u[257];
            memcpy(u, v, n * sizeof *v);
            double got = lfd_util_select(u, n, k);
            CHECK(got == w[k]);
            CHECK(u[k] == w[k]);
            for (size_t i = 0; i < n; i++)
                CHECK(i < k ? u[i] <= got : i > k ? u[i] >= got : 1);
        }
    }
}

/* An empty box (lo > hi) or a NaN bound is bad input, refused with -1 and x
   left as it was (found by review: it returned 0 with x = 1 outside the box
   [1, -1]). */
TEST(boxqp_refuses_empty_box_and_nan_bounds)
{
    double ws[64], H[4] = {1, 0, 0, 1}, g[2] = {-5, 0};
    lfd_boxqp_result r;
    CHECK(lfd_boxqp_ws_doubles(2) <= sizeof ws / sizeof ws[0]);
    double lo1[2] = {1, -1}, hi1[2] = {-1, 1}, x[2] = {0.25, 0.5};
    CHECK(lfd_boxqp_solve(2, H, g, lo1, hi1, x, 50, 1e-10, ws, &r) == -1);
    CHECK(x[0] == 0.25 && x[1] == 0.5);
    double lo2[2] = {NAN, -1}, hi2[2] = {1, 1};
    CHECK(lfd_boxqp_solve(2, H, g, lo2, hi2, x, 50, 1e-10, ws, &r) == -1);
    double lo3[2] = {-1, -1}, hi3[2] = {1, NAN};
    CHECK(lfd_boxqp_solve(2, H, g, lo3, hi3, x, 50, 1e-10, ws, &r) == -1);
    /* a box of one point, and infinite bounds, are fine */
    double lo4[2] = {0.5, -INFINITY}, hi4[2] = {0.5, INFINITY};
    CHECK(lfd_boxqp_solve(2, H, g, lo4, hi4, x, 50, 1e-10, ws, &r) == 0);
    CHECK(x[0] == 0.5);
    CHECK_NEAR(x[1], 0, 1e-12);
}
