// End to end: the pod lifecycle through the `amber` CLI as DESIGN.md §1 gives it — `pod run` in the
// foreground and detached, list, state, logs (--follow), kill, delete (--force), a sandbox that died,
// containers sharing volumes, a spinning container beside a ticking one, and bad manifests.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { guest, runAmber, userError } from './testing/amber.js';
import { numbers, range } from './testing/counters.js';
import { manifest } from './testing/manifests.js';
import { until, verdict } from './testing/wait.js';
import { withWorkspace } from './testing/workspace.js';

interface State {
  ociVersion: string;
  id: string;
  status: string;
  pid: number;
  containers: Array<{ name: string; exitCode: number | null }>;
}

/** A live process (a zombie waiting for init to reap it counts as gone). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

const forever = ['--ticks', '1000000', '--every-ms', '20'];

describe('pods', { concurrency: true }, () => {
  test("a foreground pod labels every line NAME | and exits with the first failing container's code", () =>
    withWorkspace(async (s) => {
      const pod = manifest(s.dir, 'pod.yaml', 'fg', [
        { name: 'ok', guest: 'hello', args: ['fine'] },
        { name: 'three', guest: 'hello', args: ['--exit', '3'] },
        { name: 'five', guest: 'hello', args: ['--exit', '5'] },
      ], []);
      const r = await s.amber(['pod', 'run', pod]);
      assert.equal(r.code, 3, r.stderr);
      const lines = r.stdout.trimEnd().split('\n');
      for (const l of lines) assert.match(l, /^(ok|three|five) \| /);
      const of = (name: string) => lines.filter((l) => l.startsWith(`${name} | `));
      assert.deepEqual(of('ok'), ['ok | hello, world', 'ok | argv[1] = fine']);
      assert.deepEqual(of('three'), ['three | hello, world', 'three | argv[1] = --exit', 'three | argv[2] = 3']);
      assert.deepEqual(of('five'), ['five | hello, world', 'five | argv[1] = --exit', 'five | argv[2] = 5']);

      const good = manifest(s.dir, 'good.yaml', 'good', [
        { name: 'a', guest: 'hello', args: [] },
        { name: 'b', guest: 'hello', args: ['--exit', '0'] },
      ], []);
      assert.equal((await s.amber(['pod', 'run', good])).code, 0);
    }));

  test('a detached pod: --detach prints the ID; list, list --json, state, logs, logs --follow, kill, delete', () =>
    withWorkspace(async (s) => {
      const pod = manifest(s.dir, 'pod.yaml', 'ignored', [
        { name: 'a', guest: 'e2e_counter', args: forever },
        { name: 'b', guest: 'e2e_counter', args: ['--ticks', '3', '--every-ms', '1'] },
      ], []);
      const started = await s.ok(['pod', 'run', pod, '--detach', '--name', 'life']);
      assert.equal(started.stdout, 'life\n');

      const st = await s.json<State>(['state', 'life']);
      assert.equal(st.id, 'life');
      assert.equal(st.status, 'running');
      assert.ok(st.pid > 0 && alive(st.pid), `state gives the live sandbox pid, got ${st.pid}`);
      assert.ok(typeof st.ociVersion === 'string');
      const list = (await s.ok(['list'])).stdout;
      assert.match(list, /^life\s+running\s/m);
      const listed = await s.json<Array<{ id: string; status: string; containers: string[] }>>(['list', '--json']);
      assert.deepEqual(listed.map((p) => [p.id, p.status, p.containers]), [['life', 'running', ['a', 'b']]]);

      // `logs` of the whole pod labels lines; of one container it does not.
      let logs = '';
      await until('a to tick 3 times and b to finish', async () => {
        logs = (await s.ok(['logs', 'life'])).stdout;
        return numbers(logs, 'a').length >= 3 && numbers(logs, 'b').length === 3;
      });
      assert.deepEqual(numbers(logs, 'b'), [1, 2, 3]);
      assert.deepEqual(numbers(logs, 'a'), range(1, numbers(logs, 'a').length));
      const one = (await s.ok(['logs', 'life', 'a'])).stdout;
      assert.match(one, /^1\n2\n3\n/);
      userError(await s.amber(['logs', 'life', 'nosuch']), 'logs of a container the pod lacks');

      const refused = userError(await s.amber(['delete', 'life']), 'delete of a running pod without --force');
      assert.match(refused, /--force/);

      // --follow prints what is there and what comes, and returns once the pod is stopped.
      const follow = s.amber(['logs', '--follow', 'life', 'a']);
      await until('a few more ticks', async () => numbers((await s.ok(['logs', 'life', 'a'])).stdout).length >= 6);
      await s.ok(['kill', 'life']);
      const followed = await follow;
      assert.equal(followed.code, 0, followed.stderr);
      const ticks = numbers(followed.stdout);
      assert.ok(ticks.length >= 6, followed.stdout);
      assert.deepEqual(ticks, range(1, ticks.length));

      await until('the sandbox to end', async () => (await s.json<State>(['state', 'life'])).status === 'stopped');
      await until('the sandbox process to exit', () => !alive(st.pid), 10_000);
      const after = await s.json<State>(['state', 'life']);
      assert.deepEqual(after.containers, [{ name: 'a', exitCode: 143 }, { name: 'b', exitCode: 0 }]);
      assert.match((await s.ok(['list'])).stdout, /^life\s+stopped\s/m);
      userError(await s.amber(['kill', 'life']), 'kill of a stopped pod');

      await s.ok(['delete', 'life']);
      assert.match(userError(await s.amber(['state', 'life']), 'state of a deleted pod'), /life/);
      assert.deepEqual(await s.json<unknown[]>(['list', '--json']), []);
    }));

  test('delete --force ends a running pod; a pod whose sandbox was SIGKILLed shows as stopped and delete works', () =>
    withWorkspace(async (s) => {
      const pod = manifest(s.dir, 'pod.yaml', 'p', [{ name: 't', guest: 'e2e_counter', args: forever }], []);
      await s.ok(['pod', 'run', pod, '--detach', '--name', 'forced']);
      await s.ok(['pod', 'run', pod, '--detach', '--name', 'killed']);
      const forced = await s.json<State>(['state', 'forced']);
      const killed = await s.json<State>(['state', 'killed']);

      await s.ok(['delete', '--force', 'forced']);
      userError(await s.amber(['state', 'forced']), 'state after delete --force');
      await until('the forced sandbox to end', () => !alive(forced.pid), 10_000);

      process.kill(killed.pid, 'SIGKILL');
      // Until init reaps it the sandbox is a zombie, which the state root cannot tell from a live one.
      await until('state to show the killed sandbox stopped', async () => (await s.json<State>(['state', 'killed'])).status === 'stopped');
      assert.match((await s.ok(['list'])).stdout, /^killed\s+stopped\s/m);
      userError(await s.amber(['checkpoint', 'killed', '--image-path', s.path('img')]), 'checkpoint of a dead pod');
      await s.ok(['delete', 'killed']);
      assert.deepEqual(await s.json<unknown[]>(['list', '--json']), []);
    }));

  test("two containers sharing an emptyDir and /dev/shm see each other's writes", () =>
    withWorkspace(async (s) => {
      const writer = (name: string, peer: string) => ({
        name,
        guest: 'e2e_writer',
        args: ['--name', name, '--peer', peer, '--dir', '/shared', '--ticks', '10', '--every-ms', '5'],
        mounts: [{ name: 'shared', mountPath: '/shared' }],
      });
      const pod = manifest(s.dir, 'pod.yaml', 'share', [writer('a', 'b'), writer('b', 'a')], [{ name: 'shared', emptyDir: {} }]);
      const r = await s.amber(['pod', 'run', pod]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /^a \| OK writer a: /m);
      assert.match(r.stderr, /^b \| OK writer b: /m);
      assert.deepEqual(numbers(r.stdout, 'a'), range(1, 10));
      assert.deepEqual(numbers(r.stdout, 'b'), range(1, 10));
    }));

  test('a container spinning in a compute loop does not starve a ticking sibling', (t) =>
    withWorkspace(async (s) => {
      const ctl = s.path('ctl');
      mkdirSync(ctl);
      const pod = manifest(s.dir, 'pod.yaml', 'spin', [
        { name: 'spinner', guest: 'spin', args: ['lcg', '1000000000000000'] },
        { name: 'ticker', guest: 'e2e_counter', args: ['--ticks', '20', '--every-ms', '10', '--done', '/ctl/done'], mounts: [{ name: 'ctl', mountPath: '/ctl' }] },
      ], [{ name: 'ctl', hostPath: { path: ctl } }]);
      await s.ok(['pod', 'run', pod, '--detach']);
      const v = await verdict(`${ctl}/done`, 20_000);
      const ms = Number(/in (\d+) ms/.exec(v)?.[1]);
      t.diagnostic(v);
      // 20 ticks of 10 ms: 200 ms alone; the spinner may take a slice between ticks, never the CPU.
      assert.ok(ms < 5_000, `20 ticks of 10 ms took ${ms} ms beside a spinning container`);
      const st = await s.json<State>(['state', 'spin']);
      assert.equal(st.status, 'running', 'the spinner is still spinning');
      assert.deepEqual(st.containers.map((c) => c.exitCode), [null, null]);
    }));

  test('a bad manifest is one line naming the field path, exit 1; no manifest is exit 2', () =>
    withWorkspace(async (s) => {
      const head = 'apiVersion: v1\nkind: Pod\nmetadata: {name: bad}\nspec:\n';
      const ctr = (name: string) => `  - name: ${name}\n    image: ${guest('hello')}\n`;
      const cases: Array<[string, string, RegExp]> = [
        ['args as a string', `${head}  containers:\n${ctr('c')}    args: "--exit"\n`, /spec\.containers\[0\]\.args/],
        ['no containers', `${head}  volumes: []\n`, /spec\.containers/],
        [
          'readOnly as a string in the second container',
          `${head}  containers:\n${ctr('a')}${ctr('b')}    volumeMounts:\n    - {name: v, mountPath: /v, readOnly: "yes"}\n  volumes:\n  - {name: v, emptyDir: {}}\n`,
          /spec\.containers\[1\]\.volumeMounts\[0\]\.readOnly: expected boolean/,
        ],
        ['a missing module', `${head}  containers:\n  - {name: c, image: nosuch-module.wasm}\n`, /spec\.containers\[0\]\.image.*nosuch-module\.wasm/],
        ['a volume mount naming no volume', `${head}  containers:\n${ctr('c')}    volumeMounts:\n    - {name: nope, mountPath: /v}\n`, /spec\.containers\[0\]\.volumeMounts\[0\]\.name.*nope/],
        ['invalid YAML', 'apiVersion: v1\nkind: Pod\nspec: [\n  containers: {\n', /bad-yaml\.yaml/],
      ];
      await Promise.all(cases.map(async ([what, text, want], i) => {
        const file = s.path(i === cases.length - 1 ? 'bad-yaml.yaml' : `bad${i}.yaml`);
        writeFileSync(file, text);
        const detached = i % 2 === 0;
        const r = await s.amber(['pod', 'run', file, ...(detached ? ['--detach'] : [])]);
        assert.match(userError(r, what), want, what);
      }));
      assert.deepEqual(await s.json<unknown[]>(['list', '--json']), [], 'a refused spec leaves no pod behind');
      const none = await runAmber(['--root', s.root, 'pod', 'run']);
      assert.equal(none.code, 2, none.stderr);
    }));
});
