/**
 * The selected actor's statechart as an SVG: every state (nested boxes, the initial one marked by a dot),
 * every transition (arrows, and targetless ones listed inside their state), the active states outlined and
 * carrying `aria-current="true"`, the transition just taken in another colour. Zoom with the wheel or the
 * buttons, pan by dragging. The layout is elkjs's, computed once per chart (see layout.ts). It draws a
 * chart, not a machine: a replayed trace's charts are the machines it recorded, not this build's.
 */
import { type KeyboardEvent, type PointerEvent, useEffect, useId, useMemo, useRef, useState } from 'react';
import { fitView, takenEdges, type View, zoomAt } from './chartView';
import { activeStateIds, type ChartEdge, type ChartGraph } from './graph';
import { type ChartLayout, type EdgeLayout, LINE, laidOut, layoutChart } from './layout';
import './inspector.css';

export interface StatechartProps {
  /** The machine's chart: this build's (`chartGraph(machine)`) or one a trace recorded. */
  graph: ChartGraph;
  /** The state value whose states are marked active; none when undefined. */
  value?: unknown;
  lastTransition?: { source: string; target: string[]; event: string } | null;
}

/** The side panel's width when the container cannot be measured (jsdom, a hidden panel). */
const FALLBACK_WIDTH = 420;
const MAX_HEIGHT = 640;

export function Statechart({ graph, value, lastTransition = null }: StatechartProps) {
  // A chart laid out before (or on the server, after `layoutChart`) draws at once.
  const [layout, setLayout] = useState<{ graph: ChartGraph; chart: ChartLayout } | null>(() => {
    const chart = laidOut(graph);
    return chart ? { graph, chart } : null;
  });
  const [view, setView] = useState<View | null>(() => {
    const chart = laidOut(graph);
    return chart ? fitView(chart, FALLBACK_WIDTH) : null;
  });
  const [failure, setFailure] = useState<string | null>(null);
  const frame = useRef<HTMLDivElement>(null);
  const svg = useRef<SVGSVGElement>(null);
  const drag = useRef<{ x: number; y: number; view: View } | null>(null);
  const markerId = `sc-arrow-${useId().replace(/[^a-zA-Z0-9]/g, '')}`;

  useEffect(() => {
    let current = true;
    setFailure(null);
    layoutChart(graph).then(
      (chart) => {
        if (!current) return;
        setLayout({ graph, chart });
        setView(fitView(chart, frame.current?.clientWidth || FALLBACK_WIDTH));
      },
      (error: unknown) => {
        if (current) setFailure(error instanceof Error ? error.message : String(error));
      },
    );
    return () => {
      current = false;
    };
  }, [graph]);

  // React's wheel listener is passive; zooming must keep the page from scrolling.
  useEffect(() => {
    const element = svg.current;
    if (!element) return;
    const onWheel = (event: WheelEvent) => {
      event.preventDefault();
      const box = element.getBoundingClientRect();
      const factor = event.deltaY < 0 ? 1.15 : 1 / 1.15;
      setView((v) => v && zoomAt(v, factor, event.clientX - box.left, event.clientY - box.top));
    };
    element.addEventListener('wheel', onWheel, { passive: false });
    return () => element.removeEventListener('wheel', onWheel);
  });

  const chart = layout?.graph === graph ? layout.chart : null;
  const active = useMemo(
    () => (value === undefined ? new Set<string>() : activeStateIds(graph, value)),
    [graph, value],
  );
  const rootId = graph.nodes.find((node) => node.parent === null)?.id ?? '';
  const taken = useMemo(() => takenEdges(chart, lastTransition), [chart, lastTransition]);

  const height = chart && view ? Math.min(MAX_HEIGHT, Math.max(160, chart.height * view.scale + 8)) : 160;
  const zoomBy = (factor: number) =>
    setView((v) => v && zoomAt(v, factor, (frame.current?.clientWidth || FALLBACK_WIDTH) / 2, height / 2));

  const onPointerDown = (event: PointerEvent<SVGSVGElement>) => {
    if (!view || event.button !== 0) return;
    drag.current = { x: event.clientX, y: event.clientY, view };
    event.currentTarget.setPointerCapture?.(event.pointerId);
  };
  const onPointerMove = (event: PointerEvent<SVGSVGElement>) => {
    const start = drag.current;
    if (!start) return;
    setView({
      ...start.view,
      x: start.view.x + event.clientX - start.x,
      y: start.view.y + event.clientY - start.y,
    });
  };
  // The keyboard's way to pan and zoom, once the chart has focus.
  const onKeyDown = (event: KeyboardEvent<SVGSVGElement>) => {
    const step = 40;
    const moves: Record<string, [number, number]> = {
      ArrowLeft: [step, 0],
      ArrowRight: [-step, 0],
      ArrowUp: [0, step],
      ArrowDown: [0, -step],
    };
    const move = moves[event.key];
    if (move) setView((v) => v && { ...v, x: v.x + move[0], y: v.y + move[1] });
    else if (event.key === '+' || event.key === '=') zoomBy(1.25);
    else if (event.key === '-') zoomBy(1 / 1.25);
    else return;
    event.preventDefault();
  };
  const endDrag = () => {
    drag.current = null;
  };

  return (
    <div className="statechart" ref={frame}>
      <div className="statechart-tools">
        <button type="button" aria-label="Zoom in" onClick={() => zoomBy(1.25)}>
          +
        </button>
        <button type="button" aria-label="Zoom out" onClick={() => zoomBy(1 / 1.25)}>
          −
        </button>
        <button
          type="button"
          onClick={() => chart && setView(fitView(chart, frame.current?.clientWidth || FALLBACK_WIDTH))}
        >
          Fit
        </button>
        {chart ? null : (
          <span className="muted">{failure ? `Could not lay the chart out: ${failure}` : 'Laying out…'}</span>
        )}
      </div>
      <svg
        ref={svg}
        role="img"
        aria-label="Statechart"
        className="statechart-svg"
        width="100%"
        height={height}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={endDrag}
        onPointerCancel={endDrag}
        onKeyDown={onKeyDown}
        // biome-ignore lint/a11y/noNoninteractiveTabindex: the chart pans and zooms from the keyboard, so it takes focus
        tabIndex={0}
        aria-keyshortcuts="ArrowLeft ArrowRight ArrowUp ArrowDown + -"
      >
        <defs>
          <marker
            id={markerId}
            viewBox="0 0 10 10"
            refX="9"
            refY="5"
            markerWidth="8"
            markerHeight="8"
            markerUnits="userSpaceOnUse"
            orient="auto"
          >
            <path d="M0,0 L10,5 L0,10 z" className="sc-arrowhead" />
          </marker>
          <marker
            id={`${markerId}-taken`}
            viewBox="0 0 10 10"
            refX="9"
            refY="5"
            markerWidth="9"
            markerHeight="9"
            markerUnits="userSpaceOnUse"
            orient="auto"
          >
            <path d="M0,0 L10,5 L0,10 z" className="sc-arrowhead sc-taken" />
          </marker>
        </defs>
        {chart && view ? (
          <g transform={`translate(${view.x},${view.y}) scale(${view.scale})`}>
            <StateBox chart={chart} id={rootId} active={active} taken={taken} />
            {chart.initials.map((dot) => (
              <circle
                key={dot.parent}
                className="sc-initial"
                cx={dot.x + dot.width / 2}
                cy={dot.y + dot.height / 2}
                r={dot.width / 2}
              />
            ))}
            {chart.edges.map((arrow) => (
              <Arrow key={arrow.id} arrow={arrow} taken={taken} marker={markerId} />
            ))}
          </g>
        ) : null}
      </svg>
    </div>
  );
}

function StateBox(props: { chart: ChartLayout; id: string; active: Set<string>; taken: Set<ChartEdge> }) {
  const { chart, id, active, taken } = props;
  const box = chart.nodes.get(id);
  if (!box) return null;
  const { node } = box;
  const isActive = active.has(id);
  const children = chart.graph.nodes.filter((n) => n.parent === id);
  const isRegion = chart.nodes.get(node.parent ?? '')?.node.type === 'parallel';
  const classes = ['sc-state', `sc-${node.type}`, isRegion ? 'sc-region' : '', isActive ? 'sc-active' : '']
    .filter(Boolean)
    .join(' ');
  return (
    <g className={classes} data-state={id} aria-current={isActive ? 'true' : undefined}>
      <title>{node.description ? `${node.key}: ${node.description}` : node.key}</title>
      <rect x={box.x} y={box.y} width={box.width} height={box.height} rx={children.length ? 8 : 6} />
      {node.type === 'final' ? (
        <rect
          className="sc-final-inner"
          x={box.x + 3}
          y={box.y + 3}
          width={box.width - 6}
          height={box.height - 6}
          rx={4}
        />
      ) : null}
      <text className="sc-name" x={box.x + 10} y={box.y + 17}>
        {node.key}
        {node.type === 'parallel' ? <tspan className="sc-kind"> ∥</tspan> : null}
      </text>
      {box.internal.map((edge, i) => (
        <text
          key={edge.id}
          className={taken.has(edge) ? 'sc-internal sc-taken' : 'sc-internal'}
          x={box.x + 10}
          y={box.y + 24 + LINE * i + 11}
        >
          {edge.label}
        </text>
      ))}
      {children.map((child) => (
        <StateBox key={child.id} chart={chart} id={child.id} active={active} taken={taken} />
      ))}
    </g>
  );
}

function Arrow({ arrow, taken, marker }: { arrow: EdgeLayout; taken: Set<ChartEdge>; marker: string }) {
  const isTaken = arrow.edges.some((e) => taken.has(e));
  const d = arrow.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x},${p.y}`).join(' ');
  const label = arrow.label;
  return (
    <g className={isTaken ? 'sc-edge sc-taken' : 'sc-edge'} data-edge={arrow.id}>
      {arrow.edges.length ? (
        <title>{arrow.edges.map((e) => `${e.label}${e.reenter ? ' (re-enters)' : ''}`).join('\n')}</title>
      ) : null}
      <path d={d} markerEnd={`url(#${isTaken ? `${marker}-taken` : marker})`} />
      {label ? (
        <>
          <rect
            className="sc-label-bg"
            x={label.x}
            y={label.y}
            width={label.width}
            height={label.height}
            rx={3}
          />
          {label.lines.map((line, i) => (
            <text
              // Lines may repeat (the same event under two guards is still two lines).
              xmlSpace="preserve"
              // biome-ignore lint/suspicious/noArrayIndexKey: the lines never reorder
              key={i}
              className={taken.has(line.edge) ? 'sc-label sc-taken' : 'sc-label'}
              x={label.x + 2}
              y={label.y + LINE * i + 11}
            >
              {line.text}
            </text>
          ))}
        </>
      ) : null}
    </g>
  );
}
