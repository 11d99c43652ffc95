// The checkpoint codec, like gVisor's pkg/state: savable types declare their fields beside their class
// (savable.ts, kinds.ts), encodeGraph/loadGraph walk and rebuild object graphs (save.ts, load.ts), and
// serialize/deserialize turn a graph into versioned bytes (wire.ts), and viewGraph reads a graph's records
// by field name without loading it (view.ts). See README.md.
export { describe, StateError } from './errors.js';
export {
  bigInt,
  bool,
  bytes,
  external,
  int,
  list,
  map,
  oneOf,
  opt,
  optRef,
  ref,
  sparseBytes,
  str,
  struct,
  type Class,
  type ExternalKey,
  type Fields,
  type FillValue,
  type Kind,
  type LoadValue,
  type Ref,
  type SaveValue,
} from './kinds.js';
export { decodeGraph, loadGraph, type DecodeOptions, type LoadOptions, type Resolver, type RootOption } from './load.js';
export { constant, Registry, savable, upgrade, type Loader, type Savable, type TypeSpec, type Upgrade } from './savable.js';
export { encodeGraph } from './save.js';
export {
  deserialize,
  FORMAT,
  FORMAT_VERSION,
  serialize,
  WireBlob,
  WireExternal,
  WireRef,
  type DeserializeOptions,
  type Graph,
  type GraphHeader,
  type GraphObject,
  type SerializeOptions,
  type Wire,
} from './wire.js';
export { asStruct, GraphView, Rec, Struct, viewGraph } from './view.js';
export { BlobInfo, ExternalValue, GraphReadError, ObjectRef, SparseInfo, type RecordValue, type Value } from './viewvalue.js';
