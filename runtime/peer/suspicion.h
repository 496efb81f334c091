/* suspicion.h — Lifeguard's dynamic suspicion timeout.
 *
 * A suspicion starts at `max` and falls towards `min` as independent members
 * confirm it (each confirmer counts once, the one who raised it not at all):
 *
 *   timeout(c) = max(min, max - (max - min) * log(c + 1) / log(k + 1))
 *
 * with c confirmations of the k expected. min = suspicion_mult ×
 * max(1, log10 N) × probe interval and max = suspicion_max_mult × min
 * (orca__suspicion_bounds). A member that is really down is confirmed by
 * everyone who probes it, so it is declared dead near `min`; a member
 * suspected through one lossy link is confirmed by nobody and has up to
 * `max` to refute. Pure: times are passed in. */
#ifndef ORCA__PEER_SUSPICION_H
#define ORCA__PEER_SUSPICION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ORCA__SUSPICION_CONFIRMERS 16 /* k is capped here */

typedef struct orca__suspicion {
  int64_t start, min, max;                       /* µs */
  uint32_t k, c;                                 /* confirmations expected, received */
  uint64_t from[ORCA__SUSPICION_CONFIRMERS + 1]; /* hashes of the raiser and the confirmers */
} orca__suspicion;

/* The timeout bounds for a cluster of n live members. */
void orca__suspicion_bounds(int64_t probe_interval_us, int suspicion_mult, int max_mult, size_t n,
                            int64_t *min, int64_t *max);

/* Confirmations to expect: suspicion_mult - 2, or 0 when fewer than that
 * many members could confirm (n live members, less the suspect and us). */
uint32_t orca__suspicion_k(int suspicion_mult, size_t n);

/* Start a suspicion at now raised by the member whose id hashes to from. */
void orca__suspicion_start(orca__suspicion *s, int64_t now, uint32_t k, int64_t min, int64_t max,
                           uint64_t from);

/* Count a confirmation from `from`. Returns true when it is new (the
 * deadline moved closer and the news is worth passing on). */
bool orca__suspicion_confirm(orca__suspicion *s, uint64_t from);

/* The formula above, in µs. */
int64_t orca__suspicion_timeout(int64_t min, int64_t max, uint32_t k, uint32_t c);

/* When the suspicion expires: start + timeout(c). */
int64_t orca__suspicion_deadline(const orca__suspicion *s);

#endif
