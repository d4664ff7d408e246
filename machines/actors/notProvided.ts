import { fromPromise } from 'xstate';

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
