import { describe, expect, it } from 'vitest';
import { withCache } from '../../src/server/store/cached';
import { openSqliteStore } from '../../src/server/store/sqlite';
import { testClock } from './helpers';

/** A store that counts the calls that reach it. */
function counted() {
  const inner = openSqliteStore(':memory:');
  const calls: Record<string, number> = {};
  const store = new Proxy(inner, {
    get(target, key: string) {
      const value = Reflect.get(target, key);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls[key] = (calls[key] ?? 0) + 1;
        return value.apply(target, args);
      };
    },
  });
  return { store, calls, inner };
}

describe('the store cache', () => {
  it('answers repeated token, user and friendship look-ups from memory', async () => {
    const clock = testClock();
    const { store, calls } = counted();
    const cached = withCache(store, { now: clock.now });
    const alice = await cached.createUser('alice', 'h', 1);
    const bob = await cached.createUser('bob', 'h', 1);
    await cached.createToken('tokenid', alice!.id, Buffer.alloc(32), 1);
    await cached.addFriendship(alice!.id, bob!.id, 1);
    for (let i = 0; i < 5; i++) {
      expect(await cached.findToken('tokenid')).toMatchObject({ username: 'alice' });
      expect(await cached.findUserByName('bob')).toMatchObject({ id: bob!.id });
      expect(await cached.areFriends(bob!.id, alice!.id)).toBe(true);
    }
    expect(calls.findToken).toBe(1);
    expect(calls.findUserByName ?? 0).toBe(0);
    expect(calls.areFriends ?? 0).toBe(0);
  });

  it('forgets a token at once when it is revoked through it', async () => {
    const clock = testClock();
    const { store } = counted();
    const cached = withCache(store, { now: clock.now });
    const alice = await cached.createUser('alice', 'h', 1);
    await cached.createToken('tokenid', alice!.id, Buffer.alloc(32), 1);
    expect(await cached.findToken('tokenid')).not.toBeNull();
    await cached.revokeToken('tokenid');
    expect(await cached.findToken('tokenid')).toBeNull();
  });

  it('trusts a cached token for at most the TTL when it is revoked elsewhere (another instance)', async () => {
    const clock = testClock();
    const { store, inner } = counted();
    const cached = withCache(store, { now: clock.now, tokenTtlMs: 60_000 });
    const alice = await cached.createUser('alice', 'h', 1);
    await cached.createToken('tokenid', alice!.id, Buffer.alloc(32), 1);
    await cached.findToken('tokenid');
    await inner.revokeToken('tokenid');
    clock.advance(59_999);
    expect(await cached.findToken('tokenid')).not.toBeNull();
    clock.advance(1);
    expect(await cached.findToken('tokenid')).toBeNull();
  });

  it('trusts a cached token no longer than a store shared by instances allows (its tokenTrustMs)', async () => {
    const clock = testClock();
    const inner = openSqliteStore(':memory:');
    const cached = withCache({ ...inner, tokenTrustMs: 500 }, { now: clock.now });
    const alice = await cached.createUser('alice', 'h', 1);
    await cached.createToken('tokenid', alice!.id, Buffer.alloc(32), 1);
    await cached.findToken('tokenid');
    await inner.revokeToken('tokenid');
    clock.advance(499);
    expect(await cached.findToken('tokenid')).not.toBeNull();
    clock.advance(1);
    expect(await cached.findToken('tokenid')).toBeNull();
  });

  it('does not remember that two users are not friends, so a new friendship counts at once', async () => {
    const { store } = counted();
    const other = withCache(store, { now: Date.now });
    const cached = withCache(store, { now: Date.now });
    const a = await cached.createUser('alice', 'h', 1);
    const b = await cached.createUser('bob', 'h', 1);
    expect(await cached.areFriends(a!.id, b!.id)).toBe(false);
    await other.addFriendship(a!.id, b!.id, 1);
    expect(await cached.areFriends(a!.id, b!.id)).toBe(true);
  });

  it('keeps at most maxEntries tokens', async () => {
    const clock = testClock();
    const { store, calls } = counted();
    const cached = withCache(store, { now: clock.now, maxEntries: 2 });
    const alice = await cached.createUser('alice', 'h', 1);
    for (const id of ['t1', 't2', 't3']) {
      await cached.createToken(id, alice!.id, Buffer.alloc(32), 1);
      await cached.findToken(id);
    }
    const before = calls.findToken ?? 0;
    await cached.findToken('t3');
    await cached.findToken('t2');
    expect(calls.findToken).toBe(before);
    await cached.findToken('t1');
    expect(calls.findToken).toBe(before + 1);
  });

  it('evicts the least recently used token, not the oldest, once the cache fills up', async () => {
    const clock = testClock();
    const { store, calls } = counted();
    const cached = withCache(store, { now: clock.now, maxEntries: 4 });
    const alice = await cached.createUser('alice', 'h', 1);
    for (const id of ['t1', 't2', 't3', 't4']) {
      await cached.createToken(id, alice!.id, Buffer.alloc(32), 1);
      await cached.findToken(id);
    }
    await cached.findToken('t1'); // now the most recently used
    await cached.createToken('t5', alice!.id, Buffer.alloc(32), 1);
    await cached.findToken('t5'); // evicts t2
    const before = calls.findToken ?? 0;
    await cached.findToken('t1');
    expect(calls.findToken).toBe(before);
    await cached.findToken('t2');
    expect(calls.findToken).toBe(before + 1);
  });
});
