#!/usr/bin/env node
// The `amber` command. The CLI itself is src/cli/main.ts, compiled to dist/ by `npm run build`
// (run by `prepare` on `npm install`); importing it runs it.
import '../dist/cli/main.js';
