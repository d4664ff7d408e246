import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import autocannon, { type Options as CannonOptions, type Result as CannonResult } from 'autocannon';
import { Agent, type Dispatcher, Pool, request } from 'undici';
import { cpuMsOf, type Started, scratchDir, startChild, stopChild } from './children';
import { cpuPressure, intFromEnv, markdownTable, median, percentile } from './lib';
import type { ServeOptions, ServeReady } from './serve';

const ROUNDS = intFromEnv('BENCH_ROUNDS', 5);
const ROUND_SECONDS = intFromEnv('BENCH_SECONDS', 5);
const WARMUP_SECONDS = intFromEnv('BENCH_WARMUP_SECONDS', 2);
const ONLY = new Set(
  (process.env.BENCH_ONLY ?? 'poll,sends,fanout,fanout-many').split(',').map((s) => s.trim()),
);
const PROFILE = process.env.BENCH_PROFILE === '1';

const CONNECTIONS = 50;
const SENDERS = 500;
const FANOUT_STREAMS = 1000;
const FANOUT_MESSAGES = 30;
/**
 * Messages sent before the measured ones and not counted, as every scenario runs after a warm-up: without
 * them the first few messages (code not yet optimised in the server and in this process's reader) reached
 * their last stream in 40–60 ms, against about 22 ms for the rest.
 */
const FANOUT_WARMUP_MESSAGES = 10;
const MANY_WARMUP_SENDS = 100;
const FANOUT_PACE_MS = 100;
const MANY_READERS = 1000;
const MANY_WRITERS = 50;
const MANY_PACE_MS = 5;
/** How long deliveries may take to arrive after the last send before the missing ones are counted missing. */
const DELIVERY_GRACE_MS = 5000;

const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RESULTS_DIR = join(BENCH_DIR, 'results');

// ---------------------------------------------------------------------------------------------------------
// Children

const tempDir = scratchDir();

let dbCounter = 0;
function startParley(options: Omit<ServeOptions, 'dbPath'>): Promise<Started<ServeReady>> {
  const dbPath = join(tempDir, `parley-${++dbCounter}.db`);
  const nodeArgs = PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${join(RESULTS_DIR, 'profiles')}`] : [];
  return startChild<ServeReady>(join(BENCH_DIR, 'serve.ts'), [JSON.stringify({ ...options, dbPath })], {
    cwd: ROOT,
    nodeArgs,
  });
}

// ---------------------------------------------------------------------------------------------------------
// Statistics and formatting

const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—');
const ms = (n: number) => (Number.isFinite(n) ? `${n.toFixed(1)} ms` : '—');
const pct = (n: number) => (Number.isFinite(n) ? `${(n * 100).toFixed(1)} %` : '—');

// ---------------------------------------------------------------------------------------------------------
// Load runs

interface RoundFigures {
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

async function cannon(options: CannonOptions, serverPid: number | undefined): Promise<RoundFigures> {
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

const pressures = (rounds: RoundFigures[]) =>
  rounds.map((r) => (r.cpuPressure === null ? '?' : r.cpuPressure.toFixed(0))).join(', ');

/** Every answer had `status`, and no connection failed. */
function onlyStatus(rounds: RoundFigures[], status: number): boolean {
  return rounds.every(
    (r) =>
      r.errors === 0 && r.timeouts === 0 && Object.keys(r.statusCodes).every((c) => Number(c) === status),
  );
}

const describeStatuses = (rounds: RoundFigures[]) => {
  const total: Record<string, number> = {};
  for (const r of rounds) for (const [c, n] of Object.entries(r.statusCodes)) total[c] = (total[c] ?? 0) + n;
  const errors = rounds.reduce((a, r) => a + r.errors, 0);
  return `${Object.entries(total)
    .map(([c, n]) => `${n} × ${c}`)
    .join(', ')}${errors ? `, ${errors} connection errors` : ''}`;
};

// ---------------------------------------------------------------------------------------------------------
// Scenarios

interface Row {
  scenario: string;
  figure: string;
  baseline: string;
  ratio: string;
  goal: string;
  pass: boolean;
  notes: string[];
}

async function scenarioPoll(): Promise<{ row: Row; data: object }> {
  const [parley, bare] = await Promise.all([
    startParley({ setup: 'poll' }),
    startChild<{ port: number }>(join(BENCH_DIR, 'bare.ts'), [], { cwd: ROOT }),
  ]);
  try {
    const token = parley.ready.tokens.alice as string;
    const lastId = parley.ready.info.lastId as number;
    const path = `/api/messages?peer=bob&after=${lastId}`;
    const url = `http://127.0.0.1:${parley.ready.port}${path}`;
    const first = await request(url, { headers: { authorization: `Bearer ${token}` } });
    const firstBody = await first.body.text();
    const etag = first.headers.etag;
    if (first.statusCode !== 200 || typeof etag !== 'string' || firstBody !== '[]') {
      throw new Error(`poll setup: first request answered ${first.statusCode} ${firstBody} (etag ${etag})`);
    }
    const headers = { authorization: `Bearer ${token}`, 'if-none-match': etag };
    const check = await request(url, { headers });
    await check.body.text();
    if (check.statusCode !== 304)
      throw new Error(`poll setup: conditional request answered ${check.statusCode}`);

    const bareUrl = `http://127.0.0.1:${bare.ready.port}/`;
    const parleyPid = parley.child.pid;
    const barePid = bare.child.pid;
    await cannon({ url, headers, duration: WARMUP_SECONDS }, parleyPid);
    await cannon({ url: bareUrl, duration: WARMUP_SECONDS }, barePid);
    const parleyRounds: RoundFigures[] = [];
    const bareRounds: RoundFigures[] = [];
    // Interleaved, so drift in the machine's speed affects both sides alike.
    for (let round = 0; round < ROUNDS; round++) {
      parleyRounds.push(await cannon({ url, headers, duration: ROUND_SECONDS }, parleyPid));
      bareRounds.push(await cannon({ url: bareUrl, duration: ROUND_SECONDS }, barePid));
      progress(
        `poll round ${round + 1}/${ROUNDS}: Parley ${int(parleyRounds.at(-1)?.rps ?? Number.NaN)}/s, bare ${int(bareRounds.at(-1)?.rps ?? Number.NaN)}/s`,
      );
    }
    const parleyRps = median(parleyRounds.map((r) => r.rps));
    const bareRps = median(bareRounds.map((r) => r.rps));
    const ratio = parleyRps / bareRps;
    const valid = onlyStatus(parleyRounds, 304) && onlyStatus(bareRounds, 200);
    const notes = [
      `Parley answers: ${describeStatuses(parleyRounds)}; bare answers: ${describeStatuses(bareRounds)}`,
      `per round, Parley req/s: ${parleyRounds.map((r) => int(r.rps)).join(', ')}; bare: ${bareRounds.map((r) => int(r.rps)).join(', ')}; CPU pressure after each (PSI avg10, %): ${pressures(parleyRounds)} / ${pressures(bareRounds)}`,
      `CPU (share of one core, median) — Parley server ${pct(median(parleyRounds.map((r) => r.serverCpu ?? Number.NaN)))}, bare server ${pct(median(bareRounds.map((r) => r.serverCpu ?? Number.NaN)))}, load generator ${pct(median(parleyRounds.map((r) => r.loadGeneratorCpu)))} / ${pct(median(bareRounds.map((r) => r.loadGeneratorCpu)))}`,
    ];
    const parleyCpu = median(parleyRounds.map((r) => r.serverCpuUsPerRequest ?? Number.NaN));
    const bareCpu = median(bareRounds.map((r) => r.serverCpuUsPerRequest ?? Number.NaN));
    notes.push(
      `server CPU per request (median): Parley ${parleyCpu.toFixed(0)} µs, bare ${bareCpu.toFixed(0)} µs; bare ÷ Parley = ${pct(bareCpu / parleyCpu)} (the same comparison by CPU cost, which other load on the machine disturbs less)`,
    );
    if (!valid) notes.push('INVALID: some answers were not the expected status (see above)');
    return {
      row: {
        scenario: 'Empty poll → 304 (req/s)',
        figure: int(parleyRps),
        baseline: `${int(bareRps)} (bare node:http)`,
        ratio: pct(ratio),
        goal: '≥ 60 % of bare',
        pass: valid && ratio >= 0.6,
        notes,
      },
      data: {
        parleyRps,
        bareRps,
        ratio,
        parleyCpuUsPerRequest: parleyCpu,
        bareCpuUsPerRequest: bareCpu,
        valid,
        parleyRounds,
        bareRounds,
        connections: CONNECTIONS,
        pipelining: 1,
      },
    };
  } finally {
    await Promise.all([stopChild(parley.child), stopChild(bare.child)]);
  }
}

async function scenarioSends(): Promise<{ row: Row; data: object }> {
  const parley = await startParley({ setup: 'sends', senders: SENDERS });
  try {
    const senders = parley.ready.info.senders as string[];
    const auth = senders.map((s) => `Bearer ${parley.ready.tokens[s]}`);
    const url = `http://127.0.0.1:${parley.ready.port}/api/messages`;
    const runId = `${process.pid.toString(36)}${Date.now().toString(36)}`;
    let seq = 0;
    const options = (duration: number): CannonOptions => ({
      url,
      duration,
      requests: [
        {
          method: 'POST',
          path: '/api/messages',
          // A new sender (round-robin) and a new clientId for every request.
          setupRequest: (req) => {
            const n = seq++;
            return {
              ...req,
              headers: {
                ...req.headers,
                authorization: auth[n % auth.length] as string,
                'content-type': 'application/json',
              },
              body: JSON.stringify({
                to: 'recipient',
                content: `benchmark message ${n}`,
                clientId: `${runId}-${n}`,
              }),
            };
          },
        },
      ],
    });
    const warmup = await cannon(options(WARMUP_SECONDS), parley.child.pid);
    const rounds: RoundFigures[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      rounds.push(await cannon(options(ROUND_SECONDS), parley.child.pid));
      progress(`sends round ${round + 1}/${ROUNDS}: ${int(rounds.at(-1)?.rps ?? Number.NaN)}/s`);
    }
    // Every 201 must be a stored message: the recipient's unread counts, summed over the senders, say how many.
    // A send in flight when a round stops is stored without its answer being counted: at most one per connection.
    const created = [warmup, ...rounds].reduce((a, r) => a + (r.statusCodes['201'] ?? 0), 0);
    const friends = await request(`http://127.0.0.1:${parley.ready.port}/api/friends`, {
      headers: { authorization: `Bearer ${parley.ready.tokens.recipient}` },
    });
    const unread = ((await friends.body.json()) as { unread: number }[]).reduce((a, f) => a + f.unread, 0);
    const rps = median(rounds.map((r) => r.rps));
    const inFlight = unread - created;
    const stored = inFlight >= 0 && inFlight <= CONNECTIONS * (rounds.length + 1);
    const valid = onlyStatus([warmup, ...rounds], 201) && stored;
    const perSender = rps / senders.length;
    const notes = [
      `${senders.length} senders, each a friend of the recipient, round-robin; default send limit (20/s, burst 40 per user): ~${perSender.toFixed(1)} sends/s per sender`,
      `answers: ${describeStatuses(rounds)} (after a warm-up of ${int(warmup.requests)}); the recipient has ${int(unread)} unread messages for ${int(created)} answers 201${stored ? ` (+${inFlight} in flight when a round stopped)` : ' — MISMATCH'}`,
      `per round, sends/s: ${rounds.map((r) => int(r.rps)).join(', ')}; server CPU ${pct(median(rounds.map((r) => r.serverCpu ?? Number.NaN)))} (${median(rounds.map((r) => r.serverCpuUsPerRequest ?? Number.NaN)).toFixed(0)} µs per send), load generator ${pct(median(rounds.map((r) => r.loadGeneratorCpu)))}; CPU pressure after each round (PSI avg10, %): ${pressures(rounds)}`,
    ];
    if (!valid) notes.push('INVALID: not every answer was 201, or not every 201 stored one message');
    return {
      row: {
        scenario: 'Sends to one recipient (201/s)',
        figure: int(rps),
        baseline: '—',
        ratio: '—',
        goal: '≥ 3,000/s, all 201',
        pass: valid && rps >= 3000,
        notes,
      },
      data: { rps, valid, senders: senders.length, rounds, connections: CONNECTIONS, pipelining: 1 },
    };
  } finally {
    await stopChild(parley.child);
  }
}

/** An open event stream, read in this process; `message` events are timed on arrival. */
interface OpenStream {
  index: number;
  received: Map<string, number>;
  duplicates: number;
  close(): void;
}

/**
 * Opens GET /api/events through undici's Agent with a bare dispatch handler: response bytes come straight
 * from the HTTP parser, without a Readable stream per response, so reading 1,000 streams costs this process
 * as little as it can and the measured latency is mostly the server's.
 */
function openStream(
  agent: Agent,
  origin: string,
  token: string,
  index: number,
  onMessage: (clientId: string, at: number) => void,
): Promise<OpenStream> {
  return new Promise((resolve, reject) => {
    let controller: Dispatcher.DispatchController | null = null;
    let started = false;
    let closed = false;
    let buffer = '';
    const stream: OpenStream = {
      index,
      received: new Map(),
      duplicates: 0,
      close: () => {
        closed = true;
        controller?.abort(new Error('closed by the benchmark'));
      },
    };
    const handleFrame = (frame: string, at: number) => {
      if (!frame.includes('\nevent: message\n')) return;
      const data = frame.indexOf('\ndata: ');
      if (data < 0) return;
      const end = frame.indexOf('\n', data + 7);
      const clientId = (
        JSON.parse(frame.slice(data + 7, end < 0 ? undefined : end)) as { clientId: string | null }
      ).clientId;
      if (clientId === null) return;
      if (stream.received.has(clientId)) stream.duplicates++;
      else stream.received.set(clientId, at);
      onMessage(clientId, at);
    };
    agent.dispatch(
      {
        origin,
        path: '/api/events',
        method: 'GET',
        headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
      },
      {
        onRequestStart(c) {
          controller = c;
        },
        onResponseStart(c, statusCode) {
          if (statusCode !== 200) {
            reject(new Error(`GET /api/events answered ${statusCode}`));
            c.abort(new Error(`status ${statusCode}`));
            return;
          }
          started = true;
          resolve(stream);
        },
        onResponseData(_c, chunk) {
          const at = performance.now();
          buffer += chunk.toString('utf8');
          for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
            handleFrame(`\n${buffer.slice(0, end)}`, at);
            buffer = buffer.slice(end + 2);
          }
        },
        onResponseEnd() {
          if (!started) reject(new Error('GET /api/events ended before it started'));
        },
        onResponseError(_c, error) {
          if (!started) reject(error);
          else if (!closed) process.stderr.write(`  ! stream ${index} failed: ${error.message}\n`);
        },
      },
    );
  });
}

async function openStreams(
  agent: Agent,
  base: string,
  tokens: string[],
  onMessage: (clientId: string, at: number) => void,
): Promise<OpenStream[]> {
  const streams: OpenStream[] = [];
  // In batches, so the listen backlog is never overrun.
  for (let i = 0; i < tokens.length; i += 100) {
    const batch = tokens.slice(i, i + 100);
    streams.push(
      ...(await Promise.all(batch.map((token, j) => openStream(agent, base, token, i + j, onMessage)))),
    );
  }
  return streams;
}

interface Send {
  clientId: string;
  from: string;
  to: string;
}

interface Delivery {
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

function deliveryRow(scenario: string, d: Delivery, extraNotes: string[]): { row: Row; data: object } {
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

async function scenarioFanout(): Promise<{ row: Row; data: object }> {
  const parley = await startParley({ setup: 'fanout', maxStreamsPerUser: FANOUT_STREAMS + 100 });
  const agent = new Agent({ connections: FANOUT_STREAMS + 100, bodyTimeout: 0, headersTimeout: 30_000 });
  try {
    const base = `http://127.0.0.1:${parley.ready.port}`;
    const { tokens } = parley.ready;
    const delivered = { count: 0 };
    const streams = await openStreams(
      agent,
      base,
      Array.from({ length: FANOUT_STREAMS }, () => tokens.reader as string),
      () => delivered.count++,
    );
    progress(`fan-out: ${streams.length} streams open for one user`);
    await sleep(500);
    const runId = Date.now().toString(36);
    const message = (kind: string) => (_: unknown, k: number) => ({
      clientId: `fanout-${kind}-${runId}-${k}`,
      from: 'writer',
      to: 'reader',
    });
    const warmUp = Array.from({ length: FANOUT_WARMUP_MESSAGES }, message('warm'));
    await pacedSends(base, tokens, warmUp, FANOUT_PACE_MS, streams, () => FANOUT_STREAMS, delivered);
    delivered.count = 0;
    await sleep(500);
    const sends: Send[] = Array.from({ length: FANOUT_MESSAGES }, message('measured'));
    const d = await pacedSends(base, tokens, sends, FANOUT_PACE_MS, streams, () => FANOUT_STREAMS, delivered);
    for (const s of streams) s.close();
    return deliveryRow(`1 user × ${int(FANOUT_STREAMS)} streams, fan-out`, d, [
      `${FANOUT_MESSAGES} messages (after ${FANOUT_WARMUP_MESSAGES} not measured) ${FANOUT_PACE_MS} ms apart from a friend, each to all ${int(FANOUT_STREAMS)} streams of one user (hub maxStreamsPerUser raised to ${FANOUT_STREAMS + 100}); latency = arrival on a stream − just before the POST, both in this process`,
    ]);
  } finally {
    await agent.destroy();
    await stopChild(parley.child);
  }
}

async function scenarioFanoutMany(): Promise<{ row: Row; data: object }> {
  const parley = await startParley({ setup: 'fanout-many', readers: MANY_READERS, senders: MANY_WRITERS });
  const agent = new Agent({ connections: MANY_READERS + 100, bodyTimeout: 0, headersTimeout: 30_000 });
  try {
    const base = `http://127.0.0.1:${parley.ready.port}`;
    const { tokens } = parley.ready;
    const readers = parley.ready.info.readers as { reader: string; writer: string }[];
    const delivered = { count: 0 };
    const streams = await openStreams(
      agent,
      base,
      readers.map((r) => tokens[r.reader] as string),
      () => delivered.count++,
    );
    progress(`fan-out (many users): ${streams.length} streams open, one per user`);
    await sleep(500);
    const runId = Date.now().toString(36);
    const message = (kind: string) => (r: { reader: string; writer: string }, k: number) => ({
      clientId: `many-${kind}-${runId}-${k}`,
      from: r.writer,
      to: r.reader,
    });
    const warmUp = readers.slice(0, MANY_WARMUP_SENDS).map(message('warm'));
    await pacedSends(base, tokens, warmUp, MANY_PACE_MS, streams, () => 1, delivered);
    delivered.count = 0;
    await sleep(500);
    const sends: Send[] = readers.map(message('measured'));
    const d = await pacedSends(base, tokens, sends, MANY_PACE_MS, streams, () => 1, delivered);
    for (const s of streams) s.close();
    return deliveryRow(`${int(MANY_READERS)} users × 1 stream`, d, [
      `${int(MANY_READERS)} readers each holding one stream, each a friend of one of ${MANY_WRITERS} writers; one message to each reader (after ${MANY_WARMUP_SENDS} not measured), ${MANY_PACE_MS} ms apart (~${(1000 / MANY_PACE_MS / MANY_WRITERS).toFixed(0)} sends/s per writer, under the default limit)`,
    ]);
  } finally {
    await agent.destroy();
    await stopChild(parley.child);
  }
}

// ---------------------------------------------------------------------------------------------------------

function progress(text: string) {
  process.stderr.write(`  … ${text}\n`);
}

/**
 * JSON as the repository's formatter (Biome) would lay it out, so `biome check` passes on the results too:
 * two-space indent, and an array of plain values on one line when that line fits in 110 columns.
 */
function toJson(value: unknown): string {
  const text = JSON.stringify(value, null, 2);
  const collapsed = text.replace(/\[\n\s*([^[\]{}]*?)\n\s*\]/g, (whole, body: string, offset: number) => {
    const line = `[${body
      .split(',\n')
      .map((item) => item.trim())
      .join(', ')}]`;
    const column = offset - (text.lastIndexOf('\n', offset) + 1);
    return column + line.length + 1 <= 110 ? line : whole;
  });
  return `${collapsed}\n`;
}

function table(rows: Row[]): string {
  const header = ['Scenario', 'Median figure', 'Baseline', 'Ratio', 'Goal', 'Result'];
  const cells = rows.map((r) => [
    r.scenario,
    r.figure,
    r.baseline,
    r.ratio,
    r.goal,
    r.pass ? 'PASS' : 'FAIL',
  ]);
  return markdownTable(header, cells);
}

async function main() {
  const date = new Date();
  const cpu = cpus();
  const machine = {
    date: date.toISOString(),
    node: process.version,
    cpu: `${cpu[0]?.model ?? 'unknown'} × ${cpu.length}`,
    platform: `${process.platform} ${process.arch}`,
    loadAverageAtStart: loadavg().map((l) => Number(l.toFixed(2))),
    loadAverageAtEnd: [] as number[],
    cpuPressureAtStart: cpuPressure(),
    cpuPressureAtEnd: null as number | null,
    dbDir: dirname(tempDir),
  };
  console.log(`Parley server benchmark — ${machine.date}`);
  console.log(`Node ${machine.node}, ${machine.platform}, CPU: ${machine.cpu}`);
  console.log(
    `Servers in child processes on 127.0.0.1; ${ROUNDS} rounds of ${ROUND_SECONDS} s after a ${WARMUP_SECONDS} s warm-up, medians; autocannon ${CONNECTIONS} connections, pipelining 1.`,
  );
  console.log(
    `SQLite (WAL) file in a temp dir under ${dirname(tempDir)}; password hashing cost lowered for account setup (not measured).`,
  );
  const pressure = (p: number | null) =>
    p === null ? '' : `; CPU pressure (PSI some, avg60) ${p.toFixed(0)} %`;
  console.log(
    `Load average at start: ${machine.loadAverageAtStart.join(', ')} (${cpu.length} cores)${pressure(machine.cpuPressureAtStart)}.\n`,
  );

  const scenarios: [string, () => Promise<{ row: Row; data: object }>][] = [
    ['poll', scenarioPoll],
    ['sends', scenarioSends],
    ['fanout', scenarioFanout],
    ['fanout-many', scenarioFanoutMany],
  ];
  const rows: Row[] = [];
  const data: Record<string, object> = {};
  for (const [name, run] of scenarios) {
    if (!ONLY.has(name)) continue;
    progress(`scenario ${name}…`);
    const result = await run();
    rows.push(result.row);
    data[name] = result.data;
  }

  machine.loadAverageAtEnd = loadavg().map((l) => Number(l.toFixed(2)));
  machine.cpuPressureAtEnd = cpuPressure();
  console.log(table(rows));
  console.log('');
  const busiest = Math.max(machine.loadAverageAtStart[0] ?? 0, machine.loadAverageAtEnd[0] ?? 0);
  if (busiest > cpu.length) {
    console.log(
      `Note: load average reached ${busiest} on ${cpu.length} cores (${machine.loadAverageAtEnd.join(', ')} at the end${pressure(machine.cpuPressureAtEnd)}): other processes competed for the CPU, so throughput is lower and latency noisier than on an idle machine.\n`,
    );
  }
  for (const row of rows) {
    console.log(`${row.scenario}:`);
    for (const note of row.notes) console.log(`  - ${note}`);
  }

  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `server-${machine.date.replace(/[:.]/g, '-')}.json`);
  const settings = {
    rounds: ROUNDS,
    roundSeconds: ROUND_SECONDS,
    warmupSeconds: WARMUP_SECONDS,
    connections: CONNECTIONS,
  };
  writeFileSync(file, toJson({ machine, settings, rows, scenarios: data }));
  console.log(`\nResults written to ${file}`);
}

main().then(
  // Exiting tears down (bench/children.ts): children killed, the scratch directory removed.
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(
      `bench/server.ts failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
