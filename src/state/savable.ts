// Savable declarations and the Registry, like gVisor's `+stateify savable` types and their registration
// in pkg/state. A type declares, in one place beside its class (a static member, so it may read and set
// #private fields), its name, version, record fields and how to save, create, fill and afterLoad it.
// A Registry is an object built from a list of declarations and passed to the codec; nothing is global.
import { StateError, typeName } from './errors.js';
import { struct, type Fields, type FillValue, type KindNode, type LoadValue, type Ref, type SaveValue } from './kinds.js';

export type StructNode = Extract<KindNode, { tag: 'struct' }>;

/** What create() may ask of the loader. */
export interface Loader {
  /**
   * The object behind a handle, created first if it is not yet. Only for refs that cannot be part of a
   * cycle of create() calls (a dentry's parent, a mount's filesystem); back-references and anything
   * cyclic belong in fill(), which sees every ref resolved. A cycle through create() is reported.
   */
  ref<T>(handle: Ref<T>): T;
}

/** How to read a record saved by an older version of a type: its fields then, and the conversion. */
export interface Upgrade<L> {
  readonly fields: StructNode;
  to(old: unknown): L;
}

/** An upgrade from an older record layout `fields` to the current load value (refs stay handles). */
export function upgrade<Old extends Fields, L>(fields: Old, to: (old: LoadValue<Old>) => L): Upgrade<L> {
  return Object.freeze({ fields: struct(fields) as StructNode, to: (old: unknown) => to(old as LoadValue<Old>) });
}

/** What a savable type declares; see README.md. */
export interface TypeSpec<T extends object, Fs extends Fields> {
  /** Stable across releases and unique in a registry: "vfs.Mount", "tmpfs.Inode". */
  readonly name: string;
  /** Raise it when the fields change; images from a newer version are refused, older ones need `upgrades`. */
  readonly version: number;
  /** The saved state, in order. Anything else on the object is `nosave`: rebuild it in afterLoad. */
  readonly fields: Fs;
  save(obj: T): SaveValue<Fs>;
  /** Makes the object from its record; `r.ref` only for refs that cannot be cyclic. */
  create(v: LoadValue<Fs>, r: Loader): T;
  /** Runs once every object exists: back-references, children, anything cyclic. */
  fill?(obj: T, v: FillValue<Fs>): void;
  /** Runs once every object is filled (in reverse visit order: the root last), to rebuild caches. */
  afterLoad?(obj: T): void;
  readonly upgrades?: { readonly [fromVersion: number]: Upgrade<LoadValue<Fs>> };
}

/** A declaration as the codec reads it (made by savable() or constant(); the value types erased). */
export interface Savable<T extends object> {
  readonly name: string;
  readonly version: number;
  /** The exact class of the instances (a subclass must declare itself), or null for a constant. */
  readonly cls: (abstract new (...args: never) => T) | null;
  /** The one object a constant() stands for. */
  readonly constant: T | null;
  readonly record: StructNode;
  save(obj: T): unknown;
  create(v: unknown, r: Loader): T;
  fill(obj: T, v: unknown): void;
  afterLoad(obj: T): void;
  upgradeFrom(version: number): Upgrade<unknown> | undefined;
}

const NAME = /^[A-Za-z][\w]*(\.[A-Za-z][\w]*)*$/;

function checkNameAndVersion(name: string, version: number): void {
  if (!NAME.test(name)) throw new StateError(`savable type name ${JSON.stringify(name)} is not dotted identifiers ("vfs.Mount")`);
  if (!Number.isSafeInteger(version) || version < 1) {
    throw new StateError(`${name}: version must be a positive integer, found ${version}`);
  }
}

/**
 * Declares how instances of exactly `cls` are saved and loaded:
 * `static readonly saved = savable(Mount, { name: 'vfs.Mount', version: 1, fields: {...}, save, create, fill })`.
 */
export function savable<T extends object, Fs extends Fields>(cls: new (...args: never) => T, spec: TypeSpec<T, Fs>): Savable<T> {
  checkNameAndVersion(spec.name, spec.version);
  const upgrades = new Map<number, Upgrade<unknown>>();
  for (const [from, u] of Object.entries(spec.upgrades ?? {})) {
    const v = Number(from);
    if (!Number.isSafeInteger(v) || v < 1 || v >= spec.version) {
      throw new StateError(`${spec.name}: an upgrade must come from an older version than ${spec.version}, found ${from}`);
    }
    upgrades.set(v, u);
  }
  const { fill, afterLoad } = spec;
  return Object.freeze({
    name: spec.name,
    version: spec.version,
    cls,
    constant: null,
    record: struct(spec.fields) as StructNode,
    save: (obj: T): unknown => spec.save(obj),
    create: (v: unknown, r: Loader): T => spec.create(v as LoadValue<Fs>, r),
    fill: (obj: T, v: unknown): void => fill?.call(spec, obj, v as FillValue<Fs>),
    afterLoad: (obj: T): void => afterLoad?.call(spec, obj),
    upgradeFrom: (version: number) => upgrades.get(version),
  });
}

/**
 * Declares one well-known object (a shared FileOps table, a singleton) that is saved by name only and
 * loads as the very same object: `constant('tmpfs.directoryOps', DIRECTORY_OPS)`.
 */
export function constant<T extends object>(name: string, obj: T, opts: { version?: number } = {}): Savable<T> {
  const version = opts.version ?? 1;
  checkNameAndVersion(name, version);
  return Object.freeze({
    name,
    version,
    cls: null,
    constant: obj,
    record: struct({}) as StructNode,
    save: (): unknown => ({}),
    create: (): T => obj,
    fill: (): void => {},
    afterLoad: (): void => {},
    upgradeFrom: () => undefined,
  });
}

/** The savable types of one program, by name, class and (for constants) identity. Immutable once built. */
export class Registry {
  readonly #byName = new Map<string, Savable<object>>();
  /** Keyed by the class's prototype: an object is savable as exactly the class that made it. */
  readonly #byProto = new Map<object, Savable<object>>();
  readonly #byInstance = new Map<object, Savable<object>>();

  constructor(decls: Iterable<Savable<object>>) {
    for (const d of decls) {
      if (this.#byName.has(d.name)) throw new StateError(`two savable types are named ${d.name}`);
      this.#byName.set(d.name, d);
      if (d.constant !== null) {
        if (this.#byInstance.has(d.constant)) throw new StateError(`${d.name}: this object is already registered as a constant`);
        this.#byInstance.set(d.constant, d);
      } else if (d.cls !== null) {
        const proto = d.cls.prototype as object;
        const other = this.#byProto.get(proto);
        if (other !== undefined) throw new StateError(`${d.cls.name} is declared twice, as ${other.name} and ${d.name}`);
        this.#byProto.set(proto, d);
      }
    }
  }

  /** A registry with these declarations added. */
  with(decls: Iterable<Savable<object>>): Registry {
    return new Registry([...this.#byName.values(), ...decls]);
  }

  /** The declaration obj is saved with: its constant, else its exact class's. */
  lookup(obj: object): Savable<object> | undefined {
    const c = this.#byInstance.get(obj);
    if (c !== undefined) return c;
    const proto: unknown = Object.getPrototypeOf(obj);
    return proto === null ? undefined : this.#byProto.get(proto as object);
  }

  byName(name: string): Savable<object> | undefined {
    return this.#byName.get(name);
  }

  /** Every registered type name, sorted. */
  names(): string[] {
    return [...this.#byName.keys()].sort();
  }

  /** Why obj has no declaration, for the error that names the field path that reached it. */
  whyNotSavable(obj: object): string {
    if (typeof obj === 'function') {
      const name = (obj as { name?: unknown }).name;
      return `a function (${typeof name === 'string' && name !== '' ? name : 'anonymous'}) is not savable: save what it stands for (an external key, or fields of its owner)`;
    }
    const name = typeName(obj);
    if (name === 'a plain object') return 'a plain object is not savable: make it a struct() field of its owner, or a constant()';
    for (let p: unknown = Object.getPrototypeOf(Object.getPrototypeOf(obj)); p !== null && p !== undefined; p = Object.getPrototypeOf(p)) {
      const base = this.#byProto.get(p as object);
      if (base !== undefined) return `${name} is not savable (its base class is, as ${base.name}, but each concrete class declares itself)`;
    }
    return `${name} is not savable`;
  }
}
