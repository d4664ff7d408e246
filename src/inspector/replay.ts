/**
 * A recorded trace, stepped through: the system as it was at one inspection event, i.e. the last
 * recorded snapshot of every actor at or before that event, and which actors were alive then.
 */
import { type PlainSnapshot, plainSnapshot } from './serialize';
import {
  type ActorInfo,
  type ActorNode,
  type ActorStatus,
  buildTree,
  TRACE_FORMAT,
  type Trace,
  type TransitionSummary,
} from './trace';

export interface ReplayState {
  index: number;
  actors: Map<string, ActorInfo>;
  snapshots: Map<string, PlainSnapshot>;
  lastTransitions: Map<string, TransitionSummary>;
  tree: ActorNode[];
}

const statusOf = (snapshot: PlainSnapshot): ActorStatus =>
  snapshot.status === 'done' || snapshot.status === 'error' || snapshot.status === 'stopped'
    ? snapshot.status
    : 'active';

/** The state of every actor at event `index` (clamped to the trace). */
export function stateAt(trace: Trace, index: number): ReplayState {
  const last = Math.min(Math.max(0, Math.floor(index)), trace.events.length - 1);
  const known = new Map(trace.actors.map((actor) => [actor.key, actor]));
  const actors = new Map<string, ActorInfo>();
  const snapshots = new Map<string, PlainSnapshot>();
  const lastTransitions = new Map<string, TransitionSummary>();
  const seen = (key: string, status: ActorStatus) => {
    const info = known.get(key);
    if (info) actors.set(key, { ...info, status });
  };
  for (let i = 0; i <= last; i++) {
    const record = trace.events[i];
    if (!record) break;
    const current = actors.get(record.actor)?.status;
    switch (record.kind) {
      case 'actor':
        seen(record.actor, 'created');
        break;
      case 'event':
        // Anything an actor is sent says it is there; its start (`xstate.init`) says it runs.
        if (record.type === 'xstate.init' || current === undefined) seen(record.actor, 'active');
        break;
      case 'snapshot':
        if (record.snapshot) {
          snapshots.set(record.actor, record.snapshot);
          seen(record.actor, statusOf(record.snapshot));
        }
        break;
      case 'microstep': {
        const transition = record.transitions?.[record.transitions.length - 1];
        if (transition) lastTransitions.set(record.actor, transition);
        break;
      }
    }
  }
  // A live parent whose snapshot no longer lists a child has stopped it (promise and callback actors
  // stop without a snapshot of their own).
  for (const [key, info] of actors) {
    const parent = info.parent === undefined ? undefined : snapshots.get(info.parent);
    if (info.status === 'active' && parent?.children && !parent.children.includes(info.id)) {
      actors.set(key, { ...info, status: 'stopped' });
    }
  }
  return { index: last, actors, snapshots, lastTransitions, tree: buildTree(actors.values()) };
}

/** The sequence of distinct state values one actor went through, as the trace recorded them. */
export function valuesOf(trace: Trace, actorKey: string): unknown[] {
  const values: unknown[] = [];
  let previous = '';
  for (const record of trace.events) {
    if (record.kind !== 'snapshot' || record.actor !== actorKey || !record.snapshot) continue;
    const value = JSON.stringify(record.snapshot.value);
    if (value !== previous) values.push(record.snapshot.value);
    previous = value;
  }
  return values;
}

/** Reads an exported trace; throws a sentence when the text is not one. */
export function parseTrace(text: string): Trace {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new Error('That file is not JSON.');
  }
  const trace = data as Partial<Trace> | null;
  if (
    !trace ||
    trace.format !== TRACE_FORMAT ||
    !Array.isArray(trace.events) ||
    !Array.isArray(trace.actors) ||
    typeof trace.machines !== 'object'
  ) {
    throw new Error('That file is not a Parley inspector trace.');
  }
  for (const record of trace.events) {
    if (record?.snapshot) record.snapshot = plainSnapshot(record.snapshot);
  }
  return trace as Trace;
}

/** The root of the trace: the first actor without a parent. */
export const rootOf = (trace: Trace): string | undefined =>
  trace.actors.find((actor) => actor.parent === undefined && trace.events.some((e) => e.actor === actor.key))
    ?.key;
