/**
 * A machine's statechart as plain data for drawing: every state node and every transition, read from
 * `machine.root` (not `toDirectedGraph`, which leaves out `always` transitions and draws targetless ones
 * as self-loops). Pure: no DOM, no layout.
 */
import type { AnyStateMachine } from 'xstate';

export type StateType = 'atomic' | 'compound' | 'parallel' | 'final' | 'history';

export interface ChartNode {
  /** The state node's id (`connection.online.heartbeat`). */
  id: string;
  key: string;
  /** The parent state node's id; null for the root. */
  parent: string | null;
  type: StateType;
  /** The parent's initial state (never true for a parallel region or the root). */
  initial: boolean;
  description: string | null;
}

export interface ChartEdge {
  id: string;
  source: string;
  /** Empty for a targetless transition: it runs actions without leaving the state. */
  targets: string[];
  /** The event type as the machine knows it (`xstate.after.statusInterval.connection…`, '' for always). */
  event: string;
  /** What a person reads: `stream.failed [hasNoStream]`, `after statusInterval`, `done: checkStatus`. */
  label: string;
  guard: string | null;
  reenter: boolean;
}

export interface ChartGraph {
  nodes: ChartNode[];
  edges: ChartEdge[];
}

/** The parts of xstate's StateNode read here (its public fields, typed loosely to stay version-tolerant). */
interface StateNodeLike {
  id: string;
  key: string;
  type: StateType;
  description?: string;
  parent?: StateNodeLike;
  states: Record<string, StateNodeLike>;
  initial?: { target: ReadonlyArray<{ id: string }> };
  transitions: Map<string, TransitionLike[]>;
  always?: TransitionLike[];
  invoke: ReadonlyArray<{ id: string; src: unknown }>;
}

interface TransitionLike {
  eventType: string;
  target?: ReadonlyArray<{ id: string }>;
  guard?: unknown;
  reenter?: boolean;
  delay?: string | number;
}

const cache = new WeakMap<AnyStateMachine, ChartGraph>();

export function chartGraph(machine: AnyStateMachine): ChartGraph {
  const cached = cache.get(machine);
  if (cached) return cached;
  const root = machine.root as unknown as StateNodeLike;
  const all = descendants(root);
  const invokeSources = new Map<string, string>();
  for (const node of all)
    for (const inv of node.invoke) invokeSources.set(inv.id, typeof inv.src === 'string' ? inv.src : inv.id);

  const nodes: ChartNode[] = all.map((node) => ({
    id: node.id,
    key: node.key,
    parent: node.parent?.id ?? null,
    type: node.type,
    initial: node.parent?.initial?.target.some((t) => t.id === node.id) ?? false,
    description: node.description ?? null,
  }));

  const edges: ChartEdge[] = [];
  for (const node of all) {
    const transitions = [...node.transitions.values()].flat().concat(node.always ?? []);
    transitions.forEach((t, i) => {
      const guard = guardName(t.guard);
      const event = eventLabel(t, invokeSources);
      edges.push({
        id: `${node.id}#${i}`,
        source: node.id,
        targets: (t.target ?? []).map((s) => s.id),
        event: t.eventType,
        label: guard ? `${event} [${guard}]` : event,
        guard,
        reenter: t.reenter === true,
      });
    });
  }
  const graph = { nodes, edges };
  cache.set(machine, graph);
  return graph;
}

function descendants(node: StateNodeLike): StateNodeLike[] {
  return [node, ...Object.values(node.states).flatMap(descendants)];
}

function eventLabel(t: TransitionLike, invokeSources: Map<string, string>): string {
  const type = t.eventType;
  if (type === '') return 'always';
  if (type.startsWith('xstate.after.')) {
    const delay = t.delay ?? type.split('.')[2] ?? '';
    return `after ${typeof delay === 'number' || /^\d+$/.test(delay) ? formatMs(Number(delay)) : delay}`;
  }
  for (const kind of ['done', 'error'] as const) {
    const prefix = `xstate.${kind}.actor.`;
    if (type.startsWith(prefix)) {
      const id = type.slice(prefix.length);
      return `${kind}: ${invokeSources.get(id) ?? id}`;
    }
  }
  if (type.startsWith('xstate.done.state.')) return `done: ${type.split('.').at(-1)}`;
  return type;
}

function formatMs(ms: number): string {
  return ms >= 1000 && ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** `isOnline`, `!shouldPoll` for `not('shouldPoll')`, `in(list.loading)` for `stateIn`. */
export function guardName(guard: unknown): string | null {
  if (guard === undefined || guard === null) return null;
  if (typeof guard === 'string') return guard;
  // Higher-order guards are functions named after their helper, holding what they combine.
  const g = guard as { type?: unknown; name?: string; guards?: unknown[]; stateValue?: unknown };
  const inner = (g.guards ?? []).map(guardName);
  if (typeof guard === 'function' && g.guards) {
    if (g.name === 'not') return `!${inner.join(', ')}`;
    if (g.name === 'and') return inner.join(' && ');
    if (g.name === 'or') return inner.join(' || ');
  }
  if (typeof guard === 'function' && 'stateValue' in g)
    return `in(${typeof g.stateValue === 'string' ? g.stateValue : JSON.stringify(g.stateValue)})`;
  if (typeof g.type === 'string') return g.type;
  return g.name && g.name !== 'guard' ? g.name : 'guard';
}

/** The ids of the state nodes a snapshot's value is in (every level, from the root down). */
export function activeStateIds(machine: AnyStateMachine, value: unknown): Set<string> {
  const active = new Set<string>();
  const visit = (node: StateNodeLike, v: unknown) => {
    active.add(node.id);
    if (typeof v === 'string') {
      const child = node.states[v];
      if (child) visit(child, undefined);
    } else if (v && typeof v === 'object') {
      for (const [key, sub] of Object.entries(v)) {
        const child = node.states[key];
        if (child) visit(child, sub);
      }
    }
  };
  visit(machine.root as unknown as StateNodeLike, value);
  return active;
}
