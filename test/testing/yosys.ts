// yosys, the big real program (scripts/fetch-yosys.mjs: YoWASP's WASI build from a pinned npm package, with
// the share/ tree it reads at /share), and the designs the tests synthesize with it. A test that needs it
// fails with the script's reason (no npm, no network, a changed package) rather than passing without it.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repo } from './amber.js';

export interface Yosys {
  /** build/yosys/yosys.wasm (~30 MB). */
  wasm: string;
  /** build/yosys/share: mount it at /share (its techmap and cell libraries). */
  share: string;
}

/** build/yosys, fetched first if missing or of another pin (~35 MB through npm's cache). */
export function yosysGuest(): Yosys {
  const r = spawnSync(process.execPath, [join(repo, 'scripts', 'fetch-yosys.mjs')], { encoding: 'utf8', timeout: 300_000 });
  if (r.error) throw r.error;
  const dir = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || dir === '') throw new Error(`yosys could not be fetched (npm run yosys): ${r.stderr.trim()}`);
  return { wasm: join(dir, 'yosys.wasm'), share: join(dir, 'share') };
}

/** An 8-bit counter with synchronous reset: `synth -noabc` maps it to 24 cells (8 $_SDFF_PP0_). */
export const COUNTER_V = `module counter(input clk, input rst, output reg [7:0] q);
  always @(posedge clk)
    if (rst) q <= 0; else q <= q + 1;
endmodule
`;

/** The cells `stat` prints for COUNTER_V after `synth -top counter -noabc`. */
export const COUNTER_CELLS = { total: 24, '$_AND_': 8, '$_NOT_': 1, '$_SDFF_PP0_': 8, '$_XOR_': 7 };

/** A WIDTH×WIDTH multiplier: enough gate-level work for yosys to run a while. */
export function multiplierV(width: number): string {
  return `module mul(input [${width - 1}:0] a, input [${width - 1}:0] b, output [${2 * width - 1}:0] y);
  assign y = a * b;
endmodule
`;
}

/** Writes text to dir/name; its path. */
export function design(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** The `Number of cells` lines of yosys's `stat` output, in order. */
export function cellCounts(log: string): number[] {
  return [...log.matchAll(/^\s*(?:\S+ \| )?\s*Number of cells:\s+(\d+)$/gm)].map((m) => Number(m[1]));
}

/** Each cell type's count in the last `stat` of log (`$_AND_ 8`). */
export function lastCellTypes(log: string): Record<string, number> {
  const at = log.lastIndexOf('Number of cells:');
  const out: Record<string, number> = {};
  if (at < 0) return out;
  for (const line of log.slice(at).split('\n').slice(1)) {
    const m = /^\s*(?:\S+ \| )?\s+(\$\S+)\s+(\d+)$/.exec(line);
    if (m === null) break;
    out[m[1]!] = Number(m[2]);
  }
  return out;
}
