import { type ActorRefFrom, assign, enqueueActions, sendParent, setup } from 'xstate';
import type { createApiActors } from './actors/api';
import { notProvided } from './actors/notProvided';
import type { createStorageActors } from './actors/storage';
import type { ActivityReportEvent, ConnectionFailedEvent, OutboxCommand } from './events';
import type { OutgoingMessage, PushEvent } from './ports';
import { type SendSettledEvent, sendMachine } from './sendMachine';

/**
 * How many send actors are kept in `sent` (the server has the message, the recipient has not read it yet).
 * Beyond this the oldest are stopped and dropped: the conversation's copy from the server carries the same
 * message and its `delivered` flag, so only this outbox's view of it is lost, never the message.
 */
export const SENT_KEEP_LIMIT = 200;
/** Pushed `delivered` ids that matched no send actor yet (the push overtook the POST's answer). */
const EARLY_DELIVERED_LIMIT = 100;

export type SendRef = ActorRefFrom<typeof sendMachine>;
export interface SendEntry {
  clientId: string;
  to: string;
  ref: SendRef;
}

type Write = { kind: 'put'; message: OutgoingMessage } | { kind: 'remove'; clientId: string };

export interface OutboxContext {
  token: string;
  username: string;
  online: boolean;
  /** Every live send actor, in the order written; the UI reads each ref's snapshot. */
  sends: SendEntry[];
  /** Durable messages waiting for their turn, in order; for each peer the first one goes next. */
  queue: string[];
  /** The messages that have their turn and have not settled: at most one per peer. */
  granted: string[];
  /** Storage writes, done one at a time in order (a put before the send it makes durable). */
  writes: Write[];
  earlyDelivered: number[];
}

export type OutboxEvent = OutboxCommand | SendSettledEvent | ConnectionFailedEvent | ActivityReportEvent;

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

const entryOf = (context: OutboxContext, clientId: string) =>
  context.sends.find((e) => e.clientId === clientId);

/**
 * The durable queue of outgoing messages: one send actor (`send-<clientId>`) per message, each written to
 * storage before it may go out, so a reload resumes it with the same clientId (and the server, which
 * de-duplicates on it, stores it once). Messages to one peer go out in the order written, one at a time;
 * different peers do not wait for each other.
 */
export const outboxMachine = setup({
  types: {
    context: {} as OutboxContext,
    input: {} as { token: string; username: string; online: boolean },
    events: {} as OutboxEvent,
  },
  actors: {
    /** Provided with its own `postMessage` (see `provideOutbox`): a parent's `.provide()` does not reach it. */
    send: sendMachine,
    loadOutbox: notProvided<OutgoingMessage[], { username: string }>('loadOutbox'),
    putOutgoing: notProvided<void, { username: string; message: OutgoingMessage }>('putOutgoing'),
    removeOutgoing: notProvided<void, { username: string; clientId: string }>('removeOutgoing'),
  },
  guards: {
    isNewMessage: ({ context }, params: { clientId: string }) =>
      !entryOf(context, params.clientId) &&
      !context.writes.some((w) => w.kind === 'put' && w.message.clientId === params.clientId),
    nextWriteIs: ({ context }, params: { kind: Write['kind'] }) => context.writes[0]?.kind === params.kind,
  },
  actions: {
    /**
     * A send actor per message, shown as pending at once. Saved ones (loaded at start) are durable already
     * and were written before anything since, so they go first and queue for their turn now.
     */
    spawnSends: assign(({ context, spawn }, params: { messages: OutgoingMessage[]; saved: boolean }) => {
      const added = params.messages
        .filter((m) => !entryOf(context, m.clientId))
        .map((message): SendEntry => {
          const input = { token: context.token, message, online: context.online };
          const ref = spawn('send', { id: `send-${message.clientId}`, input });
          return { clientId: message.clientId, to: message.to, ref };
        });
      if (!params.saved) return { sends: [...context.sends, ...added] };
      return {
        sends: [...added, ...context.sends],
        queue: [...added.map((e) => e.clientId), ...context.queue],
      };
    }),
    queueWrite: assign({ writes: ({ context }, params: Write) => [...context.writes, params] }),
    /** The write at the head is done: a message just saved may now have its turn. */
    finishWrite: assign(({ context }) => {
      const [done, ...rest] = context.writes;
      return {
        writes: rest,
        queue: done?.kind === 'put' ? [...context.queue, done.message.clientId] : context.queue,
      };
    }),
    /** Gives the turn to the first queued message of every peer that has none in flight. */
    grantTurns: enqueueActions(({ context, enqueue }) => {
      const busy = new Set(context.granted.map((id) => entryOf(context, id)?.to));
      const go: SendEntry[] = [];
      for (const clientId of context.queue) {
        const entry = entryOf(context, clientId);
        if (!entry || busy.has(entry.to)) continue;
        busy.add(entry.to);
        go.push(entry);
      }
      if (go.length === 0) return;
      const ids = new Set(go.map((e) => e.clientId));
      enqueue.assign({
        queue: context.queue.filter((id) => !ids.has(id)),
        granted: [...context.granted, ...ids],
      });
      for (const entry of go) enqueue.sendTo(entry.ref, { type: 'send.go' });
    }),
    settle: enqueueActions(({ context, enqueue }, params: SendSettledEvent) => {
      const { clientId, outcome, id } = params;
      let sends = context.sends;
      let earlyDelivered = context.earlyDelivered;
      const entry = entryOf(context, clientId);
      if (outcome === 'delivered' && entry) {
        enqueue.stopChild(entry.ref);
        sends = sends.filter((e) => e !== entry);
      }
      if (outcome === 'sent' && entry) {
        if (id !== undefined && earlyDelivered.includes(id)) {
          enqueue.sendTo(entry.ref, { type: 'message.delivered', id });
          earlyDelivered = earlyDelivered.filter((early) => early !== id);
        }
        const waiting = sends.filter((e) => e === entry || e.ref.getSnapshot().matches('sent'));
        const excess = waiting.slice(0, Math.max(0, waiting.length - SENT_KEEP_LIMIT));
        for (const old of excess) enqueue.stopChild(old.ref);
        if (excess.length > 0) sends = sends.filter((e) => !excess.includes(e));
      }
      enqueue.assign({
        sends,
        earlyDelivered,
        // The server has it: storage can forget it (twice is harmless when it went sent, then delivered).
        writes: outcome === 'failed' ? context.writes : [...context.writes, { kind: 'remove', clientId }],
        queue: context.queue.filter((q) => q !== clientId),
        granted: context.granted.filter((g) => g !== clientId),
      });
    }),
    /** A failed message goes to the end of its peer's queue. */
    retry: enqueueActions(({ context, enqueue }, params: { clientId: string }) => {
      const entry = entryOf(context, params.clientId);
      if (!entry?.ref.getSnapshot().hasTag('failed')) return;
      enqueue.sendTo(entry.ref, { type: 'message.retry', clientId: params.clientId });
      enqueue.assign({ queue: [...context.queue, params.clientId] });
    }),
    passConnection: enqueueActions(
      ({ context, enqueue }, params: { online: boolean; transport: 'live' | 'polling' }) => {
        if (context.online !== params.online) enqueue.assign({ online: params.online });
        for (const entry of context.sends) {
          enqueue.sendTo(entry.ref, {
            type: 'connection.changed',
            online: params.online,
            transport: params.transport,
          });
        }
      },
    ),
    /** Pushed receipts go to the send actor they concern; the rest of a batch is for other actors. */
    routePush: enqueueActions(({ context, enqueue }, params: { events: PushEvent[] }) => {
      const early: number[] = [];
      for (const pushed of params.events) {
        if (pushed.type === 'delivered') {
          const { id } = pushed.data;
          const entry = context.sends.find((e) => e.ref.getSnapshot().context.id === id);
          if (entry) enqueue.sendTo(entry.ref, { type: 'message.delivered', id });
          else early.push(id);
        } else if (
          pushed.type === 'message' &&
          pushed.data.direction === 'sent' &&
          pushed.data.clientId !== null
        ) {
          const entry = entryOf(context, pushed.data.clientId);
          const { id, delivered } = pushed.data;
          if (entry) enqueue.sendTo(entry.ref, { type: 'message.confirmed', id, delivered });
        }
      }
      if (early.length > 0) {
        enqueue.assign({
          earlyDelivered: [...context.earlyDelivered, ...early].slice(-EARLY_DELIVERED_LIMIT),
        });
      }
    }),
    relay: sendParent((_, params: ConnectionFailedEvent | ActivityReportEvent) => params),
    reportStorageError: sendParent(
      (_, params: { doing: string; error: unknown }): ActivityReportEvent => ({
        type: 'activity.report',
        kind: 'error',
        text: `${params.doing}: ${describe(params.error)}`,
      }),
    ),
  },
}).createMachine({
  id: 'outbox',
  context: ({ input }) => ({
    token: input.token,
    username: input.username,
    online: input.online,
    sends: [],
    queue: [],
    granted: [],
    writes: [],
    earlyDelivered: [],
  }),
  initial: 'loading',
  on: {
    'message.send': {
      guard: { type: 'isNewMessage', params: ({ event }) => event },
      actions: [
        {
          type: 'spawnSends',
          params: ({ event: { type: _, ...message } }) => ({ messages: [message], saved: false }),
        },
        { type: 'queueWrite', params: ({ event: { type: _, ...message } }) => ({ kind: 'put', message }) },
      ],
    },
    'message.retry': { actions: [{ type: 'retry', params: ({ event }) => event }, 'grantTurns'] },
    'send.settled': { actions: [{ type: 'settle', params: ({ event }) => event }, 'grantTurns'] },
    'connection.changed': { actions: { type: 'passConnection', params: ({ event }) => event } },
    'push.batch': { actions: { type: 'routePush', params: ({ event }) => event } },
    'connection.failed': { actions: { type: 'relay', params: ({ event }) => event } },
    'activity.report': { actions: { type: 'relay', params: ({ event }) => event } },
  },
  states: {
    loading: {
      description:
        'Reading the messages a previous run left unsent; they go out before anything written since.',
      invoke: {
        src: 'loadOutbox',
        input: ({ context }) => ({ username: context.username }),
        onDone: {
          target: 'idle',
          actions: [
            {
              type: 'spawnSends',
              params: ({ event }) => ({
                messages: [...event.output].sort((a, b) => a.createdAt - b.createdAt),
                saved: true,
              }),
            },
            'grantTurns',
          ],
        },
        onError: {
          target: 'idle',
          actions: {
            type: 'reportStorageError',
            params: ({ event }) => ({ doing: 'Could not load unsent messages', error: event.error }),
          },
        },
      },
    },
    idle: {
      always: [
        { guard: { type: 'nextWriteIs', params: { kind: 'put' } }, target: 'saving' },
        { guard: { type: 'nextWriteIs', params: { kind: 'remove' } }, target: 'removing' },
      ],
    },
    saving: {
      description: 'Writing the next message to storage; only then may it have its turn.',
      invoke: {
        src: 'putOutgoing',
        input: ({ context }) => ({ username: context.username, message: headWrite(context, 'put').message }),
        onDone: { target: 'idle', actions: ['finishWrite', 'grantTurns'] },
        // Not durable, but sent all the same: losing it on a reload beats not sending it now.
        onError: {
          target: 'idle',
          actions: [
            {
              type: 'reportStorageError',
              params: ({ event }) => ({ doing: 'Could not keep the message', error: event.error }),
            },
            'finishWrite',
            'grantTurns',
          ],
        },
      },
    },
    removing: {
      invoke: {
        src: 'removeOutgoing',
        input: ({ context }) => ({
          username: context.username,
          clientId: headWrite(context, 'remove').clientId,
        }),
        onDone: { target: 'idle', actions: 'finishWrite' },
        onError: {
          target: 'idle',
          actions: [
            {
              type: 'reportStorageError',
              params: ({ event }) => ({ doing: 'Could not clear a sent message', error: event.error }),
            },
            'finishWrite',
          ],
        },
      },
    },
  },
});

function headWrite<K extends Write['kind']>(context: OutboxContext, kind: K): Extract<Write, { kind: K }> {
  const write = context.writes[0];
  if (write?.kind !== kind) throw new Error(`the next storage write is not a ${kind}`);
  return write as Extract<Write, { kind: K }>;
}

/** The outbox's messages to one peer, in the order written (read each `ref`'s snapshot for its state). */
export const pendingFor = (snapshot: { context: Pick<OutboxContext, 'sends'> }, peer: string): SendEntry[] =>
  snapshot.context.sends.filter((e) => e.to === peer);

/** The outbox with real effects; the send actors get their own `postMessage` (a parent's provide stops at it). */
export const provideOutbox = ({
  postMessage,
  ...storage
}: Pick<ReturnType<typeof createApiActors>, 'postMessage'> &
  Pick<ReturnType<typeof createStorageActors>, 'loadOutbox' | 'putOutgoing' | 'removeOutgoing'>) =>
  outboxMachine.provide({ actors: { send: sendMachine.provide({ actors: { postMessage } }), ...storage } });
