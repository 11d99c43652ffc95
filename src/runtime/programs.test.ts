// The programs payload: what checkpoint encodes, restore and inspect decode the same, and anything else
// (not JSON, another format or version, a field of the wrong shape) is one ProgramsError naming the image.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AmberError } from '../base/error.js';
import { decodePrograms, fromJson, PROGRAMS_PAYLOAD, PROGRAMS_VERSION, programsPayload, ProgramsError, toJson, type ProgramsFile } from './programs.js';

const file: ProgramsFile = {
  version: PROGRAMS_VERSION,
  monotonicNs: '123456789012',
  programs: [
    { container: 'ready', moduleHash: 'aa', state: 'ready' },
    {
      container: 'app',
      moduleHash: 'bb',
      state: 'suspended',
      globals: { __stack_pointer: 65536, big: toJson(1n << 60n) },
      pending: { module: 'wasi_snapshot_preview1', name: 'poll_oneoff', args: [1, 2, 3, 4], cause: 'blocked', result: null },
      wait: { untilNs: '123456799012', polling: false, bases: [[1, '123456789000']] },
      memory: 'memory/app',
      stack: 'stack/app',
    },
    { container: 'done', moduleHash: 'cc', state: 'exited', exit: { kind: 'trap', message: 'unreachable' } },
  ],
};

const bytes = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v));

test('what a checkpoint encodes decodes to the same records', () => {
  const p = programsPayload(file);
  assert.equal(p.name, PROGRAMS_PAYLOAD);
  assert.equal(p.kind, 'programs');
  assert.deepEqual(decodePrograms(p.bytes, '/img'), file);
  assert.equal(fromJson(toJson(1n << 60n)), 1n << 60n);
  assert.equal(fromJson(toJson(7)), 7);
});

test('a damaged or foreign payload is one line naming the image and the payload', () => {
  const program = (patch: object) => ({ ...file, programs: [{ container: 'c', moduleHash: '', state: 'ready', ...patch }] });
  const cases: Array<[Uint8Array, RegExp]> = [
    [new TextEncoder().encode('{"version": 1,'), /^\/img: payload "programs" is not JSON \(.+\)$/],
    [bytes([1, 2]), /^\/img: payload "programs": not programs format version 1$/],
    [bytes({ version: '1', programs: [] }), /^\/img: payload "programs": not programs format version 1$/],
    [bytes({ ...file, version: 2 }), /^\/img: payload "programs": programs format version 2; this Amber reads version 1$/],
    [bytes({ ...file, monotonicNs: 12 }), /^\/img: payload "programs": monotonicNs: expected a string, got a number \(12\)$/],
    [bytes(program({ state: 'sleeping' })), /^\/img: payload "programs": programs\[0\]\.state: expected "ready" or "suspended" or "exited", got "sleeping"$/],
    [bytes(program({ container: undefined })), /^\/img: payload "programs": programs\[0\]\.container: required$/],
    [bytes(program({ wait: { untilNs: '12x', polling: true, bases: [] } })), /^\/img: payload "programs": programs\[0\]\.wait\.untilNs: expected a decimal integer$/],
    [bytes(program({ globals: { g: { n: 'x' } } })), /^\/img: payload "programs": programs\[0\]\.globals\.g\.n: expected a decimal integer$/],
    [bytes(program({ exit: { kind: 'exit', code: 'x' } })), /^\/img: payload "programs": programs\[0\]\.exit\.code: expected a number, got a string$/],
    [bytes(program({ exit: { kind: 'x' } })), /^\/img: payload "programs": programs\[0\]\.exit\.kind: expected \{"kind": "exit", "code": N\} or \{"kind": "trap", "message": S\}$/],
    [bytes(program({ pending: { module: 'm', name: 'n', args: [], cause: 'z', result: null } })), /^\/img: payload "programs": programs\[0\]\.pending\.cause: expected "blocked" or "preempted" or "stopped", got "z"$/],
  ];
  for (const [b, want] of cases) {
    assert.throws(() => decodePrograms(b, '/img'), (e: unknown) => e instanceof ProgramsError && e instanceof AmberError && want.test(e.message) && !e.message.includes('\n'), want.source);
  }
});

test('fields a reader does not know are dropped; optional ones may be absent', () => {
  const withExtra = { ...file, note: 'x', programs: [{ container: 'c', moduleHash: '', state: 'exited', extra: 1 }] };
  assert.deepEqual(decodePrograms(bytes(withExtra), '/img'), { version: 1, monotonicNs: file.monotonicNs, programs: [{ container: 'c', moduleHash: '', state: 'exited' }] });
});
