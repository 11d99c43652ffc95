// Amber's client, the TypeScript API (`import { Pod } from 'amber'`): the operations of the `amber`
// command for programs, with results returned and errors thrown as AmberErrors, never printed.
export { AmberError } from '../base/error.js';
export { runPodAttached, runPodForeground, restorePodAttached, type ContainerEnd, type ForegroundPod, type PodStdio } from './attached.js';
export { runProgram, type ProgramEnd, type SingleProgram } from './do.js';
export { PodNotFoundError, PodStateError, SandboxError } from './errors.js';
export { diffCheckpoints, inspectCheckpoint, inspectCheckpoints, type ImageDiff, type Inspection, type InspectOptions } from './inspect.js';
export type { LogLine } from './logs.js';
export { Pod, type CheckpointOptions, type RestoreOptions, type RootOptions, type StartOptions } from './pod.js';
export type { OnProgress, ProgressEvent } from './progress.js';
export { signalNumber } from './signals.js';
export { loadBundle, loadPodManifest } from '../host/specfile.js';
export type { PodRecord, PodStatus } from '../host/stateroot.js';
export type { PodSpec } from '../runtime/spec/podspec.js';
export type { CheckpointResult, ExecResult } from '../sandbox/protocol.js';
