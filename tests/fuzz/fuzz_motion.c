/*  Fuzz target: the .lfdm motion file reader.  Each input is decoded twice:
    as is (the checksum should refuse nearly everything), and re-sealed with
    a correct checksum trailer so the msgpack/ndarray/provenance parsing
    behind the checksum is exercised too.  Whatever decodes must validate and
    re-encode. */
#include <stdlib.h>
#include <string.h>

#include "core/lfd_motion.h"
#include "core/lfd_sha256.h"
#include "tests/fuzz/lfd_fuzz.h"

LFD_FUZZ(motion)
{
    lfd_motion m;
    lfd_err err;
    if (lfd_motion_decode(&m, data, size, "fuzz", &err) == LFD_OK)
        lfd_motion_free(&m);
    if (size > (1u << 20))
        return 0;
    uint8_t *buf = malloc(size + 41);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    static const uint8_t head[9] = {0xa6, 's', 'h', 'a', '2', '5', '6', 0xc4, 0x20};
    memcpy(buf + size, head, 9);
    lfd_sha256_buf(buf, size, buf + size + 9);
    if (lfd_motion_decode(&m, buf, size + 41, "fuzz", &err) == LFD_OK) {
        lfd_buf out;
        if (lfd_motion_validate(&m, &err) != LFD_OK || lfd_motion_encode(&m, &out, &err) != LFD_OK)
            abort(); /* a decoded motion must be valid and encodable */
        lfd_buf_free(&out);
        lfd_motion_free(&m);
    }
    free(buf);
    return 0;
}
