import { describe, expect, it } from 'vitest';
import { type AnyStateMachine, assign, createActor, fromPromise, SimulatedClock, setup } from 'xstate';
import { selectionMachine } from '../../machines/selectionMachine';
import { createCollector } from '../../src/inspector/collector';
import { activeStateIds, type ChartGraph, type ChartSource, chartGraph } from '../../src/inspector/graph';
import { parseTrace, stateAt } from '../../src/inspector/replay';
import type { Trace } from '../../src/inspector/trace';
import { LEGACY_NOTE, traceCharts } from '../../src/inspector/traceCharts';
import { advance } from '../machines/harness';

/** The selection debounce as another build had it: the same id, and a `paused` state this build lacks. */
const otherBuildsSelection = setup({
  types: {
    context: {} as { pending: string | null },
    events: {} as { type: 'friend.select'; username: string } | { type: 'selection.pause' },
  },
  delays: { selectionDebounce: 300 },
}).createMachine({
  id: 'selection',
  context: { pending: null },
  initial: 'idle',
  on: {
    'friend.select': {
      target: '.debouncing',
      reenter: true,
      actions: assign({ pending: ({ event }) => event.username }),
    },
  },
  states: {
    idle: {},
    debouncing: {
      after: { selectionDebounce: 'idle' },
      on: { 'selection.pause': 'paused' },
    },
    paused: { description: 'Held until the next choice (only in the other build).' },
  },
});

/** A parent over a selection machine: the same definition whichever selection it is given. */
const parentOf = (selection: AnyStateMachine) =>
  setup({ actors: { selection, work: fromPromise(() => new Promise<void>(() => {})) } }).createMachine({
    id: 'parent',
    invoke: [
      { id: 'selection', src: 'selection' },
      { id: 'work', src: 'work' },
    ],
  });

/** This build's machines by id, as the collector of a running app knows them. */
const thisBuild = new Map<string, AnyStateMachine>([
  ['parent', parentOf(selectionMachine)],
  ['selection', selectionMachine],
]);

/** Runs `selection` under a parent, chooses bob, then pauses (when the machine knows how); the trace. */
function recordedWith(selection: AnyStateMachine): Trace {
  const collector = createCollector({ schedule: () => {} });
  const clock = new SimulatedClock();
  const actor = createActor(parentOf(selection), { clock, inspect: collector.inspect }).start();
  const child = actor.getSnapshot().children.selection;
  child?.send({ type: 'friend.select', username: 'bob' });
  advance(clock, 100);
  child?.send({ type: 'selection.pause' });
  const trace = collector.exportTrace();
  actor.stop();
  return parseTrace(JSON.stringify(trace));
}

const keyOf = (trace: Trace, id: string) => trace.actors.find((a) => a.id === id)?.key ?? '';
const lastValueOf = (trace: Trace, id: string) =>
  stateAt(trace, trace.events.length - 1).snapshots.get(keyOf(trace, id))?.value;

function graphOf(source: ChartSource | undefined): ChartGraph {
  if (!source || !('graph' in source)) throw new Error(`no chart: ${JSON.stringify(source)}`);
  return source.graph;
}

describe("a replayed trace's charts", () => {
  it('draws a state only the recording build had, and marks it active when the trace was in it', () => {
    const trace = recordedWith(otherBuildsSelection);
    expect(lastValueOf(trace, 'selection')).toBe('paused');
    expect(chartGraph(selectionMachine).nodes.map((n) => n.id)).not.toContain('selection.paused');

    const graph = graphOf(traceCharts(trace, thisBuild).chart('selection', true));
    const paused = graph.nodes.find((n) => n.id === 'selection.paused');
    expect(paused).toMatchObject({ parent: 'selection', description: expect.stringMatching(/other build/) });
    expect(graph.edges.map((e) => `${e.source} -> ${e.targets.join()} : ${e.label}`)).toContain(
      'selection.debouncing -> selection.paused : selection.pause',
    );
    expect([...activeStateIds(graph, lastValueOf(trace, 'selection'))].sort()).toEqual([
      'selection',
      'selection.paused',
    ]);
  });

  it('says nothing is different when the trace was recorded with this build', () => {
    const trace = recordedWith(selectionMachine);
    const charts = traceCharts(trace, thisBuild);
    expect(charts.notes).toEqual([]);
    expect(graphOf(charts.chart('selection', true))).toEqual(chartGraph(selectionMachine));
  });

  it("says which machine differs from this build's, and only that one", () => {
    const charts = traceCharts(recordedWith(otherBuildsSelection), thisBuild);
    expect(charts.notes).toEqual([
      'This trace was recorded with a different version of the `selection` machine; it is drawn as recorded.',
    ]);
  });

  it('draws a machine this build does not have at all, and says so', () => {
    const charts = traceCharts(
      recordedWith(selectionMachine),
      new Map([['parent', parentOf(selectionMachine)]]),
    );
    expect(charts.notes).toEqual([
      "This build has no `selection` machine; the trace's is drawn as recorded.",
    ]);
    expect(graphOf(charts.chart('selection', true)).nodes.map((n) => n.id)).toContain('selection.debouncing');
  });

  it('gives a sentence instead of a chart when a stored definition cannot be drawn', () => {
    const trace = recordedWith(selectionMachine);
    const selection = trace.machines.selection as { states: { debouncing: { transitions: unknown[] } } };
    selection.states.debouncing.transitions = [{ event: 'friend.select', targets: ['selection.nowhere'] }];
    trace.machines.parent = { id: 'parent', key: 'parent', type: 'strange' };
    const charts = traceCharts(trace, thisBuild);
    const nowhere =
      'The trace\'s definition of the `selection` machine cannot be drawn: state "selection.debouncing" has a transition to "selection.nowhere", a state it does not define.';
    expect(charts.chart('selection', true)).toEqual({ error: nowhere });
    expect(charts.chart('parent', true)).toEqual({
      error:
        'The trace\'s definition of the `parent` machine cannot be drawn: state "parent" has no known type.',
    });
    expect(charts.notes).toEqual([expect.stringContaining('`parent` machine cannot be drawn'), nowhere]);
  });

  it('has no chart for an actor that is no machine, and says so for a machine the trace left out', () => {
    const trace = recordedWith(selectionMachine);
    delete trace.machines.selection;
    const charts = traceCharts(trace, thisBuild);
    expect(charts.chart('work', false)).toBeUndefined();
    expect(charts.chart('selection', true)).toEqual({
      error: 'The trace holds no definition of the `selection` machine, so its chart cannot be drawn.',
    });
  });

  it("draws an older trace, which stored no drawable definitions, with this build's machines and says so", () => {
    const trace = recordedWith(selectionMachine);
    const legacy = parseTrace(
      JSON.stringify({ ...trace, version: 1, machines: { selection: { id: 'selection', initial: {} } } }),
    );
    const charts = traceCharts(legacy, thisBuild);
    expect(charts.notes).toEqual([LEGACY_NOTE]);
    expect(graphOf(charts.chart('selection', true))).toBe(chartGraph(selectionMachine));
  });
});
