/* orca/memory.h — the byte buffer and the allocators liborca and generated
 * code share.
 *
 * orca_buf is a growable byte buffer that the caller owns; encoders append to
 * it, so one buffer reused across tasks means no allocation in steady state.
 * orca_alloc is the allocator a decoder takes for the memory of decoded
 * values: orca_heap (malloc/free; free values with the type's free function)
 * or an orca_arena (bump allocation, values die together at reset). */
#ifndef ORCA_MEMORY_H
#define ORCA_MEMORY_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct orca_buf {
  uint8_t *data; /* owned; NULL while cap == 0 */
  size_t len;
  size_t cap;
} orca_buf;

#define ORCA_BUF_INIT                                                                              \
  { NULL, 0, 0 }

/* Make b an empty buffer (same as = ORCA_BUF_INIT). Takes no memory. */
static inline void orca_buf_init(orca_buf *b) {
  b->data = NULL;
  b->len = b->cap = 0;
}

/* Make room for at least `extra` more bytes. Returns 0 or ORCA_ENOMEM (the
 * buffer is then unchanged). */
int orca_buf_reserve(orca_buf *b, size_t extra);
/* Append n bytes. Returns 0 or ORCA_ENOMEM (nothing appended). */
int orca_buf_append(orca_buf *b, const void *p, size_t n);
/* Forget the contents, keep the memory. */
static inline void orca_buf_reset(orca_buf *b) {
  b->len = 0;
}
/* Release the memory; the buffer is empty and reusable afterwards. */
void orca_buf_free(orca_buf *b);

/* An allocator for decoded values. `free` may be NULL (arena: memory is
 * released all at once). */
typedef struct orca_alloc {
  void *(*alloc)(void *ctx, size_t size); /* returns NULL when out of memory */
  void (*free)(void *ctx, void *ptr);
  void *ctx;
} orca_alloc;

/* The process-wide malloc/free allocator. */
extern const orca_alloc orca_heap;

/* A bump allocator. Chunks are kept across orca_arena_reset(), so an arena
 * reused per task allocates nothing once warm. */
typedef struct orca_arena_chunk orca_arena_chunk;
typedef struct orca_arena {
  orca_arena_chunk *head; /* chunk being filled */
  orca_arena_chunk *free; /* chunks kept for reuse */
  size_t chunk_size;      /* default size of a new chunk */
  size_t limit;           /* 0 = unlimited; otherwise alloc fails past this */
  size_t used;            /* bytes handed out since the last reset */
  orca_alloc alloc;       /* allocator interface over this arena */
} orca_arena;

/* Set up an arena (no memory is taken until the first allocation).
 * chunk_size 0 picks 4 KiB. The arena must not be moved after this call. */
void orca_arena_init(orca_arena *a, size_t chunk_size);
/* Allocate size bytes aligned for any scalar. NULL if out of memory or past
 * the limit. */
void *orca_arena_alloc(orca_arena *a, size_t size);
/* Release everything allocated since init or the last reset; keep chunks. */
void orca_arena_reset(orca_arena *a);
/* Release all memory. */
void orca_arena_free(orca_arena *a);

#ifdef __cplusplus
}
#endif
#endif
