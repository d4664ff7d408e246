/**
 * `ParleyApi` over fetch: the one place that knows URLs, headers, statuses and bodies of API.md. Every
 * method settles with a value of the contract or rejects with an ApiError whose kind the machines decide
 * on (network, timeout, http, decode, aborted); nothing else escapes. fetch and the timers are injected,
 * so the same client runs in the browser (global fetch), in Node (undici, see node.ts) and in tests.
 */
import type * as v from 'valibot';
import type { ApiError, Conditional, MessagesPage, ParleyApi, RequestOptions } from '../../machines/ports';
import {
  AddFriendResponse,
  AuthResponse,
  FriendsResponse,
  MessagesResponse,
  SendMessageResponse,
  StatusResponse,
} from '../contract';
import { decodeBody, httpError } from './decode';
import { type Guard, globalTimers, openGuard, type Timers } from './guard';
import { readEventStream } from './stream';

/** The part of fetch the client uses; the global fetch and undici's fetch (node.ts) both fit. */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export interface ApiClientOptions {
  /** Where the API lives: '' for the page's own origin, or e.g. 'http://127.0.0.1:8080'. */
  baseUrl: string;
  fetch: FetchLike;
  /** Deadline for a whole call, answer body included. */
  timeoutMs?: number;
  /** How long the event stream may stay silent; more than two of the server's 15 s keep-alives. */
  streamIdleMs?: number;
  setTimeout?(callback: () => void, ms: number): unknown;
  clearTimeout?(handle: unknown): void;
  /** The clock for `Retry-After` dates. */
  now?(): number;
}

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_STREAM_IDLE_MS = 45_000;

type Query = Record<string, string | number | undefined>;

interface Call {
  method: 'GET' | 'POST';
  path: string;
  token: string | null;
  query?: Query;
  body?: unknown;
  /** Sent as If-None-Match; a 304 is then an answer, not an error. */
  etag?: string | null;
}

interface Answer {
  status: number;
  etag: string | null;
  /** null for a 304. */
  text: string | null;
}

export function createApiClient(options: ApiClientOptions): ParleyApi {
  const fetchImpl = options.fetch;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const streamIdleMs = options.streamIdleMs ?? DEFAULT_STREAM_IDLE_MS;
  const now = options.now ?? Date.now;
  const { setTimeout: set, clearTimeout: clear } = options;
  // Called unbound: a browser's window.setTimeout refuses to run with another `this`.
  const timers: Timers = {
    setTimeout: set ? (callback, ms) => set(callback, ms) : globalTimers.setTimeout,
    clearTimeout: clear ? (handle) => clear(handle) : globalTimers.clearTimeout,
  };
  const base = options.baseUrl.replace(/\/+$/, '');

  const url = (path: string, query: Query = {}) => {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
    const search = params.toString();
    return `${base}${path}${search ? `?${search}` : ''}`;
  };

  const headers = (token: string | null, extra: Record<string, string>) => ({
    Accept: 'application/json',
    ...(token === null ? {} : { Authorization: `Bearer ${token}` }),
    ...extra,
  });

  async function refusal(response: Response, guard: Guard) {
    // The error body only improves the sentence: if it cannot be read, the status still says enough.
    const text = await guard.race(response.text()).catch((error: ApiError) => {
      if (error.kind === 'network') return null;
      throw error;
    });
    return httpError(response.status, text, response.headers.get('retry-after'), now());
  }

  async function exchange(call: Call, { signal }: RequestOptions): Promise<Answer> {
    const guard = openGuard(signal, timeoutMs, timers);
    try {
      const hasBody = call.body !== undefined;
      const response = await guard.race(
        fetchImpl(url(call.path, call.query), {
          method: call.method,
          headers: headers(call.token, {
            ...(hasBody ? { 'Content-Type': 'application/json' } : {}),
            ...(call.etag ? { 'If-None-Match': call.etag } : {}),
          }),
          ...(hasBody ? { body: JSON.stringify(call.body) } : {}),
          cache: 'no-store',
          signal: guard.signal,
        }),
      );
      const etag = response.headers.get('etag');
      if (response.status === 304 && call.etag) {
        // Nothing to read; cancelling frees the connection for reuse.
        void response.body?.cancel().catch(() => {});
        return { status: 304, etag, text: null };
      }
      if (response.ok) return { status: response.status, etag, text: await guard.race(response.text()) };
      throw await refusal(response, guard);
    } finally {
      guard.close();
    }
  }

  async function decoded<S extends v.GenericSchema>(schema: S, call: Call, opts: RequestOptions) {
    const answer = await exchange(call, opts);
    return decodeBody(schema, answer.text ?? '', answer.status);
  }

  async function conditional<S extends v.GenericSchema>(
    schema: S,
    call: Call,
    opts: RequestOptions,
  ): Promise<Conditional<v.InferOutput<S>>> {
    const answer = await exchange(call, opts);
    if (answer.text === null) return { notModified: true };
    return { notModified: false, body: decodeBody(schema, answer.text, answer.status), etag: answer.etag };
  }

  const credentials = (path: string) => async (username: string, password: string, opts: RequestOptions) => {
    const body = await decoded(
      AuthResponse,
      { method: 'POST', path, token: null, body: { username, password } },
      opts,
    );
    return { username: body.username, token: body.token };
  };

  return {
    status: (token, opts) => decoded(StatusResponse, { method: 'GET', path: '/api/status', token }, opts),
    register: credentials('/api/register'),
    login: credentials('/api/login'),
    async logout(token, opts) {
      await exchange({ method: 'POST', path: '/api/logout', token }, opts);
    },
    friends: (token, etag, opts) =>
      conditional(FriendsResponse, { method: 'GET', path: '/api/friends', token, etag }, opts),
    async addFriend(token, username, opts) {
      const call: Call = { method: 'POST', path: '/api/friends', token, body: { username } };
      return (await decoded(AddFriendResponse, call, opts)).username;
    },
    messages: (token, page: MessagesPage, etag, opts) => {
      const query = { peer: page.peer, after: page.after, before: page.before, limit: page.limit };
      return conditional(
        MessagesResponse,
        { method: 'GET', path: '/api/messages', token, query, etag },
        opts,
      );
    },
    send: (token, message, opts) =>
      decoded(SendMessageResponse, { method: 'POST', path: '/api/messages', token, body: message }, opts),
    async events(token, lastEventId, handlers, { signal }) {
      const guard = openGuard(signal, timeoutMs, timers);
      try {
        const response = await guard.race(
          fetchImpl(url('/api/events'), {
            method: 'GET',
            headers: {
              Accept: 'text/event-stream',
              Authorization: `Bearer ${token}`,
              ...(lastEventId === null ? {} : { 'Last-Event-ID': lastEventId }),
            },
            cache: 'no-store',
            signal: guard.signal,
          }),
        );
        if (!response.ok) throw await refusal(response, guard);
        await readEventStream(response, handlers, guard, streamIdleMs);
      } finally {
        // Whatever ended the read (a decode failure, a handler's bug), the connection must not linger.
        guard.close({ abort: true });
      }
    },
  };
}
