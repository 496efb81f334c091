/* orca/orca.h — everything a program using Orcastra includes. Generated
 * NAME.orca.h files include this. */
#ifndef ORCA_ORCA_H
#define ORCA_ORCA_H

#include "orca/admin.h"
#include "orca/client.h"
#include "orca/clock.h"
#include "orca/codec.h"
#include "orca/cron.h"
#include "orca/dashboard.h"
#include "orca/error.h"
#include "orca/log.h"
#include "orca/memory.h"
#include "orca/schedule.h"
#include "orca/schema.h"
#include "orca/state.h"
#include "orca/worker.h"

#define ORCA_VERSION_MAJOR 0
#define ORCA_VERSION_MINOR 1
#define ORCA_VERSION_PATCH 0
#define ORCA_VERSION_STRING "0.1.0"

#endif
