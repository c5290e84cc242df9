/*  lfd_seal: the checksum trailer shared by lfd's msgpack files.

    Motion and policy files are one msgpack map whose LAST entry is
    "sha256": bin(32), the SHA-256 of every byte before that entry.  So a
    sealed file always ends in the same 41 bytes: a6 "sha256" c4 20 <digest>.
    Writers count the trailer in the map's entry count and call
    lfd_seal_append() after packing the other entries; readers call
    lfd_seal_check() before parsing anything, then parse the map knowing its
    last entry is the seal.
*/
#ifndef LFD_SEAL_H
#define LFD_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include "core/lfd_err.h"
#include "core/lfd_mp.h"

#define LFD_SEAL_LEN 41

/* Appends the trailer for the bytes already in b; fails if b has failed. */
int lfd_seal_append(lfd_buf *b, lfd_err *err);

/* Checks the trailer of data[0..len).  what names the file kind in errors
   ("lfd motion").  On success the map body is data[0 .. len - LFD_SEAL_LEN). */
int lfd_seal_check(const uint8_t *data, size_t len, const char *name, const char *what,
                   lfd_err *err);

#endif
