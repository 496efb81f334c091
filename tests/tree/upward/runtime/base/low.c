/* A base file that includes the worker: tools/check-layers must refuse it. */
#include "worker/high.h"
