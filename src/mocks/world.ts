import type { FriendBody, MessageBody } from '../contract';
import { MockHttpError } from './http';
import { createMockHub } from './hub';
import { createMockPresence } from './presence';
import { createMockStore, type MockMessage, type MockPage, type MockUser } from './store';

/**
 * What the routes do, apart from HTTP: the same steps and refusals as src/server/routes, shared by the
 * MSW handlers and by the seeding helpers of `state`, so seeded data behaves exactly like sent data.
 */
export type MockWorld = ReturnType<typeof createWorld>;

export interface WorldOptions {
  now: () => number;
  presenceWindowMs: number;
}

/** A stored message as one side of the conversation sees it. */
export const messageFor = (viewerId: number, peer: string, m: MockMessage): MessageBody => ({
  id: m.id,
  direction: m.senderId === viewerId ? 'sent' : 'received',
  peer,
  content: m.content,
  timestamp: m.timestamp,
  delivered: m.delivered,
  clientId: m.clientId,
});

export function createWorld(options: WorldOptions) {
  const { now } = options;
  const store = createMockStore();
  const hub = createMockHub({ now });
  const presence = createMockPresence({ store, hub, now, windowMs: options.presenceWindowMs });

  /** The peer named in a request, who must exist (404) and be a friend (403). */
  const friendNamed = (me: MockUser, username: string): MockUser => {
    const peer = store.userByName(username);
    if (!peer) throw new MockHttpError('not_found', `There is no user "${username}".`);
    if (peer.id === me.id || !store.areFriends(me.id, peer.id)) {
      throw new MockHttpError(
        'forbidden',
        `You can exchange messages only with friends, and ${username} is not one.`,
      );
    }
    return peer;
  };

  return {
    store,
    hub,
    presence,
    now,

    register(username: string, password: string): { user: MockUser; token: string } {
      const user = store.createUser(username, password);
      if (!user) throw new MockHttpError('conflict', `The username "${username}" is taken.`);
      presence.touch(user.id);
      return { user, token: store.issueToken(user.id) };
    },

    // No failed-login limit here (the server allows 10 a minute per name): tests of 429 use the server.
    login(username: string, password: string): { user: MockUser; token: string } {
      const user = store.userByName(username);
      if (!user || user.password !== password) {
        throw new MockHttpError('unauthorized', 'The username or password is wrong.');
      }
      presence.touch(user.id);
      return { user, token: store.issueToken(user.id) };
    },

    addFriend(me: MockUser, username: string): MockUser {
      if (username === me.username) {
        throw new MockHttpError('bad_request', 'You cannot add yourself as a friend.');
      }
      const other = store.userByName(username);
      if (!other) throw new MockHttpError('not_found', `There is no user "${username}".`);
      if (!store.addFriendship(me.id, other.id)) {
        throw new MockHttpError('conflict', `You and ${username} are already friends.`);
      }
      hub.publish(other.id, { type: 'friend', data: { username: me.username } });
      hub.publish(me.id, { type: 'friend', data: { username: other.username } });
      return other;
    },

    friendsOf(me: MockUser): FriendBody[] {
      return store
        .friendIds(me.id)
        .map((id) => store.userById(id))
        .sort((a, b) => (a.username < b.username ? -1 : a.username > b.username ? 1 : 0))
        .map((f) => ({
          username: f.username,
          online: presence.isOnline(f.id),
          lastSeen: presence.lastSeen(f.id) ?? f.lastSeen,
          unread: store.unread(me.id, f.id),
          lastMessageId: store.lastMessageId(me.id, f.id),
        }));
    },

    /** A page of the conversation (`'all'`: the whole of it); reading marks the received part delivered. */
    read(me: MockUser, peerName: string, page: MockPage | 'all'): MessageBody[] {
      const peer = friendNamed(me, peerName);
      const list = page === 'all' ? store.conversation(me.id, peer.id) : store.page(me.id, peer.id, page);
      // What the reader has now seen: this page, and with `after` everything up to the cursor.
      const after = page === 'all' ? 0 : (page.after ?? 0);
      const upTo = Math.max(after, list.at(-1)?.id ?? 0);
      if (upTo > 0) {
        for (const id of store.markRead(me.id, peer.id, upTo)) {
          hub.publish(peer.id, { type: 'delivered', data: { id, peer: me.username } });
        }
      }
      return list.map((m) => messageFor(me.id, peer.username, m));
    },

    /**
     * Stores a message once per (sender, clientId); a null clientId (the basic backend) always stores anew.
     * `delivered` is whether the recipient holds a stream that takes it now.
     */
    send(me: MockUser, to: string, content: string, clientId: string | null) {
      const peer = friendNamed(me, to);
      const first = clientId === null ? undefined : store.byClientId(me.id, clientId);
      if (first) return { message: first, created: false };
      const message = store.insertMessage({
        senderId: me.id,
        recipientId: peer.id,
        content,
        clientId,
        timestamp: now(),
        delivered: hub.hasStream(peer.id),
      });
      hub.publish(peer.id, { type: 'message', data: messageFor(peer.id, me.username, message) });
      hub.publish(me.id, { type: 'message', data: messageFor(me.id, peer.username, message) });
      return { message, created: true };
    },

    reset() {
      hub.reset();
      presence.reset();
      store.reset();
    },
  };
}
