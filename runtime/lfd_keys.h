/*  lfd_keys: CURVE key pairs for `lfd serve --curve` and its clients.

    ZeroMQ CURVE (CurveZMQ: Curve25519 key exchange + authenticated
    encryption) identifies each side by a 32-byte public key, written as 40
    characters of Z85 text.  lfd stores keys as small text files:
        NAME.key   "public <z85>\nsecret <z85>\n"   (mode 0600: keep private)
        NAME.pub   "public <z85>\n"                 (hand this out)
    A server's key folder (lfd serve --curve DIR) holds server.key, and the
    allow-list of client public keys as DIR/clients/ * .pub: a client whose
    key is not there is refused during the handshake (ZAP, RFC 27).
    `lfd keygen` writes a pair.
*/
#ifndef LFD_KEYS_H
#define LFD_KEYS_H

#include "core/lfd_err.h"

#define LFD_KEY_Z85_LEN 40

/* Writes DIR/NAME.key (public + secret, 0600) and DIR/NAME.pub atomically;
   public_out (41 bytes, may be NULL) receives the public key.  An existing
   DIR/NAME.key or DIR/NAME.pub is never replaced (LFD_ESTATE naming the
   file; nothing written): a new pair would lock out every peer holding the
   old public key. */
int lfd_keys_generate(const char *dir, const char *name, char *public_out, lfd_err *err);
/* As lfd_keys_generate; with force an existing pair is replaced (each file
   still atomically). */
int lfd_keys_generate_ex(const char *dir, const char *name, int force, char *public_out, lfd_err *err);

/* Reads a .key or .pub file: public (41 bytes) always; secret (41 bytes, may
   be NULL) when the file has one (LFD_EPARSE if secret is wanted and absent). */
int lfd_keys_read(const char *path, char *public_z85, char *secret_z85, lfd_err *err);

/* 1 if s is 40 characters of valid Z85 encoding a 32-byte key. */
int lfd_key_valid(const char *s);

#endif
