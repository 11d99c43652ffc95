// Where a process or worker thread Amber starts finds its script, as a runtime finds its shim binary:
// the bundle's copy (dist/bundle/NAME.js, made by scripts/bundle.mjs: one file to load, not a graph of
// ~130 modules) when the build made one, else tsc's module under dist/. The same from dist/host/, from a
// chunk of the bundle (both one folder under dist/) and from source (src/host/, tests through tsx).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The scripts Amber starts, and each one's module as tsc builds it (relative to dist/). */
const UNBUNDLED = {
  sandbox: 'sandbox/main.js',
  relay: 'sandbox/relay.js',
  transformworker: 'host/transformworker.js',
} as const;

export type EntryScript = keyof typeof UNBUNDLED;

/** The path of the script to start for name. */
export function entryScript(name: EntryScript): string {
  const here = import.meta.url;
  const dist = here.endsWith('.ts') ? new URL('../../dist/', here) : new URL('../', here);
  const bundled = new URL(`bundle/${name}.js`, dist);
  return fileURLToPath(existsSync(bundled) ? bundled : new URL(UNBUNDLED[name], dist));
}
