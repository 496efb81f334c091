/* hooks_seam.h — where the runtime core meets Lua hooks (runtime/hooks/).
 *
 * The client runs on_enqueue and route; every handler thread of a worker
 * owns its own hooks state and runs before_run, after_run and on_error;
 * SIGHUP asks every state to reload. ORCA__WITH_HOOKS 0 builds the core
 * without them (then a hooks file is refused with ORCA_ENOTSUP). */
#ifndef ORCA__HOOKS_SEAM_H
#define ORCA__HOOKS_SEAM_H

#ifndef ORCA__WITH_HOOKS
#define ORCA__WITH_HOOKS 1
#endif

#include "hooks/hooks.h"

#endif
