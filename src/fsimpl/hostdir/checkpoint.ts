// What the rest of Amber needs to checkpoint and restore host directories (DESIGN.md §4): the savable
// declarations for a pod's Registry, and how keys are bound. See README.md, "Checkpoint and
// restore".
import type { Savable } from '../../state/index.js';
import { HostDirOps, HostFile } from './file.js';
import { HostGhost } from './ghost.js';
import { HostDirFs } from './hostdir.js';
import { HostInode } from './inode.js';

export {
  describeKey,
  HOSTDIR_KEY_KIND,
  HostDirBinding,
  hostDirExternalKey,
  hostDirResolver,
  RestoreError,
  type HostDirBindingOptions,
} from './binding.js';

/** Every savable type of fsimpl/hostdir, for podRegistry(extra). */
export function hostdirSavables(): Array<Savable<object>> {
  return [HostDirFs.saved, HostInode.saved, HostFile.saved, HostDirOps.saved, HostGhost.saved];
}
