// Path strings of specs, handled as pure text (no node:path below src/host): a POSIX path is cleaned the
// way path.posix.normalize and Go's filepath.Clean do, and a relative one is resolved against the
// directory its spec names (a Pod manifest's folder, an OCI bundle).
import { NAME_MAX, PATH_MAX } from '../../abi/open.js';
import { utf8Length } from '../../base/path.js';

/** The path starts at the root. */
export function isAbsolute(p: string): boolean {
  return p.startsWith('/');
}

/**
 * The shortest equivalent of p by pure lexical processing: slashes collapsed, "." dropped, ".." taking
 * out the component before it ("/.." stays "/"), no trailing slash. An empty path gives ".".
 */
export function cleanPath(p: string): string {
  const abs = isAbsolute(p);
  const out: string[] = [];
  for (const c of p.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!abs) out.push('..');
      continue;
    }
    out.push(c);
  }
  const body = out.join('/');
  if (abs) return '/' + body;
  return body === '' ? '.' : body;
}

/** p if it is absolute, else p under dir; cleaned either way. */
export function resolvePath(dir: string, p: string): string {
  return cleanPath(isAbsolute(p) ? p : `${dir}/${p}`);
}

/** The last component of p ("" for "/"). */
export function baseName(p: string): string {
  const c = cleanPath(p);
  return c === '/' ? '' : c.slice(c.lastIndexOf('/') + 1);
}

/** The guest path g (absolute inside a root) as a path under the host directory root. */
export function underRoot(root: string, g: string): string {
  return resolvePath(root, '.' + cleanPath('/' + g));
}

/**
 * What Linux would refuse in a guest path (ENAMETOOLONG): longer than PATH_MAX-1 bytes, or a component
 * longer than NAME_MAX bytes; undefined when it fits.
 */
export function pathTooLong(p: string): string | undefined {
  if (utf8Length(p) >= PATH_MAX) return `expected a path shorter than ${PATH_MAX} bytes, got ${utf8Length(p)}`;
  const long = p.split('/').find((c) => utf8Length(c) > NAME_MAX);
  if (long !== undefined) return `expected path components of at most ${NAME_MAX} bytes, got one of ${utf8Length(long)}`;
  return undefined;
}
