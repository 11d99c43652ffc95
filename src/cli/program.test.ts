// The command line through commander (cli/program.ts): only the named verb's command is built, and it is
// the same command every verb's build makes; a line that names no verb plainly gets them all.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Command } from 'commander';
import { buildProgram, runProgram, verbOf, type Session } from './program.js';

const session = (): Session => ({ args: [], log: null, ranGuests: false, sandbox: null });

test('the verb of a command line: its first operand past the program options, or null where that is not plain', () => {
  const cases: [string[], string | null][] = [
    [['checkpoint', 'p', '--image-path', 'i'], 'checkpoint'],
    [['--root', 'r', 'checkpoint', 'p'], 'checkpoint'],
    [['--root=r', '--debug', '--log', 'l', '--log-format', 'json', 'kill', 'p'], 'kill'],
    [['--log-level', 'debug', '--systemd-cgroup', '--criu', 'c', 'pod', 'run', 'x.yaml'], 'pod'],
    [['--root', 'checkpoint', 'list'], 'list'], // "checkpoint" is --root's value
    [['chekpoint', 'p'], 'chekpoint'],
    [['--rootless', 'true', 'list'], null],
    [['--version'], null],
    [['-h'], null],
    [['--nosuch', 'list'], null],
    [['--debug=1', 'list'], null],
    [['--root'], null],
    [[], null],
  ];
  for (const [argv, verb] of cases) assert.equal(verbOf(argv), verb, argv.join(' '));
});

/** Each command's help, its subcommands' after it: what commander knows of it. */
function described(cmd: Command): string[] {
  return [cmd.helpInformation(), ...cmd.commands.flatMap(described)];
}

test("a verb built alone is the command every verb's build makes, and nothing else is built", () => {
  const all = buildProgram(session());
  assert.ok(all.commands.length > 20);
  for (const cmd of all.commands) {
    const alone = buildProgram(session(), cmd.name());
    assert.deepEqual(alone.commands.map((c) => c.name()), [cmd.name()]);
    assert.deepEqual(described(alone.commands[0] as Command), described(cmd), cmd.name());
  }
  assert.equal(buildProgram(session(), 'chekpoint').commands.length, 0);
});

test('a name no verb has gets every verb: commander says which was meant', async () => {
  const write = process.stderr.write;
  let said = '';
  process.stderr.write = ((s: string) => {
    said += s;
    return true;
  }) as typeof process.stderr.write;
  const exitCode = process.exitCode;
  try {
    await runProgram(['--root', '/nonexistent', 'chekpoint', 'p'], session());
    assert.equal(process.exitCode, 2);
  } finally {
    process.stderr.write = write;
    process.exitCode = exitCode;
  }
  assert.match(said, /unknown command 'chekpoint'\n\(Did you mean checkpoint\?\)/);
});
