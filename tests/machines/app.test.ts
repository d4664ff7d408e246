import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ACTIVITY_LIMIT } from '../../machines';
import type { FriendBody, MessageBody } from '../../machines/ports';
import { advance, flush, pendingTimers } from './harness';
import { bringOnline, friend, STATUS, startSystem } from './system';

const systems: ReturnType<typeof startSystem>[] = [];
const start = (opts?: Parameters<typeof startSystem>[0]) => {
  const sys = startSystem(opts);
  systems.push(sys);
  return sys;
};
afterEach(() => {
  for (const sys of systems.splice(0)) sys.root.stop();
});

const message = (id: number, peer: string, content = `${peer} #${id}`): MessageBody => ({
  id,
  direction: 'received',
  peer,
  content,
  timestamp: id,
  delivered: true,
  clientId: null,
});

describe('the root actor', () => {
  it('restores a kept session and starts connection, friends, selection and outbox', async () => {
    const sys = start();
    expect(sys.root.getSnapshot().hasTag('loading')).toBe(true);
    await flush();
    const snapshot = sys.root.getSnapshot();
    expect(snapshot.hasTag('signedIn')).toBe(true);
    expect(Object.keys(snapshot.children).sort()).toEqual([
      'connection',
      'environment',
      'friends',
      'outbox',
      'selection',
    ]);
    expect(sys.fake.open('status')).toHaveLength(1);
    expect(sys.fake.open('friends')).toHaveLength(1);
  });

  it('signs in with the server and keeps the session, but never the password', async () => {
    const sys = start({ session: false });
    await flush();
    expect(sys.root.getSnapshot().hasTag('signedOut')).toBe(true);
    sys.root.send({ type: 'session.login', username: 'alice', password: 'secret password' });
    expect(sys.root.getSnapshot().hasTag('busy')).toBe(true);
    const call = sys.fake.next('login');
    expect(call.args).toEqual(['alice', 'secret password']);
    call.resolve({ username: 'alice', token: 'tok2' });
    await flush();
    expect(sys.root.getSnapshot().hasTag('signedIn')).toBe(true);
    expect(await sys.storage.loadSession()).toEqual({ username: 'alice', token: 'tok2' });
    expect(JSON.stringify(sys.root.getSnapshot().context)).not.toContain('secret password');
  });

  it("shows the server's sentence when signing in fails", async () => {
    const sys = start({ session: false });
    await flush();
    sys.root.send({ type: 'session.login', username: 'alice', password: 'wrong password' });
    sys.fake
      .next('login')
      .reject({ kind: 'http', status: 401, message: 'The username or password is wrong.' });
    await flush();
    const snapshot = sys.root.getSnapshot();
    expect(snapshot.hasTag('signedOut')).toBe(true);
    expect(snapshot.context.authError).toBe('The username or password is wrong.');
  });

  it('opens a conversation only once the selection has settled for 300 ms', async () => {
    const sys = start();
    await bringOnline(sys);
    sys.root.send({ type: 'friend.select', username: 'bob' });
    advance(sys.clock, 299);
    expect(sys.child('conversation')).toBeUndefined();
    expect(sys.fake.open('messages')).toHaveLength(0);
    advance(sys.clock, 1);
    expect(sys.root.getSnapshot().context.peer).toBe('bob');
    expect(sys.fake.next('messages').args[1]).toMatchObject({ peer: 'bob' });
  });

  it('stops the old conversation, aborting its request, when another friend is chosen', async () => {
    const sys = start();
    await bringOnline(sys, [friend('bob'), friend('carol')]);
    sys.root.send({ type: 'friend.select', username: 'bob' });
    advance(sys.clock, 300);
    const bobs = sys.fake.next('messages');
    sys.root.send({ type: 'friend.select', username: 'carol' });
    advance(sys.clock, 300);
    expect(bobs.signal.aborted).toBe(true);
    // bob's late answer reaches nobody
    bobs.resolve({ notModified: false, body: [message(1, 'bob')], etag: null });
    await flush();
    expect(sys.conversation()?.peer).toBe('carol');
    expect(sys.conversation()?.messages).toEqual([]);
  });

  it('never shows one friend’s messages under another, whatever the order of clicks and answers', async () => {
    const peers = ['bob', 'carol', 'dave'];
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ peer: fc.constantFrom(...peers), pause: fc.integer({ min: 0, max: 600 }) }), {
          minLength: 1,
          maxLength: 8,
        }),
        fc.array(fc.nat(), { minLength: 8, maxLength: 8 }),
        async (clicks, answerOrder) => {
          const sys = start();
          await bringOnline(sys, peers.map(friend));
          let nextId = 1;
          for (const click of clicks) {
            sys.root.send({ type: 'friend.select', username: click.peer });
            advance(sys.clock, click.pause);
            // answer some of the open requests, in a random order, late or early
            const open = sys.fake.calls.filter((c) => c.method === 'messages');
            const pick = open[(answerOrder[nextId % 8] ?? 0) % Math.max(open.length, 1)];
            if (pick) {
              const peer = (pick.args[1] as { peer: string }).peer;
              pick.resolve({ notModified: false, body: [message(nextId++, peer)], etag: null });
              await flush();
            }
            const shown = sys.conversation();
            if (shown) expect(shown.messages.every((m) => m.peer === shown.peer)).toBe(true);
          }
          sys.root.stop();
        },
      ),
      { numRuns: 60 },
    );
  });

  it('takes the connection offline when any actor’s call cannot reach the server', async () => {
    const sys = start();
    await bringOnline(sys);
    sys.root.send({ type: 'friend.select', username: 'bob' });
    advance(sys.clock, 300);
    sys.fake.next('messages').reject({ kind: 'network', message: 'The server could not be reached.' });
    await flush();
    expect(sys.child('connection')?.getSnapshot().hasTag('offline')).toBe(true);
    expect(sys.root.getSnapshot().context.online).toBe(false);
  });

  it('updates the open conversation once for a burst of pushed messages in one frame', async () => {
    const sys = start();
    const stream = await bringOnline(sys);
    sys.root.send({ type: 'friend.select', username: 'bob' });
    advance(sys.clock, 300);
    sys.fake.next('messages').resolve({ notModified: false, body: [], etag: '"m0"' });
    await flush();
    const conversation = sys.child('conversation');
    const seen = new Set<unknown>();
    conversation?.subscribe((snapshot) => seen.add(snapshot));
    for (let id = 1; id <= 15; id++) {
      stream.handlers?.onEvent({ id: `e${id}`, type: 'message', data: message(id, 'bob') });
    }
    expect(seen.size).toBe(0);
    sys.runFrames();
    expect(seen.size).toBe(1);
    expect(sys.conversation()?.messages.map((m) => m.id)).toEqual([...Array(15)].map((_, i) => i + 1));
  });

  it('keeps a bounded activity log and emits each sentence to subscribers', async () => {
    const sys = start();
    await bringOnline(sys);
    const heard: string[] = [];
    sys.root.on('activity', ({ entry }) => heard.push(entry.text));
    for (let i = 0; i < ACTIVITY_LIMIT + 10; i++) {
      sys.root.send({ type: 'activity.report', kind: 'info', text: `note ${i}` });
    }
    const log = sys.root.getSnapshot().context.activity;
    expect(log).toHaveLength(ACTIVITY_LIMIT);
    expect(log.at(-1)?.text).toBe(`note ${ACTIVITY_LIMIT + 9}`);
    expect(heard).toHaveLength(ACTIVITY_LIMIT + 10);
  });

  it('lets a subscriber unsubscribe itself or another, or subscribe, during a dispatch', async () => {
    const sys = start();
    await bringOnline(sys);
    const calls: string[] = [];
    let second: { unsubscribe(): void } | undefined;
    const first = sys.root.on('activity', () => {
      calls.push('first');
      first.unsubscribe();
      second?.unsubscribe();
      sys.root.on('activity', () => calls.push('late'));
    });
    second = sys.root.on('activity', () => calls.push('second'));
    sys.root.send({ type: 'activity.report', kind: 'info', text: 'one' });
    // the dispatch ran on a copy of the listeners: both heard the first sentence, the newcomer did not
    expect(calls).toEqual(['first', 'second']);
    sys.root.send({ type: 'activity.report', kind: 'info', text: 'two' });
    expect(calls).toEqual(['first', 'second', 'late']);
  });

  it('checks the connection and refreshes at once when the browser wakes up', async () => {
    const sys = start();
    await bringOnline(sys);
    sys
      .child('connection')
      ?.send({ type: 'connection.failed', failure: { kind: 'network', message: 'down' } });
    expect(sys.fake.open('status')).toHaveLength(0);
    sys.signal('online');
    expect(sys.fake.open('status')).toHaveLength(1);
  });

  it('tells friends and the conversation when the tab is hidden, and refreshes both when it is shown', async () => {
    const sys = start();
    await bringOnline(sys);
    sys.root.send({ type: 'friend.select', username: 'bob' });
    advance(sys.clock, 300);
    sys.fake.next('messages').resolve({ notModified: false, body: [], etag: '"m0"' });
    await flush();
    sys.signal('hidden');
    expect(sys.child('friends')?.getSnapshot().context.hidden).toBe(true);
    expect(sys.child('conversation')?.getSnapshot().context.hidden).toBe(true);
    sys.signal('visible');
    expect(sys.child('friends')?.getSnapshot().context.hidden).toBe(false);
    expect(sys.fake.open('friends')).toHaveLength(1);
    expect(sys.fake.open('messages')).toHaveLength(1);
  });

  it('leaves nothing running after it stops: no timers, every request aborted, no live actor', async () => {
    const sys = start();
    await bringOnline(sys);
    sys.root.send({ type: 'friend.select', username: 'bob' });
    advance(sys.clock, 300);
    sys.root.send({ type: 'message.send', to: 'bob', content: 'hi', clientId: 'c1', createdAt: 1 });
    await flush();
    sys.root.send({ type: 'friend.select', username: 'carol' });
    expect(sys.actors.size).toBeGreaterThan(6);
    sys.root.stop();
    expect(pendingTimers(sys.clock)).toBe(0);
    const open = sys.fake.calls.filter((c) => !c.signal.aborted);
    expect(open.map((c) => c.method)).toEqual(['status']); // answered before the stop
    expect([...sys.actors].filter((a) => a.getSnapshot().status === 'active')).toEqual([]);
    expect(sys.listenerCount()).toBe(0);
  });

  it('signs out: the token is revoked, the session forgotten and every child stopped', async () => {
    const sys = start();
    await bringOnline(sys);
    sys.root.send({ type: 'session.logout' });
    sys.fake.next('logout').resolve(undefined);
    await flush();
    expect(sys.root.getSnapshot().hasTag('signedOut')).toBe(true);
    const running = Object.values(sys.root.getSnapshot().children).filter(
      (c) => c?.getSnapshot().status === 'active',
    );
    expect(running).toEqual([]);
    expect(await sys.storage.loadSession()).toBeNull();
    expect(sys.fake.calls.filter((c) => c.method === 'events').every((c) => c.signal.aborted)).toBe(true);
  });

  it('keeps the friends list fetched, and forgets it with the session on signing out', async () => {
    const sys = start();
    await bringOnline(sys);
    // Coming online restarted the first load: this is the answer that counts.
    sys.fake.next('friends').resolve({ notModified: false, body: [friend('bob')], etag: '"f1"' });
    await flush();
    expect(await sys.storage.loadFriends('alice')).toEqual([friend('bob')]);
    sys.root.send({ type: 'session.logout' });
    sys.fake.next('logout').reject({ kind: 'network', message: 'The server could not be reached.' });
    await flush();
    expect(sys.root.getSnapshot().hasTag('signedOut')).toBe(true);
    expect(await sys.storage.loadFriends('alice')).toBeNull();
    expect(sys.root.getSnapshot().children).toEqual({});
  });

  it('forgets the kept friends list when the session has ended', async () => {
    const sys = start();
    await sys.storage.saveFriends('alice', [friend('bob')]);
    await flush();
    expect(
      sys
        .child('friends')
        ?.getSnapshot()
        .context.friends.map((f: { username: string }) => f.username),
    ).toEqual(['bob']);
    sys.fake.next('status').resolve({ ...STATUS, user: null });
    await flush();
    expect(sys.root.getSnapshot().hasTag('signedOut')).toBe(true);
    expect(await sys.storage.loadFriends('alice')).toBeNull();
  });

  it('signs out with a sentence when the server no longer knows the kept token', async () => {
    const sys = start();
    await flush();
    sys.fake.next('status').resolve({ ...STATUS, user: null });
    await flush();
    const snapshot = sys.root.getSnapshot();
    expect(snapshot.hasTag('signedOut')).toBe(true);
    expect(snapshot.context.authError).toBe('Your session has ended; please sign in again.');
    expect(await sys.storage.loadSession()).toBeNull();
  });

  it('drops a finished session save from its children', async () => {
    const sys = start({ session: false });
    await flush();
    sys.root.send({ type: 'session.login', username: 'alice', password: 'secret password' });
    sys.fake.next('login').resolve({ username: 'alice', token: 'tok2' });
    await flush();
    expect(Object.keys(sys.root.getSnapshot().children)).not.toContain('saveSession');
  });

  it('answers the status with the kept token', async () => {
    const sys = start();
    await flush();
    expect(sys.fake.next('status').args).toEqual(['tok']);
    expect(STATUS.user).toBe('alice');
  });
});

describe('the root actor: the conversation that was open, across restarts', () => {
  const openPeers = (sys: ReturnType<typeof startSystem>) =>
    sys.fake.open('messages').map((c) => (c.args[1] as { peer: string }).peer);
  /** Online, with the server's friends list answered (the stream's opening restarted the first fetch). */
  const online = async (sys: ReturnType<typeof startSystem>, friends: FriendBody[]) => {
    await bringOnline(sys, friends);
    sys.fake.next('friends').resolve({ notModified: false, body: friends, etag: '"f2"' });
    await flush();
  };

  it('keeps the friend whose conversation opens, each time another one opens', async () => {
    const sys = start();
    await bringOnline(sys, [friend('bob'), friend('carol')]);
    sys.root.send({ type: 'friend.select', username: 'bob' });
    advance(sys.clock, 300);
    await flush();
    expect(await sys.storage.loadView('alice')).toEqual({ peer: 'bob' });
    sys.root.send({ type: 'friend.select', username: 'carol' });
    advance(sys.clock, 300);
    await flush();
    expect(await sys.storage.loadView('alice')).toEqual({ peer: 'carol' });
  });

  it("reopens the kept conversation on start, without the selection's debounce, once the server lists that friend", async () => {
    const sys = start({ views: { alice: { peer: 'carol' } } });
    await flush();
    // Whether carol is still a friend is not known yet: nothing opens.
    expect(sys.root.getSnapshot().context.peer).toBeNull();
    await online(sys, [friend('bob'), { ...friend('carol'), unread: 3 }]);
    const snapshot = sys.root.getSnapshot();
    expect(snapshot.context.peer).toBe('carol');
    expect(snapshot.context.reopened).toEqual({ peer: 'carol', unread: 3 });
    expect(openPeers(sys)).toEqual(['carol']);
    expect(sys.child('friends')?.getSnapshot().context.openPeer).toBe('carol');
    expect(sys.child('selection')?.getSnapshot().hasTag('choosing')).toBe(false);
  });

  it('opens nothing, and tells no error, when the kept friend is no longer in the list', async () => {
    const sys = start({ views: { alice: { peer: 'zoe' } } });
    await online(sys, [friend('bob')]);
    const snapshot = sys.root.getSnapshot();
    expect(snapshot.status).toBe('active');
    expect(snapshot.context.peer).toBeNull();
    expect(snapshot.context.keptPeer).toBeNull();
    expect(snapshot.context.activity).toEqual([]);
    expect(openPeers(sys)).toEqual([]);
  });

  it('lets a friend chosen before the list arrives win over the kept one', async () => {
    const sys = start({ views: { alice: { peer: 'bob' } } });
    await flush();
    sys.root.send({ type: 'friend.select', username: 'carol' });
    await online(sys, [friend('bob'), friend('carol')]);
    expect(sys.root.getSnapshot().context.peer).toBeNull();
    advance(sys.clock, 300);
    expect(sys.root.getSnapshot().context.peer).toBe('carol');
    expect(openPeers(sys)).toEqual(['carol']);
  });

  it("never opens another user's kept conversation", async () => {
    const sys = start({ views: { dave: { peer: 'bob' } } });
    await online(sys, [friend('bob')]);
    expect(sys.root.getSnapshot().context.peer).toBeNull();
    expect(openPeers(sys)).toEqual([]);
  });

  it('forgets the kept conversation on signing out, so signing in again opens nothing', async () => {
    const sys = start();
    await bringOnline(sys, [friend('bob')]);
    sys.root.send({ type: 'friend.select', username: 'bob' });
    advance(sys.clock, 300);
    await flush();
    expect(await sys.storage.loadView('alice')).toEqual({ peer: 'bob' });
    sys.root.send({ type: 'session.logout' });
    sys.fake.next('logout').resolve(undefined);
    await flush();
    expect(await sys.storage.loadView('alice')).toBeNull();
    expect(sys.root.getSnapshot().children).toEqual({});
    sys.root.send({ type: 'session.login', username: 'alice', password: 'secret password' });
    sys.fake.next('login').resolve({ username: 'alice', token: 'tok2' });
    await online(sys, [friend('bob')]);
    expect(sys.root.getSnapshot().context.peer).toBeNull();
  });

  it('forgets the kept conversation when the session has ended', async () => {
    const sys = start({ views: { alice: { peer: 'bob' } } });
    await flush();
    sys.fake.next('status').resolve({ ...STATUS, user: null });
    await flush();
    expect(sys.root.getSnapshot().hasTag('signedOut')).toBe(true);
    expect(await sys.storage.loadView('alice')).toBeNull();
  });

  it('signs in with nothing open when the kept view cannot be read, and chats on when it cannot be kept', async () => {
    const sys = start({ views: { alice: { peer: 'bob' } } });
    const broken = async () => {
      throw new Error('storage broken');
    };
    sys.storage.loadView = broken;
    sys.storage.saveView = broken;
    await online(sys, [friend('bob')]);
    expect(sys.root.getSnapshot().hasTag('signedIn')).toBe(true);
    expect(sys.root.getSnapshot().context.peer).toBeNull();
    sys.root.send({ type: 'friend.select', username: 'bob' });
    advance(sys.clock, 300);
    await flush();
    expect(sys.root.getSnapshot().status).toBe('active');
    expect(sys.root.getSnapshot().context.peer).toBe('bob');
    expect(openPeers(sys)).toEqual(['bob']);
  });
});
