/**
 * The latency of one size: paced messages (RATE a second) between a sample of pairs spread over the
 * population, each from just before `send()` to the recipient's conversation actor showing it (a snapshot
 * subscription); after a warm-up that is not counted. One paced stream cut into ROUNDS rounds of MESSAGES:
 * p50 and p99 are the medians of the rounds' (a burst of load from another process moves one round, not the
 * figure).
 */
import { monitorEventLoopDelay, PerformanceObserver, performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { MessageBody } from '../../machines/ports';
import type { ParleyClient } from '../../src/client';
import { progress } from '../shared/format';
import { cpuMsOf, cpuPressure } from '../shared/machine';
import { median, percentile, spread } from '../shared/stats';
import { type Breakdown, breakdownOf } from './breakdown';
import { type Pair, watchConversation } from './fleet';
import { startCpuProfile } from './inspect';
import {
  BREAKDOWN,
  CLIENT_PROFILE,
  DELIVERY_GRACE_MS,
  isLargest,
  MESSAGES,
  RATE,
  ROUNDS,
  SAMPLE_PAIRS,
  WARMUP_MESSAGES,
} from './settings';

export interface Latency {
  sampledPairs: number;
  sent: number;
  shown: number;
  missing: number;
  /** Medians of the rounds' p50 and p99. */
  p50: number;
  p99: number;
  /** Over all measured messages. */
  pooledP99: number;
  max: number;
  rounds: { shown: number; p50: number; p99: number; max: number }[];
  /** Linux PSI: the share of the last 10 s in which some task waited for a CPU, at the end of the sends. */
  cpuPressure: number | null;
  mean: number;
  eventLoopDelayP99Ms: number;
  eventLoopDelayMaxMs: number;
  /** Garbage collections in this process while the measured messages were in flight. */
  gcCount: number;
  gcTotalMs: number;
  gcMaxMs: number;
  /** With BENCH_BREAKDOWN=1: send() → POST issued, POST → recipient's stream parsed it, POST → answer, parsed → shown. */
  breakdown: Breakdown | null;
  clientCpuMs: number;
  serverCpuMs: number | null;
  durationMs: number;
}

export async function measureLatency(n: number, pairs: Pair[], serverPid: number): Promise<Latency> {
  const sampled = Math.min(SAMPLE_PAIRS, pairs.length);
  const sample = Array.from(
    { length: sampled },
    (_, j) => pairs[Math.floor((j * pairs.length) / sampled)] as Pair,
  );
  /** clientId → the time just before send(), per recipient. */
  const pending = new Map<ParleyClient, Map<string, number>>();
  const rounds: number[][] = Array.from({ length: ROUNDS }, () => []);
  /** clientId → its round, for the measured messages. */
  const counted = new Map<string, number>();
  /** clientId → [sent, shown], for the breakdown. */
  const times = new Map<string, [number, number]>();
  const unwatch: (() => void)[] = [];
  for (const pair of sample) {
    for (const recipient of [pair.a, pair.b]) {
      const waiting = new Map<string, number>();
      pending.set(recipient, waiting);
      unwatch.push(
        watchConversation(recipient, (messages) => {
          if (waiting.size === 0) return;
          const now = performance.now();
          for (let i = messages.length - 1; i >= 0; i--) {
            const m = messages[i] as MessageBody;
            if (m.direction !== 'received' || m.clientId === null) continue;
            const sentAt = waiting.get(m.clientId);
            if (sentAt === undefined) continue;
            waiting.delete(m.clientId);
            const round = counted.get(m.clientId);
            if (round !== undefined) {
              rounds[round]?.push(now - sentAt);
              times.set(m.clientId, [sentAt, now]);
            }
          }
        }),
      );
    }
  }

  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  const gcPauses: number[] = [];
  const gcObserver = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcPauses.push(entry.duration);
  });
  const cpuBefore = process.cpuUsage();
  const serverCpuBefore = cpuMsOf(serverPid);
  const total = WARMUP_MESSAGES + ROUNDS * MESSAGES;
  const paceMs = 1000 / RATE;
  progress(
    `${n} clients: ${WARMUP_MESSAGES} warm-up + ${ROUNDS} × ${MESSAGES} messages at ${RATE}/s over ${sampled} pairs`,
  );
  const stopProfile = CLIENT_PROFILE && isLargest(n) ? await startCpuProfile(n) : null;
  const started = performance.now();
  for (let k = 0; k < total; k++) {
    const due = started + k * paceMs;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    if (k === WARMUP_MESSAGES) {
      loopDelay.enable();
      gcObserver.observe({ entryTypes: ['gc'] });
    }
    const pair = sample[k % sampled] as Pair;
    // Alternate direction on each round through the sample.
    const forward = Math.floor(k / sampled) % 2 === 0;
    const [from, to, toName] = forward ? [pair.a, pair.b, pair.nameB] : [pair.b, pair.a, pair.nameA];
    const waiting = pending.get(to) as Map<string, number>;
    const sentAt = performance.now();
    const clientId = from.send(toName, `message ${k} of the benchmark`);
    waiting.set(clientId, sentAt);
    if (k >= WARMUP_MESSAGES) counted.set(clientId, Math.floor((k - WARMUP_MESSAGES) / MESSAGES));
  }
  const outstanding = () => [...pending.values()].reduce((sum, w) => sum + w.size, 0);
  const graceStart = Date.now();
  while (outstanding() > 0 && Date.now() - graceStart < DELIVERY_GRACE_MS) await sleep(20);
  const durationMs = performance.now() - started;
  await stopProfile?.();
  loopDelay.disable();
  gcObserver.disconnect();
  const cpu = process.cpuUsage(cpuBefore);
  const pressure = cpuPressure('avg10');
  const serverCpuAfter = cpuMsOf(serverPid);
  for (const stop of unwatch) stop();

  const missing = [...pending.values()].reduce(
    (sum, w) => sum + [...w.keys()].filter((id) => counted.has(id)).length,
    0,
  );
  const sorted = rounds.flat().sort((x, y) => x - y);
  const perRound = rounds.map((r) => ({ shown: r.length, ...spread(r) }));
  return {
    sampledPairs: sampled,
    sent: ROUNDS * MESSAGES,
    shown: sorted.length,
    missing,
    p50: median(perRound.map((r) => r.p50)),
    p99: median(perRound.map((r) => r.p99)),
    pooledP99: percentile(sorted, 99),
    max: sorted.at(-1) ?? Number.NaN,
    rounds: perRound,
    cpuPressure: pressure,
    mean: sorted.reduce((s, x) => s + x, 0) / Math.max(1, sorted.length),
    eventLoopDelayP99Ms: loopDelay.percentile(99) / 1e6,
    eventLoopDelayMaxMs: loopDelay.max / 1e6,
    gcCount: gcPauses.length,
    gcTotalMs: gcPauses.reduce((sum, d) => sum + d, 0),
    gcMaxMs: Math.max(0, ...gcPauses),
    breakdown: BREAKDOWN ? breakdownOf(times) : null,
    clientCpuMs: (cpu.user + cpu.system) / 1000,
    serverCpuMs:
      serverCpuBefore === null || serverCpuAfter === null ? null : serverCpuAfter - serverCpuBefore,
    durationMs,
  };
}
