/**
 * The events that cross actor boundaries, in one place: what a person asks for (intents), what the
 * connection tells the rest, and what children report to the root. Each machine also has private events.
 * Names follow `domain.verb`.
 */
import type {
  ApiFailure,
  FriendBody,
  MessageBody,
  OutgoingMessage,
  PushEvent,
  Session,
  WakeReason,
} from './ports';

export type Transport = 'live' | 'polling';

/** What a person asks for; the root routes each to the actor that owns it. */
export type IntentEvent =
  | { type: 'session.login'; username: string; password: string }
  | { type: 'session.register'; username: string; password: string }
  | { type: 'session.logout' }
  | { type: 'friend.select'; username: string }
  | { type: 'friend.add'; username: string }
  /** `clientId` and `createdAt` are stamped where the message is written (the edge), so the core stays pure. */
  | { type: 'message.send'; to: string; content: string; clientId: string; createdAt: number }
  | { type: 'message.retry'; clientId: string }
  /** One page further back in the open conversation, or in the watched one of `peer`. */
  | { type: 'history.loadOlder'; peer?: string }
  | { type: 'connection.retryNow' }
  /**
   * Keep `peer`'s conversation open beside the one a person selected (an agent reads several at once):
   * a conversation actor of its own (`watch-<peer>`), current like the open one, until `unwatch`.
   */
  | { type: 'conversation.watch'; peer: string }
  | { type: 'conversation.unwatch'; peer: string };

/** The connection's news, sent to the root, which passes it on to friends, conversation and outbox. */
export type ConnectionNewsEvent =
  | { type: 'connection.changed'; online: boolean; transport: Transport }
  /** Pushed events, batched per frame: many arriving together cost one update. */
  | { type: 'push.batch'; events: PushEvent[] }
  /** Something may have been missed (a fresh stream, or `reset`): refetch. */
  | { type: 'push.resync' }
  /** The server no longer knows the token (revoked, or the account's tokens cleared): sign out. */
  | { type: 'session.expired' };

/** Sent by any actor to the connection (systemId `connection`) when a call could not reach the server. */
export type ConnectionFailedEvent = { type: 'connection.failed'; failure: ApiFailure };

/** A sentence for the Activity status bar, reported by a child to the root. */
export interface ActivityEntry {
  seq: number;
  kind: 'info' | 'error';
  text: string;
}
export type ActivityReportEvent = { type: 'activity.report'; kind: 'info' | 'error'; text: string };

/** Root → children. */
/** The tab was hidden or shown: a hidden tab polls less often (a visible one refreshes at once). */
export type VisibilityEvent = { type: 'visibility.changed'; hidden: boolean };

export type FriendsCommand =
  | ConnectionNewsEvent
  | VisibilityEvent
  | { type: 'friend.add'; username: string }
  | { type: 'friends.refresh' }
  | { type: 'conversation.opened'; peer: string | null };

export type ConversationCommand =
  | ConnectionNewsEvent
  | VisibilityEvent
  | { type: 'history.loadOlder'; peer?: string }
  | { type: 'conversation.refresh' };

export type OutboxCommand =
  | ConnectionNewsEvent
  | { type: 'message.send'; to: string; content: string; clientId: string; createdAt: number }
  | { type: 'message.retry'; clientId: string };

/**
 * Friends → root, once: the server has answered the friends list for the first time (a kept list does not
 * count). The root reopens the conversation kept from the last visit if that friend is in it.
 */
export type FriendsLoadedEvent = { type: 'friends.loaded'; friends: FriendBody[] };

/** The selection's one output: the friend whose conversation should now be open. */
export type SelectionSettledEvent = { type: 'selection.settled'; peer: string };

/** Browser signals, from the provided environment actor. */
export type EnvironmentEvent =
  | { type: 'env.wake'; reason: WakeReason }
  | { type: 'env.hidden' }
  | { type: 'env.visible' };

export type { ApiFailure, FriendBody, MessageBody, OutgoingMessage, PushEvent, Session };
