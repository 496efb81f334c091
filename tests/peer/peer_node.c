/* peer_node.c — one peer network member as a process, for
 * test_peer_proc.c. Usage: peer_node ID KEY_FILE [SEED]. Binds
 * 127.0.0.1 on a free port and prints, one line each, flushed:
 *   ready ADDRESS
 *   member ID STATE MONOTONIC_US     (every change it sees)
 * SIGTERM: leave the cluster, print "left", exit 0. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <uv.h>

#include "orca/log.h"
#include "peer/peer.h"

static orca__peer *peer;
static uv_signal_t sigterm;

static long long mono_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void on_member(void *ud, const orca__peer_member *m, orca__peer_state before) {
  (void)ud;
  if (m->state != before)
    printf("member %s %s %lld\n", m->id, orca__peer_state_name(m->state), mono_us());
  fflush(stdout);
}

static void left(void *ud) {
  (void)ud;
  printf("left\n");
  fflush(stdout);
  orca__peer_close(peer);
  uv_close((uv_handle_t *)&sigterm, NULL);
}

static void on_sigterm(uv_signal_t *s, int sig) {
  (void)sig;
  uv_signal_stop(s);
  orca__peer_leave(peer, left, NULL);
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: peer_node ID KEY_FILE [SEED]\n");
    return 2;
  }
  orca_log_set(NULL, NULL, ORCA_LOG_ERROR);
  uv_loop_t *loop = uv_default_loop();
  orca__peer_key key;
  orca_err err = {0};
  if (orca__peer_key_from_config(argv[2], &key, &err) != 1) {
    fprintf(stderr, "peer_node: %s\n", err.msg);
    return 1;
  }
  orca__peer_opts o = {
      .id = argv[1], .cluster = "proc", .bind = "127.0.0.1:0", .key = &key, .on_member = on_member};
  if (orca__peer_open(loop, &o, &peer, &err)) {
    fprintf(stderr, "peer_node: %s\n", err.msg);
    return 1;
  }
  char addr[ORCA__PEER_ADDR_STRLEN];
  printf("ready %s\n", orca__peer_addr_format(orca__peer_address(peer), addr));
  fflush(stdout);
  if (argc > 3) {
    const char *seeds[] = {argv[3]};
    if (orca__peer_join(peer, seeds, 1, &err)) {
      fprintf(stderr, "peer_node: %s\n", err.msg);
      return 1;
    }
  }
  uv_signal_init(loop, &sigterm);
  uv_signal_start(&sigterm, on_sigterm, SIGTERM);
  uv_run(loop, UV_RUN_DEFAULT);
  uv_loop_close(loop);
  return 0;
}
