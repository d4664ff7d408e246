/**
 * Scenario `open`: open the seeded conversation, in a fresh browser context each round: from the click on the
 * friend to the newest message fully visible in the log; long tasks from the click to OPEN_SETTLE_MS after it
 * was shown.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from 'playwright-core';
import { type Env, friendItem, type Kind, openPage } from './browser';
import { attribution, inWindow } from './figures';
import { figuresOf, type LongTask, messageNodes, untilShown, watchFor } from './instrument';
import { OPEN_SETTLE_MS } from './settings';

export interface OpenRound {
  /** From the click to the first request for messages, and to the end of the last answer before showing. */
  firstRequestMs: number;
  lastResponseMs: number;
  shownMs: number;
  longTasks: LongTask[];
  attribution: string[];
  nodes: number;
}

/** Clicks bob and waits until the message `text` is fully visible in the log; times in page ms. */
export async function openConversation(env: Env, page: Page, text = env.newest): Promise<OpenRound> {
  // Let sign-in and the friends list settle, so their work is not counted as opening.
  await sleep(1000);
  await watchFor(page, text);
  await friendItem(page).click();
  await untilShown(page, 60_000);
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
    nodes: await messageNodes(page),
  };
}

export async function scenarioOpen(env: Env, kind: Kind): Promise<OpenRound> {
  const { page, close } = await openPage(env, kind);
  try {
    return await openConversation(env, page);
  } finally {
    await close();
  }
}
