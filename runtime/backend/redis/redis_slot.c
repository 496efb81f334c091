/* redis_slot.c — where a command goes in a Redis Cluster: the hash slot of
 * a key (CRC16 of the key, or of its hash tag, modulo 16384) and the
 * position of a command's key among its arguments.
 *
 * The slot function is the one the Redis Cluster specification defines:
 * CRC-16/XMODEM (polynomial 0x1021, initial value 0, no reflection) of the
 * part of the key between the first '{' and the next '}' when that part is
 * not empty, else of the whole key. Debian ships no library with this CRC
 * (zlib has CRC-32 only, and hiredis 0.14 has no cluster support), so it is
 * computed here, bit by bit: keys are short and the cost is a few ns per
 * byte against a network round trip. */
#include <string.h>
#include <strings.h>

#include "backend/redis/redis_cluster.h"

static uint16_t crc16(const unsigned char *p, size_t n) {
  uint16_t crc = 0;
  for (size_t i = 0; i < n; i++) {
    crc ^= (uint16_t)(p[i] << 8);
    for (int b = 0; b < 8; b++)
      crc = (crc & 0x8000) ? (uint16_t)((crc << 1) ^ 0x1021) : (uint16_t)(crc << 1);
  }
  return crc;
}

unsigned orca__redis_key_slot(const void *key, size_t len) {
  const unsigned char *k = key;
  const unsigned char *open = memchr(k, '{', len);
  if (open) {
    size_t from = (size_t)(open - k) + 1;
    const unsigned char *close = memchr(k + from, '}', len - from);
    if (close && close > k + from)
      return crc16(k + from, (size_t)(close - (k + from))) & (ORCA__REDIS_SLOTS - 1);
  }
  return crc16(k, len) & (ORCA__REDIS_SLOTS - 1);
}

static bool arg_is(const char *arg, size_t len, const char *word) {
  return strlen(word) == len && strncasecmp(arg, word, len) == 0;
}

int orca__redis_cmd_key(size_t argc, const char *const *argv, const size_t *len) {
  if (argc < 2)
    return -1;
  const char *cmd = argv[0];
  size_t n = len[0];
  static const char *const keyless[] = {"PING",  "INFO",   "FUNCTION", "CLUSTER", "SCRIPT",
                                        "WAIT",  "ASKING", "DBSIZE",   "FLUSHDB", "FLUSHALL",
                                        "AUTH",  "SELECT", "CLIENT",   "CONFIG",  "READONLY",
                                        "HELLO", "TIME",   "COMMAND",  "ECHO",    "READWRITE"};
  for (size_t i = 0; i < sizeof keyless / sizeof *keyless; i++)
    if (arg_is(cmd, n, keyless[i]))
      return -1;
  if (arg_is(cmd, n, "FCALL") || arg_is(cmd, n, "FCALL_RO") || arg_is(cmd, n, "EVAL") ||
      arg_is(cmd, n, "EVALSHA")) {
    /* FCALL function numkeys key... */
    if (argc < 4 || len[2] == 0 || (len[2] == 1 && argv[2][0] == '0'))
      return -1;
    return 3;
  }
  if (arg_is(cmd, n, "XREAD") || arg_is(cmd, n, "XREADGROUP")) {
    for (size_t i = 1; i + 1 < argc; i++)
      if (arg_is(argv[i], len[i], "STREAMS"))
        return (int)i + 1;
    return -1;
  }
  if (arg_is(cmd, n, "XINFO") || arg_is(cmd, n, "XGROUP") || arg_is(cmd, n, "OBJECT") ||
      arg_is(cmd, n, "MEMORY"))
    return argc >= 3 ? 2 : -1;
  return 1;
}
