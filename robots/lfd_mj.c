/*  lfd_mj: MuJoCo error handlers, guarded calls and serialised loading
    (see lfd_mj.h). */
#define _GNU_SOURCE /* memfd_create */
#include "robots/lfd_mj.h"

#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/lfd_log.h"
#include "core/lfd_quat.h"

#define LFD_MJ_MSG_MAX 400
#define LFD_MJ_XML_MAX ((size_t)64 << 20) /* canonical XML of any sane model */

/* one guard per lfd_mj_call frame; they nest through prev */
typedef struct mj_guard {
    jmp_buf jb;
    struct mj_guard *prev;
} mj_guard;

static _Thread_local mj_guard *tl_guard;
static _Thread_local char tl_error[LFD_MJ_MSG_MAX];
static _Thread_local int tl_has_error;
static _Thread_local char tl_warning[LFD_MJ_MSG_MAX];

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t load_mutex = PTHREAD_MUTEX_INITIALIZER;

static void copy_msg(char *dst, const char *msg)
{
    snprintf(dst, LFD_MJ_MSG_MAX, "%s", msg ? msg : "(no message)");
    /* MuJoCo messages may end in a newline */
    size_t n = strlen(dst);
    while (n && (dst[n - 1] == '\n' || dst[n - 1] == '\r'))
        dst[--n] = '\0';
}

static void on_error(const char *msg)
{
    copy_msg(tl_error, msg);
    tl_has_error = 1;
    /* inside a guard: unwind to lfd_mj_call, which reports the error */
    if (tl_guard) {
        mj_guard *g = tl_guard;
        tl_guard = g->prev;
        longjmp(g->jb, 1);
    }
    lfd_log(LFD_LOG_ERROR, "MuJoCo error (outside a guarded call): %s", tl_error);
}

static void on_warning(const char *msg)
{
    copy_msg(tl_warning, msg);
    lfd_debug("MuJoCo warning: %s", tl_warning);
}

static void install(void)
{
    mju_user_error = on_error;
    mju_user_warning = on_warning;
}

void lfd_mj_init(void)
{
    pthread_once(&init_once, install);
}

int lfd_mj_call(int (*fn)(void *arg), void *arg, lfd_err *err)
{
    lfd_mj_init();
    mj_guard g;
    g.prev = tl_guard;
    volatile int rc = LFD_OK;
    if (setjmp(g.jb) == 0) {
        tl_guard = &g;
        rc = fn(arg);
        tl_guard = g.prev;
        return rc;
    }
    /* the error handler popped the guard before jumping here */
    tl_has_error = 0;
    return lfd_fail(err, LFD_ENUMERIC, "MuJoCo error: %s", tl_error);
}

int lfd_mj_take_error(char *msg, size_t msgsz)
{
    if (!tl_has_error)
        return 0;
    if (msg && msgsz)
        snprintf(msg, msgsz, "%s", tl_error);
    tl_has_error = 0;
    return 1;
}

const char *lfd_mj_last_warning(void)
{
    return tl_warning;
}

/* A file name that mj_saveLastXML can write and we can read back: an
   anonymous memory file where the kernel has memfd, else a temporary file. */
static int open_scratch(char *path, size_t pathsz)
{
    int fd = memfd_create("lfd_mjcf", 0);
    if (fd >= 0) {
        snprintf(path, pathsz, "/proc/self/fd/%d", fd);
        return fd;
    }
    const char *tmp = getenv("TMPDIR");
    snprintf(path, pathsz, "%s/lfd_mjcf_XXXXXX", tmp && *tmp ? tmp : "/tmp");
    fd = mkstemp(path);
    if (fd >= 0)
        unlink(path); /* mj_saveLastXML recreates it by name; read back below */
    return fd;
}

static int read_fd_all(int fd, const char *path, char **out, size_t *len, lfd_err *err)
{
    /* memfd: read through the descriptor; temp file: reopen by name */
    int rfd = fd;
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size == 0) {
        rfd = open(path, O_RDONLY);
        if (rfd < 0)
            return lfd_fail(err, LFD_EIO, "cannot read MuJoCo's saved XML: %s", strerror(errno));
        if (fstat(rfd, &st) != 0) {
            close(rfd);
            return lfd_fail(err, LFD_EIO, "cannot stat MuJoCo's saved XML");
        }
    }
    if ((size_t)st.st_size > LFD_MJ_XML_MAX) {
        if (rfd != fd)
            close(rfd);
        return lfd_fail(err, LFD_ELIMIT, "MuJoCo's saved XML is larger than %zu bytes",
                        LFD_MJ_XML_MAX);
    }
    size_t n = (size_t)st.st_size;
    char *buf = malloc(n + 1);
    if (!buf) {
        if (rfd != fd)
            close(rfd);
        return lfd_fail(err, LFD_ENOMEM, "out of memory");
    }
    size_t got = 0;
    while (got < n) {
        ssize_t k = pread(rfd, buf + got, n - got, (off_t)got);
        if (k <= 0)
            break;
        got += (size_t)k;
    }
    if (rfd != fd) {
        close(rfd);
        unlink(path);
    }
    if (got != n) {
        free(buf);
        return lfd_fail(err, LFD_EIO, "short read of MuJoCo's saved XML");
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return LFD_OK;
}

/* MuJoCo's messages span lines: make them one line (lfd_err convention) */
static void one_line(char *s)
{
    char *w = s;
    int space = 0;
    for (char *r = s; *r; r++) {
        int ws = *r == '\n' || *r == '\r' || *r == '\t' || *r == ' ';
        if (ws) {
            space = w != s;
            continue;
        }
        if (space)
            *w++ = ' ';
        space = 0;
        *w++ = *r;
    }
    *w = '\0';
}

int lfd_mj_load(mjModel **m, char **xml, size_t *xml_len, const char *path, lfd_err *err)
{
    lfd_mj_init();
    *m = NULL;
    if (xml) {
        *xml = NULL;
        *xml_len = 0;
    }
    struct stat st;
    if (stat(path, &st) != 0)
        return lfd_fail(err, LFD_EIO, "%s: cannot open MJCF: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return lfd_fail(err, LFD_EIO, "%s: MJCF is not a regular file", path);

    char mjerr[1024] = "";
    int rc = LFD_OK;
    /* load and save under one lock: the compiler swaps global handlers and
       mj_saveLastXML saves the last model any thread loaded */
    pthread_mutex_lock(&load_mutex);
    mjModel *model = mj_loadXML(path, NULL, mjerr, (int)sizeof mjerr);
    one_line(mjerr);
    if (!model) {
        rc = lfd_fail(err, LFD_EPARSE, "%s: MuJoCo cannot load it: %s", path,
                      mjerr[0] ? mjerr : "unknown error");
    } else if (xml) {
        char scratch[4096];
        int fd = open_scratch(scratch, sizeof scratch);
        if (fd < 0) {
            rc = lfd_fail(err, LFD_EIO, "cannot create a scratch file: %s", strerror(errno));
        } else {
            char serr[512] = "";
            if (!mj_saveLastXML(scratch, model, serr, (int)sizeof serr))
                rc = lfd_fail(err, LFD_EIO, "%s: MuJoCo cannot save the compiled XML: %s", path,
                              serr);
            else
                rc = read_fd_all(fd, scratch, xml, xml_len, err);
            close(fd);
        }
    }
    pthread_mutex_unlock(&load_mutex);
    /* MuJoCo's loader also fills mjerr with warnings on success: log them */
    if (model && mjerr[0])
        lfd_debug("%s: MuJoCo: %s", path, mjerr);
    if (rc) {
        if (model)
            mj_deleteModel(model);
        return rc;
    }
    *m = model;
    return LFD_OK;
}

#define LFD_MJ_FLOOR_FILE "__lfd_floor_wrapper__.xml"

int lfd_mj_load_with_floor(const char *path, int contype, int conaffinity, mjModel **m,
                           lfd_err *err)
{
    lfd_mj_init();
    *m = NULL;
    struct stat st;
    if (stat(path, &st) != 0)
        return lfd_fail(err, LFD_EIO, "%s: cannot open MJCF: %s", path, strerror(errno));
    /* the wrapper sits (virtually) in the MJCF's folder and includes it by
       its base name: MuJoCo resolves includes and meshdir from there */
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    if (strchr(base, '"') || strchr(base, '<') || strchr(base, '&'))
        return lfd_fail(err, LFD_EARG, "%s: file name not usable in an include", path);
    char wrapper[1024];
    int wn = snprintf(wrapper, sizeof wrapper,
                      "<mujoco model=\"lfd_floor\"><include file=\"%s\"/><worldbody>"
                      "<geom name=\"lfd_floor\" type=\"plane\" size=\"0 0 0.05\" pos=\"0 0 0\" "
                      "contype=\"%d\" conaffinity=\"%d\" condim=\"3\" friction=\"1 0.005 0.0001\" "
                      "rgba=\"0.5 0.55 0.6 1\"/></worldbody></mujoco>",
                      base, contype, conaffinity);
    if (wn < 0 || (size_t)wn >= sizeof wrapper)
        return lfd_fail(err, LFD_ELIMIT, "%s: file name too long", path);
    char wpath[4096];
    if ((size_t)(slash ? slash - path + 1 : 0) + sizeof LFD_MJ_FLOOR_FILE > sizeof wpath)
        return lfd_fail(err, LFD_ELIMIT, "%s: path too long", path);
    snprintf(wpath, sizeof wpath, "%.*s%s", slash ? (int)(slash - path + 1) : 0, path,
             LFD_MJ_FLOOR_FILE);
    mjVFS *vfs = calloc(1, sizeof *vfs);
    if (!vfs)
        return lfd_fail(err, LFD_ENOMEM, "out of memory");
    mj_defaultVFS(vfs);
    if (mj_makeEmptyFileVFS(vfs, LFD_MJ_FLOOR_FILE, wn) != 0) {
        mj_deleteVFS(vfs);
        free(vfs);
        return lfd_fail(err, LFD_ENOMEM, "cannot make MuJoCo's virtual file");
    }
    memcpy(vfs->filedata[vfs->nfile - 1], wrapper, (size_t)wn);
    char mjerr[1024] = "";
    pthread_mutex_lock(&load_mutex);
    mjModel *model = mj_loadXML(wpath, vfs, mjerr, (int)sizeof mjerr);
    pthread_mutex_unlock(&load_mutex);
    mj_deleteVFS(vfs);
    free(vfs);
    one_line(mjerr);
    if (!model)
        return lfd_fail(err, LFD_EPARSE, "%s: MuJoCo cannot load it with a floor added: %s", path,
                        mjerr[0] ? mjerr : "unknown error");
    *m = model;
    return LFD_OK;
}

int lfd_mj_has_ground(const mjModel *m)
{
    for (int g = 0; g < m->ngeom; g++) {
        if (m->body_weldid[m->geom_bodyid[g]] != 0 ||
            !(m->geom_contype[g] || m->geom_conaffinity[g]))
            continue;
        int t = m->geom_type[g];
        const double *s = m->geom_size + 3 * g;
        if (t == mjGEOM_PLANE || t == mjGEOM_HFIELD ||
            (t == mjGEOM_BOX && s[0] >= 0.5 && s[1] >= 0.5))
            return 1;
    }
    return 0;
}

/* lowest z of a geom in the frame where its centre is pos and orientation
   mat (row-major); only primitive shapes, others use the bounding sphere */
double lfd_mj_geom_lowest(const mjModel *m, int g, const double pos[3], const double mat[9])
{
    const double *s = m->geom_size + 3 * g;
    double r22 = mat[8];
    switch (m->geom_type[g]) {
    case mjGEOM_SPHERE: return pos[2] - s[0];
    case mjGEOM_CAPSULE: return pos[2] - s[1] * fabs(r22) - s[0];
    case mjGEOM_CYLINDER:
        return pos[2] - s[1] * fabs(r22) - s[0] * sqrt(fmax(0.0, 1 - r22 * r22));
    case mjGEOM_BOX:
        return pos[2] - fabs(mat[6]) * s[0] - fabs(mat[7]) * s[1] - fabs(mat[8]) * s[2];
    case mjGEOM_ELLIPSOID: {
        double a = mat[6] * s[0], b = mat[7] * s[1], c = mat[8] * s[2];
        return pos[2] - sqrt(a * a + b * b + c * c);
    }
    default: return pos[2] - m->geom_rbound[g];
    }
}

int lfd_mj_check_data(const mjModel *m, const mjData *d, lfd_err *err)
{
    (void)m;
    static const struct {
        int id;
        int code;
        const char *what;
    } bad[] = {
        {mjWARN_BADQACC, LFD_ENUMERIC, "simulation diverged (NaN or huge acceleration)"},
        {mjWARN_BADQVEL, LFD_ENUMERIC, "simulation diverged (bad velocity)"},
        {mjWARN_BADQPOS, LFD_ENUMERIC, "simulation diverged (bad position)"},
        {mjWARN_BADCTRL, LFD_ENUMERIC, "bad number in the controls"},
        {mjWARN_CONTACTFULL, LFD_ELIMIT, "contact buffer full (raise nconmax)"},
        {mjWARN_CNSTRFULL, LFD_ELIMIT, "constraint buffer full (raise njmax)"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (d->warning[bad[i].id].number > 0)
            return lfd_fail(err, bad[i].code, "at t = %.4f s: %s", d->time, bad[i].what);
    return LFD_OK;
}

mjData *lfd_mj_make_data_kin(const mjModel *m)
{
    /* a shallow copy of the model's sizes and arrays: mj_makeData reads the
       sizes (the stack's among them, kept in the data's own nstack, which
       MuJoCo's stack allocation checks) and resets the data from the arrays */
    mjModel k = *m;
    if (k.nstack > LFD_MJ_KIN_STACK)
        k.nstack = LFD_MJ_KIN_STACK;
    /* no room for contacts or constraints: their arrays (njmax^2 numbers
       among them) are most of the data's buffer */
    if (k.nconmax > 1)
        k.nconmax = 1;
    if (k.njmax > 4)
        k.njmax = 4;
    return mj_makeData(&k);
}

/* copies the compiler sees through (MuJoCo's mju_copy3 is a call into its library) */
static inline void cp3(double *r, const double *a) { r[0] = a[0], r[1] = a[1], r[2] = a[2]; }
static inline void cp4(double *r, const double *a) { r[0] = a[0], r[1] = a[1], r[2] = a[2], r[3] = a[3]; }

void lfd_mj_mark_body(const mjModel *m, unsigned char *body_on, int b)
{
    for (; b > 0 && !body_on[b]; b = m->body_parentid[b])
        body_on[b] = 1;
}

/* The model's bodies but the world a level of the tree at a time (the
   world's children, then theirs, ...; MuJoCo's order within a level), or
   NULL for a model of more than KIN_BODIES bodies.  Kept per thread for the
   last tree asked for (the order follows from body_parentid alone, which
   is compared in full). */
enum { KIN_BODIES = 256 };
static _Thread_local struct {
    int nbody; /* 0: none yet */
    int parent[KIN_BODIES];
    int order[KIN_BODIES];
} tl_kin;

static const int *kin_order(const mjModel *m)
{
    int n = m->nbody;
    if (n > KIN_BODIES)
        return NULL;
    if (tl_kin.nbody == n && !memcmp(tl_kin.parent, m->body_parentid, (size_t)n * sizeof(int)))
        return tl_kin.order;
    int level[KIN_BODIES], count[KIN_BODIES + 1] = {0};
    level[0] = 0;
    for (int i = 1; i < n; i++) {
        level[i] = level[m->body_parentid[i]] + 1; /* parents come first */
        count[level[i]]++;
    }
    for (int l = 1, at = 0; l < n; l++) { /* counts to first places */
        int c = count[l];
        count[l] = at;
        at += c;
    }
    for (int i = 1; i < n; i++)
        tl_kin.order[count[level[i]]++] = i;
    memcpy(tl_kin.parent, m->body_parentid, (size_t)n * sizeof(int));
    tl_kin.nbody = n;
    return tl_kin.order;
}

void lfd_mj_kinematics_some(const mjModel *m, mjData *d, const unsigned char *body_on,
                            const int *geom, int ngeom)
{
    /* qpos's quaternions normalised in place, as mj_kinematics does */
    mj_normalizeQuat(m, d->qpos);
    /* the world's frame */
    mju_zero3(d->xpos);
    mju_unit4(d->xquat);
    mju_zero(d->xmat, 9);
    d->xmat[0] = d->xmat[4] = d->xmat[8] = 1;
    /* The bodies a level of the tree at a time (kin_order), not depth
       first: a body's figures follow from its parent's alone, so they are
       the same in any order that puts parents first, and neighbours in this
       order are independent.  Each body is a chain of dependent operations
       (a product of quaternions, a square root and divisions, then its
       child's) that the processor overlaps with the next body's when that
       is another branch's (the legs, the arms): on H1's 21 bodies 9 % less
       time. */
    const int *order = kin_order(m);
    int nb = m->nbody - 1;
    for (int t = 0; t < nb; t++) {
        int i = order ? order[t] : t + 1;
        if (!body_on[i])
            continue;
        double xpos[3], xquat[4];
        int ja = m->body_jntadr[i], jn = m->body_jntnum[i];
        /* a body's one hinge (most bodies): its half angle's sine and cosine
           first, while nothing of the body is held in registers across the
           call (the same values as where they are used) */
        int hinge1 = jn == 1 && m->jnt_type[ja] == mjJNT_HINGE;
        double sn1 = 0, cs1 = 1;
        if (hinge1) {
            int qa = m->jnt_qposadr[ja];
            double h = 0.5 * (d->qpos[qa] - m->qpos0[qa]);
            sn1 = sin(h), cs1 = cos(h);
        }
        if (jn == 1 && m->jnt_type[ja] == mjJNT_FREE) {
            const double *qf = d->qpos + m->jnt_qposadr[ja];
            cp3(xpos, qf);
            cp4(xquat, qf + 3);
            cp3(d->xanchor + 3 * ja, xpos);
            cp3(d->xaxis + 3 * ja, m->jnt_axis + 3 * ja);
        } else {
            int pid = m->body_parentid[i];
            const double *bpos = m->body_pos + 3 * i, *bquat = m->body_quat + 4 * i;
            if (m->body_mocapid[i] >= 0) {
                bpos = d->mocap_pos + 3 * m->body_mocapid[i];
                bquat = d->mocap_quat + 4 * m->body_mocapid[i];
            }
            if (pid) {
                const double *R = d->xmat + 9 * pid, *pp = d->xpos + 3 * pid;
                xpos[0] = pp[0] + R[0] * bpos[0] + R[1] * bpos[1] + R[2] * bpos[2];
                xpos[1] = pp[1] + R[3] * bpos[0] + R[4] * bpos[1] + R[5] * bpos[2];
                xpos[2] = pp[2] + R[6] * bpos[0] + R[7] * bpos[1] + R[8] * bpos[2];
                /* most bodies of a URDF-made description have no rotation
                   of their own: the product with the identity is its
                   first factor, taken as it is */
                if (bquat[0] == 1 && bquat[1] == 0 && bquat[2] == 0 && bquat[3] == 0)
                    cp4(xquat, d->xquat + 4 * pid);
                else
                    lfd_quat_mul(xquat, d->xquat + 4 * pid, bquat);
            } else {
                cp3(xpos, bpos);
                cp4(xquat, bquat);
            }
            for (int j = ja; j < ja + jn; j++) {
                int qa = m->jnt_qposadr[j];
                const double *jp = m->jnt_pos + 3 * j;
                int off = jp[0] != 0 || jp[1] != 0 || jp[2] != 0;
                double xaxis[3], xanchor[3], qloc[4];
                lfd_quat_rotate(xaxis, xquat, m->jnt_axis + 3 * j);
                if (off) {
                    lfd_quat_rotate(xanchor, xquat, jp);
                    for (int a = 0; a < 3; a++)
                        xanchor[a] += xpos[a];
                } else {
                    cp3(xanchor, xpos);
                }
                switch (m->jnt_type[j]) {
                case mjJNT_SLIDE:
                    for (int a = 0; a < 3; a++)
                        xpos[a] += xaxis[a] * (d->qpos[qa] - m->qpos0[qa]);
                    break;
                case mjJNT_BALL:
                case mjJNT_HINGE: {
                    if (m->jnt_type[j] == mjJNT_BALL) {
                        cp4(qloc, d->qpos + qa); /* normalised above */
                    } else {
                        /* the compiler made jnt_axis a unit vector */
                        const double *ax = m->jnt_axis + 3 * j;
                        double sn = sn1, cs = cs1;
                        if (!hinge1) {
                            double h = 0.5 * (d->qpos[qa] - m->qpos0[qa]);
                            sn = sin(h), cs = cos(h);
                        }
                        qloc[0] = cs, qloc[1] = ax[0] * sn, qloc[2] = ax[1] * sn, qloc[3] = ax[2] * sn;
                    }
                    lfd_quat_mul(xquat, xquat, qloc);
                    if (off) { /* the rotation is about the anchor, not the body's origin */
                        double v[3];
                        lfd_quat_rotate(v, xquat, jp);
                        for (int a = 0; a < 3; a++)
                            xpos[a] = xanchor[a] - v[a];
                    }
                    break;
                }
                default: /* a free joint among others: MuJoCo's compiler refuses it */
                    break;
                }
                cp3(d->xanchor + 3 * j, xanchor);
                cp3(d->xaxis + 3 * j, xaxis);
            }
        }
        double n = sqrt(xquat[0] * xquat[0] + xquat[1] * xquat[1] + xquat[2] * xquat[2] + xquat[3] * xquat[3]);
        double *q = d->xquat + 4 * i, *R = d->xmat + 9 * i;
        if (n > 1e-300)
            for (int a = 0; a < 4; a++)
                q[a] = xquat[a] / n;
        else
            mju_unit4(q);
        cp3(d->xpos + 3 * i, xpos);
        lfd_quat_to_mat(R, q);
    }
    for (int k = 0; k < ngeom; k++) {
        int g = geom[k], b = m->geom_bodyid[g];
        const double *R = d->xmat + 9 * b, *pp = d->xpos + 3 * b, *gp = m->geom_pos + 3 * g;
        double *gx = d->geom_xpos + 3 * g, q[4];
        for (int a = 0; a < 3; a++)
            gx[a] = pp[a] + R[3 * a] * gp[0] + R[3 * a + 1] * gp[1] + R[3 * a + 2] * gp[2];
        lfd_quat_mul(q, d->xquat + 4 * b, m->geom_quat + 4 * g);
        lfd_quat_to_mat(d->geom_xmat + 9 * g, q);
    }
}

void lfd_mj_jac_chain(const mjModel *m, const mjData *d, const double p[3], int body, double *jacp,
                      double *jacr)
{
    int nv = m->nv;
    /* the last dof that moves the body: its own or its nearest moving ancestor's */
    while (body > 0 && m->body_dofnum[body] == 0)
        body = m->body_parentid[body];
    if (body <= 0)
        return;
    for (int da = m->body_dofadr[body] + m->body_dofnum[body] - 1; da >= 0; da = m->dof_parentid[da]) {
        int j = m->dof_jntid[da], type = m->jnt_type[j], i = da - m->jnt_dofadr[j];
        /* scalars, not small arrays: the column is written straight from registers */
        double a0 = 0, a1 = 0, a2 = 0, l0 = 0, l1 = 0, l2 = 0;
        if (type == mjJNT_SLIDE) {
            const double *ax = d->xaxis + 3 * j;
            l0 = ax[0], l1 = ax[1], l2 = ax[2];
        } else if (type == mjJNT_FREE && i < 3) { /* translations, in the world frame */
            l0 = i == 0, l1 = i == 1, l2 = i == 2;
        } else { /* a turn about the hinge's axis, or a free or ball joint's turns
                    about its body's own axes (the columns of xmat) */
            if (type == mjJNT_HINGE) {
                const double *ax = d->xaxis + 3 * j;
                a0 = ax[0], a1 = ax[1], a2 = ax[2];
            } else {
                const double *R = d->xmat + 9 * m->jnt_bodyid[j];
                i -= type == mjJNT_FREE ? 3 : 0;
                a0 = R[i], a1 = R[3 + i], a2 = R[6 + i];
            }
            const double *o = d->xanchor + 3 * j;
            double r0 = p[0] - o[0], r1 = p[1] - o[1], r2 = p[2] - o[2];
            l0 = a1 * r2 - a2 * r1, l1 = a2 * r0 - a0 * r2, l2 = a0 * r1 - a1 * r0; /* a x r */
        }
        if (jacp)
            jacp[da] = l0, jacp[nv + da] = l1, jacp[2 * nv + da] = l2;
        if (jacr)
            jacr[da] = a0, jacr[nv + da] = a1, jacr[2 * nv + da] = a2;
    }
}
