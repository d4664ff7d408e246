import { describe, expect, it } from 'vitest';
import type { AnyStateMachine } from 'xstate';
import { toDirectedGraph } from 'xstate/graph';
import {
  appMachine,
  connectionMachine,
  conversationMachine,
  friendsMachine,
  outboxMachine,
  selectionMachine,
  sendMachine,
} from '../../machines/index';
import { machineDefinition, readDefinition, sameDefinition } from '../../src/inspector/definition';
import { chartGraph, graphOf } from '../../src/inspector/graph';
import { type Box, layoutChart } from '../../src/inspector/layout';

const machines: AnyStateMachine[] = [
  appMachine,
  connectionMachine,
  friendsMachine,
  selectionMachine,
  conversationMachine,
  sendMachine,
  outboxMachine,
];

type Directed = ReturnType<typeof toDirectedGraph>;
const directedNodes = (g: Directed): Directed[] => [g, ...g.children.flatMap(directedNodes)];

interface StateNodeish {
  id: string;
  states: Record<string, StateNodeish>;
  always?: Array<{ target?: Array<{ id: string }> }>;
}
const stateNodes = (n: StateNodeish): StateNodeish[] => [n, ...Object.values(n.states).flatMap(stateNodes)];

/** `source -> target : event`, one per target; a targetless transition as xstate/graph draws it, a self-loop. */
function expectedTransitions(machine: AnyStateMachine): string[] {
  const directed = directedNodes(toDirectedGraph(machine)).flatMap((n) =>
    n.edges.map((e) => `${e.source.id} -> ${e.target.id} : ${e.transition.eventType}`),
  );
  // xstate/graph leaves out eventless transitions: take them from the state nodes themselves.
  const always = stateNodes(machine.root as unknown as StateNodeish).flatMap((n) =>
    (n.always ?? []).flatMap((t) => (t.target ?? [{ id: n.id }]).map((s) => `${n.id} -> ${s.id} : `)),
  );
  return [...directed, ...always].sort();
}

function drawnTransitions(machine: AnyStateMachine): string[] {
  return chartGraph(machine)
    .edges.flatMap((e) =>
      (e.targets.length ? e.targets : [e.source]).map((t) => `${e.source} -> ${t} : ${e.event}`),
    )
    .sort();
}

const inside = (child: Box, parent: Box) =>
  child.x >= parent.x - 0.5 &&
  child.y >= parent.y - 0.5 &&
  child.x + child.width <= parent.x + parent.width + 0.5 &&
  child.y + child.height <= parent.y + parent.height + 0.5;

describe.each(machines.map((m) => [m.id, m] as const))('the %s statechart', (_, machine) => {
  it('draws every state of the machine', () => {
    const expected = directedNodes(toDirectedGraph(machine))
      .map((n) => n.id)
      .sort();
    expect(
      chartGraph(machine)
        .nodes.map((n) => n.id)
        .sort(),
    ).toEqual(expected);
  });

  it('draws every transition of the machine, eventless ones included', () => {
    expect(drawnTransitions(machine)).toEqual(expectedTransitions(machine));
  });

  it('gives every transition a readable label: delays, invoke results and always by name', () => {
    for (const edge of chartGraph(machine).edges) {
      expect(edge.label).not.toMatch(/^xstate\./);
      if (edge.event === '') expect(edge.label).toMatch(/^always/);
      if (edge.event.startsWith('xstate.after.')) expect(edge.label).toMatch(/^after \S+/);
      if (edge.event.startsWith('xstate.done.actor.')) expect(edge.label).toMatch(/^done: /);
      if (edge.event.startsWith('xstate.error.actor.')) expect(edge.label).toMatch(/^error: /);
    }
  });

  it('lays out every state with a position and size inside its parent', async () => {
    const chart = await layoutChart(chartGraph(machine));
    const graph = chartGraph(machine);
    expect([...chart.nodes.keys()].sort()).toEqual(graph.nodes.map((n) => n.id).sort());
    for (const node of graph.nodes) {
      const box = chart.nodes.get(node.id);
      expect(box, node.id).toBeDefined();
      if (!box) continue;
      for (const n of [box.x, box.y, box.width, box.height]) expect(Number.isFinite(n)).toBe(true);
      expect(box.width).toBeGreaterThan(0);
      expect(box.height).toBeGreaterThan(0);
      const parent = node.parent === null ? chart : chart.nodes.get(node.parent);
      expect(parent, `${node.id}'s parent`).toBeDefined();
      if (parent) expect(inside(box, parent), `${node.id} inside ${node.parent ?? 'the chart'}`).toBe(true);
    }
  });

  it('routes an arrow for every transition with a target', async () => {
    const chart = await layoutChart(chartGraph(machine));
    const drawn = new Set(chart.edges.flatMap((a) => a.edges.map((e) => `${e.id}>${a.target}`)));
    for (const edge of chartGraph(machine).edges)
      for (const target of edge.targets) expect(drawn.has(`${edge.id}>${target}`), edge.label).toBe(true);
    for (const arrow of chart.edges) expect(arrow.points.length).toBeGreaterThanOrEqual(2);
  });

  it('draws the same chart from its definition written to JSON and read back, as a trace replays it', () => {
    const stored = JSON.parse(JSON.stringify(machineDefinition(machine)));
    const read = readDefinition(stored);
    expect(graphOf(read)).toEqual(chartGraph(machine));
    expect(sameDefinition(read, machineDefinition(machine))).toBe(true);
  });

  it('lays a machine out once', () => {
    expect(layoutChart(chartGraph(machine))).toBe(layoutChart(chartGraph(machine)));
  });
});
