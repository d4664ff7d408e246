import * as v from 'valibot';
import { type FriendBody, type MessageBody, UsernameInput } from '../contract';
import type { MockVariant } from './handlers';
import type { HubEvent, StreamSink } from './hub';
import { type MockWorld, messageFor } from './world';

export const DEFAULT_PASSWORD = 'correct horse';

/** A stream held by another device, without HTTP: it counts for presence and `delivered` like a real one. */
export interface MockStreamHandle {
  /** Every event the stream received, replay included, in order. */
  readonly events: HubEvent[];
  /** The id a resume from the stream's opening would pass as `Last-Event-ID`. */
  readonly position: string;
  close(): void;
}

/** Seeding and inspection for tests and the demo; each helper does what the matching call would. */
export interface MockState {
  /** Registers a user and answers a token for them. */
  addUser(username: string, password?: string): string;
  /** Another token for an existing user (a second device), without a password check. */
  signIn(username: string): string;
  /** Makes two users friends; both are told with a `friend` event. */
  befriend(a: string, b: string): void;
  /**
   * Stores a message as if `from` sent it: events for both sides, `delivered` when `to` holds a stream.
   * It is not a heartbeat of `from` (call `touch` for that). The clientId defaults to a fresh one on the
   * full backend and to null on the basic one.
   */
  addMessage(from: string, to: string, content: string, options?: { clientId?: string | null }): MessageBody;
  connectStream(username: string, lastEventId?: string): MockStreamHandle;
  /** An authenticated call of `username`: online for the presence window from `now`. */
  touch(username: string): void;
  /** Applies the presence window now (requests do it too), telling friends of those gone offline. */
  sweepPresence(): void;
  isOnline(username: string): boolean;
  streamCount(username?: string): number;
  /** The conversation from `a`'s side, without marking anything read. */
  conversation(a: string, b: string): MessageBody[];
  friends(username: string): FriendBody[];
  /** Revokes every token of the user: their next call is a 401 (an expired session). */
  revokeTokens(username: string): void;
  /** Ends the user's open streams (or everyone's), as a restarting server would. */
  endStreams(username?: string): void;
  /** Forgets the events held for replay, so the next resume with `Last-Event-ID` gets `reset`. */
  forgetEvents(username?: string): void;
  /** Empties the backend: no users, tokens, messages or events, streams ended, new event-id epoch. */
  reset(): void;
}

export function createMockState(world: MockWorld, variant: MockVariant): MockState {
  const { store, hub, presence } = world;
  let seeded = 0;

  const user = (name: string) => {
    const found = store.userByName(v.parse(UsernameInput, name));
    if (!found) throw new Error(`mock backend: there is no user "${name}"`);
    return found;
  };
  const idOf = (name?: string) => (name === undefined ? undefined : user(name).id);

  return {
    addUser(username, password = DEFAULT_PASSWORD) {
      return world.register(v.parse(UsernameInput, username), password).token;
    },
    signIn: (username) => store.issueToken(user(username).id),
    befriend(a, b) {
      world.addFriend(user(a), user(b).username);
    },
    addMessage(from, to, content, options = {}) {
      const fallback = variant === 'full' ? `seed-${++seeded}` : null;
      const sender = user(from);
      const { message } = world.send(sender, user(to).username, content, options.clientId ?? fallback);
      return messageFor(sender.id, user(to).username, message);
    },
    connectStream(username, lastEventId) {
      if (variant === 'basic') throw new Error('mock backend: the basic backend has no event streams');
      const me = user(username);
      const events: HubEvent[] = [];
      let open = true;
      const close = () => {
        if (!open) return;
        open = false;
        subscription.unsubscribe();
        presence.streamClosed(me.id);
      };
      const sink: StreamSink = { send: (event) => events.push(event), end: close };
      const subscription = hub.subscribe(me.id, lastEventId ?? null, sink);
      presence.streamOpened(me.id);
      if (subscription.replay === 'reset') {
        const data = { reason: 'Events since Last-Event-ID are no longer held; fetch everything again.' };
        events.push({ id: subscription.position, event: { type: 'reset', data } });
      } else {
        events.push(...subscription.replay);
      }
      return { events, position: subscription.position, close };
    },
    touch: (username) => presence.touch(user(username).id),
    sweepPresence: () => presence.sweep(),
    isOnline: (username) => presence.isOnline(user(username).id),
    streamCount: (username) => hub.streamCount(idOf(username)),
    conversation(a, b) {
      const me = user(a);
      const peer = user(b);
      return store.conversation(me.id, peer.id).map((m) => messageFor(me.id, peer.username, m));
    },
    friends: (username) => world.friendsOf(user(username)),
    revokeTokens: (username) => store.revokeTokensOf(user(username).id),
    endStreams: (username) => hub.endStreams(idOf(username)),
    forgetEvents: (username) => hub.forget(idOf(username)),
    reset() {
      world.reset();
      seeded = 0;
    },
  };
}
