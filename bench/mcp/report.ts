/** bench:mcp's table and the lines under it. */
import { markdownTable, ms } from '../shared/format';
import { spread } from '../shared/stats';
import type { OperationResult, PhaseResult } from './phase';
import type { Measured } from './roundtrip';
import { GOAL_OVERHEAD_P50_MS, GOAL_WAKE_P99_MS, LIST_CALLS, SEND_CALLS, WAKE_SAMPLES } from './settings';
import type { Woken } from './wakeup';

const t = (n: number) => ms(n, 2);
const ratio = (n: number) => (Number.isFinite(n) ? `×${n >= 100 ? n.toFixed(0) : n.toFixed(1)}` : '—');

export interface Row {
  scenario: string;
  calls: number;
  errors: number;
  p50: number;
  p99: number;
  max: number;
  directP50: number;
  directP99: number;
  overheadP50: number;
  overheadP99: number;
  ratio: number;
  goal: string;
  met: boolean;
}

function row(
  scenario: string,
  measured: Measured | Woken,
  direct: Measured | Woken,
  expected: number,
  goal: 'overhead' | 'wake',
): Row {
  const s = spread(measured.times);
  const d = spread(direct.times);
  const complete = measured.errors.length === 0 && measured.times.length === expected;
  const overheadP50 = s.p50 - d.p50;
  return {
    scenario,
    calls: measured.times.length,
    errors: measured.errors.length,
    ...s,
    directP50: d.p50,
    directP99: d.p99,
    overheadP50,
    overheadP99: s.p99 - d.p99,
    ratio: s.p50 / d.p50,
    goal: goal === 'overhead' ? `overhead p50 ≤ ${GOAL_OVERHEAD_P50_MS} ms` : `p99 ≤ ${GOAL_WAKE_P99_MS} ms`,
    met: complete && (goal === 'overhead' ? overheadP50 <= GOAL_OVERHEAD_P50_MS : s.p99 <= GOAL_WAKE_P99_MS),
  };
}

const directOf = <T extends { path: string }>(results: T[]) => results.find((r) => r.path === 'direct') as T;

/** The table's rows: every path's list_friends, then send_message, then wait_for_messages wake-up. */
export function rows(phases: PhaseResult[]): Row[] {
  const out: Row[] = [];
  const tool = (name: string, pick: (p: PhaseResult) => OperationResult, expected: number) => {
    for (const phase of phases) {
      const { results } = pick(phase);
      for (const r of results)
        if (r.path !== 'direct')
          out.push(row(`${name}, ${r.path}`, r, directOf(results), expected, 'overhead'));
    }
  };
  tool('list_friends', (p) => p.list, LIST_CALLS);
  tool('send_message', (p) => p.send, SEND_CALLS);
  for (const phase of phases) {
    for (const r of phase.wake)
      if (r.path !== 'direct')
        out.push(row(`wait_for_messages wake-up, ${r.path}`, r, directOf(phase.wake), WAKE_SAMPLES, 'wake'));
  }
  return out;
}

export function table(list: Row[]): string {
  const header = [
    'Scenario',
    'p50',
    'p99',
    'max',
    'direct p50',
    'overhead p50',
    'overhead p99',
    'ratio p50',
    'goal',
    'met',
  ];
  const cells = list.map((r) => [
    r.scenario,
    t(r.p50),
    t(r.p99),
    t(r.max),
    t(r.directP50),
    t(r.overheadP50),
    t(r.overheadP99),
    ratio(r.ratio),
    r.goal,
    r.met ? 'yes' : r.errors > 0 ? `NO (${r.errors} errors)` : 'NO',
  ]);
  return markdownTable(header, cells);
}

const perCall = (cpuMs: number | null, calls: number) =>
  cpuMs === null || calls === 0 ? '—' : t(cpuMs / calls);

/** A phase's other figures: the direct calls, ping, CPU per call, bob's send, errors. */
export function details(phase: PhaseResult): string[] {
  const lines: string[] = [];
  const directList = spread(directOf(phase.list.results).times);
  const directSend = spread(directOf(phase.send.results).times);
  const directWake = spread(directOf(phase.wake).times);
  lines.push(
    `${phase.key}: the automation server was started and its clients connected in ${(phase.startMs / 1000).toFixed(1)} s. ` +
      `Direct agent calls in this phase: friends() p50 ${t(directList.p50)} / p99 ${t(directList.p99)}; ` +
      `sendMessage() p50 ${t(directSend.p50)} / p99 ${t(directSend.p99)}; ` +
      `waitForMessages() wake-up p50 ${t(directWake.p50)} / p99 ${t(directWake.p99)} / max ${t(directWake.max)}.`,
  );
  const pings = phase.ping.results.map((r) => {
    const s = spread(r.times);
    return `${r.path} p50 ${t(s.p50)} / p99 ${t(s.p99)}`;
  });
  lines.push(
    `${phase.key}: a request without a tool (ping in 2025, server/discover in 2026): ${pings.join('; ')}.`,
  );
  const cpu = (name: string, op: OperationResult) =>
    `${name} ${perCall(op.cpu.mcpMs, op.cpu.mcpCalls)} in the MCP process per MCP call, ` +
    `${t(op.cpu.benchMs / (op.cpu.mcpCalls + op.cpu.directCalls))} here per call of either kind`;
  lines.push(
    `${phase.key}: CPU during the measured calls: ${cpu('list_friends', phase.list)}; ${cpu('ping/discover', phase.ping)}; ${cpu('send_message', phase.send)}.`,
  );
  const accepted = phase.wake.map((w) => `${w.path} ${t(spread(w.accepted).p50)}`);
  lines.push(`${phase.key}: bob's send() → his send answered by the server, p50: ${accepted.join('; ')}.`);
  for (const r of [...phase.list.results, ...phase.ping.results, ...phase.send.results, ...phase.wake]) {
    if (r.errors.length > 0)
      lines.push(`${phase.key}: ${r.path}: ${r.errors.length} errors, the first: ${r.errors[0]}`);
  }
  return lines;
}
