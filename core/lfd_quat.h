/*  lfd_quat: quaternions, rotation matrices, Euler angles, small 3-vectors.

    Conventions (the same as MuJoCo, so values pass between them unchanged):
    - quaternions are double[4] in w, x, y, z order, Hamilton product, and
      rotate column vectors: v' = q v q*;
    - matrices are double[9], row-major, and act on column vectors: v' = R v;
    - Euler angles follow the BVH convention: for a channel order such as
      "ZXY" the rotation is R = Rz(a0) * Rx(a1) * Ry(a2) (intrinsic, first
      channel outermost).
    The CSV motion layout stores x, y, z, w: convert with lfd_quat_from_xyzw /
    lfd_quat_to_xyzw.  All functions allow output to alias input.
*/
#ifndef LFD_QUAT_H
#define LFD_QUAT_H

#include <math.h>

/* ---- 3-vectors ---------------------------------------------------------- */
static inline void lfd_v3_set(double r[3], double x, double y, double z) { r[0] = x; r[1] = y; r[2] = z; }
static inline void lfd_v3_copy(double r[3], const double a[3]) { r[0] = a[0]; r[1] = a[1]; r[2] = a[2]; }
static inline void lfd_v3_add(double r[3], const double a[3], const double b[3]) { r[0] = a[0] + b[0]; r[1] = a[1] + b[1]; r[2] = a[2] + b[2]; }
static inline void lfd_v3_sub(double r[3], const double a[3], const double b[3]) { r[0] = a[0] - b[0]; r[1] = a[1] - b[1]; r[2] = a[2] - b[2]; }
static inline void lfd_v3_scale(double r[3], const double a[3], double s) { r[0] = a[0] * s; r[1] = a[1] * s; r[2] = a[2] * s; }
static inline double lfd_v3_dot(const double a[3], const double b[3]) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }
static inline double lfd_v3_norm(const double a[3]) { return sqrt(lfd_v3_dot(a, a)); }
static inline double lfd_v3_dist(const double a[3], const double b[3])
{
    double d[3];
    lfd_v3_sub(d, a, b);
    return lfd_v3_norm(d);
}
static inline void lfd_v3_cross(double r[3], const double a[3], const double b[3])
{
    double x = a[1] * b[2] - a[2] * b[1], y = a[2] * b[0] - a[0] * b[2], z = a[0] * b[1] - a[1] * b[0];
    r[0] = x; r[1] = y; r[2] = z;
}
/* Normalises a in place; returns its former length (0 leaves it unchanged). */
double lfd_v3_normalize(double a[3]);

/* ---- quaternions (w, x, y, z) --------------------------------------------- */
void lfd_quat_identity(double q[4]);
/* r = a b; r may alias a or b (inline: the retargeter's kinematics calls it per body) */
static inline void lfd_quat_mul(double r[4], const double a[4], const double b[4])
{
    double w = a[0] * b[0] - a[1] * b[1] - a[2] * b[2] - a[3] * b[3];
    double x = a[0] * b[1] + a[1] * b[0] + a[2] * b[3] - a[3] * b[2];
    double y = a[0] * b[2] - a[1] * b[3] + a[2] * b[0] + a[3] * b[1];
    double z = a[0] * b[3] + a[1] * b[2] - a[2] * b[1] + a[3] * b[0];
    r[0] = w; r[1] = x; r[2] = y; r[3] = z;
}
void lfd_quat_conj(double r[4], const double q[4]);
/* Normalises q in place; returns the former norm.  A zero quaternion
   becomes the identity. */
double lfd_quat_normalize(double q[4]);
/* r = q v q* for a unit q; r may alias v */
static inline void lfd_quat_rotate(double r[3], const double q[4], const double v[3])
{
    /* v' = v + 2w (u x v) + 2 u x (u x v), u the vector part */
    const double *u = q + 1;
    double t[3], t2[3];
    lfd_v3_cross(t, u, v);
    lfd_v3_scale(t, t, 2.0);
    lfd_v3_cross(t2, u, t);
    double x = v[0] + q[0] * t[0] + t2[0];
    double y = v[1] + q[0] * t[1] + t2[1];
    double z = v[2] + q[0] * t[2] + t2[2];
    r[0] = x; r[1] = y; r[2] = z;
}
/* r = q* v q (rotate by the inverse) */
void lfd_quat_rotate_inv(double r[3], const double q[4], const double v[3]);
void lfd_quat_from_axis_angle(double q[4], const double axis[3], double angle_rad);
/* R (row-major) of a unit q */
static inline void lfd_quat_to_mat(double R[9], const double q[4])
{
    double w = q[0], x = q[1], y = q[2], z = q[3];
    R[0] = 1 - 2 * (y * y + z * z); R[1] = 2 * (x * y - w * z);     R[2] = 2 * (x * z + w * y);
    R[3] = 2 * (x * y + w * z);     R[4] = 1 - 2 * (x * x + z * z); R[5] = 2 * (y * z - w * x);
    R[6] = 2 * (x * z - w * y);     R[7] = 2 * (y * z + w * x);     R[8] = 1 - 2 * (x * x + y * y);
}
void lfd_mat_to_quat(double q[4], const double R[9]);

/* Rotation for a BVH-style channel order such as "ZXY" (three letters from
   X, Y, Z, case-insensitive) and angles in radians in that order.
   Returns 0, or -1 when order is not three axis letters. */
int lfd_quat_from_euler(double q[4], const char *order, const double angles_rad[3]);
/* The inverse: angles (radians) for the given order; for orders with a
   repeated axis or at gimbal lock one valid solution is returned. */
int lfd_quat_to_euler(double angles_rad[3], const char *order, const double q[4]);

/* Rotation vector (axis * angle, angle in [0, pi]) and back. */
void lfd_quat_to_rotvec(double v[3], const double q[4]);
void lfd_rotvec_to_quat(double q[4], const double v[3]);

/* Shortest-path spherical interpolation, t in [0, 1]. */
void lfd_quat_slerp(double r[4], const double a[4], const double b[4], double t);

/* Angle in radians, in [0, pi], of the rotation that takes a to b. */
double lfd_quat_angle(const double a[4], const double b[4]);

/* Angular velocity that takes q0 to q1 in dt seconds, expressed in q0's
   local frame (the convention of MuJoCo's free and ball joint qvel) or in
   the world frame. */
void lfd_quat_angvel_local(double w[3], const double q0[4], const double q1[4], double dt_s);
void lfd_quat_angvel_world(double w[3], const double q0[4], const double q1[4], double dt_s);

/* Integrates q by local angular velocity w over dt: q <- q * exp(w dt). */
void lfd_quat_integrate_local(double q[4], const double w[3], double dt_s);

/* Conversions to and from the x, y, z, w storage order. */
static inline void lfd_quat_from_xyzw(double q[4], const double xyzw[4])
{
    double w = xyzw[3], x = xyzw[0], y = xyzw[1], z = xyzw[2];
    q[0] = w; q[1] = x; q[2] = y; q[3] = z;
}
static inline void lfd_quat_to_xyzw(double xyzw[4], const double q[4])
{
    double w = q[0], x = q[1], y = q[2], z = q[3];
    xyzw[0] = x; xyzw[1] = y; xyzw[2] = z; xyzw[3] = w;
}

/* ---- 3x3 matrices (row-major) -------------------------------------------- */
void lfd_mat3_mul(double r[9], const double a[9], const double b[9]);
void lfd_mat3_transpose(double r[9], const double a[9]);
/* r = R v; r may alias v (inline: the IK calls it per task point) */
static inline void lfd_mat3_mulv(double r[3], const double R[9], const double v[3])
{
    double x = R[0] * v[0] + R[1] * v[1] + R[2] * v[2];
    double y = R[3] * v[0] + R[4] * v[1] + R[5] * v[2];
    double z = R[6] * v[0] + R[7] * v[1] + R[8] * v[2];
    r[0] = x; r[1] = y; r[2] = z;
}

#endif
