/* idl/diag.c — printing diagnostics with the source line and a caret. */
#include "idl/diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

orcac_source *orcac_diag_add_source(orcac_diags *d, const char *path, const char *text,
                                    size_t len) {
  orcac_source *s = calloc(1, sizeof *s);
  char *p = strdup(path);
  char *t = malloc(len + 1);
  if (!s || !p || !t) {
    free(s);
    free(p);
    free(t);
    return NULL;
  }
  memcpy(t, text, len);
  t[len] = '\0';
  s->path = p;
  s->text = t;
  s->len = len;
  s->next = d->sources;
  d->sources = s;
  return s;
}

/* Offsets of line starts, so printing the caret line is O(1) per error. */
static bool index_lines(orcac_source *s) {
  if (s->lines)
    return true;
  size_t n = 1;
  for (size_t i = 0; i < s->len; i++)
    n += s->text[i] == '\n';
  s->lines = malloc(n * sizeof *s->lines);
  if (!s->lines)
    return false;
  s->nlines = 0;
  s->lines[s->nlines++] = 0;
  for (size_t i = 0; i < s->len; i++)
    if (s->text[i] == '\n')
      s->lines[s->nlines++] = i + 1;
  return true;
}

static orcac_source *find_source(orcac_diags *d, const char *path) {
  for (orcac_source *s = d->sources; s; s = s->next)
    if (s->path == path || (path && strcmp(s->path, path) == 0))
      return s;
  return NULL;
}

static bool continuation(char c) {
  return ((unsigned char)c & 0xC0) == 0x80;
}

/* Print the line of pos and a caret under its column; tabs are kept in the
 * caret line so it lines up in any tab width. Of a line longer than
 * ORCAC_DIAG_LINE_MAX bytes only that many around the column are printed,
 * with "..." where it was cut (never inside a UTF-8 character), so a huge
 * one-line input cannot turn 200 messages into gigabytes. */
static void print_caret(orcac_diags *d, orca_ast_pos pos) {
  orcac_source *s = find_source(d, pos.file);
  if (!s || !index_lines(s) || pos.line == 0 || pos.line > s->nlines)
    return;
  const char *line = s->text + s->lines[pos.line - 1];
  size_t n = 0;
  while (line + n < s->text + s->len && line[n] != '\n' && line[n] != '\r')
    n++;
  size_t col = pos.col ? pos.col - 1 : 0, start = 0, end = n;
  if (n > ORCAC_DIAG_LINE_MAX) {
    start = col > ORCAC_DIAG_LINE_MAX / 2 ? col - ORCAC_DIAG_LINE_MAX / 2 : 0;
    end = start + ORCAC_DIAG_LINE_MAX < n ? start + ORCAC_DIAG_LINE_MAX : n;
    while (start > 0 && continuation(line[start]))
      start--;
    while (end < n && continuation(line[end]))
      end--;
  }
  const char *pre = start ? "..." : "";
  fprintf(d->out, "%s%.*s%s\n", pre, (int)(end - start), line + start, end < n ? "..." : "");
  fputs(start ? "   " : "", d->out);
  for (size_t i = start; i < col && i < end; i++)
    fputc(line[i] == '\t' ? '\t' : ' ', d->out);
  fputs("^\n", d->out);
}

/* Print one diagnostic now (and remember it as the first error). */
static void emit(orcac_diags *d, bool warning, orca_ast_pos pos, const char *msg) {
  const char *file = pos.file ? pos.file : "orcac";
  bool at = pos.file && pos.line;
  if (!warning && !d->first.msg[0]) {
    if (at)
      orca_err_set(&d->first, ORCA_EINVAL, "%s:%u:%u: %s", file, pos.line, pos.col, msg);
    else
      orca_err_set(&d->first, ORCA_EINVAL, "%s: %s", file, msg);
  }
  if (!d->out)
    return;
  if (at)
    fprintf(d->out, "%s:%u:%u: ", file, pos.line, pos.col);
  else
    fprintf(d->out, "%s: ", file);
  fprintf(d->out, "%s: %s\n", warning ? "warning" : "error", msg);
  if (pos.line)
    print_caret(d, pos);
}

/* Print or hold (orcac_diag_hold) one formatted message. */
static void report(orcac_diags *d, bool warning, orca_ast_pos pos, const char *msg) {
  if (d->holding) {
    if (d->nheld == d->capheld) {
      size_t cap = d->capheld ? d->capheld * 2 : 16;
      orcac_held *h = realloc(d->held, cap * sizeof *h);
      if (!h) {
        emit(d, warning, pos, msg); /* cannot hold: print out of order */
        return;
      }
      d->held = h;
      d->capheld = cap;
    }
    char *copy = strdup(msg);
    if (!copy) {
      emit(d, warning, pos, msg);
      return;
    }
    d->held[d->nheld++] = (orcac_held){pos, warning, d->seq++, copy};
    return;
  }
  emit(d, warning, pos, msg);
}

static bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* Shorten, in place, every run of name characters longer than
 * ORCAC_DIAG_NAME_MAX to its first and last ORCAC_DIAG_NAME_KEEP characters
 * around "...", so a long name cannot bury the reason of a message. */
static void elide_names(char *msg) {
  enum { KEEP = ORCAC_DIAG_NAME_KEEP };
  char *out = msg;
  for (const char *p = msg; *p;) {
    size_t n = 0;
    while (name_char(p[n]))
      n++;
    if (n > ORCAC_DIAG_NAME_MAX) {
      memmove(out, p, KEEP);
      memcpy(out + KEEP, "...", 3);
      memmove(out + KEEP + 3, p + n - KEEP, KEEP);
      out += 2 * KEEP + 3;
    } else if (n) {
      memmove(out, p, n);
      out += n;
    } else {
      *out++ = *p;
      n = 1;
    }
    p += n;
  }
  *out = '\0';
}

void orcac_diag(orcac_diags *d, bool warning, orca_ast_pos pos, const char *fmt, ...) {
  /* The whole message, however long its arguments are: a fixed buffer would
   * cut the reason off after a long name. */
  char small[256];
  va_list ap;
  va_start(ap, fmt);
  int len = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  char *msg = small;
  if (len >= (int)sizeof small) {
    char *big = malloc((size_t)len + 1);
    if (big) {
      va_start(ap, fmt);
      vsnprintf(big, (size_t)len + 1, fmt, ap);
      va_end(ap);
      msg = big;
    }
  }
  elide_names(msg);
  if (warning)
    d->warnings++;
  else
    d->errors++;
  unsigned max = d->max_errors ? d->max_errors : 200;
  if (d->errors <= max)
    report(d, warning, pos, msg);
  if (msg != small)
    free(msg);
}

size_t orcac_diag_hold(orcac_diags *d) {
  d->holding++;
  return d->nheld;
}

static int cmp_held(const void *a, const void *b) {
  const orcac_held *x = a, *y = b;
  int c = strcmp(x->pos.file ? x->pos.file : "", y->pos.file ? y->pos.file : "");
  if (c)
    return c;
  if (x->pos.line != y->pos.line)
    return x->pos.line < y->pos.line ? -1 : 1;
  if (x->pos.col != y->pos.col)
    return x->pos.col < y->pos.col ? -1 : 1;
  return (x->seq > y->seq) - (x->seq < y->seq);
}

void orcac_diag_flush(orcac_diags *d, size_t mark) {
  if (d->holding)
    d->holding--;
  if (mark >= d->nheld)
    return;
  qsort(d->held + mark, d->nheld - mark, sizeof *d->held, cmp_held);
  for (size_t i = mark; i < d->nheld; i++) {
    emit(d, d->held[i].warning, d->held[i].pos, d->held[i].msg);
    free(d->held[i].msg);
  }
  d->nheld = mark;
}

void orcac_diag_free(orcac_diags *d) {
  for (size_t i = 0; i < d->nheld; i++)
    free(d->held[i].msg);
  free(d->held);
  d->held = NULL;
  d->nheld = d->capheld = 0;
  orcac_source *s = d->sources;
  while (s) {
    orcac_source *next = s->next;
    free((void *)s->path);
    free((void *)s->text);
    free(s->lines);
    free(s);
    s = next;
  }
  d->sources = NULL;
}
