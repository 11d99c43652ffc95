// The `amber` command's full command line (DESIGN.md §1), like runsc's cmd package: every verb and option
// parsed by commander, the verb run, and bad usage mapped to exit 2 (cli/main.ts maps the rest of the
// exit-code contract). cli/main.ts loads this for every command line but the plain forms of `amber do`.
import { Command, CommanderError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { defaultRoot } from '../host/stateroot.js';
import { GLOBAL_VALUED, normalizeArgv } from './argv.js';
import { UsageError } from './errors.js';
import type { StartedSandbox } from '../client/launch.js';
import type { OnProgress } from '../client/progress.js';
import { openLog, type CommandLog } from './log.js';
import { runWithGuestStack } from './reexec.js';

// Each verb's module is loaded when that verb runs, so `amber do` and `amber list` do not pay for
// zod, yaml and Binaryen.
const doVerbs = () => import('./do.js');
const records = () => import('./records.js');
const podVerbs = () => import('./podverbs.js');
const specs = () => import('../host/specfile.js');
const trackSpecs = () => import('../runtime/spec/trackwrites.js');
const runc = () => import('./runc.js');

const AMBER_VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/**
 * The global options, accepted before the verb (runsc style) and after it; runc's (--log, --log-format,
 * --debug, --systemd-cgroup, --criu, --rootless) too, as containerd's runc shim passes them.
 */
function addGlobalOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--root <dir>', 'state root (default: per user; also AMBER_ROOT)'))
    .addOption(new Option('--debug-log <file>', 'write a log of this command to this file'))
    .addOption(new Option('--log <file>', "runc's name for --debug-log"))
    .addOption(new Option('--log-format <format>', 'text or json (JSON lines, as containerd reads back)'))
    .addOption(new Option('--log-level <level>', 'what reaches the log: debug, info (default), warn or error'))
    .addOption(new Option('--debug', 'the same as --log-level debug'))
    .addOption(new Option('--systemd-cgroup', 'accepted for runc compatibility: Amber uses no cgroups').hideHelp())
    .addOption(new Option('--criu <path>', 'accepted for runc compatibility: Amber checkpoints without CRIU').hideHelp())
    .addOption(new Option('--rootless [value]', 'accepted for runc compatibility').hideHelp());
}

interface GlobalOpts {
  root?: string;
  debugLog?: string;
  log?: string;
  logFormat?: string;
  logLevel?: string;
  debug?: boolean;
}

/** The global options as given anywhere on the line (after the verb wins). */
function globalsOf(actionCmd: Command): GlobalOpts {
  return { ...actionCmd.parent?.parent?.opts(), ...actionCmd.parent?.opts(), ...actionCmd.opts() } as GlobalOpts;
}

/**
 * The command's log (--log or --debug-log): the command line at info, every error at error. Only ever
 * a host file of this invocation: nothing a checkpoint saves refers to it, so a restore with or without
 * it is the same.
 */
function commandLog(actionCmd: Command): CommandLog {
  const o = globalsOf(actionCmd);
  const file = o.log ?? o.debugLog;
  return openLog({ ...(file !== undefined ? { file } : {}), ...(o.logFormat !== undefined ? { format: o.logFormat } : {}), ...(o.logLevel !== undefined ? { level: o.logLevel } : {}), ...(o.debug !== undefined ? { debug: o.debug } : {}) });
}

/** Each phase a client call reports, with the milliseconds since the command began, as a debug line of the log. */
function phaseLog(log: CommandLog | null, what: string): OnProgress {
  return (e) => {
    if ('phase' in e) log?.write('debug', `${what}: ${e.phase} at ${performance.now().toFixed(0)} ms`);
  };
}

/** What a command leaves for main: its log, and whether guests ran in this very process. */
export interface Session {
  /** The command line, after node and the script. */
  args: readonly string[];
  log: CommandLog | null;
  /**
   * Set by a verb that ran guests here (`do`, a foreground pod or restore): such a process exits as soon
   * as the verb returns. Node's natural exit first waits for the tasks on V8's worker threads, and those
   * hold the TurboFan tier-up of the guest's hot functions, queued while it ran: tens of seconds of
   * compiling for a big transformed module (yosys) after its last output, for code nothing will run.
   */
  ranGuests: boolean;
  /** A sandbox bin/amber started beside this command for a detached restore; main ends it unless a verb took it. */
  sandbox: StartedSandbox | null;
}

/**
 * The program, with every verb, or with verb's alone (commander then does for it all it would do with
 * all of them, but for the verbs it never looks at): null or a name no verb has builds every one.
 */
export function buildProgram(session: Session, verb: string | null = null): Command {
  const wants = (name: string): boolean => verb === null || verb === name;
  const program = addGlobalOptions(new Command('amber'))
    .description('Run WebAssembly (WASI preview 1) programs as containers in pods; checkpoint and restore them.')
    .version(`amber version ${AMBER_VERSION}\nspec: 1.0.2`, '-v, --version', 'print the version')
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .hook('preAction', (_root, actionCmd) => {
      session.log = commandLog(actionCmd);
      session.log.write('info', session.args.join(' '));
      // Started from one of the command's snapshots (cli/snapshot.ts, cli/ctlsnapshot.ts; bin/amber) or as node bin/amber.js.
      const blob = process.execArgv.indexOf('--snapshot-blob');
      if (blob >= 0) session.log.write('debug', `started from the snapshot of the command (${basename(process.execArgv[blob + 1] ?? '')})`);
    });

  if (wants('do')) addGlobalOptions(program.command('do'))
    .description('run one program on a fresh kernel, wasmtime-style')
    .option('--dir <HOST[:GUEST]>', 'mount a host directory (at GUEST, default the same path)', collect, [])
    .option('--env <K=V>', 'set an environment variable', collect, [])
    .argument('<module>', 'the .wasm program')
    .argument('[args...]', 'its arguments')
    .passThroughOptions()
    .exitOverride()
    .action(async (module: string, args: string[], opts: { dir: string[]; env: string[] }) => {
      session.ranGuests = true;
      process.exitCode = (await doVerbs()).doVerb(module, args, opts);
    });
  if (wants('pod')) {
    const pod = program.command('pod').description('pods from Kubernetes Pod manifests');
    addGlobalOptions(pod.command('run'))
      .description('run a pod from a Kubernetes Pod manifest')
      .argument('<manifest>', 'pod.yaml')
      .option('--detach', 'run in a sandbox process of its own and print the pod ID')
      .option('--name <id>', 'the pod ID (default: metadata.name)')
      .option('--track-writes', 'transform its modules to record the pages they write, for faster incremental checkpoints (annotation org.amber.track-writes)')
      .exitOverride()
      .action(async (manifest: string, opts: { detach?: boolean; name?: string; trackWrites?: boolean }, cmd: Command) => {
        const again = await runWithGuestStack(opts.detach);
        if (again !== null) return void (process.exitCode = again);
        const loaded = (await specs()).loadPodManifest(manifest);
        const spec = opts.trackWrites === true ? (await trackSpecs()).withTrackWrites(loaded) : loaded;
        const name = opts.name !== undefined ? { name: opts.name } : {};
        session.ranGuests = opts.detach !== true;
        process.exitCode = await (await podVerbs()).runSpec(spec, { root: rootDir(cmd), detach: opts.detach === true, ...name, source: resolve(manifest) });
      });
    pod.exitOverride();
  }

  if (wants('run')) addGlobalOptions(program.command('run'))
    .description('run an OCI runtime bundle (config.json), runc-style')
    .option('-b, --bundle <dir>', 'the bundle directory', '.')
    .option('-d, --detach', 'run in a sandbox process of its own')
    .argument('<id>', 'the container ID')
    .exitOverride()
    .action(async (id: string, opts: { bundle: string; detach?: boolean }, cmd: Command) => {
      const again = await runWithGuestStack(opts.detach);
      if (again !== null) return void (process.exitCode = again);
      const spec = (await specs()).loadBundle(opts.bundle, id);
      session.ranGuests = opts.detach !== true;
      // runc prints nothing for a detached run: the caller named the container.
      process.exitCode = await (await podVerbs()).runSpec(spec, { root: rootDir(cmd), detach: opts.detach === true, name: id, source: resolve(opts.bundle), quiet: true });
    });

  if (wants('list')) addGlobalOptions(program.command('list'))
    .description('list pods (--format json: the containers made by runc\'s verbs, as runc lists them)')
    .option('--json', 'as JSON')
    .option('-f, --format <format>', 'table or json')
    .option('-q, --quiet', 'ids only')
    .exitOverride()
    .action(async (opts: { json?: boolean; format?: string; quiet?: boolean }, cmd: Command) => {
      if (opts.format === 'json' || opts.quiet === true) return (await runc()).listContainersVerb(rootDir(cmd), opts.quiet === true);
      (await records()).listVerb(rootDir(cmd), opts.json === true);
    });
  if (wants('state')) addGlobalOptions(program.command('state'))
    .description("a pod's (or a container's) OCI state as JSON")
    .argument('<id>')
    .exitOverride()
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const r = await runc();
      if (r.isContainer(id, { root: rootDir(cmd) })) return r.containerStateVerb(rootDir(cmd), id);
      (await records()).stateVerb(rootDir(cmd), id);
    });
  if (wants('logs')) addGlobalOptions(program.command('logs'))
    .description("a pod's output, or one container's")
    .argument('<id>')
    .argument('[container]')
    .option('--follow', 'keep printing until the pod stops')
    .exitOverride()
    .action(async (id: string, ctr: string | undefined, opts: { follow?: boolean }, cmd: Command) => (await records()).logsVerb(rootDir(cmd), id, ctr, opts.follow === true));
  if (wants('kill')) addGlobalOptions(program.command('kill'))
    .description('end every container of a pod (or one container) with a signal (default TERM)')
    .argument('<id>')
    .argument('[signal]')
    .option('-a, --all', "runc's: signal every process of the container")
    .exitOverride()
    .action(async (id: string, sig: string | undefined, opts: { all?: boolean }, cmd: Command) => {
      const r = await runc();
      if (r.isContainer(id, { root: rootDir(cmd) })) return r.containerKillVerb(rootDir(cmd), id, sig, opts.all === true);
      await (await records()).killVerb(rootDir(cmd), id, sig);
    });
  if (wants('delete')) addGlobalOptions(program.command('delete'))
    .description('remove stopped pods or containers (with --force, stop them first)')
    .argument('<id...>')
    .option('-f, --force', 'stop it if it runs')
    .exitOverride()
    .action(async (ids: string[], opts: { force?: boolean }, cmd: Command) => (await runc()).deleteVerb(rootDir(cmd), ids, opts.force === true));
  if (wants('exec')) addGlobalOptions(program.command('exec'))
    .description('run one more program in a running container: exec POD CTR -- prog.wasm, or runc\'s exec [--process FILE] CONTAINER [prog.wasm args]')
    .argument('<id>')
    .argument('[container]')
    .argument('[module]', 'the .wasm program (a host path)')
    .argument('[args...]')
    .option('-p, --process <file>', "runc's: a runtime-spec process (JSON) to run")
    .option('-d, --detach', "runc's: start it and leave its relay running")
    .option('--pid-file <file>', 'write the host pid of its relay here')
    .option('--console-socket <socket>', 'not supported (no terminals)')
    .option('-t, --tty', 'not supported (no terminals)')
    .option('--cwd <dir>', "runc's: the working directory")
    .option('-e, --env <K=V>', "runc's: an environment variable", collect, [])
    .passThroughOptions()
    .exitOverride()
    .action(async (id: string, ctr: string | undefined, module: string | undefined, args: string[], opts: { process?: string; detach?: boolean; pidFile?: string; consoleSocket?: string; tty?: boolean; cwd?: string; env: string[] }, cmd: Command) => {
      const r = await runc();
      if (r.isContainer(id, { root: rootDir(cmd) })) {
        const argv = [ctr, module, ...args].filter((a): a is string => a !== undefined && a !== '--');
        process.exitCode = await r.containerExecVerb(rootDir(cmd), id, argv, opts);
        return;
      }
      // Options pass through after the operands, so the "--" of `exec ID CTR -- prog.wasm` arrives here.
      const [prog, ...rest] = module === '--' ? args : module === undefined ? [] : [module, ...args];
      if (ctr === undefined || prog === undefined) throw new UsageError('exec: expected a container and a .wasm program after the pod');
      process.exitCode = await (await records()).execVerb(rootDir(cmd), id, ctr, prog, rest);
    });
  const criuFlags = (c: Command): Command => c
    .option('--work-path <dir>', "runc's: where CRIU's logs go (Amber writes none)")
    .addOption(new Option('--tcp-established').hideHelp())
    .addOption(new Option('--ext-unix-sk').hideHelp())
    .addOption(new Option('--shell-job').hideHelp())
    .addOption(new Option('--file-locks').hideHelp())
    .addOption(new Option('--empty-ns <ns>').hideHelp())
    .addOption(new Option('--manage-cgroups-mode <mode>').hideHelp())
    .addOption(new Option('--lazy-pages').hideHelp())
    .addOption(new Option('--auto-dedup').hideHelp())
    .addOption(new Option('--status-fd <fd>').hideHelp())
    .addOption(new Option('--page-server <addr>').hideHelp());
  if (wants('checkpoint')) criuFlags(addGlobalOptions(program.command('checkpoint')))
    .description('save a running pod (the whole pod of a container) to an image: one consistent cut of every container')
    .argument('<id>')
    .option('--image-path <dir>', 'where to write the image (an OCI image layout)')
    .option('--leave-running', 'keep the pod running after the checkpoint')
    .option('--parent-path <dir>', 'an earlier image whose unchanged blobs are reused')
    .addOption(new Option('-c, --compress <codec>', "compress the image's blobs (podman's names)").choices(['none', 'gzip', 'zstd']).default('none'))
    .option('-e, --export <file>', 'write the image as an archive: FILE.tar, .tar.gz or .tar.zst (podman\'s)')
    .addOption(new Option('--pre-dump').hideHelp())
    .exitOverride()
    .action(async (id: string, opts: { imagePath?: string; leaveRunning?: boolean; parentPath?: string; compress: string; export?: string }, cmd: Command) => {
      const r = await runc();
      if (r.isContainer(id, { root: rootDir(cmd) })) return r.containerCheckpointVerb(rootDir(cmd), id, opts);
      if (opts.imagePath === undefined && opts.export === undefined) throw new UsageError("checkpoint: required option '--image-path <dir>' or '--export <file>' not specified");
      await (await podVerbs()).checkpointVerb(rootDir(cmd), id, opts);
    });
  if (wants('restore')) criuFlags(addGlobalOptions(program.command('restore')))
    .description('bring a checkpointed pod back, here or in another --root (runc\'s form: restore --bundle B --pid-file F ID)')
    .argument('[id]', "runc's: the container to restore into the bundle")
    .option('--image-path <dir>', 'the image')
    .option('-i, --import <file>', 'the image as an archive (.tar, .tar.gz, .tar.zst), as checkpoint --export wrote it')
    .option('--spec <pod.yaml>', 'restore into this manifest (containers and volumes matched by name)')
    .option('-d, --detach', 'run in a sandbox process of its own')
    .option('--name <id>', "the restored pod's ID (default: the image's)")
    .option('--volume <NAME=HOSTDIR>', 'bind a hostPath volume to another host directory', collect, [])
    .option('--verify', 'hash every blob, even memory parts this user\'s Amber wrote or verified before and that are unchanged since')
    .option('-b, --bundle <dir>', "runc's: the bundle to restore into (default: the current directory)")
    .option('--pid-file <file>', "runc's: write the host pid of the container's relay here")
    .option('--console-socket <socket>', 'not supported (no terminals)')
    .addOption(new Option('--no-subreaper').hideHelp())
    .addOption(new Option('--no-pivot').hideHelp())
    .exitOverride()
    .action(async (id: string | undefined, opts: { imagePath?: string; import?: string; spec?: string; detach?: boolean; name?: string; volume: string[]; verify?: boolean; bundle?: string; pidFile?: string; consoleSocket?: string }, cmd: Command) => {
      if ((opts.imagePath === undefined) === (opts.import === undefined)) throw new UsageError("restore: give one of '--image-path <dir>' and '--import <file>'");
      // A sandbox bin/amber started beside this command: a detached restore of an image uses it (or ends
      // it); runc's form and a foreground restore end it now.
      const sandbox = id === undefined && opts.detach === true ? session.sandbox : null;
      if (session.sandbox !== null && sandbox === null) (await import('../client/launch.js')).endStartedSandbox(session.sandbox);
      session.sandbox = null;
      if (id !== undefined) {
        if (opts.imagePath === undefined) throw new UsageError("restore ID (runc's form) takes --image-path");
        return (await runc()).containerRestoreVerb(rootDir(cmd), id, { ...opts, imagePath: opts.imagePath }, phaseLog(session.log, `restore ${id}`));
      }
      const again = await runWithGuestStack(opts.detach);
      if (again !== null) return void (process.exitCode = again);
      session.ranGuests = opts.detach !== true;
      process.exitCode = await (await podVerbs()).restoreVerb(rootDir(cmd), opts, sandbox);
    });
  if (wants('prepare')) addGlobalOptions(program.command('prepare'))
    .description('transform modules ahead of time into the per-user cache (like wasmtime compile)')
    .argument('<modules...>', 'the .wasm programs')
    .option('--track-writes', 'the transform a pod run with --track-writes uses')
    .exitOverride()
    .action(async (modules: string[], opts: { trackWrites?: boolean }) => {
      const { prepareVerb } = await import('./prepare.js');
      await prepareVerb(modules, opts.trackWrites === true);
    });
  addRuncVerbs(program, session, wants);
  if (wants('inspect')) addGlobalOptions(program.command('inspect'))
    .description('show what checkpoint images hold, checkpointctl-style (read-only); several as a table')
    .argument('<images...>', 'image directories or archives')
    .option('--stats', "the checkpoint's pause, total time and bytes scanned and written")
    .option('--mounts', "each container's mount tree")
    .option('--files', "each process's open files")
    .option('--ps-tree', 'the process tree')
    .option('--json', 'as one JSON document (an array for several images)')
    .exitOverride()
    .action(async (images: string[], opts: { stats?: boolean; mounts?: boolean; files?: boolean; psTree?: boolean; json?: boolean }) => {
      const { inspectCommand } = await import('./inspect.js');
      await inspectCommand(images, opts);
    });
  if (wants('diff')) addGlobalOptions(program.command('diff'))
    .description('what changed between two checkpoint images: memory pages, files, processes, mounts (read-only)')
    .argument('<a>', 'the older image (a directory or an archive)')
    .argument('<b>', 'the newer image')
    .option('--json', 'as one JSON document')
    .exitOverride()
    .action(async (a: string, b: string, opts: { json?: boolean }) => {
      const { diffCommand } = await import('./diff.js');
      await diffCommand(a, b, opts);
    });
  return program;
}

/** The verbs only runc's command line has (create, start, pause, resume, ps, events, features, spec). */
function addRuncVerbs(program: Command, session: Session, wants: (verb: string) => boolean): void {
  if (wants('create')) addGlobalOptions(program.command('create'))
    .description("runc's create: a container made in its pod's sandbox, not yet started; its relay's pid to --pid-file")
    .argument('<id>')
    .option('-b, --bundle <dir>', 'the bundle (default: the current directory)')
    .option('--pid-file <file>', "write the host pid of the container's relay here")
    .option('--console-socket <socket>', 'not supported (no terminals)')
    .addOption(new Option('--no-pivot').hideHelp())
    .addOption(new Option('--no-new-keyring').hideHelp())
    .addOption(new Option('--preserve-fds <n>').hideHelp())
    .exitOverride()
    .action(async (id: string, opts: { bundle?: string; pidFile?: string; consoleSocket?: string }, cmd: Command) => (await runc()).createVerb(rootDir(cmd), id, opts, phaseLog(session.log, `create ${id}`)));
  if (wants('start')) addGlobalOptions(program.command('start'))
    .description("runc's start: the created container's program runs")
    .argument('<id>')
    .exitOverride()
    .action(async (id: string, _o: unknown, cmd: Command) => (await runc()).startVerb(rootDir(cmd), id));
  for (const [verb, pause] of [['pause', true], ['resume', false]] as const) {
    if (!wants(verb)) continue;
    addGlobalOptions(program.command(verb))
      .description(`runc's ${verb}: the container's pod ${pause ? 'stops running' : 'runs again'}`)
      .argument('<id>')
      .exitOverride()
      .action(async (id: string, _o: unknown, cmd: Command) => (await runc()).pauseVerb(rootDir(cmd), id, pause));
  }
  if (wants('ps')) addGlobalOptions(program.command('ps'))
    .description("runc's ps: the host pids of a container's processes")
    .argument('<id>')
    .option('-f, --format <format>', 'table or json', 'table')
    .exitOverride()
    .action(async (id: string, opts: { format: string }, cmd: Command) => (await runc()).psVerb(rootDir(cmd), id, opts.format));
  if (wants('events')) addGlobalOptions(program.command('events'))
    .description("runc's events: with --stats one stats event, else wait until the container stops")
    .argument('<id>')
    .option('--stats', 'print one stats event and exit')
    .option('--interval <duration>', 'accepted for runc compatibility')
    .exitOverride()
    .action(async (id: string, opts: { stats?: boolean }, cmd: Command) => (await runc()).eventsVerb(rootDir(cmd), id, opts.stats === true));
  if (wants('features')) addGlobalOptions(program.command('features'))
    .description("runc's features: what of runtime-spec Amber honours, as JSON")
    .exitOverride()
    .action(async () => (await runc()).featuresVerb());
  if (wants('spec')) addGlobalOptions(program.command('spec'))
    .description("runc's spec: a default config.json (a read-only root, args[0] the .wasm program) in the bundle")
    .option('-b, --bundle <dir>', 'where to write it (default: the current directory)')
    .exitOverride()
    .action(async (opts: { bundle?: string }) => (await runc()).specVerb(opts.bundle));
}

/** The state root: --root after the verb, else before it, else AMBER_ROOT or the per-user default. */
function rootDir(cmd: Command): string {
  const own = cmd.opts<{ root?: string }>().root;
  const global = cmd.parent?.opts<{ root?: string }>().root ?? cmd.parent?.parent?.opts<{ root?: string }>().root;
  return resolve(own ?? global ?? defaultRoot());
}

/** The program's options that take none (addGlobalOptions; --rootless may or may not); GLOBAL_VALUED those that take a value. */
const BARE = new Set(['--debug', '--systemd-cgroup']);

/**
 * The verb a command line (normalizeArgv's) names, its first operand past the program's options, as
 * commander finds it; null where that is not plain: help, the version, --rootless (its value optional),
 * an option the program does not have, or no verb at all.
 */
export function verbOf(argv: readonly string[]): string | null {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (GLOBAL_VALUED.has(a)) i++;
    else if (BARE.has(a)) continue;
    else if (a.startsWith('--') && a.includes('=') && GLOBAL_VALUED.has(a.slice(0, a.indexOf('=')))) continue;
    else return a.startsWith('-') ? null : a;
  }
  return null;
}

/**
 * Runs the command line (the arguments after node and the script) through commander; a CommanderError
 * (bad usage, or --help and --version done) ends here, as exit 2 or 0, any other error is the caller's.
 */
export async function runProgram(args: readonly string[], session: Session): Promise<void> {
  const argv = normalizeArgv(args);
  // Only the verb's command is built (each verb's is ~0.15 ms of a start-up): all of them when the line
  // names none, or a name no verb has (commander suggests the verb meant).
  const verb = verbOf(argv);
  let program = buildProgram(session, verb);
  if (verb !== null && program.commands.length === 0) program = buildProgram(session);
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    if (e.exitCode === 0) return;
    session.log?.write('error', e.message);
    process.exitCode = 2;
  }
}
