// The spec a restore runs in instead of the image's (`amber restore --spec FILE`, like a new bundle given
// to runc restore), loaded here in the client: a bad manifest is the user's one-line error before any
// sandbox starts, and a sandbox is handed it parsed, so spec parsing (zod, YAML) is no part of its start-up.
import type { SpecOverride } from '../sandbox/restoreplan.js';

/** The manifest at file, loaded and checked (SpecError, one line); undefined for none. */
export async function loadSpecOverride(file: string | undefined): Promise<SpecOverride | undefined> {
  if (file === undefined) return undefined;
  const { loadPodManifest } = await import('../host/specfile.js');
  return { file, spec: loadPodManifest(file) };
}
