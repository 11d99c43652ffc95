// The values of a saved graph as a view shows them (view.ts), the way crit prints a CRIU image's
// protobufs: a record's wire values given the shapes its declaration names, nothing created or bound.
// By kind: int → number, bigInt → bigint, str/oneOf → string, bool → boolean, list → array, map → Map,
// opt → null or the value, struct → a plain object, ref → ObjectRef, external → ExternalValue (its key),
// bytes → BlobInfo, sparseBytes → SparseInfo.
import { StateError } from './errors.js';
import type { KindNode } from './kinds.js';
import type { Registry, StructNode } from './savable.js';
import { WireBlob, WireExternal, WireRef, type Graph, type Wire } from './wire.js';

/** Anything wrong with a graph read as a view, as one line: which object, which field, what. */
export class GraphReadError extends StateError {
  constructor(message: string) {
    super(message);
    this.name = 'GraphReadError';
  }
}

/** A reference to another object of the graph, by id. */
export class ObjectRef {
  constructor(readonly id: number) {}
}

/** Something outside the pod, as the key it was saved by ({ kind: 'hostdir', key: 'volume:data' }). */
export class ExternalValue {
  constructor(readonly key: Readonly<Record<string, string | number | boolean>>) {}
}

/** A bytes field: its length (the bytes stay in the image). */
export class BlobInfo {
  constructor(readonly length: number) {}
}

/** A sparseBytes field: its size and how many pages are present (the rest are holes). */
export class SparseInfo {
  /** The present pages, by index (PAGE_SIZE bytes each, shared with the graph: read-only). */
  readonly #present: ReadonlyArray<readonly [number, Uint8Array]>;

  constructor(readonly size: number, readonly pages: number, present: ReadonlyArray<readonly [number, Uint8Array]> = []) {
    this.#present = present;
  }

  /** The present pages as the graph holds them (for comparing contents: `amber diff`). */
  present(): ReadonlyArray<readonly [number, Uint8Array]> {
    return this.#present;
  }
}

export type Value =
  | null
  | boolean
  | number
  | bigint
  | string
  | ObjectRef
  | ExternalValue
  | BlobInfo
  | SparseInfo
  | readonly Value[]
  | ReadonlyMap<Value, Value>
  | { readonly [field: string]: Value };

/** A record value: a struct's fields by name. */
export type RecordValue = { readonly [field: string]: Value };

/** What v is, for "expected X, found Y". */
export function describeValue(v: Value): string {
  if (v === null) return 'null';
  if (v instanceof ObjectRef) return `a reference to object ${v.id}`;
  if (v instanceof ExternalValue) return 'an external key';
  if (v instanceof BlobInfo || v instanceof SparseInfo) return 'bytes';
  if (Array.isArray(v)) return 'a list';
  if (v instanceof Map) return 'a map';
  if (typeof v === 'object') return 'a record';
  return `${typeof v} ${typeof v === 'string' ? JSON.stringify(v) : String(v)}`;
}

/** Whether v is a record (a struct's value), not a list, map or one of the value classes. */
export function isRecordValue(v: Value): v is RecordValue {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Map) && !(v instanceof ObjectRef) &&
    !(v instanceof ExternalValue) && !(v instanceof BlobInfo) && !(v instanceof SparseInfo);
}

/** How a type's records are laid out in this graph: a declaration's fields, or why they cannot be read. */
export type Layout = { record: StructNode } | { problem: string };

/** The layout of type name at version: this Amber's declaration, an older one it upgrades from, or none. */
export function layoutOf(registry: Registry, name: string, version: number): Layout {
  const decl = registry.byName(name);
  if (decl === undefined) return { problem: `type ${name} is not known to this Amber` };
  if (version === decl.version) return { record: decl.record };
  if (version > decl.version) return { problem: `type ${name} version ${version} is newer than this Amber reads (${decl.version})` };
  const up = decl.upgradeFrom(version);
  return up === undefined ? { problem: `type ${name} version ${version} is older than this Amber reads (${decl.version})` } : { record: up.fields };
}

/** The wire value w read as kind k; `where` names it in errors ("kernel graph: vfs.Mount#3.flags"). */
export function decodeValue(k: KindNode, w: Wire, graph: Graph, where: string): Value {
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
      const [size, ...rest] = w as readonly Wire[];
      if (typeof size !== 'number') return bad('a SparseBytes size');
      const present: Array<readonly [number, Uint8Array]> = [];
      for (let i = 0; i + 1 < rest.length; i += 2) {
        const index = rest[i];
        const blob = rest[i + 1];
        const page = blob instanceof WireBlob ? graph.blobs[blob.index] : undefined;
        if (typeof index !== 'number' || page === undefined) return bad('a SparseBytes page');
        present.push([index, page]);
      }
      return new SparseInfo(size, Math.floor(rest.length / 2), present);
    }
    case 'list':
      return Array.isArray(w) ? (w as readonly Wire[]).map((x, i) => decodeValue(k.of, x, graph, `${where}[${i}]`)) : bad('a list');
    case 'map': {
      if (!Array.isArray(w) || w.length % 2 !== 0) return bad('a map');
      const flat = w as readonly Wire[];
      const out = new Map<Value, Value>();
      for (let i = 0; i < flat.length; i += 2) {
        const key = decodeValue(k.key, flat[i] as Wire, graph, `${where}[key ${i / 2}]`);
        out.set(key, decodeValue(k.value, flat[i + 1] as Wire, graph, `${where}[${typeof key === 'object' ? i / 2 : String(key)}]`));
      }
      return out;
    }
    case 'struct': {
      if (!Array.isArray(w) || w.length !== k.fields.length) return bad(`a record of ${k.fields.length} fields`);
      const items = w as readonly Wire[];
      const out: Record<string, Value> = {};
      k.fields.forEach(([name, f], i) => {
        out[name] = decodeValue(f, items[i] as Wire, graph, `${where}.${name}`);
      });
      return out;
    }
    case 'opt':
      return w === null ? null : decodeValue(k.of, w, graph, where);
    case 'ref':
      return w instanceof WireRef ? new ObjectRef(w.id) : bad('a reference');
    case 'external': {
      if (!(w instanceof WireExternal)) return bad('an external key');
      let key: unknown;
      try {
        key = JSON.parse(w.key);
      } catch {
        return bad('an external key in JSON');
      }
      return typeof key === 'object' && key !== null && !Array.isArray(key) ? new ExternalValue(key as Record<string, string | number | boolean>) : bad('an external key');
    }
  }
}
