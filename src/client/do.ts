// `amber do` for programs: one WASI program on a fresh kernel in this process, no pod, like `runsc do` or
// `wasmtime run`: a tmpfs root with /dev, /dev/shm, /proc and /tmp, each given host directory mounted and
// preopened, the caller's streams as stdio; it runs to its end synchronously (nothing is checkpointed).
import { basename, resolve } from 'node:path';
import { existsSync, statSync } from 'node:fs';
import { AmberError, KernelError } from '../base/error.js';
import type { HostStream } from '../fsimpl/hostfd/hostfd.js';
import { Tmpfs } from '../fsimpl/tmpfs/tmpfs.js';
import { NodeClock, NodeRandom } from '../host/clock.js';
import { openHostDirFs } from '../host/hostdir_mount.js';
import { WorkingDirectoryLease } from '../host/workdir.js';
import { setKernelTier } from '../host/guesttier.js';
import { compileModuleFile, inModule } from '../host/modulefile.js';
import { Kernel } from '../kernel/kernel.js';
import { containerMounts, guestPathOf, newProc, newShm, type DirMapping } from '../runtime/container.js';
import { addTmp, buildMountTree, mountInto } from '../runtime/rootfs.js';
import { hostStreamsFs, spawn } from '../runtime/spawn.js';
import { runProgram as runInKernel, type ProgramEnd } from '../wasi/run.js';
import { refuseNul } from './errors.js';

export type { ProgramEnd };

export interface SingleProgram {
  /** The .wasm file. */
  module: string;
  args: readonly string[];
  /** "K=V" each. */
  env: readonly string[];
  /** Host directories to mount (at guestName) and preopen. */
  dirs: readonly DirMapping[];
  stdio: readonly [HostStream, HostStream, HostStream];
}

function checkDir(d: DirMapping): void {
  if (!existsSync(d.hostPath)) throw new AmberError(`--dir ${d.hostPath}: host directory ${d.hostPath} does not exist`);
  if (!statSync(d.hostPath).isDirectory()) throw new AmberError(`--dir ${d.hostPath}: ${d.hostPath} is not a directory`);
}

/** Runs the program to its end: its exit code, or the trap that ended it. */
export function runProgram(p: SingleProgram): ProgramEnd {
  refuseNul('module', [p.module]);
  refuseNul('args', p.args);
  refuseNul('env', p.env);
  for (const d of p.dirs) refuseNul('--dir', [d.hostPath, d.guestName]);
  p.dirs.forEach(checkDir);
  const module = compileModuleFile(p.module);
  // Host paths are made absolute first: the run may move the working directory (host/workdir.ts), which
  // it may since it is synchronous: nothing else in this process resolves a relative path until it ends.
  const hostPaths = p.dirs.map((d) => resolve(d.hostPath));
  const cwd = WorkingDirectoryLease.take();
  try {
    return runOnKernel(p, hostPaths, module, cwd ?? undefined);
  } finally {
    cwd?.release();
  }
}

function runOnKernel(p: SingleProgram, hostPaths: readonly string[], module: WebAssembly.Module, cwd: WorkingDirectoryLease | undefined): ProgramEnd {
  const kernel = new Kernel({ clock: new NodeClock(), random: new NodeRandom() });
  const rootFs = new Tmpfs({ dev: kernel.allocDev(), now: kernel.now, source: 'rootfs' });
  const ns = buildMountTree(kernel, rootFs, 0, containerMounts(kernel, { shm: newShm(kernel), proc: newProc(kernel), extra: [] }));
  for (const [i, d] of p.dirs.entries()) {
    const guestPath = guestPathOf(d.guestName);
    try {
      mountInto(kernel, ns, { guestPath, fs: openHostDirFs(kernel, hostPaths[i] ?? d.hostPath, false, undefined, cwd), flags: 0 });
    } catch (e) {
      if (!(e instanceof KernelError)) throw e;
      throw new AmberError(`--dir ${d.hostPath}:${d.guestName}: cannot mount at ${guestPath}: ${e.message}`, { cause: e });
    }
  }
  addTmp(kernel, ns);
  const proc = spawn(kernel, hostStreamsFs(kernel), {
    ns,
    argv: [basename(p.module), ...p.args],
    env: [...p.env],
    stdio: p.stdio,
    role: 'do',
    preopens: p.dirs.map((d) => ({ name: d.guestName, guestPath: guestPathOf(d.guestName) })),
  });
  setKernelTier();
  return inModule(p.module, () => runInKernel(module, proc));
}
