/*  Fuzz target: the NumPy .npy reader (header dictionary, dtype, shape, byte
    counts) and, through a file, the keypoint loader on top of it. */
#include <stdio.h>
#include <unistd.h>

#include "retarget/lfd_keypoints.h"
#include "tests/fuzz/lfd_fuzz.h"

LFD_FUZZ(npy)
{
    lfd_npy npy;
    lfd_err err;
    lfd_npy_parse(data, size, "fuzz.npy", &npy, &err);
    /* the keypoint loader reads files: one per process, in /dev/shm when there */
    static char path[128];
    if (!path[0])
        snprintf(path, sizeof path, "%s/lfd-fuzz-%d.npy",
                 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", (int)getpid());
    FILE *fp = fopen(path, "wb");
    if (!fp)
        return 0;
    fwrite(data, 1, size, fp);
    fclose(fp);
    lfd_keypoints kp;
    lfd_kp_opts o = {.fps = 30, .preset = "smpl-22"};
    if (lfd_kp_read_npy(&kp, path, &o, &err) == LFD_OK)
        lfd_kp_free(&kp);
    unlink(path);
    return 0;
}
