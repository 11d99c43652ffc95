// Waiting in end-to-end tests: for a condition (a file a guest writes, a line in `amber logs`), polled
// with a deadline that fails the test naming what it waited for, and for the verdict file a guest writes
// at its end (guests/e2e.h: "OK ..." or "FAIL ...").
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';

export const sleep = (ms: number): Promise<void> => new Promise((res) => setTimeout(res, ms));

/**
 * Polls until cond() holds, every 20 ms (a cond that runs `amber` pays a process start per try, so an
 * async cond waits 100 ms between tries); fails naming what after timeoutMs.
 */
export async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = cond();
    if (typeof r === 'boolean' ? r : await r) return;
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(typeof r === 'boolean' ? 20 : 100);
  }
}

/** Waits for a file a guest makes (its --ready). */
export function ready(path: string, timeoutMs = 30_000): Promise<void> {
  return until(path, () => existsSync(path), timeoutMs);
}

/** A verdict file a guest writes in one write at its end: "OK ..." (returned) or "FAIL ..." (fails). */
export async function verdict(path: string, timeoutMs = 30_000): Promise<string> {
  let text = '';
  await until(`the verdict ${path}`, () => {
    text = existsSync(path) ? readFileSync(path, 'utf8') : '';
    return text.endsWith('\n');
  }, timeoutMs);
  assert.match(text, /^OK /, text);
  return text.trim();
}
