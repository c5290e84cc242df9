/*  Fuzz target: the BVH reader, and forward kinematics and the human
    representation built on what it accepts. */
#include "ingest/lfd_bvh.h"
#include "ingest/lfd_human.h"
#include "tests/fuzz/lfd_fuzz.h"

LFD_FUZZ(bvh)
{
    lfd_bvh b;
    lfd_err err;
    if (lfd_bvh_parse(&b, (const char *)data, size, "fuzz.bvh", NULL, &err) != LFD_OK)
        return 0;
    lfd_human h;
    if (lfd_human_from_bvh(&h, &b, NULL, &err) == LFD_OK)
        lfd_human_free(&h);
    lfd_bvh_free(&b);
    return 0;
}
