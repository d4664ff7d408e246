import { assign, sendParent, setup } from 'xstate';
import type { SelectionSettledEvent } from './events';

/**
 * The 300 ms selection debounce, as a state: each `friend.select` re-enters `debouncing`, which restarts
 * its timer; only a choice left alone for `selectionDebounce` is reported (to the root, which opens that
 * conversation). Quick clicks through the list therefore open nothing in between.
 */
export const selectionMachine = setup({
  types: {
    context: {} as { pending: string | null; settled: string | null },
    events: {} as { type: 'friend.select'; username: string },
  },
  delays: { selectionDebounce: 300 },
  actions: {
    rememberChoice: assign({ pending: (_, params: { username: string }) => params.username }),
    settle: assign(({ context }) => ({ settled: context.pending, pending: null })),
    reportSettled: sendParent(
      ({ context }): SelectionSettledEvent => ({
        type: 'selection.settled',
        peer: context.settled as string,
      }),
    ),
  },
}).createMachine({
  id: 'selection',
  context: { pending: null, settled: null },
  initial: 'idle',
  on: {
    'friend.select': {
      target: '.debouncing',
      reenter: true,
      actions: { type: 'rememberChoice', params: ({ event }) => ({ username: event.username }) },
    },
  },
  states: {
    idle: {},
    debouncing: {
      description: 'Waiting for the choice to settle; another selection starts the wait again.',
      tags: ['choosing'],
      after: { selectionDebounce: { target: 'idle', actions: ['settle', 'reportSettled'] } },
    },
  },
});
