import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { ActorRefFrom } from 'xstate';
import { createApiActors } from '../../machines/actors/api';
import { conversationMachine } from '../../machines/conversationMachine';
import type { Transport } from '../../machines/events';
import { mergeMessages } from '../../machines/messages';
import type { ApiFailure, MessageBody, MessagesPage, PushEvent } from '../../machines/ports';
import { createFakeApi } from './fakeApi';
import { advance, flush, pendingTimers, underParent } from './harness';

const msg = (id: number, extra: Partial<MessageBody> = {}): MessageBody => ({
  id,
  direction: 'received',
  peer: 'bob',
  content: `m${id}`,
  timestamp: 1000 + id,
  delivered: true,
  clientId: null,
  ...extra,
});
const range = (from: number, to: number, extra: Partial<MessageBody> = {}) =>
  Array.from({ length: to - from + 1 }, (_, i) => msg(from + i, extra));
const page = (body: MessageBody[], etag: string | null = '"p1"') => ({ notModified: false, body, etag });
const down: ApiFailure = { kind: 'network', message: 'The server could not be reached.' };
const POLL = 2_000;

const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

function start(input: { online?: boolean; transport?: Transport } = {}) {
  const fake = createFakeApi();
  const { fetchMessages } = createApiActors(fake.api);
  const run = underParent(conversationMachine.provide({ actors: { fetchMessages } }), {
    token: 'tok',
    peer: 'bob',
    online: input.online ?? true,
    transport: input.transport ?? 'polling',
  });
  stops.push(() => run.parent.stop());
  const child = run.child as ActorRefFrom<typeof conversationMachine>;
  const snapshot = () => child.getSnapshot();
  /** The oldest open messages call, with its page and ETag. */
  const nextCall = () => {
    const call = fake.next('messages');
    const [token, query, etag] = call.args as [string, MessagesPage, string | null];
    return { ...call, token, query, etag };
  };
  /** Counts the new snapshots from now on (an actor notifies on every event, changed or not). */
  const changes = () => {
    let count = 0;
    let last = child.getSnapshot();
    const sub = child.subscribe((s) => {
      if (s !== last) count++;
      last = s;
    });
    stops.push(() => sub.unsubscribe());
    return () => count;
  };
  const ids = () => snapshot().context.messages.map((m) => m.id);
  return { ...run, child, fake, snapshot, nextCall, changes, ids };
}

async function loaded(body: MessageBody[], input: { online?: boolean; transport?: Transport } = {}) {
  const t = start(input);
  t.nextCall().resolve(page(body));
  await flush();
  return t;
}

const push = (...events: PushEvent[]) => ({ type: 'push.batch' as const, events });
const pushed = (m: MessageBody): PushEvent => ({ type: 'message', data: m });

describe('conversation: the first page', () => {
  it('is tagged loading while the newest 50 load, then holds them ascending', async () => {
    const t = start();
    expect(t.snapshot().hasTag('loading')).toBe(true);
    const call = t.nextCall();
    expect(call.query).toEqual({ peer: 'bob', limit: 50 });
    expect(call.etag).toBeNull();
    call.resolve(page([msg(3), msg(1), msg(2)]));
    await flush();
    expect(t.snapshot().hasTag('loading')).toBe(false);
    expect(t.ids()).toEqual([1, 2, 3]);
    expect(t.snapshot().context.etag).toBe('"p1"');
  });

  it('has older messages when the first page is full, and none when fewer than 50 came', async () => {
    expect((await loaded(range(1, 50))).snapshot().context.hasOlder).toBe(true);
    expect((await loaded(range(1, 49))).snapshot().context.hasOlder).toBe(false);
  });

  it('is not loaded while the first page could not be fetched (offline), and is once a later fetch answers', async () => {
    const t = start({ online: false, transport: 'live' });
    t.nextCall().reject(down);
    await flush();
    expect(t.snapshot().hasTag('loading')).toBe(false);
    expect(t.snapshot().context.messages).toEqual([]);
    expect(t.snapshot().context.loaded).toBe(false);
    t.child.send({ type: 'connection.changed', online: true, transport: 'live' });
    t.nextCall().resolve(page([]));
    await flush();
    expect(t.snapshot().context.loaded).toBe(true);
  });

  it('is loaded by an empty first page: the conversation has no messages', async () => {
    expect((await loaded([])).snapshot().context.loaded).toBe(true);
  });
});

describe('conversation: polling', () => {
  it('polls every 2 s for the messages after the last one held: nothing at 1 999 ms, one at 2 000 ms', async () => {
    const t = await loaded([msg(1), msg(2)]);
    advance(t.clock, POLL - 1);
    expect(t.fake.open('messages')).toHaveLength(0);
    advance(t.clock, 1);
    const call = t.nextCall();
    expect(call.query).toEqual({ peer: 'bob', after: 2 });
    expect(call.etag).toBe('"p1"');
    call.resolve(page([msg(3)], '"p2"'));
    await flush();
    expect(t.ids()).toEqual([1, 2, 3]);
    advance(t.clock, POLL - 1);
    expect(t.fake.open('messages')).toHaveLength(0);
    advance(t.clock, 1);
    expect(t.nextCall().query).toEqual({ peer: 'bob', after: 3 });
  });

  it('polls only every 10 s while the tab is hidden: nothing at 9 999 ms, one at 10 000 ms', async () => {
    const t = await loaded([msg(1)]);
    t.child.send({ type: 'visibility.changed', hidden: true });
    advance(t.clock, POLL);
    t.nextCall().resolve({ notModified: true });
    await flush();
    advance(t.clock, 10_000 - 1);
    expect(t.fake.open('messages')).toHaveLength(0);
    advance(t.clock, 1);
    expect(t.fake.open('messages')).toHaveLength(1);
  });

  it('keeps the context and its messages identical on 304', async () => {
    const t = await loaded([msg(1), msg(2)]);
    const before = t.snapshot().context;
    advance(t.clock, POLL);
    t.nextCall().resolve({ notModified: true });
    await flush();
    expect(t.snapshot().context).toBe(before);
  });

  it('polls the newest page while a sent message waits for its receipt, and picks the receipt up', async () => {
    const t = await loaded([msg(1), msg(2, { direction: 'sent', delivered: false })]);
    advance(t.clock, POLL);
    const call = t.nextCall();
    expect(call.query).toEqual({ peer: 'bob', limit: 50 });
    expect(call.etag).toBe('"p1"');
    call.resolve(page([msg(1), msg(2, { direction: 'sent', delivered: true })], '"p2"'));
    await flush();
    expect(t.snapshot().context.messages[1]?.delivered).toBe(true);
    advance(t.clock, POLL);
    expect(t.nextCall().query).toEqual({ peer: 'bob', after: 2 });
  });

  it('shows each message once when a backend ignores the cursor and answers the whole list', async () => {
    const t = start();
    t.nextCall().resolve(page(range(1, 3), null));
    await flush();
    const before = t.snapshot().context;
    advance(t.clock, POLL);
    t.nextCall().resolve(page(range(1, 3), null));
    await flush();
    expect(t.snapshot().context).toBe(before);
    advance(t.clock, POLL);
    t.nextCall().resolve(page(range(1, 4), null));
    await flush();
    expect(t.ids()).toEqual([1, 2, 3, 4]);
  });

  it('does not poll when live or offline, and fetches at once when back online', async () => {
    const t = await loaded([msg(1)], { transport: 'live' });
    advance(t.clock, POLL * 10);
    expect(t.fake.open('messages')).toHaveLength(0);
    t.child.send({ type: 'connection.changed', online: false, transport: 'polling' });
    advance(t.clock, POLL * 10);
    expect(t.fake.open('messages')).toHaveLength(0);
    t.child.send({ type: 'connection.changed', online: true, transport: 'polling' });
    expect(t.nextCall().query).toEqual({ peer: 'bob', limit: 50 });
  });

  it('stops polling when the connection goes offline', async () => {
    const t = await loaded([msg(1)]);
    advance(t.clock, POLL - 1);
    t.child.send({ type: 'connection.changed', online: false, transport: 'polling' });
    advance(t.clock, POLL * 10);
    expect(t.fake.open('messages')).toHaveLength(0);
  });

  it('starts polling when the transport turns to polling', async () => {
    const t = await loaded([msg(1)], { transport: 'live' });
    t.child.send({ type: 'connection.changed', online: true, transport: 'polling' });
    advance(t.clock, POLL - 1);
    expect(t.fake.open('messages')).toHaveLength(0);
    advance(t.clock, 1);
    expect(t.fake.open('messages')).toHaveLength(1);
  });

  it('tells the parent about a failure that means offline, keeps the messages, and retries at the next interval', async () => {
    const t = await loaded([msg(1)]);
    const messages = t.snapshot().context.messages;
    advance(t.clock, POLL);
    t.nextCall().reject(down);
    await flush();
    expect(t.sent('connection.failed')).toEqual([{ type: 'connection.failed', failure: down }]);
    expect(t.snapshot().context.messages).toBe(messages);
    expect(t.snapshot().context.lastError).toEqual(down);
    advance(t.clock, POLL - 1);
    expect(t.fake.open('messages')).toHaveLength(0);
    advance(t.clock, 1);
    t.nextCall().resolve({ notModified: true });
    await flush();
    expect(t.snapshot().context.lastError).toBeNull();
  });

  it('restarts the window at a full newest page that skipped messages, so it has no gap', async () => {
    const t = await loaded([msg(1), msg(2, { direction: 'sent', delivered: false })]);
    advance(t.clock, POLL);
    t.nextCall().resolve(page(range(101, 150), '"p2"'));
    await flush();
    expect(t.ids()).toEqual(range(101, 150).map((m) => m.id));
    expect(t.snapshot().context.hasOlder).toBe(true);
  });
});

describe('conversation: pushed events', () => {
  it("merges a pushed burst of this peer's messages as one update, leaving other peers' out", async () => {
    const t = await loaded([msg(1)], { transport: 'live' });
    const changed = t.changes();
    t.child.send(push(pushed(msg(2)), pushed(msg(3, { peer: 'carol' })), pushed(msg(4)), pushed(msg(2))));
    expect(changed()).toBe(1);
    expect(t.ids()).toEqual([1, 2, 4]);
  });

  it('tells the server it has shown pushed messages (a cursor read), so unread counts and receipts follow', async () => {
    const t = await loaded([msg(1)], { transport: 'live' });
    t.child.send(push(pushed(msg(2)), pushed(msg(3))));
    const ack = t.nextCall();
    expect(ack.query).toEqual({ peer: 'bob', after: 3 });
    ack.resolve(page([]));
    await flush();
    expect(t.ids()).toEqual([1, 2, 3]);
  });

  it('makes no acknowledging read for pushed copies of its own sent messages', async () => {
    const t = await loaded([msg(1)], { transport: 'live' });
    t.child.send(push(pushed(msg(2, { direction: 'sent' }))));
    expect(t.fake.open('messages')).toHaveLength(0);
    expect(t.ids()).toEqual([1, 2]);
  });

  it('leaves the snapshot identical when a batch brings nothing new', async () => {
    const t = await loaded([msg(1), msg(2)], { transport: 'live' });
    const before = t.snapshot();
    t.child.send(
      push(
        pushed(msg(2)),
        pushed(msg(9, { peer: 'carol' })),
        { type: 'delivered', data: { id: 1, peer: 'bob' } },
        { type: 'presence', data: { username: 'bob', online: true, lastSeen: 1 } },
      ),
    );
    expect(t.snapshot()).toBe(before);
  });

  it('marks a sent message delivered on its receipt, and a late answer never takes the tick back', async () => {
    const t = await loaded([msg(1, { direction: 'sent', delivered: false })], { transport: 'live' });
    t.child.send({ type: 'conversation.refresh' });
    t.child.send(push({ type: 'delivered', data: { id: 1, peer: 'bob' } }));
    expect(t.snapshot().context.messages[0]?.delivered).toBe(true);
    t.nextCall().resolve(page([msg(1, { direction: 'sent', delivered: false })], '"old"'));
    await flush();
    expect(t.snapshot().context.messages[0]?.delivered).toBe(true);
  });

  it('ignores a receipt for the same id in another conversation', async () => {
    const t = await loaded([msg(1, { direction: 'sent', delivered: false })], { transport: 'live' });
    const before = t.snapshot();
    t.child.send(push({ type: 'delivered', data: { id: 1, peer: 'carol' } }));
    expect(t.snapshot()).toBe(before);
  });

  it('shows a message once when it comes both pushed and polled', async () => {
    const t = await loaded([msg(1)], { transport: 'live' });
    t.child.send(push(pushed(msg(2))));
    t.child.send({ type: 'connection.changed', online: true, transport: 'polling' });
    advance(t.clock, POLL);
    t.nextCall().resolve(page([msg(2), msg(3)], '"p2"'));
    await flush();
    t.child.send(push(pushed(msg(3)), pushed(msg(4))));
    expect(t.ids()).toEqual([1, 2, 3, 4]);
  });

  it.each([
    ['push.resync', { type: 'push.resync' as const }],
    ['conversation.refresh', { type: 'conversation.refresh' as const }],
  ])('fetches the newest page at once on %s, with its ETag, and merges it', async (_, event) => {
    const t = await loaded([msg(1)], { transport: 'live' });
    t.child.send(event);
    const call = t.nextCall();
    expect(call.query).toEqual({ peer: 'bob', limit: 50 });
    expect(call.etag).toBe('"p1"');
    call.resolve(page([msg(1), msg(2)], '"p2"'));
    await flush();
    expect(t.ids()).toEqual([1, 2]);
  });

  it('restarts a refresh in flight on another, aborting the first request', async () => {
    const t = await loaded([msg(1)], { transport: 'live' });
    t.child.send({ type: 'push.resync' });
    const [first] = t.fake.open('messages');
    t.child.send({ type: 'push.resync' });
    expect(first?.signal.aborted).toBe(true);
    expect(t.fake.open('messages')).toHaveLength(1);
  });
});

describe('conversation: history', () => {
  it('loads the 50 before the first message, tagged loadingOlder, and prepends them', async () => {
    const t = await loaded(range(51, 100));
    t.child.send({ type: 'history.loadOlder' });
    expect(t.snapshot().hasTag('loadingOlder')).toBe(true);
    const call = t.nextCall();
    expect(call.query).toEqual({ peer: 'bob', before: 51, limit: 50 });
    call.resolve(page(range(1, 50), '"h"'));
    await flush();
    expect(t.snapshot().hasTag('loadingOlder')).toBe(false);
    expect(t.ids()).toEqual(range(1, 100).map((m) => m.id));
    expect(t.snapshot().context.hasOlder).toBe(true);
  });

  it('has no older messages once fewer than 50 came back, and then ignores history.loadOlder', async () => {
    const t = await loaded(range(51, 100));
    t.child.send({ type: 'history.loadOlder' });
    t.nextCall().resolve(page(range(40, 50), '"h"'));
    await flush();
    expect(t.snapshot().context.hasOlder).toBe(false);
    const before = t.snapshot();
    t.child.send({ type: 'history.loadOlder' });
    expect(t.snapshot()).toBe(before);
    expect(t.fake.open('messages')).toHaveLength(0);
  });

  it('has no older messages when a backend without cursors answers the whole list again', async () => {
    const t = await loaded(range(1, 60));
    t.child.send({ type: 'history.loadOlder' });
    t.nextCall().resolve(page(range(1, 60), null));
    await flush();
    expect(t.snapshot().context.hasOlder).toBe(false);
    expect(t.ids()).toEqual(range(1, 60).map((m) => m.id));
  });

  it('ignores history.loadOlder while older messages load', async () => {
    const t = await loaded(range(51, 100), { transport: 'live' });
    t.child.send({ type: 'history.loadOlder' });
    t.child.send({ type: 'history.loadOlder' });
    expect(t.fake.open('messages')).toHaveLength(1);
  });
});

describe('conversation: stopping', () => {
  it('aborts its open requests when stopped, leaves no timer, and a late answer changes nothing', async () => {
    const t = await loaded(range(51, 100));
    advance(t.clock, POLL);
    t.child.send({ type: 'history.loadOlder' });
    const open = t.fake.open('messages');
    expect(open).toHaveLength(2);
    t.parent.stop();
    expect(open.every((c) => c.signal.aborted)).toBe(true);
    expect(t.fake.open('messages')).toHaveLength(0);
    expect(pendingTimers(t.clock)).toBe(0);
    const after = t.snapshot();
    for (const call of open) call.resolve(page(range(1, 120), '"late"'));
    await flush();
    expect(t.snapshot()).toBe(after);
    expect(t.received).toHaveLength(0);
  });
});

describe('conversation: pushed and polled batches in any interleaving', () => {
  /** A copy of message `id` as one answer or event carries it: sent or received, ticked or not. */
  const copy = fc.record({
    id: fc.integer({ min: 1, max: 60 }),
    delivered: fc.boolean(),
    sent: fc.boolean(),
  });
  const batch = fc.array(copy, { maxLength: 12 });
  const step = fc.record({ via: fc.constantFrom('push', 'poll'), batch });

  it('ends with every message exactly once, ascending, ticked when any copy was', async () => {
    await fc.assert(
      fc.asyncProperty(batch, fc.array(step, { maxLength: 12 }), async (first, steps) => {
        const t = start();
        const toMessages = (b: typeof first) =>
          b.map((c) => msg(c.id, { delivered: c.delivered, direction: c.id % 2 ? 'sent' : 'received' }));
        t.nextCall().resolve(page(toMessages(first)));
        await flush(2);
        for (const s of steps) {
          if (s.via === 'push') t.child.send(push(...toMessages(s.batch).map(pushed)));
          else {
            advance(t.clock, POLL);
            t.nextCall().resolve(page(toMessages(s.batch), null));
            await flush(2);
          }
        }
        const all = [first, ...steps.map((s) => s.batch)].flat();
        const expected = [...new Set(all.map((c) => c.id))].sort((a, b) => a - b);
        const { messages } = t.snapshot().context;
        t.parent.stop();
        expect(messages.map((m) => m.id)).toEqual(expected);
        for (const m of messages) expect(m.delivered).toBe(all.some((c) => c.id === m.id && c.delivered));
      }),
      { numRuns: 150 },
    );
  });
});

describe('mergeMessages', () => {
  it('returns null when the incoming copies bring nothing new', () => {
    const held = [msg(1), msg(2, { delivered: false })];
    expect(mergeMessages(held, [])).toBeNull();
    expect(mergeMessages(held, [msg(2, { delivered: false }), msg(1, { delivered: false })])).toBeNull();
  });

  it('merges out-of-order, duplicated copies into one ascending list and never unticks', () => {
    const held = [msg(2), msg(5, { delivered: false })];
    const merged = mergeMessages(held, [msg(4), msg(1), msg(4), msg(2, { delivered: false }), msg(5)]);
    expect(merged?.map((m) => [m.id, m.delivered])).toEqual([
      [1, true],
      [2, true],
      [4, true],
      [5, true],
    ]);
  });

  it('is the ascending union of any batches, in any order, and null exactly when nothing changed', () => {
    const copy = fc.record({ id: fc.integer({ min: 1, max: 40 }), delivered: fc.boolean() });
    fc.assert(
      fc.property(fc.array(fc.array(copy, { maxLength: 10 }), { maxLength: 8 }), (batches) => {
        let held: MessageBody[] = [];
        for (const b of batches) {
          const next = mergeMessages(
            held,
            b.map((c) => msg(c.id, { delivered: c.delivered })),
          );
          if (next === null) continue;
          expect(next).not.toEqual(held);
          held = next;
        }
        const all = batches.flat();
        expect(held.map((m) => m.id)).toEqual([...new Set(all.map((c) => c.id))].sort((a, b) => a - b));
        for (const m of held) expect(m.delivered).toBe(all.some((c) => c.id === m.id && c.delivered));
      }),
    );
  });
});
