// The `amber` command as a V8 startup snapshot of its own for the verbs that only talk to a pod's sandbox
// or read the state root (cli/ctlverbs.ts: checkpoint, state, kill, delete, ...), as cli/dosnapshot.ts is
// `do`'s: bin/amber starts it for a line whose verb is one of them. scripts/bundle.mjs builds it without
// the spec parser, the kernel and the restore path: 5.3 MB against 7.3 MB, ~10 ms less of each start.
import { startupSnapshot } from 'node:v8';
import { ctlLine } from './ctlverbs.js';
import { runCli } from './main.js';
import { reexec } from './reexec.js';
import { rehearse } from './warmup.js';
import './podverbs.js';
import './records.js';
import './runc.js';

void rehearse();
// Started from a snapshot, process.argv is [node, ...arguments]: no script path. Any other line (bin/amber
// sends none) runs as the whole command, bin/amber.js: what it would load is not here.
startupSnapshot.setDeserializeMainFunction(() => {
  const args = process.argv.slice(1);
  if (ctlLine(args)) return runCli(args);
  return reexec([]).then((code) => {
    process.exitCode = code;
  });
});
