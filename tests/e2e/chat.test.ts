/**
 * Two people in two browsers on the real server: registering, befriending, chatting live both ways with
 * delivery marks, and message content that is text, never markup.
 */
import { describe, expect, it } from 'vitest';
import {
  api,
  deliveryMark,
  logIn,
  messagesWith,
  openConversation,
  register,
  setUpWorld,
  ui,
  write,
} from './harness';

const world = setUpWorld('chat');

describe('two people chatting in the browser', () => {
  it('register, befriend each other and chat both ways live, and sent messages end up marked delivered', async () => {
    const alice = await world.person('alice');
    const bob = await world.person('bob');
    await world.shots.take(alice, 'signed-out');

    await register(alice.page, 'alice');
    await register(bob.page, 'bob');
    await world.shots.take(alice, 'registered');

    // Alice adds bob: the status bar says so, and each appears in the other's friends list, online.
    await ui.addFriendBox(alice.page).fill('bob');
    await ui.addButton(alice.page).click();
    await expect.poll(() => ui.activity(alice.page).textContent()).toMatch(/added bob/i);
    await expect.poll(() => ui.friend(alice.page, 'bob').textContent()).toMatch(/\bonline\b/);
    await expect.poll(() => ui.friend(bob.page, 'alice').textContent()).toMatch(/\bonline\b/);
    await world.shots.take(alice, 'added-bob');
    await world.shots.take(bob, 'alice-appeared');

    await openConversation(alice.page, 'bob');
    await openConversation(bob.page, 'alice');

    // Alice writes: it shows at bob's side without a reload, and alice's copy becomes delivered.
    await write(alice.page, 'Hello Bob, this is Alice');
    await messagesWith(bob.page, 'Hello Bob, this is Alice').waitFor();
    await deliveryMark(messagesWith(alice.page, 'Hello Bob, this is Alice'), 'delivered').waitFor();
    await world.shots.take(bob, 'received-hello');

    // Bob answers: the same the other way.
    await write(bob.page, 'Hi Alice! Bob here.');
    await messagesWith(alice.page, 'Hi Alice! Bob here.').waitFor();
    await deliveryMark(messagesWith(bob.page, 'Hi Alice! Bob here.'), 'delivered').waitFor();
    await world.shots.take(alice, 'conversation');
    await world.shots.take(bob, 'conversation');

    // Each message once on each side, in the order written.
    for (const page of [alice.page, bob.page]) {
      expect(await messagesWith(page, 'Hello Bob, this is Alice').count()).toBe(1);
      expect(await messagesWith(page, 'Hi Alice! Bob here.').count()).toBe(1);
    }
    const texts = await ui.log(alice.page).textContent();
    expect(texts?.indexOf('Hello Bob')).toBeLessThan(texts?.indexOf('Hi Alice') ?? -1);
  });

  it('shows markup in a message as its characters and runs none of it', async () => {
    const markup = '<img src=x onerror=window.__xss=1>';
    const url = world.server.url;
    const carolToken = await api.register(url, 'carol');
    await api.register(url, 'dave');
    await api.befriend(url, carolToken, 'dave');

    const carol = await world.person('carol');
    const dave = await world.person('dave');
    await logIn(carol.page, 'carol');
    await logIn(dave.page, 'dave');
    await openConversation(carol.page, 'dave');
    await openConversation(dave.page, 'carol');

    await write(carol.page, markup);
    // The characters themselves are on screen, at both sides.
    await messagesWith(dave.page, markup).waitFor();
    await messagesWith(carol.page, markup).waitFor();
    // A message after it has arrived too, so the page has rendered past the markup.
    await write(carol.page, 'after the markup');
    await messagesWith(dave.page, 'after the markup').waitFor();
    await world.shots.take(dave, 'markup-as-text');

    for (const page of [carol.page, dave.page]) {
      expect(await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss)).toBeUndefined();
      // No image besides the delivery marks: the markup made no element.
      const message = messagesWith(page, markup);
      expect(await message.getByRole('img').count()).toBe(
        await message.getByRole('img', { name: /^(pending|delivered|failed)$/ }).count(),
      );
    }
  });
});
