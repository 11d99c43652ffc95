#!/usr/bin/env node
// Bundles the `amber` command (dist/cli/main.js, as tsc built it) into dist/bundle/ with esbuild, the last
// step of `npm run build`: Node 20 loads an ES module graph file by file (resolve, stat, read, compile,
// link: ~0.5 ms each), and `amber do` pulled in ~90 of them: ~60 ms of its start-up, where node:wasi
// pays none. Each verb's modules stay a chunk of their own, loaded when it runs (dynamic imports split).
// Only Amber's own modules are bundled: packages stay in node_modules, loaded as they ship (some find
// files beside themselves, as @bokuweb/zstd-wasm its .wasm). bin/amber.js runs the bundle.
// The bundle sits one folder under dist/, as dist/cli/ does, so the paths built from import.meta.url
// (../../package.json, ../sandbox/main.js: the sandbox and relay run from dist/ unbundled) are the same;
// a new one (a Worker's file) must hold in both places: a file a module starts by a path beside itself is
// an entry point below.
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
await build({
  // Files started by path from a bundled module are entries of their own, beside it under the name it
  // asks for: host/transformjob.ts's worker (new URL('./transformworker.js', import.meta.url)).
  entryPoints: { main: join(root, 'dist/cli/main.js'), transformworker: join(root, 'dist/host/transformworker.js') },
  outdir: join(root, 'dist/bundle'),
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
});
