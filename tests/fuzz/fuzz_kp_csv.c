/*  Fuzz target: the keypoint CSV reader (header of joint triplets, optional
    time column, numbers), through a file as users give it. */
#include "ingest/lfd_keypoints.h"
#include "tests/fuzz/lfd_fuzz.h"

LFD_FUZZ(kp_csv)
{
    const char *path = lfd_fuzz_file(data, size, ".csv");
    if (!path)
        return 0;
    lfd_keypoints kp;
    lfd_err err;
    lfd_kp_opts o = {.fps = 30};
    if (lfd_kp_read_csv(&kp, path, &o, &err) == LFD_OK)
        lfd_kp_free(&kp);
    unlink(path);
    return 0;
}
