// Sizes as specs write them: a Kubernetes resource quantity (`sizeLimit: 64Mi`, apimachinery's
// resource.Quantity) and a tmpfs `size=` option (`65536k`, mm/shmem.c's memparse), both read as bytes.

/** The largest size a spec may give (a tmpfs, an emptyDir): 2^53-1 bytes, just under 8 PiB, the largest
 *  byte count a checkpoint's integers hold exactly. */
export const MAX_SIZE_BYTES = Number.MAX_SAFE_INTEGER;

const QUANTITY_SUFFIX: Record<string, number> = {
  '': 1,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

/** A quantity ("64Mi", "1G", "1.5Gi", "100", 100) in bytes, rounded up; undefined if not one. */
export function parseQuantity(q: string | number): number | undefined {
  if (typeof q === 'number') return Number.isFinite(q) && q >= 0 ? Math.ceil(q) : undefined;
  const m = /^\+?([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE]([+-]?[0-9]+)|(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E|m)?)$/.exec(q.trim());
  if (m === null) return undefined;
  const n = Number(m[1]);
  if (m[2] !== undefined) return Math.ceil(n * 10 ** Number(m[2]));
  const suffix = m[3] ?? '';
  if (suffix === 'm') return Math.ceil(n / 1000);
  const mult = QUANTITY_SUFFIX[suffix];
  return mult === undefined ? undefined : Math.ceil(n * mult);
}

const MEMPARSE_SUFFIX: Record<string, number> = { k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50, e: 2 ** 60 };

/**
 * A tmpfs size ("65536k", "64m", "1g", "4096") in bytes; undefined for a percentage of RAM ("50%"),
 * which has no meaning here, or for anything else.
 */
export function parseTmpfsSize(s: string): number | undefined {
  const m = /^([0-9]+)([kKmMgGtTpPeE]?)$/.exec(s);
  if (m === null) return undefined;
  const mult = m[2] === '' || m[2] === undefined ? 1 : MEMPARSE_SUFFIX[m[2].toLowerCase()];
  return mult === undefined ? undefined : Number(m[1]) * mult;
}
