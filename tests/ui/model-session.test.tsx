/**
 * Level 2 of the session-and-connection model (tests/model/session.ts): the same generated paths, carried
 * out by a person on the web app in jsdom against the MSW backend (full and basic), each state asserted
 * through UI.md's roles and names: the sign-in form and its alert, the Connection and Activity status
 * regions, the Retry now button.
 *
 * Time is simulated: the app's actors run on one SimulatedClock and the API client's deadlines on another
 * (ParleyProvider's `clock` and `apiClock`); only the model's steps move them. A wrapper around fetch counts
 * the app's calls as they are made, so a step can wait until none is in flight before moving the clock.
 */
import { screen, waitFor } from '@testing-library/react';
import { HttpResponse, http } from 'msw';
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { DEFAULT_TIMEOUT_MS, type FetchLike } from '../../src/api/client';
import type { MockBackend, MockVariant } from '../../src/mocks/backend';
import { advance } from '../machines/harness';
import { carryOut, generatePaths, untakenTransitions } from '../model/paths';
import {
  REPROBE_MS,
  SEED,
  SESSION_ENDED,
  STATUS_INTERVAL_MS,
  sessionModel,
  WRONG_PASSWORD,
} from '../model/session';
import {
  activityStatus,
  BASE_URL,
  connectionStatus,
  DEFAULT_PASSWORD,
  mockServer,
  renderApp,
  startBackend,
  stopAll,
} from './harness';

type User = ReturnType<typeof renderApp>['user'];
interface Page {
  variant: MockVariant;
  user: User;
  backend: MockBackend;
  clock: SimulatedClock;
  deadlines: SimulatedClock;
  /** The app's calls started and not yet answered (a stream counts until its headers arrive). */
  inFlight: () => number;
  /** Calls to /api/events the app has made. */
  streamsAsked: () => number;
  /** Calls to /api/status (the connection's checks) the app has made. */
  checksAsked: () => number;
  /** Why the app polls: the backend had no stream (re-probed after 5 min) or it kept failing (1 min). */
  pollingBecause: 'missing' | 'failing';
}

const connectionText = () => connectionStatus().textContent ?? '';
const retryButton = () => screen.queryByRole('button', { name: 'Retry now' });
/**
 * Moves the app's clock. Not inside `act`: vitest runs without globals, so testing-library leaves React's
 * act environment off, and the page is read with `waitFor` as for any other asynchronous update.
 */
const tick = async (page: Page, ms: number) => advance(page.clock, ms);
const quiet = (page: Page) => waitFor(() => expect(page.inFlight()).toBe(0));

/** Whether `check` holds within a short real-time wait (the app's answers are asynchronous, never timed). */
const soon = (check: () => boolean, ms = 300): Promise<boolean> =>
  waitFor(() => expect(check()).toBe(true), { timeout: ms, interval: 5 }).then(
    () => true,
    () => false,
  );

/** A person waiting, a second at a time on the app's clock, until `done` (at most `seconds`). */
async function waitSeconds(page: Page, done: () => boolean, what: string, seconds = 12): Promise<void> {
  for (let s = 0; s < seconds; s += 1) {
    if (await soon(done)) return;
    await tick(page, 1000);
  }
  if (!(await soon(done))) throw new Error(`not ${what} after ${seconds} s`);
}

async function fillIn(page: Page, password: string) {
  const username = await screen.findByRole('textbox', { name: 'Username' });
  await page.user.clear(username);
  await page.user.type(username, 'alice');
  const field = screen.getByLabelText('Password');
  await page.user.clear(field);
  await page.user.type(field, password);
  await page.user.click(screen.getByRole('button', { name: 'Log in' }));
}

/** The 10 s status check meets a one-shot fault. */
const statusFault = (kind: '500' | 'malformed' | 'hang' | 'slow') => async (page: Page) => {
  await quiet(page);
  page.backend.faults.set('status', kind, { once: true, delayMs: 100 });
  await tick(page, STATUS_INTERVAL_MS);
  await waitFor(() => expect(page.backend.faults.get('status')).toBeUndefined());
  if (kind === 'hang') {
    // The mock holds the check until the client's deadline (both edges).
    advance(page.deadlines, DEFAULT_TIMEOUT_MS - 1);
    expect(await soon(() => page.inFlight() === 0, 50)).toBe(false);
    advance(page.deadlines, 1);
  }
  await quiet(page);
};

const events: Record<string, (page: Page) => Promise<void>> = {
  'user.signIn': async (page) => {
    await fillIn(page, DEFAULT_PASSWORD);
    await screen.findByRole('navigation', { name: 'Friends' });
  },
  'user.signInRefused': async (page) => {
    await fillIn(page, 'not the password');
    await screen.findByRole('alert');
  },
  'user.signOut': async (page) => {
    await page.user.click(screen.getByRole('button', { name: 'Log out' }));
    await screen.findByRole('button', { name: 'Log in' });
  },
  'network.down': async (page) => {
    page.backend.faults.set('all', 'down');
    page.backend.state.endStreams('alice');
    // The person comes back to the tab: the app refreshes at once and finds the network gone.
    window.dispatchEvent(new Event('focus'));
    await waitFor(() => expect(connectionText()).toMatch(/^Offline/));
  },
  'network.back': async (page) => page.backend.faults.clear('all'),
  'user.retryNow': async (page) => {
    const button = retryButton();
    if (!button) throw new Error('no Retry now button');
    const asked = page.checksAsked();
    await page.user.click(button);
    // Tried at once, not at the end of the countdown.
    expect(page.checksAsked()).toBe(asked + 1);
    await quiet(page);
    await waitFor(() => expect(connectionText()).not.toBe('Reconnecting…'));
  },
  'time.backoffElapses': async (page) => {
    // The countdown in the status bar goes down a second at a time; the check starts when it ends.
    let seconds = Number(/in (\d+) s/.exec(connectionText())?.[1]);
    // The seeded back-off: more than a second, so the countdown is seen to move.
    expect(seconds).toBeGreaterThan(1);
    expect(seconds).toBeLessThanOrEqual(3);
    while (seconds > 1) {
      await tick(page, 1000);
      seconds -= 1;
      await waitFor(() => expect(connectionText()).toBe(`Offline · Reconnecting… in ${seconds} s`));
    }
    await tick(page, 1000);
    await waitFor(() => expect(connectionText()).not.toMatch(/^Offline/));
    await quiet(page);
  },
  'status.error500': statusFault('500'),
  'status.malformed': statusFault('malformed'),
  'status.hangs': statusFault('hang'),
  'status.slow': statusFault('slow'),
  'stream.dropped': async (page) => {
    const asked = page.streamsAsked();
    page.backend.faults.set('events', 'drop', { once: true });
    page.backend.state.endStreams('alice');
    // Reopened, dropped after its opening lines, reopened again: live on the third stream.
    await waitSeconds(
      page,
      () => page.streamsAsked() >= asked + 2 && page.backend.state.streamCount('alice') === 1,
      'on a new stream',
    );
  },
  'stream.missing': async (page) => {
    mockServer().use(
      http.get(`${BASE_URL}/api/events`, () => HttpResponse.json({ error: 'not_found' }, { status: 404 }), {
        once: true,
      }),
    );
    page.backend.state.endStreams('alice');
    await waitSeconds(page, () => connectionText() === 'Connected · polling', 'polling');
    page.pollingBecause = 'missing';
  },
  'stream.failsThrice': async (page) => {
    const asked = page.streamsAsked();
    page.backend.faults.set('events', '500');
    page.backend.state.endStreams('alice');
    await waitSeconds(page, () => connectionText() === 'Connected · polling', 'polling');
    // The end, then two refused reopenings: three failures in a row.
    expect(page.streamsAsked() - asked).toBe(2);
    page.backend.faults.clear('events');
    page.pollingBecause = 'failing';
  },
  'server.endsSession': async (page) => {
    page.backend.state.revokeTokens('alice');
    await quiet(page);
    await tick(page, STATUS_INTERVAL_MS);
    await screen.findByRole('button', { name: 'Log in' });
  },
  'time.reprobeElapses': async (page) => {
    await quiet(page);
    const asked = page.streamsAsked();
    const interval = page.variant === 'basic' ? REPROBE_MS.missing : REPROBE_MS[page.pollingBecause];
    await tick(page, interval - 1);
    expect(page.streamsAsked()).toBe(asked);
    await tick(page, 1);
    expect(page.streamsAsked()).toBe(asked + 1);
    await quiet(page);
  },
};

const connected = (transport: 'live' | 'polling') => async () => {
  await waitFor(() => expect(connectionText()).toBe(`Connected · ${transport}`));
  expect(retryButton()).toBeNull();
};

const offline = async () => {
  await waitFor(() => expect(connectionText()).toMatch(/^Offline · Reconnecting… in \d+ s$/));
  expect(retryButton()).not.toBeNull();
};

const signedOut = (alert: string | null) => async () => {
  await screen.findByRole('button', { name: 'Log in' });
  expect(screen.queryByRole('status', { name: 'Connection' })).toBeNull();
  if (alert) expect(screen.getByRole('alert').textContent).toBe(alert);
  else expect(screen.queryByRole('alert')).toBeNull();
};

/** Signed in, the Activity status stays empty: connection news is the Connection status's. */
const noActivity = (check: () => Promise<void>) => async () => {
  await check();
  expect(activityStatus().textContent).toBe('');
};

const states: Record<string, (page: Page) => Promise<void>> = {
  signedOut: signedOut(null),
  signInRefused: signedOut(WRONG_PASSWORD),
  sessionEnded: signedOut(SESSION_ENDED),
  live: noActivity(connected('live')),
  polling: noActivity(connected('polling')),
  offline: noActivity(offline),
  recovering: noActivity(offline),
};

function countingFetch() {
  let pending = 0;
  let streams = 0;
  let checks = 0;
  const fetch: FetchLike = (url, init) => {
    pending += 1;
    const { pathname } = new URL(url);
    if (pathname === '/api/events') streams += 1;
    if (pathname === '/api/status') checks += 1;
    return globalThis.fetch(url, init).finally(() => {
      pending -= 1;
    });
  };
  return { fetch, inFlight: () => pending, streamsAsked: () => streams, checksAsked: () => checks };
}

for (const variant of ['full', 'basic'] as const) {
  const model = sessionModel(variant);
  const paths = generatePaths(model, { simpleLimit: 40 });

  describe(`session and connection model, in the web app (${variant} backend)`, () => {
    afterEach(stopAll);

    for (const path of paths) {
      it(path.description, async () => {
        const backend = startBackend({ variant });
        const clock = new SimulatedClock();
        const deadlines = new SimulatedClock();
        const calls = countingFetch();
        const { user } = renderApp({
          strict: true,
          clock,
          apiClock: deadlines,
          fetch: calls.fetch,
          seed: SEED,
        });
        const page: Page = {
          variant,
          user,
          backend,
          clock,
          deadlines,
          inFlight: calls.inFlight,
          streamsAsked: calls.streamsAsked,
          checksAsked: calls.checksAsked,
          pollingBecause: 'missing',
        };
        await states.signedOut?.(page);
        await carryOut(path, page, events, states);
      });
    }

    it('takes every transition of the model', () => {
      expect(untakenTransitions(model, paths)).toEqual([]);
    });
  });
}
