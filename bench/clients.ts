// `npm run bench:clients`: a bounded, loopback-only benchmark of the headless client. Not a test.
//
// N headless clients (src/client: the real XState actor system over undici) run in THIS process, against the
// reference server in a child process (bench/serve.ts, setup `none`, SQLite :memory:), so the server's CPU
// and heap are not in this process's. For each N (100, 500, 1,000 by default), on a fresh server:
//   0. warm-up: one pair through the whole path (sign-up, friends, stream, a message each way), stopped, so
//      code compiled on first use is not counted as per-client heap;
//   1. setup: N clients register in pairs (user 2k and 2k+1), the first adds the second as a friend, each
//      selects its partner (so a conversation actor is open); waits until every client is online, live
//      (event stream open) and its conversation loaded;
//   2. heap per client: heapUsed after gc once the N clients settled, minus heapUsed after gc before the first
//      was created, divided by N;
//   3. latency: paced messages (100 a second) between a sample of pairs, each from the time just before
//      `send()` to the time the recipient's conversation actor shows it (a snapshot subscription);
//      after a short warm-up that is not counted. Sent as one paced stream cut into rounds of 500 messages:
//      p50 and p99 are the medians of the rounds' (so a burst of load from another process on the machine
//      moves one round, not the figure); the pooled p99 and each round's are printed too; max is over all.
// Then every client and the server stop (also on an error or a signal). Prints a table and writes
// bench/results/clients-<date>.json.
//
// The server hashes passwords with scrypt at a lowered cost (bench/serve.ts: { cost: 1024 }) so that 1,000
// registrations take seconds; sign-up is setup and not measured.
//
// Knobs (environment): BENCH_CLIENTS (comma-separated even sizes, default 100,500,1000), BENCH_ROUNDS (3),
// BENCH_MESSAGES (a round, 500),
// BENCH_RATE (messages a second, 100), BENCH_PAIRS (sampled pairs, 100), BENCH_CONNECTIONS (sockets for calls
// per client, 1; the event stream has one of its own), BENCH_PROFILE=1 (CPU profile of the server child into
// bench/results/profiles), BENCH_CLIENT_PROFILE=1 (CPU profile of this process during the largest N's sends,
// ditto), BENCH_HEAP_SNAPSHOT=1 (heap snapshots of this process before and after the largest N, into
// bench/results; ids are stable, so the two diff well), BENCH_BREAKDOWN=1 (where each message's time goes;
// wraps every client's API, so that run's heap figure is not the client's alone).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, PerformanceObserver, performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { writeHeapSnapshot } from 'node:v8';
import type { AnyActorRef, Subscription } from 'xstate';
import type { MessageBody } from '../machines/ports';
import { createNodeApiClient, type NodeApiClient } from '../src/api/node';
import { createParleyClient, type ParleyClient } from '../src/client';
import type { ServeOptions, ServeReady } from './serve/options';
import { stopChild } from './shared/children';
import { intFromEnv } from './shared/env';
import { markdownTable } from './shared/format';
import { cpuMsOf, cpuPressure } from './shared/machine';
import { percentile } from './shared/stats';

const SIZES = listFromEnv('BENCH_CLIENTS', [100, 500, 1000]);
const MESSAGES = intFromEnv('BENCH_MESSAGES', 500);
const ROUNDS = intFromEnv('BENCH_ROUNDS', 3);
const RATE = intFromEnv('BENCH_RATE', 100);
const SAMPLE_PAIRS = intFromEnv('BENCH_PAIRS', 100);
const CONNECTIONS = intFromEnv('BENCH_CONNECTIONS', 1);
const PROFILE = process.env.BENCH_PROFILE === '1';
const HEAP_SNAPSHOT = process.env.BENCH_HEAP_SNAPSHOT === '1';
const CLIENT_PROFILE = process.env.BENCH_CLIENT_PROFILE === '1';
const BREAKDOWN = process.env.BENCH_BREAKDOWN === '1';

/** Messages sent before the measured ones (JIT, first requests on each socket); not counted. */
const WARMUP_MESSAGES = 50;
/** Pairs signing up at the same time during setup. */
const SETUP_CONCURRENCY = 25;
/** How long a message may take to show before it is counted missing. */
const DELIVERY_GRACE_MS = 10_000;
/** After setup, before the heap is read: lets the first requests' garbage and timers settle. */
const SETTLE_MS = 2000;
const PASSWORD = 'benchmark password';

const GOAL_HEAP_KB = 100;
const GOAL_P99_MS = 50;

const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RESULTS_DIR = join(BENCH_DIR, 'results');
const TSX = import.meta.resolve('tsx');

function listFromEnv(name: string, fallback: number[]): number[] {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  return text.split(',').map((part) => {
    const n = Number(part.trim());
    if (!Number.isInteger(n) || n < 2 || n % 2 !== 0)
      throw new Error(`${name} must list even whole numbers ≥ 2, not "${text}".`);
    return n;
  });
}

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  process.stderr.write(
    'bench/clients.ts needs --expose-gc: npm run bench:clients, or node --expose-gc --import tsx bench/clients.ts\n',
  );
  process.exit(2);
}

// ---------------------------------------------------------------------------------------------------------
// The server child, the clients, and teardown

const children = new Set<ChildProcess>();
/** The clients of the size being run, so an error or a signal stops them too. */
let live: ParleyClient[] = [];

/** Synchronous, so it also runs from the 'exit' event: kills the server child if it is still there. */
function killChildren() {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  children.clear();
}
process.on('exit', killChildren);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    process.stderr.write(`\n${signal}: stopping the benchmark.\n`);
    void stopClients(live).finally(() => {
      killChildren();
      process.exit(130);
    });
    // Whatever happens to the clients, leave within a second.
    setTimeout(() => {
      killChildren();
      process.exit(130);
    }, 1000).unref();
  });
}

async function stopClients(clients: ParleyClient[]) {
  await Promise.allSettled(clients.map((c) => c.stop()));
}

/** Starts bench/serve.ts with node + tsx and waits for the JSON line it prints once listening. */
function startServer(options: ServeOptions): Promise<{ child: ChildProcess; ready: ServeReady }> {
  const nodeArgs = PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${join(RESULTS_DIR, 'profiles')}`] : [];
  const child = spawn(
    process.execPath,
    [...nodeArgs, '--import', TSX, join(BENCH_DIR, 'serve', 'index.ts'), JSON.stringify(options)],
    { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] },
  );
  children.add(child);
  child.on('exit', () => children.delete(child));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('serve.ts did not start within 60 s'));
    }, 60_000);
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.once('line', (line) => {
      clearTimeout(timer);
      try {
        resolve({ child, ready: JSON.parse(line) as ServeReady });
      } catch {
        reject(new Error(`serve.ts printed "${line}" instead of its JSON line`));
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`serve.ts exited (${signal ?? code}) before it was ready`));
    });
  });
}

/** Heap in use after full collections (twice: the first may leave weakly held and finalised objects). */
async function settledHeap() {
  await sleep(50);
  gc?.();
  await sleep(50);
  gc?.();
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, rss: m.rss };
}

/** Resolves once `check` holds for every client (one shared poll, not one timer per client). */
async function untilAll(
  clients: ParleyClient[],
  check: (c: ParleyClient) => boolean,
  ms: number,
  what: string,
) {
  const started = Date.now();
  for (;;) {
    const left = clients.filter((c) => !check(c)).length;
    if (left === 0) return;
    if (Date.now() - started > ms) throw new Error(`timed out after ${ms} ms: ${left} clients not ${what}`);
    await sleep(20);
  }
}

const conversationOf = (c: ParleyClient) =>
  (c.actor.getSnapshot().children as Record<string, AnyActorRef | undefined>).conversation;

const ready = (c: ParleyClient, partner: string) => {
  if (c.peer() !== partner) return false;
  const connection = c.connection();
  const conversation = conversationOf(c);
  return (
    connection.online &&
    connection.live &&
    conversation !== undefined &&
    !conversation.getSnapshot().hasTag('loading')
  );
};

// ---------------------------------------------------------------------------------------------------------
// Statistics and formatting

const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—');
const ms = (n: number) => (Number.isFinite(n) ? `${n.toFixed(1)} ms` : '—');
const kb = (bytes: number) => `${(bytes / 1000).toFixed(1)} KB`;

function progress(text: string) {
  process.stderr.write(`  … ${text}\n`);
}

/** A heap snapshot of this process into bench/results (for a diff of before and after in DevTools). */
function heapSnapshot(n: number, when: 'before' | 'after') {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = writeHeapSnapshot(join(RESULTS_DIR, `clients-${n}-${when}-${Date.now()}.heapsnapshot`));
  progress(`heap snapshot written to ${file}`);
}

// ---------------------------------------------------------------------------------------------------------
// One size

interface Pair {
  a: ParleyClient;
  b: ParleyClient;
  nameA: string;
  nameB: string;
}

interface SizeResult {
  clients: number;
  setupMs: number;
  heapBefore: Awaited<ReturnType<typeof settledHeap>>;
  heapAfter: Awaited<ReturnType<typeof settledHeap>>;
  heapPerClient: number;
  externalPerClient: number;
  rssPerClient: number;
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
  mean: number;
  rounds: { shown: number; p50: number; p99: number; max: number }[];
  /** Linux PSI: the share of the last 10 s in which some task waited for a CPU, at the end of the sends. */
  cpuPressure: number | null;
  eventLoopDelayP99Ms: number;
  eventLoopDelayMaxMs: number;
  /** Garbage collections in this process while the measured messages were in flight. */
  gcCount: number;
  gcTotalMs: number;
  gcMaxMs: number;
  /** With BENCH_BREAKDOWN=1: send() → POST issued, POST → recipient's stream parsed it, POST → answer, parsed → shown. */
  breakdown: Record<string, { p50: number; p99: number; max: number }> | null;
  clientCpuMs: number;
  /** The share of one core this process used while the N clients sat idle (before the heap was read). */
  idleCpuShare: number;
  serverCpuMs: number | null;
  durationMs: number;
  heapPass: boolean;
  latencyPass: boolean;
}

/** A recipient's conversation, watched: `onMessages` runs on each snapshot, re-attached if the actor is replaced. */
function watchConversation(client: ParleyClient, onMessages: (messages: MessageBody[]) => void) {
  let current: AnyActorRef | undefined;
  let inner: Subscription | undefined;
  const attach = () => {
    const conversation = conversationOf(client);
    if (conversation === current) return;
    inner?.unsubscribe();
    current = conversation;
    inner = conversation?.subscribe((snapshot) => onMessages(snapshot.context.messages as MessageBody[]));
    if (conversation) onMessages(conversation.getSnapshot().context.messages as MessageBody[]);
  };
  const outer = client.actor.subscribe(attach);
  attach();
  return () => {
    outer.unsubscribe();
    inner?.unsubscribe();
  };
}

/** Times (performance.now) a message reached each stage, by clientId; filled only with BENCH_BREAKDOWN=1. */
const stages = new Map<string, { posted?: number; answered?: number; pushed?: number }>();
const stage = (clientId: string) => {
  const entry = stages.get(clientId) ?? {};
  stages.set(clientId, entry);
  return entry;
};

/** The API with time stamps: when the send is posted and answered, and when the recipient's stream parsed it. */
function timed(api: NodeApiClient): NodeApiClient {
  return {
    ...api,
    send(token, message, opts) {
      stage(message.clientId).posted = performance.now();
      return api.send(token, message, opts).then((answer) => {
        stage(message.clientId).answered = performance.now();
        return answer;
      });
    },
    events(token, lastEventId, handlers, opts) {
      return api.events(
        token,
        lastEventId,
        {
          ...handlers,
          onEvent(event) {
            if (event.type === 'message' && event.data.direction === 'received' && event.data.clientId)
              stage(event.data.clientId).pushed = performance.now();
            handlers.onEvent(event);
          },
        },
        opts,
      );
    },
  };
}

const userName = (i: number) => `user_${String(i).padStart(5, '0')}`;

async function runSize(n: number): Promise<SizeResult> {
  const server = await startServer({ setup: 'none', dbPath: ':memory:' });
  const baseUrl = `http://127.0.0.1:${server.ready.port}`;
  const pairs: Pair[] = [];
  try {
    const make = (seed: number) =>
      createParleyClient({
        baseUrl,
        seed,
        // Each client its own sockets, as separate people would have: the event stream one (src/api/node.ts),
        // calls CONNECTIONS more. Without a cap each concurrent call could open a socket of its own.
        api: (BREAKDOWN ? timed : (api: NodeApiClient) => api)(
          createNodeApiClient(baseUrl, { agent: { connections: CONNECTIONS } }),
        ),
      });
    /** Two clients signed up, friends, each with the other's conversation open (not yet loaded). */
    const signUp = async (nameA: string, nameB: string, seed: number): Promise<Pair> => {
      const a = make(seed);
      const b = make(seed + 1);
      live.push(a, b);
      await Promise.all([a.register(nameA, PASSWORD), b.register(nameB, PASSWORD)]);
      a.addFriend(nameB);
      await a.until(() => a.friends().some((f) => f.username === nameB), 20_000, `${nameA} to add ${nameB}`);
      await b.until(() => b.friends().some((f) => f.username === nameA), 20_000, `${nameB} to see ${nameA}`);
      a.select(nameB);
      b.select(nameA);
      return { a, b, nameA, nameB };
    };

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
      live = [];
      await stopClients([warm.a, warm.b]);
    }

    const heapBefore = await settledHeap();
    const snapshot = HEAP_SNAPSHOT && n === Math.max(...SIZES);
    if (snapshot) heapSnapshot(n, 'before');

    const setupStarted = performance.now();
    progress(`${n} clients: signing up ${n / 2} pairs, ${SETUP_CONCURRENCY} pairs at a time`);
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
    await untilAll(
      allClients,
      (c) => ready(c, partnerOf.get(c) as string),
      60_000,
      'online, live and with their conversation loaded',
    );
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
      await untilAll(
        allClients,
        (c) => ready(c, partnerOf.get(c) as string),
        60_000,
        'back after the snapshot',
      );
      await sleep(SETTLE_MS);
    }

    // --- Latency: paced sends between a sample of pairs spread over the population.
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
    const serverCpuBefore = cpuMsOf(server.ready.pid);
    const total = WARMUP_MESSAGES + ROUNDS * MESSAGES;
    const paceMs = 1000 / RATE;
    progress(
      `${n} clients: ${WARMUP_MESSAGES} warm-up + ${ROUNDS} × ${MESSAGES} messages at ${RATE}/s over ${sampled} pairs`,
    );
    const profiler = CLIENT_PROFILE && n === Math.max(...SIZES) ? new Session() : null;
    if (profiler) {
      profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.start');
    }
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
    if (profiler) {
      const { profile } = await profiler.post('Profiler.stop');
      profiler.disconnect();
      mkdirSync(join(RESULTS_DIR, 'profiles'), { recursive: true });
      const file = join(RESULTS_DIR, 'profiles', `clients-${n}-${Date.now()}.cpuprofile`);
      writeFileSync(file, JSON.stringify(profile));
      progress(`CPU profile of the sends written to ${file}`);
    }
    loopDelay.disable();
    gcObserver.disconnect();
    const cpu = process.cpuUsage(cpuBefore);
    const pressure = cpuPressure('avg10');
    const serverCpuAfter = cpuMsOf(server.ready.pid);
    for (const stop of unwatch) stop();

    const missing = [...pending.values()].reduce(
      (sum, w) => sum + [...w.keys()].filter((id) => counted.has(id)).length,
      0,
    );
    const sorted = rounds.flat().sort((x, y) => x - y);
    const perRound = rounds.map((r) => {
      const v = [...r].sort((x, y) => x - y);
      return { shown: v.length, p50: percentile(v, 50), p99: percentile(v, 99), max: v.at(-1) ?? Number.NaN };
    });
    const median = (values: number[]) =>
      percentile(
        [...values].sort((x, y) => x - y),
        50,
      );
    const p99 = median(perRound.map((r) => r.p99));
    let breakdown: SizeResult['breakdown'] = null;
    if (BREAKDOWN) {
      const spans: Record<string, number[]> = {
        toPost: [],
        postToPush: [],
        postToAnswer: [],
        pushToShown: [],
      };
      for (const [id, [sent, shown]] of times) {
        const t = stages.get(id);
        if (t?.posted === undefined || t.pushed === undefined || t.answered === undefined) continue;
        spans.toPost?.push(t.posted - sent);
        spans.postToPush?.push(t.pushed - t.posted);
        spans.postToAnswer?.push(t.answered - t.posted);
        spans.pushToShown?.push(shown - t.pushed);
      }
      breakdown = Object.fromEntries(
        Object.entries(spans).map(([name, values]) => {
          const v = values.sort((x, y) => x - y);
          return [name, { p50: percentile(v, 50), p99: percentile(v, 99), max: v.at(-1) ?? Number.NaN }];
        }),
      );
      stages.clear();
    }
    return {
      clients: n,
      setupMs,
      heapBefore,
      heapAfter,
      heapPerClient,
      externalPerClient: (heapAfter.external - heapBefore.external) / n,
      rssPerClient: (heapAfter.rss - heapBefore.rss) / n,
      sampledPairs: sampled,
      sent: ROUNDS * MESSAGES,
      shown: sorted.length,
      missing,
      p50: median(perRound.map((r) => r.p50)),
      p99,
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
      breakdown,
      clientCpuMs: (cpu.user + cpu.system) / 1000,
      idleCpuShare,
      serverCpuMs:
        serverCpuBefore === null || serverCpuAfter === null ? null : serverCpuAfter - serverCpuBefore,
      durationMs,
      heapPass: heapPerClient <= GOAL_HEAP_KB * 1000,
      latencyPass: missing === 0 && p99 <= GOAL_P99_MS,
    };
  } finally {
    const clients = live;
    live = [];
    pairs.length = 0;
    await stopClients(clients);
    await stopChild(server.child);
  }
}

// ---------------------------------------------------------------------------------------------------------

function table(results: SizeResult[]): string {
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
  };
  const settings = {
    sizes: SIZES,
    rounds: ROUNDS,
    messagesPerRound: MESSAGES,
    warmupMessages: WARMUP_MESSAGES,
    ratePerSecond: RATE,
    sampledPairs: SAMPLE_PAIRS,
    connectionsPerClient: CONNECTIONS,
    batchMs: 0,
    serverHashing: { algorithm: 'scrypt', cost: 1024 },
    serverStore: 'sqlite :memory:',
  };
  console.log(`Parley client benchmark — ${machine.date}`);
  console.log(`Node ${machine.node}, ${machine.platform}, CPU: ${machine.cpu}`);
  console.log(
    `Clients in this process (XState actor system over undici; sockets per client: 1 for the event stream, ${CONNECTIONS} for calls); server in a child process on 127.0.0.1 (SQLite :memory:).`,
  );
  console.log(
    'Password hashing on the server lowered to scrypt cost 1,024 so sign-up is quick (setup, not measured).',
  );
  console.log(
    `Latency: ${ROUNDS} rounds of ${MESSAGES} messages (after ${WARMUP_MESSAGES} warm-up) at ${RATE}/s between up to ${SAMPLE_PAIRS} pairs, from just before send() to the recipient's conversation snapshot showing it; p50/p99 are medians of the rounds'.`,
  );
  console.log(`Load average at start: ${machine.loadAverageAtStart.join(', ')} (${cpu.length} cores).\n`);

  const results: SizeResult[] = [];
  for (const n of SIZES) results.push(await runSize(n));

  machine.loadAverageAtEnd = loadavg().map((l) => Number(l.toFixed(2)));
  console.log(table(results));
  console.log('');
  console.log('KB = 1,000 bytes. Heap/client: V8 heapUsed after gc, (settled N clients − before) / N.');
  for (const r of results) {
    console.log(
      `${int(r.clients)} clients: p99 by round ${r.rounds.map((x) => ms(x.p99)).join(', ')}, pooled ${ms(r.pooledP99)}; ` +
        `external ${kb(r.externalPerClient)}/client, RSS ${kb(r.rssPerClient)}/client; ` +
        `mean ${ms(r.mean)}, missing ${r.missing}; event-loop delay p99 ${ms(r.eventLoopDelayP99Ms)}, max ${ms(r.eventLoopDelayMaxMs)}; ` +
        `GC ${r.gcCount}× ${ms(r.gcTotalMs)} (longest ${ms(r.gcMaxMs)}); ` +
        `CPU idle: clients ${(r.idleCpuShare * 100).toFixed(0)} % of a core; during sends: clients ${int(r.clientCpuMs)} ms, server ${r.serverCpuMs === null ? '—' : int(r.serverCpuMs)} ms over ${int(r.durationMs)} ms` +
        `${r.cpuPressure === null ? '' : `; CPU pressure at the end (PSI some avg10) ${r.cpuPressure.toFixed(0)} %`}.`,
    );
  }
  for (const r of results) {
    if (!r.breakdown) continue;
    const parts = Object.entries(r.breakdown).map(
      ([name, b]) => `${name} p50 ${ms(b.p50)} / p99 ${ms(b.p99)} / max ${ms(b.max)}`,
    );
    console.log(`${int(r.clients)} clients, where the time goes: ${parts.join('; ')}.`);
  }
  const busiest = Math.max(machine.loadAverageAtStart[0] ?? 0, machine.loadAverageAtEnd[0] ?? 0);
  if (busiest > cpu.length)
    console.log(
      `Note: load average reached ${busiest} on ${cpu.length} cores (${machine.loadAverageAtEnd.join(', ')} at the end): other processes competed for the CPU.`,
    );

  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `clients-${machine.date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify({ machine, settings, results }, null, 2)}\n`);
  console.log(`\nResults written to ${file}`);
}

main().then(
  () => {
    killChildren();
    process.exit(0);
  },
  async (err: unknown) => {
    process.stderr.write(
      `bench/clients.ts failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    await stopClients(live);
    killChildren();
    process.exit(1);
  },
);
