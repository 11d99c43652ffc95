// Property tests (fast-check): random object graphs, with random sharing and cycles, create-time refs,
// every field kind, externals and a constant, survive encode → decode → encode with identical bytes and
// an isomorphic structure; random wire values round-trip; damaged bytes only ever give a StateError.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
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
  map,
  oneOf,
  optRef,
  opt,
  ref,
  Registry,
  savable,
  serialize,
  sparseBytes,
  str,
  type ExternalKey,
  type Graph,
  type Wire,
} from './index.js';
import { WireBlob, WireExternal, WireRef } from './wire.js';

abstract class GNode {}

/** Outside the pod: bound by name on load. */
class HostThing {
  constructor(readonly name: string) {}
}

class Branch extends GNode {
  kids: GNode[] = [];
  named = new Map<string, GNode>();
  maybe: GNode | null = null;
  constructor(
    readonly label: string,
    readonly n: number,
    readonly big: bigint,
    readonly tag: 'a' | 'b' | 'c',
    /** Taken in create(): the generator only points it at earlier branches, so it is never cyclic. */
    readonly up: Branch | null,
  ) {
    super();
  }

  static readonly saved = savable(Branch, {
    name: 'prop.Branch',
    version: 1,
    fields: {
      label: str,
      n: int,
      big: bigInt,
      tag: oneOf('a', 'b', 'c'),
      up: optRef(Branch),
      kids: list(ref(GNode)),
      named: map(str, ref(GNode)),
      maybe: optRef(GNode),
    },
    save: (b) => b,
    create: (v, r) => new Branch(v.label, v.n, v.big, v.tag, v.up === null ? null : r.ref(v.up)),
    fill: (b, v) => {
      b.kids = v.kids;
      b.named = v.named;
      b.maybe = v.maybe;
    },
  });
}

class Leaf extends GNode {
  constructor(
    readonly data: Uint8Array,
    readonly flag: boolean,
    readonly host: HostThing | null,
  ) {
    super();
  }

  static readonly saved = savable(Leaf, {
    name: 'prop.Leaf',
    version: 1,
    fields: { data: bytes, flag: bool, host: opt(external(HostThing)) },
    save: (l) => ({ data: l.data, flag: l.flag, host: l.host === null ? null : { kind: 'thing', name: l.host.name } }),
    create: (v) => new Leaf(v.data, v.flag, v.host),
  });
}

class Pages extends GNode {
  constructor(readonly pages: SparseBytes) {
    super();
  }

  static readonly saved = savable(Pages, {
    name: 'prop.Pages',
    version: 1,
    fields: { pages: sparseBytes },
    save: (p) => p,
    create: (v) => new Pages(v.pages),
  });
}

class Sentinel extends GNode {}
const SENTINEL = new Sentinel();

const registry = new Registry([Branch.saved, Leaf.saved, Pages.saved, constant('prop.sentinel', SENTINEL)]);

const nodeSpec = fc.record({
  kind: fc.constantFrom('branch', 'branch', 'leaf', 'pages', 'sentinel'),
  label: fc.string({ unit: 'grapheme', maxLength: 6 }),
  n: fc.maxSafeInteger(),
  big: fc.bigInt(),
  tag: fc.constantFrom('a' as const, 'b' as const, 'c' as const),
  up: fc.option(fc.nat()),
  kids: fc.array(fc.nat(), { maxLength: 4 }),
  named: fc.array(fc.tuple(fc.string({ maxLength: 3 }), fc.nat()), { maxLength: 3 }),
  maybe: fc.option(fc.nat()),
  data: fc.uint8Array({ maxLength: 24 }),
  flag: fc.boolean(),
  host: fc.option(fc.constantFrom('alpha', 'beta')),
  pages: fc.array(fc.tuple(fc.nat({ max: 12 }), fc.nat({ max: PAGE_SIZE - 1 }), fc.uint8Array({ minLength: 1, maxLength: 8 })), { maxLength: 3 }),
  size: fc.nat({ max: 16 * PAGE_SIZE }),
});

type NodeSpec = typeof nodeSpec extends fc.Arbitrary<infer T> ? T : never;

/** Builds the objects; node 0 is the root. Refs point anywhere (sharing, cycles), `up` only backwards. */
function build(specs: NodeSpec[]): GNode {
  const hosts = new Map<string, HostThing>();
  const nodes: GNode[] = [];
  for (const [i, s] of specs.entries()) {
    if (s.kind === 'branch') {
      const up = s.up === null || i === 0 ? null : nodes[s.up % i];
      nodes.push(new Branch(s.label, s.n, s.big, s.tag, up instanceof Branch ? up : null));
    } else if (s.kind === 'leaf') {
      const host = s.host === null ? null : (hosts.get(s.host) ?? new HostThing(s.host));
      if (host !== null) hosts.set(host.name, host);
      nodes.push(new Leaf(s.data, s.flag, host));
    } else if (s.kind === 'pages') {
      const p = new SparseBytes();
      for (const [index, at, b] of s.pages) p.write(b, index * PAGE_SIZE + at);
      p.truncate(s.size);
      nodes.push(new Pages(p));
    } else {
      nodes.push(SENTINEL);
    }
  }
  const at = (k: number): GNode => nodes[k % nodes.length] as GNode;
  for (const [i, s] of specs.entries()) {
    const b = nodes[i];
    if (!(b instanceof Branch)) continue;
    b.kids = s.kids.map(at);
    for (const [name, k] of s.named) b.named.set(name, at(k));
    b.maybe = s.maybe === null ? null : at(s.maybe);
  }
  return nodes[0] as GNode;
}

/** Asserts a and b are the same graph: a bijection between their objects preserving every field. */
function assertIsomorphic(a: GNode, b: GNode): void {
  const fwd = new Map<object, object>();
  const back = new Map<object, object>();
  const work: Array<[GNode, GNode]> = [[a, b]];
  const pair = (x: GNode | null, y: GNode | null): void => {
    if (x === null || y === null) return assert.equal(x, y);
    const known = fwd.get(x);
    if (known !== undefined) return assert.equal(known, y, 'sharing and cycles kept');
    assert.equal(back.get(y), undefined, 'two objects were merged');
    fwd.set(x, y);
    back.set(y, x);
    work.push([x, y]);
  };
  fwd.set(a, b);
  back.set(b, a);
  while (work.length > 0) {
    const [x, y] = work.pop() as [GNode, GNode];
    assert.equal(Object.getPrototypeOf(y), Object.getPrototypeOf(x));
    if (x instanceof Sentinel) assert.equal(y, x, 'a constant is the same object');
    else if (x instanceof Leaf && y instanceof Leaf) {
      assert.deepEqual(y.data, x.data);
      assert.notEqual(y.data, x.data);
      assert.equal(y.flag, x.flag);
      assert.equal(y.host?.name, x.host?.name);
    } else if (x instanceof Pages && y instanceof Pages) {
      assert.equal(y.pages.size, x.pages.size);
      assert.deepEqual([...y.pages.pages()], [...x.pages.pages()]);
    } else if (x instanceof Branch && y instanceof Branch) {
      assert.deepEqual([y.label, y.n, y.big, y.tag], [x.label, x.n, x.big, x.tag]);
      pair(x.up, y.up);
      pair(x.maybe, y.maybe);
      assert.equal(y.kids.length, x.kids.length);
      x.kids.forEach((k, i) => pair(k, y.kids[i] as GNode));
      assert.deepEqual([...y.named.keys()], [...x.named.keys()]);
      for (const [name, k] of x.named) pair(k, y.named.get(name) as GNode);
    }
  }
}

test('random object graphs survive encode → decode → encode with identical bytes and isomorphic structure', () => {
  fc.assert(
    fc.property(fc.array(nodeSpec, { minLength: 1, maxLength: 25 }), (specs) => {
      const root = build(specs);
      const first = serialize(encodeGraph(registry, root));
      const bound = new Map<string, HostThing>();
      const externals = (k: ExternalKey): HostThing => {
        const name = String(k['name']);
        let t = bound.get(name);
        if (t === undefined) bound.set(name, (t = new HostThing(name)));
        return t;
      };
      const loaded = decodeGraph(registry, first, { externals, root: GNode });
      assert.deepEqual(serialize(encodeGraph(registry, loaded)), first);
      assertIsomorphic(root, loaded);
    }),
    { numRuns: 300 },
  );
});

const wire: fc.Arbitrary<Wire> = fc.letrec<{ w: Wire }>((tie) => ({
  w: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.maxSafeInteger(),
    fc.bigInt(),
    fc.string({ unit: 'grapheme' }),
    fc.nat({ max: 3 }).map((i) => new WireRef(i)),
    fc.nat({ max: 1 }).map((i) => new WireBlob(i)),
    fc.string().map((k) => new WireExternal(k)),
    fc.array(tie('w'), { maxLength: 4 }),
  ),
})).w;

test('any graph of wire values serializes to bytes that deserialize to the same graph', () => {
  fc.assert(
    fc.property(fc.array(wire, { minLength: 4, maxLength: 4 }), fc.array(fc.uint8Array({ maxLength: 9 }), { minLength: 2, maxLength: 2 }), (values, blobs) => {
      const g: Graph = {
        header: { format: 'amber-state', version: 1, types: { 'x.A': 1, 'x.B': 7 } },
        objects: values.map((value, i) => ({ type: i % 2 === 0 ? 'x.A' : 'x.B', value })),
        blobs,
      };
      const b = serialize(g);
      const back = deserialize(b);
      assert.deepEqual(back, { ...g, objects: g.objects.map((o) => ({ ...o, value: normalize(o.value) })) });
      assert.deepEqual(serialize(back), b);
    }),
    { numRuns: 300 },
  );
});

test('bigints about 2^53 and past it (where the writer takes 49 bits at a time) round-trip, in as many bytes as 7 bits a byte takes', () => {
  const max = BigInt(Number.MAX_SAFE_INTEGER);
  const values: bigint[] = [0n, 127n, 128n, 1n << 52n, max - 1n, max, max + 1n, 1n << 56n, 1_796_659_433_600_204_095n, (1n << 64n) - 1n, 1n << 70n, (1n << 102n) + 5n, (1n << 150n) - 1n];
  const g: Graph = {
    header: { format: 'amber-state', version: 1, types: { 'x.A': 1 } },
    objects: [{ type: 'x.A', value: [...values, ...values.map((v) => -v - 1n)] }],
    blobs: [],
  };
  assert.deepEqual(deserialize(serialize(g)), g);
  const one = (value: Wire): number => serialize({ ...g, objects: [{ type: 'x.A', value }] }).length;
  for (const v of [0n, 127n, 128n, 1n << 52n, max]) assert.equal(one(v), one(Number(v)), `${v}: as many bytes as a number`);
  // Past it, each 7 bits more one byte more: 2^53 (54 bits) takes 8 value bytes, as 2^53 - 1 does; 2^56 takes 9.
  assert.equal(one(max + 1n), one(max));
  assert.equal(one(1n << 56n), one(max) + 1);
  assert.equal(one((1n << 150n) - 1n), one(max) + 22 - 8);
});

/** -0 is written as 0. */
function normalize(w: Wire): Wire {
  if (Object.is(w, -0)) return 0;
  return Array.isArray(w) ? (w as readonly Wire[]).map(normalize) : w;
}

test('damaged bytes give a StateError or a graph, never another exception', () => {
  fc.assert(
    fc.property(
      fc.array(nodeSpec, { minLength: 1, maxLength: 8 }),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 }),
      fc.nat(),
      (specs, flips, cut) => {
        const good = serialize(encodeGraph(registry, build(specs)));
        const bad = good.slice(0, good.length - (cut % 3 === 0 ? cut % good.length : 0));
        for (const [at, b] of flips) bad[at % bad.length] = b;
        try {
          decodeGraph(registry, bad, { externals: (k) => new HostThing(String(k['name'])) });
        } catch (e) {
          if (!(e instanceof StateError)) throw e;
        }
      },
    ),
    { numRuns: 500 },
  );
});
