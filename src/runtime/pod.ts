// A pod as kernel objects, built from a PodSpec the way runsc's boot builds a sandbox: one Kernel, one
// /dev/shm and one procfs for the pod, each volume one filesystem keyed by its pod-global name (seed
// 000), and per container a mount namespace (root, /dev, /proc, then the spec's mounts in order) and a
// process. Every mount a container gets from its spec has its flags locked, as for a container without
// CAP_SYS_ADMIN; in a user namespace they are locked to their parents too (seed 004).
import { MNT_LOCKED, MNT_NOSUID, MNT_READONLY } from '../abi/mount.js';
import { KernelError } from '../base/error.js';
import { Devfs } from '../fsimpl/dev/devfs.js';
import type { HostFdFs, HostStream } from '../fsimpl/hostfd/hostfd.js';
import { Tmpfs } from '../fsimpl/tmpfs/tmpfs.js';
import type { HostClock, HostRandom } from '../kernel/host.js';
import { Kernel } from '../kernel/kernel.js';
import { lockedFlagsOf, lockedSecurityFlagsOf } from '../kernel/mount.js';
import { Process } from '../kernel/process.js';
import { map, ref, savable, str, struct } from '../state/index.js';
import { Filesystem } from '../vfs/filesystem.js';
import { MountNamespace } from '../vfs/mount.js';
import { newProc, newShm } from './container.js';
import { bindKey, rootfsKey, volumeKey } from './hostkeys.js';
import { addTmp, buildMountTree, kernelContext, mkdirAll, type MountRequest } from './rootfs.js';
import { hostStreamsFs, spawn } from './spawn.js';
import { SpecError } from './spec/error.js';
import { decodeSavedSpec, SavedSpecError } from './spec/saved.js';
import type { ContainerSpec, MountSpec, PodSpec } from './spec/podspec.js';

/** What building a pod needs from the host. */
export interface PodHost {
  clock: HostClock;
  random: HostRandom;
  /** A host directory as a filesystem (DirectoryMissing is the host's to report). */
  /** key: the stable name a checkpoint saves it by (hostkeys.ts: volumeKey, bindKey, rootfsKey). */
  hostDir(kernel: Kernel, hostPath: string, readOnly: boolean, key: string): Filesystem;
  /** The container's stdin, stdout and stderr. */
  stdio(container: string): readonly [HostStream, HostStream, HostStream];
}

/**
 * fn's result; a KernelError it throws (the kernel or the host refusing what the spec asks for) is a
 * SpecError naming field: `pod.yaml: spec.containers[0].volumeMounts[0].mountPath: cannot mount at
 * /dev/null: ENOTDIR`.
 */
function inField<T>(spec: PodSpec, field: string, what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (!(e instanceof KernelError)) throw e;
    throw new SpecError(spec.file, field, `${what}: ${e.message}`, [], { cause: e });
  }
}

/** The spec a saved PodKernel holds, as JSON text, checked as a restore checks the config's. */
function savedPodSpec(json: string): PodSpec {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    throw new SavedSpecError('the saved pod spec is not JSON');
  }
  return decodeSavedSpec(v, 'the saved pod spec');
}

/** No container mounts the volume writable: its host directory then refuses writes itself too. */
function mountedReadOnly(spec: PodSpec, volume: string): boolean {
  return spec.containers.every((c) => c.mounts.every((m) => m.source.kind !== 'volume' || m.source.name !== volume || m.readOnly));
}

export interface PodContainer {
  spec: ContainerSpec;
  ns: MountNamespace;
  proc: Process;
}

export class PodKernel {
  readonly kernel: Kernel;
  readonly spec: PodSpec;
  readonly shm: Filesystem;
  /** The pod's volumes by name: one filesystem each, whoever mounts them. */
  readonly volumes = new Map<string, Filesystem>();
  readonly containers = new Map<string, PodContainer>();
  /** The pod's procfs and host-stream filesystem, made with the first container built here (not saved:
   *  after a restore a container added later gets new ones over the same kernel). */
  #proc: Filesystem | undefined;
  #streams: HostFdFs | undefined;

  /** A pod with no volumes or containers yet: build() adds them, or a load fills them in. */
  constructor(spec: PodSpec, kernel: Kernel, shm: Filesystem = newShm(kernel)) {
    this.spec = spec;
    this.kernel = kernel;
    this.shm = shm;
  }

  /**
   * The pod's kernel objects. What the spec asks for that its host or its kernel cannot give (a
   * mountpoint that is a file, a read-only root without the directory a mount needs, a host directory
   * gone since the spec was checked) is a SpecError naming the field; the host directories opened
   * until then are released.
   */
  static build(spec: PodSpec, host: PodHost): PodKernel {
    const kernel = new Kernel({ clock: host.clock, random: host.random });
    const pod = new PodKernel(spec, kernel);
    try {
      for (const v of spec.volumes) {
        pod.volumes.set(v.name, v.kind === 'emptyDir'
          ? new Tmpfs({ dev: kernel.allocDev(), now: kernel.now, source: v.name, ...(v.sizeBytes !== undefined ? { sizeBytes: v.sizeBytes } : {}) })
          : pod.#opened(inField(spec, `${v.field}.hostPath.path`, `cannot open ${v.hostPath}`, () => host.hostDir(kernel, v.hostPath, mountedReadOnly(spec, v.name), volumeKey(v.name)))));
      }
      for (const c of spec.containers) pod.#addContainer(c, host);
    } catch (e) {
      pod.#releaseOpened();
      throw e;
    }
    pod.#hostDirs.length = 0;
    return pod;
  }

  /** Host directories build() opened, released if it fails. */
  readonly #hostDirs: Filesystem[] = [];

  #opened(fs: Filesystem): Filesystem {
    this.#hostDirs.push(fs);
    return fs;
  }

  #releaseOpened(): void {
    for (const fs of this.#hostDirs.splice(0)) fs.release();
  }

  /**
   * One more container in this pod (runc's create of a container that joins a pod's sandbox): its mount
   * tree and first process, not yet running; the spec lists it from now on, so a checkpoint saves it.
   */
  addContainer(c: ContainerSpec, host: PodHost): PodContainer {
    if (this.containers.has(c.name)) throw new Error(`pod ${this.spec.name} has a container ${c.name} already`);
    let added: PodContainer;
    try {
      added = this.#addContainer(c, host);
    } catch (e) {
      this.#releaseOpened();
      throw e;
    }
    this.#hostDirs.length = 0;
    this.spec.containers.push(c);
    return added;
  }

  /**
   * Forgets an ended container (runc's delete): a later checkpoint no longer holds it. As when the last
   * process leaves a Linux mount namespace, its mounts go, and each filesystem no other container mounts
   * (its bundle's root, its bind mounts) is released: its host descriptors closed, so the host may
   * unmount the bundle (containerd's shim unmounts the rootfs right after runc delete).
   */
  removeContainer(name: string): void {
    const gone = this.containers.get(name);
    this.containers.delete(name);
    const i = this.spec.containers.findIndex((c) => c.name === name);
    if (i >= 0) this.spec.containers.splice(i, 1);
    if (gone === undefined) return;
    const kept = new Set<Filesystem>([this.shm, ...this.volumes.values()]);
    for (const c of this.containers.values()) for (const m of c.ns.mounts()) kept.add(m.fs);
    for (const m of gone.ns.mounts()) {
      if (kept.has(m.fs)) continue;
      kept.add(m.fs);
      m.fs.release();
    }
  }

  #addContainer(c: ContainerSpec, host: PodHost): PodContainer {
    this.#proc ??= newProc(this.kernel);
    this.#streams ??= hostStreamsFs(this.kernel);
    const ns = this.#mountTree(c, this.#proc, host);
    const p = spawn(this.kernel, this.#streams, { ns, argv: c.argv, env: c.env, stdio: host.stdio(c.name), role: c.name, ...(c.nofile !== undefined ? { nofile: c.nofile } : {}) });
    const added = { spec: c, ns, proc: p };
    this.containers.set(c.name, added);
    return added;
  }

  /**
   * One more process in a running container (`amber exec`), in the container's mount namespace, with
   * its own streams under the role "<container>/exec-<pid>".
   */
  exec(container: string, argv: string[], env: string[] | undefined, stdio: readonly [HostStream, HostStream, HostStream]): Process {
    const c = this.containers.get(container);
    if (c === undefined) throw new Error(`no container ${container}`);
    const role = `${container}/exec-${this.kernel.processes.size + 1}`;
    return spawn(this.kernel, hostStreamsFs(this.kernel), { ns: c.ns, argv, env: env ?? c.spec.env, stdio, role, ...(c.spec.nofile !== undefined ? { nofile: c.spec.nofile } : {}) });
  }

  #mountTree(c: ContainerSpec, proc: Filesystem, host: PodHost): MountNamespace {
    const k = this.kernel;
    const rootfs = c.rootfs;
    const root = rootfs !== undefined
      ? this.#opened(inField(this.spec, rootfs.field, `cannot open ${rootfs.hostPath}`, () => host.hostDir(k, rootfs.hostPath, rootfs.readOnly, rootfsKey(c.name))))
      : new Tmpfs({ dev: k.allocDev(), now: k.now, source: 'rootfs' });
    const dev = new Devfs({ dev: k.allocDev(), now: k.now, fill: (b) => k.random.fill(b), shm: true, sizeBytes: 64 * 1024 * 1024 });
    const standard: MountRequest[] = [
      { guestPath: '/dev', fs: dev, flags: MNT_NOSUID },
      { guestPath: '/proc', fs: proc, flags: 0 },
    ];
    const ns = inField(this.spec, rootfs?.field ?? '', 'cannot mount /dev and /proc in the root', () => buildMountTree(k, root, rootfs?.readOnly === true ? MNT_READONLY : 0, standard));
    if (rootfs === undefined) addTmp(k, ns);
    for (const m of c.mounts) {
      const field = m.field !== undefined ? `${m.field}.${this.spec.format === 'pod' ? 'mountPath' : 'destination'}` : m.destination;
      inField(this.spec, field, `cannot mount at ${m.destination}`, () => this.#mount(ns, c.name, m, host));
    }
    // The mounts a spec gives are the runtime's to set, as for a container without CAP_SYS_ADMIN: the
    // guest may not clear read-only, nosuid, nodev or noexec on them, user namespace or not. In a user
    // namespace their atime mode is locked too, and each is locked to its parent, as Linux locks a
    // mount namespace copied into a less privileged one.
    for (const m of ns.mounts()) {
      m.flags |= this.spec.userns ? lockedFlagsOf(m.flags) | (m.parent !== null ? MNT_LOCKED : 0) : lockedSecurityFlagsOf(m.flags);
    }
    return ns;
  }

  #mount(ns: MountNamespace, container: string, m: MountSpec, host: PodHost): void {
    const k = this.kernel;
    let fs: Filesystem;
    switch (m.source.kind) {
      case 'volume': {
        const v = this.volumes.get(m.source.name);
        if (v === undefined) throw new Error(`kernel bug: volume ${m.source.name} was not created`);
        fs = v;
        break;
      }
      case 'shm':
        fs = this.shm;
        break;
      case 'tmpfs':
        fs = new Tmpfs({ dev: k.allocDev(), now: k.now, rootPerm: m.source.mode ?? 0o1777, ...(m.source.sizeBytes !== undefined ? { sizeBytes: m.source.sizeBytes } : {}) });
        break;
      case 'bind':
        fs = this.#opened(host.hostDir(k, m.source.hostPath, m.readOnly, bindKey(container, m.destination)));
        break;
    }
    let root = fs.root();
    if (m.subPath !== undefined && m.subPath !== '') {
      // The subPath is made inside the volume, as the kubelet does, then that subtree is mounted.
      const tmp = new MountNamespace(k.vfs.newMount(fs, 0));
      mkdirAll(k, tmp, m.subPath);
      root = k.vfs.resolve(kernelContext(tmp), { at: tmp.rootDentry }, m.subPath, true).dentry;
    }
    mkdirAll(k, ns, m.destination);
    const at = k.vfs.resolve(kernelContext(ns), { at: ns.rootDentry }, m.destination, true);
    k.vfs.attach(at, k.vfs.newMount(fs, m.flags, root));
  }

  /**
   * The root of a checkpoint's kernel graph: the kernel, the spec (as JSON), /dev/shm, each volume once
   * by its pod-global name (seed 000: every container that mounts it reaches the same object), and each
   * container by name with its mount namespace and process. A container's spec is its entry in the pod
   * spec, found again by name.
   */
  static readonly saved = savable(PodKernel, {
    name: 'runtime.PodKernel',
    version: 1,
    fields: {
      kernel: ref(Kernel),
      spec: str,
      shm: ref(Filesystem),
      volumes: map(str, ref(Filesystem)),
      containers: map(str, struct({ ns: ref(MountNamespace), proc: ref(Process) })),
    },
    save: (pod) => ({ ...pod, spec: JSON.stringify(pod.spec) }),
    create: (v, r) => new PodKernel(savedPodSpec(v.spec), r.ref(v.kernel), r.ref(v.shm)),
    fill: (pod, v) => {
      for (const [name, fs] of v.volumes) pod.volumes.set(name, fs);
      for (const [name, c] of v.containers) {
        const spec = pod.spec.containers.find((s) => s.name === name);
        if (spec === undefined) throw new Error(`the saved pod has container ${name}, which its spec does not`);
        pod.containers.set(name, { spec, ns: c.ns, proc: c.proc });
      }
    },
  });
}
