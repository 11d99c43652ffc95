// A transformed guest run as CRIU's zdtm runs a test across dumps and restores: a Fiber (wasi/suspend.ts)
// stopped wherever its options make it stop, its image moved into a fresh instance at every few stops,
// with FakeWasi as its kernel (a tracked module's too: FakeWasi is given the module's write-map base).
import { Fiber, type FiberOptions, type RunOutcome } from '../../wasi/suspend.js';
import { Exit, FakeWasi } from './fixture.js';

export interface MovingRun {
  stdout: string;
  code: number;
  /** How many times the fiber stopped, and how many of those it moved into a fresh instance. */
  stops: number;
  moves: number;
  /** The last instance's write-map base (wasi/transformed.ts TRACK_BASE_EXPORT; 0 untracked). */
  base: number;
}

/** Runs module to its end under fiberOpts, moving it into a fresh instance at every `every`-th stop. */
export function runMoving(module: WebAssembly.Module, args: string[], fiberOpts: FiberOptions, every: number): MovingRun {
  let wasi = new FakeWasi({ args });
  let fiber = new Fiber(module, { wasi_snapshot_preview1: wasi.imports() }, fiberOpts);
  wasi.memory = fiber.memory;
  wasi.base = fiber.trackBase;
  let stdout = '';
  let stops = 0;
  let moves = 0;
  const settle = (run: () => RunOutcome): RunOutcome | { kind: 'exit'; code: number } => {
    try {
      return run();
    } catch (e) {
      if (e instanceof Exit) return { kind: 'exit', code: e.code };
      throw e;
    }
  };
  const first = fiber;
  let out = settle(() => first.start());
  while (out.kind === 'suspended') {
    stops++;
    if (stops % every === 0) {
      const image = fiber.image();
      stdout += wasi.stdout;
      wasi = new FakeWasi({ args });
      fiber = Fiber.restore(module, { wasi_snapshot_preview1: wasi.imports() }, image, fiberOpts);
      wasi.memory = fiber.memory;
      wasi.base = fiber.trackBase;
      moves++;
    }
    const p = out.pending;
    const f = fiber;
    const w = wasi;
    if (p.cause !== 'blocked') out = settle(() => f.resume());
    else if (p.name === 'poll_oneoff') out = settle(() => f.resume(w.completePoll(p.args)));
    else out = settle(() => f.resume({ retry: true }));
  }
  return { stdout: stdout + wasi.stdout, code: out.kind === 'exit' ? out.code : 0, stops, moves, base: fiber.trackBase };
}
