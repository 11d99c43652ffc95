// Reading a pod manifest or an OCI bundle from the host into a PodSpec: the file reads and stat calls
// runtime/spec leaves to its caller, keeping the text as given. Problems in the spec are runtime/spec's
// SpecError, one line each.
import { closeSync, constants, existsSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { checkHostPaths, hostPathNeeds, normalizeOci, normalizePod, parseOciConfig, parsePodManifest, SpecError, type HostPathKind, type OciConfig, type PodSpec } from '../runtime/spec/index.js';
import { AmberError } from '../base/error.js';

function kindOf(path: string): HostPathKind | undefined {
  try {
    const st = statSync(path);
    return st.isFile() ? 'file' : st.isDirectory() ? 'directory' : 'other';
  } catch {
    return undefined;
  }
}

/** A spec is a small text file; Kubernetes keeps objects under 1.5 MiB. */
const MAX_SPEC_BYTES = 4 << 20;

/**
 * The text of a spec file: a regular file (a FIFO is opened without blocking and refused, never read
 * until a writer comes) of at most MAX_SPEC_BYTES.
 */
function read(path: string): string {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    if (e instanceof Error && 'code' in e && e.code === 'ENOENT') throw new AmberError(`${path}: no such file`);
    throw new AmberError(`${path}: cannot read: ${e instanceof Error ? e.message : String(e)}`);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new AmberError(`${path}: is a directory, expected a file`);
    if (!st.isFile()) throw new AmberError(`${path}: not a regular file`);
    if (st.size > MAX_SPEC_BYTES) throw new AmberError(`${path}: ${st.size} bytes, more than a spec may hold (${MAX_SPEC_BYTES >> 20} MiB)`);
    return readFileSync(fd, 'utf8');
  } catch (e) {
    if (e instanceof AmberError) throw e;
    throw new AmberError(`${path}: cannot read: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    closeSync(fd);
  }
}

/** hostPath volumes of type DirectoryOrCreate that are missing are made, as the kubelet makes them (0755). */
function createMissing(spec: PodSpec): void {
  for (const need of hostPathNeeds(spec)) {
    if (need.create === undefined || kindOf(need.hostPath) !== undefined) continue;
    try {
      mkdirSync(need.hostPath, { recursive: true, mode: 0o755 });
    } catch (e) {
      throw new SpecError(spec.file, need.field, `cannot create ${need.hostPath}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}

/** A Kubernetes Pod manifest as a checked PodSpec. */
export function loadPodManifest(file: string): PodSpec {
  const text = read(file);
  const spec = normalizePod(parsePodManifest(text, { file: basename(file), dir: dirname(resolve(file)) }));
  checkHostPaths(spec, kindOf);
  createMissing(spec);
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
