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

/* Checks an mjData for the simulation warnings that mean the state is no
   longer trustworthy (bad qacc = NaN/divergence, and contact/constraint
   buffers full).  Returns LFD_OK or LFD_ENUMERIC / LFD_ELIMIT with a reason
   naming the step time. */
int lfd_mj_check_data(const mjModel *m, const mjData *d, lfd_err *err);

#endif
