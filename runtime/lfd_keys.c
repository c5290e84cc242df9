/*  lfd_keys: CURVE key files (see lfd_keys.h). */
#include "runtime/lfd_keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "core/lfd_io.h"

int lfd_key_valid(const char *s)
{
    if (!s || strlen(s) != LFD_KEY_Z85_LEN)
        return 0;
    uint8_t bin[32];
    return zmq_z85_decode(bin, s) != NULL;
}

/* Writes a file readable by its owner only, from its first byte, and
   atomically (temporary file, fsync, rename).  Without replace an existing
   path is never touched: the temporary file is linked in (link(2) fails
   with EEXIST), so a second keygen racing the first cannot overwrite it
   either. */
static int write_private(const char *path, const char *text, size_t len, int replace, lfd_err *err)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp-%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_EXCL, 0600);
    if (fd < 0)
        return lfd_fail(err, LFD_EIO, "%s: %s", tmp, strerror(errno));
    int ok = write(fd, text, len) == (ssize_t)len && fsync(fd) == 0;
    ok &= close(fd) == 0;
    if (ok && !replace) {
        int lr = link(tmp, path), e = errno;
        unlink(tmp);
        if (lr != 0 && e == EEXIST)
            return lfd_fail(err, LFD_ESTATE, "%s exists: not overwritten (give --force to "
                                             "replace the key; clients holding its .pub are then locked out)",
                            path);
        if (lr != 0)
            return lfd_fail(err, LFD_EIO, "%s: %s", path, strerror(e));
        return LFD_OK;
    }
    if (!ok || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return lfd_fail(err, LFD_EIO, "%s: %s", path, strerror(e));
    }
    return LFD_OK;
}

int lfd_keys_generate(const char *dir, const char *name, char *public_out, lfd_err *err)
{
    return lfd_keys_generate_ex(dir, name, 0, public_out, err);
}

int lfd_keys_generate_ex(const char *dir, const char *name, int force, char *public_out, lfd_err *err)
{
    char path[4096], text[128];
    /* a key pair is an identity: replacing DIR/NAME.key silently locks out
       every peer that holds the old .pub, so both files are checked before
       anything is made */
    if (!force) {
        static const char *const ext[2] = {"key", "pub"};
        for (int i = 0; i < 2; i++) {
            snprintf(path, sizeof path, "%s/%s.%s", dir, name, ext[i]);
            if (lfd_file_exists(path))
                return lfd_fail(err, LFD_ESTATE,
                                "%s exists: not overwritten (give --force to replace the key "
                                "pair; clients holding the old %s.pub are then locked out)",
                                path, name);
        }
    }
    char pub[41], sec[41];
    if (zmq_curve_keypair(pub, sec) != 0)
        return lfd_fail(err, LFD_EUNSUPPORTED, "this libzmq cannot make CURVE keys (built "
                                               "without libsodium?): %s",
                        zmq_strerror(zmq_errno()));
    int rc = lfd_mkdir_p(dir, err);
    if (rc)
        return rc;
    snprintf(path, sizeof path, "%s/%s.key", dir, name);
    snprintf(text, sizeof text, "public %s\nsecret %s\n", pub, sec);
    rc = write_private(path, text, strlen(text), force, err);
    memset(sec, 0, sizeof sec);
    memset(text, 0, sizeof text);
    if (rc)
        return rc;
    snprintf(path, sizeof path, "%s/%s.pub", dir, name);
    snprintf(text, sizeof text, "public %s\n", pub);
    if ((rc = lfd_file_write_atomic(path, text, strlen(text), err)))
        return rc;
    if (public_out)
        memcpy(public_out, pub, 41);
    return LFD_OK;
}

int lfd_keys_read(const char *path, char *public_z85, char *secret_z85, lfd_err *err)
{
    uint8_t *data;
    size_t len;
    int rc = lfd_file_read(path, 4096, &data, &len, err);
    if (rc)
        return rc;
    int have_pub = 0, have_sec = 0, line = 0;
    char *save = NULL;
    for (char *l = strtok_r((char *)data, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        line++;
        size_t n = strlen(l);
        while (n && (l[n - 1] == '\r' || l[n - 1] == ' '))
            l[--n] = '\0';
        if (n == 0 || l[0] == '#')
            continue;
        char *dst = NULL;
        const char *v = NULL;
        if (!strncmp(l, "public ", 7)) {
            dst = public_z85;
            v = l + 7;
            have_pub = 1;
        } else if (!strncmp(l, "secret ", 7)) {
            dst = secret_z85;
            v = l + 7;
            have_sec = 1;
        } else {
            rc = lfd_fail(err, LFD_EPARSE, "%s:%d: expected 'public <z85>' or 'secret <z85>'",
                          path, line);
            break;
        }
        while (*v == ' ')
            v++;
        if (!lfd_key_valid(v)) {
            rc = lfd_fail(err, LFD_EPARSE, "%s:%d: not a 40-character Z85 CURVE key", path, line);
            break;
        }
        if (dst)
            memcpy(dst, v, 41);
    }
    memset(data, 0, len);
    free(data);
    if (rc)
        return rc;
    if (!have_pub)
        return lfd_fail(err, LFD_EPARSE, "%s: no 'public' key", path);
    if (secret_z85 && !have_sec)
        return lfd_fail(err, LFD_EPARSE, "%s: no 'secret' key (is this a .pub file?)", path);
    return LFD_OK;
}
