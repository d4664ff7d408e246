import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { AnyMachineSnapshot, StateValue } from 'xstate';
import { connectionMachine } from '../../machines/index';
import { chartGraph } from '../../src/inspector/graph';
import { Statechart } from '../../src/inspector/Statechart';

interface StateNodeish {
  id: string;
  path: string[];
  states: Record<string, StateNodeish>;
}
const stateNodes = (n: StateNodeish): StateNodeish[] => [n, ...Object.values(n.states).flatMap(stateNodes)];
const allStates = stateNodes(connectionMachine.root as unknown as StateNodeish);
const graph = chartGraph(connectionMachine);

/** `['online', 'transport', 'streaming']` as the state value `{ online: { transport: 'streaming' } }`. */
const stateValueAt = (path: string[]): StateValue =>
  path.length === 1 ? (path[0] as string) : { [path[0] as string]: stateValueAt(path.slice(1)) };

function snapshotIn(value: StateValue): AnyMachineSnapshot {
  return connectionMachine.resolveState({
    value,
    context: connectionMachine.getInitialSnapshot(
      // Context only: no actor runs here.
      {} as never,
      { token: null },
    ).context,
  }) as AnyMachineSnapshot;
}

async function chart() {
  const svg = await screen.findByRole('img', { name: 'Statechart' });
  await waitFor(() => expect(svg.querySelectorAll('g[data-state]').length).toBeGreaterThan(0));
  return svg;
}

describe('the statechart', () => {
  afterEach(cleanup);

  it('has a group for every state of the machine, named and described', async () => {
    render(<Statechart graph={graph} />);
    const svg = await chart();
    const groups = [...svg.querySelectorAll('g[data-state]')].map((g) => g.getAttribute('data-state'));
    expect(groups.sort()).toEqual(allStates.map((s) => s.id).sort());
    const checking = svg.querySelector('g[data-state="connection.checking"] > title');
    expect(checking?.textContent).toContain('Asking /api/status');
    expect(svg.querySelector('[aria-current="true"]')).toBeNull();
  });

  it('marks exactly the active states with aria-current="true"', async () => {
    const snapshot = snapshotIn({ online: { heartbeat: 'probing', transport: { streaming: 'open' } } });
    render(<Statechart graph={graph} value={snapshot.value} />);
    const svg = await chart();
    const marked = [...svg.querySelectorAll('g[aria-current="true"]')].map((g) =>
      g.getAttribute('data-state'),
    );
    const expected = allStates
      .filter((s) => s.path.length === 0 || snapshot.matches(stateValueAt(s.path)))
      .map((s) => s.id);
    expect(marked.sort()).toEqual(expected.sort());
    expect(expected).toContain('connection.online.transport.streaming.open');
    expect(expected).not.toContain('connection.offline');
  });

  it('follows the snapshot as it moves', async () => {
    const { rerender } = render(
      <Statechart graph={graph} value={snapshotIn({ offline: 'backingOff' }).value} />,
    );
    const svg = await chart();
    expect(
      svg.querySelector('g[data-state="connection.offline.backingOff"]')?.getAttribute('aria-current'),
    ).toBe('true');
    rerender(<Statechart graph={graph} value={snapshotIn('checking').value} />);
    await waitFor(() =>
      expect(svg.querySelector('g[data-state="connection.offline"]')?.hasAttribute('aria-current')).toBe(
        false,
      ),
    );
    expect(svg.querySelector('g[data-state="connection.checking"]')?.getAttribute('aria-current')).toBe(
      'true',
    );
  });

  it('highlights the transition just taken and labels every arrow', async () => {
    render(
      <Statechart
        graph={graph}
        value={snapshotIn({ offline: 'backingOff' }).value}
        lastTransition={{
          source: 'connection.checking',
          target: ['connection.offline'],
          event: 'xstate.error.actor.0.connection.checking',
        }}
      />,
    );
    const svg = await chart();
    const taken = [...svg.querySelectorAll('g.sc-edge.sc-taken')];
    expect(taken.map((g) => g.getAttribute('data-edge'))).toEqual(['connection.checking>connection.offline']);
    expect(taken[0]?.textContent).toContain('error: checkStatus');
    expect(svg.textContent).toContain('after retryTick');
    expect(svg.textContent).toContain('always [retryDue]');
    expect(svg.textContent).toContain('stream.batch');
  });

  it('zooms with the buttons and back to the fitted view', async () => {
    render(<Statechart graph={graph} />);
    const svg = await chart();
    const scale = () =>
      Number(/scale\(([\d.]+)\)/.exec(svg.querySelector(':scope > g')?.getAttribute('transform') ?? '')?.[1]);
    const fitted = scale();
    fireEvent.click(screen.getByRole('button', { name: 'Zoom in' }));
    expect(scale()).toBeCloseTo(fitted * 1.25);
    fireEvent.click(screen.getByRole('button', { name: 'Zoom out' }));
    fireEvent.click(screen.getByRole('button', { name: 'Zoom out' }));
    expect(scale()).toBeCloseTo(fitted / 1.25);
    fireEvent.click(screen.getByRole('button', { name: 'Fit' }));
    expect(scale()).toBeCloseTo(fitted);
  });

  it('pans with the arrow keys once focused', async () => {
    render(<Statechart graph={graph} />);
    const svg = await chart();
    const translate = () =>
      /translate\(([-\d.]+),([-\d.]+)\)/
        .exec(svg.querySelector(':scope > g')?.getAttribute('transform') ?? '')
        ?.slice(1)
        .map(Number);
    const [x, y] = translate() ?? [];
    svg.focus();
    expect(document.activeElement).toBe(svg);
    fireEvent.keyDown(svg, { key: 'ArrowLeft' });
    fireEvent.keyDown(svg, { key: 'ArrowUp' });
    expect(translate()).toEqual([(x ?? 0) + 40, (y ?? 0) + 40]);
  });
});
