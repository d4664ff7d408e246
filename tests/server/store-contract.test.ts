/**
 * The Store contract, sentence by sentence, on both implementations: SQLite (one process) and PostgreSQL
 * (shared by instances). Every method of store.ts is exercised here; the server's routes rely on nothing else.
 */
import { describe, expect, it } from 'vitest';
import type { NewMessage, Store } from '../../src/server/store/store';
import { storeKinds } from './pg/stores';

const T0 = 1_764_000_000_000;

/** Three users, alice and bob friends; answers their ids. */
async function people(store: Store) {
  const alice = (await store.createUser('alice', 'hash-a', T0))!;
  const bob = (await store.createUser('bob', 'hash-b', T0))!;
  const carol = (await store.createUser('carol', 'hash-c', T0))!;
  await store.addFriendship(alice.id, bob.id, T0);
  return { alice: alice.id, bob: bob.id, carol: carol.id };
}

let sent = 0;
const message = (senderId: number, recipientId: number, over: Partial<NewMessage> = {}): NewMessage => ({
  senderId,
  recipientId,
  content: `message ${++sent}`,
  clientId: `c-${sent}`,
  timestamp: T0 + sent,
  delivered: false,
  ...over,
});

describe.each(storeKinds())('the $name store', ({ open }) => {
  describe('users', () => {
    it('creates a user once per name, and answers null for a taken name', async () => {
      const store = await open();
      const alice = await store.createUser('alice', 'hash', T0);
      expect(alice).toEqual({
        id: expect.any(Number),
        username: 'alice',
        passwordHash: 'hash',
        lastSeen: null,
      });
      const bob = await store.createUser('bob', 'hash', T0);
      expect(bob!.id).not.toBe(alice!.id);
      expect(await store.createUser('alice', 'other', T0)).toBeNull();
      expect(await store.findUserByName('alice')).toEqual(alice);
    });

    it('finds a user by name, or answers null for an unknown one', async () => {
      const store = await open();
      await store.createUser('alice', 'hash', T0);
      expect(await store.findUserByName('alice')).toMatchObject({ username: 'alice', passwordHash: 'hash' });
      expect(await store.findUserByName('nobody')).toBeNull();
    });

    it('keeps the last time a user was seen', async () => {
      const store = await open();
      const { alice } = await people(store);
      await store.setLastSeen(alice, T0 + 5000);
      expect((await store.findUserByName('alice'))?.lastSeen).toBe(T0 + 5000);
      expect((await store.listFriends((await store.findUserByName('bob'))!.id))[0]?.lastSeen).toBe(T0 + 5000);
    });
  });

  describe('tokens', () => {
    it('finds a token with its user and the exact secret hash, and nothing once revoked', async () => {
      const store = await open();
      const { alice } = await people(store);
      const hash = Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 37) % 256));
      await store.createToken('token-1', alice, hash, T0);
      await store.createToken('token-2', alice, Buffer.alloc(32, 7), T0);
      const found = await store.findToken('token-1');
      expect(found).toMatchObject({ userId: alice, username: 'alice' });
      expect(Buffer.compare(found!.secretHash, hash)).toBe(0);
      await store.revokeToken('token-1');
      expect(await store.findToken('token-1')).toBeNull();
      expect(await store.findToken('token-2')).toMatchObject({ userId: alice });
      expect(await store.findToken('unknown')).toBeNull();
      await store.revokeToken('unknown');
    });
  });

  describe('friendships', () => {
    it('makes two users friends both ways, once', async () => {
      const store = await open();
      const { alice, bob, carol } = await people(store);
      expect(await store.areFriends(alice, bob)).toBe(true);
      expect(await store.areFriends(bob, alice)).toBe(true);
      expect(await store.areFriends(alice, carol)).toBe(false);
      expect(await store.addFriendship(bob, alice, T0)).toBe(false);
      expect(await store.addFriendship(carol, alice, T0)).toBe(true);
      expect((await store.friendIds(alice)).sort()).toEqual([bob, carol].sort());
      expect(await store.friendIds(carol)).toEqual([alice]);
    });

    it('lists friends by username in byte order, with unread counts and the last message of each', async () => {
      const store = await open();
      const me = (await store.createUser('me_me', 'h', T0))!.id;
      const names = ['zed', 'a_b', 'ab1', 'a1b', 'abc'];
      const ids: Record<string, number> = {};
      for (const name of names) {
        ids[name] = (await store.createUser(name, 'h', T0))!.id;
        await store.addFriendship(me, ids[name]!, T0);
      }
      const first = await store.insertMessage(message(ids.zed!, me));
      const last = await store.insertMessage(message(me, ids.zed!));
      await store.insertMessage(message(ids.abc!, me));
      const friends = await store.listFriends(me);
      expect(friends.map((f) => f.username)).toEqual(['a1b', 'a_b', 'ab1', 'abc', 'zed']);
      expect(friends.find((f) => f.username === 'zed')).toEqual({
        id: ids.zed,
        username: 'zed',
        lastSeen: null,
        unread: 1,
        lastMessageId: last.message.id,
      });
      expect(friends.find((f) => f.username === 'abc')?.unread).toBe(1);
      expect(friends.find((f) => f.username === 'a_b')).toMatchObject({ unread: 0, lastMessageId: null });
      expect(first.message.id).toBeLessThan(last.message.id);
      expect(await store.listFriends(ids.zed!)).toEqual([
        { id: me, username: 'me_me', lastSeen: null, unread: 1, lastMessageId: last.message.id },
      ]);
    });
  });

  describe('messages', () => {
    it('stores a message and answers it with a new, growing id', async () => {
      const store = await open();
      const { alice, bob } = await people(store);
      const one = await store.insertMessage(
        message(alice, bob, { content: 'hi', clientId: 'c-a', delivered: true }),
      );
      expect(one).toEqual({
        created: true,
        message: {
          id: expect.any(Number),
          senderId: alice,
          recipientId: bob,
          content: 'hi',
          timestamp: expect.any(Number),
          delivered: true,
          clientId: 'c-a',
        },
      });
      const two = await store.insertMessage(message(bob, alice));
      expect(two.message.id).toBeGreaterThan(one.message.id);
    });

    it('stores a message once per sender and clientId, answering the first one again', async () => {
      const store = await open();
      const { alice, bob } = await people(store);
      const first = await store.insertMessage(message(alice, bob, { clientId: 'same', content: 'first' }));
      const again = await store.insertMessage(message(alice, bob, { clientId: 'same', content: 'second' }));
      expect(again).toEqual({ created: false, message: first.message });
      // Another sender may use the same clientId.
      expect((await store.insertMessage(message(bob, alice, { clientId: 'same' }))).created).toBe(true);
      const page = await store.readMessages(bob, alice, { limit: 50 });
      expect(page.messages.map((m) => m.content)).toEqual(['first', expect.any(String)]);
    });

    it('keeps content and clientId verbatim: NUL, emoji, new lines, spaces, HTML', async () => {
      const store = await open();
      const { alice, bob } = await people(store);
      const contents = ['\u0000 nul', '😀 👩‍👩‍👧 e\u0301', 'a\r\nb\n\tc', '  spaced  ', '<b>&amp;</b>'];
      for (const [i, content] of contents.entries())
        await store.insertMessage(message(alice, bob, { content, clientId: `id\u0000${i}😀` }));
      const page = await store.readMessages(bob, alice, { limit: 50 });
      expect(page.messages.map((m) => m.content)).toEqual(contents);
      expect(page.messages.map((m) => m.clientId)).toEqual(contents.map((_, i) => `id\u0000${i}😀`));
    });

    it('keeps a missing clientId (an imported message) as null, and never takes two for a repeat', async () => {
      const store = await open();
      const { alice, bob } = await people(store);
      const imported = message(bob, alice, { clientId: null as unknown as string });
      const one = await store.insertMessage(imported);
      const two = await store.insertMessage({ ...imported, content: 'another' });
      expect([one.created, two.created]).toEqual([true, true]);
      expect(one.message.clientId).toBeNull();
      expect((await store.readMessages(alice, bob, { limit: 50 })).messages.map((m) => m.clientId)).toEqual([
        null,
        null,
      ]);
    });

    it('pages a conversation: the newest, after a cursor, before a cursor, ascending and limited', async () => {
      const store = await open();
      const { alice, bob, carol } = await people(store);
      await store.addFriendship(alice, carol, T0);
      const ids: number[] = [];
      for (let i = 0; i < 6; i++) {
        ids.push((await store.insertMessage(message(i % 2 ? bob : alice, i % 2 ? alice : bob))).message.id);
        await store.insertMessage(message(alice, carol));
      }
      const idsOf = (page: { messages: { id: number }[] }) => page.messages.map((m) => m.id);
      expect(idsOf(await store.readMessages(alice, bob, { limit: 3 }))).toEqual(ids.slice(3));
      expect(idsOf(await store.readMessages(bob, alice, { limit: 50 }))).toEqual(ids);
      expect(idsOf(await store.readMessages(alice, bob, { after: ids[1], limit: 2 }))).toEqual(
        ids.slice(2, 4),
      );
      expect(idsOf(await store.readMessages(alice, bob, { after: ids[5], limit: 2 }))).toEqual([]);
      expect(idsOf(await store.readMessages(alice, bob, { before: ids[4], limit: 3 }))).toEqual(
        ids.slice(1, 4),
      );
      expect(idsOf(await store.readMessages(alice, bob, { before: ids[0], limit: 3 }))).toEqual([]);
    });

    it('marks what the reader has seen read and delivered, reporting each newly delivered id once', async () => {
      const store = await open();
      const { alice, bob } = await people(store);
      const fromBob = [];
      for (let i = 0; i < 4; i++) fromBob.push((await store.insertMessage(message(bob, alice))).message.id);
      // Bob reading his own sent messages marks nothing.
      expect((await store.readMessages(bob, alice, { limit: 50 })).delivered).toEqual([]);
      expect((await store.listFriends(alice))[0]?.unread).toBe(4);
      const toBob = (await store.insertMessage(message(alice, bob))).message.id;
      const early = (await store.insertMessage(message(bob, alice, { delivered: true }))).message.id;

      const page = await store.readMessages(alice, bob, { before: fromBob[3], limit: 2 });
      expect(page.messages.map((m) => [m.id, m.delivered])).toEqual([
        [fromBob[1], true],
        [fromBob[2], true],
      ]);
      expect(page.delivered).toEqual(fromBob.slice(0, 3));
      expect((await store.listFriends(alice))[0]?.unread).toBe(2);

      // With a cursor, everything up to it counts as seen: here also a message delivered at once.
      const after = await store.readMessages(alice, bob, { after: early, limit: 50 });
      expect(after.messages).toEqual([]);
      expect(after.delivered).toEqual([fromBob[3]]);
      expect((await store.listFriends(alice))[0]?.unread).toBe(0);
      expect((await store.readMessages(alice, bob, { limit: 50 })).delivered).toEqual([]);

      const all = await store.readMessages(bob, alice, { before: early + 1, limit: 50 });
      expect(all.messages.map((m) => [m.id, m.delivered])).toEqual([
        ...fromBob.map((id) => [id, true]),
        [toBob, true],
        [early, true],
      ]);
      expect(all.delivered).toEqual([toBob]);
    });

    it('answers an empty page for a conversation with no messages', async () => {
      const store = await open();
      const { alice, bob } = await people(store);
      expect(await store.readMessages(alice, bob, { limit: 50 })).toMatchObject({
        messages: [],
        delivered: [],
      });
      expect(await store.readMessages(alice, bob, { after: 10, limit: 50 })).toMatchObject({ messages: [] });
    });
  });

  describe('conversation versions', () => {
    it('changes when a message is added or delivered, and only then; the same in either order', async () => {
      const store = await open();
      const { alice, bob, carol } = await people(store);
      await store.addFriendship(alice, carol, T0);
      const versions = new Set<string>();
      const now = async () => {
        const v = await store.conversationVersion(alice, bob);
        expect(await store.conversationVersion(bob, alice)).toBe(v);
        return v;
      };
      const empty = await now();
      versions.add(empty);
      await store.insertMessage(message(alice, bob, { clientId: 'x' }));
      const added = await now();
      versions.add(added);
      expect(versions.size).toBe(2);

      // A repeated clientId, a read that marks nothing, another conversation: no change.
      await store.insertMessage(message(alice, bob, { clientId: 'x' }));
      await store.readMessages(alice, bob, { limit: 50 });
      await store.insertMessage(message(alice, carol));
      expect(await now()).toBe(added);

      // Bob reads: alice's message is delivered, and the page answers the version that says so.
      const read = await store.readMessages(bob, alice, { limit: 50 });
      const delivered = await now();
      expect(read.delivered).toHaveLength(1);
      expect(read.version).toBe(delivered);
      versions.add(delivered);
      expect(versions.size).toBe(3);
      expect((await store.readMessages(bob, alice, { limit: 50 })).version).toBe(delivered);
    });

    it('answers the version with the page that it stands for', async () => {
      const store = await open();
      const { alice, bob } = await people(store);
      await store.insertMessage(message(alice, bob));
      const page = await store.readMessages(alice, bob, { limit: 50 });
      expect(page.version).toBe(await store.conversationVersion(alice, bob));
    });
  });

  it('closes', async () => {
    const store = await open();
    await store.createUser('alice', 'h', T0);
    await store.close();
  });
});
