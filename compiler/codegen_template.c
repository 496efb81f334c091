/* codegen_template.c — the small mustache-like engine that renders orcac's
 * templates (the .mustache files in templates/) against the model codegen_model.c builds.
 *
 * Why our own: the project vendors no third-party code and Debian packages no
 * C mustache library; the subset we need (variables, sections over lists,
 * inverted sections, partials, standalone-line trimming) fits in one file.
 * Output is C, so nothing is escaped; the model carries ready-made
 * spellings. Syntax and semantics are documented at cg_render() in
 * codegen_internal.h. A template is tokenized once per render call and kept
 * in a small cache so partials used in loops are not re-parsed. */
#include "codegen_internal.h"

#include <stdio.h>
#include <string.h>

typedef enum tok_kind { T_TEXT, T_VAR, T_SECTION, T_INVERTED, T_CLOSE, T_PARTIAL } tok_kind;

typedef struct tok {
  tok_kind kind;
  const char *s; /* text, or the tag's name */
  size_t n;
  int line;
  size_t close; /* T_SECTION/T_INVERTED: index of the matching T_CLOSE */
} tok;

typedef struct tmpl {
  const char *name;
  tok *toks;
  size_t ntoks;
  struct tmpl *next;
} tmpl;

#define MAX_FRAMES 64
#define MAX_OPEN 64

typedef struct frame {
  const cg_val *v;
  bool is_item; /* pushed by iterating a list: -first/-last/-index apply */
  size_t index, count;
} frame;

typedef struct renderer {
  cg_pool *pool;
  const cg_template_src *src;
  tmpl *cache;
  frame frames[MAX_FRAMES];
  int nframes;
  int partial_depth;
  cg_sb *out;
} renderer;

static int fail(const char *tname, int line, const char *msg, const char *s, size_t n) {
  fprintf(stderr, "orcac: template %s:%d: %s", tname, line, msg);
  if (s)
    fprintf(stderr, " '%.*s'", (int)n, s);
  fputc('\n', stderr);
  return -1;
}

static bool blank(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}

/* A tag that produces no output of its own may stand alone on its line; then
 * the whole line (indentation and newline) disappears from the output. */
static bool standalone_kind(char sigil) {
  return sigil == '#' || sigil == '^' || sigil == '/' || sigil == '>' || sigil == '!';
}

static tok *push_tok(cg_pool *pool, tmpl *t, size_t *cap) {
  if (t->ntoks == *cap) {
    size_t ncap = *cap ? *cap * 2 : 64;
    tok *nt = cg_alloc(pool, ncap * sizeof *nt);
    if (t->ntoks)
      memcpy(nt, t->toks, t->ntoks * sizeof *nt);
    t->toks = nt;
    *cap = ncap;
  }
  tok *k = &t->toks[t->ntoks++];
  memset(k, 0, sizeof *k);
  return k;
}

static void add_text(cg_pool *pool, tmpl *t, size_t *cap, const char *s, size_t n, int line) {
  if (n == 0)
    return;
  tok *k = push_tok(pool, t, cap);
  k->kind = T_TEXT;
  k->s = s;
  k->n = n;
  k->line = line;
}

static int count_lines(const char *s, const char *e) {
  int n = 0;
  for (; s < e; s++)
    n += *s == '\n';
  return n;
}

/* Tokenize `text` into t, matching every section with its close. */
static int parse(cg_pool *pool, const char *name, const char *text, tmpl *t) {
  size_t cap = 0, open[MAX_OPEN];
  int nopen = 0, line = 1;
  const char *p = text, *text_start = text;
  while (*p) {
    const char *tag = strstr(p, "{{");
    if (!tag) {
      add_text(pool, t, &cap, text_start, strlen(text_start), line);
      break;
    }
    const char *end = strstr(tag + 2, "}}");
    int tag_line = line + count_lines(text_start, tag);
    if (!end)
      return fail(name, tag_line, "unclosed tag (no '}}')", NULL, 0);
    char sigil = tag[2];
    const char *nm = tag + 2, *nm_end = end;
    if (sigil == '#' || sigil == '^' || sigil == '/' || sigil == '>' || sigil == '!')
      nm++;
    while (nm < nm_end && blank(*nm))
      nm++;
    while (nm_end > nm && blank(nm_end[-1]))
      nm_end--;
    const char *after = end + 2, *text_end = tag;
    if (standalone_kind(sigil)) {
      const char *ls = tag;
      while (ls > text && blank(ls[-1]))
        ls--;
      const char *le = after;
      while (blank(*le))
        le++;
      if ((ls == text || ls[-1] == '\n') && (*le == '\n' || *le == '\0')) {
        text_end = ls;
        after = *le == '\n' ? le + 1 : le;
      }
    }
    add_text(pool, t, &cap, text_start, (size_t)(text_end - text_start), line);
    line = tag_line + count_lines(tag, after);
    if (sigil != '!') {
      if (nm == nm_end)
        return fail(name, tag_line, "empty tag", NULL, 0);
      tok *k = push_tok(pool, t, &cap);
      k->kind = sigil == '#'   ? T_SECTION
                : sigil == '^' ? T_INVERTED
                : sigil == '/' ? T_CLOSE
                : sigil == '>' ? T_PARTIAL
                               : T_VAR;
      k->s = nm;
      k->n = (size_t)(nm_end - nm);
      k->line = tag_line;
      if (k->kind == T_SECTION || k->kind == T_INVERTED) {
        if (nopen == MAX_OPEN)
          return fail(name, tag_line, "sections nested too deeply at", k->s, k->n);
        open[nopen++] = t->ntoks - 1;
      } else if (k->kind == T_CLOSE) {
        if (nopen == 0)
          return fail(name, tag_line, "close of a section that is not open:", k->s, k->n);
        tok *o = &t->toks[open[--nopen]];
        if (o->n != k->n || memcmp(o->s, k->s, k->n) != 0) {
          char msg[160];
          snprintf(msg, sizeof msg, "section '%.*s' (opened at line %d) closed by", (int)o->n, o->s,
                   o->line);
          return fail(name, tag_line, msg, k->s, k->n);
        }
        o->close = t->ntoks - 1;
      }
    }
    p = text_start = after;
  }
  if (nopen > 0) {
    tok *o = &t->toks[open[nopen - 1]];
    return fail(name, o->line, "section never closed:", o->s, o->n);
  }
  return 0;
}

static tmpl *load(renderer *r, const char *name) {
  for (tmpl *t = r->cache; t; t = t->next)
    if (strcmp(t->name, name) == 0)
      return t;
  const char *text = r->src->load(r->src->ctx, name);
  if (!text) {
    fprintf(stderr, "orcac: template '%s' not found\n", name);
    return NULL;
  }
  tmpl *t = cg_alloc(r->pool, sizeof *t);
  t->name = cg_strdup(r->pool, name);
  if (parse(r->pool, t->name, text, t) != 0)
    return NULL;
  t->next = r->cache;
  r->cache = t;
  return t;
}

static bool name_is(const tok *k, const char *s) {
  return strlen(s) == k->n && memcmp(k->s, s, k->n) == 0;
}

/* Resolve a tag's name in the context stack. Returns the value, NULL when
 * absent; *tmp holds values made up on the spot (-first, -index…). */
static const cg_val *lookup(renderer *r, const tok *k, cg_val *tmp, char *numbuf) {
  if (name_is(k, "."))
    return r->nframes ? r->frames[r->nframes - 1].v : NULL;
  if (k->n > 0 && k->s[0] == '-') {
    for (int i = r->nframes - 1; i >= 0; i--) {
      const frame *f = &r->frames[i];
      if (!f->is_item)
        continue;
      memset(tmp, 0, sizeof *tmp);
      if (name_is(k, "-first") || name_is(k, "-last")) {
        tmp->kind = CG_BOOL;
        tmp->b = name_is(k, "-first") ? f->index == 0 : f->index + 1 == f->count;
        return tmp;
      }
      if (name_is(k, "-index")) {
        snprintf(numbuf, 32, "%zu", f->index);
        tmp->kind = CG_STR;
        tmp->str = numbuf;
        return tmp;
      }
      return NULL;
    }
    return NULL;
  }
  char key[128];
  if (k->n >= sizeof key)
    return NULL;
  memcpy(key, k->s, k->n);
  key[k->n] = '\0';
  for (int i = r->nframes - 1; i >= 0; i--) {
    const cg_val *v = cg_get(r->frames[i].v, key);
    if (v)
      return v;
  }
  return NULL;
}

static bool truthy(const cg_val *v) {
  if (!v)
    return false;
  switch (v->kind) {
  case CG_STR:
    return v->str[0] != '\0';
  case CG_BOOL:
    return v->b;
  case CG_LIST:
    return v->len > 0;
  case CG_OBJ:
    return true;
  }
  return false;
}

static int render_range(renderer *r, const tmpl *t, size_t from, size_t to);

static int push_frame(renderer *r, const tmpl *t, const tok *k, const cg_val *v, bool item,
                      size_t index, size_t count) {
  if (r->nframes == MAX_FRAMES)
    return fail(t->name, k->line, "contexts nested too deeply at", k->s, k->n);
  r->frames[r->nframes++] = (frame){v, item, index, count};
  return 0;
}

static int render_section(renderer *r, const tmpl *t, size_t i) {
  const tok *k = &t->toks[i];
  cg_val tmp;
  char num[32];
  const cg_val *v = lookup(r, k, &tmp, num);
  if (!truthy(v))
    return 0;
  if (v->kind == CG_LIST) {
    for (size_t j = 0; j < v->len; j++) {
      if (push_frame(r, t, k, v->items[j], true, j, v->len) != 0)
        return -1;
      int rc = render_range(r, t, i + 1, k->close);
      r->nframes--;
      if (rc != 0)
        return rc;
    }
    return 0;
  }
  if (v->kind == CG_BOOL)
    return render_range(r, t, i + 1, k->close);
  /* Strings and objects become the context (a copy: tmp lives on this stack). */
  const cg_val *ctx = v;
  if (v == &tmp) {
    cg_val *copy = cg_alloc(r->pool, sizeof *copy);
    *copy = tmp;
    copy->str = cg_strdup(r->pool, tmp.str);
    ctx = copy;
  }
  if (push_frame(r, t, k, ctx, false, 0, 1) != 0)
    return -1;
  int rc = render_range(r, t, i + 1, k->close);
  r->nframes--;
  return rc;
}

static int render_template(renderer *r, const char *name);

static int render_range(renderer *r, const tmpl *t, size_t from, size_t to) {
  for (size_t i = from; i < to; i++) {
    const tok *k = &t->toks[i];
    switch (k->kind) {
    case T_TEXT:
      cg_sb_putn(r->out, k->s, k->n);
      break;
    case T_VAR: {
      cg_val tmp;
      char num[32];
      const cg_val *v = lookup(r, k, &tmp, num);
      if (!v)
        return fail(t->name, k->line, "unknown name", k->s, k->n);
      if (v->kind != CG_STR)
        return fail(t->name, k->line, "not a string:", k->s, k->n);
      cg_sb_puts(r->out, v->str);
      break;
    }
    case T_SECTION:
      if (render_section(r, t, i) != 0)
        return -1;
      i = k->close;
      break;
    case T_INVERTED: {
      cg_val tmp;
      char num[32];
      if (!truthy(lookup(r, k, &tmp, num)) && render_range(r, t, i + 1, k->close) != 0)
        return -1;
      i = k->close;
      break;
    }
    case T_CLOSE:
      break;
    case T_PARTIAL: {
      char *pname = cg_strndup(r->pool, k->s, k->n);
      if (r->partial_depth >= 16)
        return fail(t->name, k->line, "partials nested too deeply at", k->s, k->n);
      r->partial_depth++;
      int rc = render_template(r, pname);
      r->partial_depth--;
      if (rc != 0)
        return fail(t->name, k->line, "in partial", k->s, k->n);
      break;
    }
    }
  }
  return 0;
}

static int render_template(renderer *r, const char *name) {
  tmpl *t = load(r, name);
  if (!t)
    return -1;
  return render_range(r, t, 0, t->ntoks);
}

int cg_render(cg_pool *pool, const cg_template_src *src, const char *name, const cg_val *model,
              cg_sb *out) {
  renderer r = {.pool = pool, .src = src, .out = out};
  r.frames[0] = (frame){model, false, 0, 1};
  r.nframes = 1;
  return render_template(&r, name);
}
