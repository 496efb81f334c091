/* policy.c — unique/cache keys, deadlines, retention (see policy.h for the
 * design of @cache and @unique over the backend's unique keys). */
#include "client/policy.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "base/id.h"

int orca__policy_has_key(const orca_task_desc *t) {
  return t->cache_ttl_us > 0 || t->unique_ttl_us > 0;
}

void orca__policy_key(const orca_task_desc *t, const uint8_t *args, size_t len,
                      char out[ORCA__KEY_MAX]) {
  unsigned char h[16];
  /* Make sure libsodium is initialised (generichash itself needs no state,
   * but sodium_init picks the fastest implementation). */
  unsigned char dummy;
  orca__random_bytes(&dummy, 0);
  crypto_generichash(h, sizeof h, args, len, NULL, 0);
  int n = snprintf(out, ORCA__KEY_MAX, "%.*s#", ORCA__TASK_NAME_MAX - 1, t->name);
  for (size_t i = 0; i < sizeof h; i++)
    n += snprintf(out + n, ORCA__KEY_MAX - (size_t)n, "%02x", h[i]);
}

int64_t orca__policy_key_ttl(const orca_task_desc *t) {
  return t->cache_ttl_us > 0 ? t->cache_ttl_us : t->unique_ttl_us;
}

int64_t orca__policy_state_ttl(const orca_task_desc *t) {
  int64_t ttl = t->result_ttl_us > 0 ? t->result_ttl_us : ORCA__DEFAULT_RESULT_TTL_US;
  return t->cache_ttl_us > ttl ? t->cache_ttl_us : ttl;
}

int64_t orca__policy_deadline(const orca_task_desc *t, int64_t rel_override, int64_t due_us) {
  int64_t rel = rel_override > 0 ? rel_override : t->deadline_us;
  return rel > 0 ? due_us + rel : 0;
}
