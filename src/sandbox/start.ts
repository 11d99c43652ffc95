// The sandbox process's script, as runsc's sandbox binary is started (sandbox/main.ts does the work):
// `node sandbox/start.js ROOT ID`, what client/launch.ts starts when no startup snapshot of the sandbox
// fits this node and its flags (sandbox/snapshot.ts).
import { runSandbox } from './main.js';

await runSandbox(process.argv.slice(2));
