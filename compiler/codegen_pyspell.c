/* codegen_pyspell.c — every Python spelling `orcac --lang python` emits:
 * string, bytes and float literals, docstrings and comments, the keywords
 * a name must avoid, and the module name of a .orca file.
 *
 * The Python model (codegen_py.c) decides what goes where; this file only
 * knows how Python writes it, so the generated module stays valid Python
 * whatever bytes a .orca doc comment or string holds. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codegen_internal.h"

/* The length of the valid UTF-8 sequence starting at s (at most n bytes
 * available), or 0 when it is not one (overlong forms, surrogates and code
 * points past U+10FFFF included). */
static size_t utf8_seq(const unsigned char *s, size_t n) {
  unsigned c = s[0];
  size_t len;
  unsigned cp;
  if (c < 0x80)
    return 1;
  if (c >= 0xc2 && c <= 0xdf) {
    len = 2;
    cp = c & 0x1f;
  } else if (c >= 0xe0 && c <= 0xef) {
    len = 3;
    cp = c & 0x0f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (len > n)
    return 0;
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xc0) != 0x80)
      return 0;
    cp = (cp << 6) | (s[i] & 0x3f);
  }
  if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
      (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
    return 0;
  return len;
}

/* Append s[0..n) as the inside of a Python string literal: quotes and
 * backslashes escaped, control characters as \xHH, valid UTF-8 kept as is
 * (the module is UTF-8 source). Bytes that are not valid UTF-8 cannot be in
 * a str: they are written as the text \xHH (escaped_bad), which is what a
 * docstring wants; string values never hold them (sema checks UTF-8). */
static void put_str_body(cg_sb *b, const char *s, size_t n) {
  const unsigned char *u = (const unsigned char *)s;
  for (size_t i = 0; i < n;) {
    unsigned char c = u[i];
    if (c == '"' || c == '\\') {
      cg_sb_putc(b, '\\');
      cg_sb_putc(b, (char)c);
      i++;
    } else if (c == '\n') {
      cg_sb_puts(b, "\\n");
      i++;
    } else if (c == '\t') {
      cg_sb_puts(b, "\\t");
      i++;
    } else if (c == '\r') {
      cg_sb_puts(b, "\\r");
      i++;
    } else if (c < 0x20 || c == 0x7f) {
      cg_sb_printf(b, "\\x%02x", c);
      i++;
    } else {
      size_t k = utf8_seq(u + i, n - i);
      if (k == 0) {
        cg_sb_printf(b, "\\\\x%02x", c);
        i++;
      } else {
        cg_sb_putn(b, s + i, k);
        i += k;
      }
    }
  }
}

char *cg_py_string(cg_pool *p, const char *s, size_t n) {
  if (!s)
    return cg_strdup(p, "None");
  cg_sb b = {0};
  cg_sb_putc(&b, '"');
  put_str_body(&b, s, n);
  cg_sb_putc(&b, '"');
  char *r = cg_sb_pool(p, &b);
  cg_sb_free(&b);
  return r;
}

char *cg_py_cstring(cg_pool *p, const char *s) {
  return cg_py_string(p, s, s ? strlen(s) : 0);
}

char *cg_py_bytes(cg_pool *p, const uint8_t *data, size_t n) {
  cg_sb b = {0};
  cg_sb_puts(&b, "b\"");
  for (size_t i = 0; i < n; i++) {
    uint8_t c = data[i];
    if (c == '"' || c == '\\')
      cg_sb_printf(&b, "\\%c", c);
    else if (c >= 0x20 && c < 0x7f)
      cg_sb_putc(&b, (char)c);
    else
      cg_sb_printf(&b, "\\x%02x", c);
  }
  cg_sb_putc(&b, '"');
  char *r = cg_sb_pool(p, &b);
  cg_sb_free(&b);
  return r;
}

char *cg_py_float(cg_pool *p, double v, bool f32) {
  if (f32)
    v = (double)(float)v; /* the value an f32 field really holds */
  if (isnan(v))
    return cg_strdup(p, "float(\"nan\")");
  if (isinf(v))
    return cg_strdup(p, v < 0 ? "float(\"-inf\")" : "float(\"inf\")");
  /* The shortest %.{1..17}g that reads back as v, as Python's repr does. */
  char buf[64];
  for (int prec = 1; prec <= 17; prec++) {
    snprintf(buf, sizeof buf, "%.*g", prec, v);
    if (strtod(buf, NULL) == v)
      break;
  }
  if (!strpbrk(buf, ".eEn"))
    strcat(buf, ".0");
  return cg_strdup(p, buf);
}

char *cg_py_docstring(cg_pool *p, const char *text, int indent) {
  cg_sb b = {0};
  cg_sb_printf(&b, "%*s\"\"\"", indent, "");
  const char *line = text ? text : "";
  for (bool first = true;; first = false) {
    const char *nl = strchr(line, '\n');
    size_t n = nl ? (size_t)(nl - line) : strlen(line);
    if (!first) {
      cg_sb_putc(&b, '\n');
      if (n)
        cg_sb_printf(&b, "%*s", indent, "");
    }
    /* Inside triple quotes a newline may stay raw; everything else is
     * escaped as in a one-line literal, so no quote can end it early. */
    put_str_body(&b, line, n);
    if (!nl)
      break;
    line = nl + 1;
  }
  cg_sb_puts(&b, "\"\"\"");
  char *r = cg_sb_pool(p, &b);
  cg_sb_free(&b);
  return r;
}

char *cg_py_comment(cg_pool *p, const char *text, int indent) {
  if (!text || !*text)
    return cg_strdup(p, "");
  cg_sb b = {0};
  const char *line = text;
  for (;;) {
    const char *nl = strchr(line, '\n');
    size_t n = nl ? (size_t)(nl - line) : strlen(line);
    cg_sb_printf(&b, "%*s#:%s", indent, "", n ? " " : "");
    /* A comment ends at the line's end only: drop carriage returns, and
     * keep other bytes readable the way a string would show them. */
    cg_sb tmp = {0};
    put_str_body(&tmp, line, n);
    if (tmp.len)
      cg_sb_putn(&b, tmp.data, tmp.len);
    cg_sb_free(&tmp);
    if (!nl)
      break;
    cg_sb_putc(&b, '\n');
    line = nl + 1;
  }
  char *r = cg_sb_pool(p, &b);
  cg_sb_free(&b);
  return r;
}

bool cg_py_keyword(const char *name) {
  static const char *const kw[] = {
      "False", "None",     "True",  "and",    "as",   "assert", "async",  "await",    "break",
      "class", "continue", "def",   "del",    "elif", "else",   "except", "finally",  "for",
      "from",  "global",   "if",    "import", "in",   "is",     "lambda", "nonlocal", "not",
      "or",    "pass",     "raise", "return", "try",  "while",  "with",   "yield"};
  for (size_t i = 0; i < sizeof kw / sizeof kw[0]; i++)
    if (strcmp(kw[i], name) == 0)
      return true;
  return false;
}

char *cg_py_module(cg_pool *p, const char *basename) {
  char *m = cg_printf(p, "%s_orca", basename);
  for (char *c = m; *c; c++)
    if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9')))
      *c = '_';
  return m;
}
