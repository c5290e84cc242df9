/*  lfd_rng: the small deterministic generator lfd's training, synthetic data
    and initialisation draw from (splitmix64: Steele, Lea and Flood, "Fast
    splittable pseudorandom number generators", OOPSLA 2014; constants as
    published there).  State is one uint64_t the caller owns; the same seed
    gives the same stream on every machine. */
#ifndef LFD_RNG_H
#define LFD_RNG_H

#include <math.h>
#include <stdint.h>

static inline uint64_t lfd_rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* uniform in [0, 1), 53 bits */
static inline double lfd_rng_u01(uint64_t *s)
{
    return (double)(lfd_rng_next(s) >> 11) / 9007199254740992.0;
}

/* uniform in (0, 1): never 0, so log() of it is finite */
static inline double lfd_rng_open01(uint64_t *s)
{
    return ((double)(lfd_rng_next(s) >> 11) + 0.5) / 9007199254740992.0;
}

/* standard normal (Box-Muller; one value per call keeps the stream simple) */
static inline float lfd_rng_gauss(uint64_t *s)
{
    double u = lfd_rng_open01(s), v = lfd_rng_open01(s);
    return (float)(sqrt(-2 * log(u)) * cos(6.283185307179586 * v));
}

#endif
