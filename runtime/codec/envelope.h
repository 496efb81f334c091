/* envelope.h — the wire record of one task: identity, routing, timing and the
 * encoded arguments. Backends store it as opaque bytes; workers decode it.
 *
 * Encoded as a msgpack map keyed by small integers (like a generated struct)
 * so fields can be added later; unknown keys are skipped. Decoding is
 * zero-copy: strings and args point into the input, which must outlive the
 * envelope. Every byte is treated as hostile. */
#ifndef ORCA__ENVELOPE_H
#define ORCA__ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include "orca/error.h"
#include "orca/memory.h"

#define ORCA__ENVELOPE_VERSION 1
#define ORCA__MAX_HEADERS 32

typedef struct orca__str {
  const char *ptr; /* not NUL-terminated when decoded */
  size_t len;
} orca__str;

typedef struct orca__header {
  orca__str key, value;
} orca__header;

typedef struct orca__envelope {
  uint32_t v;           /* format version */
  orca__str id;         /* task id */
  orca__str task;       /* qualified task name */
  uint64_t fingerprint; /* fingerprint of the args schema */
  orca__str queue;
  int32_t priority;
  uint32_t attempt; /* attempts made before this delivery (0 first) */
  int64_t enqueued_us;
  int64_t eta_us;       /* 0 = immediately */
  int64_t deadline_us;  /* absolute; 0 = none */
  orca__str unique_key; /* cache/unique key, empty if none */
  size_t nheaders;
  orca__header headers[ORCA__MAX_HEADERS];
  const uint8_t *args; /* msgpack of the args struct */
  size_t args_len;
} orca__envelope;

/* Append the encoding of e to out. Returns 0 or ORCA_ENOMEM. */
int orca__envelope_encode(const orca__envelope *e, orca_buf *out);

/* Decode data[0..len) into *e (zero-copy, pointers into data). Returns 0, or
 * ORCA_EDECODE with err naming the bad field. */
int orca__envelope_decode(const uint8_t *data, size_t len, orca__envelope *e, orca_err *err);

#endif
