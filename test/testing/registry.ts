// A private OCI registry for the end-to-end tests: Debian's docker-registry (the CNCF distribution
// registry) listening on 127.0.0.1 only, on a free port, its storage in a scratch folder, stopped by its
// pid; and skopeo, the client that copies images to and from it. .ci/run installs both as root.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { sleep } from './wait.js';

/** Why this machine cannot run the registry tests; null when it can. */
export function registryMissing(): string | null {
  for (const [bin, pkg] of [['docker-registry', 'docker-registry'], ['skopeo', 'skopeo']]) {
    if (spawnSync('sh', ['-c', `command -v ${bin}`]).status !== 0) return `${bin} is not installed (apt-get install ${pkg}; .ci/run does it as root)`;
  }
  return null;
}

/** A TCP port nothing listens on now, on 127.0.0.1. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface SkopeoResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `skopeo ARGS` to its end (120 s at most). */
export function skopeo(args: string[]): SkopeoResult {
  const r = spawnSync('skopeo', args, { encoding: 'utf8', timeout: 120_000 });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export class PrivateRegistry {
  /** host:port, for docker://HOST:PORT/name:tag references. */
  readonly host: string;
  readonly #child: ChildProcess;

  private constructor(host: string, child: ChildProcess) {
    this.host = host;
    this.#child = child;
  }

  /** Starts a registry storing under dir/storage, logging to dir/registry.log; resolves once it answers. */
  static async start(dir: string): Promise<PrivateRegistry> {
    const port = await freePort();
    const host = `127.0.0.1:${port}`;
    const config = join(dir, 'registry.yml');
    writeFileSync(config, [
      'version: 0.1',
      'log: {level: warn}',
      `storage: {filesystem: {rootdirectory: "${join(dir, 'storage')}"}}`,
      `http: {addr: "${host}"}`,
      '',
    ].join('\n'));
    const log = openSync(join(dir, 'registry.log'), 'a');
    const child = spawn('docker-registry', ['serve', config], { stdio: ['ignore', log, log] });
    closeSync(log);
    const registry = new PrivateRegistry(host, child);
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`docker-registry exited ${child.exitCode} (see ${join(dir, 'registry.log')})`);
      try {
        if ((await fetch(`http://${host}/v2/`)).ok) return registry;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        await registry.stop();
        throw new Error(`docker-registry did not answer on ${host} within 20 s (see ${join(dir, 'registry.log')})`);
      }
      await sleep(100);
    }
  }

  /** Stops the registry by its pid and waits for it to exit. */
  async stop(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()));
    this.#child.kill('SIGTERM');
    await Promise.race([exited, sleep(5000).then(() => void this.#child.kill('SIGKILL'))]);
  }
}
