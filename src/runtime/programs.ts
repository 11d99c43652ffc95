// The "programs" payload of a checkpoint image, like CRIU's core-<pid>.img beside the pages: each
// container's program at the cut (ready, suspended in a WASI call with its Asyncify state, or exited),
// the payload names of its memory and stack, and the kernel's monotonic clock. One owner: checkpoint.ts
// encodes it, restore.ts and the inspection decode it here, checked against this format (with zod's
// mini build: a restoring sandbox loads this, and zod's full build is ~15× the code to compile).
import * as z from 'zod/mini';
import { AmberError, messageOf } from '../base/error.js';
import type { Payload } from '../image/payload.js';
import type { CheckpointImage } from '../image/reader.js';
import type { PendingCall } from '../wasi/suspend.js';
import { fieldPath, reasonOf } from './spec/error.js';

/** The payload's name (and kind) in an image. */
export const PROGRAMS_PAYLOAD = 'programs';
/** The format this Amber writes and reads. */
export const PROGRAMS_VERSION = 1;

/** A number or bigint as JSON: bigints as {"n": "123"}. */
export type JsonValue = number | { n: string };

export function toJson(v: number | bigint): JsonValue {
  return typeof v === 'bigint' ? { n: v.toString() } : v;
}

export function fromJson(v: JsonValue): number | bigint {
  return typeof v === 'number' ? v : BigInt(v.n);
}

/** The WASI call a suspended program is stopped in (wasi/suspend.ts PendingCall), values as JSON. */
export interface SavedPending {
  module: string;
  name: string;
  args: JsonValue[];
  cause: PendingCall['cause'];
  result: JsonValue | null;
}

/** One container's program in the image. */
export interface ProgramRecord {
  container: string;
  /** sha256 of the transformed module: a snapshot fits only that exact module. */
  moduleHash: string;
  state: 'ready' | 'suspended' | 'exited';
  exit?: { kind: 'exit'; code: number } | { kind: 'trap'; message: string };
  globals?: Record<string, JsonValue>;
  pending?: SavedPending;
  /** The scheduler's Wait, bigints as decimal strings. */
  wait?: { untilNs: string | null; polling: boolean; bases: Array<[number, string]> } | null;
  /** Payload names of its linear memory and Asyncify stack. */
  memory?: string;
  stack?: string;
}

export interface ProgramsFile {
  version: number;
  /** The kernel's monotonic clock at the cut: restored time continues from here. */
  monotonicNs: string;
  programs: ProgramRecord[];
}

/** A programs payload this Amber cannot read (damaged, foreign, another version): one line naming the image. */
export class ProgramsError extends AmberError {
  constructor(message: string) {
    super(message);
    this.name = 'ProgramsError';
  }
}

const decimal = z.string().check(z.regex(/^-?\d+$/, { error: 'expected a decimal integer' }));
const jsonValue = z.union([z.number(), z.object({ n: decimal })], { error: 'expected a number or {"n": "<decimal>"}' });
const exit = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('exit'), code: z.int().check(z.minimum(0), z.maximum(2 ** 32 - 1)) }),
  z.object({ kind: z.literal('trap'), message: z.string() }),
], { error: 'expected {"kind": "exit", "code": N} or {"kind": "trap", "message": S}' });
const pending = z.object({
  module: z.string(),
  name: z.string(),
  args: z.array(jsonValue),
  cause: z.enum(['blocked', 'preempted', 'stopped']),
  result: z.nullable(jsonValue),
});
const fd = z.int().check(z.minimum(0), z.maximum(2 ** 31 - 1));
const wait = z.object({ untilNs: z.nullable(decimal), polling: z.boolean(), bases: z.array(z.tuple([fd, decimal])) });
const record = z.object({
  container: z.string().check(z.minLength(1)),
  moduleHash: z.string(),
  state: z.enum(['ready', 'suspended', 'exited']),
  exit: z.exactOptional(exit),
  globals: z.exactOptional(z.record(z.string(), jsonValue)),
  pending: z.exactOptional(pending),
  wait: z.exactOptional(z.nullable(wait)),
  memory: z.exactOptional(z.string()),
  stack: z.exactOptional(z.string()),
}).check(z.superRefine((r, ctx) => {
  if (r.state !== 'suspended') return;
  for (const k of ['globals', 'pending', 'memory', 'stack'] as const) if (r[k] === undefined) ctx.addIssue({ code: 'custom', path: [k], message: 'required of a suspended program' });
}));
const programsFile: z.ZodMiniType<ProgramsFile> = z
  .object({ version: z.number(), monotonicNs: decimal.check(z.refine((d) => !d.startsWith('-'), { error: 'expected a time not before boot' })), programs: z.array(record) })
  .check(z.superRefine((f, ctx) => {
    const seen = new Set<string>();
    f.programs.forEach((r, i) => {
      if (seen.has(r.container)) ctx.addIssue({ code: 'custom', path: ['programs', i, 'container'], message: `a second program of container ${JSON.stringify(r.container)}` });
      seen.add(r.container);
    });
  }));

/** The payload a checkpoint writes for file. */
export function programsPayload(file: ProgramsFile): Payload {
  return { name: PROGRAMS_PAYLOAD, kind: PROGRAMS_PAYLOAD, bytes: new TextEncoder().encode(JSON.stringify(file)) };
}

/**
 * The programs payload's bytes read and checked against this format; `image` names the image in the
 * ProgramsError: `IMG: payload "programs": programs[0].state: expected "ready" or ..., got "x"`.
 */
export function decodePrograms(bytes: Uint8Array, image: string): ProgramsFile {
  const where = `${image}: payload "${PROGRAMS_PAYLOAD}"`;
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new ProgramsError(`${where} is not JSON (${messageOf(e)})`);
  }
  const top = json as Partial<Record<keyof ProgramsFile, unknown>> | null;
  if (top === null || typeof top !== 'object' || typeof top.version !== 'number' || !Array.isArray(top.programs)) {
    throw new ProgramsError(`${where}: not programs format version ${PROGRAMS_VERSION}`);
  }
  if (top.version !== PROGRAMS_VERSION) {
    throw new ProgramsError(`${where}: programs format version ${top.version}; this Amber reads version ${PROGRAMS_VERSION}`);
  }
  const r = programsFile.safeParse(json, { error: reasonOf });
  if (r.success) return r.data;
  const [first] = r.error.issues;
  throw new ProgramsError(`${where}: ${first === undefined ? 'invalid' : `${fieldPath(first.path)}: ${first.message}`}`);
}

/**
 * The image's programs payload, decoded and checked, each program's memory and stack naming a payload
 * of that kind in the image, no payload named twice.
 */
export function readPrograms(image: CheckpointImage): ProgramsFile {
  const file = decodePrograms(image.payload(PROGRAMS_PAYLOAD), image.dir);
  const names = new Set(image.names());
  const used = new Set<string>();
  file.programs.forEach((r, i) => {
    for (const kind of ['memory', 'stack'] as const) {
      const name = r[kind];
      if (name === undefined) continue;
      const where = `${image.dir}: payload "${PROGRAMS_PAYLOAD}": programs[${i}].${kind}`;
      if (!names.has(name)) throw new ProgramsError(`${where}: the image holds no payload named ${JSON.stringify(name)}`);
      if (image.kind(name) !== kind) throw new ProgramsError(`${where}: payload ${JSON.stringify(name)} is ${image.kind(name)}, not ${kind}`);
      if (used.has(name)) throw new ProgramsError(`${where}: payload ${JSON.stringify(name)} is another program's too`);
      used.add(name);
    }
  });
  return file;
}
