// SpecError: what is wrong with a Pod manifest or an OCI config.json, as one line naming the file and
// the field as a path (`pod.yaml: spec.containers[0].args: expected a list of strings, got a string`),
// like kubectl's field errors. Also the bridge from zod's issues to those lines.
import type { z } from 'zod';
import { AmberError } from '../../base/error.js';

/** One problem in a spec: the field as a path ("" for the whole document) and what is wrong with it. */
export interface SpecProblem {
  field: string;
  reason: string;
}

/** A spec that cannot be used. message is one line: `FILE: FIELD: REASON` (`FILE: REASON` for the whole). */
export class SpecError extends AmberError {
  readonly file: string;
  readonly field: string;
  readonly reason: string;
  /** Every problem found, this one first (zod reports them all at once). */
  readonly problems: readonly SpecProblem[];

  constructor(file: string, field: string, reason: string, more: readonly SpecProblem[] = [], options?: { cause?: unknown }) {
    const oneLine = reason.replace(/\s*[\r\n]+\s*/g, ' ');
    super(field === '' ? `${file}: ${oneLine}` : `${file}: ${field}: ${oneLine}`, options);
    this.name = 'SpecError';
    this.file = file;
    this.field = field;
    this.reason = oneLine;
    this.problems = [{ field, reason: oneLine }, ...more];
  }
}

/** A zod issue path as a field path: `spec.containers[0].args`, `annotations["a.b/c"]`. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const k of path) {
    if (typeof k === 'number') out += `[${k}]`;
    else if (typeof k === 'string' && /^[A-Za-z_$][\w$]*$/.test(k)) out += out === '' ? k : `.${k}`;
    else out += `[${JSON.stringify(String(k))}]`;
  }
  return out;
}

/** What a value is, for "got ..." (strings are not quoted back: they may be long). */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  switch (typeof v) {
    case 'string':
      return 'a string';
    case 'number':
      return `a number (${v})`;
    case 'boolean':
      return `a boolean (${v})`;
    case 'object':
      return 'a mapping';
    default:
      return typeof v;
  }
}

/** A short quoted echo of a value the user wrote, for messages about its content. */
export function quote(v: unknown): string {
  const s = typeof v === 'string' ? v : String(v);
  return JSON.stringify(s.length > 60 ? s.slice(0, 57) + '...' : s);
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'boolean',
  array: 'a list',
  object: 'a mapping',
  record: 'a mapping',
};

type RawIssue = z.core.$ZodRawIssue;

/** The reason of an issue zod raised without a schema-specific message. */
export function reasonOf(iss: RawIssue): string {
  switch (iss.code) {
    case 'invalid_type':
      if (iss.input === undefined) return 'required';
      return `expected ${TYPE_NAMES[iss.expected] ?? iss.expected}, got ${describe(iss.input)}`;
    case 'invalid_value':
      return `expected ${iss.values.map((v) => JSON.stringify(v)).join(' or ')}, got ${
        typeof iss.input === 'string' ? quote(iss.input) : describe(iss.input)
      }`;
    case 'too_small':
      if (iss.origin === 'array') return `expected at least ${String(iss.minimum)} ${iss.minimum === 1 ? 'entry' : 'entries'}`;
      if (iss.origin === 'string') return iss.minimum === 1 ? 'must not be empty' : `expected at least ${String(iss.minimum)} characters`;
      return `expected at least ${String(iss.minimum)}, got ${String(iss.input)}`;
    case 'too_big':
      if (iss.origin === 'string') return `expected at most ${String(iss.maximum)} characters`;
      return `expected at most ${String(iss.maximum)}, got ${String(iss.input)}`;
    default:
      return iss.message ?? 'invalid value';
  }
}

/** A schema's `error` option: "expected WHAT, got ..." for a wrong type, "required" when absent. */
export function expected(what: string): { error: (iss: RawIssue) => string | undefined } {
  return {
    error: (iss) => {
      if (iss.code !== 'invalid_type') return undefined;
      return iss.input === undefined ? 'required' : `expected ${what}, got ${describe(iss.input)}`;
    },
  };
}

/** Runs schema over input and returns its output, or throws the SpecError of the first issue. */
export function validate<S extends z.ZodType>(schema: S, input: unknown, file: string): z.output<S> {
  const r = schema.safeParse(input, { error: reasonOf });
  if (r.success) return r.data;
  const problems = r.error.issues.map((i) => ({ field: fieldPath(i.path), reason: i.message }));
  const [first, ...rest] = problems;
  if (first === undefined) throw new SpecError(file, '', 'invalid');
  throw new SpecError(file, first.field, first.reason, rest);
}
