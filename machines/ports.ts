/**
 * What the actor core needs from the world, as types only. `src/api` implements `ParleyApi` over fetch
 * (global fetch in the browser, undici in Node); tests implement it with MSW or by hand. Nothing here
 * reaches out: the machines invoke actors built from these ports (machines/actors), provided with
 * `.provide()`.
 */
import type { FriendBody, MessageBody, PushEvent, SendMessageBody, StatusBody } from '../src/contract';

export type { FriendBody, MessageBody, PushEvent, SendMessageBody, StatusBody };

/** Why a call failed, in a form the machines can decide on. */
export type ApiErrorKind =
  /** No answer: connection refused, reset, DNS, CORS. */
  | 'network'
  /** No answer before the deadline. */
  | 'timeout'
  /** An answer with an error status (see `status` and `code`). */
  | 'http'
  /** An answer that does not match the contract: HTML, truncated JSON, wrong types. */
  | 'decode'
  /** The caller aborted (its actor stopped). */
  | 'aborted';

export interface ApiFailure {
  kind: ApiErrorKind;
  /** A sentence for a person. */
  message: string;
  status?: number;
  code?: string;
  /** Seconds, from `Retry-After`. */
  retryAfter?: number;
}

/** Thrown by every `ParleyApi` method; `isApiFailure` tells it apart from a bug. */
export class ApiError extends Error implements ApiFailure {
  readonly kind: ApiErrorKind;
  readonly status?: number;
  readonly code?: string;
  readonly retryAfter?: number;
  constructor(failure: ApiFailure) {
    super(failure.message);
    this.name = 'ApiError';
    this.kind = failure.kind;
    if (failure.status !== undefined) this.status = failure.status;
    if (failure.code !== undefined) this.code = failure.code;
    if (failure.retryAfter !== undefined) this.retryAfter = failure.retryAfter;
  }
}

export const isApiFailure = (error: unknown): error is ApiFailure =>
  typeof error === 'object' && error !== null && 'kind' in error && 'message' in error;

/** A failure that says nothing about the request itself: the server or the way to it is in trouble. */
export const isTransient = (f: ApiFailure): boolean =>
  f.kind === 'network' ||
  f.kind === 'timeout' ||
  (f.kind === 'http' && (f.status === 429 || (f.status ?? 0) >= 500)) ||
  (f.kind === 'decode' && (f.status ?? 0) >= 500);

/** A conditional GET's answer: unchanged (304), or a new body with its ETag (null when the backend has none). */
export type Conditional<T> = { notModified: true } | { notModified: false; body: T; etag: string | null };

export interface Session {
  username: string;
  token: string;
}

export interface MessagesPage {
  peer: string;
  after?: number;
  before?: number;
  limit?: number;
}

export interface EventStreamHandlers {
  /** The stream is open (the server answered 200 with an event stream). */
  onOpen(): void;
  onEvent(event: PushEvent & { id: string | null }): void;
  /** An `id:` line with no event: the position a fresh stream can resume from. */
  onPosition(id: string): void;
}

export interface RequestOptions {
  signal: AbortSignal;
}

export interface ParleyApi {
  status(token: string | null, opts: RequestOptions): Promise<StatusBody>;
  register(username: string, password: string, opts: RequestOptions): Promise<Session>;
  login(username: string, password: string, opts: RequestOptions): Promise<Session>;
  logout(token: string, opts: RequestOptions): Promise<void>;
  friends(token: string, etag: string | null, opts: RequestOptions): Promise<Conditional<FriendBody[]>>;
  addFriend(token: string, username: string, opts: RequestOptions): Promise<string>;
  messages(
    token: string,
    page: MessagesPage,
    etag: string | null,
    opts: RequestOptions,
  ): Promise<Conditional<MessageBody[]>>;
  send(
    token: string,
    message: { to: string; content: string; clientId: string },
    opts: RequestOptions,
  ): Promise<SendMessageBody>;
  /**
   * Reads `/api/events` until the stream ends (resolves) or fails (rejects with an ApiError; a 404 means
   * the backend has no stream). Aborting the signal closes it.
   */
  events(
    token: string,
    lastEventId: string | null,
    handlers: EventStreamHandlers,
    opts: RequestOptions,
  ): Promise<void>;
}

/** An outgoing message as the outbox keeps it until the server has it. */
export interface OutgoingMessage {
  clientId: string;
  to: string;
  content: string;
  createdAt: number;
  /** Set once the server answered: the message's id. */
  id?: number;
}

/** What a person had open, kept per user so that a reload returns there. */
export interface KeptView {
  /** The friend whose conversation was open. */
  peer: string;
}

/** Durable storage: IndexedDB in the browser, memory in tests and Node. */
export interface ParleyStorage {
  loadSession(): Promise<Session | null>;
  saveSession(session: Session | null): Promise<void>;
  loadOutbox(username: string): Promise<OutgoingMessage[]>;
  putOutgoing(username: string, message: OutgoingMessage): Promise<void>;
  removeOutgoing(username: string, clientId: string): Promise<void>;
  /** The friends list last fetched for `username` (as the server answered it), or null if none is kept. */
  loadFriends(username: string): Promise<FriendBody[] | null>;
  saveFriends(username: string, friends: FriendBody[]): Promise<void>;
  /** Forgets `username`'s kept list: on signing out, so the next person at this browser never sees it. */
  forgetFriends(username: string): Promise<void>;
  /** What `username` had open when they last left, or null if nothing is kept. */
  loadView(username: string): Promise<KeptView | null>;
  /** Keeps what `username` has open now; null forgets it (on signing out). */
  saveView(username: string, view: KeptView | null): Promise<void>;
}

/** Browser signals that the network may be back: `online`, focus, a visible tab. */
export type WakeReason = 'online' | 'focus' | 'visible';

export interface Environment {
  /** Calls back on each wake-up signal, and with `hidden` when the tab is hidden; returns an unsubscribe. */
  watch(listener: (signal: WakeReason | 'hidden') => void): () => void;
  /** Runs a callback at the next frame (requestAnimationFrame in the browser); returns a cancel. */
  nextFrame(callback: () => void): () => void;
}
