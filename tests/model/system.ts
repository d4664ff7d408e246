/**
 * The real system for the model-based tests: the root actor (`createParleyMachine`) on the fetch client,
 * whose calls msw/node answers from the mock backend, with memory storage and a controllable browser
 * environment. Real timers; every wait is for a condition with a deadline, never a fixed sleep.
 */
import { type Actor, type AnyActorRef, createActor, type SimulatedClock } from 'xstate';
import {
  createMemoryStorage,
  createParleyMachine,
  type Environment,
  type ParleyMachine,
  type ParleyStorage,
  type WakeReason,
} from '../../machines';
import type { ActivityEntry } from '../../machines/events';
import { type OutboxContext, pendingFor } from '../../machines/outboxMachine';
import { createApiClient } from '../../src/api/client';
import { DEFAULT_PASSWORD, type MockBackend, type MockVariant } from '../../src/mocks/backend';
import { createMockServer } from '../../src/mocks/node';

export const BASE_URL = 'http://parley.test';
/** Short enough that a hung answer is given up within a test step. */
export const TIMEOUT_MS = 1500;

type Listener = (signal: WakeReason | 'hidden') => void;

export async function until(check: () => boolean, what: string, timeoutMs = 8000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export interface System {
  variant: MockVariant;
  backend: MockBackend;
  server: ReturnType<typeof createMockServer>['server'];
  actor: Actor<ParleyMachine>;
  activity: ActivityEntry[];
  /** The actors' clock when the model controls time (`startSystem`'s `clock`), else null: real timers. */
  clock: SimulatedClock | null;
  /** The API client's deadlines (per call, and the stream's idle one) when simulated, else null. */
  deadlines: SimulatedClock | null;
  /** Message fetches for `peer` started and not yet settled (an aborted one settles at once). */
  messagesInFlight(peer: string): number;
  /** Message fetches for `peer` started so far. */
  messagesAsked(peer: string): number;
  /** A browser wake-up (focus, online): the app re-checks and refreshes at once. */
  wake(): void;
  /** Stops the actor and starts a new one on the same storage, as a page reload does. */
  reload(): void;
  child(id: string): AnyActorRef | undefined;
  stop(): void;
}

/** Alice, bob and carol, all friends of alice; `bobHistory` messages from bob already stored. */
export function startSystem(
  variant: MockVariant,
  options: { bobHistory?: number; clock?: SimulatedClock; deadlines?: SimulatedClock; seed?: number } = {},
): System {
  const { server, backend } = createMockServer({ variant, baseUrl: BASE_URL });
  server.listen({ onUnhandledRequest: 'error' });
  for (const name of ['alice', 'bob', 'carol']) backend.state.addUser(name);
  backend.state.befriend('alice', 'bob');
  backend.state.befriend('alice', 'carol');
  for (let i = 1; i <= (options.bobHistory ?? 0); i += 1)
    backend.state.addMessage('bob', 'alice', `old ${i}`);

  const listeners = new Set<Listener>();
  const env: Environment = {
    watch(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    nextFrame(callback) {
      const timer = setTimeout(callback, 16);
      return () => clearTimeout(timer);
    },
  };
  const client = createApiClient({
    baseUrl: BASE_URL,
    fetch: (url, init) => globalThis.fetch(url, init),
    timeoutMs: TIMEOUT_MS,
    ...(options.deadlines && {
      setTimeout: (callback: () => void, ms: number) => options.deadlines?.setTimeout(callback, ms),
      clearTimeout: (handle: unknown) => options.deadlines?.clearTimeout(handle as number),
    }),
  });
  const inFlight = new Map<string, number>();
  const asked = new Map<string, number>();
  const api: typeof client = {
    ...client,
    messages(...args) {
      const peer = args[1].peer;
      asked.set(peer, (asked.get(peer) ?? 0) + 1);
      inFlight.set(peer, (inFlight.get(peer) ?? 0) + 1);
      return client.messages(...args).finally(() => inFlight.set(peer, (inFlight.get(peer) ?? 1) - 1));
    },
  };
  const storage: ParleyStorage = createMemoryStorage();
  const machine = createParleyMachine({ api, storage, env });
  const activity: ActivityEntry[] = [];
  const boot = () => {
    const actor = createActor(machine, {
      input: { seed: options.seed ?? 7 },
      ...(options.clock && { clock: options.clock }),
    });
    actor.on('activity', (event) => activity.push(event.entry));
    actor.start();
    return actor;
  };

  const system: System = {
    variant,
    backend,
    server,
    actor: boot(),
    activity,
    clock: options.clock ?? null,
    deadlines: options.deadlines ?? null,
    messagesInFlight: (peer) => inFlight.get(peer) ?? 0,
    messagesAsked: (peer) => asked.get(peer) ?? 0,
    wake: () => {
      for (const listener of listeners) listener('focus');
    },
    reload() {
      system.actor.stop();
      system.actor = boot();
    },
    child: (id) => (system.actor.getSnapshot().children as Record<string, AnyActorRef | undefined>)[id],
    stop() {
      system.actor.stop();
      backend.faults.clear();
      server.close();
    },
  };
  return system;
}

export async function signIn(system: System): Promise<void> {
  await until(() => !system.actor.getSnapshot().hasTag('loading'), 'the stored session');
  system.actor.send({ type: 'session.login', username: 'alice', password: DEFAULT_PASSWORD });
  await until(() => !system.actor.getSnapshot().hasTag('busy'), 'sign-in');
}

export const connectionTags = (system: System) => {
  const snapshot = system.child('connection')?.getSnapshot();
  return {
    online: snapshot?.hasTag('online') === true,
    offline: snapshot?.hasTag('offline') === true,
    live: snapshot?.hasTag('live') === true,
    polling: snapshot?.hasTag('polling') === true,
    checking: snapshot?.hasTag('checking') === true,
  };
};

/** The outbox's send actors for messages to `peer`. */
export const sendsTo = (system: System, peer: string) => {
  const outbox = system.child('outbox')?.getSnapshot() as { context: OutboxContext } | undefined;
  return outbox ? pendingFor(outbox, peer) : [];
};
