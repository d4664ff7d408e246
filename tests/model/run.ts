import { afterEach, describe, expect, it } from 'vitest';
import { type AnyStateMachine, SimulatedClock } from 'xstate';
import type { MockVariant } from '../../src/mocks/backend';
import { generatePaths, modelTransitions, takenTransitions } from './paths';
import { type System, startSystem } from './system';

export interface ModelSpec {
  name: string;
  model: AnyStateMachine;
  /** Carries out an event of the model on the real system. */
  events: Record<string, (system: System) => Promise<void>>;
  /** Asserts the real system shows what the model's state says. */
  states: Record<string, (system: System) => Promise<void>>;
  setup?: (system: System) => Promise<void>;
  bobHistory?: number;
  simpleLimit?: number;
  /**
   * 'simulated': the actors run on a SimulatedClock (`system.clock`) that only the model's time events
   * move; by default they run on real timers.
   */
  clock?: 'real' | 'simulated';
  /** 'simulated': the API client's deadlines run on a SimulatedClock of their own (`system.deadlines`). */
  deadlines?: 'real' | 'simulated';
  /** The root actor's seed (the back-off's jitter); 7 unless given. */
  seed?: number;
}

/** One test per generated path, then a check that the paths took every transition of the model. */
export function describeModel(variant: MockVariant, spec: ModelSpec): void {
  const paths = generatePaths(spec.model, { simpleLimit: spec.simpleLimit ?? 40 });
  describe(`${spec.name} (${variant} backend)`, () => {
    let system: System | null = null;
    afterEach(() => {
      system?.stop();
      system = null;
    });

    for (const path of paths) {
      it(path.description, async () => {
        const sys = startSystem(variant, {
          bobHistory: spec.bobHistory ?? 0,
          ...(spec.clock === 'simulated' && { clock: new SimulatedClock() }),
          ...(spec.deadlines === 'simulated' && { deadlines: new SimulatedClock() }),
          ...(spec.seed !== undefined && { seed: spec.seed }),
        });
        system = sys;
        await spec.setup?.(sys);
        const initial = path.steps[0]?.from ?? '';
        await spec.states[initial]?.(sys);
        for (const step of path.steps) {
          const run = spec.events[step.event.type];
          if (!run) throw new Error(`no way to carry out ${step.event.type}`);
          await run(sys);
          const check = spec.states[step.to];
          if (!check) throw new Error(`no check for state ${step.to}`);
          try {
            await check(sys);
          } catch (error) {
            throw new Error(
              `after ${step.from} --${step.event.type}--> ${step.to}: ${(error as Error).message}`,
            );
          }
        }
      });
    }

    it('takes every transition of the model', () => {
      const taken = takenTransitions(paths);
      const missed = modelTransitions(spec.model).filter((t) => !taken.has(t));
      expect(missed).toEqual([]);
    });
  });
}
