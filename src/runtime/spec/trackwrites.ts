// A pod's opt-in to write tracking, like CRIU's --track-mem: the annotation org.amber.track-writes: "true"
// (metadata.annotations; an OCI bundle's annotations) has its modules transformed to record the pages
// they write (transform/track.ts, wasi/transformed.ts), so an incremental checkpoint reads that record
// instead of comparing all memory. It costs the guest run time, so it is off unless asked for.
import type { PodSpec } from './podspec.js';

export const TRACK_WRITES_ANNOTATION = 'org.amber.track-writes';

/** Whether spec asks for its modules to track their writes. */
export function tracksWrites(spec: PodSpec): boolean {
  return spec.metadata?.annotations[TRACK_WRITES_ANNOTATION] === 'true';
}

/** spec with the annotation set (`amber pod run --track-writes`): the saved spec keeps it, so a restore does. */
export function withTrackWrites(spec: PodSpec): PodSpec {
  const metadata = spec.metadata ?? { labels: {}, annotations: {} };
  return { ...spec, metadata: { ...metadata, annotations: { ...metadata.annotations, [TRACK_WRITES_ANNOTATION]: 'true' } } };
}
