/*  Fuzz target: the keypoint CSV reader (header of joint triplets, optional
    time column, numbers), through a file as users give it. */
#include <stdio.h>
#include <unistd.h>

#include "retarget/lfd_keypoints.h"
#include "tests/fuzz/lfd_fuzz.h"

LFD_FUZZ(kp_csv)
{
    static char path[128];
    if (!path[0])
        snprintf(path, sizeof path, "%s/lfd-fuzz-%d.csv",
                 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", (int)getpid());
    FILE *fp = fopen(path, "wb");
    if (!fp)
        return 0;
    fwrite(data, 1, size, fp);
    fclose(fp);
    lfd_keypoints kp;
    lfd_err err;
    lfd_kp_opts o = {.fps = 30};
    if (lfd_kp_read_csv(&kp, path, &o, &err) == LFD_OK)
        lfd_kp_free(&kp);
    unlink(path);
    return 0;
}
