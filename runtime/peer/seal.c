/* seal.c — sealing and opening frame envelopes with libsodium (seal.h). */
#include "peer/seal.h"

#include <sodium.h>
#include <string.h>

#include "peer/drop.h"

_Static_assert(ORCA__SEAL_NONCE == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, "nonce size");
_Static_assert(ORCA__SEAL_TAG == crypto_aead_xchacha20poly1305_ietf_ABYTES, "tag size");
_Static_assert(sizeof(((orca__peer_key *)0)->k) == crypto_aead_xchacha20poly1305_ietf_KEYBYTES,
               "key size");

size_t orca__seal_size(const orca__peer_key *key, size_t plain_len) {
  return plain_len + (key ? ORCA__SEAL_OVERHEAD : 1);
}

size_t orca__seal(const orca__peer_key *key, const uint8_t *plain, size_t len, uint8_t *out,
                  size_t cap) {
  size_t need = orca__seal_size(key, len);
  if (cap < need)
    return 0;
  if (!key) {
    out[0] = ORCA__SEAL_PLAIN;
    memmove(out + 1, plain, len);
    return need;
  }
  out[0] = ORCA__SEAL_SEALED;
  randombytes_buf(out + 1, ORCA__SEAL_NONCE);
  unsigned long long clen = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(out + 1 + ORCA__SEAL_NONCE, &clen, plain, len, out, 1,
                                             NULL, out + 1, key->k);
  return 1 + ORCA__SEAL_NONCE + (size_t)clen;
}

int orca__unseal(const orca__peer_key *key, const uint8_t *in, size_t len, uint8_t *out, size_t cap,
                 const uint8_t **frame, size_t *frame_len) {
  if (len < 1)
    return ORCA__DROP_TRUNCATED;
  if (in[0] != (key ? ORCA__SEAL_SEALED : ORCA__SEAL_PLAIN))
    return in[0] == ORCA__SEAL_SEALED || in[0] == ORCA__SEAL_PLAIN ? ORCA__DROP_MODE
                                                                   : ORCA__DROP_MALFORMED;
  if (!key) {
    *frame = in + 1;
    *frame_len = len - 1;
    return ORCA__DROP_NONE;
  }
  if (len < ORCA__SEAL_OVERHEAD)
    return ORCA__DROP_TRUNCATED;
  if (cap < len)
    return ORCA__DROP_OVERSIZED;
  unsigned long long mlen = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(out, &mlen, NULL, in + 1 + ORCA__SEAL_NONCE,
                                                 len - 1 - ORCA__SEAL_NONCE, in, 1, in + 1,
                                                 key->k) != 0)
    return ORCA__DROP_AUTH;
  *frame = out;
  *frame_len = (size_t)mlen;
  return ORCA__DROP_NONE;
}
