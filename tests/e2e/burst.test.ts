/**
 * A burst of messages written as fast as a person can press Enter, and a reload afterwards: nothing lost,
 * nothing doubled, nothing out of order, and the session and the conversation survive the reload.
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
  api,
  deliveryMark,
  logIn,
  messageItems,
  openConversation,
  type Person,
  setUpWorld,
  ui,
  write,
} from './harness';

const world = setUpWorld('burst');

const BURST = Array.from({ length: 15 }, (_, i) => `burst message ${String(i + 1).padStart(2, '0')}`);
/** The log is virtualised: a tall window shows the whole conversation at once, so it can be counted. */
const TALL = { width: 1280, height: 1500 };

/** The burst messages the log shows, in the order shown (a doubled one shows twice). */
async function burstShown(page: Page): Promise<string[]> {
  const texts = await messageItems(page).allTextContents();
  return texts.flatMap((text) => text.match(/burst message \d\d/g) ?? []);
}

function note(line: string) {
  console.info(line);
  appendFileSync(join(world.shots.dir, 'notes.txt'), `${line}\n`);
}

describe('a burst of messages and a reload', () => {
  it('delivers 15 messages written in a burst complete and in order, and a reload keeps the session and the conversation', async () => {
    const url = world.server.url;
    const aliceToken = await api.register(url, 'alice');
    await api.register(url, 'bob');
    await api.befriend(url, aliceToken, 'bob');

    const alice: Person = await world.person('alice', TALL);
    const bob: Person = await world.person('bob', TALL);
    await logIn(alice.page, 'alice');
    await logIn(bob.page, 'bob');
    await openConversation(alice.page, 'bob');
    await openConversation(bob.page, 'alice');

    // Fifteen messages, each sent with Enter as soon as it is typed: typing never waits for a send.
    for (const text of BURST) await write(alice.page, text);
    await world.shots.take(alice, 'burst-written');

    await expect.poll(() => burstShown(bob.page)).toEqual(BURST);
    await expect.poll(() => burstShown(alice.page)).toEqual(BURST);
    await expect
      .poll(() =>
        deliveryMark(messageItems(alice.page).filter({ hasText: 'burst message' }), 'delivered').count(),
      )
      .toBe(BURST.length);
    await world.shots.take(bob, 'burst-received');
    await world.shots.take(alice, 'burst-delivered');

    // A reload: still signed in, no sign-in form.
    await bob.page.reload();
    await ui.logOutButton(bob.page).waitFor();
    expect(await ui.logInButton(bob.page).count()).toBe(0);
    await ui.friend(bob.page, 'alice').waitFor();
    const heading = bob.page.getByRole('heading', { level: 2, name: 'alice', exact: true });
    // Whether the open conversation comes back by itself is noted, not required.
    const restored = await heading.waitFor({ timeout: 5000 }).then(
      () => true,
      () => false,
    );
    note(
      restored
        ? 'After a reload the UI reopened the conversation with alice by itself.'
        : 'After a reload the UI did not restore the selected friend: the test chose alice again.',
    );
    await world.shots.take(bob, restored ? 'reloaded-restored' : 'reloaded-no-selection');
    if (!restored) await openConversation(bob.page, 'alice');
    await expect.poll(() => burstShown(bob.page)).toEqual(BURST);
    await world.shots.take(bob, 'reloaded-conversation');
  });
});
