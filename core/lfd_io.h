/*  lfd_io: reading whole files with a size cap, and atomic writes.

    Every lfd output file is written through lfd_file_write_atomic() or an
    lfd_atomic_file: the bytes go to a temporary file in the destination's
    folder, are fsync'd, and only then renamed over the destination.  A crash
    or a failed write at any point leaves either the old file or the new one,
    never a mix and never a partial file.
*/
#ifndef LFD_IO_H
#define LFD_IO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/lfd_err.h"

/* Reads the whole file at path into a new NUL-terminated buffer (*data, free
   with free()).  Fails with LFD_ELIMIT, before allocating, if the file is
   larger than max_bytes. */
int lfd_file_read(const char *path, size_t max_bytes, uint8_t **data, size_t *len, lfd_err *err);

/* Writes len bytes to path atomically (temporary file, fsync, rename). */
int lfd_file_write_atomic(const char *path, const void *data, size_t len, lfd_err *err);

/* For writers that stream (CSV, reports): open a temporary FILE* beside path,
   write to it, then commit (fsync + rename) or abort (unlink).  Destroying
   an uncommitted file aborts it. */
typedef struct lfd_atomic_file {
    FILE *fp;
    char path[4096];
    char tmp[4096];
} lfd_atomic_file;

int lfd_atomic_open(lfd_atomic_file *af, const char *path, lfd_err *err);
int lfd_atomic_commit(lfd_atomic_file *af, lfd_err *err);
void lfd_atomic_abort(lfd_atomic_file *af);

/* Creates a directory and its parents (like mkdir -p). */
int lfd_mkdir_p(const char *path, lfd_err *err);

/* 1 if path exists and is a regular file, else 0. */
int lfd_file_exists(const char *path);

#endif
