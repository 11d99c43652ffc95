// StateError: everything the checkpoint codec refuses, saving or loading: a value a declaration did not
// expect, an object whose type is not savable, a damaged or foreign image, a newer type version. Each
// message names where (a field path, or an object id and type) and what was expected and found.
import { AmberError } from '../base/error.js';

export class StateError extends AmberError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StateError';
  }
}

/** A short description of a value found where something else was expected, for messages. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  switch (typeof v) {
    case 'number':
      return `number ${v}`;
    case 'bigint':
      return `bigint ${v}n`;
    case 'string':
      return `string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
    case 'boolean':
      return `boolean ${v}`;
    case 'function':
      return `function ${v.name === '' ? '(anonymous)' : v.name}`;
    case 'object':
      return typeName(v);
    default:
      return typeof v;
  }
}

/** The class name of an object, for messages ("Mount", "a plain object", "Array"). */
export function typeName(obj: object): string {
  const proto: unknown = Object.getPrototypeOf(obj);
  if (proto === null || proto === Object.prototype) return 'a plain object';
  const ctor: unknown = (proto as { constructor?: unknown }).constructor;
  return typeof ctor === 'function' && ctor.name !== '' ? ctor.name : 'an object of an anonymous class';
}

/** A map key as a path segment shows it: `[3]`, `["etc"]`. */
export function keyLabel(key: unknown): string {
  if (typeof key === 'number' || typeof key === 'bigint') return String(key);
  if (typeof key === 'string') return JSON.stringify(key);
  return describe(key);
}

/**
 * A field path kept unformatted while walking (formatted only for a message): pairs of a mark and a
 * value, FIELD and a field name (".fs"), INDEX and a list index ("[3]"), KEY and a map key ("["etc"]").
 */
export const FIELD = 0;
export const INDEX = 1;
export const KEY = 2;

/** The field path of a walk: pushed and popped per field, copied or formatted only when needed. */
export class PathStack {
  readonly #segs: unknown[] = [];
  #top = 0;

  push(mark: number, v: unknown): void {
    this.#segs[this.#top++] = mark;
    this.#segs[this.#top++] = v;
  }

  pop(): void {
    this.#top -= 2;
  }

  snapshot(): unknown[] {
    return this.#segs.slice(0, this.#top);
  }

  format(): string {
    return formatPath(this.snapshot());
  }
}

export function formatPath(segs: readonly unknown[]): string {
  let out = '';
  for (let i = 0; i + 1 < segs.length; i += 2) {
    const v = segs[i + 1];
    out += segs[i] === FIELD ? `.${String(v)}` : segs[i] === INDEX ? `[${String(v)}]` : `[${keyLabel(v)}]`;
  }
  return out;
}
