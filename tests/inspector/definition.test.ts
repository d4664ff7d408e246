/**
 * A machine's definition names its guards the same in every build: a minifier renames the functions behind
 * xstate's higher-order guards (the web build's `not(…)` is a function named `t`), and a trace recorded in
 * Node must still match the browser's machines.
 */
import { describe, expect, it } from 'vitest';
import { and, createMachine, not, or, stateIn } from 'xstate';
import { machineDefinition } from '../../src/inspector/definition';

/** The guard as a minified build has it: the same function under a one-letter name. */
function minified<T extends object>(guard: T): T {
  Object.defineProperty(guard, 'name', { value: 't' });
  return guard;
}

function guardsOf(guards: Record<string, unknown>): string[] {
  const machine = createMachine({
    id: 'm',
    initial: 'a',
    states: {
      a: {
        on: Object.fromEntries(
          Object.entries(guards).map(([event, guard]) => [event, { guard: guard as never, target: 'b' }]),
        ),
      },
      b: {},
    },
  });
  return (machineDefinition(machine).states?.a?.transitions ?? []).map((t) => t.guard ?? '');
}

describe('machine definitions', () => {
  it('names not, and, or and stateIn guards by what they combine, whatever their functions are called', () => {
    const guards = {
      one: not('isOnline'),
      two: and(['isOnline', not('isHidden')]),
      three: or(['isOnline', 'isRetrying']),
      four: stateIn('b'),
    };
    const expected = ['!isOnline', 'isOnline && !isHidden', 'isOnline || isRetrying', 'in(b)'];
    expect(guardsOf(guards)).toEqual(expected);
    expect(
      guardsOf({
        one: minified(not('isOnline')),
        two: minified(and(['isOnline', minified(not('isHidden'))])),
        three: minified(or(['isOnline', 'isRetrying'])),
        four: minified(stateIn('b')),
      }),
    ).toEqual(expected);
  });
});
