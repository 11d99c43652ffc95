// The codec on a small synthetic object model shaped like the kernel's: a directory tree with parent
// pointers (parent taken in create, children in fill), hard links (shared nodes), an abstract Node
// resolved to its concrete class, byte and sparse payloads, #private state and a nosave cache, a host
// stream bound by role, and a constant. Then every error a declaration or an image can cause.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PAGE_SIZE, SparseBytes } from '../base/sparse.js';
import { StateError } from './errors.js';
import {
  bigInt,
  bool,
  bytes,
  constant,
  decodeGraph,
  deserialize,
  encodeGraph,
  external,
  int,
  list,
  loadGraph,
  map,
  oneOf,
  opt,
  optRef,
  ref,
  Registry,
  savable,
  serialize,
  sparseBytes,
  str,
  struct,
  upgrade,
  type ExternalKey,
  type Graph,
} from './index.js';
import { WireRef } from './wire.js';

/** Something that lives outside the pod: never saved, re-bound by role. */
class HostStream {
  readonly written: string[] = [];
  constructor(readonly label: string) {}
}

/** What an open file does; FILE_OPS is a shared table saved by name. */
interface Ops {
  describe(): string;
}
const FILE_OPS: Ops = { describe: () => 'file' };

abstract class Node {
  abstract readonly kind: string;
}

class Dir extends Node {
  readonly kind = 'dir';
  readonly name: string;
  readonly parent: Dir | null;
  readonly children = new Map<string, Node>();
  /** nosave: rebuilt by afterLoad. */
  #depth: number;

  constructor(name: string, parent: Dir | null) {
    super();
    this.name = name;
    this.parent = parent;
    this.#depth = parent === null ? 0 : parent.depth + 1;
  }

  get depth(): number {
    return this.#depth;
  }

  add(name: string, n: Node): this {
    this.children.set(name, n);
    return this;
  }

  static readonly saved = savable(Dir, {
    name: 'test.Dir',
    version: 1,
    fields: { name: str, parent: optRef(Dir), children: map(str, ref(Node)) },
    save: (d) => ({ name: d.name, parent: d.parent, children: d.children }),
    create: (v, r) => new Dir(v.name, v.parent === null ? null : r.ref(v.parent)),
    fill: (d, v) => {
      for (const [name, n] of v.children) d.children.set(name, n);
    },
    afterLoad: (d) => {
      d.#depth = d.parent === null ? 0 : d.parent.#depth + 1;
    },
  });
}

class File extends Node {
  readonly kind = 'file';
  mode: 'r' | 'rw' = 'rw';
  mtimeNs = 0n;
  readonly pages = new SparseBytes();
  #header: Uint8Array;
  readonly ops: Ops = FILE_OPS;

  constructor(header: Uint8Array) {
    super();
    this.#header = header;
  }

  get header(): Uint8Array {
    return this.#header;
  }

  static readonly saved = savable(File, {
    name: 'test.File',
    version: 2,
    fields: { mode: oneOf('r', 'rw'), mtimeNs: bigInt, header: bytes, pages: sparseBytes, ops: ref<Ops>() },
    save: (f) => ({ mode: f.mode, mtimeNs: f.mtimeNs, header: f.#header, pages: f.pages, ops: f.ops }),
    create: (v) => {
      const f = new File(v.header);
      f.mode = v.mode;
      f.mtimeNs = v.mtimeNs;
      for (const [i, p] of v.pages.pages()) f.pages.write(p, i * PAGE_SIZE);
      f.pages.truncate(v.pages.size);
      return f;
    },
    // Version 1 had no pages and a boolean for the mode.
    upgrades: {
      1: upgrade({ writable: bool, mtimeNs: bigInt, header: bytes, ops: ref<Ops>() }, (old) => ({
        mode: old.writable ? ('rw' as const) : ('r' as const),
        mtimeNs: old.mtimeNs,
        header: old.header,
        pages: new SparseBytes(),
        ops: old.ops,
      })),
    },
  });
}

/** A node whose I/O goes to a host stream, saved by role only. */
class Stdio extends Node {
  readonly kind = 'stdio';
  constructor(
    readonly role: string,
    readonly stream: HostStream,
  ) {
    super();
  }

  static readonly saved = savable(Stdio, {
    name: 'test.Stdio',
    version: 1,
    fields: { role: str, stream: external(HostStream) },
    save: (s) => ({ role: s.role, stream: { kind: 'stream', role: s.role } }),
    create: (v) => new Stdio(v.role, v.stream),
  });
}

/** The root, like a Kernel: processes by id, each with an fd table of entries by value. */
class Proc {
  readonly fds = new Map<number, { node: Node; offset: number; preopen?: string }>();
  constructor(
    readonly pid: number,
    public cwd: Dir,
  ) {}

  static readonly saved = savable(Proc, {
    name: 'test.Proc',
    version: 1,
    fields: { pid: int, cwd: ref(Dir), fds: map(int, struct({ node: ref(Node), offset: int, preopen: opt(str) })) },
    save: (p) => ({ pid: p.pid, cwd: p.cwd, fds: p.fds }),
    create: (v) => new Proc(v.pid, undefined as unknown as Dir),
    fill: (p, v) => {
      p.cwd = v.cwd;
      for (const [fd, e] of v.fds) p.fds.set(fd, { node: e.node, offset: e.offset, ...(e.preopen === null ? {} : { preopen: e.preopen }) });
    },
  });
}

class World {
  readonly procs = new Map<number, Proc>();
  root: Dir | null = null;
  /** Which procs a proc waits for: cycles among the procs' owners. */
  readonly edges: Array<[Proc, Proc]> = [];

  static readonly saved = savable(World, {
    name: 'test.World',
    version: 1,
    fields: { root: optRef(Dir), procs: map(int, ref(Proc)), edges: list(list(ref(Proc))) },
    save: (w) => ({ root: w.root, procs: w.procs, edges: w.edges }),
    create: () => new World(),
    fill: (w, v) => {
      w.root = v.root;
      for (const [pid, p] of v.procs) w.procs.set(pid, p);
      for (const [a, b] of v.edges as Array<[Proc, Proc]>) w.edges.push([a, b]);
    },
  });
}

const registry = new Registry([World.saved, Proc.saved, Dir.saved, File.saved, Stdio.saved, constant('test.fileOps', FILE_OPS)]);

function build(): { world: World; stdout: HostStream } {
  const stdout = new HostStream('old stdout');
  const root = new Dir('/', null);
  const etc = new Dir('etc', root);
  const tmp = new Dir('tmp', root);
  const f = new File(new Uint8Array([1, 2, 3]));
  f.mtimeNs = 1_700_000_000_123_456_789n;
  f.pages.write(new Uint8Array([9, 9]), 3 * PAGE_SIZE + 10);
  f.pages.truncate(10 * PAGE_SIZE);
  root.add('etc', etc).add('tmp', tmp).add('dev', new Stdio('app/stdout', stdout));
  etc.add('passwd', f);
  tmp.add('link', f); // a hard link: one node, two names
  const world = new World();
  world.root = root;
  const p1 = new Proc(1, tmp);
  const p2 = new Proc(2, root);
  p1.fds.set(0, { node: root.children.get('dev') as Node, offset: 0 });
  p1.fds.set(3, { node: root, offset: 0, preopen: '/' });
  p1.fds.set(4, { node: f, offset: 7 });
  p2.fds.set(1, { node: f, offset: 2 });
  world.procs.set(1, p1).set(2, p2);
  world.edges.push([p1, p2], [p2, p1]);
  return { world, stdout };
}

function save(root: object, reg = registry): Uint8Array {
  return serialize(encodeGraph(reg, root));
}

test('a graph with sharing, cycles, polymorphic refs, payloads and an external survives save → load → save', () => {
  const { world } = build();
  const first = save(world);
  const newStdout = new HostStream('new stdout');
  const keys: ExternalKey[] = [];
  const loaded = decodeGraph(registry, first, {
    root: World,
    externals: (k) => {
      keys.push(k);
      return k.kind === 'stream' && k['role'] === 'app/stdout' ? newStdout : undefined;
    },
  });
  assert.deepEqual(save(loaded), first);
  assert.deepEqual(keys, [{ kind: 'stream', role: 'app/stdout' }]);

  const root = loaded.root as Dir;
  const etc = root.children.get('etc') as Dir;
  const tmp = root.children.get('tmp') as Dir;
  const f = etc.children.get('passwd') as File;
  assert.ok(f instanceof File && root instanceof Dir);
  assert.equal(tmp.children.get('link'), f, 'a hard link is still one object');
  assert.equal(etc.parent, root);
  assert.equal(tmp.depth, 1, 'afterLoad rebuilt the nosave cache');
  assert.deepEqual([...root.children.keys()], ['etc', 'tmp', 'dev'], 'map order kept');
  assert.deepEqual(f.header, new Uint8Array([1, 2, 3]));
  assert.equal(f.mtimeNs, 1_700_000_000_123_456_789n);
  assert.equal(f.pages.size, 10 * PAGE_SIZE);
  assert.deepEqual([...f.pages.pages()].map(([i]) => i), [3], 'holes stay holes');
  const probe = new Uint8Array(2);
  f.pages.read(probe, 3 * PAGE_SIZE + 10);
  assert.deepEqual(probe, new Uint8Array([9, 9]));
  assert.equal(f.ops, FILE_OPS, 'a constant loads as the same object');
  assert.equal((root.children.get('dev') as Stdio).stream, newStdout, 'the external is re-bound by role');

  const [p1, p2] = [loaded.procs.get(1) as Proc, loaded.procs.get(2) as Proc];
  assert.equal(p1.cwd, tmp);
  assert.equal(p1.fds.get(4)?.node, f);
  assert.equal(p2.fds.get(1)?.node, f);
  assert.equal(p1.fds.get(3)?.preopen, '/');
  assert.equal('preopen' in (p1.fds.get(4) ?? {}), false);
  assert.deepEqual(loaded.edges, [[p1, p2], [p2, p1]]);
});

test('object ids are visit order, shared objects are saved once, blobs are out of line', () => {
  const { world } = build();
  const g = encodeGraph(registry, world);
  assert.deepEqual(g.header, {
    format: 'amber-state',
    version: 1,
    types: { 'test.World': 1, 'test.Dir': 1, 'test.Proc': 1, 'test.File': 2, 'test.Stdio': 1, 'test.fileOps': 1 },
  });
  assert.deepEqual(
    g.objects.map((o) => o.type),
    ['test.World', 'test.Dir', 'test.Proc', 'test.Proc', 'test.Dir', 'test.Dir', 'test.Stdio', 'test.File', 'test.fileOps'],
  );
  assert.deepEqual(g.blobs.map((b) => b.length), [3, PAGE_SIZE], 'the header bytes and one page');
  assert.deepEqual(g.objects[0]?.value, [new WireRef(1), [1, new WireRef(2), 2, new WireRef(3)], [[new WireRef(2), new WireRef(3)], [new WireRef(3), new WireRef(2)]]]);
});

test('blobs can be kept apart from the stream and handed back', () => {
  const { world } = build();
  const g = encodeGraph(registry, world);
  const meta = serialize(g, { inlineBlobs: false });
  const whole = serialize(g);
  assert.equal(whole.length, meta.length + 3 + PAGE_SIZE);
  const back = deserialize(meta, { blobs: g.blobs });
  assert.deepEqual(serialize(back), whole);
  assert.throws(() => deserialize(meta), /pass its 2 blobs/);
  assert.throws(() => deserialize(meta, { blobs: [g.blobs[0] as Uint8Array, new Uint8Array(5)] }), /blob 1 has 5 bytes, the stream says 4096/);
});

test('an object whose class is not registered fails the save, naming the field path that reached it', () => {
  class Unregistered implements Ops {
    describe(): string {
      return 'x';
    }
  }
  const { world } = build();
  const p1 = world.procs.get(1) as Proc;
  const f = p1.fds.get(4)?.node as File;
  (f as { ops: Ops }).ops = new Unregistered();
  assert.throws(() => encodeGraph(registry, world), {
    name: 'StateError',
    message: 'World.procs[1].fds[4].node.ops: Unregistered is not savable',
  });
});

test('the path is the shortest from the root; subclasses, functions and plain objects get a hint', () => {
  class SpecialDir extends Dir {}
  const w = new World();
  w.root = new Dir('/', null);
  w.root.add('x', new SpecialDir('x', w.root));
  assert.throws(() => encodeGraph(registry, w), {
    message: 'World.root.children["x"]: SpecialDir is not savable (its base class is, as test.Dir, but each concrete class declares itself)',
  });
  const p = new Proc(7, new Dir('/', null));
  p.fds.set(0, { node: (() => 1) as unknown as Node, offset: 0 });
  assert.throws(() => encodeGraph(registry, p), /^StateError: Proc\.fds\[0\]\.node: a function \(node\) is not savable: save what it stands for/);
  p.fds.set(0, { node: {} as Node, offset: 0 });
  assert.throws(() => encodeGraph(registry, p), /Proc\.fds\[0\]\.node: a plain object is not savable/);
  assert.throws(() => encodeGraph(registry, new HostStream('x')), { message: 'HostStream: HostStream is not savable' });
});

test('a value that does not match its declared kind fails the save with its path', () => {
  const p = new Proc(1.5, new Dir('/', null));
  assert.throws(() => encodeGraph(registry, p), { message: 'Proc.pid: expected an integer, found number 1.5' });
  const q = new Proc(1, new Dir('/', null));
  q.fds.set(2, { node: q.cwd, offset: -1, preopen: 'a\uD800' });
  assert.throws(() => encodeGraph(registry, q), { message: 'Proc.fds[2].preopen: a string with a lone surrogate cannot be saved as UTF-8' });
  const f = new File(new Uint8Array(0));
  (f as { mode: string }).mode = 'w';
  assert.throws(() => encodeGraph(registry, f), { message: 'File.mode: expected one of r, rw, found string "w"' });
  const bad = savable(HostStream, {
    name: 'test.BadKey',
    version: 1,
    fields: { k: external() },
    save: () => ({ k: { kind: 'x', fd: 1.5 } }),
    create: () => new HostStream(''),
  });
  assert.throws(() => encodeGraph(new Registry([bad]), new HostStream('')), /HostStream\.k: external key field fd: expected a string, integer or boolean/);
});

test('an image with a type this Amber does not know, or a newer version, is refused by name', () => {
  const { world } = build();
  const bytesNow = save(world);
  const withoutStdio = new Registry([World.saved, Proc.saved, Dir.saved, File.saved, constant('test.fileOps', FILE_OPS)]);
  assert.throws(() => decodeGraph(withoutStdio, bytesNow), {
    message: 'the image holds objects of type test.Stdio, which this Amber does not know',
  });
  const newer: Graph = { ...encodeGraph(registry, world) };
  const g2 = { ...newer, header: { ...newer.header, types: { ...newer.header.types, 'test.Dir': 3 } } };
  assert.throws(() => loadGraph(registry, g2), { message: "the image holds test.Dir version 3, newer than this Amber's version 1" });
  const older = { ...newer, header: { ...newer.header, types: { ...newer.header.types, 'test.Dir': 0 } } };
  assert.throws(() => loadGraph(registry, older), /test\.Dir version 0, and this Amber \(version 1\) has no upgrade from it/);
  const newerLayout = { ...newer, header: { ...newer.header, version: 2 } };
  assert.throws(() => serialize(newerLayout) && decodeGraph(registry, serialize(newerLayout)), /layout version 2 is newer than this Amber reads \(1\)/);
});

test('an older version of a type is read through its upgrade', () => {
  // What version 1 of test.File saved: writable, mtimeNs, header, ops.
  const v1 = savable(File, {
    name: 'test.File',
    version: 1,
    fields: { writable: bool, mtimeNs: bigInt, header: bytes, ops: ref<Ops>() },
    save: (f) => ({ writable: f.mode === 'rw', mtimeNs: f.mtimeNs, header: f.header, ops: f.ops }),
    create: () => new File(new Uint8Array(0)),
  });
  const old = new File(new Uint8Array([7]));
  old.mode = 'r';
  old.mtimeNs = 5n;
  const image = save(old, new Registry([v1, constant('test.fileOps', FILE_OPS)]));
  const f = decodeGraph(registry, image, { root: File });
  assert.equal(f.mode, 'r');
  assert.equal(f.mtimeNs, 5n);
  assert.deepEqual(f.header, new Uint8Array([7]));
  assert.equal(f.ops, FILE_OPS);
  assert.equal(encodeGraph(registry, f).header.types['test.File'], 2, 'saved again at the current version');
});

test('truncated, extended, foreign or damaged bytes are refused with a StateError', () => {
  const { world } = build();
  const good = save(world);
  const resolve = (): HostStream => new HostStream('');
  for (let n = 0; n < good.length; n += n < 600 ? 1 : 97) {
    assert.throws(() => decodeGraph(registry, good.subarray(0, n), { externals: resolve }), StateError, `prefix of ${n} bytes`);
  }
  assert.throws(() => decodeGraph(registry, good.subarray(0, 200)), /truncated at byte 200 of 200 \(reading object \d+\)|truncated: /);
  const longer = new Uint8Array(good.length + 1);
  longer.set(good);
  assert.throws(() => decodeGraph(registry, longer), /1 trailing bytes/);
  assert.throws(() => decodeGraph(registry, new TextEncoder().encode('{"json": true}')), /not an amber-state stream/);
  const flipped = good.slice();
  flipped[20] = 0xff;
  assert.throws(() => decodeGraph(registry, flipped, { externals: resolve }), StateError);
});

test('a ref to an object of the wrong class, or an unbound external, is refused on load', () => {
  const { world } = build();
  const g = encodeGraph(registry, world);
  // Point the World's root (a Dir) at a Proc.
  const objects = [...g.objects];
  objects[0] = { type: 'test.World', value: [new WireRef(2), [], []] };
  assert.throws(() => loadGraph(registry, { ...g, objects }), { message: 'amber-state: object test.World#0.root: expected a ref to a Dir, found one to test.Proc#2' });
  assert.throws(() => loadGraph(registry, g), /object test\.Stdio#6\.stream: needs the external \{"kind":"stream","role":"app\/stdout"\}, and no resolver was given/);
  assert.throws(() => loadGraph(registry, g, { externals: () => undefined }), /nothing is bound to the external \{"kind":"stream","role":"app\/stdout"\}/);
  assert.throws(() => loadGraph(registry, g, { externals: () => ({}) }), /is bound to a plain object, not a HostStream/);
});

test('a cycle through create() is reported as a programming error naming the objects', () => {
  class A {
    other: A | null = null;
    static readonly saved = savable(A, {
      name: 'test.A',
      version: 1,
      fields: { other: optRef(A) },
      save: (a) => ({ other: a.other }),
      // Wrong on purpose: `other` can be cyclic, so it belongs in fill().
      create: (v, r) => Object.assign(new A(), { other: v.other === null ? null : r.ref(v.other) }),
    });
  }
  const a = new A();
  const b = new A();
  a.other = b;
  b.other = a;
  const reg = new Registry([A.saved]);
  assert.throws(() => decodeGraph(reg, save(a, reg)), {
    message: 'a cycle through create(): test.A#0 → test.A#1 → test.A#0; take one of these refs in fill() instead (create() may only use refs that cannot be cyclic)',
  });
});

test('declarations and registries refuse what they cannot keep apart', () => {
  assert.throws(() => new Registry([Dir.saved, Dir.saved]), /two savable types are named test\.Dir/);
  assert.throws(() => new Registry([Dir.saved, savable(Dir, { ...specOf(), name: 'test.Dir2' })]), /Dir is declared twice, as test\.Dir and test\.Dir2/);
  assert.throws(() => savable(Dir, { ...specOf(), name: '7up' }), /not dotted identifiers/);
  assert.throws(() => savable(Dir, { ...specOf(), version: 0 }), /version must be a positive integer/);
  assert.throws(() => opt(opt(int)), /opt\(opt/);
  assert.throws(() => struct({ 'a-b': int }), /not a plain identifier/);
  assert.deepEqual(registry.names(), ['test.Dir', 'test.File', 'test.Proc', 'test.Stdio', 'test.World', 'test.fileOps']);
  const more = registry.with([savable(HostStream, { name: 'test.Stream', version: 1, fields: {}, save: () => ({}), create: () => new HostStream('') })]);
  assert.equal(more.names().length, 7);

  function specOf(): Parameters<typeof savable<Dir, { name: typeof str }>>[1] {
    return { name: 'test.Dir', version: 1, fields: { name: str }, save: (d) => ({ name: d.name }), create: (v) => new Dir(v.name, null) };
  }
});

test('errors thrown by a declaration are wrapped with the object they concern', () => {
  class Boom {
    static readonly saved = savable(Boom, {
      name: 'test.Boom',
      version: 1,
      fields: { n: int },
      save: () => ({ n: 1 }),
      create: () => {
        throw new RangeError('no');
      },
    });
  }
  const reg = new Registry([Boom.saved]);
  assert.throws(() => decodeGraph(reg, save(new Boom(), reg)), (e: unknown) => e instanceof StateError && e.message === 'test.Boom#0: create() failed: no' && e.cause instanceof RangeError);
});

test('values are validated on load: kinds, map keys, sparse pages', () => {
  const p = new Proc(3, new Dir('/', null));
  const g = encodeGraph(registry, p);
  const dup = [...g.objects];
  dup[0] = { type: 'test.Proc', value: [3, new WireRef(1), [1, [new WireRef(1), 0, null], 1, [new WireRef(1), 0, null]]] };
  assert.throws(() => loadGraph(registry, { ...g, objects: dup }), /object test\.Proc#0\.fds: a map with the key number 1 twice/);
  const wrong = [...g.objects];
  wrong[0] = { type: 'test.Proc', value: ['3', new WireRef(1), []] };
  assert.throws(() => loadGraph(registry, { ...g, objects: wrong }), { message: 'amber-state: object test.Proc#0.pid: expected an integer, found string "3"' });
});

test('a create-time chain deeper than the stack allows is still loaded; a long cycle through create() is reported', () => {
  // A directory 20,000 deep reached first from its deepest node: each create() takes its parent.
  const root = new Dir('/', null);
  let deepest = root;
  for (let i = 0; i < 20_000; i++) {
    const d = new Dir('d', deepest);
    deepest.add('d', d);
    deepest = d;
  }
  const p = new Proc(1, deepest);
  const loaded = decodeGraph(registry, save(p), { root: Proc });
  assert.equal(loaded.cwd.depth, 20_000);
  let top: Dir = loaded.cwd;
  while (top.parent !== null) top = top.parent;
  assert.equal(top.name, '/');

  class R {
    next: R | null = null;
    static readonly saved = savable(R, {
      name: 'test.R',
      version: 1,
      fields: { next: optRef(R) },
      save: (r) => r,
      create: (v, r) => Object.assign(new R(), { next: v.next === null ? null : r.ref(v.next) }),
    });
  }
  const ring = Array.from({ length: 1000 }, () => new R());
  ring.forEach((r, i) => (r.next = ring[(i + 1) % ring.length] as R));
  const reg = new Registry([R.saved]);
  assert.throws(() => decodeGraph(reg, save(ring[0] as R, reg)), /^StateError: a cycle through create\(\) passing through test\.R#\d+ → test\.R#\d+ .*take one of its refs in fill\(\) instead/);
});
