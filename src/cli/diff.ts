// `amber diff A B [--json]`: what changed between two checkpoint images of a pod (directories or
// archives), the client's model (runtime/inspect/imagediff.ts) rendered: memory pages per container,
// the files of the filesystems the pod owns, the processes and mounts, each marked as diff -r and
// `podman diff` mark them (A added, D deleted, C changed). Read-only; exits 0 whether or not they differ.
import { diffCheckpoints } from '../client/inspect.js';
import type { FileDiff, ImageDiff, MountDiff, MountSummary, ProcessDiff } from '../runtime/inspect/imagediff.js';
import type { ProcessInfo } from '../runtime/inspect/inspection.js';
import { stateText } from './inspect.js';
import { formatBytes, table } from './textformat.js';

export async function diffCommand(a: string, b: string, flags: { json?: boolean }): Promise<void> {
  const d = await diffCheckpoints(a, b);
  process.stdout.write(flags.json === true ? `${JSON.stringify(d, null, 2)}\n` : renderDiff(d));
}

const MARK = { added: 'A', removed: 'D', modified: 'C' } as const;

const plural = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;

/** A mount field's value: a list as "a,b" ("(none)" when empty). */
const fieldText = (v: unknown): string => (Array.isArray(v) ? (v.length === 0 ? '(none)' : v.join(',')) : String(v ?? ''));

const sizeOf = (n: number | null): string => (n === null ? 'none' : formatBytes(n));

function memoryText(d: ImageDiff): string {
  if (d.memory.length === 0) return '';
  return '\nMemory (4 KiB pages)\n' + table([
    ['CONTAINER', 'SIZE', 'SAME', 'CHANGED', 'ADDED', 'REMOVED', 'STACK'],
    ...d.memory.map((m) => [
      m.container,
      m.sizeA === m.sizeB ? sizeOf(m.sizeA) : `${sizeOf(m.sizeA)} -> ${sizeOf(m.sizeB)}`,
      String(m.same), String(m.changed), String(m.added), String(m.removed),
      m.stackChanged ? 'changed' : 'same',
    ]),
  ]);
}

function fileLine(f: FileDiff): string[] {
  const s = f.b ?? f.a;
  let note = s === undefined ? '' : `${s.type} ${s.mode}${s.type === 'reg' ? `, ${formatBytes(s.size)}` : ''}`;
  if (f.change === 'modified') {
    const what = f.what.map((w) => {
      if (w === 'content') return `content (${plural(f.pagesChanged ?? 0, 'page')})`;
      if (w === 'size') return `size ${formatBytes(f.a?.size ?? 0)} -> ${formatBytes(f.b?.size ?? 0)}`;
      if (w === 'mode') return `mode ${f.a?.mode ?? '?'} -> ${f.b?.mode ?? '?'}`;
      if (w === 'type') return `type ${f.a?.type ?? '?'} -> ${f.b?.type ?? '?'}`;
      if (w === 'target') return `target ${f.a?.target ?? ''} -> ${f.b?.target ?? ''}`;
      return w;
    });
    note = what.join(', ');
  }
  return [MARK[f.change], f.fs, f.path, note];
}

function processState(p: ProcessInfo | undefined): string {
  return p === undefined ? '?' : stateText(p);
}

function processLine(p: ProcessDiff): string[] {
  const who = `[${p.pid}] ${(p.b ?? p.a)?.argv[0] ?? ''}`;
  if (p.change !== 'modified') return [MARK[p.change], p.container ?? '-', who, processState(p.b ?? p.a)];
  const what = p.what.map((w) => {
    if (w === 'state') return `${processState(p.a)} -> ${processState(p.b)}`;
    if (w === 'cwd') return `cwd ${p.a?.cwd ?? '?'} -> ${p.b?.cwd ?? '?'}`;
    if (w === 'argv') return `argv ${p.a?.argv.join(' ') ?? ''} -> ${p.b?.argv.join(' ') ?? ''}`;
    return w;
  });
  return [MARK[p.change], p.container ?? '-', who, what.join('; ')];
}

function mountLine(m: MountDiff): string[] {
  const s = m.b ?? m.a;
  const desc = s === undefined ? '' : `${s.fstype} ${s.source} ${s.options} (${s.origin})`;
  if (m.change !== 'modified') return [MARK[m.change], m.container, m.mountpoint, desc];
  const what = m.what.map((w) => `${w} ${fieldText(m.a?.[w as keyof MountSummary])} -> ${fieldText(m.b?.[w as keyof MountSummary])}`);
  return [MARK[m.change], m.container, m.mountpoint, what.join(', ')];
}

export function renderDiff(d: ImageDiff): string {
  let out = table([
    ['A', `${d.a.image} (pod ${d.a.podId}, ${d.a.created})`],
    ['B', `${d.b.image} (pod ${d.b.podId}, ${d.b.created})`],
  ], '');
  if (d.identical) return `${out}\nNo differences in memory, files, processes or mounts.\n`;
  if (d.containers.length > 0) {
    out += '\nContainers\n' + table(d.containers.map((c) => [MARK[c.change], c.name, c.what.join(', ')]));
  }
  out += memoryText(d);
  out += '\nFiles\n' + (d.files.length === 0 ? '  (no changes)\n' : table(d.files.map(fileLine)));
  out += '\nProcesses\n' + (d.processes.length === 0 ? '  (no changes)\n' : table(d.processes.map(processLine)));
  out += '\nMounts\n' + (d.mounts.length === 0 ? '  (no changes)\n' : table(d.mounts.map(mountLine)));
  return out;
}
