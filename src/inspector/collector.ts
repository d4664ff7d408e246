/**
 * The inspector's memory: given to the root actor as its `inspect` option, it keeps the last `limit`
 * inspection events in a ring buffer and what is known of each actor. Recording is cheap (XState's
 * snapshots and events are immutable, so they are kept by reference and made plain only when shown or
 * exported); listeners hear of changes at most once per frame, and only while someone listens.
 */
import type { AnyActorRef, AnyStateMachine, InspectionEvent } from 'xstate';
import { machineDefinition } from './definition';
import { plainSnapshot, toPlain } from './serialize';
import {
  type ActorInfo,
  type ActorNode,
  type ActorStatus,
  buildTree,
  type InspectionRecord,
  TRACE_FORMAT,
  TRACE_VERSION,
  type Trace,
  type TransitionSummary,
} from './trace';

export type Scheduler = (flush: () => void) => void;

export interface CollectorOptions {
  /** How many inspection events to keep; older ones are dropped. */
  limit?: number;
  /** When to tell listeners; the next animation frame by default. */
  schedule?: Scheduler;
  now?: () => number;
}

export interface Collector {
  inspect(event: InspectionEvent): void;
  /** `listener` runs at most once per scheduled flush after new events. Returns the unsubscribe. */
  subscribe(listener: () => void): () => void;
  /** Changes at a flush (or a subscribe) when events came in: a cheap `useSyncExternalStore` snapshot. */
  version(): number;
  events(): InspectionRecord[];
  actorTree(): ActorNode[];
  actor(key: string): ActorInfo | undefined;
  /** The actor's current snapshot (live when its ref is still held), else the last one recorded. */
  snapshotOf(key: string): unknown;
  refOf(key: string): AnyActorRef | undefined;
  lastTransitionOf(key: string): TransitionSummary | null;
  /** Every state machine the system ran or can spawn, by machine id. */
  machines(): ReadonlyMap<string, AnyStateMachine>;
  rootKey(): string | undefined;
  exportTrace(): Trace;
}

export const DEFAULT_LIMIT = 5000;

/**
 * How often an open inspector redraws while events pour in: at a frame, but at most five times a second.
 * Redrawing the tree, chart, snapshot and log at every frame of a 50 messages/s burst made long tasks; a
 * person reading the panel cannot follow faster than this anyway.
 */
export const REDRAW_INTERVAL_MS = 200;

const frameScheduler: Scheduler = (flush) => {
  const atFrame = () =>
    typeof requestAnimationFrame === 'function' ? requestAnimationFrame(() => flush()) : flush();
  setTimeout(atFrame, REDRAW_INTERVAL_MS);
};

export const isMachine = (logic: unknown): logic is AnyStateMachine =>
  typeof logic === 'object' &&
  logic !== null &&
  'root' in logic &&
  typeof (logic as { toJSON?: unknown }).toJSON === 'function';

/** A machine's id, or the name its logic was provided under. */
function machineName(ref: AnyActorRef): string {
  const logic = (ref as { logic?: unknown }).logic;
  if (isMachine(logic)) return logic.id;
  return typeof ref.src === 'string' ? ref.src : 'actor';
}

function statusOf(snapshot: unknown): ActorStatus {
  const status = (snapshot as { status?: unknown } | undefined)?.status;
  return status === 'done' || status === 'error' || status === 'stopped' ? status : 'active';
}

export function createCollector(options: CollectorOptions = {}): Collector {
  const limit = Math.max(1, options.limit ?? DEFAULT_LIMIT);
  const schedule = options.schedule ?? frameScheduler;
  const now = options.now ?? Date.now;

  const ring: InspectionRecord[] = [];
  let start = 0; // index in `ring` of the oldest record once full
  let seq = 0;
  let version = 0;
  let flushed = 0; // `version` as of the last flush: what renders read, so they follow the frames
  let scheduled = false;
  const listeners = new Set<() => void>();

  const keys = new WeakMap<object, string>();
  let nextKey = 0;
  const infos = new Map<string, ActorInfo>();
  const refs = new Map<string, AnyActorRef>();
  const lastSnapshot = new Map<string, unknown>();
  const lastTransition = new Map<string, TransitionSummary>();
  const machines = new Map<string, AnyStateMachine>();
  let root: string | undefined;

  function registerMachine(logic: unknown) {
    if (!isMachine(logic) || machines.get(logic.id) === logic) return;
    machines.set(logic.id, logic);
    // Its children's machines too, so a replay can chart an actor this session never spawned.
    const provided = (logic as { implementations?: { actors?: Record<string, unknown> } }).implementations;
    for (const child of Object.values(provided?.actors ?? {})) {
      registerMachine((child as { src?: unknown }).src ?? child);
    }
  }

  function keyOf(ref: AnyActorRef | undefined): string | undefined {
    if (!ref) return undefined;
    let key = keys.get(ref);
    if (key === undefined) {
      key = `a${++nextKey}`;
      keys.set(ref, key);
      const parent = keyOf((ref as { _parent?: AnyActorRef })._parent);
      infos.set(key, {
        key,
        id: ref.id,
        sessionId: ref.sessionId,
        machine: machineName(ref),
        ...(parent === undefined ? {} : { parent }),
        status: 'created',
      });
      refs.set(key, ref);
      registerMachine((ref as { logic?: unknown }).logic);
    }
    return key;
  }

  function setStatus(key: string, status: ActorStatus) {
    const info = infos.get(key);
    if (!info) return;
    info.status = status;
    if (status === 'active') {
      const systemId = (refs.get(key) as { systemId?: unknown } | undefined)?.systemId;
      if (typeof systemId === 'string') info.systemId = systemId;
      if (info.parent === undefined) root = key;
    } else if (status !== 'created') {
      refs.delete(key); // let the stopped actor go
      forgetOldActors();
    }
  }

  /** Stopped actors no record mentions any more are forgotten, so the map stays bounded too. */
  function forgetOldActors() {
    if (infos.size <= limit) return;
    const named = new Set<string>();
    for (const record of ring) {
      named.add(record.actor);
      if (record.source) named.add(record.source);
    }
    for (const [key, info] of infos) {
      if (info.status !== 'active' && info.status !== 'created' && !named.has(key)) {
        infos.delete(key);
        lastSnapshot.delete(key);
        lastTransition.delete(key);
      }
    }
  }

  function push(record: InspectionRecord) {
    record.seq = ++seq;
    if (ring.length < limit) ring.push(record);
    else {
      ring[start] = record;
      start = (start + 1) % limit;
    }
    version++;
    if (listeners.size > 0 && !scheduled) {
      scheduled = true;
      schedule(flush);
    }
  }

  function flush() {
    scheduled = false;
    flushed = version;
    for (const listener of [...listeners]) listener();
  }

  function inspect(inspection: InspectionEvent) {
    const actor = keyOf(inspection.actorRef as AnyActorRef);
    if (actor === undefined) return;
    const base = { seq: 0, time: now(), actor };
    switch (inspection.type) {
      case '@xstate.actor':
        push({ ...base, kind: 'actor', type: '@xstate.actor' });
        return;
      case '@xstate.event': {
        const source = keyOf(inspection.sourceRef as AnyActorRef | undefined);
        if (inspection.event.type === 'xstate.init') setStatus(actor, 'active');
        push({
          ...base,
          kind: 'event',
          ...(source === undefined ? {} : { source }),
          type: inspection.event.type,
          event: inspection.event,
        });
        return;
      }
      case '@xstate.snapshot': {
        lastSnapshot.set(actor, inspection.snapshot);
        const status = statusOf(inspection.snapshot);
        if (status !== 'active' || infos.get(actor)?.status !== 'created') setStatus(actor, status);
        push({ ...base, kind: 'snapshot', type: inspection.event.type, snapshot: inspection.snapshot });
        return;
      }
      case '@xstate.microstep': {
        const transitions = inspection._transitions.map(
          (t): TransitionSummary => ({
            source: t.source.id,
            target: (t.target ?? []).map((node) => node.id),
            event: t.eventType,
          }),
        );
        const last = transitions[transitions.length - 1];
        if (last) lastTransition.set(actor, last);
        push({
          ...base,
          kind: 'microstep',
          type: inspection.event.type,
          snapshot: inspection.snapshot,
          transitions,
        });
        return;
      }
      default:
        return; // actions and transitions: the microsteps say it already
    }
  }

  const events = () => (start === 0 ? ring.slice() : [...ring.slice(start), ...ring.slice(0, start)]);

  let treeVersion = -1;
  let tree: ActorNode[] = [];

  return {
    inspect,
    subscribe(listener) {
      listeners.add(listener);
      flushed = version; // a new reader starts from what is there now
      return () => listeners.delete(listener);
    },
    version: () => flushed,
    events,
    actorTree() {
      if (treeVersion !== version) {
        // A ref that stopped without a word (a promise, a callback) leaves too.
        for (const [key, ref] of refs) {
          const status = statusOf(ref.getSnapshot());
          if (status !== 'active') setStatus(key, status);
        }
        tree = buildTree(infos.values());
        treeVersion = version;
      }
      return tree;
    },
    actor: (key) => infos.get(key),
    snapshotOf: (key) => refs.get(key)?.getSnapshot() ?? lastSnapshot.get(key),
    refOf: (key) => refs.get(key),
    lastTransitionOf: (key) => lastTransition.get(key) ?? null,
    machines: () => machines,
    rootKey: () => root,
    exportTrace(): Trace {
      const records = events();
      const named = new Set<string>();
      for (const r of records) {
        named.add(r.actor);
        if (r.source) named.add(r.source);
      }
      // The parents of every named actor, so the replayed tree nests the same way.
      for (const key of [...named]) {
        for (let p = infos.get(key)?.parent; p !== undefined; p = infos.get(p)?.parent) named.add(p);
      }
      const used = new Set([...named].map((key) => infos.get(key)?.machine));
      const definitions: Trace['machines'] = {};
      for (const [id, machine] of machines) {
        if (used.has(id)) definitions[id] = machineDefinition(machine);
      }
      return {
        format: TRACE_FORMAT,
        version: TRACE_VERSION,
        exportedAt: new Date(now()).toISOString(),
        actors: [...infos.values()].filter((info) => named.has(info.key)).map((info) => ({ ...info })),
        machines: definitions,
        events: records.map(({ event, snapshot, ...rest }) => ({
          ...rest,
          ...(event === undefined ? {} : { event: toPlain(event) ?? null }),
          ...(snapshot === undefined ? {} : { snapshot: plainSnapshot(snapshot) }),
        })),
      };
    },
  };
}
