/* handlers.h — the shop example's handler table. */
#ifndef SHOP_EXAMPLE_HANDLERS_H
#define SHOP_EXAMPLE_HANDLERS_H

#include "shop.orca.h"

extern const shop_handlers shop_example_handlers;

#endif
