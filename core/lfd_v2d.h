/*  Two doubles side by side (the vector extension of GCC and Clang: SSE2 on
    x86-64, NEON on arm64).  A lane's arithmetic is the scalar one, so a loop
    that runs two independent sums in the lanes gives the scalar loop's
    results to the bit (the IK's normal equations, the box QP's Cholesky). */
#ifndef LFD_V2D_H
#define LFD_V2D_H

#include <string.h>

typedef double lfd_v2d __attribute__((vector_size(16)));

static inline lfd_v2d lfd_v2_load(const double *p)
{
    lfd_v2d v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void lfd_v2_store(double *p, lfd_v2d v) { memcpy(p, &v, sizeof v); }

#endif
