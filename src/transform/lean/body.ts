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
  const callees: number[] = [];
  const seenCallee = new Set<number>();
  const indirectTypes: number[] = [];
  const seenType = new Set<number>();
  const outsideCallees: number[] = [];
  const outsideSeen = new Set<number>();
  const outsideTypes: number[] = [];
  const outsideTypeSeen = new Set<number>();
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
        if (!seenCallee.has(f)) {
          seenCallee.add(f);
          callees.push(f);
        }
        if (loopDepth === 0 && !outsideSeen.has(f)) {
          outsideSeen.add(f);
          outsideCallees.push(f);
        }
        break;
      }
      case OP_CALL_INDIRECT: {
        const t = r.u32();
        r.u32();
        if (t >= ctx.types.length) throw new MalformedModule(`call_indirect type ${t} out of range`, r.pos);
        if (!seenType.has(t)) {
          seenType.add(t);
          indirectTypes.push(t);
        }
        if (loopDepth === 0 && !outsideTypeSeen.has(t)) {
          outsideTypeSeen.add(t);
          outsideTypes.push(t);
        }
        break;
      }
      default:
        skipImmediates(r, op, ctx);
    }
  }
  if (!r.done) throw new MalformedModule('bytes after the body\'s end', r.pos);
  return { callees, indirectTypes, loops, calleesOutsideLoops: outsideCallees, indirectTypesOutsideLoops: outsideTypes };
}
