import { assign, enqueueActions, not, raise, setup, stateIn } from 'xstate';
import { meansOffline, toFailure } from './actors/failure';
import { notProvided } from './actors/notProvided';
import type { ConnectionFailedEvent, ConversationCommand, Transport } from './events';
import { applyPushed, awaitsReceipt, mergeMessages } from './messages';
import type { ApiFailure, Conditional, MessageBody, MessagesPage, PushEvent } from './ports';

/** The size of the first page and of each step back through history. */
export const PAGE_SIZE = 50;

export interface ConversationInput {
  token: string;
  peer: string;
  online: boolean;
  transport: Transport;
  /** The tab is hidden: polls come less often. */
  hidden?: boolean;
}

export interface ConversationContext {
  token: string;
  peer: string;
  /** Ascending by id, each id once: a contiguous window ending at the newest message held. */
  messages: MessageBody[];
  /** The ETag of the last feed answer merged; any answer already merged can safely come back as 304. */
  etag: string | null;
  /** Older messages may exist before the loaded range of messages. */
  hasOlder: boolean;
  /**
   * A feed answer has come: the window is the conversation as the server has it. Until then (the first load
   * failed, say offline) nothing is known of its history, and an empty window does not mean no messages.
   */
  loaded: boolean;
  online: boolean;
  transport: Transport;
  hidden: boolean;
  lastError: ApiFailure | null;
}

type Connection = { online: boolean; transport: Transport };
type Answer = Conditional<MessageBody[]>;

const newestPage = (peer: string): MessagesPage => ({ peer, limit: PAGE_SIZE });

/**
 * A feed answer merged into the loaded range. A full newest page that starts above the newest message held
 * (the first page, or more than a page arrived since the last fetch) would leave a gap: the window then
 * restarts at that page, with history behind it, so it stays contiguous. The first page sets `hasOlder`.
 */
function mergeFeed(context: ConversationContext, body: MessageBody[], newest: boolean, first: boolean) {
  const held = context.messages.at(-1)?.id;
  const start = body[0]?.id ?? 0;
  if (newest && body.length >= PAGE_SIZE && (held === undefined || start > held)) {
    const kept = context.messages.filter((m) => m.id >= start);
    return { messages: mergeMessages(kept, body) ?? kept, hasOlder: true };
  }
  return {
    messages: mergeMessages(context.messages, body) ?? context.messages,
    hasOlder: first ? body.length >= PAGE_SIZE : context.hasOlder,
  };
}

/**
 * One open conversation; the root invokes it anew for each peer, so stopping it aborts its requests and a
 * late answer lands nowhere. It loads the newest page, then keeps current: pushed `message` and
 * `delivered` events when live; when polling (and online), a fetch every `messagePollInterval`, of the
 * messages after the last one held (`after=`), or of the newest page while a sent message in the window
 * still waits for its receipt, so `delivered` flags are picked up (the ETag makes the repeat a cheap 304).
 * A fetch that fails while online (a 5xx, a malformed answer) is tried again after the same interval, live
 * or not: no push would bring back what it missed, such as the history of a first load.
 * Every answer goes through `mergeMessages`, so a backend that ignores cursors and answers the whole list
 * still shows each message once and changes nothing when nothing is new; `delivered` never goes back.
 *
 * To the parent: `connection.failed` when a call could not reach the server.
 */
export const conversationMachine = setup({
  types: {
    input: {} as ConversationInput,
    context: {} as ConversationContext,
    events: {} as ConversationCommand | { type: 'conversation.acknowledge' },
  },
  actors: {
    fetchMessages: notProvided<Answer, { token: string; page: MessagesPage; etag: string | null }>(
      'fetchMessages',
    ),
  },
  delays: { messagePollInterval: ({ context }) => (context.hidden ? 10_000 : 2_000) },
  guards: {
    shouldPoll: ({ context }) => context.online && context.transport === 'polling',
    /** The last fetch failed while the server was reachable (a 5xx, a malformed answer): try again. */
    failedWhileOnline: ({ context }) => context.lastError !== null && context.online,
    isFirstLoad: stateIn({ feed: 'loading' }),
    needsNewestPage: ({ context }) => context.messages.length === 0 || awaitsReceipt(context.messages),
    canLoadOlder: ({ context }) => context.hasOlder && context.messages.length > 0,
    comesOnline: ({ context }, params: Connection) => !context.online && params.online,
    changesConnection: ({ context }, params: Connection) =>
      context.online !== params.online || context.transport !== params.transport,
    changesWindow: ({ context }, params: { events: PushEvent[] }) =>
      applyPushed(context.messages, context.peer, params.events) !== null,
    /** Changes the window with at least one message from the peer. */
    bringsReceived: ({ context }, params: { events: PushEvent[] }) =>
      params.events.some(
        (e) => e.type === 'message' && e.data.peer === context.peer && e.data.direction === 'received',
      ) && applyPushed(context.messages, context.peer, params.events) !== null,
  },
  actions: {
    requestRefetch: raise({ type: 'conversation.refresh' }),
    storeConnection: assign((_, params: Connection) => ({
      online: params.online,
      transport: params.transport,
    })),
    storeFeed: enqueueActions(
      ({ context, enqueue }, params: { answer: Answer; newest: boolean; first: boolean }) => {
        const { answer } = params;
        if (answer.notModified) {
          if (context.lastError !== null || !context.loaded)
            enqueue.assign({ lastError: null, loaded: true });
          return;
        }
        const { messages, hasOlder } = mergeFeed(context, answer.body, params.newest, params.first);
        if (
          messages !== context.messages ||
          hasOlder !== context.hasOlder ||
          answer.etag !== context.etag ||
          context.lastError !== null ||
          !context.loaded
        )
          enqueue.assign({ messages, hasOlder, etag: answer.etag, lastError: null, loaded: true });
      },
    ),
    storeOlder: assign(({ context }, params: { answer: Answer }) => {
      const body = params.answer.notModified ? [] : params.answer.body;
      const first = context.messages[0]?.id ?? 0;
      const older = body.some((m) => m.id < first);
      return {
        messages: mergeMessages(context.messages, body) ?? context.messages,
        hasOlder: older && body.length >= PAGE_SIZE,
        lastError: null,
      };
    }),
    storePushed: assign(({ context }, params: { events: PushEvent[] }) => ({
      messages: applyPushed(context.messages, context.peer, params.events) ?? context.messages,
    })),
    storeFailure: enqueueActions(({ enqueue }, params: { failure: ApiFailure }) => {
      enqueue.assign({ lastError: params.failure });
      if (meansOffline(params.failure))
        enqueue.sendParent({
          type: 'connection.failed',
          failure: params.failure,
        } satisfies ConnectionFailedEvent);
    }),
  },
}).createMachine({
  id: 'conversation',
  type: 'parallel',
  context: ({ input }) => ({
    token: input.token,
    peer: input.peer,
    messages: [],
    etag: null,
    hasOlder: false,
    loaded: false,
    online: input.online,
    transport: input.transport,
    hidden: input.hidden ?? false,
    lastError: null,
  }),
  on: {
    'visibility.changed': {
      guard: ({ context, event }) => context.hidden !== event.hidden,
      actions: assign({ hidden: ({ event }) => event.hidden }),
    },
    'connection.changed': [
      {
        guard: { type: 'comesOnline', params: ({ event }) => event },
        actions: [{ type: 'storeConnection', params: ({ event }) => event }, 'requestRefetch'],
      },
      {
        guard: { type: 'changesConnection', params: ({ event }) => event },
        actions: { type: 'storeConnection', params: ({ event }) => event },
      },
    ],
    'push.batch': [
      {
        guard: { type: 'bringsReceived', params: ({ event }) => event },
        // Shown is read: tell the server (a cursor read marks everything up to it) so the unread count and
        // the sender's `delivered` mark follow, as they would after a poll.
        actions: [
          { type: 'storePushed', params: ({ event }) => event },
          raise({ type: 'conversation.acknowledge' }),
        ],
      },
      {
        guard: { type: 'changesWindow', params: ({ event }) => event },
        actions: { type: 'storePushed', params: ({ event }) => event },
      },
    ],
    'push.resync': { actions: 'requestRefetch' },
  },
  states: {
    feed: {
      initial: 'loading',
      on: {
        'conversation.refresh': [{ guard: 'isFirstLoad', target: '.loading' }, { target: '.refreshing' }],
      },
      states: {
        loading: {
          description: 'The newest page, before anything is shown.',
          tags: ['loading'],
          invoke: {
            src: 'fetchMessages',
            input: ({ context }) => ({ token: context.token, page: newestPage(context.peer), etag: null }),
            onDone: {
              target: 'idle',
              actions: {
                type: 'storeFeed',
                params: ({ event }) => ({ answer: event.output, newest: true, first: true }),
              },
            },
            onError: {
              target: 'idle',
              actions: { type: 'storeFailure', params: ({ event }) => ({ failure: toFailure(event.error) }) },
            },
          },
        },
        refreshing: {
          description:
            'The newest page again, merged: after a resync, on coming online, or to pick up receipts.',
          invoke: {
            src: 'fetchMessages',
            input: ({ context }) => ({
              token: context.token,
              page: newestPage(context.peer),
              etag: context.etag,
            }),
            onDone: {
              target: 'idle',
              actions: {
                type: 'storeFeed',
                params: ({ event }) => ({ answer: event.output, newest: true, first: false }),
              },
            },
            onError: {
              target: 'idle',
              actions: { type: 'storeFailure', params: ({ event }) => ({ failure: toFailure(event.error) }) },
            },
          },
        },
        polling: {
          description: 'The messages after the last one held.',
          invoke: {
            src: 'fetchMessages',
            input: ({ context }) => ({
              token: context.token,
              page: { peer: context.peer, after: context.messages.at(-1)?.id ?? 0 },
              etag: context.etag,
            }),
            onDone: {
              target: 'idle',
              actions: {
                type: 'storeFeed',
                params: ({ event }) => ({ answer: event.output, newest: false, first: false }),
              },
            },
            onError: {
              target: 'idle',
              actions: { type: 'storeFailure', params: ({ event }) => ({ failure: toFailure(event.error) }) },
            },
          },
        },
        idle: {
          description:
            'Live (pushed events keep the window current) or offline; after a fetch that failed while online (no push would bring what it missed), fetches again after messagePollInterval.',
          always: { guard: 'shouldPoll', target: 'waiting' },
          after: { messagePollInterval: { guard: 'failedWhileOnline', target: 'refreshing' } },
          on: { 'conversation.acknowledge': 'polling' },
        },
        waiting: {
          description: 'Polling transport, online: fetches again after messagePollInterval.',
          always: { guard: not('shouldPoll'), target: 'idle' },
          after: {
            messagePollInterval: [{ guard: 'needsNewestPage', target: 'refreshing' }, { target: 'polling' }],
          },
        },
      },
    },
    history: {
      initial: 'idle',
      states: {
        idle: { on: { 'history.loadOlder': { guard: 'canLoadOlder', target: 'loadingOlder' } } },
        loadingOlder: {
          description: 'The page just before the first message held; ignores further requests until it ends.',
          tags: ['loadingOlder'],
          invoke: {
            src: 'fetchMessages',
            input: ({ context }) => ({
              token: context.token,
              page: { peer: context.peer, before: context.messages[0]?.id ?? 0, limit: PAGE_SIZE },
              etag: null,
            }),
            onDone: {
              target: 'idle',
              actions: { type: 'storeOlder', params: ({ event }) => ({ answer: event.output }) },
            },
            onError: {
              target: 'idle',
              actions: { type: 'storeFailure', params: ({ event }) => ({ failure: toFailure(event.error) }) },
            },
          },
        },
      },
    },
  },
});
