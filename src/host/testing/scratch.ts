// Scratch folders for tests: a fresh folder under the OS temp dir, removed with everything in it when the
// test that made it ends, passed or failed. Tests of every layer may import src/host, so unit tests under
// src/ and the end-to-end tests under test/ make their folders here. Only tests import this file.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, type TestContext } from 'node:test';

/**
 * Runs fn when t ends; without t, when the enclosing describe() ends, or the file at its top level.
 * Hooks run in the order they were registered, whatever the outcome of the test.
 */
export function atEnd(t: TestContext | undefined, fn: () => void | Promise<void>): void {
  if (t !== undefined) t.after(fn);
  else after(fn);
}

/** A new empty folder `<tmpdir>/amber-<name>-XXXXXX` that nothing removes: the caller must. */
export function makeScratch(name: string): string {
  return mkdtempSync(join(tmpdir(), `amber-${name}-`));
}

/** Removes a scratch folder and everything in it; a folder already gone is no error. */
export function removeScratch(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * A new empty folder `<tmpdir>/amber-<name>-XXXXXX`, removed when t ends (see atEnd: without t, when
 * the describe() or the file ends).
 */
export function scratch(name: string, t?: TestContext): string {
  const dir = makeScratch(name);
  atEnd(t, () => removeScratch(dir));
  return dir;
}

/** Damages a file in place as a bad disk would: one bit of the byte at `at` flipped, its size unchanged. */
export function flipBit(path: string, at: number): void {
  const bytes = readFileSync(path);
  bytes[at] = (bytes[at] ?? 0) ^ 1;
  writeFileSync(path, bytes);
}
