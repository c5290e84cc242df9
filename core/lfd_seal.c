/*  lfd_seal: SHA-256 trailer of lfd's msgpack files (see lfd_seal.h). */
#include "core/lfd_seal.h"

#include <string.h>

#include "core/lfd_sha256.h"

static const uint8_t HEAD[9] = {0xa6, 's', 'h', 'a', '2', '5', '6', 0xc4, 0x20};

int lfd_seal_append(lfd_buf *b, lfd_err *err)
{
    if (!lfd_buf_ok(b))
        return lfd_fail(err, LFD_ELIMIT, "encoded data exceeds its size cap");
    uint8_t digest[32];
    lfd_sha256_buf(b->data, b->len, digest);
    lfd_buf_append(b, HEAD, sizeof HEAD);
    lfd_buf_append(b, digest, sizeof digest);
    if (!lfd_buf_ok(b))
        return lfd_fail(err, LFD_ENOMEM, "out of memory sealing data");
    return LFD_OK;
}

int lfd_seal_check(const uint8_t *data, size_t len, const char *name, const char *what,
                   lfd_err *err)
{
    if (len < LFD_SEAL_LEN + 1 || memcmp(data + len - LFD_SEAL_LEN, HEAD, sizeof HEAD))
        return lfd_fail(err, LFD_EPARSE, "%s: not an %s file, or truncated (no checksum trailer)",
                        name, what);
    uint8_t digest[32];
    lfd_sha256_buf(data, len - LFD_SEAL_LEN, digest);
    if (memcmp(digest, data + len - 32, 32))
        return lfd_fail(err, LFD_ECHECKSUM,
                        "%s: checksum mismatch: the file is corrupted or was modified", name);
    return LFD_OK;
}
