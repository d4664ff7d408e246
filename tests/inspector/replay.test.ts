import { describe, expect, it } from 'vitest';
import { createActor, SimulatedClock, setup, spawnChild } from 'xstate';
import { selectionMachine } from '../../machines/selectionMachine';
import { createCollector } from '../../src/inspector/collector';
import { parseTrace, rootOf, stateAt } from '../../src/inspector/replay';
import { advance } from '../machines/harness';

/** Runs the selection debounce for real, noting every state value the live actor showed. */
function liveRun() {
  const collector = createCollector({ schedule: () => {} });
  const clock = new SimulatedClock();
  const parent = setup({ actors: { selection: selectionMachine } }).createMachine({
    id: 'parent',
    invoke: { id: 'selection', src: 'selection' },
  });
  const actor = createActor(parent, { clock, inspect: collector.inspect }).start();
  const child = actor.getSnapshot().children.selection;
  if (!child) throw new Error('no selection actor');
  const live: unknown[] = [child.getSnapshot().value];
  child.subscribe((s) => live.push(s.value));
  child.send({ type: 'friend.select', username: 'bob' });
  advance(clock, 100);
  child.send({ type: 'friend.select', username: 'carol' });
  advance(clock, 300);
  child.send({ type: 'friend.select', username: 'dave' });
  advance(clock, 300);
  actor.stop();
  const trace = parseTrace(JSON.stringify(collector.exportTrace()));
  return { trace, live };
}

describe('replaying an exported trace', () => {
  it('shows the same sequence of state values, event by event, as the live run', () => {
    const { trace, live } = liveRun();
    const key = trace.actors.find((a) => a.id === 'selection')?.key ?? '';
    const replayed: unknown[] = [];
    for (let i = 0; i < trace.events.length; i++) {
      const snapshot = stateAt(trace, i).snapshots.get(key);
      if (
        snapshot &&
        snapshot.status === 'active' &&
        trace.events[i]?.actor === key &&
        trace.events[i]?.kind === 'snapshot'
      ) {
        replayed.push(snapshot.value);
      }
    }
    expect(live).toEqual(['idle', 'debouncing', 'debouncing', 'idle', 'debouncing', 'idle']);
    expect(replayed).toEqual(live);
  });

  it('says which actors were alive at each step, and what the context was then', () => {
    const { trace } = liveRun();
    const root = rootOf(trace);
    const key = trace.actors.find((a) => a.id === 'selection')?.key ?? '';
    const firstSettle = trace.events.findIndex((e) => e.type === 'selection.settled');
    const before = stateAt(trace, firstSettle - 1);
    expect(before.tree.map((n) => n.actor.key)).toEqual([root]);
    expect(before.tree[0]?.children.map((n) => n.actor.id)).toEqual(['selection']);
    // Bob was replaced by carol before he settled; carol is still waiting.
    expect(before.snapshots.get(key)?.value).toBe('debouncing');
    expect(before.snapshots.get(key)?.context).toEqual({ pending: 'carol', settled: null });
    const end = stateAt(trace, trace.events.length - 1);
    expect(end.tree).toEqual([]);
    expect(end.snapshots.get(key)?.context).toEqual({ pending: null, settled: 'dave' });
  });

  it('shows a child from the moment it starts, before its parent next records a snapshot', () => {
    const collector = createCollector({ schedule: () => {} });
    const kid = setup({}).createMachine({ id: 'kid', initial: 'on', states: { on: {} } });
    const parent = setup({ actors: { kid } }).createMachine({
      id: 'spawner',
      on: { go: { actions: spawnChild('kid', { id: 'kid' }) } },
    });
    const actor = createActor(parent, { inspect: collector.inspect }).start();
    actor.send({ type: 'go' });
    const trace = parseTrace(JSON.stringify(collector.exportTrace()));
    actor.stop();
    const key = trace.actors.find((a) => a.id === 'kid')?.key ?? '';
    const started = trace.events.findIndex((e) => e.actor === key && e.type === 'xstate.init');
    expect(started).toBeGreaterThan(0);
    for (let i = started; i < trace.events.length; i++) {
      expect(stateAt(trace, i).actors.get(key)?.status, `at event ${i}`).toBe('active');
    }
  });

  it('refuses a file that is not a trace, with a sentence', () => {
    expect(() => parseTrace('{')).toThrow('That file is not JSON.');
    expect(() => parseTrace('{"events":[]}')).toThrow('not a Parley inspector trace');
    expect(() => parseTrace('null')).toThrow('not a Parley inspector trace');
  });

  it('refuses a trace too damaged to replay, saying what is wrong, instead of failing later', () => {
    const { trace } = liveRun();
    const edited = (change: (t: Record<string, unknown> & { events: unknown[] }) => void) => {
      const copy = JSON.parse(JSON.stringify(trace));
      change(copy);
      return JSON.stringify(copy);
    };
    expect(() => parseTrace(edited((t) => (t.version = 3)))).toThrow(
      'That trace was written by a newer Parley inspector (format version 3); this one reads versions 1 to 2.',
    );
    expect(() => parseTrace(edited((t) => (t.events = [])))).toThrow('That trace holds no events.');
    expect(() => parseTrace(edited((t) => (t.events = {} as never)))).toThrow(
      'That trace is damaged: it has no list of events.',
    );
    expect(() => parseTrace(edited((t) => (t.events[1] = null)))).toThrow(
      'That trace is damaged: event 2 is not an object.',
    );
    expect(() => parseTrace(edited((t) => delete (t.events[0] as { actor?: string }).actor))).toThrow(
      'That trace is damaged: event 1 names no actor.',
    );
    expect(() => parseTrace(edited((t) => (t.actors = [{ key: 'a1' }])))).toThrow(
      'That trace is damaged: actor 1 has no id.',
    );
    expect(() => parseTrace(edited((t) => delete t.machines))).toThrow(
      'That trace is damaged: it has no machine definitions.',
    );
  });
});
