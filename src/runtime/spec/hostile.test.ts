// Generated hostile specs (testing/specgen.ts) taken the whole way a `pod run` takes them, in this
// process (host/testing/specfuzz.ts): each is accepted and sound, or refused with one line naming the
// file. `npm run fuzz` runs many more and prints the counts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { scratch } from '../../host/testing/scratch.js';
import { makeFuzzPlace, trySpec } from '../../host/testing/specfuzz.js';
import { hostileSpec } from './testing/specgen.js';

const HELLO = new URL('../../../guests/hello.wasm', import.meta.url).pathname;

test('a generated hostile spec is accepted soundly or refused in one line, never anything else', (t) => {
  const place = makeFuzzPlace(scratch('specfuzz', t), HELLO);
  const seen = { accepted: 0, refused: 0 };
  fc.assert(
    fc.property(hostileSpec(place.layout), (g) => {
      const o = trySpec(place, g);
      if (o.kind === 'other') assert.fail(`${o.what}\nafter: ${g.mutations.join('; ')}`);
      seen[o.kind]++;
    }),
    { numRuns: 300 },
  );
  // The generator reaches both sides: a fuzz that only ever meets refusals tests nothing past the parser.
  assert.ok(seen.accepted > 20 && seen.refused > 100, JSON.stringify(seen));
});
