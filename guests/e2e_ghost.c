/* e2e_ghost: seed 003 (CRIU ghost files on an external tmpfs). Keeps fds on files whose names are gone,
 * parks for a checkpoint/restore, then checks contents and link counts.
 *   e2e_ghost --host DIR --go PATH [--ready PATH] [--done PATH]
 * /dev/shm/sem.A: written, hard-linked to sem.B, sem.A unlinked (POSIX-semaphore style): the fd and
 * sem.B stay one inode with nlink 1. DIR/g on a hostPath: written, unlinked while open: nlink 0. */
#include "e2e.h"

#define LEN_A 5000
#define LEN_G 7001
static unsigned char pa[LEN_A], pg[LEN_G], buf[LEN_G];

static void pattern(unsigned char *p, size_t n, unsigned x) {
  for (size_t i = 0; i < n; i++) p[i] = (unsigned char)((x = x * 1103515245u + 12345u) >> 16);
}

static void check(int fd, const unsigned char *want, size_t n, long long nlink, const char *what) {
  struct stat st;
  if (fstat(fd, &st) != 0) fail("fstat(%s): %s", what, strerror(errno));
  if ((size_t)st.st_size != n || (long long)st.st_nlink != nlink)
    fail("%s: expected size %zu nlink %lld, fstat says size %lld nlink %lld", what, n, nlink, (long long)st.st_size, (long long)st.st_nlink);
  pread_all(fd, buf, n, 0, what);
  for (size_t i = 0; i < n; i++)
    if (buf[i] != want[i]) fail("%s: byte %zu is 0x%02x, expected 0x%02x", what, i, buf[i], want[i]);
}

static void absent(const char *path) {
  struct stat st;
  if (stat(path, &st) == 0 || errno != ENOENT) fail("%s should not exist (stat: %s)", path, strerror(errno));
}

int main(int argc, char **argv) {
  g_prog = "ghost";
  const char *host = NULL, *go = NULL, *ready = NULL;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--host")) host = argv[i + 1];
    else if (!strcmp(argv[i], "--go")) go = argv[i + 1];
    else if (!strcmp(argv[i], "--ready")) ready = argv[i + 1];
    else if (!strcmp(argv[i], "--done")) g_done = argv[i + 1];
    else usage("e2e_ghost --host DIR --go PATH [--ready PATH] [--done PATH]");
  }
  if (argc % 2 == 0 || !host || !go) usage("e2e_ghost --host DIR --go PATH [--ready PATH] [--done PATH]");
  pattern(pa, LEN_A, 0xA);
  pattern(pg, LEN_G, 0x6);

  int fa = open("/dev/shm/sem.A", O_RDWR | O_CREAT | O_EXCL, 0600);
  if (fa < 0) fail("create /dev/shm/sem.A: %s", strerror(errno));
  pwrite_all(fa, pa, LEN_A, 0, "/dev/shm/sem.A");
  if (link("/dev/shm/sem.A", "/dev/shm/sem.B") != 0) fail("link sem.A sem.B: %s", strerror(errno));
  if (unlink("/dev/shm/sem.A") != 0) fail("unlink sem.A: %s", strerror(errno));
  check(fa, pa, LEN_A, 1, "fd of sem.A before checkpoint");
  char g[256];
  snprintf(g, sizeof g, "%s/g", host);
  int fg = open(g, O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (fg < 0) fail("create %s: %s", g, strerror(errno));
  pwrite_all(fg, pg, LEN_G, 0, g);
  if (unlink(g) != 0) fail("unlink %s: %s", g, strerror(errno));
  check(fg, pg, LEN_G, 0, "fd of unlinked g before checkpoint");

  hold(ready, go, "ghosts made\n");

  check(fa, pa, LEN_A, 1, "fd of sem.A after restore");
  absent("/dev/shm/sem.A");
  struct stat sa, sb;
  if (stat("/dev/shm/sem.B", &sb) != 0 || fstat(fa, &sa) != 0) fail("stat sem.B after restore: %s", strerror(errno));
  if (sa.st_ino != sb.st_ino || sa.st_dev != sb.st_dev) fail("the fd of sem.A and /dev/shm/sem.B are not one inode after restore");
  int fb = open("/dev/shm/sem.B", O_RDWR);
  if (fb < 0) fail("open sem.B after restore: %s", strerror(errno));
  check(fb, pa, LEN_A, 1, "sem.B opened after restore");
  pwrite_all(fb, "Z", 1, 7, "sem.B");
  pa[7] = 'Z';
  check(fa, pa, LEN_A, 1, "fd of sem.A after a write through sem.B");
  check(fg, pg, LEN_G, 0, "fd of unlinked g after restore");
  absent(g);
  pwrite_all(fg, "Q", 1, LEN_G - 1, "unlinked g");
  pg[LEN_G - 1] = 'Q';
  check(fg, pg, LEN_G, 0, "fd of unlinked g after a write");
  pass("sem.B nlink 1 (one inode with the fd of sem.A), %s nlink 0, contents kept", g);
  return 0;
}
