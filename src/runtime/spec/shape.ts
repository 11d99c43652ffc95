// Checking JSON read back from an image against the shape this Amber writes, field by field, like a
// protobuf decoder's checks on CRIU's image entries: each check returns a fresh value holding only the
// known fields, or throws ShapeProblem naming the field's path and what is wrong. Small on purpose: a
// restore that keeps its image's spec must not load the spec reader (zod, yaml) just to check it.
import { fieldPath, quote } from './error.js';

type Path = ReadonlyArray<string | number>;

/** What is wrong and where: `containers[0].argv[1]: expected a string, got a number`. */
export class ShapeProblem extends Error {
  readonly field: string;
  readonly reason: string;
  constructor(at: Path, reason: string) {
    super(at.length === 0 ? reason : `${fieldPath(at)}: ${reason}`);
    this.name = 'ShapeProblem';
    this.field = fieldPath(at);
    this.reason = reason;
  }
}

/** A check of one value at a path: the value as its type, or ShapeProblem. */
export type Shape<T> = (v: unknown, at: Path) => T;

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `a string ${quote(v)}`;
  return `${typeof v === 'number' ? 'the number' : typeof v} ${String(v)}`;
}

export const fail = (at: Path, reason: string): never => {
  throw new ShapeProblem(at, reason);
};

export const str: Shape<string> = (v, at) => {
  if (typeof v !== 'string') return fail(at, `expected a string, got ${describe(v)}`);
  if (v.includes('\0')) return fail(at, 'contains a NUL character');
  return v;
};

export const bool: Shape<boolean> = (v, at) => (typeof v === 'boolean' ? v : fail(at, `expected true or false, got ${describe(v)}`));

/** An integer from min to max inclusive. */
export function int(min: number, max: number): Shape<number> {
  return (v, at) => {
    if (typeof v !== 'number' || !Number.isInteger(v)) return fail(at, `expected an integer, got ${describe(v)}`);
    if (v < min || v > max) return fail(at, `${v} is outside ${min}..${max}`);
    return v;
  };
}

/** One of the given strings. */
export function oneOf<const T extends string>(values: readonly T[]): Shape<T> {
  return (v, at) => (values.includes(v as T) ? (v as T) : fail(at, `expected ${values.map((x) => JSON.stringify(x)).join(' or ')}, got ${describe(v)}`));
}

/** A string that also passes test (reason says what it must be). */
export function strWhere(test: (s: string) => boolean, reason: string): Shape<string> {
  return (v, at) => {
    const s = str(v, at);
    return test(s) ? s : fail(at, `${reason}, got ${quote(s)}`);
  };
}

export function list<T>(item: Shape<T>, min = 0): Shape<T[]> {
  return (v, at) => {
    if (!Array.isArray(v)) return fail(at, `expected a list, got ${describe(v)}`);
    if (v.length < min) return fail(at, `expected at least ${min} entries`);
    return v.map((x, i) => item(x, [...at, i]));
  };
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** A mapping of strings to values of one shape (keys are own, plain, NUL-free). */
export function dict<T>(value: Shape<T>): Shape<Record<string, T>> {
  return (v, at) => {
    if (!isMapping(v)) return fail(at, `expected a mapping, got ${describe(v)}`);
    const out: Record<string, T> = Object.create(null) as Record<string, T>;
    for (const [k, x] of Object.entries(v)) out[str(k, [...at, k])] = value(x, [...at, k]);
    return { ...out };
  };
}

type Fields = Record<string, Shape<unknown>>;
type Out<F extends Fields> = { [K in keyof F]: F[K] extends Shape<infer T> ? T : never };

/**
 * A mapping with the required fields and the optional ones (absent, or of their shape); other keys are
 * dropped, as a protobuf decoder skips fields it does not know.
 */
export function obj<R extends Fields, O extends Fields = Record<never, never>>(required: R, optional?: O): Shape<Out<R> & Partial<Out<O>>> {
  return (v, at) => {
    if (!isMapping(v)) return fail(at, `expected a mapping, got ${describe(v)}`);
    for (const k of Object.keys(required)) if (!Object.hasOwn(v, k)) return fail([...at, k], 'required');
    // In the order the value has them: what is saved again is the same bytes.
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const shape = Object.hasOwn(required, k) ? required[k] : optional !== undefined && Object.hasOwn(optional, k) ? optional[k] : undefined;
      if (shape !== undefined) out[k] = shape(x, [...at, k]);
    }
    return out as Out<R> & Partial<Out<O>>;
  };
}

/** One of several mappings told apart by their `kind` field. */
export function byKind<T>(shapes: Record<string, Shape<T>>): Shape<T> {
  const kinds = Object.keys(shapes);
  return (v, at) => {
    if (!isMapping(v)) return fail(at, `expected a mapping, got ${describe(v)}`);
    const shape = Object.hasOwn(shapes, String(v['kind'])) ? shapes[String(v['kind'])] : undefined;
    if (shape === undefined) return fail([...at, 'kind'], `expected ${kinds.map((k) => JSON.stringify(k)).join(' or ')}, got ${describe(v['kind'])}`);
    return shape(v, at);
  };
}
