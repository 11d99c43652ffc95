/* hello: the smallest guest. Prints "hello, world", then each argument on its own line
 * ("argv[i] = ..."), then exits 0, or N with `--exit N` (the flag and its value are printed too).
 * Used to check stdout, args and exit codes end to end. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  int code = 0;
  printf("hello, world\n");
  for (int i = 1; i < argc; i++) {
    printf("argv[%d] = %s\n", i, argv[i]);
    if (strcmp(argv[i], "--exit") == 0 && i + 1 < argc) {
      char *end;
      long n = strtol(argv[i + 1], &end, 10);
      if (*argv[i + 1] == '\0' || *end != '\0' || n < 0 || n > 255) {
        fprintf(stderr, "hello: --exit wants a number 0..255, got \"%s\"\n", argv[i + 1]);
        return 2;
      }
      code = (int)n;
    }
  }
  fflush(stdout);
  return code;
}
