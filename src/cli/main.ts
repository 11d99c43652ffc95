// The `amber` command (DESIGN.md §1), like runsc's cmd package: parses the command line, runs the verb,
// and maps failures to the exit-code contract: the program's own code for `do`, 1 for a user error (one
// line on stderr), 2 for bad usage.
import { setFlagsFromString } from 'node:v8';
import { Command, CommanderError, Option } from 'commander';
import { appendFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { AmberError } from '../base/error.js';
import { defaultRoot } from '../host/stateroot.js';
import { UsageError } from './errors.js';

// Each verb's module is loaded when that verb runs, so `amber do` and `amber list` do not pay for
// zod, yaml and Binaryen.
const doVerbs = () => import('./do.js');
const records = () => import('./records.js');
const podVerbs = () => import('./podverbs.js');
const specs = () => import('../host/specfile.js');

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

/**
 * --debug-log FILE: one line per command, appended (runsc's --debug-log). Only ever a host file of this
 * invocation: nothing a checkpoint saves refers to it, so a restore with or without it is the same.
 */
function debugLog(actionCmd: Command): void {
  const opts = { ...actionCmd.parent?.parent?.opts(), ...actionCmd.parent?.opts(), ...actionCmd.opts() } as { debugLog?: string; logLevel?: string };
  if (opts.debugLog === undefined) return;
  try {
    appendFileSync(opts.debugLog, `${new Date().toISOString()} amber[${process.pid}] ${opts.logLevel ?? 'info'}: ${process.argv.slice(2).join(' ')}\n`);
  } catch (e) {
    throw new AmberError(`--debug-log ${opts.debugLog}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function buildProgram(): Command {
  const program = addGlobalOptions(new Command('amber'))
    .description('Run WebAssembly (WASI preview 1) programs as containers in pods; checkpoint and restore them.')
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .hook('preAction', (_root, actionCmd) => debugLog(actionCmd));

  addGlobalOptions(program.command('do'))
    .description('run one program on a fresh kernel, wasmtime-style')
    .option('--dir <HOST[:GUEST]>', 'mount a host directory (at GUEST, default the same path)', collect, [])
    .option('--env <K=V>', 'set an environment variable', collect, [])
    .argument('<module>', 'the .wasm program')
    .argument('[args...]', 'its arguments')
    .passThroughOptions()
    .exitOverride()
    .action(async (module: string, args: string[], opts: { dir: string[]; env: string[] }) => {
      process.exitCode = (await doVerbs()).doVerb(module, args, opts);
    });
  const pod = program.command('pod').description('pods from Kubernetes Pod manifests');
  addGlobalOptions(pod.command('run'))
    .description('run a pod from a Kubernetes Pod manifest')
    .argument('<manifest>', 'pod.yaml')
    .option('--detach', 'run in a sandbox process of its own and print the pod ID')
    .option('--name <id>', 'the pod ID (default: metadata.name)')
    .exitOverride()
    .action(async (manifest: string, opts: { detach?: boolean; name?: string }, cmd: Command) => {
      const spec = (await specs()).loadPodManifest(manifest);
      const name = opts.name !== undefined ? { name: opts.name } : {};
      process.exitCode = await (await podVerbs()).runSpec(spec, { root: rootDir(cmd), detach: opts.detach === true, ...name, source: resolve(manifest) });
    });
  pod.exitOverride();

  addGlobalOptions(program.command('run'))
    .description('run an OCI runtime bundle (config.json), runc-style')
    .requiredOption('--bundle <dir>', 'the bundle directory')
    .option('--detach', 'run in a sandbox process of its own')
    .argument('<id>', 'the container ID')
    .exitOverride()
    .action(async (id: string, opts: { bundle: string; detach?: boolean }, cmd: Command) => {
      const spec = (await specs()).loadBundle(opts.bundle, id);
      // runc prints nothing for a detached run: the caller named the container.
      process.exitCode = await (await podVerbs()).runSpec(spec, { root: rootDir(cmd), detach: opts.detach === true, name: id, source: resolve(opts.bundle), quiet: true });
    });

  addGlobalOptions(program.command('list'))
    .description('list pods')
    .option('--json', 'as JSON')
    .exitOverride()
    .action(async (opts: { json?: boolean }, cmd: Command) => (await records()).listVerb(rootDir(cmd), opts.json === true));
  addGlobalOptions(program.command('state'))
    .description("a pod's OCI state as JSON")
    .argument('<id>')
    .exitOverride()
    .action(async (id: string, _o: unknown, cmd: Command) => (await records()).stateVerb(rootDir(cmd), id));
  addGlobalOptions(program.command('logs'))
    .description("a pod's output, or one container's")
    .argument('<id>')
    .argument('[container]')
    .option('--follow', 'keep printing until the pod stops')
    .exitOverride()
    .action(async (id: string, ctr: string | undefined, opts: { follow?: boolean }, cmd: Command) => (await records()).logsVerb(rootDir(cmd), id, ctr, opts.follow === true));
  addGlobalOptions(program.command('kill'))
    .description('end every container of a pod with a signal (default TERM)')
    .argument('<id>')
    .argument('[signal]')
    .exitOverride()
    .action(async (id: string, sig: string | undefined, _o: unknown, cmd: Command) => {
      await (await records()).killVerb(rootDir(cmd), id, sig);
    });
  addGlobalOptions(program.command('delete'))
    .description('remove a stopped pod (with --force, stop it first)')
    .argument('<id>')
    .option('--force', 'stop it if it runs')
    .exitOverride()
    .action(async (id: string, opts: { force?: boolean }, cmd: Command) => (await records()).deleteVerb(rootDir(cmd), id, opts.force === true));
  addGlobalOptions(program.command('exec'))
    .description('run one more program in a running container')
    .argument('<id>')
    .argument('<container>')
    .argument('<module>', 'the .wasm program (a host path)')
    .argument('[args...]')
    .passThroughOptions()
    .exitOverride()
    .action(async (id: string, ctr: string, module: string, args: string[], _o: unknown, cmd: Command) => {
      // Options pass through after the operands, so the "--" of `exec ID CTR -- prog.wasm` arrives here.
      const [prog, ...rest] = module === '--' ? args : [module, ...args];
      if (prog === undefined) throw new UsageError('exec: expected a .wasm program after the container');
      process.exitCode = await (await records()).execVerb(rootDir(cmd), id, ctr, prog, rest);
    });
  addGlobalOptions(program.command('checkpoint'))
    .description('save a running pod to an image (one consistent cut of every container)')
    .argument('<id>')
    .requiredOption('--image-path <dir>', 'where to write the image (an OCI image layout)')
    .option('--leave-running', 'keep the pod running after the checkpoint')
    .option('--parent-path <dir>', 'an earlier image whose unchanged blobs are reused')
    .exitOverride()
    .action(async (id: string, opts: { imagePath: string; leaveRunning?: boolean; parentPath?: string }, cmd: Command) => {
      await (await podVerbs()).checkpointVerb(rootDir(cmd), id, opts);
    });
  addGlobalOptions(program.command('restore'))
    .description('bring a checkpointed pod back, here or in another --root')
    .requiredOption('--image-path <dir>', 'the image')
    .option('--spec <pod.yaml>', 'restore into this manifest (containers and volumes matched by name)')
    .option('--detach', 'run in a sandbox process of its own')
    .option('--name <id>', "the restored pod's ID (default: the image's)")
    .option('--volume <NAME=HOSTDIR>', 'bind a hostPath volume to another host directory', collect, [])
    .exitOverride()
    .action(async (opts: { imagePath: string; spec?: string; detach?: boolean; name?: string; volume: string[] }, cmd: Command) => {
      process.exitCode = await (await podVerbs()).restoreVerb(rootDir(cmd), opts);
    });
  addGlobalOptions(program.command('inspect'))
    .description('show what a checkpoint image holds, checkpointctl-style (read-only)')
    .argument('<dir>', 'the image directory')
    .option('--mounts', "each container's mount tree")
    .option('--files', "each process's open files")
    .option('--ps-tree', 'the process tree')
    .option('--json', 'as one JSON document')
    .exitOverride()
    .action(async (dir: string, opts: { mounts?: boolean; files?: boolean; psTree?: boolean; json?: boolean }) => {
      const { inspectCommand } = await import('./inspect.js');
      inspectCommand(dir, opts);
    });
  return program;
}

/** The state root: --root after the verb, else before it, else AMBER_ROOT or the per-user default. */
function rootDir(cmd: Command): string {
  const own = cmd.opts<{ root?: string }>().root;
  const global = cmd.parent?.opts<{ root?: string }>().root ?? cmd.parent?.parent?.opts<{ root?: string }>().root;
  return resolve(own ?? global ?? defaultRoot());
}

async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.exitCode === 0) return;
      process.exitCode = 2;
      return;
    }
    if (e instanceof AmberError) {
      process.stderr.write(`amber: ${e.line}\n`);
      process.exitCode = e instanceof UsageError ? 2 : 1;
      return;
    }
    throw e;
  }
}

await main(process.argv);
