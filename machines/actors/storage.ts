import { fromPromise } from 'xstate';
import type { FriendBody, KeptView, OutgoingMessage, ParleyStorage, Session } from '../ports';

/**
 * Durable storage as actors: the session, the outbox of messages the server does not have yet, the
 * last friends list fetched (shown at once on the next start, and while the server cannot be reached),
 * and the conversation that was open (opened again on the next start).
 */
export const createStorageActors = (storage: ParleyStorage) => ({
  loadSession: fromPromise<Session | null>(() => storage.loadSession()),
  saveSession: fromPromise<void, { session: Session | null }>(({ input }) =>
    storage.saveSession(input.session),
  ),
  loadOutbox: fromPromise<OutgoingMessage[], { username: string }>(({ input }) =>
    storage.loadOutbox(input.username),
  ),
  putOutgoing: fromPromise<void, { username: string; message: OutgoingMessage }>(({ input }) =>
    storage.putOutgoing(input.username, input.message),
  ),
  removeOutgoing: fromPromise<void, { username: string; clientId: string }>(({ input }) =>
    storage.removeOutgoing(input.username, input.clientId),
  ),
  loadFriends: fromPromise<FriendBody[] | null, { username: string }>(({ input }) =>
    storage.loadFriends(input.username),
  ),
  saveFriends: fromPromise<void, { username: string; friends: FriendBody[] }>(({ input }) =>
    storage.saveFriends(input.username, input.friends),
  ),
  forgetFriends: fromPromise<void, { username: string }>(({ input }) =>
    storage.forgetFriends(input.username),
  ),
  loadView: fromPromise<KeptView | null, { username: string }>(({ input }) =>
    storage.loadView(input.username),
  ),
  saveView: fromPromise<void, { username: string; view: KeptView | null }>(({ input }) =>
    storage.saveView(input.username, input.view),
  ),
});

/** A storage that forgets on restart: tests, and Node clients that need no durability. */
export function createMemoryStorage(): ParleyStorage & {
  outbox: Map<string, Map<string, OutgoingMessage>>;
  friends: Map<string, FriendBody[]>;
  views: Map<string, KeptView>;
} {
  let session: Session | null = null;
  const outbox = new Map<string, Map<string, OutgoingMessage>>();
  const friends = new Map<string, FriendBody[]>();
  const views = new Map<string, KeptView>();
  const of = (username: string) => {
    const box = outbox.get(username) ?? new Map<string, OutgoingMessage>();
    outbox.set(username, box);
    return box;
  };
  return {
    outbox,
    friends,
    views,
    async loadSession() {
      return session;
    },
    async saveSession(next) {
      session = next;
    },
    async loadOutbox(username) {
      return [...of(username).values()].sort((a, b) => a.createdAt - b.createdAt);
    },
    async putOutgoing(username, message) {
      of(username).set(message.clientId, message);
    },
    async removeOutgoing(username, clientId) {
      of(username).delete(clientId);
    },
    async loadFriends(username) {
      return friends.get(username) ?? null;
    },
    async saveFriends(username, list) {
      friends.set(username, list);
    },
    async forgetFriends(username) {
      friends.delete(username);
    },
    async loadView(username) {
      return views.get(username) ?? null;
    },
    async saveView(username, view) {
      if (view) views.set(username, view);
      else views.delete(username);
    },
  };
}
