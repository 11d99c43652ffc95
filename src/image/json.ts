// Reading the JSON documents of an image (oci-layout, index.json, the manifest, the config) with
// one-line errors that say where, what was expected and what was found, as OCI tools report a bad
// descriptor. No schema library: four small checks read more plainly than a schema for this.
import { ImageError } from './error.js';

/** A JSON value being checked: where it came from ("/img/index.json") and its path inside. */
export class JsonAt {
  readonly where: string;
  readonly path: string;
  readonly value: unknown;

  constructor(where: string, path: string, value: unknown) {
    this.where = where;
    this.path = path;
    this.value = value;
  }

  /** Parses bytes as JSON; "not valid JSON (truncated?)" otherwise. */
  static parse(where: string, bytes: Uint8Array): JsonAt {
    let value: unknown;
    try {
      value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    } catch {
      throw new ImageError(`${where}: not valid JSON (truncated?)`);
    }
    return new JsonAt(where, '', value);
  }

  /** The error to throw when this value is not what was expected. */
  error(expected: string): ImageError {
    const found = describe(this.value);
    const at = this.path === '' ? '' : `${this.path}: `;
    return new ImageError(`${this.where}: ${at}expected ${expected}, found ${found}`);
  }

  /** The member `key` of this object (undefined inside if it is absent). */
  get(key: string): JsonAt {
    const v = this.object();
    return new JsonAt(this.where, this.path === '' ? key : `${this.path}.${key}`, v[key]);
  }

  has(key: string): boolean {
    return Object.hasOwn(this.object(), key) && this.object()[key] !== undefined;
  }

  object(): Record<string, unknown> {
    const v = this.value;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw this.error('an object');
    return v as Record<string, unknown>;
  }

  array(): JsonAt[] {
    const v = this.value;
    if (!Array.isArray(v)) throw this.error('an array');
    return v.map((x: unknown, i) => new JsonAt(this.where, `${this.path}[${i}]`, x));
  }

  string(): string {
    if (typeof this.value !== 'string') throw this.error('a string');
    return this.value;
  }

  /** A non-negative safe integer. */
  count(): number {
    const v = this.value;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw this.error('a non-negative integer');
    return v;
  }

  /** An object of strings (OCI annotations); {} when absent. */
  strings(): Record<string, string> {
    if (this.value === undefined) return {};
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.object())) {
      out[k] = new JsonAt(this.where, `${this.path}.${k}`, v).string();
    }
    return out;
  }

  /** The value must be exactly `want`. */
  equal(want: string | number): void {
    if (this.value !== want) throw this.error(JSON.stringify(want));
  }
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  const s = JSON.stringify(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}
