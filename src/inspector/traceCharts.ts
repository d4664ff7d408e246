/**
 * What a replayed actor's chart is drawn from: the definition the trace stored for its machine, never
 * this build's machine (which may have changed since the trace was recorded). And, for the panel, what
 * a person should know about that: which of the trace's machines differ from this build's, which cannot
 * be drawn, or that an older trace stored nothing drawable.
 */
import type { AnyStateMachine } from 'xstate';
import { machineDefinition, readDefinition, sameDefinition } from './definition';
import { type ChartSource, chartGraph, graphOf } from './graph';
import type { Trace } from './trace';

export interface TraceCharts {
  /**
   * The chart of machine `machine` as the trace recorded it. Undefined for an actor that is no state
   * machine (a promise, a callback: no definition and no state value).
   */
  chart(machine: string, hasStateValue: boolean): ChartSource | undefined;
  /** Sentences for the panel, machine names in backticks; none when the trace matches this build. */
  notes: string[];
}

export const LEGACY_NOTE =
  "This trace was recorded by an older inspector that stored no drawable machine definitions: its charts are drawn with this build's machines, which may differ from the ones that ran.";

/** `build` is this build's machines by id (the collector's `machines()`). */
export function traceCharts(trace: Trace, build: ReadonlyMap<string, AnyStateMachine>): TraceCharts {
  if (trace.version === 1) {
    return {
      chart(machine) {
        const ours = build.get(machine);
        return ours && { graph: chartGraph(ours) };
      },
      notes: [LEGACY_NOTE],
    };
  }
  const charts = new Map<string, ChartSource>();
  const notes: string[] = [];
  for (const [id, data] of Object.entries(trace.machines)) {
    try {
      const definition = readDefinition(data);
      charts.set(id, { graph: graphOf(definition) });
      const ours = build.get(id);
      if (!ours) notes.push(`This build has no \`${id}\` machine; the trace's is drawn as recorded.`);
      else if (!sameDefinition(definition, machineDefinition(ours)))
        notes.push(
          `This trace was recorded with a different version of the \`${id}\` machine; it is drawn as recorded.`,
        );
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const sentence = `The trace's definition of the \`${id}\` machine cannot be drawn: ${reason}.`;
      charts.set(id, { error: sentence });
      notes.push(sentence);
    }
  }
  return {
    chart(machine, hasStateValue) {
      const chart = charts.get(machine);
      if (chart || !hasStateValue) return chart;
      return {
        error: `The trace holds no definition of the \`${machine}\` machine, so its chart cannot be drawn.`,
      };
    },
    notes,
  };
}
