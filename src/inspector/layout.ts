/**
 * Where everything of a statechart goes: elkjs's layered algorithm over the whole hierarchy at once
 * (`INCLUDE_CHILDREN`, so transitions may cross state boundaries), compound states holding their children,
 * a parallel state's regions side by side. Computed once per chart: a machine's chart never changes.
 * Coordinates are absolute (from the chart's top-left corner), so drawing needs no sums.
 */
import ELK from 'elkjs/lib/elk.bundled.js';
import type { ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api';
import type { ChartEdge, ChartGraph, ChartNode } from './graph';

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface NodeLayout extends Box {
  node: ChartNode;
  /** Targetless transitions, listed inside the state under its name. */
  internal: ChartEdge[];
  /** Height of the name and internal lines: a compound state's children start below it. */
  header: number;
}

/**
 * One arrow: every transition from one state to one target, so a chart with guarded alternatives stays
 * narrow; the label has a line per transition.
 */
export interface EdgeLayout {
  id: string;
  /** Empty for the arrow from an initial marker. */
  edges: ChartEdge[];
  source: string;
  target: string;
  points: Array<{ x: number; y: number }>;
  label: (Box & { lines: LabelLine[] }) | null;
}

export interface LabelLine {
  text: string;
  edge: ChartEdge;
}

/** Long labels put the guard on a line of its own: the chart grows taller, not wider. */
const WRAP_AT = 24;
function labelLines(edges: ChartEdge[]): LabelLine[] {
  return edges.flatMap((edge) => {
    if (!edge.guard || edge.label.length <= WRAP_AT) return [{ text: edge.label, edge }];
    const head = edge.label.slice(0, edge.label.length - edge.guard.length - 3);
    return [
      { text: head, edge },
      { text: `  [${edge.guard}]`, edge },
    ];
  });
}

export interface ChartLayout extends Box {
  graph: ChartGraph;
  nodes: Map<string, NodeLayout>;
  edges: EdgeLayout[];
  /** The initial-state markers: a dot per compound state, with its arrow in `edges`. */
  initials: Array<Box & { parent: string }>;
}

/** Text metrics without a DOM: the chart's fonts average about this wide per character. */
export const NAME_FONT = 13;
export const LABEL_FONT = 11;
const charWidth = (font: number) => font * 0.6;
export const LINE = 15;
const NAME_LINE = 24;
const PAD = 10;
const INITIAL_SIZE = 10;
export const initialMarkerId = (parent: string) => `${parent}::initial`;

/**
 * Read per nested graph in a hierarchical layout, so every compound state carries them. SIMPLE placement
 * gives the narrowest charts (about half the width of the default for the send machine): they must fit a
 * side panel.
 */
const PER_GRAPH = { 'elk.layered.nodePlacement.strategy': 'SIMPLE' };

const elk = new ELK();
const cache = new WeakMap<ChartGraph, Promise<ChartLayout>>();
const done = new WeakMap<ChartGraph, ChartLayout>();

/** The chart laid out; once per graph (`chartGraph` gives one graph per machine). */
export function layoutChart(graph: ChartGraph): Promise<ChartLayout> {
  let layout = cache.get(graph);
  if (!layout) {
    layout = computeLayout(graph).then((chart) => {
      done.set(graph, chart);
      return chart;
    });
    cache.set(graph, layout);
  }
  return layout;
}

/** The layout if it is already computed, for drawing without waiting a tick. */
export function laidOut(graph: ChartGraph): ChartLayout | undefined {
  return done.get(graph);
}

export function textWidth(text: string, font: number): number {
  return Math.ceil(text.length * charWidth(font));
}

async function computeLayout(graph: ChartGraph): Promise<ChartLayout> {
  const internal = new Map<string, ChartEdge[]>();
  for (const edge of graph.edges)
    if (edge.targets.length === 0) internal.set(edge.source, [...(internal.get(edge.source) ?? []), edge]);
  const childrenOf = new Map<string | null, ChartNode[]>();
  for (const node of graph.nodes) childrenOf.set(node.parent, [...(childrenOf.get(node.parent) ?? []), node]);
  const headerOf = (node: ChartNode) => NAME_LINE + LINE * (internal.get(node.id)?.length ?? 0);

  const toElk = (node: ChartNode): ElkNode => {
    const kids = childrenOf.get(node.id) ?? [];
    const lines = internal.get(node.id) ?? [];
    const textWide = Math.max(
      textWidth(node.key, NAME_FONT) + (node.type === 'parallel' ? 24 : 0),
      ...lines.map((e) => textWidth(e.label, LABEL_FONT)),
    );
    if (kids.length === 0)
      return { id: node.id, width: textWide + 2 * PAD, height: headerOf(node) + (lines.length ? 6 : 0) };
    const children = kids.map(toElk);
    // A parallel state's regions are entered together: no initial marker.
    if (node.type !== 'parallel' && kids.some((k) => k.initial))
      children.unshift({ id: initialMarkerId(node.id), width: INITIAL_SIZE, height: INITIAL_SIZE });
    return {
      id: node.id,
      children,
      layoutOptions: {
        'elk.padding': `[top=${headerOf(node) + 8},left=${PAD},bottom=${PAD},right=${PAD}]`,
        'elk.nodeSize.constraints': 'MINIMUM_SIZE',
        'elk.nodeSize.minimum': `(${textWide + 2 * PAD},${headerOf(node) + 20})`,
        ...PER_GRAPH,
      },
    };
  };

  const arrows = new Map<string, { source: string; target: string; edges: ChartEdge[] }>();
  for (const edge of graph.edges)
    for (const target of edge.targets) {
      const id = `${edge.source}>${target}`;
      const arrow = arrows.get(id) ?? { source: edge.source, target, edges: [] };
      arrow.edges.push(edge);
      arrows.set(id, arrow);
    }
  const elkEdges: ElkExtendedEdge[] = [...arrows].map(([id, arrow]) => {
    const lines = labelLines(arrow.edges);
    return {
      id,
      sources: [arrow.source],
      targets: [arrow.target],
      labels: [
        {
          text: lines.map((l) => l.text).join('\n'),
          width: Math.max(...lines.map((l) => textWidth(l.text, LABEL_FONT))) + 4,
          height: LINE * lines.length,
        },
      ],
    };
  });
  for (const node of graph.nodes)
    if (node.initial && graph.nodes.find((p) => p.id === node.parent)?.type !== 'parallel' && node.parent)
      elkEdges.push({
        id: `${initialMarkerId(node.parent)}>${node.id}`,
        sources: [initialMarkerId(node.parent)],
        targets: [node.id],
      });

  const roots = childrenOf.get(null) ?? [];
  const chart: ElkNode = {
    id: '::chart',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'DOWN',
      'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
      'elk.edgeRouting': 'ORTHOGONAL',
      'elk.layered.spacing.nodeNodeBetweenLayers': '28',
      'elk.spacing.nodeNode': '18',
      'elk.spacing.edgeLabel': '3',
      'elk.spacing.edgeNode': '12',
      'elk.edgeLabels.placement': 'CENTER',
      'elk.json.shapeCoords': 'ROOT',
      'elk.json.edgeCoords': 'ROOT',
      'elk.padding': '[top=8,left=8,bottom=8,right=8]',
      ...PER_GRAPH,
    },
    children: roots.map(toElk),
    edges: elkEdges,
  };
  const result = await elk.layout(chart);

  const nodes = new Map<string, NodeLayout>();
  const initials: ChartLayout['initials'] = [];
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const collect = (elkNode: ElkNode) => {
    const box = {
      x: elkNode.x ?? 0,
      y: elkNode.y ?? 0,
      width: elkNode.width ?? 0,
      height: elkNode.height ?? 0,
    };
    const node = byId.get(elkNode.id);
    if (node)
      nodes.set(node.id, { ...box, node, internal: internal.get(node.id) ?? [], header: headerOf(node) });
    else if (elkNode.id.endsWith('::initial')) initials.push({ ...box, parent: elkNode.id.slice(0, -9) });
    for (const child of elkNode.children ?? []) collect(child);
  };
  for (const child of result.children ?? []) collect(child);

  const edges: EdgeLayout[] = [];
  for (const e of gatherEdges(result)) {
    const section = e.sections?.[0];
    if (!section) continue;
    const arrow = arrows.get(e.id);
    const label = e.labels?.[0];
    edges.push({
      id: e.id,
      edges: arrow?.edges ?? [],
      source: e.sources[0] ?? '',
      target: e.targets[0] ?? '',
      points: [section.startPoint, ...(section.bendPoints ?? []), section.endPoint],
      label:
        label && arrow
          ? {
              x: label.x ?? 0,
              y: label.y ?? 0,
              width: label.width ?? 0,
              height: label.height ?? 0,
              lines: labelLines(arrow.edges),
            }
          : null,
    });
  }
  return { x: 0, y: 0, width: result.width ?? 0, height: result.height ?? 0, graph, nodes, edges, initials };
}

/** ELK may move an edge into the container it belongs in; gather them from everywhere. */
function gatherEdges(node: ElkNode): ElkExtendedEdge[] {
  return [...(node.edges ?? []), ...(node.children ?? []).flatMap(gatherEdges)];
}
