// The host side of reading a spec (a Pod manifest or a bundle's config.json): the file's text, read
// safely (a regular file of a spec's size; a FIFO refused without blocking), and what kind of thing a
// host path names, which runtime/spec's checks ask of the host.
import { closeSync, constants, fstatSync, openSync, readFileSync, statSync } from 'node:fs';
import { AmberError, messageOf } from '../base/error.js';
import type { HostPathKind } from '../runtime/spec/hostpaths.js';

/** What the host path names: a file, a directory, something else, or nothing (undefined). */
export function kindOf(path: string): HostPathKind | undefined {
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
export function readSpecText(path: string): string {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    if (e instanceof Error && 'code' in e && e.code === 'ENOENT') throw new AmberError(`${path}: no such file`);
    throw new AmberError(`${path}: cannot read: ${messageOf(e)}`);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new AmberError(`${path}: is a directory, expected a file`);
    if (!st.isFile()) throw new AmberError(`${path}: not a regular file`);
    if (st.size > MAX_SPEC_BYTES) throw new AmberError(`${path}: ${st.size} bytes, more than a spec may hold (${MAX_SPEC_BYTES >> 20} MiB)`);
    return readFileSync(fd, 'utf8');
  } catch (e) {
    if (e instanceof AmberError) throw e;
    throw new AmberError(`${path}: cannot read: ${messageOf(e)}`);
  } finally {
    closeSync(fd);
  }
}

