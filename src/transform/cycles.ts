// Where recursion needs a preemption check: a set of functions that every cycle of a call graph passes
// through (a feedback vertex set), found as compilers place loop safepoints on back-edges: in a depth-first
// walk every cycle holds an edge back to a function still on the walk's stack, so the targets of those
// edges cut every cycle. Far fewer than "every function of a cycle": C++'s virtual calls make one
// strongly connected component of thousands of functions, which a few back-edge targets cut.

/**
 * Functions whose entry, checked, leaves no cycle in graph unchecked (graph: each function's callees, by
 * name for Binaryen's transform, by index for the lean one; those not in it are leaves). Deterministic:
 * roots are tried in the map's order, callees in list order.
 */
export function cycleCuts<K>(graph: ReadonlyMap<K, readonly K[]>): Set<K> {
  const cuts = new Set<K>();
  // 1: on the walk's stack; 2: done.
  const state = new Map<K, 1 | 2>();
  for (const root of graph.keys()) {
    if (state.has(root)) continue;
    const work: Array<{ v: K; i: number }> = [{ v: root, i: 0 }];
    state.set(root, 1);
    while (work.length > 0) {
      const top = work[work.length - 1]!;
      const succ = graph.get(top.v) ?? [];
      if (top.i === succ.length) {
        state.set(top.v, 2);
        work.pop();
        continue;
      }
      const w = succ[top.i++]!;
      const s = state.get(w);
      if (s === 1) cuts.add(w);
      else if (s === undefined && graph.has(w)) {
        state.set(w, 1);
        work.push({ v: w, i: 0 });
      }
    }
  }
  return cuts;
}
