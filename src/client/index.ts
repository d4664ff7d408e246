/**
 * The headless client: the same actor system as the web UI, on undici in Node. Used by the end-to-end
 * tests, the client benchmark, and anyone scripting Parley.
 */
import { randomUUID } from 'node:crypto';
import {
  type ActorSystem,
  type AnyActorLogic,
  type AnyActorRef,
  type AnyStateMachine,
  createActor,
  type InspectionEvent,
} from 'xstate';
import { createMemoryStorage, createParleyMachine, type ParleyMachine } from '../../machines';
import { watchId } from '../../machines/appMachine';
import type { ConversationContext } from '../../machines/conversationMachine';
import type { AddFriendState } from '../../machines/friendsMachine';
import type { OutboxContext } from '../../machines/outboxMachine';
import type { Environment, FriendBody, MessageBody, ParleyApi, ParleyStorage } from '../../machines/ports';
import { createNodeApiClient } from '../api/node';

export { createFileStorage, type FileStorage, type FileStorageOptions } from './fileStorage';

export interface ParleyClientOptions {
  baseUrl: string;
  /** Another API (a wrapper, a fake); the default is undici against `baseUrl`. */
  api?: ParleyApi & { close?(): Promise<void> };
  storage?: ParleyStorage;
  seed?: number;
  /** How long pushed events are gathered into one batch (the browser uses a frame). */
  batchMs?: number;
  /** Sees every inspection event of the client's actor system from its start (a trace recorder). */
  inspect?: (event: InspectionEvent) => void;
}

export interface WatchedConversation {
  /** Ascending by id: a contiguous window ending at the newest message held. */
  messages: MessageBody[];
  hasOlder: boolean;
  /** A first answer has come (until then an empty window says nothing). */
  loaded: boolean;
  loadingOlder: boolean;
  /** The last fetch's failure, as a sentence, or null. */
  error: string | null;
}

export interface ClientStatus {
  username: string | null;
  online: boolean;
  transport: 'live' | 'polling';
  serverVersion: string | null;
  activity: string | null;
  /** A status check is under way and none has answered since the last change: not known yet. */
  checking: boolean;
}

export interface OutgoingState {
  state: 'saving' | 'queued' | 'sending' | 'sent' | 'delivered' | 'failed' | 'unknown';
  id: number | null;
  error: string | null;
}

/** Node has no frames or focus: batches are flushed on a short timer, and nothing wakes the client. */
const nodeEnvironment = (batchMs: number): Environment => ({
  watch: () => () => {},
  nextFrame(callback) {
    const timer = setTimeout(callback, batchMs);
    return () => clearTimeout(timer);
  },
});

// ---------------------------------------------------------------------------------------------------------
// One machine for every client of this process
//
// `createParleyMachine(deps)` builds the whole tree of state nodes anew (`.provide()` clones each machine),
// about 120 KB of heap: more than everything else a client holds. So the clients of one process share one
// machine per `batchMs`, built over ports that route each call to the ports of the client that made it.
// Every port call is made synchronously by the `start` of an actor the machines invoke (README: everything
// that reaches out is a named actor in `setup()`), so each such actor is wrapped to name its client (found
// by the actor system, one per client) for the length of its `start`. A call made at any other moment has
// no client and throws, rather than going to the wrong one. Only `env.nextFrame` is called later (from the
// stream's handlers): the environment is the same for all clients of a machine, so it needs no routing.

interface ClientPorts {
  api: ParleyApi;
  storage: ParleyStorage;
}

// biome-ignore lint/suspicious/noExplicitAny: xstate's own AnyActorSystem, which it does not export
const portsBySystem = new WeakMap<ActorSystem<any>, ClientPorts>();
/** The ports of the client whose actor is starting, while its `start` runs. */
let starting: ClientPorts | null = null;

function caller(port: string): ClientPorts {
  if (starting === null)
    throw new Error(`Parley client: ${port} was called outside an actor's start, so its client is unknown.`);
  return starting;
}

const routedApi: ParleyApi = {
  status: (...args) => caller('status').api.status(...args),
  register: (...args) => caller('register').api.register(...args),
  login: (...args) => caller('login').api.login(...args),
  logout: (...args) => caller('logout').api.logout(...args),
  friends: (...args) => caller('friends').api.friends(...args),
  addFriend: (...args) => caller('addFriend').api.addFriend(...args),
  messages: (...args) => caller('messages').api.messages(...args),
  send: (...args) => caller('send').api.send(...args),
  events: (...args) => caller('events').api.events(...args),
};

const routedStorage: ParleyStorage = {
  loadSession: () => caller('loadSession').storage.loadSession(),
  saveSession: (...args) => caller('saveSession').storage.saveSession(...args),
  loadOutbox: (...args) => caller('loadOutbox').storage.loadOutbox(...args),
  putOutgoing: (...args) => caller('putOutgoing').storage.putOutgoing(...args),
  removeOutgoing: (...args) => caller('removeOutgoing').storage.removeOutgoing(...args),
  loadFriends: (...args) => caller('loadFriends').storage.loadFriends(...args),
  saveFriends: (...args) => caller('saveFriends').storage.saveFriends(...args),
  forgetFriends: (...args) => caller('forgetFriends').storage.forgetFriends(...args),
  loadView: (...args) => caller('loadView').storage.loadView(...args),
  saveView: (...args) => caller('saveView').storage.saveView(...args),
};

const isMachine = (logic: AnyActorLogic): logic is AnyStateMachine =>
  'implementations' in logic && typeof (logic as AnyStateMachine).provide === 'function';

/** The same logic, each actor that may call a port (at any depth) naming its client while it starts. */
function routed<T extends AnyActorLogic>(logic: T): T {
  if (isMachine(logic)) {
    const actors = Object.fromEntries(
      Object.entries(logic.implementations.actors).map(([id, child]) => [id, routed(child as AnyActorLogic)]),
    );
    return logic.provide({ actors }) as unknown as T;
  }
  const start = logic.start;
  if (!start) return logic;
  return {
    ...logic,
    start(snapshot, scope) {
      const outer = starting;
      starting = portsBySystem.get(scope.system) ?? null;
      try {
        start(snapshot, scope);
      } finally {
        starting = outer;
      }
    },
  };
}

const sharedMachines = new Map<number, ParleyMachine>();

function sharedMachine(batchMs: number): ParleyMachine {
  let machine = sharedMachines.get(batchMs);
  if (!machine) {
    machine = routed(
      createParleyMachine({ api: routedApi, storage: routedStorage, env: nodeEnvironment(batchMs) }),
    );
    sharedMachines.set(batchMs, machine);
  }
  return machine;
}

// ---------------------------------------------------------------------------------------------------------

export type ParleyClient = ReturnType<typeof createParleyClient>;

/** Callbacks waiting for storage to keep a message (by clientId): `sendSaved`. */
type SaveWaiters = Map<string, (error?: unknown) => void>;

/** The storage, telling the waiters of `sendSaved` when a message's put has settled. */
function reportingSaves(storage: ParleyStorage, waiters: SaveWaiters): ParleyStorage {
  return {
    loadSession: () => storage.loadSession(),
    saveSession: (session) => storage.saveSession(session),
    loadOutbox: (username) => storage.loadOutbox(username),
    putOutgoing: (username, message) =>
      storage.putOutgoing(username, message).then(
        () => waiters.get(message.clientId)?.(),
        (error: unknown) => {
          waiters.get(message.clientId)?.(error ?? new Error('the storage failed'));
          throw error;
        },
      ),
    removeOutgoing: (username, clientId) => storage.removeOutgoing(username, clientId),
    loadFriends: (username) => storage.loadFriends(username),
    saveFriends: (username, friends) => storage.saveFriends(username, friends),
    forgetFriends: (username) => storage.forgetFriends(username),
    loadView: (username) => storage.loadView(username),
    saveView: (username, view) => storage.saveView(username, view),
  };
}

export function createParleyClient(options: ParleyClientOptions) {
  const api = options.api ?? createNodeApiClient(options.baseUrl);
  const saveWaiters: SaveWaiters = new Map();
  const storage = reportingSaves(options.storage ?? createMemoryStorage(), saveWaiters);
  const actor = createActor(sharedMachine(options.batchMs ?? 0), {
    input: { seed: options.seed ?? Math.floor(Math.random() * 2 ** 31) },
    ...(options.inspect && { inspect: options.inspect }),
  });
  portsBySystem.set(actor.system, { api, storage });
  actor.start();

  const child = (id: string): AnyActorRef | undefined =>
    (actor.getSnapshot().children as Record<string, AnyActorRef | undefined>)[id];

  const client = {
    actor,
    /**
     * Resolves when `check` holds. It is checked now and then again only when an actor of this client's
     * system takes a new snapshot (the system's inspection stream, delivered synchronously), so a waiter
     * costs nothing between changes and wakes in the same tick as the change that satisfies it. Rejects
     * after `timeoutMs`, naming `what` it waited for, or at once when `signal` aborts; a check that throws
     * rejects with that error.
     */
    until(check: () => boolean, timeoutMs = 5000, what = 'condition', signal?: AbortSignal): Promise<void> {
      return new Promise((resolve, reject) => {
        if (signal?.aborted) return reject(new Error(`stopped waiting for ${what}`));
        if (check()) return resolve();
        let settled = false;
        const settle = (error?: unknown) => {
          if (settled) return;
          settled = true;
          subscription.unsubscribe();
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          if (error === undefined) resolve();
          else reject(error);
        };
        const subscription = actor.system.inspect((event) => {
          if (settled || event.type !== '@xstate.snapshot') return;
          try {
            if (check()) settle();
          } catch (error) {
            settle(error);
          }
        });
        const timer = setTimeout(
          () => settle(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)),
          timeoutMs,
        );
        const onAbort = () => settle(new Error(`stopped waiting for ${what}`));
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
    async signIn(mode: 'login' | 'register', username: string, password: string) {
      await client.until(() => !actor.getSnapshot().hasTag('loading'), 5000, 'the stored session');
      actor.send({ type: mode === 'login' ? 'session.login' : 'session.register', username, password });
      // The send moved it to `submitting` (busy) synchronously; wait for the answer.
      await client.until(() => !actor.getSnapshot().hasTag('busy'), 10_000, 'sign-in');
      const snapshot = actor.getSnapshot();
      if (!snapshot.hasTag('signedIn')) throw new Error(snapshot.context.authError ?? 'could not sign in');
    },
    register: (username: string, password: string) => client.signIn('register', username, password),
    login: (username: string, password: string) => client.signIn('login', username, password),
    addFriend(username: string) {
      actor.send({ type: 'friend.add', username });
    },
    select(username: string) {
      actor.send({ type: 'friend.select', username });
    },
    /** Writes a message; answers its clientId. */
    send(to: string, content: string): string {
      const clientId = randomUUID();
      actor.send({ type: 'message.send', to, content, clientId, createdAt: Date.now() });
      return clientId;
    },
    /** Keeps `peer`'s conversation open beside the selected one (an actor of its own) until `unwatch`. */
    watch(peer: string) {
      actor.send({ type: 'conversation.watch', peer });
    },
    unwatch(peer: string) {
      actor.send({ type: 'conversation.unwatch', peer });
    },
    /** One page further back: in `peer`'s watched conversation, or in the open one. */
    loadOlder(peer?: string) {
      actor.send(peer === undefined ? { type: 'history.loadOlder' } : { type: 'history.loadOlder', peer });
    },
    /** A watched conversation as its actor holds it, or null when `peer` is not watched. */
    watched(peer: string): WatchedConversation | null {
      const snapshot = child(watchId(peer))?.getSnapshot();
      if (!snapshot) return null;
      const context = snapshot.context as ConversationContext;
      return {
        messages: context.messages,
        hasOlder: context.hasOlder,
        loaded: context.loaded,
        loadingOlder: snapshot.hasTag('loadingOlder'),
        error: context.lastError?.message ?? null,
      };
    },
    /** Whether the friends list has been loaded from the server (or a kept copy) at least once. */
    friendsKnown(): boolean {
      const snapshot = child('friends')?.getSnapshot();
      return snapshot !== undefined && !snapshot.hasTag('unloaded');
    },
    /** How the last add-friend ended (or that one is running). */
    addState(): AddFriendState | null {
      return (child('friends')?.getSnapshot().context.add as AddFriendState | undefined) ?? null;
    },
    /** Who is signed in, whether the server is there and how, and the last Activity sentence. */
    status(): ClientStatus {
      const snapshot = actor.getSnapshot();
      const connection = child('connection')?.getSnapshot();
      return {
        username: snapshot.context.session?.username ?? null,
        online: connection?.hasTag('online') ?? false,
        transport: connection?.hasTag('live') ? 'live' : 'polling',
        serverVersion: (connection?.context.serverVersion as string | null | undefined) ?? null,
        activity: snapshot.context.activity.at(-1)?.text ?? null,
        checking: connection?.hasTag('checking') ?? true,
      };
    },
    /**
     * Where an outgoing message stands: `saving` until storage has it, then `queued`/`sending` (pending),
     * `sent`, `delivered` or `failed`; `unknown` while the outbox has not taken it. The send actor is
     * remembered once seen, so a delivered message still reads `delivered` after the outbox let it go.
     */
    tracker(clientId: string): () => OutgoingState {
      let ref: AnyActorRef | undefined;
      return () => {
        const outbox = child('outbox')?.getSnapshot();
        const context = outbox?.context as OutboxContext | undefined;
        ref ??= context?.sends.find((e) => e.clientId === clientId)?.ref;
        if (!ref) return { state: 'unknown', id: null, error: null };
        const send = ref.getSnapshot();
        const { id, error } = send.context as { id: number | null; error: string | null };
        const saving =
          context?.writes.some((w) => w.kind === 'put' && w.message.clientId === clientId) ?? false;
        if (send.hasTag('delivered')) return { state: 'delivered', id, error: null };
        if (send.hasTag('failed')) return { state: 'failed', id, error };
        if (send.matches('sent')) return { state: 'sent', id, error: null };
        if (saving) return { state: 'saving', id, error: null };
        return { state: send.matches('sending') ? 'sending' : 'queued', id, error: null };
      };
    },
    /**
     * Writes a message and answers its clientId once storage has kept it (the outbox keeps each message
     * before sending it, after loading what an earlier run left: with a storage that is not open yet, this
     * waits). Rejects with the storage's error (the message is still sent, but would not survive a restart),
     * or after `timeoutMs` (it stays queued).
     */
    async sendSaved(to: string, content: string, timeoutMs = 10_000): Promise<string> {
      const clientId = randomUUID();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const saved = new Promise<void>((resolve, reject) => {
        saveWaiters.set(clientId, (error) => (error === undefined ? resolve() : reject(error)));
        timer = setTimeout(
          () => reject(new Error(`timed out after ${timeoutMs} ms waiting for storage to keep the message`)),
          timeoutMs,
        );
      });
      try {
        actor.send({ type: 'message.send', to, content, clientId, createdAt: Date.now() });
        await saved;
        return clientId;
      } finally {
        clearTimeout(timer);
        saveWaiters.delete(clientId);
      }
    },
    friends(): FriendBody[] {
      return (child('friends')?.getSnapshot().context.friends as FriendBody[] | undefined) ?? [];
    },
    /** The open conversation's messages as the server has them. */
    messages(): MessageBody[] {
      return (child('conversation')?.getSnapshot().context.messages as MessageBody[] | undefined) ?? [];
    },
    peer(): string | null {
      return actor.getSnapshot().context.peer;
    },
    connection() {
      const snapshot = child('connection')?.getSnapshot();
      return { online: snapshot?.hasTag('online') ?? false, live: snapshot?.hasTag('live') ?? false };
    },
    async stop() {
      actor.stop();
      await api.close?.();
    },
  };
  return client;
}
