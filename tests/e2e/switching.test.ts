/**
 * Choosing friends faster than their conversations load: with every messages call held back 700 ms, the
 * heading and the messages under it always belong to the same friend, and the last choice wins.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { api, logIn, messageItems, type Person, setUpWorld, ui } from './harness';

const world = setUpWorld('switching');

const FRIENDS = ['amy', 'ben', 'cat', 'dan'] as const;
const SLOW_MS = 700;

/** Every message names its conversation: `[amy] …`. */
const ownerOf = (text: string) => /\[(\w+)\]/.exec(text)?.[1] ?? `(untagged: ${text})`;

interface Sample {
  heading: string | null;
  owners: string[];
}

/**
 * The heading and the friends the shown messages belong to, read together: a sample that straddles a
 * re-render (the heading changed while it was read) is taken again, so it is never a false alarm.
 */
async function sample(page: Page): Promise<Sample> {
  const headingText = async () => {
    const headings = await page.getByRole('heading', { level: 2 }).allTextContents();
    expect(headings.length).toBeLessThanOrEqual(1);
    return headings[0]?.trim() ?? null;
  };
  for (;;) {
    const heading = await headingText();
    const texts = await messageItems(page).allTextContents();
    if ((await headingText()) === heading) return { heading, owners: texts.map(ownerOf) };
  }
}

describe('switching friends quickly while answers are slow', () => {
  it('never shows one friend’s messages under another’s name, and ends on the last friend chosen', async () => {
    const url = world.server.url;
    const zedToken = await api.register(url, 'zed');
    for (const name of FRIENDS) {
      const token = await api.register(url, name);
      await api.befriend(url, token, 'zed');
      await api.send(url, token, 'zed', `[${name}] first from ${name}`);
      await api.send(url, token, 'zed', `[${name}] second from ${name}`);
      await api.send(url, zedToken, name, `[${name}] zed answers ${name}`);
    }

    const zed: Person = await world.person('zed');
    await logIn(zed.page, 'zed');
    for (const name of FRIENDS) await ui.friend(zed.page, name).waitFor();

    const mixed: string[] = [];
    const check = async (when: string) => {
      const { heading, owners } = await sample(zed.page);
      const strangers = owners.filter((owner) => owner !== heading);
      if (strangers.length > 0) {
        mixed.push(`${when}: under "${heading}" the log showed messages of ${strangers.join(', ')}`);
        await world.shots.take(zed, `mixed-${mixed.length}`);
      }
      return { heading, owners };
    };

    /** Checks until `name`'s three messages show under their name; a mixed sample fails at once. */
    const settlesOn = async (name: string, when: string) => {
      const until = Date.now() + 30_000;
      let last: Sample = { heading: null, owners: [] };
      while (Date.now() < until) {
        last = await check(when);
        expect(mixed).toEqual([]);
        if (last.heading === name && last.owners.join() === [name, name, name].join()) return;
      }
      expect(last, `the conversation with ${name} did not settle`).toEqual({
        heading: name,
        owners: [name, name, name],
      });
    };

    let slowed = 0;
    await zed.page.route('**/api/messages**', (route) => {
      slowed += 1;
      setTimeout(() => route.continue().catch(() => {}), SLOW_MS);
    });

    // Through the friends as fast as clicks go, looking after every click.
    const sequence = ['amy', 'ben', 'cat', 'dan', 'ben', 'amy', 'dan', 'cat'];
    for (const [i, name] of sequence.entries()) {
      await ui.friend(zed.page, name).click();
      await check(`right after choosing ${name} (click ${i + 1})`);
      await check(`a moment after choosing ${name} (click ${i + 1})`);
    }
    await world.shots.take(zed, 'after-quick-clicks');

    expect(mixed).toEqual([]);

    // The last choice wins: cat's three messages, under cat's name, checked all the way there.
    await settlesOn('cat', 'while the last choice loads');
    await world.shots.take(zed, 'settled-on-cat');

    // One switch at a time, each answer slow: never the old friend's messages under the new name.
    for (const name of ['ben', 'amy', 'dan']) {
      await ui.friend(zed.page, name).click();
      await settlesOn(name, `while ${name}'s conversation loads`);
    }
    await world.shots.take(zed, 'settled-on-dan');
    expect(slowed).toBeGreaterThanOrEqual(FRIENDS.length);
  });
});
