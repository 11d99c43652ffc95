// The lean transform's whole-module analysis, as Binaryen's Asyncify and Amber's preempt.ts/indirect.ts
// do it: which functions can unwind (they call a suspending import, a function that can, or through a
// call_indirect whose signature some table function that can unwind has, or they hold a fuel check), and
// which functions get a fuel check at entry (transform/cycles.ts's cuts of the call graph). It reads each
// body's BodyScan only, never the bodies, and is linear in the calls: yosys has ~34,000 functions.
import { SUSPENDING_IMPORTS } from '../../wasi/transformed.js';
import { cycleCuts } from '../cycles.js';
import type { ModuleInfo } from './module.js';
import type { BodyScan, FuncType } from './types.js';

/** Binaryen's `module.base` pattern match: a trailing `*` matches any rest. */
function matches(pattern: string, name: string): boolean {
  return pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : name === pattern;
}

export function isSuspendingImport(module: string, name: string): boolean {
  return SUSPENDING_IMPORTS.some((p) => matches(p, `${module}.${name}`));
}

export interface Analysis {
  /** Whether each function (input index space, imports first) can unwind. */
  readonly canUnwind: Uint8Array;
  /** The defined functions (input indices) that get a fuel check at entry. */
  readonly cuts: ReadonlySet<number>;
  /** Whether a call_indirect of a type index can unwind. */
  readonly indirectUnwinds: (typeIndex: number) => boolean;
  /** Functions with a call_indirect that can unwind; null when a table is imported (then every one can). */
  readonly indirectCallers: number | null;
}

/** Each type index's first index with the same signature: call_indirect compares signatures, not indices. */
export function canonicalTypes(types: readonly FuncType[]): Int32Array {
  const first = new Map<string, number>();
  const out = new Int32Array(types.length);
  types.forEach((t, i) => {
    const key = `${t.params.join(',')}:${t.results.join(',')}`;
    const seen = first.get(key);
    if (seen === undefined) first.set(key, i);
    out[i] = seen ?? i;
  });
  return out;
}

/**
 * The analysis of a module from its bodies' scans (scans[i]: the i-th defined function's). fuel: whether
 * loops and cuts get fuel checks (every loop, in this first version: no short-loop analysis yet).
 */
export function analyse(info: ModuleInfo, scans: readonly BodyScan[], opts: { fuel: boolean }): Analysis {
  const imports = info.funcImports.length;
  const total = info.ctx.funcTypes.length;
  const canonical = canonicalTypes(info.ctx.types);
  const sigOf = (f: number): number => canonical[info.ctx.funcTypes[f]!]!;
  const inTable = new Uint8Array(total);
  for (const f of info.tableFuncs) if (f < total) inTable[f] = 1;
  const tableBySig = new Map<number, number[]>();
  for (const f of info.tableFuncs) {
    if (f >= total) continue;
    const list = tableBySig.get(sigOf(f));
    if (list === undefined) tableBySig.set(sigOf(f), [f]);
    else list.push(f);
  }

  // Cycle cuts over direct calls and the table functions an indirect call's signature can reach.
  const cuts = new Set<number>();
  if (opts.fuel) {
    const graph = new Map<number, number[]>();
    // Every loop has a check (fuelAtLoops), so a call inside one is covered (BodyScan.calleesOutsideLoops).
    scans.forEach((s, i) => {
      const edges = (s.calleesOutsideLoops ?? s.callees).filter((c) => c >= imports);
      for (const t of s.indirectTypesOutsideLoops ?? s.indirectTypes) edges.push(...(tableBySig.get(canonical[t]!) ?? []));
      graph.set(imports + i, edges);
    });
    for (const c of cycleCuts(graph)) cuts.add(c);
  }

  // Who calls whom, backwards: direct callers of each function, indirect callers of each signature.
  const callers: number[][] = Array.from({ length: total }, () => []);
  const indirectBySig = new Map<number, number[]>();
  const indirectAny: number[] = [];
  scans.forEach((s, i) => {
    const f = imports + i;
    for (const c of s.callees) callers[c]?.push(f);
    if (s.indirectTypes.length > 0) indirectAny.push(f);
    for (const t of new Set(s.indirectTypes.map((t) => canonical[t]!))) {
      const list = indirectBySig.get(t);
      if (list === undefined) indirectBySig.set(t, [f]);
      else list.push(f);
    }
  });

  // Fixpoint by worklist: each function and each signature is marked once.
  const canUnwind = new Uint8Array(total);
  const unwindingSigs = new Set<number>();
  const work: number[] = [];
  const mark = (f: number): void => {
    if (canUnwind[f] === 1) return;
    canUnwind[f] = 1;
    work.push(f);
  };
  info.funcImports.forEach((imp, f) => {
    if (isSuspendingImport(imp.module, imp.name)) mark(f);
  });
  if (opts.fuel) scans.forEach((s, i) => {
    if (s.loops > 0 || cuts.has(imports + i)) mark(imports + i);
  });
  if (info.tableImported) for (const f of indirectAny) mark(f);
  for (let f = work.pop(); f !== undefined; f = work.pop()) {
    for (const c of callers[f]!) mark(c);
    if (inTable[f] === 1 && !unwindingSigs.has(sigOf(f))) {
      unwindingSigs.add(sigOf(f));
      for (const c of indirectBySig.get(sigOf(f)) ?? []) mark(c);
    }
  }

  const indirectUnwinds = info.tableImported ? () => true : (t: number) => unwindingSigs.has(canonical[t] ?? -1);
  let indirectCallers: number | null = null;
  if (!info.tableImported) {
    indirectCallers = 0;
    for (const s of scans) if (s.indirectTypes.some(indirectUnwinds)) indirectCallers++;
  }
  return { canUnwind, cuts, indirectUnwinds, indirectCallers };
}
