// Kubernetes Pod manifests for end-to-end tests, written as JSON (JSON is YAML): containers running
// guests from guests/ (or an image path of the test's own), with volume mounts, and the volumes.
import { writeFileSync } from 'node:fs';
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
