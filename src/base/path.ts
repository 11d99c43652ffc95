// Path strings as Linux's path walk (fs/namei.c) sees them: components split on '/', empty ones
// dropped, a trailing slash remembered because it demands a directory.

export interface SplitPath {
  absolute: boolean;
  components: string[];
  /** The path ends in '/' (or is '/'), so its last component must be a directory. */
  trailingSlash: boolean;
}

export function splitPath(path: string): SplitPath {
  let slash = path.indexOf('/');
  // A single name (the common case: a path relative to its directory fd) has nothing to split.
  if (slash < 0) return { absolute: false, components: path === '' ? [] : [path], trailingSlash: false };
  // By hand, not split('/') and a filter: V8 caches split's answers only for internalized strings, and a
  // path from guest memory never is one (a split of "tmp/bench.db-journal" ~400 ns, this loop ~180).
  const components: string[] = [];
  let start = 0;
  while (slash >= 0) {
    if (slash > start) components.push(path.slice(start, slash));
    start = slash + 1;
    slash = path.indexOf('/', start);
  }
  if (start < path.length) components.push(path.slice(start));
  return { absolute: path.charCodeAt(0) === 0x2f, components, trailingSlash: path.charCodeAt(path.length - 1) === 0x2f };
}

/** Joins a directory path and a name without doubling slashes. */
export function joinPath(dir: string, name: string): string {
  return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
}

/** How many bytes s takes in UTF-8 (Linux limits names in bytes). */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}
