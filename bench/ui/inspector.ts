/**
 * Scenario `inspector`: the burst (burst.ts) on Parley with the live inspector open beside the chat (its
 * `Inspector` button, UI.md, after the conversation is open), the root selected, following every event.
 */
import type { Page } from 'playwright-core';
import type { Pool } from 'undici';
import type { Env } from './browser';
import { type BurstRound, scenarioBurst } from './burst';

async function openInspector(page: Page) {
  await page.getByRole('button', { name: 'Inspector', exact: true }).click();
  await page.getByRole('region', { name: 'Inspector', exact: true }).waitFor({ timeout: 30_000 });
}

export const scenarioInspector = (env: Env, round: number, pool: Pool): Promise<BurstRound> =>
  scenarioBurst(env, 'parley', round, pool, { tag: 'i', run: openInspector });
