/** Headless Chromium (Debian's, through playwright-core) and the pages bench:ui opens in it. */
import { setTimeout as sleep } from 'node:timers/promises';
import { type Browser, chromium, type Page } from 'playwright-core';
import { PASSWORD } from '../serve/child';
import { progress } from '../shared/format';
import { beforeTearDown } from '../shared/teardown';
import { instrument } from './instrument';
import { CHROMIUM_PATH, VIEWPORT } from './settings';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Which page: the built app, or the baseline page (baseline.ts). */
export type Kind = 'parley' | 'baseline';

export interface Env {
  browser: Browser;
  parleyUrl: string;
  baselineUrl: string;
  token: string;
  tokenBob: string;
  newest: string;
}

/**
 * Launches Chromium; `close` closes it, giving up after 5 s, as does a failure or a signal (Playwright
 * kills its browser on exit as well). The signals are the benchmark's to handle, not Playwright's.
 */
export async function launchBrowser(): Promise<{ browser: Browser; close: () => Promise<void> }> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: CHROMIUM_ARGS,
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= Promise.race([browser.close().catch(() => {}), sleep(5000)]);
    return closing;
  };
  beforeTearDown(close, 5000);
  return { browser, close };
}

export const friendItem = (page: Page) =>
  page
    .getByRole('list', { name: 'Friends', exact: true })
    .getByRole('listitem')
    .filter({ hasText: /^\s*bob\b/ })
    .getByRole('button');

/** A fresh context with the instruments, on the page signed in as alice, the friends list shown. */
export async function openPage(env: Env, kind: Kind): Promise<{ page: Page; close: () => Promise<void> }> {
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
