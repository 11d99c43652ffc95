// The verbs that start, checkpoint and restore pods: `pod run`, `run --bundle`, `checkpoint`, `restore`
// (of image directories, or archives: --export, --import). Detached, they go through the client's Pod
// handle and print the pod's ID; attached, the pod runs here on this terminal. Long operations draw a progress line on a terminal (cli/progress.ts).
import type { ContainerEnd } from '../client/attached.js';
import type { StartedSandbox } from '../client/launch.js';
import { Pod, type RootOptions } from '../client/pod.js';
import { prepareModules, type PreparedModule } from '../client/prepare.js';
import type { OnProgress } from '../client/progress.js';
import type { PodSpec } from '../runtime/spec/podspec.js';
import { tracksWrites } from '../runtime/spec/trackwrites.js';
import { UsageError } from './errors.js';
import { podExit, printWarnings, terminalStdio } from './foreground.js';
import { progressLine, type Progress } from './progress.js';

// A pod run attached loads the whole kernel here; a detached one, a checkpoint or a restore --detach only
// talk to a sandbox, so they do not pay for loading it.
const attached = () => import('../client/attached.js');

/** The client's progress events drawn on a progress line; none asked for when nothing is drawn. */
function drawn(progress: Progress): { onProgress?: OnProgress } {
  return progress.live ? { onProgress: (e) => ('phase' in e ? progress.phase(e.phase) : progress.update(e.done, e.total)) } : {};
}

/** `pod run` and `run --bundle`: detached, the pod's ID on stdout (unless quiet); attached, the pod's exit code. */
export async function runSpec(spec: PodSpec, opts: RootOptions & { detach: boolean; quiet?: boolean; name?: string; source: string }): Promise<number> {
  printWarnings(spec);
  const progress = progressLine(`${opts.detach ? 'start' : 'run'} ${opts.name ?? spec.name}`);
  if (!opts.detach) {
    let prepared: PreparedModule[];
    try {
      prepared = await prepareModules(spec.containers.map((c) => c.module), { ...drawn(progress), trackWrites: tracksWrites(spec) });
    } finally {
      progress.done(); // before the first container prints
    }
    // In the foreground the pod is registered like a detached one (list, state, logs, exec and checkpoint
    // reach it from another terminal); Ctrl-C ends it as `amber kill ID INT` would.
    const term = terminalStdio(spec);
    const { runPodForeground } = await attached();
    const pod = await runPodForeground(spec, { ...(opts.root !== undefined ? { root: opts.root } : {}), ...(opts.name !== undefined ? { name: opts.name } : {}), source: opts.source, prepared }, term.stdio);
    const interrupt = (): void => void pod.kill(2);
    process.on('SIGINT', interrupt);
    try {
      return podExit(await pod.done);
    } finally {
      process.off('SIGINT', interrupt);
      term.close();
    }
  }
  let pod;
  try {
    pod = await Pod.start(spec, { ...opts, ...drawn(progress) });
  } finally {
    progress.done();
  }
  if (opts.quiet !== true) process.stdout.write(`${pod.id}\n`);
  return 0;
}

/** Parses --volume NAME=HOSTDIR flags. */
export function parseVolumes(args: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const arg of args) {
    const i = arg.indexOf('=');
    if (i <= 0 || i === arg.length - 1) throw new UsageError(`--volume ${arg}: expected NAME=HOSTDIR`);
    out[arg.slice(0, i)] = arg.slice(i + 1);
  }
  return out;
}

export interface RestoreFlags {
  /** One of the two: an image directory, or an archive (`--import`). */
  imagePath?: string;
  import?: string;
  spec?: string;
  detach?: boolean;
  name?: string;
  volume: string[];
  verify?: boolean;
}

/** `restore`; sandbox: one bin/amber started beside this command, which a detached restore uses (or ends). */
export async function restoreVerb(root: string, flags: RestoreFlags, sandbox: StartedSandbox | null = null): Promise<number> {
  const volumes = parseVolumes(flags.volume);
  // What a detached and a foreground restore are both given besides the volumes: a spec, and --verify.
  const given = { ...(flags.spec !== undefined ? { spec: flags.spec } : {}), ...(flags.verify === true ? { verify: true } : {}) };
  const archive = flags.import;
  const imagePath = flags.imagePath;
  if (flags.detach === true) {
    const progress = progressLine(`restore ${flags.name ?? ''}`.trimEnd());
    try {
      const opts = { root, volumes, ...given, ...(flags.name !== undefined ? { name: flags.name } : {}), ...(sandbox !== null ? { sandbox } : {}), ...drawn(progress) };
      let pod: Pod;
      if (archive !== undefined) pod = await Pod.restoreArchive(archive, opts);
      else if (imagePath !== undefined) pod = await Pod.restore(imagePath, opts);
      else throw new UsageError('restore: expected --image-path or --import');
      progress.done();
      process.stdout.write(`${pod.id}\n`);
    } finally {
      progress.done();
    }
    return 0;
  }
  const progress = progressLine('restore');
  let close = (): void => {};
  try {
    const { restorePodAttached } = await attached();
    const run = (dir: string): Promise<ContainerEnd[]> => restorePodAttached(dir, { volumes, ...given, ...drawn(progress) }, (restored) => {
      progress.done(); // the image is read: the pod's own output starts on a clean line
      const term = terminalStdio(restored);
      close = () => term.close();
      return term.stdio;
    });
    let ends: ContainerEnd[];
    if (archive !== undefined) ends = await (await import('../client/archive.js')).withImportedImage(archive, run);
    else if (imagePath !== undefined) ends = await run(imagePath);
    else throw new UsageError('restore: expected --image-path or --import');
    close();
    return podExit(ends);
  } finally {
    progress.done();
  }
}

export async function checkpointVerb(root: string, id: string, flags: { imagePath?: string; leaveRunning?: boolean; parentPath?: string; compress?: string; export?: string }): Promise<void> {
  const pod = Pod.get(id, { root });
  const progress = progressLine(`checkpoint ${id}`);
  let r;
  try {
    const opts = {
      leaveRunning: flags.leaveRunning === true,
      ...(flags.parentPath !== undefined ? { parentPath: flags.parentPath } : {}),
      ...(flags.compress !== undefined && flags.compress !== 'none' ? { compress: flags.compress } : {}),
      ...drawn(progress),
    };
    if (flags.export !== undefined) r = await pod.checkpointArchive(flags.export, { ...opts, ...(flags.imagePath !== undefined ? { imageDir: flags.imagePath } : {}) });
    else if (flags.imagePath !== undefined) r = await pod.checkpoint(flags.imagePath, opts);
    else throw new UsageError('checkpoint: expected --image-path or --export');
  } finally {
    progress.done();
  }
  if (process.stderr.isTTY === true) {
    const paused = r.pauseMs !== null ? `, the pod paused ${r.pauseMs} ms` : '';
    process.stderr.write(`checkpoint ${id}: ${(r.bytes / 1048576).toFixed(1)} MiB written in ${r.ms} ms${paused}\n`);
  }
}
