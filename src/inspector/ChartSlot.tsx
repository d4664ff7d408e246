import type { AnyMachineSnapshot, AnyStateMachine } from 'xstate';
import { Statechart } from './Statechart';
import type { TransitionSummary } from './trace';

export interface ChartSlotProps {
  machine: AnyStateMachine | undefined;
  snapshot: AnyMachineSnapshot | null;
  lastTransition: TransitionSummary | null;
}

/** The selected actor's statechart, when it runs a state machine (promises and callbacks have none). */
export function ChartSlot({ machine, snapshot, lastTransition }: ChartSlotProps) {
  if (!machine) return <p className="muted small-print">This actor is not a state machine: no chart.</p>;
  return (
    <Statechart key={machine.id} machine={machine} snapshot={snapshot} lastTransition={lastTransition} />
  );
}
