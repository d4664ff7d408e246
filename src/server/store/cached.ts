import { andThen } from '../awaitable';
import type { Store, TokenRecord, UserRecord } from './store';

export interface CacheOptions {
  now: () => number;
  /** Entries kept per cache; the least recently used go first. */
  maxEntries?: number;
  /**
   * How long a token is trusted without asking the store again (default: the store's `tokenTrustMs`, else
   * 60 s). Revocation through this process clears it at once; the limit only bounds how long another
   * instance's logout could go unseen.
   */
  tokenTtlMs?: number;
}

/**
 * A small LRU map: Map keeps insertion order, so re-inserting on read makes the first key the oldest.
 * Reads reorder only once the map is half full: until then nothing can be evicted, and a delete and a set
 * on every read (every request) churns the Map's table into rehashing, the costliest step of a cached poll.
 */
function lru<K, V>(max: number) {
  const map = new Map<K, V>();
  return {
    get(key: K): V | undefined {
      const value = map.get(key);
      if (value !== undefined && map.size > max / 2) {
        map.delete(key);
        map.set(key, value);
      }
      return value;
    },
    set(key: K, value: V) {
      map.delete(key);
      map.set(key, value);
      if (map.size > max) map.delete(map.keys().next().value as K);
    },
    delete: (key: K) => map.delete(key),
  };
}

/**
 * Keeps in memory what every request asks and what seldom changes: who a token belongs to, users by name,
 * and friendships (which are never removed). Each poll then costs one or two statements instead of five.
 * A decorator over any Store, so a PostgreSQL store gets the same cache.
 */
export function withCache(store: Store, options: CacheOptions): Store {
  const max = options.maxEntries ?? 10_000;
  const ttl = options.tokenTtlMs ?? store.tokenTrustMs ?? 60_000;
  const tokens = lru<string, { record: TokenRecord; until: number }>(max);
  const users = lru<string, UserRecord>(max);
  const friendships = lru<string, true>(max * 4);
  const names = lru<number, string>(max);
  const remember = (user: UserRecord) => {
    users.set(user.username, user);
    names.set(user.id, user.username);
  };

  return {
    ...store,
    async createUser(username, passwordHash, now) {
      const user = await store.createUser(username, passwordHash, now);
      if (user) remember(user);
      return user;
    },
    findUserByName(username) {
      const cached = users.get(username);
      if (cached) return cached;
      return andThen(store.findUserByName(username), (user) => {
        if (user) remember(user);
        return user;
      });
    },
    async setLastSeen(userId, at) {
      await store.setLastSeen(userId, at);
      // `lastSeen` is the one user field that changes; a cached record must not show an old value.
      const name = names.get(userId);
      const user = name === undefined ? undefined : users.get(name);
      if (user) users.set(user.username, { ...user, lastSeen: at });
    },
    findToken(tokenId) {
      const cached = tokens.get(tokenId);
      if (cached && cached.until > options.now()) return cached.record;
      return andThen(store.findToken(tokenId), (record) => {
        if (record) tokens.set(tokenId, { record, until: options.now() + ttl });
        else tokens.delete(tokenId);
        return record;
      });
    },
    async revokeToken(tokenId) {
      tokens.delete(tokenId);
      await store.revokeToken(tokenId);
    },
    async addFriendship(a, b, now) {
      const added = await store.addFriendship(a, b, now);
      friendships.set(`${a}:${b}`, true);
      friendships.set(`${b}:${a}`, true);
      return added;
    },
    areFriends(a, b) {
      if (friendships.get(`${a}:${b}`)) return true;
      return andThen(store.areFriends(a, b), (friends) => {
        if (friends) friendships.set(`${a}:${b}`, true);
        return friends;
      });
    },
  };
}
