// `npm run bench:ui`: a bounded, loopback-only benchmark of the web UI in headless Chromium. Not a test.
//
// The production build (dist/, rebuilt with `npm run build` when missing or older than its sources) is served
// by the real server (`createApp`, as in src/server/main.ts) in a child process of its own: this same file run
// as `ui.ts serve '<json>'`, on a temp SQLite file, with cheap password hashing and a raised send limit (the
// burst below sends 50 messages/s from one user; the default limit is 20/s). The child seeds the conversation
// itself: alice and bob are registered and befriended through the API (app.inject), then 10,000 messages are
// written straight through the store (`app.parley.store.insertMessage`, alternating sender, minutes apart) and
// marked read both ways, so the conversation opens at its newest message with no unread divider.
//
// Two pages are measured in the same run, one after the other (never at once: the machine has two cores):
//   - Parley: the built app, signed in as alice through its form;
//   - BASELINE: what the original desktop app did, a small static page served by this process (node:http,
//     which also forwards /api/ to the Parley child, so the page is same-origin with the API): on choosing
//     bob it fetches the whole history (20 pages of 500, the API's largest page), renders every message as an
//     <article>, and re-fetches the whole history every 2 s, rebuilding the list each time.
// Instruments, injected with addInitScript (the app's CSP forbids inline scripts, not init scripts): a
// buffered PerformanceObserver for 'longtask' (and 'long-animation-frame', for attribution), Event Timing
// entries ('event', durationThreshold 16), a capture keydown listener that records event→next-frame latency
// (from the event's timeStamp to the following requestAnimationFrame callback), the click time, and a
// per-frame check for the newest message being visible inside the `log` named Messages.
// Scenarios:
//   1. open the 10,000-message conversation (fresh browser context each round, median of BENCH_OPEN_ROUNDS):
//      from the click on the friend to the newest message fully visible in the log; Parley's figure is given
//      raw and minus its 300 ms selection debounce (the goal applies to the latter). Long tasks from the
//      click to 500 ms after it was shown.
//   2. a burst: bob sends 50 messages/s for 10 s through the API (undici, paced), while the bench types into
//      the `Message` box (one key every 100 ms): long tasks, message DOM nodes in the log (sampled each
//      second, max), and typing latency p50/p99/max.
//   3. the same burst on Parley with the inspector open (its `Inspector` button, after the conversation is
//      open): long tasks and typing latency, as extra rows.
// Prints a table and writes bench/results/ui-<date>.json. The browser and the child are stopped on exit,
// error and SIGINT/SIGTERM/SIGHUP.
//
// Knobs (environment): BENCH_OPEN_ROUNDS (5), BENCH_BURST_ROUNDS (1), BENCH_MESSAGES (10000),
// BENCH_DB_DIR (parent of the SQLite temp dir; default /dev/shm, else the OS temp dir), BENCH_TRACE=1 (a
// Chromium performance trace of each Parley burst into bench/results/), CHROMIUM_PATH (/usr/bin/chromium).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, Agent as HttpAgent, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { stopChild } from './shared/children';
import { intFromEnv } from './shared/env';
import { median, percentile } from './shared/stats';
import { dbParentDir } from './shared/teardown';

const OPEN_ROUNDS = intFromEnv('BENCH_OPEN_ROUNDS', 5);
const BURST_ROUNDS = intFromEnv('BENCH_BURST_ROUNDS', 1);
const MESSAGES = intFromEnv('BENCH_MESSAGES', 10_000);
const TRACE = process.env.BENCH_TRACE === '1';

const BURST_RATE = 50;
const BURST_SECONDS = 10;
const TYPE_EVERY_MS = 100;
/** After the click on a friend, Parley waits this long for the choice to settle (machines/selectionMachine.ts). */
const SELECTION_DEBOUNCE_MS = 300;
/** Long tasks this long after the newest message was shown still count as part of opening. */
const OPEN_SETTLE_MS = 500;
/** After the burst's last send: time for the last messages (and the baseline's last rebuild) to land. */
const BURST_TAIL_MS = 2500;
const BASELINE_REFETCH_MS = 2000;
/** How long the last burst message may take to appear before the burst counts as not shown. */
const CATCH_UP_LIMIT_MS = 15_000;
const API_PAGE_MAX = 500;
const VIEWPORT = { width: 1280, height: 800 };
const PASSWORD = 'benchmark password';

const GOALS = { showMs: 150, longTasks: 0, nodes: 200, typingMs: 100 };

const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = join(ROOT, 'dist');
const RESULTS_DIR = join(BENCH_DIR, 'results');
const TSX = import.meta.resolve('tsx');

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

// =========================================================================================================
// The child: the real server on the built UI, seeded

interface ServeOptions {
  dbPath: string;
  messages: number;
  staticDir: string;
}

interface ServeReady {
  port: number;
  pid: number;
  tokens: Record<string, string>;
  /** Content of the newest seeded message (unique), and how long seeding took. */
  newest: string;
  lastId: number;
  seedMs: number;
}

/** A sentence of 3 to 30 words, so rows differ in height as real ones do. */
function seedText(i: number): string {
  const words = ['parley', 'message', 'hello', 'tomorrow', 'coffee', 'deploy', 'meeting', 'lunch', 'ok'];
  const count = 3 + ((i * 7919) % 28);
  const out: string[] = [`#${i}`];
  for (let w = 0; w < count; w++) out.push(words[(i + w * 31) % words.length] as string);
  return out.join(' ');
}

async function serveChild(options: ServeOptions): Promise<void> {
  const { createApp } = await import('../src/server/app');
  const { openSqliteStore } = await import('../src/server/store/sqlite');
  const store = openSqliteStore(options.dbPath);
  const app = await createApp({
    store,
    staticDir: options.staticDir,
    // Cheap hashing: signing in is not what is measured.
    hashing: { cost: 1024 },
    // The burst is 50 messages/s from one sender; the default limit (20/s) would refuse most of it.
    sendRate: { capacity: 1000, perSecond: 1000 },
  });
  const tokens: Record<string, string> = {};
  const call = async (url: string, token: string | null, payload: object) => {
    const res = await app.inject({
      method: 'POST',
      url,
      headers: token ? { authorization: `Bearer ${token}` } : {},
      payload,
    });
    if (res.statusCode >= 300) throw new Error(`seed: POST ${url} answered ${res.statusCode} ${res.body}`);
    return res.json() as Record<string, unknown>;
  };
  for (const username of ['alice', 'bob'])
    tokens[username] = (await call('/api/register', null, { username, password: PASSWORD })).token as string;
  await call('/api/friends', tokens.alice as string, { username: 'bob' });
  const ids: Record<string, number> = {};
  for (const username of ['alice', 'bob']) {
    const user = await app.parley.store.findUserByName(username);
    if (!user) throw new Error(`seed: ${username} was not created`);
    ids[username] = user.id;
  }
  const alice = ids.alice as number;
  const bob = ids.bob as number;

  const seedStarted = performance.now();
  const start = Date.now() - options.messages * 60_000;
  let lastId = 0;
  let newest = '';
  for (let i = 1; i <= options.messages; i++) {
    const fromBob = i % 2 === 1;
    const content = i === options.messages ? `${seedText(i)} (newest seeded message)` : seedText(i);
    const { message } = await app.parley.store.insertMessage({
      senderId: fromBob ? bob : alice,
      recipientId: fromBob ? alice : bob,
      content,
      clientId: `seed-${i}`,
      timestamp: start + i * 60_000,
      delivered: true,
    });
    lastId = message.id;
    newest = content;
  }
  await app.parley.store.readMessages(alice, bob, { after: lastId, limit: 1 });
  await app.parley.store.readMessages(bob, alice, { after: lastId, limit: 1 });
  const seedMs = performance.now() - seedStarted;

  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const port = Number(new URL(address).port);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(0), 3000).unref();
    app.close().then(
      () => {
        for (const suffix of ['', '-wal', '-shm']) rmSync(`${options.dbPath}${suffix}`, { force: true });
        process.exit(0);
      },
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdin.on('end', stop);
  process.stdin.on('close', stop);
  process.stdin.resume();
  const ready: ServeReady = { port, pid: process.pid, tokens, newest, lastId, seedMs };
  process.stdout.write(`${JSON.stringify(ready)}\n`);
}

// =========================================================================================================
// The parent: teardown

const children = new Set<ChildProcess>();
let browser: Browser | null = null;
let baselineServer: Server | null = null;
let tempDir: string | null = null;
let tornDown = false;

/** Synchronous, so it also runs from the 'exit' event (Playwright kills its browser on exit as well). */
function tearDownNow() {
  if (tornDown) return;
  tornDown = true;
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  children.clear();
  baselineServer?.closeAllConnections();
  baselineServer?.close();
  if (tempDir) rmSync(tempDir, { recursive: true, force: true });
}

async function tearDown() {
  const b = browser;
  browser = null;
  if (b) await Promise.race([b.close().catch(() => {}), sleep(5000)]);
  await Promise.all([...children].map(stopChild));
  tearDownNow();
}

function installTeardown() {
  process.on('exit', tearDownNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      process.stderr.write(`\n${signal}: stopping the benchmark.\n`);
      void tearDown().finally(() => process.exit(130));
    });
  }
}

function startServerChild(options: ServeOptions): Promise<{ child: ChildProcess; ready: ServeReady }> {
  const script = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, ['--import', TSX, script, 'serve', JSON.stringify(options)], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('the server child did not start within 180 s'));
    }, 180_000);
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.once('line', (line) => {
      clearTimeout(timer);
      try {
        resolve({ child, ready: JSON.parse(line) as ServeReady });
      } catch {
        reject(new Error(`the server child printed "${line}" instead of its JSON line`));
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the server child exited (${signal ?? code}) before it was ready`));
    });
  });
}

// =========================================================================================================
// The production build

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/** Builds dist/ when it is missing or older than anything it is built from. */
function ensureBuild(): string {
  const builtAt = existsSync(join(DIST, 'index.html')) ? statSync(join(DIST, 'index.html')).mtimeMs : 0;
  const sources = ['src/ui', 'src/api', 'machines', 'public', 'vite.config.ts', 'package.json']
    .map((p) => join(ROOT, p))
    .filter((p) => existsSync(p));
  const sourcesAt = Math.max(...sources.map(newestMtime));
  if (builtAt > sourcesAt) return 'up to date';
  progress(builtAt === 0 ? 'dist/ is missing: npm run build' : 'dist/ is stale: npm run build');
  const result = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) throw new Error(`npm run build failed (${result.status ?? result.signal})`);
  return 'rebuilt';
}

// =========================================================================================================
// The baseline page: the original desktop app's way, re-fetch everything every 2 s and rebuild the list

const BASELINE_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Baseline</title>
<style>
body { margin: 0; font: 14px system-ui, sans-serif; display: flex; height: 100vh; background: #111; color: #ddd; }
nav { width: 240px; border-right: 1px solid #333; }
main { flex: 1; display: flex; flex-direction: column; min-width: 0; }
#log { flex: 1; overflow: auto; padding: 8px; }
article { margin: 4px 0; padding: 6px 10px; border-radius: 8px; max-width: 70%; background: #223; }
article.sent { margin-left: auto; background: #235; }
article p { margin: 0; white-space: pre-wrap; }
textarea { margin: 8px; height: 40px; }
</style></head>
<body>
<nav aria-label="Friends"><ul aria-label="Friends"><li><button type="button" id="bob">bob offline</button></li></ul></nav>
<main><h2 id="peer"></h2>
<div id="log" role="log" aria-label="Messages" tabindex="0"></div>
<textarea aria-label="Message" placeholder="Message"></textarea>
</main>
<script src="/baseline.js"></script>
</body></html>`;

const BASELINE_JS = `'use strict';
const token = decodeURIComponent(location.hash.slice(1));
const log = document.getElementById('log');
let peer = null;
let timer = null;
let first = true;
async function fetchAll(who) {
  let all = [];
  let before = null;
  for (;;) {
    const url = '/api/messages?peer=' + encodeURIComponent(who) + '&limit=${API_PAGE_MAX}' + (before === null ? '' : '&before=' + before);
    const res = await fetch(url, { headers: { authorization: 'Bearer ' + token } });
    if (!res.ok) throw new Error('GET ' + url + ': ' + res.status);
    const page = await res.json();
    all = page.concat(all);
    if (page.length < ${API_PAGE_MAX}) return all;
    before = page[0].id;
  }
}
function render(messages) {
  const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
  const frag = document.createDocumentFragment();
  for (const m of messages) {
    const a = document.createElement('article');
    a.className = m.direction;
    const p = document.createElement('p');
    p.textContent = m.content;
    const t = document.createElement('time');
    t.textContent = new Date(m.timestamp).toLocaleTimeString();
    a.append(p, t);
    frag.append(a);
  }
  log.replaceChildren(frag);
  if (atBottom || first) log.scrollTop = log.scrollHeight;
  first = false;
}
async function refresh() {
  const who = peer;
  const started = performance.now();
  try {
    const messages = await fetchAll(who);
    if (who === peer) render(messages);
  } catch (err) {
    console.error(err);
  }
  if (who === peer) timer = setTimeout(refresh, Math.max(0, ${BASELINE_REFETCH_MS} - (performance.now() - started)));
}
document.getElementById('bob').addEventListener('click', () => {
  peer = 'bob';
  first = true;
  document.getElementById('peer').textContent = 'bob';
  clearTimeout(timer);
  refresh();
});
`;

/** Serves the baseline page and forwards /api/ to Parley, so the page and the API share an origin. */
function startBaselineServer(parleyPort: number): Promise<number> {
  const agent = new HttpAgent({ keepAlive: true, maxSockets: 16 });
  const server = createServer((req, res) => {
    if (req.url?.startsWith('/api/')) {
      const upstream = httpRequest(
        {
          host: '127.0.0.1',
          port: parleyPort,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: `127.0.0.1:${parleyPort}` },
          agent,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => {
        if (!res.headersSent) res.writeHead(502);
        res.end();
      });
      req.pipe(upstream);
      return;
    }
    const path = req.url?.split(/[?#]/)[0];
    if (path === '/' || path === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(BASELINE_HTML);
    } else if (path === '/baseline.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(BASELINE_JS);
    } else {
      res.writeHead(404).end();
    }
  });
  baselineServer = server;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

// =========================================================================================================
// In the page: the instruments (an init script, so the app's CSP does not apply)

interface LongTask {
  start: number;
  duration: number;
}

interface LoafScript {
  invoker: string;
  sourceURL: string;
  sourceFunctionName: string;
  duration: number;
  forcedStyleAndLayoutDuration: number;
}

interface Loaf {
  start: number;
  duration: number;
  blockingDuration: number;
  /** Time spent in style and layout at the end of the frame. */
  renderMs: number;
  scripts: LoafScript[];
}

interface PageFigures {
  longTasks: LongTask[];
  loafs: Loaf[];
  /** Event Timing entries for key and input events: name and duration. */
  events: { name: string; start: number; duration: number }[];
  /** event.timeStamp → next requestAnimationFrame callback, per keydown. */
  keyLatency: { start: number; latency: number; queued: number }[];
  nodeSamples: { at: number; nodes: number }[];
  clickAt: number | null;
  shownAt: number | null;
}

/** Runs in the page before any of its scripts. Kept free of outside references: it is serialised. */
function instrument() {
  const state: PageFigures & { watch: string | null } = {
    longTasks: [],
    loafs: [],
    events: [],
    keyLatency: [],
    nodeSamples: [],
    clickAt: null,
    shownAt: null,
    watch: null,
  };
  (window as unknown as { __bench: typeof state }).__bench = state;
  const observe = (type: string, handle: (entry: PerformanceEntry) => void, extra: object = {}) => {
    try {
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) handle(entry);
      }).observe({ type, buffered: true, ...extra } as PerformanceObserverInit);
    } catch {
      // Not supported by this browser.
    }
  };
  observe('longtask', (e) => state.longTasks.push({ start: e.startTime, duration: e.duration }));
  observe('long-animation-frame', (e) => {
    const f = e as PerformanceEntry & {
      blockingDuration: number;
      renderStart: number;
      styleAndLayoutStart: number;
      scripts: (LoafScript & { startTime: number })[];
    };
    state.loafs.push({
      start: f.startTime,
      duration: f.duration,
      blockingDuration: f.blockingDuration,
      renderMs: f.styleAndLayoutStart > 0 ? f.startTime + f.duration - f.styleAndLayoutStart : 0,
      scripts: f.scripts.map((s) => ({
        invoker: s.invoker,
        sourceURL: s.sourceURL,
        sourceFunctionName: s.sourceFunctionName,
        duration: s.duration,
        forcedStyleAndLayoutDuration: s.forcedStyleAndLayoutDuration,
      })),
    });
  });
  observe(
    'event',
    (e) => {
      if (/^key|input/.test(e.name))
        state.events.push({ name: e.name, start: e.startTime, duration: e.duration });
    },
    { durationThreshold: 16 },
  );
  addEventListener(
    'keydown',
    (event) => {
      const start = event.timeStamp;
      const queued = performance.now() - start;
      requestAnimationFrame(() => {
        state.keyLatency.push({ start, latency: performance.now() - start, queued });
      });
    },
    true,
  );
  addEventListener(
    'click',
    (event) => {
      state.clickAt = event.timeStamp;
    },
    true,
  );
  const messageNodes = () => {
    const log = document.querySelector('[role="log"][aria-label="Messages"]');
    if (!log) return 0;
    let n = log.querySelectorAll('article').length;
    for (const item of log.querySelectorAll('li, [role="listitem"]')) if (!item.querySelector('article')) n++;
    return n;
  };
  (window as unknown as { __benchNodes: () => number }).__benchNodes = messageNodes;
  setInterval(() => state.nodeSamples.push({ at: performance.now(), nodes: messageNodes() }), 1000);
  // Each frame while watching: is an article or listitem holding `watch` fully inside the log's box?
  const visible = (text: string) => {
    const log = document.querySelector('[role="log"][aria-label="Messages"]');
    if (!log) return false;
    const box = log.getBoundingClientRect();
    // A live collection: cheap to index from the end, even with the baseline's 10,000 articles.
    const articles = log.getElementsByTagName('article');
    const items = articles.length > 0 ? articles : log.querySelectorAll('[role="listitem"], li');
    for (let i = items.length - 1; i >= 0 && i >= items.length - 20; i--) {
      const item = items[i] as Element;
      if (!item.textContent?.includes(text)) continue;
      const r = item.getBoundingClientRect();
      if (r.height > 0 && r.top >= box.top - 2 && r.bottom <= box.bottom + 2) return true;
    }
    return false;
  };
  const frame = () => {
    if (state.watch === null) return;
    if (visible(state.watch)) {
      state.shownAt = performance.now();
      state.watch = null;
      return;
    }
    requestAnimationFrame(frame);
  };
  (window as unknown as { __benchWatch: (text: string) => void }).__benchWatch = (text: string) => {
    state.shownAt = null;
    state.clickAt = null;
    state.watch = text;
    requestAnimationFrame(frame);
  };
}

const figuresOf = (page: Page) =>
  page.evaluate(() => {
    const s = (window as unknown as { __bench: PageFigures }).__bench;
    return JSON.parse(JSON.stringify(s)) as PageFigures;
  });

const pageNow = (page: Page) => page.evaluate(() => performance.now());

// =========================================================================================================
// Statistics and formatting

const ms = (n: number) => (Number.isFinite(n) ? `${n.toFixed(0)} ms` : '—');
const progress = (text: string) => process.stderr.write(`  … ${text}\n`);

const inWindow = (tasks: LongTask[], from: number, to: number) =>
  tasks.filter((t) => t.start + t.duration >= from && t.start <= to && t.duration > 50);

/** The biggest contributors to long animation frames in a window: script (by source and invoker) or rendering. */
function attribution(loafs: Loaf[], from: number, to: number): string[] {
  const totals = new Map<string, number>();
  let render = 0;
  for (const f of loafs) {
    if (f.start + f.duration < from || f.start > to || f.duration <= 50) continue;
    render += f.renderMs;
    for (const s of f.scripts) {
      const source = s.sourceURL.replace(/^https?:\/\/[^/]+/, '') || '(inline)';
      const key = `${s.invoker} ${source}${s.sourceFunctionName ? ` ${s.sourceFunctionName}` : ''}`;
      totals.set(key, (totals.get(key) ?? 0) + s.duration);
      if (s.forcedStyleAndLayoutDuration > 0)
        totals.set(
          '(forced style/layout in scripts)',
          (totals.get('(forced style/layout in scripts)') ?? 0) + s.forcedStyleAndLayoutDuration,
        );
    }
  }
  if (render > 0) totals.set('(style + layout + paint at frame end)', render);
  return [...totals.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 4)
    .map(([k, v]) => `${k}: ${v.toFixed(0)} ms`);
}

// =========================================================================================================
// Scenarios

type Kind = 'parley' | 'baseline';

interface Env {
  browser: Browser;
  parleyUrl: string;
  baselineUrl: string;
  token: string;
  tokenBob: string;
  newest: string;
}

/** A fresh context with the instruments, on the page signed in as alice, the friends list shown. */
async function openPage(env: Env, kind: Kind): Promise<{ page: Page; close: () => Promise<void> }> {
  const context = await env.browser.newContext({ viewport: VIEWPORT });
  context.setDefaultTimeout(30_000);
  // tsx (esbuild keepNames) wraps named functions in __name(); the page has no such helper, so give it one.
  await context.addInitScript({
    content: `(() => { const __name = (f) => f; (${instrument.toString()})(); })();`,
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(String(err)));
  if (kind === 'parley') {
    await page.goto(env.parleyUrl);
    await page.getByRole('textbox', { name: 'Username', exact: true }).fill('alice');
    await page.getByRole('textbox', { name: 'Password', exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in', exact: true }).click();
    await page.getByRole('button', { name: 'Log out', exact: true }).waitFor();
  } else {
    await page.goto(`${env.baselineUrl}/#${encodeURIComponent(env.token)}`);
  }
  await friendItem(page).waitFor();
  return {
    page,
    close: async () => {
      if (errors.length) progress(`${kind} page threw: ${errors.slice(0, 3).join(' | ')}`);
      await context.close().catch(() => {});
    },
  };
}

const friendItem = (page: Page) =>
  page
    .getByRole('list', { name: 'Friends', exact: true })
    .getByRole('listitem')
    .filter({ hasText: /^\s*bob\b/ })
    .getByRole('button');

/** Clicks bob and waits until the newest message is fully visible in the log; times in page ms. */
async function openConversation(env: Env, page: Page, text = env.newest) {
  // Let sign-in and the friends list settle, so their work is not counted as opening.
  await sleep(1000);
  await page.evaluate(
    (t) => (window as unknown as { __benchWatch: (t: string) => void }).__benchWatch(t),
    text,
  );
  await friendItem(page).click();
  await page.waitForFunction(
    () => (window as unknown as { __bench: PageFigures }).__bench.shownAt !== null,
    null,
    {
      timeout: 60_000,
      polling: 50,
    },
  );
  await sleep(OPEN_SETTLE_MS + 200);
  const f = await figuresOf(page);
  if (f.clickAt === null || f.shownAt === null) throw new Error('the click or the showing was not recorded');
  const clickAt = f.clickAt;
  const fetches = await page.evaluate(() =>
    performance
      .getEntriesByType('resource')
      .filter((e) => e.name.includes('/api/messages'))
      .map((e) => ({ start: e.startTime, end: (e as PerformanceResourceTiming).responseEnd })),
  );
  const after = fetches.filter((e) => e.start >= clickAt);
  return {
    firstRequestMs: after.length ? (after[0]?.start ?? 0) - clickAt : Number.NaN,
    lastResponseMs: after.length ? Math.max(...after.map((e) => e.end)) - clickAt : Number.NaN,
    shownMs: f.shownAt - f.clickAt,
    longTasks: inWindow(f.longTasks, f.clickAt, f.shownAt + OPEN_SETTLE_MS),
    attribution: attribution(f.loafs, f.clickAt, f.shownAt + OPEN_SETTLE_MS),
    nodes: await page.evaluate(() => (window as unknown as { __benchNodes: () => number }).__benchNodes()),
  };
}

interface OpenRound {
  /** From the click to the first request for messages, and to the end of the last answer before showing. */
  firstRequestMs: number;
  lastResponseMs: number;
  shownMs: number;
  longTasks: LongTask[];
  attribution: string[];
  nodes: number;
}

async function scenarioOpen(env: Env, kind: Kind): Promise<OpenRound> {
  const { page, close } = await openPage(env, kind);
  try {
    return await openConversation(env, page);
  } finally {
    await close();
  }
}

interface BurstRound {
  sent: number;
  refused: number;
  longTasks: LongTask[];
  attribution: string[];
  maxNodes: number;
  nodeSamples: number[];
  keyLatencies: number[];
  keyQueued: number[];
  eventTimingMax: number;
  lastShown: boolean;
  /** From the last send to the last message visible in the log (it may be later than the measured window). */
  caughtUpMs: number;
  traceFile: string | null;
}

async function scenarioBurst(
  env: Env,
  kind: Kind,
  round: number,
  pool: import('undici').Pool,
  inspector = false,
): Promise<BurstRound> {
  const { page, close } = await openPage(env, kind);
  try {
    await openConversation(env, page, await newestNow(env, pool));
    if (inspector) {
      // The live inspector beside the chat (its button, UI.md), the root selected, following every event.
      await page.getByRole('button', { name: 'Inspector', exact: true }).click();
      await page.getByRole('region', { name: 'Inspector', exact: true }).waitFor({ timeout: 30_000 });
    }
    await sleep(1500);
    await page.getByRole('textbox', { name: 'Message', exact: true }).click();
    let traceFile: string | null = null;
    if (TRACE && kind === 'parley') {
      traceFile = join(
        RESULTS_DIR,
        `ui-trace-${kind}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`,
      );
      await env.browser.startTracing(page, { path: traceFile, screenshots: false });
    }
    const from = await pageNow(page);
    const runId = `${process.pid.toString(36)}${Date.now().toString(36)}-${kind}${round}${inspector ? 'i' : ''}`;
    const total = BURST_RATE * BURST_SECONDS;
    const lastContent = `burst ${runId} message ${total} (last)`;
    let refused = 0;
    let lastSentAt = Number.NaN;
    const started = performance.now();
    const sends: Promise<void>[] = [];
    const sender = (async () => {
      for (let i = 1; i <= total; i++) {
        const due = started + ((i - 1) * 1000) / BURST_RATE;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        if (i === total)
          await page.evaluate(
            (t) => (window as unknown as { __benchWatch: (t: string) => void }).__benchWatch(t),
            lastContent,
          );
        const content = i === total ? lastContent : `burst ${runId} message ${i}: ${seedText(i)}`;
        sends.push(
          pool
            .request({
              method: 'POST',
              path: '/api/messages',
              headers: { authorization: `Bearer ${env.tokenBob}`, 'content-type': 'application/json' },
              body: JSON.stringify({ to: 'alice', content, clientId: `${runId}-${i}` }),
            })
            .then(async (res) => {
              await res.body.text();
              if (res.statusCode >= 300) refused++;
            })
            .catch(() => {
              refused++;
            }),
        );
      }
      lastSentAt = performance.timeOrigin + performance.now();
      await Promise.all(sends);
    })();
    const typing = (async () => {
      const text = 'the quick brown fox jumps over the lazy dog ';
      let i = 0;
      while (performance.now() - started < BURST_SECONDS * 1000) {
        const t = performance.now();
        await page.keyboard.type(text[i++ % text.length] as string);
        const left = TYPE_EVERY_MS - (performance.now() - t);
        if (left > 0) await sleep(left);
      }
    })();
    await Promise.all([sender, typing]);
    await sleep(BURST_TAIL_MS);
    const to = await pageNow(page);
    if (traceFile) await env.browser.stopTracing();
    // Does the last message show up at all (watched for since just before it was sent), and when?
    const lastShown = await page
      .waitForFunction(() => (window as unknown as { __bench: PageFigures }).__bench.shownAt !== null, null, {
        timeout: CATCH_UP_LIMIT_MS,
        polling: 50,
      })
      .then(
        () => true,
        () => false,
      );
    const shownEpoch = await page.evaluate(() => {
      const s = (window as unknown as { __bench: PageFigures }).__bench.shownAt;
      return s === null ? null : performance.timeOrigin + s;
    });
    const caughtUpMs = shownEpoch === null ? Number.NaN : shownEpoch - lastSentAt;
    const tail = await page.evaluate(() => {
      const log = document.querySelector('[role="log"][aria-label="Messages"]');
      const items = log ? [...log.querySelectorAll('article')] : [];
      return {
        last: items.at(-1)?.textContent?.slice(0, 80) ?? null,
        scroll: log ? `${log.scrollTop}+${log.clientHeight}/${log.scrollHeight}` : null,
        news: [...document.querySelectorAll('button')].some((b) => b.textContent?.includes('New messages')),
      };
    });
    if (!lastShown)
      progress(`${kind}: the last burst message is not visible; log tail ${JSON.stringify(tail)}`);
    const f = await figuresOf(page);
    const samples = f.nodeSamples.filter((s) => s.at >= from && s.at <= to).map((s) => s.nodes);
    const keys = f.keyLatency.filter((k) => k.start >= from && k.start <= to);
    return {
      sent: total,
      refused,
      longTasks: inWindow(f.longTasks, from, to),
      attribution: attribution(f.loafs, from, to),
      maxNodes: Math.max(...samples),
      nodeSamples: samples,
      keyLatencies: keys.map((k) => k.latency),
      keyQueued: keys.map((k) => k.queued),
      eventTimingMax: Math.max(
        0,
        ...f.events.filter((e) => e.start >= from && e.start <= to).map((e) => e.duration),
      ),
      lastShown,
      caughtUpMs,
      traceFile,
    };
  } finally {
    await close();
  }
}

/** The newest message's content in the conversation now (bursts add to it). */
async function newestNow(env: Env, pool: import('undici').Pool): Promise<string> {
  const res = await pool.request({
    method: 'GET',
    path: '/api/messages?peer=alice&limit=1',
    headers: { authorization: `Bearer ${env.tokenBob}` },
  });
  const body = (await res.body.json()) as { content: string }[];
  return body.at(-1)?.content ?? env.newest;
}

// =========================================================================================================
// Main

interface Row {
  measure: string;
  parley: string;
  baseline: string;
  goal: string;
  pass: boolean | null;
}

async function main() {
  installTeardown();
  const startedAt = new Date();
  const build = ensureBuild();
  mkdirSync(RESULTS_DIR, { recursive: true });
  const dbParent = dbParentDir();
  tempDir = mkdtempSync(join(dbParent, 'parley-bench-ui-'));

  progress(`starting the server and seeding ${MESSAGES.toLocaleString('en-US')} messages`);
  const server = await startServerChild({
    dbPath: join(tempDir, 'parley.db'),
    messages: MESSAGES,
    staticDir: DIST,
  });
  progress(`seeded in ${ms(server.ready.seedMs)}; server on port ${server.ready.port}`);
  const baselinePort = await startBaselineServer(server.ready.port);
  const { chromium } = await import('playwright-core');
  const { Pool } = await import('undici');
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
  const parleyUrl = `http://127.0.0.1:${server.ready.port}`;
  const pool = new Pool(parleyUrl, { connections: 16 });
  const env: Env = {
    browser,
    parleyUrl,
    baselineUrl: `http://127.0.0.1:${baselinePort}`,
    token: server.ready.tokens.alice as string,
    tokenBob: server.ready.tokens.bob as string,
    newest: server.ready.newest,
  };

  const opens: Record<Kind, OpenRound[]> = { parley: [], baseline: [] };
  for (let round = 1; round <= OPEN_ROUNDS; round++) {
    for (const kind of ['parley', 'baseline'] as const) {
      const r = await scenarioOpen(env, kind);
      opens[kind].push(r);
      progress(
        `open round ${round}/${OPEN_ROUNDS}, ${kind}: shown after ${ms(r.shownMs)}, ${r.longTasks.length} long tasks, ${r.nodes} nodes`,
      );
    }
  }
  const bursts: Record<Kind, BurstRound[]> = { parley: [], baseline: [] };
  for (let round = 1; round <= BURST_ROUNDS; round++) {
    for (const kind of ['parley', 'baseline'] as const) {
      const r = await scenarioBurst(env, kind, round, pool);
      bursts[kind].push(r);
      progress(
        `burst round ${round}/${BURST_ROUNDS}, ${kind}: ${r.longTasks.length} long tasks, max ${r.maxNodes} nodes, typing p99 ${ms(percentile(r.keyLatencies, 99))}, ${r.refused} refused, last shown: ${r.lastShown}`,
      );
    }
  }
  // The same burst on Parley with the inspector open.
  const inspected: BurstRound[] = [];
  for (let round = 1; round <= BURST_ROUNDS; round++) {
    const r = await scenarioBurst(env, 'parley', round, pool, true);
    inspected.push(r);
    progress(
      `burst round ${round}/${BURST_ROUNDS}, parley with the inspector open: ${r.longTasks.length} long tasks, typing p99 ${ms(percentile(r.keyLatencies, 99))}, ${r.refused} refused, last shown: ${r.lastShown}`,
    );
  }
  const chromiumVersion = browser.version();
  await pool.close();
  await tearDown();

  // ---- figures
  const show = (k: Kind) => median(opens[k].map((r) => r.shownMs));
  const openTasks = (k: Kind) => opens[k].flatMap((r) => r.longTasks);
  const burstTasks = (k: Kind) => bursts[k].flatMap((r) => r.longTasks);
  const maxNodes = (k: Kind) =>
    Math.max(...opens[k].map((r) => r.nodes), ...bursts[k].map((r) => r.maxNodes));
  const keys = (k: Kind) => bursts[k].flatMap((r) => r.keyLatencies);
  const taskText = (tasks: LongTask[], rounds: number) =>
    tasks.length === 0
      ? `0 in ${rounds} rounds`
      : `${tasks.length} in ${rounds} rounds (max ${ms(Math.max(...tasks.map((t) => t.duration)))}, total ${ms(tasks.reduce((a, t) => a + t.duration, 0))})`;
  const parleyShowNet = show('parley') - SELECTION_DEBOUNCE_MS;
  const p = (k: Kind, q: number) => percentile(keys(k), q);
  const inspectedKeys = inspected.flatMap((r) => r.keyLatencies);
  const rows: Row[] = [
    {
      measure: 'Open 10,000 msgs: click → newest visible (median)',
      parley: ms(show('parley')),
      baseline: ms(show('baseline')),
      goal: '',
      pass: null,
    },
    {
      measure: `  … minus the ${SELECTION_DEBOUNCE_MS} ms selection debounce`,
      parley: ms(parleyShowNet),
      baseline: `${ms(show('baseline'))} (no debounce)`,
      goal: `≤ ${GOALS.showMs} ms`,
      pass: parleyShowNet <= GOALS.showMs,
    },
    {
      measure: 'Long tasks > 50 ms while opening',
      parley: taskText(openTasks('parley'), OPEN_ROUNDS),
      baseline: taskText(openTasks('baseline'), OPEN_ROUNDS),
      goal: '0',
      pass: openTasks('parley').length === 0,
    },
    {
      measure: `Long tasks > 50 ms, ${BURST_RATE} msgs/s for ${BURST_SECONDS} s`,
      parley: taskText(burstTasks('parley'), BURST_ROUNDS),
      baseline: taskText(burstTasks('baseline'), BURST_ROUNDS),
      goal: '0',
      pass: burstTasks('parley').length === 0,
    },
    {
      measure: 'Message DOM nodes in the log (max)',
      parley: maxNodes('parley').toLocaleString('en-US'),
      baseline: maxNodes('baseline').toLocaleString('en-US'),
      goal: `≤ ${GOALS.nodes}`,
      pass: maxNodes('parley') <= GOALS.nodes,
    },
    {
      measure: 'Typing during the burst: key → next frame p50',
      parley: ms(p('parley', 50)),
      baseline: ms(p('baseline', 50)),
      goal: '',
      pass: null,
    },
    {
      measure: '  … p99',
      parley: ms(p('parley', 99)),
      baseline: ms(p('baseline', 99)),
      goal: `≤ ${GOALS.typingMs} ms`,
      pass: p('parley', 99) <= GOALS.typingMs,
    },
    {
      measure: '  … max',
      parley: ms(p('parley', 100)),
      baseline: ms(p('baseline', 100)),
      goal: '',
      pass: null,
    },
    {
      measure: `Inspector open, ${BURST_RATE} msgs/s for ${BURST_SECONDS} s: long tasks > 50 ms`,
      parley: taskText(
        inspected.flatMap((r) => r.longTasks),
        BURST_ROUNDS,
      ),
      baseline: '—',
      goal: '0',
      pass: inspected.every((r) => r.longTasks.length === 0),
    },
    {
      measure: '  … typing key → next frame p50 / p99 / max',
      parley: [50, 99, 100].map((q) => ms(percentile(inspectedKeys, q))).join(' / '),
      baseline: '—',
      goal: `p99 ≤ ${GOALS.typingMs} ms`,
      pass: percentile(inspectedKeys, 99) <= GOALS.typingMs,
    },
  ];
  const valid =
    inspected.every((r) => r.refused === 0 && r.lastShown) &&
    bursts.parley.every((r) => r.refused === 0 && r.lastShown) &&
    bursts.baseline.every((r) => r.refused === 0 && r.lastShown);

  const notes = [
    `keys typed per page: ${keys('parley').length} / ${keys('baseline').length}; Event Timing max duration of key/input events: Parley ${ms(Math.max(...bursts.parley.map((r) => r.eventTimingMax)))}, baseline ${ms(Math.max(...bursts.baseline.map((r) => r.eventTimingMax)))}`,
    `Parley opening, medians from the click: first messages request ${ms(median(opens.parley.map((r) => r.firstRequestMs)))} (the debounce), last answer in ${ms(median(opens.parley.map((r) => r.lastResponseMs)))}, newest shown ${ms(show('parley'))}; baseline: first request ${ms(median(opens.baseline.map((r) => r.firstRequestMs)))}, last of its ${Math.ceil(MESSAGES / API_PAGE_MAX)} answers ${ms(median(opens.baseline.map((r) => r.lastResponseMs)))}, shown ${ms(show('baseline'))}`,
    `per open round, shown after (ms): Parley ${opens.parley.map((r) => r.shownMs.toFixed(0)).join(', ')}; baseline ${opens.baseline.map((r) => r.shownMs.toFixed(0)).join(', ')}`,
    `node samples during the burst (each second): Parley ${bursts.parley.map((r) => r.nodeSamples.join(' ')).join(' | ')}; baseline ${bursts.baseline.map((r) => r.nodeSamples.join(' ')).join(' | ')}`,
    `burst sends refused: Parley ${bursts.parley.map((r) => r.refused).join(', ')}, baseline ${bursts.baseline.map((r) => r.refused).join(', ')}; last burst message visible in the log (within ${CATCH_UP_LIMIT_MS / 1000} s), after: Parley ${bursts.parley.map((r) => (r.lastShown ? ms(r.caughtUpMs) : 'never')).join(', ')}, baseline ${bursts.baseline.map((r) => (r.lastShown ? ms(r.caughtUpMs) : 'never')).join(', ')}`,
  ];
  for (const k of ['parley', 'baseline'] as const) {
    const open = opens[k].flatMap((r) => r.attribution);
    const burst = bursts[k].flatMap((r) => r.attribution);
    if (open.length)
      notes.push(
        `${k} long frames while opening, by cause (summed, long-animation-frame): ${[...new Set(open)].slice(0, 4).join('; ')}`,
      );
    if (burst.length)
      notes.push(`${k} long frames during the burst, by cause: ${burst.slice(0, 4).join('; ')}`);
  }
  notes.push(
    `inspector open: keys typed ${inspectedKeys.length}; last burst message visible after ${inspected.map((r) => (r.lastShown ? ms(r.caughtUpMs) : 'never')).join(', ')}; long frames by cause: ${
      inspected
        .flatMap((r) => r.attribution)
        .slice(0, 4)
        .join('; ') || 'none'
    }`,
  );
  if (!valid) notes.push('INVALID: some burst sends were refused or the last one was not shown (see above)');
  const traces = bursts.parley.flatMap((r) => (r.traceFile ? [r.traceFile] : []));
  if (traces.length) notes.push(`Chromium traces: ${traces.join(', ')}`);

  // ---- print
  const cpu = cpus()[0]?.model ?? 'unknown';
  const header = [
    `Parley UI benchmark — ${startedAt.toISOString()}`,
    `Node ${process.version}; Chromium ${chromiumVersion}; CPU ${cpu} × ${cpus().length}; load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}; build ${build}`,
    `Conversation: ${MESSAGES.toLocaleString('en-US')} seeded messages (store writes in the child); open rounds ${OPEN_ROUNDS}, burst rounds ${BURST_ROUNDS}; viewport ${VIEWPORT.width}×${VIEWPORT.height}`,
  ];
  const table: string[][] = [
    ['Measure', 'Parley', 'Baseline (refetch all / 2 s)', 'Goal', 'Parley'],
    ...rows.map((r) => [
      r.measure,
      r.parley,
      r.baseline,
      r.goal,
      r.pass === null ? '' : r.pass ? 'PASS' : 'FAIL',
    ]),
  ];
  const widths = table[0]?.map((_, c) => Math.max(...table.map((row) => (row[c] ?? '').length))) ?? [];
  const line = (row: string[]) => `| ${row.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join(' | ')} |`;
  const out = [
    ...header,
    '',
    line(table[0] as string[]),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...table.slice(1).map(line),
    '',
    ...notes.map((n) => `- ${n}`),
  ];
  process.stdout.write(`\n${out.join('\n')}\n`);

  const file = join(RESULTS_DIR, `ui-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(
    file,
    `${JSON.stringify(
      {
        date: startedAt.toISOString(),
        node: process.version,
        chromium: chromiumVersion,
        cpu,
        cores: cpus().length,
        build,
        messages: MESSAGES,
        seeding: 'store writes in the server child (insertMessage), users and friendship through app.inject',
        seedMs: server.ready.seedMs,
        goals: GOALS,
        rows,
        valid,
        notes,
        opens,
        bursts,
        inspected,
      },
      null,
      2,
    )}\n`,
  );
  process.stdout.write(`\nResults: ${file}\n`);
}

if (process.argv[2] === 'serve') {
  serveChild(JSON.parse(process.argv[3] ?? '{}') as ServeOptions).catch((err: unknown) => {
    process.stderr.write(
      `bench/ui.ts serve: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  });
} else {
  main().then(
    () => process.exit(0),
    async (err: unknown) => {
      process.stderr.write(
        `bench/ui.ts: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
      await tearDown();
      process.exit(1);
    },
  );
}
