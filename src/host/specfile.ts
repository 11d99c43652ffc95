// Reading a pod manifest or an OCI bundle from the host into a PodSpec: the file reads and stat calls
// runtime/spec leaves to its caller, keeping the text as given. Problems in the spec are runtime/spec's
// SpecError, one line each.
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { checkHostPaths, normalizeOci, normalizePod, parseOciConfig, parsePodManifest, type HostPathKind, type OciConfig, type PodSpec } from '../runtime/spec/index.js';
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

/** An OCI bundle's config.json, parsed and checked (not yet a pod), with its text as given. */
export interface BundleConfig {
  config: OciConfig;
  text: string;
}

export function readBundleConfig(bundleDir: string): BundleConfig {
  const file = join(bundleDir, 'config.json');
  const text = read(file);
  return { config: parseOciConfig(text, { file: 'config.json', bundleDir: resolve(bundleDir) }), text };
}

/** Whether path holds a WebAssembly module (its magic number, "\0asm"). */
function isWasm(path: string): boolean {
  try {
    const fd = openSync(path, 'r');
    try {
      const head = Buffer.alloc(4);
      return readSync(fd, head, 0, 4, 0) === 4 && head.equals(Buffer.from([0, 0x61, 0x73, 0x6d]));
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
}

export interface BundleOptions {
  /** The container's name in its pod (default: the id). */
  containerName?: string;
  /**
   * The pod's infrastructure container (CRI's sandbox container): unless process.args[0] is a .wasm
   * module, it runs nothing and holds the pod until signalled, as the native `pause` it names would.
   */
  infrastructure?: boolean;
}

/** A parsed bundle as a checked PodSpec of one container. */
export function bundleSpec(bundle: BundleConfig, id: string, opts: BundleOptions = {}): PodSpec {
  const spec = normalizeOci(bundle.config, { id, ...(opts.containerName !== undefined ? { containerName: opts.containerName } : {}) });
  for (const c of spec.containers) if (opts.infrastructure === true && !isWasm(c.module)) c.pause = true;
  checkHostPaths(spec, kindOf);
  return { ...spec, given: bundle.text };
}

/** An OCI bundle's config.json as a checked PodSpec of one container. */
export function loadBundle(bundleDir: string, id: string): PodSpec {
  return bundleSpec(readBundleConfig(bundleDir), id);
}
