#!/usr/bin/env node
// postinstall: links this package's own bins (package.json "bin") into ./node_modules/.bin, e.g.
// node_modules/.bin/amber -> ../../bin/amber.js, so `./node_modules/.bin/amber` works after a plain
// `npm install` or `npm ci` in a clone. npm links the bins of dependencies there, never the root
// package's own. Does nothing when Amber is itself installed as a dependency (npm links it then).
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
if (root.split(sep).includes('node_modules')) process.exit(0);

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const bins = typeof pkg.bin === 'string' ? { [pkg.name]: pkg.bin } : (pkg.bin ?? {});
const binDir = join(root, 'node_modules', '.bin');
mkdirSync(binDir, { recursive: true });

for (const [name, file] of Object.entries(bins)) {
  const target = join(root, file);
  if (!existsSync(target)) {
    console.error(`link-bin: ${file} (bin "${name}" in package.json) does not exist`);
    process.exit(1);
  }
  chmodSync(target, 0o755);
  const link = join(binDir, name);
  const want = relative(binDir, target);
  let have = null;
  try {
    have = lstatSync(link).isSymbolicLink() ? readlinkSync(link) : '';
  } catch {
    // no link yet
  }
  if (have === want) continue;
  if (have !== null) rmSync(link, { force: true });
  symlinkSync(want, link);
  console.log(`link-bin: node_modules/.bin/${name} -> ${want}`);
}
