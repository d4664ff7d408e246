/** bench:clients's table and the lines under it. */
import { int, kb, markdownTable, ms } from '../shared/format';
import { GOAL_HEAP_KB, GOAL_P99_MS } from './settings';
import type { SizeResult } from './size';

export function table(results: SizeResult[]): string {
  const header = ['Clients', 'Setup', 'Heap/client', 'p50', 'p99', 'Max', 'Shown', 'Goal', 'Result'];
  const cells = results.map((r) => [
    int(r.clients),
    `${(r.setupMs / 1000).toFixed(1)} s`,
    kb(r.heapPerClient),
    ms(r.p50),
    ms(r.p99),
    ms(r.max),
    `${r.shown}/${r.sent}`,
    `≤ ${GOAL_HEAP_KB} KB, p99 ≤ ${GOAL_P99_MS} ms`,
    r.heapPass && r.latencyPass
      ? 'PASS'
      : `FAIL (${[r.heapPass ? '' : 'heap', r.latencyPass ? '' : 'latency'].filter(Boolean).join(', ')})`,
  ]);
  return markdownTable(header, cells);
}

/** A size's other figures: rounds, memory outside the heap, event loop, GC, CPU. */
export const details = (r: SizeResult) =>
  `${int(r.clients)} clients: p99 by round ${r.rounds.map((x) => ms(x.p99)).join(', ')}, pooled ${ms(r.pooledP99)}; ` +
  `external ${kb(r.externalPerClient)}/client, RSS ${kb(r.rssPerClient)}/client; ` +
  `mean ${ms(r.mean)}, missing ${r.missing}; event-loop delay p99 ${ms(r.eventLoopDelayP99Ms)}, max ${ms(r.eventLoopDelayMaxMs)}; ` +
  `GC ${r.gcCount}× ${ms(r.gcTotalMs)} (longest ${ms(r.gcMaxMs)}); ` +
  `CPU idle: clients ${(r.idleCpuShare * 100).toFixed(0)} % of a core; during sends: clients ${int(r.clientCpuMs)} ms, server ${r.serverCpuMs === null ? '—' : int(r.serverCpuMs)} ms over ${int(r.durationMs)} ms` +
  `${r.cpuPressure === null ? '' : `; CPU pressure at the end (PSI some avg10) ${r.cpuPressure.toFixed(0)} %`}.`;

/** With BENCH_BREAKDOWN=1, where a size's time went; null without. */
export function whereTimeGoes(r: SizeResult): string | null {
  if (!r.breakdown) return null;
  const parts = Object.entries(r.breakdown).map(
    ([name, b]) => `${name} p50 ${ms(b.p50)} / p99 ${ms(b.p99)} / max ${ms(b.max)}`,
  );
  return `${int(r.clients)} clients, where the time goes: ${parts.join('; ')}.`;
}
