// Turning samples into the tables the benchmark prints: medians, ratios amber/baseline, pass or fail
// against each figure's target, how noisy the runs were, and whole-process wall times.
import type { Figure } from './figures.js';
import type { Sample } from './commands.js';

export interface Result {
  figure: Figure;
  amber: Sample[];
  baseline: Sample[];
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function ms(ns: number): string {
  return `${(ns / 1e6).toFixed(1)} ms`;
}

function ratio(a: number, b: number): string {
  return `${(a / b).toFixed(a / b < 0.1 ? 3 : 2)}×`;
}

/** Left-aligns the first column and right-aligns the rest, two spaces apart. */
export function table(rows: string[][]): string {
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ').trimEnd())
    .join('\n');
}

/** Half of (max − min) / median, for the noisier side: how far one run may be off. */
function spread(...sides: number[][]): string {
  const worst = Math.max(...sides.map((xs) => (Math.max(...xs) - Math.min(...xs)) / median(xs)));
  return `±${Math.round((worst * 100) / 2)}%`;
}

/** Pass or FAIL against f's target: a ratio of inner-loop medians, or extra whole-process milliseconds. */
function verdict(f: Figure, r: Result): string {
  const t = f.target;
  if (t === undefined) return 'info';
  if ('maxRatio' in t) return innerRatio(r) <= t.maxRatio ? 'pass' : 'FAIL';
  return extraMs(r) <= t.maxExtraMs ? 'pass' : 'FAIL';
}

function innerRatio(r: Result): number {
  return median(r.amber.map((s) => s.innerNs)) / median(r.baseline.map((s) => s.innerNs));
}

/** Amber's whole-process median minus the baseline's, in milliseconds. */
function extraMs(r: Result): number {
  return (median(r.amber.map((s) => s.wallNs)) - median(r.baseline.map((s) => s.wallNs))) / 1e6;
}

/**
 * Inner-loop medians: figure, amber, baseline, ratio, target, pass/fail (on CLOCK_MONOTONIC), then the
 * runs' spread and the same ratio in process CPU time, which a busy machine disturbs far less.
 */
export function innerTable(results: Result[]): string {
  const rows = [['figure (inner loop, median)', 'amber', 'baseline', 'time', 'ratio', 'target', 'result', 'noise', 'cpu ratio']];
  for (const r of results) {
    const { figure: f, amber, baseline } = r;
    if (f.whole === true) continue;
    const as = amber.map((s) => s.innerNs);
    const bs = baseline.map((s) => s.innerNs);
    const a = median(as);
    const b = median(bs);
    const cpu = ratio(median(amber.map((s) => s.cpuNs)), median(baseline.map((s) => s.cpuNs)));
    rows.push([f.title, ms(a), f.baseline.label, ms(b), ratio(a, b), f.target?.text ?? '—', verdict(f, r), spread(as, bs), cpu]);
  }
  return table(rows);
}

/**
 * Whole-process medians, start-up included, and per-operation costs of the inner loop; a whole-process
 * figure (start-up) is judged here, on amber's extra milliseconds over its baseline.
 */
export function wallTable(results: Result[]): string {
  const rows = [['figure (whole process, median)', 'amber', 'baseline', 'time', 'extra', 'ratio', 'target', 'result', 'amber/op', 'baseline/op']];
  for (const r of results) {
    const { figure: f, amber, baseline } = r;
    const a = median(amber.map((s) => s.wallNs));
    const b = median(baseline.map((s) => s.wallNs));
    const per = (xs: Sample[]): string => (f.ops === undefined ? '' : `${(median(xs.map((s) => s.innerNs)) / f.ops).toFixed(0)} ns`);
    const judged = f.whole === true;
    const extra = `${extraMs(r) >= 0 ? '+' : ''}${extraMs(r).toFixed(0)} ms`;
    rows.push([f.title, ms(a), f.baseline.label, ms(b), extra, ratio(a, b), judged ? (f.target?.text ?? '—') : '', judged ? verdict(f, r) : '', per(amber), per(baseline)]);
  }
  return table(rows);
}

export function failures(results: Result[]): Figure[] {
  return results.filter((r) => verdict(r.figure, r) === 'FAIL').map((r) => r.figure);
}
