/**
 * The one change feed of the automation server: fed by the actor system (every snapshot any actor takes,
 * through the system's inspection stream), it works out which resources changed and tells every delivery
 * path (the stdio connection, each 2025 session, the 2026 HTTP handler's notifier), each of which sends only
 * what its client subscribed to.
 *
 * Bursts are batched like the original design's debounce timer: a change waits `quietMs` for the next one,
 * and a steady stream still goes out every `maxWaitMs`, so 50 messages in a second give a handful of
 * notifications, not 50. Listeners are called on a copy of the set, so a listener may subscribe or
 * unsubscribe (itself or another) while it is being called.
 */
import type { FriendBody, MessageBody } from '../../machines/ports';
import type { ParleyClient } from '../client';

export const FRIENDS_URI = 'parley://friends';
export const conversationUri = (peer: string) => `parley://conversations/${peer}`;

export interface Change {
  /** Resources whose contents changed. */
  updated: string[];
  /** The list of resources changed (a friend was added or removed). */
  listChanged: boolean;
}
export type ChangeListener = (change: Change) => void;

export interface FeedOptions {
  quietMs?: number;
  maxWaitMs?: number;
}

export type ChangeFeed = ReturnType<typeof createChangeFeed>;

export function createChangeFeed(client: ParleyClient, options: FeedOptions = {}) {
  const quietMs = options.quietMs ?? 100;
  const maxWaitMs = options.maxWaitMs ?? 500;
  const listeners = new Set<ChangeListener>();
  const pending = new Set<string>();
  let listChanged = false;
  let quiet: ReturnType<typeof setTimeout> | null = null;
  let deadline: ReturnType<typeof setTimeout> | null = null;

  let friends: readonly FriendBody[] = client.friends();
  const conversations = new Map<string, readonly MessageBody[]>();

  function flush() {
    if (quiet) clearTimeout(quiet);
    if (deadline) clearTimeout(deadline);
    quiet = deadline = null;
    if (pending.size === 0 && !listChanged) return;
    const change: Change = { updated: [...pending], listChanged };
    pending.clear();
    listChanged = false;
    for (const listener of [...listeners]) {
      try {
        listener(change);
      } catch (error) {
        console.error('Parley MCP: a change listener failed:', error);
      }
    }
  }

  function schedule() {
    if (quiet) clearTimeout(quiet);
    quiet = setTimeout(flush, quietMs);
    deadline ??= setTimeout(flush, maxWaitMs);
  }

  function compare() {
    let changed = false;
    const now = client.friends();
    if (now !== friends) {
      const before = new Map(friends.map((f) => [f.username, f]));
      if (now.length !== friends.length || now.some((f) => !before.has(f.username)))
        listChanged = changed = true;
      let friendsChanged = listChanged;
      for (const f of now) {
        const old = before.get(f.username);
        if (old && (old.online !== f.online || old.lastSeen !== f.lastSeen || old.unread !== f.unread))
          friendsChanged = true;
        if (old && old.lastMessageId !== f.lastMessageId) {
          pending.add(conversationUri(f.username));
          changed = true;
        }
      }
      if (friendsChanged) {
        pending.add(FRIENDS_URI);
        changed = true;
      }
      friends = now;
    }
    for (const f of now) {
      const messages = client.watched(f.username)?.messages;
      if (messages === undefined) {
        conversations.delete(f.username);
        continue;
      }
      const held = conversations.get(f.username);
      if (held !== undefined && held !== messages) {
        pending.add(conversationUri(f.username));
        changed = true;
      }
      conversations.set(f.username, messages);
    }
    if (changed) schedule();
  }

  const subscription = client.actor.system.inspect((event) => {
    if (event.type === '@xstate.snapshot') compare();
  });

  return {
    subscribe(listener: ChangeListener): () => void {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    /** How many listeners are subscribed (a closed session must leave none behind). */
    size: () => listeners.size,
    /** Sends what is pending now (tests; and on stop). */
    flush,
    close() {
      subscription.unsubscribe();
      if (quiet) clearTimeout(quiet);
      if (deadline) clearTimeout(deadline);
      listeners.clear();
    },
  };
}
