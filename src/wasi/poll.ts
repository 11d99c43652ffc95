// poll_oneoff: waits for clock deadlines and fd readiness, like Linux's poll(2) with a timeout. Regular
// files and directories are always ready. With nothing ready, the process sleeps until the earliest
// clock deadline, polling streams that report readiness in short steps.
import { EBADF, EINVAL, ENOTCAPABLE } from '../abi/errno.js';
import * as W from '../abi/wasi.js';
import { KernelError } from '../base/error.js';
import { wasiErrno } from '../abi/wasi_errno.js';
import type { FileDescription } from '../vfs/file.js';
import { clockNow } from './proc.js';
import type { Sys } from './sys.js';

interface ClockSub { kind: 'clock'; userdata: bigint; deadline: bigint; clock: number }
interface FdSub { kind: 'fd'; userdata: bigint; type: number; file: FileDescription | null; errno: number }
type Sub = ClockSub | FdSub;

interface Event { userdata: bigint; errno: number; type: number; nbytes: number; hangup: boolean }

const STEP_NS = 2_000_000n;

/**
 * bases: the clock readings relative timeouts count from. A call made again after a wait (scheduler)
 * passes the readings of its first attempt, so "sleep 30 ms" does not start over on each attempt.
 */
function readSubs(sys: Sys, ptr: number, n: number, bases: Map<number, bigint>): Sub[] {
  const mem = sys.mem;
  mem.check(ptr, n * W.SUBSCRIPTION_SIZE);
  const subs: Sub[] = [];
  for (let i = 0; i < n; i++) {
    const p = ptr + i * W.SUBSCRIPTION_SIZE;
    const userdata = mem.u64(p);
    const tag = mem.u8(p + W.SUBSCRIPTION_TAG);
    if (tag === W.EVENTTYPE_CLOCK) {
      const clock = mem.u32(p + W.SUBSCRIPTION_CLOCK_ID);
      // Only wall and monotonic time pass while a process sleeps: a CPU-time deadline would never come
      // (wasmtime answers EINVAL too).
      if (clock !== W.CLOCKID_REALTIME && clock !== W.CLOCKID_MONOTONIC) throw new KernelError(EINVAL);
      const timeout = mem.u64(p + W.SUBSCRIPTION_CLOCK_TIMEOUT);
      const flags = mem.u16(p + W.SUBSCRIPTION_CLOCK_FLAGS);
      let now = bases.get(clock);
      if (now === undefined) {
        now = clockNow(sys, clock);
        bases.set(clock, now);
      }
      const deadline = flags & W.SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME ? timeout : now + timeout;
      subs.push({ kind: 'clock', userdata, deadline, clock });
    } else if (tag === W.EVENTTYPE_FD_READ || tag === W.EVENTTYPE_FD_WRITE) {
      const fd = mem.u32(p + W.SUBSCRIPTION_FD);
      let file: FileDescription | null = null;
      let errno = 0;
      if (!sys.proc.fds.has(fd)) errno = EBADF;
      else {
        const e = sys.proc.fds.get(fd);
        const need = tag === W.EVENTTYPE_FD_READ ? W.RIGHTS_FD_READ : W.RIGHTS_FD_WRITE;
        if ((e.rightsBase & need) === 0 && (e.rightsBase & W.RIGHTS_POLL_FD_READWRITE) === 0) errno = ENOTCAPABLE;
        else file = e.file;
      }
      subs.push({ kind: 'fd', userdata, type: tag, file, errno });
    } else {
      throw new KernelError(EINVAL);
    }
  }
  return subs;
}

function fdEvent(sub: FdSub): Event | null {
  if (sub.file === null) return { userdata: sub.userdata, errno: sub.errno, type: sub.type, nbytes: 0, hangup: false };
  const f = sub.file;
  const r = f.ops.readiness?.();
  if (r === undefined) {
    let nbytes = 0;
    if (sub.type === W.EVENTTYPE_FD_READ && f.ops.seekable) nbytes = Math.max(0, f.stat().size - f.offset);
    return { userdata: sub.userdata, errno: 0, type: sub.type, nbytes, hangup: false };
  }
  const ready = sub.type === W.EVENTTYPE_FD_READ ? r.readable || r.hangup : r.writable || r.hangup;
  return ready ? { userdata: sub.userdata, errno: 0, type: sub.type, nbytes: r.nbytes, hangup: r.hangup } : null;
}

export function poll_oneoff(sys: Sys, inPtr: number, outPtr: number, nsubs: number, neventsPtr: number): number {
  if (nsubs === 0) throw new KernelError(EINVAL);
  const bases = new Map<number, bigint>(sys.retryBases?.() ?? []);
  const subs = readSubs(sys, inPtr, nsubs, bases);
  sys.mem.check(outPtr, nsubs * W.EVENT_SIZE);
  sys.mem.check(neventsPtr, 4);
  for (;;) {
    const events: Event[] = [];
    let earliest: ClockSub | null = null;
    for (const s of subs) {
      if (s.kind === 'fd') {
        const ev = fdEvent(s);
        if (ev !== null) events.push(ev);
      } else if (clockNow(sys, s.clock) >= s.deadline) {
        events.push({ userdata: s.userdata, errno: 0, type: W.EVENTTYPE_CLOCK, nbytes: 0, hangup: false });
      } else if (earliest === null || s.deadline - clockNow(sys, s.clock) < earliest.deadline - clockNow(sys, earliest.clock)) {
        earliest = s;
      }
    }
    if (events.length > 0) {
      writeEvents(sys, outPtr, events);
      sys.mem.setU32(neventsPtr, events.length);
      return 0;
    }
    const hasFds = subs.some((s) => s.kind === 'fd');
    if (sys.suspend !== undefined) {
      const untilNs = earliest === null ? null : sys.kernel.monotonicNs() + (earliest.deadline - clockNow(sys, earliest.clock));
      return sys.suspend({ untilNs, polling: hasFds, bases: [...bases] });
    }
    if (earliest === null) {
      sys.kernel.clock.sleepNs(STEP_NS);
      continue;
    }
    const wait = earliest.deadline - clockNow(sys, earliest.clock);
    sys.kernel.clock.sleepNs(hasFds && wait > STEP_NS ? STEP_NS : wait > 0n ? wait : 0n);
  }
}

function writeEvents(sys: Sys, outPtr: number, events: Event[]): void {
  const mem = sys.mem;
  events.forEach((e, i) => {
    const p = outPtr + i * W.EVENT_SIZE;
    mem.writable(p, W.EVENT_SIZE).fill(0);
    mem.setU64(p, e.userdata);
    mem.setU16(p + W.EVENT_ERROR, e.errno === 0 ? 0 : wasiErrno(e.errno));
    mem.setU8(p + W.EVENT_TYPE, e.type);
    if (e.type !== W.EVENTTYPE_CLOCK) {
      mem.setU64(p + W.EVENT_NBYTES, e.nbytes);
      mem.setU16(p + W.EVENT_FLAGS, e.hangup ? W.EVENTRWFLAGS_FD_READWRITE_HANGUP : 0);
    }
  });
}
