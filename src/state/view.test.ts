// viewGraph: a saved graph read as records by field name, as crit reads a CRIU image, on a small model
// with every kind of field: nothing is created, filled or bound, and what this Amber cannot read is one
// line naming the object and the field.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SparseBytes } from '../base/sparse.js';
import { StateError } from './errors.js';
import {
  asStruct,
  BlobInfo,
  bigInt,
  bool,
  bytes,
  encodeGraph,
  external,
  ExternalValue,
  GraphReadError,
  int,
  list,
  map,
  ObjectRef,
  oneOf,
  opt,
  optRef,
  ref,
  Registry,
  savable,
  serialize,
  sparseBytes,
  SparseInfo,
  str,
  struct,
  upgrade,
  viewGraph,
  WireRef,
  type Wire,
} from './index.js';

const never = (): never => {
  throw new Error('a view never creates, fills or binds anything');
};

/** Something outside the pod, saved by its key. */
class Host {
  constructor(readonly key: string) {}
}

class Node {
  parent: Node | null = null;
  readonly children: Node[] = [];
  readonly tags = new Map<string, number>();
  data = new Uint8Array(0);
  pages = new SparseBytes();
  host: Host | null = null;
  constructor(readonly name: string) {}

  static readonly saved = savable(Node, {
    name: 'test.Node',
    version: 2,
    fields: {
      name: str,
      parent: optRef(Node),
      children: list(ref(Node)),
      tags: map(str, int),
      meta: struct({ big: bigInt, kind: oneOf('dir', 'reg'), flag: bool, note: opt(str) }),
      data: bytes,
      pages: sparseBytes,
      host: opt(external(Host)),
    },
    save: (n) => ({
      ...n,
      meta: { big: 1n << 40n, kind: n.children.length > 0 ? ('dir' as const) : ('reg' as const), flag: true, note: undefined },
      host: n.host === null ? undefined : { kind: 'hostdir', key: n.host.key },
    }),
    create: never,
    fill: never,
    afterLoad: never,
    // Version 1 was a name alone.
    upgrades: { 1: upgrade({ label: str }, never) },
  });
}

const registry = new Registry([Node.saved]);

function tree(): Node {
  const root = new Node('root');
  const a = new Node('a');
  a.parent = root;
  a.tags.set('x', 1).set('y', 2);
  a.data = new Uint8Array([1, 2, 3]);
  a.pages.write(new Uint8Array([9]), 3 * 4096);
  a.host = new Host('volume:data');
  root.children.push(a);
  return root;
}

test('records by field name: refs as objects of the view, externals as keys, bytes as sizes, nothing created', () => {
  const view = viewGraph(registry, serialize(encodeGraph(registry, tree())));
  assert.equal(view.size, 2);
  const root = view.root;
  assert.equal(root.label, 'test.Node#0');
  assert.equal(root.str('name'), 'root');
  assert.equal(root.optRef('parent'), null);
  const a = view.deref(root.list('children')[0] ?? null, 'root.children[0]');
  assert.equal(a, view.rec(1), 'one Rec per object');
  assert.equal(a.optRef('parent'), root);
  assert.deepEqual([...a.map('tags')], [['x', 1], ['y', 2]]);
  assert.deepEqual(a.get('data'), new BlobInfo(3));
  assert.deepEqual(a.get('pages'), new SparseInfo(3 * 4096 + 1, 1));
  assert.deepEqual(a.get('host'), new ExternalValue({ kind: 'hostdir', key: 'volume:data' }));
  assert.equal(root.get('host'), null);
  const meta = a.struct('meta');
  assert.deepEqual(meta.value, { big: 1n << 40n, kind: 'reg', flag: true, note: null });
  assert.equal(meta.optStr('note'), null);
  assert.ok(root.list('children')[0] instanceof ObjectRef);
});

test('what cannot be read is one line naming the object and the field', () => {
  const view = viewGraph(registry, serialize(encodeGraph(registry, tree())));
  const a = view.rec(1);
  const cases: Array<[() => unknown, string]> = [
    [() => a.int('name'), 'kernel graph: object test.Node#1, field name: expected an integer, found string "a"'],
    [() => a.str('tags'), 'kernel graph: object test.Node#1, field tags: expected a string, found a map'],
    [() => a.bool('parent'), 'kernel graph: object test.Node#1, field parent: expected a boolean, found a reference to object 0'],
    [() => a.get('size'), 'kernel graph: object test.Node#1 has no field size'],
    [() => a.ref('name'), 'kernel graph: test.Node#1.name: expected a reference, found string "a"'],
    [() => a.struct('data'), 'kernel graph: test.Node#1.data: expected a record, found bytes'],
    [() => a.struct('meta').int('kind'), 'kernel graph: test.Node#1.meta.kind: expected an integer, found string "reg"'],
    [() => asStruct([], 'here'), 'kernel graph: here: expected a record, found a list'],
    [() => view.rec(5), 'kernel graph: a reference to object 5 of 2'],
  ];
  for (const [f, message] of cases) {
    assert.throws(f, (e: unknown) => e instanceof GraphReadError && e instanceof StateError && e.message === message, message);
  }
});

test('a type this Amber does not know, or at a version it cannot read, fails only where its fields are read', () => {
  const g = encodeGraph(registry, tree());
  const at = (types: Record<string, number>) => viewGraph(new Registry([]), serialize({ ...g, header: { ...g.header, types } }));
  const unknown = at({ 'test.Node': 2 });
  assert.equal(unknown.root.type, 'test.Node', 'its type is known without its fields');
  assert.throws(() => unknown.root.fields, { message: 'kernel graph: object test.Node#0: type test.Node is not known to this Amber' });
  const withVersion = (v: number) => viewGraph(registry, serialize({ ...g, header: { ...g.header, types: { 'test.Node': v } } }));
  assert.throws(() => withVersion(3).root.fields, { message: 'kernel graph: object test.Node#0: type test.Node version 3 is newer than this Amber reads (2)' });
  assert.throws(() => withVersion(0).root.fields, { message: 'kernel graph: object test.Node#0: type test.Node version 0 is older than this Amber reads (2)' });
});

test('an older version is read with the field names it was saved with (no upgrade runs)', () => {
  const v1 = savable(Node, { name: 'test.Node', version: 1, fields: { label: str }, save: (n) => ({ label: n.name }), create: never });
  const view = viewGraph(registry, serialize(encodeGraph(new Registry([v1]), new Node('old'))));
  assert.deepEqual(view.root.fields, { label: 'old' });
});

test('a record whose values do not match its declaration, or a reference out of the graph', () => {
  const g = encodeGraph(registry, tree());
  const withField = (index: number, w: Wire) => {
    const objects = g.objects.map((o, id) => (id === 1 ? { ...o, value: (o.value as Wire[]).map((x, i) => (i === index ? w : x)) } : o));
    return viewGraph(registry, serialize({ ...g, objects }));
  };
  assert.throws(() => withField(4, [0, 'dir', true, null]).rec(1).fields, { message: 'kernel graph: test.Node#1.meta.big: expected a bigint' });
  assert.throws(() => withField(4, [0n, 'fifo', true, null]).rec(1).fields, { message: 'kernel graph: test.Node#1.meta.kind: expected one of dir, reg' });
  assert.throws(() => withField(3, ['x']).rec(1).fields, { message: 'kernel graph: test.Node#1.tags: expected a map' });
  // A reference out of the graph never gets as far as a view: deserialize refuses it.
  assert.throws(() => withField(1, new WireRef(9)), (e: unknown) => e instanceof StateError && /^amber-state: a reference to object 9 of 2 /.test(e.message));
});
