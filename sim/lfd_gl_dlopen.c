/*  lfd_gl_dlopen: libEGL and libglfw are loaded when rendering starts, not
    linked.

    A robot's computer runs `lfd serve` and `lfd ctl-demo` without a display,
    often without Mesa or GLFW installed: nothing outside rendering may need
    them.  So no lfd binary links -lEGL or -lglfw.  This file defines the few
    EGL and GLFW entry points lfd_render.c and lfd_view.c call, with the
    prototypes of the real headers (so the compiler checks every signature);
    the first call opens libEGL.so.1 or libglfw.so.3 with dlopen and forwards
    to it.  When the library is missing, the call fails the way the library
    reports failure (EGL_NO_DISPLAY / EGL_FALSE, glfwInit() == GLFW_FALSE),
    so the renderer's own error path names the problem, and a warning says
    which library could not be opened.

    A new EGL or GLFW call in the renderer is one line in the tables below
    (the link fails with an undefined reference until it is added). */
#include <EGL/egl.h>
#include <GLFW/glfw3.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>

#include "core/lfd_log.h"

/* one shared library opened once, its functions resolved together */
typedef struct gl_lib {
    const char *soname;
    const char *const *names; /* NULL-terminated */
    void **fn;                /* resolved entry points, in the order of names */
    pthread_once_t once;
    int ok;
} gl_lib;

static void lib_open(gl_lib *l)
{
    void *h = dlopen(l->soname, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *e = dlerror();
        lfd_warn("rendering: cannot open %s (%s); install Mesa's EGL and GLFW to render",
                     l->soname, e ? e : "not found");
        return;
    }
    for (int i = 0; l->names[i]; i++)
        if (!(l->fn[i] = dlsym(h, l->names[i]))) {
            lfd_warn("rendering: %s has no %s", l->soname, l->names[i]);
            return;
        }
    l->ok = 1;
}

/* ---- the tables ------------------------------------------------------------------
   R(lib, return type, name, (parameters), (arguments), value when unavailable)
   V(lib, name, (parameters), (arguments))  for functions returning nothing */
#define EGL_FUNCS(R, V)                                                                        \
    R(egl, EGLBoolean, eglBindAPI, (EGLenum api), (api), EGL_FALSE)                            \
    R(egl, EGLBoolean, eglChooseConfig,                                                        \
      (EGLDisplay dpy, const EGLint *attrib, EGLConfig *configs, EGLint size, EGLint *n),      \
      (dpy, attrib, configs, size, n), EGL_FALSE)                                              \
    R(egl, EGLContext, eglCreateContext,                                                       \
      (EGLDisplay dpy, EGLConfig config, EGLContext share, const EGLint *attrib),              \
      (dpy, config, share, attrib), EGL_NO_CONTEXT)                                            \
    R(egl, EGLBoolean, eglDestroyContext, (EGLDisplay dpy, EGLContext ctx), (dpy, ctx),        \
      EGL_FALSE)                                                                               \
    R(egl, EGLDisplay, eglGetDisplay, (EGLNativeDisplayType id), (id), EGL_NO_DISPLAY)         \
    R(egl, EGLint, eglGetError, (void), (), EGL_NOT_INITIALIZED)                               \
    R(egl, __eglMustCastToProperFunctionPointerType, eglGetProcAddress, (const char *name),    \
      (name), NULL)                                                                            \
    R(egl, EGLBoolean, eglInitialize, (EGLDisplay dpy, EGLint *major, EGLint *minor),          \
      (dpy, major, minor), EGL_FALSE)                                                          \
    R(egl, EGLBoolean, eglMakeCurrent,                                                         \
      (EGLDisplay dpy, EGLSurface draw, EGLSurface read, EGLContext ctx),                      \
      (dpy, draw, read, ctx), EGL_FALSE)                                                       \
    R(egl, EGLBoolean, eglTerminate, (EGLDisplay dpy), (dpy), EGL_FALSE)

#define GLFW_FUNCS(R, V)                                                                       \
    R(glfw, int, glfwInit, (void), (), GLFW_FALSE)                                             \
    V(glfw, glfwTerminate, (void), ())                                                         \
    V(glfw, glfwWindowHint, (int hint, int value), (hint, value))                              \
    R(glfw, GLFWwindow *, glfwCreateWindow,                                                    \
      (int w, int h, const char *title, GLFWmonitor *mon, GLFWwindow *share),                  \
      (w, h, title, mon, share), NULL)                                                         \
    V(glfw, glfwDestroyWindow, (GLFWwindow * w), (w))                                          \
    V(glfw, glfwMakeContextCurrent, (GLFWwindow * w), (w))                                     \
    V(glfw, glfwSwapInterval, (int n), (n))                                                    \
    V(glfw, glfwSwapBuffers, (GLFWwindow * w), (w))                                            \
    V(glfw, glfwPollEvents, (void), ())                                                        \
    R(glfw, double, glfwGetTime, (void), (), 0)                                                \
    R(glfw, int, glfwWindowShouldClose, (GLFWwindow * w), (w), 1)                              \
    V(glfw, glfwSetWindowShouldClose, (GLFWwindow * w, int v), (w, v))                         \
    R(glfw, void *, glfwGetWindowUserPointer, (GLFWwindow * w), (w), NULL)                     \
    V(glfw, glfwSetWindowUserPointer, (GLFWwindow * w, void *p), (w, p))                       \
    V(glfw, glfwGetCursorPos, (GLFWwindow * w, double *x, double *y), (w, x, y))               \
    V(glfw, glfwGetWindowSize, (GLFWwindow * w, int *x, int *y), (w, x, y))                    \
    V(glfw, glfwGetFramebufferSize, (GLFWwindow * w, int *x, int *y), (w, x, y))               \
    R(glfw, GLFWkeyfun, glfwSetKeyCallback, (GLFWwindow * w, GLFWkeyfun f), (w, f), NULL)      \
    R(glfw, GLFWmousebuttonfun, glfwSetMouseButtonCallback,                                    \
      (GLFWwindow * w, GLFWmousebuttonfun f), (w, f), NULL)                                    \
    R(glfw, GLFWcursorposfun, glfwSetCursorPosCallback, (GLFWwindow * w, GLFWcursorposfun f),  \
      (w, f), NULL)                                                                            \
    R(glfw, GLFWscrollfun, glfwSetScrollCallback, (GLFWwindow * w, GLFWscrollfun f), (w, f),   \
      NULL)

/* the index of each function in its library's table */
#define IDX_R(lib, ret, name, params, args, fail) IDX_##name,
#define IDX_V(lib, name, params, args) IDX_##name,
enum { EGL_FUNCS(IDX_R, IDX_V) EGL_NFUNCS };
enum { GLFW_FUNCS(IDX_R, IDX_V) GLFW_NFUNCS };

#define NAME_R(lib, ret, name, params, args, fail) #name,
#define NAME_V(lib, name, params, args) #name,
static const char *const egl_names[] = {EGL_FUNCS(NAME_R, NAME_V) NULL};
static const char *const glfw_names[] = {GLFW_FUNCS(NAME_R, NAME_V) NULL};

static void *egl_fn[EGL_NFUNCS], *glfw_fn[GLFW_NFUNCS];
static gl_lib egl = {"libEGL.so.1", egl_names, egl_fn, PTHREAD_ONCE_INIT, 0};
static gl_lib glfw = {"libglfw.so.3", glfw_names, glfw_fn, PTHREAD_ONCE_INIT, 0};

static void egl_open(void) { lib_open(&egl); }
static void glfw_open(void) { lib_open(&glfw); }

/* 1 when lib is open with all its functions (opens it on the first call) */
static int lib_ready(gl_lib *l)
{
    pthread_once(&l->once, l == &egl ? egl_open : glfw_open);
    return l->ok;
}

/* ---- the forwarding definitions ------------------------------------------------------ */
#define DEF_R(lib, ret, name, params, args, fail)                                                  \
    ret name params                                                                                \
    {                                                                                              \
        if (!lib_ready(&lib))                                                                      \
            return fail;                                                                           \
        ret(*fn_) params;                                                                          \
        *(void **)&fn_ = lib##_fn[IDX_##name];                                                     \
        return fn_ args;                                                                           \
    }
#define DEF_V(lib, name, params, args)                                                             \
    void name params                                                                               \
    {                                                                                              \
        if (!lib_ready(&lib))                                                                      \
            return;                                                                                \
        void(*fn_) params;                                                                         \
        *(void **)&fn_ = lib##_fn[IDX_##name];                                                     \
        fn_ args;                                                                                  \
    }

EGL_FUNCS(DEF_R, DEF_V)
GLFW_FUNCS(DEF_R, DEF_V)
