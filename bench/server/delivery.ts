/**
 * The fan-out scenarios' measure: streams held open in this process, paced sends, and the time from just before
 * each POST to the message's arrival on each stream that should get it.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, Pool } from 'undici';
import type { ServeReady } from '../serve/options';
import { int, ms, progress } from '../shared/format';
import { median, percentile } from '../shared/stats';
import type { Outcome } from './settings';
import { type OpenStream, openStreams } from './streams';

/** How long deliveries may take to arrive after the last send before the missing ones are counted missing. */
const DELIVERY_GRACE_MS = 5000;

export interface Send {
  clientId: string;
  from: string;
  to: string;
}

export interface Delivery {
  sent: number;
  latencies: number[];
  complete: number;
  expected: number;
  duplicates: number;
  sendStatuses: Record<string, number>;
  /** Per message, the first and the last stream to get it (medians over messages). */
  firstMedian: number;
  lastMedian: number;
  /** Per message in send order, when the last stream got it (ms after the POST). */
  lastByMessage: number[];
}

/**
 * Issues `sends` paced `paceMs` apart (not waiting for answers, so a slow answer does not delay the next send),
 * timing each from just before its POST; then waits for every expected delivery (or the grace period).
 */
async function pacedSends(
  base: string,
  tokens: Record<string, string>,
  sends: Send[],
  paceMs: number,
  streams: OpenStream[],
  expectedPerSend: (send: Send) => number,
  delivered: { count: number },
): Promise<Delivery> {
  const pool = new Pool(base, { connections: 16 });
  const issuedAt = new Map<string, number>();
  const statuses: Record<string, number> = {};
  const answers: Promise<void>[] = [];
  const expected = sends.reduce((a, s) => a + expectedPerSend(s), 0);
  const start = performance.now();
  try {
    for (const [k, send] of sends.entries()) {
      const wait = start + k * paceMs - performance.now();
      if (wait > 0) await sleep(wait);
      const body = JSON.stringify({ to: send.to, content: `fan-out ${k}`, clientId: send.clientId });
      issuedAt.set(send.clientId, performance.now());
      answers.push(
        pool
          .request({
            path: '/api/messages',
            method: 'POST',
            headers: { authorization: `Bearer ${tokens[send.from]}`, 'content-type': 'application/json' },
            body,
          })
          .then(async (res) => {
            await res.body.text();
            statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
          }),
      );
    }
    await Promise.all(answers);
    const deadline = performance.now() + DELIVERY_GRACE_MS;
    while (delivered.count < expected && performance.now() < deadline) await sleep(20);
  } finally {
    await pool.close();
  }
  const latencies: number[] = [];
  const first = new Map<string, number>();
  const last = new Map<string, number>();
  let duplicates = 0;
  for (const stream of streams) {
    duplicates += stream.duplicates;
    for (const [clientId, at] of stream.received) {
      const t0 = issuedAt.get(clientId);
      if (t0 === undefined) continue;
      latencies.push(at - t0);
      first.set(clientId, Math.min(first.get(clientId) ?? Number.POSITIVE_INFINITY, at - t0));
      last.set(clientId, Math.max(last.get(clientId) ?? 0, at - t0));
    }
  }
  return {
    sent: sends.length,
    latencies,
    complete: latencies.length,
    expected,
    duplicates,
    sendStatuses: statuses,
    firstMedian: median([...first.values()]),
    lastMedian: median([...last.values()]),
    lastByMessage: sends.map((s) => last.get(s.clientId) ?? Number.NaN),
  };
}

export function deliveryRow(scenario: string, d: Delivery, extraNotes: string[]): Outcome {
  const p50 = percentile(d.latencies, 50);
  const p99 = percentile(d.latencies, 99);
  const max = Math.max(...d.latencies);
  const allSent = (d.sendStatuses['201'] ?? 0) === d.sent;
  const allDelivered = d.complete === d.expected && d.duplicates === 0;
  const notes = [
    ...extraNotes,
    `deliveries: ${int(d.complete)} of ${int(d.expected)}${d.duplicates ? `, ${d.duplicates} duplicates` : ''}; sends answered ${Object.entries(
      d.sendStatuses,
    )
      .map(([c, n]) => `${n} × ${c}`)
      .join(', ')}`,
    `latency p50 ${ms(p50)}, p99 ${ms(p99)}, max ${ms(max)}; per message (median over messages): first stream ${ms(d.firstMedian)}, last stream ${ms(d.lastMedian)}`,
  ];
  if (d.lastByMessage.length <= 100)
    notes.push(
      `last stream per message, in send order (ms): ${d.lastByMessage.map((t) => t.toFixed(0)).join(', ')}`,
    );
  if (!allSent) notes.push('INVALID: not every send was answered 201');
  if (!allDelivered) notes.push('INVALID: not every stream got every message exactly once');
  return {
    row: {
      scenario,
      figure: `p50 ${ms(p50)} / p99 ${ms(p99)} / max ${ms(max)}`,
      baseline: '—',
      ratio: '—',
      goal: 'p99 ≤ 50 ms, all delivered',
      pass: allSent && allDelivered && p99 <= 50,
      notes,
    },
    data: { p50, p99, max, ...d, latencies: undefined, allSent, allDelivered },
  };
}

export interface FanOut {
  /** The token of each stream to open, one stream each (a user may hold several). */
  streamTokens: string[];
  /** The progress line once the streams are open. */
  opened: (streams: number) => string;
  /** The sends of the warm-up (not measured), then of the measure; made when they are due. */
  sends: (kind: 'warm' | 'measured') => Send[];
  paceMs: number;
  /** How many streams should get each message. */
  perSend: number;
}

/** Opens the streams, sends the warm-up, then the measured sends, and closes the streams again. */
export async function measureFanOut(ready: ServeReady, spec: FanOut): Promise<Delivery> {
  const agent = new Agent({
    connections: spec.streamTokens.length + 100,
    bodyTimeout: 0,
    headersTimeout: 30_000,
  });
  try {
    const base = `http://127.0.0.1:${ready.port}`;
    const delivered = { count: 0 };
    const streams = await openStreams(agent, base, spec.streamTokens, () => delivered.count++);
    progress(spec.opened(streams.length));
    await sleep(500);
    const perSend = () => spec.perSend;
    await pacedSends(base, ready.tokens, spec.sends('warm'), spec.paceMs, streams, perSend, delivered);
    delivered.count = 0;
    await sleep(500);
    const sends = spec.sends('measured');
    const d = await pacedSends(base, ready.tokens, sends, spec.paceMs, streams, perSend, delivered);
    for (const s of streams) s.close();
    return d;
  } finally {
    await agent.destroy();
  }
}
