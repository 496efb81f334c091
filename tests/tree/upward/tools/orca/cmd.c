/* A CLI file that reaches into the runtime: tools/check-layers must refuse it. */
#include "client/client_internal.h"
