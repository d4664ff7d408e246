import { afterEach, describe, expect, it, vi } from 'vitest';
import { createApiClient } from '../../src/api/client';
import {
  controlledBody,
  expectFailure,
  fakeFetch,
  jsonResponse,
  never,
  pendingUntilAborted,
} from './fake-fetch';

const status = { status: 'online', version: '1', time: 1, user: null };
const setup = (answer: Parameters<typeof fakeFetch>[0], timeoutMs?: number) => {
  const fake = fakeFetch(answer);
  return { ...fake, api: createApiClient({ baseUrl: 'http://api.test', fetch: fake.fetch, timeoutMs }) };
};

/** Tracks whether a promise has settled, without letting its rejection go unhandled. */
const watch = <T>(promise: Promise<T>) => {
  const state = { settled: false, promise };
  promise.then(
    () => {
      state.settled = true;
    },
    () => {
      state.settled = true;
    },
  );
  return state;
};

afterEach(() => {
  vi.useRealTimers();
});

describe('the API client stops when its caller aborts', () => {
  it('sends nothing when the signal is already aborted', async () => {
    const { api, sent } = setup(() => jsonResponse(status));
    await expectFailure(api.status(null, { signal: AbortSignal.abort() }), { kind: 'aborted' });
    expect(sent).toHaveLength(0);
  });

  it('rejects as aborted mid-request and aborts the fetch too', async () => {
    const { api, last } = setup(pendingUntilAborted);
    const caller = new AbortController();
    const call = api.friends('tok', null, { signal: caller.signal });
    expect(last().signal.aborted).toBe(false);
    caller.abort();
    await expectFailure(call, { kind: 'aborted', message: 'The request was cancelled.' });
    expect(last().signal.aborted).toBe(true);
  });

  it('settles as aborted even when the fetch ignores its signal', async () => {
    const { api } = setup(() => new Promise<Response>(() => {}));
    const caller = new AbortController();
    const call = api.status(null, { signal: caller.signal });
    caller.abort();
    await expectFailure(call, { kind: 'aborted' });
  });

  it('rejects as aborted when aborted while the body is still arriving', async () => {
    const body = controlledBody();
    const { api } = setup(() => new Response(body.stream, { status: 200 }));
    const caller = new AbortController();
    const call = watch(api.friends('tok', null, { signal: caller.signal }));
    body.write('[');
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(call.settled).toBe(false);
    caller.abort();
    await expectFailure(call.promise, { kind: 'aborted' });
  });
});

describe('the API client gives up at its deadline', () => {
  it('still takes an answer that arrives at 9 999 ms', async () => {
    vi.useFakeTimers();
    const { api } = setup(
      () => new Promise((resolve) => setTimeout(() => resolve(jsonResponse(status)), 9_999)),
    );
    const call = api.status(null, { signal: never() });
    await vi.advanceTimersByTimeAsync(9_999);
    await expect(call).resolves.toEqual(status);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('times out at 10 000 ms without an answer, and aborts the fetch', async () => {
    vi.useFakeTimers();
    const { api, last } = setup(pendingUntilAborted);
    const call = watch(api.status(null, { signal: never() }));
    await vi.advanceTimersByTimeAsync(9_999);
    expect(call.settled).toBe(false);
    expect(last().signal.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await expectFailure(call.promise, { kind: 'timeout', message: 'The server took too long to answer.' });
    expect(last().signal.aborted).toBe(true);
  });

  it('counts the time to read the body against the deadline', async () => {
    vi.useFakeTimers();
    const body = controlledBody();
    const { api } = setup(() => new Response(body.stream, { status: 200 }));
    const call = watch(api.friends('tok', null, { signal: never() }));
    body.write('[');
    await vi.advanceTimersByTimeAsync(9_999);
    expect(call.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await expectFailure(call.promise, { kind: 'timeout' });
  });

  it('uses the deadline and the timers it was given', async () => {
    const pending: { callback: () => void; ms: number }[] = [];
    const cleared: unknown[] = [];
    const fake = fakeFetch(() => new Promise<Response>(() => {}));
    const api = createApiClient({
      baseUrl: 'http://api.test',
      fetch: fake.fetch,
      timeoutMs: 2_500,
      setTimeout: (callback, ms) => pending.push({ callback, ms }),
      clearTimeout: (handle) => cleared.push(handle),
    });
    const call = api.status(null, { signal: never() });
    expect(pending.map((t) => t.ms)).toEqual([2_500]);
    pending[0]?.callback();
    await expectFailure(call, { kind: 'timeout' });
    expect(cleared).toEqual([1]);
  });
});
