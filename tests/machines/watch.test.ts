/**
 * Several conversations open at once (`conversation.watch`): what an agent reading more than one friend
 * needs. Each watched peer has a conversation actor of its own beside the one a person selected, kept
 * current by the same pushed events, and stopped with everything else.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { MessageBody } from '../../machines/ports';
import { advance, flush, pendingTimers } from './harness';
import { bringOnline, friend, startSystem } from './system';

const systems: ReturnType<typeof startSystem>[] = [];
const start = () => {
  const sys = startSystem();
  systems.push(sys);
  return sys;
};
afterEach(() => {
  for (const sys of systems.splice(0)) sys.root.stop();
});

const message = (id: number, peer: string): MessageBody => ({
  id,
  direction: 'received',
  peer,
  content: `${peer} #${id}`,
  timestamp: id,
  delivered: true,
  clientId: null,
});

type Held = { peer: string; messages: MessageBody[]; hasOlder: boolean };
const held = (sys: ReturnType<typeof startSystem>, peer: string) =>
  sys.child(`watch-${peer}`)?.getSnapshot().context as Held | undefined;

describe('watched conversations', () => {
  it('opens a conversation actor per watched peer, each loading only its own peer', async () => {
    const sys = start();
    await bringOnline(sys, [friend('bob'), friend('carol')]);
    sys.root.send({ type: 'conversation.watch', peer: 'bob' });
    sys.root.send({ type: 'conversation.watch', peer: 'carol' });
    const [forBob, forCarol] = sys.fake.open('messages');
    expect(forBob?.args[1]).toMatchObject({ peer: 'bob' });
    expect(forCarol?.args[1]).toMatchObject({ peer: 'carol' });
    // Answered in the other order: each answer lands in its own actor.
    forCarol?.resolve({ notModified: false, body: [message(2, 'carol')], etag: null });
    forBob?.resolve({ notModified: false, body: [message(1, 'bob')], etag: null });
    await flush();
    expect(held(sys, 'bob')?.messages.map((m) => m.content)).toEqual(['bob #1']);
    expect(held(sys, 'carol')?.messages.map((m) => m.content)).toEqual(['carol #2']);
    expect(sys.root.getSnapshot().context.watched).toEqual(['bob', 'carol']);
    // A person's selection is untouched.
    expect(sys.root.getSnapshot().context.peer).toBeNull();
  });

  it('watching a peer twice keeps one actor and one request', async () => {
    const sys = start();
    await bringOnline(sys);
    sys.root.send({ type: 'conversation.watch', peer: 'bob' });
    const actor = sys.child('watch-bob');
    sys.root.send({ type: 'conversation.watch', peer: 'bob' });
    expect(sys.child('watch-bob')).toBe(actor);
    expect(sys.fake.open('messages')).toHaveLength(1);
  });

  it('routes pushed messages to every watched conversation and to the open one', async () => {
    const sys = start();
    const stream = await bringOnline(sys, [friend('bob'), friend('carol')]);
    sys.root.send({ type: 'friend.select', username: 'bob' });
    advance(sys.clock, 300);
    sys.root.send({ type: 'conversation.watch', peer: 'bob' });
    sys.root.send({ type: 'conversation.watch', peer: 'carol' });
    for (const call of sys.fake.open('messages')) call.resolve({ notModified: false, body: [], etag: null });
    await flush();
    stream.handlers?.onEvent({ id: 'e1', type: 'message', data: message(5, 'carol') });
    stream.handlers?.onEvent({ id: 'e2', type: 'message', data: message(6, 'bob') });
    sys.runFrames();
    expect(held(sys, 'carol')?.messages.map((m) => m.id)).toEqual([5]);
    expect(held(sys, 'bob')?.messages.map((m) => m.id)).toEqual([6]);
    expect(sys.conversation()?.messages.map((m) => m.id)).toEqual([6]);
  });

  it('loads older history in the watched conversation named, not in the open one', async () => {
    const sys = start();
    await bringOnline(sys);
    sys.root.send({ type: 'conversation.watch', peer: 'bob' });
    const page = [...Array(50)].map((_, i) => message(100 + i, 'bob'));
    sys.fake.next('messages').resolve({ notModified: false, body: page, etag: null });
    await flush();
    expect(held(sys, 'bob')?.hasOlder).toBe(true);
    sys.root.send({ type: 'history.loadOlder', peer: 'bob' });
    const older = sys.fake.next('messages');
    expect(older.args[1]).toMatchObject({ peer: 'bob', before: 100 });
    older.resolve({ notModified: false, body: [message(99, 'bob')], etag: null });
    await flush();
    expect(held(sys, 'bob')?.messages[0]?.id).toBe(99);
    expect(held(sys, 'bob')?.hasOlder).toBe(false);
  });

  it('unwatching stops the actor and aborts its request', async () => {
    const sys = start();
    await bringOnline(sys);
    sys.root.send({ type: 'conversation.watch', peer: 'bob' });
    const request = sys.fake.next('messages');
    sys.root.send({ type: 'conversation.unwatch', peer: 'bob' });
    expect(request.signal.aborted).toBe(true);
    expect(sys.child('watch-bob')).toBeUndefined();
    expect(sys.root.getSnapshot().context.watched).toEqual([]);
  });

  it('stops every watched conversation on signing out, and leaves nothing running after a stop', async () => {
    const sys = start();
    await bringOnline(sys, [friend('bob'), friend('carol')]);
    sys.root.send({ type: 'conversation.watch', peer: 'bob' });
    sys.root.send({ type: 'conversation.watch', peer: 'carol' });
    const requests = sys.fake.open('messages');
    const watchers = [sys.child('watch-bob'), sys.child('watch-carol')];
    sys.root.send({ type: 'session.logout' });
    expect(requests.every((r) => r.signal.aborted)).toBe(true);
    expect(watchers.map((w) => w?.getSnapshot().status)).toEqual(['stopped', 'stopped']);
    sys.fake.next('logout').resolve(undefined);
    await flush();
    expect(sys.root.getSnapshot().context.watched).toEqual([]);

    const other = start();
    await bringOnline(other);
    other.root.send({ type: 'conversation.watch', peer: 'bob' });
    other.root.stop();
    expect(pendingTimers(other.clock)).toBe(0);
    expect([...other.actors].filter((a) => a.getSnapshot().status === 'active')).toEqual([]);
  });
});
