/**
 * The server dies (SIGKILL) while two people are chatting, and comes back on the same port and database
 * file: the clients say they are offline, keep what was written meanwhile as pending, reconnect by
 * themselves, and the message arrives once.
 */
import { describe, expect, it } from 'vitest';
import {
  api,
  deliveryMark,
  logIn,
  messagesWith,
  openConversation,
  type Person,
  setUpWorld,
  ui,
  write,
} from './harness';

const world = setUpWorld('restart');

/** Backing off after several failed tries may wait up to 30 s before trying again. */
const RECONNECT_TIMEOUT_MS = 75_000;

describe('a server restart', () => {
  it('keeps a message written while the server is down pending, and delivers it exactly once after the server comes back', async () => {
    const server = world.server;
    const aliceToken = await api.register(server.url, 'alice');
    await api.register(server.url, 'bob');
    await api.befriend(server.url, aliceToken, 'bob');

    const alice: Person = await world.person('alice');
    const bob: Person = await world.person('bob');
    await logIn(alice.page, 'alice');
    await logIn(bob.page, 'bob');
    await openConversation(alice.page, 'bob');
    await openConversation(bob.page, 'alice');
    for (const person of [alice, bob]) {
      await expect.poll(() => ui.connection(person.page).textContent()).toMatch(/Connected/);
    }
    await write(alice.page, 'before the restart');
    await messagesWith(bob.page, 'before the restart').waitFor();

    // The server dies: the client notices by itself.
    await server.kill();
    await expect.poll(() => ui.connection(alice.page).textContent()).toMatch(/Offline|Reconnecting/);
    await world.shots.take(alice, 'server-down');

    // Written meanwhile: shown at once, marked pending.
    const offline = 'written while the server was down';
    await write(alice.page, offline);
    await deliveryMark(messagesWith(alice.page, offline), 'pending').waitFor();
    await world.shots.take(alice, 'pending');

    // Back on the same port and database file: both clients reconnect without anyone touching them.
    await server.start();
    for (const person of [alice, bob]) {
      await expect
        .poll(() => ui.connection(person.page).textContent(), { timeout: RECONNECT_TIMEOUT_MS })
        .toMatch(/Connected/);
    }
    await messagesWith(bob.page, offline).waitFor({ timeout: RECONNECT_TIMEOUT_MS });
    await deliveryMark(messagesWith(alice.page, offline), 'delivered').waitFor();
    await world.shots.take(alice, 'reconnected');

    // A later message has arrived too, so anything sent twice would be on screen by now.
    await write(alice.page, 'after the restart');
    await messagesWith(bob.page, 'after the restart').waitFor();
    await world.shots.take(bob, 'received-once');
    expect(await messagesWith(bob.page, offline).count()).toBe(1);
    expect(await messagesWith(alice.page, offline).count()).toBe(1);
    // And the server stored it once.
    const bobToken = await api.logIn(server.url, 'bob');
    const stored = await api.messages(server.url, bobToken, 'alice');
    expect(stored.filter((m) => m.content === offline)).toHaveLength(1);
    expect(stored.map((m) => m.content)).toEqual(['before the restart', offline, 'after the restart']);
  });
});
