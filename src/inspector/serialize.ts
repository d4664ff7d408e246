/**
 * Inspection events hold live objects (actor refs, snapshots with children, functions in a machine
 * definition). A trace is plain JSON: refs become their ids, functions are dropped, cycles cut.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

interface RefLike {
  sessionId: string;
  id: string;
  send: unknown;
}

const isRef = (value: object): value is RefLike =>
  typeof (value as RefLike).sessionId === 'string' && typeof (value as RefLike).send === 'function';

/** A plain-JSON copy of `value`: an actor ref becomes `{ "@actor": id }`, functions and cycles are left out. */
export function toPlain(value: unknown, depth = 0, seen = new WeakSet<object>()): Json | undefined {
  if (value === null) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : null;
    case 'bigint':
      return value.toString();
    case 'object':
      break;
    default:
      return undefined; // functions, symbols, undefined
  }
  const object = value as object;
  if (isRef(object)) return { '@actor': object.id };
  if (object instanceof Date) return object.toISOString();
  if (seen.has(object) || depth > 40) return null;
  seen.add(object);
  try {
    if (Array.isArray(object)) return object.map((item) => toPlain(item, depth + 1, seen) ?? null);
    if (object instanceof Map) return toPlain(Object.fromEntries(object), depth, seen);
    if (object instanceof Set) return toPlain([...object], depth, seen);
    const out: { [key: string]: Json } = {};
    for (const [key, item] of Object.entries(object)) {
      const plain = toPlain(item, depth + 1, seen);
      if (plain !== undefined) out[key] = plain;
    }
    return out;
  } finally {
    seen.delete(object);
  }
}

/** What of a snapshot the inspector shows and a trace keeps: never its machine or live children. */
export interface PlainSnapshot {
  status: string;
  value?: Json;
  context?: Json;
  tags?: string[];
  /** The ids of the snapshot's children. */
  children?: string[];
  output?: Json;
  error?: Json;
}

interface SnapshotLike {
  status?: unknown;
  value?: unknown;
  context?: unknown;
  tags?: unknown;
  children?: Record<string, unknown> | unknown[];
  output?: unknown;
  error?: unknown;
}

export function plainSnapshot(snapshot: unknown): PlainSnapshot {
  const s = (snapshot ?? {}) as SnapshotLike;
  const out: PlainSnapshot = { status: typeof s.status === 'string' ? s.status : 'active' };
  if (s.value !== undefined) out.value = toPlain(s.value) ?? null;
  if (s.context !== undefined) out.context = toPlain(s.context) ?? null;
  // A plain snapshot (from a trace) already holds arrays here.
  if (s.tags instanceof Set || Array.isArray(s.tags)) out.tags = [...s.tags].map(String);
  if (Array.isArray(s.children)) out.children = s.children.map(String);
  else if (s.children && typeof s.children === 'object') out.children = Object.keys(s.children);
  if (s.output !== undefined) out.output = toPlain(s.output) ?? null;
  if (s.error !== undefined)
    out.error = toPlain(s.error instanceof Error ? String(s.error) : s.error) ?? null;
  return out;
}
