/* arena.c — bump allocation for decoded values, and the heap allocator.
 *
 * Decoding a task's arguments allocates many small pieces (strings, lists)
 * that all die when the task ends. The worker keeps one arena per handler
 * thread and resets it after each task, so the hot path allocates nothing
 * once the arena is warm. */
#include "orca/memory.h"

#include <stdalign.h>
#include <stdlib.h>

struct orca_arena_chunk {
  orca_arena_chunk *next;
  size_t size; /* usable bytes in data */
  size_t used;
  alignas(max_align_t) unsigned char data[];
};

static void *heap_alloc(void *ctx, size_t size) {
  (void)ctx;
  return malloc(size ? size : 1);
}

static void heap_free(void *ctx, void *ptr) {
  (void)ctx;
  free(ptr);
}

const orca_alloc orca_heap = {heap_alloc, heap_free, NULL};

static void *arena_alloc_cb(void *ctx, size_t size) {
  return orca_arena_alloc(ctx, size);
}

void orca_arena_init(orca_arena *a, size_t chunk_size) {
  a->head = NULL;
  a->free = NULL;
  a->chunk_size = chunk_size ? chunk_size : 4096;
  a->limit = 0;
  a->used = 0;
  a->alloc.alloc = arena_alloc_cb;
  a->alloc.free = NULL;
  a->alloc.ctx = a;
}

static orca_arena_chunk *take_chunk(orca_arena *a, size_t need) {
  /* Reuse a kept chunk that is big enough. */
  for (orca_arena_chunk **pp = &a->free; *pp; pp = &(*pp)->next) {
    orca_arena_chunk *c = *pp;
    if (c->size >= need) {
      *pp = c->next;
      c->used = 0;
      return c;
    }
  }
  size_t size = need > a->chunk_size ? need : a->chunk_size;
  orca_arena_chunk *c = malloc(sizeof *c + size);
  if (!c)
    return NULL;
  c->size = size;
  c->used = 0;
  return c;
}

void *orca_arena_alloc(orca_arena *a, size_t size) {
  const size_t al = alignof(max_align_t);
  size = (size + al - 1) & ~(al - 1);
  if (size == 0)
    size = al;
  if (a->limit && (size > a->limit || a->used > a->limit - size))
    return NULL;
  orca_arena_chunk *c = a->head;
  if (!c || c->size - c->used < size) {
    c = take_chunk(a, size);
    if (!c)
      return NULL;
    c->next = a->head;
    a->head = c;
  }
  void *p = c->data + c->used;
  c->used += size;
  a->used += size;
  return p;
}

void orca_arena_reset(orca_arena *a) {
  while (a->head) {
    orca_arena_chunk *c = a->head;
    a->head = c->next;
    c->next = a->free;
    a->free = c;
  }
  a->used = 0;
}

static void free_list(orca_arena_chunk *c) {
  while (c) {
    orca_arena_chunk *n = c->next;
    free(c);
    c = n;
  }
}

void orca_arena_free(orca_arena *a) {
  free_list(a->head);
  free_list(a->free);
  a->head = a->free = NULL;
  a->used = 0;
}
