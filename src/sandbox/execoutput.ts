// An exec's stdout or stderr streamed to the client that asked for it, like the stream a runsc exec's
// caller reads: each write goes out at once as lines on the control connection ({"fd", "data"}), through
// a pipe of HIGH_WATER bytes (boundedoutput.ts), so an exec's output never piles up in the sandbox. A
// client that has gone is EPIPE (and the exec is ended: server.ts).
import type { ControlChannel } from '../host/control.js';
import { BoundedOutput } from './boundedoutput.js';

/** Bytes waiting for the client past which a write waits. */
const HIGH_WATER = 4 << 20;
/** The most bytes one line carries (base64 makes 4/3 of it). */
const LINE_BYTES = 48 << 10;

export function execOutputStream(channel: ControlChannel, fd: 1 | 2): BoundedOutput {
  return new BoundedOutput(
    {
      send: (src) => {
        for (let at = 0; at < src.length; at += LINE_BYTES) {
          const line = Buffer.from(src.buffer, src.byteOffset + at, Math.min(LINE_BYTES, src.length - at));
          channel.send({ fd, data: line.toString('base64') });
        }
      },
      backlog: () => channel.backlog(),
      gone: () => channel.closed,
    },
    HIGH_WATER,
  );
}
