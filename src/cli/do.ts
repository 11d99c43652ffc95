// `amber do [--dir HOST[:GUEST]]... [--env K=V]... -- prog.wasm [args...]`: one program on a fresh
// kernel, wasmtime-style, no pod. The exit code is the program's; a trap is one line and 134.
import { runProgram } from '../client/do.js';
import type { DirMapping } from '../runtime/container.js';
import { UsageError } from './errors.js';
import { processStdio, programExit } from './foreground.js';

/** Parses --dir HOST[:GUEST] (or wasmtime's HOST::GUEST); GUEST defaults to HOST. */
export function parseDir(spec: string): DirMapping {
  const wide = spec.indexOf('::');
  const i = wide >= 0 ? wide : spec.indexOf(':');
  const host = i < 0 ? spec : spec.slice(0, i);
  const guest = i < 0 ? spec : spec.slice(i + (wide >= 0 ? 2 : 1));
  if (host === '' || guest === '') throw new UsageError(`--dir ${spec}: expected HOST[:GUEST]`);
  return { hostPath: host, guestName: guest };
}

export function doVerb(module: string, args: string[], opts: { dir: string[]; env: string[] }): number {
  const dirs = opts.dir.map(parseDir);
  for (const e of opts.env) if (!e.includes('=')) throw new UsageError(`--env ${e}: expected K=V`);
  return programExit(module, runProgram({ module, args, env: opts.env, dirs, stdio: processStdio() }));
}
