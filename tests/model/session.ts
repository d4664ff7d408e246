/**
 * Session and connection, as a person sees them: signed out (with the server's refusal shown, after a
 * wrong password); signed in and connected (live, or polling when the backend has no stream or the stream
 * keeps failing); offline; the network back but the app not yet retried ("recovering"). Faults are events:
 * the network down, a 500, a malformed answer, a slow and a hung answer to the 10 s status check, a dropped
 * stream, a missing stream, a stream that fails three times in a row; and the server ending the session
 * (its tokens revoked), which signs the person out with a sentence saying so.
 *
 * Time is the model's own: the actors run on a SimulatedClock, and only `time.*` events (and the fault
 * events, to reach the status check or a stream retry) move it; the API client's deadlines run on another
 * one, which only the hung answer moves. Nothing of this reports in Activity: the
 * Connection status carries it, so every state asserts that no `activity` was emitted.
 */
import { HttpResponse, http } from 'msw';
import { expect } from 'vitest';
import { createMachine, type SimulatedClock } from 'xstate';
import type { ConnectionContext } from '../../machines/connectionMachine';
import type { MockVariant } from '../../src/mocks/backend';
import { advance } from '../machines/harness';
import type { ModelSpec } from './run';
import { BASE_URL, connectionTags, type System, signIn, TIMEOUT_MS, until } from './system';

/** What the mock answers a wrong password (the sign-in form shows it in an alert). */
export const WRONG_PASSWORD = 'The username or password is wrong.';
/** What the app says when the status check no longer knows the token (appMachine's `noteExpired`). */
export const SESSION_ENDED = 'Your session has ended; please sign in again.';
/** The connection's status check interval and stream re-probe intervals (connectionMachine's delays). */
export const STATUS_INTERVAL_MS = 10_000;
export const REPROBE_MS = { failing: 60_000, missing: 300_000 };
/** The back-off's jitter seed: 1094 ms after the first failure, 1860 ms after the second (more than a tick). */
export const SEED = 2;

const statusFaults = (self: string) => ({
  'status.error500': 'recovering',
  'status.malformed': 'recovering',
  'status.hangs': 'recovering',
  'status.slow': self,
});

export function sessionModel(variant: MockVariant) {
  const connected = variant === 'full' ? 'live' : 'polling';
  const connectedStates: Record<string, { on: Record<string, string> }> =
    variant === 'full'
      ? {
          live: {
            on: {
              'network.down': 'offline',
              ...statusFaults('live'),
              'stream.dropped': 'live',
              'stream.missing': 'polling',
              'stream.failsThrice': 'polling',
              'server.endsSession': 'sessionEnded',
              'user.signOut': 'signedOut',
            },
          },
          polling: {
            on: {
              'network.down': 'offline',
              'time.reprobeElapses': 'live',
              'server.endsSession': 'sessionEnded',
              'user.signOut': 'signedOut',
            },
          },
        }
      : {
          polling: {
            on: {
              'network.down': 'offline',
              ...statusFaults('polling'),
              // The re-probe meets the basic backend's 404 again.
              'time.reprobeElapses': 'polling',
              'server.endsSession': 'sessionEnded',
              'user.signOut': 'signedOut',
            },
          },
        };
  return createMachine({
    id: 'session',
    initial: 'signedOut',
    states: {
      signedOut: { on: { 'user.signIn': connected, 'user.signInRefused': 'signInRefused' } },
      signInRefused: { on: { 'user.signIn': connected } },
      sessionEnded: { on: { 'user.signIn': connected } },
      ...connectedStates,
      offline: {
        on: { 'network.back': 'recovering', 'user.retryNow': 'offline', 'user.signOut': 'signedOut' },
      },
      recovering: { on: { 'user.retryNow': connected, 'time.backoffElapses': connected } },
    },
  });
}

const clockOf = (system: System): SimulatedClock => {
  if (!system.clock) throw new Error('the session model runs on a SimulatedClock');
  return system.clock;
};

const connection = (system: System) =>
  system.child('connection')?.getSnapshot() as
    | { context: ConnectionContext; matches(value: unknown): boolean }
    | undefined;

const transportIs = (system: System, state: 'streaming' | 'reconnecting' | 'polling') =>
  connection(system)?.matches({ online: { transport: state } }) === true;

/** Requests to /api/events the mock has seen, per system (counted from msw's request events). */
const streamRequests = new WeakMap<System, number>();
const streamsAsked = (system: System) => streamRequests.get(system) ?? 0;

/** Both edges of a timer: nothing at `ms - 1`, `moved()` at `ms`. */
function elapse(system: System, ms: number, moved: () => boolean, what: string): void {
  const clock = clockOf(system);
  advance(clock, ms - 1);
  expect(moved(), `${what} before ${ms} ms`).toBe(false);
  advance(clock, 1);
  expect(moved(), `${what} at ${ms} ms`).toBe(true);
}

/** connectionMachine's `streamRetryDelay`. */
const streamRetryDelay = (failures: number) => Math.min(1000 * 2 ** Math.max(0, failures - 1), 8000);

/**
 * The stream ended or failed: steps the clock through each reconnect pause (both edges) until `done`.
 * Returns how many reconnects it took.
 */
async function reconnectUntil(system: System, done: () => boolean, what: string): Promise<number> {
  for (let reconnects = 0; reconnects < 6; reconnects += 1) {
    await until(() => done() || transportIs(system, 'reconnecting'), what);
    if (done()) return reconnects;
    const failures = connection(system)?.context.streamFailures ?? 0;
    elapse(system, streamRetryDelay(failures), () => transportIs(system, 'streaming'), 'the reconnect');
  }
  throw new Error(`still not ${what} after 6 reconnects`);
}

/** The status check, every 10 s, meets a one-shot fault. */
const statusFault =
  (kind: '500' | 'malformed' | 'hang' | 'slow') =>
  async (system: System): Promise<void> => {
    const waiting = () => connection(system)?.matches({ online: { heartbeat: 'waiting' } }) === true;
    const probing = () => connection(system)?.matches({ online: { heartbeat: 'probing' } }) === true;
    await until(waiting, 'the status check to be waiting');
    system.backend.faults.set('status', kind, { once: true, delayMs: 100 });
    advance(clockOf(system), STATUS_INTERVAL_MS);
    expect(probing()).toBe(true);
    if (kind === 'hang') {
      // The mock holds the check; the client gives it up at its deadline (both edges).
      await until(() => system.backend.faults.get('status') === undefined, 'the check to reach the mock');
      const deadlines = system.deadlines;
      if (!deadlines) throw new Error('the session model runs the deadlines on a SimulatedClock');
      advance(deadlines, TIMEOUT_MS - 1);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(probing(), 'the hung check before its deadline').toBe(true);
      advance(deadlines, 1);
    }
    await until(() => waiting() || connectionTags(system).offline, 'the status check to settle');
  };

const connectedBy = (transport: 'live' | 'polling') => async (system: System) => {
  await until(() => connectionTags(system)[transport], `the ${transport} transport`);
  const snapshot = system.actor.getSnapshot();
  expect(snapshot.hasTag('signedIn')).toBe(true);
  expect(snapshot.context.online).toBe(true);
  expect(snapshot.context.transport).toBe(transport);
  expect(connectionTags(system).offline).toBe(false);
};

const signedOut = (authError: string | null) => async (system: System) => {
  const snapshot = system.actor.getSnapshot();
  expect(snapshot.hasTag('signedOut')).toBe(true);
  expect(snapshot.context.authError).toBe(authError);
  expect(snapshot.context.session).toBeNull();
  expect(system.child('connection')).toBeUndefined();
};

const shownOffline = async (system: System) => {
  expect(connectionTags(system).offline).toBe(true);
  expect(system.actor.getSnapshot().context.online).toBe(false);
  expect(system.actor.getSnapshot().hasTag('signedIn')).toBe(true);
  // Counting down to the next try (the clock stands still until the model moves it).
  expect(connection(system)?.context.retryRemainingMs).toBeGreaterThan(0);
};

/** No session or connection change is an Activity sentence: the Connection status shows them. */
const noActivity = (check: (system: System) => Promise<void>) => async (system: System) => {
  await check(system);
  expect(system.activity).toEqual([]);
};

export const sessionSpec = (variant: MockVariant): ModelSpec => ({
  name: 'session and connection',
  model: sessionModel(variant),
  clock: 'simulated',
  deadlines: 'simulated',
  seed: SEED,
  setup: async (system) => {
    system.server.events.on('request:start', ({ request }) => {
      if (new URL(request.url).pathname === '/api/events')
        streamRequests.set(system, streamsAsked(system) + 1);
    });
  },
  events: {
    'user.signIn': signIn,
    'user.signInRefused': async (system) => {
      await until(() => !system.actor.getSnapshot().hasTag('loading'), 'the stored session');
      system.actor.send({ type: 'session.login', username: 'alice', password: 'not the password' });
      await until(() => !system.actor.getSnapshot().hasTag('busy'), 'the refusal');
    },
    'user.signOut': async (system) => {
      system.actor.send({ type: 'session.logout' });
      await until(() => !system.actor.getSnapshot().hasTag('busy'), 'sign-out');
    },
    'network.down': async (system) => {
      system.backend.faults.set('all', 'down');
      // Noticed by the next call: a browser wake-up refreshes at once (and a live stream ends).
      system.backend.state.endStreams('alice');
      system.wake();
      await until(() => connectionTags(system).offline, 'offline');
    },
    'network.back': async (system) => system.backend.faults.clear('all'),
    'user.retryNow': async (system) => {
      system.actor.send({ type: 'connection.retryNow' });
      expect(connectionTags(system).checking).toBe(true);
      await until(() => !connectionTags(system).checking, 'the status check to settle', 5000);
    },
    'time.backoffElapses': async (system) => {
      let wait = connection(system)?.context.retryRemainingMs ?? 0;
      // The back-off of the first failures: 1 s or 2 s, ±20 %, counted down a second at a time.
      expect(wait).toBeGreaterThan(1000);
      expect(wait).toBeLessThanOrEqual(2400);
      while (wait > 1000) {
        advance(clockOf(system), 1000);
        wait -= 1000;
        expect(connection(system)?.context.retryRemainingMs).toBe(wait);
        expect(connectionTags(system).offline).toBe(true);
      }
      elapse(system, wait, () => connectionTags(system).checking, 'the retry');
    },
    'status.error500': statusFault('500'),
    'status.malformed': statusFault('malformed'),
    'status.hangs': statusFault('hang'),
    'status.slow': statusFault('slow'),
    'stream.dropped': async (system) => {
      const asked = streamsAsked(system);
      system.backend.faults.set('events', 'drop', { once: true });
      system.backend.state.endStreams('alice');
      // The reopened stream is dropped after its opening lines; the one after that holds.
      await reconnectUntil(
        system,
        () =>
          streamsAsked(system) >= asked + 2 &&
          connectionTags(system).live &&
          system.backend.state.streamCount('alice') === 1,
        'live on a new stream',
      );
    },
    'stream.missing': async (system) => {
      // The backend loses its stream: the reconnect is answered 404, and the app polls at once.
      system.server.use(
        http.get(`${BASE_URL}/api/events`, () => HttpResponse.json({ error: 'not_found' }, { status: 404 }), {
          once: true,
        }),
      );
      system.backend.state.endStreams('alice');
      expect(await reconnectUntil(system, () => connectionTags(system).polling, 'polling')).toBe(1);
      expect(connection(system)?.context.streamAvailable).toBe(false);
    },
    'stream.failsThrice': async (system) => {
      const asked = streamsAsked(system);
      system.backend.faults.set('events', '500');
      system.backend.state.endStreams('alice');
      // The end is the first failure; two refused reopenings make three in a row: polling.
      const reconnects = await reconnectUntil(system, () => connectionTags(system).polling, 'polling');
      expect(reconnects).toBe(2);
      expect(streamsAsked(system) - asked).toBe(2);
      expect(connection(system)?.context.streamAvailable).toBe(true);
      system.backend.faults.clear('events');
    },
    'server.endsSession': async (system) => {
      // The account's tokens are revoked: the next status check names no user for the token.
      system.backend.state.revokeTokens('alice');
      await until(
        () => connection(system)?.matches({ online: { heartbeat: 'waiting' } }) === true,
        'the status check to be waiting',
      );
      advance(clockOf(system), STATUS_INTERVAL_MS);
      await until(() => system.actor.getSnapshot().hasTag('signedOut'), 'signed out');
    },
    'time.reprobeElapses': async (system) => {
      const asked = streamsAsked(system);
      const available = connection(system)?.context.streamAvailable;
      const interval = available ? REPROBE_MS.failing : REPROBE_MS.missing;
      elapse(system, interval, () => transportIs(system, 'streaming'), 'the stream re-probe');
      if (variant === 'full') await until(() => connectionTags(system).live, 'live again');
      else await until(() => transportIs(system, 'polling'), 'the 404 again');
      expect(streamsAsked(system)).toBe(asked + 1);
    },
  },
  states: {
    signedOut: noActivity(signedOut(null)),
    signInRefused: noActivity(signedOut(WRONG_PASSWORD)),
    sessionEnded: noActivity(signedOut(SESSION_ENDED)),
    live: noActivity(connectedBy('live')),
    polling: noActivity(connectedBy('polling')),
    offline: noActivity(async (system) => {
      await shownOffline(system);
      expect(system.backend.faults.get('all')?.kind).toBe('down');
    }),
    // Still shown offline: nothing has been tried since the server came back.
    recovering: noActivity(shownOffline),
  },
});
