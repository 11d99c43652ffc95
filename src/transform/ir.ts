// Reading Binaryen IR from TypeScript: the per-kind expression getters and setters binaryen.js has but
// its .d.ts leaves out (far cheaper than getExpressionInfo on large modules), and a child walker for
// the expression kinds of the features Amber runs (MVP, mutable globals, sign-ext, bulk memory,
// non-trapping float-to-int, SIMD).
import binaryen from 'binaryen';

export type Ref = number;
type Getter = (e: Ref) => Ref;
interface KindStatics {
  Block: { getNumChildren(e: Ref): number; getChildAt(e: Ref, i: number): Ref };
  If: { getCondition: Getter; getIfTrue: Getter; getIfFalse: Getter };
  Loop: { getName(e: Ref): string | null; setName(e: Ref, name: string): void; getBody: Getter; setBody(e: Ref, body: Ref): void };
  Break: { getName(e: Ref): string; getCondition: Getter; getValue: Getter };
  Switch: { getNumNames(e: Ref): number; getNameAt(e: Ref, i: number): string; getDefaultName(e: Ref): string | null; getCondition: Getter; getValue: Getter };
  Call: { getTarget(e: Ref): string; getNumOperands(e: Ref): number; getOperandAt(e: Ref, i: number): Ref };
  CallIndirect: {
    getTarget: Getter;
    getNumOperands(e: Ref): number;
    getOperandAt(e: Ref, i: number): Ref;
    getParams(e: Ref): binaryen.Type;
    getResults(e: Ref): binaryen.Type;
  };
  LocalGet: { getIndex(e: Ref): number };
  LocalSet: { getIndex(e: Ref): number; isTee(e: Ref): boolean; getValue: Getter };
  GlobalSet: { getValue: Getter };
  Load: { getPtr: Getter };
  Store: { getPtr: Getter; getValue: Getter };
  Const: { getValueI32(e: Ref): number };
  Unary: { getOp(e: Ref): number; getValue: Getter };
  Binary: { getOp(e: Ref): number; getLeft: Getter; getRight: Getter };
  Select: { getIfTrue: Getter; getIfFalse: Getter; getCondition: Getter };
  Drop: { getValue: Getter };
  Return: { getValue: Getter };
  MemoryGrow: { getDelta: Getter };
  MemoryInit: { getDest: Getter; getOffset: Getter; getSize: Getter };
  MemoryCopy: { getDest: Getter; getSource: Getter; getSize: Getter };
  MemoryFill: { getDest: Getter; getValue: Getter; getSize: Getter };
  SIMDExtract: { getVec: Getter };
  SIMDReplace: { getVec: Getter; getValue: Getter };
  SIMDShuffle: { getLeft: Getter; getRight: Getter };
  SIMDTernary: { getA: Getter; getB: Getter; getC: Getter };
  SIMDShift: { getVec: Getter; getShift: Getter };
  SIMDLoad: { getPtr: Getter };
  SIMDLoadStoreLane: { getPtr: Getter; getVec: Getter };
  Function: { setBody(f: binaryen.FunctionRef, body: Ref): void };
}
export const B = binaryen as unknown as typeof binaryen & KindStatics;

/** Pushes e's children (0 refs left out) onto out; throws on a kind outside the supported features. */
export function pushChildren(e: Ref, out: Ref[], fn: string): void {
  const push = (...rs: Ref[]): void => {
    for (const r of rs) if (r !== 0) out.push(r);
  };
  switch (binaryen.getExpressionId(e)) {
    case binaryen.BlockId: {
      const n = B.Block.getNumChildren(e);
      for (let i = 0; i < n; i++) push(B.Block.getChildAt(e, i));
      return;
    }
    case binaryen.IfId: return push(B.If.getCondition(e), B.If.getIfTrue(e), B.If.getIfFalse(e));
    case binaryen.LoopId: return push(B.Loop.getBody(e));
    case binaryen.BreakId: return push(B.Break.getCondition(e), B.Break.getValue(e));
    case binaryen.SwitchId: return push(B.Switch.getCondition(e), B.Switch.getValue(e));
    case binaryen.CallId: {
      const n = B.Call.getNumOperands(e);
      for (let i = 0; i < n; i++) push(B.Call.getOperandAt(e, i));
      return;
    }
    case binaryen.CallIndirectId: {
      const n = B.CallIndirect.getNumOperands(e);
      for (let i = 0; i < n; i++) push(B.CallIndirect.getOperandAt(e, i));
      return push(B.CallIndirect.getTarget(e));
    }
    case binaryen.LocalSetId: return push(B.LocalSet.getValue(e));
    case binaryen.GlobalSetId: return push(B.GlobalSet.getValue(e));
    case binaryen.LoadId: return push(B.Load.getPtr(e));
    case binaryen.StoreId: return push(B.Store.getPtr(e), B.Store.getValue(e));
    case binaryen.UnaryId: return push(B.Unary.getValue(e));
    case binaryen.BinaryId: return push(B.Binary.getLeft(e), B.Binary.getRight(e));
    case binaryen.SelectId: return push(B.Select.getIfTrue(e), B.Select.getIfFalse(e), B.Select.getCondition(e));
    case binaryen.DropId: return push(B.Drop.getValue(e));
    case binaryen.ReturnId: return push(B.Return.getValue(e));
    case binaryen.MemoryGrowId: return push(B.MemoryGrow.getDelta(e));
    case binaryen.MemoryInitId: return push(B.MemoryInit.getDest(e), B.MemoryInit.getOffset(e), B.MemoryInit.getSize(e));
    case binaryen.MemoryCopyId: return push(B.MemoryCopy.getDest(e), B.MemoryCopy.getSource(e), B.MemoryCopy.getSize(e));
    case binaryen.MemoryFillId: return push(B.MemoryFill.getDest(e), B.MemoryFill.getValue(e), B.MemoryFill.getSize(e));
    case binaryen.SIMDExtractId: return push(B.SIMDExtract.getVec(e));
    case binaryen.SIMDReplaceId: return push(B.SIMDReplace.getVec(e), B.SIMDReplace.getValue(e));
    case binaryen.SIMDShuffleId: return push(B.SIMDShuffle.getLeft(e), B.SIMDShuffle.getRight(e));
    case binaryen.SIMDTernaryId: return push(B.SIMDTernary.getA(e), B.SIMDTernary.getB(e), B.SIMDTernary.getC(e));
    case binaryen.SIMDShiftId: return push(B.SIMDShift.getVec(e), B.SIMDShift.getShift(e));
    case binaryen.SIMDLoadId: return push(B.SIMDLoad.getPtr(e));
    case binaryen.SIMDLoadStoreLaneId: return push(B.SIMDLoadStoreLane.getPtr(e), B.SIMDLoadStoreLane.getVec(e));
    case binaryen.NopId:
    case binaryen.LocalGetId:
    case binaryen.GlobalGetId:
    case binaryen.ConstId:
    case binaryen.UnreachableId:
    case binaryen.MemorySizeId:
    case binaryen.DataDropId:
      return;
    default:
      throw new Error(`function ${fn}: expression kind ${binaryen.getExpressionId(e)} is outside the supported features`);
  }
}

