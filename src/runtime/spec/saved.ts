// A PodSpec read back from a checkpoint (the image config's meta.spec, the kernel graph's PodKernel.spec):
// checked field by field against what normalize.ts makes, before a restore or an inspection uses it, as
// CRIU checks an image's entries before it trusts them. A forged or damaged spec is one line naming the
// image and the field (`IMG: the saved spec: containers[0].argv: expected a list, got a number`), never a
// TypeError deep in the restore. Checked by shape.ts, not zod: a restore loads no spec reader for this.
import { AmberError } from '../../base/error.js';
import { isAbsolute, pathTooLong } from './paths.js';
import { HOST_PATH_TYPES, type PodSpec } from './podspec.js';
import { bool, byKind, dict, fail, int, list, obj, oneOf, ShapeProblem, str, strWhere, type Shape } from './shape.js';
import { MAX_SIZE_BYTES } from './units.js';

/** A saved spec this Amber cannot use. */
export class SavedSpecError extends AmberError {
  constructor(message: string) {
    super(message);
    this.name = 'SavedSpecError';
  }
}

const name = strWhere((s) => s !== '', 'expected a non-empty string');
const guestPath = strWhere((p) => isAbsolute(p) && pathTooLong(p) === undefined, 'expected an absolute path that fits PATH_MAX');
const hostPath = strWhere(isAbsolute, 'expected an absolute host path');
const u32 = int(0, 0xffffffff);
const size = int(0, MAX_SIZE_BYTES);
/** The spec file's text as given: any string (a YAML file may hold a NUL). */
const anyText: Shape<string> = (v, at) => (typeof v === 'string' ? v : fail(at, 'expected a string'));

const idMapping: Shape<{ containerID: number; hostID: number; size: number }> = (v, at) => {
  const m = obj({ containerID: u32, hostID: u32, size: u32 })(v, at);
  if (m.size === 0 || m.containerID + m.size > 2 ** 32 || m.hostID + m.size > 2 ** 32) fail(at, 'an id range past 2^32 or empty');
  return m;
};

const volume = byKind<PodSpec['volumes'][number]>({
  emptyDir: obj({ kind: oneOf(['emptyDir']), name, field: str }, { medium: oneOf(['Memory']), sizeBytes: size }),
  hostPath: obj({ kind: oneOf(['hostPath']), name, hostPath, type: oneOf(HOST_PATH_TYPES), field: str }),
});

type Mount = PodSpec['containers'][number]['mounts'][number];
const source = byKind<Mount['source']>({
  volume: obj({ kind: oneOf(['volume']), name }),
  shm: obj({ kind: oneOf(['shm']) }),
  tmpfs: obj({ kind: oneOf(['tmpfs']), data: str }, { mode: int(0, 0o7777), sizeBytes: size }),
  bind: obj({ kind: oneOf(['bind']), hostPath, recursive: bool }),
});

const mount: Shape<Mount> = obj(
  { destination: guestPath, source, flags: u32, readOnly: bool },
  {
    subPath: strWhere((p) => !isAbsolute(p) && !p.split('/').includes('..'), 'expected a path inside the volume'),
    propagation: obj({ kind: oneOf(['private', 'shared', 'slave', 'unbindable']), recursive: bool }),
    field: str,
  },
);

const container: Shape<PodSpec['containers'][number]> = obj(
  {
    name,
    module: hostPath,
    moduleField: str,
    argv: list(str),
    env: list(str),
    cwd: guestPath,
    user: obj({ uid: u32, gid: u32, additionalGids: list(u32) }),
    mounts: list(mount),
  },
  { pause: bool, rootfs: obj({ hostPath, readOnly: bool, field: str }), nofile: int(0, 2 ** 20), memoryBytes: size },
);

const fields = obj(
  {
    file: str,
    format: oneOf(['pod', 'oci']),
    name,
    userns: bool,
    idMappings: obj({ uid: list(idMapping), gid: list(idMapping) }),
    volumes: list(volume),
    containers: list(container, 1),
    warnings: list(str),
  },
  {
    hostname: str,
    memoryBytes: size,
    metadata: obj({ labels: dict(str), annotations: dict(str) }, { namespace: str }),
    given: anyText,
  },
);

/** Names are unique, and every mount of a volume names one of the pod's. */
function checkNames(s: PodSpec): void {
  const volumes = new Set<string>();
  s.volumes.forEach((v, i) => {
    if (volumes.has(v.name)) fail(['volumes', i, 'name'], `a second volume named ${JSON.stringify(v.name)}`);
    volumes.add(v.name);
  });
  const containers = new Set<string>();
  s.containers.forEach((c, i) => {
    if (containers.has(c.name)) fail(['containers', i, 'name'], `a second container named ${JSON.stringify(c.name)}`);
    containers.add(c.name);
    c.mounts.forEach((m, j) => {
      if (m.source.kind === 'volume' && !volumes.has(m.source.name)) fail(['containers', i, 'mounts', j, 'source', 'name'], `no volume named ${JSON.stringify(m.source.name)}`);
    });
  });
}

/** value as a PodSpec, checked; where names the image and the place ("IMG: the saved spec"). */
export function decodeSavedSpec(value: unknown, where: string): PodSpec {
  try {
    const s = fields(value, []) as PodSpec;
    checkNames(s);
    return s;
  } catch (e) {
    if (e instanceof ShapeProblem) throw new SavedSpecError(`${where}: ${e.message}`);
    throw e;
  }
}

/** The spec a checkpoint config's meta holds (undefined if none), checked; image names the image. */
export function savedSpecOf(meta: Readonly<Record<string, unknown>>, image: string): PodSpec | undefined {
  const v = meta['spec'];
  return v === undefined ? undefined : decodeSavedSpec(v, `${image}: the saved spec`);
}
