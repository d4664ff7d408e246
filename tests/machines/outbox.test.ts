import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { createApiActors } from '../../machines/actors/api';
import { createMemoryStorage, createStorageActors } from '../../machines/actors/storage';
import {
  type outboxMachine,
  pendingFor,
  provideOutbox,
  SENT_KEEP_LIMIT,
  type SendRef,
} from '../../machines/outboxMachine';
import { ApiError, type ApiFailure, type MessageBody, type ParleyStorage } from '../../machines/ports';
import { createFakeApi, type PendingCall } from './fakeApi';
import { flush, underParent } from './harness';

type Storage = ReturnType<typeof createMemoryStorage>;
type Body = { to: string; content: string; clientId: string };

const refused: ApiFailure = {
  kind: 'http',
  status: 403,
  code: 'forbidden',
  message: 'You are not friends with carol.',
};
const unavailable: ApiFailure = { kind: 'http', status: 503, message: 'The server is unavailable.' };
const lost: ApiFailure = { kind: 'network', message: 'The server could not be reached.' };

const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

/**
 * A server that keeps messages by clientId like the real one: the same clientId again stores nothing
 * new and answers with the first id. Each call is answered by the test, in any order.
 */
function createServer() {
  const fake = createFakeApi();
  const stored = new Map<string, MessageBody>();
  const answered = new WeakSet<PendingCall>();
  const postLog: Body[] = [];
  let nextId = 100;
  const body = (call: PendingCall) => call.args[1] as Body;
  const store = (call: PendingCall) => {
    const { to, content, clientId } = body(call);
    let held = stored.get(clientId);
    if (!held) {
      held = {
        id: nextId++,
        direction: 'sent',
        peer: to,
        content,
        timestamp: 5000,
        delivered: false,
        clientId,
      };
      stored.set(clientId, held);
    }
    return held;
  };
  return {
    fake,
    stored,
    postLog,
    body,
    /** The posts not yet answered, oldest first. */
    open: () => fake.open('send').filter((c) => !answered.has(c)),
    answer(call: PendingCall, outcome: 'ok' | 'okDelivered' | 'lost' | ApiFailure) {
      answered.add(call);
      if (outcome === 'ok' || outcome === 'okDelivered') {
        const held = store(call);
        if (outcome === 'okDelivered') held.delivered = true;
        call.resolve({ success: true, id: held.id, timestamp: held.timestamp, delivered: held.delivered });
      } else if (outcome === 'lost') {
        store(call);
        call.reject(new ApiError(lost));
      } else call.reject(new ApiError(outcome));
    },
  };
}

function start(
  options: { storage?: ParleyStorage; online?: boolean; server?: ReturnType<typeof createServer> } = {},
) {
  const server = options.server ?? createServer();
  const storage = options.storage ?? createMemoryStorage();
  const api = createApiActors({
    ...server.fake.api,
    send: (token, message, opts) => {
      server.postLog.push(message);
      return server.fake.api.send(token, message, opts);
    },
  });
  const kept = createStorageActors(storage);
  const logic = provideOutbox({
    postMessage: api.postMessage,
    loadOutbox: kept.loadOutbox,
    putOutgoing: kept.putOutgoing,
    removeOutgoing: kept.removeOutgoing,
  });
  const run = underParent(
    logic,
    { token: 'tok', username: 'alice', online: options.online ?? true },
    'outbox',
  );
  stops.push(() => run.parent.stop());
  const snapshot = () => run.child.getSnapshot() as ReturnType<typeof outboxMachine.transition>;
  let written = 0;
  const write = (to: string, content = `message ${written + 1}`) => {
    written++;
    const clientId = `c-${written}`;
    run.child.send({ type: 'message.send', to, content, clientId, createdAt: 1000 + written });
    return clientId;
  };
  const ref = (clientId: string): SendRef | undefined =>
    snapshot().context.sends.find((e) => e.clientId === clientId)?.ref;
  const stateOf = (clientId: string) => ref(clientId)?.getSnapshot().value;
  const openIds = () => server.open().map((c) => server.body(c).clientId);
  /** Answers the open post of one message. */
  const answer = async (clientId: string, outcome: Parameters<typeof server.answer>[1] = 'ok') => {
    const call = server.open().find((c) => server.body(c).clientId === clientId);
    if (!call) throw new Error(`no open post for ${clientId}`);
    server.answer(call, outcome);
    await flush();
  };
  return { ...run, server, storage, snapshot, write, ref, stateOf, openIds, answer };
}

const kept = (storage: Storage) => [...(storage.outbox.get('alice')?.keys() ?? [])];

describe('outbox', () => {
  it('keeps a message in storage before its post starts', async () => {
    const storage = createMemoryStorage();
    let release = () => {};
    const slow: ParleyStorage = {
      ...storage,
      putOutgoing: (username, message) =>
        new Promise<void>((resolve) => {
          release = () => storage.putOutgoing(username, message).then(resolve);
        }),
    };
    const t = start({ storage: slow });
    await flush();
    const c1 = t.write('bob');
    await flush();
    // Shown as pending at once, but not posted while the write is under way.
    expect(t.stateOf(c1)).toBe('queued');
    expect(pendingFor(t.snapshot(), 'bob').map((e) => e.clientId)).toEqual([c1]);
    expect(t.openIds()).toEqual([]);

    release();
    await flush();
    expect(t.openIds()).toEqual([c1]);
    expect(kept(storage)).toEqual([c1]);
  });

  it('says so when it cannot keep a message, and sends it all the same', async () => {
    const storage = createMemoryStorage();
    const full: ParleyStorage = {
      ...storage,
      putOutgoing: async () => {
        throw new Error('The quota is exceeded.');
      },
    };
    const t = start({ storage: full });
    await flush();
    const c1 = t.write('bob');
    await flush();
    expect(t.sent('activity.report')).toEqual([
      { type: 'activity.report', kind: 'error', text: 'Could not keep the message: The quota is exceeded.' },
    ]);
    expect(t.openIds()).toEqual([c1]);
  });

  it('sends messages to one peer one at a time, in the order written', async () => {
    const t = start();
    await flush();
    const [c1, c2, c3] = [t.write('bob'), t.write('bob'), t.write('bob')];
    await flush();
    expect(t.openIds()).toEqual([c1]);
    expect(t.ref(c1)?.getSnapshot().hasTag('sending')).toBe(true);
    expect(t.ref(c2)?.getSnapshot().hasTag('sending')).toBe(false);

    await t.answer(c1);
    expect(t.openIds()).toEqual([c2]);
    // A failed message does not hold up the ones after it.
    await t.answer(c2, refused);
    expect(t.stateOf(c2)).toBe('failed');
    expect(t.openIds()).toEqual([c3]);
    await t.answer(c3);
    expect(t.server.postLog.map((b) => b.clientId)).toEqual([c1, c2, c3]);
  });

  it('a message waiting to retry holds up its own peer but not the others', async () => {
    const t = start();
    await flush();
    const [b1, b2, c1] = [t.write('bob'), t.write('bob'), t.write('carol')];
    await flush();
    expect(t.openIds()).toEqual([b1, c1]);
    await t.answer(b1, unavailable);
    await t.answer(c1);
    expect(t.openIds()).toEqual([]);
    const c2 = t.write('carol');
    await flush();
    expect(t.openIds()).toEqual([c2]);

    t.clock.increment(1000);
    await flush();
    expect(t.openIds()).toEqual([c2, b1]);
    await t.answer(b1);
    expect(t.openIds()).toEqual([c2, b2]);
  });

  it('forgets a message in storage once sent, and keeps a failed one for the next run', async () => {
    const t = start();
    await flush();
    const [c1, c2] = [t.write('bob'), t.write('carol')];
    await flush();
    expect(kept(t.storage as Storage).sort()).toEqual([c1, c2]);
    await t.answer(c1);
    await t.answer(c2, refused);
    expect(kept(t.storage as Storage)).toEqual([c2]);
  });

  it('after a restart, sends a saved message exactly once with the same clientId and forgets it', async () => {
    const storage = createMemoryStorage();
    const server = createServer();
    const first = start({ storage, server });
    await flush();
    const c1 = first.write('bob', 'hello');
    const c2 = first.write('bob', 'again');
    await flush();
    // The server stores the first, but the page closes before the answer arrives.
    const call = server.open()[0];
    if (!call) throw new Error('no post');
    server.stored.set(c1, {
      id: 100,
      direction: 'sent',
      peer: 'bob',
      content: 'hello',
      timestamp: 5000,
      delivered: false,
      clientId: c1,
    });
    first.parent.stop();
    expect(call.signal.aborted).toBe(true);
    expect(kept(storage)).toEqual([c1, c2]);

    const second = start({ storage, server });
    await flush();
    expect(second.snapshot().context.sends.map((e) => e.clientId)).toEqual([c1, c2]);
    expect(second.openIds()).toEqual([c1]);
    await second.answer(c1);
    expect(second.ref(c1)?.getSnapshot().context.id).toBe(100);
    await second.answer(c2);
    expect(server.postLog.map((b) => b.clientId)).toEqual([c1, c1, c2]);
    expect([...server.stored.values()].map((m) => m.content)).toEqual(['hello', 'again']);
    expect(kept(storage)).toEqual([]);
  });

  it('queues the loaded messages before any written while loading', async () => {
    const storage = createMemoryStorage();
    await storage.putOutgoing('alice', { clientId: 'old', to: 'bob', content: 'from before', createdAt: 1 });
    const t = start({ storage });
    const c1 = t.write('bob');
    await flush();
    expect(t.snapshot().context.sends.map((e) => e.clientId)).toEqual(['old', c1]);
    expect(t.openIds()).toEqual(['old']);
    await t.answer('old');
    expect(t.openIds()).toEqual([c1]);
  });

  it('stopping the outbox stops every send actor and aborts their posts', async () => {
    const t = start();
    await flush();
    t.write('bob');
    t.write('carol');
    await flush();
    const refs = t.snapshot().context.sends.map((e) => e.ref);
    const posts = t.server.open();
    expect(posts).toHaveLength(2);
    t.parent.stop();
    expect(posts.every((p) => p.signal.aborted)).toBe(true);
    expect(refs.map((r) => r.getSnapshot().status)).toEqual(['stopped', 'stopped']);
  });

  it('sends a retried failed message after the ones already queued for its peer', async () => {
    const t = start();
    await flush();
    const [c1, c2, c3] = [t.write('bob'), t.write('bob'), t.write('bob')];
    await flush();
    await t.answer(c1, refused);
    expect(t.openIds()).toEqual([c2]);
    t.child.send({ type: 'message.retry', clientId: c1 });
    await flush();
    expect(t.stateOf(c1)).toBe('queued');
    expect(t.openIds()).toEqual([c2]);
    await t.answer(c2);
    expect(t.openIds()).toEqual([c3]);
    await t.answer(c3);
    expect(t.openIds()).toEqual([c1]);
    await t.answer(c1);
    expect(t.stateOf(c1)).toBe('sent');
    expect(t.server.postLog.map((b) => b.clientId)).toEqual([c1, c2, c3, c1]);
  });

  it('ignores a retry of a message that has not failed', async () => {
    const t = start();
    await flush();
    const [c1, c2] = [t.write('bob'), t.write('bob')];
    await flush();
    await t.answer(c1);
    const before = t.snapshot();
    t.child.send({ type: 'message.retry', clientId: c1 });
    t.child.send({ type: 'message.retry', clientId: 'unknown' });
    await flush();
    expect(t.snapshot().context.queue).toEqual(before.context.queue);
    await t.answer(c2);
    const c3 = t.write('bob');
    await flush();
    expect(t.openIds()).toEqual([c3]);
  });

  it('holds messages while offline and sends each once when the connection returns', async () => {
    const t = start({ online: false });
    await flush();
    const [b1, c1] = [t.write('bob'), t.write('carol')];
    await flush();
    t.clock.increment(10 * 60_000);
    await flush();
    expect(t.openIds()).toEqual([]);
    expect(t.stateOf(b1)).toBe('waitingForConnection');

    t.child.send({ type: 'connection.changed', online: true, transport: 'live' });
    await flush();
    expect(t.openIds()).toEqual([b1, c1]);
    expect(t.server.postLog).toHaveLength(2);
  });

  it('marks a message delivered on the pushed receipt and drops its actor', async () => {
    const t = start();
    await flush();
    const c1 = t.write('bob');
    await flush();
    await t.answer(c1);
    const ref = t.ref(c1);
    const id = ref?.getSnapshot().context.id ?? -1;
    t.child.send({ type: 'push.batch', events: [{ type: 'delivered', data: { id, peer: 'bob' } }] });
    await flush();
    expect(ref?.getSnapshot().value).toBe('delivered');
    expect(t.snapshot().context.sends).toEqual([]);
  });

  it('counts a receipt that overtook the answer of the post', async () => {
    const t = start();
    await flush();
    const c1 = t.write('bob');
    await flush();
    // The recipient read it before the POST's answer reached us; the answer then says delivered:false.
    t.child.send({ type: 'push.batch', events: [{ type: 'delivered', data: { id: 100, peer: 'bob' } }] });
    await t.answer(c1);
    expect(t.snapshot().context.sends).toEqual([]);
    expect(kept(t.storage as Storage)).toEqual([]);
  });

  it('takes a pushed copy of its message (same clientId) as confirmation and posts it no more', async () => {
    const t = start();
    await flush();
    const c1 = t.write('bob');
    await flush();
    await t.answer(c1, 'lost');
    const copy = t.server.stored.get(c1);
    if (!copy) throw new Error('not stored');
    t.child.send({ type: 'push.batch', events: [{ type: 'message', data: copy }] });
    await flush();
    expect(t.stateOf(c1)).toBe('sent');
    t.clock.increment(60_000);
    await flush();
    expect(t.server.postLog).toHaveLength(1);
    expect(kept(t.storage as Storage)).toEqual([]);
  });

  it("relays its send actors' connection failures and activity reports to its parent", async () => {
    const t = start();
    await flush();
    const [b1, c1] = [t.write('bob'), t.write('carol')];
    await flush();
    await t.answer(b1, 'lost');
    await t.answer(c1, refused);
    expect(t.sent('connection.failed')).toEqual([{ type: 'connection.failed', failure: lost }]);
    expect(t.sent('activity.report')).toEqual([
      { type: 'activity.report', kind: 'error', text: 'Send failed: You are not friends with carol.' },
    ]);
    expect(t.sent('send.settled')).toEqual([]);
  });

  it(`keeps at most ${SENT_KEEP_LIMIT} sent messages, stopping the oldest`, async () => {
    const t = start();
    await flush();
    const ids: string[] = [];
    for (let i = 0; i <= SENT_KEEP_LIMIT; i++) ids.push(t.write(`peer${i}`));
    await flush(20);
    expect(t.openIds()).toEqual(ids);
    for (const call of t.server.open()) t.server.answer(call, 'ok');
    await flush(20);
    const first = t.snapshot().context.sends[0];
    expect(t.snapshot().context.sends).toHaveLength(SENT_KEEP_LIMIT);
    expect(first?.clientId).toBe(ids[1]);
    expect(t.snapshot().children[`send-${ids[0]}`]).toBeUndefined();
    expect(t.snapshot().children[`send-${ids[1]}`]).toBeDefined();
  });
});

type Outcome = 'ok' | 'okDelivered' | 'lost' | 'unavailable' | 'rateLimited' | 'refused';
type Command =
  | { kind: 'write'; peer: number }
  | { kind: 'answer'; pick: number; outcome: Outcome }
  | { kind: 'wait'; ms: number };

const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ kind: fc.constant('write' as const), peer: fc.nat(2) }),
  fc.record({
    kind: fc.constant('answer' as const),
    pick: fc.nat(5),
    outcome: fc.constantFrom<Outcome>(
      'ok',
      'ok',
      'okDelivered',
      'lost',
      'unavailable',
      'rateLimited',
      'refused',
    ),
  }),
  fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 35_000 }) }),
);

describe('outbox, for any sends and answers', () => {
  it('posts each peer’s messages in order, one at a time, and the server stores each once', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { maxLength: 40 }), async (commands) => {
        const t = start();
        await flush();
        const peers = ['bob', 'carol', 'dave'];
        const written = new Map<string, string[]>(peers.map((p) => [p, []]));
        const successes = new Map<string, number>();
        const violations: string[] = [];
        const check = () => {
          for (const peer of peers) {
            const open = t.server.open().filter((c) => t.server.body(c).to === peer);
            if (open.length > 1) violations.push(`two posts in flight to ${peer}`);
          }
        };
        const answer = (call: PendingCall, outcome: Outcome) => {
          const { clientId } = t.server.body(call);
          if (
            outcome === 'ok' ||
            outcome === 'okDelivered' ||
            (outcome === 'refused' && t.server.stored.has(clientId))
          ) {
            successes.set(clientId, (successes.get(clientId) ?? 0) + 1);
            t.server.answer(call, outcome === 'okDelivered' ? 'okDelivered' : 'ok');
          } else if (outcome === 'lost') t.server.answer(call, 'lost');
          else if (outcome === 'unavailable') t.server.answer(call, unavailable);
          else if (outcome === 'rateLimited')
            t.server.answer(call, { kind: 'http', status: 429, message: 'Slow down.', retryAfter: 2 });
          else t.server.answer(call, refused);
        };
        for (const c of commands) {
          if (c.kind === 'write') {
            const peer = peers[c.peer] ?? 'bob';
            written.get(peer)?.push(t.write(peer));
          } else if (c.kind === 'answer') {
            const open = t.server.open();
            const call = open[c.pick % Math.max(1, open.length)];
            if (call) answer(call, c.outcome);
          } else t.clock.increment(c.ms);
          await flush();
          check();
        }
        // Then the server recovers: everything still pending goes out.
        for (
          let round = 0;
          round < 100 && t.snapshot().context.sends.some((e) => !isSettled(e.ref));
          round++
        ) {
          for (const call of t.server.open()) answer(call, 'ok');
          await flush();
          check();
          t.clock.increment(30_000);
          await flush();
          check();
        }

        expect(violations).toEqual([]);
        const failed = new Set(
          t
            .snapshot()
            .context.sends.filter((e) => e.ref.getSnapshot().value === 'failed')
            .map((e) => e.clientId),
        );
        for (const [peer, ids] of written) {
          const posted = t.server.postLog.filter((b) => b.to === peer).map((b) => ids.indexOf(b.clientId));
          expect(posted).toEqual([...posted].sort((a, b) => a - b));
          for (const id of ids) {
            if (failed.has(id)) continue;
            // Sent (or delivered): acknowledged once, stored once, under the id the client holds.
            expect(successes.get(id)).toBe(1);
            const held = t.ref(id)?.getSnapshot().context.id;
            if (held !== undefined) expect(held).toBe(t.server.stored.get(id)?.id);
          }
        }
        const contents = [...t.server.stored.values()].map((m) => m.content);
        expect(new Set(contents).size).toBe(contents.length);
        expect(kept(t.storage as Storage).sort()).toEqual([...failed].sort());
        t.parent.stop();
      }),
      { numRuns: 100 },
    );
  });
});

const isSettled = (ref: SendRef) =>
  ['sent', 'failed', 'delivered'].includes(ref.getSnapshot().value as string);
