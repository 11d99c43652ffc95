// Field kinds: the typed schema a savable type declares for its record, like the field list gVisor's
// stateify generates. Each kind fixes three TypeScript types: what save() returns for the field (live
// objects for refs), what create() sees (refs as handles to pass to r.ref), and what fill() sees (refs
// resolved). The codec checks values against the kind when saving and when loading.
import { SparseBytes } from '../base/sparse.js';
import { describe, StateError } from './errors.js';

declare const refBrand: unique symbol;
declare const phantom: unique symbol;

/** A handle on a saved object as create() sees it; `r.ref(handle)` gives the object. Opaque. */
export interface Ref<T> {
  readonly [refBrand]: T;
}

/**
 * What an object outside the pod is saved as: a stable key the declaration chooses, re-bound on load by
 * the caller's resolver, e.g. `{ kind: 'hostdir', volume: 'data' }`, `{ kind: 'stream', role: 'app/stdout' }`.
 * Never a host fd number or a host path that a new invocation may not reproduce.
 */
export interface ExternalKey {
  readonly kind: string;
  readonly [field: string]: string | number | boolean;
}

/** A class, abstract or not, whose instances are T (for ref checks). */
export type Class<T> = abstract new (...args: never) => T;

/** The kinds the codec knows, as plain data (read by save.ts and load.ts); `refs`: values can hold a ref. */
export type KindNode = { readonly refs: boolean } & (
  | { readonly tag: 'int' | 'bigint' | 'str' | 'bool' | 'bytes' | 'sparse' }
  | { readonly tag: 'oneOf'; readonly values: readonly string[] }
  | { readonly tag: 'list' | 'opt'; readonly of: KindNode }
  | { readonly tag: 'map'; readonly key: KindNode; readonly value: KindNode }
  | { readonly tag: 'struct'; readonly fields: ReadonlyArray<readonly [string, KindNode]> }
  | { readonly tag: 'ref' | 'external'; readonly cls: Class<object> | null; readonly what: string }
);

/** A field kind: S what save() gives, L what create() sees, F what fill() sees. */
export type Kind<S, L = S, F = L> = KindNode & { readonly [phantom]?: { save: S; load: L; fill: F } };

/** Any kind (`any` only erases the phantom types; no value is ever typed any). */
export type AnyKind = Kind<any, any, any>;
export type Fields = { readonly [name: string]: AnyKind };

export type SaveOf<K> = K extends Kind<infer S, infer _L, infer _F> ? S : never;
export type LoadOf<K> = K extends Kind<infer _S, infer L, infer _F> ? L : never;
export type FillOf<K> = K extends Kind<infer _S, infer _L, infer F> ? F : never;

/** Fields whose save value may be undefined (opt): save() may leave them out. */
type OptionalKeys<Fs extends Fields> = { [P in keyof Fs]: undefined extends SaveOf<Fs[P]> ? P : never }[keyof Fs];
type Flatten<T> = { [P in keyof T]: T[P] };
/** The record save() returns for fields Fs (an object with more properties, such as the live object, will do). */
export type SaveValue<Fs extends Fields> = Flatten<
  { [P in Exclude<keyof Fs, OptionalKeys<Fs>>]: SaveOf<Fs[P]> } & { [P in OptionalKeys<Fs>]?: SaveOf<Fs[P]> }
>;
/** The record create() receives: refs are handles. */
export type LoadValue<Fs extends Fields> = { [P in keyof Fs]: LoadOf<Fs[P]> };
/** The record fill() receives: every ref resolved to its object. */
export type FillValue<Fs extends Fields> = { [P in keyof Fs]: FillOf<Fs[P]> };

/** A JavaScript number that is a safe integer (counters, ids, flags, offsets, sizes). */
export const int: Kind<number> = Object.freeze({ tag: 'int', refs: false });
/** A bigint of any size (nanosecond times, 64-bit values). */
export const bigInt: Kind<bigint> = Object.freeze({ tag: 'bigint', refs: false });
/** A string (well-formed UTF-16, stored as UTF-8). */
export const str: Kind<string> = Object.freeze({ tag: 'str', refs: false });
export const bool: Kind<boolean> = Object.freeze({ tag: 'bool', refs: false });
/**
 * Bytes, stored out of line as a blob of the graph (never through a text encoding). Saving keeps a view
 * of the live buffer until the graph is serialized; loading gives a fresh copy the object owns.
 */
export const bytes: Kind<Uint8Array> = Object.freeze({ tag: 'bytes', refs: false });
/** A SparseBytes (a tmpfs file's pages): its size and each present page as a blob; holes stay holes. */
export const sparseBytes: Kind<SparseBytes> = Object.freeze({ tag: 'sparse', refs: false });

/** One of a fixed set of strings (a FileType, a state name). */
export function oneOf<const L extends readonly string[]>(...values: L): Kind<L[number]> {
  if (values.length === 0) throw new StateError('oneOf() needs at least one value');
  return Object.freeze({ tag: 'oneOf', refs: false, values: Object.freeze([...values]) });
}

/** An array of values of one kind, in order. */
export function list<K extends AnyKind>(of: K): Kind<readonly SaveOf<K>[], LoadOf<K>[], FillOf<K>[]> {
  return Object.freeze({ tag: 'list', refs: of.refs, of });
}

/** A Map, its insertion order kept (it can be observable: a directory listing, a process table). */
export function map<K extends AnyKind, V extends AnyKind>(
  key: K,
  value: V,
): Kind<ReadonlyMap<SaveOf<K>, SaveOf<V>>, Map<LoadOf<K>, LoadOf<V>>, Map<FillOf<K>, FillOf<V>>> {
  return Object.freeze({ tag: 'map', refs: key.refs || value.refs, key, value });
}

/** A value or none: save() may give null or undefined, load gives null. */
export function opt<K extends AnyKind>(of: K): Kind<SaveOf<K> | null | undefined, LoadOf<K> | null, FillOf<K> | null> {
  if (of.tag === 'opt') throw new StateError('opt(opt(...)) cannot tell its two nones apart; use one opt()');
  return Object.freeze({ tag: 'opt', refs: of.refs, of });
}

/** A nested record saved by value (an fd-table entry, a stat): not shared, never a cycle. */
export function struct<Fs extends Fields>(fields: Fs): Kind<SaveValue<Fs>, LoadValue<Fs>, FillValue<Fs>> {
  const entries: Array<readonly [string, KindNode]> = [];
  for (const name of Object.keys(fields)) {
    if (!/^[A-Za-z_$][\w$]*$/.test(name) || name === '__proto__') {
      throw new StateError(`field name ${JSON.stringify(name)} is not a plain identifier`);
    }
    entries.push(Object.freeze([name, fields[name] as KindNode] as const));
  }
  return Object.freeze({ tag: 'struct', refs: entries.some(([, f]) => f.refs), fields: Object.freeze(entries) });
}

/**
 * A reference to another savable object, saved once however many refer to it (sharing and cycles are
 * fine). With a class, loading checks the target is an instance of it (an abstract class resolves to
 * whichever registered concrete class the object was); without one (an interface such as FileOps),
 * give the type: `ref<FileOps>()`.
 */
export function ref<T extends object>(cls?: Class<T>): Kind<T, Ref<T>, T> {
  return Object.freeze({ tag: 'ref', refs: true, cls: cls ?? null, what: cls?.name ?? 'object' });
}

/** A reference that may be null (a root mount's parent). */
export function optRef<T extends object>(cls?: Class<T>): Kind<T | null | undefined, Ref<T> | null, T | null> {
  return opt(ref(cls));
}

/**
 * Something outside the pod: save() gives its ExternalKey, and load gives whatever the caller's
 * resolver binds that key to (checked against cls when given). Equal keys resolve once, to one object.
 */
export function external<T>(cls?: Class<T & object>): Kind<ExternalKey, T, T> {
  return Object.freeze({ tag: 'external', refs: false, cls: cls ?? null, what: cls?.name ?? 'object' });
}

/**
 * An external key as the image stores it: JSON with its fields sorted, so equal keys are equal strings.
 * Returns a problem (for the caller's message) when v is not an ExternalKey.
 */
export function canonicalKey(v: unknown): { key: string } | { problem: string } {
  if (typeof v !== 'object' || v === null || Object.getPrototypeOf(v) !== Object.prototype) {
    return { problem: `expected an external key ({ kind: string, ... }), found ${describe(v)}` };
  }
  const fields = v as Record<string, unknown>;
  if (typeof fields['kind'] !== 'string') return { problem: 'an external key needs a string `kind`' };
  const sorted: Record<string, string | number | boolean> = {};
  for (const name of Object.keys(fields).sort()) {
    const x = fields[name];
    if (typeof x !== 'string' && typeof x !== 'boolean' && !(typeof x === 'number' && Number.isSafeInteger(x))) {
      return { problem: `external key field ${name}: expected a string, integer or boolean, found ${describe(x)}` };
    }
    sorted[name] = x;
  }
  return { key: JSON.stringify(sorted) };
}
