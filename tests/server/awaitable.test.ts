/**
 * Reads answered from memory come back as values, so a conditional poll runs without a promise; a store that
 * answers with promises (as a PostgreSQL store will) must still serve every route the same way.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { andThen } from '../../src/server/awaitable';
import type { ServerContext } from '../../src/server/context';
import { createSecretCheck, newToken } from '../../src/server/credentials';
import { createMemoryHub } from '../../src/server/hub';
import { createPresence } from '../../src/server/presence';
import { requireUser } from '../../src/server/routes/auth';
import { withCache } from '../../src/server/store/cached';
import { openSqliteStore } from '../../src/server/store/sqlite';
import type { Store } from '../../src/server/store/store';
import { bearer, befriend, makeApp, register, send, testClock } from './helpers';

describe('andThen', () => {
  it('continues at once with a value, and after the promise with a promise', async () => {
    expect(andThen(2, (n) => n * 3)).toBe(6);
    const later = andThen(Promise.resolve(2), (n) => n * 3);
    expect(later).toBeInstanceOf(Promise);
    expect(await later).toBe(6);
  });

  it('throws synchronously for a value and rejects for a promise', async () => {
    const boom = () => {
      throw new Error('boom');
    };
    expect(() => andThen(1, boom)).toThrow('boom');
    await expect(andThen(Promise.resolve(1), boom)).rejects.toThrow('boom');
  });
});

/** A store whose every method answers with a promise, resolved on a later tick, like a networked database. */
function promisingStore(inner: Store): Store {
  return new Proxy(inner, {
    get(target, key) {
      const value = Reflect.get(target, key);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) =>
        new Promise((resolve, reject) =>
          setImmediate(() => {
            try {
              resolve(value.apply(target, args));
            } catch (error) {
              reject(error);
            }
          }),
        );
    },
  });
}

describe('the sign-in hook', () => {
  async function setUp(store: Store) {
    const clock = testClock();
    const cached = withCache(store, { now: clock.now });
    const hub = createMemoryHub({ now: clock.now });
    const ctx = {
      store: cached,
      presence: createPresence({ store: cached, hub, now: clock.now }),
      secretCheck: createSecretCheck(),
    } as unknown as ServerContext;
    const alice = await cached.createUser('alice', 'hash', clock.now());
    const { token, id, secretHash } = newToken();
    await cached.createToken(id, alice!.id, secretHash, clock.now());
    const request = (authorization: string) =>
      ({ headers: { authorization }, user: null }) as unknown as FastifyRequest;
    /** Runs the hook; answers whether it finished before returning, and with what. */
    const run = async (authorization: string) => {
      const req = request(authorization);
      let outcome: { error: unknown } | undefined;
      requireUser(ctx)(req, {} as FastifyReply, (error?: unknown) => {
        outcome = { error };
      });
      const synchronous = outcome !== undefined;
      while (outcome === undefined) await new Promise((r) => setImmediate(r));
      return { synchronous, error: outcome.error, user: req.user };
    };
    return { token, run };
  }

  it('admits a known token without waiting once the token is in memory', async () => {
    const { token, run } = await setUp(openSqliteStore(':memory:'));
    const first = await run(`Bearer ${token}`);
    expect(first.error).toBeUndefined();
    expect(first.user).toMatchObject({ username: 'alice' });
    const again = await run(`Bearer ${token}`);
    expect(again).toMatchObject({ synchronous: true, error: undefined, user: { username: 'alice' } });
  });

  it('refuses a wrong secret and a malformed header with 401, cached or not', async () => {
    const { token, run } = await setUp(openSqliteStore(':memory:'));
    const wrong = `Bearer ${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    for (const header of [wrong, 'Bearer nope', '']) {
      const outcome = await run(header);
      expect(outcome.error).toMatchObject({ status: 401, code: 'unauthorized' });
      expect(outcome.user).toBeNull();
    }
  });

  it('waits for a store that answers with promises, and admits or refuses the same', async () => {
    const { token, run } = await setUp(promisingStore(openSqliteStore(':memory:')));
    const first = await run(`Bearer ${token}`);
    expect(first).toMatchObject({ synchronous: false, error: undefined, user: { username: 'alice' } });
    expect((await run('Bearer x')).error).toMatchObject({ status: 401 });
  });
});

describe('a store that answers with promises', () => {
  it('serves sign-up, friends, sends and polls as the SQLite store does', async () => {
    const app = await makeApp({ store: promisingStore(openSqliteStore(':memory:')) });
    try {
      const alice = await register(app, 'alice');
      const bob = await register(app, 'bob');
      await register(app, 'carol');
      await befriend(app, alice, 'bob');
      expect((await send(app, bob, 'alice', 'hi', 'c-1')).statusCode).toBe(201);
      const poll = (url: string, headers = {}) =>
        app.inject({ method: 'GET', url, headers: { ...bearer(alice), ...headers } });
      const first = await poll('/api/messages?peer=bob');
      expect(first.statusCode).toBe(200);
      expect(first.json()).toMatchObject([{ content: 'hi', direction: 'received', delivered: true }]);
      const again = await poll('/api/messages?peer=bob', { 'if-none-match': first.headers.etag });
      expect(again.statusCode).toBe(304);
      expect((await poll('/api/messages?peer=carol')).statusCode).toBe(403);
      expect((await poll('/api/messages?peer=nobody')).statusCode).toBe(404);
      expect((await poll('/api/messages?peer=bob&after=x')).statusCode).toBe(400);
      const signedOut = await app.inject({ method: 'GET', url: '/api/messages?peer=bob' });
      expect(signedOut.statusCode).toBe(401);
    } finally {
      await app.close();
    }
  });
});
