/* print.c — print() for hooks, and how much of it reaches the log.
 *
 * A hook's print goes to the orca log at INFO ("hook: a\tb"), at most
 * ORCA__HOOKS_LOG_PER_CALL lines per hook call and ORCA__HOOKS_LOG_PER_SEC
 * lines per second per state (per handler thread). A line over either limit
 * is dropped before its arguments are even converted, and counted; after a
 * call that dropped lines, one WARN notice "N log lines suppressed" reports
 * them, at most one notice per second (a count still pending is reported by
 * a later call or at close). Each line is also cut by orca_log's own line
 * length limit. */
#include <lauxlib.h>

#include "hooks/hooks_internal.h"
#include "orca/log.h"

/* Whether one more line may be logged now; counts it if so. */
static bool pr_allow(orca__hooks *h) {
  int64_t now = orca__budget_now_us();
  if (now - h->log_win_start >= 1000000) {
    h->log_win_start = now;
    h->log_win = 0;
  }
  if (h->log_call >= ORCA__HOOKS_LOG_PER_CALL || h->log_win >= ORCA__HOOKS_LOG_PER_SEC) {
    h->log_dropped++;
    return false;
  }
  h->log_call++;
  h->log_win++;
  return true;
}

int orca__print(lua_State *L) {
  if (!pr_allow(orca__sandbox_owner(L)))
    return 0;
  int n = lua_gettop(L);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (int i = 1; i <= n; i++) {
    if (i > 1)
      luaL_addchar(&b, '\t');
    luaL_tolstring(L, i, NULL);
    luaL_addvalue(&b);
  }
  luaL_pushresult(&b);
  orca_log(ORCA_LOG_INFO, "hook: %s", lua_tostring(L, -1));
  return 0;
}

void orca__print_flush(orca__hooks *h, bool force) {
  if (!h->log_dropped)
    return;
  int64_t now = orca__budget_now_us();
  if (!force && h->log_notice_at && now - h->log_notice_at < 1000000)
    return;
  orca_log(ORCA_LOG_WARN,
           "hooks: %llu log lines suppressed (print is limited to %d lines per hook call "
           "and %d per second per thread)",
           (unsigned long long)h->log_dropped, ORCA__HOOKS_LOG_PER_CALL, ORCA__HOOKS_LOG_PER_SEC);
  h->log_dropped = 0;
  h->log_notice_at = now;
}
