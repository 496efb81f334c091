/* pattern.c — Lua patterns in hooks: refuse the ones whose worst case on
 * their subject is too long to run inside one hook call.
 *
 * Lua's matcher (lstrlib) backtracks without memoization and calls no hook,
 * so one string.find can run for hours on a few kilobytes: ".-.-.-.-b" over
 * a string of 'a's is O(n^5). The wrappers below bound the matcher's worst
 * case from the pattern's shape and the subject's length before calling the
 * real function, and refuse the call ("pattern too complex") above
 * ORCA__HOOKS_PATTERN_MAX_STEPS; a call that passes is charged its subject
 * and pattern length and the deadline is checked.
 *
 * The bound. A pattern is a sequence of items; matching from one subject
 * position is a tree of attempts whose branching comes only from the
 * quantifiers * + - (up to n+1 continuations) and ? (two). Three facts keep
 * the bound close to what the matcher really does:
 *  - guarded quantifier: when no character of X can start (or be consumed by
 *    the optional items before) the rest of the pattern, every continuation
 *    but the one past the run of X fails in O(items); the item then costs a
 *    linear scan, not a factor n;
 *  - a quantifier whose rest always succeeds (only optional items, captures,
 *    and `.*` / `.-` before a rest that succeeds at the end) stops at its
 *    first continuation;
 *  - %b and back-references scan linearly.
 * So deg(item) = deg(rest) + 1 for an unguarded * + -, max(1, deg(rest)) for
 * a guarded one, %b or a back-reference, and deg(rest) otherwise; every
 * unguarded ? doubles the count. An unanchored search tries every start
 * position: one more degree, unless the first item's rest always succeeds
 * (then every start either fails at once or matches and, for gmatch/gsub,
 * consumes the run it scanned). The worst case is then
 * (n+1)^degree * (items+1) * 2^(unguarded ?). string.find with plain=true,
 * or a pattern without special characters, is a substring search: n*(1 +
 * m/64). The bound may overestimate (it assumes the worst subject) but never
 * underestimates, so a refused pattern is one that could run too long; its
 * error says so, with the subject length. */
#include <ctype.h>
#include <lauxlib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "hooks/hooks_internal.h"

enum { PI_ZW, PI_COND, PI_ONE, PI_BAL, PI_REF };

typedef struct pt_item {
  unsigned char kind;
  char q;                 /* quantifier of a PI_ONE: 0, '*', '+', '-', '?' */
  const char *cls, *cend; /* PI_ONE: the class text [cls, cend); PI_BAL: cls[0] opens */
} pt_item;

#define PT_MAX_ITEMS 256

/* A call whose worst case exceeds this many steps (about what a count-hook
 * step of VM instructions costs, times 100) checks the deadline first. */
#define PT_CLOCK_STEPS 100000.0

typedef struct pt_set {
  uint64_t w[4];
} pt_set;

/* ---- classes ------------------------------------------------------------- */

static bool pt_esc(int c, int cl) {
  bool r;
  switch (tolower(cl)) {
  case 'a':
    r = isalpha(c);
    break;
  case 'c':
    r = iscntrl(c);
    break;
  case 'd':
    r = isdigit(c);
    break;
  case 'g':
    r = isgraph(c);
    break;
  case 'l':
    r = islower(c);
    break;
  case 'p':
    r = ispunct(c);
    break;
  case 's':
    r = isspace(c);
    break;
  case 'u':
    r = isupper(c);
    break;
  case 'w':
    r = isalnum(c);
    break;
  case 'x':
    r = isxdigit(c);
    break;
  default:
    return cl == c;
  }
  return isupper(cl) ? !r : r;
}

/* Whether byte c is in the bracket class [p, end) (p at '[', end at ']'). */
static bool pt_bracket(int c, const char *p, const char *end) {
  bool neg = false;
  p++;
  if (*p == '^') {
    neg = true;
    p++;
  }
  while (p < end) {
    if (*p == '%' && p + 1 < end) {
      if (pt_esc(c, (unsigned char)p[1]))
        return !neg;
      p += 2;
    } else if (p + 2 < end && p[1] == '-') {
      if ((unsigned char)p[0] <= c && c <= (unsigned char)p[2])
        return !neg;
      p += 3;
    } else {
      if ((unsigned char)*p == c)
        return !neg;
      p++;
    }
  }
  return neg;
}

static bool pt_in_class(int c, const pt_item *it) {
  switch (it->cls[0]) {
  case '.':
    return true;
  case '%':
    return pt_esc(c, (unsigned char)it->cls[1]);
  case '[':
    return pt_bracket(c, it->cls, it->cend - 1);
  default:
    return (unsigned char)it->cls[0] == c;
  }
}

static void pt_class_set(const pt_item *it, pt_set *s) {
  memset(s, 0, sizeof *s);
  for (int c = 0; c < 256; c++)
    if (pt_in_class(c, it))
      s->w[c >> 6] |= (uint64_t)1 << (c & 63);
}

static void pt_set_or(pt_set *a, const pt_set *b) {
  for (int i = 0; i < 4; i++)
    a->w[i] |= b->w[i];
}

static bool pt_disjoint(const pt_set *a, const pt_set *b) {
  for (int i = 0; i < 4; i++)
    if (a->w[i] & b->w[i])
      return false;
  return true;
}

/* ---- parsing --------------------------------------------------------------- */

/* End of the bracket class starting at p ('['), past its ']', or NULL when
 * malformed (the real matcher raises the error). */
static const char *pt_bracket_end(const char *p, const char *pe) {
  p++;
  if (p < pe && *p == '^')
    p++;
  do {
    if (p >= pe)
      return NULL;
    if (*p++ == '%') {
      if (p >= pe)
        return NULL;
      p++;
    }
  } while (p >= pe || *p != ']');
  return p + 1;
}

/* Split p[0..m) into items. Returns their number, -1 when there are more
 * than PT_MAX_ITEMS. A malformed tail ends the list: the real matcher
 * raises its error when it gets there. */
static int pt_parse(const char *p, size_t m, pt_item *items) {
  const char *pe = p + m;
  int n = 0;
  while (p < pe) {
    if (n == PT_MAX_ITEMS)
      return -1;
    pt_item *it = &items[n];
    it->q = 0;
    if (*p == '(' || *p == ')') {
      it->kind = PI_ZW;
      p += (*p == '(' && p + 1 < pe && p[1] == ')') ? 2 : 1;
    } else if (*p == '$' && p + 1 == pe) {
      it->kind = PI_COND;
      it->cls = NULL; /* $: succeeds at the end of the subject */
      p++;
    } else if (*p == '%' && p + 1 < pe && p[1] == 'b') {
      if (p + 3 >= pe)
        break;
      it->kind = PI_BAL;
      it->cls = p + 2;
      p += 4;
    } else if (*p == '%' && p + 1 < pe && p[1] == 'f') {
      it->kind = PI_COND;
      it->cls = p; /* %f[set]: not known to succeed at the end */
      if (p + 2 >= pe || p[2] != '[' || !(p = pt_bracket_end(p + 2, pe)))
        break;
    } else if (*p == '%' && p + 1 < pe && isdigit((unsigned char)p[1])) {
      it->kind = PI_REF;
      p += 2;
    } else {
      it->kind = PI_ONE;
      it->cls = p;
      if (*p == '%') {
        if (p + 1 >= pe)
          break;
        p += 2;
      } else if (*p == '[') {
        if (!(p = pt_bracket_end(p, pe)))
          break;
      } else {
        p++;
      }
      it->cend = p;
      if (p < pe && *p && strchr("*+-?", *p)) {
        it->q = *p;
        p++;
      }
    }
    n++;
  }
  return n;
}

/* ---- the bound ----------------------------------------------------------- */

/* Degree, ? count and "first item's rest always succeeds" of the items. */
typedef struct pt_shape {
  int deg;     /* of the whole pattern from one position */
  int doubles; /* unguarded ? items */
  int first_u; /* when the first consuming item's rest always succeeds: that
                  rest's degree, else -1 */
} pt_shape;

static void pt_analyse(const pt_item *items, int n, pt_shape *out) {
  /* Walk from the end: for the rest after item k, its degree, whether it
   * always succeeds (u), succeeds at the end of the subject (e), and which
   * bytes it may consume first (cons). */
  int deg = 0, doubles = 0;
  bool u = true, e = true;
  pt_set cons = {{0, 0, 0, 0}}, x;
  int deg_after[PT_MAX_ITEMS + 1];
  bool u_after[PT_MAX_ITEMS + 1];
  deg_after[n] = 0;
  u_after[n] = true;
  for (int k = n - 1; k >= 0; k--) {
    const pt_item *it = &items[k];
    switch (it->kind) {
    case PI_ZW:
      break;
    case PI_COND: /* $ succeeds only at the end, %f[] only at a frontier */
      u = false;
      e = e && it->cls == NULL;
      break;
    case PI_BAL:
      deg = deg > 1 ? deg : 1;
      u = e = false;
      memset(&cons, 0, sizeof cons);
      cons.w[(unsigned char)it->cls[0] >> 6] |= (uint64_t)1 << ((unsigned char)it->cls[0] & 63);
      break;
    case PI_REF:
      deg = deg > 1 ? deg : 1;
      u = e = false;
      memset(&cons, 0xff, sizeof cons);
      break;
    default: {
      pt_class_set(it, &x);
      bool all = it->cls[0] == '.';
      bool guarded = u || pt_disjoint(&x, &cons);
      if (it->q == 0) {
        u = e = false;
        cons = x;
      } else if (it->q == '?') {
        doubles += !guarded;
        pt_set_or(&cons, &x);
      } else {
        deg = guarded ? (deg > 1 ? deg : 1) : deg + 1;
        if (it->q == '+') {
          u = e = false;
          cons = x;
        } else {
          u = u || (all && e);
          pt_set_or(&cons, &x);
        }
      }
    }
    }
    deg_after[k] = deg;
    u_after[k] = u;
  }
  out->deg = deg;
  out->doubles = doubles;
  out->first_u = -1;
  int f = 0;
  while (f < n && items[f].kind == PI_ZW)
    f++;
  if (f < n && items[f].kind == PI_ONE && u_after[f + 1])
    out->first_u = deg_after[f + 1];
}

/* Quantifiers and scanning items in p[0..m), for a pattern too long to
 * analyse item by item: each may be one more degree. */
static int pt_operators(const char *p, size_t m) {
  int q = 0;
  for (size_t i = 0; i < m; i++) {
    if (p[i] && strchr("*+-?", p[i]))
      q++;
    else if (p[i] == '%' && i + 1 < m && (p[i + 1] == 'b' || isdigit((unsigned char)p[i + 1])))
      q++;
  }
  return q;
}

double orca__pattern_cost(const char *p, size_t m, size_t n, bool find, bool anchor_ok,
                          bool plain) {
  double nn = (double)n + 1;
  if (plain)
    return nn * (1.0 + (double)m / 64.0);
  bool anchored = anchor_ok && m > 0 && p[0] == '^';
  if (anchored) {
    p++;
    m--;
  }
  pt_item items[PT_MAX_ITEMS];
  int ni = pt_parse(p, m, items);
  if (ni < 0) /* too long to analyse: every operator a degree */
    return pow(nn, pt_operators(p, m) + 1) * ((double)m + 1);
  pt_shape s;
  pt_analyse(items, ni, &s);
  int deg = s.deg + (anchored ? 0 : 1);
  if (s.first_u >= 0) {
    /* find/match stop at the first success; gmatch/gsub pay the rest
     * again at every match, each match consuming the run it scanned */
    int d = find ? (s.first_u > 1 ? s.first_u : 1) : (s.first_u == 0 ? 1 : s.first_u + 1);
    if (d < deg)
      deg = d;
  }
  if (s.doubles > 60)
    return INFINITY;
  return pow(nn, deg) * (double)(ni + 1) * ldexp(1.0, s.doubles);
}

/* ---- the wrappers ---------------------------------------------------------- */

/* Bytes of a subject from Lua's init argument on. */
static size_t pt_from(size_t n, lua_Integer init) {
  size_t start;
  if (init > 0)
    start = (lua_Unsigned)init - 1 > n ? n : (size_t)init - 1;
  else if (init == 0 || (lua_Unsigned)-init > n)
    start = 0;
  else
    start = n - (size_t)-init;
  return n - start;
}

static void pt_check(lua_State *L, size_t n, const char *p, size_t m, bool find, bool anchor_ok,
                     bool plain) {
  double w = orca__pattern_cost(p, m, n, find, anchor_ok, plain);
  if (w > ORCA__HOOKS_PATTERN_MAX_STEPS) {
    char msg[160];
    snprintf(msg, sizeof msg,
             "pattern too complex for a %zu-byte subject in a hook (worst case %.3g matcher "
             "steps, limit %.3g)",
             n, w, ORCA__HOOKS_PATTERN_MAX_STEPS);
    luaL_error(L, "%s", msg);
  }
  orca__budget_charge(L, 1 + (n + m) / ORCA__HOOKS_BYTES_PER_INSTR);
  if (w > PT_CLOCK_STEPS)
    orca__budget_check_clock(L);
}

/* Whether string.find searches p[0..m) as a plain substring: asked to, or
 * no special character in it (match always runs the matcher). */
static bool pt_plain_find(lua_State *L, const char *p, size_t m) {
  static const char specials[] = "^$*+?.([%-";
  if (lua_toboolean(L, 4))
    return true;
  for (size_t i = 0; i < m; i++)
    if (memchr(specials, p[i], sizeof specials - 1))
      return false;
  return true;
}

/* string.find(s, p [, init [, plain]]) and string.match(s, p [, init]). */
static int pt_find_or_match(lua_State *L, bool find) {
  size_t n, m;
  luaL_checklstring(L, 1, &n);
  const char *p = luaL_checklstring(L, 2, &m);
  lua_Integer init = luaL_optinteger(L, 3, 1);
  pt_check(L, pt_from(n, init), p, m, true, true, find && pt_plain_find(L, p, m));
  return orca__sandbox_call_original(L);
}

static int pt_find(lua_State *L) {
  return pt_find_or_match(L, true);
}

static int pt_match(lua_State *L) {
  return pt_find_or_match(L, false);
}

/* string.gmatch(s, p [, init]): the whole iteration is bounded here. */
static int pt_gmatch(lua_State *L) {
  size_t n, m;
  luaL_checklstring(L, 1, &n);
  const char *p = luaL_checklstring(L, 2, &m);
  lua_Integer init = luaL_optinteger(L, 3, 1);
  pt_check(L, pt_from(n, init), p, m, false, false, false);
  return orca__sandbox_call_original(L);
}

/* string.gsub(s, p, repl [, max]). A function or table repl is Lua code or
 * a lookup per match, counted as it runs. */
static int pt_gsub(lua_State *L) {
  size_t n, m;
  luaL_checklstring(L, 1, &n);
  const char *p = luaL_checklstring(L, 2, &m);
  int tr = lua_type(L, 3);
  luaL_argexpected(
      L, tr == LUA_TNUMBER || tr == LUA_TSTRING || tr == LUA_TFUNCTION || tr == LUA_TTABLE, 3,
      "string/function/table");
  luaL_optinteger(L, 4, 0);
  pt_check(L, n, p, m, false, true, false);
  return orca__sandbox_call_original(L);
}

void orca__pattern_wrap(lua_State *L) {
  static const luaL_Reg fns[] = {{"find", pt_find},
                                 {"match", pt_match},
                                 {"gmatch", pt_gmatch},
                                 {"gsub", pt_gsub},
                                 {NULL, NULL}};
  orca__sandbox_wrap(L, fns);
}
