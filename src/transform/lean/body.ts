// One function body of a WebAssembly module's code section (the spec's "Code section": a locals vector,
// then an expression ending in `end`), decoded by the lean transform: scanBody lists what the call graph
// needs (direct callees, call_indirect types, loops), rewriteBody (rewrite.ts) instruments it.
import { ByteReader, MalformedModule } from './bytes.js';
import { readBlockType, skipImmediates } from './decode.js';
import { OP_BLOCK, OP_CALL, OP_CALL_INDIRECT, OP_ELSE, OP_END, OP_IF, OP_LOOP } from './opcodes.js';
import type { BodyScan, ModuleContext } from './types.js';

export { rewriteBody } from './rewrite.js';

/**
 * What a body calls and how many loops it has. `body` is one code-section entry without its size
 * prefix. Dead code counts too (a call graph may only over-approximate). LeanUnsupported for an
 * instruction the lean transform does not know; MalformedModule for bytes that are not a body.
 */
export function scanBody(ctx: ModuleContext, body: Uint8Array): BodyScan {
  const r = new ByteReader(body);
  const groups = r.u32();
  for (let g = 0; g < groups; g++) {
    r.u32();
    r.valType();
  }
  // Sets keep insertion order: each index once, in first-call order.
  const callees = new Set<number>();
  const indirectTypes = new Set<number>();
  const outsideCallees = new Set<number>();
  const outsideTypes = new Set<number>();
  let loops = 0;
  let depth = 1;
  /** Open constructs, innermost last: 1 for a loop. */
  const kinds: number[] = [0];
  let loopDepth = 0;
  while (depth > 0) {
    const op = r.u8();
    switch (op) {
      case OP_BLOCK:
      case OP_IF:
        depth++;
        kinds.push(0);
        readBlockType(r, ctx);
        break;
      case OP_LOOP:
        depth++;
        kinds.push(1);
        loopDepth++;
        loops++;
        readBlockType(r, ctx);
        break;
      case OP_END:
        depth--;
        loopDepth -= kinds.pop()!;
        break;
      case OP_ELSE:
        break;
      case OP_CALL: {
        const f = r.u32();
        if (f >= ctx.funcTypes.length) throw new MalformedModule(`call of function ${f} out of range`, r.pos);
        callees.add(f);
        if (loopDepth === 0) outsideCallees.add(f);
        break;
      }
      case OP_CALL_INDIRECT: {
        const t = r.u32();
        r.u32();
        if (t >= ctx.types.length) throw new MalformedModule(`call_indirect type ${t} out of range`, r.pos);
        indirectTypes.add(t);
        if (loopDepth === 0) outsideTypes.add(t);
        break;
      }
      default:
        skipImmediates(r, op, ctx);
    }
  }
  if (!r.done) throw new MalformedModule('bytes after the body\'s end', r.pos);
  return {
    callees: [...callees],
    indirectTypes: [...indirectTypes],
    loops,
    calleesOutsideLoops: [...outsideCallees],
    indirectTypesOutsideLoops: [...outsideTypes],
  };
}
