// The `amber` command's script (bin/amber.js imports its bundle; cli/main.ts does the work): what runs
// when node is not started from the command's snapshot (cli/snapshot.ts).
import { runCli } from './main.js';

await runCli(process.argv.slice(2));
