/** Pan and zoom for the statechart, and which transitions the last step took: pure, so tested apart. */
import type { ChartEdge } from './graph';
import type { ChartLayout } from './layout';

export interface View {
  scale: number;
  x: number;
  y: number;
}

/** Below this, fitting the width would make the text unreadable: the chart is panned instead. */
const MIN_FIT_SCALE = 0.5;

export function fitView(chart: ChartLayout, width: number): View {
  const scale = Math.min(1.25, Math.max(MIN_FIT_SCALE, (width - 4) / chart.width));
  // Too wide even at the smallest readable scale: start at the top-left corner, centred otherwise.
  const x = Math.max(0, (width - chart.width * scale) / 2);
  return { scale, x, y: 4 };
}

export function zoomAt(view: View, factor: number, px: number, py: number): View {
  const scale = Math.min(4, Math.max(0.15, view.scale * factor));
  const k = scale / view.scale;
  return { scale, x: px - (px - view.x) * k, y: py - (py - view.y) * k };
}

/** The transitions the last step took: the same source state, event type and (if any) targets. */
export function takenEdges(
  chart: ChartLayout | null,
  last: { source: string; target: string[]; event: string } | null | undefined,
): Set<ChartEdge> {
  const taken = new Set<ChartEdge>();
  if (!chart || !last) return taken;
  const source = last.source.replace(/^#/, '');
  const targets = new Set(last.target.map((t) => t.replace(/^#/, '')));
  for (const edge of chart.graph.edges)
    if (
      edge.source === source &&
      edge.event === last.event &&
      (targets.size === 0 ? edge.targets.length === 0 : edge.targets.some((t) => targets.has(t)))
    )
      taken.add(edge);
  return taken;
}
