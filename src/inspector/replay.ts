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
  TRACE_VERSION,
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
  /** Where each actor first appeared, and where each actor's latest snapshot was recorded. */
  const firstSeenAt = new Map<string, number>();
  const snapshotAt = new Map<string, number>();
  let at = 0;
  const seen = (key: string, status: ActorStatus) => {
    const info = known.get(key);
    if (!info) return;
    actors.set(key, { ...info, status });
    if (!firstSeenAt.has(key)) firstSeenAt.set(key, at);
  };
  for (let i = 0; i <= last; i++) {
    const record = trace.events[i];
    if (!record) break;
    at = i;
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
          snapshotAt.set(record.actor, i);
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
  // stop without a snapshot of their own). Only a snapshot taken after the child appeared can say so: a
  // child just spawned is not yet in the parent's last one.
  for (const [key, info] of actors) {
    const parent = info.parent === undefined ? undefined : snapshots.get(info.parent);
    const parentSince = info.parent === undefined ? -1 : (snapshotAt.get(info.parent) ?? -1);
    if (
      info.status === 'active' &&
      parent?.children &&
      !parent.children.includes(info.id) &&
      parentSince > (firstSeenAt.get(key) ?? -1)
    ) {
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

const RECORD_KINDS: ReadonlySet<string> = new Set(['actor', 'event', 'snapshot', 'microstep']);

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Reads an exported trace; throws a sentence when the text is not one, or is one too damaged to replay.
 * What the panel reads of each actor and event is checked here, so a replay never trips over a field;
 * machine definitions are checked when drawn (`readDefinition`), each on its own.
 */
export function parseTrace(text: string): Trace {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new Error('That file is not JSON.');
  }
  if (!isRecord(data) || data.format !== TRACE_FORMAT) {
    throw new Error('That file is not a Parley inspector trace.');
  }
  const { version } = data;
  if (typeof version === 'number' && version > TRACE_VERSION) {
    throw new Error(
      `That trace was written by a newer Parley inspector (format version ${version}); this one reads versions 1 to ${TRACE_VERSION}.`,
    );
  }
  if (version !== 1 && version !== TRACE_VERSION)
    throw new Error('That file is not a Parley inspector trace.');
  const damaged = (what: string) => new Error(`That trace is damaged: ${what}.`);
  if (!Array.isArray(data.actors)) throw damaged('it has no list of actors');
  if (!Array.isArray(data.events)) throw damaged('it has no list of events');
  if (!isRecord(data.machines)) throw damaged('it has no machine definitions');
  data.actors.forEach((actor, i) => {
    const where = `actor ${i + 1}`;
    if (!isRecord(actor)) throw damaged(`${where} is not an object`);
    for (const field of ['key', 'id', 'machine'] as const)
      if (typeof actor[field] !== 'string') throw damaged(`${where} has no ${field}`);
    if (actor.parent !== undefined && typeof actor.parent !== 'string')
      throw damaged(`${where} has a bad parent`);
  });
  if (data.events.length === 0) throw new Error('That trace holds no events.');
  data.events.forEach((record, i) => {
    const where = `event ${i + 1}`;
    if (!isRecord(record)) throw damaged(`${where} is not an object`);
    if (typeof record.kind !== 'string' || !RECORD_KINDS.has(record.kind))
      throw damaged(`${where} has no kind`);
    if (typeof record.actor !== 'string') throw damaged(`${where} names no actor`);
    if (typeof record.type !== 'string') throw damaged(`${where} has no type`);
    if (typeof record.time !== 'number') throw damaged(`${where} has no time`);
    if (typeof record.seq !== 'number') record.seq = i + 1;
    if (record.source !== undefined && typeof record.source !== 'string') {
      throw damaged(`${where} has a bad source`);
    }
    if (record.transitions !== undefined) {
      const ok =
        Array.isArray(record.transitions) &&
        record.transitions.every(
          (t) =>
            isRecord(t) &&
            typeof t.source === 'string' &&
            typeof t.event === 'string' &&
            Array.isArray(t.target) &&
            t.target.every((id) => typeof id === 'string'),
        );
      if (!ok) throw damaged(`${where} has bad transitions`);
    }
    if (record.snapshot !== undefined) record.snapshot = plainSnapshot(record.snapshot);
  });
  return data as unknown as Trace;
}

/** The root of the trace: the first actor without a parent. */
export const rootOf = (trace: Trace): string | undefined =>
  trace.actors.find((actor) => actor.parent === undefined && trace.events.some((e) => e.actor === actor.key))
    ?.key;
