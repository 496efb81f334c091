/* hooks_seam.h — where the runtime core meets Lua hooks (runtime/hooks/).
 *
 * The client runs on_enqueue and route; every handler thread of a worker
 * owns its own hooks state and runs before_run, after_run and on_error;
 * SIGHUP asks every state to reload. */
#ifndef ORCA__HOOKS_SEAM_H
#define ORCA__HOOKS_SEAM_H

#include "hooks/hooks.h"

#endif
