import type { MockHub } from './hub';
import type { MockStore } from './store';

/**
 * Presence as API.md defines it and the reference server computes it: online while holding an event
 * stream or within `windowMs` of the last authenticated call; `lastSeen` moves only when a user comes
 * online or goes offline. The server sweeps on a timer; the mock sweeps lazily at the start of every
 * request (and when a test calls `state.sweepPresence()`), so time is only ever read from `now`.
 */
interface Entry {
  online: boolean;
  lastActivity: number;
  lastSeen: number;
  streams: number;
}

export type MockPresence = ReturnType<typeof createMockPresence>;

export function createMockPresence(deps: {
  store: MockStore;
  hub: MockHub;
  now: () => number;
  windowMs: number;
}) {
  const { store, hub, now, windowMs } = deps;
  const entries = new Map<number, Entry>();

  const announce = (userId: number, entry: Entry) => {
    const user = store.userById(userId);
    user.lastSeen = entry.lastSeen;
    const data = { username: user.username, online: entry.online, lastSeen: entry.lastSeen };
    for (const friendId of store.friendIds(userId)) hub.publish(friendId, { type: 'presence', data });
  };

  const activity = (userId: number, stream: 0 | 1) => {
    const at = now();
    const entry = entries.get(userId);
    if (entry) {
      entry.lastActivity = at;
      entry.streams += stream;
      if (entry.online) return;
      entry.online = true;
      entry.lastSeen = at;
      announce(userId, entry);
      return;
    }
    const fresh: Entry = { online: true, lastActivity: at, lastSeen: at, streams: stream };
    entries.set(userId, fresh);
    announce(userId, fresh);
  };

  return {
    /** An authenticated call: a heartbeat. */
    touch: (userId: number) => activity(userId, 0),
    streamOpened: (userId: number) => activity(userId, 1),
    /** A closed stream counts as activity, so a connection that comes straight back does not flap. */
    streamClosed(userId: number) {
      const entry = entries.get(userId);
      if (!entry) return;
      entry.streams = Math.max(0, entry.streams - 1);
      entry.lastActivity = now();
    },
    isOnline: (userId: number): boolean => entries.get(userId)?.online ?? false,
    lastSeen: (userId: number): number | undefined => entries.get(userId)?.lastSeen,
    /** Takes offline everyone whose window has passed, telling their friends. */
    sweep() {
      const at = now();
      for (const [userId, entry] of entries) {
        if (!entry.online || entry.streams > 0 || at - entry.lastActivity < windowMs) continue;
        entry.online = false;
        entry.lastSeen = entry.lastActivity;
        entries.delete(userId);
        announce(userId, entry);
      }
    },
    reset() {
      entries.clear();
    },
  };
}
