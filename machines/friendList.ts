/**
 * Pure helpers for the friends list, kept apart from the chart (friendsMachine.ts). Each keeps the array
 * it was given when nothing changes, so the caller can leave its context (and the snapshot) as it was.
 */
import type { FriendBody, PushEvent } from './ports';

/**
 * A kept list as shown before the server answers: sorted, and everyone `offline`, since who is online now
 * is unknown (the rest, `lastSeen` and unread counts included, is as last known).
 */
export const asLastKnown = (kept: FriendBody[]): FriendBody[] =>
  kept.map((f) => (f.online ? { ...f, online: false } : f)).sort(byUsername);

/** The list with `peer`'s conversation read: the person is looking at it. */
export const markRead = (friends: FriendBody[], peer: string | null): FriendBody[] =>
  friends.map((f) => (f.username === peer && f.unread > 0 ? { ...f, unread: 0 } : f));

export const byUsername = (a: FriendBody, b: FriendBody) =>
  a.username < b.username ? -1 : a.username > b.username ? 1 : 0;

const sameFriend = (a: FriendBody, b: FriendBody | undefined) =>
  b !== undefined &&
  a.username === b.username &&
  a.online === b.online &&
  a.lastSeen === b.lastSeen &&
  a.unread === b.unread &&
  a.lastMessageId === b.lastMessageId;

/**
 * A fetched list as the context keeps it: sorted, the open conversation counted as read (it is on screen,
 * whatever the server counted before the conversation's own fetch), and `current` itself when nothing
 * differs, so a backend without ETags does not cause an update on every poll.
 */
export function withFetched(
  current: FriendBody[],
  fetched: FriendBody[],
  openPeer: string | null,
): FriendBody[] {
  const next = markRead(fetched, openPeer).sort(byUsername);
  return next.length === current.length && next.every((f, i) => sameFriend(f, current[i])) ? current : next;
}

/**
 * A pushed batch applied to the list: presence, and for each message the conversation's last id and (when
 * received, new, and not in the open conversation) one more unread. A message at or below the friend's
 * `lastMessageId` is a replay the list already counts. Null when nothing changed.
 */
export function applyFriendEvents(
  friends: FriendBody[],
  events: readonly PushEvent[],
  openPeer: string | null,
): FriendBody[] | null {
  let next: FriendBody[] | null = null;
  const update = (username: string, change: (f: FriendBody) => FriendBody | null) => {
    const list = next ?? friends;
    const index = list.findIndex((f) => f.username === username);
    const friend = list[index];
    const changed = friend && change(friend);
    if (!changed) return;
    next ??= [...friends];
    next[index] = changed;
  };
  for (const event of events) {
    if (event.type === 'presence') {
      const { username, online, lastSeen } = event.data;
      update(username, (f) =>
        f.online === online && f.lastSeen === lastSeen ? null : { ...f, online, lastSeen },
      );
    } else if (event.type === 'message') {
      const m = event.data;
      update(m.peer, (f) =>
        f.lastMessageId !== null && m.id <= f.lastMessageId
          ? null
          : {
              ...f,
              lastMessageId: m.id,
              unread: f.unread + (m.direction === 'received' && m.peer !== openPeer ? 1 : 0),
            },
      );
    }
  }
  return next;
}
