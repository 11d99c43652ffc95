/* ticker: counts from 1 to N, one line every M milliseconds, keeping its count only in memory (a
 * checkpoint must carry it over). Also appends each count to FILE when given, so a restored pod can be
 * checked against its files.   ticker [--to N] [--every-ms M] [--file FILE] */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
  long to = 10, every = 200;
  const char *file = NULL;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--to")) to = atol(argv[i + 1]);
    else if (!strcmp(argv[i], "--every-ms")) every = atol(argv[i + 1]);
    else if (!strcmp(argv[i], "--file")) file = argv[i + 1];
  }
  int fd = file ? open(file, O_WRONLY | O_CREAT | O_APPEND, 0644) : -1;
  if (file && fd < 0) {
    perror(file);
    return 1;
  }
  for (long n = 1; n <= to; n++) {
    printf("tick %ld\n", n);
    fflush(stdout);
    if (fd >= 0) dprintf(fd, "%ld\n", n);
    struct timespec ts = {every / 1000, (every % 1000) * 1000000L};
    nanosleep(&ts, NULL);
  }
  if (fd >= 0) close(fd);
  return 0;
}
