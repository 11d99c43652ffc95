// The sandbox of a detached pod, like runsc's sandbox process (its boot): started by the client
// (client/launch.ts) as `node sandbox/main.js ROOT ID`, it reads ROOT/pods/ID/launch.json, starts or
// restores the pod with each container's output in its log file, serves the pod's control socket
// (sandbox/server.ts) and keeps the pod's record up to date until the pod ends.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { AmberError } from '../base/error.js';
import { fileProgress, progressFile, serveControl } from '../host/control.js';
import { StateRoot } from '../host/stateroot.js';
import { listenUnix } from '../host/unixpath.js';
import { LogFileStream, NullStream } from '../host/streams.js';
import type { PodStdio } from './bindings.js';
import type { Launch } from './protocol.js';
import { planRestore } from './restoreplan.js';
import { startRestored } from './restorerun.js';
import { RelayBindings } from './runc.js';
import { createPod, onContainerTrap, startPod, type RunningPod } from './running.js';
import { PodServer } from './server.js';

// Guests run at V8's optimizing tier from the start (DESIGN.md §3); must precede the first compile.
setFlagsFromString('--no-liftoff');

async function start(root: StateRoot, id: string, launch: Launch, stdio: PodStdio): Promise<RunningPod> {
  if (launch.mode === 'run') return startPod(launch.spec, stdio);
  if (launch.mode === 'create') return createPod(launch.spec, stdio);
  // Where a restore's time goes, in sandbox.log: this process's start-up (Node, Amber's modules), opening
  // the image, rebuilding the pod (modules, kernel graph, each program's memory read and verified).
  const t0 = performance.now();
  const plan = await planRestore(launch.imagePath, {
    lazy: true, // blobs read as the pod is rebuilt, memory straight into its instance, all verified before it runs
    ...(launch.specFile !== undefined ? { specFile: launch.specFile } : {}),
    volumes: launch.volumes,
    ...(launch.replace !== undefined ? { replace: launch.replace } : {}),
    onProgress: fileProgress(progressFile(root.podDir(id))),
  });
  const t1 = performance.now();
  const running = await startRestored(plan, stdio);
  console.log(`restore ${launch.imagePath}: start-up ${t0.toFixed(0)} ms, image opened in ${(t1 - t0).toFixed(0)} ms, pod rebuilt (image read and verified) in ${(performance.now() - t1).toFixed(0)} ms`);
  return running;
}

async function main(root: StateRoot, id: string): Promise<void> {
  const launch = JSON.parse(readFileSync(join(root.podDir(id), 'launch.json'), 'utf8')) as Launch;
  // A pod made by runc's verbs has each container's streams held by a relay process; any other pod's
  // output goes to a log file per container.
  const relays = launch.mode === 'create' || (launch.mode === 'restore' && launch.relay === true) ? new RelayBindings() : undefined;
  const stdio: PodStdio = relays?.stdio ?? ((name) => {
    const log = new LogFileStream(root.logPath(id, name));
    return [new NullStream(), log, log] as const;
  });
  const running = await start(root, id, launch, stdio);
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
  const socket = root.socketPath(id);
  rmSync(socket, { force: true });
  if (relays !== undefined) {
    const attach = root.attachPath(id);
    rmSync(attach, { force: true });
    await listenUnix(createServer((sock) => server.attach(sock)), attach);
  }
  await serveControl(socket, (req, progress) => server.handle(req, progress));
  server.recordRunning();
  await server.run();
  server.recordStopped({});
  process.exit(0);
}

const [rootDir, id] = process.argv.slice(2);
if (rootDir === undefined || id === undefined) {
  process.stderr.write('usage: sandbox ROOT ID\n');
  process.exit(2);
}
const root = new StateRoot(rootDir);
try {
  await main(root, id);
} catch (e) {
  // A user error (a module that changed, a host file that changed since the checkpoint) goes back to
  // the client that launched this sandbox as one line; anything else is a bug and keeps its stack here.
  if (!(e instanceof AmberError)) throw e;
  writeFileSync(join(root.podDir(id), 'error'), `${e.line}\n`);
  process.exit(1);
}
