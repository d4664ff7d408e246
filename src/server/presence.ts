import type { Hub } from './hub';
import type { Store } from './store/store';

/**
 * Presence as API.md defines it: a user is online while they hold an event stream or made an
 * authenticated call in the last `windowMs`. `lastSeen` changes only when a user comes online or goes
 * offline, so the friends list (and its ETag) stays still between changes. Friends are told through the
 * hub. The state is per process and in memory: after a restart everybody starts offline.
 */
export interface Presence {
  /** An authenticated call: a heartbeat. Synchronous (no promise) when it changes nothing, as almost always. */
  touch(userId: number, username: string): Promise<void> | undefined;
  streamOpened(userId: number, username: string): Promise<void> | undefined;
  /** A closed stream counts as activity, so a dropped connection that comes back at once does not flap. */
  streamClosed(userId: number): void;
  isOnline(userId: number): boolean;
  lastSeen(userId: number): number | null | undefined;
  /** Takes offline everyone whose window has passed; runs on a timer, and directly in tests. */
  sweep(): Promise<void>;
}

interface Entry {
  username: string;
  online: boolean;
  lastActivity: number;
  lastSeen: number;
  streams: number;
}

export function createPresence(deps: {
  store: Store;
  hub: Hub;
  now: () => number;
  windowMs?: number;
}): Presence {
  const { store, hub, now } = deps;
  const windowMs = deps.windowMs ?? 25_000;
  const entries = new Map<number, Entry>();

  const announce = async (userId: number, entry: Entry) => {
    await store.setLastSeen(userId, entry.lastSeen);
    const data = { username: entry.username, online: entry.online, lastSeen: entry.lastSeen };
    for (const friendId of await store.friendIds(userId)) hub.publish(friendId, { type: 'presence', data });
  };

  const activity = (userId: number, username: string, stream: 0 | 1): Promise<void> | undefined => {
    const at = now();
    const entry = entries.get(userId);
    if (entry) {
      entry.lastActivity = at;
      entry.streams += stream;
      if (entry.online) return undefined;
      entry.online = true;
      entry.lastSeen = at;
      return announce(userId, entry);
    }
    const fresh: Entry = { username, online: true, lastActivity: at, lastSeen: at, streams: stream };
    entries.set(userId, fresh);
    return announce(userId, fresh);
  };

  return {
    touch: (userId, username) => activity(userId, username, 0),
    streamOpened: (userId, username) => activity(userId, username, 1),
    streamClosed(userId) {
      const entry = entries.get(userId);
      if (!entry) return;
      entry.streams = Math.max(0, entry.streams - 1);
      entry.lastActivity = now();
    },
    isOnline: (userId) => entries.get(userId)?.online ?? false,
    lastSeen: (userId) => entries.get(userId)?.lastSeen,
    async sweep() {
      const at = now();
      for (const [userId, entry] of entries) {
        if (!entry.online || entry.streams > 0 || at - entry.lastActivity < windowMs) continue;
        entry.online = false;
        entry.lastSeen = entry.lastActivity;
        entries.delete(userId);
        await announce(userId, entry);
      }
    },
  };
}
