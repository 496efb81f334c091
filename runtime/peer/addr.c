/* addr.c — parsing, printing and classifying peer addresses (addr.h). */
#include "peer/addr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parse a decimal port; returns -1 unless s is 1..5 digits up to 65535. */
static long parse_port(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > 5 || strspn(s, "0123456789") != n)
    return -1;
  long v = strtol(s, NULL, 10);
  return v <= 65535 ? v : -1;
}

int orca__peer_addr_parse(const char *s, orca__peer_addr *a, orca_err *err) {
  memset(a, 0, sizeof *a);
  if (!s)
    return orca_err_set(err, ORCA_EINVAL, "peer address missing");
  char host[64];
  const char *port;
  if (s[0] == '[') {
    const char *close = strchr(s, ']');
    if (!close || close[1] != ':' || (size_t)(close - s - 1) >= sizeof host)
      return orca_err_set(err, ORCA_EINVAL, "peer address '%s': expected [ipv6]:port", s);
    memcpy(host, s + 1, (size_t)(close - s - 1));
    host[close - s - 1] = '\0';
    port = close + 2;
    if (inet_pton(AF_INET6, host, a->ip) != 1)
      return orca_err_set(err, ORCA_EINVAL, "peer address '%s': '%s' is not an IPv6 address", s,
                          host);
    a->family = 6;
  } else {
    const char *colon = strrchr(s, ':');
    if (!colon || (size_t)(colon - s) >= sizeof host)
      return orca_err_set(err, ORCA_EINVAL,
                          "peer address '%s': expected ip:port (an IP literal, e.g. "
                          "127.0.0.1:7946, or [::1]:7946)",
                          s);
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = '\0';
    port = colon + 1;
    if (inet_pton(AF_INET, host, a->ip) != 1)
      return orca_err_set(err, ORCA_EINVAL,
                          "peer address '%s': '%s' is not an IPv4 address (host names are not "
                          "resolved; IPv6 goes in brackets)",
                          s, host);
    a->family = 4;
  }
  long p = parse_port(port);
  if (p < 0) {
    memset(a, 0, sizeof *a);
    return orca_err_set(err, ORCA_EINVAL, "peer address '%s': port must be 0..65535", s);
  }
  a->port = (uint16_t)p;
  return 0;
}

char *orca__peer_addr_format(const orca__peer_addr *a, char *out) {
  char ip[INET6_ADDRSTRLEN] = "?";
  if (a->family == 4) {
    inet_ntop(AF_INET, a->ip, ip, sizeof ip);
    snprintf(out, ORCA__PEER_ADDR_STRLEN, "%s:%u", ip, a->port);
  } else if (a->family == 6) {
    inet_ntop(AF_INET6, a->ip, ip, sizeof ip);
    snprintf(out, ORCA__PEER_ADDR_STRLEN, "[%s]:%u", ip, a->port);
  } else {
    snprintf(out, ORCA__PEER_ADDR_STRLEN, "(none)");
  }
  return out;
}

bool orca__peer_addr_loopback(const orca__peer_addr *a) {
  static const uint8_t v6_loop[16] = {[15] = 1};
  static const uint8_t v4_mapped[12] = {[10] = 0xff, [11] = 0xff};
  if (a->family == 4)
    return a->ip[0] == 127;
  if (a->family == 6)
    return memcmp(a->ip, v6_loop, 16) == 0 ||
           (memcmp(a->ip, v4_mapped, 12) == 0 && a->ip[12] == 127);
  return false;
}

bool orca__peer_addr_wildcard(const orca__peer_addr *a) {
  static const uint8_t zero[16];
  return a->family && memcmp(a->ip, zero, a->family == 4 ? 4 : 16) == 0;
}

bool orca__peer_addr_eq(const orca__peer_addr *a, const orca__peer_addr *b) {
  return a->family == b->family && a->port == b->port &&
         memcmp(a->ip, b->ip, a->family == 4 ? 4 : 16) == 0;
}

size_t orca__peer_addr_to_wire(const orca__peer_addr *a, uint8_t *out) {
  size_t n = a->family == 6 ? 16 : 4;
  memcpy(out, a->ip, n);
  out[n] = (uint8_t)(a->port >> 8);
  out[n + 1] = (uint8_t)a->port;
  return n + 2;
}

int orca__peer_addr_from_wire(const uint8_t *p, size_t n, orca__peer_addr *a) {
  memset(a, 0, sizeof *a);
  if (n != 6 && n != 18)
    return -1;
  a->family = n == 6 ? 4 : 6;
  memcpy(a->ip, p, n - 2);
  a->port = (uint16_t)(p[n - 2] << 8 | p[n - 1]);
  return 0;
}
