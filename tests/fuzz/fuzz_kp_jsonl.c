/*  Fuzz target: the keypoint JSON-lines reader (one {"t", "joints"} object
    per line, joints as arrays, objects or null, confidences), through a
    file as users give it. */
#include "ingest/lfd_keypoints.h"
#include "tests/fuzz/lfd_fuzz.h"

LFD_FUZZ(kp_jsonl)
{
    const char *path = lfd_fuzz_file(data, size, ".jsonl");
    if (!path)
        return 0;
    lfd_keypoints kp;
    lfd_err err;
    lfd_kp_opts o = {.fps = 30};
    if (lfd_kp_read_jsonl(&kp, path, &o, &err) == LFD_OK)
        lfd_kp_free(&kp);
    unlink(path);
    return 0;
}
