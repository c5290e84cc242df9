/*  lfd_simloop: lfd's one simulation loop: MuJoCo stepping a robot that
    lfd's controller drives toward a reference.

    The controller is lfd_robot_ff_control (robots/lfd_robot.h): the
    contact-consistent inverse-dynamics feed-forward evaluated at the
    measured state, plus the description's PD gains; with
    LFD_SIMLOOP_BALANCE, the balance controller lfd_robot_bal_control
    (`lfd check --track-balance`; experimental, docs/check.md).  One control step
    computes the motor commands once from the reference the caller has
    written into q_ref / qd_ref (and qdd_ref), then advances MuJoCo by a
    whole number of model timesteps holding them.

    Three places run it, so a fix here reaches all three:
      - the tracking check (`lfd check --track`, sim/lfd_check_track.c):
        one control step per timestep, reference velocity and acceleration
        from the motion, feet loaded where they touch the floor;
      - policy evaluation and dataset rollouts (policies/lfd_track.c): one
        control step per timestep toward targets interpolated over the
        policy's period;
      - the controller demo (`lfd ctl-demo`, runtime/lfd_ctl.c): one control
        step per control tick, held over the tick's timesteps.

    Model/workspace split (MuJoCo's mjModel/mjData): the robot and the model
    are shared and read-only; lfd_simloop_new allocates the mjData, the
    controller's workspace and the reference buffers once, and nothing
    after that allocates.  One lfd_simloop per thread.
*/
#ifndef LFD_SIMLOOP_H
#define LFD_SIMLOOP_H

#include <mujoco/mujoco.h>

#include "core/lfd_err.h"
#include "robots/lfd_robot.h"

/* flags of lfd_simloop_step */
enum {
    LFD_SIMLOOP_ACC = 1,     /* feed the reference acceleration qdd_ref forward (else zero) */
    LFD_SIMLOOP_CONTACTS = 2, /* load only the feet touching the floor now (else every foot) */
    LFD_SIMLOOP_BALANCE = 4   /* the balance controller (lfd_robot_bal_control) instead of
                                 lfd_robot_ff_control */
};

typedef struct lfd_simloop {
    const lfd_robot *r;
    const mjModel *m;    /* r->m or the caller's copy of it (same bodies and joints) */
    mjData *d;           /* the simulated state (owned) */
    lfd_robot_ff *ff;    /* the controller's workspace (owned) */
    /* the reference of the next control step, written by the caller */
    double *q_ref;       /* nq */
    double *qd_ref;      /* nv */
    double *qdd_ref;     /* nv; read with LFD_SIMLOOP_ACC */
    /* results of the last control step */
    double *tau;         /* nv: joint torques commanded (after the limits) */
    int contact[2];      /* feet loaded (LFD_SIMLOOP_CONTACTS: measured; else 1, 1);
                            measured: bit 0 the foot touches the floor, bits 1-4 which
                            sole corners (lfd_simloop_foot_contacts) */
    int clamped;         /* joints whose torque hit its limit */
    int held;            /* of those, joints held on damping because their torque was not finite
                            (a NaN or infinity in the reference: lfd_robot_ff_nonfinite) */
    int diverged;        /* 1 once MuJoCo reported a bad state (see lfd_simloop_step) */
} lfd_simloop;

/* A loop for robot r on model m (NULL: r->m; a copy may differ in options
   such as the timestep or the contact buffer, and must outlive the loop).
   The state is r's default pose at rest.  The caller frees *out with
   lfd_simloop_free; *out is NULL on failure. */
int lfd_simloop_new(lfd_simloop **out, const lfd_robot *r, const mjModel *m, lfd_err *err);

/* Frees the loop and its data and sets *s to NULL (NULL is fine). */
void lfd_simloop_free(lfd_simloop **s);

/* Sets the state (qpos nq; qvel nv or NULL = zero) at time zero with no
   applied forces, and computes its derived quantities (mj_forward). */
int lfd_simloop_reset(lfd_simloop *s, const double *qpos, const double *qvel, lfd_err *err);

/* Reference "stay where you are": q_ref = the current qpos, qd_ref = qdd_ref
   = 0.  Callers then overwrite the joints they command. */
void lfd_simloop_ref_hold(lfd_simloop *s);

/* Measures which feet touch the floor (a contact between a foot's body and
   the world body) into contact[2]: bit 0 set when foot f touches, and bit
   1 + k for each sole corner k (0..3: x_min/x_max by bit 0 of k, y_min/y_max
   by bit 1) nearest one of its contact points.  Non-zero = touching. */
void lfd_simloop_foot_contacts(const lfd_simloop *s, int contact[2]);

/* One control step: the controller's commands toward the reference at the
   current state, then nsteps >= 1 MuJoCo steps holding them (forces the
   caller put in d->xfrc_applied act on every step).  Returns LFD_OK; a
   MuJoCo error (LFD_ENUMERIC with its text); or, when the state went bad
   (lfd_mj_check_data: divergence, full contact buffer), that status with
   diverged set.  The state is not usable after an error. */
int lfd_simloop_step(lfd_simloop *s, int nsteps, unsigned flags, lfd_err *err);

#endif
