/*  Tests of lfd_mj, the MuJoCo plumbing: MuJoCo errors become lfd errors
    instead of a prompt on stdin and exit(), guarded calls nest, loads from
    many threads give each thread its own model's canonical XML, and a
    diverged simulation is detected. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/lfd_sha256.h"
#include "robots/lfd_mj.h"
#include "tests/lfd_test.h"

static int raise_error(void *arg)
{
    mju_error((const char *)arg);
    return LFD_OK; /* not reached */
}

static int returns_eio(void *arg)
{
    (void)arg;
    return LFD_EIO;
}

typedef struct nest_arg {
    int inner_rc;
    lfd_err inner_err;
} nest_arg;

static int nested(void *arg)
{
    nest_arg *n = arg;
    n->inner_rc = lfd_mj_call(raise_error, "inner boom", &n->inner_err);
    /* the outer guard is active again: this one unwinds to it */
    mju_error("outer boom");
    return LFD_OK;
}

TEST(robots_mj_errors_become_lfd_errors)
{
    lfd_err err = {0};
    CHECK_EQ_INT(lfd_mj_call(raise_error, "lfd test error 42", &err), LFD_ENUMERIC);
    CHECK_CONTAINS(err.msg, "MuJoCo error: lfd test error 42");
    /* a callback's own status passes through */
    CHECK_EQ_INT(lfd_mj_call(returns_eio, NULL, &err), LFD_EIO);
    /* nesting: the inner error unwinds to the inner guard only */
    nest_arg n = {0};
    CHECK_EQ_INT(lfd_mj_call(nested, &n, &err), LFD_ENUMERIC);
    CHECK_EQ_INT(n.inner_rc, LFD_ENUMERIC);
    CHECK_CONTAINS(n.inner_err.msg, "inner boom");
    CHECK_CONTAINS(err.msg, "outer boom");
    /* outside any guard: logged and remembered, the process goes on */
    char msg[256];
    CHECK(!lfd_mj_take_error(msg, sizeof msg));
    mju_error("unguarded boom");
    CHECK(lfd_mj_take_error(msg, sizeof msg));
    CHECK_CONTAINS(msg, "unguarded boom");
    CHECK(!lfd_mj_take_error(msg, sizeof msg));
    /* warnings are kept, not printed */
    mju_warning("a warning");
    CHECK_CONTAINS(lfd_mj_last_warning(), "a warning");
}

static void hash_of(const char *xml, size_t n, char hex[65])
{
    uint8_t d[32];
    lfd_sha256_buf(xml, n, d);
    lfd_sha256_hex(d, hex);
}

typedef struct load_arg {
    const char *path;
    char want[65];
    int bad;
} load_arg;

static void *load_many(void *p)
{
    load_arg *a = p;
    for (int i = 0; i < 8; i++) {
        mjModel *m = NULL;
        char *xml = NULL;
        size_t n = 0;
        lfd_err err = {0};
        if (lfd_mj_load(&m, &xml, &n, a->path, &err)) {
            a->bad++;
            continue;
        }
        char h[65];
        hash_of(xml, n, h);
        a->bad += strcmp(h, a->want) != 0;
        free(xml);
        mj_deleteModel(m);
    }
    return NULL;
}

/* mj_saveLastXML saves whatever model any thread loaded last: lfd_mj_load
   serialises load + save so each thread hashes its own model */
TEST(robots_mj_load_is_thread_safe)
{
    load_arg a[2] = {{"robots/h1/h1.xml", "", 0}, {"robots/g1/g1.xml", "", 0}};
    for (int i = 0; i < 2; i++) {
        mjModel *m = NULL;
        char *xml = NULL;
        size_t n = 0;
        lfd_err err = {0};
        CHECK_OK(lfd_mj_load(&m, &xml, &n, a[i].path, &err), &err);
        if (!m)
            return;
        CHECK(n > 1000 && xml[n] == '\0');
        CHECK_CONTAINS(xml, i ? "model=\"g1\"" : "model=\"h1\"");
        hash_of(xml, n, a[i].want);
        free(xml);
        mj_deleteModel(m);
    }
    CHECK(strcmp(a[0].want, a[1].want) != 0);
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, load_many, &a[i]);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    CHECK_EQ_INT(a[0].bad, 0);
    CHECK_EQ_INT(a[1].bad, 0);
}

TEST(robots_mj_load_errors_and_divergence)
{
    mjModel *m = NULL;
    lfd_err err = {0};
    CHECK_EQ_INT(lfd_mj_load(&m, NULL, NULL, "no/such/model.xml", &err), LFD_EIO);
    CHECK_CONTAINS(err.msg, "no/such/model.xml");
    CHECK(m == NULL);
    CHECK_OK(lfd_mj_load(&m, NULL, NULL, "robots/h1/h1.xml", &err), &err);
    if (!m)
        return;
    mjData *d = mj_makeData(m);
    CHECK_OK(lfd_mj_check_data(m, d, &err), &err);
    /* a NaN in the state: MuJoCo warns (and resets); lfd reports it */
    d->qvel[7] = NAN;
    mj_step(m, d);
    CHECK_EQ_INT(lfd_mj_check_data(m, d, &err), LFD_ENUMERIC);
    CHECK_CONTAINS(err.msg, "diverged");
    mj_deleteData(d);
    mj_deleteModel(m);
}

/* a chain with every joint type: a free root, a ball, a slide, hinges off
   their bodies' origins, a body with no joint and a mocap body */
static const char *KIN_XML =
    "<mujoco><worldbody>"
    "<body name='mc' mocap='true' pos='0 1 0'><geom size='0.05'/></body>"
    "<body name='a' pos='0.1 0 1'><freejoint/><geom type='capsule' size='0.05 0.2' pos='0 0 0.1'/>"
    " <body name='b' pos='0 0.2 0' quat='0.9 0.1 0.3 0.2'><joint type='ball' pos='0 0.05 0'/>"
    "  <geom type='box' size='0.1 0.05 0.02' pos='0.1 0 0' euler='0.3 0.2 0.1'/>"
    "  <body name='c' pos='0.3 0 0'><joint type='slide' axis='0.6 0.8 0'/>"
    "   <joint type='hinge' axis='0 0.6 0.8' pos='0.02 0 0.03'/><geom size='0.04'/>"
    "   <body name='d' pos='0 0 -0.2' euler='0 0.5 0'><geom size='0.03' pos='0.05 0 0'/>"
    "    <body name='e' pos='0.1 0 0'><joint type='hinge' axis='1 0 0' pos='0 0 0.01'/>"
    "     <joint type='hinge' axis='0 0 1'/><geom type='capsule' size='0.02 0.1'/>"
    "</body></body></body></body></body></worldbody></mujoco>";

/* a and b (n numbers) within 1e-13 */
static int same(const double *a, const double *b, int n)
{
    for (int i = 0; i < n; i++)
        if (!(fabs(a[i] - b[i]) <= 1e-13))
            return 0;
    return 1;
}

/* the partial kinematics gives what mj_kinematics gives to rounding, on the
   bodies and geoms asked for, on lfd's robots, MuJoCo's humanoid (several
   joints off the body's origin in one body) and a model with every joint
   type; the chain Jacobian equals mj_jac to rounding */
TEST(robots_mj_partial_kinematics_and_chain_jacobian)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/kin.xml", lfd_test_tmpdir());
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f)
        return;
    fputs(KIN_XML, f);
    fclose(f);
    const char *files[] = {path, "robots/h1/h1.xml", "robots/g1/g1.xml", "/usr/share/mujoco/model/humanoid/humanoid.xml"};
    unsigned seed = 7;
    for (int fi = 0; fi < 4; fi++) {
        char msg[300];
        mjModel *m = mj_loadXML(files[fi], NULL, msg, sizeof msg);
        CHECK(m != NULL);
        if (!m)
            continue;
        mjData *d = mj_makeData(m), *e = mj_makeData(m);
        unsigned char *on = calloc((size_t)m->nbody, 1);
        int *geoms = malloc(sizeof(int) * (size_t)m->ngeom);
        double *jp = calloc(6 * (size_t)m->nv, sizeof(double)), *jr = jp + 3 * m->nv;
        double *kp = calloc(6 * (size_t)m->nv, sizeof(double)), *kr = kp + 3 * m->nv;
        for (int trial = 0; trial < 20; trial++) {
            for (int i = 0; i < m->nq; i++)
                d->qpos[i] = m->qpos0[i] + 2.0 * rand_r(&seed) / RAND_MAX - 1.0;
            for (int i = 0; i < 3 * m->nmocap; i++)
                d->mocap_pos[i] = 1.0 * rand_r(&seed) / RAND_MAX;
            memcpy(e->qpos, d->qpos, sizeof(double) * (size_t)m->nq);
            memcpy(e->mocap_pos, d->mocap_pos, sizeof(double) * 3 * (size_t)m->nmocap);
            mj_kinematics(m, d);
            mj_comPos(m, d);
            /* the last body and its ancestors (trial 0: every body), some geoms */
            memset(on, 0, (size_t)m->nbody);
            int leaf = trial ? 1 + (trial * 7) % (m->nbody - 1) : 0, ng = 0;
            for (int b = leaf; b > 0; b = m->body_parentid[b])
                on[b] = 1;
            if (!trial)
                memset(on, 1, (size_t)m->nbody);
            for (int g = trial % 2; g < m->ngeom; g += 2)
                if (on[m->geom_bodyid[g]])
                    geoms[ng++] = g;
            lfd_mj_kinematics_some(m, e, on, geoms, ng);
            CHECK(memcmp(e->qpos, d->qpos, sizeof(double) * (size_t)m->nq) == 0);
            for (int b = 1; b < m->nbody; b++) {
                if (!on[b])
                    continue;
                CHECK(same(e->xpos + 3 * b, d->xpos + 3 * b, 3));
                CHECK(same(e->xquat + 4 * b, d->xquat + 4 * b, 4));
                CHECK(same(e->xmat + 9 * b, d->xmat + 9 * b, 9));
                for (int j = m->body_jntadr[b]; j >= 0 && j < m->body_jntadr[b] + m->body_jntnum[b]; j++) {
                    CHECK(same(e->xanchor + 3 * j, d->xanchor + 3 * j, 3));
                    CHECK(same(e->xaxis + 3 * j, d->xaxis + 3 * j, 3));
                }
            }
            for (int k = 0; k < ng; k++) {
                int g = geoms[k];
                CHECK(same(e->geom_xpos + 3 * g, d->geom_xpos + 3 * g, 3));
                CHECK(same(e->geom_xmat + 9 * g, d->geom_xmat + 9 * g, 9));
            }
            /* the Jacobian of a point near the leaf body */
            if (!leaf)
                continue;
            double p[3] = {d->xpos[3 * leaf] + 0.1, d->xpos[3 * leaf + 1] - 0.05, d->xpos[3 * leaf + 2]};
            mj_jac(m, d, jp, jr, p, leaf);
            memset(kp, 0, 6 * sizeof(double) * (size_t)m->nv);
            lfd_mj_jac_chain(m, e, p, leaf, kp, kr);
            double worst = 0;
            for (int i = 0; i < 6 * m->nv; i++)
                worst = fmax(worst, fabs(kp[i] - jp[i]));
            CHECK(worst < 1e-12);
        }
        free(on);
        free(geoms);
        free(jp);
        free(kp);
        mj_deleteData(d);
        mj_deleteData(e);
        mj_deleteModel(m);
    }
}
