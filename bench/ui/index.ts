// `npm run bench:ui`: a bounded, loopback-only benchmark of the web UI in headless Chromium. Not a test.
//
// The production build (dist/, rebuilt as `npm start` does when missing or stale: build.ts)
// is served by the real server in a child process of its own (serve.ts), on a temp SQLite file, seeded with a
// 10,000-message conversation between alice and bob (seeding.ts).
//
// Two pages are measured in the same run, one after the other (never at once: the machine has two cores):
//   - Parley: the built app, signed in as alice through its form;
//   - BASELINE: what the original desktop app did (baseline.ts): refetch the whole history every 2 s and
//     rebuild the list.
// Both carry the same instruments (instrument.ts). Scenarios:
//   1. open.ts: open the conversation (fresh browser context each round, median of BENCH_OPEN_ROUNDS): from
//      the click on the friend to the newest message fully visible in the log; Parley's figure is given raw
//      and minus its 300 ms selection debounce (the goal applies to the latter). Long tasks from the click to
//      500 ms after it was shown.
//   2. burst.ts: bob sends 50 messages/s for 10 s through the API while the bench types into the `Message`
//      box: long tasks, message DOM nodes in the log, and typing latency p50/p99/max.
//   3. inspector.ts: the same burst on Parley with the inspector open: long tasks and typing latency, as
//      extra rows.
// Prints a table and writes bench/results/ui-<date>.json (report.ts). The browser and the child are stopped
// on exit, error and SIGINT/SIGTERM/SIGHUP.
//
// Knobs (environment): BENCH_OPEN_ROUNDS (5), BENCH_BURST_ROUNDS (1), BENCH_MESSAGES (10000),
// BENCH_DB_DIR (parent of the SQLite temp dir; default /dev/shm, else the OS temp dir), BENCH_TRACE=1 (a
// Chromium performance trace of each Parley burst into bench/results/), CHROMIUM_PATH (/usr/bin/chromium).
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { startChild, stopChild } from '../shared/children';
import { progress } from '../shared/format';
import { ensureResultsDir, ROOT } from '../shared/results';
import { percentile } from '../shared/stats';
import { runBenchmark, scratchDir } from '../shared/teardown';
import { startBaselineServer } from './baseline';
import { type Env, type Kind, launchBrowser } from './browser';
import { ensureBuild } from './build';
import { type BurstRound, scenarioBurst } from './burst';
import { ms } from './figures';
import { scenarioInspector } from './inspector';
import { type OpenRound, scenarioOpen } from './open';
import { report } from './report';
import type { UiServeOptions, UiServeReady } from './seeding';
import { BURST_ROUNDS, DIST, MESSAGES, OPEN_ROUNDS } from './settings';

const SERVE = fileURLToPath(new URL('serve.ts', import.meta.url));

async function main() {
  const startedAt = new Date();
  const build = await ensureBuild();
  ensureResultsDir();
  const tempDir = scratchDir('parley-bench-ui-');

  progress(`starting the server and seeding ${MESSAGES.toLocaleString('en-US')} messages`);
  const options: UiServeOptions = { dbPath: join(tempDir, 'parley.db'), messages: MESSAGES, staticDir: DIST };
  const server = await startChild<UiServeReady>(SERVE, [JSON.stringify(options)], { cwd: ROOT });
  progress(`seeded in ${ms(server.ready.seedMs)}; server on port ${server.ready.port}`);
  const baselinePort = await startBaselineServer(server.ready.port);
  const { browser, close: closeBrowser } = await launchBrowser();
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
  const inspected: BurstRound[] = [];
  for (let round = 1; round <= BURST_ROUNDS; round++) {
    const r = await scenarioInspector(env, round, pool);
    inspected.push(r);
    progress(
      `burst round ${round}/${BURST_ROUNDS}, parley with the inspector open: ${r.longTasks.length} long tasks, typing p99 ${ms(percentile(r.keyLatencies, 99))}, ${r.refused} refused, last shown: ${r.lastShown}`,
    );
  }
  const chromiumVersion = browser.version();
  await pool.close();
  await closeBrowser();
  await stopChild(server.child);

  report({ startedAt, build, chromiumVersion, seedMs: server.ready.seedMs, opens, bursts, inspected });
}

runBenchmark('bench/ui/index.ts', main);
