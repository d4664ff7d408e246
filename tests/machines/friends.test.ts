import { afterEach, describe, expect, it } from 'vitest';
import type { ActorRefFrom } from 'xstate';
import { createApiActors } from '../../machines/actors/api';
import type { Transport } from '../../machines/events';
import { friendsMachine } from '../../machines/friendsMachine';
import type { ApiFailure, FriendBody, MessageBody, PushEvent } from '../../machines/ports';
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

function start(input: { online?: boolean; transport?: Transport } = {}) {
  const fake = createFakeApi();
  const { fetchFriends, addFriend } = createApiActors(fake.api);
  const run = underParent(friendsMachine.provide({ actors: { fetchFriends, addFriend } }), {
    token: 'tok',
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
