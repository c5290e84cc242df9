/*  lfd_quat: rotation helpers (conventions in lfd_quat.h). */
#include "core/lfd_quat.h"

#include <string.h>

double lfd_v3_normalize(double a[3])
{
    double n = lfd_v3_norm(a);
    if (n > 0) {
        a[0] /= n; a[1] /= n; a[2] /= n;
    }
    return n;
}

void lfd_quat_identity(double q[4])
{
    q[0] = 1; q[1] = 0; q[2] = 0; q[3] = 0;
}

void lfd_quat_conj(double r[4], const double q[4])
{
    r[0] = q[0]; r[1] = -q[1]; r[2] = -q[2]; r[3] = -q[3];
}

double lfd_quat_normalize(double q[4])
{
    double n = sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
    if (n < 1e-300) {
        lfd_quat_identity(q);
        return n;
    }
    q[0] /= n; q[1] /= n; q[2] /= n; q[3] /= n;
    return n;
}

void lfd_quat_rotate_inv(double r[3], const double q[4], const double v[3])
{
    double c[4];
    lfd_quat_conj(c, q);
    lfd_quat_rotate(r, c, v);
}

void lfd_quat_from_axis_angle(double q[4], const double axis[3], double angle_rad)
{
    double a[3] = {axis[0], axis[1], axis[2]};
    if (lfd_v3_normalize(a) == 0) {
        lfd_quat_identity(q);
        return;
    }
    double s = sin(0.5 * angle_rad);
    q[0] = cos(0.5 * angle_rad);
    q[1] = a[0] * s; q[2] = a[1] * s; q[3] = a[2] * s;
}

void lfd_mat_to_quat(double q[4], const double R[9])
{
    /* pick the largest of w, x, y, z to divide by (numerically stable) */
    double tr = R[0] + R[4] + R[8];
    if (tr > 0) {
        double s = 2.0 * sqrt(tr + 1.0);
        q[0] = 0.25 * s;
        q[1] = (R[7] - R[5]) / s;
        q[2] = (R[2] - R[6]) / s;
        q[3] = (R[3] - R[1]) / s;
    } else if (R[0] > R[4] && R[0] > R[8]) {
        double s = 2.0 * sqrt(1.0 + R[0] - R[4] - R[8]);
        q[0] = (R[7] - R[5]) / s;
        q[1] = 0.25 * s;
        q[2] = (R[1] + R[3]) / s;
        q[3] = (R[2] + R[6]) / s;
    } else if (R[4] > R[8]) {
        double s = 2.0 * sqrt(1.0 + R[4] - R[0] - R[8]);
        q[0] = (R[2] - R[6]) / s;
        q[1] = (R[1] + R[3]) / s;
        q[2] = 0.25 * s;
        q[3] = (R[5] + R[7]) / s;
    } else {
        double s = 2.0 * sqrt(1.0 + R[8] - R[0] - R[4]);
        q[0] = (R[3] - R[1]) / s;
        q[1] = (R[2] + R[6]) / s;
        q[2] = (R[5] + R[7]) / s;
        q[3] = 0.25 * s;
    }
    if (q[0] < 0) {
        q[0] = -q[0]; q[1] = -q[1]; q[2] = -q[2]; q[3] = -q[3];
    }
    lfd_quat_normalize(q);
}

static int axis_index(char c)
{
    switch (c) {
    case 'X': case 'x': return 0;
    case 'Y': case 'y': return 1;
    case 'Z': case 'z': return 2;
    default: return -1;
    }
}

int lfd_quat_from_euler(double q[4], const char *order, const double angles_rad[3])
{
    if (!order || strlen(order) != 3)
        return -1;
    double r[4];
    lfd_quat_identity(r);
    for (int i = 0; i < 3; i++) {
        int ax = axis_index(order[i]);
        if (ax < 0)
            return -1;
        double e[4] = {cos(0.5 * angles_rad[i]), 0, 0, 0};
        e[1 + ax] = sin(0.5 * angles_rad[i]);
        lfd_quat_mul(r, r, e);
    }
    memcpy(q, r, sizeof r);
    return 0;
}

int lfd_quat_to_euler(double a[3], const char *order, const double q[4])
{
    if (!order || strlen(order) != 3)
        return -1;
    int i = axis_index(order[0]), j = axis_index(order[1]), k = axis_index(order[2]);
    if (i < 0 || j < 0 || k < 0 || i == j || j == k)
        return -1;
    double R[9];
    lfd_quat_to_mat(R, q);
#define M(r, c) R[3 * (r) + (c)]
    if (i != k) {
        /* Tait-Bryan: R = Ri(a) Rj(b) Rk(c); sign from the permutation parity */
        double s = ((j - i + 3) % 3 == 1) ? 1.0 : -1.0;
        double sb = s * M(i, k);
        if (sb > 1) sb = 1;
        if (sb < -1) sb = -1;
        a[1] = asin(sb);
        if (fabs(sb) < 1 - 1e-12) {
            a[0] = atan2(-s * M(j, k), M(k, k));
            a[2] = atan2(-s * M(i, j), M(i, i));
        } else {
            /* gimbal lock: put all of the first/third rotation into the first */
            a[2] = 0;
            a[0] = atan2(s * M(k, j), M(j, j));
        }
    } else {
        /* proper Euler (i == k): R = Ri(a) Rj(b) Ri(c), m the remaining axis */
        int m = 3 - i - j;
        double s = ((j - i + 3) % 3 == 1) ? 1.0 : -1.0;
        double cb = M(i, i);
        if (cb > 1) cb = 1;
        if (cb < -1) cb = -1;
        a[1] = acos(cb);
        if (fabs(cb) < 1 - 1e-12) {
            a[0] = atan2(M(j, i), -s * M(m, i));
            a[2] = atan2(M(i, j), s * M(i, m));
        } else {
            a[2] = 0;
            a[0] = atan2(s * M(m, j), M(j, j));
        }
    }
#undef M
    return 0;
}

void lfd_quat_to_rotvec(double v[3], const double q[4])
{
    double w = q[0], x = q[1], y = q[2], z = q[3];
    if (w < 0) {
        w = -w; x = -x; y = -y; z = -z;
    }
    double s = sqrt(x * x + y * y + z * z);
    if (s < 1e-12) {
        /* small angle: angle ~ 2 s, axis ~ u / s */
        v[0] = 2 * x; v[1] = 2 * y; v[2] = 2 * z;
        return;
    }
    double ang = 2 * atan2(s, w);
    v[0] = x / s * ang; v[1] = y / s * ang; v[2] = z / s * ang;
}

void lfd_rotvec_to_quat(double q[4], const double v[3])
{
    double ang = lfd_v3_norm(v);
    if (ang < 1e-12) {
        q[0] = 1; q[1] = 0.5 * v[0]; q[2] = 0.5 * v[1]; q[3] = 0.5 * v[2];
        lfd_quat_normalize(q);
        return;
    }
    double s = sin(0.5 * ang) / ang;
    q[0] = cos(0.5 * ang);
    q[1] = v[0] * s; q[2] = v[1] * s; q[3] = v[2] * s;
}

void lfd_quat_slerp(double r[4], const double a[4], const double b[4], double t)
{
    double bb[4] = {b[0], b[1], b[2], b[3]};
    double d = a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3];
    if (d < 0) {
        d = -d;
        for (int i = 0; i < 4; i++) bb[i] = -bb[i];
    }
    double wa, wb;
    if (d > 1 - 1e-9) {
        wa = 1 - t;
        wb = t;
    } else {
        double th = acos(d), s = sin(th);
        wa = sin((1 - t) * th) / s;
        wb = sin(t * th) / s;
    }
    for (int i = 0; i < 4; i++)
        r[i] = wa * a[i] + wb * bb[i];
    lfd_quat_normalize(r);
}

double lfd_quat_angle(const double a[4], const double b[4])
{
    /* angle of a* b from atan2 of its vector and scalar parts (exact near 0,
       where acos of the dot product would lose half the digits) */
    double c[4], d[4];
    lfd_quat_conj(c, a);
    lfd_quat_mul(d, c, b);
    double s = sqrt(d[1] * d[1] + d[2] * d[2] + d[3] * d[3]);
    return 2 * atan2(s, fabs(d[0]));
}

void lfd_quat_angvel_local(double w[3], const double q0[4], const double q1[4], double dt_s)
{
    double c[4], d[4];
    lfd_quat_conj(c, q0);
    lfd_quat_mul(d, c, q1);
    lfd_quat_to_rotvec(w, d);
    lfd_v3_scale(w, w, 1.0 / dt_s);
}

void lfd_quat_angvel_world(double w[3], const double q0[4], const double q1[4], double dt_s)
{
    double c[4], d[4];
    lfd_quat_conj(c, q0);
    lfd_quat_mul(d, q1, c);
    lfd_quat_to_rotvec(w, d);
    lfd_v3_scale(w, w, 1.0 / dt_s);
}

void lfd_quat_integrate_local(double q[4], const double w[3], double dt_s)
{
    double v[3], e[4];
    lfd_v3_scale(v, w, dt_s);
    lfd_rotvec_to_quat(e, v);
    lfd_quat_mul(q, q, e);
    lfd_quat_normalize(q);
}

void lfd_mat3_mul(double r[9], const double a[9], const double b[9])
{
    double t[9];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            t[3 * i + j] = a[3 * i] * b[j] + a[3 * i + 1] * b[3 + j] + a[3 * i + 2] * b[6 + j];
    memcpy(r, t, sizeof t);
}

void lfd_mat3_transpose(double r[9], const double a[9])
{
    double t[9] = {a[0], a[3], a[6], a[1], a[4], a[7], a[2], a[5], a[8]};
    memcpy(r, t, sizeof t);
}

