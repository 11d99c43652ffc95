// The fair queue over simulated time: busy processes share evenly, a sleeper runs within a slice of
// waking however many are busy, and a long sleep banks no time.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FairQueue, LATENCY_MS, MAX_SLICE_MS, MIN_SLICE_MS, type FairEntity } from './fairqueue.js';

/** A simulated process: a busy one runs every slice it gets to the end; a sleeper runs 0.1 ms, then sleeps. */
interface Proc extends FairEntity {
  sleepMs: number | null;
  wakeAt: number;
  ran: number;
  runs: number;
  /** The longest a sleeper waited between its wake-up and its run (ms). */
  worstLatency: number;
}

function proc(sleepMs: number | null): Proc {
  return { vruntime: 0, sleepMs, wakeAt: 0, ran: 0, runs: 0, worstLatency: 0 };
}

/** wasi/scheduler.ts's loop over simulated time: wake the due, pick, run one slice, charge. */
function simulate(procs: Proc[], totalMs: number): void {
  const q = new FairQueue();
  const runnable = new Set<Proc>();
  for (const p of procs) {
    q.placeNew(p);
    runnable.add(p);
  }
  for (let now = 0; now < totalMs;) {
    for (const p of procs) {
      if (!runnable.has(p) && p.wakeAt <= now) {
        runnable.add(p);
        q.placeWoken(p);
      }
    }
    const list = [...runnable];
    const p = q.pick(list);
    if (p === undefined) {
      now = Math.min(...procs.map((x) => x.wakeAt));
      continue;
    }
    if (p.sleepMs !== null && p.runs > 0) p.worstLatency = Math.max(p.worstLatency, now - p.wakeAt);
    const ms = p.sleepMs === null ? q.sliceMs(list.length) : 0.1;
    now += ms;
    p.ran += ms;
    p.runs++;
    if (p.sleepMs !== null) {
      runnable.delete(p);
      p.wakeAt = now + p.sleepMs;
    }
    q.charge(p, ms, [...runnable]);
  }
}

describe('FairQueue', () => {
  it('slices shrink with the number of runnable processes, within bounds', () => {
    const q = new FairQueue();
    assert.equal(q.sliceMs(1), MAX_SLICE_MS);
    assert.equal(q.sliceMs(4), LATENCY_MS / 4);
    assert.equal(q.sliceMs(1000), MIN_SLICE_MS);
  });

  it('busy processes share the time evenly', () => {
    const busy = [proc(null), proc(null), proc(null)];
    simulate(busy, 10_000);
    const ran = busy.map((b) => b.ran);
    assert.ok(Math.max(...ran) - Math.min(...ran) <= MAX_SLICE_MS, `ran ${ran.join(', ')} ms`);
  });

  it('a 100 ms sleeper beside three busy processes runs as soon as it wakes, every time', () => {
    const ticker = proc(100);
    simulate([proc(null), proc(null), proc(null), ticker], 10_000);
    // 10 s of 100 ms sleeps, each tick 0.1 ms plus at most one slice of waiting: ~99 ticks.
    assert.ok(ticker.runs >= 95, `${ticker.runs} ticks`);
    assert.ok(ticker.worstLatency <= MAX_SLICE_MS, `a tick waited ${ticker.worstLatency} ms after its wake-up`);
  });

  it('a process that slept long gets the sleeper credit and no more: it cannot bank time', () => {
    const q = new FairQueue();
    const a = proc(null);
    const s = proc(null);
    q.placeNew(a);
    q.placeNew(s);
    for (let i = 0; i < 100; i++) q.charge(a, 10, [a]);
    q.placeWoken(s);
    assert.equal(s.vruntime, q.minVruntime - LATENCY_MS / 2);
    assert.equal(q.pick([a, s]), s);
    q.charge(s, 10, [a, s]);
    q.charge(s, 10, [a, s]);
    assert.equal(q.pick([a, s]), a, 'after the credit is spent, the other runs');
  });

  it('a new process starts level with the least, not at zero', () => {
    const q = new FairQueue();
    const a = proc(null);
    q.placeNew(a);
    q.charge(a, 500, [a]);
    const b = proc(null);
    q.placeNew(b);
    assert.equal(b.vruntime, 500);
  });
});
