/**
 * An in-memory Parley backend as MSW request handlers: API.md's contract for tests (`setupServer`, see
 * ./node.ts) and for the browser's demo mode (`setupWorker`, see ./browser.ts), so nothing here imports
 * node:*. tests/mocks/contract.test.ts runs one table of calls against this and the reference server.
 *
 * - `full`: every call of API.md, event stream and ETags included. Rate limits (429) are left out: the
 *   client's handling of them is tested against the reference server, and a mock that refused bursts
 *   would only make model-based runs flaky.
 * - `basic`: a "degraded backend" as API.md describes the original desktop one: no /api/events (404), no
 *   ETags, cursors and limit ignored (the whole conversation every time), no clientId kept (messages carry
 *   `clientId: null` and a repeated send is stored twice). It still has accounts and tokens: the client
 *   signs in the same way against either backend, and only the listed degradations differ.
 */
import type { HttpHandler } from 'msw';
import { version as packageVersion } from '../../package.json';
import { createFaults, type Faults } from './faults';
import { createHandlers, type MockVariant } from './handlers';
import { createMockState, type MockState } from './state';
import { createWorld } from './world';

export type { ActiveFault, FaultKind, FaultOptions, FaultRoute, Faults } from './faults';
export type { MockVariant } from './handlers';
export type { HubEvent } from './hub';
export { DEFAULT_PASSWORD, type MockState, type MockStreamHandle } from './state';

export interface MockBackendOptions {
  variant: MockVariant;
  /** Prefix of every handled URL: '' (the page's own origin, in the browser) or e.g. 'http://parley.test'. */
  baseUrl?: string;
  /** The clock for timestamps, presence and event retention; tests pass a controllable one. */
  now?: () => number;
  /** Presence window after an authenticated call (API.md: 25 s). */
  presenceWindowMs?: number;
  /** Interval of the event stream's keep-alive comment (API.md: 15 s); 0 sends none. */
  keepAliveMs?: number;
  /** Delay of the `slow` fault unless the fault gives its own. */
  slowMs?: number;
  /** `version` in GET /api/status; the package's, as the server reports it. */
  version?: string;
}

export interface MockBackend {
  variant: MockVariant;
  handlers: HttpHandler[];
  state: MockState;
  faults: Faults;
}

export function createMockBackend(options: MockBackendOptions): MockBackend {
  const world = createWorld({
    now: options.now ?? Date.now,
    presenceWindowMs: options.presenceWindowMs ?? 25_000,
  });
  const faults = createFaults();
  const handlers = createHandlers({
    world,
    faults,
    variant: options.variant,
    baseUrl: (options.baseUrl ?? '').replace(/\/$/, ''),
    version: options.version ?? packageVersion,
    slowMs: options.slowMs ?? 3000,
    keepAliveMs: options.keepAliveMs ?? 15_000,
  });
  return { variant: options.variant, handlers, state: createMockState(world, options.variant), faults };
}
