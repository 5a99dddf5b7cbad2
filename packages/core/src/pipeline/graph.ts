/**
 * The stage graph, pure: unknown stages in `needs`, cycles (named
 * `a → b → c → a`), and a topological order with ties in file order.
 */

/** A problem at one stage's `needs` (index into it, or the whole key). */
export interface GraphProblem {
  stage: string;
  /** Index in the stage's needs, or null for the needs key itself. */
  index: number | null;
  message: string;
}

/** Stages in file order with their needs. */
export type StageNeeds = ReadonlyArray<readonly [string, readonly string[]]>;

export function checkGraph(stages: StageNeeds): GraphProblem[] {
  const names = new Set(stages.map(([name]) => name));
  const problems: GraphProblem[] = [];
  for (const [stage, needs] of stages) {
    needs.forEach((n, i) => {
      if (n === stage) problems.push({ stage, index: i, message: `stage ${stage} needs itself` });
      else if (!names.has(n)) problems.push({ stage, index: i, message: `unknown stage "${n}"; stages: ${[...names].join(', ')}` });
      else if (needs.indexOf(n) !== i) problems.push({ stage, index: i, message: `"${n}" is listed twice` });
    });
  }
  for (const cycle of findCycles(stages)) {
    problems.push({ stage: cycle[0] as string, index: null, message: `the stages make a cycle: ${[...cycle, cycle[0]].join(' → ')}` });
  }
  return problems;
}

/**
 * Every elementary cycle found by a depth-first search, each once (by its
 * set of stages), starting at its stage earliest in the file and following
 * needs: "a → b → c → a" reads "a needs b, b needs c, c needs a".
 */
export function findCycles(stages: StageNeeds): string[][] {
  const needsOf = new Map(stages.map(([name, needs]) => [name, needs.filter((n) => n !== name)]));
  const order = new Map(stages.map(([name], i) => [name, i]));
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const found = new Map<string, string[]>();
  const visit = (s: string): void => {
    state.set(s, 'open');
    stack.push(s);
    for (const n of needsOf.get(s) ?? []) {
      if (!needsOf.has(n)) continue;
      if (state.get(n) === 'open') {
        const cycle = stack.slice(stack.indexOf(n));
        const key = [...cycle].sort().join('\n');
        if (!found.has(key)) found.set(key, rotate(cycle, order));
      } else if (state.get(n) === undefined) visit(n);
    }
    stack.pop();
    state.set(s, 'done');
  };
  for (const [name] of stages) if (state.get(name) === undefined) visit(name);
  return [...found.values()];
}

function rotate(cycle: string[], order: Map<string, number>): string[] {
  let first = 0;
  cycle.forEach((s, i) => {
    if ((order.get(s) ?? 0) < (order.get(cycle[first] as string) ?? 0)) first = i;
  });
  return [...cycle.slice(first), ...cycle.slice(0, first)];
}

/** Stage names with every stage after its needs; among stages ready together, file order. Stages on a cycle come last, in file order. */
export function topologicalOrder(stages: StageNeeds): string[] {
  const names = new Set(stages.map(([name]) => name));
  const done = new Set<string>();
  const order: string[] = [];
  while (order.length < stages.length) {
    const next = stages.find(([name, needs]) => !done.has(name) && needs.every((n) => done.has(n) || !names.has(n) || n === name));
    if (!next) {
      for (const [name] of stages) if (!done.has(name)) order.push(name);
      break;
    }
    done.add(next[0]);
    order.push(next[0]);
  }
  return order;
}
