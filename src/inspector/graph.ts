/**
 * A statechart as plain data for drawing: every state node and every transition, read from a machine's
 * definition (definition.ts: this build's machine, or the one a trace recorded). Not `toDirectedGraph`,
 * which leaves out `always` transitions and draws targetless ones as self-loops. Pure: no DOM, no layout.
 */
import type { AnyStateMachine } from 'xstate';
import { machineDefinition, type StateDefinition, type StateType } from './definition';

export type { StateType } from './definition';

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

/** What an actor's chart is drawn from: its machine's chart, or a sentence saying why there is none. */
export type ChartSource = { graph: ChartGraph } | { error: string };

const cache = new WeakMap<AnyStateMachine, ChartGraph>();

/** This build's machine, charted; once per machine. */
export function chartGraph(machine: AnyStateMachine): ChartGraph {
  let graph = cache.get(machine);
  if (!graph) {
    graph = graphOf(machineDefinition(machine));
    cache.set(machine, graph);
  }
  return graph;
}

/** A definition, charted (a definition from a file is checked with `readDefinition` first). */
export function graphOf(root: StateDefinition): ChartGraph {
  const all: Array<{ state: StateDefinition; parent: StateDefinition | null }> = [];
  const visit = (state: StateDefinition, parent: StateDefinition | null) => {
    all.push({ state, parent });
    for (const child of Object.values(state.states ?? {})) visit(child, state);
  };
  visit(root, null);
  const invokeSources = new Map<string, string>();
  for (const { state } of all) for (const inv of state.invoke ?? []) invokeSources.set(inv.id, inv.src);

  const nodes: ChartNode[] = all.map(({ state, parent }) => ({
    id: state.id,
    key: state.key,
    parent: parent?.id ?? null,
    type: state.type,
    initial: parent?.initial?.includes(state.id) ?? false,
    description: state.description ?? null,
  }));

  const edges: ChartEdge[] = [];
  for (const { state } of all) {
    (state.transitions ?? []).forEach((t, i) => {
      const guard = t.guard ?? null;
      const event = eventLabel(t.event, t.delay, invokeSources);
      edges.push({
        id: `${state.id}#${i}`,
        source: state.id,
        targets: t.targets ?? [],
        event: t.event,
        label: guard ? `${event} [${guard}]` : event,
        guard,
        reenter: t.reenter === true,
      });
    });
  }
  return { nodes, edges };
}

function eventLabel(type: string, delay: string | number | undefined, invokeSources: Map<string, string>) {
  if (type === '') return 'always';
  if (type.startsWith('xstate.after.')) {
    const after = delay ?? type.split('.')[2] ?? '';
    return `after ${typeof after === 'number' || /^\d+$/.test(after) ? formatMs(Number(after)) : after}`;
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

const childIndex = new WeakMap<ChartGraph, Map<string, Map<string, string>>>();

/** Each state's children by key, for walking a state value down the chart. */
function childrenByKey(graph: ChartGraph): Map<string, Map<string, string>> {
  let index = childIndex.get(graph);
  if (!index) {
    index = new Map();
    for (const node of graph.nodes) {
      if (node.parent === null) continue;
      const siblings = index.get(node.parent) ?? new Map<string, string>();
      siblings.set(node.key, node.id);
      index.set(node.parent, siblings);
    }
    childIndex.set(graph, index);
  }
  return index;
}

/**
 * The ids of the state nodes a snapshot's value is in (every level, from the root down). A value naming
 * a state the chart does not have marks nothing below it.
 */
export function activeStateIds(graph: ChartGraph, value: unknown): Set<string> {
  const active = new Set<string>();
  const root = graph.nodes.find((node) => node.parent === null);
  if (!root) return active;
  const children = childrenByKey(graph);
  const visit = (id: string, v: unknown) => {
    active.add(id);
    const byKey = children.get(id);
    if (!byKey) return;
    if (typeof v === 'string') {
      const child = byKey.get(v);
      if (child) visit(child, undefined);
    } else if (v && typeof v === 'object' && !Array.isArray(v)) {
      for (const [key, sub] of Object.entries(v)) {
        const child = byKey.get(key);
        if (child) visit(child, sub);
      }
    }
  };
  visit(root.id, value);
  return active;
}
