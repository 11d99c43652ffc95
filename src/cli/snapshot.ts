// The `amber` command as a V8 startup snapshot, as sandbox/snapshot.ts is the sandbox's: scripts/
// bundle.mjs builds it (node --build-snapshot, no V8 flags) and bin/amber starts node from it when it was
// built for that node. What the common verbs load is loaded and initialised here, so the command starts
// with its modules in the heap: nothing to read, compile or run first. Only module initialisation runs
// here: what a module computes at load is frozen into the snapshot.
import { startupSnapshot } from 'node:v8';
import { runCli } from './main.js';
import { rehearse } from './warmup.js';
import './program.js';
import './do.js';
import './podverbs.js';
// What `restore` reads an image with before its sandbox is told the pod (client/pod.ts), initialised here
// too: imported when the command runs, they cost ~30 ms of a restore's start.
import '../sandbox/restoreplan.js';
import '../sandbox/restoremodules.js';

void rehearse();
// Started from a snapshot, process.argv is [node, ...arguments]: no script path.
startupSnapshot.setDeserializeMainFunction(() => runCli(process.argv.slice(1)));
