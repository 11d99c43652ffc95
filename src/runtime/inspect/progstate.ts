// A program's state at the cut as the inspection shows it (checkpointctl's process state): ready,
// suspended in a WASI call (why, and for a timed wait how long was left), or exited, from its record in
// the programs payload and the kernel's monotonic clock at the cut.
import type { ProgramRecord } from '../programs.js';
import type { ContainerInfo } from './inspection.js';

export type ProgramState = Pick<ContainerInfo, 'state' | 'call' | 'cause' | 'waitNs' | 'exit'>;

/** Nanoseconds left of a timed wait at the cut (0 once past), or undefined for an untimed one. */
function waitLeft(r: ProgramRecord, monotonicNs: string): string | undefined {
  const until = r.wait?.untilNs;
  if (until === undefined || until === null) return undefined;
  const left = BigInt(until) - BigInt(monotonicNs);
  return (left < 0n ? 0n : left).toString();
}

/** A program's state at the cut, from its record in the programs payload. */
export function programState(r: ProgramRecord, monotonicNs: string): ProgramState {
  const s: ProgramState = { state: r.state };
  if (r.state === 'suspended' && r.pending !== undefined) {
    s.call = `${r.pending.module}.${r.pending.name}`;
    s.cause = r.pending.cause;
    const left = waitLeft(r, monotonicNs);
    if (left !== undefined) s.waitNs = left;
  }
  if (r.state === 'exited') s.exit = r.exit ?? { kind: 'exit', code: 0 };
  return s;
}
