import { assign, enqueueActions, not, raise, sendParent, setup, stateIn } from 'xstate';
import { meansOffline, toFailure } from './actors/failure';
import { notProvided } from './actors/notProvided';
import type {
  ActivityReportEvent,
  ConnectionFailedEvent,
  FriendsCommand,
  FriendsLoadedEvent,
  Transport,
} from './events';
import { applyFriendEvents, asLastKnown, markRead, withFetched } from './friendList';
import type { ApiFailure, Conditional, FriendBody, PushEvent } from './ports';

export interface FriendsInput {
  token: string;
  /** Whose list it is: the kept copy is per user. */
  username: string;
  online: boolean;
  transport: Transport;
  /** The tab is hidden: polls come less often. */
  hidden?: boolean;
}

export interface AddFriendState {
  status: 'idle' | 'adding' | 'added' | 'failed';
  username: string | null;
  /** The server's sentence when the last add failed. */
  error: string | null;
}

export interface FriendsContext {
  token: string;
  username: string;
  /** Sorted by username. */
  friends: FriendBody[];
  etag: string | null;
  online: boolean;
  transport: Transport;
  hidden: boolean;
  /** The friend whose conversation is open: their messages are read as they arrive. */
  openPeer: string | null;
  add: AddFriendState;
  lastError: ApiFailure | null;
}

type Connection = { online: boolean; transport: Transport };

/** A fetch answered (`changed`: the list differs from the one held): the kept copy follows. */
type FetchedEvent = { type: 'friends.fetched'; changed: boolean };

/**
 * The friends list and the add-friend lifecycle, as two regions. The list loads at start, then keeps
 * current: by polling every `friendsPollInterval` when the transport is polling and the connection is
 * online, or from pushed events when live. Every refetch (asked for, a pushed `friend`, `push.resync`,
 * coming back online, a friend added) goes through one internal event, `friends.refresh`, which restarts
 * any fetch in flight: its answer may predate the news. A fetch that fails while online (a 5xx, a malformed
 * answer) is tried again after `friendsPollInterval`, live or not: a pushed `friend` adds no one by itself.
 *
 * The last list fetched is kept in storage (per user), and read at start while the first fetch runs: if the
 * storage answers first, its list is shown at once, every friend `offline` (presence is unknown), tagged
 * `lastKnown` until a fetch answers and replaces it. So a reload while the server cannot be reached still
 * shows the friends, and their conversations can be opened. `unloaded` tags the time before any fetch
 * answered: an empty list then says nothing about the person's friends.
 *
 * A `friend.add` while another add runs is ignored (`can()` is false, so the UI disables the button):
 * a person adds one name at a time, and a queued add would report long after it was typed.
 *
 * To the parent: `connection.failed` when a call could not reach the server, `activity.report` when an
 * add ends, and `friends.loaded` with the list once the server has answered it for the first time.
 */
const friendsSetup = setup({
  types: {
    input: {} as FriendsInput,
    context: {} as FriendsContext,
    events: {} as FriendsCommand | FetchedEvent,
  },
  actors: {
    fetchFriends: notProvided<Conditional<FriendBody[]>, { token: string; etag: string | null }>(
      'fetchFriends',
    ),
    addFriend: notProvided<string, { token: string; username: string }>('addFriend'),
    loadFriends: notProvided<FriendBody[] | null, { username: string }>('loadFriends'),
    saveFriends: notProvided<void, { username: string; friends: FriendBody[] }>('saveFriends'),
  },
  delays: { friendsPollInterval: ({ context }) => (context.hidden ? 60_000 : 10_000) },
  guards: {
    shouldPoll: ({ context }) => context.online && context.transport === 'polling',
    /** The last fetch failed while the server was reachable (a 5xx, a malformed answer): try again. */
    failedWhileOnline: ({ context }) => context.lastError !== null && context.online,
    isFirstLoad: stateIn({ list: 'loading' }),
    comesOnline: ({ context }, params: Connection) => !context.online && params.online,
    changesConnection: ({ context }, params: Connection) =>
      context.online !== params.online || context.transport !== params.transport,
    bringsFriend: (_, params: { events: PushEvent[] }) => params.events.some((e) => e.type === 'friend'),
    changesList: ({ context }, params: { events: PushEvent[] }) =>
      applyFriendEvents(context.friends, params.events, context.openPeer) !== null,
    isKeptList: (_, params: { kept: FriendBody[] | null }) => (params.kept?.length ?? 0) > 0,
    changesKept: (_, params: { changed: boolean }) => params.changed,
    changesOpenPeer: ({ context }, params: { peer: string | null }) =>
      params.peer !== context.openPeer ||
      context.friends.some((f) => f.username === params.peer && f.unread > 0),
  },
  actions: {
    requestRefetch: raise({ type: 'friends.refresh' }),
    storeConnection: assign((_, params: Connection) => ({
      online: params.online,
      transport: params.transport,
    })),
    storeAnswer: enqueueActions(({ context, enqueue }, params: { answer: Conditional<FriendBody[]> }) => {
      const { answer } = params;
      const friends = answer.notModified
        ? context.friends
        : withFetched(context.friends, answer.body, context.openPeer);
      const etag = answer.notModified ? context.etag : answer.etag;
      if (friends !== context.friends || etag !== context.etag || context.lastError !== null)
        enqueue.assign({ friends, etag, lastError: null });
      enqueue.raise({ type: 'friends.fetched', changed: friends !== context.friends } satisfies FetchedEvent);
    }),
    showKept: assign(({ context }, params: { kept: FriendBody[] }) => ({
      friends: markRead(asLastKnown(params.kept), context.openPeer),
    })),
    storeFailure: enqueueActions(({ enqueue }, params: { failure: ApiFailure }) => {
      enqueue.assign({ lastError: params.failure });
      if (meansOffline(params.failure))
        enqueue.sendParent({
          type: 'connection.failed',
          failure: params.failure,
        } satisfies ConnectionFailedEvent);
    }),
    reportIfOffline: enqueueActions(({ enqueue }, params: { failure: ApiFailure }) => {
      if (meansOffline(params.failure))
        enqueue.sendParent({
          type: 'connection.failed',
          failure: params.failure,
        } satisfies ConnectionFailedEvent);
    }),
    applyPushed: assign(({ context }, params: { events: PushEvent[] }) => ({
      friends: applyFriendEvents(context.friends, params.events, context.openPeer) ?? context.friends,
    })),
    openConversation: assign(({ context }, params: { peer: string | null }) => ({
      openPeer: params.peer,
      friends: markRead(context.friends, params.peer),
    })),
    startAdding: assign((_, params: { username: string }) => ({
      add: { status: 'adding', username: params.username, error: null } satisfies AddFriendState,
    })),
    markAdded: assign((_, params: { username: string }) => ({
      add: { status: 'added', username: params.username, error: null } satisfies AddFriendState,
    })),
    markAddFailed: assign(({ context }, params: { failure: ApiFailure }) => ({
      add: { ...context.add, status: 'failed', error: params.failure.message } satisfies AddFriendState,
    })),
    reportLoaded: sendParent(
      ({ context }): FriendsLoadedEvent => ({ type: 'friends.loaded', friends: context.friends }),
    ),
    reportAdded: sendParent(
      (_, params: { username: string }): ActivityReportEvent => ({
        type: 'activity.report',
        kind: 'info',
        text: `Added ${params.username}`,
      }),
    ),
    reportAddFailed: sendParent(
      ({ context }, params: { failure: ApiFailure }): ActivityReportEvent => ({
        type: 'activity.report',
        kind: 'error',
        text: `Could not add ${context.add.username}: ${params.failure.message}`,
      }),
    ),
  },
});

/** The list fetch, the same for the first load and every refresh (with the ETag held, so 304 is cheap). */
const fetchList = friendsSetup.createStateConfig({
  invoke: {
    src: 'fetchFriends',
    input: ({ context }) => ({ token: context.token, etag: context.etag }),
    onDone: {
      target: 'idle',
      actions: { type: 'storeAnswer', params: ({ event }) => ({ answer: event.output }) },
    },
    onError: {
      target: 'idle',
      actions: { type: 'storeFailure', params: ({ event }) => ({ failure: toFailure(event.error) }) },
    },
  },
}).invoke;

/** Leaving the `unloaded` states: the server's first answer is kept, and the parent is told the list. */
const firstAnswer = { target: 'writing', actions: 'reportLoaded' } as const;

export const friendsMachine = friendsSetup.createMachine({
  id: 'friends',
  type: 'parallel',
  context: ({ input }) => ({
    token: input.token,
    username: input.username,
    friends: [],
    etag: null,
    online: input.online,
    transport: input.transport,
    hidden: input.hidden ?? false,
    openPeer: null,
    add: { status: 'idle', username: null, error: null },
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
        guard: { type: 'bringsFriend', params: ({ event }) => event },
        actions: [{ type: 'applyPushed', params: ({ event }) => event }, 'requestRefetch'],
      },
      {
        guard: { type: 'changesList', params: ({ event }) => event },
        actions: { type: 'applyPushed', params: ({ event }) => event },
      },
    ],
    'push.resync': { actions: 'requestRefetch' },
    'conversation.opened': {
      guard: { type: 'changesOpenPeer', params: ({ event }) => event },
      actions: { type: 'openConversation', params: ({ event }) => event },
    },
  },
  states: {
    list: {
      initial: 'loading',
      on: {
        'friends.refresh': [{ guard: 'isFirstLoad', target: '.loading' }, { target: '.refreshing' }],
      },
      states: {
        loading: {
          description: 'The first load: no list yet.',
          tags: ['loading'],
          invoke: fetchList,
        },
        refreshing: {
          description: 'Fetching the list again, with the ETag held: 304 changes nothing.',
          invoke: fetchList,
        },
        idle: {
          description:
            'Live (pushed events keep the list current) or offline: fetches only when asked, or again after friendsPollInterval when the last fetch failed while online (no push would repair the list).',
          always: { guard: 'shouldPoll', target: 'polling' },
          after: { friendsPollInterval: { guard: 'failedWhileOnline', target: 'refreshing' } },
        },
        polling: {
          description: 'Polling transport, online: fetches again after friendsPollInterval.',
          always: { guard: not('shouldPoll'), target: 'idle' },
          after: { friendsPollInterval: 'refreshing' },
        },
      },
    },
    kept: {
      initial: 'reading',
      states: {
        reading: {
          description:
            'Reading the list kept from the last visit, while the first fetch runs: whichever answers first is shown.',
          tags: ['loading', 'unloaded'],
          invoke: {
            src: 'loadFriends',
            input: ({ context }) => ({ username: context.username }),
            onDone: [
              {
                guard: { type: 'isKeptList', params: ({ event }) => ({ kept: event.output }) },
                target: 'shown',
                actions: {
                  type: 'showKept',
                  params: ({ event }) => ({ kept: event.output ?? [] }),
                },
              },
              { target: 'nothing' },
            ],
            // Unreadable storage is no worse than an empty one: the fetch still brings the list.
            onError: 'nothing',
          },
          on: { 'friends.fetched': firstAnswer },
        },
        shown: {
          description:
            'The list on screen is the kept one, every friend offline (presence unknown), until a fetch answers.',
          tags: ['lastKnown', 'unloaded'],
          on: { 'friends.fetched': firstAnswer },
        },
        nothing: {
          description: 'Nothing kept, and no fetch has answered yet.',
          tags: ['unloaded'],
          on: { 'friends.fetched': firstAnswer },
        },
        idle: {
          description: 'The kept copy is the last list fetched.',
          on: {
            'friends.fetched': {
              guard: { type: 'changesKept', params: ({ event }) => event },
              target: 'writing',
            },
          },
        },
        writing: {
          description: 'Keeping the list just fetched; a newer one restarts the write (the last one wins).',
          invoke: {
            src: 'saveFriends',
            input: ({ context }) => ({ username: context.username, friends: context.friends }),
            // A list not kept costs only the offline view of it on the next start: nothing to tell.
            onDone: 'idle',
            onError: 'idle',
          },
          on: {
            'friends.fetched': {
              guard: { type: 'changesKept', params: ({ event }) => event },
              target: 'writing',
              reenter: true,
            },
          },
        },
      },
    },
    add: {
      initial: 'ready',
      states: {
        ready: {
          description: 'No add running; context.add tells how the last one ended (idle, added or failed).',
          on: {
            'friend.add': {
              target: 'adding',
              actions: { type: 'startAdding', params: ({ event }) => event },
            },
          },
        },
        adding: {
          tags: ['adding'],
          invoke: {
            src: 'addFriend',
            input: ({ context }) => ({ token: context.token, username: context.add.username ?? '' }),
            onDone: {
              target: 'ready',
              actions: [
                { type: 'markAdded', params: ({ event }) => ({ username: event.output }) },
                { type: 'reportAdded', params: ({ event }) => ({ username: event.output }) },
                'requestRefetch',
              ],
            },
            onError: {
              target: 'ready',
              actions: [
                { type: 'markAddFailed', params: ({ event }) => ({ failure: toFailure(event.error) }) },
                { type: 'reportAddFailed', params: ({ event }) => ({ failure: toFailure(event.error) }) },
                { type: 'reportIfOffline', params: ({ event }) => ({ failure: toFailure(event.error) }) },
              ],
            },
          },
        },
      },
    },
  },
});
