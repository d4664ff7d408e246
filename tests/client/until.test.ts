/**
 * `client.until()` waits on the actor system's own changes, not on a timer: nothing runs while nothing
 * changes, and a waiter wakes in the same tick as the change that satisfies it.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createParleyClient, type ParleyClient } from '../../src/client';
import { createFakeApi } from '../machines/fakeApi';

let client: ParleyClient;
let fake: ReturnType<typeof createFakeApi>;

beforeEach(() => {
  vi.useFakeTimers();
  fake = createFakeApi();
  client = createParleyClient({ baseUrl: 'http://127.0.0.1:1', api: fake.api });
});

afterEach(async () => {
  await client.stop();
  vi.useRealTimers();
});

/** Lets promise callbacks run, without moving the clock. */
const flush = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

const signedOut = () => client.actor.getSnapshot().hasTag('signedOut');
const busy = () => client.actor.getSnapshot().hasTag('busy');

describe('client.until', () => {
  it('resolves at once when the condition already holds', async () => {
    await expect(client.until(() => true)).resolves.toBeUndefined();
  });

  it('wakes in the same tick as the change that satisfies it, with the clock standing still', async () => {
    await client.until(() => !client.actor.getSnapshot().hasTag('loading'), 1000, 'the stored session');
    expect(signedOut()).toBe(true);
    let woken = false;
    void client.until(busy, 60_000, 'sign-in to start').then(() => {
      woken = true;
    });
    await flush();
    expect(woken).toBe(false);

    client.actor.send({ type: 'session.login', username: 'alice', password: 'correct horse' });
    await flush();
    expect(woken).toBe(true);
  });

  it('checks nothing while nothing changes: a minute of waiting costs no work', async () => {
    await client.until(() => !client.actor.getSnapshot().hasTag('loading'), 1000, 'the stored session');
    const check = vi.fn(() => false);
    const waiting = client.until(check, 120_000, 'something that never happens');
    waiting.catch(() => {});
    await vi.advanceTimersByTimeAsync(60_000);
    // Signed out, the system is idle: the one check made when the wait began is the only one.
    expect(check).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(60_000);
    await expect(waiting).rejects.toThrow('something that never happens');
  });

  it('rejects after its timeout with an error naming what it waited for, and then stops checking', async () => {
    const check = vi.fn(() => false);
    const waiting = client.until(check, 2000, 'bob to answer');
    waiting.catch(() => {});
    await vi.advanceTimersByTimeAsync(1999);
    let settled = false;
    void waiting.then(
      () => {},
      () => {
        settled = true;
      },
    );
    await flush();
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await expect(waiting).rejects.toThrow('timed out after 2000 ms waiting for bob to answer');

    const calls = check.mock.calls.length;
    client.actor.send({ type: 'session.login', username: 'alice', password: 'correct horse' });
    await flush();
    expect(check).toHaveBeenCalledTimes(calls);
  });

  it('stops listening once it has resolved', async () => {
    await client.until(() => !client.actor.getSnapshot().hasTag('loading'), 1000, 'the stored session');
    let calls = 0;
    await Promise.all([
      client.until(() => {
        calls++;
        return busy();
      }),
      Promise.resolve().then(() =>
        client.actor.send({ type: 'session.login', username: 'alice', password: 'correct horse' }),
      ),
    ]);
    const afterResolve = calls;
    fake.calls.find((c) => c.method === 'login')?.reject(new Error('no'));
    await flush();
    expect(calls).toBe(afterResolve);
  });

  it('rejects with the error of a check that throws', async () => {
    await client.until(() => !client.actor.getSnapshot().hasTag('loading'), 1000, 'the stored session');
    let armed = false;
    const waiting = client.until(() => {
      if (armed) throw new Error('the check broke');
      return false;
    });
    armed = true;
    client.actor.send({ type: 'session.login', username: 'alice', password: 'correct horse' });
    await expect(waiting).rejects.toThrow('the check broke');
  });
});
