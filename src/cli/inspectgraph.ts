// A saved kernel graph read as records, for `amber inspect`, the way crit (CRIU's image tool) decodes
// an image's protobufs without restoring anything. The bytes are deserialized (state/wire.ts) and each
// object's record is given its field names from the registry's declarations; no create(), fill() or
// afterLoad() runs, and no external key is bound: a host directory, a stream or a clock stays the key it
// was saved as. So nothing outside the image is opened, and an image whose host directories are gone or
// changed reads as well as any other.
//
// What a field holds, by kind: int → number, bigInt → bigint, str/oneOf → string, bool → boolean,
// list → array, map → Map, opt → null or the value, struct → a plain object, ref → Ref, external →
// External (its key), bytes → BlobInfo, sparseBytes → SparseInfo.
import { AmberError } from '../base/error.js';
import type { KindNode } from '../state/kinds.js';
import { deserialize, WireBlob, WireExternal, WireRef, type Graph, type Registry, type Wire } from '../state/index.js';
import type { StructNode } from '../state/savable.js';

/** Anything wrong with the graph, as one line: which object, which field, what. */
export class GraphReadError extends AmberError {
  constructor(message: string) {
    super(message);
    this.name = 'GraphReadError';
  }
}

/** A reference to another object of the graph. */
export class Ref {
  constructor(readonly id: number) {}
}

/** Something outside the pod, as the key it was saved by ({ kind: 'hostdir', key: 'volume:data' }). */
export class External {
  constructor(readonly key: Readonly<Record<string, string | number | boolean>>) {}
}

/** A bytes field: its length (the bytes stay in the image). */
export class BlobInfo {
  constructor(readonly length: number) {}
}

/** A sparseBytes field: its size and how many pages are present (the rest are holes). */
export class SparseInfo {
  constructor(readonly size: number, readonly pages: number) {}
}

export type Value =
  | null
  | boolean
  | number
  | bigint
  | string
  | Ref
  | External
  | BlobInfo
  | SparseInfo
  | readonly Value[]
  | ReadonlyMap<Value, Value>
  | { readonly [field: string]: Value };

function describeValue(v: Value): string {
  if (v === null) return 'null';
  if (v instanceof Ref) return `a reference to object ${v.id}`;
  if (v instanceof External) return 'an external key';
  if (v instanceof BlobInfo || v instanceof SparseInfo) return 'bytes';
  if (Array.isArray(v)) return 'a list';
  if (v instanceof Map) return 'a map';
  if (typeof v === 'object') return 'a record';
  return `${typeof v} ${typeof v === 'string' ? JSON.stringify(v) : String(v)}`;
}

/** One object of the graph: its type and, when this Amber knows the type, its fields by name. */
export class Rec {
  readonly #graph: GraphView;
  readonly id: number;
  readonly type: string;

  constructor(graph: GraphView, id: number, type: string) {
    this.#graph = graph;
    this.id = id;
    this.type = type;
  }

  get label(): string {
    return `${this.type}#${this.id}`;
  }

  /** The fields; throws (naming the object) when this Amber cannot read the type's records. */
  get fields(): { readonly [field: string]: Value } {
    return this.#graph.fieldsOf(this.id);
  }

  fail(field: string, problem: string): never {
    throw new GraphReadError(`kernel graph: object ${this.label}, field ${field}: ${problem}`);
  }

  get(field: string): Value {
    const f = this.fields;
    if (!Object.hasOwn(f, field)) throw new GraphReadError(`kernel graph: object ${this.label} has no field ${field}`);
    return f[field] as Value;
  }

  int(field: string): number {
    const v = this.get(field);
    return typeof v === 'number' ? v : this.fail(field, `expected an integer, found ${describeValue(v)}`);
  }

  optInt(field: string): number | null {
    const v = this.get(field);
    return v === null ? null : this.int(field);
  }

  str(field: string): string {
    const v = this.get(field);
    return typeof v === 'string' ? v : this.fail(field, `expected a string, found ${describeValue(v)}`);
  }

  bool(field: string): boolean {
    const v = this.get(field);
    return typeof v === 'boolean' ? v : this.fail(field, `expected a boolean, found ${describeValue(v)}`);
  }

  ref(field: string): Rec {
    return this.#graph.deref(this.get(field), `${this.label}.${field}`);
  }

  optRef(field: string): Rec | null {
    const v = this.get(field);
    return v === null ? null : this.#graph.deref(v, `${this.label}.${field}`);
  }

  list(field: string): readonly Value[] {
    const v = this.get(field);
    return Array.isArray(v) ? (v as readonly Value[]) : this.fail(field, `expected a list, found ${describeValue(v)}`);
  }

  map(field: string): ReadonlyMap<Value, Value> {
    const v = this.get(field);
    return v instanceof Map ? v : this.fail(field, `expected a map, found ${describeValue(v)}`);
  }

  /** A struct field (or any plain record value). */
  struct(field: string): Struct {
    return asStruct(this.get(field), `${this.label}.${field}`);
  }
}

/** A struct value with checked accessors, for nested records (an fd-table entry, a saved location). */
export class Struct {
  constructor(readonly value: { readonly [field: string]: Value }, readonly where: string) {}

  get(field: string): Value {
    if (!Object.hasOwn(this.value, field)) throw new GraphReadError(`kernel graph: ${this.where} has no field ${field}`);
    return this.value[field] as Value;
  }

  int(field: string): number {
    const v = this.get(field);
    if (typeof v !== 'number') throw new GraphReadError(`kernel graph: ${this.where}.${field}: expected an integer, found ${describeValue(v)}`);
    return v;
  }

  optStr(field: string): string | null {
    const v = this.get(field);
    if (v !== null && typeof v !== 'string') throw new GraphReadError(`kernel graph: ${this.where}.${field}: expected a string, found ${describeValue(v)}`);
    return v;
  }

  ref(field: string, graph: GraphView): Rec {
    return graph.deref(this.get(field), `${this.where}.${field}`);
  }

  struct(field: string): Struct {
    return asStruct(this.get(field), `${this.where}.${field}`);
  }
}

export function asStruct(v: Value, where: string): Struct {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof Map || v instanceof Ref || v instanceof External || v instanceof BlobInfo || v instanceof SparseInfo) {
    throw new GraphReadError(`kernel graph: ${where}: expected a record, found ${describeValue(v)}`);
  }
  return new Struct(v as { readonly [field: string]: Value }, where);
}

/** How an object's record is laid out in this image: a declaration's fields, or why it cannot be read. */
type Layout = { record: StructNode } | { problem: string };

/** A deserialized graph whose records are named on demand. Object 0 is the root. */
export class GraphView {
  readonly graph: Graph;
  readonly #layouts = new Map<string, Layout>();
  readonly #recs: Rec[];
  readonly #fields = new Map<number, { readonly [field: string]: Value }>();

  constructor(registry: Registry, graph: Graph) {
    this.graph = graph;
    for (const [name, version] of Object.entries(graph.header.types)) this.#layouts.set(name, layoutOf(registry, name, version));
    this.#recs = graph.objects.map((o, id) => new Rec(this, id, o.type));
  }

  get root(): Rec {
    return this.#recs[0] as Rec;
  }

  get size(): number {
    return this.#recs.length;
  }

  rec(id: number): Rec {
    const r = this.#recs[id];
    if (r === undefined) throw new GraphReadError(`kernel graph: a reference to object ${id} of ${this.#recs.length}`);
    return r;
  }

  deref(v: Value, where: string): Rec {
    if (!(v instanceof Ref)) throw new GraphReadError(`kernel graph: ${where}: expected a reference, found ${describeValue(v)}`);
    return this.rec(v.id);
  }

  fieldsOf(id: number): { readonly [field: string]: Value } {
    let f = this.#fields.get(id);
    if (f !== undefined) return f;
    const r = this.rec(id);
    const layout = this.#layouts.get(r.type);
    if (layout === undefined) throw new GraphReadError(`kernel graph: object ${r.label} has a type the header does not list`);
    if ('problem' in layout) throw new GraphReadError(`kernel graph: object ${r.label}: ${layout.problem}`);
    const v = decode(layout.record, (this.graph.objects[id] as { value: Wire }).value, this.graph, r.label);
    f = v as { readonly [field: string]: Value };
    this.#fields.set(id, f);
    return f;
  }
}

function layoutOf(registry: Registry, name: string, version: number): Layout {
  const decl = registry.byName(name);
  if (decl === undefined) return { problem: `type ${name} is not known to this Amber` };
  if (version === decl.version) return { record: decl.record };
  if (version > decl.version) return { problem: `type ${name} version ${version} is newer than this Amber reads (${decl.version})` };
  const up = decl.upgradeFrom(version);
  return up === undefined ? { problem: `type ${name} version ${version} is older than this Amber reads (${decl.version})` } : { record: up.fields };
}

function decode(k: KindNode, w: Wire, graph: Graph, where: string): Value {
  const bad = (what: string): never => {
    throw new GraphReadError(`kernel graph: ${where}: expected ${what}`);
  };
  switch (k.tag) {
    case 'int':
      return typeof w === 'number' ? w : bad('an integer');
    case 'bigint':
      return typeof w === 'bigint' ? w : bad('a bigint');
    case 'str':
      return typeof w === 'string' ? w : bad('a string');
    case 'oneOf':
      return typeof w === 'string' && k.values.includes(w) ? w : bad(`one of ${k.values.join(', ')}`);
    case 'bool':
      return typeof w === 'boolean' ? w : bad('a boolean');
    case 'bytes': {
      if (!(w instanceof WireBlob)) return bad('a blob');
      const b = graph.blobs[w.index];
      return b === undefined ? bad('a blob of the graph') : new BlobInfo(b.length);
    }
    case 'sparse': {
      if (!Array.isArray(w)) return bad('a SparseBytes');
      const [size] = w as readonly Wire[];
      return typeof size === 'number' ? new SparseInfo(size, Math.floor((w.length - 1) / 2)) : bad('a SparseBytes size');
    }
    case 'list':
      return Array.isArray(w) ? (w as readonly Wire[]).map((x, i) => decode(k.of, x, graph, `${where}[${i}]`)) : bad('a list');
    case 'map': {
      if (!Array.isArray(w) || w.length % 2 !== 0) return bad('a map');
      const flat = w as readonly Wire[];
      const out = new Map<Value, Value>();
      for (let i = 0; i < flat.length; i += 2) {
        const key = decode(k.key, flat[i] as Wire, graph, `${where}[key ${i / 2}]`);
        out.set(key, decode(k.value, flat[i + 1] as Wire, graph, `${where}[${typeof key === 'object' ? i / 2 : String(key)}]`));
      }
      return out;
    }
    case 'struct': {
      if (!Array.isArray(w) || w.length !== k.fields.length) return bad(`a record of ${k.fields.length} fields`);
      const items = w as readonly Wire[];
      const out: Record<string, Value> = {};
      k.fields.forEach(([name, f], i) => {
        out[name] = decode(f, items[i] as Wire, graph, `${where}.${name}`);
      });
      return out;
    }
    case 'opt':
      return w === null ? null : decode(k.of, w, graph, where);
    case 'ref':
      return w instanceof WireRef ? new Ref(w.id) : bad('a reference');
    case 'external': {
      if (!(w instanceof WireExternal)) return bad('an external key');
      let key: unknown;
      try {
        key = JSON.parse(w.key);
      } catch {
        return bad('an external key in JSON');
      }
      return typeof key === 'object' && key !== null && !Array.isArray(key) ? new External(key as Record<string, string | number | boolean>) : bad('an external key');
    }
  }
}

/** Deserializes a "kernel" payload (blobs inline, as checkpoint.ts writes it) into a GraphView. */
export function readGraph(registry: Registry, bytes: Uint8Array): GraphView {
  return new GraphView(registry, deserialize(bytes));
}
