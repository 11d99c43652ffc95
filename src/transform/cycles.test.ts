import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { cycleCuts } from './cycles.js';

/** Whether graph has a cycle once the cut functions are taken out (Kahn's algorithm). */
function cyclic(graph: ReadonlyMap<string, readonly string[]>, cut: ReadonlySet<string>): boolean {
  const nodes = [...graph.keys()].filter((v) => !cut.has(v));
  const indeg = new Map(nodes.map((v) => [v, 0]));
  for (const v of nodes) for (const w of graph.get(v)!) if (indeg.has(w)) indeg.set(w, indeg.get(w)! + 1);
  const ready = nodes.filter((v) => indeg.get(v) === 0);
  let seen = 0;
  for (let v = ready.pop(); v !== undefined; v = ready.pop()) {
    seen++;
    for (const w of graph.get(v)!) {
      if (!indeg.has(w)) continue;
      indeg.set(w, indeg.get(w)! - 1);
      if (indeg.get(w) === 0) ready.push(w);
    }
  }
  return seen < nodes.length;
}

/** Random call graphs of up to 30 functions (f0..), some edges to leaves outside the graph (imports). */
const graphs = fc
  .integer({ min: 1, max: 30 })
  .chain((n) => fc.array(fc.array(fc.integer({ min: 0, max: n + 2 }), { maxLength: 5 }), { minLength: n, maxLength: n }))
  .map((edges) => new Map(edges.map((out, i) => [`f${i}`, out.map((j) => `f${j}`)] as const)));

describe('cycleCuts', () => {
  it('leaves no cycle uncut, in any call graph', () => {
    fc.assert(fc.property(graphs, (g) => !cyclic(g, cycleCuts(g))), { numRuns: 2000 });
  });

  it('cuts nothing in a graph without cycles', () => {
    const dags = graphs.map((g) => new Map([...g].map(([v, out]) => [v, out.filter((w) => Number(w.slice(1)) > Number(v.slice(1)))] as const)));
    fc.assert(fc.property(dags, (g) => cycleCuts(g).size === 0), { numRuns: 500 });
  });

  it('cuts self-recursion, and one function of a mutual recursion entered once', () => {
    assert.deepEqual([...cycleCuts(new Map([['fib', ['fib']]]))], ['fib']);
    const g = new Map([['main', ['ping']], ['ping', ['pong']], ['pong', ['ping', 'write']]]);
    assert.deepEqual([...cycleCuts(g)], ['ping']);
  });

  it('cuts a strongly connected component of many functions at its back-edges only', () => {
    // A ring of 1000 functions each also calling the first: one cut (f0) covers every cycle.
    const ring = new Map(Array.from({ length: 1000 }, (_, i) => [`f${i}`, [`f${(i + 1) % 1000}`, 'f0']] as const));
    assert.deepEqual([...cycleCuts(ring)], ['f0']);
  });
});
