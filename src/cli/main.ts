// The `amber` command (DESIGN.md §1), like runsc's cmd package: parses the command line, runs the verb,
// and maps failures to the exit-code contract: the program's own code for `do`, 1 for a user error (one
// line on stderr), 2 for bad usage.
import { setFlagsFromString } from 'node:v8';
import { Command, CommanderError, Option } from 'commander';
import { runDo } from './do.js';
import { UserError } from './errors.js';

// Guests run at V8's optimizing tier from the start: a long loop in _start is never tiered up from
// Liftoff (no on-stack replacement for wasm), DESIGN.md §3. Must precede the first compile.
setFlagsFromString('--no-liftoff');

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** The global options, accepted before the verb (runsc style) and after it. */
function addGlobalOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--root <dir>', 'state root (default: per user; also AMBER_ROOT)'))
    .addOption(new Option('--debug-log <file>', 'write a debug log to this file'))
    .addOption(new Option('--log-level <level>', 'debug, info, warn or error').default('info'));
}

function buildProgram(): Command {
  const program = addGlobalOptions(new Command('amber'))
    .description('Run WebAssembly (WASI preview 1) programs as containers in pods; checkpoint and restore them.')
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  addGlobalOptions(program.command('do'))
    .description('run one program on a fresh kernel, wasmtime-style')
    .option('--dir <HOST[:GUEST]>', 'mount a host directory (at GUEST, default the same path)', collect, [])
    .option('--env <K=V>', 'set an environment variable', collect, [])
    .argument('<module>', 'the .wasm program')
    .argument('[args...]', 'its arguments')
    .passThroughOptions()
    .exitOverride()
    .action((module: string, args: string[], opts: { dir: string[]; env: string[] }) => {
      process.exitCode = runDo(module, args, opts);
    });
  return program;
}

function main(argv: string[]): void {
  const program = buildProgram();
  try {
    program.parse(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.exitCode === 0) return;
      process.exitCode = 2;
      return;
    }
    if (e instanceof UserError) {
      process.stderr.write(`amber: ${e.message}\n`);
      process.exitCode = e.exitCode;
      return;
    }
    throw e;
  }
}

main(process.argv);
