import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { MessagesResponse } from '../../src/contract';
import type { ParleyApp } from '../../src/server/app';
import { openSqliteStore } from '../../src/server/store/sqlite';
import {
  expectError,
  expectSent,
  friendsOf,
  getAuthed,
  messagesWith,
  postJson,
  recordingSink,
  seedMessages,
  userIdOf,
} from './contract-helpers';
import { bearer, befriend, makeApp, register, send, testClock } from './helpers';

/** alice and bob, friends; carol, a stranger to both. */
async function pair(app: ParleyApp) {
  const alice = await register(app, 'alice');
  const bob = await register(app, 'bob');
  const carol = await register(app, 'carol');
  await befriend(app, alice, 'bob');
  return { alice, bob, carol };
}

const sendBody = (app: ParleyApp, token: string, body: unknown) =>
  postJson(app, '/api/messages', body, token);

describe('GET /api/messages', () => {
  it('answers the conversation from the reader’s side, ascending by id', async () => {
    const clock = testClock();
    const app = await makeApp({ now: clock.now });
    const { alice, bob } = await pair(app);
    const t1 = clock.now();
    const a = expectSent(await send(app, alice, 'bob', 'hi bob', 'a-1'));
    clock.advance(1000);
    const b = expectSent(await send(app, bob, 'alice', 'hi alice', 'b-1'));

    const res = await getAuthed(app, '/api/messages?peer=bob', alice);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const list = v.parse(MessagesResponse, res.json());
    expect(list).toEqual([
      {
        id: a.id,
        direction: 'sent',
        peer: 'bob',
        content: 'hi bob',
        timestamp: t1,
        delivered: false,
        clientId: 'a-1',
      },
      {
        id: b.id,
        direction: 'received',
        peer: 'bob',
        content: 'hi alice',
        timestamp: t1 + 1000,
        delivered: true,
        clientId: 'b-1',
      },
    ]);
    const bobsView = await messagesWith(app, bob, 'peer=alice');
    expect(bobsView.map((m) => [m.id, m.direction, m.peer])).toEqual([
      [a.id, 'received', 'alice'],
      [b.id, 'sent', 'alice'],
    ]);
  });

  it('answers clientId null for a message stored without one', async () => {
    const app = await makeApp();
    const { alice } = await pair(app);
    const { message } = await app.parley.store.insertMessage({
      senderId: await userIdOf(app, 'bob'),
      recipientId: await userIdOf(app, 'alice'),
      content: 'from an old backend',
      // An imported message: the store keeps a missing clientId as NULL.
      clientId: null as unknown as string,
      timestamp: 1,
      delivered: false,
    });
    const list = await messagesWith(app, alice, 'peer=bob');
    expect(list).toEqual([
      expect.objectContaining({ id: message.id, clientId: null, content: 'from an old backend' }),
    ]);
  });

  it('answers an empty list for a friend with no messages yet', async () => {
    const app = await makeApp();
    const { alice } = await pair(app);
    expect(await messagesWith(app, alice, 'peer=bob')).toEqual([]);
  });

  it('matches the peer case-insensitively', async () => {
    const app = await makeApp();
    const { alice } = await pair(app);
    await send(app, alice, 'bob', 'hi', 'a-1');
    const list = await messagesWith(app, alice, 'peer=BoB');
    expect(list).toHaveLength(1);
    expect(list[0]?.peer).toBe('bob');
  });

  it('keeps conversations apart', async () => {
    const app = await makeApp();
    const { alice, carol } = await pair(app);
    await befriend(app, alice, 'carol');
    await send(app, alice, 'bob', 'to bob', 'a-1');
    await send(app, carol, 'alice', 'to alice from carol', 'c-1');
    expect((await messagesWith(app, alice, 'peer=bob')).map((m) => m.content)).toEqual(['to bob']);
    expect((await messagesWith(app, alice, 'peer=carol')).map((m) => m.content)).toEqual([
      'to alice from carol',
    ]);
  });

  it('gives ids that only grow across the whole server', async () => {
    const app = await makeApp();
    const { alice, bob, carol } = await pair(app);
    const dave = await register(app, 'dave');
    await befriend(app, carol, 'dave');
    const ids = [
      expectSent(await send(app, alice, 'bob', '1', 'x')).id,
      expectSent(await send(app, carol, 'dave', '2', 'x')).id,
      expectSent(await send(app, bob, 'alice', '3', 'x')).id,
      expectSent(await send(app, dave, 'carol', '4', 'x')).id,
      expectSent(await send(app, alice, 'bob', '5', 'y')).id,
    ];
    for (const id of ids) expect(Number.isSafeInteger(id)).toBe(true);
    expect([...ids].sort((x, y) => x - y)).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  describe('pages', () => {
    async function history(count: number) {
      const app = await makeApp();
      const { alice } = await pair(app);
      const ids = await seedMessages(app, 'bob', 'alice', count);
      return { app, alice, ids };
    }

    it('answers the newest 50 messages when no cursor or limit is given', async () => {
      const { app, alice, ids } = await history(120);
      const list = await messagesWith(app, alice, 'peer=bob');
      expect(list.map((m) => m.id)).toEqual(ids.slice(-50));
    });

    it('answers the newest `limit` messages without a cursor', async () => {
      const { app, alice, ids } = await history(30);
      expect((await messagesWith(app, alice, 'peer=bob&limit=7')).map((m) => m.id)).toEqual(ids.slice(-7));
      expect((await messagesWith(app, alice, 'peer=bob&limit=1')).map((m) => m.id)).toEqual(ids.slice(-1));
      expect((await messagesWith(app, alice, 'peer=bob&limit=100')).map((m) => m.id)).toEqual(ids);
    });

    it('answers at most 500 messages, and 400 for a limit of 501', async () => {
      const { app, alice, ids } = await history(520);
      expect((await messagesWith(app, alice, 'peer=bob&limit=500')).map((m) => m.id)).toEqual(
        ids.slice(-500),
      );
      expectError(await getAuthed(app, '/api/messages?peer=bob&limit=501', alice), 400, 'bad_request');
    });

    it('answers with `after` the messages with a greater id, oldest first, at most `limit`', async () => {
      const { app, alice, ids } = await history(20);
      const cursor = ids[4] as number;
      expect((await messagesWith(app, alice, `peer=bob&after=${cursor}&limit=5`)).map((m) => m.id)).toEqual(
        ids.slice(5, 10),
      );
      expect((await messagesWith(app, alice, `peer=bob&after=${cursor}`)).map((m) => m.id)).toEqual(
        ids.slice(5),
      );
      expect((await messagesWith(app, alice, 'peer=bob&after=0&limit=3')).map((m) => m.id)).toEqual(
        ids.slice(0, 3),
      );
      expect(await messagesWith(app, alice, `peer=bob&after=${ids.at(-1)}`)).toEqual([]);
    });

    it('answers with `after` at most 50 messages by default', async () => {
      const { app, alice, ids } = await history(80);
      expect((await messagesWith(app, alice, `peer=bob&after=${ids[0]}`)).map((m) => m.id)).toEqual(
        ids.slice(1, 51),
      );
    });

    it('answers with `before` the `limit` messages just older than the cursor, ascending', async () => {
      const { app, alice, ids } = await history(20);
      const cursor = ids[12] as number;
      expect((await messagesWith(app, alice, `peer=bob&before=${cursor}&limit=5`)).map((m) => m.id)).toEqual(
        ids.slice(7, 12),
      );
      expect((await messagesWith(app, alice, `peer=bob&before=${ids[2]}&limit=5`)).map((m) => m.id)).toEqual(
        ids.slice(0, 2),
      );
      expect(await messagesWith(app, alice, `peer=bob&before=${ids[0]}`)).toEqual([]);
    });

    it('answers with `before` at most 50 messages by default', async () => {
      const { app, alice, ids } = await history(80);
      expect((await messagesWith(app, alice, `peer=bob&before=${ids.at(-1)}`)).map((m) => m.id)).toEqual(
        ids.slice(-51, -1),
      );
    });

    it('walks the whole history back with `before` without gaps or repeats', async () => {
      const { app, alice, ids } = await history(23);
      const seen: number[] = [];
      let page = await messagesWith(app, alice, 'peer=bob&limit=5');
      while (page.length > 0) {
        seen.unshift(...page.map((m) => m.id));
        page = await messagesWith(app, alice, `peer=bob&before=${page[0]?.id}&limit=5`);
      }
      expect(seen).toEqual(ids);
    });
  });

  it('answers 400 for a bad cursor', async () => {
    const app = await makeApp();
    const { alice } = await pair(app);
    for (const query of [
      'after=abc',
      'after=-1',
      'after=1.5',
      'after=1e3',
      'after=',
      'after=0x10',
      'after= 1',
      'after=99999999999999999999',
      'before=abc',
      'before=-5',
      'before=2.0',
    ]) {
      expectError(await getAuthed(app, `/api/messages?peer=bob&${query}`, alice), 400, 'bad_request');
    }
  });

  it('answers 400 for a bad limit', async () => {
    const app = await makeApp();
    const { alice } = await pair(app);
    for (const limit of ['0', '-1', '501', '1000', '10000', 'ten', '1.5', '', '05']) {
      expectError(await getAuthed(app, `/api/messages?peer=bob&limit=${limit}`, alice), 400, 'bad_request');
    }
  });

  it('answers 400 when both after and before are given', async () => {
    const app = await makeApp();
    const { alice } = await pair(app);
    expectError(await getAuthed(app, '/api/messages?peer=bob&after=1&before=5', alice), 400, 'bad_request');
  });

  it('answers 400 for an unknown or repeated query parameter, or a missing or invalid peer', async () => {
    const app = await makeApp();
    const { alice } = await pair(app);
    for (const query of [
      'peer=bob&since=1',
      'peer=bob&cursor=1',
      'peer=bob&peer=bob',
      'peer=bob&limit=5&limit=6',
      '',
      'limit=5',
      'peer=',
      'peer=b',
      'peer=bob!',
    ]) {
      expectError(await getAuthed(app, `/api/messages?${query}`, alice), 400, 'bad_request');
    }
  });

  it('answers 403 when the peer exists but is not a friend', async () => {
    const app = await makeApp();
    const { alice, carol } = await pair(app);
    expectError(await getAuthed(app, '/api/messages?peer=carol', alice), 403, 'forbidden');
    expectError(await getAuthed(app, '/api/messages?peer=alice', carol), 403, 'forbidden');
  });

  it('answers 403 for a conversation with yourself (nobody is their own friend)', async () => {
    const app = await makeApp();
    const { alice } = await pair(app);
    expectError(await getAuthed(app, '/api/messages?peer=alice', alice), 403, 'forbidden');
  });

  it('answers 404 for an unknown peer', async () => {
    const app = await makeApp();
    const { alice } = await pair(app);
    expectError(await getAuthed(app, '/api/messages?peer=nobody', alice), 404, 'not_found');
  });

  it('carries an ETag and answers 304 to a matching If-None-Match, and 200 once the page changes', async () => {
    const app = await makeApp();
    const { alice, bob } = await pair(app);
    await send(app, bob, 'alice', 'one', 'b-1');
    // The first read marks the message delivered; from then on the page is stable.
    await getAuthed(app, '/api/messages?peer=bob', alice);
    const first = await getAuthed(app, '/api/messages?peer=bob', alice);
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^(W\/)?"[^"]*"$/);

    const same = await getAuthed(app, '/api/messages?peer=bob', alice, { 'if-none-match': etag });
    expect(same.statusCode).toBe(304);
    expect(same.body).toBe('');
    expect(same.headers.etag).toBe(etag);

    await send(app, bob, 'alice', 'two', 'b-2');
    const changed = await getAuthed(app, '/api/messages?peer=bob', alice, { 'if-none-match': etag });
    expect(changed.statusCode).toBe(200);
    expect(v.parse(MessagesResponse, changed.json()).map((m) => m.content)).toEqual(['one', 'two']);
    expect(changed.headers.etag).not.toBe(etag);
  });

  it('answers 304 to a poll with `after` that has nothing new', async () => {
    const app = await makeApp();
    const { alice, bob } = await pair(app);
    const id = expectSent(await send(app, bob, 'alice', 'one', 'b-1')).id;
    const empty = await getAuthed(app, `/api/messages?peer=bob&after=${id}`, alice);
    expect(empty.json()).toEqual([]);
    const again = await getAuthed(app, `/api/messages?peer=bob&after=${id}`, alice, {
      'if-none-match': empty.headers.etag as string,
    });
    expect(again.statusCode).toBe(304);
  });

  it('changes the sender’s ETag when the peer reads (the delivered flags change, not the messages)', async () => {
    const app = await makeApp();
    const { alice, bob } = await pair(app);
    expectSent(await send(app, alice, 'bob', 'one', 'a-1'));
    const before = await getAuthed(app, '/api/messages?peer=bob', alice);
    expect(before.json()).toMatchObject([{ delivered: false }]);
    const etag = before.headers.etag as string;
    expect(
      (await getAuthed(app, '/api/messages?peer=bob', alice, { 'if-none-match': etag })).statusCode,
    ).toBe(304);

    await getAuthed(app, '/api/messages?peer=alice', bob);
    const after = await getAuthed(app, '/api/messages?peer=bob', alice, { 'if-none-match': etag });
    expect(after.statusCode).toBe(200);
    expect(after.json()).toMatchObject([{ content: 'one', delivered: true }]);
  });

  it('gives each page its own ETag: one page’s tag never answers 304 for another', async () => {
    const app = await makeApp();
    const { alice, bob } = await pair(app);
    const ids: number[] = [];
    for (let i = 1; i <= 4; i++) ids.push(expectSent(await send(app, bob, 'alice', `m${i}`, `b-${i}`)).id);
    const newest = await getAuthed(app, '/api/messages?peer=bob&limit=2', alice);
    const etag = newest.headers.etag as string;
    for (const url of [
      '/api/messages?peer=bob',
      '/api/messages?peer=bob&limit=3',
      `/api/messages?peer=bob&before=${ids[2]}&limit=2`,
      `/api/messages?peer=bob&after=${ids[0]}&limit=2`,
    ]) {
      const other = await getAuthed(app, url, alice, { 'if-none-match': etag });
      expect({ url, status: other.statusCode }).toEqual({ url, status: 200 });
    }
    expect(
      (await getAuthed(app, '/api/messages?peer=bob&limit=2', alice, { 'if-none-match': etag })).statusCode,
    ).toBe(304);
  });

  it('answers a matching poll without reading a message from the store', async () => {
    const store = openSqliteStore(':memory:');
    let reads = 0;
    const app = await makeApp({
      store: {
        ...store,
        readMessages: (...args) => {
          reads += 1;
          return store.readMessages(...args);
        },
      },
    });
    const { alice, bob } = await pair(app);
    const id = expectSent(await send(app, bob, 'alice', 'one', 'b-1')).id;
    const first = await getAuthed(app, `/api/messages?peer=bob&after=${id}`, alice);
    expect(reads).toBe(1);
    for (let i = 0; i < 3; i++) {
      const again = await getAuthed(app, `/api/messages?peer=bob&after=${id}`, alice, {
        'if-none-match': first.headers.etag as string,
      });
      expect(again.statusCode).toBe(304);
    }
    expect(reads).toBe(1);
  });

  it('marks the received messages it answers as delivered, for both sides', async () => {
    const app = await makeApp();
    const { alice, bob } = await pair(app);
    const sent = [
      expectSent(await send(app, bob, 'alice', 'one', 'b-1')),
      expectSent(await send(app, bob, 'alice', 'two', 'b-2')),
    ];
    for (const s of sent) expect(s.delivered).toBe(false);
    expect((await messagesWith(app, bob, 'peer=alice')).map((m) => m.delivered)).toEqual([false, false]);

    const read = await messagesWith(app, alice, 'peer=bob');
    expect(read.map((m) => [m.direction, m.delivered])).toEqual([
      ['received', true],
      ['received', true],
    ]);
    expect((await messagesWith(app, bob, 'peer=alice')).map((m) => m.delivered)).toEqual([true, true]);
    // A retry of the send now answers the current `delivered`.
    const retried = expectSent(await send(app, bob, 'alice', 'one', 'b-1'), 200);
    expect(retried).toMatchObject({ id: sent[0]?.id, delivered: true });
  });

  it('does not mark the reader’s own sent messages as delivered', async () => {
    const app = await makeApp();
    const { alice } = await pair(app);
    await send(app, alice, 'bob', 'unread by bob', 'a-1');
    await messagesWith(app, alice, 'peer=bob');
    expect((await messagesWith(app, alice, 'peer=bob'))[0]?.delivered).toBe(false);
    const [bob] = await friendsOf(app, alice);
    expect(bob?.unread).toBe(0);
  });

  it('clears the unread count of the conversation it reads', async () => {
    const app = await makeApp();
    const { alice, bob } = await pair(app);
    await send(app, bob, 'alice', 'one', 'b-1');
    await send(app, bob, 'alice', 'two', 'b-2');
    expect((await friendsOf(app, alice))[0]?.unread).toBe(2);
    await messagesWith(app, alice, 'peer=bob');
    expect((await friendsOf(app, alice))[0]?.unread).toBe(0);
    // Bob's unread count of alice was never touched by alice's reading.
    expect((await friendsOf(app, bob))[0]?.unread).toBe(0);
  });

  it('with `before`, leaves the messages newer than its page unread', async () => {
    const app = await makeApp();
    const { alice, bob } = await pair(app);
    const ids = [
      expectSent(await send(app, bob, 'alice', 'one', 'b-1')).id,
      expectSent(await send(app, bob, 'alice', 'two', 'b-2')).id,
      expectSent(await send(app, bob, 'alice', 'three', 'b-3')).id,
    ];
    const page = await messagesWith(app, alice, `peer=bob&before=${ids[2]}&limit=1`);
    expect(page.map((m) => [m.id, m.delivered])).toEqual([[ids[1], true]]);
    expect((await friendsOf(app, alice))[0]?.unread).toBe(1);
    expect((await messagesWith(app, bob, 'peer=alice')).at(-1)?.delivered).toBe(false);
  });

  it('tells the sender’s event streams which messages were delivered', async () => {
    const app = await makeApp();
    const { alice, bob } = await pair(app);
    const id = expectSent(await send(app, bob, 'alice', 'one', 'b-1')).id;
    const recorder = recordingSink();
    const subscription = app.parley.hub.subscribe(await userIdOf(app, 'bob'), null, recorder.sink);
    try {
      await messagesWith(app, alice, 'peer=bob');
      expect(recorder.events.filter((e) => e.type === 'delivered').map((e) => e.data)).toEqual([
        { id, peer: 'alice' },
      ]);
      // Reading again delivers nothing new.
      await messagesWith(app, alice, 'peer=bob');
      expect(recorder.events.filter((e) => e.type === 'delivered')).toHaveLength(1);
    } finally {
      subscription.unsubscribe();
    }
  });
});

describe('POST /api/messages', () => {
  it('answers 201 with success, id, timestamp and delivered false when the recipient has no stream', async () => {
    const clock = testClock();
    const app = await makeApp({ now: clock.now });
    const { alice } = await pair(app);
    clock.advance(777);
    const res = await send(app, alice, 'bob', 'hi', 'c-1');
    const body = expectSent(res, 201);
    expect(body).toEqual({ success: true, id: body.id, timestamp: clock.now(), delivered: false });
    expect(Object.keys(res.json()).sort()).toEqual(['delivered', 'id', 'success', 'timestamp']);
    const stored = await messagesWith(app, alice, 'peer=bob');
    expect(stored).toEqual([
      {
        id: body.id,
        direction: 'sent',
        peer: 'bob',
        content: 'hi',
        timestamp: clock.now(),
        delivered: false,
        clientId: 'c-1',
      },
    ]);
  });

  it('answers delivered true when the recipient holds an open event stream', async () => {
    const app = await makeApp();
    const { alice } = await pair(app);
    const recorder = recordingSink();
    const subscription = app.parley.hub.subscribe(await userIdOf(app, 'bob'), null, recorder.sink);
    try {
      const body = expectSent(await send(app, alice, 'bob', 'hi', 'c-1'));
      expect(body.delivered).toBe(true);
      expect(recorder.events.filter((e) => e.type === 'message').map((e) => e.data)).toEqual([
        expect.objectContaining({ id: body.id, direction: 'received', peer: 'alice', content: 'hi' }),
      ]);
      expect((await messagesWith(app, alice, 'peer=bob'))[0]?.delivered).toBe(true);
    } finally {
      subscription.unsubscribe();
    }
  });

  it('matches the recipient case-insensitively', async () => {
    const app = await makeApp();
    const { alice } = await pair(app);
    expectSent(await send(app, alice, 'BOB', 'hi', 'c-1'));
    expect(await messagesWith(app, alice, 'peer=bob')).toHaveLength(1);
  });

  it('is idempotent on the clientId: a repeat answers 200 with the first id and timestamp and stores nothing', async () => {
    const clock = testClock();
    const app = await makeApp({ now: clock.now });
    const { alice, bob } = await pair(app);
    const first = expectSent(await send(app, alice, 'bob', 'hi', 'same-id'), 201);
    clock.advance(5000);
    const again = expectSent(await send(app, alice, 'bob', 'hi', 'same-id'), 200);
    expect(again).toEqual(first);
    // Even with other content or to another friend: the clientId names the first message.
    await register(app, 'dave');
    await befriend(app, alice, 'dave');
    expect(expectSent(await send(app, alice, 'bob', 'changed', 'same-id'), 200).id).toBe(first.id);
    expect(expectSent(await send(app, alice, 'dave', 'hi', 'same-id'), 200).id).toBe(first.id);

    expect((await messagesWith(app, alice, 'peer=bob')).map((m) => [m.id, m.content])).toEqual([
      [first.id, 'hi'],
    ]);
    expect(await messagesWith(app, alice, 'peer=dave')).toEqual([]);
    expect((await friendsOf(app, bob))[0]).toMatchObject({ unread: 1, lastMessageId: first.id });
  });

  it('does not publish a repeated send to the event streams again', async () => {
    const app = await makeApp();
    const { alice } = await pair(app);
    const recorder = recordingSink();
    const subscription = app.parley.hub.subscribe(await userIdOf(app, 'bob'), null, recorder.sink);
    try {
      await send(app, alice, 'bob', 'hi', 'c-1');
      await send(app, alice, 'bob', 'hi', 'c-1');
      expect(recorder.events.filter((e) => e.type === 'message')).toHaveLength(1);
    } finally {
      subscription.unsubscribe();
    }
  });

  it('keeps clientIds per sender: the same clientId from two senders makes two messages', async () => {
    const app = await makeApp();
    const { alice, bob } = await pair(app);
    const a = expectSent(await send(app, alice, 'bob', 'from alice', 'shared'), 201);
    const b = expectSent(await send(app, bob, 'alice', 'from bob', 'shared'), 201);
    expect(b.id).not.toBe(a.id);
    expect((await messagesWith(app, alice, 'peer=bob')).map((m) => m.content)).toEqual([
      'from alice',
      'from bob',
    ]);
  });

  it('accepts a message of exactly 4000 characters, counted as characters a person sees', async () => {
    const app = await makeApp();
    const { alice } = await pair(app);
    expectSent(await send(app, alice, 'bob', 'x'.repeat(4000), 'c-1'));
    expectSent(await send(app, alice, 'bob', '😀'.repeat(4000), 'c-2'));
    const stored = await messagesWith(app, alice, 'peer=bob');
    expect(stored.map((m) => m.content)).toEqual(['x'.repeat(4000), '😀'.repeat(4000)]);
  });

  it('answers 400 for empty, white-space-only or over-long content', async () => {
    const app = await makeApp();
    const { alice } = await pair(app);
    const bad = [
      '',
      ' ',
      '   ',
      '\n\t\r\n',
      '\u00a0\u2003\u3000',
      'x'.repeat(4001),
      '😀'.repeat(4001),
      'bad \ud800',
    ];
    for (const [i, content] of bad.entries()) {
      expectError(await send(app, alice, 'bob', content, `c-${i}`), 400, 'bad_request');
    }
    expect(await messagesWith(app, alice, 'peer=bob')).toEqual([]);
  });

  it('answers 400 for a missing, empty, over-long or non-string clientId and accepts 64 characters', async () => {
    const app = await makeApp();
    const { alice } = await pair(app);
    for (const body of [
      { to: 'bob', content: 'hi' },
      { to: 'bob', content: 'hi', clientId: '' },
      { to: 'bob', content: 'hi', clientId: 'c'.repeat(65) },
      { to: 'bob', content: 'hi', clientId: 42 },
      { to: 'bob', content: 'hi', clientId: null },
    ]) {
      expectError(await sendBody(app, alice, body), 400, 'bad_request');
    }
    expect(await messagesWith(app, alice, 'peer=bob')).toEqual([]);
    expectSent(await send(app, alice, 'bob', 'hi', 'c'.repeat(64)));
  });

  it('answers 400 for wrong types, a missing or an unknown field, never coercing', async () => {
    const app = await makeApp();
    const { alice } = await pair(app);
    for (const body of [
      { to: 'bob', content: 42, clientId: 'c-1' },
      { to: 'bob', content: ['hi'], clientId: 'c-1' },
      { to: 'bob', content: null, clientId: 'c-1' },
      { to: 42, content: 'hi', clientId: 'c-1' },
      { content: 'hi', clientId: 'c-1' },
      { to: 'bob', clientId: 'c-1' },
      { to: 'b', content: 'hi', clientId: 'c-1' },
      { to: 'bob', content: 'hi', clientId: 'c-1', html: true },
      { to: 'bob', content: 'hi', clientId: 'c-1', timestamp: 1 },
      [],
      'hi',
    ]) {
      expectError(await sendBody(app, alice, body), 400, 'bad_request');
    }
    expect(await messagesWith(app, alice, 'peer=bob')).toEqual([]);
  });

  it('keeps content verbatim: HTML, new lines, emoji, leading and trailing spaces', async () => {
    const app = await makeApp();
    const { alice, bob } = await pair(app);
    const contents = [
      '<script>alert("x")</script> &amp; <b>bold</b>',
      'line one\nline two\r\n\n\ttabbed',
      '  leading and trailing  ',
      '😀 👩‍👩‍👧 🇫🇷 e\u0301 vs é',
      'quotes \' " ` and \\ backslash',
      '\u0000 nul and \u200b zero width',
    ];
    for (const [i, content] of contents.entries())
      expectSent(await send(app, alice, 'bob', content, `c-${i}`));
    expect((await messagesWith(app, alice, 'peer=bob')).map((m) => m.content)).toEqual(contents);
    expect((await messagesWith(app, bob, 'peer=alice')).map((m) => m.content)).toEqual(contents);
  });

  it('answers 403 when the recipient is not a friend, and to yourself', async () => {
    const app = await makeApp();
    const { alice, carol } = await pair(app);
    expectError(await send(app, alice, 'carol', 'hi', 'c-1'), 403, 'forbidden');
    expectError(await send(app, carol, 'alice', 'hi', 'c-1'), 403, 'forbidden');
    expectError(await send(app, alice, 'alice', 'hi', 'c-2'), 403, 'forbidden');
    expect(await messagesWith(app, alice, 'peer=bob')).toEqual([]);
  });

  it('answers 404 for an unknown recipient', async () => {
    const app = await makeApp();
    const { alice } = await pair(app);
    expectError(await send(app, alice, 'nobody', 'hi', 'c-1'), 404, 'not_found');
  });

  describe('send rate', () => {
    it('answers 429 with Retry-After past a burst of 40 sends, and stores nothing then', async () => {
      const clock = testClock();
      const app = await makeApp({ now: clock.now });
      const { alice } = await pair(app);
      for (let i = 0; i < 40; i++) expectSent(await send(app, alice, 'bob', `m${i}`, `c-${i}`));
      const limited = await send(app, alice, 'bob', 'one too many', 'c-40');
      expectError(limited, 429, 'rate_limited');
      const retryAfter = Number(limited.headers['retry-after']);
      expect(Number.isInteger(retryAfter)).toBe(true);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(2);
      const stored = await messagesWith(app, alice, 'peer=bob&limit=500');
      expect(stored).toHaveLength(40);
      expect(stored.map((m) => m.content)).not.toContain('one too many');
    });

    it('refills at 20 sends a second as the clock advances', async () => {
      const clock = testClock();
      const app = await makeApp({ now: clock.now });
      const { alice } = await pair(app);
      let n = 0;
      const next = () => send(app, alice, 'bob', `m${n}`, `c-${n++}`);
      for (let i = 0; i < 40; i++) expectSent(await next());
      expectError(await next(), 429, 'rate_limited');
      clock.advance(50);
      expectSent(await next());
      expectError(await next(), 429, 'rate_limited');
      clock.advance(1000);
      for (let i = 0; i < 20; i++) expectSent(await next());
      expectError(await next(), 429, 'rate_limited');
      clock.advance(10_000);
      for (let i = 0; i < 40; i++) expectSent(await next());
      expectError(await next(), 429, 'rate_limited');
    });

    it('sustains 20 sends a second indefinitely', async () => {
      const clock = testClock();
      const app = await makeApp({ now: clock.now });
      const { alice } = await pair(app);
      for (let i = 0; i < 200; i++) {
        expectSent(await send(app, alice, 'bob', `m${i}`, `c-${i}`));
        clock.advance(50);
      }
    });

    it('limits each user separately', async () => {
      const clock = testClock();
      const app = await makeApp({ now: clock.now });
      const { alice, bob } = await pair(app);
      for (let i = 0; i < 40; i++) expectSent(await send(app, alice, 'bob', `m${i}`, `c-${i}`));
      expectError(await send(app, alice, 'bob', 'more', 'c-x'), 429, 'rate_limited');
      expectSent(await send(app, bob, 'alice', 'bob is fine', 'b-1'));
    });

    it('does not limit reading', async () => {
      const clock = testClock();
      const app = await makeApp({ now: clock.now });
      const { alice } = await pair(app);
      for (let i = 0; i < 40; i++) expectSent(await send(app, alice, 'bob', `m${i}`, `c-${i}`));
      for (let i = 0; i < 60; i++) {
        expect(
          (await app.inject({ method: 'GET', url: '/api/messages?peer=bob', headers: bearer(alice) }))
            .statusCode,
        ).toBe(200);
      }
    });
  });
});
