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

/* Reads the whole file at path into a new NUL-terminated buffer (*data, len
   bytes without the NUL); the caller frees *data with free().  Fails with
   LFD_ELIMIT, before allocating, if the file is larger than max_bytes; on
   any failure *data is NULL. */
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

/* Opens af->fp on a new temporary file beside path (af is the caller's; the
   temporary file is the only thing made).  The caller ends it with exactly
   one of lfd_atomic_commit (renames it to path; on failure it is removed)
   or lfd_atomic_abort (removes it).  On failure af holds nothing to end. */
int lfd_atomic_open(lfd_atomic_file *af, const char *path, lfd_err *err);
int lfd_atomic_commit(lfd_atomic_file *af, lfd_err *err);
void lfd_atomic_abort(lfd_atomic_file *af);
/* Flushes and fsyncs the temporary file without renaming it, so that a
   writer that must replace two files together learns of a failed write (a
   full disk) before it has replaced either.  On success af stays open for
   lfd_atomic_commit or lfd_atomic_abort; on failure the temporary file is
   removed and af holds nothing to end. */
int lfd_atomic_sync(lfd_atomic_file *af, lfd_err *err);

/* 1 if path is a temporary file (of the two writers above) that a live
   writer still holds: each holds an flock on its temporary file from its
   creation to its rename.  0 for one a killed writer left behind, which is
   safe to remove (a task that cleans up leftovers asks first: two tasks
   may make the same output, as lfd batch shards given identical files). */
int lfd_temp_is_live(const char *path);

/* Creates a directory and its parents (like mkdir -p). */
int lfd_mkdir_p(const char *path, lfd_err *err);

/* 1 if path exists and is a regular file, else 0. */
int lfd_file_exists(const char *path);

/* ---- walking a folder tree ------------------------------------------------------------ */
struct stat;

/* Called for every entry below the folder that is not itself a folder: path is
   the full path, rel the path relative to the folder walked, st its stat
   (lstat unless LFD_WALK_FOLLOW_LINKS).  A nonzero return stops the walk and
   becomes its result. */
typedef int (*lfd_walk_fn)(void *ctx, const char *path, const char *rel, const struct stat *st);

#define LFD_WALK_FOLLOW_LINKS 1 /* stat, not lstat: links to folders are entered */
#define LFD_WALK_STRICT 2       /* a subfolder that cannot be opened is an error, not skipped */
#define LFD_WALK_HIDDEN 4       /* names starting with '.' are walked too (not . and ..) */
#define LFD_WALK_ONCE 8         /* with FOLLOW_LINKS: a link into the walked tree is not followed
                                   (each file once, by its own name) */
#define LFD_WALK_MAX_DEPTH 32   /* folders deeper than this are not entered */

/* Walks dir depth first (names starting with '.' unless LFD_WALK_HIDDEN, and
   paths over 4095 bytes, are passed over; a folder that is one of its own
   ancestors, through a link, is not entered again; with LFD_WALK_ONCE a link
   whose target lies inside dir is not followed, the walk reaching that file
   or folder by its own name) and calls fn for each
   non-folder entry.  Returns LFD_OK, LFD_EIO
   if dir (or, with LFD_WALK_STRICT, a subfolder) cannot be opened, or fn's
   nonzero result.  Allocates nothing. */
int lfd_walk_files(const char *dir, int flags, lfd_walk_fn fn, void *ctx, lfd_err *err);

#endif
