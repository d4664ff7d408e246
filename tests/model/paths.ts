/**
 * Test paths generated from an abstract model machine, and the transitions they take. The model has no
 * invoke and no delays (xstate/graph traverses it by `transition`), so its states are what a person sees
 * and its events what a person or the network does.
 */
import type { AnyStateMachine, EventObject } from 'xstate';
import {
  type DirectedGraphNode,
  getPathsFromEvents,
  getShortestPaths,
  getSimplePaths,
  toDirectedGraph,
} from 'xstate/graph';

export interface ModelPath {
  description: string;
  /** The model's state value before and after each event. */
  steps: { from: string; event: EventObject; to: string }[];
}

const stateKey = (snapshot: { value: unknown }) =>
  typeof snapshot.value === 'string' ? snapshot.value : JSON.stringify(snapshot.value);

function toModelPath(path: { steps: { state: { value: unknown }; event: EventObject }[] }): ModelPath {
  const steps: ModelPath['steps'] = [];
  let from: string | null = null;
  for (const step of path.steps) {
    const to = stateKey(step.state);
    if (from !== null) steps.push({ from, event: step.event, to });
    from = to;
  }
  const last = steps.at(-1)?.to ?? from ?? '?';
  const via = steps.map((s) => s.event.type).join(' → ');
  return { description: `reaches ${last}${via ? ` via ${via}` : ''}`, steps };
}

const key = (from: string, type: string, to: string) => `${from} --${type}--> ${to}`;

/** Every transition the model declares, from its directed graph (not listed by hand). */
export function modelTransitions(model: AnyStateMachine): string[] {
  const keys: string[] = [];
  const visit = (node: DirectedGraphNode) => {
    for (const edge of node.edges) {
      keys.push(key(edge.source.key, edge.label.text, edge.target.key));
    }
    for (const child of node.children) visit(child);
  };
  visit(toDirectedGraph(model));
  return keys;
}

export const takenTransitions = (paths: ModelPath[]) =>
  new Set(paths.flatMap((p) => p.steps.map((s) => key(s.from, s.event.type, s.to))));

/**
 * The shortest path to each state, the simple paths (at most `simpleLimit` of them, longest last), and for
 * each transition neither takes (a self-loop, a way back) the shortest path to its source plus that event.
 */
export function generatePaths(model: AnyStateMachine, options: { simpleLimit: number }): ModelPath[] {
  const byDescription = new Map<string, ModelPath>();
  const add = (path: ModelPath) => {
    if (path.steps.length > 0 && !byDescription.has(path.description))
      byDescription.set(path.description, path);
  };
  const shortest = getShortestPaths(model).map(toModelPath);
  for (const path of shortest) add(path);
  const simple = getSimplePaths(model)
    .map(toModelPath)
    .sort((a, b) => a.steps.length - b.steps.length || a.description.localeCompare(b.description));
  for (const path of simple.slice(0, options.simpleLimit)) add(path);

  const initial = stateKey(model.getInitialSnapshot({} as never));
  const taken = takenTransitions([...byDescription.values()]);
  for (const transition of modelTransitions(model)) {
    if (taken.has(transition)) continue;
    const [from, rest] = transition.split(' --') as [string, string];
    const type = rest.split('--> ')[0] ?? '';
    const head = from === initial ? [] : (shortest.find((p) => p.steps.at(-1)?.to === from)?.steps ?? []);
    const events = [...head.map((s) => s.event), { type }];
    const [path] = getPathsFromEvents(model, events);
    if (path) add(toModelPath(path));
  }
  return [...byDescription.values()];
}

/** The model's transitions that none of `paths` takes (the coverage check wants none). */
export const untakenTransitions = (model: AnyStateMachine, paths: ModelPath[]): string[] => {
  const taken = takenTransitions(paths);
  return modelTransitions(model).filter((t) => !taken.has(t));
};

type Steps<P> = Record<string, (page: P) => Promise<void>>;

/**
 * Carries out a generated path on a real system (`page`): each step's event, then the check of the state
 * it leads to; a failure names the step.
 */
export async function carryOut<P>(
  path: ModelPath,
  page: P,
  events: Steps<P>,
  states: Steps<P>,
): Promise<void> {
  for (const step of path.steps) {
    const run = events[step.event.type];
    const check = states[step.to];
    if (!run || !check) throw new Error(`no way to carry out ${step.event.type} or check ${step.to}`);
    try {
      await run(page);
      await check(page);
    } catch (error) {
      throw new Error(`at ${step.from} --${step.event.type}--> ${step.to}: ${(error as Error).message}`);
    }
  }
}
