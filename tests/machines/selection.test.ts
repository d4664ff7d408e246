import { afterEach, describe, expect, it } from 'vitest';
import { selectionMachine } from '../../machines/selectionMachine';
import { advance, pendingTimers, underParent } from './harness';

const runs: { parent: { stop(): void } }[] = [];
const start = () => {
  const run = underParent(selectionMachine, undefined);
  runs.push(run);
  return run;
};
afterEach(() => {
  for (const run of runs.splice(0)) run.parent.stop();
});

describe('selection', () => {
  it('reports a choice once it has been left alone for 300 ms, not at 299 ms', () => {
    const t = start();
    t.child.send({ type: 'friend.select', username: 'bob' });
    advance(t.clock, 299);
    expect(t.sent('selection.settled')).toHaveLength(0);
    advance(t.clock, 1);
    expect(t.sent('selection.settled')).toEqual([{ type: 'selection.settled', peer: 'bob' }]);
  });

  it('starts the wait again on each new choice, so quick clicks settle only on the last', () => {
    const t = start();
    t.child.send({ type: 'friend.select', username: 'bob' });
    advance(t.clock, 250);
    t.child.send({ type: 'friend.select', username: 'carol' });
    advance(t.clock, 250);
    t.child.send({ type: 'friend.select', username: 'dave' });
    advance(t.clock, 299);
    expect(t.sent('selection.settled')).toHaveLength(0);
    advance(t.clock, 1);
    expect(t.sent('selection.settled')).toEqual([{ type: 'selection.settled', peer: 'dave' }]);
  });

  it('is tagged choosing while the choice settles', () => {
    const t = start();
    t.child.send({ type: 'friend.select', username: 'bob' });
    expect(t.child.getSnapshot().hasTag('choosing')).toBe(true);
    advance(t.clock, 300);
    expect(t.child.getSnapshot().hasTag('choosing')).toBe(false);
  });

  it('leaves no timer behind when stopped mid-wait', () => {
    const t = start();
    t.child.send({ type: 'friend.select', username: 'bob' });
    t.parent.stop();
    expect(pendingTimers(t.clock)).toBe(0);
    advance(t.clock, 1000);
    expect(t.sent('selection.settled')).toHaveLength(0);
  });
});
