/**
 * One table of API.md calls, run against the reference server (on a real port, reached with undici's own
 * fetch, which msw does not intercept) and against the MSW full mock (reached with the global fetch, which
 * it does). Each row must meet its expectation on both, and both must answer alike: same status, code,
 * headers that matter and body, apart from times, tokens and sentences.
 */
import { fetch as undiciFetch } from 'undici';
import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorResponse, EventSchemas } from '../../src/contract';
import { createMockServer } from '../../src/mocks/node';
import { createApp, type ParleyApp } from '../../src/server/app';
import { openSqliteStore } from '../../src/server/store/sqlite';
import { accountCases } from './cases-accounts';
import { messageCases } from './cases-messages';
import type { CaseWorld, ContractCase } from './contract-table';
import {
  befriend,
  caller,
  type FetchLike,
  normalise,
  type Reply,
  register,
  request,
  send,
  sseReader,
  type Target,
} from './support';

const contractTable: ContractCase[] = [...accountCases, ...messageCases];

const MOCK_BASE = 'http://parley.test';
const mock = createMockServer({ variant: 'full', baseUrl: MOCK_BASE });
let app: ParleyApp;
let targets: Target[] = [];

beforeAll(async () => {
  app = await createApp({ store: openSqliteStore(':memory:'), hashing: { cost: 1024 }, presenceSweepMs: 0 });
  const serverBase = await app.listen({ host: '127.0.0.1', port: 0 });
  mock.server.listen({ onUnhandledRequest: 'error' });
  targets = [
    { name: 'server', fetch: undiciFetch as unknown as FetchLike, base: serverBase },
    // Looked up at call time: msw replaces the global fetch when it starts listening.
    { name: 'mock', fetch: (url, init) => globalThis.fetch(url, init), base: MOCK_BASE },
  ];
});

afterAll(async () => {
  mock.server.close();
  await app.close();
});

/** Users `<key>_a`, `<key>_b` (friends) and `<key>_c`; `exchange` messages a → b, b → a, … */
async function worldFor(target: Target, key: string, exchange = 0): Promise<CaseWorld> {
  const call = caller(target);
  const [a, b, c] = [`${key}_a`, `${key}_b`, `${key}_c`];
  const token = { a: await register(call, a), b: await register(call, b), c: await register(call, c) };
  await befriend(call, token.a, b);
  const ids: number[] = [];
  for (let i = 0; i < exchange; i++) {
    const [from, to] = i % 2 === 0 ? [token.a, b] : [token.b, a];
    ids.push((await send(call, from, to, `message ${i}`, `${a}-m${i}`)).id);
  }
  return { a, b, c, token, ids, call, extra: {} };
}

/** What two backends must agree on for one answer. */
const comparable = (reply: Reply) => ({
  status: reply.status,
  contentType: reply.headers.get('content-type'),
  cacheControl: reply.headers.get('cache-control'),
  etag: reply.headers.has('etag'),
  body: normalise(reply.json),
});

describe('the reference server and the full mock answer the contract table alike', () => {
  it.each(contractTable.map((row, index) => ({ ...row, key: `k${index}` })))('$name', async (row) => {
    const answers: ReturnType<typeof comparable>[] = [];
    for (const target of targets) {
      const w = await worldFor(target, row.key, row.exchange);
      await row.given?.(w);
      const reply = await w.call(row.request(w));
      const where = `${target.name} answered ${reply.status} ${reply.text.slice(0, 200)}`;
      expect(reply.status, where).toBe(row.expect.status);
      if (row.expect.code) {
        expect(v.parse(ErrorResponse, reply.json).code, where).toBe(row.expect.code);
        expect(reply.headers.get('content-type'), where).toMatch(/^application\/json/);
      }
      if (row.expect.etag !== undefined) expect(reply.headers.has('etag'), where).toBe(row.expect.etag);
      await row.expect.body?.(reply.json, w);
      answers.push(comparable(reply));
    }
    expect(answers[1], 'the mock (expected: the server)').toEqual(answers[0]);
  });
});

async function openEvents(target: Target, token: string, signal: AbortSignal, lastEventId?: string) {
  const headers: Record<string, string> = lastEventId === undefined ? {} : { 'last-event-id': lastEventId };
  const res = await request(target, { path: '/api/events', token, headers, signal });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  return sseReader(res.body as ReadableStream<Uint8Array>);
}

const dataOf = <K extends keyof typeof EventSchemas>(type: K, data: string | undefined) =>
  v.parse(EventSchemas[type], JSON.parse(data ?? 'null'));

/** Runs a stream scenario on both backends; each answers a trace, and the traces must be equal. */
async function onBoth(key: string, scenario: (target: Target, w: CaseWorld) => Promise<unknown>) {
  const traces: unknown[] = [];
  for (const target of targets) traces.push(normalise(await scenario(target, await worldFor(target, key))));
  expect(traces[1], 'the mock (expected: the server)').toEqual(traces[0]);
}

describe('the event stream, on the reference server and the full mock alike', () => {
  it('opens with a retry hint and its position, then pushes a message sent to its user', async () => {
    await onBoth('ev1', async (target, w) => {
      const aborts = new AbortController();
      const stream = await openEvents(target, w.token.b, aborts.signal);
      const opening = await stream.next();
      expect(opening).toMatchObject({ retry: 2000, id: expect.any(String) });
      const sent = await send(w.call, w.token.a, w.b, 'over the stream', 'live-1');
      expect(sent.delivered).toBe(true);
      const frame = await stream.nextEvent('message');
      const message = dataOf('message', frame.data);
      expect(message).toMatchObject({ id: sent.id, direction: 'received', peer: w.a, delivered: true });
      expect(frame.id).not.toBe(opening === 'end' ? undefined : opening.id);
      aborts.abort();
      return message;
    });
  });

  it("echoes a message to its sender's own stream", async () => {
    await onBoth('ev2', async (target, w) => {
      const aborts = new AbortController();
      const stream = await openEvents(target, w.token.a, aborts.signal);
      const sent = await send(w.call, w.token.a, w.b, 'from my other device', 'echo-1');
      const message = dataOf('message', (await stream.nextEvent('message')).data);
      expect(message).toMatchObject({ id: sent.id, direction: 'sent', peer: w.b, clientId: 'echo-1' });
      aborts.abort();
      return message;
    });
  });

  it('replays what was missed after a reconnect with Last-Event-ID, in order', async () => {
    await onBoth('ev3', async (target, w) => {
      const first = new AbortController();
      const opening = await (await openEvents(target, w.token.b, first.signal)).next();
      first.abort();
      if (opening === 'end' || !opening.id) throw new Error('the stream gave no position');
      await send(w.call, w.token.a, w.b, 'missed one', 'gap-1');
      await send(w.call, w.token.a, w.b, 'missed two', 'gap-2');
      const again = new AbortController();
      const resumed = await openEvents(target, w.token.b, again.signal, opening.id);
      const replayed = [await resumed.nextEvent('message'), await resumed.nextEvent('message')];
      again.abort();
      const contents = replayed.map((f) => dataOf('message', f.data).content);
      expect(contents).toEqual(['missed one', 'missed two']);
      return contents;
    });
  });

  it('answers a Last-Event-ID it never gave with a reset event', async () => {
    await onBoth('ev4', async (target, w) => {
      const aborts = new AbortController();
      const stream = await openEvents(target, w.token.b, aborts.signal, 'not-an-event-id');
      const opening = await stream.next();
      const reset = await stream.nextEvent('reset');
      aborts.abort();
      expect(reset.id).toBe(opening === 'end' ? 'end' : opening.id);
      return dataOf('reset', reset.data);
    });
  });

  it('tells the sender with a delivered event when the recipient reads the conversation', async () => {
    await onBoth('ev5', async (target, w) => {
      const aborts = new AbortController();
      const stream = await openEvents(target, w.token.a, aborts.signal);
      const sent = await send(w.call, w.token.a, w.b, 'read me', 'read-1');
      expect(sent.delivered).toBe(false);
      expect((await w.call({ path: `/api/messages?peer=${w.a}`, token: w.token.b })).status).toBe(200);
      const delivered = dataOf('delivered', (await stream.nextEvent('delivered')).data);
      aborts.abort();
      expect(delivered).toEqual({ id: sent.id, peer: w.b });
      return delivered;
    });
  });

  it('pushes a friend event when its user adds a friend', async () => {
    await onBoth('ev6', async (target, w) => {
      const aborts = new AbortController();
      const stream = await openEvents(target, w.token.a, aborts.signal);
      await befriend(w.call, w.token.a, w.c);
      const friend = dataOf('friend', (await stream.nextEvent('friend')).data);
      aborts.abort();
      expect(friend).toEqual({ username: w.c });
      return friend;
    });
  });
});
