/*  lfd_sha256: SHA-256 (FIPS 180-4) for checksums and content hashes.

    Used for the motion/policy file checksum trailer, model hashes (hash of
    the compiled MJCF text) and the content hashes that lineage records.
    Streaming interface plus one-shot helpers (a buffer, a file); no
    allocation.
*/
#ifndef LFD_SHA256_H
#define LFD_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include "core/lfd_err.h"

typedef struct lfd_sha256 {
    uint32_t h[8];
    uint64_t nbytes;
    uint8_t buf[64];
    size_t nbuf;
} lfd_sha256;

void lfd_sha256_init(lfd_sha256 *s);
void lfd_sha256_update(lfd_sha256 *s, const void *data, size_t len);
void lfd_sha256_final(lfd_sha256 *s, uint8_t digest[32]);

/* One-shot digest of a buffer. */
void lfd_sha256_buf(const void *data, size_t len, uint8_t digest[32]);

/* Lower-case hex of a digest: hex must hold 65 bytes (64 + NUL). */
void lfd_sha256_hex(const uint8_t digest[32], char hex[65]);
/* One-shot digest of a buffer as lower-case hex (hex holds 65 bytes). */
void lfd_sha256_buf_hex(const void *data, size_t len, char hex[65]);

/* SHA-256 (hex) of a file's bytes, read in 64 KiB pieces: the content hash
   lineage records. */
int lfd_file_sha256_hex(const char *path, char hex[65], lfd_err *err);

#endif
