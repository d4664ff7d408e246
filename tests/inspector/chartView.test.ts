import { describe, expect, it } from 'vitest';
import { connectionMachine } from '../../machines/index';
import { fitView, takenEdges, zoomAt } from '../../src/inspector/chartView';
import { chartGraph } from '../../src/inspector/graph';
import { layoutChart } from '../../src/inspector/layout';

describe('the statechart view', () => {
  it('fits a narrow chart to the panel width, and a wide one no smaller than readable', async () => {
    const chart = await layoutChart(chartGraph(connectionMachine));
    expect(fitView(chart, chart.width * 2 + 4).scale).toBeCloseTo(1.25);
    expect(fitView(chart, chart.width * 0.8 + 4).scale).toBeCloseTo(0.8);
    expect(fitView(chart, 100).scale).toBe(0.5);
  });

  it('zooms about the pointer: the point under it stays put', () => {
    const view = { scale: 1, x: 10, y: 20 };
    const zoomed = zoomAt(view, 2, 110, 120);
    const before = { x: (110 - view.x) / view.scale, y: (120 - view.y) / view.scale };
    expect((110 - zoomed.x) / zoomed.scale).toBeCloseTo(before.x);
    expect((120 - zoomed.y) / zoomed.scale).toBeCloseTo(before.y);
  });

  it('finds the transitions the last step took, guarded alternatives and targetless ones included', async () => {
    const chart = await layoutChart(chartGraph(connectionMachine));
    const opened = takenEdges(chart, {
      source: 'connection.online.transport.streaming',
      target: ['connection.online.transport.streaming.open'],
      event: 'stream.opened',
    });
    expect([...opened].map((e) => e.label).sort()).toEqual(['stream.opened', 'stream.opened [resumable]']);
    const batch = takenEdges(chart, {
      source: 'connection.online.transport.streaming',
      target: [],
      event: 'stream.batch',
    });
    expect([...batch].map((e) => e.label)).toEqual(['stream.batch']);
    const retried = takenEdges(chart, {
      source: 'connection.offline.backingOff',
      target: ['connection.checking'],
      event: '',
    });
    expect([...retried].map((e) => e.label)).toEqual(['always [retryDue]']);
    expect(takenEdges(chart, null).size).toBe(0);
  });
});
