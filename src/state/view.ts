// A saved graph read as records, the way crit (CRIU's image tool) decodes an image's protobufs without
// restoring anything: the bytes are deserialized (wire.ts) and each object's record is given its field
// names from the registry's declarations (viewvalue.ts). No create(), fill() or afterLoad() runs and no
// external is bound: a host directory, a stream or a clock stays the key it was saved as. So nothing
// outside the image is opened, and an image whose host directories are gone reads as well as any other.
import { describeValue, decodeValue, GraphReadError, isRecordValue, layoutOf, ObjectRef, type Layout, type RecordValue, type Value } from './viewvalue.js';
import type { Registry } from './savable.js';
import { deserialize, type Graph, type Wire } from './wire.js';

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

  /** "vfs.Mount#3", for messages. */
  get label(): string {
    return `${this.type}#${this.id}`;
  }

  /** The fields; throws (naming the object) when this Amber cannot read the type's records. */
  get fields(): RecordValue {
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
  constructor(readonly value: RecordValue, readonly where: string) {}

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

/** v as a Struct; `where` names it in the error when it is not a record. */
export function asStruct(v: Value, where: string): Struct {
  if (!isRecordValue(v)) throw new GraphReadError(`kernel graph: ${where}: expected a record, found ${describeValue(v)}`);
  return new Struct(v, where);
}

/** A deserialized graph whose records are named on demand. Object 0 is the root; one Rec per object. */
export class GraphView {
  readonly graph: Graph;
  readonly #layouts = new Map<string, Layout>();
  readonly #recs: Rec[];
  readonly #fields = new Map<number, RecordValue>();

  constructor(registry: Registry, graph: Graph) {
    this.graph = graph;
    for (const [name, version] of Object.entries(graph.header.types)) this.#layouts.set(name, layoutOf(registry, name, version));
    this.#recs = graph.objects.map((o, id) => new Rec(this, id, o.type));
  }

  get root(): Rec {
    return this.#recs[0] as Rec;
  }

  /** How many objects the graph has. */
  get size(): number {
    return this.#recs.length;
  }

  rec(id: number): Rec {
    const r = this.#recs[id];
    if (r === undefined) throw new GraphReadError(`kernel graph: a reference to object ${id} of ${this.#recs.length}`);
    return r;
  }

  /** The object v refers to; `where` names v in the error when it is not a reference. */
  deref(v: Value, where: string): Rec {
    if (!(v instanceof ObjectRef)) throw new GraphReadError(`kernel graph: ${where}: expected a reference, found ${describeValue(v)}`);
    return this.rec(v.id);
  }

  fieldsOf(id: number): RecordValue {
    let f = this.#fields.get(id);
    if (f !== undefined) return f;
    const r = this.rec(id);
    const layout = this.#layouts.get(r.type);
    if (layout === undefined) throw new GraphReadError(`kernel graph: object ${r.label} has a type the header does not list`);
    if ('problem' in layout) throw new GraphReadError(`kernel graph: object ${r.label}: ${layout.problem}`);
    f = decodeValue(layout.record, (this.graph.objects[id] as { value: Wire }).value, this.graph, r.label) as RecordValue;
    this.#fields.set(id, f);
    return f;
  }
}

/** Deserializes a graph's bytes (blobs inline, as a checkpoint's "kernel" payload holds them) as a view. */
export function viewGraph(registry: Registry, bytes: Uint8Array): GraphView {
  return new GraphView(registry, deserialize(bytes));
}
