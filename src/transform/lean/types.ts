// The contract between the lean unwinding transform's two halves (DESIGN.md §3): the body rewrite
// (a function's code: decode, type the operand stack, add fuel checks and unwind/rewind, encode) and the
// module rewrite (sections, call graph, the asyncify_* runtime, index spaces). Like Binaryen's Asyncify
// it lets an import unwind the guest's stack and a later call rewind it, with the same runtime protocol
// (wasi/suspend.ts's Fiber), but on raw bytes and with one check per call instead of Asyncify's guards.

/** A value type by its binary code. */
export type ValType = 0x7f | 0x7e | 0x7d | 0x7c | 0x7b | 0x70 | 0x6f;
export const I32 = 0x7f;
export const I64 = 0x7e;
export const F32 = 0x7d;
export const F64 = 0x7c;
export const V128 = 0x7b;
export const FUNCREF = 0x70;
export const EXTERNREF = 0x6f;

export interface FuncType {
  readonly params: readonly ValType[];
  readonly results: readonly ValType[];
}

/** What a body's rewrite needs to know of the module around it, in the input's index spaces. */
export interface ModuleContext {
  readonly types: readonly FuncType[];
  /** The type index of every function, imported ones first (the function index space). */
  readonly funcTypes: readonly number[];
  /** The value type of every global, imported ones first (the global index space). */
  readonly globalTypes: readonly ValType[];
  /** The element type of every table, imported ones first. */
  readonly tableTypes: readonly ValType[];
}

/** A body's calls and loops, for the call graph. */
export interface BodyScan {
  /** Input indices of the functions it calls directly (each once, in first-call order). */
  readonly callees: readonly number[];
  /** Type indices of its call_indirects (each once). */
  readonly indirectTypes: readonly number[];
  /** How many loops it has. */
  readonly loops: number;
  /**
   * The callees and call_indirect types of its calls outside every loop (each once, in first-call
   * order): with a fuel check at every loop head, a call inside a loop passes that check first, so
   * only these edges need a cut of the call graph's cycles (preempt.ts's entryChecked does the same).
   * scanBody always gives them; absent, every call counts.
   */
  readonly calleesOutsideLoops?: readonly number[];
  readonly indirectTypesOutsideLoops?: readonly number[];
}

/** How one body is rewritten: decided by the module rewrite from the whole call graph. */
export interface RewritePlan {
  /** The output index of an input function index (an added import shifts the defined functions by one). */
  readonly func: (index: number) => number;
  /** Whether a direct call of this input function index can unwind (a suspending import, or a function that can). */
  readonly callUnwinds: (index: number) => boolean;
  /** Whether a call_indirect of this type index can unwind. */
  readonly indirectUnwinds: (typeIndex: number) => boolean;
  /** Put a fuel check at every loop head (it calls `preempt`, so the function can unwind). */
  readonly fuelAtLoops: boolean;
  /** Put a fuel check at the function's entry (it is a cut of a recursion: transform/cycles.ts). */
  readonly fuelAtEntry: boolean;
  /** Output indices of the i32 globals the rewrite reads and writes: Asyncify's state (0 normal, 1 unwinding,
   *  2 rewinding), the pointer to its data ({i32 current, i32 end}, then the stack), and the fuel. */
  readonly state: number;
  readonly data: number;
  readonly fuel: number;
  /** The output index of the `amber.preempt` import, `() -> ()`. */
  readonly preempt: number;
  /**
   * How many functions the module imports (input indices below it are imports). A rewind calls an
   * import again with the arguments it was first called with (Fiber compares them), so those are
   * saved; a function of the module's own restores its parameters from its own frame, so the arguments
   * a call passes it need not be. Absent: every callee is taken for an import.
   */
  readonly importedFunctions?: number;
  /**
   * The tag an unwind throws (wasm exception handling): the unwind epilogue throws it once the frame is
   * saved, and each unwinding call of the module's own functions (direct or call_indirect) sits in a
   * `try` that catches it, so the normal path has no state check after those calls (an import's call
   * keeps it: the import returns, having started the unwind). Absent: every unwinding call is followed by
   * a state check and the epilogue returns zeros. Whoever calls in from outside must catch it (lean.ts's
   * export wrappers).
   */
  readonly unwindTag?: number;
  /** Which functions have a rewind clone, and whether this one is entered from outside; absent: none has one. */
  readonly clones?: ClonePlan;
  /**
   * The output indices of the module's frame helpers (frames.ts) for a frame of these value types, in
   * frame order: save(resume, values...) pushes it, load() -> (resume, values...) pops it. Absent: each
   * body pushes and pops its frame inline.
   */
  readonly frameHelpers?: (types: readonly ValType[]) => { save: number; load: number };
}

/**
 * Rewind clones: a function that can unwind may get a second body, its rewind clone, which is the full
 * shape (rewind prologue, dispatch, then the function's code), while its own body keeps only what the
 * normal path needs (fuel checks, the state check after each unwinding call, the unwind epilogue). A
 * rewind enters a function with a clone through the clone: a rewinding caller calls it instead, an
 * export's wrapper (lean.ts) calls it when rewinding, and a function a call_indirect or the start can
 * enter checks the state once at entry and calls its clone when rewinding.
 */
export interface ClonePlan {
  /** The output index of input function i's rewind clone, or -1 when it has none (its body has the full shape). */
  readonly cloneOf: (index: number) => number;
  /** The output index of this function's own clone (-1: none; then it is emitted in the full shape only). */
  readonly self: number;
  /** This function can be entered other than by a direct call or its export's wrapper (the start function, in a table, taken by ref.func). */
  readonly entered: boolean;
  /**
   * A rewinding caller calls a callee's clone itself (`if` rewinding, the clone, else the function).
   * False: it calls the function, which every function with a clone then checks at entry (entered).
   */
  readonly callersEnterClone: boolean;
}

/** A module the lean transform does not handle (a feature it does not know): Binaryen's transform runs instead. */
export class LeanUnsupported extends Error {
  constructor(what: string) {
    super(`the lean transform does not handle ${what}`);
    this.name = 'LeanUnsupported';
  }
}
