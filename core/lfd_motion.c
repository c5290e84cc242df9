/*  lfd_motion: motion type, .lfdm files and Unitree-layout CSV (see lfd_motion.h). */
#include "core/lfd_motion.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/lfd_io.h"
#include "core/lfd_json.h"
#include "core/lfd_ndarray.h"
#include "core/lfd_quat.h"
#include "core/lfd_seal.h"
#include "core/lfd_sha256.h"


int lfd_motion_alloc(lfd_motion *m, int nframes, int floating, int njoints, int with_qvel,
                     lfd_err *err)
{
    memset(m, 0, sizeof *m);
    if (nframes < 1 || nframes > LFD_MOTION_MAX_FRAMES)
        return lfd_fail(err, LFD_ELIMIT, "motion of %d frames (must be 1..%d)", nframes,
                        LFD_MOTION_MAX_FRAMES);
    if (njoints < 0 || njoints > LFD_MOTION_MAX_JOINTS)
        return lfd_fail(err, LFD_ELIMIT, "motion of %d joints (must be 0..%d)", njoints,
                        LFD_MOTION_MAX_JOINTS);
    m->floating = floating ? 1 : 0;
    m->nframes = nframes;
    m->njoints = njoints;
    m->nq = 7 * m->floating + njoints;
    m->nv = with_qvel ? 6 * m->floating + njoints : 0;
    if (m->nq == 0)
        return lfd_fail(err, LFD_EARG, "motion with no degrees of freedom");
    m->joint_names = calloc((size_t)(njoints ? njoints : 1), sizeof *m->joint_names);
    m->qpos = calloc((size_t)nframes * (size_t)m->nq, sizeof(double));
    m->qvel = with_qvel ? calloc((size_t)nframes * (size_t)m->nv, sizeof(double)) : NULL;
    lfd_prov_init(&m->prov);
    if (!m->joint_names || !m->qpos || (with_qvel && !m->qvel)) {
        lfd_motion_free(m);
        return lfd_fail(err, LFD_ENOMEM, "cannot allocate a motion of %d frames", nframes);
    }
    if (m->floating)
        for (int f = 0; f < nframes; f++)
            lfd_motion_frame(m, f)[3] = 1.0;
    return LFD_OK;
}

void lfd_motion_free(lfd_motion *m)
{
    if (!m)
        return;
    free(m->joint_names);
    free(m->qpos);
    free(m->qvel);
    lfd_prov_free(&m->prov);
    memset(m, 0, sizeof *m);
}

int lfd_motion_copy(lfd_motion *dst, const lfd_motion *src, lfd_err *err)
{
    int rc = lfd_motion_alloc(dst, src->nframes, src->floating, src->njoints, src->qvel != NULL,
                              err);
    if (rc)
        return rc;
    memcpy(dst->robot, src->robot, sizeof dst->robot);
    memcpy(dst->model_hash, src->model_hash, sizeof dst->model_hash);
    dst->fps = src->fps;
    if (src->njoints)
        memcpy(dst->joint_names, src->joint_names, (size_t)src->njoints * sizeof *dst->joint_names);
    memcpy(dst->qpos, src->qpos, (size_t)src->nframes * (size_t)src->nq * sizeof(double));
    if (src->qvel)
        memcpy(dst->qvel, src->qvel, (size_t)src->nframes * (size_t)src->nv * sizeof(double));
    lfd_prov_free(&dst->prov);
    if ((rc = lfd_prov_copy(&dst->prov, &src->prov, err))) {
        lfd_motion_free(dst);
        return rc;
    }
    return LFD_OK;
}

int lfd_motion_validate(const lfd_motion *m, lfd_err *err)
{
    if (m->nframes < 1)
        return lfd_fail(err, LFD_EARG, "motion has no frames");
    if (!(m->fps > 0 && m->fps <= 10000))
        return lfd_fail(err, LFD_EARG, "motion frame rate %g is not in (0, 10000] Hz", m->fps);
    if (m->nq != 7 * m->floating + m->njoints)
        return lfd_fail(err, LFD_EARG, "motion nq %d does not match %d joints%s", m->nq,
                        m->njoints, m->floating ? " + floating base" : "");
    for (int j = 0; j < m->njoints; j++)
        if (!m->joint_names[j][0])
            return lfd_fail(err, LFD_EARG, "motion joint %d has no name", j);
    for (int f = 0; f < m->nframes; f++) {
        const double *q = lfd_motion_frame(m, f);
        for (int c = 0; c < m->nq; c++)
            if (!isfinite(q[c]))
                return lfd_fail(err, LFD_ENUMERIC, "frame %d, qpos column %d is %g", f, c, q[c]);
        if (m->floating) {
            double n = sqrt(q[3] * q[3] + q[4] * q[4] + q[5] * q[5] + q[6] * q[6]);
            if (fabs(n - 1) > 1e-3)
                return lfd_fail(err, LFD_ENUMERIC,
                                "frame %d: root quaternion has norm %.9f, not 1", f, n);
        }
        if (m->qvel)
            for (int c = 0; c < m->nv; c++)
                if (!isfinite(m->qvel[(size_t)f * (size_t)m->nv + (size_t)c]))
                    return lfd_fail(err, LFD_ENUMERIC, "frame %d, qvel column %d is not finite",
                                    f, c);
    }
    return LFD_OK;
}

/* ---- .lfdm encode --------------------------------------------------------- */

int lfd_motion_encode(const lfd_motion *m, lfd_buf *out, lfd_err *err)
{
    int rc = lfd_motion_validate(m, err);
    if (rc)
        return rc;
    msgpack_packer pk;
    lfd_buf_init(out, LFD_MOTION_MAX_FILE);
    lfd_packer_init(&pk, out);
    msgpack_pack_map(&pk, m->qvel ? 11 : 10);
    lfd_mp_pack_cstr(&pk, "format");
    lfd_mp_pack_cstr(&pk, LFD_MOTION_FORMAT);
    lfd_mp_pack_cstr(&pk, "version");
    msgpack_pack_int(&pk, LFD_MOTION_VERSION);
    lfd_mp_pack_cstr(&pk, "robot");
    lfd_mp_pack_cstr(&pk, m->robot);
    lfd_mp_pack_cstr(&pk, "model_hash");
    lfd_mp_pack_cstr(&pk, m->model_hash);
    lfd_mp_pack_cstr(&pk, "fps");
    msgpack_pack_double(&pk, m->fps);
    lfd_mp_pack_cstr(&pk, "floating_base");
    m->floating ? msgpack_pack_true(&pk) : msgpack_pack_false(&pk);
    lfd_mp_pack_cstr(&pk, "joint_names");
    msgpack_pack_array(&pk, (size_t)m->njoints);
    for (int j = 0; j < m->njoints; j++)
        lfd_mp_pack_cstr(&pk, m->joint_names[j]);
    uint64_t shape[2] = {(uint64_t)m->nframes, (uint64_t)m->nq};
    lfd_mp_pack_cstr(&pk, "qpos");
    lfd_nd_pack(&pk, LFD_DT_F64, 2, shape, m->qpos);
    if (m->qvel) {
        shape[1] = (uint64_t)m->nv;
        lfd_mp_pack_cstr(&pk, "qvel");
        lfd_nd_pack(&pk, LFD_DT_F64, 2, shape, m->qvel);
    }
    lfd_mp_pack_cstr(&pk, "provenance");
    lfd_prov_pack(&m->prov, &pk);
    if (!lfd_buf_ok(out)) {
        lfd_buf_free(out);
        return lfd_fail(err, LFD_ELIMIT, "motion encodes to more than %zu bytes",
                        LFD_MOTION_MAX_FILE);
    }
    if ((rc = lfd_seal_append(out, err)))
        lfd_buf_free(out);
    return rc;
}

int lfd_motion_write(const lfd_motion *m, const char *path, lfd_err *err)
{
    lfd_buf b;
    int rc = lfd_motion_encode(m, &b, err);
    if (rc)
        return lfd_err_prefix_rc(err, rc, "%s", path);
    rc = lfd_file_write_atomic(path, b.data, b.len, err);
    lfd_buf_free(&b);
    return rc;
}

/* ---- .lfdm decode --------------------------------------------------------- */

static int decode_body(lfd_motion *m, lfd_mpr *r, lfd_err *err)
{
    uint32_t n;
    int rc = lfd_mpr_map(r, &n, err);
    if (rc)
        return rc;
    char format[32] = "";
    int64_t version = -1;
    double fps = 0;
    int floating = -1, have_names = 0;
    uint32_t nnames = 0;
    const uint8_t *names_at = NULL;
    lfd_ndview qpos, qvel;
    int have_qpos = 0, have_qvel = 0;
    lfd_prov prov;
    lfd_prov_init(&prov);
    char robot[LFD_NAME_MAX] = "", hash[65] = "";
    /* the trailer is one of the n entries; the loop stops before it */
    for (uint32_t i = 0; i + 1 < n; i++) {
        const uint8_t *k;
        uint32_t kl;
        if ((rc = lfd_mpr_bytes(r, &k, &kl, err)))
            goto fail;
        if (lfd_mp_key_is(k, kl, "format"))
            rc = lfd_mpr_cstr(r, format, sizeof format, err);
        else if (lfd_mp_key_is(k, kl, "version"))
            rc = lfd_mpr_int(r, 0, 1000000, &version, err);
        else if (lfd_mp_key_is(k, kl, "robot"))
            rc = lfd_mpr_cstr(r, robot, sizeof robot, err);
        else if (lfd_mp_key_is(k, kl, "model_hash"))
            rc = lfd_mpr_cstr(r, hash, sizeof hash, err);
        else if (lfd_mp_key_is(k, kl, "fps"))
            rc = lfd_mpr_f64(r, &fps, err);
        else if (lfd_mp_key_is(k, kl, "floating_base"))
            rc = lfd_mpr_bool(r, &floating, err);
        else if (lfd_mp_key_is(k, kl, "joint_names")) {
            rc = lfd_mpr_array(r, &nnames, err);
            if (rc == LFD_OK && nnames > LFD_MOTION_MAX_JOINTS)
                rc = lfd_fail(err, LFD_ELIMIT, "%u joint names, at most %d", nnames,
                              LFD_MOTION_MAX_JOINTS);
            names_at = r->p;
            for (uint32_t j = 0; rc == LFD_OK && j < nnames; j++) {
                char tmp[LFD_NAME_MAX];
                rc = lfd_mpr_cstr(r, tmp, sizeof tmp, err);
            }
            have_names = 1;
        } else if (lfd_mp_key_is(k, kl, "qpos")) {
            rc = lfd_nd_read(r, &lfd_nd_caps_file, &qpos, err);
            have_qpos = 1;
        } else if (lfd_mp_key_is(k, kl, "qvel")) {
            rc = lfd_nd_read(r, &lfd_nd_caps_file, &qvel, err);
            have_qvel = 1;
        } else if (lfd_mp_key_is(k, kl, "provenance")) {
            lfd_prov_free(&prov);
            rc = lfd_prov_read(&prov, r, err);
        } else {
            rc = lfd_mpr_skip(r, err);
        }
        if (rc) {
            lfd_err_prefix(err, "key '%.*s'", (int)(kl > 32 ? 32 : kl), (const char *)k);
            goto fail;
        }
    }
    if (strcmp(format, LFD_MOTION_FORMAT)) {
        rc = lfd_fail(err, LFD_EPARSE, "not an lfd motion (format '%s')", format);
        goto fail;
    }
    if (version < 1 || version > LFD_MOTION_VERSION) {
        rc = lfd_fail(err, LFD_EUNSUPPORTED, "motion format version %lld (this lfd reads 1..%d)",
                      (long long)version, LFD_MOTION_VERSION);
        goto fail;
    }
    if (!have_qpos || !have_names || floating < 0) {
        rc = lfd_fail(err, LFD_EPARSE, "motion lacks %s", !have_qpos ? "qpos"
                                                          : !have_names ? "joint_names"
                                                                        : "floating_base");
        goto fail;
    }
    if (qpos.ndim != 2 || qpos.dtype != LFD_DT_F64) {
        rc = lfd_fail(err, LFD_EPARSE, "qpos must be a 2-D <f8 array");
        goto fail;
    }
    int64_t want[2] = {(int64_t)qpos.shape[0], 7 * floating + (int64_t)nnames};
    if ((rc = lfd_nd_expect(&qpos, 2, want, "qpos", err)))
        goto fail;
    if (qpos.shape[0] < 1 || qpos.shape[0] > LFD_MOTION_MAX_FRAMES) {
        rc = lfd_fail(err, LFD_ELIMIT, "motion of %llu frames (must be 1..%d)",
                      (unsigned long long)qpos.shape[0], LFD_MOTION_MAX_FRAMES);
        goto fail;
    }
    if (have_qvel) {
        int64_t wv[2] = {(int64_t)qpos.shape[0], 6 * floating + (int64_t)nnames};
        if (qvel.dtype != LFD_DT_F64) {
            rc = lfd_fail(err, LFD_EPARSE, "qvel must be <f8");
            goto fail;
        }
        if ((rc = lfd_nd_expect(&qvel, 2, wv, "qvel", err)))
            goto fail;
    }
    if ((rc = lfd_motion_alloc(m, (int)qpos.shape[0], floating, (int)nnames, have_qvel, err)))
        goto fail;
    snprintf(m->robot, sizeof m->robot, "%s", robot);
    snprintf(m->model_hash, sizeof m->model_hash, "%s", hash);
    m->fps = fps;
    lfd_mpr nr;
    lfd_mpr_init(&nr, names_at, (size_t)(r->end - names_at));
    for (uint32_t j = 0; j < nnames; j++)
        lfd_mpr_cstr(&nr, m->joint_names[j], LFD_NAME_MAX, NULL);
    lfd_nd_get_f64(&qpos, m->qpos, (size_t)qpos.count, 0, NULL);
    if (have_qvel)
        lfd_nd_get_f64(&qvel, m->qvel, (size_t)qvel.count, 0, NULL);
    lfd_prov_free(&m->prov);
    m->prov = prov;
    lfd_prov_init(&prov);
    if ((rc = lfd_motion_validate(m, err))) {
        lfd_motion_free(m);
        goto fail;
    }
    return LFD_OK;
fail:
    lfd_prov_free(&prov);
    return rc;
}

int lfd_motion_decode(lfd_motion *m, const uint8_t *data, size_t len, const char *name,
                      lfd_err *err)
{
    memset(m, 0, sizeof *m);
    int rc = lfd_seal_check(data, len, name, "lfd motion", err);
    if (rc)
        return rc;
    lfd_mpr r;
    lfd_mpr_init(&r, data, len);
    rc = decode_body(m, &r, err);
    if (rc == LFD_OK && lfd_mpr_offset(&r) != len - LFD_SEAL_LEN) {
        lfd_motion_free(m);
        rc = lfd_fail(err, LFD_EPARSE, "byte %zu: unexpected data before the checksum",
                      lfd_mpr_offset(&r));
    }
    if (rc)
        return lfd_err_prefix_rc(err, rc, "%s", name);
    return LFD_OK;
}

int lfd_motion_read(lfd_motion *m, const char *path, lfd_err *err)
{
    uint8_t *data;
    size_t len;
    memset(m, 0, sizeof *m);
    int rc = lfd_file_read(path, LFD_MOTION_MAX_FILE, &data, &len, err);
    if (rc)
        return rc;
    rc = lfd_motion_decode(m, data, len, path, err);
    free(data);
    return rc;
}

/* ---- CSV ------------------------------------------------------------------- */

/* A CSV has no room for provenance: it travels beside it, in
   PATH.prov.json (the same JSON as `lfd motion info --json` prints), so
   that a motion converted to CSV and back keeps its consent record and
   lineage (without it the round trip made a person's recording look like
   data naming no one, which `lfd train --no-people` accepted). */
#define PROV_SIDECAR_MAX (64u << 20)

static void prov_sidecar(const char *path, char *out, size_t n)
{
    snprintf(out, n, "%s.prov.json", path);
}


static const char *ROOT_COLS[7] = {"root_x", "root_y", "root_z", "root_qx",
                                   "root_qy", "root_qz", "root_qw"};

int lfd_motion_write_csv(const lfd_motion *m, const char *path, int header, lfd_err *err)
{
    int rc = lfd_motion_validate(m, err);
    if (rc)
        return lfd_err_prefix_rc(err, rc, "%s", path);
    lfd_atomic_file af;
    if ((rc = lfd_atomic_open(&af, path, err)))
        return rc;
    if (header) {
        int first = 1;
        for (int c = 0; m->floating && c < 7; c++, first = 0)
            fprintf(af.fp, "%s%s", first ? "" : ",", ROOT_COLS[c]);
        for (int j = 0; j < m->njoints; j++, first = 0)
            fprintf(af.fp, "%s%s", first ? "" : ",", m->joint_names[j]);
        fputc('\n', af.fp);
    }
    for (int f = 0; f < m->nframes; f++) {
        const double *q = lfd_motion_frame(m, f);
        double row[7];
        int c0 = 0;
        if (m->floating) {
            memcpy(row, q, 3 * sizeof(double));
            lfd_quat_to_xyzw(row + 3, q + 3);
            for (int c = 0; c < 7; c++)
                fprintf(af.fp, "%s%.17g", c ? "," : "", row[c]);
            c0 = 7;
        }
        for (int c = c0; c < m->nq; c++)
            fprintf(af.fp, "%s%.17g", c ? "," : "", q[c]);
        fputc('\n', af.fp);
    }
    /* The CSV and its provenance sidecar are replaced together or not at
       all: a failed write must never leave the old CSV beside the new
       motion's record (or without its own), which would make one person's
       recording read back as another's or as no one's.  So every write that
       can run out of space (the CSV, the new sidecar) is finished and
       fsync'd first; the old sidecar is kept in memory; then the sidecar is
       replaced (or removed when this motion carries none) before the CSV,
       so that a CSV is never left without the record its motion carried, and
       if the CSV's rename still fails the old sidecar is put back. */
    char sp[4200];
    prov_sidecar(path, sp, sizeof sp);
    if ((rc = lfd_atomic_sync(&af, err)))
        return rc;
    lfd_atomic_file sf;
    sf.fp = NULL;
    if (m->prov.n > 0) {
        lfd_buf b;
        lfd_buf_init(&b, PROV_SIDECAR_MAX);
        lfd_jw jw;
        lfd_jw_init_buf(&jw, &b, 1);
        rc = lfd_prov_to_json(&m->prov, &jw, err);
        if (rc == LFD_OK && (!b.data || !lfd_buf_ok(&b)))
            rc = lfd_fail(err, LFD_ENOMEM, "%s: out of memory", sp);
        if (rc == LFD_OK && (rc = lfd_atomic_open(&sf, sp, err)) == LFD_OK) {
            /* a short write sets the stream's error flag, which the sync reports */
            fwrite(b.data, 1, b.len, sf.fp);
            rc = lfd_atomic_sync(&sf, err);
        }
        lfd_buf_free(&b);
    }
    uint8_t *old = NULL;
    size_t oldn = 0;
    int had_old = lfd_file_exists(sp);
    if (rc == LFD_OK && had_old)
        rc = lfd_file_read(sp, PROV_SIDECAR_MAX, &old, &oldn, err);
    if (rc == LFD_OK) {
        if (sf.fp)
            rc = lfd_atomic_commit(&sf, err);
        else if (had_old && unlink(sp) != 0)
            rc = lfd_fail(err, LFD_EIO, "%s: cannot remove the stale provenance: %s", sp,
                          strerror(errno));
        if (rc == LFD_OK && (rc = lfd_atomic_commit(&af, err)) != LFD_OK) {
            /* the CSV stayed the old one: so must its sidecar */
            if (had_old)
                lfd_file_write_atomic(sp, old, oldn, NULL);
            else
                unlink(sp);
        }
    }
    lfd_atomic_abort(&sf);
    lfd_atomic_abort(&af);
    free(old);
    return rc;
}

/* Splits one line into fields in place; returns the count (capped at max). */
static int split_fields(char *line, char **fields, int max)
{
    int n = 0;
    char *p = line;
    for (;;) {
        if (n < max)
            fields[n] = p;
        n++;
        char *c = strchr(p, ',');
        if (!c)
            break;
        *c = '\0';
        p = c + 1;
    }
    return n;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

static int parse_num(const char *s, double *v)
{
    if (!*s)
        return -1;
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    return (*end == '\0' && errno != ERANGE) ? 0 : -1;
}

int lfd_motion_read_csv(lfd_motion *m, const char *path, const lfd_csv_opts *opts, lfd_err *err)
{
    memset(m, 0, sizeof *m);
    uint8_t *data;
    size_t len;
    int rc = lfd_file_read(path, LFD_MOTION_MAX_CSV, &data, &len, err);
    if (rc)
        return rc;
    rc = lfd_motion_parse_csv(m, (const char *)data, len, path, opts, err);
    free(data);
    char sp[4200];
    prov_sidecar(path, sp, sizeof sp);
    if (rc == LFD_OK && lfd_file_exists(sp)) {
        if ((rc = lfd_prov_read_json_file(&m->prov, sp, err)))
            lfd_motion_free(m);
    }
    return rc;
}

int lfd_motion_parse_csv(lfd_motion *m, const char *text_in, size_t len, const char *path,
                         const lfd_csv_opts *opts, lfd_err *err)
{
    memset(m, 0, sizeof *m);
    if (!(opts->fps > 0 && opts->fps <= 10000))
        return lfd_fail(err, LFD_EARG, "%s: a frame rate in (0, 10000] Hz is needed for CSV",
                        path);
    if (len > LFD_MOTION_MAX_CSV)
        return lfd_fail(err, LFD_ELIMIT, "%s: CSV of %zu bytes exceeds the cap", path, len);
    /* a private NUL-terminated copy: the parser splits lines in place */
    char *data = malloc(len + 1);
    if (!data)
        return lfd_fail(err, LFD_ENOMEM, "%s: out of memory", path);
    memcpy(data, text_in, len);
    data[len] = '\0';
    if (memchr(data, '\0', len)) {
        free(data);
        return lfd_fail(err, LFD_EPARSE, "%s: CSV contains a NUL byte", path);
    }
    int rc = LFD_OK;
    enum { MAXF = LFD_MOTION_MAX_JOINTS + 8 };
    char *fields[MAXF];
    /* pass 1: count data rows and columns, find the header */
    int rows = 0, cols = -1, header_line = 0;
    char *text = (char *)data;
    int lineno = 0;
    for (char *line = text; line && *line;) {
        char *nl = strchr(line, '\n');
        lineno++;
        size_t ll = nl ? (size_t)(nl - line) : strlen(line);
        char copy[8192];
        if (ll >= sizeof copy) {
            rc = lfd_fail(err, LFD_ELIMIT, "%s:%d: line longer than %zu bytes", path, lineno,
                          sizeof copy - 1);
            goto done;
        }
        memcpy(copy, line, ll);
        copy[ll] = '\0';
        char *t = trim(copy);
        if (*t) {
            int nf = split_fields(t, fields, MAXF);
            if (nf > MAXF) {
                rc = lfd_fail(err, LFD_ELIMIT, "%s:%d: %d columns, at most %d", path, lineno,
                              nf, MAXF);
                goto done;
            }
            double v;
            if (rows == 0 && !header_line && parse_num(trim(fields[0]), &v)) {
                header_line = lineno;
                cols = nf;
            } else {
                if (cols >= 0 && nf != cols) {
                    rc = lfd_fail(err, LFD_EPARSE, "%s:%d: %d columns, expected %d", path,
                                  lineno, nf, cols);
                    goto done;
                }
                cols = nf;
                if (++rows > LFD_MOTION_MAX_FRAMES) {
                    rc = lfd_fail(err, LFD_ELIMIT, "%s: more than %d rows", path,
                                  LFD_MOTION_MAX_FRAMES);
                    goto done;
                }
            }
        }
        line = nl ? nl + 1 : NULL;
    }
    if (rows == 0) {
        rc = lfd_fail(err, LFD_EPARSE, "%s: no data rows", path);
        goto done;
    }
    int root = opts->floating ? 7 : 0;
    int nj = cols - root;
    if (nj < 0 || nj > LFD_MOTION_MAX_JOINTS) {
        rc = lfd_fail(err, LFD_EPARSE, "%s: %d columns cannot hold %s", path, cols,
                      opts->floating ? "a root (7 columns) and joints" : "the joints");
        goto done;
    }
    if (opts->njoint_names && opts->njoint_names != nj) {
        rc = lfd_fail(err, LFD_EMISMATCH, "%s: %d joint columns but the robot has %d joints",
                      path, nj, opts->njoint_names);
        goto done;
    }
    if ((rc = lfd_motion_alloc(m, rows, opts->floating, nj, 0, err)))
        goto done;
    m->fps = opts->fps;
    snprintf(m->robot, sizeof m->robot, "%s", opts->robot ? opts->robot : "");
    snprintf(m->model_hash, sizeof m->model_hash, "%s", opts->model_hash ? opts->model_hash : "");
    for (int j = 0; j < nj; j++) {
        if (opts->njoint_names)
            snprintf(m->joint_names[j], LFD_NAME_MAX, "%s", opts->joint_names[j]);
        else
            snprintf(m->joint_names[j], LFD_NAME_MAX, "joint_%d", j);
    }
    /* pass 2: parse.  A header row's joint names, where the robot's are
       known, say which column holds which joint (they are matched by name;
       an unknown or repeated name is refused), and the root's quaternion
       columns must be x, y, z, w in that order (found by review: the header
       was skipped, so swapped joint columns and a w-first quaternion were
       read in silently, the robot upside down) */
    int colmap[LFD_MOTION_MAX_JOINTS];
    for (int j = 0; j < nj; j++)
        colmap[j] = j;
    int f = 0;
    lineno = 0;
    for (char *line = text; line && *line;) {
        char *nl = strchr(line, '\n');
        lineno++;
        if (nl)
            *nl = '\0';
        char *t = trim(line);
        if (*t) {
            int nf = split_fields(t, fields, MAXF);
            if (lineno == header_line) {
                static const char axes[4] = {'x', 'y', 'z', 'w'};
                for (int c = 3; c < root; c++) {
                    const char *h = trim(fields[c]);
                    size_t hl = strlen(h);
                    char last = hl ? (char)(h[hl - 1] | 0x20) : 0;
                    if (last != axes[c - 3] && last >= 'w' && last <= 'z') {
                        rc = lfd_fail(err, LFD_EPARSE,
                                      "%s:%d: column %d '%s': the root's quaternion columns must be "
                                      "x, y, z, w in that order (%s)",
                                      path, lineno, c + 1, h, "root_qx,root_qy,root_qz,root_qw");
                        lfd_motion_free(m);
                        goto done;
                    }
                }
                if (!opts->njoint_names)
                    for (int j = 0; j < nj; j++)
                        snprintf(m->joint_names[j], LFD_NAME_MAX, "%s", trim(fields[root + j]));
                else {
                    int seen[LFD_MOTION_MAX_JOINTS] = {0};
                    for (int c = 0; c < nj; c++) {
                        const char *h = trim(fields[root + c]);
                        int j = 0;
                        while (j < nj && strcmp(opts->joint_names[j], h))
                            j++;
                        if (j == nj || seen[j]) {
                            rc = lfd_fail(err, LFD_EMISMATCH,
                                          "%s:%d: column %d '%s' %s", path, lineno, root + c + 1, h,
                                          j == nj ? "names no joint of the robot" : "names a joint a column before it named");
                            lfd_motion_free(m);
                            goto done;
                        }
                        seen[j] = 1;
                        colmap[j] = c;
                    }
                }
            } else {
                double *q = lfd_motion_frame(m, f);
                double row[MAXF];
                for (int c = 0; c < nf; c++) {
                    char *s = trim(fields[c]);
                    if (parse_num(s, &row[c])) {
                        rc = lfd_fail(err, LFD_EPARSE, "%s:%d: column %d: '%.32s' is not a number",
                                      path, lineno, c + 1, s);
                        lfd_motion_free(m);
                        goto done;
                    }
                }
                if (root) {
                    memcpy(q, row, 3 * sizeof(double));
                    lfd_quat_from_xyzw(q + 3, row + 3);
                }
                for (int j = 0; j < nj; j++)
                    q[root + j] = row[root + colmap[j]];
                f++;
            }
        }
        line = nl ? nl + 1 : NULL;
    }
    if ((rc = lfd_motion_validate(m, err))) {
        lfd_err_prefix(err, "%s", path);
        lfd_motion_free(m);
    }
done:
    free(data);
    return rc;
}
