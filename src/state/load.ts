// Loading: rebuilds an object graph, like gVisor's state.Load, in phases. First every record is checked
// against its declaration (types known, versions not newer, refs pointing at the declared class,
// externals bound by the caller's resolver); then every object is created (a create() may ask for
// objects it needs, which are created first), then filled (every ref resolved), then afterLoad runs.
import { PAGE_SIZE, SparseBytes } from '../base/sparse.js';
import { describe, FIELD, INDEX, KEY, PathStack, StateError, typeName } from './errors.js';
import { canonicalKey, type Class, type ExternalKey, type KindNode, type Ref } from './kinds.js';
import type { Loader, Registry, Savable, StructNode, Upgrade } from './savable.js';
import { deserialize, FORMAT, FORMAT_VERSION, WireBlob, WireExternal, WireRef, type DeserializeOptions, type Graph, type Wire } from './wire.js';
import { messageOf } from '../base/error.js';

/**
 * Binds an external key to the object it stands for in this run (a host directory for a volume name,
 * the stream donated for a role). It returns undefined for a key it cannot bind; it may also throw its
 * own error. Each distinct key is asked once per load.
 */
export type Resolver = (key: ExternalKey) => unknown;

export interface LoadOptions {
  externals?: Resolver;
}

export interface RootOption<T> {
  /** Checks the root is an instance of this class and types the result. */
  root: Class<T>;
}

/** Create-time refs followed on the stack before the chain is deferred (see #createTop). */
const MAX_CREATE_DEPTH = 256;

/** Thrown through create() calls to abandon a chain too deep for the stack; never escapes a load. */
class Defer {
  constructor(readonly id: number) {}
}

const PENDING = 0;
const CREATING = 1;
const CREATED = 2;

interface TypeInfo {
  readonly decl: Savable<object>;
  /** The record layout in the image: the declaration's, or an older one with its upgrade. */
  readonly record: StructNode;
  readonly upgrade: Upgrade<unknown> | undefined;
}

class Load {
  readonly #graph: Graph;
  readonly #types: TypeInfo[] = [];
  readonly #values: unknown[] = [];
  readonly #objects: object[] = [];
  readonly #state: Uint8Array;
  readonly #creating: number[] = [];
  readonly #resolve: Resolver | undefined;
  readonly #externals = new Map<string, unknown>();
  /** Where decoding is, for messages: the object id and the field path inside its record. */
  #at = 0;
  readonly #path = new PathStack();

  constructor(registry: Registry, graph: Graph, opts: LoadOptions) {
    this.#graph = graph;
    this.#resolve = opts.externals;
    this.#state = new Uint8Array(graph.objects.length);
    const { header } = graph;
    if (header.format !== FORMAT) throw new StateError(`not an amber-state graph (format ${JSON.stringify(header.format)})`);
    if (header.version > FORMAT_VERSION) {
      throw new StateError(`amber-state layout version ${header.version} is newer than this Amber reads (${FORMAT_VERSION})`);
    }
    if (graph.objects.length === 0) throw new StateError('amber-state: a graph with no objects');
    const byName = new Map<string, TypeInfo>();
    for (const [name, version] of Object.entries(header.types)) byName.set(name, typeInfo(registry, name, version));
    for (const [id, o] of graph.objects.entries()) {
      const t = byName.get(o.type);
      if (t === undefined) throw new StateError(`amber-state: object ${id} has type ${o.type}, which the header does not list`);
      this.#types.push(t);
    }
  }

  #label(id: number): string {
    return `${(this.#types[id] as TypeInfo).decl.name}#${id}`;
  }

  #fail(problem: string): never {
    throw new StateError(`amber-state: object ${this.#label(this.#at)}${this.#path.format()}: ${problem}`);
  }

  /** Phase 1: every record checked and turned into what create() sees. */
  decodeAll(): void {
    for (const [id, o] of this.#graph.objects.entries()) {
      this.#at = id;
      const t = this.#types[id] as TypeInfo;
      const v = this.#value(t.record, o.value);
      const { upgrade } = t;
      this.#values.push(upgrade === undefined ? v : this.#call(id, `upgrade from version ${this.#graph.header.types[t.decl.name]}`, () => upgrade.to(v)));
    }
  }

  #value(k: KindNode, w: Wire): unknown {
    switch (k.tag) {
      case 'int':
        if (typeof w !== 'number' || !Number.isSafeInteger(w)) this.#fail(`expected an integer, found ${describeWire(w)}`);
        return w;
      case 'bigint':
        if (typeof w !== 'bigint') this.#fail(`expected a bigint, found ${describeWire(w)}`);
        return w;
      case 'str':
        if (typeof w !== 'string') this.#fail(`expected a string, found ${describeWire(w)}`);
        return w;
      case 'bool':
        if (typeof w !== 'boolean') this.#fail(`expected a boolean, found ${describeWire(w)}`);
        return w;
      case 'oneOf':
        if (typeof w !== 'string' || !k.values.includes(w)) this.#fail(`expected one of ${k.values.join(', ')}, found ${describeWire(w)}`);
        return w;
      case 'bytes':
        return this.#blob(w).slice();
      case 'sparse':
        return this.#sparse(w);
      case 'list':
        return this.#list(w).map((x, i) => {
          this.#path.push(INDEX, i);
          const out = this.#value(k.of, x);
          this.#path.pop();
          return out;
        });
      case 'map': {
        const flat = this.#list(w);
        if (flat.length % 2 !== 0) this.#fail('a map with an odd number of keys and values');
        const out = new Map<unknown, unknown>();
        for (let i = 0; i < flat.length; i += 2) {
          this.#path.push(INDEX, i / 2);
          const key = this.#value(k.key, flat[i] as Wire);
          this.#path.pop();
          if (out.has(key)) this.#fail(`a map with the key ${describe(key)} twice`);
          this.#path.push(KEY, key);
          out.set(key, this.#value(k.value, flat[i + 1] as Wire));
          this.#path.pop();
        }
        return out;
      }
      case 'struct': {
        const items = this.#list(w);
        if (items.length !== k.fields.length) this.#fail(`expected a record of ${k.fields.length} fields, found ${items.length}`);
        const out: Record<string, unknown> = {};
        for (let i = 0; i < items.length; i++) {
          const [name, f] = k.fields[i] as readonly [string, KindNode];
          this.#path.push(FIELD, name);
          out[name] = this.#value(f, items[i] as Wire);
          this.#path.pop();
        }
        return out;
      }
      case 'opt':
        return w === null ? null : this.#value(k.of, w);
      case 'ref': {
        if (!(w instanceof WireRef)) this.#fail(`expected a reference, found ${describeWire(w)}`);
        const target = this.#types[w.id];
        if (target === undefined) this.#fail(`a reference to object ${w.id} of ${this.#types.length}`);
        if (!declIsA(target.decl, k.cls)) this.#fail(`expected a ref to a ${k.what}, found one to ${this.#label(w.id)}`);
        return w.id as unknown as Ref<unknown>;
      }
      case 'external':
        if (!(w instanceof WireExternal)) this.#fail(`expected an external key, found ${describeWire(w)}`);
        return this.#external(w.key, k.cls, k.what);
    }
  }

  #list(w: Wire): readonly Wire[] {
    if (!Array.isArray(w)) this.#fail(`expected a list, found ${describeWire(w)}`);
    return w as readonly Wire[];
  }

  #blob(w: Wire): Uint8Array {
    if (!(w instanceof WireBlob)) this.#fail(`expected a blob, found ${describeWire(w)}`);
    const b = this.#graph.blobs[w.index];
    if (b === undefined) this.#fail(`a reference to blob ${w.index} of ${this.#graph.blobs.length}`);
    return b;
  }

  #sparse(w: Wire): SparseBytes {
    const [size, ...pages] = this.#list(w);
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0 || pages.length % 2 !== 0) this.#fail('a malformed SparseBytes');
    const out = new SparseBytes();
    let last = -1;
    for (let i = 0; i < pages.length; i += 2) {
      const index = pages[i];
      const page = this.#blob(pages[i + 1] as Wire);
      if (typeof index !== 'number' || !Number.isSafeInteger(index) || index <= last || index * PAGE_SIZE >= size || page.length !== PAGE_SIZE) {
        this.#fail(`a malformed SparseBytes page ${describeWire(index as Wire)} (size ${size})`);
      }
      out.write(page, index * PAGE_SIZE);
      last = index;
    }
    out.truncate(size);
    return out;
  }

  #external(key: string, cls: Class<object> | null, what: string): unknown {
    if (this.#externals.has(key)) return this.#externals.get(key);
    let parsed: unknown;
    try {
      parsed = JSON.parse(key);
    } catch {
      this.#fail(`an external key that is not JSON: ${key}`);
    }
    const c = canonicalKey(parsed);
    if ('problem' in c) this.#fail(`${c.problem}: ${key}`);
    if (c.key !== key) this.#fail(`an external key not in canonical form: ${key}`);
    if (this.#resolve === undefined) this.#fail(`needs the external ${key}, and no resolver was given`);
    const bound = this.#resolve(Object.freeze(parsed as ExternalKey));
    if (bound === undefined) this.#fail(`nothing is bound to the external ${key}`);
    if (cls !== null && !(bound instanceof cls)) this.#fail(`the external ${key} is bound to ${describe(bound)}, not a ${what}`);
    this.#externals.set(key, bound);
    return bound;
  }

  /** What create() gets: `r.ref` works detached too (`v.kids.map(r.ref)`). */
  readonly #loader: Loader = { ref: <T>(handle: Ref<T>): T => this.#ref(handle) };

  #ref<T>(handle: Ref<T>): T {
    const id = handle as unknown as number;
    if (!Number.isInteger(id) || id < 0 || id >= this.#state.length) {
      throw new StateError(`r.ref() was given ${describe(handle)}, not a handle from this record`);
    }
    if (this.#state[id] === PENDING && this.#creating.length >= MAX_CREATE_DEPTH) throw new Defer(id);
    return this.#create(id) as T;
  }

  /**
   * Phase 2: object id, and first whatever its create() asks for. A chain of create-time refs deeper
   * than MAX_CREATE_DEPTH (a deep directory reached from its deepest dentry) would overflow the stack,
   * so past it r.ref() abandons the chain (Defer) and this loop creates the deepest object first, then
   * runs the abandoned create() calls again: a create() must call r.ref before it changes anything.
   */
  #createTop(id: number): void {
    const todo = [id];
    const waiting = new Set(todo);
    while (todo.length > 0) {
      const top = todo[todo.length - 1] as number;
      try {
        this.#create(top);
        todo.pop();
        waiting.delete(top);
      } catch (e) {
        if (!(e instanceof Defer)) throw e;
        if (waiting.has(e.id)) {
          const cycle = [...todo.slice(todo.indexOf(e.id)), e.id].map((i) => this.#label(i));
          throw new StateError(
            `a cycle through create() passing through ${cycle.join(' → ')} (and more); take one of its refs in fill() instead`,
          );
        }
        todo.push(e.id);
        waiting.add(e.id);
      }
    }
  }

  #create(id: number): object {
    const state = this.#state[id];
    if (state === CREATED) return this.#objects[id] as object;
    if (state === CREATING) {
      const cycle = [...this.#creating.slice(this.#creating.indexOf(id)), id].map((i) => this.#label(i));
      throw new StateError(
        `a cycle through create(): ${cycle.join(' → ')}; take one of these refs in fill() instead (create() may only use refs that cannot be cyclic)`,
      );
    }
    this.#state[id] = CREATING;
    this.#creating.push(id);
    const { decl } = this.#types[id] as TypeInfo;
    let obj: object;
    try {
      obj = this.#call(id, 'create', () => decl.create(this.#values[id], this.#loader));
    } catch (e) {
      this.#creating.pop();
      this.#state[id] = PENDING;
      throw e;
    }
    if (decl.cls !== null && (typeof obj !== 'object' || obj === null || Object.getPrototypeOf(obj) !== decl.cls.prototype)) {
      throw new StateError(`${this.#label(id)}: create() returned ${describe(obj)}, not a ${decl.cls.name}`);
    }
    this.#creating.pop();
    this.#objects[id] = obj;
    this.#state[id] = CREATED;
    return obj;
  }

  #call<R>(id: number, what: string, f: () => R): R {
    try {
      return f();
    } catch (e) {
      if (e instanceof StateError || e instanceof Defer) throw e;
      throw new StateError(`${this.#label(id)}: ${what}() failed: ${messageOf(e)}`, { cause: e });
    }
  }

  /** Phases 2 to 4; returns the root. */
  run(): object {
    for (let id = 0; id < this.#state.length; id++) this.#createTop(id);
    for (const [id, t] of this.#types.entries()) {
      const obj = this.#objects[id] as object;
      const v = this.#values[id];
      this.#call(id, 'fill', () => t.decl.fill(obj, t.decl.record.refs ? this.#resolved(t.decl.record, v) : v));
    }
    for (let id = this.#state.length - 1; id >= 0; id--) {
      const { decl } = this.#types[id] as TypeInfo;
      this.#call(id, 'afterLoad', () => decl.afterLoad(this.#objects[id] as object));
    }
    return this.#objects[0] as object;
  }

  /** A load value with every ref handle replaced by its object (what fill() sees). */
  #resolved(k: KindNode, v: unknown): unknown {
    if (!k.refs || v === null) return v;
    switch (k.tag) {
      case 'ref':
        return this.#objects[v as number];
      case 'opt':
        return this.#resolved(k.of, v);
      case 'list':
        return (v as unknown[]).map((x) => this.#resolved(k.of, x));
      case 'map': {
        const out = new Map<unknown, unknown>();
        for (const [key, x] of v as Map<unknown, unknown>) out.set(this.#resolved(k.key, key), this.#resolved(k.value, x));
        return out;
      }
      case 'struct': {
        const out: Record<string, unknown> = {};
        for (const [name, f] of k.fields) out[name] = this.#resolved(f, (v as Record<string, unknown>)[name]);
        return out;
      }
      default:
        return v;
    }
  }
}

function typeInfo(registry: Registry, name: string, version: number): TypeInfo {
  const decl = registry.byName(name);
  if (decl === undefined) throw new StateError(`the image holds objects of type ${name}, which this Amber does not know`);
  if (version > decl.version) {
    throw new StateError(`the image holds ${name} version ${version}, newer than this Amber's version ${decl.version}`);
  }
  if (version === decl.version) return { decl, record: decl.record, upgrade: undefined };
  const upgrade = decl.upgradeFrom(version);
  if (upgrade === undefined) {
    throw new StateError(`the image holds ${name} version ${version}, and this Amber (version ${decl.version}) has no upgrade from it`);
  }
  return { decl, record: upgrade.fields, upgrade };
}

/** Whether objects of decl are instances of cls (null: anything). */
function declIsA(decl: Savable<object>, cls: Class<object> | null): boolean {
  if (cls === null) return true;
  if (decl.constant !== null) return decl.constant instanceof cls;
  return decl.cls !== null && (decl.cls === cls || decl.cls.prototype instanceof cls);
}

function describeWire(w: Wire): string {
  if (w instanceof WireRef) return `a reference to object ${w.id}`;
  if (w instanceof WireBlob) return `blob ${w.index}`;
  if (w instanceof WireExternal) return `the external ${w.key}`;
  if (Array.isArray(w)) return `a list of ${w.length}`;
  return describe(w);
}

function load(registry: Registry, graph: Graph, opts: LoadOptions, rootClass: Class<unknown> | undefined): unknown {
  const l = new Load(registry, graph, opts);
  l.decodeAll();
  const root = l.run();
  if (rootClass !== undefined && !(root instanceof rootClass)) {
    throw new StateError(`the image's root is ${typeName(root)}, not a ${rootClass.name}`);
  }
  return root;
}

/** Loads a graph made by encodeGraph(); returns its root. Objects are new; constants and externals are bound. */
export function loadGraph<T>(registry: Registry, graph: Graph, opts: LoadOptions & RootOption<T>): T;
export function loadGraph(registry: Registry, graph: Graph, opts?: LoadOptions): unknown;
export function loadGraph(registry: Registry, graph: Graph, opts: LoadOptions & Partial<RootOption<unknown>> = {}): unknown {
  return load(registry, graph, opts, opts.root);
}

export type DecodeOptions = LoadOptions & DeserializeOptions;

/** deserialize() then loadGraph(): bytes made by serialize(encodeGraph(registry, root)) back to a root. */
export function decodeGraph<T>(registry: Registry, bytes: Uint8Array, opts: DecodeOptions & RootOption<T>): T;
export function decodeGraph(registry: Registry, bytes: Uint8Array, opts?: DecodeOptions): unknown;
export function decodeGraph(registry: Registry, bytes: Uint8Array, opts: DecodeOptions & Partial<RootOption<unknown>> = {}): unknown {
  const graph = deserialize(bytes, opts.blobs === undefined ? {} : { blobs: opts.blobs });
  return load(registry, graph, opts, opts.root);
}
