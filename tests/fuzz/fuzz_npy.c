/*  Fuzz target: the NumPy .npy reader (header dictionary, dtype, shape, byte
    counts) and, through a file, the keypoint loader on top of it. */
#include "ingest/lfd_keypoints.h"
#include "tests/fuzz/lfd_fuzz.h"

LFD_FUZZ(npy)
{
    lfd_npy npy;
    lfd_err err;
    lfd_npy_parse(data, size, "fuzz.npy", &npy, &err);
    /* the keypoint loader reads files */
    const char *path = lfd_fuzz_file(data, size, ".npy");
    if (!path)
        return 0;
    lfd_keypoints kp;
    lfd_kp_opts o = {.fps = 30, .preset = "smpl-22"};
    if (lfd_kp_read_npy(&kp, path, &o, &err) == LFD_OK)
        lfd_kp_free(&kp);
    unlink(path);
    return 0;
}
