/**
 * Scenario `burst`: bob sends BURST_RATE messages/s for BURST_SECONDS through the API (undici, paced), while
 * the bench types into the `Message` box (one key every TYPE_EVERY_MS): long tasks, message DOM nodes in the
 * log (sampled each second, max), typing latency, and when the last message shows up.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from 'playwright-core';
import type { Pool } from 'undici';
import { progress } from '../shared/format';
import { RESULTS_DIR, stamp } from '../shared/results';
import { type Env, type Kind, openPage } from './browser';
import { attribution, inWindow } from './figures';
import { figuresOf, type LongTask, type PageFigures, pageNow, untilShown, watchFor } from './instrument';
import { openConversation } from './open';
import { seedText } from './seeding';
import {
  BURST_RATE,
  BURST_SECONDS,
  BURST_TAIL_MS,
  CATCH_UP_LIMIT_MS,
  TRACE,
  TYPE_EVERY_MS,
} from './settings';

export interface BurstRound {
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

/** Something to do on the page once the conversation is open, before the burst; `tag` marks the run's ids. */
export interface BurstSetUp {
  tag: string;
  run: (page: Page) => Promise<void>;
}

export async function scenarioBurst(
  env: Env,
  kind: Kind,
  round: number,
  pool: Pool,
  setUp?: BurstSetUp,
): Promise<BurstRound> {
  const { page, close } = await openPage(env, kind);
  try {
    await openConversation(env, page, await newestNow(env, pool));
    await setUp?.run(page);
    await sleep(1500);
    await page.getByRole('textbox', { name: 'Message', exact: true }).click();
    let traceFile: string | null = null;
    if (TRACE && kind === 'parley') {
      traceFile = join(RESULTS_DIR, `ui-trace-${kind}-${stamp(new Date())}.json`);
      await env.browser.startTracing(page, { path: traceFile, screenshots: false });
    }
    const from = await pageNow(page);
    const runId = `${process.pid.toString(36)}${Date.now().toString(36)}-${kind}${round}${setUp?.tag ?? ''}`;
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
        if (i === total) await watchFor(page, lastContent);
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
    const lastShown = await untilShown(page, CATCH_UP_LIMIT_MS).then(
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
async function newestNow(env: Env, pool: Pool): Promise<string> {
  const res = await pool.request({
    method: 'GET',
    path: '/api/messages?peer=alice&limit=1',
    headers: { authorization: `Bearer ${env.tokenBob}` },
  });
  const body = (await res.body.json()) as { content: string }[];
  return body.at(-1)?.content ?? env.newest;
}
