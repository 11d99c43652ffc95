/* bench_open: the path_open benchmark guest (bench/run.ts). Creates DIR/NAME, opens DIR, then times
 * COUNT pairs of path_open (NAME, relative to DIR's descriptor, read-only) and fd_close, calling the
 * WASI functions directly so each pair is exactly two calls (libc's openat adds an fd_fdstat_get).
 * Prints
 *   elapsed_ns N      the loop alone, CLOCK_MONOTONIC
 *   cpu_ns N          the same loop in CLOCK_PROCESS_CPUTIME_ID (every thread; less hurt by a busy machine)
 * Exits 1 if any call fails.
 * Usage: bench_open DIR [COUNT=100000] [NAME=f]   (DIR and its parents are created if missing) */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <wasi/api.h>

static long long clock_ns(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* mkdir -p, deepest first: only the missing directories are made, so a path under a directory the
 * runtime preopened (whose parents the guest may not reach) works too. Returns 0 or an errno. */
static int make_dirs(char *path) {
  if (mkdir(path, 0755) == 0 || errno == EEXIST) return 0;
  if (errno != ENOENT) return errno;
  char *slash = strrchr(path, '/');
  if (slash == NULL || slash == path) return ENOENT;
  *slash = '\0';
  int err = make_dirs(path);
  *slash = '/';
  if (err != 0) return err;
  if (mkdir(path, 0755) == 0 || errno == EEXIST) return 0;
  return errno;
}

static int fail(const char *what, const char *path, int err) {
  fprintf(stderr, "bench_open: %s %s: %s\n", what, path, strerror(err));
  return 1;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: bench_open DIR [COUNT] [NAME]\n");
    return 2;
  }
  const char *dir = argv[1];
  long count = argc > 2 ? atol(argv[2]) : 100000;
  const char *name = argc > 3 ? argv[3] : "f";
  if (count <= 0) {
    fprintf(stderr, "bench_open: COUNT must be > 0\n");
    return 2;
  }
  char path[4096];
  if (strlen(dir) >= sizeof path) return fail("mkdir", dir, ENAMETOOLONG);
  strcpy(path, dir);
  int err = make_dirs(path);
  if (err != 0) return fail("mkdir", dir, err);
  int dirfd = open(dir, O_RDONLY | O_DIRECTORY);
  if (dirfd < 0) return fail("open", dir, errno);
  int f = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (f < 0 || write(f, "x\n", 2) != 2) return fail("create", name, errno);
  close(f);

  long long c0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
  long long t0 = clock_ns(CLOCK_MONOTONIC);
  for (long i = 0; i < count; i++) {
    __wasi_fd_t fd;
    __wasi_errno_t e = __wasi_path_open((__wasi_fd_t)dirfd, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, name, 0,
                                        __WASI_RIGHTS_FD_READ, 0, 0, &fd);
    if (e != 0) return fail("path_open", name, e);
    e = __wasi_fd_close(fd);
    if (e != 0) return fail("fd_close", name, e);
  }
  long long t1 = clock_ns(CLOCK_MONOTONIC);
  long long c1 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
  close(dirfd);
  printf("elapsed_ns %lld\ncpu_ns %lld\n", t1 - t0, c1 - c0);
  return 0;
}
