/*  lfd_mj: MuJoCo plumbing shared by the whole project.

    MuJoCo 2.2.2 reports fatal errors through mju_error(), whose default
    handler prints, waits for Enter on stdin and exits the process: a library
    must never do that.  This module installs lfd's own handlers once per
    process (lfd_mj_init, thread-safe, called by every function here):

      - a MuJoCo error raised inside lfd_mj_call() (on the same thread) jumps
        back to lfd_mj_call, which returns LFD_ENUMERIC with MuJoCo's text in
        the lfd_err.  Anything the callback allocated before the error is not
        freed: keep allocations outside the guarded callback.
      - an error outside any guard is logged, remembered for the thread
        (lfd_mj_take_error) and MuJoCo continues as its own code allows: wrap
        calls that can fail (mj_makeData, mj_step on a model you did not
        check) in lfd_mj_call.
      - warnings are logged at debug level and remembered (lfd_mj_last_warning).

    MuJoCo also keeps global state: the XML compiler swaps the global error
    handlers while it runs and mj_saveLastXML() saves whatever model was
    loaded last by any thread.  lfd_mj_load() therefore loads and saves under
    one process-wide mutex; nothing else in lfd may call mj_loadXML or
    mj_saveLastXML directly.  (A MuJoCo error raised on another thread while a
    load is compiling would meet the compiler's handler: loads are short and
    errors rare, but keep heavy simulation threads away from loading.)
*/
#ifndef LFD_MJ_H
#define LFD_MJ_H

#include <stddef.h>

#include <mujoco/mujoco.h>

#include "core/lfd_err.h"

/* Installs lfd's mju_user_error / mju_user_warning handlers (once; safe to
   call from any thread, any number of times). */
void lfd_mj_init(void);

/* Runs fn(arg) with MuJoCo errors turned into a status: returns fn's status,
   or LFD_ENUMERIC with "MuJoCo error: <text>" in err if MuJoCo raised an
   error meanwhile.  Calls nest. */
int lfd_mj_call(int (*fn)(void *arg), void *arg, lfd_err *err);

/* Copies and clears the last MuJoCo error raised on this thread outside any
   lfd_mj_call guard.  Returns 1 if there was one (msg filled), else 0. */
int lfd_mj_take_error(char *msg, size_t msgsz);

/* The last MuJoCo warning text seen on this thread ("" if none). */
const char *lfd_mj_last_warning(void);

/* Loads and compiles an MJCF file.  On success *m is a new model (free with
   mj_deleteModel) and, if xml is non-NULL, *xml and *xml_len hold MuJoCo's
   canonical XML of the compiled model (mj_saveLastXML output, NUL-terminated,
   free with free()), which lfd hashes as the model hash.  On failure *m (and
   *xml) are NULL and err reads "<path>: <MuJoCo's message>" (MuJoCo's
   message names the line). */
int lfd_mj_load(mjModel **m, char **xml, size_t *xml_len, const char *path, lfd_err *err);

/* Loads the MJCF at path with a ground plane added at z = 0 (an infinite
   plane on the world body named "lfd_floor", whose contype and conaffinity
   are the given bits): the file is included from a small wrapper model held
   in MuJoCo's virtual file system beside it, so <include>, meshdir and
   every other path in the MJCF resolve as they do when loading it alone.
   Body, joint, actuator ids and qpos layout are the file's own; world geom
   ids after the file's own world geoms shift by one.  The caller frees *m
   with mj_deleteModel; *m is NULL on failure. */
int lfd_mj_load_with_floor(const char *path, int contype, int conaffinity, mjModel **m,
                           lfd_err *err);

/* 1 if the model has ground: a colliding plane, height field, or box at
   least 1 m across, fixed to the world. */
int lfd_mj_has_ground(const mjModel *m);

/* Lowest z of geom g when its centre is at pos with orientation mat
   (row-major) in some frame: exact for spheres, capsules, cylinders, boxes
   and ellipsoids, the bounding sphere for other shapes. */
double lfd_mj_geom_lowest(const mjModel *m, int g, const double pos[3], const double mat[9]);

/* An mjData for kinematics, Jacobians, centre of mass and inverse dynamics
   (mj_kinematics, mj_comPos, mj_jac*, mj_rne, ...), with a stack of
   LFD_MJ_KIN_STACK numbers and no room for contacts or constraints: the
   models' contact buffers (nconmax 400, njmax 1600) make MuJoCo's stack
   about 100 MB and its buffer 32 MB, which mj_makeData clears (9 ms and
   page faults, most of a short clip's retargeting).  Do not run
   mj_collision, mj_forward or mj_step on it.  The caller frees it
   with mj_deleteData; NULL when out of memory. */
#define LFD_MJ_KIN_STACK 50000
mjData *lfd_mj_make_data_kin(const mjModel *m);

/* Forward kinematics of some bodies and geoms, for solvers that evaluate
   a few bodies thousands of times (the retargeter's IK): xpos, xquat and
   xmat of every body whose body_on[] is set (nbody flags; a set body's
   ancestors must be set too), xanchor and xaxis of their joints, and
   geom_xpos / geom_xmat of the ngeom geoms listed; qpos's quaternions are
   normalised in place.  The same transforms as mj_kinematics, in lfd's own
   arithmetic: equal to its figures to rounding (1e-14,
   tests/test_robots_mj.c), without its calls per vector and the inertial
   frames, sites and other geoms it also computes.  Everything else in d is
   left as it was.  No allocation. */
void lfd_mj_kinematics_some(const mjModel *m, mjData *d, const unsigned char *body_on,
                            const int *geom, int ngeom);

/* Sets body_on[] for body b and its ancestors (the world excluded), the
   flags lfd_mj_kinematics_some needs for reading b; b < 1: nothing. */
void lfd_mj_mark_body(const mjModel *m, unsigned char *body_on, int b);

/* The Jacobian of world point p moving with body: for every dof on the
   body's chain (the dofs that move it, as mj_jac walks them), its column of
   jacp (3 x nv, row-major, d p / d qvel) and of jacr (angular velocity);
   either may be NULL.  Other columns are not touched (mj_jac clears them).  Needs
   xpos, xmat, xanchor and xaxis of the chain's bodies only (mj_kinematics or
   lfd_mj_kinematics_some), not mj_comPos: a hinge's column is
   axis x (p - anchor), a free joint's rotations turn about its body's own
   axes.  Equal to mj_jac's to rounding (its columns are taken about the
   subtree's centre of mass). */
void lfd_mj_jac_chain(const mjModel *m, const mjData *d, const double p[3], int body, double *jacp,
                      double *jacr);

/* Checks an mjData for the simulation warnings that mean the state is no
   longer trustworthy (bad qacc = NaN/divergence, and contact/constraint
   buffers full).  Returns LFD_OK or LFD_ENUMERIC / LFD_ELIMIT with a reason
   naming the step time. */
int lfd_mj_check_data(const mjModel *m, const mjData *d, lfd_err *err);

#endif
