/**
 * The inspector side panel: the actor tree, the selected actor's statechart and snapshot, the event log,
 * and trace export/import. Live, it reads the collector (re-rendering at most once a frame); with an
 * imported trace, it shows the system as it was at the stepped-to event.
 */
import { type KeyboardEvent, type PointerEvent, useCallback, useMemo, useState } from 'react';
import { ActorTree } from './ActorTree';
import { ChartSlot } from './ChartSlot';
import { type Collector, isMachine } from './collector';
import { useCollectorVersion } from './context';
import { EventLog } from './EventLog';
import { type ChartSource, chartGraph } from './graph';
import { rootOf, stateAt } from './replay';
import { Sentence } from './Sentence';
import { SnapshotView } from './SnapshotView';
import { type PlainSnapshot, plainSnapshot } from './serialize';
import { TraceControls } from './TraceControls';
import type { ActorInfo, ActorNode, InspectionRecord, Trace, TransitionSummary } from './trace';
import { type TraceCharts, traceCharts } from './traceCharts';

const MIN_WIDTH = 288;
const MAX_WIDTH = 900;

/** What the panel shows, live or replayed alike. */
interface View {
  tree: ActorNode[];
  records: InspectionRecord[];
  root: string | undefined;
  actor(key: string): ActorInfo | undefined;
  snapshot(key: string): { plain: PlainSnapshot | null; value: unknown };
  chart(key: string): ChartSource | undefined;
  lastTransition(key: string): TransitionSummary | null;
}

export function InspectorPanel({ id, collector }: { id?: string; collector: Collector }) {
  const version = useCollectorVersion(collector);
  const [trace, setTrace] = useState<Trace | null>(null);
  const [step, setStep] = useState(0);
  const [chosen, setChosen] = useState<string | undefined>(undefined);
  const [width, setWidth] = useState(420);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `version` is how the collector says it changed.
  const live = useMemo(() => liveView(collector), [collector, version]);
  const replayState = useMemo(() => (trace ? stateAt(trace, step) : null), [trace, step]);
  // Once per imported trace: its definitions checked, charted and compared with this build's.
  const charts = useMemo(() => (trace ? traceCharts(trace, collector.machines()) : null), [trace, collector]);
  const view = trace && replayState && charts ? replayView(trace, replayState, charts) : live;

  // The chosen actor while it is in the tree, else the root.
  const selected = chosen !== undefined && inTree(view.tree, chosen) ? chosen : view.root;
  const info = selected === undefined ? undefined : view.actor(selected);
  const nameOf = useCallback(
    (key: string) => {
      const actor = view.actor(key);
      return actor ? (actor.parent === undefined ? actor.machine : actor.id) : key;
    },
    [view],
  );
  const snapshot = selected === undefined ? { plain: null, value: undefined } : view.snapshot(selected);

  const importTrace = (next: Trace) => {
    setTrace(next);
    setStep(Math.max(0, next.events.length - 1));
    setChosen(undefined);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLElement>) => {
    if (!trace || (event.target as HTMLElement).closest('input, select, textarea, [role="tree"]')) return;
    const delta = { ArrowLeft: -1, ArrowRight: 1 }[event.key];
    if (delta === undefined) return;
    event.preventDefault();
    setStep((at) => Math.min(trace.events.length - 1, Math.max(0, at + delta)));
  };

  return (
    // Arrow keys step a replay from anywhere in the panel.
    <section id={id} className="inspector" aria-label="Inspector" style={{ width }} onKeyDown={onKeyDown}>
      <Resizer width={width} onResize={setWidth} />
      <h2>Inspector{trace ? ' (replay)' : ''}</h2>
      <TraceControls
        exportTrace={collector.exportTrace}
        onImport={importTrace}
        replay={
          trace
            ? { index: step, length: trace.events.length, onStep: setStep, onLeave: () => setTrace(null) }
            : undefined
        }
      />
      {charts && <ReplayNotes notes={charts.notes} />}
      <ActorTree nodes={view.tree} selected={selected} onSelect={setChosen} />
      <ChartSlot
        chart={selected === undefined ? undefined : view.chart(selected)}
        value={snapshot.value}
        lastTransition={selected === undefined ? null : view.lastTransition(selected)}
      />
      <SnapshotView name={selected === undefined ? undefined : nameOf(selected)} snapshot={snapshot.plain} />
      <h3>Events</h3>
      <EventLog
        records={view.records}
        nameOf={nameOf}
        {...(trace ? { current: step, onPick: setStep } : {})}
        key={trace ? 'replay' : 'live'}
      />
      {info === undefined && <p className="muted small-print">No actor is running.</p>}
    </section>
  );
}

function inTree(nodes: ActorNode[], key: string): boolean {
  return nodes.some((node) => node.actor.key === key || inTree(node.children, key));
}

function liveView(collector: Collector): View {
  const machineOf = (key: string) => {
    const logic = (collector.refOf(key) as { logic?: unknown } | undefined)?.logic;
    return isMachine(logic) ? logic : collector.machines().get(collector.actor(key)?.machine ?? '');
  };
  return {
    tree: collector.actorTree(),
    records: collector.events(),
    root: collector.rootKey(),
    actor: collector.actor,
    snapshot(key) {
      const raw = collector.snapshotOf(key);
      return raw === undefined
        ? { plain: null, value: undefined }
        : { plain: plainSnapshot(raw), value: (raw as { value?: unknown }).value };
    },
    chart(key) {
      const machine = machineOf(key);
      return machine && { graph: chartGraph(machine) };
    },
    lastTransition: collector.lastTransitionOf,
  };
}

/** A replay charts each actor with the machine definition the trace stored, not this build's machine. */
function replayView(trace: Trace, state: ReturnType<typeof stateAt>, charts: TraceCharts): View {
  return {
    tree: state.tree,
    records: trace.events as InspectionRecord[],
    root: rootOf(trace),
    actor: (key) => state.actors.get(key) ?? trace.actors.find((a) => a.key === key),
    snapshot(key) {
      const plain = state.snapshots.get(key) ?? null;
      return { plain, value: plain?.value };
    },
    chart(key) {
      const machine = (state.actors.get(key) ?? trace.actors.find((a) => a.key === key))?.machine;
      return machine === undefined
        ? undefined
        : charts.chart(machine, state.snapshots.get(key)?.value !== undefined);
    },
    lastTransition: (key) => state.lastTransitions.get(key) ?? null,
  };
}

/** What the charts of a replay are drawn from, and where the trace's machines differ from this build's. */
function ReplayNotes({ notes }: { notes: string[] }) {
  return (
    <div role="status" aria-label="Replay" className="replay-notes">
      {notes.length === 0 ? (
        <p className="muted small-print">
          Drawn from the machine definitions stored in the trace, which match this build's.
        </p>
      ) : (
        notes.map((note) => (
          <p key={note}>
            <Sentence text={note} />
          </p>
        ))
      )}
    </div>
  );
}

/** The panel's left edge: drag it, or focus it and use the arrow keys, to change the width. */
function Resizer({ width, onResize }: { width: number; onResize(width: number): void }) {
  const clamp = (w: number) => Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, Math.round(w)));
  const onPointerDown = (event: PointerEvent<HTMLDivElement>) => {
    const startX = event.clientX;
    const startWidth = width;
    const target = event.currentTarget;
    target.setPointerCapture?.(event.pointerId);
    const move = (e: globalThis.PointerEvent) => onResize(clamp(startWidth + startX - e.clientX));
    const up = () => {
      target.removeEventListener('pointermove', move);
      target.removeEventListener('pointerup', up);
    };
    target.addEventListener('pointermove', move);
    target.addEventListener('pointerup', up);
  };
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const delta = { ArrowLeft: 32, ArrowRight: -32 }[event.key];
    if (delta === undefined) return;
    event.preventDefault();
    event.stopPropagation();
    onResize(clamp(width + delta));
  };
  return (
    // biome-ignore lint/a11y/useSemanticElements: a focusable splitter is a separator; <hr> cannot be dragged.
    <div
      role="separator"
      aria-orientation="vertical"
      aria-label="Resize inspector"
      aria-valuenow={width}
      aria-valuemin={MIN_WIDTH}
      aria-valuemax={MAX_WIDTH}
      tabIndex={0}
      className="inspector-resizer"
      onPointerDown={onPointerDown}
      onKeyDown={onKeyDown}
    />
  );
}
