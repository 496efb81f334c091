/* codegen_internal.h — what the pieces of orcac's code generator share.
 *
 * Code generation is a pipeline in three steps, one file each:
 *   codegen_model.c     checked AST -> a tree of plain values (cg_val): names,
 *                       C spellings, descriptor initializers, already decided;
 *   codegen_template.c  a small mustache-like engine renders the files of
 *                       templates/ against that tree;
 *   codegen.c           orcac_codegen(): loads the templates (embedded or
 *                       from --templates DIR), renders, writes the files.
 * codegen_ctype.c keeps every C spelling decision (types, literals, doc
 * comments) in one place; codegen_util.c has the memory pool and string
 * buffer everything above uses.
 *
 * Memory: everything the model and the engine allocate comes from one
 * cg_pool and dies with it; nothing here is freed piecemeal. */
#ifndef ORCAC_CODEGEN_INTERNAL_H
#define ORCAC_CODEGEN_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- memory pool and string buffer (codegen_util.c) ---- */

typedef struct cg_pool cg_pool;

/* Create an empty pool; NULL when out of memory. */
cg_pool *cg_pool_new(void);
/* Release the pool and everything allocated from it. NULL is a no-op. */
void cg_pool_free(cg_pool *p);
/* Zeroed memory that lives as long as the pool. Aborts the process on out of
 * memory: orcac is a short-lived compiler and has nothing to recover. */
void *cg_alloc(cg_pool *p, size_t size);
/* Copies of strings, and formatted strings, owned by the pool. */
char *cg_strdup(cg_pool *p, const char *s);
char *cg_strndup(cg_pool *p, const char *s, size_t n);
char *cg_printf(cg_pool *p, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* A growable string (heap memory; release with cg_sb_free). */
typedef struct cg_sb {
  char *data; /* NUL-terminated while len > 0 or after any append */
  size_t len, cap;
} cg_sb;

void cg_sb_putn(cg_sb *b, const char *s, size_t n);
void cg_sb_puts(cg_sb *b, const char *s);
void cg_sb_putc(cg_sb *b, char c);
void cg_sb_printf(cg_sb *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void cg_sb_free(cg_sb *b);
/* The contents copied into the pool ("" when empty). */
char *cg_sb_pool(cg_pool *p, const cg_sb *b);

/* ---- the data model templates render (codegen_value.c) ---- */

typedef enum cg_kind { CG_STR, CG_BOOL, CG_LIST, CG_OBJ } cg_kind;

typedef struct cg_val cg_val;
typedef struct cg_pair {
  const char *key;
  cg_val *val;
  struct cg_pair *next;
} cg_pair;

struct cg_val {
  cg_kind kind;
  const char *str; /* CG_STR */
  bool b;          /* CG_BOOL */
  cg_val **items;  /* CG_LIST */
  size_t len, cap;
  cg_pair *head, *tail; /* CG_OBJ, in insertion order */
};

cg_val *cg_obj(cg_pool *p);
cg_val *cg_list(cg_pool *p);
cg_val *cg_str(cg_pool *p, const char *s); /* s is copied */
cg_val *cg_bool(cg_pool *p, bool b);
/* Append to a list. */
void cg_push(cg_pool *p, cg_val *list, cg_val *item);
/* Set a key of an object (a later set of the same key wins). Returns v. */
cg_val *cg_set(cg_pool *p, cg_val *obj, const char *key, cg_val *v);
void cg_set_str(cg_pool *p, cg_val *obj, const char *key, const char *s);
void cg_set_strf(cg_pool *p, cg_val *obj, const char *key, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
void cg_set_bool(cg_pool *p, cg_val *obj, const char *key, bool b);
/* Look a key up in an object; NULL when absent or obj is not an object. */
cg_val *cg_get(const cg_val *obj, const char *key);

/* ---- the template engine (codegen_template.c) ---- */

/* Where templates come from: a name -> text lookup. */
typedef struct cg_template_src {
  /* Return the text of template `name` (NUL-terminated) or NULL if unknown.
   * The text must stay valid for the whole render. */
  const char *(*load)(void *ctx, const char *name);
  void *ctx;
} cg_template_src;

/* Render template `name` against `model` into out.
 *
 * Syntax (a subset of mustache, no HTML escaping since the output is C):
 *   {{name}}            the string value of `name`, looked up from the
 *                       innermost context outwards; `.` is the current item.
 *                       An unknown name or a non-string value is an error.
 *   {{#name}}..{{/name}} a list: once per item (the item becomes the
 *                       context); an object: once with it as context; true or
 *                       a non-empty string: once. Absent/false/empty: nothing.
 *   {{^name}}..{{/name}} once when `name` is absent, false, "" or empty.
 *   {{>partial}}        another template, rendered in the current context.
 *   {{! comment }}      nothing.
 *   -first -last -index  in a list section: is this the first/last item, and
 *                       its 0-based position.
 * A tag alone on its line (section, close, comment, partial) removes the whole
 * line, so templates can be indented and readable.
 *
 * Returns 0, or -1 after printing "orcac: template NAME:LINE: message" to
 * stderr. */
int cg_render(cg_pool *pool, const cg_template_src *src, const char *name, const cg_val *model,
              cg_sb *out);

/* ---- C spellings (codegen_ctype.c) ---- */

/* A C string literal for s, with quotes and escapes ("a\"b"); bytes outside
 * printable ASCII become octal escapes. NULL gives NULL (the C constant). */
char *cg_c_string(cg_pool *p, const char *s);
/* A block comment holding text at `indent` spaces, without a final newline:
 * the first line after the opening, one " * " line per further line, the
 * closing after the last; "" when text is NULL or empty. Comment delimiters
 * and trigraph starts inside text are defused (see cg_c_defuse). */
char *cg_c_doc(cg_pool *p, const char *text, int indent);
/* The lines of text as the inside of a block comment (" * line" each,
 * joined by newlines, no opening or closing); "" for NULL. Comment delimiters
 * inside text are defused. */
char *cg_c_comment_lines(cg_pool *p, const char *text);
/* text made safe inside a block comment: a space is put between the two
 * characters of every star-slash, slash-star and "??". */
char *cg_c_defuse(cg_pool *p, const char *text);
/* A declaration of `declarator` with type spelling `ctype`, glued the way
 * clang-format would: "char *" + "name" -> "char *name", "int" -> "int name". */
char *cg_c_decl(cg_pool *p, const char *ctype, const char *declarator);

/* AST-aware spellings. */
struct orca_ast_type;
struct orca_ast_lit;

/* The C type of a .orca type, as a prefix a declarator can follow (see
 * orca/schema.h for the mapping): "int32_t", "char *", "shop_order",
 * "struct { shop_item *items; size_t len; }". */
char *cg_c_type(cg_pool *p, const struct orca_ast_type *t);
/* The liborca singleton node of a builtin scalar kind ("orca_type_i32"), or
 * NULL for enums, structs, lists and maps. */
const char *cg_scalar_node(int kind);
/* A C constant expression for a typed literal (a default value): "1",
 * "UINT64_C(7)", "1.5f", "SHOP_TIER_FREE", "\"text\"", "true". NULL
 * for bytes and for kinds that have no scalar spelling (structs, lists). */
char *cg_c_literal(cg_pool *p, const struct orca_ast_lit *lit);
/* Bytes as C array initializer lines ("0x81, 0x01, ...", 12 per line, each
 * line indented by `indent` spaces, no trailing newline). */
char *cg_c_bytes(cg_pool *p, const uint8_t *data, size_t len, int indent);

/* ---- the model (codegen_model.c) ---- */

struct orca_ast_file;
/* Build the model of one checked file (keys: templates/README.md). Never
 * fails: allocation failure aborts (see cg_alloc). */
cg_val *orcac__codegen_model(cg_pool *p, const struct orca_ast_file *file);

/* ---- Python spellings (codegen_pyspell.c) ---- */

/* A Python str literal for s[0..n) ("a\"b"), escapes for quotes,
 * backslashes and control characters, valid UTF-8 kept; "None" for NULL. */
char *cg_py_string(cg_pool *p, const char *s, size_t n);
/* cg_py_string of a NUL-terminated string (NULL gives "None"). */
char *cg_py_cstring(cg_pool *p, const char *s);
/* A Python bytes literal (b"..."), non-printable bytes as \xHH. */
char *cg_py_bytes(cg_pool *p, const uint8_t *data, size_t n);
/* A Python float literal that reads back as v (as an f32 when f32 is set):
 * "1.5", "1e+30", "float(\"inf\")". */
char *cg_py_float(cg_pool *p, double v, bool f32);
/* A triple-quoted docstring of text at `indent` spaces (first line
 * indented too), no final newline; no quote in text can end it early. */
char *cg_py_docstring(cg_pool *p, const char *text, int indent);
/* text as "#: " comment lines at `indent` spaces, joined by newlines, no
 * final newline; "" for NULL or empty text. */
char *cg_py_comment(cg_pool *p, const char *text, int indent);
/* Whether name is a Python keyword (it cannot be an identifier). */
bool cg_py_keyword(const char *name);
/* The module name of a .orca file: NAME_orca, other characters as '_'. */
char *cg_py_module(cg_pool *p, const char *basename);

/* ---- the Python model (codegen_py.c) ---- */

/* Build the model module.py.mustache renders for one checked file (keys:
 * templates/README.md, "Python"). Never fails (see cg_alloc). */
cg_val *orcac__codegen_py_model(cg_pool *p, const struct orca_ast_file *file);

/* ---- embedded templates (generated by cmake/OrcaEmbed.cmake) ---- */

typedef struct orcac_template {
  const char *name; /* "header.h" for templates/header.h.mustache */
  const char *text;
} orcac_template;
extern const orcac_template orcac__templates[];
extern const size_t orcac__ntemplates;

#endif
