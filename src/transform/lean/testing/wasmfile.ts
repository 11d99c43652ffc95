// Test helpers for the lean transform's body half: a module read just far enough to give its bodies and
// their ModuleContext (the spec's "Modules" chapter, binary format), and tiny modules assembled by hand
// with the sections a test needs. The module half (module.ts) is the real reader; these stay small.
import { ByteReader, ByteWriter } from '../bytes.js';
import type { FuncType, ModuleContext, ValType } from '../types.js';

export interface ParsedModule {
  ctx: ModuleContext;
  /** Imported functions come first in the index space: body i is function imports + i. */
  imports: number;
  bodies: Uint8Array[];
}

export function parseModule(bytes: Uint8Array): ParsedModule {
  const r = new ByteReader(bytes, 8);
  const types: FuncType[] = [];
  const funcTypes: number[] = [];
  const globalTypes: ValType[] = [];
  const tableTypes: ValType[] = [];
  const bodies: Uint8Array[] = [];
  let imports = 0;
  const limits = (s: ByteReader): void => {
    const flag = s.u8();
    s.u32();
    if ((flag & 1) !== 0) s.u32();
  };
  while (!r.done) {
    const id = r.u8();
    const size = r.u32();
    const s = new ByteReader(bytes, r.pos, r.pos + size);
    r.pos += size;
    if (id === 1) {
      for (let n = s.u32(); n > 0; n--) {
        if (s.u8() !== 0x60) throw new Error('not a function type');
        const params = Array.from({ length: s.u32() }, () => s.valType());
        const results = Array.from({ length: s.u32() }, () => s.valType());
        types.push({ params, results });
      }
    } else if (id === 2) {
      for (let n = s.u32(); n > 0; n--) {
        s.name();
        s.name();
        const kind = s.u8();
        if (kind === 0) {
          funcTypes.push(s.u32());
          imports++;
        } else if (kind === 1) {
          tableTypes.push(s.valType());
          limits(s);
        } else if (kind === 2) limits(s);
        else {
          globalTypes.push(s.valType());
          s.u8();
        }
      }
    } else if (id === 3) {
      for (let n = s.u32(); n > 0; n--) funcTypes.push(s.u32());
    } else if (id === 4) {
      for (let n = s.u32(); n > 0; n--) {
        tableTypes.push(s.valType());
        limits(s);
      }
    } else if (id === 6) {
      for (let n = s.u32(); n > 0; n--) {
        globalTypes.push(s.valType());
        s.u8();
        const op = s.u8(); // a constant expression of the MVP: one instruction and end
        if (op === 0x41 || op === 0x42) s.skipLeb();
        else if (op === 0x43) s.take(4);
        else if (op === 0x44) s.take(8);
        else s.u32();
        if (s.u8() !== 0x0b) throw new Error('a global initialiser of more than one instruction');
      }
    } else if (id === 10) {
      for (let n = s.u32(); n > 0; n--) {
        const len = s.u32();
        bodies.push(s.take(len));
      }
    }
  }
  return { ctx: { types, funcTypes, globalTypes, tableTypes }, imports, bodies };
}

/** The module with its code section's bodies replaced (same count), every other section as it was. */
export function replaceBodies(bytes: Uint8Array, bodies: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  const r = new ByteReader(bytes, 8);
  const w = new ByteWriter(bytes.length + 1024).bytes(bytes.subarray(0, 8));
  while (!r.done) {
    const id = r.u8();
    const size = r.u32();
    const content = r.take(size);
    if (id !== 10) {
      w.u8(id).u32(size).bytes(content);
      continue;
    }
    const code = new ByteWriter(size + 1024).u32(bodies.length);
    for (const b of bodies) code.u32(b.length).bytes(b);
    const c = code.finish();
    w.u8(10).u32(c.length).bytes(c);
  }
  return w.finish();
}

export interface HandFunc {
  type: number;
  /** The locals vector and expression, as rewriteBody takes them. */
  body: Uint8Array;
  export?: string;
}

export interface HandModule {
  types: FuncType[];
  /** Function imports (module, name, type index), first in the function index space. */
  imports: Array<{ module: string; name: string; type: number }>;
  funcs: HandFunc[];
  /** Mutable i32 globals, initialised to 0, their indices 0.. */
  globals: number;
  /** Exported globals: name → index. */
  globalExports?: Record<string, number>;
  /** A table of funcref holding these function indices from slot 0. */
  table?: number[];
  /** Pages of memory 0 (exported as `memory`). */
  memory: number;
}

function section(w: ByteWriter, id: number, content: ByteWriter): void {
  const c = content.finish();
  w.u8(id).u32(c.length).bytes(c);
}

/** Assembles a module from hand-written parts. */
export function assemble(m: HandModule): Uint8Array<ArrayBuffer> {
  const w = new ByteWriter().bytes(Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0));
  const t = new ByteWriter().u32(m.types.length);
  for (const ft of m.types) {
    t.u8(0x60).u32(ft.params.length);
    for (const p of ft.params) t.u8(p);
    t.u32(ft.results.length);
    for (const p of ft.results) t.u8(p);
  }
  section(w, 1, t);
  const im = new ByteWriter().u32(m.imports.length);
  for (const i of m.imports) im.name(i.module).name(i.name).u8(0).u32(i.type);
  section(w, 2, im);
  const fs = new ByteWriter().u32(m.funcs.length);
  for (const f of m.funcs) fs.u32(f.type);
  section(w, 3, fs);
  if (m.table !== undefined) section(w, 4, new ByteWriter().u32(1).u8(0x70).u8(0).u32(m.table.length));
  section(w, 5, new ByteWriter().u32(1).u8(0).u32(m.memory));
  const gs = new ByteWriter().u32(m.globals);
  for (let g = 0; g < m.globals; g++) gs.u8(0x7f).u8(1).u8(0x41).u8(0).u8(0x0b);
  section(w, 6, gs);
  const ex = new ByteWriter();
  const exports: Array<[string, number, number]> = [['memory', 2, 0]];
  m.funcs.forEach((f, i) => {
    if (f.export !== undefined) exports.push([f.export, 0, m.imports.length + i]);
  });
  for (const [name, g] of Object.entries(m.globalExports ?? {})) exports.push([name, 3, g]);
  ex.u32(exports.length);
  for (const [name, kind, index] of exports) ex.name(name).u8(kind).u32(index);
  section(w, 7, ex);
  if (m.table !== undefined) {
    const el = new ByteWriter().u32(1).u8(0).u8(0x41).u8(0).u8(0x0b).u32(m.table.length);
    for (const f of m.table) el.u32(f);
    section(w, 9, el);
  }
  const code = new ByteWriter().u32(m.funcs.length);
  for (const f of m.funcs) code.u32(f.body.length).bytes(f.body);
  section(w, 10, code);
  return w.finish();
}
