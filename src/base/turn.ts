// One turn of the host's event loop, for long synchronous work (hashing an image, faulting in a snapshot)
// done in slices: a pod left running, a control connection and a progress display get their turn between
// two slices. setImmediate where the host has it (Node: no 1 ms clamp, timers and I/O run in between),
// setTimeout(0) elsewhere (a browser).

type Immediate = (callback: () => void) => unknown;

export function nextTurn(): Promise<void> {
  const immediate = (globalThis as { setImmediate?: Immediate }).setImmediate;
  return new Promise((resolve) => {
    if (immediate !== undefined) immediate(resolve);
    else setTimeout(resolve, 0);
  });
}
