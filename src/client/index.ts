/**
 * The headless client: the same actor system as the web UI, on undici in Node. Used by the end-to-end
 * tests, the client benchmark, and anyone scripting Parley.
 */
import { randomUUID } from 'node:crypto';
import { type AnyActorRef, createActor } from 'xstate';
import { createMemoryStorage, createParleyMachine } from '../../machines';
import type { Environment, FriendBody, MessageBody, ParleyApi, ParleyStorage } from '../../machines/ports';
import { createNodeApiClient } from '../api/node';

export interface ParleyClientOptions {
  baseUrl: string;
  /** Another API (a wrapper, a fake); the default is undici against `baseUrl`. */
  api?: ParleyApi & { close?(): Promise<void> };
  storage?: ParleyStorage;
  seed?: number;
  /** How long pushed events are gathered into one batch (the browser uses a frame). */
  batchMs?: number;
}

/** Node has no frames or focus: batches are flushed on a short timer, and nothing wakes the client. */
const nodeEnvironment = (batchMs: number): Environment => ({
  watch: () => () => {},
  nextFrame(callback) {
    const timer = setTimeout(callback, batchMs);
    return () => clearTimeout(timer);
  },
});

export type ParleyClient = ReturnType<typeof createParleyClient>;

export function createParleyClient(options: ParleyClientOptions) {
  const api = options.api ?? createNodeApiClient(options.baseUrl);
  const machine = createParleyMachine({
    api,
    storage: options.storage ?? createMemoryStorage(),
    env: nodeEnvironment(options.batchMs ?? 0),
  });
  const actor = createActor(machine, {
    input: { seed: options.seed ?? Math.floor(Math.random() * 2 ** 31) },
  });
  actor.start();

  const child = (id: string): AnyActorRef | undefined =>
    (actor.getSnapshot().children as Record<string, AnyActorRef | undefined>)[id];

  const client = {
    actor,
    /** Resolves when `check` holds, re-checking as actors change; rejects after `timeoutMs`. */
    until(check: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
      return new Promise((resolve, reject) => {
        const started = Date.now();
        const poll = () => {
          if (check()) return resolve();
          if (Date.now() - started > timeoutMs) return reject(new Error(`timed out waiting for ${what}`));
          setTimeout(poll, 5);
        };
        poll();
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
