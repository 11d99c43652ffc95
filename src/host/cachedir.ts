// The user's cache folder for Amber, as the XDG Base Directory spec places one: $XDG_CACHE_HOME, else
// ~/.cache (the temporary folder when there is no home), then amber/<what>: transformed modules, verified
// blob records. Everything there can be lost: it only saves work.
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

/** <cache>/amber/<what> for the environment env (this process's unless given). */
export function amberCacheDir(what: string, env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env['XDG_CACHE_HOME'];
  const base = xdg !== undefined && xdg !== '' ? xdg : homedir() !== '' ? join(homedir(), '.cache') : tmpdir();
  return join(base, 'amber', what);
}
