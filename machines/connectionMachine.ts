import { assign, enqueueActions, sendParent, setup } from 'xstate';
import type { StreamEvent } from './actors/api';
import { meansOffline } from './actors/failure';
import { notProvided, notProvidedCallback } from './actors/notProvided';
import { backoffDelay, nextRandom } from './backoff';
import type { ConnectionFailedEvent, ConnectionNewsEvent, EnvironmentEvent, Transport } from './events';
import type { ApiFailure, StatusBody } from './ports';

export interface ConnectionContext {
  token: string | null;
  online: boolean;
  transport: Transport;
  /** Failed checks in a row; sets the back-off. */
  failures: number;
  /** The wait left before the next check, counted down a second at a time for the status bar. */
  retryRemainingMs: number;
  seed: number;
  lastError: string | null;
  /** Where the event stream stands; a reconnect resumes from here with `Last-Event-ID`. */
  lastEventId: string | null;
  streamFailures: number;
  /** False once the backend answered 404 for `/api/events`: it has no stream (a degraded backend). */
  streamAvailable: boolean;
  /** The version the server's last status answer named (null until one answered). */
  serverVersion: string | null;
}

export type ConnectionEvent =
  | ConnectionFailedEvent
  | StreamEvent
  | EnvironmentEvent
  | { type: 'connection.retryNow' };

/** Stream failures in a row after which the connection falls back to polling for a while. */
const STREAM_FAILURES_BEFORE_POLLING = 3;

/**
 * The connection: is the server reachable, and how do updates arrive? `checking` asks `/api/status`;
 * `online` re-checks every 10 s and, in its `transport` region, holds the event stream (`live`) or falls
 * back to `polling` when the backend has no stream or it keeps failing (re-probed later). Any actor's
 * failed call (`connection.failed`, routed by the root) takes it `offline` at once, where it backs off
 * with jitter and counts down to the next try; `connection.retryNow` or a browser wake-up tries at once.
 */
export const connectionMachine = setup({
  types: {
    context: {} as ConnectionContext,
    events: {} as ConnectionEvent,
    input: {} as { token: string | null; seed?: number },
  },
  actors: {
    checkStatus: notProvided<StatusBody, { token: string | null }>('checkStatus'),
    watchEvents: notProvidedCallback<{ token: string; lastEventId: string | null }>('watchEvents'),
  },
  delays: {
    statusInterval: 10_000,
    /** One step of the countdown: a second, or what is left of the wait. */
    retryTick: ({ context }) => Math.min(1000, context.retryRemainingMs),
    streamRetryDelay: ({ context }) => Math.min(1000 * 2 ** Math.max(0, context.streamFailures - 1), 8000),
    streamReprobeInterval: ({ context }) => (context.streamAvailable ? 60_000 : 300_000),
  },
  guards: {
    retryDue: ({ context }) => context.retryRemainingMs <= 0,
    hasNoStream: (_, params: { failure: ApiFailure }) =>
      params.failure.kind === 'http' && params.failure.status === 404,
    meansOffline: (_, params: { failure: ApiFailure }) => meansOffline(params.failure),
    streamKeepsFailing: ({ context }) => context.streamFailures + 1 >= STREAM_FAILURES_BEFORE_POLLING,
    resumable: ({ context }) => context.lastEventId !== null,
    /** Status names no user for the token sent: the token is no longer valid. */
    tokenRefused: ({ context }, params: { status: StatusBody }) =>
      context.token !== null && params.status.user === null,
  },
  actions: {
    markOnline: assign({ online: true, failures: 0, retryRemainingMs: 0, lastError: null }),
    storeVersion: enqueueActions(({ context, enqueue }, params: { status: StatusBody }) => {
      if (context.serverVersion !== params.status.version)
        enqueue.assign({ serverVersion: params.status.version });
    }),
    markOffline: assign(({ context }, params: { failure: ApiFailure }) => {
      const failures = context.failures + 1;
      const [jitter, seed] = nextRandom(context.seed);
      return {
        online: false,
        failures,
        seed,
        retryRemainingMs: backoffDelay(failures, jitter),
        lastError: params.failure.message,
      };
    }),
    countDown: assign({ retryRemainingMs: ({ context }) => Math.max(0, context.retryRemainingMs - 1000) }),
    setTransport: assign((_, params: { transport: Transport }) => ({ transport: params.transport })),
    streamOpened: assign({ streamFailures: 0 }),
    streamFailed: assign({ streamFailures: ({ context }) => context.streamFailures + 1 }),
    noStream: assign({ streamAvailable: false, streamFailures: 0 }),
    keepPosition: assign((_, params: { lastId: string | null }) =>
      params.lastId === null ? {} : { lastEventId: params.lastId },
    ),
    reportChanged: sendParent(
      ({ context }): ConnectionNewsEvent => ({
        type: 'connection.changed',
        online: context.online,
        transport: context.transport,
      }),
    ),
    reportEvents: sendParent(
      (
        _,
        params: { events: Extract<StreamEvent, { type: 'stream.batch' }>['events'] },
      ): ConnectionNewsEvent => ({
        type: 'push.batch',
        events: params.events,
      }),
    ),
    reportResync: sendParent({ type: 'push.resync' } satisfies ConnectionNewsEvent),
    reportExpired: sendParent({ type: 'session.expired' } satisfies ConnectionNewsEvent),
  },
}).createMachine({
  id: 'connection',
  context: ({ input }) => ({
    token: input.token,
    online: false,
    transport: 'live',
    failures: 0,
    retryRemainingMs: 0,
    seed: input.seed ?? 1,
    lastError: null,
    lastEventId: null,
    streamFailures: 0,
    streamAvailable: true,
    serverVersion: null,
  }),
  initial: 'checking',
  on: {
    'connection.retryNow': '.checking',
  },
  states: {
    checking: {
      description: 'Asking /api/status whether the server is there.',
      tags: ['checking'],
      invoke: {
        src: 'checkStatus',
        input: ({ context }) => ({ token: context.token }),
        onDone: [
          {
            guard: { type: 'tokenRefused', params: ({ event }) => ({ status: event.output }) },
            actions: 'reportExpired',
          },
          {
            target: 'online',
            actions: { type: 'storeVersion', params: ({ event }) => ({ status: event.output }) },
          },
        ],
        onError: {
          target: 'offline',
          actions: { type: 'markOffline', params: ({ event }) => ({ failure: event.error as ApiFailure }) },
        },
      },
    },
    online: {
      tags: ['online'],
      entry: ['markOnline', 'reportChanged'],
      on: {
        'connection.failed': {
          target: 'offline',
          actions: { type: 'markOffline', params: ({ event }) => ({ failure: event.failure }) },
        },
      },
      type: 'parallel',
      states: {
        heartbeat: {
          initial: 'waiting',
          states: {
            waiting: { after: { statusInterval: 'probing' } },
            probing: {
              invoke: {
                src: 'checkStatus',
                input: ({ context }) => ({ token: context.token }),
                onDone: [
                  {
                    guard: { type: 'tokenRefused', params: ({ event }) => ({ status: event.output }) },
                    actions: 'reportExpired',
                  },
                  {
                    target: 'waiting',
                    actions: { type: 'storeVersion', params: ({ event }) => ({ status: event.output }) },
                  },
                ],
                onError: {
                  target: '#connection.offline',
                  actions: {
                    type: 'markOffline',
                    params: ({ event }) => ({ failure: event.error as ApiFailure }),
                  },
                },
              },
            },
          },
        },
        transport: {
          initial: 'streaming',
          states: {
            streaming: {
              description: 'Holding /api/events; resumes from the last event id after a reconnect.',
              invoke: {
                id: 'stream',
                src: 'watchEvents',
                input: ({ context }) => ({ token: context.token ?? '', lastEventId: context.lastEventId }),
              },
              initial: 'opening',
              states: {
                opening: {},
                open: { tags: ['live'] },
              },
              on: {
                'stream.opened': [
                  {
                    guard: 'resumable',
                    target: '.open',
                    actions: [
                      'streamOpened',
                      { type: 'setTransport', params: { transport: 'live' } },
                      'reportChanged',
                    ],
                  },
                  {
                    // A fresh stream replays nothing: whatever happened before it must be fetched.
                    target: '.open',
                    actions: [
                      'streamOpened',
                      { type: 'setTransport', params: { transport: 'live' } },
                      'reportChanged',
                      'reportResync',
                    ],
                  },
                ],
                'stream.batch': {
                  actions: enqueueActions(({ event, enqueue }) => {
                    enqueue({ type: 'keepPosition', params: { lastId: event.lastId } });
                    const events = event.events.filter((e) => e.type !== 'reset');
                    if (events.length > 0) enqueue({ type: 'reportEvents', params: { events } });
                    // `reset`: the server no longer holds what this stream missed.
                    if (events.length < event.events.length) enqueue('reportResync');
                  }),
                },
                'stream.ended': { target: 'reconnecting', actions: 'streamFailed' },
                'stream.failed': [
                  {
                    guard: { type: 'hasNoStream', params: ({ event }) => ({ failure: event.failure }) },
                    target: 'polling',
                    actions: 'noStream',
                  },
                  {
                    guard: { type: 'meansOffline', params: ({ event }) => ({ failure: event.failure }) },
                    target: '#connection.offline',
                    actions: { type: 'markOffline', params: ({ event }) => ({ failure: event.failure }) },
                  },
                  { guard: 'streamKeepsFailing', target: 'polling', actions: 'streamFailed' },
                  { target: 'reconnecting', actions: 'streamFailed' },
                ],
              },
            },
            reconnecting: {
              description: 'The stream ended; opening it again after a short, growing pause.',
              after: { streamRetryDelay: 'streaming' },
            },
            polling: {
              description:
                'No usable stream: friends and conversation poll; the stream is tried again later.',
              tags: ['polling'],
              entry: [{ type: 'setTransport', params: { transport: 'polling' } }, 'reportChanged'],
              after: { streamReprobeInterval: 'streaming' },
            },
          },
        },
      },
    },
    offline: {
      description: 'The server cannot be reached; counting down to the next check.',
      tags: ['offline'],
      entry: 'reportChanged',
      on: {
        'env.wake': 'checking',
      },
      initial: 'backingOff',
      states: {
        backingOff: {
          always: { guard: 'retryDue', target: '#connection.checking' },
          after: { retryTick: { target: 'backingOff', reenter: true, actions: 'countDown' } },
        },
      },
    },
  },
});
