// The sandbox of a detached pod, like runsc's sandbox process: started by `amber pod run --detach`,
// it runs the pod with each container's output in its log file and keeps the pod's record in the
// state root up to date. Invoked as: node sandbox.js ROOT ID (the spec is ROOT/pods/ID/spec.json).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { LogFileStream, NullStream } from '../host/streams.js';
import { StateRoot } from '../host/stateroot.js';
import type { PodSpec } from '../runtime/spec/podspec.js';
import { runPodContainers } from './podrun.js';

setFlagsFromString('--no-liftoff');

function main(rootDir: string, id: string): void {
  const root = new StateRoot(rootDir);
  const spec = JSON.parse(readFileSync(join(root.podDir(id), 'spec.json'), 'utf8')) as PodSpec;
  const record = root.read(id);
  if (record === null) throw new Error(`sandbox: no record for pod ${id}`);
  root.write({ ...record, status: 'running', sandboxPid: process.pid });
  const ends = runPodContainers(spec, (name) => {
    const log = new LogFileStream(root.logPath(id, name));
    return [new NullStream(), log, log];
  });
  const now = root.read(id);
  if (now === null) return; // deleted while running
  root.write({ ...now, status: 'stopped', sandboxPid: null, containers: ends.map((e) => ({ name: e.name, exitCode: e.exitCode })) });
}

const [rootDir, id] = process.argv.slice(2);
if (rootDir === undefined || id === undefined) {
  process.stderr.write('usage: sandbox ROOT ID\n');
  process.exit(2);
}
main(rootDir, id);
