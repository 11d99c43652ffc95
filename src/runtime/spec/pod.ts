// A Kubernetes `v1 Pod` manifest (DESIGN.md §1), parsed and validated as the API server would with the
// fields Amber reads: metadata.name, spec.containers (image is a .wasm path relative to the manifest),
// spec.volumes (emptyDir, hostPath), spec.hostUsers. Fields Amber does not read are tolerated and
// dropped; fields that would change what runs (command, valueFrom, initContainers) are refused.
import { LineCounter, parseDocument } from 'yaml';
import * as z from 'zod';
import { expected, quote, SpecError, validate } from './error.js';
import { absPath, bool, custom, dnsLabel, fitsPath, dnsSubdomain, listOf, mapping, nonEmpty, refused, str, stringList } from './fields.js';
import { MAX_DEPTH, plainData } from './plain.js';
import { cleanPath, isAbsolute, resolvePath } from './paths.js';
import { MAX_SIZE_BYTES, parseQuantity } from './units.js';
import { HOST_PATH_TYPES, type HostPathType } from './podspec.js';
import { messageOf } from '../../base/error.js';

/** hostPath.type: what must be at the path (Kubernetes' HostPathType); "" checks nothing. */
/** The types Amber can mount: a host directory is passed through, never a file, socket or device. */
const DIRECTORY_TYPES: ReadonlySet<string> = new Set(['', 'Directory', 'DirectoryOrCreate']);

export interface PodManifest {
  /** The file name given for messages, and the absolute directory relative paths are resolved against. */
  file: string;
  dir: string;
  /** metadata.name */
  name: string;
  /** metadata.namespace, labels and annotations: kept for checkpoint images and inspection, never read. */
  namespace?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** spec.hostUsers (default true); false runs the pod in a user namespace. */
  hostUsers: boolean;
  containers: ContainerManifest[];
  volumes: VolumeManifest[];
  /** spec.resources.limits.memory in bytes (pod-level resources): the pod's total. */
  memoryBytes?: number;
}

export interface ContainerManifest {
  name: string;
  /** image as written. */
  image: string;
  /** image resolved against the manifest's directory: the .wasm file on the host. */
  module: string;
  args: string[];
  env: Array<{ name: string; value: string }>;
  workingDir?: string;
  volumeMounts: VolumeMountManifest[];
  /** resources.limits.memory in bytes. */
  memoryBytes?: number;
}

export interface VolumeMountManifest {
  name: string;
  /** Absolute, cleaned. */
  mountPath: string;
  readOnly: boolean;
  subPath?: string;
}

/** Exactly one of emptyDir and hostPath is set. */
export interface VolumeManifest {
  name: string;
  emptyDir?: { medium?: 'Memory'; sizeLimit?: string | number; sizeBytes?: number };
  /** path resolved against the manifest's directory. */
  hostPath?: { path: string; type: HostPathType };
}

/** A relative path that stays inside the volume (Kubernetes: no "..", not absolute). */
const subPath = fitsPath(
  z.string().refine((s) => !isAbsolute(s) && !s.split('/').includes('..'), {
    error: (iss) => `expected a relative path inside the volume (no "..", not absolute), got ${quote(iss.input)}`,
  }),
);

const envVar = mapping(
  {
    name: nonEmpty.refine((s) => !s.includes('='), { error: (iss) => `expected a variable name without "=", got ${quote(iss.input)}` }),
    value: str.optional(),
    valueFrom: refused('Amber has no ConfigMaps, Secrets or field references; give a value'),
  },
  'a mapping with name and value',
);

const volumeMount = mapping(
  {
    name: nonEmpty,
    mountPath: absPath,
    readOnly: bool.optional(),
    subPath: subPath.optional(),
    subPathExpr: refused('use subPath'),
  },
  'a mapping with name and mountPath',
);

/** A memory quantity (`64Mi`), at most 2^53-1 bytes. */
const memoryQuantity = custom<string | number>((v) => (typeof v === 'string' || typeof v === 'number') && parseQuantity(v) !== undefined, 'a quantity such as 256Mi').superRefine((v, ctx) => {
  if ((parseQuantity(v) ?? 0) > MAX_SIZE_BYTES) ctx.addIssue({ code: 'custom', message: `expected at most 8Pi (2^53-1 bytes), got ${quote(v)}` });
});

/** resources: limits.memory is enforced; requests and other resources (cpu) are accepted and not. */
const resources = z.looseObject({ limits: z.looseObject({ memory: memoryQuantity.optional() }, expected('a mapping of resource limits')).optional() }, expected('a mapping (resources)')).optional();

const container = mapping(
  {
    resources,
    name: dnsLabel,
    image: nonEmpty,
    command: refused('the program is the .wasm file in image; give its arguments in args'),
    args: stringList.optional(),
    env: listOf(envVar, 'a list of {name, value}').optional(),
    workingDir: absPath.optional(),
    volumeMounts: listOf(volumeMount, 'a list of volume mounts').optional(),
  },
  'a mapping (a container)',
);

const VOLUME_KEYS = new Set(['name', 'emptyDir', 'hostPath']);

const volume = z
  .looseObject(
    {
      name: dnsLabel,
      emptyDir: mapping({
        medium: z.enum(['Memory', '']).optional(),
        sizeLimit: custom<string | number>((v) => (typeof v === 'string' || typeof v === 'number') && parseQuantity(v) !== undefined, 'a quantity such as 64Mi')
          .superRefine((v, ctx) => {
            if ((parseQuantity(v) ?? 0) > MAX_SIZE_BYTES) ctx.addIssue({ code: 'custom', message: `expected at most 8Pi (2^53-1 bytes), got ${quote(v)}` });
          })
          .optional(),
      }).optional(),
      hostPath: mapping({ path: nonEmpty, type: z.enum(HOST_PATH_TYPES).optional() }).optional(),
    },
    { error: (iss) => (iss.code === 'invalid_type' ? 'expected a mapping (a volume with name and emptyDir or hostPath)' : undefined) },
  )
  .superRefine((v, ctx) => {
    const other = Object.keys(v).find((k) => !VOLUME_KEYS.has(k));
    if (other !== undefined) {
      ctx.addIssue({ code: 'custom', path: [other], message: `volume type ${other} is not supported (Amber has emptyDir and hostPath)` });
    } else if (v.emptyDir === undefined && v.hostPath === undefined) {
      ctx.addIssue({ code: 'custom', path: [], message: 'expected emptyDir or hostPath' });
    } else if (v.emptyDir !== undefined && v.hostPath !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['hostPath'], message: 'a volume has one type, and this one has emptyDir too' });
    } else if (v.hostPath?.type !== undefined && !DIRECTORY_TYPES.has(v.hostPath.type)) {
      ctx.addIssue({ code: 'custom', path: ['hostPath', 'type'], message: `not supported: ${v.hostPath.type} (Amber mounts host directories only: "", Directory or DirectoryOrCreate)` });
    }
  });

const spec = mapping(
  {
    hostUsers: bool.optional(),
    containers: listOf(container, 'a list of containers').min(1, { error: 'expected at least one container' }),
    initContainers: refused('Amber runs no init containers'),
    resources,
    volumes: listOf(volume, 'a list of volumes').optional(),
  },
  'a mapping (a Pod spec)',
).superRefine((s, ctx) => {
  const volumes = new Map<string, number>();
  s.volumes?.forEach((v, i) => {
    const first = volumes.get(v.name);
    if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['volumes', i, 'name'], message: `duplicate volume name ${quote(v.name)} (also spec.volumes[${first}])` });
    else volumes.set(v.name, i);
  });
  const containers = new Map<string, number>();
  s.containers.forEach((c, i) => {
    const first = containers.get(c.name);
    if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['containers', i, 'name'], message: `duplicate container name ${quote(c.name)} (also spec.containers[${first}])` });
    else containers.set(c.name, i);
    c.volumeMounts?.forEach((m, j) => {
      if (!volumes.has(m.name)) ctx.addIssue({ code: 'custom', path: ['containers', i, 'volumeMounts', j, 'name'], message: `no volume named ${quote(m.name)} in spec.volumes` });
    });
  });
});

/** metadata.labels and metadata.annotations: a mapping of strings. */
const stringMap = z.record(z.string(), str, { error: (iss) => (iss.code === 'invalid_type' && iss.input !== undefined ? 'expected a mapping of strings' : undefined) });

const pod = mapping(
  {
    apiVersion: z.literal('v1').optional(),
    kind: z.literal('Pod').optional(),
    metadata: mapping({ name: dnsSubdomain, namespace: dnsLabel.optional(), labels: stringMap.optional(), annotations: stringMap.optional() }),
    spec,
  },
  'a mapping (a Kubernetes Pod)',
);

/** The parser's message, or what it means when the parser ran out of stack on deep nesting. */
function tooDeep(message: string): string {
  return /call stack/i.test(message) ? `nested too deeply (a spec nests at most ${MAX_DEPTH} levels)` : message;
}

/** The YAML text as plain data, or a SpecError naming the line of the first syntax error. */
export function parseYaml(text: string, file: string): unknown {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const err = doc.errors[0];
  if (err !== undefined) {
    // An error at the end of the input (an unclosed bracket) is reported on the last line written.
    const end = Math.max(0, text.trimEnd().length - 1);
    const { line } = lineCounter.linePos(Math.min(err.pos[0], end));
    const reason = err.code === 'MULTIPLE_DOCS' ? 'a second document begins here; a manifest holds one Pod' : tooDeep(err.message);
    throw new SpecError(file, '', `invalid YAML at line ${line}: ${reason}`);
  }
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw new SpecError(file, '', `invalid YAML: ${tooDeep(messageOf(e))}`);
  }
}

/**
 * Parses and validates a Pod manifest. file names it in messages; dir is the (absolute) directory it
 * was read from, against which image and hostPath.path are resolved. Throws SpecError.
 */
export function parsePodManifest(text: string, opts: { file: string; dir: string }): PodManifest {
  const data = parseYaml(text, opts.file);
  if (data === null || data === undefined) throw new SpecError(opts.file, '', 'empty document, expected a Kubernetes Pod');
  const m = validate(pod, plainData(data, opts.file), opts.file);
  const s = m.spec;
  return {
    file: opts.file,
    dir: opts.dir,
    name: m.metadata.name,
    ...(m.metadata.namespace !== undefined ? { namespace: m.metadata.namespace } : {}),
    labels: m.metadata.labels ?? {},
    annotations: m.metadata.annotations ?? {},
    hostUsers: s.hostUsers ?? true,
    containers: s.containers.map((c) => {
      const out: ContainerManifest = {
        name: c.name,
        image: c.image,
        module: resolvePath(opts.dir, c.image),
        args: c.args ?? [],
        env: (c.env ?? []).map((e) => ({ name: e.name, value: e.value ?? '' })),
        volumeMounts: (c.volumeMounts ?? []).map((vm) => {
          const o: VolumeMountManifest = { name: vm.name, mountPath: cleanPath(vm.mountPath), readOnly: vm.readOnly ?? false };
          if (vm.subPath !== undefined && cleanPath(vm.subPath) !== '.') o.subPath = cleanPath(vm.subPath);
          return o;
        }),
      };
      if (c.workingDir !== undefined) out.workingDir = cleanPath(c.workingDir);
      const memory = c.resources?.limits?.memory;
      if (memory !== undefined) out.memoryBytes = parseQuantity(memory) ?? 0;
      return out;
    }),
    volumes: (s.volumes ?? []).map((v) => {
      const out: VolumeManifest = { name: v.name };
      if (v.emptyDir !== undefined) {
        const e: NonNullable<VolumeManifest['emptyDir']> = {};
        if (v.emptyDir.medium === 'Memory') e.medium = 'Memory';
        if (v.emptyDir.sizeLimit !== undefined) {
          e.sizeLimit = v.emptyDir.sizeLimit;
          const bytes = parseQuantity(v.emptyDir.sizeLimit);
          if (bytes !== undefined) e.sizeBytes = bytes;
        }
        out.emptyDir = e;
      }
      if (v.hostPath !== undefined) out.hostPath = { path: resolvePath(opts.dir, v.hostPath.path), type: v.hostPath.type ?? '' };
      return out;
    }),
    ...(s.resources?.limits?.memory !== undefined ? { memoryBytes: parseQuantity(s.resources.limits.memory) ?? 0 } : {}),
  };
}
