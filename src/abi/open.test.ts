import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeOpenFlags, O_APPEND, O_DIRECTORY, O_NONBLOCK, O_SYNC } from './open.js';

test('describeOpenFlags: the access mode, the status flags in strace\'s order, unknown bits in octal', () => {
  const cases: Array<[boolean, boolean, number, string]> = [
    [true, false, 0, 'O_RDONLY'],
    [false, true, O_APPEND, 'O_WRONLY|O_APPEND'],
    [true, true, O_SYNC | O_NONBLOCK, 'O_RDWR|O_NONBLOCK|O_SYNC'],
    [false, false, O_DIRECTORY, 'O_PATH|O_DIRECTORY'],
    [true, false, 0o2 | 0o40, 'O_RDONLY|040'],
  ];
  for (const [r, w, status, want] of cases) assert.equal(describeOpenFlags(r, w, status), want, `${r} ${w} ${status.toString(8)}`);
});
