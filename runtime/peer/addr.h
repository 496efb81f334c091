/* addr.h — peer network addresses: an IPv4 or IPv6 literal and a port, as
 * they travel in frames (6 or 18 bytes) and as users write them
 * ("127.0.0.1:7946", "[::1]:7946"). Host names are not resolved here: the
 * peer network never blocks on DNS. Pure: no I/O. */
#ifndef ORCA__PEER_ADDR_H
#define ORCA__PEER_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "orca/error.h"

typedef struct orca__peer_addr {
  uint8_t family; /* 4 or 6; 0 = no address */
  uint16_t port;
  uint8_t ip[16]; /* network order; IPv4 uses the first 4 bytes */
} orca__peer_addr;

#define ORCA__PEER_ADDR_STRLEN 56 /* "[ipv6]:port" with room to spare */
#define ORCA__PEER_ADDR_WIRE_MAX 18

/* Parse "a.b.c.d:port" or "[v6]:port" (port 0..65535) into *a. Returns 0,
 * or ORCA_EINVAL with err quoting the text and saying what is wrong. */
int orca__peer_addr_parse(const char *s, orca__peer_addr *a, orca_err *err);

/* Write a as "a.b.c.d:port" / "[v6]:port" into out (ORCA__PEER_ADDR_STRLEN
 * bytes) and return out. */
char *orca__peer_addr_format(const orca__peer_addr *a, char *out);

/* Whether a is on loopback (127.0.0.0/8, ::1, or ::ffff:127.0.0.0/104). */
bool orca__peer_addr_loopback(const orca__peer_addr *a);

/* Whether a is the wildcard address (0.0.0.0 or ::). */
bool orca__peer_addr_wildcard(const orca__peer_addr *a);

/* Same family, ip and port. */
bool orca__peer_addr_eq(const orca__peer_addr *a, const orca__peer_addr *b);

/* Wire form: ip bytes then the port big-endian (6 or 18 bytes). Encode
 * returns the length written to out (ORCA__PEER_ADDR_WIRE_MAX bytes); decode
 * returns 0, or -1 for a length that is neither 6 nor 18. */
size_t orca__peer_addr_to_wire(const orca__peer_addr *a, uint8_t *out);
int orca__peer_addr_from_wire(const uint8_t *p, size_t n, orca__peer_addr *a);

#endif
