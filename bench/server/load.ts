/** Load from autocannon, one round at a time, with what the server and this process spent on it. */
import { performance } from 'node:perf_hooks';
import autocannon, { type Options as CannonOptions, type Result as CannonResult } from 'autocannon';
import { cpuMsOf, cpuPressure } from '../shared/machine';
import { CONNECTIONS } from './settings';

export interface RoundFigures {
  rps: number;
  requests: number;
  statusCodes: Record<string, number>;
  errors: number;
  timeouts: number;
  /** CPU used during the round, as a share of one core. */
  serverCpu: number | null;
  /** Server CPU time per answered request, in µs: less sensitive than req/s to other load on the machine. */
  serverCpuUsPerRequest: number | null;
  loadGeneratorCpu: number;
  latencyP99Ms: number;
  /** CPU pressure (PSI some, avg10) at the end of the round: how much other load competed with it. */
  cpuPressure: number | null;
}

/** One round of load (CONNECTIONS connections, pipelining 1 unless `options` says otherwise). */
export async function cannon(options: CannonOptions, serverPid: number | undefined): Promise<RoundFigures> {
  const cpuBefore = process.cpuUsage();
  const serverBefore = cpuMsOf(serverPid);
  const started = performance.now();
  const result: CannonResult = await autocannon({ connections: CONNECTIONS, pipelining: 1, ...options });
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const serverAfter = cpuMsOf(serverPid);
  const statusCodes: Record<string, number> = {};
  for (const [code, { count }] of Object.entries(result.statusCodeStats)) statusCodes[code] = Number(count);
  return {
    rps: result.requests.total / result.duration,
    requests: result.requests.total,
    statusCodes,
    errors: result.errors,
    timeouts: result.timeouts,
    serverCpu: serverBefore !== null && serverAfter !== null ? (serverAfter - serverBefore) / wallMs : null,
    serverCpuUsPerRequest:
      serverBefore !== null && serverAfter !== null && result.requests.total > 0
        ? ((serverAfter - serverBefore) * 1000) / result.requests.total
        : null,
    loadGeneratorCpu: (cpu.user + cpu.system) / 1000 / wallMs,
    latencyP99Ms: result.latency.p99,
    cpuPressure: cpuPressure('avg10'),
  };
}

export const pressures = (rounds: RoundFigures[]) =>
  rounds.map((r) => (r.cpuPressure === null ? '?' : r.cpuPressure.toFixed(0))).join(', ');

/** Every answer had `status`, and no connection failed. */
export function onlyStatus(rounds: RoundFigures[], status: number): boolean {
  return rounds.every(
    (r) =>
      r.errors === 0 && r.timeouts === 0 && Object.keys(r.statusCodes).every((c) => Number(c) === status),
  );
}

export const describeStatuses = (rounds: RoundFigures[]) => {
  const total: Record<string, number> = {};
  for (const r of rounds) for (const [c, n] of Object.entries(r.statusCodes)) total[c] = (total[c] ?? 0) + n;
  const errors = rounds.reduce((a, r) => a + r.errors, 0);
  return `${Object.entries(total)
    .map(([c, n]) => `${n} × ${c}`)
    .join(', ')}${errors ? `, ${errors} connection errors` : ''}`;
};
