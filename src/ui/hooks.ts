/**
 * The React side's whole view of the actor system: narrow selector hooks over the root and its children
 * (tags and `can()` rather than state paths), and `useChatEvents()`, the person's intents by name.
 */
import { useSelector } from '@xstate/react';
import { useContext, useMemo, useSyncExternalStore } from 'react';
import type { ActorRefFrom, SnapshotFrom } from 'xstate';
import type {
  connectionMachine,
  conversationMachine,
  friendsMachine,
  ParleyMachine,
  selectionMachine,
} from '../../machines';
import { meansOffline } from '../../machines/actors/failure';
import { type outboxMachine, pendingFor, type SendEntry } from '../../machines/outboxMachine';
import type { SendView } from '../../machines/timeline';
import { DraftsContext, OpeningsContext, type ParleyActor, RootContext } from './ParleyProvider';

const EMPTY: never[] = [];

function required<T>(value: T | null, what: string): T {
  if (value === null) throw new Error(`${what} is used outside <ParleyProvider>`);
  return value;
}

/** The root's children by id; the snapshot types them only as a union of every actor it may run. */
interface Children {
  connection?: ActorRefFrom<typeof connectionMachine>;
  selection?: ActorRefFrom<typeof selectionMachine>;
  friends?: ActorRefFrom<typeof friendsMachine>;
  outbox?: ActorRefFrom<typeof outboxMachine>;
  conversation?: ActorRefFrom<typeof conversationMachine>;
}
const child = <K extends keyof Children>(snapshot: SnapshotFrom<ParleyMachine>, id: K): Children[K] =>
  (snapshot.children as Children)[id];

export const useRoot = (): ParleyActor => required(useContext(RootContext), 'useRoot');
export const useDrafts = () => required(useContext(DraftsContext), 'useDrafts');
export const useOpenings = () => required(useContext(OpeningsContext), 'useOpenings');

export function useSession() {
  const root = useRoot();
  return {
    loading: useSelector(root, (s) => s.hasTag('loading')),
    signedIn: useSelector(root, (s) => s.hasTag('signedIn')),
    busy: useSelector(root, (s) => s.hasTag('busy')),
    username: useSelector(root, (s) => s.context.session?.username ?? null),
    authError: useSelector(root, (s) => s.context.authError),
  };
}

/** The open conversation's peer (the settled selection), or null. */
export const usePeer = () => useSelector(useRoot(), (s) => s.context.peer);

/**
 * How many of `peer`'s messages were unread when their conversation opened (where its unread divider
 * goes): noted when the person chose them, or, for the conversation reopened at start, by the core.
 */
export function useUnreadAtOpen(peer: string): number {
  const { unreadAtOpen } = useOpenings();
  const reopened = useSelector(useRoot(), (s) => s.context.reopened);
  return unreadAtOpen[peer] ?? (reopened?.peer === peer ? reopened.unread : 0);
}

/** The friend the person chose last: the pending choice while the selection settles, else the open one. */
export function useChosenFriend(): string | null {
  const root = useRoot();
  const ref = useSelector(root, (s) => child(s, 'selection'));
  const pending = useSelector(ref, (s) => s?.context.pending ?? null);
  const peer = useSelector(root, (s) => s.context.peer);
  return pending ?? peer;
}

export const useActivity = () => useSelector(useRoot(), (s) => s.context.activity.at(-1) ?? null);

export function useFriends() {
  const ref = useSelector(useRoot(), (s) => child(s, 'friends'));
  return {
    friends: useSelector(ref, (s) => s?.context.friends ?? EMPTY),
    loading: useSelector(ref, (s) => s?.hasTag('loading') ?? true),
    adding: useSelector(ref, (s) => s?.hasTag('adding') ?? false),
    /** The list is the one kept from an earlier visit: presence unknown until the server answers. */
    lastKnown: useSelector(ref, (s) => s?.hasTag('lastKnown') ?? false),
    /** The server has not answered the list yet: an empty list says nothing about the person's friends. */
    unloaded: useSelector(ref, (s) => s?.hasTag('unloaded') ?? true),
    /** The last fetch could not reach the server. */
    unreachable: useSelector(ref, (s) => (s?.context.lastError ? meansOffline(s.context.lastError) : false)),
  };
}

export function useConversation() {
  const ref = useSelector(useRoot(), (s) => child(s, 'conversation'));
  return {
    open: ref !== undefined,
    messages: useSelector(ref, (s) => s?.context.messages ?? EMPTY),
    loading: useSelector(ref, (s) => s?.hasTag('loading') ?? true),
    /** The first page could not be loaded: the history is unknown (only messages still to send show). */
    unloaded: useSelector(ref, (s) => (s ? !s.context.loaded && !s.hasTag('loading') : false)),
    loadingOlder: useSelector(ref, (s) => s?.hasTag('loadingOlder') ?? false),
    canLoadOlder: useSelector(ref, (s) => s?.can({ type: 'history.loadOlder' }) ?? false),
  };
}

export type ConnectionState = 'online' | 'offline' | 'checking';

export function useConnection() {
  const ref = useSelector(useRoot(), (s) => child(s, 'connection'));
  const state = useSelector(ref, (s): ConnectionState => {
    if (s?.hasTag('online')) return 'online';
    if (s?.hasTag('offline')) return 'offline';
    return 'checking';
  });
  return {
    state,
    transport: useSelector(ref, (s) => (s?.hasTag('polling') ? 'polling' : 'live')),
    retrySeconds: useSelector(ref, (s) => Math.ceil((s?.context.retryRemainingMs ?? 0) / 1000)),
    /** Set while the last check failed: a check now is a reconnection, not the first connection. */
    lastError: useSelector(ref, (s) => s?.context.lastError ?? null),
  };
}

/** One send actor's snapshot as the conversation shows it. */
function viewOf(entry: SendEntry): SendView {
  const snapshot = entry.ref.getSnapshot();
  const { content, createdAt, id, error } = snapshot.context;
  const status = snapshot.hasTag('failed')
    ? 'failed'
    : snapshot.hasTag('delivered')
      ? 'delivered'
      : 'pending';
  return {
    clientId: entry.clientId,
    content,
    createdAt,
    id,
    status,
    sending: snapshot.hasTag('sending'),
    error,
  };
}

/** An external store over several send actors: one array, new only when one of their snapshots is. */
function sendsStore(entries: readonly SendEntry[]) {
  let snapshots: unknown[] = [];
  let views: SendView[] = EMPTY;
  return {
    subscribe(notify: () => void) {
      const subs = entries.map((e) => e.ref.subscribe({ next: notify, error: notify }));
      return () => {
        for (const sub of subs) sub.unsubscribe();
      };
    },
    get(): SendView[] {
      const now = entries.map((e) => e.ref.getSnapshot());
      if (now.length !== snapshots.length || now.some((s, i) => s !== snapshots[i])) {
        snapshots = now;
        views = entries.length === 0 ? EMPTY : entries.map(viewOf);
      }
      return views;
    },
  };
}

const sameEntries = (a: readonly SendEntry[], b: readonly SendEntry[]) =>
  a.length === b.length && a.every((e, i) => e === b[i]);

/** The outbox's messages to `peer`, each as its send actor stands now. */
export function useSends(peer: string | null): SendView[] {
  const ref = useSelector(useRoot(), (s) => child(s, 'outbox'));
  const entries = useSelector(ref, (s) => (s && peer ? pendingFor(s, peer) : EMPTY), sameEntries);
  const store = useMemo(() => sendsStore(entries), [entries]);
  return useSyncExternalStore(store.subscribe, store.get, store.get);
}

/** What a person can ask for, by name. */
export function useChatEvents() {
  const root = useRoot();
  const { noteOpened } = useOpenings();
  return useMemo(
    () => ({
      logIn: (username: string, password: string) => root.send({ type: 'session.login', username, password }),
      register: (username: string, password: string) =>
        root.send({ type: 'session.register', username, password }),
      logOut: () => root.send({ type: 'session.logout' }),
      selectFriend(username: string) {
        const friends = child(root.getSnapshot(), 'friends')?.getSnapshot().context.friends;
        const friend = friends?.find((f) => f.username === username);
        noteOpened(username, friend?.unread ?? 0);
        root.send({ type: 'friend.select', username });
      },
      addFriend: (username: string) => root.send({ type: 'friend.add', username }),
      sendMessage: (to: string, content: string) =>
        root.send({
          type: 'message.send',
          to,
          content,
          clientId: crypto.randomUUID(),
          createdAt: Date.now(),
        }),
      retry: (clientId: string) => root.send({ type: 'message.retry', clientId }),
      loadOlder: () => root.send({ type: 'history.loadOlder' }),
      retryNow: () => root.send({ type: 'connection.retryNow' }),
    }),
    [root, noteOpened],
  );
}
