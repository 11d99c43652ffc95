#!/usr/bin/env node
// The `amber` command run as a script (bin/amber starts node from the command's snapshot instead when
// it can). The CLI itself is src/cli/main.ts, compiled to dist/ by `npm run build` (run by
// `prepare` on `npm install`) and bundled into dist/bundle/ (scripts/bundle.mjs: one file to load instead
// of ~90 modules); importing it runs it. Without the bundle (a build stopped after tsc), dist/cli/ runs.
import { existsSync } from 'node:fs';

const bundle = new URL('../dist/bundle/main.js', import.meta.url);
await import(existsSync(bundle) ? bundle.href : '../dist/cli/start.js');
