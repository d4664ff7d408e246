/**
 * Change notifications in both eras: `resources/subscribe` on a 2025 session and `resourceSubscriptions` on
 * a 2026 `subscriptions/listen` stream, each fed by the one change feed, each getting only what it asked for,
 * bursts batched into a handful of notifications.
 */
import type { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { conversationUri, FRIENDS_URI } from '../../src/mcp/feed';
import { eventually } from './eventually';
import { ERAS, type Era, startWorld, type World } from './support';

let world: World;
beforeEach(async () => {
  world = await startWorld({ quietMs: 100, maxWaitMs: 500 });
  world.bob.select('alice');
  await world.bob.until(() => world.bob.peer() === 'alice', 5000, 'bob opens alice');
});
afterEach(async () => {
  await world.stop();
});

const until = eventually;

/** Subscribes `client` to `uri` in its era's way; answers what arrives for it. */
async function subscribe(client: Client, era: Era, uris: string[]) {
  const updates: string[] = [];
  let listChanged = 0;
  client.setNotificationHandler('notifications/resources/updated', (n) => {
    updates.push(n.params.uri);
  });
  client.setNotificationHandler('notifications/resources/list_changed', () => {
    listChanged++;
  });
  if (era === 'legacy') {
    for (const uri of uris) await client.subscribeResource({ uri });
  } else {
    await client.listen({ resourceSubscriptions: uris, resourcesListChanged: true });
  }
  return { updates, listChanged: () => listChanged };
}

describe.each(ERAS)('resource notifications (%s era)', (era) => {
  it('reads the friends list and a conversation as JSON resources, and lists one per friend', async () => {
    const client = await world.connect(era);
    const friends = await client.readResource({ uri: FRIENDS_URI });
    const first = friends.contents[0] as { text: string; mimeType: string };
    expect(first.mimeType).toBe('application/json');
    expect(JSON.parse(first.text).friends.map((f: { username: string }) => f.username)).toEqual(['bob']);
    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri).sort()).toEqual([FRIENDS_URI, conversationUri('bob')].sort());
    world.bob.send('alice', 'a line for the resource');
    await world.alice.until(
      () => world.alice.friends()[0]?.lastMessageId !== null,
      10_000,
      'the message to reach alice',
    );
    const conversation = await client.readResource({ uri: conversationUri('bob') });
    const text = (conversation.contents[0] as { text: string }).text;
    expect(JSON.parse(text).messages.map((m: { content: string }) => m.content)).toEqual([
      'a line for the resource',
    ]);
  });

  it('tells a subscriber of a conversation when a message arrives, and a burst of 50 in a handful', async () => {
    const client = await world.connect(era);
    const { updates } = await subscribe(client, era, [conversationUri('bob')]);
    world.bob.send('alice', 'one');
    await until(() => updates.includes(conversationUri('bob')), 'the first update');
    updates.length = 0;
    for (let i = 0; i < 50; i++) world.bob.send('alice', `burst ${i}`);
    await world.alice.until(
      () => (world.alice.friends()[0]?.unread ?? 0) >= 51,
      20_000,
      'the burst to reach alice',
    );
    await new Promise((r) => setTimeout(r, 800));
    const forConversation = updates.filter((u) => u === conversationUri('bob')).length;
    expect(forConversation).toBeGreaterThanOrEqual(1);
    expect(forConversation).toBeLessThanOrEqual(10);
    // Only what it subscribed to.
    expect(updates.every((u) => u === conversationUri('bob'))).toBe(true);
  });

  it('sends nothing for a resource nobody subscribed to', async () => {
    const client = await world.connect(era);
    const { updates } = await subscribe(client, era, [FRIENDS_URI]);
    world.bob.send('alice', 'hello');
    await world.alice.until(() => (world.alice.friends()[0]?.unread ?? 0) > 0, 10_000, 'alice gets it');
    await until(() => updates.length > 0, 'the friends update (unread changed)');
    await new Promise((r) => setTimeout(r, 700));
    expect(updates.filter((u) => u !== FRIENDS_URI)).toEqual([]);
  });

  it('tells of a new friend with list_changed', async () => {
    const client = await world.connect(era);
    const { listChanged } = await subscribe(client, era, [FRIENDS_URI]);
    const carol = (await import('../../src/client')).createParleyClient({ baseUrl: world.baseUrl });
    try {
      await carol.register('carol', 'correct horse');
      carol.addFriend('alice');
      await until(() => listChanged() > 0, 'list_changed');
    } finally {
      await carol.stop();
    }
  });
});

describe('2025 sessions', () => {
  it('keep their own subscriptions: two sessions at once, each told only of what it subscribed to', async () => {
    const one = await world.connect('legacy');
    const two = await world.connect('legacy');
    expect(world.mcp.sessionCount()).toBe(2);
    const first = await subscribe(one, 'legacy', [FRIENDS_URI]);
    const second = await subscribe(two, 'legacy', [conversationUri('bob')]);
    world.bob.send('alice', 'for both sessions');
    await until(() => first.updates.length > 0 && second.updates.length > 0, 'both sessions to hear');
    await new Promise((r) => setTimeout(r, 700));
    expect(new Set(first.updates)).toEqual(new Set([FRIENDS_URI]));
    expect(new Set(second.updates)).toEqual(new Set([conversationUri('bob')]));
  });
});

describe('the change feed', () => {
  it('lets a listener unsubscribe itself and subscribe another while it is being called', async () => {
    const { feed, alice, bob } = world;
    const seen: string[] = [];
    const late = () => seen.push('late');
    const stopFirst = feed.subscribe(() => {
      seen.push('first');
      stopFirst();
      feed.subscribe(late);
    });
    feed.subscribe(() => seen.push('second'));
    bob.send('alice', 'one');
    await until(() => seen.length >= 2, 'the first dispatch');
    expect(seen).toEqual(['first', 'second']);
    bob.send('alice', 'two');
    await until(() => seen.length >= 4, 'the second dispatch');
    expect(seen).toEqual(['first', 'second', 'second', 'late']);
    expect(alice.friends()).toHaveLength(1);
  });

  it('a closed 2025 session leaves no listener behind', async () => {
    const before = world.feed.size();
    const client = await world.connect('legacy');
    await client.subscribeResource({ uri: FRIENDS_URI });
    expect(world.mcp.sessionCount()).toBe(1);
    expect(world.feed.size()).toBe(before + 1);
    // The 2025 way to end a session: DELETE with its Mcp-Session-Id.
    await (client.transport as StreamableHTTPClientTransport).terminateSession();
    await client.close();
    await until(() => world.mcp.sessionCount() === 0 && world.feed.size() === before, 'the session to close');
  });
});
