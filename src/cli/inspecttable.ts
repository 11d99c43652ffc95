// The parts of `amber inspect` that checkpointctl's `show` and `inspect --stats` print: several images
// as one table (a row each: pod, namespace, containers, created, engine, format, size, and with --stats
// the checkpoint's pause, total time and bytes), an image's statistics as the checkpoint stored them, and
// the pod's metadata (namespace, labels, annotations) and engine as summary rows.
import type { Inspection } from '../runtime/inspect/inspection.js';
import { formatBytes, table } from './textformat.js';

const ENGINE = 'org.criu.checkpoint.engine.name';
const ENGINE_VERSION = 'org.criu.checkpoint.engine.version';
const HOST_ARCH = 'org.criu.checkpoint.host.arch';

/** "amber 0.1.0 (amd64)" from the checkpoint annotations, or null when the image has none. */
export function engineText(i: Inspection): string | null {
  const name = i.annotations[ENGINE];
  if (name === undefined) return null;
  const version = i.annotations[ENGINE_VERSION];
  const arch = i.annotations[HOST_ARCH];
  return `${name}${version !== undefined ? ` ${version}` : ''}${arch !== undefined ? ` (${arch})` : ''}`;
}

const pairs = (m: Record<string, string>): string => Object.entries(m).map(([k, v]) => `${k}=${v}`).join(', ');

/** Namespace, Labels and Annotations rows of the pod's metadata (none for an image without it). */
export function metadataRows(i: Inspection): string[][] {
  const m = i.metadata;
  if (m === null) return [];
  return [
    ['Namespace', m.namespace ?? '(none)'],
    ['Labels', Object.keys(m.labels).length > 0 ? pairs(m.labels) : '(none)'],
    ['Annotations', Object.keys(m.annotations).length > 0 ? pairs(m.annotations) : '(none)'],
  ];
}

const msText = (ms: number | null | undefined): string => (ms === null || ms === undefined ? '-' : `${ms} ms`);
const bytesText = (n: number | null | undefined): string => (n === null || n === undefined ? '-' : formatBytes(n));

/** The "Statistics" section: the checkpoint's times and bytes as the image stored them. */
export function statsText(i: Inspection): string {
  const s = i.stats;
  if (s === null) return `\nStatistics\n  (not recorded: images of format ${i.format.version} do not store them)\n`;
  const parts = [['prepare', s['prepareMs']], ['cut', s['cutMs']], ['write', s['writeMs']]].filter(([, v]) => typeof v === 'number').map(([k, v]) => `${String(k)} ${String(v)} ms`);
  return '\nStatistics\n' + table([
    ['Pause', s['pauseMs'] === null ? 'until the pod ended (checkpoint without --leave-running)' : msText(s['pauseMs'])],
    ['Total', `${msText(s['totalMs'])}${parts.length > 0 ? ` (${parts.join(', ')})` : ''}`],
    ['Scanned', bytesText(s['bytesScanned'])],
    ['Written', bytesText(s['bytesWritten'])],
    ['Reused', `${bytesText(s['bytesReused'])} (linked from the previous image)`],
    ['Blobs', s['blobs'] === null || s['blobs'] === undefined ? '-' : String(s['blobs'])],
  ]);
}

/** Several images, one row each, as checkpointctl show prints several checkpoints. */
export function imagesTable(infos: readonly Inspection[], opts: { stats: boolean }): string {
  const head = ['IMAGE', 'POD', 'NAMESPACE', 'CONTAINERS', 'CREATED', 'ENGINE', 'FORMAT', 'SIZE'];
  const stats = ['PAUSE', 'TOTAL', 'SCANNED', 'WRITTEN'];
  const rows = infos.map((i) => {
    const row = [i.image, i.podId, i.metadata?.namespace ?? '-', i.containers.map((c) => c.name).join(','), i.created, engineText(i) ?? '-', `v${i.format.version}`, formatBytes(i.size.onDisk)];
    if (!opts.stats) return row;
    const s = i.stats;
    return [...row, s === null ? '-' : s['pauseMs'] === null ? 'to end' : msText(s['pauseMs']), msText(s?.['totalMs']), bytesText(s?.['bytesScanned']), bytesText(s?.['bytesWritten'])];
  });
  return table([opts.stats ? [...head, ...stats] : head, ...rows], '');
}
