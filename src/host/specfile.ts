// Reading a pod manifest or an OCI bundle from the host into a PodSpec: the file reads and stat calls
// runtime/spec leaves to its caller, keeping the text as given. Problems in the spec are runtime/spec's
// SpecError, one line each. (A bundle alone: host/bundlefile.ts, which loads no YAML parser.)
import { mkdirSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { checkHostPaths, hostPathNeeds, normalizePod, parsePodManifest, SpecError, type PodSpec } from '../runtime/spec/index.js';
import { kindOf, readSpecText } from './specread.js';
import { messageOf } from '../base/error.js';

export { bundleSpec, loadBundle, readBundleConfig, type BundleConfig, type BundleOptions } from './bundlefile.js';

/** hostPath volumes of type DirectoryOrCreate that are missing are made, as the kubelet makes them (0755). */
function createMissing(spec: PodSpec): void {
  for (const need of hostPathNeeds(spec)) {
    if (need.create === undefined || kindOf(need.hostPath) !== undefined) continue;
    try {
      mkdirSync(need.hostPath, { recursive: true, mode: 0o755 });
    } catch (e) {
      throw new SpecError(spec.file, need.field, `cannot create ${need.hostPath}: ${messageOf(e)}`);
    }
  }
}

/** A Kubernetes Pod manifest as a checked PodSpec. */
export function loadPodManifest(file: string): PodSpec {
  const text = readSpecText(file);
  const spec = normalizePod(parsePodManifest(text, { file: basename(file), dir: dirname(resolve(file)) }));
  checkHostPaths(spec, kindOf);
  createMissing(spec);
  return { ...spec, given: text };
}

