/**
 * One call's lifetime: the caller's AbortSignal and a deadline, folded into the single signal fetch is
 * given, plus a way to race any promise against them. The deadline is a plain setTimeout (injectable)
 * rather than AbortSignal.timeout, so fake timers and simulated clocks control it. Racing matters
 * because a fetch or a body reader may ignore its signal: the call must still settle when asked to.
 */
import { ApiError } from '../../machines/ports';

export interface Timers {
  setTimeout: (callback: () => void, ms: number) => unknown;
  clearTimeout: (handle: unknown) => void;
}

/** The global timers, looked up on each use, so `vi.useFakeTimers()` after creating a client still applies. */
export const globalTimers: Timers = {
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as Parameters<typeof globalThis.clearTimeout>[0]),
};

export const failure = {
  aborted: () => new ApiError({ kind: 'aborted', message: 'The request was cancelled.' }),
  timeout: () => new ApiError({ kind: 'timeout', message: 'The server took too long to answer.' }),
  idle: () =>
    new ApiError({ kind: 'timeout', message: 'The live connection to the server went quiet for too long.' }),
  network: () => new ApiError({ kind: 'network', message: 'The server could not be reached.' }),
  broken: () =>
    new ApiError({ kind: 'network', message: 'The live connection to the server was interrupted.' }),
};

export interface Guard {
  /** Given to fetch: aborted when the caller aborts or the deadline passes. */
  readonly signal: AbortSignal;
  /**
   * Settles with `promise`, or rejects as soon as the call is aborted or late. Any other rejection
   * (fetch's TypeError, a reader's error) becomes `onFailure()`: the wire failed, not the code.
   */
  race<T>(promise: Promise<T>, onFailure?: () => ApiError): Promise<T>;
  /** Starts the deadline again, from now: the event stream's idle deadline moves with every chunk. */
  rearm(ms: number, onLate: () => ApiError): void;
  /** Stops the deadline and lets go of the caller's signal; `abort` also closes the connection. */
  close(options?: { abort?: boolean }): void;
}

/** Throws at once when the caller has already aborted: no request is sent for a stopped actor. */
export function openGuard(callerSignal: AbortSignal, ms: number, timers: Timers): Guard {
  if (callerSignal.aborted) throw failure.aborted();
  const controller = new AbortController();
  let stopped: ApiError | null = null;
  let rejectStop: (error: ApiError) => void = () => {};
  const stoppedPromise = new Promise<never>((_, reject) => {
    rejectStop = reject;
  });
  // Nobody may be racing at the moment it fires; the rejection is still observed by the next race.
  stoppedPromise.catch(() => {});

  const stop = (error: ApiError) => {
    if (stopped) return;
    stopped = error;
    controller.abort(error);
    rejectStop(error);
  };
  const onCallerAbort = () => stop(failure.aborted());
  callerSignal.addEventListener('abort', onCallerAbort, { once: true });

  let timer: unknown;
  let armed = false;
  const rearm = (delay: number, onLate: () => ApiError) => {
    if (armed) timers.clearTimeout(timer);
    armed = true;
    timer = timers.setTimeout(() => stop(onLate()), delay);
  };
  rearm(ms, failure.timeout);

  return {
    signal: controller.signal,
    async race(promise, onFailure = failure.network) {
      try {
        return await Promise.race([promise, stoppedPromise]);
      } catch (error) {
        if (stopped) throw stopped;
        if (error instanceof ApiError) throw error;
        throw onFailure();
      }
    },
    rearm,
    close(options) {
      if (armed) timers.clearTimeout(timer);
      armed = false;
      callerSignal.removeEventListener('abort', onCallerAbort);
      if (options?.abort && !stopped) controller.abort();
    },
  };
}
