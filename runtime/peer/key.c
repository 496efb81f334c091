/* key.c — reading the cluster key file and deriving the frame key (key.h). */
#include "peer/key.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "orca/log.h"

int orca__peer_key_derive(const void *secret, size_t len, orca__peer_key *key, orca_err *err) {
  if (len < ORCA__PEER_KEY_MIN)
    return orca_err_set(err, ORCA_EINVAL, "cluster key too short: %zu bytes, at least %d needed",
                        len, ORCA__PEER_KEY_MIN);
  if (sodium_init() < 0)
    return orca_err_set(err, ORCA_EIO, "libsodium failed to initialise");
  uint8_t master[crypto_kdf_KEYBYTES];
  crypto_generichash(master, sizeof master, secret, len, NULL, 0);
  crypto_kdf_derive_from_key(key->k, sizeof key->k, 1, "orcapeer", master);
  sodium_memzero(master, sizeof master);
  return 0;
}

int orca__peer_key_load(const char *path, orca__peer_key *key, orca_err *err) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return orca_err_set(err, errno == ENOENT ? ORCA_ENOTFOUND : ORCA_EIO,
                        "cluster key file '%s': %s", path, strerror(errno));
  struct stat st;
  if (fstat(fd, &st) == 0 && (st.st_mode & S_IROTH))
    orca_log(ORCA_LOG_WARN, "cluster key file '%s' is readable by every user (chmod 600 it)", path);
  uint8_t buf[ORCA__PEER_KEY_FILE_MAX + 1];
  size_t len = 0;
  int rc = 0;
  for (;;) {
    ssize_t r = read(fd, buf + len, sizeof buf - len);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0) {
      rc = orca_err_set(err, ORCA_EIO, "cluster key file '%s': %s", path, strerror(errno));
      break;
    }
    if (r == 0)
      break;
    len += (size_t)r;
    if (len == sizeof buf) {
      rc = orca_err_set(err, ORCA_EINVAL, "cluster key file '%s': larger than %d bytes", path,
                        ORCA__PEER_KEY_FILE_MAX);
      break;
    }
  }
  close(fd);
  while (
      rc == 0 && len > 0 &&
      (buf[len - 1] == '\n' || buf[len - 1] == '\r' || buf[len - 1] == ' ' || buf[len - 1] == '\t'))
    len--;
  if (rc == 0) {
    rc = orca__peer_key_derive(buf, len, key, err);
    if (rc && err)
      orca_err_set(err, rc, "cluster key file '%s': %zu secret bytes, at least %d needed", path,
                   len, ORCA__PEER_KEY_MIN);
  }
  sodium_memzero(buf, sizeof buf);
  return rc;
}

int orca__peer_key_from_config(const char *path, orca__peer_key *key, orca_err *err) {
  if (!path || !*path)
    path = getenv("ORCA_CLUSTER_KEY_FILE");
  if (!path || !*path)
    return 0;
  int rc = orca__peer_key_load(path, key, err);
  return rc ? rc : 1;
}

void orca__peer_key_wipe(orca__peer_key *key) {
  sodium_memzero(key, sizeof *key);
}
