import { describe, expect, it } from 'vitest';
import { createActor, fromPromise, SimulatedClock, setup } from 'xstate';
import { selectionMachine } from '../../machines/selectionMachine';
import { createCollector } from '../../src/inspector/collector';
import { machineDefinition } from '../../src/inspector/definition';
import { valuesOf } from '../../src/inspector/replay';
import type { ActorNode } from '../../src/inspector/trace';
import { advance } from '../machines/harness';

/** A selection actor under a stand-in parent (it reports to its parent), recorded by a collector. */
function recordedSelection(limit = 5000) {
  const flushes: (() => void)[] = [];
  const collector = createCollector({ limit, schedule: (flush) => flushes.push(flush) });
  const clock = new SimulatedClock();
  const parent = setup({ actors: { selection: selectionMachine } }).createMachine({
    id: 'parent',
    invoke: { id: 'selection', src: 'selection', systemId: 'selection' },
  });
  const actor = createActor(parent, { clock, inspect: collector.inspect });
  return { collector, clock, actor, flushes };
}

const names = (nodes: ActorNode[]): unknown[] =>
  nodes.map((n) => [`${n.actor.id} (${n.actor.machine})`, names(n.children)]);

describe('the inspection collector', () => {
  it('keeps only the newest events past its bound, oldest dropped first', () => {
    const { collector, actor, clock } = recordedSelection(10);
    actor.start();
    const child = actor.getSnapshot().children.selection;
    for (const username of ['a', 'b', 'c', 'd', 'e', 'f']) child?.send({ type: 'friend.select', username });
    advance(clock, 300);
    const events = collector.events();
    expect(events).toHaveLength(10);
    const seqs = events.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(seqs[9]! - seqs[0]!).toBe(9);
    expect(seqs[0]).toBeGreaterThan(1);
    actor.stop();
  });

  it('nests live actors under their parent, by id and machine, and drops stopped ones', () => {
    const collector = createCollector({ schedule: () => {} });
    const parent = setup({
      actors: { selection: selectionMachine, work: fromPromise(() => new Promise<void>(() => {})) },
    }).createMachine({
      id: 'parent',
      initial: 'busy',
      states: {
        busy: {
          invoke: [
            { id: 'selection', src: 'selection' },
            { id: 'work', src: 'work' },
          ],
          on: { done: 'idle' },
        },
        idle: {},
      },
    });
    const actor = createActor(parent, { inspect: collector.inspect }).start();
    expect(names(collector.actorTree())).toEqual([
      [
        expect.stringMatching(/^x:\d+ \(parent\)$/),
        [
          ['selection (selection)', []],
          ['work (work)', []],
        ],
      ],
    ]);
    actor.send({ type: 'done' });
    expect(names(collector.actorTree())).toEqual([[expect.stringMatching(/^x:\d+ \(parent\)$/), []]]);
    actor.stop();
    expect(collector.actorTree()).toEqual([]);
  });

  it('tells listeners once per scheduled flush, and only while someone listens', () => {
    const { collector, actor, flushes } = recordedSelection();
    actor.start();
    expect(flushes).toHaveLength(0);
    let heard = 0;
    const stop = collector.subscribe(() => heard++);
    actor.getSnapshot().children.selection?.send({ type: 'friend.select', username: 'bob' });
    actor.getSnapshot().children.selection?.send({ type: 'friend.select', username: 'carol' });
    expect(flushes).toHaveLength(1);
    const before = collector.version();
    flushes.shift()?.();
    expect(heard).toBe(1);
    // What a render reads changes with the frame, not with each event.
    expect(collector.version()).toBeGreaterThan(before);
    stop();
    actor.getSnapshot().children.selection?.send({ type: 'friend.select', username: 'dave' });
    expect(flushes).toHaveLength(0);
    actor.stop();
  });

  it('exports plain JSON: actor refs as ids, no functions, with the machine definitions', () => {
    const { collector, actor, clock } = recordedSelection();
    actor.start();
    actor.getSnapshot().children.selection?.send({ type: 'friend.select', username: 'bob' });
    advance(clock, 300);
    const trace = collector.exportTrace();
    const text = JSON.stringify(trace);
    expect(JSON.parse(text)).toEqual(trace);
    expect(Object.keys(trace.machines).sort()).toEqual(['parent', 'selection']);
    // Each machine's drawable definition, eventless transitions and all (format 2).
    expect(trace.version).toBe(2);
    expect(trace.machines.selection).toEqual(machineDefinition(selectionMachine));
    expect(trace.actors.map((a) => a.id)).toEqual([expect.stringMatching(/^x:/), 'selection']);
    const settled = trace.events.find((e) => e.kind === 'event' && e.type === 'selection.settled');
    expect(settled?.event).toEqual({ type: 'selection.settled', peer: 'bob' });
    const selectionKey = trace.actors[1]?.key;
    expect(settled?.source).toBe(selectionKey);
    expect(collector.snapshotOf(selectionKey ?? '')).toBe(
      actor.getSnapshot().children.selection?.getSnapshot(),
    );
    expect(valuesOf(trace, selectionKey ?? '')).toEqual(['idle', 'debouncing', 'idle']);
    actor.stop();
  });
});
