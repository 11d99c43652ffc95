/* bench_stat: the stat benchmark guest (bench/run.ts). Creates DIR/NAME, opens DIR and DIR/NAME, then
 * times COUNT calls of one of
 *   path   path_filestat_get(DIR's descriptor, NAME)   (stat(2) by name, as `ls -l` or SQLite's lock check)
 *   fd     fd_filestat_get(NAME's descriptor)          (fstat(2))
 * calling the WASI functions directly, so each iteration is exactly one call. Prints
 *   elapsed_ns N      the loop alone, CLOCK_MONOTONIC
 *   cpu_ns N          the same loop in CLOCK_PROCESS_CPUTIME_ID (every thread; less hurt by a busy machine)
 * Exits 1 if any call fails or a stat shows another size than the file has.
 * Usage: bench_stat DIR [COUNT=100000] [path|fd] [NAME=f]   (DIR and its parents are created if missing) */
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
  fprintf(stderr, "bench_stat: %s %s: %s\n", what, path, strerror(err));
  return 1;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: bench_stat DIR [COUNT] [path|fd] [NAME]\n");
    return 2;
  }
  const char *dir = argv[1];
  long count = argc > 2 ? atol(argv[2]) : 100000;
  const char *how = argc > 3 ? argv[3] : "path";
  const char *name = argc > 4 ? argv[4] : "f";
  int by_path = strcmp(how, "path") == 0;
  if (count <= 0 || (!by_path && strcmp(how, "fd") != 0)) {
    fprintf(stderr, "bench_stat: COUNT must be > 0, the way path or fd\n");
    return 2;
  }
  char path[4096];
  if (strlen(dir) >= sizeof path) return fail("mkdir", dir, ENAMETOOLONG);
  strcpy(path, dir);
  int err = make_dirs(path);
  if (err != 0) return fail("mkdir", dir, err);
  int dirfd = open(dir, O_RDONLY | O_DIRECTORY);
  if (dirfd < 0) return fail("open", dir, errno);
  int f = openat(dirfd, name, O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (f < 0 || write(f, "x\n", 2) != 2) return fail("create", name, errno);

  __wasi_filestat_t st;
  long long c0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
  long long t0 = clock_ns(CLOCK_MONOTONIC);
  for (long i = 0; i < count; i++) {
    __wasi_errno_t e = by_path ? __wasi_path_filestat_get((__wasi_fd_t)dirfd, 0, name, &st)
                               : __wasi_fd_filestat_get((__wasi_fd_t)f, &st);
    if (e != 0) return fail(by_path ? "path_filestat_get" : "fd_filestat_get", name, e);
    if (st.size != 2) {
      fprintf(stderr, "bench_stat: %s has size %llu, expected 2\n", name, (unsigned long long)st.size);
      return 1;
    }
  }
  long long t1 = clock_ns(CLOCK_MONOTONIC);
  long long c1 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
  close(f);
  close(dirfd);
  printf("elapsed_ns %lld\ncpu_ns %lld\n", t1 - t0, c1 - c0);
  return 0;
}
