import { type AnyActorLogic, type AnyEventObject, createActor, SimulatedClock, setup } from 'xstate';

/** Lets promise callbacks (resolved answers, storage writes) run, without moving the clock. */
export async function flush(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * Runs a child machine under a stand-in parent that records what the child sends it (`sendParent`),
 * with simulated time: `clock.increment(ms)` moves every `after` timer of the system.
 */
export function underParent<TLogic extends AnyActorLogic>(logic: TLogic, input: unknown, systemId?: string) {
  const clock = new SimulatedClock();
  const received: AnyEventObject[] = [];
  const parent = setup({ actors: { child: logic as AnyActorLogic } }).createMachine({
    invoke: { id: 'child', src: 'child', input, ...(systemId && { systemId }) },
    on: { '*': { actions: ({ event }) => received.push(event) } },
  });
  const actor = createActor(parent, { clock });
  actor.start();
  const child = actor.getSnapshot().children.child;
  if (!child) throw new Error('the child did not start');
  return {
    parent: actor,
    child,
    clock,
    received,
    /** The events of one type the child has sent to its parent. */
    sent: (type: string) => received.filter((e) => e.type === type),
  };
}
