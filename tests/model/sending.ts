/**
 * Sending to bob, as the person sees a message: pending while the server is slow; delivered (bob holds a
 * stream, full backend) or stored once (basic); failed after a 4xx, then retried; written while offline,
 * kept across a reload, and sent exactly once with its own clientId when the connection is back. The
 * Activity the app reports is asserted in every state: a refusal says `Send failed: …`, and its retry going
 * through says `Sent to bob`; a send queued offline or delivered later reports nothing.
 */
import { randomUUID } from 'node:crypto';
import { HttpResponse, http } from 'msw';
import type { SetupServer } from 'msw/node';
import { expect } from 'vitest';
import { createMachine } from 'xstate';
import type { MockVariant } from '../../src/mocks/backend';
import { untilAborted } from '../../src/mocks/faults';
import type { ModelSpec } from './run';
import { BASE_URL, connectionTags, type System, sendsTo, signIn, until } from './system';

/**
 * A lost answer is retried with the same clientId; only the full backend is idempotent on it (API.md), so
 * on the basic one a retried post may be stored twice and that step does not apply.
 */
export const sendingModel = (variant: MockVariant) =>
  createMachine({
    id: 'sending',
    initial: 'draft',
    states: {
      draft: {
        on: {
          'user.send': 'delivered',
          'user.sendWhileServerSlow': 'pending',
          'user.sendRejected': 'failed',
          ...(variant === 'full' ? { 'user.sendAnswerLost': 'delivered' } : {}),
          'network.down': 'offline',
        },
      },
      pending: { on: { 'network.answers': 'delivered', 'user.reload': 'delivered' } },
      failed: { on: { 'user.retry': 'delivered' } },
      offline: { on: { 'user.send': 'pendingOffline' } },
      pendingOffline: { on: { 'user.reload': 'pendingOfflineAfterReload', 'network.back': 'delivered' } },
      pendingOfflineAfterReload: { on: { 'network.back': 'delivered' } },
      delivered: { on: { 'user.send': 'delivered' } },
    },
  });

/** What the 400 of `refuseNextPost` says; the send's error, and the Activity after `Send failed: `. */
export const REFUSAL = 'The message was refused.';
export const REFUSED_ACTIVITY = `Send failed: ${REFUSAL}`;

/** The next POST /api/messages is refused with a 400: a 4xx says the message itself is wrong. */
export function refuseNextPost(server: SetupServer, baseUrl: string): void {
  server.use(
    http.post(
      `${baseUrl}/api/messages`,
      () => HttpResponse.json({ success: false, error: REFUSAL, code: 'bad_request' }, { status: 400 }),
      { once: true },
    ),
  );
}

/**
 * A slow answer whose end the test chooses: the next POST /api/messages waits until `release()`, then the
 * backend handles it. Aborted first (a reload), it is never processed, as a request that did not arrive.
 */
export function holdNextPost(server: SetupServer, baseUrl: string): () => void {
  let release = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  server.use(
    http.post(
      `${baseUrl}/api/messages`,
      async ({ request }) => {
        await Promise.race([released, untilAborted(request.signal)]);
        if (request.signal.aborted) return HttpResponse.error();
        // Nothing returned: msw hands the request on to the backend's own handler.
        return undefined;
      },
      { once: true },
    ),
  );
  return release;
}

/** The clientIds written in each system, in order. */
const written = new WeakMap<System, string[]>();
const last = (system: System) => written.get(system)?.at(-1) ?? '';

function write(system: System): void {
  const clientId = randomUUID();
  written.set(system, [...(written.get(system) ?? []), clientId]);
  system.actor.send({
    type: 'message.send',
    to: 'bob',
    content: `hello ${clientId.slice(0, 8)}`,
    clientId,
    createdAt: Date.now(),
  });
}

const onServer = (system: System, clientId: string) =>
  system.backend.state
    .conversation('bob', 'alice')
    .filter((m) => m.content === `hello ${clientId.slice(0, 8)}`);

const entry = (system: System, clientId: string) =>
  sendsTo(system, 'bob')
    .find((e) => e.clientId === clientId)
    ?.ref.getSnapshot();

const backOnline = async (system: System) => {
  system.backend.faults.clear('all');
  system.actor.send({ type: 'connection.retryNow' });
  await until(() => system.actor.getSnapshot().context.online, 'online again');
};

/** Every POST /api/messages each system's backend saw, in order. */
const posted = new WeakMap<System, { clientId: string; content: string }[]>();

function recordPosts(system: System): void {
  const posts: { clientId: string; content: string }[] = [];
  posted.set(system, posts);
  system.server.events.on('request:start', ({ request }) => {
    if (request.method !== 'POST' || !request.url.endsWith('/api/messages')) return;
    void request
      .clone()
      .json()
      .then((body: { clientId: string; content: string }) => posts.push(body));
  });
}

/** Releases the post each system holds (`holdNextPost`). */
const held = new WeakMap<System, () => void>();
/** The Activity each system should have reported so far, across reloads, as `kind: text`. */
const reported = new WeakMap<System, string[]>();

const activityIsAsReported = (system: System) =>
  expect(system.activity.map((a) => `${a.kind}: ${a.text}`)).toEqual(reported.get(system) ?? []);

const pendingNotStored = async (system: System) => {
  expect(entry(system, last(system))?.hasTag('pending')).toBe(true);
  expect(onServer(system, last(system))).toHaveLength(0);
  activityIsAsReported(system);
};

export const sendingSpec = (variant: MockVariant): ModelSpec => ({
  name: 'sending',
  model: sendingModel(variant),
  setup: async (system) => {
    recordPosts(system);
    if (system.variant === 'full') system.backend.state.connectStream('bob');
    await signIn(system);
    await until(() => system.actor.getSnapshot().context.online, 'online');
  },
  events: {
    'user.send': async (system) => write(system),
    'user.sendWhileServerSlow': async (system) => {
      held.set(system, holdNextPost(system.server, BASE_URL));
      write(system);
      await until(() => entry(system, last(system))?.hasTag('sending') === true, 'the post to start');
    },
    'network.answers': async (system) => held.get(system)?.(),
    'user.sendAnswerLost': async (system) => {
      // The server stores the message, then the connection breaks before the answer: the post is tried again.
      system.backend.faults.set('send', 'drop', { once: true });
      write(system);
      await until(() => onServer(system, last(system)).length > 0, 'the server to store it');
      system.actor.send({ type: 'connection.retryNow' });
    },
    'user.sendRejected': async (system) => {
      refuseNextPost(system.server, BASE_URL);
      write(system);
      await until(() => entry(system, last(system))?.hasTag('failed') === true, 'the refusal');
      reported.set(system, [...(reported.get(system) ?? []), `error: ${REFUSED_ACTIVITY}`]);
    },
    'user.retry': async (system) => {
      system.actor.send({ type: 'message.retry', clientId: last(system) });
      // The failure is over once the server has it: the Activity says so instead of `Send failed: …`.
      reported.set(system, [...(reported.get(system) ?? []), 'info: Sent to bob']);
    },
    'network.down': async (system) => {
      system.backend.faults.set('all', 'down');
      system.backend.state.endStreams('alice');
      system.wake();
      await until(() => connectionTags(system).offline, 'offline');
    },
    'network.back': backOnline,
    'user.reload': async (system) => {
      system.reload();
      await until(() => system.actor.getSnapshot().hasTag('signedIn'), 'the session restored');
      // The kept message is back in the outbox (or, sent again at once, already on the server).
      await until(
        () => entry(system, last(system)) !== undefined || onServer(system, last(system)).length > 0,
        'the outbox restored',
      );
    },
  },
  states: {
    draft: async (system) => {
      expect(sendsTo(system, 'bob')).toHaveLength(0);
      activityIsAsReported(system);
    },
    pending: pendingNotStored,
    pendingOffline: pendingNotStored,
    pendingOfflineAfterReload: pendingNotStored,
    offline: async (system) => {
      expect(connectionTags(system).offline).toBe(true);
      activityIsAsReported(system);
    },
    failed: async (system) => {
      expect(entry(system, last(system))?.hasTag('failed')).toBe(true);
      expect(entry(system, last(system))?.context.error).toBe(REFUSAL);
      expect(onServer(system, last(system))).toHaveLength(0);
      activityIsAsReported(system);
    },
    delivered: async (system) => {
      for (const clientId of written.get(system) ?? []) {
        await until(() => onServer(system, clientId).length > 0, 'the server to have the message');
        // Settled: the server's answer is in (so no post of it is still to come), and on the full backend
        // bob's stream has marked it delivered.
        await until(() => {
          const send = entry(system, clientId);
          if (send === undefined) return true;
          return system.variant === 'full' ? send.hasTag('delivered') : send.matches('sent');
        }, 'the send to settle');
        // Exactly once, whatever was retried, reloaded or answered late; every post under its clientId.
        expect(onServer(system, clientId)).toHaveLength(1);
        const content = `hello ${clientId.slice(0, 8)}`;
        const postedAs = (posted.get(system) ?? [])
          .filter((p) => p.content === content)
          .map((p) => p.clientId);
        expect(new Set(postedAs)).toEqual(new Set([clientId]));
        if (system.variant === 'full') expect(onServer(system, clientId)[0]?.clientId).toBe(clientId);
        expect(entry(system, clientId)?.hasTag('failed') ?? false).toBe(false);
      }
      // Delivered, after a reconnection or a reload: nothing new in the Activity; after a retry, `Sent to bob`.
      activityIsAsReported(system);
    },
  },
});
