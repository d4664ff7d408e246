import type { ChartSource } from './graph';
import { Sentence } from './Sentence';
import { Statechart } from './Statechart';
import type { TransitionSummary } from './trace';

export interface ChartSlotProps {
  /** Undefined when the actor runs no state machine (promises and callbacks have none). */
  chart: ChartSource | undefined;
  value: unknown;
  lastTransition: TransitionSummary | null;
}

/** The selected actor's statechart, or a sentence saying why it has none. */
export function ChartSlot({ chart, value, lastTransition }: ChartSlotProps) {
  if (!chart) return <p className="muted small-print">This actor is not a state machine: no chart.</p>;
  if ('error' in chart)
    return (
      <p role="alert" className="chart-error">
        <Sentence text={chart.error} />
      </p>
    );
  const rootId = chart.graph.nodes.find((node) => node.parent === null)?.id ?? '';
  return <Statechart key={rootId} graph={chart.graph} value={value} lastTransition={lastTransition} />;
}
