// The environment a node of Amber's starts under, like a shell's `env -u` before exec: Node 20 reads the
// file NODE_EXTRA_CA_CERTS names and builds its whole root certificate store while it starts, before any
// script runs (~38 ms of every start here, where it names the system's 220 KB bundle), and Amber's
// processes make no TLS connection. bin/amber starts the command's node with it moved to ASIDE, and the
// command starts its sandboxes, relays and re-execution so too (startEnv); a process that starts others
// puts it back first thing (restoreStartEnv), so that whatever it starts inherits it unchanged.

/** Where bin/amber moves NODE_EXTRA_CA_CERTS while node starts. */
export const ASIDE = 'AMBER_NODE_EXTRA_CA_CERTS';
const CERTS = 'NODE_EXTRA_CA_CERTS';

/** Puts NODE_EXTRA_CA_CERTS back where it was moved aside (a variable given empty stays empty). */
export function restoreStartEnv(env: NodeJS.ProcessEnv = process.env): void {
  const certs = env[ASIDE];
  if (certs === undefined) return;
  delete env[ASIDE];
  env[CERTS] = certs;
}

/** env for a node of Amber's to start under: a copy, with NODE_EXTRA_CA_CERTS moved aside. */
export function startEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { [CERTS]: certs, ...rest } = env;
  return certs === undefined ? { ...env } : { ...rest, [ASIDE]: certs };
}
