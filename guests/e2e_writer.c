/* e2e_writer: one of two containers writing to a shared volume and the pod's /dev/shm (seed 000).
 *   e2e_writer --name A --peer B --dir DIR --ticks N --every-ms M [--hold-at K --go PATH [--ready PATH]]
 *              [--done PATH]
 * Tick n: appends "A n\n" to DIR/log (O_APPEND, fd held open); checks DIR/A and /dev/shm/A hold n-1 and
 * rewrites them with n (through a temporary renamed over each); checks the peer's DIR/B and /dev/shm/B
 * never go backwards. At the end it waits (30 s at most) for the peer to reach N in both places, then
 * checks DIR/log holds "A 1".."A N" and "B 1".."B N", each exactly once and in order, and nothing else. */
#include "e2e.h"

static const char *name, *peer, *dir;
static int ticks, seen_dir = -1, seen_shm = -1;
static char logbuf[1 << 16];

static void own(const char *base, int n) {
  char p[256], tmp[256];
  snprintf(p, sizeof p, "%s/%s", base, name);
  int v = read_count(p);
  if (v != (n == 1 ? -1 : n - 1)) fail("tick %d: %s: expected %d, saw %d", n, p, n - 1, v);
  /* Rewritten whole (a temporary renamed over it): the peer, which may run between any two calls of
   * this one, never reads it truncated and not yet written. */
  snprintf(tmp, sizeof tmp, "%s/.%s.tmp", base, name);
  write_count(tmp, n);
  if (rename(tmp, p) != 0) fail("tick %d: rename(%s, %s): %s", n, tmp, p, strerror(errno));
}

static int peer_count(const char *base, int *seen, int n) {
  char p[256];
  snprintf(p, sizeof p, "%s/%s", base, peer);
  int v = read_count(p);
  if (v < *seen || v > ticks) fail("tick %d: the peer's %s went from %d to %d", n, p, *seen, v);
  return *seen = v;
}

int main(int argc, char **argv) {
  int hold_at = -1;
  long every = -1;
  const char *go = NULL, *ready = NULL;
  for (int i = 1; i + 1 < argc; i += 2) {
    const char *a = argv[i], *v = argv[i + 1];
    if (!strcmp(a, "--name")) name = v;
    else if (!strcmp(a, "--peer")) peer = v;
    else if (!strcmp(a, "--dir")) dir = v;
    else if (!strcmp(a, "--ticks")) ticks = atoi(v);
    else if (!strcmp(a, "--every-ms")) every = atol(v);
    else if (!strcmp(a, "--hold-at")) hold_at = atoi(v);
    else if (!strcmp(a, "--go")) go = v;
    else if (!strcmp(a, "--ready")) ready = v;
    else if (!strcmp(a, "--done")) g_done = v;
    else usage("e2e_writer --name A --peer B --dir DIR --ticks N --every-ms M [--hold-at K --go P [--ready P]] [--done P]");
  }
  if (argc % 2 == 0 || !name || !peer || !dir || ticks <= 0 || every < 0 || (hold_at > 0 && !go)) usage("e2e_writer --name A ...");
  static char prog[64];
  snprintf(prog, sizeof prog, "writer %s", name);
  g_prog = prog;
  char logpath[256];
  snprintf(logpath, sizeof logpath, "%s/log", dir);
  int logfd = open(logpath, O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (logfd < 0) fail("open(%s): %s", logpath, strerror(errno));

  for (int n = 1; n <= ticks; n++) {
    char line[64];
    int len = snprintf(line, sizeof line, "%s %d\n", name, n);
    if (write(logfd, line, (size_t)len) != len) fail("tick %d: append to %s: %s", n, logpath, strerror(errno));
    own(dir, n);
    own("/dev/shm", n);
    peer_count(dir, &seen_dir, n);
    peer_count("/dev/shm", &seen_shm, n);
    printf("%d\n", n);
    fflush(stdout);
    if (n == hold_at) hold(ready, go, "held\n");
    if (every > 0) sleep_ms(every);
  }
  for (long long start = mono_ms(); peer_count(dir, &seen_dir, ticks) != ticks || peer_count("/dev/shm", &seen_shm, ticks) != ticks;) {
    if (mono_ms() - start > 30000) fail("peer %s stopped at %d in %s and %d in /dev/shm (not shared?)", peer, seen_dir, dir, seen_shm);
    sleep_ms(10);
  }
  long len = read_file(logpath, logbuf, sizeof logbuf);
  if (len < 0) fail("reading %s: %s", logpath, strerror(errno));
  int next_own = 1, next_peer = 1;
  for (char *l = strtok(logbuf, "\n"); l; l = strtok(NULL, "\n")) {
    char who[32];
    int v;
    if (sscanf(l, "%31s %d", who, &v) != 2) fail("%s: a line '%.40s'", logpath, l);
    int *next = !strcmp(who, name) ? &next_own : !strcmp(who, peer) ? &next_peer : NULL;
    if (!next || v != *next) fail("%s: saw '%.40s', expected '%s %d' or '%s %d' (a write ran twice or was lost)", logpath, l, name, next_own, peer, next_peer);
    (*next)++;
  }
  if (next_own != ticks + 1 || next_peer != ticks + 1) fail("%s: %s's lines end at %d, %s's at %d, expected %d", logpath, name, next_own - 1, peer, next_peer - 1, ticks);
  pass("%d ticks each by %s and %s in %s and /dev/shm, each exactly once", ticks, name, peer, dir);
  return 0;
}
