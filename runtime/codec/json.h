/* codec/json.h — the JSON tree json_parse.c builds (for `orca enqueue`
 * arguments and anything else a user types) and the JSON string writer the
 * printers share. */
#ifndef ORCA__CODEC_JSON_H
#define ORCA__CODEC_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "orca/codec.h"

typedef enum orca__json_kind {
  ORCA__JSON_NULL,
  ORCA__JSON_BOOL,
  ORCA__JSON_NUMBER,
  ORCA__JSON_STRING,
  ORCA__JSON_ARRAY,
  ORCA__JSON_OBJECT,
} orca__json_kind;

typedef struct orca__json orca__json;
typedef struct orca__json_member orca__json_member;

/* A parsed JSON value. Everything lives in the arena given to the parser. */
struct orca__json {
  orca__json_kind kind;
  size_t offset; /* byte offset of the value in the text, for messages */
  union {
    bool b;
    struct {
      const char *text; /* the number as written (inside the input) */
      size_t len;
      bool is_int; /* no fraction, no exponent */
    } num;
    struct {
      char *ptr; /* unescaped, NUL-terminated, valid UTF-8, no NUL inside */
      size_t len;
    } str;
    struct {
      orca__json *items;
      size_t len;
    } arr;
    struct {
      orca__json_member *items;
      size_t len;
    } obj;
  } v;
};

struct orca__json_member {
  char *key; /* unescaped, NUL-terminated */
  size_t key_len;
  orca__json value;
};

/* Parse text[0..len) as one strict RFC 8259 JSON value (nesting bounded by
 * ORCA_CODEC_MAX_DEPTH, strings without \u0000). Returns 0 and *out (in
 * arena), ORCA_EINVAL with err saying what and at which byte, or
 * ORCA_ENOMEM. */
int orca__json_parse(const char *text, size_t len, orca_arena *arena, orca__json **out,
                     orca_err *err);

/* Append s[0..n) as a JSON string literal (quotes and escapes; invalid UTF-8
 * is replaced by U+FFFD). Returns 0 or ORCA_ENOMEM. */
int orca__json_put_string(orca_buf *out, const char *s, size_t n);

#endif
