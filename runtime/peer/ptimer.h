/* ptimer.h — a protocol timer: an entry of the peer's timer heap (the
 * TimeKeeper's 4-ary heap) and the function to run when it is due. The peer
 * keeps every deadline in that heap and asks its transport for one wake-up
 * at the earliest (peer_io.h), so the protocol never touches a real clock. */
#ifndef ORCA__PEER_PTIMER_H
#define ORCA__PEER_PTIMER_H

#include "base/timerheap.h"

typedef struct orca__peer orca__peer;
typedef struct orca__ptimer orca__ptimer;

struct orca__ptimer {
  orca__timer t;
  void (*fn)(orca__peer *p, orca__ptimer *self);
};

#endif
