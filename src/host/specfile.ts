// Reading a pod manifest or an OCI bundle from the host into a PodSpec: the file reads and stat calls
// runtime/spec leaves to its caller, keeping the text as given. Problems in the spec are runtime/spec's
// SpecError, one line each.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { checkHostPaths, normalizeOci, normalizePod, parseOciConfig, parsePodManifest, type HostPathKind, type PodSpec } from '../runtime/spec/index.js';
import { AmberError } from '../base/error.js';

function kindOf(path: string): HostPathKind | undefined {
  try {
    const st = statSync(path);
    return st.isFile() ? 'file' : st.isDirectory() ? 'directory' : 'other';
  } catch {
    return undefined;
  }
}

function read(path: string): string {
  if (!existsSync(path)) throw new AmberError(`${path}: no such file`);
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new AmberError(`${path}: cannot read: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** A Kubernetes Pod manifest as a checked PodSpec. */
export function loadPodManifest(file: string): PodSpec {
  const text = read(file);
  const spec = normalizePod(parsePodManifest(text, { file: basename(file), dir: dirname(resolve(file)) }));
  checkHostPaths(spec, kindOf);
  return { ...spec, given: text };
}

/** An OCI bundle's config.json as a checked PodSpec of one container. */
export function loadBundle(bundleDir: string, id: string): PodSpec {
  const file = join(bundleDir, 'config.json');
  const text = read(file);
  const spec = normalizeOci(parseOciConfig(text, { file: 'config.json', bundleDir: resolve(bundleDir) }), { id });
  checkHostPaths(spec, kindOf);
  return { ...spec, given: text };
}
