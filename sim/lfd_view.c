/*  lfd_view: the interactive viewer on GLFW (lfd_view.h). */
#include "sim/lfd_view.h"

#include <GLFW/glfw3.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/lfd_log.h"
#include "robots/lfd_mj.h"
#include "sim/lfd_render.h"

typedef struct view {
    const mjModel *m;
    mjvCamera cam;
    mjvOption opt;
    mjvScene scn;
    int paused, step, home;
    int dragging;          /* 0 none, 1 rotate, 2 move */
    double lastx, lasty;
} view;

static void on_key(GLFWwindow *w, int key, int scancode, int act, int mods)
{
    (void)scancode;
    (void)mods;
    view *v = glfwGetWindowUserPointer(w);
    if (act == GLFW_RELEASE)
        return;
    if (key == GLFW_KEY_ESCAPE)
        glfwSetWindowShouldClose(w, 1);
    else if (key == GLFW_KEY_SPACE)
        v->paused = !v->paused;
    else if (key == GLFW_KEY_RIGHT)
        v->step = 1, v->paused = 1;
    else if (key == GLFW_KEY_LEFT)
        v->step = -1, v->paused = 1;
    else if (key == GLFW_KEY_HOME)
        v->home = 1;
}

static void on_button(GLFWwindow *w, int button, int act, int mods)
{
    (void)mods;
    view *v = glfwGetWindowUserPointer(w);
    v->dragging = act == GLFW_PRESS ? (button == GLFW_MOUSE_BUTTON_LEFT ? 1 : 2) : 0;
    glfwGetCursorPos(w, &v->lastx, &v->lasty);
}

static void on_move(GLFWwindow *w, double x, double y)
{
    view *v = glfwGetWindowUserPointer(w);
    if (!v->dragging)
        return;
    int width, height;
    glfwGetWindowSize(w, &width, &height);
    double dx = x - v->lastx, dy = y - v->lasty;
    v->lastx = x;
    v->lasty = y;
    int action = v->dragging == 1 ? mjMOUSE_ROTATE_V : mjMOUSE_MOVE_V;
    if (height > 0)
        mjv_moveCamera(v->m, action, dx / height, dy / height, &v->scn, &v->cam);
}

static void on_scroll(GLFWwindow *w, double dx, double dy)
{
    (void)dx;
    view *v = glfwGetWindowUserPointer(w);
    mjv_moveCamera(v->m, mjMOUSE_ZOOM, 0, -0.05 * dy, &v->scn, &v->cam);
}

int lfd_view_motion(const lfd_robot *r, const lfd_motion *m, const lfd_check_report *rep,
                    const char *camera, const char *geom_groups, double max_s,
                    lfd_view_result *res, lfd_err *err)
{
    memset(res, 0, sizeof *res);
    int rc = lfd_robot_motion_check(r, m, err);
    if (rc)
        return rc;
    if (m->nframes <= 0 || !(m->fps > 0))
        return lfd_fail(err, LFD_EARG, "the motion has no frames: nothing to show");
    lfd_mj_init();
    /* camera and geom groups before any window: a bad option opens none */
    lfd_render_camera camp;
    mjtByte groups[mjNGROUP];
    mjData *scratch = mj_makeData(r->m);
    if (!scratch)
        return lfd_fail(err, LFD_ENOMEM, "out of memory");
    rc = lfd_render_camera_plan(r, scratch, m, camera, &camp, err);
    mj_deleteData(scratch);
    if (rc || (rc = lfd_render_geom_groups(r->m, geom_groups, groups, NULL, err)))
        return rc;
    if (!glfwInit())
        return lfd_fail(err, LFD_EUNSUPPORTED,
                        "--view: no display could be opened (GLFW failed to start; is $DISPLAY "
                        "set and reachable?); use -o DIR to render headless");
    glfwWindowHint(GLFW_SAMPLES, 4);
    GLFWwindow *win = glfwCreateWindow(1024, 768, "lfd replay", NULL, NULL);
    if (!win) {
        return lfd_fail(err, LFD_EUNSUPPORTED,
                        "--view: the display gave no OpenGL window; use -o DIR to render headless");
    }
    glfwMakeContextCurrent(win);
    glfwSwapInterval(1);
    view v;
    memset(&v, 0, sizeof v);
    v.m = r->m;
    mjData *d = mj_makeData(r->m);
    unsigned char *hl = calloc((size_t)r->m->nbody, 1);
    mjrContext con;
    mjr_defaultContext(&con);
    mjv_defaultScene(&v.scn);
    if (!d || !hl) {
        rc = lfd_fail(err, LFD_ENOMEM, "out of memory");
        goto done;
    }
    mjv_defaultCamera(&v.cam);
    mjv_defaultOption(&v.opt);
    mjv_makeScene(r->m, &v.scn, 2000);
    mjr_makeContext(r->m, &con, mjFONTSCALE_100);
    memcpy(v.opt.geomgroup, groups, mjNGROUP);
    memcpy(d->qpos, lfd_motion_frame(m, 0), (size_t)r->m->nq * sizeof(double));
    mj_kinematics(r->m, d);
    lfd_render_camera_apply(r, d, &camp, 0, &v.cam);
    glfwSetWindowUserPointer(win, &v);
    glfwSetKeyCallback(win, on_key);
    glfwSetMouseButtonCallback(win, on_button);
    glfwSetCursorPosCallback(win, on_move);
    glfwSetScrollCallback(win, on_scroll);
    double t0 = glfwGetTime(), play_t = 0, last = t0;
    int shown = -1;
    while (!glfwWindowShouldClose(win)) {
        double now = glfwGetTime();
        if (max_s > 0 && now - t0 >= max_s)
            break;
        /* the frame to show: real time in a loop, or stepped by hand */
        if (!v.paused)
            play_t += now - last;
        last = now;
        double T = m->nframes / m->fps;
        if (v.home)
            play_t = 0, v.home = 0;
        if (v.step) {
            /* to the middle of the frame stepped to: from a frame's exact
               start (Home), k/fps*fps rounds down to k-1 and a step to the
               right showed the same frame (review) */
            int cur = (int)floor(play_t * m->fps + 1e-6);
            play_t = (cur + v.step + 0.5) / m->fps;
            v.step = 0;
        }
        play_t = fmod(fmod(play_t, T) + T, T);
        int f = (int)(play_t * m->fps);
        if (f >= m->nframes)
            f = m->nframes - 1;
        const double *q = lfd_motion_frame(m, f);
        double com[3];
        int com_marker = 0;
        int any = lfd_render_findings(r, d, q, rep, f, hl, com, &com_marker);
        memcpy(d->qpos, q, (size_t)r->m->nq * sizeof(double));
        mj_kinematics(r->m, d);
        mj_comPos(r->m, d);
        mj_camlight(r->m, d);
        lfd_render_camera_apply(r, d, &camp, 1, &v.cam);
        mjv_updateScene(r->m, d, &v.opt, NULL, &v.cam, mjCAT_ALL, &v.scn);
        lfd_render_mark_scene(r->m, &v.scn, any ? hl : NULL, com_marker ? com : NULL);
        mjrRect vp = {0, 0, 0, 0};
        glfwGetFramebufferSize(win, &vp.width, &vp.height);
        mjr_render(vp, &v.scn, &con);
        /* what this frame is, and what the check found in it */
        char status[512];
        int n = snprintf(status, sizeof status, "frame %d / %d   %.2f s%s", f, m->nframes - 1, f / m->fps,
                         v.paused ? "   (paused)" : "");
        for (int i = 0; rep && i < rep->nfindings && n < (int)sizeof status - 8; i++) {
            const lfd_check_finding *x = &rep->finding[i];
            if (f >= x->first && f <= x->last && x->severity >= LFD_CHECK_WARN)
                n += snprintf(status + n, sizeof status - (size_t)n, "\n%s", x->msg);
        }
        mjr_overlay(mjFONT_NORMAL, mjGRID_TOPLEFT, vp, status, NULL, &con);
        glfwSwapBuffers(win);
        glfwPollEvents();
        res->redraws++;
        if (f != shown) {
            res->frames_shown++;
            shown = f;
        }
        char msg[256];
        if (lfd_mj_take_error(msg, sizeof msg)) {
            rc = lfd_fail(err, LFD_ENUMERIC, "MuJoCo while drawing: %s", msg);
            break;
        }
    }
done:
    mjr_freeContext(&con);
    mjv_freeScene(&v.scn);
    if (d)
        mj_deleteData(d);
    free(hl);
    glfwDestroyWindow(win);
    /* no glfwTerminate: GLFW stays initialised for the process (like the EGL
       display of lfd_render), because terminating unloads Mesa's GL driver
       with allocations of its own that LeakSanitizer then reports as ours */
    return rc;
}
