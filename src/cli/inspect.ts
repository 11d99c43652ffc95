// `amber inspect IMAGE... [--stats] [--mounts] [--files] [--ps-tree] [--json]`: what checkpoint images
// hold, like checkpointctl's show/inspect for CRIU and Podman checkpoints: the verb and the text rendering
// of the model the client returns (client/inspect.ts; runtime/inspect builds it), one image in full,
// several as a table (inspecttable.ts). Read-only.
import { inspectCheckpoints } from '../client/inspect.js';
import type { ContainerInfo, FdInfo, Inspection, MountInfo, ProcessInfo } from '../runtime/inspect/inspection.js';
import { escapeMountField } from '../vfs/mountinfo.js';
import { engineText, imagesTable, metadataRows, statsText } from './inspecttable.js';
import { formatBytes, table } from './textformat.js';

export interface InspectFlags {
  mounts?: boolean;
  files?: boolean;
  psTree?: boolean;
  stats?: boolean;
  json?: boolean;
}

export async function inspectCommand(paths: readonly string[], flags: InspectFlags): Promise<void> {
  const infos = await inspectCheckpoints(paths, flags);
  let text: string;
  if (flags.json === true) text = `${JSON.stringify(infos.length === 1 ? infos[0] : infos, null, 2)}\n`;
  else if (infos.length === 1) text = render(infos[0] as Inspection, { stats: flags.stats === true });
  else text = imagesTable(infos, { stats: flags.stats === true }) + infos.map((i) => (i.processes !== undefined || i.mounts !== undefined || i.files !== undefined ? `\n${i.image}\n${details(i)}` : '')).join('');
  process.stdout.write(text);
}

// ---- text ----

function callName(call: string): string {
  return call.startsWith('wasi_snapshot_preview1.') ? call.slice('wasi_snapshot_preview1.'.length) : call;
}

function msLeft(ns: string): string {
  const ms = Number(BigInt(ns) / 1000000n);
  return ms >= 10000 ? `${(ms / 1000).toFixed(1)} s left` : `${ms} ms left`;
}

/** "suspended in poll_oneoff (blocked, 48 ms left)", "exited with code 0", "ready (not started)". */
export function stateText(s: ContainerInfo | ProcessInfo): string {
  switch (s.state) {
    case 'ready':
      return 'ready (not started)';
    case 'suspended': {
      const why = [s.cause, s.waitNs !== undefined ? msLeft(s.waitNs) : undefined].filter((x) => x !== undefined);
      return `suspended in ${s.call !== undefined ? callName(s.call) : '?'}${why.length > 0 ? ` (${why.join(', ')})` : ''}`;
    }
    case 'exited':
      if ('exit' in s && s.exit?.kind === 'trap') return `exited: trap: ${s.exit.message}`;
      if ('exit' in s && s.exit?.kind === 'exit') return `exited with code ${s.exit.code}`;
      if ('trap' in s && s.trap !== undefined) return `exited: trap: ${s.trap}`;
      return `exited with code ${'exitCode' in s && s.exitCode !== undefined ? s.exitCode : '?'}`;
    case 'stopped':
      return 'stopped (not a container program: its state is only in the kernel)';
  }
}

function summary(i: Inspection): string {
  const fmt = `${i.format.name} v${i.format.version} (programs v${i.format.programs}${i.format.kernel !== undefined ? `, kernel graph amber-state v${i.format.kernel}` : ''})`;
  let out = table([
    ['Image', i.image],
    ['Pod', i.podId],
    ['Created', i.created],
    ['Format', fmt],
    ['Manifest', i.manifestDigest],
    ['Size', `${formatBytes(i.size.onDisk)} on disk, payloads ${formatBytes(i.size.payloads)}`],
    ['Spec', i.specFile === null ? '(none recorded)' : `${i.specFile}${i.specFormat !== null ? ` (${i.specFormat === 'oci' ? 'OCI bundle' : 'Pod manifest'})` : ''}`],
    ['User ns', i.userns ? 'yes' : 'no'],
    ...(engineText(i) !== null ? [['Engine', engineText(i) as string]] : []),
    ...metadataRows(i),
  ], '');
  out += '\nContainers\n';
  out += table([['NAME', 'STATE', 'MODULE'], ...i.containers.map((c) => [c.name, stateText(c), c.module])]);
  const withArgs = i.containers.filter((c) => c.args.length > 0 || c.env.length > 0);
  if (withArgs.length > 0) {
    out += '\nArgs and env\n';
    out += table(withArgs.flatMap((c) => [
      [c.name, 'args', c.args.map(shellWord).join(' ')],
      ...c.env.map((e, n) => ['', n === 0 ? 'env' : '', e]),
    ]));
  }
  out += '\nVolumes\n';
  out += i.volumes.length === 0
    ? '  (none)\n'
    : table([['NAME', 'KIND', 'SOURCE'], ...i.volumes.map((v) => [v.name, v.kind, v.kind === 'hostPath' ? (v.hostPath ?? '') : `pod-owned tmpfs${v.medium !== undefined ? ` (medium ${v.medium})` : ''}${v.sizeBytes !== undefined ? `, ${formatBytes(v.sizeBytes)}` : ''}`])]);
  out += '\nPayloads\n';
  out += table([['NAME', 'KIND', 'SIZE', 'PARTS'], ...i.payloads.map((p) => [p.name, p.kind, formatBytes(p.bytes), p.patches === 0 ? String(p.parts) : `${p.parts} + ${p.patches} patch${p.patches === 1 ? '' : 'es'}`])]);
  return out;
}

function processLine(p: ProcessInfo): string {
  const state = stateText(p);
  return `[${p.pid}] ${p.argv.join(' ')}; ${state}; cwd ${p.cwd}`;
}

function psTree(i: Inspection, procs: ProcessInfo[]): string {
  let out = `\nProcess tree\n${i.podId}\n`;
  const groups: Array<{ name: string; procs: ProcessInfo[] }> = i.containers.map((c) => ({ name: c.name, procs: procs.filter((p) => p.container === c.name) }));
  for (const p of procs) {
    if (p.container === null || !groups.some((g) => g.name === p.container)) {
      const name = p.container ?? '(no container)';
      let g = groups.find((x) => x.name === name);
      if (g === undefined) groups.push((g = { name, procs: [] }));
      if (!g.procs.includes(p)) g.procs.push(p);
    }
  }
  groups.forEach((g, gi) => {
    const lastGroup = gi === groups.length - 1;
    out += `${lastGroup ? '└── ' : '├── '}${g.name}\n`;
    g.procs.forEach((p, pi) => {
      out += `${lastGroup ? '    ' : '│   '}${pi === g.procs.length - 1 ? '└── ' : '├── '}${processLine(p)}\n`;
    });
  });
  return out;
}

function mountLine(m: MountInfo): string {
  const notes = [m.origin];
  if (m.coveredBy !== null) notes.push(`covered by ${m.coveredBy}`);
  if (m.locked.length > 0) notes.push(`locked: ${m.locked.join(',')}`);
  return `${m.id} ${m.parent} ${escapeMountField(m.root)} ${escapeMountField(m.mountpoint)} ${m.options} - ${escapeMountField(m.fstype)} ${escapeMountField(m.source)} ${m.superOptions}  # ${notes.join('; ')}`;
}

function mountsText(trees: NonNullable<Inspection['mounts']>): string {
  let out = '';
  for (const t of trees) {
    out += `\nMounts of ${t.container} (pid ${t.pid}): ID PARENT ROOT MOUNTPOINT OPTIONS - FSTYPE SOURCE SUPER-OPTIONS  # NOTES\n`;
    for (const m of t.mounts) out += `  ${mountLine(m)}\n`;
  }
  return out;
}

function mtimeText(ns: string): string {
  try {
    return new Date(Number(BigInt(ns) / 1000000n)).toISOString();
  } catch {
    return ns;
  }
}

/** How a restore brings the fd back, in words. */
export function restoreText(f: FdInfo): string {
  const parts: string[] = [];
  switch (f.restore) {
    case 'stream':
      parts.push(`stream: re-bound by role ${f.role ?? '?'}`);
      break;
    case 'host': {
      let s = `host: re-bound by key ${f.key ?? '?'}, reopened at ${f.keyPath ?? '?'}`;
      if (f.hostPath !== undefined) s += ` (${f.hostPath})`;
      if (f.identity !== undefined) s += `, checked: size ${f.identity.size}, mtime ${mtimeText(f.identity.mtimeNs)}`;
      parts.push(s);
      break;
    }
    case 'ghost':
      parts.push(`ghost: ${f.size !== undefined ? `${f.size} bytes` : 'contents'} saved in the image${f.nlink !== undefined ? `, nlink ${f.nlink}` : ''} (was ${f.key ?? '?'} ${f.keyPath ?? ''})`);
      break;
    case 'gone':
      parts.push(`gone: ${f.key ?? '?'} ${f.keyPath ?? ''} was no longer on the host; restored as a stand-in`);
      break;
    case 'pod': {
      const what = [f.type, f.size !== undefined ? `${f.size} bytes` : undefined, f.nlink !== undefined ? `nlink ${f.nlink}` : undefined].filter((x) => x !== undefined && x !== null);
      parts.push(`pod: saved with its filesystem${what.length > 0 ? ` (${what.join(', ')})` : ''}`);
      break;
    }
  }
  if (f.preopen !== undefined) parts.push(`preopen ${JSON.stringify(f.preopen)}`);
  if (f.coveredBy !== undefined) parts.push(`under a mount covered by ${f.coveredBy}`);
  return parts.join('; ');
}

function filesText(files: NonNullable<Inspection['files']>): string {
  let out = '\nOpen files\n';
  for (const p of files) {
    out += `  [${p.pid}] ${p.command} (container ${p.container ?? 'none'})\n`;
    out += p.fds.length === 0
      ? '    (no open files)\n'
      : table([['FD', 'FLAGS', 'OFFSET', 'PATH', 'RESTORE'], ...p.fds.map((f) => [String(f.fd), f.flags, String(f.offset), f.path, restoreText(f)])], '    ');
  }
  return out;
}

/** An argument as a shell would need it written: quoted when empty or holding spaces or quotes. */
function shellWord(w: string): string {
  return /^[\w@%+=:,./-]+$/.test(w) ? w : JSON.stringify(w);
}

/** The views asked for: process tree, mount trees, open files. */
function details(i: Inspection): string {
  let out = '';
  if (i.processes !== undefined) out += psTree(i, i.processes);
  if (i.mounts !== undefined) out += mountsText(i.mounts);
  if (i.files !== undefined) out += filesText(i.files);
  return out;
}

export function render(i: Inspection, opts: { stats: boolean } = { stats: false }): string {
  return summary(i) + (opts.stats ? statsText(i) : '') + details(i);
}
