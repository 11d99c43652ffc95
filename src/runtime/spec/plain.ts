// A parsed spec document made safe to validate, before any schema reads it: null mapping entries
// dropped (Kubernetes and Go's encoding/json read null as "not set"), and what no Pod manifest or OCI
// config holds refused as a SpecError naming the field: nesting deeper than MAX_DEPTH (or a YAML alias
// that contains itself), a `__proto__` key (it would become the prototype of the copy and lend the
// schema fields nobody wrote), and a NUL in a key or a string (a C string ends there: args, env and paths
// would be cut short without a word).
import { fieldPath, SpecError } from './error.js';

/** Levels of mappings and lists at most; Kubernetes objects nest a dozen. */
export const MAX_DEPTH = 64;

function refuse(file: string, path: readonly PropertyKey[], reason: string): never {
  throw new SpecError(file, fieldPath(path), reason);
}

/**
 * The document with every null mapping entry removed, as plain data (arrays and objects that own their
 * keys); a SpecError for the first thing a spec cannot hold, in document order.
 */
export function plainData(v: unknown, file: string): unknown {
  const path: PropertyKey[] = [];
  const open = new Set<object>();
  const walk = (x: unknown): unknown => {
    if (typeof x === 'string') {
      if (x.includes('\0')) refuse(file, path, 'contains a NUL character');
      return x;
    }
    if (x === null || typeof x !== 'object') return x;
    if (open.has(x)) refuse(file, path, 'refers to itself (a YAML alias inside its own anchor)');
    if (path.length >= MAX_DEPTH) refuse(file, path, `nested deeper than ${MAX_DEPTH} levels`);
    open.add(x);
    let out: unknown;
    if (Array.isArray(x)) {
      out = x.map((item: unknown, i) => {
        path.push(i);
        const r = walk(item);
        path.pop();
        return r;
      });
    } else {
      const obj: Record<string, unknown> = {};
      for (const [k, item] of Object.entries(x)) {
        path.push(k);
        if (k === '__proto__') refuse(file, path, 'a key named __proto__ is not allowed');
        if (k.includes('\0')) refuse(file, path.slice(0, -1), `a key contains a NUL character (${JSON.stringify(k)})`);
        if (item !== null) obj[k] = walk(item);
        path.pop();
      }
      out = obj;
    }
    open.delete(x);
    return out;
  };
  return walk(v);
}
