// Asyncify's runtime functions as the lean transform adds them (Binaryen's Asyncify pass, "addFunctions"):
// start_unwind and start_rewind set the data pointer and the state, stop_* set the state back to normal,
// and each traps when the data's {current, end} header says current > end, as Asyncify's do; get_state
// returns the state. Raw function bodies (locals and expression), for module.ts to append. The fuel is
// not touched: a rewind passes no fuel check on its way to its call (the body rewrite puts each dispatch
// before the check it would pass; the lean tests' driver rewinds with the fuel at 0 to hold it so).
import { ByteWriter } from './bytes.js';
import { I32, type FuncType } from './types.js';

/** Asyncify's states, in its $state global. */
export const STATE = { normal: 0, unwinding: 1, rewinding: 2 } as const;

export const ASYNCIFY_FUNCTIONS = ['asyncify_start_unwind', 'asyncify_stop_unwind', 'asyncify_start_rewind', 'asyncify_stop_rewind', 'asyncify_get_state'] as const;

export const VOID: FuncType = { params: [], results: [] };
export const TAKES_I32: FuncType = { params: [I32], results: [] };
export const RETURNS_I32: FuncType = { params: [], results: [I32] };

const OP = { end: 0x0b, if: 0x04, void: 0x40, unreachable: 0x00, localGet: 0x20, globalGet: 0x23, globalSet: 0x24, i32Load: 0x28, i32Const: 0x41, i32GtU: 0x4b } as const;

/** The runtime's functions, in ASYNCIFY_FUNCTIONS's order: each one's signature and body. */
export function asyncifyRuntime(globals: { state: number; data: number }): Array<{ name: string; type: FuncType; body: Uint8Array }> {
  const set = (state: number, withData: boolean): Uint8Array => {
    const w = new ByteWriter(48).u8(0); // no locals
    w.u8(OP.i32Const).s32(state).u8(OP.globalSet).u32(globals.state);
    if (withData) w.u8(OP.localGet).u32(0).u8(OP.globalSet).u32(globals.data);
    // if (data.current > data.end) unreachable   (unsigned, as Asyncify compares)
    w.u8(OP.globalGet).u32(globals.data).u8(OP.i32Load).u32(2).u32(0);
    w.u8(OP.globalGet).u32(globals.data).u8(OP.i32Load).u32(2).u32(4);
    w.u8(OP.i32GtU).u8(OP.if).u8(OP.void).u8(OP.unreachable).u8(OP.end);
    return w.u8(OP.end).finish();
  };
  return [
    { name: 'asyncify_start_unwind', type: TAKES_I32, body: set(STATE.unwinding, true) },
    { name: 'asyncify_stop_unwind', type: VOID, body: set(STATE.normal, false) },
    { name: 'asyncify_start_rewind', type: TAKES_I32, body: set(STATE.rewinding, true) },
    { name: 'asyncify_stop_rewind', type: VOID, body: set(STATE.normal, false) },
    { name: 'asyncify_get_state', type: RETURNS_I32, body: new ByteWriter(8).u8(0).u8(OP.globalGet).u32(globals.state).u8(OP.end).finish() },
  ];
}
