import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import type { UserEvent } from '@testing-library/user-event';
import { VirtuosoMockContext } from 'react-virtuoso';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EventLog } from '../../src/inspector/EventLog';
import type { InspectionRecord } from '../../src/inspector/trace';
import type { MockBackend } from '../../src/mocks/backend';
import { logIn, openConversation, renderApp, startBackend, stopAll } from './harness';

const inspector = () => screen.getByRole('region', { name: 'Inspector' });
const tree = () => within(inspector()).getByRole('tree', { name: 'Actors' });
const treeItem = (id: string) =>
  within(tree())
    .getAllByRole('treeitem')
    .find((item) => item.querySelector(':scope > .actor-id')?.textContent === id);
const actorIds = () =>
  within(tree())
    .queryAllByRole('treeitem')
    .map((item) => item.querySelector(':scope > .actor-id')?.textContent ?? '');
const snapshotRegion = () => within(inspector()).getByRole('region', { name: 'Snapshot' });
const eventsLog = () => within(inspector()).getByRole('log', { name: 'Events' });
const replayNotes = () => within(inspector()).getByRole('status', { name: 'Replay' });

describe.each([
  ['in StrictMode', true],
  ['without StrictMode', false],
])('the inspector (%s)', (_, strict) => {
  let backend: MockBackend;
  beforeEach(() => {
    // Opening it puts #inspector in the address; each test starts closed.
    window.history.replaceState(null, '', '/');
    backend = startBackend();
  });
  afterEach(() => {
    vi.restoreAllMocks();
    stopAll();
  });

  async function inspecting() {
    const view = renderApp({ strict });
    await logIn(view.user);
    await view.user.click(screen.getByRole('button', { name: 'Inspector' }));
    return view;
  }

  it("lists the app's actors nested under the root, and the selected root's snapshot", async () => {
    await inspecting();
    const roots = within(tree())
      .getAllByRole('treeitem')
      .filter((item) => item.parentElement === tree());
    expect(roots.map((item) => item.querySelector('.actor-id')?.textContent)).toEqual(['app']);
    expect(roots[0]?.getAttribute('aria-selected')).toBe('true');
    expect(actorIds()).toEqual(
      expect.arrayContaining(['app', 'connection', 'friends', 'selection', 'outbox']),
    );
    // One of each: the actors StrictMode stopped have left.
    expect(actorIds().filter((id) => id === 'connection')).toHaveLength(1);
    expect(within(snapshotRegion()).getByRole('heading').textContent).toBe('Snapshot of app');
    expect(snapshotRegion().textContent).toContain('signedIn');
    expect(within(inspector()).getByRole('img', { name: 'Statechart' })).toBeTruthy();
  });

  it('shows the connection actor in the snapshot when it is selected', async () => {
    const { user } = await inspecting();
    await waitFor(() => expect(treeItem('connection')).toBeTruthy());
    await user.click(treeItem('connection')?.querySelector('.actor-id') as HTMLElement);
    expect(treeItem('connection')?.getAttribute('aria-selected')).toBe('true');
    await waitFor(() =>
      expect(within(snapshotRegion()).getByRole('heading').textContent).toBe('Snapshot of connection'),
    );
    await waitFor(() => expect(snapshotRegion().textContent).toMatch(/online/));
    expect(snapshotRegion().textContent).toContain('context');
  });

  it('logs the events of a send, and shows its send actor while it runs and not after', async () => {
    const { user } = await inspecting();
    await openConversation(user, 'bob');
    await waitFor(() => expect(actorIds()).toContain('conversation'));
    backend.faults.set('send', 'slow', { once: true, delayMs: 400 });
    await user.type(screen.getByRole('textbox', { name: 'Message' }), 'Inspect me');
    await user.click(screen.getByRole('button', { name: 'Send' }));
    await waitFor(() => expect(actorIds().some((id) => id.startsWith('send-'))).toBe(true));
    await waitFor(() => expect(actorIds().some((id) => id.startsWith('send-'))).toBe(false));
    fireEvent.change(within(inspector()).getByRole('searchbox'), { target: { value: 'message.send' } });
    await waitFor(() => expect(eventsLog().textContent).toContain('message.send'));
    expect(eventsLog().textContent).toContain('→');
  });

  /** Clicks Export trace and reads the file it would have downloaded. */
  async function exportTrace(user: UserEvent): Promise<string> {
    let exported: Blob | undefined;
    URL.createObjectURL = vi.fn((blob: Blob) => {
      exported = blob;
      return 'blob:trace';
    });
    URL.revokeObjectURL = vi.fn();
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => {});
    await user.click(within(inspector()).getByRole('button', { name: 'Export trace' }));
    expect(exported).toBeDefined();
    return new Promise<string>((resolve) => {
      const reader = new FileReader();
      reader.onload = () => resolve(String(reader.result));
      reader.readAsText(exported as Blob);
    });
  }

  const importTrace = (user: UserEvent, text: string) =>
    user.upload(
      within(inspector()).getByLabelText('Import trace'),
      new File([text], 'trace.json', { type: 'application/json' }),
    );

  it('exports the session, imports it, and stepping back shows an earlier state', async () => {
    const { user } = await inspecting();
    const text = await exportTrace(user);
    expect(JSON.parse(text).format).toBe('parley-inspector-trace');

    await importTrace(user, text);
    const slider = await within(inspector()).findByRole('slider');
    expect(Number(slider.getAttribute('value'))).toBe(Number(slider.getAttribute('max')));
    expect(snapshotRegion().textContent).toContain('signedIn');
    // Recorded by this very build: drawn from the trace, and nothing to warn about.
    expect(replayNotes().textContent).toBe(
      "Drawn from the machine definitions stored in the trace, which match this build's.",
    );
    // The app started signed out (restoring, then the login form): the first steps show it so.
    fireEvent.change(slider, { target: { value: '3' } });
    await waitFor(() => expect(snapshotRegion().textContent).not.toContain('signedIn'));
    expect(within(inspector()).getByRole('img', { name: 'Statechart' })).toBeTruthy();
    // Arrow keys step too, from anywhere in the panel (the slider itself moves by them natively).
    within(inspector()).getByRole('button', { name: 'Export trace' }).focus();
    await user.keyboard('{ArrowRight}');
    expect(slider.getAttribute('value')).toBe('4');
    await user.keyboard('{ArrowLeft}{ArrowLeft}');
    expect(slider.getAttribute('value')).toBe('2');
    await user.click(within(inspector()).getByRole('button', { name: 'Back to live' }));
    expect(within(inspector()).queryByRole('slider')).toBeNull();
    expect(snapshotRegion().textContent).toContain('signedIn');
    expect(within(inspector()).queryByRole('status', { name: 'Replay' })).toBeNull();
  });

  it("draws a trace recorded with another build's connection machine as recorded, and says so", async () => {
    const { user } = await inspecting();
    await waitFor(() => expect(treeItem('connection')).toBeTruthy());
    const trace = JSON.parse(await exportTrace(user));
    // Another build: its connection machine had a `limbo` state, and the trace ends in it.
    trace.machines.connection.states.limbo = {
      id: 'connection.limbo',
      key: 'limbo',
      type: 'atomic',
      description: 'Only the other build has this state.',
    };
    const connection = trace.actors.find((a: { id: string }) => a.id === 'connection').key;
    const last = trace.events.findLast(
      (e: { actor: string; kind: string }) => e.actor === connection && e.kind === 'snapshot',
    );
    last.snapshot.value = 'limbo';
    await importTrace(user, JSON.stringify(trace));

    await waitFor(() =>
      expect(replayNotes().textContent).toBe(
        'This trace was recorded with a different version of the connection machine; it is drawn as recorded.',
      ),
    );
    await user.click(treeItem('connection')?.querySelector('.actor-id') as HTMLElement);
    const chart = within(inspector()).getByRole('img', { name: 'Statechart' });
    await waitFor(() => expect(chart.querySelector('g[data-state="connection.limbo"]')).not.toBeNull());
    const limbo = chart.querySelector('g[data-state="connection.limbo"]');
    expect(limbo?.getAttribute('aria-current')).toBe('true');
    expect(limbo?.querySelector(':scope > title')?.textContent).toBe(
      'limbo: Only the other build has this state.',
    );
    expect(chart.querySelector('g[data-state="connection.online"]')?.hasAttribute('aria-current')).toBe(
      false,
    );
  });

  it('says why instead of drawing when a trace is damaged or its definition cannot be drawn', async () => {
    const { user } = await inspecting();
    await waitFor(() => expect(treeItem('connection')).toBeTruthy());
    const trace = JSON.parse(await exportTrace(user));

    const damaged = structuredClone(trace);
    damaged.events[0].actor = 7;
    await importTrace(user, JSON.stringify(damaged));
    expect((await within(inspector()).findByRole('alert')).textContent).toBe(
      'That trace is damaged: event 1 names no actor.',
    );
    expect(within(inspector()).queryByRole('slider')).toBeNull();

    trace.machines.connection.states.checking.transitions[0].targets = ['connection.nowhere'];
    await importTrace(user, JSON.stringify(trace));
    await within(inspector()).findByRole('slider');
    await user.click(treeItem('connection')?.querySelector('.actor-id') as HTMLElement);
    const sentence =
      'The trace\'s definition of the connection machine cannot be drawn: state "connection.checking" has a transition to "connection.nowhere", a state it does not define.';
    await waitFor(() => expect(within(inspector()).getByRole('alert').textContent).toBe(sentence));
    expect(within(inspector()).queryByRole('img', { name: 'Statechart' })).toBeNull();
    expect(replayNotes().textContent).toBe(sentence);
  });
});

describe('the event log', () => {
  afterEach(() => cleanup());

  it('renders only the rows in view, however many events there are, and filters by type', async () => {
    const records: InspectionRecord[] = Array.from({ length: 5000 }, (_, i) => ({
      seq: i + 1,
      time: Date.UTC(2026, 0, 1, 12, 0, 0, i),
      kind: 'event',
      actor: 'a2',
      source: 'a1',
      type: i % 2 ? 'message.send' : 'push.batch',
      event: { type: i % 2 ? 'message.send' : 'push.batch', n: i },
    }));
    render(
      <VirtuosoMockContext.Provider value={{ viewportHeight: 600, itemHeight: 50 }}>
        <EventLog records={records} nameOf={(key) => (key === 'a1' ? 'app' : 'outbox')} />
      </VirtuosoMockContext.Provider>,
    );
    const log = screen.getByRole('log', { name: 'Events' });
    await waitFor(() => expect(log.querySelectorAll('.event-row').length).toBeGreaterThan(0));
    expect(log.querySelectorAll('.event-row').length).toBeLessThan(50);
    expect(log.textContent).toContain('app → outbox');
    fireEvent.change(screen.getByRole('searchbox'), { target: { value: 'push' } });
    await waitFor(() => {
      expect(log.textContent).toContain('push.batch');
      expect(log.textContent).not.toContain('message.send');
    });
  });

  it('holds still while paused, and catches up on Resume', async () => {
    const record = (seq: number, type: string): InspectionRecord => ({
      seq,
      time: Date.UTC(2026, 0, 1),
      kind: 'event',
      actor: 'a1',
      type,
      event: { type },
    });
    const first = [record(1, 'friend.select')];
    const withLog = (records: InspectionRecord[]) => (
      <VirtuosoMockContext.Provider value={{ viewportHeight: 600, itemHeight: 50 }}>
        <EventLog records={records} nameOf={() => 'app'} />
      </VirtuosoMockContext.Provider>
    );
    const view = render(withLog(first));
    const log = screen.getByRole('log', { name: 'Events' });
    fireEvent.click(screen.getByRole('button', { name: 'Pause' }));
    view.rerender(withLog([...first, record(2, 'message.send')]));
    await waitFor(() => expect(log.textContent).toContain('friend.select'));
    expect(log.textContent).not.toContain('message.send');
    fireEvent.click(screen.getByRole('button', { name: 'Resume' }));
    await waitFor(() => expect(log.textContent).toContain('message.send'));
  });
});
