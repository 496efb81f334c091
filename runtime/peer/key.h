/* key.h — the cluster key: read from a file an operator creates (e.g.
 * `head -c 32 /dev/urandom > cluster.key`), turned into the AEAD key every
 * frame is sealed with. The file's bytes never leave this module: errors
 * name the file, never its content, and the buffers are wiped. */
#ifndef ORCA__PEER_KEY_H
#define ORCA__PEER_KEY_H

#include <stddef.h>
#include <stdint.h>

#include "orca/error.h"

#define ORCA__PEER_KEY_MIN 16 /* secret bytes the file must hold */
#define ORCA__PEER_KEY_FILE_MAX 4096

typedef struct orca__peer_key {
  uint8_t k[32]; /* crypto_aead_xchacha20poly1305_ietf_KEYBYTES */
} orca__peer_key;

/* Derive the AEAD key from a secret: BLAKE2b (crypto_generichash) of the
 * secret gives a master key, crypto_kdf derives the frame key from it under
 * the context "orcapeer" (so the same file could key other uses apart).
 * Returns 0, or ORCA_EINVAL when the secret is shorter than
 * ORCA__PEER_KEY_MIN bytes. */
int orca__peer_key_derive(const void *secret, size_t len, orca__peer_key *key, orca_err *err);

/* Read the secret from path (trailing newlines and spaces are ignored, so a
 * base64 or hex line works as well as raw bytes) and derive the key. A file
 * readable by every user is accepted with a warning in the log. Returns 0,
 * ORCA_ENOTFOUND / ORCA_EIO (err names the file and the system's reason) or
 * ORCA_EINVAL (too short, too long: err says so, without the content). */
int orca__peer_key_load(const char *path, orca__peer_key *key, orca_err *err);

/* The key file a program should use: path when non-NULL (the --cluster-key-file
 * flag), else $ORCA_CLUSTER_KEY_FILE when set and non-empty. Loads it into
 * *key and returns 1; returns 0 when neither is set (run without a key:
 * loopback only), or a negative error from orca__peer_key_load. */
int orca__peer_key_from_config(const char *path, orca__peer_key *key, orca_err *err);

/* Overwrite a key in memory. */
void orca__peer_key_wipe(orca__peer_key *key);

#endif
