// Kubernetes Pod manifests for end-to-end tests, written as JSON (JSON is YAML): containers running
// guests from guests/ (or an image path of the test's own), with volume mounts, and the volumes.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { guest } from './amber.js';

export interface Container {
  name: string;
  /** A guest of guests/ by name (e2e_counter): the image is its absolute path... */
  guest: string;
  /** ...unless image is given: the manifest's image field as written (relative to the manifest). */
  image?: string;
  args: string[];
  mounts?: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
}

export type Volume = { name: string; emptyDir: { sizeLimit?: string; medium?: 'Memory' } } | { name: string; hostPath: { path: string } };

/** Writes a Pod manifest to dir/file; its path. `extra` goes into spec (hostUsers: false, ...). */
export function manifest(dir: string, file: string, name: string, containers: Container[], volumes: Volume[], extra: Record<string, unknown> = {}): string {
  const path = join(dir, file);
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      ...extra,
      containers: containers.map((c) => ({ name: c.name, image: c.image ?? guest(c.guest), args: c.args, volumeMounts: c.mounts ?? [] })),
      volumes,
    },
  };
  writeFileSync(path, JSON.stringify(pod, null, 1));
  return path;
}

/**
 * A pod (manifest `<name>.yaml` in dir) of one e2e_counter container "counter" with an emptyDir /data and
 * a hostPath /ctl (dir/ctl, made here), holding at ticks 4 and 8 until /ctl/go.N appears: a pod to cut
 * at known points (incremental checkpoints, write tracking).
 */
export function heldCounterPod(dir: string, name: string): { pod: string; ctl: string } {
  const ctl = join(dir, 'ctl');
  mkdirSync(ctl, { recursive: true });
  const c: Container = {
    name: 'counter',
    guest: 'e2e_counter',
    args: ['--ticks', '14', '--every-ms', '20', '--state', '/data/state', '--out', '/data/out',
      '--hold-at', '4', '--hold-at', '8', '--go', '/ctl/go.%d', '--ready', '/ctl/ready.%d', '--done', '/ctl/done'],
    mounts: [{ name: 'data', mountPath: '/data' }, { name: 'ctl', mountPath: '/ctl' }],
  };
  return { pod: manifest(dir, `${name}.yaml`, name, [c], [{ name: 'data', emptyDir: {} }, { name: 'ctl', hostPath: { path: ctl } }]), ctl };
}
