/* seal.h — the envelope every frame travels in.
 *
 *   sealed: 0x01 | nonce (24 random bytes) | XChaCha20-Poly1305 ciphertext of
 *           the frame | tag (16)  — the first byte is authenticated data
 *   plain:  0x02 | frame            — only without a cluster key (loopback)
 *
 * Random 24-byte nonces never repeat in practice (XChaCha20), so senders keep
 * no nonce state. A receiver with a key accepts only sealed envelopes, one
 * without a key only plain ones: a mismatch is ORCA__DROP_MODE, never a
 * fallback. Pure apart from the random nonce. */
#ifndef ORCA__PEER_SEAL_H
#define ORCA__PEER_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include "peer/key.h"

#define ORCA__SEAL_SEALED 0x01
#define ORCA__SEAL_PLAIN 0x02
#define ORCA__SEAL_NONCE 24
#define ORCA__SEAL_TAG 16
#define ORCA__SEAL_OVERHEAD (1 + ORCA__SEAL_NONCE + ORCA__SEAL_TAG)

/* Bytes an envelope of a plain_len-byte frame takes. */
size_t orca__seal_size(const orca__peer_key *key, size_t plain_len);

/* Wrap plain[0..len) for the wire into out (cap bytes; sealed when key is
 * non-NULL). Returns the envelope's length, or 0 when it does not fit. */
size_t orca__seal(const orca__peer_key *key, const uint8_t *plain, size_t len, uint8_t *out,
                  size_t cap);

/* Unwrap in[0..len). The frame is decrypted into out (cap bytes, at least
 * len) for a sealed envelope; a plain one is returned in place. Sets *frame
 * and *frame_len and returns ORCA__DROP_NONE, or the drop reason:
 * TRUNCATED, MODE, AUTH (forged, altered, cut, or another key). */
int orca__unseal(const orca__peer_key *key, const uint8_t *in, size_t len, uint8_t *out, size_t cap,
                 const uint8_t **frame, size_t *frame_len);

#endif
