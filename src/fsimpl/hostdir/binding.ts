// How a checkpoint names a host directory and how a restore binds it again (DESIGN.md §4: referenced,
// not copied). A hostdir filesystem is saved as an external key chosen by whoever mounted it, never by
// host path: `{ kind: 'hostdir', key: 'volume:data' }` (the pod runtime's keys: runtime/hostkeys.ts). The
// restore's caller binds each key to a HostDirBinding (a host directory, maybe not the one saved from:
// `restore --volume data=DIR`), and the filesystem reopens the objects it held there by their paths.
import { StateError, type ExternalKey, type Resolver } from '../../state/index.js';
import type { HostDirectoryAccess } from './host.js';

/** The `kind` of a hostdir filesystem's external key. */
export const HOSTDIR_KEY_KIND = 'hostdir';

/** The external key a hostdir filesystem mounted with `key` is saved as. */
export function hostDirExternalKey(key: string): ExternalKey {
  return { kind: HOSTDIR_KEY_KIND, key };
}

/** A key as messages show it: "volume data", "bind app:/etc/conf", "rootfs app". */
export function describeKey(key: string): string {
  const i = key.indexOf(':');
  return i < 0 ? key : `${key.slice(0, i)} ${key.slice(i + 1)}`;
}

/**
 * A restore refused because the world outside the image no longer matches it: a host file open at the
 * checkpoint changed or is gone, a bound host directory cannot be opened. One line, naming the file:
 * `volume ctl: /data/log.txt changed since the checkpoint (size 12 → 40)`. It is a StateError, so the
 * codec passes it through decodeGraph unwrapped; the CLI prints its message as a user error.
 */
export class RestoreError extends StateError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RestoreError';
  }
}

export interface HostDirBindingOptions {
  /** mountinfo's source field: the host path, shown only (default: ""). */
  source?: string;
  /** Host descriptors kept open for inodes at most (see HostDirFsOptions). */
  maxHandles?: number;
}

/** What a restore binds a hostdir key to: the host directory to reopen the filesystem on. */
export class HostDirBinding {
  readonly host: HostDirectoryAccess;
  readonly source: string;
  readonly maxHandles: number | undefined;

  constructor(host: HostDirectoryAccess, opts: HostDirBindingOptions = {}) {
    this.host = host;
    this.source = opts.source ?? '';
    this.maxHandles = opts.maxHandles;
  }

  /** The filesystems restores opened from this binding. */
  readonly #filesystems: Array<{ release(): void }> = [];

  /** Called by each filesystem a restore opens from this binding. */
  restored(fs: { release(): void }): void {
    this.#filesystems.push(fs);
  }

  /**
   * For a restore that failed (decodeGraph threw): closes every host descriptor the filesystems it
   * opened from this binding hold. Never call it after a restore that succeeded.
   */
  abandon(): void {
    for (const fs of this.#filesystems.splice(0)) fs.release();
  }
}

/**
 * A resolver for decodeGraph's `externals` that binds hostdir keys with bind(key) and leaves every
 * other kind (and keys bind does not know) unbound; compose it with the resolvers of other kinds.
 */
export function hostDirResolver(bind: (key: string) => HostDirBinding | undefined): Resolver {
  return (k: ExternalKey) => (k.kind === HOSTDIR_KEY_KIND && typeof k['key'] === 'string' ? bind(k['key']) : undefined);
}
