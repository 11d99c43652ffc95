import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MNT_NODEV, MNT_NOEXEC, MNT_NOSUID, MNT_READONLY, MS_BIND, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_RDONLY, MS_REC } from '../../abi/mount.js';
import { dataValue, mntFlagNames, parseMountOptions } from './mountopts.js';

const CASES: ReadonlyArray<readonly [string[], { ms: number; mnt: number; bind: boolean; recursive: boolean; data: string[] }]> = [
  [[], { ms: 0, mnt: 0, bind: false, recursive: false, data: [] }],
  [['rbind', 'ro'], { ms: MS_BIND | MS_REC | MS_RDONLY, mnt: MNT_READONLY, bind: true, recursive: true, data: [] }],
  [['bind'], { ms: MS_BIND, mnt: 0, bind: true, recursive: false, data: [] }],
  [
    ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'],
    { ms: MS_NOSUID | MS_NOEXEC | MS_NODEV, mnt: MNT_NOSUID | MNT_NOEXEC | MNT_NODEV, bind: false, recursive: false, data: ['mode=1777', 'size=65536k'] },
  ],
  // Later words win: rw clears ro, suid clears nosuid, exec and dev likewise.
  [['ro', 'nosuid', 'nodev', 'noexec', 'rw', 'suid', 'dev', 'exec'], { ms: 0, mnt: 0, bind: false, recursive: false, data: [] }],
  [['defaults', 'weird', 'uid=1'], { ms: 0, mnt: 0, bind: false, recursive: false, data: ['weird', 'uid=1'] }],
];

for (const [options, want] of CASES) {
  test(`parseMountOptions ${JSON.stringify(options)}`, () => {
    const got = parseMountOptions(options);
    assert.deepEqual({ ms: got.ms, mnt: got.mnt, bind: got.bind, recursive: got.recursive, data: got.data }, want);
  });
}

test('propagation words: the last one counts, r- means recursive', () => {
  assert.deepEqual(parseMountOptions(['shared', 'rslave']).propagation, { kind: 'slave', recursive: true });
  assert.deepEqual(parseMountOptions(['private']).propagation, { kind: 'private', recursive: false });
  assert.equal(parseMountOptions(['ro']).propagation, undefined);
});

test('dataValue takes the last key=value', () => {
  assert.equal(dataValue(['mode=755', 'size=1m', 'mode=1777'], 'mode'), '1777');
  assert.equal(dataValue(['mode=755'], 'size'), undefined);
});

test('mntFlagNames spells flags as mountinfo does', () => {
  assert.equal(mntFlagNames(0), 'rw');
  assert.equal(mntFlagNames(MNT_READONLY | MNT_NOSUID | MNT_NODEV | MNT_NOEXEC), 'ro,nosuid,nodev,noexec');
});
