import { assign, enqueueActions, sendParent, setup } from 'xstate';
import { meansOffline } from './actors/failure';
import { notProvided } from './actors/notProvided';
import type { ActivityReportEvent, ConnectionFailedEvent, Transport } from './events';
import { type ApiFailure, isTransient, type OutgoingMessage, type SendMessageBody } from './ports';

/** The most a send waits between two attempts, unless the server asks for longer (`Retry-After`). */
export const MAX_RETRY_DELAY_MS = 30_000;
/** Waits (summed from the delays, not read from a clock) after which a message that keeps failing gives up. */
export const RETRY_BUDGET_MS = 5 * 60_000;
export const GAVE_UP = 'could not be sent for five minutes';

/** 1 s, 2 s, 4 s … up to 30 s after the nth failed attempt (n from 1), or the server's `Retry-After` if longer. */
export function retryDelay(attempts: number, failure: Pick<ApiFailure, 'retryAfter'>): number {
  const backoff = Math.min(1000 * 2 ** Math.max(0, attempts - 1), MAX_RETRY_DELAY_MS);
  return Math.max(backoff, (failure.retryAfter ?? 0) * 1000);
}

export interface SendInput {
  token: string;
  message: OutgoingMessage;
  online: boolean;
}

export interface SendContext {
  token: string;
  clientId: string;
  to: string;
  content: string;
  createdAt: number;
  /** The server's id, once it has the message. */
  id: number | null;
  delivered: boolean;
  /** Why it failed, as a sentence for a person (`failed` only). */
  error: string | null;
  /** Posts in this round (a manual retry starts a new round). */
  attempts: number;
  /** The retry waits spent in this round; waiting for the connection spends none. */
  waitedMs: number;
  /** The current retry wait (`waitingToRetry` only). */
  nextRetryInMs: number | null;
  online: boolean;
  /** It reported `Send failed: …` and has not reported since: its success must say the failure is over. */
  reportedFailure: boolean;
}

/** What a send actor tells its parent (the outbox) on reaching `sent`, `failed` or `delivered`. */
export type SendSettledEvent = {
  type: 'send.settled';
  clientId: string;
  outcome: 'sent' | 'failed' | 'delivered';
  id?: number;
};

/** What the outbox tells a send actor. */
export type SendCommand =
  /** Its turn: the previous message to the same peer has settled. */
  | { type: 'send.go' }
  | { type: 'message.retry'; clientId: string }
  /** The server pushed `delivered` for this id. */
  | { type: 'message.delivered'; id: number }
  /** The server pushed this message (same clientId) back: it has it, so no further post is needed. */
  | { type: 'message.confirmed'; id: number; delivered: boolean }
  | { type: 'connection.changed'; online: boolean; transport: Transport };

/** A pushed copy of the message: the server has it, so it is sent (or delivered, if the copy says so). */
const confirmation = [
  {
    guard: {
      type: 'confirmsDelivery' as const,
      params: ({ event }: { event: { delivered: boolean } }) => event,
    },
    target: '#send.delivered',
    actions: {
      type: 'recordAnswer' as const,
      params: ({ event }: { event: { id: number; delivered: boolean } }) => event,
    },
  },
  {
    target: '#send.sent',
    actions: {
      type: 'recordAnswer' as const,
      params: ({ event }: { event: { id: number; delivered: boolean } }) => event,
    },
  },
];

/**
 * One outgoing message, from its turn to the server's receipt. The outbox grants turns (`send.go`) so that
 * messages to one peer go out in order, one at a time; every post carries the same clientId, so the server
 * stores the message once however often it is retried. `delivered` is final: nothing later moves it back.
 */
export const sendMachine = setup({
  types: {
    context: {} as SendContext,
    input: {} as SendInput,
    events: {} as SendCommand,
  },
  actors: {
    postMessage: notProvided<
      SendMessageBody,
      { token: string; message: { to: string; content: string; clientId: string } }
    >('postMessage'),
  },
  delays: {
    /** Set when the failure arrives (`scheduleRetry`): exponential, capped, or the server's Retry-After. */
    retryBackoff: ({ context }) => context.nextRetryInMs ?? 1000,
  },
  guards: {
    isOnline: ({ context }) => context.online,
    isOffline: ({ context }) => !context.online,
    comesOnline: (_, params: { online: boolean }) => params.online,
    goesOffline: (_, params: { online: boolean }) => !params.online,
    onlineChanged: ({ context }, params: { online: boolean }) => context.online !== params.online,
    confirmsDelivery: (_, params: { delivered: boolean }) => params.delivered,
    isOwnId: ({ context }, params: { id: number }) => context.id === params.id,
    isRefused: (_, params: { failure: ApiFailure }) => !isTransient(params.failure),
    isBudgetSpent: ({ context }) => context.waitedMs >= RETRY_BUDGET_MS,
  },
  actions: {
    setOnline: assign({ online: (_, params: { online: boolean }) => params.online }),
    countAttempt: assign({ attempts: ({ context }) => context.attempts + 1 }),
    recordAnswer: assign((_, params: { id: number; delivered: boolean }) => ({
      id: params.id,
      delivered: params.delivered,
      error: null,
      nextRetryInMs: null,
    })),
    markDelivered: assign({ delivered: true }),
    recordError: assign({ error: (_, params: { reason: string }) => params.reason }),
    scheduleRetry: assign({
      nextRetryInMs: ({ context }, params: { failure: ApiFailure }) =>
        retryDelay(context.attempts, params.failure),
    }),
    spendWait: assign(({ context }) => ({
      waitedMs: context.waitedMs + (context.nextRetryInMs ?? 0),
      nextRetryInMs: null,
    })),
    clearRetry: assign({ nextRetryInMs: null }),
    startOver: assign({ attempts: 0, waitedMs: 0, error: null }),
    reportSettled: sendParent(
      ({ context }, params: { outcome: SendSettledEvent['outcome'] }): SendSettledEvent => ({
        type: 'send.settled',
        clientId: context.clientId,
        outcome: params.outcome,
        ...(context.id !== null && { id: context.id }),
      }),
    ),
    /** Only a failure that means the server could not be reached tells the connection to go offline. */
    reportUnreachable: enqueueActions(({ enqueue }, params: { failure: ApiFailure }) => {
      if (meansOffline(params.failure)) {
        enqueue.sendParent({
          type: 'connection.failed',
          failure: params.failure,
        } satisfies ConnectionFailedEvent);
      }
    }),
    reportFailed: enqueueActions(({ context, enqueue }) => {
      enqueue.sendParent({
        type: 'activity.report',
        kind: 'error',
        text: `Send failed: ${context.error}`,
      } satisfies ActivityReportEvent);
      enqueue.assign({ reportedFailure: true });
    }),
    /** After a `Send failed: …`, the server has it after all (a retry, or a pushed copy): say so, once. */
    reportRecovered: enqueueActions(({ context, enqueue }) => {
      if (!context.reportedFailure) return;
      enqueue.sendParent({
        type: 'activity.report',
        kind: 'info',
        text: `Sent to ${context.to}`,
      } satisfies ActivityReportEvent);
      enqueue.assign({ reportedFailure: false });
    }),
  },
}).createMachine({
  id: 'send',
  context: ({ input }) => ({
    token: input.token,
    clientId: input.message.clientId,
    to: input.message.to,
    content: input.message.content,
    createdAt: input.message.createdAt,
    id: input.message.id ?? null,
    delivered: false,
    error: null,
    attempts: 0,
    waitedMs: 0,
    nextRetryInMs: null,
    online: input.online,
    reportedFailure: false,
  }),
  initial: 'queued',
  on: {
    'connection.changed': {
      guard: { type: 'onlineChanged', params: ({ event }) => event },
      actions: { type: 'setOnline', params: ({ event }) => event },
    },
  },
  states: {
    queued: {
      tags: ['pending'],
      description:
        'Waiting for its turn: the outbox sends `send.go` once the previous message to this peer settled.',
      on: {
        'send.go': [{ guard: 'isOnline', target: 'sending' }, { target: 'waitingForConnection' }],
        'message.confirmed': confirmation,
      },
    },
    sending: {
      tags: ['pending', 'sending'],
      entry: 'countAttempt',
      invoke: {
        src: 'postMessage',
        input: ({ context }) => ({
          token: context.token,
          message: { to: context.to, content: context.content, clientId: context.clientId },
        }),
        onDone: [
          {
            guard: { type: 'confirmsDelivery', params: ({ event }) => event.output },
            target: 'delivered',
            actions: { type: 'recordAnswer', params: ({ event }) => event.output },
          },
          { target: 'sent', actions: { type: 'recordAnswer', params: ({ event }) => event.output } },
        ],
        onError: [
          {
            guard: { type: 'isRefused', params: ({ event }) => ({ failure: event.error as ApiFailure }) },
            target: 'failed',
            actions: {
              type: 'recordError',
              params: ({ event }) => ({ reason: (event.error as ApiFailure).message }),
            },
          },
          {
            guard: 'isOffline',
            target: 'waitingForConnection',
            actions: {
              type: 'reportUnreachable',
              params: ({ event }) => ({ failure: event.error as ApiFailure }),
            },
          },
          {
            guard: 'isBudgetSpent',
            target: 'failed',
            actions: [
              { type: 'reportUnreachable', params: ({ event }) => ({ failure: event.error as ApiFailure }) },
              { type: 'recordError', params: { reason: GAVE_UP } },
            ],
          },
          {
            target: 'waitingToRetry',
            actions: [
              { type: 'reportUnreachable', params: ({ event }) => ({ failure: event.error as ApiFailure }) },
              { type: 'scheduleRetry', params: ({ event }) => ({ failure: event.error as ApiFailure }) },
            ],
          },
        ],
      },
      on: { 'message.confirmed': confirmation },
    },
    waitingToRetry: {
      tags: ['pending'],
      description:
        'A failure that says nothing about the message (network, timeout, 5xx, 429): waits `retryBackoff`, then posts again with the same clientId.',
      after: { retryBackoff: { target: 'sending', actions: 'spendWait' } },
      on: {
        'connection.changed': {
          guard: { type: 'goesOffline', params: ({ event }) => event },
          target: 'waitingForConnection',
          actions: [{ type: 'setOnline', params: ({ event }) => event }, 'clearRetry'],
        },
        'message.confirmed': confirmation,
      },
    },
    waitingForConnection: {
      tags: ['pending'],
      description:
        'The connection is down: waits for it without spending the retry budget, then posts at once.',
      on: {
        'connection.changed': {
          guard: { type: 'comesOnline', params: ({ event }) => event },
          target: 'sending',
          actions: { type: 'setOnline', params: ({ event }) => event },
        },
        'message.confirmed': confirmation,
      },
    },
    sent: {
      tags: ['pending'],
      description: 'The server has it (the id is known); waiting for the recipient to receive it.',
      entry: [{ type: 'reportSettled', params: { outcome: 'sent' } }, 'reportRecovered'],
      on: {
        'message.delivered': {
          guard: { type: 'isOwnId', params: ({ event }) => event },
          target: 'delivered',
        },
        'message.confirmed': {
          guard: { type: 'confirmsDelivery', params: ({ event }) => event },
          target: 'delivered',
        },
      },
    },
    failed: {
      tags: ['failed'],
      description: 'Refused by the server, or not sent for five minutes; `message.retry` queues it again.',
      entry: [{ type: 'reportSettled', params: { outcome: 'failed' } }, 'reportFailed'],
      on: {
        'message.retry': { target: 'queued', actions: 'startOver' },
        'message.confirmed': confirmation,
      },
    },
    delivered: {
      type: 'final',
      tags: ['delivered'],
      entry: [
        'markDelivered',
        { type: 'reportSettled', params: { outcome: 'delivered' } },
        'reportRecovered',
      ],
    },
  },
});
