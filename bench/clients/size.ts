/**
 * One size N, on a fresh server (bench/serve/, setup `none`, SQLite :memory:) in a child process:
 *   0. warm-up: one pair through the whole path (sign-up, friends, stream, a message each way), stopped, so
 *      code compiled on first use is not counted as per-client heap;
 *   1. setup: N clients register in pairs (user 2k and 2k+1), the first adds the second as a friend, each
 *      selects its partner (so a conversation actor is open); waits until every client is online, live
 *      (event stream open) and its conversation loaded;
 *   2. heap per client: heapUsed after gc once the N clients settled, minus heapUsed after gc before the first
 *      was created, divided by N;
 *   3. latency (latency.ts).
 * Then every client and the server stop.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ParleyClient } from '../../src/client';
import { startServe, stopChild } from '../shared/children';
import { kb, progress } from '../shared/format';
import { cpuProfileArgs } from '../shared/results';
import { type Pair, pairMaker, ready, stopLiveClients, untilAll, userName } from './fleet';
import { type Heap, heapSnapshot, settledHeap } from './inspect';
import { type Latency, measureLatency } from './latency';
import {
  GOAL_HEAP_KB,
  GOAL_P99_MS,
  HEAP_SNAPSHOT,
  isLargest,
  PROFILE,
  SETTLE_MS,
  SETUP_CONCURRENCY,
} from './settings';

export interface SizeResult extends Latency {
  clients: number;
  setupMs: number;
  heapBefore: Heap;
  heapAfter: Heap;
  heapPerClient: number;
  externalPerClient: number;
  rssPerClient: number;
  /** The share of one core this process used while the N clients sat idle (before the heap was read). */
  idleCpuShare: number;
  heapPass: boolean;
  latencyPass: boolean;
}

export async function runSize(n: number): Promise<SizeResult> {
  const server = await startServe(
    { setup: 'none', dbPath: ':memory:' },
    { nodeArgs: cpuProfileArgs(PROFILE) },
  );
  const signUp = pairMaker(`http://127.0.0.1:${server.ready.port}`);
  try {
    // Warm-up, before the baseline: one pair through the whole path (sign-up, friends, stream, a message each
    // way), then stopped. Code compiled on first use and the shared machine are then not counted per client.
    {
      const warm = await signUp('warm_a', 'warm_b', 0);
      await warm.a.until(() => ready(warm.a, 'warm_b') && ready(warm.b, 'warm_a'), 20_000, 'warm-up pair');
      warm.a.send('warm_b', 'warm-up');
      warm.b.send('warm_a', 'warm-up');
      await warm.a.until(
        () => warm.a.messages().length === 2 && warm.b.messages().length === 2,
        20_000,
        'warm-up messages',
      );
      await stopLiveClients();
    }

    const heapBefore = await settledHeap();
    const snapshot = HEAP_SNAPSHOT && isLargest(n);
    if (snapshot) heapSnapshot(n, 'before');

    const setupStarted = performance.now();
    progress(`${n} clients: signing up ${n / 2} pairs, ${SETUP_CONCURRENCY} pairs at a time`);
    const pairs: Pair[] = [];
    let next = 0;
    const worker = async () => {
      while (next < n / 2) {
        const k = next++;
        pairs[k] = await signUp(userName(2 * k), userName(2 * k + 1), 2 * k + 1);
      }
    };
    await Promise.all(Array.from({ length: Math.min(SETUP_CONCURRENCY, n / 2) }, worker));
    const partnerOf = new Map<ParleyClient, string>();
    for (const p of pairs) {
      partnerOf.set(p.a, p.nameB);
      partnerOf.set(p.b, p.nameA);
    }
    const allClients = [...partnerOf.keys()];
    const allReady = (c: ParleyClient) => ready(c, partnerOf.get(c) as string);
    await untilAll(allClients, allReady, 60_000, 'online, live and with their conversation loaded');
    const setupMs = performance.now() - setupStarted;
    progress(`${n} clients: all online and live after ${(setupMs / 1000).toFixed(1)} s; settling`);

    // Idle, the clients still work: each checks /api/status every 10 s while its stream is open.
    const idleCpuBefore = process.cpuUsage();
    await sleep(SETTLE_MS);
    const idleCpu = process.cpuUsage(idleCpuBefore);
    const idleCpuShare = (idleCpu.user + idleCpu.system) / 1000 / SETTLE_MS;
    const heapAfter = await settledHeap();
    const heapPerClient = (heapAfter.heapUsed - heapBefore.heapUsed) / n;
    progress(`${n} clients: heap ${kb(heapPerClient)} per client`);
    if (snapshot) {
      heapSnapshot(n, 'after');
      // Writing it stopped this process for seconds: calls timed out and streams may be reconnecting.
      await untilAll(allClients, allReady, 60_000, 'back after the snapshot');
      await sleep(SETTLE_MS);
    }

    const latency = await measureLatency(n, pairs, server.ready.pid);
    return {
      clients: n,
      setupMs,
      heapBefore,
      heapAfter,
      heapPerClient,
      externalPerClient: (heapAfter.external - heapBefore.external) / n,
      rssPerClient: (heapAfter.rss - heapBefore.rss) / n,
      idleCpuShare,
      ...latency,
      heapPass: heapPerClient <= GOAL_HEAP_KB * 1000,
      latencyPass: latency.missing === 0 && latency.p99 <= GOAL_P99_MS,
    };
  } finally {
    await stopLiveClients();
    await stopChild(server.child);
  }
}
