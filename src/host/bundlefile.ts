// Reading an OCI bundle (runc's config.json) from the host into a PodSpec of one container, keeping the
// text as given: what runc's verbs (create, restore, run --bundle) need, without the Pod manifest's YAML
// parser, so a create under containerd's shim loads no more than it reads.
import { closeSync, openSync, readSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { checkHostPaths } from '../runtime/spec/hostpaths.js';
import { normalizeOci } from '../runtime/spec/normalize.js';
import { parseOciConfig, type OciConfig } from '../runtime/spec/oci.js';
import type { PodSpec } from '../runtime/spec/podspec.js';
import { kindOf, readSpecText } from './specread.js';

/** An OCI bundle's config.json, parsed and checked (not yet a pod), with its text as given. */
export interface BundleConfig {
  config: OciConfig;
  text: string;
}

export function readBundleConfig(bundleDir: string): BundleConfig {
  const file = join(bundleDir, 'config.json');
  const text = readSpecText(file);
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
