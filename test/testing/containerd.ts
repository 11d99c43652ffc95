// A private containerd for the end-to-end tests under containerd: its own root, state and socket in a
// scratch folder (nothing of the machine's own containerd is touched), stopped by its pid; `ctr` against
// it in a namespace of the tests' own; and a one-layer OCI image of guests, built here and imported.
// containerd and ctr come from Debian's containerd package (.ci/run installs it as root).
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, copyFileSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { amberBin, guest } from './amber.js';
import { sleep } from './wait.js';

export const NAMESPACE = 'amber-test';

export interface CtrResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Why this machine cannot run the tests under containerd; null when it can. */
export function containerdMissing(): string | null {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'the tests under containerd need root (containerd mounts and reaps as root)';
  for (const bin of ['containerd', 'ctr', 'containerd-shim-runc-v2']) {
    if (spawnSync('sh', ['-c', `command -v ${bin}`]).status !== 0) return `${bin} is not installed (apt-get install containerd; .ci/run does it as root)`;
  }
  return null;
}

export class PrivateContainerd {
  readonly dir: string;
  readonly socket: string;
  /** The state root the shim passes Amber (ctr run --runc-root). */
  readonly runcRoot: string;
  readonly #child: ChildProcess;

  private constructor(dir: string, child: ChildProcess) {
    this.dir = dir;
    this.socket = join(dir, 'ctd.sock');
    this.runcRoot = join(dir, 'runc');
    this.#child = child;
  }

  /** Starts containerd in dir and waits until it answers. */
  static async start(dir: string): Promise<PrivateContainerd> {
    const config = join(dir, 'config.toml');
    writeFileSync(config, [
      'version = 2',
      `root = "${join(dir, 'root')}"`,
      `state = "${join(dir, 'state')}"`,
      'disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]',
      '[grpc]',
      `  address = "${join(dir, 'ctd.sock')}"`,
      '[ttrpc]',
      `  address = "${join(dir, 'ctd.sock.ttrpc')}"`,
      '[plugins."io.containerd.internal.v1.opt"]',
      `  path = "${join(dir, 'opt')}"`,
      '',
    ].join('\n'));
    const log = openSync(join(dir, 'containerd.log'), 'a');
    const child = spawn('containerd', ['--config', config], { stdio: ['ignore', log, log] });
    closeSync(log);
    const ctd = new PrivateContainerd(dir, child);
    const deadline = Date.now() + 30_000;
    while (ctd.ctr(['version']).code !== 0) {
      if (child.exitCode !== null || Date.now() > deadline) assert.fail(`containerd did not start: ${readFileSync(join(dir, 'containerd.log'), 'utf8').slice(-2000)}`);
      await sleep(100);
    }
    return ctd;
  }

  /** `ctr ARGS` against this containerd, to its end. */
  ctr(args: readonly string[], timeoutMs = 120_000): CtrResult {
    const r = spawnSync('ctr', ['--address', this.socket, '--namespace', NAMESPACE, ...args], { encoding: 'utf8', timeout: timeoutMs });
    return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  }

  /** `ctr ARGS` as a child process, for a run that is watched or signalled while it goes. */
  spawnCtr(args: readonly string[]): ChildProcess {
    return spawn('ctr', ['--address', this.socket, '--namespace', NAMESPACE, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** The flags that make `ctr run` use Amber as its runc, on the native snapshotter. */
  runFlags(): string[] {
    return ['--snapshotter', 'native', '--runc-binary', amberBin, '--runc-root', this.runcRoot];
  }

  /** Every container of the tests' namespace killed and removed, then containerd stopped by its pid. */
  async stop(): Promise<void> {
    for (const id of this.ctr(['containers', 'list', '--quiet']).stdout.split('\n').filter((s) => s !== '')) {
      this.ctr(['tasks', 'kill', '--signal', 'SIGKILL', id]);
      this.ctr(['tasks', 'delete', '--force', id]);
      this.ctr(['containers', 'delete', id]);
    }
    if (this.#child.exitCode === null) {
      const exited = new Promise((res) => this.#child.once('exit', res));
      this.#child.kill('SIGTERM');
      await Promise.race([exited, sleep(10_000)]);
      if (this.#child.exitCode === null) this.#child.kill('SIGKILL');
    }
    // Amber's sandboxes left by a failed test: each pod's record names its sandbox's pid.
    for (const pod of listDir(join(this.runcRoot, NAMESPACE, 'pods'))) {
      try {
        const r = JSON.parse(readFileSync(join(this.runcRoot, NAMESPACE, 'pods', pod, 'record.json'), 'utf8')) as { sandboxPid?: number | null };
        if (typeof r.sandboxPid === 'number') process.kill(r.sandboxPid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
  }
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/**
 * A one-layer OCI image (an image layout in a tar, as `ctr image import` takes it) whose layer holds
 * the named guests at /NAME.wasm; imported as ref with the native snapshotter.
 */
export function importGuestImage(ctd: PrivateContainerd, dir: string, ref: string, guests: readonly string[]): void {
  const layer = join(dir, 'layer');
  const layout = join(dir, 'layout');
  const blobs = join(layout, 'blobs', 'sha256');
  mkdirSync(layer, { recursive: true });
  mkdirSync(blobs, { recursive: true });
  for (const g of guests) copyFileSync(guest(g), join(layer, `${g}.wasm`));
  const layerTar = join(dir, 'layer.tar');
  const t = spawnSync('tar', ['--owner=0', '--group=0', '--numeric-owner', '-C', layer, '-cf', layerTar, '.'], { encoding: 'utf8' });
  assert.equal(t.status, 0, `tar of the layer: ${t.stderr}`);
  const blob = (path: string): { digest: string; size: number } => {
    const hex = sha256(path);
    copyFileSync(path, join(blobs, hex));
    return { digest: `sha256:${hex}`, size: statSync(path).size };
  };
  const l = blob(layerTar);
  const write = (name: string, v: unknown): { digest: string; size: number } => {
    const p = join(dir, name);
    writeFileSync(p, JSON.stringify(v));
    return blob(p);
  };
  const config = write('config.json', {
    architecture: 'amd64',
    os: 'linux',
    config: { Cmd: [`/${guests[0] ?? 'hello'}.wasm`], Env: ['PATH=/'] },
    rootfs: { type: 'layers', diff_ids: [l.digest] },
  });
  const manifest = write('manifest.json', {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...l }],
  });
  writeFileSync(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(join(layout, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations: { 'org.opencontainers.image.ref.name': ref } }],
  }));
  const imageTar = join(dir, 'image.tar');
  const t2 = spawnSync('tar', ['-C', layout, '-cf', imageTar, '.'], { encoding: 'utf8' });
  assert.equal(t2.status, 0, `tar of the image: ${t2.stderr}`);
  const r = ctd.ctr(['images', 'import', '--snapshotter', 'native', imageTar]);
  assert.equal(r.code, 0, `ctr images import: ${r.stderr}`);
}
