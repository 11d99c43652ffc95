// wasi/suspend.ts's Fiber driving transformed guests: preemption, blocking calls, save and restore. It
// lives here, not beside suspend.ts, because it needs the transform, and wasi/ (tests included) never
// imports transform/, a layer above it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import binaryen from 'binaryen';
import { AsyncifyOverflowError, Fiber, SUSPEND, type FiberOptions, type RunOutcome } from '../wasi/suspend.js';
import { transformModule } from './transform.js';
import { drive, Exit, FakeWasi, guestBytes, runRaw, settle, transformedGuest } from './testing/fixture.js';

/** A fiber of a transformed guest over a fresh FakeWasi. */
function fiberOf(name: string, args: string[], opts: FiberOptions = {}, wasiOpts: { onWrite?: (t: string) => void } = {}): { fiber: Fiber; wasi: FakeWasi } {
  const wasi = new FakeWasi({ args, ...wasiOpts });
  const fiber = new Fiber(transformedGuest(name), { wasi_snapshot_preview1: wasi.imports() }, opts);
  wasi.memory = fiber.memory;
  return { fiber, wasi };
}

function wat(text: string): WebAssembly.Module {
  const mod = binaryen.parseText(text);
  try {
    return new WebAssembly.Module(transformModule(mod.emitBinary()));
  } finally {
    mod.dispose();
  }
}

describe('Fiber: preemption', () => {
  it('stops a guest spinning in a loop without calls, and it continues to the same result', () => {
    const args = ['lcg', '30000000'];
    const want = runRaw(guestBytes('spin'), args);
    let asked = 0;
    const { fiber, wasi } = fiberOf('spin', args, { fuel: 1 << 16, shouldYield: () => ++asked % 4 === 0 });
    const { code, causes } = drive(fiber, wasi);
    assert.equal(code, want.code);
    assert.equal(wasi.stdout, want.stdout);
    assert.ok(causes.filter((c) => c === 'preempted:preempt').length >= 5, `preempted only ${causes.length} times`);
    assert.equal(fiber.status, 'exited');
  });

  it('stops an endless loop that makes no calls at all', () => {
    const m = wat(`(module (memory (export "memory") 1)
      (func (export "_start") (loop $l (br $l))))`);
    let asked = 0;
    const fiber = new Fiber(m, {}, { fuel: 100, shouldYield: () => ++asked >= 3 });
    const out = fiber.start();
    assert.equal(out.kind, 'suspended');
    assert.deepEqual(out.kind === 'suspended' && out.pending, { module: 'amber', name: 'preempt', args: [], cause: 'preempted' });
    assert.equal(asked, 3);
    asked = 0;
    assert.equal(fiber.resume().kind, 'suspended');
  });

  it('stops deep recursion that has no loop', () => {
    // f(n) = n == 0 ? 0 : f(n - 1) + f(n - 1), about 2^20 calls: only the entry check can stop it.
    const m = wat(`(module (memory (export "memory") 1) (global $r (mut i32) (i32.const 0))
      (func $f (param i32) (result i32)
        (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 1))
          (else (i32.add (call $f (i32.sub (local.get 0) (i32.const 1))) (call $f (i32.sub (local.get 0) (i32.const 1)))))))
      (func (export "_start") (global.set $r (call $f (i32.const 20))))
      (export "result" (global $r)))`);
    let asked = 0;
    const fiber = new Fiber(m, {}, { fuel: 1000, shouldYield: () => ++asked % 50 === 0 });
    let out = fiber.start();
    let stops = 0;
    while (out.kind === 'suspended') {
      stops++;
      out = fiber.resume();
    }
    assert.ok(stops > 10, `stopped ${stops} times`);
    assert.equal((fiber.instance.exports['result'] as WebAssembly.Global).value, 1 << 20);
  });

  it('stops a loop of calls after a call once its time is up, though its fuel is not spent', () => {
    // Each trip calls sched_yield: fuel counts loop trips, so a loop of costly calls would run for its
    // whole quantum of trips; with yieldAfterCalls shouldYield is asked after every call that completes.
    const m = wat(`(module (import "wasi_snapshot_preview1" "sched_yield" (func $y (result i32)))
      (memory (export "memory") 1) (global $n (mut i32) (i32.const 0))
      (func (export "_start") (loop $l (drop (call $y)) (global.set $n (i32.add (global.get $n) (i32.const 1)))
        (br_if $l (i32.lt_u (global.get $n) (i32.const 5)))))
      (export "n" (global $n)))`);
    let calls = 0;
    const fiber = new Fiber(m, { wasi_snapshot_preview1: { sched_yield: () => (calls++, 0) } }, { fuel: 1 << 30, shouldYield: () => true, yieldAfterCalls: true });
    const pending = [];
    for (let out = fiber.start(); out.kind === 'suspended'; out = fiber.resume()) pending.push(out.pending);
    assert.equal(calls, 5, 'each call made once');
    assert.deepEqual(pending, Array.from({ length: 5 }, () => ({ module: 'wasi_snapshot_preview1', name: 'sched_yield', args: [], cause: 'stopped', result: 0 })));
    assert.equal((fiber.instance.exports['n'] as WebAssembly.Global).value, 5);
  });

  it('gives the borrowed top of memory back: memory after the unwind is memory at the call', () => {
    let atCall: Uint8Array | undefined;
    let memory: WebAssembly.Memory | undefined;
    const shouldYield = (): boolean => {
      atCall = new Uint8Array(memory!.buffer).slice();
      return true;
    };
    const { fiber, wasi } = fiberOf('spin', ['lcg', '3000000'], { fuel: 1000, shouldYield });
    memory = fiber.memory;
    const out = fiber.start();
    assert.equal(out.kind, 'suspended');
    assert.ok(atCall !== undefined && atCall.length === fiber.memory.buffer.byteLength);
    assert.ok(Buffer.from(fiber.memory.buffer).equals(atCall), 'memory differs from memory at the call');
    assert.ok(fiber.save().stack.length > 0);
    drive(fiber, wasi, () => fiber.resume());
  });

  it('fails clearly when the stack outgrows a tiny Asyncify buffer', () => {
    const { fiber } = fiberOf('spin', ['fib', '25'], { reserve: 64, fuel: 1000, shouldYield: () => true });
    assert.throws(() => fiber.start(), AsyncifyOverflowError);
    assert.equal(fiber.status, 'exited');
  });
});

describe('Fiber: blocking calls', () => {
  it('unwinds at a blocked read and returns the data after a retry', () => {
    const { fiber, wasi } = fiberOf('sleeper', ['echo']);
    let out = fiber.start();
    assert.equal(out.kind, 'suspended');
    assert.equal(out.kind === 'suspended' && `${out.pending.cause}:${out.pending.name}`, 'blocked:fd_read');
    assert.equal(fiber.status, 'suspended');
    assert.equal(wasi.stdout, '');
    wasi.feed('hello');
    out = fiber.resume({ retry: true });
    assert.equal(wasi.stdout, 'read 5: hello\n');
    assert.equal(out.kind === 'suspended' && out.pending.name, 'fd_read');
    wasi.feed('again');
    wasi.close();
    const { code } = drive(fiber, wasi, () => fiber.resume({ retry: true }));
    assert.equal(code, 0);
    assert.equal(wasi.stdout, 'read 5: hello\nread 5: again\neof\n');
  });

  it('returns a given result exactly once, without calling the import again', () => {
    const { fiber, wasi } = fiberOf('sleeper', ['count', '3']);
    const { code, causes } = drive(fiber, wasi);
    assert.equal(code, 0);
    assert.equal(wasi.stdout, '1\n2\n3\ndone\n');
    assert.deepEqual(causes, ['blocked:poll_oneoff', 'blocked:poll_oneoff', 'blocked:poll_oneoff']);
    assert.equal(wasi.calls.get('poll_oneoff'), 3);
  });

  it('a blocked call answers with the given value (an errno reaches the guest)', () => {
    const { fiber, wasi } = fiberOf('sleeper', ['echo']);
    fiber.start();
    const out = settle(() => fiber.resume({ value: 29 })); // EIO
    assert.deepEqual(out, { kind: 'exit', code: 1 });
    assert.match(wasi.stderr, /read: I\/O error/);
  });

  it('stops after a call completes when asked, keeping its result', () => {
    let fiber: Fiber | undefined;
    let writes = 0;
    const made = fiberOf('sleeper', ['count', '3'], {}, { onWrite: () => void (++writes === 2 && fiber!.requestStop()) });
    fiber = made.fiber;
    const { causes } = drive(fiber, made.wasi);
    assert.deepEqual(causes, ['blocked:poll_oneoff', 'stopped:fd_write', 'blocked:poll_oneoff', 'blocked:poll_oneoff']);
    assert.equal(made.wasi.stdout, '1\n2\n3\ndone\n');
  });

  it('unwinds and rewinds through a call made by function pointer', () => {
    const m = wat(`(module
      (import "wasi_snapshot_preview1" "sched_yield" (func $yield (result i32))) (memory (export "memory") 1)
      (type $io (func (param i32) (result i32))) (type $pure (func (param i32 i32) (result i32)))
      (table 2 funcref) (elem (i32.const 0) $blocks $adds)
      (global $r (mut i32) (i32.const 0)) (export "result" (global $r))
      (func $blocks (param i32) (result i32) (i32.add (local.get 0) (call $yield)))
      (func $adds (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
      (func (export "_start")
        (global.set $r (i32.add
          (call_indirect (type $pure) (i32.const 100) (i32.const 20) (i32.const 1))
          (call_indirect (type $io) (i32.const 3) (i32.const 0))))))`);
    let calls = 0;
    const fiber = new Fiber(m, { wasi_snapshot_preview1: { sched_yield: () => (calls++, SUSPEND) } });
    const out = fiber.start();
    assert.equal(out.kind === 'suspended' && out.pending.name, 'sched_yield');
    assert.deepEqual(fiber.resume({ value: 4000 }), { kind: 'exited' });
    assert.equal((fiber.instance.exports['result'] as WebAssembly.Global).value, 4123);
    assert.equal(calls, 1);
  });

  it('refuses resume without an answer for a blocked call, and start twice', () => {
    const { fiber } = fiberOf('sleeper', ['echo']);
    fiber.start();
    assert.throws(() => fiber.start(), /expected ready/);
    assert.throws(() => fiber.resume(), /blocked; expected an answer/);
  });
});

describe('Fiber: save and restore', () => {
  it('a counter blocked in a sleep continues in a fresh instance from where it stopped', () => {
    const { fiber, wasi } = fiberOf('sleeper', ['count', '10']);
    let out = fiber.start();
    for (let i = 1; i < 4; i++) {
      assert.equal(out.kind, 'suspended');
      out = fiber.resume(wasi.completePoll(out.kind === 'suspended' ? out.pending.args : []));
    }
    assert.equal(wasi.stdout, '1\n2\n3\n4\n');
    const image = fiber.image();
    assert.equal(image.pending.name, 'poll_oneoff');
    assert.ok(Object.keys(image.globals).includes('amber_fuel'));
    assert.ok(Object.keys(image.globals).some((g) => g.startsWith('amber_global_')));

    const wasi2 = new FakeWasi({ args: ['count', '10'] });
    const restored = Fiber.restore(transformedGuest('sleeper'), { wasi_snapshot_preview1: wasi2.imports() }, image);
    wasi2.memory = restored.memory;
    assert.equal(restored.status, 'suspended');
    const { code } = drive(restored, wasi2, () => restored.resume(wasi2.completePoll(image.pending.args)));
    assert.equal(code, 0);
    assert.equal(wasi.stdout + wasi2.stdout, '1\n2\n3\n4\n5\n6\n7\n8\n9\n10\ndone\n');
  });

  it('a stack saved bigger than the default reserve restores: the verifying unwind has room for it', () => {
    const args = ['1000'];
    const want = runRaw(guestBytes('deep'), args);
    const { fiber, wasi } = fiberOf('deep', args, { fuel: 64, reserve: 1 << 20, shouldYield: () => true });
    let out = fiber.start();
    while (out.kind === 'suspended' && fiber.save().stack.length <= 65536) out = fiber.resume();
    assert.equal(out.kind, 'suspended', 'the recursion ended before its saved stack outgrew 64 KiB');
    const w2 = new FakeWasi({ args });
    const f2 = Fiber.restore(transformedGuest('deep'), { wasi_snapshot_preview1: w2.imports() }, fiber.image());
    w2.memory = f2.memory;
    const { code } = drive(f2, w2, () => f2.resume());
    assert.equal(code, want.code);
    assert.equal(wasi.stdout + w2.stdout, want.stdout);
  });

  it('a computation preempted mid-loop continues in a fresh instance, twice over, to the same result', () => {
    const args = ['count', '6'];
    const want = runRaw(guestBytes('spin'), args);
    let printed = 0;
    const yieldAfter = (n: number) => () => printed >= n;
    const onWrite = (t: string): void => void (printed += t.split('\n').length - 1);
    const { fiber, wasi } = fiberOf('spin', args, { fuel: 4096, shouldYield: yieldAfter(2) }, { onWrite });
    let out = fiber.start();
    assert.equal(out.kind === 'suspended' && out.pending.cause, 'preempted');
    const first = wasi.stdout;
    assert.equal(first, '1\n2\n');

    const w2 = new FakeWasi({ args, onWrite });
    const f2 = Fiber.restore(transformedGuest('spin'), { wasi_snapshot_preview1: w2.imports() }, fiber.image(), { fuel: 4096, shouldYield: yieldAfter(4) });
    w2.memory = f2.memory;
    out = f2.resume();
    assert.equal(out.kind === 'suspended' && out.pending.cause, 'preempted');

    const w3 = new FakeWasi({ args });
    const f3 = Fiber.restore(transformedGuest('spin'), { wasi_snapshot_preview1: w3.imports() }, f2.image());
    w3.memory = f3.memory;
    const { code } = drive(f3, w3, () => f3.resume());
    assert.equal(code, want.code);
    assert.equal(first + w2.stdout + w3.stdout, want.stdout);
  });

  it('a fiber restored before its imports exist runs once given them (bind), with the options given then, and not before', async () => {
    const args = ['count', '6'];
    const want = runRaw(guestBytes('spin'), args);
    let printed = 0;
    const onWrite = (t: string): void => void (printed += t.split('\n').length - 1);
    const { fiber, wasi } = fiberOf('spin', args, { fuel: 4096, shouldYield: () => printed >= 2 }, { onWrite });
    const out = fiber.start();
    assert.equal(out.kind === 'suspended' && out.pending.cause, 'preempted');

    const f2 = await Fiber.restoreUnbound(transformedGuest('spin'), fiber.image(), { fuel: 4096 });
    assert.equal(f2.status, 'suspended');
    assert.throws(() => f2.resume(), /not given its imports/);
    const w2 = new FakeWasi({ args, onWrite });
    f2.bind({ wasi_snapshot_preview1: w2.imports() }, { shouldYield: () => printed >= 4 });
    assert.throws(() => f2.bind({ wasi_snapshot_preview1: w2.imports() }), /has its imports already/);
    w2.memory = f2.memory;
    const again = f2.resume();
    assert.equal(again.kind === 'suspended' && again.pending.cause, 'preempted', 'the shouldYield given to bind stops it');
    assert.equal(w2.stdout, '3\n4\n');
    const w3 = new FakeWasi({ args });
    const f3 = await Fiber.restoreUnbound(transformedGuest('spin'), f2.image());
    f3.bind({ wasi_snapshot_preview1: w3.imports() });
    w3.memory = f3.memory;
    const { code } = drive(f3, w3, () => f3.resume());
    assert.equal(code, want.code);
    assert.equal(wasi.stdout + w2.stdout + w3.stdout, want.stdout);
  });

  it('a fiber restored before its imports refuses imports that lack one of its module\'s', async () => {
    const { fiber } = fiberOf('sleeper', ['count', '3']);
    fiber.start();
    const f2 = await Fiber.restoreUnbound(transformedGuest('sleeper'), fiber.image());
    const imports = new FakeWasi({ args: ['count', '3'] }).imports();
    delete (imports as Record<string, unknown>)['poll_oneoff'];
    assert.throws(() => f2.bind({ wasi_snapshot_preview1: imports }), /imports wasi_snapshot_preview1\.poll_oneoff, which the runtime does not provide/);
  });

  it('refuses an image whose globals do not match the module', () => {
    const { fiber } = fiberOf('sleeper', ['echo']);
    fiber.start();
    const image = fiber.image();
    const wasi = new FakeWasi({ args: ['echo'] });
    assert.throws(
      () => Fiber.restore(transformedGuest('sleeper'), { wasi_snapshot_preview1: wasi.imports() }, { ...image, globals: { amber_fuel: 1 } }),
      /its globals \(amber_fuel\) are not its module's/,
    );
  });
});
