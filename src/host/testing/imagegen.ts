// fast-check generators of images that lie (issue 12): edits to a real checkpoint image made as an
// attacker who knows the format would make them (forge.ts recomputes every digest), so only the decoders
// stand in the way: a field of the programs payload, the saved spec or the checkpoint config set to a
// wrong type or an out-of-range value or a dangling name; layers renamed, resized, dropped or repeated;
// bytes of the kernel graph, a stack, a memory or a module flipped, cut or extended; and files of the
// image that are not regular files (a FIFO, a directory, a symlink to /dev/zero or out of the image).
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { Forgery } from './forge.js';

/** What the base image holds that the edits name (its payload names, by kind). */
export interface BaseImage {
  payloads: readonly string[];
}

type Path = ReadonlyArray<string | number>;

export type ImageEdit =
  | { on: 'programs' | 'spec' | 'checkpoint'; path: Path; value: unknown }
  | { on: 'layer'; index: number; field: 'mediaType' | 'size' | 'name' | 'part'; value: unknown }
  | { on: 'layers'; op: 'drop' | 'repeat' | 'swap'; index: number }
  | { on: 'bytes'; payload: string; op: 'flip' | 'truncate' | 'extend' | 'zero'; at: number; n: number }
  | { on: 'file'; target: 'index.json' | 'oci-layout' | 'blob'; kind: 'fifo' | 'dir' | 'devzero' | 'outside' | 'missing' };

export interface GeneratedImage {
  edits: ImageEdit[];
}

const PROGRAM_FIELDS: Path[] = [
  ['version'], ['monotonicNs'], ['programs'], ['programs', 0], ['programs', 0, 'container'], ['programs', 0, 'moduleHash'],
  ['programs', 0, 'state'], ['programs', 0, 'pending'], ['programs', 0, 'pending', 'module'], ['programs', 0, 'pending', 'name'],
  ['programs', 0, 'pending', 'args'], ['programs', 0, 'pending', 'args', 0], ['programs', 0, 'pending', 'args', 3],
  ['programs', 0, 'pending', 'cause'], ['programs', 0, 'pending', 'result'], ['programs', 0, 'globals'],
  ['programs', 0, 'globals', 'amber_global_0'], ['programs', 0, 'globals', 'amber_fuel'], ['programs', 0, 'globals', 'extra'],
  ['programs', 0, 'wait'], ['programs', 0, 'wait', 'untilNs'], ['programs', 0, 'wait', 'polling'], ['programs', 0, 'wait', 'bases'],
  ['programs', 0, 'wait', 'bases', 0, 0], ['programs', 0, 'wait', 'bases', 0, 1], ['programs', 0, 'memory'], ['programs', 0, 'stack'],
  ['programs', 1, 'state'], ['programs', 1, 'exit'], ['programs', 1, 'exit', 'code'], ['programs', 1, 'exit', 'kind'], ['programs', 1, 'container'],
];

const SPEC_FIELDS: Path[] = [
  [], ['name'], ['format'], ['userns'], ['file'], ['idMappings'], ['volumes'], ['volumes', 0, 'kind'], ['volumes', 0, 'name'],
  ['volumes', 0, 'sizeBytes'], ['volumes', 1, 'hostPath'], ['volumes', 1, 'kind'], ['volumes', 1, 'name'], ['containers'],
  ['containers', 0, 'name'], ['containers', 0, 'argv'], ['containers', 0, 'argv', 0], ['containers', 0, 'env'], ['containers', 0, 'cwd'],
  ['containers', 0, 'module'], ['containers', 0, 'user'], ['containers', 0, 'mounts'], ['containers', 0, 'mounts', 1, 'source'],
  ['containers', 0, 'mounts', 1, 'source', 'kind'], ['containers', 0, 'mounts', 1, 'source', 'name'], ['containers', 0, 'mounts', 1, 'flags'],
  ['containers', 0, 'mounts', 2, 'destination'], ['containers', 1, 'name'], ['containers', 1, 'rootfs'],
];

/** Values of the right type but the wrong meaning, by field: what a type check alone lets through. */
function plausible(base: BaseImage): Record<string, unknown[]> {
  const bigs = [{ n: '0' }, { n: '-1' }, { n: '18446744073709551616' }];
  return {
    'programs.0.container': ['once', 'zzz', ''],
    'programs.1.container': ['ticker', 'zzz'],
    'programs.0.moduleHash': ['0'.repeat(64), 'f'.repeat(64)],
    'programs.0.state': ['ready', 'exited'],
    'programs.1.state': ['ready', 'suspended'],
    'programs.0.pending.module': ['amber', 'wasi_snapshot_preview1'],
    'programs.0.pending.name': ['fd_write', 'fd_read', 'proc_exit', 'preempt', 'sched_yield', 'clock_time_get', 'mount'],
    'programs.0.pending.args': [[], [1, 2, 3], [1, 2, 3, 4, 5], [{ n: '1' }, 2, 3, 4]],
    'programs.0.pending.args.0': [0, -1, 2 ** 32, 1.5, { n: '5' }],
    'programs.0.pending.args.3': [0, 2 ** 31, { n: '5' }],
    'programs.0.pending.cause': ['preempted', 'stopped'],
    'programs.0.pending.result': [0, 28, { n: '1' }, 2 ** 40],
    'programs.0.globals': [{}, { amber_global_0: 1 }, { amber_global_0: 1, amber_fuel: 1, extra: 1 }],
    'programs.0.globals.amber_global_0': [0, -1, 2 ** 32, 1.5, ...bigs],
    'programs.0.globals.amber_fuel': [0, -1, { n: '1' }],
    'programs.0.wait': [null, { untilNs: null, polling: true, bases: [] }],
    'programs.0.wait.untilNs': ['0', '-1', '99999999999999999999999999', null],
    'programs.0.wait.bases': [[], [[0, '0']], [[5, '1'], [5, '2']], [[-1, '1']], [[2 ** 40, '1']]],
    'programs.0.memory': base.payloads.filter((n) => !n.startsWith('memory/')),
    'programs.0.stack': base.payloads.filter((n) => !n.startsWith('stack/')),
    'programs.1.exit': [{ kind: 'exit', code: -1 }, { kind: 'exit', code: 256 }, { kind: 'trap', message: '' }],
    'monotonicNs': ['0', '-5', '99999999999999999999999999'],
    'version': [0, 2, 1.5],
    'spec.name': ['', 'other'],
    'spec.userns': [true],
    'spec.volumes': [[]],
    'spec.volumes.1.hostPath': ['/', '/etc', '/nonexistent'],
    'spec.volumes.1.name': ['data', 'other'],
    'spec.volumes.0.name': ['host'],
    'spec.containers': [[]],
    'spec.containers.0.name': ['once', 'other'],
    'spec.containers.1.name': ['ticker'],
    'spec.containers.0.argv': [[], ['a\0']],
    'spec.containers.0.cwd': ['/nonexistent', '/dev/null'],
    'spec.containers.0.mounts.1.source': [{ kind: 'volume', name: 'nosuch' }, { kind: 'bind', hostPath: '/etc', recursive: true }, { kind: 'shm' }],
    'spec.containers.0.mounts.1.flags': [1, 2 ** 31, 0xffffffff],
    'spec.containers.0.mounts.2.destination': ['/', '/dev/null', '/proc/x'],
    'spec.containers.1.rootfs': [{ hostPath: '/', readOnly: false, field: 'root.path' }],
  };
}

/** A value for the field at path: mostly hostile, half the time (where there are some) plausible. */
function valueFor(base: BaseImage, on: 'programs' | 'spec', path: Path): fc.Arbitrary<unknown> {
  const table = plausible(base)[`${on === 'spec' ? 'spec.' : ''}${path.join('.')}`];
  if (table === undefined || table.length === 0) return hostile(base);
  return fc.oneof(hostile(base), fc.constantFrom(...table));
}

const CHECKPOINT_FIELDS: Path[] = [['format'], ['version'], ['podId'], ['created'], ['meta'], ['meta', 'spec']];

function hostile(base: BaseImage): fc.Arbitrary<unknown> {
  return fc.oneof(
    {
      weight: 6,
      arbitrary: fc.constantFrom<unknown>(
        null, true, 0, -1, 1, 0.5, 2 ** 31, 2 ** 32, 2 ** 53, 1e300, -1e300, '', 'x', 'a\0b', '/', 'rel/path', '/dev/zero',
        { n: '0' }, { n: '-1' }, { n: '99999999999999999999999999' }, { n: 'x' }, [], [1, 2], {}, { kind: 'exit', code: 0 }, { kind: 'trap', message: 'x' },
        'ready', 'suspended', 'exited', 'blocked', 'preempted', 'stopped', 'wasi_snapshot_preview1', 'amber', 'env',
        'poll_oneoff', 'fd_write', 'proc_exit', 'preempt', 'nosuch', 'kernel', 'programs', 'emptyDir', 'hostPath', 'volume', 'bind', 'tmpfs', 'shm',
        ...base.payloads,
      ),
    },
    { weight: 1, arbitrary: fc.integer() },
    { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
  );
}

function edit(base: BaseImage): fc.Arbitrary<ImageEdit> {
  const payload = fc.constantFrom(...base.payloads);
  return fc.oneof(
    {
      weight: 6,
      arbitrary: fc.constantFrom(...PROGRAM_FIELDS).chain((path) => fc.record({ on: fc.constant('programs' as const), path: fc.constant(path), value: valueFor(base, 'programs', path) })),
    },
    {
      weight: 4,
      arbitrary: fc.constantFrom(...SPEC_FIELDS).chain((path) => fc.record({ on: fc.constant('spec' as const), path: fc.constant(path), value: valueFor(base, 'spec', path) })),
    },
    { weight: 1, arbitrary: fc.record({ on: fc.constant('checkpoint' as const), path: fc.constantFrom(...CHECKPOINT_FIELDS), value: hostile(base) }) },
    {
      weight: 2,
      arbitrary: fc.record({
        on: fc.constant('layer' as const),
        index: fc.nat({ max: 15 }),
        field: fc.constantFrom('mediaType' as const, 'size' as const, 'name' as const, 'part' as const),
        value: hostile(base),
      }),
    },
    { weight: 1, arbitrary: fc.record({ on: fc.constant('layers' as const), op: fc.constantFrom('drop' as const, 'repeat' as const, 'swap' as const), index: fc.nat({ max: 15 }) }) },
    {
      weight: 4,
      arbitrary: fc.record({
        on: fc.constant('bytes' as const),
        payload,
        op: fc.constantFrom('flip' as const, 'truncate' as const, 'extend' as const, 'zero' as const),
        at: fc.nat(),
        n: fc.integer({ min: 1, max: 64 }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        on: fc.constant('file' as const),
        target: fc.constantFrom('index.json' as const, 'oci-layout' as const, 'blob' as const),
        kind: fc.constantFrom('fifo' as const, 'dir' as const, 'devzero' as const, 'outside' as const, 'missing' as const),
      }),
    },
  );
}

/** One to three edits of the base image. */
export function lyingImage(base: BaseImage): fc.Arbitrary<GeneratedImage> {
  return fc.record({ edits: fc.array(edit(base), { minLength: 1, maxLength: 3 }) });
}

function setAt(root: unknown, path: Path, value: unknown): boolean {
  if (path.length === 0) return false;
  let at: unknown = root;
  for (const k of path.slice(0, -1)) {
    if (at === null || typeof at !== 'object') return false;
    at = (at as Record<string | number, unknown>)[k];
  }
  if (at === null || typeof at !== 'object') return false;
  (at as Record<string | number, unknown>)[path[path.length - 1] as string | number] = value;
  return true;
}

export function describeEdit(e: ImageEdit): string {
  const v = (x: unknown): string => (typeof x === 'string' && x.length > 30 ? JSON.stringify(`${x.slice(0, 27)}...`) : JSON.stringify(x) ?? String(x));
  switch (e.on) {
    case 'programs':
    case 'spec':
    case 'checkpoint':
      return `${e.on}.${e.path.join('.')} = ${v(e.value)}`;
    case 'layer':
      return `layer ${e.index}.${e.field} = ${v(e.value)}`;
    case 'layers':
      return `layers: ${e.op} ${e.index}`;
    case 'bytes':
      return `${e.payload}: ${e.op} ${e.n} at ${e.at}`;
    case 'file':
      return `${e.target} made ${e.kind}`;
  }
}

function editBytes(b: Uint8Array, e: Extract<ImageEdit, { on: 'bytes' }>): Uint8Array {
  const at = b.length === 0 ? 0 : e.at % b.length;
  switch (e.op) {
    case 'flip': {
      const out = b.slice();
      for (let i = 0; i < e.n && out.length > 0; i++) {
        const j = (at + i * 131) % out.length;
        out[j] = (out[j] ?? 0) ^ (1 << (i % 8));
      }
      return out;
    }
    case 'truncate':
      return b.slice(0, at);
    case 'extend':
      return Buffer.concat([b, new Uint8Array(e.n * 977).fill(e.n)]);
    case 'zero': {
      const out = b.slice();
      out.fill(0, at, Math.min(out.length, at + e.n * 64));
      return out;
    }
  }
}

/** Makes path something other than a regular file. */
function replaceFile(dir: string, path: string, kind: Extract<ImageEdit, { on: 'file' }>['kind']): void {
  // recursive: an earlier edit of the same file may have made it a directory.
  rmSync(path, { force: true, recursive: true });
  switch (kind) {
    case 'fifo':
      execFileSync('mkfifo', [path]);
      break;
    case 'dir':
      mkdirSync(path);
      break;
    case 'devzero':
      symlinkSync('/dev/zero', path);
      break;
    case 'outside': {
      const outside = join(dir, '..', 'outside-the-image');
      writeFileSync(outside, '{"schemaVersion": 2}\n');
      symlinkSync(outside, path);
      break;
    }
    case 'missing':
      break;
  }
}

/** Applies g to the image at dir (a copy: it is changed in place). */
export function applyEdits(dir: string, g: GeneratedImage): void {
  const f = new Forgery(dir);
  const files: Array<Extract<ImageEdit, { on: 'file' }>> = [];
  // Payload edits first: once layers are dropped or repeated, a payload's parts no longer read back.
  const structural = (e: ImageEdit): boolean => e.on === 'layer' || e.on === 'layers';
  for (const e of [...g.edits.filter((x) => !structural(x)), ...g.edits.filter(structural)]) {
    switch (e.on) {
      case 'programs': {
        let p: unknown;
        try {
          p = JSON.parse(new TextDecoder().decode(f.payload('programs')));
        } catch {
          break; // its bytes were edited first: nothing to set a field of
        }
        if (setAt(p, e.path, e.value)) f.setPayload('programs', new TextEncoder().encode(JSON.stringify(p)));
        break;
      }
      case 'spec': {
        const meta = f.checkpoint['meta'] as Record<string, unknown> | undefined;
        if (meta === undefined || meta === null || typeof meta !== 'object') break;
        if (e.path.length === 0) meta['spec'] = e.value;
        else setAt(meta['spec'], e.path, e.value);
        break;
      }
      case 'checkpoint':
        setAt(f.checkpoint, e.path, e.value);
        break;
      case 'layer': {
        const l = f.manifest.layers[e.index % Math.max(1, f.manifest.layers.length)];
        if (l === undefined) break;
        const notes = (l.annotations ??= {});
        if (e.field === 'mediaType' || e.field === 'size') (l as Record<string, unknown>)[e.field] = e.value;
        else (notes as Record<string, unknown>)[e.field === 'name' ? 'org.amber.name' : 'org.amber.part'] = e.value;
        break;
      }
      case 'layers': {
        const ls = f.manifest.layers;
        const i = e.index % Math.max(1, ls.length);
        const l = ls[i];
        if (l === undefined) break;
        if (e.op === 'drop') ls.splice(i, 1);
        else if (e.op === 'repeat') ls.splice(i, 0, { ...l });
        else if (ls.length > 1) ls.splice(i, 1, ...ls.splice((i + 1) % ls.length, 1, l));
        break;
      }
      case 'bytes':
        if (f.names().includes(e.payload)) f.setPayload(e.payload, editBytes(f.payload(e.payload), e));
        break;
      case 'file':
        files.push(e);
        break;
    }
  }
  f.write();
  for (const e of files) {
    const target = e.target === 'blob' ? join(dir, 'blobs', 'sha256', f.manifest.layers[0]?.digest.slice('sha256:'.length) ?? 'x') : join(dir, e.target);
    replaceFile(dir, target, e.kind);
  }
}
