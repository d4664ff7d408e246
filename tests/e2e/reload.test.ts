/**
 * A real page reload returns to the conversation that was open: the same friend chosen, its log at the
 * bottom, or at the unread divider when messages came while the page was away.
 */
import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { api, logIn, messagesWith, openConversation, setUpWorld, ui } from './harness';

const world = setUpWorld('reload');

/**
 * Whether `target` is on screen inside the message log: not rendered at all (the log is virtualised), or
 * rendered above or below the view, is not.
 */
async function inView(page: Page, target: Locator): Promise<boolean> {
  if ((await target.count()) === 0) return false;
  const [log, box] = await Promise.all([ui.log(page).boundingBox(), target.boundingBox()]);
  if (!log || !box) return false;
  return box.y >= log.y - 1 && box.y + box.height <= log.y + log.height + 1;
}

/** The friends whose item is marked as the chosen one. */
const chosen = (page: Page) => ui.friends(page).locator('[aria-current="true"]').allTextContents();

describe('reloading the page', () => {
  it('comes back to the same friend, at the bottom, then at the unread divider after news came in', async () => {
    const url = world.server.url;
    const aliceToken = await api.register(url, 'alice');
    const bobToken = await api.register(url, 'bob');
    await api.register(url, 'carol').then((token) => api.befriend(url, token, 'alice'));
    await api.befriend(url, bobToken, 'alice');
    for (let i = 1; i <= 40; i++) await api.send(url, aliceToken, 'bob', `Line ${i}`);

    const alice = await world.person('alice');
    const { page } = alice;
    await logIn(page, 'alice');
    await openConversation(page, 'bob');
    await messagesWith(page, 'Line 40').waitFor();
    await world.shots.take(alice, 'bob-open');

    await page.reload();
    // No click: bob is chosen again and his log is at the bottom.
    await page.getByRole('heading', { level: 2, name: 'bob', exact: true }).waitFor();
    await messagesWith(page, 'Line 40').waitFor();
    await expect.poll(() => chosen(page)).toEqual([expect.stringMatching(/^\s*bob\b/)]);
    await expect.poll(() => inView(page, messagesWith(page, 'Line 40'))).toBe(true);
    await world.shots.take(alice, 'reloaded-at-bottom');

    // Away from the page while bob writes; back, the log opens where his news starts.
    await page.goto('about:blank');
    for (let i = 1; i <= 30; i++) await api.send(url, bobToken, 'alice', `News ${i}.`);
    await page.goto('/');
    await page.getByRole('heading', { level: 2, name: 'bob', exact: true }).waitFor();
    const divider = ui.log(page).getByText('Unread messages', { exact: true });
    await divider.waitFor();
    await expect.poll(() => inView(page, divider)).toBe(true);
    expect(await inView(page, messagesWith(page, 'News 1.'))).toBe(true);
    expect(await inView(page, messagesWith(page, 'News 30.'))).toBe(false);
    await expect.poll(() => chosen(page)).toEqual([expect.stringMatching(/^\s*bob\b/)]);
    await world.shots.take(alice, 'reloaded-at-divider');
    expect(alice.errors).toEqual([]);
  });
});
