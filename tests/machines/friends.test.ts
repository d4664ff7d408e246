import { afterEach, describe, expect, it } from 'vitest';
import type { ActorRefFrom } from 'xstate';
import { createApiActors } from '../../machines/actors/api';
import { createMemoryStorage, createStorageActors } from '../../machines/actors/storage';
import type { Transport } from '../../machines/events';
import { friendsMachine } from '../../machines/friendsMachine';
import type { ApiFailure, FriendBody, MessageBody, ParleyStorage, PushEvent } from '../../machines/ports';
import { createFakeApi } from './fakeApi';
import { advance, flush, pendingTimers, underParent } from './harness';

const friend = (username: string, extra: Partial<FriendBody> = {}): FriendBody => ({
  username,
  online: false,
  lastSeen: null,
  unread: 0,
  lastMessageId: null,
  ...extra,
});
const message = (
  id: number,
  peer: string,
  direction: MessageBody['direction'] = 'received',
): MessageBody => ({
  id,
  direction,
  peer,
  content: `m${id}`,
  timestamp: 1000 + id,
  delivered: false,
  clientId: null,
});
const list = (body: FriendBody[], etag: string | null = '"v1"') => ({ notModified: false, body, etag });
const down: ApiFailure = { kind: 'network', message: 'The server could not be reached.' };
const POLL = 10_000;

const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

function start(input: { online?: boolean; transport?: Transport; storage?: ParleyStorage } = {}) {
  const fake = createFakeApi();
  const { fetchFriends, addFriend } = createApiActors(fake.api);
  const { loadFriends, saveFriends } = createStorageActors(input.storage ?? createMemoryStorage());
  const actors = { fetchFriends, addFriend, loadFriends, saveFriends };
  const run = underParent(friendsMachine.provide({ actors }), {
    token: 'tok',
    username: 'alice',
    online: input.online ?? true,
    transport: input.transport ?? 'polling',
  });
  stops.push(() => run.parent.stop());
  const child = run.child as ActorRefFrom<typeof friendsMachine>;
  /** Counts the new snapshots the child emits from now on (an actor notifies on every event, changed or not). */
  const emissions = () => {
    let count = 0;
    let last = child.getSnapshot();
    const sub = child.subscribe((snapshot) => {
      if (snapshot !== last) count++;
      last = snapshot;
    });
    stops.push(() => sub.unsubscribe());
    return () => count;
  };
  return { ...run, child, fake, emissions, snapshot: () => child.getSnapshot() };
}

/** Starts, and answers the first load with `body`. */
async function loaded(body: FriendBody[], input: { online?: boolean; transport?: Transport } = {}) {
  const t = start(input);
  t.fake.next('friends').resolve(list(body));
  await flush();
  return t;
}

const push = (...events: PushEvent[]) => ({ type: 'push.batch' as const, events });

describe('friends: loading and polling', () => {
  it('is tagged loading during the first load, then holds the list sorted by username with its ETag', async () => {
    const t = start();
    expect(t.snapshot().hasTag('loading')).toBe(true);
    const call = t.fake.next('friends');
    expect(call.args).toEqual(['tok', null]);
    call.resolve(list([friend('carol'), friend('bob')], '"v1"'));
    await flush();
    expect(t.snapshot().hasTag('loading')).toBe(false);
    expect(t.snapshot().context.friends.map((f) => f.username)).toEqual(['bob', 'carol']);
    expect(t.snapshot().context.etag).toBe('"v1"');
  });

  it('polls only every 60 s while the tab is hidden: nothing at 59 999 ms, one request at 60 000 ms', async () => {
    const t = await loaded([friend('bob')]);
    t.child.send({ type: 'visibility.changed', hidden: true });
    advance(t.clock, POLL);
    t.fake.next('friends').resolve({ notModified: true });
    await flush();
    advance(t.clock, 60_000 - 1);
    expect(t.fake.open('friends')).toHaveLength(0);
    advance(t.clock, 1);
    expect(t.fake.open('friends')).toHaveLength(1);
  });

  it('polls every 10 s when the transport is polling: nothing at 9 999 ms, one request at 10 000 ms', async () => {
    const t = await loaded([friend('bob')]);
    advance(t.clock, POLL - 1);
    expect(t.fake.open('friends')).toHaveLength(0);
    advance(t.clock, 1);
    expect(t.fake.open('friends')).toHaveLength(1);
    t.fake.next('friends').resolve({ notModified: true });
    await flush();
    advance(t.clock, POLL - 1);
    expect(t.fake.open('friends')).toHaveLength(0);
    advance(t.clock, 1);
    expect(t.fake.open('friends')).toHaveLength(1);
  });

  it('sends the ETag it holds, and a 304 leaves the context (and the list) identical', async () => {
    const t = await loaded([friend('bob')]);
    const before = t.snapshot().context;
    advance(t.clock, POLL);
    const call = t.fake.next('friends');
    expect(call.args).toEqual(['tok', '"v1"']);
    call.resolve({ notModified: true });
    await flush();
    expect(t.snapshot().context).toBe(before);
  });

  it('keeps the context identical when a backend without ETags answers the same list again', async () => {
    const t = start();
    t.fake.next('friends').resolve(list([friend('bob')], null));
    await flush();
    const before = t.snapshot().context;
    advance(t.clock, POLL);
    t.fake.next('friends').resolve(list([friend('bob')], null));
    await flush();
    expect(t.snapshot().context).toBe(before);
  });

  it('does not poll when live', async () => {
    const t = await loaded([friend('bob')], { transport: 'live' });
    advance(t.clock, POLL * 6);
    expect(t.fake.open('friends')).toHaveLength(0);
  });

  it('loads at start while offline, does not poll, and refetches at once when back online', async () => {
    const t = await loaded([friend('bob')], { online: false });
    advance(t.clock, POLL * 3);
    expect(t.fake.open('friends')).toHaveLength(0);
    t.child.send({ type: 'connection.changed', online: true, transport: 'polling' });
    expect(t.fake.open('friends')).toHaveLength(1);
    expect(t.snapshot().context.online).toBe(true);
  });

  it('stops polling when the connection goes offline or live, and starts when it turns to polling', async () => {
    const t = await loaded([friend('bob')]);
    t.child.send({ type: 'connection.changed', online: false, transport: 'polling' });
    advance(t.clock, POLL * 2);
    expect(t.fake.open('friends')).toHaveLength(0);
    t.child.send({ type: 'connection.changed', online: true, transport: 'live' });
    t.fake.next('friends').resolve({ notModified: true });
    await flush();
    advance(t.clock, POLL * 2);
    expect(t.fake.open('friends')).toHaveLength(0);
    t.child.send({ type: 'connection.changed', online: true, transport: 'polling' });
    advance(t.clock, POLL - 1);
    expect(t.fake.open('friends')).toHaveLength(0);
    advance(t.clock, 1);
    expect(t.fake.open('friends')).toHaveLength(1);
  });

  it('changes nothing on connection news that repeats what it holds', async () => {
    const t = await loaded([friend('bob')]);
    const before = t.snapshot();
    t.child.send({ type: 'connection.changed', online: true, transport: 'polling' });
    expect(t.snapshot()).toBe(before);
  });

  it('tells the parent about a failure that means offline, keeps the list, and retries at the next interval', async () => {
    const t = await loaded([friend('bob')]);
    const friends = t.snapshot().context.friends;
    advance(t.clock, POLL);
    t.fake.next('friends').reject(down);
    await flush();
    expect(t.sent('connection.failed')).toEqual([{ type: 'connection.failed', failure: down }]);
    expect(t.snapshot().context.friends).toBe(friends);
    expect(t.snapshot().context.lastError).toEqual(down);
    advance(t.clock, POLL - 1);
    expect(t.fake.open('friends')).toHaveLength(0);
    advance(t.clock, 1);
    t.fake.next('friends').resolve({ notModified: true });
    await flush();
    expect(t.snapshot().context.lastError).toBeNull();
  });

  it('stores a failure that does not mean offline without reporting the connection', async () => {
    const t = await loaded([friend('bob')]);
    const failure: ApiFailure = { kind: 'http', status: 500, code: 'internal', message: 'Something broke.' };
    advance(t.clock, POLL);
    t.fake.next('friends').reject(failure);
    await flush();
    expect(t.sent('connection.failed')).toHaveLength(0);
    expect(t.snapshot().context.lastError).toEqual(failure);
  });

  it('drops the loading tag when the first load fails, and retries at the next interval', async () => {
    const t = start();
    t.fake.next('friends').reject(down);
    await flush();
    expect(t.snapshot().hasTag('loading')).toBe(false);
    expect(t.snapshot().context.friends).toEqual([]);
    advance(t.clock, POLL - 1);
    expect(t.fake.open('friends')).toHaveLength(0);
    advance(t.clock, 1);
    expect(t.fake.open('friends')).toHaveLength(1);
  });
});

describe('friends: refetching', () => {
  it.each([
    ['friends.refresh', { type: 'friends.refresh' as const }],
    ['push.resync', { type: 'push.resync' as const }],
    ['a pushed friend event', push({ type: 'friend', data: { username: 'dave' } })],
  ])(
    'refetches at once on %s, restarting a fetch in flight (its answer may predate the news)',
    async (_, event) => {
      const t = await loaded([friend('bob')], { transport: 'live' });
      t.child.send({ type: 'friends.refresh' });
      const first = t.fake.open('friends')[0];
      t.child.send(event);
      expect(first?.signal.aborted).toBe(true);
      const call = t.fake.next('friends');
      call.resolve(list([friend('bob'), friend('dave')], '"v2"'));
      await flush();
      expect(t.snapshot().context.friends.map((f) => f.username)).toEqual(['bob', 'dave']);
    },
  );

  it('stays tagged loading when a refetch restarts the first load', async () => {
    const t = start();
    const first = t.fake.open('friends')[0];
    t.child.send({ type: 'push.resync' });
    expect(first?.signal.aborted).toBe(true);
    expect(t.fake.open('friends')).toHaveLength(1);
    expect(t.snapshot().hasTag('loading')).toBe(true);
  });
});

describe('friends: pushed events', () => {
  const start3 = () =>
    loaded(
      [
        friend('bob', { lastMessageId: 10 }),
        friend('carol', { unread: 1, lastMessageId: 12 }),
        friend('dave'),
      ],
      { transport: 'live' },
    );

  it('applies a pushed burst of presence and messages as one update', async () => {
    const t = await start3();
    const emitted = t.emissions();
    t.child.send(
      push(
        { type: 'presence', data: { username: 'bob', online: true, lastSeen: 5 } },
        { type: 'message', data: message(20, 'carol') },
        { type: 'message', data: message(21, 'carol') },
        { type: 'message', data: message(22, 'dave', 'sent') },
      ),
    );
    expect(emitted()).toBe(1);
    const [bob, carol, dave] = t.snapshot().context.friends;
    expect(bob).toMatchObject({ username: 'bob', online: true, lastSeen: 5, unread: 0, lastMessageId: 10 });
    expect(carol).toMatchObject({ username: 'carol', unread: 3, lastMessageId: 21 });
    expect(dave).toMatchObject({ username: 'dave', unread: 0, lastMessageId: 22 });
  });

  it('leaves the snapshot identical when a batch changes nothing (same presence, replayed message, stranger)', async () => {
    const t = await start3();
    const before = t.snapshot();
    const emitted = t.emissions();
    t.child.send(
      push(
        { type: 'presence', data: { username: 'bob', online: false, lastSeen: null } },
        { type: 'message', data: message(12, 'carol') },
        { type: 'message', data: message(30, 'zed') },
        { type: 'delivered', data: { id: 10, peer: 'bob' } },
      ),
    );
    expect(t.snapshot()).toBe(before);
    expect(emitted()).toBe(0);
  });

  it('does not count a message in the open conversation as unread', async () => {
    const t = await start3();
    t.child.send({ type: 'conversation.opened', peer: 'carol' });
    t.child.send(push({ type: 'message', data: message(20, 'carol') }));
    expect(t.snapshot().context.friends[1]).toMatchObject({
      username: 'carol',
      unread: 0,
      lastMessageId: 20,
    });
  });
});

describe('friends: the open conversation', () => {
  it('clears the unread count of the friend whose conversation opens, and ignores a repeat', async () => {
    const t = await loaded([friend('bob', { unread: 2 })], { transport: 'live' });
    t.child.send({ type: 'conversation.opened', peer: 'bob' });
    expect(t.snapshot().context.openPeer).toBe('bob');
    expect(t.snapshot().context.friends[0]?.unread).toBe(0);
    const before = t.snapshot();
    t.child.send({ type: 'conversation.opened', peer: 'bob' });
    expect(t.snapshot()).toBe(before);
  });

  it('counts the open conversation as read in a fetched list', async () => {
    const t = await loaded([friend('bob')], { transport: 'live' });
    t.child.send({ type: 'conversation.opened', peer: 'bob' });
    t.child.send({ type: 'friends.refresh' });
    t.fake
      .next('friends')
      .resolve(list([friend('bob', { unread: 3 }), friend('carol', { unread: 1 })], '"v2"'));
    await flush();
    expect(t.snapshot().context.friends.map((f) => f.unread)).toEqual([0, 1]);
  });
});

describe('friends: telling the parent the list is loaded', () => {
  it("tells the parent the server's first list, once: not the kept list, nor a later fetch", async () => {
    const storage = createMemoryStorage();
    await storage.saveFriends('alice', [friend('bob')]);
    const t = start({ storage });
    await flush();
    expect(t.snapshot().hasTag('lastKnown')).toBe(true);
    expect(t.sent('friends.loaded')).toEqual([]);
    t.fake.next('friends').resolve(list([friend('carol'), friend('bob', { unread: 2 })], '"v1"'));
    await flush();
    expect(t.sent('friends.loaded')).toEqual([
      { type: 'friends.loaded', friends: [friend('bob', { unread: 2 }), friend('carol')] },
    ]);
    advance(t.clock, POLL);
    t.fake.next('friends').resolve(list([friend('bob')], '"v2"'));
    await flush();
    expect(t.sent('friends.loaded')).toHaveLength(1);
  });

  it('tells nothing while the first fetch fails, and tells the list once one answers', async () => {
    const t = start();
    t.fake.next('friends').reject({ kind: 'http', status: 503, message: 'The server is unavailable.' });
    await flush();
    expect(t.sent('friends.loaded')).toEqual([]);
    advance(t.clock, POLL);
    t.fake.next('friends').resolve(list([friend('bob')]));
    await flush();
    expect(t.sent('friends.loaded')).toEqual([{ type: 'friends.loaded', friends: [friend('bob')] }]);
  });
});

describe('friends: adding a friend', () => {
  it('runs idle → adding → added, reports "Added bob" and refetches the list', async () => {
    const t = await loaded([], { transport: 'live' });
    expect(t.snapshot().context.add).toEqual({ status: 'idle', username: null, error: null });
    t.child.send({ type: 'friend.add', username: 'bob' });
    expect(t.snapshot().hasTag('adding')).toBe(true);
    expect(t.snapshot().context.add.status).toBe('adding');
    const call = t.fake.next('addFriend');
    expect(call.args).toEqual(['tok', 'bob']);
    call.resolve('bob');
    await flush();
    expect(t.snapshot().hasTag('adding')).toBe(false);
    expect(t.snapshot().context.add).toEqual({ status: 'added', username: 'bob', error: null });
    expect(t.sent('activity.report')).toEqual([{ type: 'activity.report', kind: 'info', text: 'Added bob' }]);
    t.fake.next('friends').resolve(list([friend('bob')], '"v2"'));
    await flush();
    expect(t.snapshot().context.friends.map((f) => f.username)).toEqual(['bob']);
  });

  it("ends failed with the server's sentence and reports it as an error, without refetching", async () => {
    const t = await loaded([friend('bob')], { transport: 'live' });
    t.child.send({ type: 'friend.add', username: 'bob' });
    const sentence = 'You are already friends with bob.';
    t.fake.next('addFriend').reject({ kind: 'http', status: 409, code: 'conflict', message: sentence });
    await flush();
    expect(t.snapshot().context.add).toEqual({ status: 'failed', username: 'bob', error: sentence });
    expect(t.sent('activity.report')).toEqual([
      { type: 'activity.report', kind: 'error', text: `Could not add bob: ${sentence}` },
    ]);
    expect(t.sent('connection.failed')).toHaveLength(0);
    expect(t.fake.open('friends')).toHaveLength(0);
  });

  it('reports an add that could not reach the server to the connection too', async () => {
    const t = await loaded([], { transport: 'live' });
    t.child.send({ type: 'friend.add', username: 'bob' });
    t.fake.next('addFriend').reject(down);
    await flush();
    expect(t.sent('connection.failed')).toEqual([{ type: 'connection.failed', failure: down }]);
    expect(t.snapshot().context.add.status).toBe('failed');
  });

  it('ignores another friend.add while one runs, and accepts one once it ended', async () => {
    const t = await loaded([], { transport: 'live' });
    t.child.send({ type: 'friend.add', username: 'bob' });
    expect(t.snapshot().can({ type: 'friend.add', username: 'carol' })).toBe(false);
    const before = t.snapshot();
    t.child.send({ type: 'friend.add', username: 'carol' });
    expect(t.snapshot()).toBe(before);
    expect(t.fake.open('addFriend')).toHaveLength(1);
    t.fake
      .next('addFriend')
      .reject({ kind: 'http', status: 404, code: 'not_found', message: 'No such user.' });
    await flush();
    t.child.send({ type: 'friend.add', username: 'carol' });
    expect(t.fake.next('addFriend').args).toEqual(['tok', 'carol']);
  });
});

describe('friends: stopping', () => {
  it('aborts its open requests when stopped, leaves no timer, and a late answer changes nothing', async () => {
    const t = await loaded([friend('bob')]);
    advance(t.clock, POLL);
    t.child.send({ type: 'friend.add', username: 'carol' });
    const [fetch] = t.fake.open('friends');
    const [add] = t.fake.open('addFriend');
    t.parent.stop();
    expect(fetch?.signal.aborted).toBe(true);
    expect(add?.signal.aborted).toBe(true);
    expect(t.fake.open('friends')).toHaveLength(0);
    expect(t.fake.open('addFriend')).toHaveLength(0);
    expect(pendingTimers(t.clock)).toBe(0);
    const after = t.snapshot();
    const received = t.received.length;
    fetch?.resolve(list([friend('zed')], '"late"'));
    add?.resolve('carol');
    await flush();
    expect(t.snapshot()).toBe(after);
    expect(t.received).toHaveLength(received);
  });
});

describe('friends: the list kept from the last visit', () => {
  const keeping = async (username: string, friends: FriendBody[]) => {
    const storage = createMemoryStorage();
    await storage.saveFriends(username, friends);
    return storage;
  };

  it('shows the kept list before the first fetch answers: everyone offline, tagged lastKnown and unloaded', async () => {
    const storage = await keeping('alice', [friend('carol', { unread: 2 }), friend('bob', { online: true })]);
    const t = start({ storage, online: false });
    await flush();
    expect(t.fake.open('friends')).toHaveLength(1);
    expect(t.snapshot().context.friends).toEqual([
      friend('bob', { online: false }),
      friend('carol', { unread: 2 }),
    ]);
    expect(t.snapshot().hasTag('lastKnown')).toBe(true);
    expect(t.snapshot().hasTag('unloaded')).toBe(true);
  });

  it('keeps showing it when the first fetch cannot reach the server, and tells the parent', async () => {
    const storage = await keeping('alice', [friend('bob', { online: true })]);
    const t = start({ storage, online: false });
    await flush();
    t.fake.next('friends').reject(down);
    await flush();
    expect(t.sent('connection.failed')).toHaveLength(1);
    expect(t.snapshot().context.friends.map((f) => [f.username, f.online])).toEqual([['bob', false]]);
    expect(t.snapshot().hasTag('lastKnown')).toBe(true);
    expect(t.snapshot().hasTag('loading')).toBe(false);
  });

  it('replaces it with the first list fetched (coming online), and keeps that one instead', async () => {
    const storage = await keeping('alice', [friend('bob'), friend('carol')]);
    const t = start({ storage, online: false, transport: 'live' });
    await flush();
    t.fake.next('friends').reject(down);
    await flush();
    t.child.send({ type: 'connection.changed', online: true, transport: 'live' });
    const call = t.fake.next('friends');
    expect(call.args).toEqual(['tok', null]);
    call.resolve(list([friend('dave'), friend('bob', { online: true })]));
    await flush();
    expect(t.snapshot().context.friends.map((f) => [f.username, f.online])).toEqual([
      ['bob', true],
      ['dave', false],
    ]);
    expect(t.snapshot().hasTag('lastKnown')).toBe(false);
    expect(t.snapshot().hasTag('unloaded')).toBe(false);
    expect(await storage.loadFriends('alice')).toEqual([friend('bob', { online: true }), friend('dave')]);
  });

  it('leaves lastKnown when the server answers the very list kept', async () => {
    const storage = await keeping('alice', [friend('bob')]);
    const t = start({ storage });
    await flush();
    t.fake.next('friends').resolve(list([friend('bob')]));
    await flush();
    expect(t.snapshot().hasTag('lastKnown')).toBe(false);
    expect(t.snapshot().context.friends).toEqual([friend('bob')]);
  });

  it('keeps each list fetched, and an empty answer too (the kept list follows the server)', async () => {
    const storage = await keeping('alice', [friend('bob')]);
    const t = start({ storage, transport: 'polling' });
    t.fake.next('friends').resolve(list([friend('bob'), friend('carol')], '"v1"'));
    await flush();
    expect((await storage.loadFriends('alice'))?.map((f) => f.username)).toEqual(['bob', 'carol']);
    advance(t.clock, POLL);
    t.fake.next('friends').resolve(list([], '"v2"'));
    await flush();
    expect(await storage.loadFriends('alice')).toEqual([]);
  });

  it('does not show a kept list that arrives after the first fetch answered', async () => {
    const storage = await keeping('alice', [friend('zed')]);
    let release = () => {};
    const slow: ParleyStorage = {
      ...storage,
      loadFriends: (username) =>
        new Promise((resolve) => {
          release = () => resolve(storage.loadFriends(username));
        }),
    };
    const t = start({ storage: slow });
    t.fake.next('friends').resolve(list([friend('bob')]));
    await flush();
    release();
    await flush();
    expect(t.snapshot().context.friends.map((f) => f.username)).toEqual(['bob']);
    expect(t.snapshot().hasTag('lastKnown')).toBe(false);
    expect(await storage.loadFriends('alice')).toEqual([friend('bob')]);
  });

  it("never shows another user's kept list", async () => {
    const storage = await keeping('bob', [friend('carol')]);
    const t = start({ storage, online: false });
    await flush();
    expect(t.snapshot().context.friends).toEqual([]);
    expect(t.snapshot().hasTag('lastKnown')).toBe(false);
  });

  it('tells "could not load" (unloaded) apart from "the server answered no friends"', async () => {
    const offline = start({ online: false });
    offline.fake.next('friends').reject(down);
    await flush();
    expect(offline.snapshot().context.friends).toEqual([]);
    expect(offline.snapshot().hasTag('loading')).toBe(false);
    expect(offline.snapshot().hasTag('unloaded')).toBe(true);

    const empty = await loaded([]);
    expect(empty.snapshot().hasTag('loading')).toBe(false);
    expect(empty.snapshot().hasTag('unloaded')).toBe(false);
  });
});
