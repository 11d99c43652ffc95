// A one-line progress display for long checkpoints and restores, like `criu --display-stats` or a
// download bar: on stderr, and only when stderr is a terminal (a script or a log gets nothing from here).
//   checkpoint mem256: [##########..........]  130.0/256.2 MiB  51%
// redrawn in place at most every REDRAW_MS, and erased by done() so that the command's own last line
// (a summary, an error) starts clean.

/** The least time between two redraws. */
const REDRAW_MS = 80;
const WIDTH = 20;
const MiB = 1 << 20;

export interface Progress {
  /** Whether anything is drawn (stderr is a terminal): an operation need not report progress otherwise. */
  readonly live: boolean;
  /** done of total bytes. */
  update(done: number, total: number): void;
  /** A word on what happens now, shown in place of the byte count ("pausing", "starting the sandbox"). */
  phase(text: string): void;
  /** Erases the line. */
  done(): void;
}

const silent: Progress = { live: false, update() {}, phase() {}, done() {} };

/** A display labelled label ("checkpoint mem256") when stderr is a TTY; one that does nothing otherwise. */
export function progressLine(label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (stream.isTTY !== true) return silent;
  let last = -Infinity;
  let shown = false;
  const draw = (text: string, force: boolean): void => {
    const now = performance.now();
    if (!force && now - last < REDRAW_MS) return;
    last = now;
    const columns = stream.columns > 0 ? stream.columns : 80;
    stream.write(`\r\x1b[K${`${label}: ${text}`.slice(0, columns - 1)}`);
    shown = true;
  };
  return {
    live: true,
    update(done, total) {
      const frac = total > 0 ? Math.min(1, done / total) : 1;
      const filled = Math.round(frac * WIDTH);
      const bar = `[${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}]`;
      draw(`${bar} ${(done / MiB).toFixed(1).padStart(7)}/${(total / MiB).toFixed(1)} MiB ${String(Math.floor(frac * 100)).padStart(3)}%`, done >= total);
    },
    phase(text) {
      draw(text, true);
    },
    done() {
      if (shown) stream.write('\r\x1b[K');
      shown = false;
    },
  };
}
