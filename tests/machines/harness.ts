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

interface ClockInternals {
  timeouts: Map<number, { start: number; timeout: number }>;
}

/**
 * Moves a SimulatedClock by `ms`, stopping at every timer on the way. (`increment` sets the time first
 * and then fires what is due, so a timer started by a firing timer would count from the end of the step.)
 */
export function advance(clock: SimulatedClock, ms: number): void {
  const target = clock.now() + ms;
  for (;;) {
    let due = Number.POSITIVE_INFINITY;
    for (const t of (clock as unknown as ClockInternals).timeouts.values())
      due = Math.min(due, t.start + t.timeout);
    if (due > target) break;
    clock.increment(Math.max(0, due - clock.now()));
  }
  clock.increment(target - clock.now());
}

/** Timers still pending on a SimulatedClock: 0 once everything is stopped. */
export const pendingTimers = (clock: SimulatedClock): number =>
  (clock as unknown as ClockInternals).timeouts.size;

/**
 * Milliseconds until the one pending timer of length `timeoutMs` fires (say, a 2 s poll), so a test can
 * step to both of its edges. Throws unless exactly one such timer is pending.
 */
export function dueIn(clock: SimulatedClock, timeoutMs: number): number {
  const timers = [...(clock as unknown as ClockInternals).timeouts.values()].filter(
    (t) => t.timeout === timeoutMs,
  );
  const [timer] = timers;
  if (timers.length !== 1 || !timer)
    throw new Error(`${timers.length} timers of ${timeoutMs} ms pending, not one`);
  return timer.start + timer.timeout - clock.now();
}
