/*  lfd_robot: loading a robot (MJCF + description file), resolving robot
    names, lookups and motion helpers (see lfd_robot.h; the description
    format is documented in docs/robots.md).

    Loading runs in three steps: parse the description into raw entries that
    remember their line numbers (lfd_robot_desc.c); load the MJCF through MuJoCo (lfd_mj_load,
    which also gives the canonical XML for the model hash); then resolve and
    cross-check every entry against the compiled model, so each error can
    name the description file, the line and the item. */
#include "robots/lfd_robot.h"
#include "core/lfd_util.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/lfd_io.h"
#include "core/lfd_log.h"
#include "core/lfd_sha256.h"
#include "robots/lfd_mj.h"
#include "robots/lfd_robot_desc.h"

/* ---- robot name resolution ----------------------------------------------------- */
static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* out = a + b + c, or 0 if it does not fit (no truncated paths) */
static int join3(char *out, size_t outsz, const char *a, const char *b, const char *c)
{
    size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
    if (la + lb + lc + 1 > outsz)
        return 0;
    memcpy(out, a, la);
    memcpy(out + la, b, lb);
    memcpy(out + la + lb, c, lc + 1);
    return 1;
}

/* appends s to the NUL-terminated dst, truncating at dstsz */
static void append(char *dst, size_t dstsz, const char *s)
{
    size_t l = strlen(dst), n = strlen(s);
    if (l + 1 >= dstsz)
        return;
    if (n > dstsz - l - 1)
        n = dstsz - l - 1;
    memcpy(dst + l, s, n);
    dst[l + n] = '\0';
}

/* candidate folders for built-in robots, in search order */
static int builtin_candidates(char dirs[3][LFD_ROBOT_PATH_MAX])
{
    int n = 0;
    const char *env = getenv("LFD_ROBOTS_DIR");
    if (env && *env)
        snprintf(dirs[n++], LFD_ROBOT_PATH_MAX, "%s", env);
    char exe[LFD_ROBOT_PATH_MAX];
    ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (k > 0) {
        exe[k] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            char raw[LFD_ROBOT_PATH_MAX];
            if (join3(raw, sizeof raw, exe, "/../robots", "")) {
                /* show the folder without "..", when it exists */
                char canon[PATH_MAX];
                if (realpath(raw, canon) && strlen(canon) < LFD_ROBOT_PATH_MAX)
                    snprintf(dirs[n++], LFD_ROBOT_PATH_MAX, "%s", canon);
                else
                    memcpy(dirs[n++], raw, sizeof raw);
            }
        }
    }
    snprintf(dirs[n++], LFD_ROBOT_PATH_MAX, "robots");
    return n;
}

int lfd_robot_builtin_dir(char *dir, size_t dirsz, lfd_err *err)
{
    char dirs[3][LFD_ROBOT_PATH_MAX];
    int n = builtin_candidates(dirs);
    for (int i = 0; i < n; i++)
        if (is_dir(dirs[i])) {
            snprintf(dir, dirsz, "%s", dirs[i]);
            return LFD_OK;
        }
    return lfd_fail(err, LFD_EIO,
                    "no robots folder found (looked in $LFD_ROBOTS_DIR, <program folder>/../robots, "
                    "./robots)");
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

int lfd_robot_list(char (*names)[LFD_NAME_MAX], int max, lfd_err *err)
{
    char dir[LFD_ROBOT_PATH_MAX];
    int rc = lfd_robot_builtin_dir(dir, sizeof dir, err);
    if (rc)
        return rc;
    DIR *dp = opendir(dir);
    if (!dp)
        return lfd_fail(err, LFD_EIO, "%s: cannot list: %s", dir, strerror(errno));
    int n = 0;
    struct dirent *e;
    while ((e = readdir(dp)) && n < max) {
        size_t nl = strlen(e->d_name);
        if (e->d_name[0] == '.' || nl >= LFD_NAME_MAX)
            continue;
        char nm[LFD_NAME_MAX];
        memcpy(nm, e->d_name, nl + 1);
        char sub[2 * LFD_NAME_MAX + 16], p[LFD_ROBOT_PATH_MAX + sizeof sub];
        snprintf(sub, sizeof sub, "/%s/%s.robot", nm, nm);
        if (join3(p, sizeof p, dir, sub, "") && lfd_file_exists(p))
            memcpy(names[n++], nm, nl + 1);
    }
    closedir(dp);
    qsort(names, (size_t)n, sizeof names[0], name_cmp);
    return n;
}

int lfd_robot_resolve(const char *spec, char *out, size_t outsz, lfd_err *err)
{
    if (!spec || !*spec)
        return lfd_fail(err, LFD_EARG, "no robot given");
    int is_path = strchr(spec, '/') || lfd_util_has_suffix(spec, ".xml") || lfd_util_has_suffix(spec, ".robot");
    if (is_path) {
        if (lfd_util_has_suffix(spec, ".xml")) {
            /* an MJCF: its description has the same name with .robot */
            if (!lfd_file_exists(spec))
                return lfd_fail(err, LFD_EIO, "%s: no such MJCF file", spec);
            size_t n = strlen(spec) - 4;
            if (n + 7 > outsz)
                return lfd_fail(err, LFD_ELIMIT, "%s: path too long", spec);
            snprintf(out, outsz, "%.*s.robot", (int)n, spec);
            if (!lfd_file_exists(out))
                return lfd_fail(err, LFD_EIO,
                                "%s: no description file %s beside the MJCF (`lfd robot init %s` "
                                "drafts one; see docs/robots.md)",
                                spec, out, spec);
            return LFD_OK;
        }
        if (!lfd_file_exists(spec))
            return lfd_fail(err, LFD_EIO, "%s: no such robot description file", spec);
        if (strlen(spec) >= outsz)
            return lfd_fail(err, LFD_ELIMIT, "%s: path too long", spec);
        snprintf(out, outsz, "%s", spec);
        return LFD_OK;
    }
    /* a built-in name: the first search folder that has NAME/NAME.robot */
    if (strlen(spec) >= LFD_NAME_MAX)
        return lfd_fail(err, LFD_EARG, "robot name '%.40s...' is too long", spec);
    char dirs[3][LFD_ROBOT_PATH_MAX];
    int nd = builtin_candidates(dirs);
    char looked[1024] = "";
    for (int i = 0; i < nd; i++) {
        char sub[2 * LFD_NAME_MAX + 16];
        snprintf(sub, sizeof sub, "/%s/%s.robot", spec, spec);
        if (join3(out, outsz, dirs[i], sub, "") && lfd_file_exists(out))
            return LFD_OK;
        if (looked[0])
            append(looked, sizeof looked, ", ");
        append(looked, sizeof looked, dirs[i]);
    }
    char names[32][LFD_NAME_MAX];
    int nn = lfd_robot_list(names, 32, NULL);
    char known[512] = "";
    for (int i = 0; i < nn; i++) {
        size_t l = strlen(known);
        snprintf(known + l, sizeof known - l, "%s%s", i ? ", " : "", names[i]);
    }
    return lfd_fail(err, LFD_EARG,
                    "unknown robot '%s' (built-in robots: %s; looked in %s; give a path to a "
                    ".robot description or an MJCF .xml for your own robot)",
                    spec, nn > 0 ? known : "none found", looked);
}

/* ---- resolving against the model ---------------------------------------------- */
static int joint_name_matches(const char *model_name, const char *given)
{
    if (!strcmp(model_name, given))
        return 1;
    /* Unitree names with and without the _joint suffix */
    size_t a = strlen(model_name), b = strlen(given);
    if (a == b + 6 && !strncmp(model_name, given, b) && !strcmp(model_name + b, "_joint"))
        return 1;
    if (b == a + 6 && !strncmp(given, model_name, a) && !strcmp(given + a, "_joint"))
        return 1;
    return 0;
}

int lfd_robot_find_joint(const lfd_robot *r, const char *name)
{
    if (!r || !name)
        return -1;
    for (int j = 0; j < r->njoints; j++)
        if (!strcmp(r->joints[j].name, name))
            return j;
    for (int j = 0; j < r->njoints; j++)
        if (joint_name_matches(r->joints[j].name, name))
            return j;
    return -1;
}

int lfd_robot_find_body(const lfd_robot *r, const char *name)
{
    return r && name ? mj_name2id(r->m, mjOBJ_BODY, name) : -1;
}

static int geom_collides(const mjModel *m, int g)
{
    return m->geom_type[g] != mjGEOM_PLANE && (m->geom_contype[g] || m->geom_conaffinity[g]);
}

/* lowest point of a body's own collision geoms in the body frame (returns 0
   if it has none) */
static int body_lowest_local(const mjModel *m, int b, double *z)
{
    int found = 0;
    for (int g = m->body_geomadr[b]; g >= 0 && g < m->body_geomadr[b] + m->body_geomnum[b]; g++) {
        if (!geom_collides(m, g))
            continue;
        double mat[9];
        mju_quat2Mat(mat, m->geom_quat + 4 * g);
        double lz = lfd_mj_geom_lowest(m, g, m->geom_pos + 3 * g, mat);
        if (!found || lz < *z)
            *z = lz;
        found = 1;
    }
    return found;
}

static int is_descendant(const mjModel *m, int b, int ancestor)
{
    while (b > 0) {
        if (b == ancestor)
            return 1;
        b = m->body_parentid[b];
    }
    return 0;
}

/* lowest world z over the feet (and bodies below them) in the pose in d */
static int feet_lowest_world(const lfd_robot *r, const mjData *d, double *zmin)
{
    const mjModel *m = r->m;
    int found = 0;
    for (int s = 0; s < 2; s++) {
        int fb = r->feet[s].body_id;
        if (fb < 0)
            continue;
        int geoms = 0;
        for (int g = 0; g < m->ngeom; g++) {
            if (!geom_collides(m, g) || !is_descendant(m, m->geom_bodyid[g], fb))
                continue;
            double z = lfd_mj_geom_lowest(m, g, d->geom_xpos + 3 * g, d->geom_xmat + 9 * g);
            if (!found || z < *zmin)
                *zmin = z;
            found = geoms = 1;
        }
        if (!geoms) {
            /* no collision geometry: the sole rectangle's corners */
            const lfd_robot_foot *f = &r->feet[s];
            for (int c = 0; c < 4; c++) {
                double local[3] = {f->sole[c & 1], f->sole[2 + (c >> 1)], f->sole_z}, w[3];
                mju_mulMatVec(w, d->xmat + 9 * fb, local, 3, 3);
                double z = d->xpos[3 * fb + 2] + w[2];
                if (!found || z < *zmin)
                    *zmin = z;
                found = 1;
            }
        }
    }
    return found;
}

double lfd_robot_act_torque_limit(const mjModel *m, int a)
{
    double gear = fabs(m->actuator_gear[6 * a]);
    double lim = INFINITY;
    if (m->actuator_forcelimited[a]) {
        const double *fr = m->actuator_forcerange + 2 * a;
        lim = fmax(fabs(fr[0]), fabs(fr[1])) * gear;
    }
    /* a motor's force is its control */
    if (m->actuator_gaintype[a] == mjGAIN_FIXED && m->actuator_biastype[a] == mjBIAS_NONE &&
        m->actuator_ctrllimited[a]) {
        const double *cr = m->actuator_ctrlrange + 2 * a;
        double g0 = fabs(m->actuator_gainprm[mjNGAIN * a]);
        lim = fmin(lim, fmax(fabs(cr[0]), fabs(cr[1])) * g0 * gear);
    }
    return lim;
}

const double *lfd_robot_act_asym_range(const mjModel *m, int a, const char **what)
{
    const double *lr = NULL;
    if (m->actuator_forcelimited[a]) {
        lr = m->actuator_forcerange + 2 * a;
        *what = "forcerange";
    } else if (m->actuator_gaintype[a] == mjGAIN_FIXED && m->actuator_biastype[a] == mjBIAS_NONE &&
               m->actuator_ctrllimited[a]) {
        lr = m->actuator_ctrlrange + 2 * a; /* a motor's force is its control */
        *what = "ctrlrange";
    }
    return lr && fabs(lr[0] + lr[1]) > 1e-9 * fmax(fabs(lr[0]), fabs(lr[1])) ? lr : NULL;
}

static int resolve_joints(lfd_robot *r, raw_desc *rd, lfd_err *err)
{
    const mjModel *m = r->m;
    const char *mj = r->mjcf_path;
    /* every description entry must name a model joint */
    for (int i = 0; i < rd->njoints; i++) {
        raw_joint *rj = &rd->joints[i];
        /* exact name first, then the _joint alias */
        int found = mj_name2id(m, mjOBJ_JOINT, rj->name);
        for (int jid = 0; jid < m->njnt && found < 0; jid++) {
            const char *jn = mj_id2name(m, mjOBJ_JOINT, jid);
            if (jn && joint_name_matches(jn, rj->name))
                found = jid;
        }
        rj->model_id = found;
        if (found < 0)
            return lfd_fail(err, LFD_EMISMATCH, "%s:%d: joint '%s' is not in the model %s", rd->path,
                            rj->line, rj->name, mj);
        if (m->jnt_type[found] == mjJNT_FREE)
            return lfd_fail(err, LFD_EPARSE,
                            "%s:%d: joint '%s' is the free root joint; list only 1-DoF joints",
                            rd->path, rj->line, rj->name);
        /* the same joint under two spellings (with and without _joint) */
        for (int k = 0; k < i; k++)
            if (rd->joints[k].model_id == found)
                return lfd_fail(err, LFD_EPARSE,
                                "%s:%d: joint '%s' is listed twice (as '%s' at line %d)", rd->path,
                                rj->line, mj_id2name(m, mjOBJ_JOINT, found), rd->joints[k].name,
                                rd->joints[k].line);
    }
    /* the joint table: 1-DoF joints in model order */
    r->joints = calloc((size_t)(m->njnt ? m->njnt : 1), sizeof *r->joints);
    if (!r->joints)
        return lfd_fail(err, LFD_ENOMEM, "out of memory");
    for (int jid = 0; jid < m->njnt; jid++) {
        const char *jname = mj_id2name(m, mjOBJ_JOINT, jid);
        int type = m->jnt_type[jid];
        if (type == mjJNT_FREE) {
            if (m->jnt_qposadr[jid] != 0 || m->body_parentid[m->jnt_bodyid[jid]] != 0)
                return lfd_fail(err, LFD_EUNSUPPORTED,
                                "%s: free joint '%s' is not the first joint of the root body "
                                "(lfd handles one floating base)",
                                mj, jname ? jname : "(unnamed)");
            r->floating = 1;
            r->root_body = m->jnt_bodyid[jid];
            continue;
        }
        if (type == mjJNT_BALL)
            return lfd_fail(err, LFD_EUNSUPPORTED,
                            "%s: ball joint '%s' is not supported (use three hinges)", mj,
                            jname ? jname : "(unnamed)");
        if (!jname || !*jname)
            return lfd_fail(err, LFD_EPARSE, "%s: joint %d has no name (lfd needs joint names)", mj,
                            jid);
        if (r->njoints >= LFD_ROBOT_MAX_JOINTS)
            return lfd_fail(err, LFD_ELIMIT, "%s: more than %d joints", mj, LFD_ROBOT_MAX_JOINTS);
        raw_joint *rj = NULL;
        for (int i = 0; i < rd->njoints && !rj; i++)
            if (rd->joints[i].model_id == jid)
                rj = &rd->joints[i];
        if (!rj)
            return lfd_fail(err, LFD_EMISMATCH,
                            "%s: joint '%s' of the model %s has no 'joint' entry (every 1-DoF joint "
                            "needs its limits)",
                            rd->path, jname, mj);
        lfd_robot_joint *j = &r->joints[r->njoints];
        snprintf(j->name, sizeof j->name, "%s", jname);
        j->jnt_id = jid;
        j->qpos_adr = m->jnt_qposadr[jid];
        j->dof_adr = m->jnt_dofadr[jid];
        j->body_id = m->jnt_bodyid[jid];
        j->type = type;
        j->line = rj->line;
        if (!r->root_body)
            r->root_body = j->body_id;

        /* range: the description may tighten the MJCF's, never widen it */
        int lim = m->jnt_limited[jid];
        double mlo = m->jnt_range[2 * jid], mhi = m->jnt_range[2 * jid + 1];
        if (rj->has_range) {
            if (lim && (rj->lo < mlo - 1e-9 || rj->hi > mhi + 1e-9))
                return lfd_fail(err, LFD_EMISMATCH,
                                "%s:%d: joint %s: range %g..%g is outside the MJCF range %g..%g (%s)",
                                rd->path, rj->line, jname, rj->lo, rj->hi, mlo, mhi, mj);
            j->range_lo = rj->lo;
            j->range_hi = rj->hi;
        } else if (lim) {
            j->range_lo = mlo;
            j->range_hi = mhi;
        } else {
            return lfd_fail(err, LFD_EMISMATCH,
                            "%s:%d: joint %s has no range: the MJCF joint is unlimited, give range=",
                            rd->path, rj->line, jname);
        }
        /* default pose inside the range */
        j->default_q = rj->has_default ? rj->def : 0.0;
        if (j->default_q < j->range_lo || j->default_q > j->range_hi)
            return lfd_fail(err, LFD_EMISMATCH,
                            "%s:%d: joint %s: default %g is outside its range %g..%g", rd->path,
                            rj->line, jname, j->default_q, j->range_lo, j->range_hi);
        if (!rj->has_vel)
            return lfd_fail(err, LFD_EPARSE, "%s:%d: joint %s: no velocity limit (vel=)", rd->path,
                            rj->line, jname);
        j->vel_max = rj->vel;
        j->acc_max = rj->has_acc ? rj->acc : 0;

        /* the joint's actuator: the first one that drives it */
        j->act_id = -1;
        j->ctrl_lo = -INFINITY;
        j->ctrl_hi = INFINITY;
        for (int a = 0; a < m->nu; a++)
            if (m->actuator_trntype[a] == mjTRN_JOINT && m->actuator_trnid[2 * a] == jid) {
                j->act_id = a;
                break;
            }
        double act_lim = INFINITY;
        if (j->act_id >= 0) {
            int a = j->act_id;
            j->act_gear = m->actuator_gear[6 * a];
            if (m->actuator_ctrllimited[a]) {
                j->ctrl_lo = m->actuator_ctrlrange[2 * a];
                j->ctrl_hi = m->actuator_ctrlrange[2 * a + 1];
            }
            const double *gp = m->actuator_gainprm + mjNGAIN * a;
            const double *bp = m->actuator_biasprm + mjNBIAS * a;
            act_lim = lfd_robot_act_torque_limit(m, a);
            /* an actuator that cannot push at all: torque_max would be 0
               (or come from torque= that it can never give), the controller
               would drive nothing and the torque check skips joints without
               a limit, so the joint would pass every check unpowered */
            const char *zero = j->act_gear == 0 ? "gear 0"
                               : m->actuator_gaintype[a] == mjGAIN_FIXED && gp[0] == 0 ? "gain 0"
                               : act_lim == 0 ? "its ctrlrange or forcerange is 0" : NULL;
            if (zero) {
                const char *an = mj_id2name(m, mjOBJ_ACTUATOR, a);
                return lfd_fail(err, LFD_EMISMATCH,
                                "%s:%d: joint %s: its actuator%s%s%s gives 0 N m (%s) (%s)", rd->path,
                                rj->line, jname, an ? " '" : "", an ? an : "", an ? "'" : "", zero, mj);
            }
            if (m->actuator_gaintype[a] == mjGAIN_FIXED && m->actuator_biastype[a] == mjBIAS_NONE &&
                gp[0] != 0 && j->act_gear != 0)
                j->act_kind = LFD_ACT_MOTOR;
            else if (m->actuator_gaintype[a] == mjGAIN_FIXED &&
                     m->actuator_biastype[a] == mjBIAS_AFFINE && gp[0] > 0 && bp[1] == -gp[0])
                j->act_kind = LFD_ACT_POSITION;
            else
                lfd_warn("%s: actuator %d on joint %s is neither a motor nor a position servo; "
                         "lfd's PD control leaves it alone",
                         mj, a, jname);
        }
        /* lfd's limits are symmetric (+-torque_max); an actuator that gives
           0..18 N m would be read as +-18, and the check would pass -10 N m
           that the actuator clamps to 0.  Refused unless the description
           sets the limit itself */
        if (j->act_id >= 0 && !rj->has_torque) {
            int a = j->act_id;
            const char *what = NULL;
            const double *lr = lfd_robot_act_asym_range(m, a, &what);
            if (lr) {
                const char *an = mj_id2name(m, mjOBJ_ACTUATOR, a);
                return lfd_fail(err, LFD_EMISMATCH,
                                "%s:%d: joint %s: its actuator%s%s%s has an asymmetric %s %g..%g, "
                                "but lfd's torque limits are symmetric: give torque= (%s)",
                                rd->path, rj->line, jname, an ? " '" : "", an ? an : "",
                                an ? "'" : "", what, lr[0], lr[1], mj);
            }
        }
        if (rj->has_torque) {
            if (rj->torque > act_lim * (1 + 1e-9))
                return lfd_fail(err, LFD_EMISMATCH,
                                "%s:%d: joint %s: torque %g N m exceeds the MJCF actuator limit %g N m "
                                "(%s)",
                                rd->path, rj->line, jname, rj->torque, act_lim, mj);
            j->torque_max = rj->torque;
        } else if (isfinite(act_lim)) {
            j->torque_max = act_lim;
        } else {
            return lfd_fail(err, LFD_EPARSE,
                            "%s:%d: joint %s: no torque limit (give torque= or a limited actuator in "
                            "the MJCF)",
                            rd->path, rj->line, jname);
        }
        if (j->act_kind != LFD_ACT_NONE && (!rj->has_kp || !rj->has_kd || !(rj->kp > 0)))
            return lfd_fail(err, LFD_EPARSE,
                            "%s:%d: joint %s has an actuator but no PD gains (kp= > 0 and kd=)",
                            rd->path, rj->line, jname);
        j->kp = rj->kp;
        j->kd = rj->kd;
        r->njoints++;
    }
    if (r->floating && r->nq != 7 + r->njoints)
        return lfd_fail(err, LFD_EUNSUPPORTED, "%s: unexpected qpos layout", mj);
    return LFD_OK;
}

static int resolve_body(const lfd_robot *r, const raw_desc *rd, int line, const char *name,
                        lfd_err *err)
{
    int b = mj_name2id(r->m, mjOBJ_BODY, name);
    if (b <= 0)
        return lfd_fail(err, LFD_EMISMATCH, "%s:%d: body '%s' is not in the model %s", rd->path,
                        line, name, r->mjcf_path);
    return b;
}

/* lowest point (z, body b's frame) of the collision geoms of b's subtree,
   with the joints at their description defaults; the caller knows there is
   at least one */
static int subtree_lowest_default(const lfd_robot *r, int b, double *z, lfd_err *err)
{
    const mjModel *m = r->m;
    mjData *d = lfd_mj_make_data_kin(m);
    if (!d)
        return lfd_fail(err, LFD_ENOMEM, "out of memory (mj_makeData)");
    memcpy(d->qpos, m->qpos0, (size_t)m->nq * sizeof(double));
    for (int j = 0; j < r->njoints; j++)
        d->qpos[r->joints[j].qpos_adr] = r->joints[j].default_q;
    mj_kinematics(m, d);
    const double *R = d->xmat + 9 * b, *o = d->xpos + 3 * b;
    int found = 0;
    for (int g = 0; g < m->ngeom; g++) {
        if (!geom_collides(m, g) || !is_descendant(m, m->geom_bodyid[g], b))
            continue;
        /* the geom's pose in b's frame: R^T (p - o), R^T Rg */
        const double *p = d->geom_xpos + 3 * g, *Rg = d->geom_xmat + 9 * g;
        double lp[3], lm[9];
        for (int i = 0; i < 3; i++) {
            lp[i] = R[i] * (p[0] - o[0]) + R[3 + i] * (p[1] - o[1]) + R[6 + i] * (p[2] - o[2]);
            for (int k = 0; k < 3; k++)
                lm[3 * i + k] = R[i] * Rg[k] + R[3 + i] * Rg[3 + k] + R[6 + i] * Rg[6 + k];
        }
        double lz = lfd_mj_geom_lowest(m, g, lp, lm);
        if (!found || lz < *z)
            *z = lz;
        found = 1;
    }
    mj_deleteData(d);
    return LFD_OK;
}

static int resolve_rest(lfd_robot *r, raw_desc *rd, lfd_err *err)
{
    const mjModel *m = r->m;
    int b;
    /* feet: the sole must sit where the foot's collision geometry ends */
    for (int s = 0; s < 2; s++) {
        lfd_robot_foot *f = &r->feet[s];
        f->body_id = -1;
        if (!rd->feet[s].line)
            continue;
        if ((b = resolve_body(r, rd, rd->feet[s].line, rd->feet[s].body, err)) < 0)
            return b;
        f->body_id = b;
        snprintf(f->body, sizeof f->body, "%s", rd->feet[s].body);
        memcpy(f->sole, rd->feet[s].sole, sizeof f->sole);
        f->sole_z = rd->feet[s].z;
        /* a foot stands on the floor through collision geoms: without any
           on it or below it the simulated robot sinks through the floor
           while the checks read the sole rectangle as if it stood */
        int touches = 0;
        for (int g = 0; g < m->ngeom && !touches; g++)
            touches = geom_collides(m, g) && is_descendant(m, m->geom_bodyid[g], b);
        if (!touches)
            return lfd_fail(err, LFD_EMISMATCH,
                            "%s:%d: %s foot: body %s has no collision geoms, nor do the bodies "
                            "below it, so it cannot stand on the floor (%s)",
                            rd->path, rd->feet[s].line, s ? "right" : "left", f->body, r->mjcf_path);
        /* both feet on one body: single support would be read as double */
        if (s == LFD_RIGHT && r->feet[LFD_LEFT].body_id == b)
            return lfd_fail(err, LFD_EPARSE,
                            "%s:%d: right foot: body %s is the left foot's too (line %d); give each "
                            "foot its own body",
                            rd->path, rd->feet[s].line, f->body, rd->feet[LFD_LEFT].line);
        double low;
        if (body_lowest_local(m, b, &low) && fabs(low - f->sole_z) > 0.005)
            return lfd_fail(err, LFD_EMISMATCH,
                            "%s:%d: %s foot: sole z %g m, but the collision geoms of body %s reach "
                            "down to z %g m (%s)",
                            rd->path, rd->feet[s].line, s ? "right" : "left", f->sole_z, f->body,
                            low, r->mjcf_path);
        /* a foot body with no geoms of its own stands on the bodies below
           it: their lowest point in the default pose is its sole (without
           this, any geometry-less link, a shoulder, passed as a foot) */
        if (!body_lowest_local(m, b, &low)) {
            int rc = subtree_lowest_default(r, b, &low, err);
            if (rc)
                return rc;
            if (fabs(low - f->sole_z) > 0.005)
                return lfd_fail(err, LFD_EMISMATCH,
                                "%s:%d: %s foot: sole z %g m, but body %s has no collision geoms and "
                                "those of the bodies below it reach down to z %g m in the default "
                                "pose (%s)",
                                rd->path, rd->feet[s].line, s ? "right" : "left", f->sole_z, f->body,
                                low, r->mjcf_path);
        }
    }
    for (int s = 0; s < 2; s++) {
        lfd_robot_hand *h = &r->hands[s];
        h->body_id = -1;
        if (!rd->hands[s].line)
            continue;
        if ((b = resolve_body(r, rd, rd->hands[s].line, rd->hands[s].body, err)) < 0)
            return b;
        h->body_id = b;
        snprintf(h->body, sizeof h->body, "%s", rd->hands[s].body);
        memcpy(h->offset, rd->hands[s].offset, sizeof h->offset);
    }
    /* excluded self-collision pairs */
    r->exclude = calloc((size_t)(rd->npairs ? rd->npairs : 1), sizeof *r->exclude);
    if (!r->exclude)
        return lfd_fail(err, LFD_ENOMEM, "out of memory");
    for (int i = 0; i < rd->npairs; i++) {
        int b1, b2;
        if ((b1 = resolve_body(r, rd, rd->pairs[i].line, rd->pairs[i].b1, err)) < 0 ||
            (b2 = resolve_body(r, rd, rd->pairs[i].line, rd->pairs[i].b2, err)) < 0)
            return b1 < 0 ? b1 : b2;
        if (b1 == b2)
            return lfd_fail(err, LFD_EPARSE, "%s:%d: 'exclude' names body '%s' twice", rd->path,
                            rd->pairs[i].line, rd->pairs[i].b1);
        r->exclude[r->nexclude].body1 = b1 < b2 ? b1 : b2;
        r->exclude[r->nexclude].body2 = b1 < b2 ? b2 : b1;
        r->nexclude++;
    }
    /* retargeting map */
    r->map = calloc((size_t)(rd->nmap ? rd->nmap : 1), sizeof *r->map);
    if (!r->map)
        return lfd_fail(err, LFD_ENOMEM, "out of memory");
    for (int i = 0; i < rd->nmap; i++) {
        raw_map *e = &rd->map[i];
        for (int k = 0; k < i; k++)
            if (rd->map[k].human == e->human)
                return lfd_fail(err, LFD_EPARSE, "%s:%d: human joint %s is mapped twice (first at "
                                "line %d)", rd->path, e->line, lfd_cjoint_name(e->human), rd->map[k].line);
        if ((b = resolve_body(r, rd, e->line, e->body, err)) < 0)
            return b;
        lfd_robot_map_entry *o = &r->map[r->nmap++];
        o->human = e->human;
        o->body_id = b;
        snprintf(o->body, sizeof o->body, "%s", e->body);
        o->pos_w = e->pos_w;
        o->rot_w = e->rot_w;
        memcpy(o->offset, e->offset, sizeof o->offset);
        memcpy(o->rot_offset, e->rot, sizeof o->rot_offset);
        o->scale = e->scale;
        o->line = e->line;
    }
    return LFD_OK;
}

/* default pose: joints at their default angles, root where the feet touch z = 0 */
static int compute_default(lfd_robot *r, lfd_err *err)
{
    const mjModel *m = r->m;
    r->qpos_default = calloc((size_t)m->nq, sizeof(double));
    if (!r->qpos_default)
        return lfd_fail(err, LFD_ENOMEM, "out of memory");
    memcpy(r->qpos_default, m->qpos0, (size_t)m->nq * sizeof(double));
    for (int j = 0; j < r->njoints; j++)
        r->qpos_default[r->joints[j].qpos_adr] = r->joints[j].default_q;
    r->mass_kg = 0;
    for (int b = 0; b < m->nbody; b++)
        r->mass_kg += m->body_mass[b];
    if (!r->floating || (r->feet[0].body_id < 0 && r->feet[1].body_id < 0))
        return LFD_OK;
    mjData *d = lfd_mj_make_data_kin(m);
    if (!d)
        return lfd_fail(err, LFD_ENOMEM, "out of memory (mj_makeData)");
    memcpy(d->qpos, r->qpos_default, (size_t)m->nq * sizeof(double));
    d->qpos[2] = 0;
    mj_kinematics(m, d);
    double zmin = 0;
    if (feet_lowest_world(r, d, &zmin))
        r->qpos_default[2] = -zmin;
    mj_deleteData(d);
    return LFD_OK;
}

static void basename_noext(const char *path, char *out, size_t outsz)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    const char *dot = strrchr(b, '.');
    size_t n = dot && dot > b ? (size_t)(dot - b) : strlen(b);
    if (n >= outsz)
        n = outsz - 1;
    memcpy(out, b, n);
    out[n] = '\0';
}

/* a floating robot needs ground: without any, reload the MJCF with a plane
   that collides with every geom that can collide (the union of their bits) */
static int add_floor_if_none(lfd_robot *r, lfd_err *err)
{
    mjModel *m = r->m;
    int floating = 0;
    for (int j = 0; j < m->njnt; j++)
        floating |= m->jnt_type[j] == mjJNT_FREE;
    if (!floating || lfd_mj_has_ground(m))
        return LFD_OK;
    int bits = 0;
    for (int g = 0; g < m->ngeom; g++)
        bits |= m->geom_contype[g] | m->geom_conaffinity[g];
    if (!bits)
        bits = 1;
    mjModel *fm = NULL;
    int rc = lfd_mj_load_with_floor(r->mjcf_path, bits, bits, &fm, err);
    if (rc)
        return rc;
    if (fm->nq != m->nq || fm->nbody != m->nbody || fm->njnt != m->njnt || fm->nu != m->nu) {
        mj_deleteModel(fm);
        return lfd_fail(err, LFD_EUNSUPPORTED, "%s: the model changed when a floor was added",
                        r->mjcf_path);
    }
    mj_deleteModel(m);
    r->m = fm;
    r->floor_added = 1;
    lfd_warn("%s: the model has no ground (floor plane): lfd adds a plane at z = 0 for simulation; "
             "add a floor to the MJCF to silence this",
             r->mjcf_path);
    return LFD_OK;
}

int lfd_robot_load_desc(lfd_robot **out, const char *desc_path, lfd_err *err)
{
    *out = NULL;
    uint8_t *text = NULL;
    size_t len = 0;
    int rc = lfd_file_read(desc_path, LFD_ROBOT_DESC_MAX_BYTES, &text, &len, err);
    if (rc)
        return rc;
    rc = lfd_robot_load_text(out, desc_path, (const char *)text, len, err);
    free(text);
    return rc;
}

int lfd_robot_load_text(lfd_robot **out, const char *desc_path, const char *desc_text, size_t len,
                        lfd_err *err)
{
    *out = NULL;
    lfd_mj_init();
    int rc;
    if (len > LFD_ROBOT_DESC_MAX_BYTES)
        return lfd_fail(err, LFD_ELIMIT, "%s: description larger than %u bytes", desc_path,
                        LFD_ROBOT_DESC_MAX_BYTES);
    if (memchr(desc_text, '\0', len))
        return lfd_fail(err, LFD_EPARSE, "%s: not a text file (contains a NUL byte)", desc_path);
    char *text = malloc(len + 1);
    if (!text)
        return lfd_fail(err, LFD_ENOMEM, "out of memory");
    memcpy(text, desc_text, len);
    text[len] = '\0';
    raw_desc *rd = calloc(1, sizeof *rd);
    lfd_robot *r = calloc(1, sizeof *r);
    if (rd)
        rd->pairs = calloc(LFD_ROBOT_MAX_EXCLUDE, sizeof *rd->pairs);
    if (!rd || !r || !rd->pairs) {
        rc = lfd_fail(err, LFD_ENOMEM, "out of memory");
        goto done;
    }
    rd->path = desc_path;
    if ((rc = lfd_robot_desc_parse(rd, text, err)))
        goto done;

    /* the MJCF: absolute, or relative to the description's folder */
    snprintf(r->desc_path, sizeof r->desc_path, "%s", desc_path);
    if (rd->mjcf[0] == '/') {
        snprintf(r->mjcf_path, sizeof r->mjcf_path, "%s", rd->mjcf);
    } else {
        const char *slash = strrchr(desc_path, '/');
        int dl = slash ? (int)(slash - desc_path) : 0;
        if ((size_t)dl + strlen(rd->mjcf) + 2 > sizeof r->mjcf_path) {
            rc = lfd_fail(err, LFD_ELIMIT, "%s:%d: mjcf path too long", desc_path, rd->mjcf_line);
            goto done;
        }
        char dir[LFD_ROBOT_PATH_MAX];
        snprintf(dir, sizeof dir, "%.*s", dl, desc_path);
        if (!join3(r->mjcf_path, sizeof r->mjcf_path, slash ? dir : "", slash ? "/" : "",
                   rd->mjcf)) {
            rc = lfd_fail(err, LFD_ELIMIT, "%s:%d: mjcf path too long", desc_path, rd->mjcf_line);
            goto done;
        }
    }
    if (!lfd_file_exists(r->mjcf_path)) {
        rc = lfd_fail(err, LFD_EIO, "%s:%d: MJCF file '%s' not found (looked for %s)", desc_path,
                      rd->mjcf_line, rd->mjcf, r->mjcf_path);
        goto done;
    }
    char *xml = NULL;
    size_t xml_len = 0;
    if ((rc = lfd_mj_load(&r->m, &xml, &xml_len, r->mjcf_path, err)))
        goto done;
    lfd_sha256_buf_hex(xml, xml_len, r->model_hash);
    free(xml);
    if ((rc = add_floor_if_none(r, err)))
        goto done;

    if (rd->name[0])
        snprintf(r->name, sizeof r->name, "%s", rd->name);
    else
        basename_noext(desc_path, r->name, sizeof r->name);
    snprintf(r->source, sizeof r->source, "%s", rd->source);
    r->nq = r->m->nq;
    r->nv = r->m->nv;
    r->nu = r->m->nu;
    if ((rc = resolve_joints(r, rd, err)) || (rc = resolve_rest(r, rd, err)) ||
        (rc = compute_default(r, err)))
        goto done;
    *out = r;
    r = NULL;
done:
    free(text);
    if (rd)
        free(rd->pairs);
    free(rd);
    lfd_robot_free(&r);
    return rc;
}

int lfd_robot_load(lfd_robot **r, const char *spec, lfd_err *err)
{
    char path[LFD_ROBOT_PATH_MAX];
    *r = NULL;
    int rc = lfd_robot_resolve(spec, path, sizeof path, err);
    if (rc)
        return rc;
    return lfd_robot_load_desc(r, path, err);
}

void lfd_robot_free(lfd_robot **rp)
{
    if (!rp || !*rp)
        return;
    lfd_robot *r = *rp;
    if (r->m)
        mj_deleteModel(r->m);
    free(r->joints);
    free(r->exclude);
    free(r->map);
    free(r->qpos_default);
    free(r);
    *rp = NULL;
}

/* ---- self-collision filter ----------------------------------------------------- */
int lfd_robot_pair_excluded(const lfd_robot *r, int b1, int b2)
{
    const mjModel *m = r->m;
    if (b1 < 0 || b2 < 0 || b1 >= m->nbody || b2 >= m->nbody)
        return 1;
    /* the same rigid body, or parent and child (through welded bodies) */
    int w1 = m->body_weldid[b1], w2 = m->body_weldid[b2];
    if (w1 == w2)
        return 1;
    int p1 = m->body_weldid[m->body_parentid[w1]], p2 = m->body_weldid[m->body_parentid[w2]];
    if ((p1 == w2 && w2 != 0) || (p2 == w1 && w1 != 0))
        return 1;
    /* MJCF <exclude> pairs (signature ((b1 + 1) << 16) + b2 + 1) */
    int lo = b1 < b2 ? b1 : b2, hi = b1 < b2 ? b2 : b1;
    int sig1 = ((lo + 1) << 16) + hi + 1, sig2 = ((hi + 1) << 16) + lo + 1;
    for (int i = 0; i < m->nexclude; i++)
        if (m->exclude_signature[i] == sig1 || m->exclude_signature[i] == sig2)
            return 1;
    for (int i = 0; i < r->nexclude; i++)
        if (r->exclude[i].body1 == lo && r->exclude[i].body2 == hi)
            return 1;
    return 0;
}

/* ---- motions -------------------------------------------------------------------- */
int lfd_robot_motion_alloc(const lfd_robot *r, lfd_motion *m, int nframes, double fps,
                           int with_qvel, lfd_err *err)
{
    int rc = lfd_motion_alloc(m, nframes, r->floating, r->njoints, with_qvel, err);
    if (rc)
        return rc;
    snprintf(m->robot, sizeof m->robot, "%s", r->name);
    snprintf(m->model_hash, sizeof m->model_hash, "%s", r->model_hash);
    m->fps = fps;
    for (int j = 0; j < r->njoints; j++)
        snprintf(m->joint_names[j], LFD_NAME_MAX, "%s", r->joints[j].name);
    for (int f = 0; f < nframes; f++)
        memcpy(lfd_motion_frame(m, f), r->qpos_default, (size_t)r->nq * sizeof(double));
    return LFD_OK;
}

static int is_placeholder(const char *name, int j)
{
    char p[32];
    snprintf(p, sizeof p, "joint_%d", j);
    return !strcmp(name, p);
}

int lfd_robot_motion_check(const lfd_robot *r, const lfd_motion *m, lfd_err *err)
{
    if (m->robot[0] && strcmp(m->robot, r->name))
        return lfd_fail(err, LFD_EMISMATCH, "the motion is for robot '%s', not '%s'", m->robot,
                        r->name);
    if (m->floating != r->floating)
        return lfd_fail(err, LFD_EMISMATCH, "the motion has a %s base, robot %s a %s base",
                        m->floating ? "floating" : "fixed", r->name,
                        r->floating ? "floating" : "fixed");
    if (m->njoints != r->njoints)
        return lfd_fail(err, LFD_EMISMATCH, "the motion has %d joints, robot %s has %d", m->njoints,
                        r->name, r->njoints);
    for (int j = 0; j < r->njoints; j++) {
        const char *n = m->joint_names[j];
        if (is_placeholder(n, j) || joint_name_matches(r->joints[j].name, n))
            continue;
        int k = lfd_robot_find_joint(r, n);
        if (k >= 0)
            return lfd_fail(err, LFD_EMISMATCH,
                            "joint %d of the motion is '%s', which is joint %d of robot %s (joint "
                            "order differs)",
                            j, n, k, r->name);
        return lfd_fail(err, LFD_EMISMATCH, "joint %d of the motion is '%s', robot %s has '%s' there",
                        j, n, r->name, r->joints[j].name);
    }
    if (m->model_hash[0] && strcmp(m->model_hash, r->model_hash))
        return lfd_fail(err, LFD_EMISMATCH,
                        "the motion was made for another model of robot %s (model hash %.12s..., "
                        "this model %.12s...)",
                        r->name, m->model_hash, r->model_hash);
    return LFD_OK;
}
