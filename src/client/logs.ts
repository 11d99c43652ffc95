// A pod's output as its containers wrote it, like `runsc logs` / `kubectl logs`: read from the per-container
// log files its sandbox appends to, whole lines at a time; following them until the pod stops.
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { StateRoot } from '../host/stateroot.js';

export interface LogLine {
  container: string;
  line: string;
}

const FOLLOW_POLL_MS = 100;

/** The lines of each container's log in turn; with follow, new lines as they come until the pod stops. */
export async function* logLines(root: StateRoot, id: string, containers: readonly string[], follow: boolean): AsyncGenerator<LogLine> {
  const offsets = new Map<string, number>(containers.map((n) => [n, 0]));
  const partial = new Map<string, string>();
  /** What was appended since the last drain; a final drain gives an unterminated last line too. */
  const drain = (final: boolean): LogLine[] => {
    const out: LogLine[] = [];
    for (const n of containers) {
      const path = root.logPath(id, n);
      if (!existsSync(path)) continue;
      const size = statSync(path).size;
      const from = offsets.get(n) ?? 0;
      if (size <= from) continue;
      const text = (partial.get(n) ?? '') + readFileSync(path).subarray(from, size).toString('utf8');
      offsets.set(n, size);
      const lines = text.split('\n');
      const rest = lines.pop() ?? '';
      partial.set(n, final ? '' : rest);
      if (final && rest !== '') lines.push(rest);
      for (const line of lines) out.push({ container: n, line });
    }
    return out;
  };
  if (!follow) {
    yield* drain(true);
    return;
  }
  for (;;) {
    yield* drain(false);
    const now = root.read(id);
    if (now === null || now.status === 'stopped') {
      yield* drain(true);
      return;
    }
    await new Promise((res) => setTimeout(res, FOLLOW_POLL_MS));
  }
}

/** A container's whole output so far ("" before it wrote anything). */
export function logText(root: StateRoot, id: string, container: string): string {
  const path = root.logPath(id, container);
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}
