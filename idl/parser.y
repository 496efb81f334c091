/* idl/parser.y — the grammar of the .orca language (reentrant bison).
 *
 * Actions only build the tree (idl/ast.h); every check lives in the semantic
 * pass, compiler/sema.c. Syntax errors are reported by
 * yyreport_syntax_error() below, which names the unclosed bracket when a
 * closer is what the parser was waiting for. Recovery resynchronises at the
 * end of a field, enum value or declaration (';' or '}'), so one run reports
 * the errors of every declaration. All semantic values live in the parse
 * arena, so values discarded during recovery need no destructor. */
%define api.pure full
%define api.prefix {orcac_yy}
%define api.token.prefix {T_}
%define parse.error custom
%locations
%lex-param {void *scanner}
%parse-param {void *scanner} {orcac_parse *p}

%code requires {
#include "idl/parse.h"
}

%code provides {
int orcac_yylex(ORCAC_YYSTYPE *yylval, ORCAC_YYLTYPE *yylloc, void *scanner);
}

%code {
static void orcac_yyerror(ORCAC_YYLTYPE *loc, void *scanner, orcac_parse *p, const char *msg);
}

%code {
#include <string.h>

static orca_ast_pos at(orcac_parse *p, const ORCAC_YYLTYPE *l) {
  orca_ast_pos pos = {p->path, (uint32_t)l->first_line, (uint32_t)l->first_column};
  return pos;
}

static void *mk(orcac_parse *p, size_t size) {
  void *x = orcac_new(p->arena, size);
  if (!x)
    p->oom = true;
  return x;
}

static void push(orcac_parse *p, orcac_vec *v, void *x) {
  if (!x || !orcac_vec_push(p->arena, v, x))
    p->oom = true;
}

/* Copy a vector of T * into a contiguous array of T. */
static void *flatten(orcac_parse *p, const orcac_vec *v, size_t size) {
  if (!v->n)
    return NULL;
  char *out = orca_arena_alloc(p->arena, v->n * size);
  if (!out) {
    p->oom = true;
    return NULL;
  }
  for (size_t i = 0; i < v->n; i++)
    memcpy(out + i * size, v->items[i], size);
  return out;
}

static orca_ast_decl *new_decl(orcac_parse *p, orca_ast_decl_kind kind, const orcac_vec *annots,
                               const ORCAC_YYLTYPE *kw, const char *name,
                               const ORCAC_YYLTYPE *name_loc) {
  orca_ast_decl *d = mk(p, sizeof *d);
  if (!d)
    return NULL;
  d->kind = kind;
  d->name = name;
  d->pos = at(p, name_loc);
  d->annots = flatten(p, annots, sizeof *d->annots);
  d->nannots = annots->n;
  orca_ast_pos start = d->nannots ? d->annots[0].pos : at(p, kw);
  d->doc = orcac_doc_at(p, start.line, start.col);
  push(p, &p->decls, d);
  return d;
}

/* enum -> 'enum' NAME '{' {enum_value} '}' (also after an error inside) */
static orca_ast_decl *enum_decl(orcac_parse *p, const orcac_vec *annots, const ORCAC_YYLTYPE *kw,
                      const char *name, const ORCAC_YYLTYPE *name_loc, const orcac_vec *values) {
  orca_ast_decl *d = new_decl(p, ORCA_AST_ENUM, annots, kw, name, name_loc);
  if (d) {
    d->enm.values = flatten(p, values, sizeof *d->enm.values);
    d->enm.nvalues = values->n;
    d->broken = p->decl_broken;
  }
  p->decl_broken = false;
  return d;
}

/* struct -> 'struct' NAME '{' {field} '}' (also after an error inside) */
static orca_ast_decl *struct_decl(orcac_parse *p, const orcac_vec *annots, const ORCAC_YYLTYPE *kw,
                        const char *name, const ORCAC_YYLTYPE *name_loc, const orcac_vec *fields) {
  orca_ast_decl *d = new_decl(p, ORCA_AST_STRUCT, annots, kw, name, name_loc);
  if (d) {
    d->strct.fields = flatten(p, fields, sizeof *d->strct.fields);
    d->strct.nfields = fields->n;
    d->broken = p->decl_broken;
  }
  p->decl_broken = false;
  return d;
}

static orca_ast_field *new_field(orcac_parse *p, orca_ast_lit *id, bool optional,
                                 orca_ast_type *type, const char *name,
                                 const ORCAC_YYLTYPE *name_loc, orca_ast_lit *def) {
  orca_ast_field *f = mk(p, sizeof *f);
  if (!f)
    return NULL;
  /* Out-of-range ids are kept saturated so sema can report them. */
  if (id->is_unsigned || id->v.i < 0 || id->v.i > (int64_t)UINT32_MAX)
    f->id = id->v.i < 0 ? 0 : UINT32_MAX;
  else
    f->id = (uint32_t)id->v.i;
  f->optional = optional;
  f->type = type;
  f->name = name;
  f->pos = at(p, name_loc);
  f->id_pos = id->pos;
  f->id_lit = id;
  f->def = def;
  f->doc = orcac_doc_at(p, id->pos.line, id->pos.col);
  return f;
}

static orca_ast_type *named_type(orcac_parse *p, const char *name, const ORCAC_YYLTYPE *l) {
  orca_ast_type *t = mk(p, sizeof *t);
  if (t) {
    t->name = name;
    t->pos = at(p, l);
  }
  return t;
}

static orca_ast_lit_entry *entry(orcac_parse *p, const char *name, orca_ast_lit *v,
                                 const ORCAC_YYLTYPE *l) {
  orca_ast_lit_entry *e = mk(p, sizeof *e);
  if (e) {
    e->name = name;
    e->value = v;
    e->pos = name ? at(p, l) : (v ? v->pos : at(p, l));
  }
  return e;
}

static orca_ast_lit *compound(orcac_parse *p, orca_ast_lit_syntax syn, const char *name,
                              const orcac_vec *v, const ORCAC_YYLTYPE *l) {
  orca_ast_lit *x = mk(p, sizeof *x);
  if (!x)
    return NULL;
  x->syntax = syn;
  x->name = name;
  x->pos = at(p, l);
  if (syn == ORCA_LIT_LIST) {
    x->items = (orca_ast_lit **)v->items;
    x->nitems = v->n;
  } else {
    x->entries = flatten(p, v, sizeof *x->entries);
    x->nentries = v->n;
  }
  return x;
}

static char *join_name(orcac_parse *p, const char *a, const char *b) {
  char *s = orcac_printf(p->arena, "%s.%s", a, b);
  if (!s)
    p->oom = true;
  return s;
}
}

%union {
  const char *str;
  orca_ast_lit *lit;
  orca_ast_type *type;
  orca_ast_field *field;
  orca_ast_annot *annot;
  orca_ast_lit_entry *entry;
  orca_ast_enum_value *evalue;
  orcac_vec vec;
  bool flag;
}

%token PACKAGE "'package'" IMPORT "'import'" ENUM "'enum'" STRUCT "'struct'"
%token TASK "'task'" SCHEDULE "'schedule'" OPTIONAL "'optional'" LIST "'list'" MAP "'map'"
%token ARROW "'->'"
%token <str> IDENT "name"
%token <lit> INT "integer" FLOAT "number" STRING "string" DURATION "duration" BOOL "'true' or 'false'"

%type <str> qname
%type <lit> literal default_opt
%type <type> type result_opt
%type <field> field param
%type <annot> annot
%type <entry> call_arg struct_entry
%type <evalue> enum_value
%type <vec> annots fields params params_opt enum_values call_args call_args_opt
%type <vec> struct_entries struct_entries_opt list_items list_items_opt
%type <flag> optional_opt

%%

/* file -> header items */
file
  : header items
  ;

/* header -> ['package' NAME ';'] */
header
  : %empty
  | PACKAGE IDENT ';'
      { p->file->package = $2; p->file->package_pos = at(p, &@2);
        p->file->doc = orcac_doc_at(p, (uint32_t)@1.first_line, (uint32_t)@1.first_column); }
  ;

items
  : %empty
  | items item
  ;

/* item -> import | enum | struct | task | schedule | ';' */
item
  : IMPORT STRING ';'
      { orca_ast_import *im = mk(p, sizeof *im);
        if (im) { im->path = $2->str; im->pos = $2->pos; push(p, &p->imports, im); } }
  | annots ENUM IDENT '{' enum_values '}'
      { enum_decl(p, &$1, &@2, $3, &@3, &$5); }
  | annots ENUM IDENT '{' enum_values error '}'
      { orca_ast_decl *d = enum_decl(p, &$1, &@2, $3, &@3, &$5); if (d) d->broken = true; }
  | annots STRUCT IDENT '{' fields '}'
      { struct_decl(p, &$1, &@2, $3, &@3, &$5); }
  | annots STRUCT IDENT '{' fields error '}'
      { orca_ast_decl *d = struct_decl(p, &$1, &@2, $3, &@3, &$5); if (d) d->broken = true; }
  | annots TASK IDENT '(' params_opt ')' result_opt ';'
      { orca_ast_decl *d = new_decl(p, ORCA_AST_TASK, &$1, &@2, $3, &@3);
        if (d) {
          orca_ast_decl *a = mk(p, sizeof *a);
          if (a) {
            a->kind = ORCA_AST_STRUCT;
            a->pos = d->pos;
            a->task_of = d;
            a->strct.fields = flatten(p, &$5, sizeof *a->strct.fields);
            a->strct.nfields = $5.n;
          }
          d->task.args = a;
          d->task.result = $7;
        } }
  | annots SCHEDULE IDENT ':' IDENT '(' call_args_opt ')' ARROW qname '(' call_args_opt ')' annots ';'
      { for (size_t i = 0; i < $14.n; i++) push(p, &$1, $14.items[i]);
        orca_ast_decl *d = new_decl(p, ORCA_AST_SCHEDULE, &$1, &@2, $3, &@3);
        if (d) {
          orca_ast_lit *trigger = compound(p, ORCA_LIT_CALL, $5, &$7, &@5);
          /* The trigger call is kept as the first annotation-like entry of
           * sched.args' sibling: sema reads it from here. */
          orca_ast_annot *t = mk(p, sizeof *t);
          if (t && trigger) {
            t->name = $5; t->args = trigger->entries; t->nargs = trigger->nentries;
            t->has_parens = true; t->pos = at(p, &@5);
          }
          d->sched.trigger = t;
          d->sched.task_name = $10;
          d->sched.task_pos = at(p, &@10);
          d->sched.args = flatten(p, &$12, sizeof *d->sched.args);
          d->sched.nargs = $12.n;
        } }
  | ';'
  | error ';'
  | error '}'
  ;

annots
  : %empty { memset(&$$, 0, sizeof $$); }
  | annots annot { $$ = $1; push(p, &$$, $2); }
  ;

/* annot -> '@' NAME ['(' [call_args] ')'] */
annot
  : '@' IDENT
      { $$ = mk(p, sizeof *$$); if ($$) { $$->name = $2; $$->pos = at(p, &@1); } }
  | '@' IDENT '(' call_args_opt ')'
      { $$ = mk(p, sizeof *$$);
        if ($$) { $$->name = $2; $$->pos = at(p, &@1); $$->has_parens = true;
                  $$->args = flatten(p, &$4, sizeof *$$->args); $$->nargs = $4.n; } }
  ;

enum_values
  : %empty { memset(&$$, 0, sizeof $$); }
  | enum_values enum_value { $$ = $1; push(p, &$$, $2); }
  | enum_values error ';' { $$ = $1; p->decl_broken = true; }
  ;

/* enum_value -> NAME '=' INT ';' */
enum_value
  : IDENT '=' INT ';'
      { $$ = mk(p, sizeof *$$);
        if ($$) {
          $$->name = $1; $$->pos = at(p, &@1);
          $$->doc = orcac_doc_at(p, (uint32_t)@1.first_line, (uint32_t)@1.first_column);
          /* Saturate so sema reports the range error with the value's position. */
          $$->value = $3->is_unsigned || $3->v.i > INT32_MAX ? INT32_MAX
                    : $3->v.i < INT32_MIN ? INT32_MIN : (int32_t)$3->v.i;
          if ($3->is_unsigned || $3->v.i > INT32_MAX || $3->v.i < INT32_MIN)
            orcac_diag(p->diags, false, $3->pos,
                       "enum value of '%s' is out of range (int32)", $1);
        } }
  ;

fields
  : %empty { memset(&$$, 0, sizeof $$); }
  | fields field { $$ = $1; push(p, &$$, $2); }
  | fields error ';' { $$ = $1; p->decl_broken = true; }
  ;

/* field -> INT ':' ['optional'] type NAME ['=' literal] ';' */
field
  : INT ':' optional_opt type IDENT default_opt ';'
      { $$ = new_field(p, $1, $3, $4, $5, &@5, $6); }
  ;

params_opt
  : %empty { memset(&$$, 0, sizeof $$); }
  | params
  ;

params
  : param { memset(&$$, 0, sizeof $$); push(p, &$$, $1); }
  | params ',' param { $$ = $1; push(p, &$$, $3); }
  ;

/* param -> INT ':' ['optional'] type NAME ['=' literal] */
param
  : INT ':' optional_opt type IDENT default_opt
      { $$ = new_field(p, $1, $3, $4, $5, &@5, $6); }
  ;

optional_opt
  : %empty { $$ = false; }
  | OPTIONAL { $$ = true; }
  ;

default_opt
  : %empty { $$ = NULL; }
  | '=' literal { $$ = $2; }
  ;

result_opt
  : %empty { $$ = NULL; }
  | ARROW type { $$ = $2; }
  ;

/* type -> qname | 'list' '<' type '>' | 'map' '<' type ',' type '>' */
type
  : qname { $$ = named_type(p, $1, &@1); }
  | LIST '<' type '>'
      { $$ = mk(p, sizeof *$$); if ($$) { $$->kind = ORCA_KIND_LIST; $$->elem = $3; $$->pos = at(p, &@1); } }
  | MAP '<' type ',' type '>'
      { $$ = mk(p, sizeof *$$);
        if ($$) { $$->kind = ORCA_KIND_MAP; $$->key = $3; $$->elem = $5; $$->pos = at(p, &@1); } }
  ;

/* qname -> NAME ['.' NAME] */
qname
  : IDENT
  | IDENT '.' IDENT { $$ = join_name(p, $1, $3); }
  ;

call_args_opt
  : %empty { memset(&$$, 0, sizeof $$); }
  | call_args
  ;

call_args
  : call_arg { memset(&$$, 0, sizeof $$); push(p, &$$, $1); }
  | call_args ',' call_arg { $$ = $1; push(p, &$$, $3); }
  ;

/* call_arg -> literal | NAME '=' literal */
call_arg
  : literal { $$ = entry(p, NULL, $1, &@1); }
  | IDENT '=' literal { $$ = entry(p, $1, $3, &@1); }
  ;

/* literal -> BOOL | INT | FLOAT | STRING | DURATION | qname | qname '(' args ')'
 *          | '{' [NAME '=' literal {',' ...}] '}' | '[' [literal {',' ...}] ']' */
literal
  : BOOL | INT | FLOAT | STRING | DURATION
  | qname
      { $$ = mk(p, sizeof *$$);
        if ($$) { $$->syntax = ORCA_LIT_NAME; $$->name = $1; $$->pos = at(p, &@1); } }
  | qname '(' call_args_opt ')' { $$ = compound(p, ORCA_LIT_CALL, $1, &$3, &@1); }
  | '{' struct_entries_opt '}' { $$ = compound(p, ORCA_LIT_STRUCT, NULL, &$2, &@1); }
  | '[' list_items_opt ']' { $$ = compound(p, ORCA_LIT_LIST, NULL, &$2, &@1); }
  ;

struct_entries_opt
  : %empty { memset(&$$, 0, sizeof $$); }
  | struct_entries
  | struct_entries ','
  ;

struct_entries
  : struct_entry { memset(&$$, 0, sizeof $$); push(p, &$$, $1); }
  | struct_entries ',' struct_entry { $$ = $1; push(p, &$$, $3); }
  ;

struct_entry
  : IDENT '=' literal { $$ = entry(p, $1, $3, &@1); }
  ;

list_items_opt
  : %empty { memset(&$$, 0, sizeof $$); }
  | list_items
  | list_items ','
  ;

list_items
  : literal { memset(&$$, 0, sizeof $$); push(p, &$$, $1); }
  | list_items ',' literal { $$ = $1; push(p, &$$, $3); }
  ;

%%

/* Name the token the parser stopped at, from the source text. */
static void token_text(orcac_parse *p, yysymbol_kind_t tok, char *buf, size_t cap) {
  if (tok == YYSYMBOL_YYEOF) {
    snprintf(buf, cap, "end of file");
    return;
  }
  size_t n = p->tok_len < 40 ? p->tok_len : 40;
  snprintf(buf, cap, "'%.*s%s'", (int)n, p->tok_text, p->tok_len > n ? "..." : "");
}

static char closer_of(char open) {
  return open == '{' ? '}' : open == '(' ? ')' : open == '[' ? ']' : '>';
}

/* True when symbol k is the character token c ('}' …). */
static bool is_char(yysymbol_kind_t k, char c) {
  const char *name = yysymbol_name(k);
  return name[0] == '\'' && name[1] == c && name[2] == '\'' && name[3] == '\0';
}

static void orcac_yyerror(ORCAC_YYLTYPE *loc, void *scanner, orcac_parse *p, const char *msg) {
  (void)scanner;
  orcac_diag(p->diags, false, at(p, loc), "%s", msg);
}

static int yyreport_syntax_error(const yypcontext_t *ctx, void *scanner, orcac_parse *p) {
  (void)scanner;
  yysymbol_kind_t tok = yypcontext_token(ctx);
  orca_ast_pos pos = at(p, yypcontext_location(ctx));
  yysymbol_kind_t expected[8];
  int n = yypcontext_expected_tokens(ctx, expected, 8);
  char got[64];
  token_text(p, tok, got, sizeof got);
  /* The innermost bracket still open, ignoring the lookahead itself. */
  size_t depth = p->nopen;
  if (depth && (is_char(tok, '{') || is_char(tok, '(') || is_char(tok, '[') || is_char(tok, '<')))
    depth--;
  if (depth && depth <= ORCAC_MAX_OPEN) {
    const orcac_open *o = &p->open[depth - 1];
    for (int i = 0; i < n; i++)
      if (is_char(expected[i], closer_of(o->ch))) {
        orcac_diag(p->diags, false, pos, "'%c' expected (to close '%c' at line %u) %s %s",
                   closer_of(o->ch), o->ch, o->line, tok == YYSYMBOL_YYEOF ? "at" : "before",
                   got);
        return 0;
      }
  }
  char msg[512];
  int len = snprintf(msg, sizeof msg, "unexpected %s", got);
  if (n > 0 && n <= 6) {
    for (int i = 0; i < n && len < (int)sizeof msg; i++)
      len += snprintf(msg + len, sizeof msg - (size_t)len, "%s%s",
                      i == 0 ? ", expected " : i == n - 1 ? " or " : ", ",
                      yysymbol_name(expected[i]));
  }
  orcac_diag(p->diags, false, pos, "%s", msg);
  return 0;
}
