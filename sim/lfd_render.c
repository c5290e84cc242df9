/*  lfd_render: offscreen MuJoCo rendering on EGL/surfaceless Mesa, PNG
    frames and an MP4 through ffmpeg (lfd_render.h). */
#include <EGL/egl.h>
#include <EGL/eglext.h>
#include <ctype.h>
#include <dirent.h>
#include <math.h>
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "core/lfd_io.h"
#include "core/lfd_log.h"
#include "robots/lfd_mj.h"
#include "sim/lfd_render.h"

extern char **environ;

#ifndef EGL_PLATFORM_SURFACELESS_MESA
#define EGL_PLATFORM_SURFACELESS_MESA 0x31DD
#endif

struct lfd_render {
    const lfd_robot *r;
    mjModel *m;           /* copy: offscreen buffer sized to the request */
    mjData *d;
    int width, height;
    EGLDisplay dpy;
    EGLContext ctx;
    mjvScene scn;
    mjvCamera cam;
    mjvOption opt;
    mjrContext con;
    int scn_ok, con_ok;
    lfd_render_camera camp; /* the camera's plan */
};

/* ---- EGL ---------------------------------------------------------------------------- */
static int egl_open(lfd_render *rd, lfd_err *err)
{
    /* the surfaceless platform: no display server, no GPU needed */
    PFNEGLGETPLATFORMDISPLAYEXTPROC get_platform_display =
        (PFNEGLGETPLATFORMDISPLAYEXTPROC)eglGetProcAddress("eglGetPlatformDisplayEXT");
    rd->dpy = EGL_NO_DISPLAY;
    if (get_platform_display)
        rd->dpy = get_platform_display(EGL_PLATFORM_SURFACELESS_MESA, EGL_DEFAULT_DISPLAY, NULL);
    if (rd->dpy == EGL_NO_DISPLAY) {
        setenv("EGL_PLATFORM", "surfaceless", 0);
        rd->dpy = eglGetDisplay(EGL_DEFAULT_DISPLAY);
    }
    EGLint major = 0, minor = 0;
    if (rd->dpy == EGL_NO_DISPLAY || !eglInitialize(rd->dpy, &major, &minor))
        return lfd_fail(err, LFD_EUNSUPPORTED,
                        "no EGL display (surfaceless Mesa): cannot render headless here "
                        "(EGL error 0x%x; install libegl-mesa0 and libgl1-mesa-dri)",
                        (unsigned)eglGetError());
    static const EGLint attrs[] = {EGL_RED_SIZE, 8, EGL_GREEN_SIZE, 8, EGL_BLUE_SIZE, 8,
                                   EGL_ALPHA_SIZE, 8, EGL_DEPTH_SIZE, 24, EGL_STENCIL_SIZE, 8,
                                   EGL_SURFACE_TYPE, EGL_PBUFFER_BIT,
                                   EGL_RENDERABLE_TYPE, EGL_OPENGL_BIT, EGL_NONE};
    EGLConfig cfg;
    EGLint ncfg = 0;
    if (!eglChooseConfig(rd->dpy, attrs, &cfg, 1, &ncfg) || ncfg < 1)
        return lfd_fail(err, LFD_EUNSUPPORTED, "EGL: no RGBA8/depth24 OpenGL config (0x%x)",
                        (unsigned)eglGetError());
    if (!eglBindAPI(EGL_OPENGL_API))
        return lfd_fail(err, LFD_EUNSUPPORTED, "EGL: desktop OpenGL not available (0x%x)",
                        (unsigned)eglGetError());
    rd->ctx = eglCreateContext(rd->dpy, cfg, EGL_NO_CONTEXT, NULL);
    if (rd->ctx == EGL_NO_CONTEXT)
        return lfd_fail(err, LFD_EUNSUPPORTED, "EGL: cannot create an OpenGL context (0x%x)",
                        (unsigned)eglGetError());
    if (!eglMakeCurrent(rd->dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, rd->ctx))
        return lfd_fail(err, LFD_EUNSUPPORTED,
                        "EGL: cannot make a surfaceless context current (0x%x)",
                        (unsigned)eglGetError());
    return LFD_OK;
}

/* ---- renderer ---------------------------------------------------------------------- */
typedef struct mk_arg {
    lfd_render *rd;
} mk_arg;

static int make_mj_cb(void *p)
{
    lfd_render *rd = ((mk_arg *)p)->rd;
    mjv_defaultScene(&rd->scn);
    mjv_makeScene(rd->m, &rd->scn, 2000);
    rd->scn_ok = 1;
    mjr_defaultContext(&rd->con);
    mjr_makeContext(rd->m, &rd->con, mjFONTSCALE_100);
    rd->con_ok = 1;
    mjr_setBuffer(mjFB_OFFSCREEN, &rd->con);
    return rd->con.currentBuffer == mjFB_OFFSCREEN ? LFD_OK : LFD_EUNSUPPORTED;
}

void lfd_render_free(lfd_render **prd)
{
    if (!prd || !*prd)
        return;
    lfd_render *rd = *prd;
    if (rd->con_ok)
        mjr_freeContext(&rd->con);
    if (rd->scn_ok)
        mjv_freeScene(&rd->scn);
    if (rd->d)
        mj_deleteData(rd->d);
    if (rd->m)
        mj_deleteModel(rd->m);
    if (rd->dpy != EGL_NO_DISPLAY && rd->dpy) {
        eglMakeCurrent(rd->dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
        if (rd->ctx != EGL_NO_CONTEXT && rd->ctx)
            eglDestroyContext(rd->dpy, rd->ctx);
        /* no eglTerminate: the display is process-wide (another renderer may
           use it), and terminating unloads Mesa's driver with its allocations */
    }
    free(rd);
    *prd = NULL;
}

int lfd_render_new(lfd_render **out, const lfd_robot *r, int width, int height, lfd_err *err)
{
    lfd_mj_init();
    *out = NULL;
    if (width < 16 || height < 16 || width > 4096 || height > 4096)
        return lfd_fail(err, LFD_EARG, "image size %dx%d: must be 16..4096 on each side", width,
                        height);
    lfd_render *rd = calloc(1, sizeof *rd);
    if (!rd)
        return lfd_fail(err, LFD_ENOMEM, "out of memory");
    rd->r = r;
    rd->width = width;
    rd->height = height;
    rd->dpy = EGL_NO_DISPLAY;
    rd->ctx = EGL_NO_CONTEXT;
    int rc = egl_open(rd, err);
    if (!rc) {
        rd->m = mj_copyModel(NULL, r->m);
        rd->d = rd->m ? mj_makeData(rd->m) : NULL;
        if (!rd->d)
            rc = lfd_fail(err, LFD_ENOMEM, "out of memory for the model copy");
    }
    if (!rc) {
        /* the offscreen framebuffer takes its size from the model */
        rd->m->vis.global.offwidth = width;
        rd->m->vis.global.offheight = height;
        mk_arg a = {rd};
        rc = lfd_mj_call(make_mj_cb, &a, err);
        if (rc == LFD_EUNSUPPORTED)
            rc = lfd_fail(err, rc, "MuJoCo could not use its offscreen framebuffer");
    }
    if (rc) {
        lfd_render_free(&rd);
        return rc;
    }
    /* shadows and reflections off: a software renderer's two big costs */
    rd->scn.flags[mjRND_SHADOW] = 0;
    rd->scn.flags[mjRND_REFLECTION] = 0;
    mjv_defaultOption(&rd->opt);
    mjv_defaultCamera(&rd->cam);
    lfd_render_camera c;
    lfd_render_camera_plan(r, rd->d, NULL, NULL, &c, NULL);
    lfd_render_set_camera(rd, &c);
    lfd_render_geom_groups(rd->m, NULL, rd->opt.geomgroup, NULL, NULL);
    *out = rd;
    return LFD_OK;
}

/* ---- camera ------------------------------------------------------------------------- */
static int root_body(const lfd_robot *r) { return r->root_body > 0 ? r->root_body : 1; }

int lfd_render_camera_plan(const lfd_robot *r, mjData *d, const lfd_motion *mo, const char *spec,
                           lfd_render_camera *c, lfd_err *err)
{
    const mjModel *m = r->m;
    memset(c, 0, sizeof *c);
    /* a view from the robot's front-right, a little above (MuJoCo's azimuth
       is the direction the camera looks: 180 looks back at a robot facing
       +x, 140 from its front-right), turned with the robot's first heading */
    c->distance_m = 3.2;
    c->azimuth_deg = 140;
    c->elevation_deg = -15;
    int mode = LFD_CAMERA_AUTO;
    if (!spec || !*spec || !strcmp(spec, "auto"))
        mode = LFD_CAMERA_AUTO;
    else if (!strcmp(spec, "fixed"))
        mode = LFD_CAMERA_FIXED;
    else if (!strcmp(spec, "track"))
        mode = LFD_CAMERA_TRACK;
    else {
        c->model_cam = mj_name2id(m, mjOBJ_CAMERA, spec);
        if (c->model_cam < 0) {
            char names[512] = "";
            size_t n = 0;
            for (int i = 0; i < m->ncam && n < sizeof names - 40; i++) {
                const char *nm = m->names + m->name_camadr[i];
                n += (size_t)snprintf(names + n, sizeof names - n, "%s%s", i ? ", " : "",
                                      *nm ? nm : "(unnamed)");
            }
            return lfd_fail(err, LFD_EARG,
                            "--camera %s: not fixed, track, auto or a camera of the model "
                            "(its cameras: %s)", spec, m->ncam ? names : "none");
        }
        c->mode = LFD_CAMERA_MODEL;
        snprintf(c->note, sizeof c->note, "the model's camera %s", spec);
        return LFD_OK;
    }
    if (!mo || mo->nframes <= 0) {
        c->mode = mode == LFD_CAMERA_FIXED ? LFD_CAMERA_FIXED : LFD_CAMERA_TRACK;
        if (d) {
            mj_kinematics(m, d);
            memcpy(c->lookat, d->xpos + 3 * root_body(r), sizeof c->lookat);
        }
        snprintf(c->note, sizeof c->note, "%s", c->mode == LFD_CAMERA_FIXED ? "fixed" : "tracking the root");
        return LFD_OK;
    }
    /* the root's path: bounding box, mean height, first heading */
    double lo[3] = {INFINITY, INFINITY, INFINITY}, hi[3] = {-INFINITY, -INFINITY, -INFINITY};
    double yaw0 = 0;
    int rb = root_body(r);
    for (int f = 0; f < mo->nframes; f++) {
        memcpy(d->qpos, lfd_motion_frame(mo, f), (size_t)m->nq * sizeof(double));
        mj_kinematics(m, d);
        const double *p = d->xpos + 3 * rb;
        for (int k = 0; k < 3; k++) {
            lo[k] = fmin(lo[k], p[k]);
            hi[k] = fmax(hi[k], p[k]);
        }
        if (f == 0) {
            const double *R = d->xmat + 9 * rb;
            yaw0 = atan2(R[3], R[0]);
        }
    }
    c->travel_m = hypot(hi[0] - lo[0], hi[1] - lo[1]);
    c->azimuth_deg = 140 + yaw0 * 180 / M_PI;
    for (int k = 0; k < 3; k++)
        c->lookat[k] = 0.5 * (lo[k] + hi[k]);
    /* 1 m: a step or two stays in a 3.2 m view; farther, the robot would leave it */
    if (mode == LFD_CAMERA_AUTO)
        mode = c->travel_m > 1.0 ? LFD_CAMERA_TRACK : LFD_CAMERA_FIXED;
    c->mode = mode;
    if (mode == LFD_CAMERA_FIXED) {
        /* far enough that the whole path fits MuJoCo's 45-degree view */
        c->distance_m = fmax(3.2, 1.6 + 1.3 * c->travel_m);
        snprintf(c->note, sizeof c->note, "fixed (the root's path is %.2f m across)", c->travel_m);
    } else {
        snprintf(c->note, sizeof c->note, "tracking the root (its path is %.2f m across)",
                 c->travel_m);
    }
    return LFD_OK;
}

void lfd_render_camera_apply(const lfd_robot *r, const mjData *d, const lfd_render_camera *c,
                             int follow_only, mjvCamera *cam)
{
    if (c->mode == LFD_CAMERA_TRACK) {
        /* the lookat on the root, set outright: MuJoCo's own tracking camera
           eases towards the body by a fifth per update and falls behind a
           walk rendered every n-th frame */
        cam->type = mjCAMERA_FREE;
        memcpy(cam->lookat, d->xpos + 3 * root_body(r), 3 * sizeof(double));
    }
    if (follow_only)
        return;
    if (c->mode == LFD_CAMERA_MODEL) {
        cam->type = mjCAMERA_FIXED;
        cam->fixedcamid = c->model_cam;
        return;
    }
    cam->type = mjCAMERA_FREE;
    if (c->mode == LFD_CAMERA_FIXED)
        memcpy(cam->lookat, c->lookat, sizeof c->lookat);
    cam->distance = c->distance_m;
    cam->azimuth = c->azimuth_deg;
    cam->elevation = c->elevation_deg;
}

void lfd_render_set_camera(lfd_render *rd, const lfd_render_camera *c)
{
    rd->camp = *c;
    lfd_render_camera_apply(rd->r, rd->d, c, 0, &rd->cam);
}

/* ---- geom groups -------------------------------------------------------------------- */
/* 1 if MuJoCo draws geom i with these groups enabled */
static int geom_drawn(const mjModel *m, int i, const mjtByte *group)
{
    int g = m->geom_group[i];
    if (g >= 0 && g < mjNGROUP && !group[g])
        return 0;
    /* fully transparent without a material: nothing to see */
    return m->geom_matid[i] >= 0 || m->geom_rgba[4 * i + 3] > 0;
}

static int robot_geoms_drawn(const mjModel *m, const mjtByte *group)
{
    int n = 0;
    for (int i = 0; i < m->ngeom; i++)
        n += m->geom_bodyid[i] > 0 && geom_drawn(m, i, group);
    return n;
}

int lfd_render_geom_groups(const mjModel *m, const char *spec, mjtByte group[mjNGROUP],
                           int *fallback, lfd_err *err)
{
    if (fallback)
        *fallback = 0;
    if (!spec || !*spec || !strcmp(spec, "auto")) {
        mjvOption o;
        mjv_defaultOption(&o);
        memcpy(group, o.geomgroup, mjNGROUP);
        if (robot_geoms_drawn(m, group))
            return LFD_OK;
        /* no visual geom: show the groups the robot's (collision) geoms are in */
        for (int i = 0; i < m->ngeom; i++) {
            int g = m->geom_group[i];
            if (m->geom_bodyid[i] > 0 && g >= 0 && g < mjNGROUP)
                group[g] = 1;
        }
        if (fallback)
            *fallback = 1;
        return LFD_OK;
    }
    mjtByte g[mjNGROUP] = {0};
    if (!strcmp(spec, "all")) {
        memset(g, 1, sizeof g);
    } else {
        const char *p = spec;
        while (*p) {
            char *end;
            long v = strtol(p, &end, 10);
            if (end == p || v < 0 || v >= mjNGROUP || (*end && *end != ','))
                return lfd_fail(err, LFD_EARG,
                                "--geom-groups %s: give auto, all or group numbers 0..%d "
                                "separated by commas (e.g. 0,1,2,3)", spec, mjNGROUP - 1);
            g[v] = 1;
            p = *end ? end + 1 : end;
        }
    }
    if (!robot_geoms_drawn(m, g)) {
        char have[64] = "";
        size_t n = 0;
        mjtByte seen[mjNGROUP] = {0};
        for (int i = 0; i < m->ngeom; i++) {
            int k = m->geom_group[i];
            if (m->geom_bodyid[i] > 0 && k >= 0 && k < mjNGROUP && !seen[k]) {
                seen[k] = 1;
            }
        }
        for (int k = 0; k < mjNGROUP; k++)
            if (seen[k])
                n += (size_t)snprintf(have + n, sizeof have - n, "%s%d", n ? "," : "", k);
        return lfd_fail(err, LFD_EARG,
                        "--geom-groups %s draws none of the robot's geoms (they are in groups %s)",
                        spec, n ? have : "none");
    }
    memcpy(group, g, mjNGROUP);
    return LFD_OK;
}

int lfd_render_set_geom_groups(lfd_render *rd, const char *spec, int *fallback, lfd_err *err)
{
    return lfd_render_geom_groups(rd->m, spec, rd->opt.geomgroup, fallback, err);
}

void lfd_render_mark_scene(const mjModel *m, mjvScene *scn, const unsigned char *highlight,
                           const double *marker)
{
    /* colour the bodies of the findings of this frame */
    if (highlight)
        for (int i = 0; i < scn->ngeom; i++) {
            mjvGeom *g = &scn->geoms[i];
            if (g->objtype != mjOBJ_GEOM || g->objid < 0 || g->objid >= m->ngeom)
                continue;
            int b = m->geom_bodyid[g->objid];
            if (highlight[b] == 2) {
                g->rgba[0] = 0.9f, g->rgba[1] = 0.1f, g->rgba[2] = 0.1f, g->rgba[3] = 1;
            } else if (highlight[b] == 1) {
                g->rgba[0] = 1.0f, g->rgba[1] = 0.6f, g->rgba[2] = 0.1f, g->rgba[3] = 1;
            }
        }
    if (marker && scn->ngeom < scn->maxgeom) {
        mjvGeom *g = &scn->geoms[scn->ngeom++];
        mjtNum size[3] = {0.06, 0.06, 0.06};
        mjtNum mat[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
        float rgba[4] = {0.9f, 0.1f, 0.1f, 0.8f};
        mjv_initGeom(g, mjGEOM_SPHERE, size, marker, mat, rgba);
    }
}

int lfd_render_pose(lfd_render *rd, const double *qpos, const unsigned char *highlight,
                    const double *marker, uint8_t *rgb, lfd_err *err)
{
    const mjModel *m = rd->m;
    mjData *d = rd->d;
    memcpy(d->qpos, qpos, (size_t)m->nq * sizeof(double));
    mj_kinematics(m, d);
    mj_comPos(m, d);
    mj_camlight(m, d);
    lfd_render_camera_apply(rd->r, d, &rd->camp, 1, &rd->cam);
    mjv_updateScene(m, d, &rd->opt, NULL, &rd->cam, mjCAT_ALL, &rd->scn);
    lfd_render_mark_scene(m, &rd->scn, highlight, marker);
    mjrRect vp = {0, 0, rd->width, rd->height};
    mjr_render(vp, &rd->scn, &rd->con);
    mjr_readPixels(rgb, NULL, vp, &rd->con);
    /* OpenGL's first row is the bottom one */
    size_t row = (size_t)rd->width * 3;
    uint8_t tmp[4096 * 3];
    for (int y = 0; y < rd->height / 2; y++) {
        uint8_t *a = rgb + (size_t)y * row, *b = rgb + (size_t)(rd->height - 1 - y) * row;
        memcpy(tmp, a, row);
        memcpy(a, b, row);
        memcpy(b, tmp, row);
    }
    char msg[256];
    if (lfd_mj_take_error(msg, sizeof msg))
        return lfd_fail(err, LFD_ENUMERIC, "MuJoCo while rendering: %s", msg);
    return LFD_OK;
}

/* ---- PNG ------------------------------------------------------------------------------ */
static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

static void chunk(FILE *fp, const char *type, const uint8_t *data, uint32_t len)
{
    uint8_t hdr[8];
    put32(hdr, len);
    memcpy(hdr + 4, type, 4);
    fwrite(hdr, 1, 8, fp);
    if (len)
        fwrite(data, 1, len, fp);
    uLong crc = crc32(0L, (const Bytef *)type, 4);
    if (len)
        crc = crc32(crc, data, len);
    uint8_t c[4];
    put32(c, (uint32_t)crc);
    fwrite(c, 1, 4, fp);
}

static size_t png_raw_len(int w, int h) { return (size_t)h * ((size_t)w * 3 + 1); }
static size_t png_z_cap(int w, int h) { return compressBound((uLong)png_raw_len(w, h)); }

/* Writes a PNG with caller buffers: raw (png_raw_len bytes) and z (png_z_cap). */
static int png_encode(const char *path, const uint8_t *rgb, int w, int h, uint8_t *raw,
                      uint8_t *z, lfd_err *err)
{
    /* each row: filter byte 0 + RGB */
    size_t raw_len = png_raw_len(w, h);
    uLongf zlen = png_z_cap(w, h);
    for (int y = 0; y < h; y++) {
        raw[(size_t)y * ((size_t)w * 3 + 1)] = 0;
        memcpy(raw + (size_t)y * ((size_t)w * 3 + 1) + 1, rgb + (size_t)y * (size_t)w * 3, (size_t)w * 3);
    }
    if (compress2(z, &zlen, raw, (uLong)raw_len, 3) != Z_OK)
        return lfd_fail(err, LFD_EIO, "%s: PNG compression failed", path);
    lfd_atomic_file af;
    int rc = lfd_atomic_open(&af, path, err);
    if (rc)
        return rc;
    static const uint8_t sig[8] = {137, 80, 78, 71, 13, 10, 26, 10};
    fwrite(sig, 1, 8, af.fp);
    uint8_t ihdr[13];
    put32(ihdr, (uint32_t)w);
    put32(ihdr + 4, (uint32_t)h);
    ihdr[8] = 8;  /* bit depth */
    ihdr[9] = 2;  /* colour type: RGB */
    ihdr[10] = ihdr[11] = ihdr[12] = 0;
    chunk(af.fp, "IHDR", ihdr, 13);
    chunk(af.fp, "IDAT", z, (uint32_t)zlen);
    chunk(af.fp, "IEND", NULL, 0);
    return lfd_atomic_commit(&af, err);
}

int lfd_png_write(const char *path, const uint8_t *rgb, int w, int h, lfd_err *err)
{
    uint8_t *raw = malloc(png_raw_len(w, h)), *z = malloc(png_z_cap(w, h));
    int rc = raw && z ? png_encode(path, rgb, w, h, raw, z, err)
                      : lfd_fail(err, LFD_ENOMEM, "out of memory for a %dx%d PNG", w, h);
    free(raw);
    free(z);
    return rc;
}

/* ---- the replay ------------------------------------------------------------------------- */
void lfd_render_opts_init(lfd_render_opts *o)
{
    memset(o, 0, sizeof *o);
    o->width = 640;
    o->height = 480;
    o->every = 1;
    o->mp4 = 1;
    o->progress = 0;
}

/* ffmpeg as a child reading raw RGB frames on its stdin, a socket (send
   with MSG_NOSIGNAL: an ffmpeg that dies gives EPIPE, not SIGPIPE), into
   DIR/replay.mp4.tmp, renamed to replay.mp4 when it succeeds */
typedef struct ffmpeg_pipe {
    pid_t pid;
    int fd;          /* -1: not running */
    int failed;      /* a write failed: ffmpeg stopped */
    char tmp[4200], out[4200];
} ffmpeg_pipe;

static void ffmpeg_start(ffmpeg_pipe *ff, const char *dir, double fps, int w, int h,
                         lfd_render_result *res)
{
    memset(ff, 0, sizeof *ff);
    ff->fd = -1;
    char rate[32], size[32];
    snprintf(rate, sizeof rate, "%.6g", fps);
    snprintf(size, sizeof size, "%dx%d", w, h);
    snprintf(ff->tmp, sizeof ff->tmp, "%s/replay.mp4.tmp", dir);
    snprintf(ff->out, sizeof ff->out, "%s/replay.mp4", dir);
    char *argv[] = {"ffmpeg", "-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24",
                    "-s", size, "-framerate", rate, "-i", "-", "-c:v", "libx264", "-pix_fmt",
                    "yuv420p", "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", "-f", "mp4", ff->tmp, NULL};
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
        snprintf(res->mp4_note, sizeof res->mp4_note, "no socket for ffmpeg (%s): PNG frames only",
                 strerror(errno));
        return;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, sv[1], 0);
    int rc = posix_spawnp(&ff->pid, "ffmpeg", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(sv[1]);
    if (rc) {
        close(sv[0]);
        snprintf(res->mp4_note, sizeof res->mp4_note,
                 "ffmpeg not found (install Debian's ffmpeg): PNG frames only");
        return;
    }
    ff->fd = sv[0];
}

static void ffmpeg_frame(ffmpeg_pipe *ff, const uint8_t *rgb, size_t len)
{
    while (ff->fd >= 0 && !ff->failed && len > 0) {
        ssize_t n = send(ff->fd, rgb, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            ff->failed = 1;
            break;
        }
        rgb += n;
        len -= (size_t)n;
    }
}

/* ends the input, waits for ffmpeg; keep: 1 to keep the video.  0 when
   replay.mp4 was written, else a note in res */
static int ffmpeg_finish(ffmpeg_pipe *ff, int keep, lfd_render_result *res)
{
    if (ff->fd < 0)
        return -1;
    close(ff->fd);
    ff->fd = -1;
    int st = 0;
    pid_t w;
    while ((w = waitpid(ff->pid, &st, 0)) < 0 && errno == EINTR)
        ;
    int ok = w == ff->pid && WIFEXITED(st) && WEXITSTATUS(st) == 0 && !ff->failed;
    if (ok && keep && rename(ff->tmp, ff->out) == 0)
        return 0;
    unlink(ff->tmp);
    if (keep)
        snprintf(res->mp4_note, sizeof res->mp4_note, "ffmpeg failed (status %d): PNG frames only",
                 w == ff->pid && WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    return -1;
}

int lfd_render_findings(const lfd_robot *r, mjData *d, const double *qpos,
                        const lfd_check_report *rep, int f, unsigned char *hl, double com[3],
                        int *com_marker)
{
    const mjModel *m = r->m;
    int nb = m->nbody, any = 0;
    *com_marker = 0;
    memset(hl, 0, (size_t)nb);
    /* bodies of the findings covering this frame */
    for (int i = 0; rep && i < rep->nfindings; i++) {
        const lfd_check_finding *x = &rep->finding[i];
        if (f < x->first || f > x->last || x->severity < LFD_CHECK_WARN)
            continue;
        unsigned char lv = x->severity == LFD_CHECK_FAIL ? 2 : 1;
        int b[2] = {x->body1, x->body2};
        if (x->joint >= 0 && x->joint < r->njoints)
            b[0] = r->joints[x->joint].body_id;
        for (int s = 0; s < 2; s++)
            if (b[s] > 0 && b[s] < nb && hl[b[s]] < lv)
                hl[b[s]] = lv, any = 1;
        if (x->kind == LFD_CK_ASSIST || x->kind == LFD_CK_ZMP || x->kind == LFD_CK_FALL)
            *com_marker = any = 1;
    }
    if (*com_marker) {
        /* the centre of mass of this pose */
        memcpy(d->qpos, qpos, (size_t)m->nq * sizeof(double));
        mj_kinematics(m, d);
        mj_comPos(m, d);
        memcpy(com, d->subtree_com + 3 * (r->root_body > 0 ? r->root_body : 1), 3 * sizeof(double));
    }
    return any;
}

/* removes dir/frame_NNNNN.png files (an earlier replay's: with frames
   named by motion frame, a replay with another --every would leave them
   mixed in); returns how many */
static int remove_old_frames(const char *dir)
{
    DIR *dp = opendir(dir);
    if (!dp)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(dp))) {
        const char *s = e->d_name;
        size_t len = strlen(s), k = 6;
        if (len < 15 || strncmp(s, "frame_", 6) || strcmp(s + len - 4, ".png"))
            continue;
        while (k < len - 4 && isdigit((unsigned char)s[k]))
            k++;
        if (k != len - 4 || k - 6 < 5)
            continue;
        char path[4400];
        snprintf(path, sizeof path, "%s/%s", dir, s);
        n += unlink(path) == 0;
    }
    closedir(dp);
    /* and its video, finished or cut off: a folder held a new replay's
       frames beside an older replay.mp4 of another motion, or the .tmp an
       interrupted run left (review) */
    const char *vid[2] = {"replay.mp4", "replay.mp4.tmp"};
    for (int i = 0; i < 2; i++) {
        char path[4400];
        snprintf(path, sizeof path, "%s/%s", dir, vid[i]);
        unlink(path);
    }
    return n;
}

int lfd_render_motion(const lfd_robot *r, const lfd_motion *m, const lfd_check_report *rep,
                      const char *dir, const lfd_render_opts *opts, lfd_render_result *res,
                      lfd_err *err)
{
    memset(res, 0, sizeof *res);
    lfd_render_opts def;
    if (!opts) {
        lfd_render_opts_init(&def);
        opts = &def;
    }
    int rc = lfd_robot_motion_check(r, m, err);
    if (rc)
        return rc;
    if (m->nframes <= 0)
        return lfd_fail(err, LFD_EARG, "the motion has no frames: nothing to render");
    /* camera and geom groups first: a bad option writes nothing */
    lfd_render_camera cam;
    mjtByte groups[mjNGROUP];
    int fallback = 0;
    mjData *scratch = mj_makeData(r->m);
    if (!scratch)
        return lfd_fail(err, LFD_ENOMEM, "out of memory");
    rc = lfd_render_camera_plan(r, scratch, m, opts->camera, &cam, err);
    mj_deleteData(scratch);
    if (rc || (rc = lfd_render_geom_groups(r->m, opts->geom_groups, groups, &fallback, err)))
        return rc;
    if ((rc = lfd_mkdir_p(dir, err)))
        return rc;
    lfd_render *rd = NULL;
    if ((rc = lfd_render_new(&rd, r, opts->width, opts->height, err)))
        return rc;
    res->old_frames_removed = remove_old_frames(dir);
    int nb = rd->m->nbody;
    uint8_t *rgb = malloc((size_t)opts->width * (size_t)opts->height * 3);
    unsigned char *hl = calloc((size_t)nb, 1);
    /* the PNG encoder's buffers, once for every frame */
    uint8_t *raw = malloc(png_raw_len(opts->width, opts->height));
    uint8_t *z = malloc(png_z_cap(opts->width, opts->height));
    if (!rgb || !hl || !raw || !z) {
        free(rgb);
        free(hl);
        free(raw);
        free(z);
        lfd_render_free(&rd);
        return lfd_fail(err, LFD_ENOMEM, "out of memory");
    }
    int every = opts->every > 0 ? opts->every : 1;
    memcpy(rd->opt.geomgroup, groups, mjNGROUP);
    lfd_render_set_camera(rd, &cam);
    snprintf(res->camera_note, sizeof res->camera_note, "%s", cam.note);
    if (fallback || (opts->geom_groups && *opts->geom_groups && strcmp(opts->geom_groups, "auto"))) {
        size_t n = (size_t)snprintf(res->groups_note, sizeof res->groups_note, "geom groups");
        for (int g = 0; g < mjNGROUP; g++)
            if (rd->opt.geomgroup[g])
                n += (size_t)snprintf(res->groups_note + n, sizeof res->groups_note - n, " %d", g);
        if (fallback)
            snprintf(res->groups_note + n, sizeof res->groups_note - n,
                     " (no geom of the robot is in the visual groups 0-2: collision geoms shown)");
    }
    lfd_progress prog;
    /* (n - 1) / every + 1, not (n + every - 1) / every: an --every near
       INT_MAX overflowed that and nothing was rendered, exit 0 (review) */
    int total = m->nframes > 0 ? (m->nframes - 1) / every + 1 : 0;
    if (opts->max_frames > 0 && total > opts->max_frames)
        total = opts->max_frames;
    ffmpeg_pipe ff = {.fd = -1};
    res->mp4_fps = m->fps / every;
    res->mp4_speed = 1;
    if (res->mp4_fps < LFD_RENDER_MP4_FPS_MIN) {
        res->mp4_speed = LFD_RENDER_MP4_FPS_MIN / res->mp4_fps;
        res->mp4_fps = LFD_RENDER_MP4_FPS_MIN;
    }
    if (opts->mp4)
        ffmpeg_start(&ff, dir, res->mp4_fps, opts->width, opts->height, res);
    else
        snprintf(res->mp4_note, sizeof res->mp4_note, "MP4 not requested");
    if (opts->progress)
        lfd_progress_start(&prog, "replay", total);
    double t_render = 0;
    for (int k = 0; k < total; k++) {
        int f = (int)((int64_t)k * every); /* < nframes: k <= (nframes - 1) / every */
        const double *q = lfd_motion_frame(m, f);
        double com[3];
        int com_marker = 0;
        int any = lfd_render_findings(r, rd->d, q, rep, f, hl, com, &com_marker);
        double t0 = lfd_now_s();
        rc = lfd_render_pose(rd, q, any ? hl : NULL, com_marker ? com : NULL, rgb, err);
        t_render += lfd_now_s() - t0;
        if (rc)
            break;
        /* named by the motion's frame, as lfd check names frames */
        char path[4200];
        snprintf(path, sizeof path, "%s/frame_%05d.png", dir, f);
        if ((rc = png_encode(path, rgb, opts->width, opts->height, raw, z, err)))
            break;
        ffmpeg_frame(&ff, rgb, (size_t)opts->width * (size_t)opts->height * 3);
        if (!res->frames)
            res->first_frame = f;
        res->last_frame = f;
        res->frames++;
        res->highlighted += any;
        if (opts->progress)
            lfd_progress_update(&prog, k + 1);
        if (opts->cancel && *opts->cancel) {
            rc = lfd_fail(err, LFD_ESTATE, "interrupted after %d of %d frames: no video kept",
                          res->frames, total);
            break;
        }
    }
    if (opts->progress)
        lfd_progress_end(&prog);
    free(rgb);
    free(hl);
    free(raw);
    free(z);
    lfd_render_free(&rd);
    res->mp4_written = ffmpeg_finish(&ff, rc == LFD_OK, res) == 0;
    if (rc)
        return rc;
    res->ms_per_frame = res->frames ? 1000 * t_render / res->frames : 0;
    return LFD_OK;
}
