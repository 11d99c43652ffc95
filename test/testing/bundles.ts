// OCI bundles for the tests of runc's verbs: `amber spec`'s default config.json (runc's: a read-only root
// "rootfs", no /dev or /proc in it) with a guest copied into the root and its args pointed at it, and an
// edit of a bundle's config.json in place (annotations, mounts).
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { guest } from './amber.js';
import type { Workspace } from './workspace.js';

/** The parts of a config.json the tests change. */
export interface BundleConfig {
  process: { args: string[] };
  root: { path: string; readonly: boolean };
  mounts: Array<{ destination: string; type?: string; source?: string; options?: string[] }>;
  annotations?: Record<string, string>;
}

/** A bundle made by `amber spec` in the workspace folder name, running the guest with args. */
export async function specBundle(w: Workspace, name: string, guestName: string, args: string[]): Promise<string> {
  const bundle = w.path(name);
  mkdirSync(join(bundle, 'rootfs'), { recursive: true });
  copyFileSync(guest(guestName), join(bundle, 'rootfs', `${guestName}.wasm`));
  await w.ok(['spec', '--bundle', bundle]);
  const config = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as BundleConfig;
  assert.equal(config.root.readonly, true, "runc's default root is read-only");
  config.process.args = [`/${guestName}.wasm`, ...args];
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(config));
  return bundle;
}

/** Rewrites the bundle's config.json through f. */
export function editBundle(bundle: string, f: (c: BundleConfig) => void): void {
  const c = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as BundleConfig;
  f(c);
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(c));
}
