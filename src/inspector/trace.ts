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

export interface Trace {
  format: typeof TRACE_FORMAT;
  version: 1;
  exportedAt: string;
  /** Every actor the events name, with its parent link. */
  actors: ActorInfo[];
  /** Machine definitions (`machine.toJSON()`, made plain) by machine id. */
  machines: Record<string, Json>;
  events: TraceRecord[];
}

export interface TraceRecord extends Omit<InspectionRecord, 'event' | 'snapshot'> {
  event?: Json;
  snapshot?: PlainSnapshot;
}
