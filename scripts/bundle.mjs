#!/usr/bin/env node
// Bundles the `amber` command (dist/cli/main.js, as tsc built it) into dist/bundle/ with esbuild, the last
// step of `npm run build`: Node 20 loads an ES module graph file by file (resolve, stat, read, compile,
// link: ~0.5 ms each), and `amber do` pulled in ~90 of them: ~60 ms of its start-up, where node:wasi
// pays none. Each verb's modules stay a chunk of their own, loaded when it runs (dynamic imports split);
// Binaryen stays outside (loaded only on a transform-cache miss). bin/amber.js runs the bundle.
// The bundle sits one folder under dist/, as dist/cli/ does, so the paths built from import.meta.url
// (../../package.json, ../sandbox/main.js: the sandbox and relay run from dist/ unbundled) are the same;
// a new one (a Worker's file) must hold in both places.
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
await build({
  entryPoints: [join(root, 'dist/cli/main.js')],
  outdir: join(root, 'dist/bundle'),
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['binaryen'],
  // commander is CommonJS: its require() of node:* built-ins needs a require in an ES module.
  banner: { js: "import { createRequire as __amberRequire } from 'node:module'; const require = __amberRequire(import.meta.url);" },
  logLevel: 'warning',
});
