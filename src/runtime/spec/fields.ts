// The field types Pod manifests and OCI configs share, as zod schemas whose messages say what was
// expected and what was found (`expected a list of strings, got a string`); error.ts turns them into
// SpecErrors with the field's path.
import * as z from 'zod';
import { describe, expected, quote } from './error.js';
import { isAbsolute, pathTooLong } from './paths.js';

export const str = z.string(expected('a string'));

/** A string that is not empty. */
export const nonEmpty = z.string(expected('a string')).min(1, { error: 'must not be empty' });

export const bool = z.boolean(expected('boolean'));

export const stringList = z.array(str, expected('a list of strings'));

/** A uid, gid, size or count: an integer 0 .. 2^32-1. */
export const u32 = z
  .number(expected('an integer'))
  .refine((n) => Number.isInteger(n) && n >= 0 && n <= 0xffffffff, {
    error: (iss) => `expected an integer from 0 to 4294967295, got ${String(iss.input)}`,
  });

/** A guest path Linux would take: not too long, no component too long (pathTooLong). */
export function fitsPath<T extends z.ZodType<string>>(schema: T): T {
  return schema.superRefine((p, ctx) => {
    const why = pathTooLong(p);
    if (why !== undefined) ctx.addIssue({ code: 'custom', message: why });
  }) as unknown as T;
}

/** An absolute path ("/data"). */
export const absPath = fitsPath(
  z.string(expected('an absolute path')).refine(isAbsolute, { error: (iss) => `expected an absolute path, got ${quote(iss.input)}` }),
);

/** A list of what item accepts, named for messages ("a list of volume mounts"). */
export function listOf<T extends z.ZodType>(item: T, what: string): z.ZodArray<T> {
  return z.array(item, expected(what));
}

/** A mapping with the given fields (unknown fields are dropped), named for messages. */
export function mapping<S extends z.core.$ZodLooseShape>(shape: S, what = 'a mapping'): z.ZodObject<S, z.core.$strip> {
  return z.object(shape, expected(what));
}

/** A value for which ok holds, else "expected WHAT, got ...". */
export function custom<T>(ok: (v: unknown) => boolean, what: string): z.ZodType<T> {
  return z.custom<T>(ok, {
    error: (iss) => (iss.input === undefined ? 'required' : `expected ${what}, got ${typeof iss.input === 'string' ? quote(iss.input) : describe(iss.input)}`),
  });
}

/** A field Amber refuses when present, because ignoring it would change what runs: "not supported: WHY". */
export function refused(why: string) {
  return z.custom<never>(() => false, { error: `not supported: ${why}` }).optional();
}

/** An RFC 1123 DNS label, as Kubernetes names containers and volumes: [a-z0-9-], 1-63, alphanumeric ends. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** An RFC 1123 subdomain, as Kubernetes names objects: DNS labels joined by '.', at most 253. */
export const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export const dnsLabel = z
  .string(expected('a string'))
  .refine((s) => s.length <= 63 && DNS_LABEL.test(s), {
    error: (iss) => `expected a DNS label (lowercase letters, digits and '-', at most 63), got ${quote(iss.input)}`,
  });

export const dnsSubdomain = z
  .string(expected('a string'))
  .refine((s) => s.length <= 253 && DNS_SUBDOMAIN.test(s), {
    error: (iss) => `expected a DNS subdomain (lowercase letters, digits, '-' and '.', at most 253), got ${quote(iss.input)}`,
  });
