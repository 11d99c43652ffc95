/* sleeper: blocks in syscalls, for the Asyncify suspend/resume and save/restore tests:
 *   sleeper count N   prints 1..N, sleeping 1 ms (poll_oneoff) after each; then "done"
 *   sleeper echo      reads stdin until EOF, printing "read N: <bytes>" for each read; then "eof" */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc >= 3 && strcmp(argv[1], "count") == 0) {
    long n = strtol(argv[2], NULL, 10);
    for (long i = 1; i <= n; i++) {
      printf("%ld\n", i);
      fflush(stdout);
      struct timespec ts = {0, 1000000};
      nanosleep(&ts, NULL);
    }
    printf("done\n");
    return 0;
  }
  if (argc >= 2 && strcmp(argv[1], "echo") == 0) {
    char buf[256];
    for (;;) {
      ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
      if (n < 0) {
        perror("read");
        return 1;
      }
      if (n == 0) break;
      printf("read %zd: %.*s\n", n, (int)n, buf);
      fflush(stdout);
    }
    printf("eof\n");
    return 0;
  }
  fprintf(stderr, "usage: sleeper count N | sleeper echo\n");
  return 2;
}
