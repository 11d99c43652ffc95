/* bench_write: the fd_write benchmark guest (bench/run.ts). Creates FILE (truncating it), then times
 * COUNT write(2)s of SIZE bytes each, one fd_write per call, and prints
 *   elapsed_ns N      the loop alone, CLOCK_MONOTONIC (start-up and teardown left out)
 *   cpu_ns N          the same loop in CLOCK_PROCESS_CPUTIME_ID (every thread; less hurt by a busy machine)
 * Exits 1 if a write is short or the file does not end up COUNT*SIZE bytes long, so a broken run never
 * reports a figure.
 * Usage: bench_write FILE [COUNT=200000] [SIZE=16]   (FILE's directory and its parents are created if missing) */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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

/* mkdir -p of FILE's directory; exits 1 if that fails. */
static void make_parents(const char *file) {
  char path[4096];
  const char *slash = strrchr(file, '/');
  if (slash == NULL || slash == file) return;
  size_t n = (size_t)(slash - file);
  if (n >= sizeof path) return;
  memcpy(path, file, n);
  path[n] = '\0';
  int err = make_dirs(path);
  if (err != 0) {
    fprintf(stderr, "bench_write: mkdir %s: %s\n", path, strerror(err));
    exit(1);
  }
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: bench_write FILE [COUNT] [SIZE]\n");
    return 2;
  }
  const char *file = argv[1];
  long count = argc > 2 ? atol(argv[2]) : 200000;
  long size = argc > 3 ? atol(argv[3]) : 16;
  if (count <= 0 || size <= 0 || size > 4096) {
    fprintf(stderr, "bench_write: COUNT must be > 0 and SIZE 1..4096\n");
    return 2;
  }
  char buf[4096];
  memset(buf, 'x', sizeof buf);
  buf[size - 1] = '\n';

  make_parents(file);
  int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    fprintf(stderr, "bench_write: open %s: %s\n", file, strerror(errno));
    return 1;
  }
  long long c0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
  long long t0 = clock_ns(CLOCK_MONOTONIC);
  for (long i = 0; i < count; i++) {
    if (write(fd, buf, (size_t)size) != size) {
      fprintf(stderr, "bench_write: write %ld: %s\n", i, strerror(errno));
      return 1;
    }
  }
  long long t1 = clock_ns(CLOCK_MONOTONIC);
  long long c1 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
  struct stat st;
  if (fstat(fd, &st) != 0 || st.st_size != (off_t)(count * size)) {
    fprintf(stderr, "bench_write: %s is %lld bytes, expected %ld\n", file, (long long)st.st_size, count * size);
    return 1;
  }
  close(fd);
  printf("elapsed_ns %lld\ncpu_ns %lld\n", t1 - t0, c1 - c0);
  return 0;
}
