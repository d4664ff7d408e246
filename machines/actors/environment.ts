import { type EventObject, fromCallback } from 'xstate';
import type { EnvironmentEvent } from '../events';
import type { Environment } from '../ports';

/** Browser signals (online, focus, a hidden or visible tab) as events to the invoking machine. */
export const createEnvironmentActor = (env: Environment) =>
  fromCallback<EventObject>(({ sendBack }) =>
    env.watch((signal) => {
      if (signal === 'hidden') sendBack({ type: 'env.hidden' } satisfies EnvironmentEvent);
      else {
        if (signal === 'visible') sendBack({ type: 'env.visible' } satisfies EnvironmentEvent);
        sendBack({ type: 'env.wake', reason: signal } satisfies EnvironmentEvent);
      }
    }),
  );
