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
//   sandbox.blob a V8 startup snapshot of the sandbox (sandbox/snapshot.ts), what client/launch.ts starts
//                a sandbox from when it fits (host/entryscript.ts): built from sandbox-snapshot.cjs, the
//                sandbox as one CommonJS script (node --build-snapshot runs no ES module), by this node
//                with the V8 flags a sandbox is started with; sandbox.blob.json says so
//   cli.blob     the same of the `amber` command (cli/snapshot.ts), built with no V8 flags, what bin/amber
//                starts node from when cli.blob.id names the node it finds (its path, inode and size) and
//                the bin folder it runs from; cli-do.blob the same holding only `amber do` (cli/dosnapshot.ts);
//                cli-ctl.blob the same holding only the verbs that talk to a running sandbox (cli/ctlsnapshot.ts);
//                cli-pod.blob the same as cli.blob built with the guests' stack flags, what a foreground pod
//                runs again from (cli/reexec.ts) when cli-pod.blob.json says it fits
// The bundle sits one folder under dist/, as dist/cli/ and dist/host/ do, so the paths built from
// import.meta.url (../../package.json) are the same in both.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

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
await build({ ...common, entryPoints: { main: dist('cli/start.js'), relay: dist('sandbox/relay.js'), transformworker: dist('host/transformworker.js') } });
await build({ ...common, entryPoints: { sandbox: dist('sandbox/start.js') }, chunkNames: 'sandbox-[name]-[hash]' });

// The snapshot's script. What it imports with import() once it runs cannot come from the snapshot (code
// in a snapshot has no loader for it): zstd's wasm build stays an import() of the package, made through
// a loader created when first used (__amberLateImport). Binaryen and the transform never load in a
// sandbox (they run on a worker thread, host/transformjob.ts): a static import of them would fail the
// snapshot's build (an ES module with a top-level await), an import() would load a second copy of
// Amber's modules whose errors are other classes.
// An import() of one of Node's modules becomes a require() (made when it runs).
const LATE = /^@bokuweb\/zstd-wasm$/;
const lateImports = {
  name: 'late-imports',
  setup(b) {
    b.onResolve({ filter: LATE }, (args) => (args.kind === 'dynamic-import' ? { path: `amber-late:${args.path}`, external: true } : undefined));
    b.onResolve({ filter: /^node:/ }, (args) => (args.kind === 'dynamic-import' ? { path: `amber-builtin:${args.path}`, external: true } : undefined));
  },
};
/**
 * The snapshot's import(), as a function's source for the script's banner: a script compiled with Node's
 * own loader for import(), made when first used (in the process started from the snapshot, not in the
 * one building it). Node warns once that this loader is experimental (it is what Node 22 makes stable):
 * that one warning is kept out of sandbox.log.
 */
function lateImporter() {
  let load;
  return (specifier) => {
    if (load !== undefined) return load(specifier);
    const vm = require('node:vm');
    load = new vm.Script('(s) => import(s)', { filename: __filename, importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER }).runInThisContext();
    const emit = process.emitWarning;
    process.emitWarning = (w, ...rest) => (String(w).includes('USE_MAIN_CONTEXT_DEFAULT_LOADER') ? undefined : emit.call(process, w, ...rest));
    try {
      return load(specifier);
    } finally {
      process.emitWarning = emit;
    }
  };
}
/** Bundles entry as the CommonJS script NAME-snapshot.cjs and builds NAME.blob from it under flags. */
async function snapshot(name, entry, flags, plugins = []) {
  const script = dist(`bundle/${name}-snapshot.cjs`);
  const out = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    write: false,
    outfile: script,
    define: { 'import.meta.url': '__amberImportMetaUrl' },
    banner: { js: `var __amberImportMetaUrl = require('node:url').pathToFileURL(__filename).href;\nvar __amberLateImport = (${lateImporter})();` },
    plugins: [lateImports, ...plugins],
    metafile: true,
    logLevel: 'warning',
  });
  const text = out.outputFiles[0].text
    .replace(/\bimport\("amber-late:([^"]+)"\)/g, (_m, spec) => `__amberLateImport(${JSON.stringify(spec)})`)
    .replace(/\bimport\("amber-builtin:([^"]+)"\)/g, (_m, spec) => `Promise.resolve().then(() => require(${JSON.stringify(spec)}))`);
  if (/amber-(late|builtin):|\bimport\("/.test(text)) throw new Error(`bundle: an import() in ${script} was left unrewritten: a snapshot's code cannot load one`);
  // V8 keeps a script's source in the heap (for lazy compiling), as one byte a character only while every
  // character is Latin-1: one '→' in a comment esbuild kept made the command's whole 1.5 MB source two
  // bytes a character, 3 MB of the 4 MB its snapshot's heap held (deserialized at every start). Anything
  // past Latin-1 is written as \uXXXX (the same character in a string, a regex or an identifier; only
  // comments hold such characters as esbuild writes them).
  writeFileSync(script, text.replace(/[^\x00-\xff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
  const blob = dist(`bundle/${name}.blob`);
  rmSync(blob, { force: true });
  const r = spawnSync(process.execPath, [...flags, '--snapshot-blob', blob, '--build-snapshot', script], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`bundle: node --build-snapshot ${script} exited ${r.status ?? r.signal}:\n${r.stderr}`);
  // What the snapshot's own code says while built (cli/warmup.ts); node's warnings about its modules are not shown.
  for (const line of r.stderr.split('\n')) if (line.startsWith('amber:')) console.warn(`bundle: ${name}.blob: ${line}`);
}

// Built with the flags a sandbox gets (client/launch.ts), by this node: the facts a launch compares.
const { guestStackFlags, stackLimitKb } = await import(pathToFileURL(dist('host/gueststack.js')).href);
const { snapshotFacts } = await import(pathToFileURL(dist('host/entryscript.js')).href);
const flags = guestStackFlags();
await snapshot('sandbox', dist('sandbox/snapshot.js'), flags);
writeFileSync(dist('bundle/sandbox.blob.json'), `${JSON.stringify(snapshotFacts(flags))}\n`);

// The command's, with no flags; for bin/amber (a shell script) one line: node's path, inode and size, and
// the real path of bin/, as bin/amber finds them (a package moved elsewhere has paths of its old place
// frozen into its snapshot).
await snapshot('cli', dist('cli/snapshot.js'), []);
// The same under the guests' stack flags, what a foreground pod's command runs again from (cli/reexec.ts):
// V8 takes a snapshot only under the flags it was built with.
if (flags.length > 0) {
  const blob = dist('bundle/cli-pod.blob');
  rmSync(blob, { force: true });
  const r = spawnSync(process.execPath, [...flags, '--snapshot-blob', blob, '--build-snapshot', dist('bundle/cli-snapshot.cjs')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`bundle: node --build-snapshot of cli-pod.blob exited ${r.status ?? r.signal}:\n${r.stderr}`);
  writeFileSync(dist('bundle/cli-pod.blob.json'), `${JSON.stringify(snapshotFacts(flags, 'cli-pod'))}\n`);
}
// `do`'s alone: cli/fullcommand.ts stands in for commander's cli/program.ts, which it would hold otherwise.
const withoutCommander = {
  name: 'without-commander',
  setup(b) {
    b.onResolve({ filter: /^\.\/program\.js$/ }, (args) => (args.kind === 'dynamic-import' ? { path: dist('cli/fullcommand.js') } : undefined));
  },
};
await snapshot('cli-do', dist('cli/dosnapshot.js'), [], [withoutCommander]);
// The verbs that only talk to a sandbox (cli/ctlsnapshot.ts): what only other verbs import() is left out,
// each such module replaced by one that fails loudly if ever loaded, and the build fails if the snapshot
// holds any of what it is made to leave out (the spec parser, the kernel, a transform).
const NOT_HELD = [
  'cli/do.js', 'cli/prepare.js', 'cli/inspect.js', 'cli/diff.js', 'client/attached.js', 'host/specfile.js', 'host/bundlefile.js',
  'host/transformjob.js', 'transform/transform.js', 'transform/lean/lean.js', 'sandbox/restoreplan.js', 'sandbox/restoremodules.js',
  'sandbox/restoreearly.js', 'sandbox/restorerun.js', 'sandbox/cut.js',
].map((m) => dist(m));
const NEVER_HELD = [/node_modules\/(yaml|zod)\//, /^dist\/(kernel|wasi|vfs|fsimpl\/tmpfs)\//, /^dist\/runtime\/spec\/(pod|oci)\.js$/];
const ctlOnly = {
  name: 'ctl-only',
  setup(b) {
    b.onResolve({ filter: /^\.\.?\// }, (args) => {
      if (args.kind !== 'dynamic-import') return undefined;
      const path = join(args.resolveDir, args.path);
      return NOT_HELD.includes(path) ? { path, namespace: 'not-held' } : undefined;
    });
    b.onLoad({ filter: /.*/, namespace: 'not-held' }, (args) => ({
      contents: `throw new Error(${JSON.stringify(`internal error: the command's snapshot for checkpoint, state, kill and the like (cli-ctl.blob) does not hold ${args.path}`)});`,
      loader: 'js',
    }));
    b.onEnd((result) => {
      const held = Object.keys(result.metafile?.inputs ?? {}).filter((input) => NEVER_HELD.some((re) => re.test(input)));
      if (held.length > 0) throw new Error(`bundle: cli-ctl's snapshot would hold ${held.join(', ')}: a module it loads imports them (add what imports them to NOT_HELD, or import them later)`);
    });
  },
};
await snapshot('cli-ctl', dist('cli/ctlsnapshot.js'), [], [ctlOnly]);
const node = statSync(process.execPath);
const builtFor = `${process.execPath} ${node.ino} ${node.size} ${realpathSync(join(root, 'bin'))}`;
writeFileSync(dist('bundle/cli.blob.id'), `${builtFor}\n`);
// bin/amber starts a plain foreground `pod run` from cli-pod.blob at once: for this node and bin folder,
// with the one stack flag it was built with, chosen for the stack limit `ulimit -s` must still say.
rmSync(dist('bundle/cli-pod.blob.id'), { force: true });
if (flags.length === 1) {
  const limit = stackLimitKb();
  writeFileSync(dist('bundle/cli-pod.blob.id'), `${builtFor}\n${flags[0]} ${limit === Infinity ? 'unlimited' : limit}\n`);
}
