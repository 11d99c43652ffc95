#!/usr/bin/env node
// Bundles what Amber starts with esbuild into dist/bundle/, from the modules tsc built under dist/, the
// last step of `npm run build`: Node 20 loads an ES module graph file by file (resolve, stat, read,
// compile, link: ~0.5 ms each, more on a busy machine), and the `amber` command pulled in ~90 of them,
// a pod's sandbox ~130 and zod's ~100.
//   main.js      the `amber` command (bin/amber.js runs it), with relay.js and transformworker.js, the
//                process and the worker thread it starts
//   sandbox.js   a pod's sandbox, a build of its own (its chunks sandbox-*.js), so that it shares no
//                chunk with the command: a chunk shared holds what either needs (zod's full build for
//                the command's spec parsing, where the sandbox needs only zod's mini build)
// host/entryscript.ts finds the started ones here, else tsc's modules. What a dynamic import loads stays
// a chunk of its own, loaded when it runs (a verb's modules, Binaryen for a transform): a bundle
// without splitting would hoist every package's import to its top. Packages are bundled too, but for
// those that find files beside themselves (@bokuweb/zstd-wasm its .wasm) or are big and loaded only
// for a transform (Binaryen), which stay in node_modules.
// The bundle sits one folder under dist/, as dist/cli/ and dist/host/ do, so the paths built from
// import.meta.url (../../package.json) are the same in both.
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const dist = (path) => join(root, 'dist', path);
const common = {
  outdir: dist('bundle'),
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['binaryen', '@bokuweb/zstd-wasm'],
  // CommonJS packages (commander, yaml) call require() for Node's builtins.
  banner: { js: "import { createRequire as __amberRequire } from 'node:module'; const require = __amberRequire(import.meta.url);" },
  logLevel: 'warning',
};
await build({ ...common, entryPoints: { main: dist('cli/main.js'), relay: dist('sandbox/relay.js'), transformworker: dist('host/transformworker.js') } });
await build({ ...common, entryPoints: { sandbox: dist('sandbox/main.js') }, chunkNames: 'sandbox-[name]-[hash]' });
