/* state.c — state names and the table of legal transitions (orca/state.h). */
#include "orca/state.h"

#include <string.h>

static const char *const names[] = {
    [ORCA_STATE_UNKNOWN] = "unknown",     [ORCA_STATE_SCHEDULED] = "scheduled",
    [ORCA_STATE_PENDING] = "pending",     [ORCA_STATE_RUNNING] = "running",
    [ORCA_STATE_SUCCEEDED] = "succeeded", [ORCA_STATE_FAILED] = "failed",
    [ORCA_STATE_DEAD] = "dead",           [ORCA_STATE_CANCELLED] = "cancelled",
    [ORCA_STATE_EXPIRED] = "expired",
};

const char *orca_state_name(orca_state s) {
  if ((unsigned)s < sizeof names / sizeof names[0])
    return names[s];
  return "unknown";
}

orca_state orca_state_parse(const char *name) {
  for (unsigned i = 1; i < sizeof names / sizeof names[0]; i++)
    if (strcmp(names[i], name) == 0)
      return (orca_state)i;
  return ORCA_STATE_UNKNOWN;
}

bool orca_state_is_final(orca_state s) {
  return s == ORCA_STATE_SUCCEEDED || s == ORCA_STATE_DEAD || s == ORCA_STATE_CANCELLED ||
         s == ORCA_STATE_EXPIRED;
}

#define BIT(s) (1u << (s))
/* allowed[from] = set of states `from` may move to */
static const unsigned allowed[] = {
    [ORCA_STATE_UNKNOWN] = BIT(ORCA_STATE_SCHEDULED) | BIT(ORCA_STATE_PENDING),
    [ORCA_STATE_SCHEDULED] =
        BIT(ORCA_STATE_PENDING) | BIT(ORCA_STATE_CANCELLED) | BIT(ORCA_STATE_EXPIRED),
    [ORCA_STATE_PENDING] = BIT(ORCA_STATE_RUNNING) | BIT(ORCA_STATE_CANCELLED) |
                           BIT(ORCA_STATE_EXPIRED) | BIT(ORCA_STATE_DEAD),
    [ORCA_STATE_RUNNING] = BIT(ORCA_STATE_SUCCEEDED) | BIT(ORCA_STATE_FAILED) |
                           BIT(ORCA_STATE_DEAD) | BIT(ORCA_STATE_CANCELLED) |
                           BIT(ORCA_STATE_PENDING) | BIT(ORCA_STATE_EXPIRED),
    [ORCA_STATE_SUCCEEDED] = 0,
    [ORCA_STATE_FAILED] = BIT(ORCA_STATE_SCHEDULED) | BIT(ORCA_STATE_PENDING),
    [ORCA_STATE_DEAD] = BIT(ORCA_STATE_PENDING),
    [ORCA_STATE_CANCELLED] = 0,
    [ORCA_STATE_EXPIRED] = 0,
};
#undef BIT

bool orca_state_can_move(orca_state from, orca_state to) {
  if ((unsigned)from >= sizeof allowed / sizeof allowed[0] || (unsigned)to > ORCA_STATE_EXPIRED)
    return false;
  return (allowed[from] >> to) & 1u;
}
