// The object graph as plain data (a header naming each type and version, one record per object in id
// order, and the blobs), and its binary encoding: tagged values with minimal varints, so one graph has
// exactly one encoding and save → load → save gives the same bytes. Nothing here knows any schema.
//
// Layout: "amber-state" · layout version · flags · types (name, version)* · blob lengths* · objects (type
// index, value)* · blob bytes (when inline). Every count comes before what it counts, so truncation is
// always detected, and every reference is checked as it is read.
import { StateError } from './errors.js';

export const FORMAT = 'amber-state';
/** The version of this layout (not of any type); raised when the layout changes. */
export const FORMAT_VERSION = 1;

/** A reference to object `id` of the same graph. */
export class WireRef {
  constructor(readonly id: number) {}
}

/** Bytes stored out of line: blob `index` of the graph. */
export class WireBlob {
  constructor(readonly index: number) {}
}

/** Something outside the pod, by its key (an ExternalKey as canonical JSON: keys sorted). */
export class WireExternal {
  constructor(readonly key: string) {}
}

export type Wire = null | boolean | number | bigint | string | WireRef | WireBlob | WireExternal | readonly Wire[];

export interface GraphHeader {
  readonly format: typeof FORMAT;
  readonly version: number;
  /** Every type the objects use, with the version it was saved at, in first-use order. */
  readonly types: Readonly<Record<string, number>>;
}

export interface GraphObject {
  readonly type: string;
  /** The record, fields in declaration order (a struct is an array). */
  readonly value: Wire;
}

/** A saved object graph: object 0 is the root; ids are visit order. */
export interface Graph {
  readonly header: GraphHeader;
  readonly objects: readonly GraphObject[];
  readonly blobs: readonly Uint8Array[];
}

export interface SerializeOptions {
  /**
   * false: write only the blobs' count and lengths, for a caller that stores blobs apart (by digest) and
   * hands them back to deserialize(). Default true: the bytes after the graph.
   */
  inlineBlobs?: boolean;
}

const T_NULL = 0;
const T_FALSE = 1;
const T_TRUE = 2;
const T_UINT = 3;
/** A negative integer n, stored as -(n + 1). */
const T_NINT = 4;
const T_UBIG = 5;
const T_NBIG = 6;
/** The largest bigint written as a number is (Number.MAX_SAFE_INTEGER); a larger one, 49 bits at a time. */
const MAX_SAFE_BIG = BigInt(Number.MAX_SAFE_INTEGER);
const LOW_49 = (1n << 49n) - 1n;
const T_STR = 7;
const T_LIST = 8;
const T_REF = 9;
const T_BLOB = 10;
const T_EXT = 11;

const FLAG_INLINE_BLOBS = 1;
/** Deeper nesting than any schema makes is a damaged image, not a reason to overflow the stack. */
const MAX_DEPTH = 100;

class Writer {
  #buf = new Uint8Array(1024);
  #len = 0;
  readonly #utf8 = new TextEncoder();

  #room(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
  }

  byte(b: number): void {
    this.#room(1);
    this.#buf[this.#len++] = b;
  }

  uint(n: number): void {
    this.#room(8);
    while (n >= 0x80) {
      this.#buf[this.#len++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.#buf[this.#len++] = n;
  }

  ubig(n: bigint): void {
    // The same bytes as 7 bits at a time, but with number arithmetic: 49 bits (7 groups, each followed by
    // more) from one BigInt op, then what is left as a uint. A kernel graph has hundreds (sizes, times in
    // ns since 1970: past 2^53), and the cut of a paused pod serializes it.
    while (n > MAX_SAFE_BIG) {
      this.#room(7);
      let low = Number(n & LOW_49);
      for (let i = 0; i < 7; i++) {
        this.#buf[this.#len++] = (low % 0x80) | 0x80;
        low = Math.floor(low / 0x80);
      }
      n >>= 49n;
    }
    this.uint(Number(n));
  }

  str(s: string): void {
    const n = s.length;
    if (n < 0x80) {
      // Most strings (names, paths) are short ASCII: written in place, no encoder call.
      this.#room(n + 1);
      const start = this.#len;
      this.#buf[this.#len++] = n;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        this.#buf[this.#len++] = c;
      }
      if (i === n) return;
      this.#len = start;
    }
    const b = this.#utf8.encode(s);
    this.uint(b.length);
    this.raw(b);
  }

  raw(b: Uint8Array): void {
    this.#room(b.length);
    this.#buf.set(b, this.#len);
    this.#len += b.length;
  }

  value(v: Wire, depth: number): void {
    if (depth > MAX_DEPTH) throw new StateError(`serialize: values nested deeper than ${MAX_DEPTH}`);
    if (v === null) this.byte(T_NULL);
    else if (v === false) this.byte(T_FALSE);
    else if (v === true) this.byte(T_TRUE);
    else if (typeof v === 'number') {
      if (!Number.isSafeInteger(v)) throw new StateError(`serialize: ${v} is not a safe integer`);
      if (v >= 0) {
        this.byte(T_UINT);
        this.uint(v);
      } else {
        this.byte(T_NINT);
        this.uint(-(v + 1));
      }
    } else if (typeof v === 'bigint') {
      this.byte(v >= 0n ? T_UBIG : T_NBIG);
      this.ubig(v >= 0n ? v : -(v + 1n));
    } else if (typeof v === 'string') {
      this.byte(T_STR);
      this.str(v);
    } else if (v instanceof WireRef) {
      this.byte(T_REF);
      this.uint(v.id);
    } else if (v instanceof WireBlob) {
      this.byte(T_BLOB);
      this.uint(v.index);
    } else if (v instanceof WireExternal) {
      this.byte(T_EXT);
      this.str(v.key);
    } else {
      this.byte(T_LIST);
      this.uint(v.length);
      for (const x of v) this.value(x, depth + 1);
    }
  }

  bytes(): Uint8Array {
    return this.#buf.subarray(0, this.#len);
  }
}

/** Encodes a graph to bytes. The same graph always gives the same bytes. */
export function serialize(graph: Graph, opts: SerializeOptions = {}): Uint8Array {
  const inline = opts.inlineBlobs ?? true;
  const w = new Writer();
  w.str(FORMAT);
  w.uint(graph.header.version);
  w.uint(inline ? FLAG_INLINE_BLOBS : 0);
  const typeIndex = new Map<string, number>();
  const names = Object.keys(graph.header.types);
  w.uint(names.length);
  for (const name of names) {
    typeIndex.set(name, typeIndex.size);
    w.str(name);
    w.uint(graph.header.types[name] as number);
  }
  w.uint(graph.blobs.length);
  let total = 0;
  for (const b of graph.blobs) {
    w.uint(b.length);
    total += b.length;
  }
  w.uint(graph.objects.length);
  for (const [id, o] of graph.objects.entries()) {
    const t = typeIndex.get(o.type);
    if (t === undefined) throw new StateError(`serialize: object ${id} has type ${o.type}, which the header does not list`);
    w.uint(t);
    w.value(o.value, 0);
  }
  const meta = w.bytes();
  if (!inline) return meta.slice();
  const out = new Uint8Array(meta.length + total);
  out.set(meta);
  let at = meta.length;
  for (const b of graph.blobs) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}

class Reader {
  #at = 0;
  /** What is being read, for the truncation message: a section, or an object's id. */
  what: string | number = 'the header';
  /** How many objects and blobs there are, once known: references past them are damage. */
  objects = 0;
  blobs = 0;
  readonly #b: Uint8Array;
  readonly #utf8 = new TextDecoder('utf-8', { fatal: true });

  constructor(b: Uint8Array) {
    this.#b = b;
  }

  get at(): number {
    return this.#at;
  }

  get left(): number {
    return this.#b.length - this.#at;
  }

  fail(problem: string): never {
    throw new StateError(`amber-state: ${problem} at byte ${this.#at} of ${this.#b.length} (reading ${typeof this.what === 'number' ? `object ${this.what}` : this.what})`);
  }

  byte(): number {
    if (this.#at >= this.#b.length) this.fail('truncated');
    return this.#b[this.#at++] as number;
  }

  uint(): number {
    let n = 0;
    let scale = 1;
    for (let i = 0; ; i++) {
      const b = this.byte();
      if (i > 0 && b === 0) this.fail('a varint with a needless trailing byte');
      n += (b & 0x7f) * scale;
      if (b < 0x80) break;
      scale *= 0x80;
      if (i >= 7) this.fail('a varint past 2^53');
    }
    if (!Number.isSafeInteger(n)) this.fail('a varint past 2^53');
    return n;
  }

  ubig(): bigint {
    let n = 0n;
    let shift = 0n;
    for (let i = 0; ; i++) {
      const b = this.byte();
      if (i > 0 && b === 0) this.fail('a varint with a needless trailing byte');
      n |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return n;
      shift += 7n;
    }
  }

  raw(n: number): Uint8Array {
    if (n > this.left) this.fail(`truncated: ${n} bytes wanted, ${this.left} left`);
    const out = this.#b.subarray(this.#at, this.#at + n);
    this.#at += n;
    return out;
  }

  str(): string {
    const b = this.raw(this.uint());
    if (b.length <= 64 && b.every((c) => c < 0x80)) return String.fromCharCode.apply(null, b as unknown as number[]);
    try {
      return this.#utf8.decode(b);
    } catch {
      return this.fail('a string that is not UTF-8');
    }
  }

  value(depth: number): Wire {
    if (depth > MAX_DEPTH) this.fail(`values nested deeper than ${MAX_DEPTH}`);
    const tag = this.byte();
    switch (tag) {
      case T_NULL:
        return null;
      case T_FALSE:
        return false;
      case T_TRUE:
        return true;
      case T_UINT:
        return this.uint();
      case T_NINT: {
        const m = this.uint();
        if (m === Number.MAX_SAFE_INTEGER) this.fail('an integer past -2^53');
        return -m - 1;
      }
      case T_UBIG:
        return this.ubig();
      case T_NBIG:
        return -this.ubig() - 1n;
      case T_STR:
        return this.str();
      case T_REF: {
        const id = this.uint();
        if (id >= this.objects) this.fail(`a reference to object ${id} of ${this.objects}`);
        return new WireRef(id);
      }
      case T_BLOB: {
        const index = this.uint();
        if (index >= this.blobs) this.fail(`a reference to blob ${index} of ${this.blobs}`);
        return new WireBlob(index);
      }
      case T_EXT:
        return new WireExternal(this.str());
      case T_LIST: {
        const n = this.uint();
        // Each element takes at least one byte: a count past what is left is damage, not a big array.
        if (n > this.left) this.fail(`truncated: a list of ${n} values with ${this.left} bytes left`);
        const out: Wire[] = [];
        for (let i = 0; i < n; i++) out.push(this.value(depth + 1));
        return out;
      }
      default:
        return this.fail(`unknown value tag ${tag}`);
    }
  }
}

export interface DeserializeOptions {
  /** The blobs, when the bytes were serialized with inlineBlobs: false. */
  blobs?: readonly Uint8Array[];
}

/**
 * Decodes bytes made by serialize(). Refuses, naming the byte offset: another format, a newer layout,
 * truncation, trailing bytes, and references to objects or blobs that are not there. Inline blobs are
 * views of `bytes`.
 */
export function deserialize(bytes: Uint8Array, opts: DeserializeOptions = {}): Graph {
  const r: Reader = new Reader(bytes);
  const magic = new TextEncoder().encode(FORMAT);
  if (bytes.length < magic.length + 1 || bytes[0] !== magic.length || magic.some((b, i) => bytes[i + 1] !== b)) {
    throw new StateError(`not an amber-state stream (it does not start with "${FORMAT}")`);
  }
  r.str();
  const version = r.uint();
  if (version > FORMAT_VERSION) {
    throw new StateError(`amber-state layout version ${version} is newer than this Amber reads (${FORMAT_VERSION})`);
  }
  const flags = r.uint();
  if ((flags & ~FLAG_INLINE_BLOBS) !== 0) r.fail(`unknown flags ${flags}`);
  const inline = (flags & FLAG_INLINE_BLOBS) !== 0;

  r.what = 'the type table';
  const nTypes = r.uint();
  const typeNames: string[] = [];
  const types: Record<string, number> = {};
  for (let i = 0; i < nTypes; i++) {
    const name = r.str();
    if (Object.hasOwn(types, name) || !/^[A-Za-z][\w]*(\.[A-Za-z][\w]*)*$/.test(name)) r.fail(`a bad or repeated type name ${JSON.stringify(name)}`);
    types[name] = r.uint();
    typeNames.push(name);
  }

  r.what = 'the blob table';
  const nBlobs = r.uint();
  if (nBlobs > r.left) r.fail(`truncated: ${nBlobs} blobs with ${r.left} bytes left`);
  const lengths: number[] = [];
  for (let i = 0; i < nBlobs; i++) lengths.push(r.uint());
  r.blobs = nBlobs;

  r.what = 'the object count';
  const nObjects = r.uint();
  if (nObjects === 0) r.fail('a graph with no objects');
  if (nObjects > r.left) r.fail(`truncated: ${nObjects} objects with ${r.left} bytes left`);
  r.objects = nObjects;
  const raw: Array<{ type: string; value: Wire }> = [];
  for (let id = 0; id < nObjects; id++) {
    r.what = id;
    const t = r.uint();
    const type = typeNames[t];
    if (type === undefined) r.fail(`type index ${t} of ${nTypes}`);
    raw.push({ type, value: r.value(0) });
  }

  let blobs: Uint8Array[];
  if (inline) {
    if (opts.blobs !== undefined) throw new StateError('amber-state: blobs were passed in, but the stream holds its own');
    blobs = lengths.map((n, i) => {
      r.what = `blob ${i}`;
      return r.raw(n);
    });
  } else {
    if (opts.blobs === undefined) throw new StateError(`amber-state: the stream holds no blobs; pass its ${nBlobs} blobs`);
    if (opts.blobs.length !== nBlobs) throw new StateError(`amber-state: ${opts.blobs.length} blobs passed, the stream lists ${nBlobs}`);
    blobs = opts.blobs.map((b, i) => {
      if (b.length !== lengths[i]) throw new StateError(`amber-state: blob ${i} has ${b.length} bytes, the stream says ${lengths[i]}`);
      return b;
    });
  }
  if (r.left !== 0) {
    r.what = 'the end';
    r.fail(`${r.left} trailing bytes`);
  }
  return { header: { format: FORMAT, version, types }, objects: raw, blobs };
}
