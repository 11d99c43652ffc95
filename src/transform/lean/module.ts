// A WebAssembly module's sections (the spec's "Modules" binary chapter) read for the lean transform, and
// written back with what the transform adds: types, the `amber.preempt` import (which shifts every defined
// function's index by one), globals, functions and exports. What it does not change is copied as byte
// ranges of the input: a 30 MB module is not turned into objects.
import { ByteReader, ByteWriter } from './bytes.js';
import { readConstExpr, writeConstExpr } from './constexpr.js';
import { LeanUnsupported, type FuncType, type ModuleContext, type ValType } from './types.js';

export const SEC = { custom: 0, type: 1, import: 2, function: 3, table: 4, memory: 5, global: 6, export: 7, start: 8, element: 9, code: 10, data: 11, datacount: 12 } as const;

/** Where the non-custom sections go, by id: the binary format's order (datacount sits before code). */
const RANK: Record<number, number> = { 1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 13: 5.5, 6: 6, 7: 7, 8: 8, 9: 9, 12: 10, 10: 11, 11: 12 };
const TAG_SECTION = 13;

export const EXTERN = { func: 0, table: 1, memory: 2, global: 3 } as const;

export interface Section {
  readonly id: number;
  /** The section's first byte (its id). */
  readonly start: number;
  /** Its payload's first byte (after the size) and end. */
  readonly payload: number;
  readonly end: number;
}

export interface Export {
  readonly name: string;
  readonly kind: number;
  readonly index: number;
}

export interface FuncImport {
  readonly module: string;
  readonly name: string;
  readonly type: number;
}

/** A module as the lean transform reads it: what the analysis needs, and byte ranges for the rest. */
export interface ModuleInfo {
  readonly bytes: Uint8Array;
  readonly sections: readonly Section[];
  readonly ctx: ModuleContext;
  /** The function imports, in index order (they are the first function indices). */
  readonly funcImports: readonly FuncImport[];
  readonly globalImports: number;
  /** Whether each global (whole index space) is mutable. */
  readonly globalMutable: readonly boolean[];
  readonly tableImported: boolean;
  readonly memories: number;
  /** Whether the (first) memory is imported rather than defined. */
  readonly memoryImported: boolean;
  readonly exports: readonly Export[];
  /** Each defined function's body (locals and expression, without its size): [start, end) in bytes. */
  readonly bodies: ReadonlyArray<readonly [number, number]>;
  /** Every function an element segment or a global's initializer names (what a table can hold), once each. */
  readonly tableFuncs: readonly number[];
}

function readSections(bytes: Uint8Array, allowTags: boolean): Section[] {
  const r = new ByteReader(bytes);
  const magic = r.take(8);
  const want = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  if (!want.every((b, i) => magic[i] === b)) throw new LeanUnsupported('a binary that is not a version 1 WebAssembly module');
  const out: Section[] = [];
  while (!r.done) {
    const start = r.pos;
    const id = r.u8();
    const size = r.u32();
    const payload = r.pos;
    r.take(size);
    if ((id === TAG_SECTION && !allowTags) || (id !== SEC.custom && RANK[id] === undefined)) throw new LeanUnsupported(id === 13 ? 'exception tags (the tag section)' : `section ${id}`);
    out.push({ id, start, payload, end: r.pos });
  }
  return out;
}

function readFuncType(r: ByteReader): FuncType {
  const form = r.u8();
  if (form !== 0x60) throw new LeanUnsupported(`type form 0x${form.toString(16)} (GC types)`);
  const params: ValType[] = [];
  for (let n = r.u32(); n > 0; n--) params.push(r.valType());
  const results: ValType[] = [];
  for (let n = r.u32(); n > 0; n--) results.push(r.valType());
  return { params, results };
}

function readLimits(r: ByteReader, what: string): void {
  const flags = r.u8();
  if ((flags & ~0x03) !== 0) throw new LeanUnsupported(`${what} limits flags 0x${flags.toString(16)} (memory64 or another proposal)`);
  if ((flags & 0x02) !== 0 && what === 'memory') throw new LeanUnsupported('shared memory (threads)');
  r.u32();
  if ((flags & 0x01) !== 0) r.u32();
}

function tableType(r: ByteReader): ValType {
  const t = r.valType();
  if (t !== 0x70 && t !== 0x6f) throw new LeanUnsupported(`table of 0x${t.toString(16)}`);
  readLimits(r, 'table');
  return t;
}

/**
 * Reads a module's sections and what the analysis needs; LeanUnsupported for what the lean transform does
 * not handle. `tags` lets a tag section through (copied as it is): the lean transform's own output has one.
 */
export function readModule(bytes: Uint8Array, opts: { tags?: boolean } = {}): ModuleInfo {
  const sections = readSections(bytes, opts.tags ?? false);
  const types: FuncType[] = [];
  const funcTypes: number[] = [];
  const globalTypes: ValType[] = [];
  const globalMutable: boolean[] = [];
  const tableTypes: ValType[] = [];
  const funcImports: FuncImport[] = [];
  const exports: Export[] = [];
  const bodies: Array<readonly [number, number]> = [];
  const tableFuncs = new Set<number>();
  let globalImports = 0;
  let tableImported = false;
  let memories = 0;
  let memoryImported = false;
  let declared = 0;
  for (const s of sections) {
    const r = new ByteReader(bytes, s.payload, s.end);
    switch (s.id) {
      case SEC.type:
        for (let n = r.u32(); n > 0; n--) types.push(readFuncType(r));
        break;
      case SEC.import:
        for (let n = r.u32(); n > 0; n--) {
          const module = r.name();
          const name = r.name();
          const kind = r.u8();
          if (kind === EXTERN.func) {
            const type = r.u32();
            funcImports.push({ module, name, type });
            funcTypes.push(type);
          } else if (kind === EXTERN.table) {
            tableTypes.push(tableType(r));
            tableImported = true;
          } else if (kind === EXTERN.memory) {
            readLimits(r, 'memory');
            memories++;
            memoryImported = true;
          } else if (kind === EXTERN.global) {
            globalTypes.push(r.valType());
            globalMutable.push(r.u8() === 1);
            globalImports++;
          } else {
            throw new LeanUnsupported(`import kind ${kind} (exception tags?)`);
          }
        }
        break;
      case SEC.function:
        for (let n = r.u32(); n > 0; n--) funcTypes.push(r.u32());
        declared = funcTypes.length - funcImports.length;
        break;
      case SEC.table:
        for (let n = r.u32(); n > 0; n--) tableTypes.push(tableType(r));
        break;
      case SEC.memory:
        for (let n = r.u32(); n > 0; n--) {
          readLimits(r, 'memory');
          memories++;
        }
        break;
      case SEC.global:
        for (let n = r.u32(); n > 0; n--) {
          globalTypes.push(r.valType());
          globalMutable.push(r.u8() === 1);
          readConstExpr(r, (f) => tableFuncs.add(f));
        }
        break;
      case SEC.export:
        for (let n = r.u32(); n > 0; n--) {
          const name = r.name();
          const kind = r.u8();
          if (kind > EXTERN.global) throw new LeanUnsupported(`export kind ${kind}`);
          exports.push({ name, kind, index: r.u32() });
        }
        break;
      case SEC.element:
        readElements(r, (f) => tableFuncs.add(f));
        break;
      case SEC.code:
        for (let n = r.u32(); n > 0; n--) {
          const size = r.u32();
          bodies.push([r.pos, r.pos + size]);
          r.take(size);
        }
        break;
      default:
        break;
    }
  }
  if (memories > 1) throw new LeanUnsupported('several memories');
  if (bodies.length !== declared) throw new LeanUnsupported(`a module with ${declared} functions and ${bodies.length} bodies`);
  for (const t of funcTypes) if (types[t] === undefined) throw new LeanUnsupported(`function type ${t} past the type section`);
  return {
    bytes,
    sections,
    ctx: { types, funcTypes, globalTypes, tableTypes },
    funcImports,
    globalImports,
    globalMutable,
    tableImported,
    memories,
    memoryImported,
    exports,
    bodies,
    tableFuncs: [...tableFuncs],
  };
}

/** An element segment's parts, by its flags (the spec's eight encodings). */
function elemShape(flags: number): { table: boolean; offset: boolean; kind: boolean; exprs: boolean } {
  if (flags > 7) throw new LeanUnsupported(`element segment flags ${flags}`);
  const passiveOrDeclared = (flags & 1) !== 0;
  const explicitTable = (flags & 2) !== 0;
  return {
    table: !passiveOrDeclared && explicitTable,
    offset: !passiveOrDeclared,
    // flags 1, 2, 3 (and 5, 6, 7) carry an elemkind or reftype byte; 0 and 4 do not.
    kind: passiveOrDeclared || explicitTable,
    exprs: (flags & 4) !== 0,
  };
}

function readElements(r: ByteReader, onFunc: (f: number) => void): void {
  for (let n = r.u32(); n > 0; n--) {
    const shape = elemShape(r.u32());
    if (shape.table) r.u32();
    if (shape.offset) readConstExpr(r, onFunc);
    if (shape.kind) r.u8();
    for (let m = r.u32(); m > 0; m--) {
      if (shape.exprs) readConstExpr(r, onFunc);
      else onFunc(r.u32());
    }
  }
}

function writeElements(r: ByteReader, w: ByteWriter, func: (i: number) => number): void {
  let n = r.u32();
  w.u32(n);
  for (; n > 0; n--) {
    const flags = r.u32();
    const shape = elemShape(flags);
    w.u32(flags);
    if (shape.table) w.u32(r.u32());
    if (shape.offset) writeConstExpr(r, w, func);
    if (shape.kind) w.u8(r.u8());
    let m = r.u32();
    w.u32(m);
    for (; m > 0; m--) {
      if (shape.exprs) writeConstExpr(r, w, func);
      else w.u32(func(r.u32()));
    }
  }
}

/** A global the transform adds. */
export interface NewGlobal {
  readonly type: 0x7f;
  readonly mutable: boolean;
  readonly init: number;
}

/** What the transform adds to a module, in output index spaces, and how bodies change. */
export interface Additions {
  /** Types appended after the input's. */
  readonly types: readonly FuncType[];
  /** An `amber.preempt` import appended to the imports (type index given): defined functions shift by one. */
  readonly preemptImport: number | null;
  readonly globals: readonly NewGlobal[];
  /**
   * Functions appended after the defined ones: their type index and body (locals and expression). The
   * body callback may append more (and types they need): the code is rewritten before the type and
   * function sections are written.
   */
  readonly functions: ReadonlyArray<{ readonly type: number; readonly body: Uint8Array }>;
  readonly exports: readonly Export[];
  /** A tag of this type index added as tag 0 (the module has none: readModule refuses a tag section). */
  readonly tagType?: number;
  /** Where an input export of a function points in the output (default: the function's output index). */
  readonly exportFunc?: (index: number) => number;
  /** The new body of the i-th defined function (input body bytes given), or null to keep it as it is. */
  readonly body: (i: number, body: Uint8Array) => Uint8Array | null;
  /**
   * A new payload for an input section the writer does not rewrite itself (memory, data, datacount), or
   * null to copy it. Called after the bodies are rewritten.
   */
  readonly section?: (s: Section) => Uint8Array | null;
}

export const NOTHING: Additions = { types: [], preemptImport: null, globals: [], functions: [], exports: [], body: () => null };

/** The output index of each input function index once `additions` are made. */
export function funcMap(info: ModuleInfo, preemptImport: boolean): (i: number) => number {
  const imports = info.funcImports.length;
  return preemptImport ? (i) => (i < imports ? i : i + 1) : (i) => i;
}

/** Bytes in pieces, joined once at the end (a 30 MB code section is copied once). */
class Pieces {
  readonly parts: Uint8Array[] = [];
  length = 0;
  push(b: Uint8Array): void {
    this.parts.push(b);
    this.length += b.length;
  }
}

function leb(v: number): Uint8Array {
  return new ByteWriter(8).u32(v).finish();
}

/** Writes the module with additions: sections the additions do not touch are copied as they are. */
export function writeModule(info: ModuleInfo, add: Additions): Uint8Array<ArrayBuffer> {
  const bytes = info.bytes;
  const func = funcMap(info, add.preemptImport !== null);
  const shifted = add.preemptImport !== null;
  // The bodies first: their rewrite may append functions and types (see Additions.functions).
  const code = codeSection(info, info.sections.find((s) => s.id === SEC.code), add);
  const changed = add.types.length + add.globals.length + add.functions.length + add.exports.length > 0 || shifted || add.tagType !== undefined;
  const exportFunc = add.exportFunc ?? func;
  const out = new Pieces();
  out.push(bytes.subarray(0, 8));
  const section = (id: number, payload: Pieces | Uint8Array): void => {
    out.push(Uint8Array.of(id));
    out.push(leb(payload.length));
    if (payload instanceof Uint8Array) out.push(payload);
    else for (const p of payload.parts) out.push(p);
  };
  /** A vector section: its entries as they are, then appended ones (count rewritten). */
  const appended = (s: Section | undefined, extra: number, write: (w: ByteWriter) => void): ByteWriter => {
    const w = new ByteWriter(64 + (s === undefined ? 0 : s.end - s.payload));
    if (s === undefined) {
      w.u32(extra);
    } else {
      const r = new ByteReader(bytes, s.payload, s.end);
      w.u32(r.u32() + extra);
      w.bytes(bytes.subarray(r.pos, s.end));
    }
    write(w);
    return w;
  };
  const emitted = new Set<number>();
  const emit = (id: number, s: Section | undefined): void => {
    emitted.add(id);
    switch (id) {
      case SEC.type:
        if (add.types.length === 0) break;
        section(id, appended(s, add.types.length, (w) => {
          for (const t of add.types) {
            w.u8(0x60).u32(t.params.length);
            for (const p of t.params) w.u8(p);
            w.u32(t.results.length);
            for (const p of t.results) w.u8(p);
          }
        }).finish());
        return;
      case SEC.import:
        if (add.preemptImport === null) break;
        section(id, appended(s, 1, (w) => void w.name('amber').name('preempt').u8(EXTERN.func).u32(add.preemptImport!)).finish());
        return;
      case SEC.function:
        if (add.functions.length === 0) break;
        section(id, appended(s, add.functions.length, (w) => {
          for (const f of add.functions) w.u32(f.type);
        }).finish());
        return;
      case SEC.global:
        if (add.globals.length === 0 && (!shifted || s === undefined)) break;
        section(id, globalSection(info, s, add, func));
        return;
      case SEC.export:
        if (add.exports.length === 0 && (!shifted || s === undefined) && add.exportFunc === undefined) break;
        section(id, appended(undefined, info.exports.length + add.exports.length, (w) => {
          for (const e of [...info.exports.map((e) => (e.kind === EXTERN.func ? { ...e, index: exportFunc(e.index) } : e)), ...add.exports]) {
            w.name(e.name).u8(e.kind).u32(e.index);
          }
        }).finish());
        return;
      case TAG_SECTION:
        if (add.tagType === undefined) break;
        section(id, new ByteWriter(8).u32(1).u8(0).u32(add.tagType).finish());
        return;
      case SEC.start:
        if (!shifted || s === undefined) break;
        section(id, leb(func(new ByteReader(bytes, s.payload, s.end).u32())));
        return;
      case SEC.element: {
        if (!shifted || s === undefined) break;
        const w = new ByteWriter(s.end - s.payload + 64);
        writeElements(new ByteReader(bytes, s.payload, s.end), w, func);
        section(id, w.finish());
        return;
      }
      case SEC.code:
        section(id, code);
        return;
      default: {
        const payload = s === undefined ? null : add.section?.(s) ?? null;
        if (payload === null) break;
        section(id, payload);
        return;
      }
    }
    if (s !== undefined) out.push(bytes.subarray(s.start, s.end));
  };
  const needed = [SEC.type, SEC.import, SEC.function, ...(add.tagType !== undefined ? [TAG_SECTION] : []), SEC.global, SEC.export, SEC.code];
  const flushBefore = (rank: number): void => {
    for (const id of needed) if (RANK[id]! < rank && !emitted.has(id)) emit(id, undefined);
  };
  for (const s of info.sections) {
    if (s.id === SEC.custom) {
      const kept = changed ? customSection(info, s, shifted, func) : bytes.subarray(s.start, s.end);
      if (kept !== null) out.push(kept);
      continue;
    }
    flushBefore(RANK[s.id]!);
    emit(s.id, s);
  }
  flushBefore(Infinity);
  const result = new Uint8Array(out.length);
  let at = 0;
  for (const p of out.parts) {
    result.set(p, at);
    at += p.length;
  }
  return result;
}

function globalSection(info: ModuleInfo, s: Section | undefined, add: Additions, func: (i: number) => number): Uint8Array {
  const bytes = info.bytes;
  const w = new ByteWriter(64 + (s === undefined ? 0 : s.end - s.payload));
  if (s === undefined) {
    w.u32(add.globals.length);
  } else {
    const r = new ByteReader(bytes, s.payload, s.end);
    let n = r.u32();
    w.u32(n + add.globals.length);
    for (; n > 0; n--) {
      w.u8(r.u8()).u8(r.u8());
      writeConstExpr(r, w, func);
    }
  }
  for (const g of add.globals) w.u8(g.type).u8(g.mutable ? 1 : 0).u8(0x41).s32(g.init).u8(0x0b);
  return w.finish();
}

function codeSection(info: ModuleInfo, s: Section | undefined, add: Additions): Pieces {
  const bytes = info.bytes;
  const p = new Pieces();
  if (s !== undefined) {
    const r = new ByteReader(bytes, s.payload, s.end);
    r.u32();
    // Runs of unchanged bodies are copied as one range, size prefixes and all.
    let run = r.pos;
    for (let i = 0; i < info.bodies.length; i++) {
      const [start, end] = info.bodies[i]!;
      const entry = r.pos;
      r.u32();
      r.pos = end;
      const body = add.body(i, bytes.subarray(start, end));
      if (body === null) continue;
      if (entry > run) p.push(bytes.subarray(run, entry));
      p.push(leb(body.length));
      p.push(body);
      run = end;
    }
    if (s.end > run) p.push(bytes.subarray(run, s.end));
  }
  for (const f of add.functions) {
    p.push(leb(f.body.length));
    p.push(f.body);
  }
  const out = new Pieces();
  out.push(leb(info.bodies.length + add.functions.length));
  for (const part of p.parts) out.push(part);
  return out;
}

/**
 * A custom section of a module being changed: the name section with its function indices remapped; DWARF,
 * linking and relocations dropped (they hold code offsets or indices the rewrite changes); the rest kept.
 */
function customSection(info: ModuleInfo, s: Section, shifted: boolean, func: (i: number) => number): Uint8Array | null {
  const bytes = info.bytes;
  const r = new ByteReader(bytes, s.payload, s.end);
  const name = r.name();
  if (name.startsWith('.debug_') || name === 'linking' || name.startsWith('reloc.')) return null;
  if (name !== 'name' || !shifted) return bytes.subarray(s.start, s.end);
  const w = new ByteWriter(s.end - s.start + 64);
  w.name(name);
  while (!r.done) {
    const id = r.u8();
    const size = r.u32();
    const end = r.pos + size;
    if (id !== 1 && id !== 2 && id !== 3) {
      w.u8(id).u32(size).bytes(bytes.subarray(r.pos, end));
      r.pos = end;
      continue;
    }
    const sub = new ByteWriter(size + 16);
    let n = r.u32();
    sub.u32(n);
    for (; n > 0; n--) {
      sub.u32(func(r.u32()));
      const from = r.pos;
      if (id === 1) r.take(r.u32());
      else for (let m = r.u32(); m > 0; m--) void (r.u32(), r.take(r.u32()));
      sub.bytes(bytes.subarray(from, r.pos));
    }
    if (r.pos !== end) return null;
    const body = sub.finish();
    w.u8(id).u32(body.length).bytes(body);
  }
  const payload = w.finish();
  return new ByteWriter(payload.length + 8).u8(0).u32(payload.length).bytes(payload).finish();
}
