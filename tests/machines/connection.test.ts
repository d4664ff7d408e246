import { afterEach, describe, expect, it } from 'vitest';
import { createApiActors, createStreamActor } from '../../machines/actors/api';
import { backoffDelay, nextRandom } from '../../machines/backoff';
import { connectionMachine } from '../../machines/connectionMachine';
import type { ApiFailure, StatusBody } from '../../machines/ports';
import { createFakeApi } from './fakeApi';
import { advance, flush, pendingTimers, underParent } from './harness';

const status: StatusBody = { status: 'online', version: '1', time: 1, user: 'alice' };
const down: ApiFailure = { kind: 'network', message: 'The server could not be reached.' };
const SEED = 42;

/** A frame scheduler the test runs by hand. */
function manualFrames() {
  let queued: (() => void)[] = [];
  return {
    nextFrame(callback: () => void) {
      queued.push(callback);
      return () => {
        queued = queued.filter((c) => c !== callback);
      };
    },
    run() {
      const now = queued;
      queued = [];
      for (const callback of now) callback();
    },
  };
}

function start() {
  const fake = createFakeApi();
  const frames = manualFrames();
  const api = createApiActors(fake.api);
  const logic = connectionMachine.provide({
    actors: { checkStatus: api.checkStatus, watchEvents: createStreamActor(fake.api, frames.nextFrame) },
  });
  const run = underParent(logic, { token: 'tok', seed: SEED });
  stops.push(() => run.parent.stop());
  const snapshot = () => run.child.getSnapshot() as ReturnType<typeof connectionMachine.transition>;
  return { ...run, fake, frames, snapshot };
}

const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

async function goOnline(t: ReturnType<typeof start>) {
  t.fake.next('status').resolve(status);
  await flush();
}

describe('connection', () => {
  it('checks /api/status at start and reports itself online when it answers', async () => {
    const t = start();
    expect(t.snapshot().hasTag('checking')).toBe(true);
    expect(t.fake.next('status').args).toEqual(['tok']);
    // the fake answered through next(); resolve it
    t.fake.calls[0]?.resolve(status);
    await flush();
    expect(t.snapshot().hasTag('online')).toBe(true);
    expect(t.sent('connection.changed').at(-1)).toMatchObject({ online: true });
  });

  it('checks the status again every 10 s, not before', async () => {
    const t = start();
    await goOnline(t);
    advance(t.clock, 9_999);
    expect(t.fake.open('status')).toHaveLength(0);
    advance(t.clock, 1);
    expect(t.fake.open('status')).toHaveLength(1);
  });

  it('keeps the server version of the last status answer, and the same snapshot while it stays the same', async () => {
    const t = start();
    expect(t.snapshot().context.serverVersion).toBeNull();
    await goOnline(t);
    expect(t.snapshot().context.serverVersion).toBe('1');
    advance(t.clock, 10_000);
    t.fake.next('status').resolve({ ...status, version: '2' });
    await flush();
    expect(t.snapshot().context.serverVersion).toBe('2');
    const context = t.snapshot().context;
    advance(t.clock, 10_000);
    t.fake.next('status').resolve({ ...status, version: '2' });
    await flush();
    expect(t.snapshot().context).toBe(context);
  });

  it('goes offline on the first failed call of any actor, at once', async () => {
    const t = start();
    await goOnline(t);
    t.child.send({ type: 'connection.failed', failure: down });
    expect(t.snapshot().hasTag('offline')).toBe(true);
    expect(t.sent('connection.changed').at(-1)).toMatchObject({ online: false });
    expect(t.snapshot().context.lastError).toBe(down.message);
  });

  it('goes offline when its own check fails, and waits the jittered back-off before the next try', async () => {
    const t = start();
    t.fake.next('status').reject(down);
    await flush();
    const wait = backoffDelay(1, nextRandom(SEED)[0]);
    expect(wait).toBeGreaterThanOrEqual(800);
    expect(wait).toBeLessThanOrEqual(1200);
    expect(t.snapshot().context.retryRemainingMs).toBe(wait);
    advance(t.clock, wait - 1);
    expect(t.fake.open('status')).toHaveLength(0);
    advance(t.clock, 1);
    expect(t.fake.open('status')).toHaveLength(1);
    expect(t.snapshot().hasTag('checking')).toBe(true);
  });

  it('counts down to the next try a second at a time, for the status bar', async () => {
    const t = start();
    await goOnline(t);
    // three failures in a row: the third wait is about 4 s
    t.child.send({ type: 'connection.failed', failure: down });
    for (let i = 0; i < 2; i++) {
      advance(t.clock, t.snapshot().context.retryRemainingMs);
      t.fake.next('status').reject(down);
      await flush();
    }
    const remaining = t.snapshot().context.retryRemainingMs;
    expect(remaining).toBeGreaterThan(3000);
    advance(t.clock, 1000);
    expect(t.snapshot().context.retryRemainingMs).toBe(remaining - 1000);
    advance(t.clock, 1000);
    expect(t.snapshot().context.retryRemainingMs).toBe(remaining - 2000);
  });

  it('doubles the back-off after each failure and caps it at 30 s', async () => {
    const t = start();
    const waits: number[] = [];
    for (let i = 0; i < 8; i++) {
      t.fake.next('status').reject(down);
      await flush();
      const wait = t.snapshot().context.retryRemainingMs;
      waits.push(wait);
      advance(t.clock, wait);
    }
    expect(waits[1]).toBeGreaterThan(waits[0] as number);
    expect(waits[2]).toBeGreaterThan(waits[1] as number);
    expect(Math.max(...waits)).toBeLessThanOrEqual(30_000);
    expect(waits.at(-1)).toBeGreaterThanOrEqual(24_000);
  });

  it('tries at once on connection.retryNow and on a browser wake-up', async () => {
    const t = start();
    t.fake.next('status').reject(down);
    await flush();
    t.child.send({ type: 'connection.retryNow' });
    expect(t.fake.open('status')).toHaveLength(1);
    t.fake.next('status').reject(down);
    await flush();
    t.child.send({ type: 'env.wake', reason: 'online' });
    expect(t.fake.open('status')).toHaveLength(1);
  });

  it('opens the event stream when online, goes live, and asks for a refetch since nothing was replayed', async () => {
    const t = start();
    await goOnline(t);
    const stream = t.fake.next('events');
    expect(stream.args.slice(0, 2)).toEqual(['tok', null]);
    stream.handlers?.onOpen();
    await flush();
    expect(t.snapshot().hasTag('live')).toBe(true);
    expect(t.sent('push.resync')).toHaveLength(1);
    expect(t.sent('connection.changed').at(-1)).toMatchObject({ online: true, transport: 'live' });
  });

  it('hands a burst of pushed events over as one batch per frame', async () => {
    const t = start();
    await goOnline(t);
    const stream = t.fake.next('events');
    stream.handlers?.onOpen();
    for (let i = 1; i <= 15; i++) {
      stream.handlers?.onEvent({ id: `e-${i}`, type: 'friend', data: { username: `user${i}` } });
    }
    expect(t.sent('push.batch')).toHaveLength(0);
    t.frames.run();
    const batches = t.sent('push.batch');
    expect(batches).toHaveLength(1);
    expect(batches[0]?.events).toHaveLength(15);
    expect(t.snapshot().context.lastEventId).toBe('e-15');
  });

  it('resumes the stream with Last-Event-ID after it ends, without a refetch', async () => {
    const t = start();
    await goOnline(t);
    const stream = t.fake.next('events');
    stream.handlers?.onOpen();
    stream.handlers?.onEvent({ id: 'e-7', type: 'friend', data: { username: 'bob' } });
    t.frames.run();
    stream.resolve(undefined);
    await flush();
    advance(t.clock, 999);
    expect(t.fake.open('events')).toHaveLength(0);
    advance(t.clock, 1);
    const again = t.fake.next('events');
    expect(again.args[1]).toBe('e-7');
    again.handlers?.onOpen();
    await flush();
    expect(t.sent('push.resync')).toHaveLength(1);
  });

  it('asks for a refetch when the server answers reset', async () => {
    const t = start();
    await goOnline(t);
    const stream = t.fake.next('events');
    stream.handlers?.onOpen();
    stream.handlers?.onEvent({ id: 'e-9', type: 'reset', data: { reason: 'too old' } });
    t.frames.run();
    expect(t.sent('push.resync')).toHaveLength(2);
    expect(t.sent('push.batch')).toHaveLength(0);
  });

  it('polls when the backend has no stream, and probes for one again after 5 minutes', async () => {
    const t = start();
    await goOnline(t);
    t.fake.next('events').reject({ kind: 'http', status: 404, message: 'There is no GET /api/events here.' });
    await flush();
    expect(t.snapshot().hasTag('polling')).toBe(true);
    expect(t.sent('connection.changed').at(-1)).toMatchObject({ online: true, transport: 'polling' });
    advance(t.clock, 299_999);
    expect(t.fake.open('events')).toHaveLength(0);
    advance(t.clock, 1);
    expect(t.fake.open('events')).toHaveLength(1);
  });

  it('falls back to polling after three stream failures in a row, and probes again after a minute', async () => {
    const t = start();
    await goOnline(t);
    const broken: ApiFailure = { kind: 'decode', message: 'The stream sent something that is not an event.' };
    t.fake.next('events').reject(broken);
    await flush();
    advance(t.clock, 1000);
    t.fake.next('events').reject(broken);
    await flush();
    advance(t.clock, 2000);
    t.fake.next('events').reject(broken);
    await flush();
    expect(t.snapshot().hasTag('polling')).toBe(true);
    advance(t.clock, 59_999);
    expect(t.fake.open('events')).toHaveLength(0);
    advance(t.clock, 1);
    expect(t.fake.open('events')).toHaveLength(1);
  });

  it('reports an expired session when the status names no user for its token', async () => {
    const t = start();
    t.fake.next('status').resolve({ ...status, user: null });
    await flush();
    expect(t.sent('session.expired')).toHaveLength(1);
    expect(t.snapshot().hasTag('online')).toBe(false);
  });

  it('goes offline when the stream cannot reach the server', async () => {
    const t = start();
    await goOnline(t);
    t.fake.next('events').reject(down);
    await flush();
    expect(t.snapshot().hasTag('offline')).toBe(true);
  });

  it('leaves nothing running when stopped: requests aborted, no timers pending', async () => {
    const t = start();
    await goOnline(t);
    const stream = t.fake.next('events');
    advance(t.clock, 10_000);
    const check = t.fake.next('status');
    t.parent.stop();
    expect(stream.signal.aborted).toBe(true);
    expect(check.signal.aborted).toBe(true);
    expect(pendingTimers(t.clock)).toBe(0);
  });
});
