// `amber do [--dir HOST[:GUEST]]... [--env K=V]... -- prog.wasm [args...]`: one program on a fresh
// kernel, wasmtime-style, no pod. The exit code is the program's; a trap is one line and 134.
import { basename } from 'node:path';
import { existsSync, statSync } from 'node:fs';
import { NodeClock, NodeRandom } from '../host/clock.js';
import { HostFdStream } from '../host/stdio.js';
import { Kernel } from '../kernel/kernel.js';
import { runProgram, BadModuleError } from '../wasi/run.js';
import { containerMounts, guestPathOf, newProc, newShm, type DirMapping } from '../runtime/container.js';
import { addTmp, buildMountTree } from '../runtime/rootfs.js';
import { hostStreamsFs, spawn } from '../runtime/spawn.js';
import { Tmpfs } from '../fsimpl/tmpfs/tmpfs.js';
import { openHostDirFs } from '../host/hostdir_mount.js';
import { AmberError } from '../base/error.js';
import { UsageError } from './errors.js';
import { loadModule } from './module.js';

export interface DoOptions {
  dir: string[];
  env: string[];
}

/** Parses --dir HOST[:GUEST] (or wasmtime's HOST::GUEST); GUEST defaults to HOST. */
export function parseDir(spec: string): DirMapping {
  const wide = spec.indexOf('::');
  const i = wide >= 0 ? wide : spec.indexOf(':');
  const host = i < 0 ? spec : spec.slice(0, i);
  const guest = i < 0 ? spec : spec.slice(i + (wide >= 0 ? 2 : 1));
  if (host === '' || guest === '') throw new UsageError(`--dir ${spec}: expected HOST[:GUEST]`);
  if (!existsSync(host)) throw new AmberError(`--dir ${spec}: host directory ${host} does not exist`);
  if (!statSync(host).isDirectory()) throw new AmberError(`--dir ${spec}: ${host} is not a directory`);
  return { hostPath: host, guestName: guest };
}

export function runDo(modulePath: string, args: string[], opts: DoOptions): number {
  const dirs = opts.dir.map(parseDir);
  for (const e of opts.env) if (!e.includes('=')) throw new UsageError(`--env ${e}: expected K=V`);
  const module = loadModule(modulePath);
  const kernel = new Kernel({ clock: new NodeClock(), random: new NodeRandom() });
  const rootFs = new Tmpfs({ dev: kernel.allocDev(), now: kernel.now, source: 'rootfs' });
  const mounts = containerMounts(kernel, {
    shm: newShm(kernel),
    proc: newProc(kernel),
    extra: dirs.map((d) => ({ guestPath: guestPathOf(d.guestName), fs: openHostDirFs(kernel, d.hostPath, false), flags: 0 })),
  });
  const ns = buildMountTree(kernel, rootFs, 0, mounts);
  addTmp(kernel, ns);
  const proc = spawn(kernel, hostStreamsFs(kernel), {
    ns,
    argv: [basename(modulePath), ...args],
    env: opts.env,
    stdio: [new HostFdStream(0), new HostFdStream(1), new HostFdStream(2)],
    role: 'do',
    preopens: dirs.map((d) => ({ name: d.guestName, guestPath: guestPathOf(d.guestName) })),
  });
  let end;
  try {
    end = runProgram(module, proc);
  } catch (e) {
    if (e instanceof BadModuleError) throw new AmberError(`${modulePath}: ${e.message}`);
    throw e;
  }
  if (end.kind === 'trap') {
    process.stderr.write(`amber: ${modulePath}: ${end.message}\n`);
    return 134;
  }
  return end.code;
}
