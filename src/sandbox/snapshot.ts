// The sandbox as a V8 startup snapshot, as a runtime ships a pre-initialised image of itself: scripts/
// bundle.mjs runs this module (bundled as one CommonJS script) under `node --build-snapshot`, so the heap
// it leaves, every module of the sandbox loaded and initialised (a restore's too), is what
// `node --snapshot-blob` starts from: no module to read, compile or run. Only module initialisation runs
// here, none of the sandbox's work: what a module computes at load is frozen into the snapshot, so
// nothing at module level may read the host (environment, clock, files).
import { startupSnapshot } from 'node:v8';
import { runSandbox } from './main.js';
// What a restore imports when it starts (sandbox/main.ts), initialised in the snapshot too.
import './restoreplan.js';
import './restorerun.js';
import './restoreearly.js';

// Started from a snapshot, process.argv is [node, ...arguments]: no script path.
startupSnapshot.setDeserializeMainFunction(() => runSandbox(process.argv.slice(1)));
