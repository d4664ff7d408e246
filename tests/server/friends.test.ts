import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { AddFriendResponse, FriendsResponse } from '../../src/contract';
import { hashPassword } from '../../src/server/credentials';
import { expectError, friendsOf, getAuthed, messagesWith, postJson } from './contract-helpers';
import { bearer, befriend, makeApp, register, send, testClock } from './helpers';

const addFriend = (app: Awaited<ReturnType<typeof makeApp>>, token: string, username: unknown) =>
  postJson(app, '/api/friends', { username }, token);

describe('GET /api/friends', () => {
  it('answers an empty list to a user without friends', async () => {
    const app = await makeApp();
    const alice = await register(app, 'alice');
    const res = await getAuthed(app, '/api/friends', alice);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(v.parse(FriendsResponse, res.json())).toEqual([]);
  });

  it('lists friends sorted by username', async () => {
    const app = await makeApp();
    const alice = await register(app, 'alice');
    const names = ['zed', 'bob', '_al', '9lives', 'bo_b', 'carol', 'bob2'];
    for (const name of names) {
      await register(app, name);
      await befriend(app, alice, name);
    }
    const friends = await friendsOf(app, alice);
    expect(friends.map((f) => f.username)).toEqual([...names].sort());
  });

  it('describes each friend with online, lastSeen, unread and lastMessageId', async () => {
    const clock = testClock();
    const app = await makeApp({ now: clock.now });
    const alice = await register(app, 'alice');
    clock.advance(500);
    const registeredAt = clock.now();
    await register(app, 'bob');
    await befriend(app, alice, 'bob');
    const [bob] = await friendsOf(app, alice);
    expect(bob).toEqual({
      username: 'bob',
      online: true,
      lastSeen: registeredAt,
      unread: 0,
      lastMessageId: null,
    });
  });

  it('answers lastSeen null and online false for a friend who has never been seen', async () => {
    const app = await makeApp();
    const alice = await register(app, 'alice');
    // An account that exists but has never made a call (created straight in the store).
    await app.parley.store.createUser('ghost', await hashPassword('correct horse', { cost: 1024 }), 0);
    await befriend(app, alice, 'ghost');
    expect(await friendsOf(app, alice)).toEqual([
      { username: 'ghost', online: false, lastSeen: null, unread: 0, lastMessageId: null },
    ]);
  });

  it('counts unread received messages and names the newest message of each conversation', async () => {
    const app = await makeApp();
    const alice = await register(app, 'alice');
    const bob = await register(app, 'bob');
    await register(app, 'carol');
    await befriend(app, alice, 'bob');
    await befriend(app, alice, 'carol');
    await send(app, bob, 'alice', 'one', 'b1');
    const second = (await send(app, bob, 'alice', 'two', 'b2')).json().id as number;
    const mine = (await send(app, alice, 'bob', 'mine', 'a1')).json().id as number;
    expect(mine).toBeGreaterThan(second);

    const friends = await friendsOf(app, alice);
    expect(friends.find((f) => f.username === 'bob')).toMatchObject({ unread: 2, lastMessageId: mine });
    expect(friends.find((f) => f.username === 'carol')).toMatchObject({ unread: 0, lastMessageId: null });
    // Bob's side: alice's message is his one unread message; the last message is the same.
    const bobsFriends = await friendsOf(app, bob);
    expect(bobsFriends).toEqual([
      expect.objectContaining({ username: 'alice', unread: 1, lastMessageId: mine }),
    ]);
  });

  it('clears unread once the conversation is read', async () => {
    const app = await makeApp();
    const alice = await register(app, 'alice');
    const bob = await register(app, 'bob');
    await befriend(app, alice, 'bob');
    await send(app, bob, 'alice', 'one', 'b1');
    await send(app, bob, 'alice', 'two', 'b2');
    expect((await friendsOf(app, alice))[0]?.unread).toBe(2);
    await messagesWith(app, alice, 'peer=bob');
    expect((await friendsOf(app, alice))[0]?.unread).toBe(0);
  });

  it('carries an ETag and answers 304 with no body to a matching If-None-Match', async () => {
    const app = await makeApp();
    const alice = await register(app, 'alice');
    await register(app, 'bob');
    await befriend(app, alice, 'bob');
    const first = await getAuthed(app, '/api/friends', alice);
    const etag = first.headers.etag;
    expect(etag).toBeTypeOf('string');
    expect(etag).toMatch(/^(W\/)?"[^"]*"$/);

    const again = await getAuthed(app, '/api/friends', alice, { 'if-none-match': etag as string });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    expect(again.headers.etag).toBe(etag);
    expect(again.headers['cache-control']).toBe('no-store');

    // A list of tags that contains it matches too; a different tag does not.
    const listed = await getAuthed(app, '/api/friends', alice, { 'if-none-match': `"other", ${etag}` });
    expect(listed.statusCode).toBe(304);
    const stale = await getAuthed(app, '/api/friends', alice, { 'if-none-match': '"stale"' });
    expect(stale.statusCode).toBe(200);
    expect(v.parse(FriendsResponse, stale.json())).toHaveLength(1);
  });

  it('keeps the same ETag while nothing changes', async () => {
    const clock = testClock();
    const app = await makeApp({ now: clock.now });
    const alice = await register(app, 'alice');
    await register(app, 'bob');
    await befriend(app, alice, 'bob');
    const first = await getAuthed(app, '/api/friends', alice);
    clock.advance(5000);
    const second = await getAuthed(app, '/api/friends', alice);
    expect(second.headers.etag).toBe(first.headers.etag);
  });

  it('changes the ETag when the list changes (a new friend, a new message)', async () => {
    const app = await makeApp();
    const alice = await register(app, 'alice');
    const bob = await register(app, 'bob');
    await register(app, 'carol');
    await befriend(app, alice, 'bob');
    const before = (await getAuthed(app, '/api/friends', alice)).headers.etag as string;

    await befriend(app, alice, 'carol');
    const afterFriend = await getAuthed(app, '/api/friends', alice, { 'if-none-match': before });
    expect(afterFriend.statusCode).toBe(200);
    expect(v.parse(FriendsResponse, afterFriend.json())).toHaveLength(2);
    const etag2 = afterFriend.headers.etag as string;
    expect(etag2).not.toBe(before);

    await send(app, bob, 'alice', 'hi', 'b1');
    const afterMessage = await getAuthed(app, '/api/friends', alice, { 'if-none-match': etag2 });
    expect(afterMessage.statusCode).toBe(200);
    expect(afterMessage.headers.etag).not.toBe(etag2);
  });
});

describe('POST /api/friends', () => {
  it('answers 201 with success and the username, and the friendship is mutual', async () => {
    const app = await makeApp();
    const alice = await register(app, 'alice');
    const bob = await register(app, 'bob');
    const res = await addFriend(app, alice, 'bob');
    expect(res.statusCode).toBe(201);
    expect(v.parse(AddFriendResponse, res.json())).toEqual({ success: true, username: 'bob' });
    expect((await friendsOf(app, alice)).map((f) => f.username)).toEqual(['bob']);
    expect((await friendsOf(app, bob)).map((f) => f.username)).toEqual(['alice']);
    // Both can message each other at once.
    expect((await send(app, bob, 'alice', 'hi', 'b1')).statusCode).toBe(201);
    expect((await send(app, alice, 'bob', 'hi', 'a1')).statusCode).toBe(201);
  });

  it('matches the name case-insensitively and answers it lower-cased', async () => {
    const app = await makeApp();
    const alice = await register(app, 'alice');
    await register(app, 'bob');
    const res = await addFriend(app, alice, 'BoB');
    expect(res.statusCode).toBe(201);
    expect(v.parse(AddFriendResponse, res.json()).username).toBe('bob');
  });

  it('answers 404 for an unknown user', async () => {
    const app = await makeApp();
    const alice = await register(app, 'alice');
    expectError(await addFriend(app, alice, 'nobody'), 404, 'not_found');
    expect(await friendsOf(app, alice)).toEqual([]);
  });

  it('answers 409 when already friends, from either side', async () => {
    const app = await makeApp();
    const alice = await register(app, 'alice');
    const bob = await register(app, 'bob');
    await befriend(app, alice, 'bob');
    expectError(await addFriend(app, alice, 'bob'), 409, 'conflict');
    expectError(await addFriend(app, alice, 'BOB'), 409, 'conflict');
    expectError(await addFriend(app, bob, 'alice'), 409, 'conflict');
    expect(await friendsOf(app, alice)).toHaveLength(1);
  });

  it('answers 400 when adding yourself, in any case', async () => {
    const app = await makeApp();
    const alice = await register(app, 'alice');
    expectError(await addFriend(app, alice, 'alice'), 400, 'bad_request');
    expectError(await addFriend(app, alice, 'ALICE'), 400, 'bad_request');
    expect(await friendsOf(app, alice)).toEqual([]);
  });

  it('answers 400 for an invalid name, a wrong type, a missing or an unknown field', async () => {
    const app = await makeApp();
    const alice = await register(app, 'alice');
    await register(app, 'bob');
    for (const username of ['b', 'b'.repeat(33), 'bob!', ' bob', 42, null, ['bob'], { name: 'bob' }, true]) {
      expectError(await addFriend(app, alice, username), 400, 'bad_request');
    }
    expectError(await postJson(app, '/api/friends', {}, alice), 400, 'bad_request');
    expectError(
      await postJson(app, '/api/friends', { username: 'bob', note: 'hi' }, alice),
      400,
      'bad_request',
    );
    expectError(await postJson(app, '/api/friends', 'bob', alice), 400, 'bad_request');
    expect(await friendsOf(app, alice)).toEqual([]);
  });

  it('needs a token', async () => {
    const app = await makeApp();
    await register(app, 'bob');
    expectError(
      await app.inject({ method: 'POST', url: '/api/friends', payload: { username: 'bob' } }),
      401,
      'unauthorized',
    );
    expectError(
      await app.inject({
        method: 'POST',
        url: '/api/friends',
        headers: bearer('x'),
        payload: { username: 'bob' },
      }),
      401,
      'unauthorized',
    );
  });
});
