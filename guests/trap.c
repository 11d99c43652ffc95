/* trap: prints one line, then executes `unreachable`, so the runtime must report a trap (one line on
 * stderr, exit code 134) after the output that came before it. */
#include <stdio.h>

int main(void) {
  printf("before the trap\n");
  fflush(stdout);
  __builtin_trap();
}
