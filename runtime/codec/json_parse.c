/* json_parse.c — a small strict JSON parser (RFC 8259) into a tree held in an
 * arena, for `orca enqueue` arguments and anything else a user types.
 *
 * Strict means: one value and only whitespace around it, no comments, no
 * trailing commas, no leading zeros, no NaN/Infinity, no control characters in
 * strings, raw strings must be valid UTF-8 and \u escapes must pair
 * surrogates. \u0000 is refused because values become C strings. Nesting is
 * bounded by ORCA_CODEC_MAX_DEPTH. Errors give the byte offset. Duplicate
 * object keys are kept here; the schema converter decides (json_to_msgpack.c). */
#include "codec/json.h"
#include "codec/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct parser {
  const char *s, *p, *end;
  orca_arena *arena;
  orca_err *err;
} parser;

__attribute__((format(printf, 3, 4))) static int syntax(parser *ps, size_t at, const char *fmt,
                                                        ...) {
  if (ps->err) {
    char msg[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    orca_err_set(ps->err, ORCA_EINVAL, "invalid JSON at byte %zu: %s", at, msg);
  }
  return ORCA_EINVAL;
}

static int nomem(parser *ps) {
  return orca_err_set(ps->err, ORCA_ENOMEM, "JSON: out of memory");
}

static void ws(parser *ps) {
  while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
    ps->p++;
}

static size_t at(const parser *ps) {
  return (size_t)(ps->p - ps->s);
}

/* A short description of what is at the cursor, for messages. */
static const char *found(const parser *ps) {
  return ps->p >= ps->end ? "end of input" : "unexpected character";
}

static int hex4(parser *ps, uint32_t *out) {
  if (ps->end - ps->p < 4)
    return syntax(ps, at(ps), "truncated \\u escape");
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) {
    char c = ps->p[i];
    v <<= 4;
    if (c >= '0' && c <= '9')
      v |= (uint32_t)(c - '0');
    else if (c >= 'a' && c <= 'f')
      v |= (uint32_t)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
      v |= (uint32_t)(c - 'A' + 10);
    else
      return syntax(ps, at(ps) + (size_t)i, "bad hex digit in \\u escape");
  }
  ps->p += 4;
  *out = v;
  return 0;
}

static size_t put_utf8(char *d, uint32_t cp) {
  if (cp < 0x80) {
    d[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    d[0] = (char)(0xc0 | cp >> 6);
    d[1] = (char)(0x80 | (cp & 0x3f));
    return 2;
  }
  if (cp < 0x10000) {
    d[0] = (char)(0xe0 | cp >> 12);
    d[1] = (char)(0x80 | (cp >> 6 & 0x3f));
    d[2] = (char)(0x80 | (cp & 0x3f));
    return 3;
  }
  d[0] = (char)(0xf0 | cp >> 18);
  d[1] = (char)(0x80 | (cp >> 12 & 0x3f));
  d[2] = (char)(0x80 | (cp >> 6 & 0x3f));
  d[3] = (char)(0x80 | (cp & 0x3f));
  return 4;
}

/* string -> '"' chars '"' ; the cursor is on the opening quote. */
static int parse_string(parser *ps, char **out, size_t *outlen) {
  size_t start = at(ps);
  ps->p++;
  /* The unescaped text is never longer than the escaped one. */
  const char *q = ps->p;
  while (q < ps->end && *q != '"') {
    if (*q == '\\' && q + 1 < ps->end)
      q++;
    q++;
  }
  if (q >= ps->end)
    return syntax(ps, start, "unterminated string");
  char *d = orca_arena_alloc(ps->arena, (size_t)(q - ps->p) + 1);
  if (!d)
    return nomem(ps);
  size_t n = 0;
  while (*ps->p != '"') {
    const char *run = ps->p;
    while (*ps->p != '"' && *ps->p != '\\' && (unsigned char)*ps->p >= 0x20)
      ps->p++;
    if (ps->p > run) {
      if (!orca__utf8_valid((const uint8_t *)run, (size_t)(ps->p - run)))
        return syntax(ps, (size_t)(run - ps->s), "string is not valid UTF-8");
      memcpy(d + n, run, (size_t)(ps->p - run));
      n += (size_t)(ps->p - run);
    }
    if (*ps->p == '"')
      break;
    if ((unsigned char)*ps->p < 0x20)
      return syntax(ps, at(ps), "control character in string (escape it)");
    ps->p++; /* backslash */
    char e = *ps->p++;
    switch (e) {
    case '"':
    case '\\':
    case '/':
      d[n++] = e;
      break;
    case 'b':
      d[n++] = '\b';
      break;
    case 'f':
      d[n++] = '\f';
      break;
    case 'n':
      d[n++] = '\n';
      break;
    case 'r':
      d[n++] = '\r';
      break;
    case 't':
      d[n++] = '\t';
      break;
    case 'u': {
      uint32_t cp;
      int rc = hex4(ps, &cp);
      if (rc)
        return rc;
      if (cp >= 0xdc00 && cp <= 0xdfff)
        return syntax(ps, at(ps) - 6, "lone low surrogate in \\u escape");
      if (cp >= 0xd800 && cp <= 0xdbff) {
        uint32_t lo;
        if (ps->end - ps->p < 2 || ps->p[0] != '\\' || ps->p[1] != 'u')
          return syntax(ps, at(ps) - 6, "high surrogate without a low one");
        ps->p += 2;
        if ((rc = hex4(ps, &lo)))
          return rc;
        if (lo < 0xdc00 || lo > 0xdfff)
          return syntax(ps, at(ps) - 6, "high surrogate without a low one");
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
      }
      if (cp == 0)
        return syntax(ps, at(ps) - 6, "\\u0000 is not allowed in strings");
      n += put_utf8(d + n, cp);
      break;
    }
    default:
      return syntax(ps, at(ps) - 2, "bad escape");
    }
  }
  ps->p++; /* closing quote */
  d[n] = 0;
  *out = d;
  *outlen = n;
  return 0;
}

/* number -> '-'? int frac? exp? */
static int parse_number(parser *ps, orca__json *v) {
  const char *b = ps->p;
  bool is_int = true;
  if (ps->p < ps->end && *ps->p == '-')
    ps->p++;
  if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
    return syntax(ps, (size_t)(b - ps->s), "bad number");
  if (*ps->p == '0') {
    ps->p++;
    if (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
      return syntax(ps, (size_t)(b - ps->s), "leading zero in number");
  } else {
    while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
      ps->p++;
  }
  if (ps->p < ps->end && *ps->p == '.') {
    is_int = false;
    ps->p++;
    if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
      return syntax(ps, at(ps), "digit expected after '.'");
    while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
      ps->p++;
  }
  if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
    is_int = false;
    ps->p++;
    if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
      ps->p++;
    if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
      return syntax(ps, at(ps), "digit expected in exponent");
    while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
      ps->p++;
  }
  v->kind = ORCA__JSON_NUMBER;
  v->v.num.text = b;
  v->v.num.len = (size_t)(ps->p - b);
  v->v.num.is_int = is_int;
  return 0;
}

/* Grow a vector kept in the arena (old storage is abandoned to the arena). */
static void *grow(parser *ps, void *items, size_t len, size_t *cap, size_t elem) {
  if (len < *cap)
    return items;
  size_t ncap = *cap ? *cap * 2 : 4;
  void *n = orca_arena_alloc(ps->arena, ncap * elem);
  if (n && len)
    memcpy(n, items, len * elem);
  *cap = ncap;
  return n;
}

static int parse_value(parser *ps, orca__json *v, int depth);

/* array -> '[' (value (',' value)*)? ']' */
static int parse_array(parser *ps, orca__json *v, int depth) {
  size_t open = at(ps), cap = 0;
  ps->p++;
  v->kind = ORCA__JSON_ARRAY;
  v->v.arr.items = NULL;
  v->v.arr.len = 0;
  ws(ps);
  if (ps->p < ps->end && *ps->p == ']') {
    ps->p++;
    return 0;
  }
  for (;;) {
    orca__json *items = grow(ps, v->v.arr.items, v->v.arr.len, &cap, sizeof *items);
    if (!items)
      return nomem(ps);
    v->v.arr.items = items;
    int rc = parse_value(ps, &items[v->v.arr.len], depth + 1);
    if (rc)
      return rc;
    v->v.arr.len++;
    ws(ps);
    if (ps->p < ps->end && *ps->p == ',') {
      ps->p++;
      continue;
    }
    if (ps->p < ps->end && *ps->p == ']') {
      ps->p++;
      return 0;
    }
    return syntax(ps, at(ps), "expected ',' or ']' (to close '[' at byte %zu), got %s", open,
                  found(ps));
  }
}

/* object -> '{' (string ':' value (',' string ':' value)*)? '}' */
static int parse_object(parser *ps, orca__json *v, int depth) {
  size_t open = at(ps), cap = 0;
  ps->p++;
  v->kind = ORCA__JSON_OBJECT;
  v->v.obj.items = NULL;
  v->v.obj.len = 0;
  ws(ps);
  if (ps->p < ps->end && *ps->p == '}') {
    ps->p++;
    return 0;
  }
  for (;;) {
    ws(ps);
    if (ps->p >= ps->end || *ps->p != '"')
      return syntax(ps, at(ps), "expected a string key in object (opened at byte %zu), got %s",
                    open, found(ps));
    orca__json_member *items = grow(ps, v->v.obj.items, v->v.obj.len, &cap, sizeof *items);
    if (!items)
      return nomem(ps);
    v->v.obj.items = items;
    orca__json_member *m = &items[v->v.obj.len];
    int rc = parse_string(ps, &m->key, &m->key_len);
    if (rc)
      return rc;
    ws(ps);
    if (ps->p >= ps->end || *ps->p != ':')
      return syntax(ps, at(ps), "expected ':' after object key, got %s", found(ps));
    ps->p++;
    if ((rc = parse_value(ps, &m->value, depth + 1)))
      return rc;
    v->v.obj.len++;
    ws(ps);
    if (ps->p < ps->end && *ps->p == ',') {
      ps->p++;
      continue;
    }
    if (ps->p < ps->end && *ps->p == '}') {
      ps->p++;
      return 0;
    }
    return syntax(ps, at(ps), "expected ',' or '}' (to close '{' at byte %zu), got %s", open,
                  found(ps));
  }
}

static bool literal(parser *ps, const char *word) {
  size_t n = strlen(word);
  if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
    return false;
  ps->p += n;
  return true;
}

/* value -> object | array | string | number | true | false | null */
static int parse_value(parser *ps, orca__json *v, int depth) {
  ws(ps);
  v->offset = at(ps);
  if (ps->p >= ps->end)
    return syntax(ps, at(ps), "expected a value, got end of input");
  switch (*ps->p) {
  case '{':
  case '[':
    if (depth >= ORCA_CODEC_MAX_DEPTH)
      return syntax(ps, at(ps), "nested deeper than %d levels", ORCA_CODEC_MAX_DEPTH);
    return *ps->p == '{' ? parse_object(ps, v, depth) : parse_array(ps, v, depth);
  case '"':
    v->kind = ORCA__JSON_STRING;
    return parse_string(ps, &v->v.str.ptr, &v->v.str.len);
  case 't':
  case 'f':
  case 'n':
    if (literal(ps, "true") || literal(ps, "false")) {
      v->kind = ORCA__JSON_BOOL;
      v->v.b = ps->s[v->offset] == 't';
      return 0;
    }
    if (literal(ps, "null")) {
      v->kind = ORCA__JSON_NULL;
      return 0;
    }
    return syntax(ps, at(ps), "unknown literal (expected true, false or null)");
  default:
    if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9'))
      return parse_number(ps, v);
    return syntax(ps, at(ps), "expected a value, got unexpected character");
  }
}

int orca__json_parse(const char *text, size_t len, orca_arena *arena, orca__json **out,
                     orca_err *err) {
  static const char empty[1];
  if (!text)
    text = empty, len = 0;
  parser ps = {text, text, text + len, arena, err};
  orca__json *v = orca_arena_alloc(arena, sizeof *v);
  if (!v)
    return nomem(&ps);
  int rc = parse_value(&ps, v, 0);
  if (rc)
    return rc;
  ws(&ps);
  if (ps.p != ps.end)
    return syntax(&ps, at(&ps), "trailing characters after the value");
  *out = v;
  return 0;
}
