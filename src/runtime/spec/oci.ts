// An OCI runtime bundle's config.json (runtime-spec config.md), parsed and validated with the fields
// Amber reads: process (args[0] is the .wasm path inside the root), root, hostname, mounts, annotations
// and linux's id mappings and namespaces. Other fields (resources, seccomp, hooks, ...) are tolerated.
import * as z from 'zod';
import { expected, quote, SpecError, validate } from './error.js';
import { absPath, bool, listOf, mapping, nonEmpty, refused, str, stringList, u32 } from './fields.js';
import { plainData } from './plain.js';
import { cleanPath, resolvePath } from './paths.js';
import { messageOf } from '../../base/error.js';

export const NAMESPACE_TYPES = ['pid', 'network', 'mount', 'ipc', 'uts', 'user', 'cgroup', 'time'] as const;
export type NamespaceType = (typeof NAMESPACE_TYPES)[number];

/** Container ids [containerID, containerID+size) are host ids [hostID, hostID+size) (user_namespaces(7)). */
export interface IdMapping {
  containerID: number;
  hostID: number;
  size: number;
}

export interface OciMount {
  /** Absolute, cleaned. */
  destination: string;
  type?: string;
  /** As written: a path (relative to the bundle) for a bind, a name ("shm", "tmpfs") otherwise. */
  source?: string;
  options: string[];
}

export interface OciConfig {
  /** The file name given for messages, and the bundle directory relative paths are resolved against. */
  file: string;
  bundleDir: string;
  ociVersion: string;
  process: {
    /** args[0] is the .wasm file's path inside the root. */
    args: string[];
    /** "KEY=VALUE" */
    env: string[];
    /** Absolute, cleaned. */
    cwd: string;
    user: { uid: number; gid: number; additionalGids: number[] };
    terminal: boolean;
    /** process.rlimits, as given (normalize.ts applies RLIMIT_NOFILE and warns of the rest). */
    rlimits: Array<{ type: string; soft: number; hard: number }>;
  };
  /** path resolved against the bundle directory. */
  root: { path: string; readonly: boolean };
  hostname?: string;
  mounts: OciMount[];
  annotations: Record<string, string>;
  linux: { uidMappings: IdMapping[]; gidMappings: IdMapping[]; namespaces: NamespaceType[]; memoryLimit?: number };
}

const envEntry = str.refine((s) => s.indexOf('=') > 0, { error: (iss) => `expected "KEY=VALUE", got ${quote(iss.input)}` });

/** An rlimit value: a whole number (RLIM_INFINITY, 2^64-1, arrives rounded to 2^64). */
const rlimitValue = z.number(expected('a whole number')).int().min(0);

const proc = mapping(
  {
    terminal: bool.optional(),
    user: mapping({ uid: u32, gid: u32, additionalGids: listOf(u32, 'a list of gids').optional() }).optional(),
    args: stringList.min(1, { error: 'expected at least one entry: args[0] is the .wasm file inside the root' }),
    env: listOf(envEntry, 'a list of strings').optional(),
    cwd: absPath,
    rlimits: listOf(mapping({ type: nonEmpty, hard: rlimitValue, soft: rlimitValue }), 'a list of rlimits').optional(),
  },
  'a mapping (the process to run)',
);

/** A bind mount: type "bind", or a "bind"/"rbind" option (runc treats both alike). */
export function isBind(m: { type?: string | undefined; options?: readonly string[] | undefined }): boolean {
  return m.type === 'bind' || (m.options ?? []).some((o) => o === 'bind' || o === 'rbind');
}

const mount = mapping(
  { destination: absPath, type: str.optional(), source: str.optional(), options: stringList.optional() },
  'a mapping (a mount with destination, type, source, options)',
).superRefine((m, ctx) => {
  if (isBind(m) && (m.source === undefined || m.source === '')) ctx.addIssue({ code: 'custom', path: ['source'], message: 'required for a bind mount' });
});

/** One past the largest id: a mapping's range must end at or before it (user_namespaces(7)). */
const ID_LIMIT = 2 ** 32;

const idMapping = mapping({ containerID: u32, hostID: u32, size: u32 }, 'a mapping with containerID, hostID and size').superRefine((m, ctx) => {
  if (m.size === 0) ctx.addIssue({ code: 'custom', path: ['size'], message: 'expected at least 1 id' });
  for (const key of ['containerID', 'hostID'] as const) {
    if (m[key] + m.size > ID_LIMIT) ctx.addIssue({ code: 'custom', path: ['size'], message: `${key} ${m[key]} + size ${m.size} goes past the last id (4294967295)` });
  }
});

const linux = mapping({
  // resources.memory.limit is enforced (runc's memory cgroup limit); the rest of resources is tolerated.
  resources: z.looseObject({ memory: z.looseObject({ limit: z.number(expected('a whole number of bytes')).int().optional() }, expected('a mapping')).optional() }, expected('a mapping')).optional(),
  uidMappings: listOf(idMapping, 'a list of id mappings').optional(),
  gidMappings: listOf(idMapping, 'a list of id mappings').optional(),
  namespaces: listOf(
    mapping({ type: z.enum(NAMESPACE_TYPES), path: refused('Amber cannot join an existing namespace') }, 'a mapping with a type'),
    'a list of namespaces',
  ).optional(),
}).superRefine((l, ctx) => {
  const seen = new Map<string, number>();
  l.namespaces?.forEach((ns, i) => {
    const first = seen.get(ns.type);
    if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['namespaces', i, 'type'], message: `duplicate namespace ${quote(ns.type)} (also namespaces[${first}])` });
    else seen.set(ns.type, i);
  });
  if (!seen.has('user')) {
    for (const key of ['uidMappings', 'gidMappings'] as const) {
      if ((l[key]?.length ?? 0) > 0) ctx.addIssue({ code: 'custom', path: [key], message: 'given without a "user" namespace in linux.namespaces' });
    }
  }
});

/** linux.resources.memory.limit as a limit: none for 0 or below (runc reads -1 as "unlimited"). */
function memoryLimitOf(limit: number | undefined): { memoryLimit?: number } {
  return limit !== undefined && limit > 0 ? { memoryLimit: limit } : {};
}

const config = mapping(
  {
    ociVersion: nonEmpty,
    process: proc,
    root: mapping({ path: nonEmpty, readonly: bool.optional() }, 'a mapping with path'),
    hostname: str.optional(),
    mounts: listOf(mount, 'a list of mounts').optional(),
    annotations: z.record(z.string(), str, { error: (iss) => (iss.code === 'invalid_type' && iss.input !== undefined ? 'expected a mapping of strings' : undefined) }).optional(),
    linux: linux.optional(),
  },
  'a mapping (an OCI runtime config)',
);

/** The JSON text as plain data, or a SpecError naming the line of the syntax error. */
export function parseJson(text: string, file: string): unknown {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  try {
    return JSON.parse(body) as unknown;
  } catch (e) {
    const msg = messageOf(e);
    const at = / in JSON at position (\d+)/.exec(msg);
    // V8 says either "<reason> in JSON at position N" or "Unexpected token 'x', "<excerpt>" is not valid JSON".
    const reason = msg.replace(/ in JSON at position \d+.*$/s, '').replace(/, ".*" is not valid JSON$/s, '');
    if (at?.[1] !== undefined) {
      const line = body.slice(0, Number(at[1])).split('\n').length;
      throw new SpecError(file, '', `invalid JSON at line ${line}: ${reason}`);
    }
    throw new SpecError(file, '', `invalid JSON: ${reason}`);
  }
}

/**
 * Parses and validates an OCI runtime config. file names it in messages; bundleDir is the (absolute)
 * bundle directory, against which root.path is resolved. Throws SpecError.
 */
export function parseOciConfig(text: string, opts: { file: string; bundleDir: string }): OciConfig {
  const c = validate(config, plainData(parseJson(text, opts.file), opts.file), opts.file);
  const p = c.process;
  const out: OciConfig = {
    file: opts.file,
    bundleDir: opts.bundleDir,
    ociVersion: c.ociVersion,
    process: {
      args: p.args,
      env: p.env ?? [],
      cwd: cleanPath(p.cwd),
      user: { uid: p.user?.uid ?? 0, gid: p.user?.gid ?? 0, additionalGids: p.user?.additionalGids ?? [] },
      terminal: p.terminal ?? false,
      rlimits: p.rlimits ?? [],
    },
    root: { path: resolvePath(opts.bundleDir, c.root.path), readonly: c.root.readonly ?? false },
    mounts: (c.mounts ?? []).map((m) => {
      const o: OciMount = { destination: cleanPath(m.destination), options: m.options ?? [] };
      if (m.type !== undefined) o.type = m.type;
      if (m.source !== undefined) o.source = m.source;
      return o;
    }),
    annotations: c.annotations ?? {},
    linux: {
      uidMappings: c.linux?.uidMappings ?? [],
      gidMappings: c.linux?.gidMappings ?? [],
      namespaces: (c.linux?.namespaces ?? []).map((n) => n.type),
      // runc reads a limit of 0 or below as none (-1 is "unlimited").
      ...memoryLimitOf(c.linux?.resources?.memory?.limit),
    },
  };
  if (c.hostname !== undefined) out.hostname = c.hostname;
  return out;
}
