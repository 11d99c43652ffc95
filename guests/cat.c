/* cat: copies each file named in argv to stdout, in order, or stdin when there are none ("-" is stdin too).
 * On a file it cannot open or read it prints "cat: NAME: <strerror>" to stderr and exits 1 (the files
 * before it are already copied). Used to check reads, pipes and preopened directories. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char buf[65536];

/* Copies fd to stdout; returns 0, or -1 with errno set and *what naming the failed side. */
static int copy(int fd, const char **what) {
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n == 0) return 0;
    if (n < 0) {
      if (errno == EINTR) continue;
      *what = "read";
      return -1;
    }
    for (ssize_t off = 0; off < n;) {
      ssize_t w = write(STDOUT_FILENO, buf + off, (size_t)(n - off));
      if (w < 0) {
        if (errno == EINTR) continue;
        *what = "write";
        return -1;
      }
      off += w;
    }
  }
}

static int cat(const char *name) {
  const char *what = "open";
  int fd = strcmp(name, "-") == 0 ? STDIN_FILENO : open(name, O_RDONLY);
  if (fd < 0 || copy(fd, &what) < 0) {
    int err = errno;
    fprintf(stderr, "cat: %s: %s%s\n", name, strcmp(what, "write") == 0 ? "write error: " : "",
            strerror(err));
    if (fd > STDIN_FILENO) close(fd);
    return 1;
  }
  if (fd != STDIN_FILENO) close(fd);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) return cat("-");
  for (int i = 1; i < argc; i++)
    if (cat(argv[i]) != 0) return 1;
  return 0;
}
