import { type AnyActorRef, assign, enqueueActions, setup, spawnChild, stopChild } from 'xstate';
import type { SignInInput } from './actors/api';
import { notProvided, notProvidedCallback } from './actors/notProvided';
import { connectionMachine } from './connectionMachine';
import { conversationMachine } from './conversationMachine';
import type {
  ActivityEntry,
  ActivityReportEvent,
  ConnectionFailedEvent,
  ConnectionNewsEvent,
  EnvironmentEvent,
  FriendsLoadedEvent,
  IntentEvent,
  SelectionSettledEvent,
  Transport,
} from './events';
import { friendsMachine } from './friendsMachine';
import { outboxMachine } from './outboxMachine';
import type { ApiFailure, FriendBody, KeptView, Session } from './ports';
import { selectionMachine } from './selectionMachine';

const describeError = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** How many Activity sentences are kept: the status bar shows the last, the inspector the rest. */
export const ACTIVITY_LIMIT = 50;

export interface AppContext {
  session: Session | null;
  authError: string | null;
  online: boolean;
  transport: Transport;
  /** The friend whose conversation is open (the settled selection). */
  peer: string | null;
  /** Friends whose conversations are kept open beside it (`conversation.watch`), each `watch-<peer>`. */
  watched: string[];
  /** The friend whose conversation was open when this person last left: reopened once the list confirms them. */
  keptPeer: string | null;
  /**
   * The conversation reopened at start, and how many of its messages were unread then: where its unread
   * divider goes. (When a person chooses a friend, the UI notes the count itself.)
   */
  reopened: { peer: string; unread: number } | null;
  hidden: boolean;
  activity: ActivityEntry[];
  activitySeq: number;
  seed: number;
}

export type AppEvent =
  | IntentEvent
  | ConnectionNewsEvent
  | ConnectionFailedEvent
  | ActivityReportEvent
  | SelectionSettledEvent
  | FriendsLoadedEvent
  | EnvironmentEvent;

type ChildId = 'connection' | 'friends' | 'selection' | 'outbox' | 'conversation';

/** The id of the conversation actor kept open for `peer` by `conversation.watch`. */
export const watchId = (peer: string) => `watch-${peer}`;

/** The running children named, plus every watched conversation when `withWatched`. */
function childrenOf(self: AnyActorRef, ids: readonly ChildId[], withWatched: boolean): AnyActorRef[] {
  const children = self.getSnapshot().children as Record<string, AnyActorRef | undefined>;
  const named = ids.map((id) => children[id]).filter((c): c is AnyActorRef => c !== undefined);
  if (!withWatched) return named;
  const watched = Object.entries(children)
    .filter(([id, child]) => id.startsWith('watch-') && child !== undefined)
    .map(([, child]) => child as AnyActorRef);
  return [...named, ...watched];
}

/**
 * The root: signs in and out, and while signed in runs the connection, friends, selection and outbox
 * actors, plus one conversation actor for the open peer (re-invoked on each switch, so the old one and its
 * requests stop). It routes a person's intents to the actor that owns them and the connection's news to
 * the rest; children talk only to it. Leaving `signedIn` stops every one of them.
 *
 * The open peer is kept in storage, per user, each time a conversation opens; a session restored at start
 * reopens it (without the selection's debounce) once the server's friends list shows that friend is still
 * one. Signing out forgets it with the rest of the user's kept data.
 */
const appSetup = setup({
  types: {
    context: {} as AppContext,
    events: {} as AppEvent,
    input: {} as { seed?: number } | undefined,
    emitted: {} as { type: 'activity'; entry: ActivityEntry },
  },
  actors: {
    loadSession: notProvided<Session | null>('loadSession'),
    saveSession: notProvided<void, { session: Session | null }>('saveSession'),
    forgetFriends: notProvided<void, { username: string }>('forgetFriends'),
    loadView: notProvided<KeptView | null, { username: string }>('loadView'),
    saveView: notProvided<void, { username: string; view: KeptView | null }>('saveView'),
    signIn: notProvided<Session, SignInInput>('signIn'),
    signOut: notProvided<void, { token: string }>('signOut'),
    watchEnvironment: notProvidedCallback('watchEnvironment'),
    connection: connectionMachine,
    friends: friendsMachine,
    selection: selectionMachine,
    outbox: outboxMachine,
    conversation: conversationMachine,
  },
  guards: {
    hasSession: (_, params: { session: Session | null }) => params.session !== null,
    isNewPeer: ({ context }, params: { peer: string }) => context.peer !== params.peer,
    isWatched: ({ context }, params: { peer: string }) => context.watched.includes(params.peer),
    isUnwatched: ({ context }, params: { peer: string }) => !context.watched.includes(params.peer),
    hasKeptView: (_, params: { view: KeptView | null }) => params.view !== null,
    isKeptFriend: ({ context }, params: { friends: FriendBody[] }) =>
      params.friends.some((f) => f.username === context.keptPeer),
  },
  actions: {
    signedIn: assign((_, params: { session: Session }) => ({ session: params.session, authError: null })),
    signInFailed: assign((_, params: { failure: ApiFailure }) => ({ authError: params.failure.message })),
    clearSession: assign({ session: null, peer: null, keptPeer: null, reopened: null, online: false }),
    /** A conversation actor of its own for `peer`, started as current as the root knows the connection. */
    watchPeer: enqueueActions(({ context, enqueue }, params: { peer: string }) => {
      enqueue.spawnChild('conversation', {
        id: watchId(params.peer),
        input: {
          token: context.session?.token ?? '',
          peer: params.peer,
          online: context.online,
          transport: context.transport,
          hidden: context.hidden,
        },
      });
      enqueue.assign({ watched: [...context.watched, params.peer] });
    }),
    unwatchPeer: enqueueActions(({ context, enqueue }, params: { peer: string }) => {
      enqueue.stopChild(watchId(params.peer));
      enqueue.assign({ watched: context.watched.filter((p) => p !== params.peer) });
    }),
    /** Leaving `signedIn`: spawned conversations do not stop with the state, so they are stopped here. */
    unwatchAll: enqueueActions(({ context, enqueue }) => {
      for (const peer of context.watched) enqueue.stopChild(watchId(peer));
      if (context.watched.length > 0) enqueue.assign({ watched: [] });
    }),
    noteExpired: assign({ authError: 'Your session has ended; please sign in again.' }),
    openPeer: assign((_, params: { peer: string }) => ({ peer: params.peer })),
    keepView: assign((_, params: { view: KeptView }) => ({ keptPeer: params.view.peer })),
    dropKeptPeer: assign({ keptPeer: null }),
    reopenPeer: assign((_, params: { peer: string; unread: number }) => ({
      peer: params.peer,
      keptPeer: null,
      reopened: { peer: params.peer, unread: params.unread },
    })),
    keepConnectionNews: assign((_, params: { online: boolean; transport: Transport }) => ({
      online: params.online,
      transport: params.transport,
    })),
    setHidden: assign((_, params: { hidden: boolean }) => ({ hidden: params.hidden })),
    persistSession: spawnChild('saveSession', {
      id: 'saveSession',
      input: ({ context }) => ({ session: context.session }),
    }),
    /**
     * Before `clearSession`: the kept friends list and open conversation go with the session, so the next
     * person never sees them.
     */
    forgetUser: enqueueActions(({ context, enqueue }) => {
      const username = context.session?.username ?? '';
      enqueue.spawnChild('forgetFriends', { id: 'forgetFriends', input: { username } });
      enqueue.spawnChild('saveView', { id: 'forgetView', input: { username, view: null } });
    }),
    recordActivity: enqueueActions(
      ({ context, enqueue }, params: { kind: 'info' | 'error'; text: string }) => {
        const entry: ActivityEntry = { seq: context.activitySeq + 1, kind: params.kind, text: params.text };
        enqueue.assign({
          activity: [...context.activity, entry].slice(-ACTIVITY_LIMIT),
          activitySeq: entry.seq,
        });
        enqueue.emit({ type: 'activity', entry });
      },
    ),
    tellVisibility: enqueueActions(({ self, enqueue }, params: { hidden: boolean }) => {
      for (const child of childrenOf(self, ['friends', 'conversation'], true)) {
        enqueue.sendTo(child, { type: 'visibility.changed', hidden: params.hidden });
      }
    }),
    tellFriendsOpened: enqueueActions(({ context, self, enqueue }) => {
      const friends = (self.getSnapshot().children as Partial<Record<ChildId, AnyActorRef>>).friends;
      if (friends) enqueue.sendTo(friends, { type: 'conversation.opened', peer: context.peer });
    }),
    /** Passes the current event on to those of the named children that are running (and the watched ones). */
    forward: enqueueActions(({ event, self, enqueue }, params: { to: ChildId[]; watched?: boolean }) => {
      for (const child of childrenOf(self, params.to, params.watched ?? false)) enqueue.sendTo(child, event);
    }),
    /** `history.loadOlder` with a peer goes to that watched conversation, without one to the open one. */
    forwardLoadOlder: enqueueActions(({ event, self, enqueue }) => {
      if (event.type !== 'history.loadOlder') return;
      const children = self.getSnapshot().children as Record<string, AnyActorRef | undefined>;
      const child = children[event.peer === undefined ? 'conversation' : watchId(event.peer)];
      if (child) enqueue.sendTo(child, { type: 'history.loadOlder' });
    }),
  },
});

/**
 * Handled by `browsing` and `chatting` themselves (not by `signedIn`), so re-entering restarts only the
 * conversation actor and not the connection, friends and outbox around it.
 */
const openConversation = {
  guard: {
    type: 'isNewPeer',
    params: ({ event }: { event: SelectionSettledEvent }) => ({ peer: event.peer }),
  },
  target: 'chatting',
  reenter: true,
  actions: [
    { type: 'openPeer', params: ({ event }: { event: SelectionSettledEvent }) => ({ peer: event.peer }) },
    'tellFriendsOpened',
  ],
} as const;

export const appMachine = appSetup.createMachine({
  id: 'app',
  context: ({ input }) => ({
    session: null,
    authError: null,
    online: false,
    transport: 'live',
    peer: null,
    watched: [],
    keptPeer: null,
    reopened: null,
    hidden: false,
    activity: [],
    activitySeq: 0,
    seed: input?.seed ?? 1,
  }),
  initial: 'restoring',
  on: {
    // A finished save leaves the children list, so the inspector shows only what still runs.
    'xstate.done.actor.saveSession': { actions: stopChild('saveSession') },
    'xstate.done.actor.forgetFriends': { actions: stopChild('forgetFriends') },
    'xstate.done.actor.forgetView': { actions: stopChild('forgetView') },
    // A storage that fails never stops the system: the person is told what could not be kept.
    'xstate.error.actor.saveSession': {
      actions: [
        stopChild('saveSession'),
        {
          type: 'recordActivity',
          params: ({ event }: { event: { error: unknown } }) => ({
            kind: 'error' as const,
            text: `Could not keep the session on this device: ${describeError(event.error)}`,
          }),
        },
      ],
    },
    'xstate.error.actor.forgetFriends': {
      actions: [
        stopChild('forgetFriends'),
        {
          type: 'recordActivity',
          params: ({ event }: { event: { error: unknown } }) => ({
            kind: 'error' as const,
            text: `Could not forget the kept friends list: ${describeError(event.error)}`,
          }),
        },
      ],
    },
    // Not forgotten, the view could only reopen a conversation for this same user: nothing to tell.
    'xstate.error.actor.forgetView': { actions: stopChild('forgetView') },
    'activity.report': {
      actions: { type: 'recordActivity', params: ({ event }) => ({ kind: event.kind, text: event.text }) },
    },
  },
  states: {
    restoring: {
      description: 'Looking for a session kept from an earlier visit, and for what it had open.',
      tags: ['loading'],
      initial: 'session',
      states: {
        session: {
          invoke: {
            src: 'loadSession',
            onDone: [
              {
                guard: { type: 'hasSession', params: ({ event }) => ({ session: event.output }) },
                target: 'view',
                actions: { type: 'signedIn', params: ({ event }) => ({ session: event.output as Session }) },
              },
              { target: '#app.signedOut' },
            ],
            onError: '#app.signedOut',
          },
        },
        view: {
          description:
            'Reading which conversation this user had open, before the friends actor starts: its list is what confirms that friend.',
          invoke: {
            src: 'loadView',
            input: ({ context }) => ({ username: context.session?.username ?? '' }),
            onDone: [
              {
                guard: { type: 'hasKeptView', params: ({ event }) => ({ view: event.output }) },
                target: '#app.signedIn.reopening',
                actions: { type: 'keepView', params: ({ event }) => ({ view: event.output as KeptView }) },
              },
              { target: '#app.signedIn' },
            ],
            // Unreadable, the view is no worse than none: signed in with no conversation open.
            onError: '#app.signedIn',
          },
        },
      },
    },
    signedOut: {
      tags: ['signedOut'],
      initial: 'idle',
      states: {
        idle: {
          on: { 'session.login': 'submitting', 'session.register': 'submitting' },
        },
        submitting: {
          tags: ['busy'],
          invoke: {
            src: 'signIn',
            // The password goes from the event straight into the request: it is never kept in context.
            input: ({ event }) => {
              const e = event as Extract<AppEvent, { type: 'session.login' | 'session.register' }>;
              return {
                mode: e.type === 'session.login' ? 'login' : 'register',
                username: e.username,
                password: e.password,
              };
            },
            onDone: {
              target: '#app.signedIn',
              actions: [
                { type: 'signedIn', params: ({ event }) => ({ session: event.output }) },
                'persistSession',
              ],
            },
            onError: {
              target: 'idle',
              actions: {
                type: 'signInFailed',
                params: ({ event }) => ({ failure: event.error as ApiFailure }),
              },
            },
          },
        },
      },
    },
    signedIn: {
      tags: ['signedIn'],
      exit: 'unwatchAll',
      invoke: [
        {
          id: 'connection',
          systemId: 'connection',
          src: 'connection',
          input: ({ context }) => ({ token: context.session?.token ?? null, seed: context.seed }),
        },
        {
          id: 'friends',
          systemId: 'friends',
          src: 'friends',
          input: ({ context }) => ({
            token: context.session?.token ?? '',
            username: context.session?.username ?? '',
            online: context.online,
            transport: context.transport,
            hidden: context.hidden,
          }),
        },
        { id: 'selection', systemId: 'selection', src: 'selection' },
        {
          id: 'outbox',
          systemId: 'outbox',
          src: 'outbox',
          input: ({ context }) => ({
            token: context.session?.token ?? '',
            username: context.session?.username ?? '',
            online: context.online,
          }),
        },
        { id: 'environment', src: 'watchEnvironment' },
      ],
      on: {
        'friend.select': { actions: { type: 'forward', params: { to: ['selection'] } } },
        'friend.add': { actions: { type: 'forward', params: { to: ['friends'] } } },
        'message.send': { actions: { type: 'forward', params: { to: ['outbox'] } } },
        'message.retry': { actions: { type: 'forward', params: { to: ['outbox'] } } },
        'history.loadOlder': { actions: 'forwardLoadOlder' },
        'conversation.watch': {
          guard: { type: 'isUnwatched', params: ({ event }) => event },
          actions: { type: 'watchPeer', params: ({ event }) => event },
        },
        'conversation.unwatch': {
          guard: { type: 'isWatched', params: ({ event }) => event },
          actions: { type: 'unwatchPeer', params: ({ event }) => event },
        },
        'connection.retryNow': { actions: { type: 'forward', params: { to: ['connection'] } } },
        'connection.failed': { actions: { type: 'forward', params: { to: ['connection'] } } },
        'connection.changed': {
          actions: [
            { type: 'keepConnectionNews', params: ({ event }) => event },
            { type: 'forward', params: { to: ['friends', 'outbox', 'conversation'], watched: true } },
          ],
        },
        'push.batch': {
          actions: { type: 'forward', params: { to: ['friends', 'outbox', 'conversation'], watched: true } },
        },
        'push.resync': {
          actions: { type: 'forward', params: { to: ['friends', 'conversation'], watched: true } },
        },
        'env.wake': {
          // Back in front of the person: check the connection and bring the lists up to date at once.
          actions: [
            { type: 'forward', params: { to: ['connection'] } },
            enqueueActions(({ self, enqueue }) => {
              for (const child of childrenOf(self, ['friends'], false))
                enqueue.sendTo(child, { type: 'friends.refresh' });
              for (const child of childrenOf(self, ['conversation'], true))
                enqueue.sendTo(child, { type: 'conversation.refresh' });
            }),
          ],
        },
        'env.hidden': {
          actions: [
            { type: 'setHidden', params: { hidden: true } },
            { type: 'tellVisibility', params: { hidden: true } },
          ],
        },
        'env.visible': {
          actions: [
            { type: 'setHidden', params: { hidden: false } },
            { type: 'tellVisibility', params: { hidden: false } },
          ],
        },
        'session.logout': 'signingOut',
        'session.expired': {
          target: 'signedOut',
          actions: ['forgetUser', 'clearSession', 'persistSession', 'noteExpired'],
        },
      },
      initial: 'browsing',
      states: {
        reopening: {
          description:
            "Restored from an earlier visit: the conversation that was open opens again once the server's friends list shows that friend is still one (and how many of their messages are unread). A friend the person chooses first wins.",
          on: {
            'friends.loaded': [
              {
                guard: { type: 'isKeptFriend', params: ({ event }) => ({ friends: event.friends }) },
                target: 'chatting',
                actions: [
                  {
                    type: 'reopenPeer',
                    params: ({ context, event }) => {
                      const peer = context.keptPeer ?? '';
                      return { peer, unread: event.friends.find((f) => f.username === peer)?.unread ?? 0 };
                    },
                  },
                  'tellFriendsOpened',
                ],
              },
              { target: 'browsing', actions: 'dropKeptPeer' },
            ],
            'friend.select': {
              target: 'browsing',
              actions: [{ type: 'forward', params: { to: ['selection'] } }, 'dropKeptPeer'],
            },
          },
        },
        browsing: {
          description: 'Signed in with no conversation open.',
          on: { 'selection.settled': openConversation },
        },
        chatting: {
          description: 'A conversation is open; choosing another friend re-enters, replacing its actor.',
          on: { 'selection.settled': openConversation },
          invoke: [
            {
              id: 'conversation',
              systemId: 'conversation',
              src: 'conversation',
              input: ({ context }) => ({
                token: context.session?.token ?? '',
                peer: context.peer ?? '',
                online: context.online,
                transport: context.transport,
                hidden: context.hidden,
              }),
            },
            {
              // Kept on each open, so a reload returns here; a quick switch restarts it (the last one wins).
              id: 'saveView',
              src: 'saveView',
              input: ({ context }) => ({
                username: context.session?.username ?? '',
                view: { peer: context.peer ?? '' },
              }),
              // Not kept, the view costs only the reopening on the next start: nothing to tell.
              onError: { actions: [] },
            },
          ],
        },
      },
    },
    signingOut: {
      tags: ['busy'],
      invoke: {
        src: 'signOut',
        input: ({ context }) => ({ token: context.session?.token ?? '' }),
        // Signed out locally whatever the server says: the token is forgotten either way.
        onDone: { target: 'signedOut', actions: ['forgetUser', 'clearSession', 'persistSession'] },
        onError: { target: 'signedOut', actions: ['forgetUser', 'clearSession', 'persistSession'] },
      },
    },
  },
});
