/**
 * A value, or a promise of it. Reads that a store or its cache can answer from memory come back as the value
 * itself, so a request whose reads are all in memory (a conditional poll) runs without a promise or a tick.
 */
export type Awaitable<T> = T | Promise<T>;

/** Continues with `value` now when it is there, or once it resolves; a throw in `next` stays synchronous. */
export function andThen<T, R>(value: Awaitable<T>, next: (value: T) => Awaitable<R>): Awaitable<R> {
  return value instanceof Promise ? value.then(next) : next(value);
}
