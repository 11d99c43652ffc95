// The sandbox of a detached pod, like runsc's sandbox process (its boot): started by the client
// (client/launch.ts) as `node sandbox/start.js ROOT ID` or from its startup snapshot (sandbox/snapshot.ts),
// or before its pod is made, by the client or by bin/amber beside the command (its id given later),
// it reads ROOT/pods/ID/launch.json, starts or restores the pod with each container's output in its log
// file, serves the pod's control socket (sandbox/server.ts) and keeps the pod's record up to date until
// the pod ends.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { AmberError } from '../base/error.js';
import { fileProgress, progressFile, serveControl } from '../host/control.js';
import { restoreStartEnv } from '../host/startenv.js';
import { StateRoot } from '../host/stateroot.js';
import { listenUnix } from '../host/unixpath.js';
import { LogFileStream, NullStream } from '../host/streams.js';
import type { PodStdio } from './bindings.js';
import { idBeside } from './idbeside.js';
import { idOnStdin } from './idonstdin.js';
import { PodHolder } from './podholder.js';
import type { Launch } from './protocol.js';
import { RestoreGate } from './restoregate.js';
import type { RestorePlan } from './restoreplan.js';
import type { EarlyRestore } from './restoreearly.js';
import type { CheckpointImage } from '../image/reader.js';
import { RelayBindings } from './runc.js';
import { createPod, onContainerTrap, startPod, type RunningPod } from './running.js';
import { PodServer } from './server.js';

type RestoreLaunch = Extract<Launch, { mode: 'restore' }>;

/**
 * The image's containers a runc restore of the pod's own container waits for before the pod is rebuilt:
 * every one but those this launch's bundle restores, as runsc counts every container of its checkpoint.
 * One that had ended at the cut is waited for too: its root and mounts are in the kernel's graph, and
 * they are bound to the host directories its own restore's bundle names (the old ones may be gone).
 */
function awaited(plan: RestorePlan, launch: RestoreLaunch): string[] {
  if (launch.awaitClaims !== true) return [];
  const claimed = new Set((launch.replace ?? []).map((c) => c.name));
  return plan.spec.containers.map((c) => c.name).filter((n) => !claimed.has(n));
}

/** Ends a pod that never got past its gate: each relay told 128+signal, the record stopped, this process gone. */
function endWaiting(root: StateRoot, id: string, gate: RestoreGate, relays: RelayBindings, signal: number): void {
  const records = gate.records();
  const now = root.read(id);
  if (now !== null) root.write({ ...now, status: 'stopped', sandboxPid: null, containers: records.map((r) => ({ ...r, status: 'stopped', exitCode: 128 + signal })) });
  for (const r of records) relays.get(r.name).exit(128 + signal);
  setTimeout(() => process.exit(0), 100);
}

/** A pod started, and what to do once it runs (off the critical path). */
interface Started {
  running: RunningPod;
  onRunning?: () => void;
}

/** The image's memory parts as read: vouched for by the records of verified blobs (read unhashed), or hashed. */
function partsLine(image: CheckpointImage): string {
  const { vouched, hashed } = image.partsRead();
  return `memory parts ${vouched} vouched, ${hashed} hashed`;
}

/** A restored pod; once it runs, the blobs its image hashed are recorded as verified: the next restore of them reads them unhashed. */
function restored(running: RunningPod, image: CheckpointImage): Started {
  return { running, onRunning: () => void image.remember() };
}

async function restore(root: StateRoot, id: string, launch: RestoreLaunch, stdio: PodStdio, relays: RelayBindings | undefined, holder: PodHolder, early: Promise<EarlyRestore | null> | null): Promise<Started> {
  // Where a restore's time goes, in sandbox.log: this process's start-up (Node, Amber's modules), opening
  // the image, rebuilding the pod (modules, kernel graph, each program's memory read and verified). A
  // restore begun before the pod was given (restoreearly.ts) opened the image and began reading it then.
  const t0 = performance.now();
  // Restoring's modules (the image reader, the programs' schema) load only here: a create starts without them.
  const [{ planRestore, withContainers }, { startRestored }, { usableFor }] = await Promise.all([import('./restoreplan.js'), import('./restorerun.js'), import('./restoreearly.js')]);
  const begun = early === null ? null : await early;
  const usable = begun !== null && usableFor(begun, launch) ? begun : null;
  let plan = await planRestore(launch.imagePath, {
    ...(usable !== null ? { image: usable.image } : {}),
    lazy: true, // blobs read as the pod is rebuilt, memory straight into its instance, all verified before it runs
    ...(launch.verify === true ? { verify: true } : {}),
    ...(launch.spec !== undefined ? { spec: launch.spec } : {}),
    volumes: launch.volumes,
    ...(launch.replace !== undefined ? { replace: launch.replace } : {}),
    onProgress: fileProgress(progressFile(root.podDir(id))),
  });
  const t1 = performance.now();
  const carried = usable !== null && plan.image === usable.image ? usable : undefined;
  if (begun !== null) console.log(`restore ${launch.imagePath}: begun before the pod was given (image opened, memory being read at ${begun.begunAt.toFixed(0)} ms): ${carried !== undefined ? 'carried on' : 'not for this launch, begun again'}`);
  carried?.progressTo(fileProgress(progressFile(root.podDir(id))));
  for (const line of plan.recovered) console.log(`restore ${launch.imagePath}: ${line}`);
  const waitFor = awaited(plan, launch);
  if (relays !== undefined && waitFor.length > 0) {
    const names = plan.spec.containers.map((c) => c.name);
    const record = () => {
      const now = root.read(id);
      if (now !== null && now.status !== 'stopped') root.write({ ...now, status: 'running', sandboxPid: process.pid, containers: gate.records() });
    };
    const gate: RestoreGate = new RestoreGate(names, waitFor, relays, (signal) => endWaiting(root, id, gate, relays, signal), record);
    holder.setGate(gate);
    record();
    console.log(`restore ${launch.imagePath}: waiting for the restores of ${waitFor.join(', ')}`);
    plan = withContainers(plan, await gate.ready);
    try {
      const running = await startRestored(plan, stdio);
      console.log(`restore ${launch.imagePath}: pod rebuilt in ${(performance.now() - t1).toFixed(0)} ms once every container was claimed, ${partsLine(plan.image)}`);
      return restored(running, plan.image);
    } catch (e) {
      // The last claim's restore hears why, then this process goes (each relay sees its sandbox gone).
      gate.settle(e instanceof AmberError ? e.line : e instanceof Error ? (e.message.split('\n')[0] ?? e.message) : String(e));
      await new Promise((res) => setTimeout(res, 100));
      throw e;
    }
  }
  const running = await startRestored(plan, stdio, carried);
  console.log(`restore ${launch.imagePath}: start-up ${t0.toFixed(0)} ms, image opened in ${(t1 - t0).toFixed(0)} ms, pod rebuilt (image read and verified) in ${(performance.now() - t1).toFixed(0)} ms, ${partsLine(plan.image)}`);
  return restored(running, plan.image);
}

async function start(root: StateRoot, id: string, launch: Launch, stdio: PodStdio, relays: RelayBindings | undefined, holder: PodHolder, early: Promise<EarlyRestore | null> | null): Promise<Started> {
  if (launch.mode === 'run') return { running: await startPod(launch.spec, stdio) };
  if (launch.mode === 'create') return { running: await createPod(launch.spec, stdio) };
  return restore(root, id, launch, stdio, relays, holder, early);
}

/** The pod id's sandbox: its launch started, its control socket served until the pod ends. early: a
 *  restore begun before the id was given (bin/amber named the image), for a restore launch to carry on. */
async function main(root: StateRoot, id: string, early: Promise<EarlyRestore | null> | null): Promise<void> {
  const launch = JSON.parse(readFileSync(join(root.podDir(id), 'launch.json'), 'utf8')) as Launch;
  // A pod made by runc's verbs has each container's streams held by a relay process; any other pod's
  // output goes to a log file per container.
  const relays = launch.mode === 'create' || (launch.mode === 'restore' && launch.relay === true) ? new RelayBindings() : undefined;
  const stdio: PodStdio = relays?.stdio ?? ((name) => {
    const log = new LogFileStream(root.logPath(id, name));
    return [new NullStream(), log, log] as const;
  });
  // The pod's sockets serve from the start: a restore may wait for its containers' own restores to claim
  // them and attach their relays (restoregate.ts) before there is a pod to serve. The client speaks only
  // once the record says the pod runs.
  const holder = new PodHolder(id);
  const socket = root.socketPath(id);
  rmSync(socket, { force: true });
  if (relays !== undefined) {
    const attach = root.attachPath(id);
    rmSync(attach, { force: true });
    await listenUnix(createServer((sock) => holder.attach(sock)), attach);
  }
  await serveControl(socket, (req, progress, channel) => holder.control(req, progress, channel));
  const { running, onRunning } = await start(root, id, launch, stdio, relays, holder, early);
  const server = new PodServer(root, id, launch.source, running, relays);
  // A trap's reason, as it happens: in the pod's record (`amber state`), one line in the container's log
  // after what it wrote (`amber logs`), and one in sandbox.log. (A pod of runc's verbs keeps its records
  // and streams through its relays.)
  if (relays === undefined) onContainerTrap(running, (name, message) => {
    const line = `container ${name}: ${message} (exit 134)`;
    const log = new LogFileStream(root.logPath(id, name));
    log.write(new TextEncoder().encode(`amber: ${line}\n`));
    log.close();
    console.log(line);
    server.recordTrap(name, message);
  });
  holder.setServer(server);
  // The pod is running once its programs have run: every one scheduled once (a restored one resumed
  // in its call), which happens before run() first waits. A failure there ends this sandbox before the
  // client that launched it is told the pod runs.
  const ran = server.run();
  await Promise.race([ran, new Promise((res) => setImmediate(res))]);
  server.recordRunning();
  holder.gate?.settle(null);
  onRunning?.();
  await ran;
  server.recordStopped({});
  process.exit(0);
}

/**
 * The sandbox process's work, given its arguments (ROOT ID). Importing this module starts nothing and
 * changes no V8 flag: a startup snapshot is built by importing it, and V8 refuses a snapshot whose flags
 * differ from the process's.
 */
export async function runSandbox(args: readonly string[]): Promise<void> {
  // Started beside a command by bin/amber, with NODE_EXTRA_CA_CERTS moved aside (host/startenv.ts).
  restoreStartEnv();
  const [rootDir, given, earlyLog, imagePath] = args;
  const command = given?.startsWith('@') === true ? Number(given.slice(1)) : null;
  if (rootDir === undefined || given === undefined || ((given === '-' || command !== null) && earlyLog === undefined) || Number.isNaN(command) || (imagePath !== undefined && command === null)) {
    process.stderr.write('usage: sandbox ROOT ID, sandbox ROOT - EARLYLOG (the id on stdin), or sandbox ROOT @PID EARLYLOG [IMAGE] (the id from command PID, beside the log; IMAGE: the image it restores)\n');
    process.exit(2);
  }
  // Guests run at V8's optimizing tier from the start (DESIGN.md §3); must precede the first compile.
  setFlagsFromString('--no-liftoff');
  // Started early (sandbox/idonstdin.ts, idbeside.ts): its node and modules were loading while the client made the pod.
  const ready = performance.now();
  // Beside a detached restore's command, the restore begins now, while the command makes the pod.
  const early = command !== null && imagePath !== undefined ? import('./restoreearly.js').then((m) => m.beginRestore(imagePath)) : null;
  early?.catch(() => {}); // a bug in it is the restore's to throw, once it awaits it
  const id = earlyLog === undefined ? given : command !== null ? await idBeside(earlyLog, command) : given === '-' ? await idOnStdin(earlyLog) : given;
  // No pod after all: whatever the early restore still reads is dropped with this process.
  if (id === null) process.exit(0);
  if (id !== given) console.log(`sandbox started early: ready at ${ready.toFixed(0)} ms, given pod ${id} at ${performance.now().toFixed(0)} ms`);
  const root = new StateRoot(rootDir);
  try {
    await main(root, id, early);
  } catch (e) {
    // A user error (a module that changed, a host file that changed since the checkpoint) goes back to
    // the client that launched this sandbox as one line; anything else is a bug and keeps its stack here.
    if (!(e instanceof AmberError)) throw e;
    writeFileSync(join(root.podDir(id), 'error'), `${e.line}\n`);
    process.exit(1);
  }
}
