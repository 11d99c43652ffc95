/* e2e_counter: the end-to-end tests' probe that every syscall runs exactly once across checkpoint/restore.
 *   e2e_counter --ticks N --every-ms M [--state PATH] [--out PATH] [--hold-at K]... [--go PATH]
 *               [--ready PATH] [--done PATH]
 * Tick n: prints "n" on stdout; appends "n\n" to --out (held open, O_APPEND) and checks fstat grew by
 * exactly that line; checks --state holds n-1 (absent before tick 1: a restart instead of a resume is
 * an error) and rewrites it with n; at a hold tick K writes --ready and waits for --go ("%d" in either
 * becomes K); sleeps M ms. At the end --out must hold exactly 1..N; the verdict gives the elapsed ms. */
#include "e2e.h"

static char buf[1 << 16];

int main(int argc, char **argv) {
  g_prog = "counter";
  int ticks = -1, holds[8], nholds = 0;
  long every = -1;
  const char *state = NULL, *out = NULL, *go = NULL, *ready = NULL;
  for (int i = 1; i + 1 < argc; i += 2) {
    const char *a = argv[i], *v = argv[i + 1];
    if (!strcmp(a, "--ticks")) ticks = atoi(v);
    else if (!strcmp(a, "--every-ms")) every = atol(v);
    else if (!strcmp(a, "--state")) state = v;
    else if (!strcmp(a, "--out")) out = v;
    else if (!strcmp(a, "--hold-at") && nholds < 8) holds[nholds++] = atoi(v);
    else if (!strcmp(a, "--go")) go = v;
    else if (!strcmp(a, "--ready")) ready = v;
    else if (!strcmp(a, "--done")) g_done = v;
    else usage("e2e_counter --ticks N --every-ms M [--state P] [--out P] [--hold-at K]... [--go P] [--ready P] [--done P]");
  }
  if (argc % 2 == 0 || ticks < 0 || every < 0 || (nholds > 0 && !go)) usage("e2e_counter --ticks N --every-ms M ...");
  if (state && read_count(state) != -1) fail("state file %s exists at start: the program was started again instead of resumed", state);
  int outfd = -1;
  if (out && (outfd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644)) < 0) fail("open(%s): %s", out, strerror(errno));
  long long start = mono_ms(), size = 0;
  for (int n = 1; n <= ticks; n++) {
    char line[16];
    int len = snprintf(line, sizeof line, "%d\n", n);
    printf("%s", line);
    fflush(stdout);
    if (outfd >= 0) {
      struct stat st;
      if (write(outfd, line, (size_t)len) != len) fail("tick %d: append to %s: %s", n, out, strerror(errno));
      size += len;
      if (fstat(outfd, &st) != 0 || st.st_size != size)
        fail("tick %d: %s should be %lld bytes, is %lld (an append ran twice or was lost)", n, out, size, (long long)st.st_size);
    }
    if (state) {
      int was = read_count(state);
      if (was != (n == 1 ? -1 : n - 1)) fail("tick %d: state file %s: expected %d, saw %d", n, state, n - 1, was);
      write_count(state, n);
    }
    for (int h = 0; h < nholds; h++)
      if (holds[h] == n) {
        char r[256], g[256], what[32];
        snprintf(what, sizeof what, "tick %d\n", n);
        hold(ready ? subst(ready, n, r, sizeof r) : NULL, subst(go, n, g, sizeof g), what);
      }
    if (every > 0) sleep_ms(every);
  }
  if (out) {
    long len = read_file(out, buf, sizeof buf);
    char *p = buf;
    for (int n = 1; n <= ticks; n++) {
      char want[16];
      int wl = snprintf(want, sizeof want, "%d\n", n);
      if (len < 0 || strncmp(p, want, (size_t)wl)) fail("%s: line %d is not '%d' (a write ran twice or was lost)", out, n, n);
      p += wl;
    }
    if (*p) fail("%s: more than %d lines (a write ran twice)", out, ticks);
  }
  pass("%d ticks in %lld ms, each exactly once", ticks, mono_ms() - start);
  return 0;
}
