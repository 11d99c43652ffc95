// runc's flag forms, which urfave/cli accepts and scripts and shims use: a long option with one dash
// (`-bundle DIR`, `-pid-file=F`) means the same as with two. Commander knows only the two-dash form, so
// the command line is rewritten before it is parsed; a program's own arguments (after "--", or after the
// .wasm module) are left alone.
const LONG = new Set([
  'root', 'log', 'log-format', 'log-level', 'debug', 'debug-log', 'systemd-cgroup', 'criu', 'rootless',
  'bundle', 'pid-file', 'console-socket', 'no-pivot', 'no-new-keyring', 'preserve-fds', 'detach', 'force',
  'all', 'format', 'process', 'image-path', 'work-path', 'parent-path', 'leave-running', 'tcp-established',
  'ext-unix-sk', 'shell-job', 'file-locks', 'empty-ns', 'manage-cgroups-mode', 'no-subreaper', 'stats',
  'interval', 'quiet', 'cwd', 'env', 'tty', 'user', 'name', 'json', 'keep', 'lazy-pages', 'auto-dedup',
  'pre-dump', 'status-fd', 'page-server', 'version',
]);

/** The program's own options that take a value (addGlobalOptions in cli/program.ts): what follows one is its value. */
export const GLOBAL_VALUED: ReadonlySet<string> = new Set(['--root', '--debug-log', '--log', '--log-format', '--log-level', '--criu']);

export function normalizeArgv(args: readonly string[]): string[] {
  const out: string[] = [];
  let passing = false;
  for (const a of args) {
    // "--" as a program option's value (`--root --`, commander takes it so) does not end the options.
    const value = GLOBAL_VALUED.has(out[out.length - 1] ?? '');
    if (!passing && !value && (a === '--' || a.endsWith('.wasm'))) passing = true;
    const m = passing ? null : /^-([a-z][a-z-]+)(=.*)?$/.exec(a);
    out.push(m !== null && LONG.has(m[1] ?? '') ? `-${a}` : a);
  }
  return out;
}
