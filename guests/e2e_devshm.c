/* e2e_devshm: seed 004 (containerd's /dev/shm in a user namespace). Checks the topmost /dev/shm mount is
 * read-only with nosuid,nodev,noexec, that creating a file there is EROFS, and Linux's locked-flag rule:
 * a remount clearing the nosuid the runtime set is EPERM, one keeping every flag succeeds and changes
 * nothing.   e2e_devshm [--done PATH] */
#include "e2e.h"

static mount_line mi[128];

/* The options of the last (topmost) /dev/shm line of mountinfo. */
static void top_shm(char *opts, size_t cap) {
  int n = mountinfo(mi, 128), top = -1;
  for (int i = 0; i < n; i++)
    if (!strcmp(mi[i].mp, "/dev/shm")) top = i;
  if (top < 0) fail("no /dev/shm in /proc/self/mountinfo");
  snprintf(opts, cap, "%s", mi[top].opts);
}

int main(int argc, char **argv) {
  g_prog = "devshm";
  if (argc == 3 && !strcmp(argv[1], "--done")) g_done = argv[2];
  else if (argc != 1) usage("e2e_devshm [--done PATH]");
  char opts[128], again[128];
  top_shm(opts, sizeof opts);
  printf("/dev/shm: %s\n", opts);
  const char *want[] = {"ro", "nosuid", "nodev", "noexec"};
  for (int i = 0; i < 4; i++)
    if (!has_opt(opts, want[i])) fail("/dev/shm should be ro,nosuid,nodev,noexec; its options are %s", opts);
  int fd = open("/dev/shm/probe", O_WRONLY | O_CREAT, 0644);
  if (fd >= 0 || errno != EROFS) fail("create /dev/shm/probe: expected EROFS, got %s", fd >= 0 ? "success" : strerror(errno));
  unsigned long long all = MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
  int r = amber_mount(NULL, "/dev/shm", NULL, all & ~MS_NOSUID, NULL);
  if (r != EPERM) fail("a remount clearing locked nosuid: expected EPERM, got %s", r ? strerror(r) : "success");
  r = amber_mount(NULL, "/dev/shm", NULL, all, NULL);
  if (r != 0) fail("a remount keeping every flag: expected success, got %s", strerror(r));
  top_shm(again, sizeof again);
  if (strcmp(opts, again)) fail("a remount keeping every flag changed the options from %s to %s", opts, again);
  pass("/dev/shm %s; create EROFS; clearing nosuid EPERM, keeping the flags succeeds", opts);
  return 0;
}
