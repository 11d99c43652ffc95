// Which command lines the smaller snapshot serves (cli/ctlverbs.ts): bin/amber's shell function ctl, which
// picks that snapshot, and ctlLine, which the snapshot checks before it runs a line, agree on every line.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { CTL_VERBS, ctlLine } from './ctlverbs.js';

const script = readFileSync(new URL('../../bin/amber', import.meta.url), 'utf8');
const ctlFunction = /^ctl\(\) \{\n[\s\S]*?\n\}\n/m.exec(script)?.[0] ?? '';

/** What bin/amber's ctl says of the line, run by sh as bin/amber runs it. */
function shellSays(args: readonly string[]): boolean {
  const r = spawnSync('sh', ['-c', `${ctlFunction}ctl "$@" && echo yes || echo no`, 'sh', ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout === 'yes\n';
}

test("bin/amber's ctl names the verbs of CTL_VERBS, no more", () => {
  assert.notEqual(ctlFunction, '', 'bin/amber has a function ctl');
  const listed = /^\s*((?:[a-z]+ \| )*[a-z]+)\) return 0 ;;$/m.exec(ctlFunction)?.[1]?.split(' | ') ?? [];
  assert.deepEqual(new Set(listed), CTL_VERBS);
});

test('a line is served by the smaller snapshot when its verb is one of those, past the options in either form', () => {
  const cases: [string[], boolean][] = [
    [['checkpoint', 'p', '--image-path', 'i'], true],
    [['-root', '/r', '-log', 'l', '-log-format', 'json', 'state', 'c1'], true],
    [['--root=/r', '--debug', '--systemd-cgroup', 'kill', 'p', 'KILL'], true],
    [['--root', 'checkpoint', 'restore', '--image-path', 'i'], false], // "checkpoint" is --root's value
    [['--root', '--', '-root=/r', 'events'], true], // "--" is --root's value, as commander takes it: the options go on
    [['pod', 'run', 'x.yaml'], false],
    [['exec', 'p', 'c', '--', 'x.wasm'], false],
    [['--rootless', 'true', 'state', 'p'], false],
    [['--version'], false],
    [['--root'], false],
    [[], false],
  ];
  for (const [args, served] of cases) {
    assert.equal(ctlLine(args), served, `ctlLine: ${args.join(' ')}`);
    assert.equal(shellSays(args), served, `bin/amber: ${args.join(' ')}`);
  }
});

test('bin/amber and ctlLine agree on any line', () => {
  const word = fc.constantFrom(
    '--root', '-root', '/r', '--root=/r', '-root=/r', '--log', '-log', '--log-format', 'json', '--log-level', 'debug', '--debug-log', '--criu', '--debug',
    '-debug', '--systemd-cgroup', '--rootless', '--debug=1', '--help', '-v', 'state', 'checkpoint', 'kill', 'delete', 'list', 'events', 'pod', 'run', 'restore',
    'exec', 'create', 'do', 'spec', 'x', '--', '',
  );
  fc.assert(fc.property(fc.array(word, { maxLength: 6 }), (args) => ctlLine(args) === shellSays(args)), { numRuns: 150 });
});
