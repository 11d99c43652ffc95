// The `amber do` command as a V8 startup snapshot of its own (bin/amber starts it for a command line that
// begins with `do`): cli/snapshot.ts's, holding only what `do` loads. A smaller heap starts sooner (4.6
// MB against 8 MB: ~10 ms less), and `do` is the start-up that competes with node:wasi's.
import { startupSnapshot } from 'node:v8';
import { runCli } from './main.js';
import './do.js';

// Started from a snapshot, process.argv is [node, ...arguments]: no script path.
startupSnapshot.setDeserializeMainFunction(() => runCli(process.argv.slice(1)));
