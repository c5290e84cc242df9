/*  Fuzz target: the Unitree-layout motion CSV reader, floating and fixed base. */
#include "core/lfd_motion.h"
#include "tests/fuzz/lfd_fuzz.h"

LFD_FUZZ(motion_csv)
{
    lfd_motion m;
    lfd_err err;
    for (int floating = 0; floating < 2; floating++) {
        lfd_csv_opts o = {.fps = 30, .floating = floating};
        if (lfd_motion_parse_csv(&m, (const char *)data, size, "fuzz.csv", &o, &err) == LFD_OK)
            lfd_motion_free(&m);
    }
    return 0;
}
