/**
 * One phase: an automation server (the HTTP process with a client of each era, or one stdio process)
 * started beside a direct alice in this process, so exactly two of alice's devices are online and each
 * send's echo reaches one other device whichever path sent it. Then, in alternation with the direct calls:
 * `list_friends`, a request without a tool, `send_message`, and with bob signed in, the `wait_for_messages` wake-ups. Then all
 * of it stops.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Client } from '@modelcontextprotocol/client';
import { progress } from '../shared/format';
import { cpuMsOf } from '../shared/machine';
import { type DirectAlice, startBob, startDirectAlice } from './direct';
import { bare, type Call, interleaved, listFriends, type Measured, sendMessage } from './roundtrip';
import { mcpEnv, startMcpHttp, startMcpStdio } from './servers';
import { LIST_CALLS, type Path, SEND_CALLS, WARMUP_CALLS } from './settings';
import { directWaiter, mcpWaiter, measureWakeUps, type Woken } from './wakeup';

export interface PhaseSpec {
  /** BENCH_ONLY's name for it. */
  key: 'http' | 'stdio-2025' | 'stdio-2026';
  paths: Path[];
}

export const PHASES: PhaseSpec[] = [
  { key: 'http', paths: ['HTTP 2025', 'HTTP 2026'] },
  { key: 'stdio-2025', paths: ['stdio 2025'] },
  { key: 'stdio-2026', paths: ['stdio 2026'] },
];

/** CPU (ms) used during the measured calls of an operation: by the MCP process, by this process. */
export interface CpuUse {
  mcpMs: number | null;
  benchMs: number;
  mcpCalls: number;
  directCalls: number;
}

export interface OperationResult {
  results: Measured[];
  cpu: CpuUse;
}

export interface PhaseResult {
  key: PhaseSpec['key'];
  paths: Path[];
  startMs: number;
  list: OperationResult;
  ping: OperationResult;
  send: OperationResult;
  wake: Woken[];
}

interface Started {
  clients: Map<Path, Client>;
  pid: number;
  stop(): Promise<void>;
}

async function startPaths(spec: PhaseSpec, baseUrl: string, dataDir: string): Promise<Started> {
  const env = mcpEnv(baseUrl, dataDir);
  if (spec.key === 'http') {
    const mcp = await startMcpHttp(env);
    const clients = new Map<Path, Client>([
      ['HTTP 2025', await mcp.connect('2025')],
      ['HTTP 2026', await mcp.connect('2026')],
    ]);
    return { clients, pid: mcp.pid, stop: () => mcp.stop() };
  }
  const era = spec.key === 'stdio-2025' ? '2025' : '2026';
  const mcp = await startMcpStdio(env, era);
  const path: Path = `stdio ${era}`;
  return { clients: new Map([[path, mcp.client]]), pid: mcp.pid, stop: () => mcp.stop() };
}

/** Runs `calls` interleaved, reading the CPU the MCP process and this one used while measured. */
async function operation(
  name: string,
  calls: Call[],
  turns: number,
  mcpPid: number,
  hasDirect: boolean,
): Promise<OperationResult> {
  progress(`${name}: ${WARMUP_CALLS} warm-up + ${turns} turns of ${calls.map((c) => c.path).join(', ')}`);
  let mcpBefore: number | null = null;
  let benchBefore = process.cpuUsage();
  const results = await interleaved(calls, WARMUP_CALLS, turns, () => {
    mcpBefore = cpuMsOf(mcpPid);
    benchBefore = process.cpuUsage();
  });
  const mcpAfter = cpuMsOf(mcpPid);
  const bench = process.cpuUsage(benchBefore);
  return {
    results,
    cpu: {
      mcpMs: mcpBefore === null || mcpAfter === null ? null : mcpAfter - mcpBefore,
      benchMs: (bench.user + bench.system) / 1000,
      mcpCalls: turns * (calls.length - (hasDirect ? 1 : 0)),
      directCalls: hasDirect ? turns : 0,
    },
  };
}

export async function runPhase(spec: PhaseSpec, baseUrl: string, scratch: string): Promise<PhaseResult> {
  progress(`${spec.key}: starting the automation server and a direct alice`);
  const started = performance.now();
  const mcp = await startPaths(spec, baseUrl, join(scratch, `mcp-${spec.key}`));
  const startMs = performance.now() - started;
  let direct: DirectAlice | null = null;
  let stopBob: (() => Promise<void>) | null = null;
  try {
    direct = await startDirectAlice(baseUrl, join(scratch, `direct-${spec.key}`));
    const agent = direct.agent;
    const paths = [...mcp.clients.entries()];
    const list = await operation(
      `${spec.key} list_friends`,
      [listFriends.direct(agent), ...paths.map(([path, client]) => listFriends.mcp(path, client))],
      LIST_CALLS,
      mcp.pid,
      true,
    );
    const pinged = await operation(
      `${spec.key} ping / server/discover`,
      paths.map(([path, client]) => bare(path, client)),
      LIST_CALLS,
      mcp.pid,
      false,
    );
    const send = await operation(
      `${spec.key} send_message`,
      [sendMessage.direct(agent), ...paths.map(([path, client]) => sendMessage.mcp(path, client))],
      SEND_CALLS,
      mcp.pid,
      true,
    );
    const bob = await startBob(baseUrl);
    stopBob = () => bob.stop();
    progress(`${spec.key} wait_for_messages wake-ups: direct, ${paths.map(([p]) => p).join(', ')}`);
    const wake = await measureWakeUps(
      [directWaiter(agent), ...paths.map(([path, client]) => mcpWaiter(path, client))],
      bob,
    );
    return { key: spec.key, paths: spec.paths, startMs, list, ping: pinged, send, wake };
  } finally {
    await stopBob?.();
    await direct?.stop();
    await mcp.stop();
  }
}
