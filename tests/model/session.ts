/**
 * Session and connection, as a person sees them: signed out; signed in and connected (live, or polling
 * when the backend has no stream); offline; the network back but the app not yet retried ("recovering").
 * Faults are events: the network down, a 500, a malformed answer, a slow and a hung answer, a dropped stream.
 */
import { HttpResponse, http } from 'msw';
import { expect } from 'vitest';
import { createMachine } from 'xstate';
import type { MockVariant } from '../../src/mocks/backend';
import type { ModelSpec } from './run';
import { BASE_URL, connectionTags, type System, signIn, until } from './system';

export function sessionModel(variant: MockVariant) {
  const connected = variant === 'full' ? 'live' : 'polling';
  const connectedStates: Record<string, { on: Record<string, string> }> =
    variant === 'full'
      ? {
          live: {
            on: {
              'network.down': 'offline',
              'status.error500': 'recovering',
              'status.malformed': 'recovering',
              'status.hangs': 'recovering',
              'status.slow': 'live',
              'stream.dropped': 'live',
              'stream.missing': 'polling',
              'user.signOut': 'signedOut',
            },
          },
          polling: {
            on: { 'network.down': 'offline', 'user.retryNow': 'live', 'user.signOut': 'signedOut' },
          },
        }
      : {
          polling: {
            on: {
              'network.down': 'offline',
              'status.error500': 'recovering',
              'status.malformed': 'recovering',
              'status.hangs': 'recovering',
              'status.slow': 'polling',
              'user.retryNow': 'polling',
              'user.signOut': 'signedOut',
            },
          },
        };
  return createMachine({
    id: 'session',
    initial: 'signedOut',
    states: {
      signedOut: { on: { 'user.signIn': connected } },
      ...connectedStates,
      offline: {
        on: { 'network.back': 'recovering', 'user.retryNow': 'offline', 'user.signOut': 'signedOut' },
      },
      recovering: { on: { 'user.retryNow': connected, 'time.backoffElapses': connected } },
    },
  });
}

const retryNow = (system: System) => system.actor.send({ type: 'connection.retryNow' });

/** A one-shot status fault, then "Retry now": the check meets it. */
const statusFault =
  (kind: '500' | 'malformed' | 'hang' | 'slow') =>
  async (system: System): Promise<void> => {
    system.backend.faults.set('status', kind, { once: true, delayMs: 300 });
    retryNow(system);
    expect(connectionTags(system).checking).toBe(true);
    await until(() => !connectionTags(system).checking, 'the status check to settle', 5000);
  };

const connectedBy = (transport: 'live' | 'polling') => async (system: System) => {
  await until(() => connectionTags(system)[transport], `the ${transport} transport`);
  const snapshot = system.actor.getSnapshot();
  expect(snapshot.hasTag('signedIn')).toBe(true);
  expect(snapshot.context.online).toBe(true);
  expect(snapshot.context.transport).toBe(transport);
  expect(connectionTags(system).offline).toBe(false);
};

export const sessionSpec = (variant: MockVariant): ModelSpec => ({
  name: 'session and connection',
  model: sessionModel(variant),
  events: {
    'user.signIn': signIn,
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
      retryNow(system);
      await until(() => !connectionTags(system).checking, 'the status check to settle', 5000);
    },
    'time.backoffElapses': async () => {},
    'status.error500': statusFault('500'),
    'status.malformed': statusFault('malformed'),
    'status.hangs': statusFault('hang'),
    'status.slow': statusFault('slow'),
    'stream.dropped': async (system) => {
      const opened = system.backend.state.streamCount('alice');
      system.backend.faults.set('events', 'drop', { once: true });
      system.backend.state.endStreams('alice');
      await until(() => !connectionTags(system).live, 'the stream to end');
      await until(() => system.backend.state.streamCount('alice') >= Math.max(opened, 1), 'a new stream');
    },
    'stream.missing': async (system) => {
      // The backend loses its stream: the reconnect is answered 404.
      system.server.use(
        http.get(`${BASE_URL}/api/events`, () => HttpResponse.json({ error: 'not_found' }, { status: 404 }), {
          once: true,
        }),
      );
      system.backend.state.endStreams('alice');
      await until(() => connectionTags(system).polling, 'polling');
    },
  },
  states: {
    signedOut: async (system) => {
      const snapshot = system.actor.getSnapshot();
      expect(snapshot.hasTag('signedOut')).toBe(true);
      expect(system.child('connection')).toBeUndefined();
    },
    live: connectedBy('live'),
    polling: connectedBy('polling'),
    offline: async (system) => {
      expect(connectionTags(system).offline).toBe(true);
      expect(system.actor.getSnapshot().context.online).toBe(false);
      expect(system.actor.getSnapshot().hasTag('signedIn')).toBe(true);
    },
    recovering: async (system) => {
      // Still shown offline: nothing has been tried since the server came back.
      expect(connectionTags(system).offline).toBe(true);
      expect(system.actor.getSnapshot().context.online).toBe(false);
    },
  },
});
