/* codegen_ctype.c — every C spelling the code generator emits: C types of
 * .orca types, literals for defaults, string literals, doc comments, byte
 * arrays.
 *
 * Keeping them in one file is what keeps the generated header, the
 * descriptor tables and docs/generated-api.md in agreement with the type
 * mapping of orca/schema.h; the model and the templates never spell a C type
 * themselves. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codegen_internal.h"
#include "idl/ast.h"

/* Append s[0..n) as the inside of a C string literal. Non-printable and
 * non-ASCII bytes become 3-digit octal escapes, which (unlike \x) never
 * swallow a following digit. "??" is broken up so no trigraph can form. */
static void put_escaped(cg_sb *b, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    switch (c) {
    case '"':
      cg_sb_puts(b, "\\\"");
      break;
    case '\\':
      cg_sb_puts(b, "\\\\");
      break;
    case '\n':
      cg_sb_puts(b, "\\n");
      break;
    case '\t':
      cg_sb_puts(b, "\\t");
      break;
    case '?':
      cg_sb_puts(b, i + 1 < n && s[i + 1] == '?' ? "?\\" : "?");
      break;
    default:
      if (c < 0x20 || c >= 0x7f)
        cg_sb_printf(b, "\\%03o", c);
      else
        cg_sb_putc(b, (char)c);
    }
  }
}

static char *c_string_n(cg_pool *p, const char *s, size_t n) {
  cg_sb b = {0};
  cg_sb_putc(&b, '"');
  put_escaped(&b, s, n);
  cg_sb_putc(&b, '"');
  char *r = cg_sb_pool(p, &b);
  cg_sb_free(&b);
  return r;
}

char *cg_c_string(cg_pool *p, const char *s) {
  return s ? c_string_n(p, s, strlen(s)) : cg_strdup(p, "NULL");
}

/* Append text's characters, defusing what C would not leave alone inside a
 * comment: a star-slash would end it early, a slash-star warns under
 * -Wcomment, and "??" could start a trigraph (a "??/" at the end of a line
 * is a line splice under -std=c11). A space goes between the two chars. */
static void put_defused(cg_sb *b, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    cg_sb_putc(b, s[i]);
    if (i + 1 < n && ((s[i] == '*' && s[i + 1] == '/') || (s[i] == '/' && s[i + 1] == '*') ||
                      (s[i] == '?' && s[i + 1] == '?')))
      cg_sb_putc(b, ' ');
  }
}

char *cg_c_defuse(cg_pool *p, const char *text) {
  cg_sb b = {0};
  put_defused(&b, text ? text : "", text ? strlen(text) : 0);
  char *r = cg_sb_pool(p, &b);
  cg_sb_free(&b);
  return r;
}

/* Each line of text as " * line" at `indent` spaces, joined by newlines. */
static void put_comment_lines(cg_sb *b, const char *text, int indent) {
  const char *line = text;
  for (;;) {
    const char *nl = strchr(line, '\n');
    size_t n = nl ? (size_t)(nl - line) : strlen(line);
    cg_sb_printf(b, "%*s *%s", indent, "", n ? " " : "");
    put_defused(b, line, n);
    if (!nl)
      break;
    cg_sb_putc(b, '\n');
    line = nl + 1;
  }
}

char *cg_c_comment_lines(cg_pool *p, const char *text) {
  if (!text || !*text)
    return cg_strdup(p, "");
  cg_sb b = {0};
  put_comment_lines(&b, text, 0);
  char *r = cg_sb_pool(p, &b);
  cg_sb_free(&b);
  return r;
}

char *cg_c_doc(cg_pool *p, const char *text, int indent) {
  if (!text || !*text)
    return cg_strdup(p, "");
  cg_sb b = {0};
  const char *nl = strchr(text, '\n');
  size_t n = nl ? (size_t)(nl - text) : strlen(text);
  cg_sb_printf(&b, "%*s/*%s", indent, "", n ? " " : "");
  put_defused(&b, text, n);
  if (nl) {
    cg_sb_putc(&b, '\n');
    put_comment_lines(&b, nl + 1, indent);
  }
  cg_sb_puts(&b, " */");
  char *r = cg_sb_pool(p, &b);
  cg_sb_free(&b);
  return r;
}

char *cg_c_decl(cg_pool *p, const char *ctype, const char *declarator) {
  size_t n = strlen(ctype);
  return cg_printf(p, "%s%s%s", ctype, n && ctype[n - 1] == '*' ? "" : " ", declarator);
}

static const char *scalar_ctype(orca_kind k) {
  switch (k) {
  case ORCA_KIND_BOOL:
    return "bool";
  case ORCA_KIND_I8:
    return "int8_t";
  case ORCA_KIND_I16:
    return "int16_t";
  case ORCA_KIND_I32:
    return "int32_t";
  case ORCA_KIND_I64:
  case ORCA_KIND_TIMESTAMP:
  case ORCA_KIND_DURATION:
    return "int64_t";
  case ORCA_KIND_U8:
    return "uint8_t";
  case ORCA_KIND_U16:
    return "uint16_t";
  case ORCA_KIND_U32:
    return "uint32_t";
  case ORCA_KIND_U64:
    return "uint64_t";
  case ORCA_KIND_F32:
    return "float";
  case ORCA_KIND_F64:
    return "double";
  case ORCA_KIND_STRING:
    return "char *";
  case ORCA_KIND_BYTES:
    return "orca_bytes";
  default:
    return NULL;
  }
}

const char *cg_scalar_node(int kind) {
  switch ((orca_kind)kind) {
  case ORCA_KIND_BOOL:
    return "orca_type_bool";
  case ORCA_KIND_I8:
    return "orca_type_i8";
  case ORCA_KIND_I16:
    return "orca_type_i16";
  case ORCA_KIND_I32:
    return "orca_type_i32";
  case ORCA_KIND_I64:
    return "orca_type_i64";
  case ORCA_KIND_U8:
    return "orca_type_u8";
  case ORCA_KIND_U16:
    return "orca_type_u16";
  case ORCA_KIND_U32:
    return "orca_type_u32";
  case ORCA_KIND_U64:
    return "orca_type_u64";
  case ORCA_KIND_F32:
    return "orca_type_f32";
  case ORCA_KIND_F64:
    return "orca_type_f64";
  case ORCA_KIND_STRING:
    return "orca_type_string";
  case ORCA_KIND_BYTES:
    return "orca_type_bytes";
  case ORCA_KIND_TIMESTAMP:
    return "orca_type_timestamp";
  case ORCA_KIND_DURATION:
    return "orca_type_duration";
  default:
    return NULL;
  }
}

char *cg_c_type(cg_pool *p, const orca_ast_type *t) {
  switch (t->kind) {
  case ORCA_KIND_ENUM:
  case ORCA_KIND_STRUCT:
    return cg_strdup(p, t->decl->c_name);
  case ORCA_KIND_LIST:
    return cg_printf(p, "struct { %s; size_t len; }",
                     cg_c_decl(p, cg_c_type(p, t->elem), "*items"));
  case ORCA_KIND_MAP:
    return cg_printf(p, "struct { %s; %s; size_t len; }",
                     cg_c_decl(p, cg_c_type(p, t->key), "*keys"),
                     cg_c_decl(p, cg_c_type(p, t->elem), "*values"));
  default: {
    const char *s = scalar_ctype(t->kind);
    return cg_strdup(p, s ? s : "void");
  }
  }
}

/* A floating constant that reads back to exactly v, always with a '.' or an
 * exponent so C sees a floating constant. */
static char *c_float(cg_pool *p, double v, bool f32) {
  if (isnan(v))
    return cg_strdup(p, f32 ? "NAN" : "(double)NAN");
  if (isinf(v))
    return cg_strdup(p, v < 0 ? (f32 ? "-INFINITY" : "-(double)INFINITY")
                              : (f32 ? "INFINITY" : "(double)INFINITY"));
  /* The shortest of %.{6..17}g that reads back as the same value. */
  char buf[64];
  for (int prec = 6; prec <= 17; prec++) {
    snprintf(buf, sizeof buf, "%.*g", prec, v);
    if (f32 ? strtof(buf, NULL) == (float)v : strtod(buf, NULL) == v)
      break;
  }
  if (!strpbrk(buf, ".eE"))
    strcat(buf, ".0");
  return cg_printf(p, "%s%s", buf, f32 ? "f" : "");
}

/* A signed constant of a type whose minimum cannot be written as a literal
 * (-2147483648 is the negation of a long constant, not an int). */
static char *c_signed(cg_pool *p, int64_t v, orca_kind k) {
  static const struct {
    orca_kind k;
    int64_t min;
    const char *name;
  } mins[] = {
      {ORCA_KIND_I8, INT8_MIN, "INT8_MIN"},          {ORCA_KIND_I16, INT16_MIN, "INT16_MIN"},
      {ORCA_KIND_I32, INT32_MIN, "INT32_MIN"},       {ORCA_KIND_I64, INT64_MIN, "INT64_MIN"},
      {ORCA_KIND_TIMESTAMP, INT64_MIN, "INT64_MIN"}, {ORCA_KIND_DURATION, INT64_MIN, "INT64_MIN"}};
  for (size_t i = 0; i < sizeof mins / sizeof mins[0]; i++)
    if (mins[i].k == k && v == mins[i].min)
      return cg_strdup(p, mins[i].name);
  if (k == ORCA_KIND_I64 || k == ORCA_KIND_TIMESTAMP || k == ORCA_KIND_DURATION)
    return cg_printf(p, "INT64_C(%" PRId64 ")", v);
  return cg_printf(p, "%" PRId64, v);
}

char *cg_c_literal(cg_pool *p, const orca_ast_lit *lit) {
  switch (lit->kind) {
  case ORCA_KIND_BOOL:
    return cg_strdup(p, lit->v.b ? "true" : "false");
  case ORCA_KIND_I8:
  case ORCA_KIND_I16:
  case ORCA_KIND_I32:
  case ORCA_KIND_I64:
  case ORCA_KIND_TIMESTAMP:
  case ORCA_KIND_DURATION:
    return c_signed(p, lit->v.i, lit->kind);
  case ORCA_KIND_U8:
  case ORCA_KIND_U16:
    return cg_printf(p, "%" PRIu64, lit->v.u);
  case ORCA_KIND_U32:
    return cg_printf(p, "%" PRIu64 "u", lit->v.u);
  case ORCA_KIND_U64:
    return cg_printf(p, "UINT64_C(%" PRIu64 ")", lit->v.u);
  case ORCA_KIND_F32:
    return c_float(p, lit->v.f, true);
  case ORCA_KIND_F64:
    return c_float(p, lit->v.f, false);
  case ORCA_KIND_STRING:
    return c_string_n(p, lit->str ? lit->str : "", lit->str ? lit->len : 0);
  case ORCA_KIND_ENUM:
    return lit->enum_value ? cg_strdup(p, lit->enum_value->c_name)
                           : cg_printf(p, "%" PRId64, lit->v.i);
  default:
    return NULL;
  }
}

char *cg_c_bytes(cg_pool *p, const uint8_t *data, size_t len, int indent) {
  cg_sb b = {0};
  for (size_t i = 0; i < len; i++) {
    if (i % 12 == 0) {
      if (i)
        cg_sb_putc(&b, '\n');
      cg_sb_printf(&b, "%*s", indent, "");
    } else {
      cg_sb_putc(&b, ' ');
    }
    cg_sb_printf(&b, "0x%02x%s", data[i], i + 1 < len ? "," : "");
  }
  char *r = cg_sb_pool(p, &b);
  cg_sb_free(&b);
  return r;
}
