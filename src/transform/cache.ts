// What names a transformed module and where it is kept, without Binaryen: the transform's version (its
// Binaryen release and options), the cache key, and the cache lookup. A hit needs nothing else, so a
// process that finds its modules in the cache (a sandbox, a restore) never loads binaryen.js (~1 s);
// transform.ts, which does the work on a miss, is imported only then (host/modulecache.ts).

/** The Binaryen release the transform is built with; a test checks it against the installed package. */
export const BINARYEN_VERSION = '132';

export interface TransformOptions {
  /** Add the fuel checks (loop heads, recursive function entries). Default true. */
  preempt?: boolean;
  /** Check provably short loops too (bounded.ts); only benchmarks want this. Default false. */
  checkShortLoops?: boolean;
  /** Run Asyncify. Default true; false gives the "checks alone" module benchmarks compare. */
  asyncify?: boolean;
  /** Binaryen's optimize level for Asyncify's own clean-up of what it instruments. Default 1. */
  optimizeLevel?: number;
  /** Run Binaryen's whole optimization pipeline (at optimizeLevel) after Asyncify. Default false. */
  optimizeAfter?: boolean;
  /**
   * What runs Asyncify: binaryen.js in this process (default), or a native `wasm-opt` the host found,
   * named by its version ("wasm-opt-108"): the two emit different bytes, so the key names it. LEAN_ENGINE
   * is Amber's own transform on raw bytes (transform/lean/), which places its own fuel checks.
   */
  engine?: string;
  /** With the lean engine: the engine of Binaryen's transform for a module the lean one does not handle. */
  fallback?: string;
  /**
   * Track the guest's writes (transform/track.ts, after either engine): its memory moves up by a map of
   * the pages it writes, wasi/transformed.ts's TRACK_BASE_EXPORT. Default false.
   */
  trackWrites?: boolean;
}

/** What transformVersion adds for TransformOptions.trackWrites (either engine): bump when track.ts changes its output. */
const TRACK_VERSION = 'track-writes.1';

/** The lean transform (transform/lean/lean.ts) as TransformOptions.engine. */
export const LEAN_ENGINE = 'lean';

/** Bump whenever transform/lean/ changes what it emits. */
const LEAN_VERSION = 'amber-lean.12';

export interface ResolvedTransformOptions {
  preempt: boolean;
  checkShortLoops: boolean;
  asyncify: boolean;
  optimizeLevel: number;
  optimizeAfter: boolean;
  engine: string;
  trackWrites: boolean;
}

export function resolveTransformOptions(opts: TransformOptions): ResolvedTransformOptions {
  return {
    preempt: opts.preempt ?? true,
    checkShortLoops: opts.checkShortLoops ?? false,
    asyncify: opts.asyncify ?? true,
    optimizeLevel: opts.optimizeLevel ?? 1,
    optimizeAfter: opts.optimizeAfter ?? false,
    engine: opts.engine ?? `binaryen-${BINARYEN_VERSION}`,
    trackWrites: opts.trackWrites ?? false,
  };
}

/**
 * Names the transform's version: Binaryen's release and every option that changes the output bytes.
 * Bump the leading number whenever transform.ts or preempt.ts changes what they emit.
 */
export function transformVersion(opts: TransformOptions = {}): string {
  const r = resolveTransformOptions(opts);
  if (r.engine === LEAN_ENGINE) {
    // A module the lean transform refuses is Binaryen's: the key names that version too, as a digest (a
    // cache file's name must stay under 255 bytes with a 64-digit hash before it).
    const { fallback, engine: _, ...rest } = opts;
    const binaryenVersion = transformVersion(fallback === undefined ? rest : { ...rest, engine: fallback });
    const lean = [LEAN_VERSION, r.preempt ? 'fuel-loops-recursion' : 'no-fuel', `else-${fnv1a(binaryenVersion)}`];
    if (r.trackWrites) lean.push(TRACK_VERSION);
    return lean.join('.');
  }
  // binaryen.js always places the preemption checks; another engine may run Asyncify after them.
  const parts = [`amber-asyncify.6`, `binaryen-${BINARYEN_VERSION}`];
  if (r.engine !== `binaryen-${BINARYEN_VERSION}`) parts.push(`asyncify-by-${r.engine}`);
  parts.push(`O${r.optimizeLevel}${r.optimizeAfter ? '-pipeline' : ''}`);
  if (r.preempt) parts.push(r.checkShortLoops ? 'preempt-all-loops-recursion' : 'preempt-unbounded-loops-recursion');
  if (r.asyncify) parts.push('asyncify-wasi-amber-indirect-by-signature');
  if (r.trackWrites) parts.push(TRACK_VERSION);
  return parts.join('.');
}

/** The 32-bit FNV-1a hash of s's UTF-16 code units, as 8 hex digits: a short stable name for a long string. */
function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

/** The cache key of a module's transformed bytes: the input's hash (as the host computes it) and the version. */
export function transformKey(inputHash: string, opts: TransformOptions = {}): string {
  if (!/^[A-Za-z0-9._:-]+$/.test(inputHash)) throw new Error(`transformKey: expected a hash of [A-Za-z0-9._:-], found ${JSON.stringify(inputHash)}`);
  return `${inputHash}.${transformVersion(opts)}`;
}

/** Where transformed modules are kept between runs; the host implements it (a directory, a Map in tests). */
export interface TransformCache {
  get(key: string): Uint8Array | undefined;
  set(key: string, bytes: Uint8Array): void;
}

/** What a cached transform needs from the host: a content hash and a cache. */
export interface TransformHost {
  /** A stable content hash of bytes (e.g. hex SHA-256); only [A-Za-z0-9._:-]. */
  hash(bytes: Uint8Array): string;
  cache: TransformCache;
}

/** bytes over an ArrayBuffer of its own type (what WebAssembly.Module takes), copied only when shared. */
export function ownBuffer(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
}

/** The key of bytes' transformed module, and the module when the cache holds it (undefined: transform it). */
export function lookupTransform(bytes: Uint8Array, host: TransformHost, opts: TransformOptions = {}): { key: string; bytes: Uint8Array<ArrayBuffer> | undefined } {
  const key = transformKey(host.hash(bytes), opts);
  const hit = host.cache.get(key);
  return { key, bytes: hit === undefined ? undefined : ownBuffer(hit) };
}
