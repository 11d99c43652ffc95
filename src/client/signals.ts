// Signal names as `kill` takes them (TERM, SIGTERM, 15), Linux's numbers (signal(7)).
import { AmberError } from '../base/error.js';

const SIGNALS: Readonly<Record<string, number>> = { HUP: 1, INT: 2, QUIT: 3, KILL: 9, USR1: 10, USR2: 12, TERM: 15 };

/** The signal's number; TERM when none is given. */
export function signalNumber(s: string | undefined): number {
  if (s === undefined) return 15;
  const name = s.toUpperCase().replace(/^SIG/, '');
  const n = /^\d+$/.test(name) ? Number(name) : SIGNALS[name];
  if (n === undefined || n < 1 || n > 64) throw new AmberError(`unknown signal ${s}`);
  return n;
}
