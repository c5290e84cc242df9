/*  lfd_io: capped whole-file reads and crash-safe atomic writes (lfd_io.h). */
#include "core/lfd_io.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

int lfd_file_read(const char *path, size_t max_bytes, uint8_t **data, size_t *len, lfd_err *err)
{
    *data = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return lfd_fail(err, LFD_EIO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return lfd_fail(err, LFD_EIO, "%s: not a regular file", path);
    }
    if ((uint64_t)st.st_size > (uint64_t)max_bytes) {
        close(fd);
        return lfd_fail(err, LFD_ELIMIT, "%s: file is %lld bytes, more than the %zu-byte cap",
                        path, (long long)st.st_size, max_bytes);
    }
    size_t n = (size_t)st.st_size;
    uint8_t *buf = malloc(n + 1);
    if (!buf) {
        close(fd);
        return lfd_fail(err, LFD_ENOMEM, "%s: cannot allocate %zu bytes", path, n + 1);
    }
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            int e = errno;
            free(buf);
            close(fd);
            return lfd_fail(err, LFD_EIO, "%s: read failed at byte %zu: %s", path, got,
                            r == 0 ? "file shrank while reading" : strerror(e));
        }
        got += (size_t)r;
    }
    close(fd);
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return LFD_OK;
}

/* fsync the folder that holds path so that the rename itself is durable. */
static void sync_parent(const char *path)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", path);
    int fd = open(dirname(tmp), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

static int make_temp(const char *path, char *tmp, size_t tmpsz, lfd_err *err)
{
    if (snprintf(tmp, tmpsz, "%s.tmp.XXXXXX", path) >= (int)tmpsz)
        return lfd_fail(err, LFD_EARG, "%s: path too long", path);
    int fd = mkstemp(tmp);
    if (fd < 0)
        return lfd_fail(err, LFD_EIO, "%s: cannot create temporary file: %s", path,
                        strerror(errno));
    fchmod(fd, 0644);
    /* held until the file is renamed and closed: a temporary file without
       it was left by a writer that died (lfd_temp_is_live).  Blocking: a
       probe holds its shared lock for an instant, and a writer that lost
       that race without the lock would be taken for a dead one.  A file
       system without locks (ENOLCK, EOPNOTSUPP) writes unlocked, as before */
    while (flock(fd, LOCK_EX) != 0 && errno == EINTR)
        ;
    return fd;
}

int lfd_temp_is_live(const char *path)
{
    /* O_NONBLOCK: a FIFO under a temporary name must not hang the probe */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0)
        return 0;
    int live = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    close(fd);
    return live;
}

int lfd_file_write_atomic(const char *path, const void *data, size_t len, lfd_err *err)
{
    char tmp[4096];
    int fd = make_temp(path, tmp, sizeof tmp, err);
    if (fd < 0)
        return fd;
    const uint8_t *p = data;
    size_t done = 0;
    while (done < len) {
        ssize_t w = write(fd, p + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int e = errno;
            close(fd);
            unlink(tmp);
            return lfd_fail(err, LFD_EIO, "%s: write failed: %s", path, strerror(e));
        }
        done += (size_t)w;
    }
    if (fsync(fd) != 0) {
        int e = errno;
        close(fd);
        unlink(tmp);
        return lfd_fail(err, LFD_EIO, "%s: fsync failed: %s", path, strerror(e));
    }
    /* renamed while still open (and locked), so that no other task takes
       it for a dead writer's leftover between the close and the rename */
    if (rename(tmp, path) != 0) {
        int e = errno;
        close(fd);
        unlink(tmp);
        return lfd_fail(err, LFD_EIO, "%s: rename failed: %s", path, strerror(e));
    }
    close(fd); /* after fsync the bytes are on disk; close has nothing left to report */
    sync_parent(path);
    return LFD_OK;
}

int lfd_atomic_open(lfd_atomic_file *af, const char *path, lfd_err *err)
{
    memset(af, 0, sizeof *af);
    if (snprintf(af->path, sizeof af->path, "%s", path) >= (int)sizeof af->path)
        return lfd_fail(err, LFD_EARG, "%s: path too long", path);
    int fd = make_temp(path, af->tmp, sizeof af->tmp, err);
    if (fd < 0)
        return fd;
    af->fp = fdopen(fd, "w");
    if (!af->fp) {
        close(fd);
        unlink(af->tmp);
        return lfd_fail(err, LFD_EIO, "%s: fdopen failed", path);
    }
    return LFD_OK;
}

int lfd_atomic_commit(lfd_atomic_file *af, lfd_err *err)
{
    if (!af->fp)
        return lfd_fail(err, LFD_ESTATE, "%s: atomic file not open", af->path);
    int bad = ferror(af->fp) || fflush(af->fp) != 0 || fsync(fileno(af->fp)) != 0;
    int e = errno;
    if (bad) {
        fclose(af->fp);
        af->fp = NULL;
        unlink(af->tmp);
        return lfd_fail(err, LFD_EIO, "%s: write failed: %s", af->path, strerror(e));
    }
    /* renamed while open and locked, as in lfd_file_write_atomic */
    if (rename(af->tmp, af->path) != 0) {
        e = errno;
        fclose(af->fp);
        af->fp = NULL;
        unlink(af->tmp);
        return lfd_fail(err, LFD_EIO, "%s: rename failed: %s", af->path, strerror(e));
    }
    fclose(af->fp); /* flushed and fsync'd above */
    af->fp = NULL;
    sync_parent(af->path);
    return LFD_OK;
}

void lfd_atomic_abort(lfd_atomic_file *af)
{
    if (af->fp) {
        fclose(af->fp);
        af->fp = NULL;
        unlink(af->tmp);
    }
}

int lfd_atomic_sync(lfd_atomic_file *af, lfd_err *err)
{
    if (!af->fp)
        return lfd_fail(err, LFD_ESTATE, "%s: atomic file not open", af->path);
    if (ferror(af->fp) || fflush(af->fp) != 0 || fsync(fileno(af->fp)) != 0) {
        int e = errno;
        lfd_atomic_abort(af);
        return lfd_fail(err, LFD_EIO, "%s: write failed: %s", af->path, strerror(e));
    }
    return LFD_OK;
}

int lfd_mkdir_p(const char *path, lfd_err *err)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return lfd_fail(err, LFD_EARG, "%s: path too long", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return lfd_fail(err, LFD_EIO, "%s: cannot create folder: %s", buf, strerror(errno));
        *p = '/';
    }
    if (mkdir(buf, 0755) != 0 && errno != EEXIST)
        return lfd_fail(err, LFD_EIO, "%s: cannot create folder: %s", buf, strerror(errno));
    struct stat st;
    if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode))
        return lfd_fail(err, LFD_EIO, "%s: exists and is not a folder", buf);
    return LFD_OK;
}

int lfd_file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* the folders on the path from the walk's root to the one being read
   (device, inode): a link back to one of them is not followed again */
typedef struct walk_seen {
    dev_t dev[LFD_WALK_MAX_DEPTH + 1];
    ino_t ino[LFD_WALK_MAX_DEPTH + 1];
    char root[PATH_MAX]; /* the walk's root, resolved ("" if it could not be) */
    size_t nroot;
} walk_seen;

/* A link whose target lies inside the walk's root: with LFD_WALK_ONCE the
   walk reaches that file or folder by its own name, so the link is not
   followed (a `latest -> run-3` beside run-3 counted a person's files twice
   in lfd lineage and batch withdraw).  Links leading out of the tree are. */
static int link_into_tree(const walk_seen *seen, const char *path)
{
    struct stat ls;
    char target[PATH_MAX];
    if (!seen->nroot || lstat(path, &ls) != 0 || !S_ISLNK(ls.st_mode) || !realpath(path, target))
        return 0;
    return !strncmp(target, seen->root, seen->nroot) &&
           (target[seen->nroot] == '/' || target[seen->nroot] == '\0' || seen->root[seen->nroot - 1] == '/');
}

static int walk_dir(DIR *d, const char *dir, const char *rel, int depth, int flags, lfd_walk_fn fn, void *ctx,
                    walk_seen *seen, lfd_err *err)
{
    struct dirent *e;
    int rc = LFD_OK;
    while (rc == LFD_OK && (e = readdir(d))) {
        if (e->d_name[0] == '.' &&
            (!(flags & LFD_WALK_HIDDEN) || !e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
            continue;
        char path[4096], r[4096];
        if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path ||
            snprintf(r, sizeof r, "%s%s%s", rel, rel[0] ? "/" : "", e->d_name) >= (int)sizeof r)
            continue;
        struct stat st;
        if ((flags & LFD_WALK_FOLLOW_LINKS ? stat(path, &st) : lstat(path, &st)) != 0)
            continue;
        if ((flags & LFD_WALK_FOLLOW_LINKS) && (flags & LFD_WALK_ONCE) && link_into_tree(seen, path))
            continue;
        if (!S_ISDIR(st.st_mode)) {
            rc = fn(ctx, path, r, &st);
        } else if (depth < LFD_WALK_MAX_DEPTH) {
            int loop = 0;
            for (int k = 0; k <= depth && !loop; k++)
                loop = seen->dev[k] == st.st_dev && seen->ino[k] == st.st_ino;
            if (loop)
                continue;
            seen->dev[depth + 1] = st.st_dev;
            seen->ino[depth + 1] = st.st_ino;
            DIR *sub = opendir(path);
            if (sub) {
                rc = walk_dir(sub, path, r, depth + 1, flags, fn, ctx, seen, err);
                closedir(sub);
            } else if (flags & LFD_WALK_STRICT) {
                rc = lfd_fail(err, LFD_EIO, "%s: cannot open folder: %s", path, strerror(errno));
            }
        }
    }
    return rc;
}

int lfd_walk_files(const char *dir, int flags, lfd_walk_fn fn, void *ctx, lfd_err *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return lfd_fail(err, LFD_EIO, "%s: cannot open folder: %s", dir, strerror(errno));
    walk_seen seen;
    struct stat st;
    if (fstat(dirfd(d), &st) == 0) {
        seen.dev[0] = st.st_dev;
        seen.ino[0] = st.st_ino;
    } else {
        seen.dev[0] = 0;
        seen.ino[0] = 0;
    }
    seen.nroot = (flags & LFD_WALK_ONCE) && realpath(dir, seen.root) ? strlen(seen.root) : 0;
    int rc = walk_dir(d, dir, "", 0, flags, fn, ctx, &seen, err);
    closedir(d);
    return rc;
}
