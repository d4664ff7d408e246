import { afterEach, describe, expect, it } from 'vitest';
import { createApiActors } from '../../machines/actors/api';
import { ApiError, type ApiFailure, type OutgoingMessage, type SendMessageBody } from '../../machines/ports';
import { GAVE_UP, retryDelay, sendMachine } from '../../machines/sendMachine';
import { createFakeApi, type PendingCall } from './fakeApi';
import { flush, underParent } from './harness';

const message: OutgoingMessage = { clientId: 'c-1', to: 'bob', content: 'hi', createdAt: 1000 };
const serverError: ApiFailure = {
  kind: 'http',
  status: 500,
  code: 'internal',
  message: 'Something went wrong.',
};
const unreachable: ApiFailure = { kind: 'network', message: 'The server could not be reached.' };
const notFriends: ApiFailure = {
  kind: 'http',
  status: 403,
  code: 'forbidden',
  message: 'You are not friends with bob.',
};
const rateLimited = (retryAfter: number): ApiFailure => ({
  kind: 'http',
  status: 429,
  code: 'rate_limited',
  message: 'Too many messages.',
  retryAfter,
});

const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

function start(options: { online?: boolean } = {}) {
  const fake = createFakeApi();
  const logic = sendMachine.provide({ actors: { postMessage: createApiActors(fake.api).postMessage } });
  const run = underParent(logic, { token: 'tok', message, online: options.online ?? true });
  stops.push(() => run.parent.stop());
  const snapshot = () => run.child.getSnapshot() as ReturnType<typeof sendMachine.transition>;
  const send = (event: Parameters<typeof run.child.send>[0]) => run.child.send(event);
  /** Grants the turn and waits for the post. */
  const go = async () => {
    send({ type: 'send.go' });
    await flush();
  };
  const posts = () => fake.calls.filter((c) => c.method === 'send');
  /** Answers the open post. */
  const answer = async (body: Partial<SendMessageBody> = {}) => {
    fake.next('send').resolve({ success: true, id: 7, timestamp: 2000, delivered: false, ...body });
    await flush();
  };
  const fail = async (failure: ApiFailure) => {
    fake.next('send').reject(new ApiError(failure));
    await flush();
  };
  return { ...run, fake, snapshot, send, go, posts, answer, fail };
}

const clientIdOf = (call: PendingCall) => (call.args[1] as { clientId: string }).clientId;

describe('send', () => {
  it('posts nothing until its parent grants the turn, then posts once with its clientId', async () => {
    const t = start();
    await flush();
    expect(t.snapshot().value).toBe('queued');
    expect(t.snapshot().hasTag('pending')).toBe(true);
    expect(t.posts()).toHaveLength(0);

    await t.go();
    expect(t.posts()).toHaveLength(1);
    expect(t.posts()[0]?.args).toEqual(['tok', { to: 'bob', content: 'hi', clientId: 'c-1' }]);
    expect(t.snapshot().hasTag('sending')).toBe(true);
    expect(t.snapshot().hasTag('pending')).toBe(true);
  });

  it("is sent with the server's id after the answer, tells its parent, and is delivered on the pushed receipt", async () => {
    const t = start();
    await t.go();
    await t.answer({ id: 7 });
    expect(t.snapshot().value).toBe('sent');
    expect(t.snapshot().hasTag('pending')).toBe(true);
    expect(t.snapshot().hasTag('sending')).toBe(false);
    expect(t.snapshot().context).toMatchObject({ id: 7, delivered: false, attempts: 1 });
    expect(t.sent('send.settled')).toEqual([
      { type: 'send.settled', clientId: 'c-1', outcome: 'sent', id: 7 },
    ]);

    t.send({ type: 'message.delivered', id: 8 });
    expect(t.snapshot().value).toBe('sent');

    t.send({ type: 'message.delivered', id: 7 });
    expect(t.snapshot().value).toBe('delivered');
    expect(t.snapshot().hasTag('delivered')).toBe(true);
    expect(t.snapshot().hasTag('pending')).toBe(false);
    expect(t.snapshot().context.delivered).toBe(true);
    expect(t.sent('send.settled').at(-1)).toEqual({
      type: 'send.settled',
      clientId: 'c-1',
      outcome: 'delivered',
      id: 7,
    });
  });

  it('is delivered at once when the answer says the recipient already has it', async () => {
    const t = start();
    await t.go();
    await t.answer({ id: 7, delivered: true });
    expect(t.snapshot().value).toBe('delivered');
    expect(t.sent('send.settled')).toEqual([
      { type: 'send.settled', clientId: 'c-1', outcome: 'delivered', id: 7 },
    ]);
  });

  it('never moves back from delivered: a late answer or a late delivered:false changes nothing', async () => {
    const t = start();
    await t.go();
    const post = t.fake.next('send');
    // The server pushed the message back (already read) before the POST answered.
    t.send({ type: 'message.confirmed', id: 7, delivered: true });
    expect(t.snapshot().value).toBe('delivered');
    expect(post.signal.aborted).toBe(true);

    const before = t.snapshot();
    post.resolve({ success: true, id: 7, timestamp: 2000, delivered: false });
    await flush();
    expect(t.snapshot()).toBe(before);
    // Final: no later event can take it anywhere.
    expect(t.snapshot().status).toBe('done');
    expect(t.sent('send.settled')).toHaveLength(1);
  });

  it('stays sent, with the same snapshot, when a copy without the receipt arrives', async () => {
    const t = start();
    await t.go();
    await t.answer({ id: 7 });
    const before = t.snapshot();
    t.send({ type: 'message.confirmed', id: 7, delivered: false });
    expect(t.snapshot()).toBe(before);
  });

  it('retries a 5xx after 1 000 ms (not at 999 ms) with the same clientId', async () => {
    const t = start();
    await t.go();
    await t.fail(serverError);
    expect(t.snapshot().value).toBe('waitingToRetry');
    expect(t.snapshot().hasTag('pending')).toBe(true);
    expect(t.snapshot().context.nextRetryInMs).toBe(1000);

    t.clock.increment(999);
    await flush();
    expect(t.posts()).toHaveLength(1);

    t.clock.increment(1);
    await flush();
    expect(t.posts()).toHaveLength(2);
    expect(t.posts().map(clientIdOf)).toEqual(['c-1', 'c-1']);
    expect(t.snapshot().context).toMatchObject({ attempts: 2, nextRetryInMs: null });
  });

  it('doubles its wait after each failure up to 30 s, each wait exact at both edges', async () => {
    const t = start();
    await t.go();
    const waits = [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000];
    for (const [i, wait] of waits.entries()) {
      await t.fail(serverError);
      expect(t.snapshot().context.nextRetryInMs).toBe(wait);
      t.clock.increment(wait - 1);
      await flush();
      expect(t.posts()).toHaveLength(i + 1);
      t.clock.increment(1);
      await flush();
      expect(t.posts()).toHaveLength(i + 2);
    }
    expect(new Set(t.posts().map(clientIdOf))).toEqual(new Set(['c-1']));
  });

  it('waits as long as Retry-After says when that is longer than its backoff', async () => {
    const t = start();
    await t.go();
    await t.fail(rateLimited(5));
    expect(t.snapshot().context.nextRetryInMs).toBe(5000);
    t.clock.increment(4999);
    await flush();
    expect(t.posts()).toHaveLength(1);
    t.clock.increment(1);
    await flush();
    expect(t.posts()).toHaveLength(2);
    // A Retry-After shorter than the backoff does not shorten it.
    expect(retryDelay(6, rateLimited(1))).toBe(30_000);
    expect(retryDelay(6, rateLimited(45))).toBe(45_000);
  });

  it("fails at once on a refusal (4xx) with the server's sentence, and reports it", async () => {
    const t = start();
    await t.go();
    await t.fail(notFriends);
    expect(t.snapshot().value).toBe('failed');
    expect(t.snapshot().hasTag('failed')).toBe(true);
    expect(t.snapshot().hasTag('pending')).toBe(false);
    expect(t.snapshot().context.error).toBe('You are not friends with bob.');
    expect(t.sent('send.settled')).toEqual([{ type: 'send.settled', clientId: 'c-1', outcome: 'failed' }]);
    expect(t.sent('activity.report')).toEqual([
      { type: 'activity.report', kind: 'error', text: 'Send failed: You are not friends with bob.' },
    ]);
    expect(t.sent('connection.failed')).toEqual([]);

    t.clock.increment(10 * 60_000);
    await flush();
    expect(t.posts()).toHaveLength(1);
  });

  it('gives up once its retry waits add up to five minutes: "could not be sent for five minutes"', async () => {
    const t = start();
    await t.go();
    // 1 + 2 + 4 + 8 + 16 + 9 × 30 s = 301 s of waiting after 14 failures.
    for (let i = 0; i < 14; i++) {
      await t.fail(serverError);
      expect(t.snapshot().value).toBe('waitingToRetry');
      t.clock.increment(t.snapshot().context.nextRetryInMs ?? 0);
      await flush();
    }
    expect(t.snapshot().context.waitedMs).toBe(301_000);
    expect(t.sent('activity.report')).toEqual([]);
    await t.fail(serverError);
    expect(t.snapshot().value).toBe('failed');
    expect(t.snapshot().context.error).toBe(GAVE_UP);
    expect(t.posts()).toHaveLength(15);
    expect(t.sent('activity.report')).toEqual([
      { type: 'activity.report', kind: 'error', text: 'Send failed: could not be sent for five minutes' },
    ]);
  });

  it('keeps retrying just under five minutes of waiting, and gives up at five minutes exactly', async () => {
    const under = start();
    await under.go();
    await under.fail(rateLimited(299.999));
    under.clock.increment(299_999);
    await flush();
    await under.fail(serverError);
    expect(under.snapshot().value).toBe('waitingToRetry');

    const at = start();
    await at.go();
    await at.fail(rateLimited(300));
    at.clock.increment(300_000);
    await flush();
    await at.fail(serverError);
    expect(at.snapshot().value).toBe('failed');
    expect(at.snapshot().context.error).toBe(GAVE_UP);
  });

  it('tells its parent the connection failed when the server could not be reached, not on a 5xx', async () => {
    const t = start();
    await t.go();
    await t.fail(serverError);
    expect(t.sent('connection.failed')).toEqual([]);
    t.clock.increment(1000);
    await flush();
    await t.fail(unreachable);
    expect(t.sent('connection.failed')).toEqual([{ type: 'connection.failed', failure: unreachable }]);
    expect(t.snapshot().value).toBe('waitingToRetry');
  });

  it('waits for the connection without spending its retry budget, then posts once when it returns', async () => {
    const t = start();
    await t.go();
    await t.fail(unreachable);
    t.send({ type: 'connection.changed', online: false, transport: 'live' });
    expect(t.snapshot().value).toBe('waitingForConnection');
    expect(t.snapshot().hasTag('pending')).toBe(true);
    expect(t.snapshot().context.nextRetryInMs).toBeNull();

    t.clock.increment(10 * 60_000);
    await flush();
    expect(t.posts()).toHaveLength(1);
    expect(t.snapshot().context.waitedMs).toBe(0);

    t.send({ type: 'connection.changed', online: true, transport: 'live' });
    await flush();
    expect(t.posts()).toHaveLength(2);
    expect(t.posts().map(clientIdOf)).toEqual(['c-1', 'c-1']);
    await t.answer();
    expect(t.snapshot().value).toBe('sent');
    t.send({ type: 'connection.changed', online: true, transport: 'polling' });
    await flush();
    expect(t.posts()).toHaveLength(2);
  });

  it('given its turn while offline, posts nothing until the connection returns', async () => {
    const t = start({ online: false });
    await t.go();
    expect(t.snapshot().value).toBe('waitingForConnection');
    expect(t.posts()).toHaveLength(0);
    t.send({ type: 'connection.changed', online: true, transport: 'live' });
    await flush();
    expect(t.posts()).toHaveLength(1);
  });

  it('a failure that arrives after the connection went down waits for the connection, not a timer', async () => {
    const t = start();
    await t.go();
    t.send({ type: 'connection.changed', online: false, transport: 'live' });
    await t.fail(unreachable);
    expect(t.snapshot().value).toBe('waitingForConnection');
    t.clock.increment(60_000);
    await flush();
    expect(t.posts()).toHaveLength(1);
  });

  it('after a manual retry it waits for the turn again and posts the same clientId afresh', async () => {
    const t = start();
    await t.go();
    await t.fail(notFriends);
    t.send({ type: 'message.retry', clientId: 'c-1' });
    expect(t.snapshot().value).toBe('queued');
    expect(t.snapshot().hasTag('pending')).toBe(true);
    expect(t.snapshot().context).toMatchObject({ error: null, attempts: 0, waitedMs: 0 });
    await flush();
    expect(t.posts()).toHaveLength(1);

    await t.go();
    expect(t.posts().map(clientIdOf)).toEqual(['c-1', 'c-1']);
    await t.answer({ id: 9 });
    expect(t.snapshot().value).toBe('sent');
  });

  it('says "Sent to bob" once when a failed message goes through on a manual retry', async () => {
    const t = start();
    await t.go();
    await t.fail(notFriends);
    t.send({ type: 'message.retry', clientId: 'c-1' });
    await t.go();
    await t.answer({ id: 9 });
    expect(t.snapshot().value).toBe('sent');
    t.send({ type: 'message.delivered', id: 9 });
    expect(t.snapshot().value).toBe('delivered');
    expect(t.sent('activity.report')).toEqual([
      { type: 'activity.report', kind: 'error', text: 'Send failed: You are not friends with bob.' },
      { type: 'activity.report', kind: 'info', text: 'Sent to bob' },
    ]);
  });

  it('says "Sent to bob" when a pushed copy shows the server had a failed message after all', async () => {
    const t = start();
    await t.go();
    await t.fail(notFriends);
    t.send({ type: 'message.confirmed', id: 12, delivered: true });
    expect(t.snapshot().value).toBe('delivered');
    expect(t.sent('activity.report').at(-1)).toEqual({
      type: 'activity.report',
      kind: 'info',
      text: 'Sent to bob',
    });
  });

  it('reports nothing on success when it never reported a failure', async () => {
    const t = start();
    await t.go();
    await t.fail(serverError);
    t.clock.increment(1000);
    await flush();
    await t.answer({ id: 3, delivered: true });
    expect(t.snapshot().value).toBe('delivered');
    expect(t.sent('activity.report')).toEqual([]);
  });

  it('a pushed copy of the message confirms it while it waits to retry: no second post', async () => {
    const t = start();
    await t.go();
    await t.fail(unreachable);
    t.send({ type: 'message.confirmed', id: 11, delivered: false });
    expect(t.snapshot().value).toBe('sent');
    expect(t.snapshot().context.id).toBe(11);
    t.clock.increment(60_000);
    await flush();
    expect(t.posts()).toHaveLength(1);
  });

  it('stopping it aborts the post in flight', async () => {
    const t = start();
    await t.go();
    const post = t.fake.next('send');
    t.parent.stop();
    expect(post.signal.aborted).toBe(true);
  });
});
