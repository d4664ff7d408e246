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

const isPlainObject = (value: object) => {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
};

/**
 * Secrets never leave through the inspector: a trace is a file people share, and the Snapshot and Events
 * views are on screen. The values of these keys (any depth) are shown as "[redacted]".
 */
const SECRET_KEYS = new Set(['password', 'token', 'authorization', 'secret']);
export const REDACTED = '[redacted]';

/** Past this many values one copy stops descending: a payload is for reading, not a heap dump. */
const BUDGET = 50_000;

/**
 * A plain-JSON copy of `value`: an actor ref becomes `{ "@actor": id }`; functions are left out; an
 * instance of a class (a machine, an Error, a Response) becomes its name and id or message, not its
 * insides, which would drag in whole machines and their parents.
 */
export function toPlain(value: unknown): Json | undefined {
  let budget = BUDGET;
  const seen = new WeakSet<object>();
  const copy = (item: unknown, depth: number): Json | undefined => {
    if (item === null) return null;
    switch (typeof item) {
      case 'string':
      case 'boolean':
        return item;
      case 'number':
        return Number.isFinite(item) ? item : null;
      case 'bigint':
        return item.toString();
      case 'object':
        break;
      default:
        return undefined; // functions, symbols, undefined
    }
    const object = item as object;
    if (isRef(object)) return { '@actor': object.id };
    if (object instanceof Date) return object.toISOString();
    if (object instanceof Error) return { '@error': object.name, message: object.message };
    if (--budget < 0 || seen.has(object) || depth > 40) return null;
    if (!Array.isArray(object) && !isPlainObject(object)) {
      if (object instanceof Map) return copy(Object.fromEntries(object), depth);
      if (object instanceof Set) return copy([...object], depth);
      const id = (object as { id?: unknown }).id;
      return { '@type': object.constructor?.name ?? 'object', ...(typeof id === 'string' ? { id } : {}) };
    }
    seen.add(object);
    try {
      if (Array.isArray(object)) return object.map((element) => copy(element, depth + 1) ?? null);
      const out: { [key: string]: Json } = {};
      for (const [key, element] of Object.entries(object)) {
        if (SECRET_KEYS.has(key.toLowerCase())) {
          out[key] = REDACTED;
          continue;
        }
        const plain = copy(element, depth + 1);
        if (plain !== undefined) out[key] = plain;
      }
      return out;
    } finally {
      seen.delete(object);
    }
  };
  return copy(value, 0);
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
  if (s.error !== undefined) out.error = toPlain(s.error) ?? null;
  return out;
}
