/*  Tests of lfd_mj, the MuJoCo plumbing: MuJoCo errors become lfd errors
    instead of a prompt on stdin and exit(), guarded calls nest, loads from
    many threads give each thread its own model's canonical XML, and a
    diverged simulation is detected. */
#include <math.h>
#include <pthread.h>
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
