/**
 * A machine as plain data: what a trace keeps of each machine, and what every chart is drawn from (live
 * ones too, so a recorded machine and a running one are drawn by the same code). `machine.toJSON()` is not
 * enough for that: it leaves out eventless (`always`) transitions, holds state nodes where ids belong, and
 * higher-order guards (`not(…)`, `and(…)`) are functions that vanish in JSON.
 */
import { type AnyStateMachine, and, not, or } from 'xstate';

export type StateType = 'atomic' | 'compound' | 'parallel' | 'final' | 'history';

const STATE_TYPES: ReadonlySet<string> = new Set(['atomic', 'compound', 'parallel', 'final', 'history']);

export type TransitionDefinition = {
  /** The event type as the machine knows it ('' for an eventless transition). */
  event: string;
  /** State node ids; absent for a targetless transition. */
  targets?: string[];
  guard?: string;
  reenter?: boolean;
  /** An `after` transition's delay: its name, or milliseconds. */
  delay?: string | number;
  actions?: string[];
  description?: string;
};

export type StateDefinition = {
  /** The state node's id (`connection.online.heartbeat`); the root's is the machine's id. */
  id: string;
  key: string;
  type: StateType;
  /** The ids the state enters first (a compound state's initial child). */
  initial?: string[];
  history?: 'shallow' | 'deep';
  description?: string;
  tags?: string[];
  entry?: string[];
  exit?: string[];
  /** What the state invokes: the invocation's id and the name of the logic it runs. */
  invoke?: Array<{ id: string; src: string }>;
  /** Every transition, in the machine's order of preference; eventless ones last. */
  transitions?: TransitionDefinition[];
  states?: Record<string, StateDefinition>;
};

/** The parts of xstate's StateNode read here (its public fields, typed loosely to stay version-tolerant). */
interface StateNodeLike {
  id: string;
  key: string;
  type: StateType;
  description?: string;
  history?: false | 'shallow' | 'deep';
  tags?: readonly string[];
  entry?: readonly unknown[];
  exit?: readonly unknown[];
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
  actions?: readonly unknown[];
  description?: string;
}

const cache = new WeakMap<AnyStateMachine, StateDefinition>();

/** The machine's definition; computed once per machine. */
export function machineDefinition(machine: AnyStateMachine): StateDefinition {
  let definition = cache.get(machine);
  if (!definition) {
    definition = stateDefinition(machine.root as unknown as StateNodeLike);
    cache.set(machine, definition);
  }
  return definition;
}

function stateDefinition(node: StateNodeLike): StateDefinition {
  const out: StateDefinition = { id: node.id, key: node.key, type: node.type };
  const initial = node.initial?.target.map((t) => t.id) ?? [];
  if (initial.length) out.initial = initial;
  if (node.history) out.history = node.history;
  if (node.description !== undefined) out.description = node.description;
  if (node.tags?.length) out.tags = [...node.tags];
  const entry = (node.entry ?? []).map(actionName);
  if (entry.length) out.entry = entry;
  const exit = (node.exit ?? []).map(actionName);
  if (exit.length) out.exit = exit;
  if (node.invoke.length)
    out.invoke = node.invoke.map((inv) => ({
      id: inv.id,
      src: typeof inv.src === 'string' ? inv.src : inv.id,
    }));
  const transitions = [...node.transitions.values()]
    .flat()
    .concat(node.always ?? [])
    .map(transitionDefinition);
  if (transitions.length) out.transitions = transitions;
  const keys = Object.keys(node.states);
  if (keys.length) {
    const states: Record<string, StateDefinition> = {};
    for (const key of keys) states[key] = stateDefinition(node.states[key] as StateNodeLike);
    out.states = states;
  }
  return out;
}

function transitionDefinition(t: TransitionLike): TransitionDefinition {
  const out: TransitionDefinition = { event: t.eventType };
  if (t.target?.length) out.targets = t.target.map((s) => s.id);
  const guard = guardName(t.guard);
  if (guard !== null) out.guard = guard;
  if (t.reenter) out.reenter = true;
  if (t.delay !== undefined) out.delay = t.delay;
  const actions = (t.actions ?? []).map(actionName);
  if (actions.length) out.actions = actions;
  if (typeof t.description === 'string') out.description = t.description;
  return out;
}

/** `storeMessages`, `xstate.assign` for a built-in action, a function's name, else `inline`. */
function actionName(action: unknown): string {
  if (typeof action === 'string') return action;
  const a = action as { type?: unknown; name?: unknown } | null;
  if (a && typeof a.type === 'string') return a.type;
  return typeof a?.name === 'string' && a.name !== '' ? a.name : 'inline';
}

/**
 * xstate's own check of each higher-order guard, to tell them apart by: not by the function's name, which a
 * minifier changes (the web build's `not(…)` is named `t`), so a trace from the browser and one from Node
 * would name the same guard differently.
 */
const checkOf = (guard: unknown) => (guard as { check?: unknown }).check;
const HIGHER_ORDER = new Map<unknown, (inner: (string | null)[]) => string>([
  [checkOf(not('a')), (inner) => `!${inner.join(', ')}`],
  [checkOf(and(['a', 'b'])), (inner) => inner.join(' && ')],
  [checkOf(or(['a', 'b'])), (inner) => inner.join(' || ')],
]);

/** `isOnline`, `!shouldPoll` for `not('shouldPoll')`, `in(list.loading)` for `stateIn`. */
export function guardName(guard: unknown): string | null {
  if (guard === undefined || guard === null) return null;
  if (typeof guard === 'string') return guard;
  // Higher-order guards are functions holding what they combine, checked by xstate's check for their kind.
  const g = guard as { type?: unknown; name?: string; guards?: unknown[]; stateValue?: unknown };
  const inner = (g.guards ?? []).map(guardName);
  const combine = typeof guard === 'function' && g.guards ? HIGHER_ORDER.get(checkOf(guard)) : undefined;
  if (combine) return combine(inner);
  if (typeof guard === 'function' && 'stateValue' in g)
    return `in(${typeof g.stateValue === 'string' ? g.stateValue : JSON.stringify(g.stateValue)})`;
  if (typeof g.type === 'string') return g.type;
  return g.name && g.name !== 'guard' ? g.name : 'guard';
}

/**
 * JSON with every object's keys sorted: two definitions are the same machine exactly when these are
 * equal (the order of states does not matter; the order of transitions, which is their priority, does).
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export const sameDefinition = (a: unknown, b: unknown) => canonicalJson(a) === canonicalJson(b);

/** Deeper than this is not a statechart but an attack on the stack. */
const MAX_DEPTH = 64;

/**
 * A definition read from a file, checked to be drawable: every field of the right type, every state id
 * once, every target and initial state one the definition holds. Throws a sentence saying what is wrong.
 */
export function readDefinition(data: unknown): StateDefinition {
  const ids = new Set<string>();
  const references: Reference[] = [];
  const root = readState(data, 'the root state', 0, ids, references);
  for (const { from, to, what } of references)
    if (!ids.has(to)) throw new Error(`state "${from}" ${what} "${to}", a state it does not define`);
  return root;
}

type Reference = { from: string; to: string; what: string };

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isStringArray = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === 'string');

function readState(
  data: unknown,
  where: string,
  depth: number,
  ids: Set<string>,
  references: Reference[],
): StateDefinition {
  if (depth > MAX_DEPTH) throw new Error(`its states nest deeper than ${MAX_DEPTH} levels`);
  if (!isRecord(data)) throw new Error(`${where} is not an object`);
  const { id, key, type } = data;
  if (typeof id !== 'string' || id === '') throw new Error(`${where} has no id`);
  if (typeof key !== 'string') throw new Error(`state "${id}" has no key`);
  if (typeof type !== 'string' || !STATE_TYPES.has(type)) throw new Error(`state "${id}" has no known type`);
  if (ids.has(id)) throw new Error(`two states have the id "${id}"`);
  ids.add(id);
  const out: StateDefinition = { id, key, type: type as StateType };
  const optional = <T>(field: string, check: (value: unknown) => value is T, expected: string) => {
    const value = data[field];
    if (value === undefined) return undefined;
    if (!check(value)) throw new Error(`state "${id}" has a ${field} that is not ${expected}`);
    return value;
  };
  const isString = (value: unknown): value is string => typeof value === 'string';
  const initial = optional('initial', isStringArray, 'a list of state ids');
  if (initial) {
    out.initial = initial;
    for (const to of initial) references.push({ from: id, to, what: 'starts in' });
  }
  const history = optional(
    'history',
    (value): value is 'shallow' | 'deep' => value === 'shallow' || value === 'deep',
    '"shallow" or "deep"',
  );
  if (history) out.history = history;
  const description = optional('description', isString, 'text');
  if (description !== undefined) out.description = description;
  for (const field of ['tags', 'entry', 'exit'] as const) {
    const list = optional(field, isStringArray, 'a list of names');
    if (list) out[field] = list;
  }
  const invoke = optional(
    'invoke',
    (value): value is Array<{ id: string; src: string }> =>
      Array.isArray(value) && value.every((inv) => isRecord(inv) && isString(inv.id) && isString(inv.src)),
    'a list of invocations with an id and a src',
  );
  if (invoke) out.invoke = invoke.map(({ id, src }) => ({ id, src }));
  const transitions = optional('transitions', Array.isArray, 'a list');
  if (transitions) out.transitions = transitions.map((t, i) => readTransition(t, id, i, references));
  const states = optional('states', isRecord, 'an object');
  if (states) {
    out.states = {};
    for (const [childKey, child] of Object.entries(states))
      out.states[childKey] = readState(child, `state "${id}.${childKey}"`, depth + 1, ids, references);
  }
  return out;
}

function readTransition(data: unknown, from: string, index: number, references: Reference[]) {
  const where = `transition ${index + 1} of state "${from}"`;
  if (!isRecord(data) || typeof data.event !== 'string') throw new Error(`${where} has no event type`);
  const out: TransitionDefinition = { event: data.event };
  const { targets, guard, reenter, delay, actions, description } = data;
  if (targets !== undefined) {
    if (!isStringArray(targets)) throw new Error(`${where} has targets that are not state ids`);
    out.targets = targets;
    for (const to of targets) references.push({ from, to, what: 'has a transition to' });
  }
  if (guard !== undefined) {
    if (typeof guard !== 'string') throw new Error(`${where} has a guard that is not a name`);
    out.guard = guard;
  }
  if (reenter !== undefined) {
    if (typeof reenter !== 'boolean') throw new Error(`${where} has a reenter that is not true or false`);
    out.reenter = reenter;
  }
  if (delay !== undefined) {
    if (typeof delay !== 'string' && (typeof delay !== 'number' || !Number.isFinite(delay)))
      throw new Error(`${where} has a delay that is neither a name nor milliseconds`);
    out.delay = delay;
  }
  if (actions !== undefined) {
    if (!isStringArray(actions)) throw new Error(`${where} has actions that are not names`);
    out.actions = actions;
  }
  if (description !== undefined) {
    if (typeof description !== 'string') throw new Error(`${where} has a description that is not text`);
    out.description = description;
  }
  return out;
}
