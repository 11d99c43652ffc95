// The sandbox as a V8 startup snapshot, as a runtime ships a pre-initialised image of itself: scripts/
// bundle.mjs runs this module (bundled as one CommonJS script) under `node --build-snapshot`, so the heap
// it leaves, every module of the sandbox loaded and initialised (a restore's too), is what
// `node --snapshot-blob` starts from: no module to read, compile or run. Only module initialisation runs
// here, none of the sandbox's work: what a module computes at load is frozen into the snapshot, so
// nothing at module level may read the host (environment, clock, files).
import { startupSnapshot } from 'node:v8';
import { decodePrograms, PROGRAMS_VERSION } from '../runtime/programs.js';
import { runSandbox } from './main.js';
// What a restore imports when it starts (sandbox/main.ts), initialised in the snapshot too.
import './restoreplan.js';
import './restorerun.js';
import './restoreearly.js';

// Started from a snapshot, process.argv is [node, ...arguments]: no script path.
startupSnapshot.setDeserializeMainFunction(() => runSandbox(process.argv.slice(1)));

// What a restore runs first and would otherwise compile then: the programs payload's decoder (zod builds
// its parsers on first use; 2-5 ms of a restoring sandbox's time before the memory read begins, 0.7-1 ms
// once warmed here), run on a document of every kind of program. Its bytecode is kept in the snapshot.
decodePrograms(new TextEncoder().encode(JSON.stringify({
  version: PROGRAMS_VERSION,
  monotonicNs: '1',
  programs: [
    {
      container: 'a', moduleHash: '0'.repeat(64), state: 'suspended', globals: { g: 1, h: { n: '2' } },
      pending: { module: 'm', name: 'n', args: [1, { n: '3' }], cause: 'blocked', result: null },
      wait: { untilNs: '1', polling: false, bases: [[0, '1']] }, memory: 'memory/a', stack: 'stack/a',
    },
    { container: 'b', moduleHash: '0'.repeat(64), state: 'ready' },
    { container: 'c', moduleHash: '0'.repeat(64), state: 'exited', exit: { kind: 'exit', code: 0 } },
    { container: 'd', moduleHash: '0'.repeat(64), state: 'exited', exit: { kind: 'trap', message: 'm' } },
  ],
})), 'the sandbox snapshot');
