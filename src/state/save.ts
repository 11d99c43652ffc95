// Saving: walks the object graph from a root, breadth first, like gVisor's state.Save. Each object gets
// an id on first visit (so shared objects are saved once and cycles end), its declaration's save()
// gives its record, and the record is checked against the declared fields as it is encoded. An error
// names the shortest field path from the root: `Kernel.processes[3].fds[1].file.ops: X is not savable`.
import { SparseBytes } from '../base/sparse.js';
import { describe, FIELD, formatPath, INDEX, KEY, PathStack, StateError, typeName } from './errors.js';
import { canonicalKey, type KindNode } from './kinds.js';
import type { Registry, Savable } from './savable.js';
import { FORMAT, FORMAT_VERSION, WireBlob, WireExternal, WireRef, type Graph, type GraphObject, type Wire } from './wire.js';
import { messageOf } from '../base/error.js';

/** Where an object was first reached: from which object, through which fields (see formatPath). */
interface Via {
  readonly from: number;
  readonly segs: readonly unknown[];
}

class Saver {
  readonly #registry: Registry;
  readonly #ids = new Map<object, number>();
  readonly #pending: Array<{ obj: object; decl: Savable<object> }> = [];
  readonly #via: Array<Via | null> = [];
  readonly #rootName: string;
  readonly objects: GraphObject[] = [];
  readonly blobs: Uint8Array[] = [];
  readonly types: Record<string, number> = {};
  /** The object being encoded, and the field path inside its record. */
  #current = 0;
  readonly #path = new PathStack();

  constructor(registry: Registry, root: object) {
    this.#registry = registry;
    this.#rootName = typeName(root);
  }

  /** The path from the root to the current field, for messages. */
  #where(): string {
    const hops: string[] = [this.#path.format()];
    for (let v = this.#via[this.#current]; v !== null && v !== undefined; v = this.#via[v.from]) hops.push(formatPath(v.segs));
    return this.#rootName + hops.reverse().join('');
  }

  #fail(problem: string): never {
    throw new StateError(`${this.#where()}: ${problem}`);
  }

  visit(obj: object, isRoot = false): number {
    const known = this.#ids.get(obj);
    if (known !== undefined) return known;
    const decl = this.#registry.lookup(obj);
    if (decl === undefined) this.#fail(this.#registry.whyNotSavable(obj));
    const id = this.#pending.length;
    this.#ids.set(obj, id);
    this.#pending.push({ obj, decl });
    this.#via.push(isRoot ? null : { from: this.#current, segs: this.#path.snapshot() });
    if (!Object.hasOwn(this.types, decl.name)) this.types[decl.name] = decl.version;
    return id;
  }

  run(): void {
    for (let id = 0; id < this.#pending.length; id++) {
      const { obj, decl } = this.#pending[id] as { obj: object; decl: Savable<object> };
      this.#current = id;
      let record: unknown;
      try {
        record = decl.save(obj);
      } catch (e) {
        if (e instanceof StateError) throw e;
        throw new StateError(`${this.#where()}: ${decl.name} save() failed: ${messageOf(e)}`, { cause: e });
      }
      this.objects.push({ type: decl.name, value: this.#value(decl.record, record) });
    }
  }

  #value(k: KindNode, v: unknown): Wire {
    switch (k.tag) {
      case 'int':
        if (typeof v !== 'number' || !Number.isSafeInteger(v)) this.#fail(`expected an integer, found ${describe(v)}`);
        return v === 0 ? 0 : v; // -0 is saved as 0
      case 'bigint':
        if (typeof v !== 'bigint') this.#fail(`expected a bigint, found ${describe(v)}`);
        return v;
      case 'str':
        if (typeof v !== 'string') this.#fail(`expected a string, found ${describe(v)}`);
        if (/\p{Cs}/u.test(v)) this.#fail('a string with a lone surrogate cannot be saved as UTF-8');
        return v;
      case 'bool':
        if (typeof v !== 'boolean') this.#fail(`expected a boolean, found ${describe(v)}`);
        return v;
      case 'oneOf':
        if (typeof v !== 'string' || !k.values.includes(v)) this.#fail(`expected one of ${k.values.join(', ')}, found ${describe(v)}`);
        return v;
      case 'bytes':
        if (!(v instanceof Uint8Array)) this.#fail(`expected a Uint8Array, found ${describe(v)}`);
        return new WireBlob(this.blobs.push(v) - 1);
      case 'sparse': {
        if (!(v instanceof SparseBytes)) this.#fail(`expected a SparseBytes, found ${describe(v)}`);
        const out: Wire[] = [v.size];
        for (const [index, page] of v.pages()) out.push(index, new WireBlob(this.blobs.push(page) - 1));
        return out;
      }
      case 'list': {
        if (!Array.isArray(v)) this.#fail(`expected an array, found ${describe(v)}`);
        const out: Wire[] = [];
        for (const [i, x] of (v as unknown[]).entries()) {
          this.#path.push(INDEX, i);
          out.push(this.#value(k.of, x));
          this.#path.pop();
        }
        return out;
      }
      case 'map': {
        if (!(v instanceof Map)) this.#fail(`expected a Map, found ${describe(v)}`);
        const out: Wire[] = [];
        for (const [key, x] of v as Map<unknown, unknown>) {
          this.#path.push(KEY, key);
          out.push(this.#value(k.key, key), this.#value(k.value, x));
          this.#path.pop();
        }
        return out;
      }
      case 'struct': {
        if (typeof v !== 'object' || v === null) this.#fail(`expected a record, found ${describe(v)}`);
        const out: Wire[] = [];
        for (const [name, f] of k.fields) {
          this.#path.push(FIELD, name);
          out.push(this.#value(f, (v as Record<string, unknown>)[name]));
          this.#path.pop();
        }
        return out;
      }
      case 'opt':
        return v === null || v === undefined ? null : this.#value(k.of, v);
      case 'ref':
        if ((typeof v !== 'object' && typeof v !== 'function') || v === null) this.#fail(`expected a ${k.what}, found ${describe(v)}`);
        return new WireRef(this.visit(v));
      case 'external':
        return new WireExternal(this.#externalKey(v));
    }
  }

  #externalKey(v: unknown): string {
    const c = canonicalKey(v);
    if ('problem' in c) this.#fail(c.problem);
    return c.key;
  }
}


/**
 * Saves the graph reachable from root. Object ids are visit order (breadth first, fields in declared
 * order, maps in insertion order), so the same state always gives the same graph. Blobs are views of
 * the live buffers: serialize the graph before the objects change again.
 */
export function encodeGraph(registry: Registry, root: object): Graph {
  const s = new Saver(registry, root);
  s.visit(root, true);
  s.run();
  return { header: { format: FORMAT, version: FORMAT_VERSION, types: s.types }, objects: s.objects, blobs: s.blobs };
}
