// fast-check generators of hostile specs (issue 12): a Kubernetes Pod manifest or an OCI config.json
// that starts valid, then takes a few mutations anywhere in its tree (a wrong type, a NUL, a huge number,
// a path that names a device, a file or nothing, a `__proto__` key, a key removed, nesting thousands of
// levels deep, a YAML alias inside its own anchor) and is written as YAML or JSON, sometimes cut short.
// The generators name host paths only through a HostLayout the caller made (a scratch folder), and
// never generate an absolute path outside it that does not exist already, so a DirectoryOrCreate volume
// can only ever create folders inside the scratch folder.
import fc from 'fast-check';
import { stringify } from 'yaml';

/** Host paths a generated spec may name, all inside the caller's scratch folder but the system ones. */
export interface HostLayout {
  /** An existing directory. */
  dir: string;
  /** A regular file. */
  file: string;
  /** A FIFO nobody writes. */
  fifo: string;
  /** A path where nothing is (inside the scratch folder). */
  missing: string;
  /** A valid guest module. */
  module: string;
}

/** One generated spec: its text and whether it is a manifest (YAML or JSON) or a bundle's config.json. */
export interface GeneratedSpec {
  kind: 'pod' | 'oci';
  text: string;
  /** What was done to the valid start, for a report. */
  mutations: string[];
}

const SELF_ALIAS = '__AMBER_FUZZ_SELF_ALIAS__';
const DEEP = '__AMBER_FUZZ_DEEP__';

/** Values a field may be set to: wrong types, edges of ranges, hostile strings and paths. */
function hostileValue(h: HostLayout): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom<unknown>(
      null, true, false, 0, -1, 1.5, 2 ** 31, 2 ** 32, 2 ** 32 + 1, 2 ** 53, 1e20, -1e20, Number.MAX_VALUE,
      '', '.', '..', '../..', 'a/../../..', '/', '/dev/null', '/dev/zero', '/dev', '/dev/shm', '/proc', '/proc/self', '/proc/1/root',
      'a\0b', '/data\0/x', '\0', '__proto__', 'constructor', 'x'.repeat(5000), `/${'a'.repeat(300)}`, `/${'a/'.repeat(2100)}`,
      '64Mi', '1e20', '1e400', '-1Mi', '1.5Gi', '0', '9Ei', 'Memory', 'Directory', 'DirectoryOrCreate', 'File', 'FileOrCreate', 'Socket',
      'rw', 'ro', 'bind', 'rbind', 'tmpfs', 'size=1e20', 'size=99999999999999999999k', 'mode=7777', 'nosuid', 'user', 'mount',
      h.dir, h.file, h.fifo, h.missing, h.module, `${h.dir}/sub`, `${h.file}/x`, 'm.wasm', '/m.wasm', 'rootfs', 'nosuch.wasm',
      SELF_ALIAS, DEEP,
    ) },
    // Random text never starts with "/": a generated absolute path names only the layout or the system.
    fc.string({ maxLength: 12 }).map((s) => `r${s}`),
    fc.integer(),
    fc.double(),
    fc.array(fc.constantFrom<unknown>('a', 1, null, '/x', 'a\0'), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom('name', 'path', 'value', '__proto__', 'x'), fc.constantFrom<unknown>('a', 1, null, '/x'), { maxKeys: 2 }),
  );
}

type Json = unknown;

/** Every place in v a mutation can land: the path of each mapping entry and list item. */
function places(v: Json, path: Array<string | number> = [], out: Array<Array<string | number>> = []): Array<Array<string | number>> {
  out.push(path);
  if (Array.isArray(v)) v.forEach((x, i) => places(x, [...path, i], out));
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) places(x, [...path, k], out);
  return out;
}

function parentOf(root: Json, path: ReadonlyArray<string | number>): Record<string | number, unknown> | undefined {
  let at: unknown = root;
  for (const k of path.slice(0, -1)) {
    if (at === null || typeof at !== 'object') return undefined;
    at = (at as Record<string | number, unknown>)[k];
  }
  return at !== null && typeof at === 'object' ? (at as Record<string | number, unknown>) : undefined;
}

/** Fields where a spec's meaning lives, hit by half the mutations (the rest land anywhere). */
const POD_FIELDS = [
  'metadata.name', 'spec.hostUsers', 'spec.containers', 'spec.containers.0.name', 'spec.containers.0.image', 'spec.containers.0.args',
  'spec.containers.0.args.0', 'spec.containers.0.env.0.name', 'spec.containers.0.env.0.value', 'spec.containers.0.workingDir',
  'spec.containers.0.volumeMounts.0.name', 'spec.containers.0.volumeMounts.0.mountPath', 'spec.containers.0.volumeMounts.1.subPath',
  'spec.containers.0.volumeMounts.0.readOnly', 'spec.volumes', 'spec.volumes.0.name', 'spec.volumes.0.emptyDir',
  'spec.volumes.0.emptyDir.sizeLimit', 'spec.volumes.0.hostPath.path', 'spec.volumes.0.hostPath.type',
];
const OCI_FIELDS = [
  'ociVersion', 'process.args', 'process.args.0', 'process.env.0', 'process.cwd', 'process.user.uid', 'process.user.gid', 'root.path',
  'root.readonly', 'mounts', 'mounts.0.destination', 'mounts.0.source', 'mounts.0.options.1', 'mounts.1.destination', 'mounts.1.options.1',
  'mounts.1.type', 'linux.namespaces.0.type', 'linux.uidMappings.0.containerID', 'linux.uidMappings.0.hostID', 'linux.uidMappings.0.size',
  'linux.gidMappings.0.size', 'hostname', 'annotations',
];

type Mutation =
  | { op: 'set'; at: number; value: unknown }
  | { op: 'setField'; field: string; value: unknown }
  | { op: 'delete'; at: number }
  | { op: 'addKey'; at: number; key: string; value: unknown };

function mutation(h: HostLayout, fields: readonly string[]): fc.Arbitrary<Mutation> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.record({ op: fc.constant('setField' as const), field: fc.constantFrom(...fields), value: hostileValue(h) }) },
    { weight: 3, arbitrary: fc.record({ op: fc.constant('set' as const), at: fc.nat(), value: hostileValue(h) }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), at: fc.nat() }) },
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constant('addKey' as const),
        at: fc.nat(),
        key: fc.constantFrom('__proto__', 'hostUsers', 'readOnly', 'subPath', 'sizeLimit', 'command', 'x', 'a\0b', 'type', 'options'),
        value: hostileValue(h),
      }),
    },
  );
}

/** doc with m applied (a copy); a description of what was done. */
function apply(doc: Json, m: Mutation): { doc: Json; what: string } {
  const copy = JSON.parse(JSON.stringify(doc)) as Json;
  if (m.op === 'setField') {
    const path = m.field.split('.').map((k) => (/^\d+$/.test(k) ? Number(k) : k));
    const parent = parentOf(copy, path);
    const key = path[path.length - 1];
    if (parent === undefined || key === undefined) return { doc: copy, what: `${m.field}: no such place` };
    parent[key] = m.value;
    return { doc: copy, what: `${m.field} = ${describe(m.value)}` };
  }
  const all = places(copy);
  const path = all[m.at % all.length] ?? [];
  const where = path.join('.') || '(root)';
  const key = path[path.length - 1];
  const parent = parentOf(copy, path);
  switch (m.op) {
    case 'set':
      if (path.length === 0 || parent === undefined || key === undefined) return { doc: m.value, what: `(root) = ${JSON.stringify(m.value)}` };
      parent[key] = m.value;
      return { doc: copy, what: `${where} = ${describe(m.value)}` };
    case 'delete':
      if (parent === undefined || key === undefined) return { doc: copy, what: 'nothing deleted' };
      if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else delete parent[key];
      return { doc: copy, what: `${where} deleted` };
    case 'addKey': {
      const target = path.length === 0 ? copy : parent?.[key ?? ''];
      if (target === null || typeof target !== 'object' || Array.isArray(target)) return { doc: copy, what: 'no key added' };
      // defineProperty: a "__proto__" key must become an own key, as a parser makes it.
      Object.defineProperty(target, m.key, { value: m.value, enumerable: true, writable: true, configurable: true });
      return { doc: copy, what: `${where}.${JSON.stringify(m.key)} = ${describe(m.value)}` };
    }
  }
}

function describe(v: unknown): string {
  const s = typeof v === 'string' ? JSON.stringify(v.length > 24 ? `${v.slice(0, 20)}...(${v.length})` : v) : JSON.stringify(v);
  return s ?? String(v);
}

/** The document as text: YAML or JSON, the markers made into a self alias or deep nesting, maybe cut. */
function write(doc: Json, format: 'yaml' | 'json', depth: number, cut: number | null): string {
  let text = format === 'json' ? JSON.stringify(doc, null, 1) : stringify(doc, { aliasDuplicateObjects: false });
  const quoted = (m: string): RegExp => new RegExp(`"?${m}"?`, 'g');
  text = text.replace(quoted(SELF_ALIAS), format === 'yaml' ? '&self [*self]' : '"self"');
  text = text.replace(quoted(DEEP), '['.repeat(depth) + ']'.repeat(depth));
  return cut === null ? text : text.slice(0, Math.floor((text.length * cut) / 100));
}

/** A valid Pod manifest over the layout: one to three containers, emptyDir and hostPath volumes. */
function validPod(h: HostLayout): fc.Arbitrary<Json> {
  const volume = fc.oneof(
    fc.record({ name: fc.constant('v'), emptyDir: fc.oneof(fc.constant({}), fc.constant({ medium: 'Memory', sizeLimit: '1Mi' })) }),
    fc.record({ name: fc.constant('v'), hostPath: fc.oneof(fc.constant({ path: h.dir }), fc.constant({ path: h.dir, type: 'Directory' })) }),
  );
  const container = (name: string, withVolume: boolean) =>
    fc.record({
      name: fc.constant(name),
      image: fc.constantFrom(h.module, 'm.wasm'),
      args: fc.array(fc.constantFrom('--ticks', '3', 'x y'), { maxLength: 3 }),
      env: fc.array(fc.record({ name: fc.constantFrom('A', 'B_1'), value: fc.constantFrom('1', '', 'a=b') }), { maxLength: 2 }),
      workingDir: fc.constantFrom('/', '/tmp'),
      volumeMounts: withVolume
        ? fc.constant([{ name: 'v', mountPath: '/data', readOnly: false }, { name: 'v', mountPath: '/sub', subPath: 'sub', readOnly: true }])
        : fc.constant([]),
    });
  return fc.record({
    apiVersion: fc.constant('v1'),
    kind: fc.constant('Pod'),
    metadata: fc.record({ name: fc.constantFrom('p', 'fuzz-pod') }),
    spec: fc.record({
      hostUsers: fc.boolean(),
      containers: fc.tuple(container('a', true), fc.option(container('b', false), { nil: undefined })).map(([a, b]) => (b === undefined ? [a] : [a, b])),
      volumes: fc.tuple(volume).map((v) => v),
    }),
  });
}

/** A valid OCI config over a bundle whose rootfs holds m.wasm (and, if the layout made them, dev/ and proc/). */
function validOci(h: HostLayout): fc.Arbitrary<Json> {
  return fc.record({
    ociVersion: fc.constant('1.0.2'),
    process: fc.record({
      args: fc.constant(['/m.wasm', 'x']),
      env: fc.constant(['PATH=/bin', 'A=1']),
      cwd: fc.constantFrom('/', '/tmp'),
      user: fc.constant({ uid: 0, gid: 0 }),
    }),
    root: fc.record({ path: fc.constant('rootfs'), readonly: fc.boolean() }),
    mounts: fc.constant([
      { destination: '/data', type: 'bind', source: h.dir, options: ['rbind', 'ro'] },
      { destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'size=65536k'] },
    ]),
    linux: fc.oneof(
      fc.constant({ namespaces: [{ type: 'mount' }] }),
      fc.constant({
        namespaces: [{ type: 'mount' }, { type: 'user' }],
        uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
        gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
      }),
    ),
  });
}

/** A hostile spec: a valid one of either kind with 0 to 4 mutations, as YAML or JSON, sometimes cut short. */
export function hostileSpec(h: HostLayout): fc.Arbitrary<GeneratedSpec> {
  const kind = fc.constantFrom('pod' as const, 'oci' as const);
  return kind.chain((k) =>
    fc
      .record({
        start: k === 'pod' ? validPod(h) : validOci(h),
        mutations: fc.oneof({ weight: 1, arbitrary: fc.constant([]) }, { weight: 4, arbitrary: fc.array(mutation(h, k === 'pod' ? POD_FIELDS : OCI_FIELDS), { minLength: 1, maxLength: 4 }) }),
        format: k === 'pod' ? fc.constantFrom('yaml' as const, 'json' as const) : fc.constant('json' as const),
        depth: fc.constantFrom(3, 100, 20_000),
        cut: fc.oneof({ weight: 9, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 99 }) }),
      })
      .map(({ start, mutations, format, depth, cut }) => {
        let doc = start;
        const done: string[] = [];
        for (const m of mutations) {
          const r = apply(doc, m);
          doc = r.doc;
          done.push(r.what);
        }
        if (cut !== null) done.push(`cut at ${cut}%`);
        return { kind: k, text: write(doc, format, depth, cut), mutations: done };
      }),
  );
}
