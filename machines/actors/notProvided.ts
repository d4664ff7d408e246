import { type EventObject, fromCallback, fromPromise, type NonReducibleUnknown } from 'xstate';

/**
 * The placeholder for an actor that reaches out: machines declare it by name in `setup()`, and
 * `createParleyMachine(deps)` (machines/index.ts) or a test provides the real one with `.provide()`.
 */
export const notProvided = <TOutput = unknown, TInput = unknown>(name: string) =>
  fromPromise<TOutput, TInput>(async () => {
    throw new Error(
      `The actor "${name}" is not implemented: provide it via createParleyMachine(deps) or .provide().`,
    );
  });

/** The same, for a callback actor (a subscription to something outside). */
export const notProvidedCallback = <TInput = NonReducibleUnknown>(name: string) =>
  fromCallback<EventObject, TInput>(() => {
    throw new Error(
      `The actor "${name}" is not implemented: provide it via createParleyMachine(deps) or .provide().`,
    );
  });
