/**
 * The shapes shared by the live collector and a replayed trace: one record per inspection event, what
 * is known of each actor, and the actor tree built from parent links.
 */
import type { Json, PlainSnapshot } from './serialize';

export type RecordKind = 'actor' | 'event' | 'snapshot' | 'microstep';

export interface TransitionSummary {
  /** State node ids (`connection.online.live`). */
  source: string;
  target: string[];
  event: string;
}

/**
 * One inspection event. `actor` and `source` are the collector's actor keys. Live, `event` and
 * `snapshot` hold XState's own (immutable) objects, made plain only when shown or exported; in a
 * trace they are already plain JSON.
 */
export interface InspectionRecord {
  seq: number;
  /** Milliseconds since the epoch. */
  time: number;
  kind: RecordKind;
  actor: string;
  source?: string;
  /** The event's type (for `actor` records, `@xstate.actor`). */
  type: string;
  event?: unknown;
  snapshot?: unknown;
  transitions?: TransitionSummary[];
}

export type ActorStatus = 'created' | 'active' | 'done' | 'error' | 'stopped';

export interface ActorInfo {
  /** Unique within the collector (XState's session ids repeat across root actors). */
  key: string;
  /** The actor's id (`connection`, `send-…`); the root's is generated (`x:0`). */
  id: string;
  sessionId: string;
  systemId?: string;
  /** Its machine's id, or what it was provided as (a promise, a callback). */
  machine: string;
  parent?: string;
  status: ActorStatus;
}

export interface ActorNode {
  actor: ActorInfo;
  children: ActorNode[];
}

export const isLive = (status: ActorStatus) => status === 'active';

/** Live actors nested under their parents, in the order they were created. */
export function buildTree(actors: Iterable<ActorInfo>): ActorNode[] {
  const nodes = new Map<string, ActorNode>();
  for (const actor of actors) if (isLive(actor.status)) nodes.set(actor.key, { actor, children: [] });
  const roots: ActorNode[] = [];
  for (const node of nodes.values()) {
    const parent = node.actor.parent === undefined ? undefined : nodes.get(node.actor.parent);
    if (parent) parent.children.push(node);
    // A child whose parent has stopped is stopping too; only true roots stand alone.
    else if (node.actor.parent === undefined) roots.push(node);
  }
  return roots;
}

export const TRACE_FORMAT = 'parley-inspector-trace';

/**
 * 2: `machines` holds each machine's definition as definition.ts writes it, and a replay draws from it.
 * 1 (older exports): `machine.toJSON()` made plain, which cannot be drawn (no eventless transitions,
 * higher-order guards lost): a replay of one draws with this build's machines and says so.
 */
export const TRACE_VERSION = 2;

export interface Trace {
  format: typeof TRACE_FORMAT;
  version: 1 | typeof TRACE_VERSION;
  exportedAt: string;
  /** Every actor the events name, with its parent link. */
  actors: ActorInfo[];
  /**
   * One definition per machine the actors ran, by machine id (so each is stored once, however many
   * actors ran it). Unchecked when read from a file: `readDefinition` checks one before it is drawn.
   */
  machines: Record<string, unknown>;
  events: TraceRecord[];
}

export interface TraceRecord extends Omit<InspectionRecord, 'event' | 'snapshot'> {
  event?: Json;
  snapshot?: PlainSnapshot;
}
