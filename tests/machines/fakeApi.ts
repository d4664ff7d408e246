import type { EventStreamHandlers, ParleyApi } from '../../machines/ports';

export interface PendingCall {
  method: keyof ParleyApi;
  args: unknown[];
  signal: AbortSignal;
  resolve(value: unknown): void;
  reject(error: unknown): void;
  /** For `events`: the handlers the stream reader was given. */
  handlers?: EventStreamHandlers;
}

/**
 * A ParleyApi whose every call waits until the test answers it, so async actors are resolved step by
 * step and a test can see which requests are open and whether their signals were aborted.
 */
export function createFakeApi() {
  const calls: PendingCall[] = [];
  const record =
    (method: keyof ParleyApi) =>
    (...args: unknown[]) =>
      new Promise((resolve, reject) => {
        const opts = args.at(-1) as { signal: AbortSignal };
        const call: PendingCall = { method, args: args.slice(0, -1), signal: opts.signal, resolve, reject };
        if (method === 'events') call.handlers = args[2] as EventStreamHandlers;
        calls.push(call);
      });
  const api = {
    status: record('status'),
    register: record('register'),
    login: record('login'),
    logout: record('logout'),
    friends: record('friends'),
    addFriend: record('addFriend'),
    messages: record('messages'),
    send: record('send'),
    events: record('events'),
  } as unknown as ParleyApi;
  return {
    api,
    calls,
    /** The calls of one method not yet answered (nor aborted). */
    open: (method: keyof ParleyApi) =>
      calls.filter((c) => c.method === method && !c.signal.aborted && !settled.has(c)),
    /** The oldest open call of a method; throws if there is none, so a missing request fails the test. */
    next(method: keyof ParleyApi): PendingCall {
      const call = calls.find((c) => c.method === method && !c.signal.aborted && !settled.has(c));
      if (!call) throw new Error(`no open ${method} call`);
      settled.add(call);
      return call;
    },
  };
}
const settled = new WeakSet<PendingCall>();
