/**
 * The inspector in a real browser against the real server: the actor tree, the connection actor's
 * statechart with its active states marked, the events and the short-lived send actor of a message, and
 * a trace exported, imported and stepped back through, and one from another build drawn as it recorded.
 */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { api, deliveryMark, logIn, messagesWith, openConversation, setUpWorld, ui, write } from './harness';
import {
  activeStates,
  actorIds,
  events,
  inspector,
  replayNotes,
  snapshot,
  snapshotValue,
  treeItem,
} from './inspectorPanel';

const world = setUpWorld('inspector');

/** Every leaf path of a state value, as dotted ids (`online.live`). */
function leafPaths(value: unknown, prefix = ''): string[] {
  if (typeof value === 'string') return [prefix ? `${prefix}.${value}` : value];
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, inner]) =>
      leafPaths(inner, prefix ? `${prefix}.${key}` : key),
    );
  }
  return [];
}

describe('the inspector in the browser', () => {
  it('lists the actors, charts the connection, follows a send, and replays an exported trace', async () => {
    const url = world.server.url;
    const token = await api.register(url, 'iris');
    await api.register(url, 'ivan');
    await api.befriend(url, token, 'ivan');

    // Ivan is signed in too: a message is delivered (and its send actor done) once it reaches him.
    const ivan = await world.person('ivan');
    await logIn(ivan.page, 'ivan');
    await openConversation(ivan.page, 'iris');
    const iris = await world.person('iris', { width: 1440, height: 900 });
    await logIn(iris.page, 'iris');
    await openConversation(iris.page, 'ivan');
    const page = iris.page;

    // Opened by its button: the panel with the app's actors, the root selected.
    await page.getByRole('button', { name: 'Inspector', exact: true }).click();
    await inspector(page).waitFor();
    await expect
      .poll(() => actorIds(page))
      .toEqual(expect.arrayContaining(['app', 'connection', 'friends', 'selection', 'outbox']));
    expect((await actorIds(page)).filter((id) => id === 'connection')).toHaveLength(1);
    await expect.poll(() => snapshot(page).getByRole('heading').textContent()).toBe('Snapshot of app');
    await world.shots.take(iris, 'inspector-open');

    // The connection actor: its chart, the active states marked and matching its snapshot's value.
    await treeItem(page, 'connection').locator(':scope > .actor-id').click();
    await expect.poll(() => treeItem(page, 'connection').getAttribute('aria-selected')).toBe('true');
    await expect.poll(() => snapshot(page).getByRole('heading').textContent()).toBe('Snapshot of connection');
    await expect.poll(() => activeStates(page)).not.toEqual([]);
    await expect.poll(() => snapshotValue(page)).toBeDefined();
    await expect
      .poll(async () => {
        const value = await snapshotValue(page);
        const active = await activeStates(page);
        // Each leaf of the state value is an active group in the chart (ids carry the machine's id first).
        return leafPaths(value).every((leaf) => active.some((id) => id === leaf || id.endsWith(`.${leaf}`)));
      })
      .toBe(true);
    expect(JSON.stringify(await snapshotValue(page))).toMatch(/online/);
    await world.shots.take(iris, 'connection-chart');

    // A send: held back by the network for a while, so its actor can be seen before it leaves.
    await page.route('**/api/messages', async (route) => {
      if (route.request().method() === 'POST') await new Promise((resolve) => setTimeout(resolve, 1500));
      await route.continue();
    });
    const before = await events(page).locator('.event-row').count();
    await write(page, 'Inspect me in Chromium');
    await expect.poll(async () => (await actorIds(page)).some((id) => id.startsWith('send-'))).toBe(true);
    await world.shots.take(iris, 'send-actor-running');
    await messagesWith(ivan.page, 'Inspect me in Chromium').waitFor();
    await deliveryMark(messagesWith(page, 'Inspect me in Chromium'), 'delivered').waitFor();
    await expect.poll(async () => (await actorIds(page)).some((id) => id.startsWith('send-'))).toBe(false);
    await page.unroute('**/api/messages');
    // The log shows the send's events (filtered to them, as the log is virtualised).
    await inspector(page).getByRole('searchbox').fill('message.send');
    await expect.poll(() => events(page).textContent()).toContain('message.send');
    expect(await events(page).textContent()).toContain('→');
    await world.shots.take(iris, 'send-events');
    await inspector(page).getByRole('searchbox').fill('');
    await expect.poll(() => events(page).locator('.event-row').count()).toBeGreaterThan(0);
    expect(before).toBeGreaterThan(0);

    // Export the session, import the file, and step back from its end.
    const download = page.waitForEvent('download');
    await inspector(page).getByRole('button', { name: 'Export trace', exact: true }).click();
    const file = join(world.shots.dir, 'trace.json');
    copyFileSync(await (await download).path(), file);
    const trace = JSON.parse(readFileSync(file, 'utf8')) as { format: string; events: unknown[] };
    expect(trace.format).toBe('parley-inspector-trace');
    expect(trace.events.length).toBeGreaterThan(10);

    await inspector(page).getByLabel('Import trace').setInputFiles(file);
    const slider = inspector(page).getByRole('slider');
    await slider.waitFor();
    await expect
      .poll(() => inspector(page).getByRole('heading', { level: 2 }).textContent())
      .toMatch(/replay/);
    const last = Number(await slider.getAttribute('max'));
    expect(Number(await slider.inputValue())).toBe(last);
    // The root is selected again, at the end: signed in.
    await expect.poll(() => snapshot(page).getByRole('heading').textContent()).toBe('Snapshot of app');
    expect(await snapshot(page).textContent()).toContain('signedIn');
    // Recorded by this build: every machine of the session (conversation and send included) matches.
    expect(await replayNotes(page).textContent()).toBe(
      "Drawn from the machine definitions stored in the trace, which match this build's.",
    );
    await world.shots.take(iris, 'replay-at-end');

    // ArrowLeft from the panel steps back one event.
    await inspector(page).getByRole('button', { name: 'Export trace', exact: true }).focus();
    await page.keyboard.press('ArrowLeft');
    await expect.poll(async () => Number(await slider.inputValue())).toBe(last - 1);
    // Far back with the slider: the first step at which the root has a state, before it signed in.
    let first = -1;
    for (let at = 0; at < last && first < 0; at += 1) {
      await slider.fill(String(at));
      await expect.poll(async () => Number(await slider.inputValue())).toBe(at);
      if ((await snapshotValue(page)) !== undefined) first = at;
    }
    expect(first).toBeGreaterThanOrEqual(0);
    expect(first).toBeLessThan(last - 1);
    expect(await snapshotValue(page)).toEqual({ restoring: 'session' });
    expect(await snapshot(page).textContent()).not.toContain('signedIn');
    await expect.poll(() => activeStates(page)).toContain('app.restoring');
    console.info(`replay: ${last + 1} events; the root's first state at step ${first + 1}`);
    await world.shots.take(iris, 'replay-stepped-back');

    // The same trace as another build would have written it: its connection machine had a `limbo` state,
    // and the connection ended in it. The chart is the recorded one, and the panel says it differs.
    const edited = JSON.parse(readFileSync(file, 'utf8'));
    edited.machines.connection.states.limbo = { id: 'connection.limbo', key: 'limbo', type: 'atomic' };
    const connection = edited.actors.find((a: { id: string }) => a.id === 'connection').key;
    edited.events.findLast(
      (e: { actor: string; kind: string }) => e.actor === connection && e.kind === 'snapshot',
    ).snapshot.value = 'limbo';
    const otherBuild = join(world.shots.dir, 'trace-other-build.json');
    writeFileSync(otherBuild, JSON.stringify(edited));
    await inspector(page).getByLabel('Import trace').setInputFiles(otherBuild);
    await expect
      .poll(() => replayNotes(page).textContent())
      .toBe(
        'This trace was recorded with a different version of the connection machine; it is drawn as recorded.',
      );
    await treeItem(page, 'connection').locator(':scope > .actor-id').click();
    await expect.poll(() => activeStates(page)).toEqual(['connection', 'connection.limbo']);
    await world.shots.take(iris, 'replay-other-build');
    await treeItem(page, 'app').locator(':scope > .actor-id').click();

    await inspector(page).getByRole('button', { name: 'Back to live', exact: true }).click();
    await expect.poll(() => inspector(page).getByRole('slider').count()).toBe(0);
    await expect.poll(() => snapshot(page).textContent()).toContain('signedIn');
    // The chat stayed usable: the message is there, and the page threw nothing.
    expect(await messagesWith(page, 'Inspect me in Chromium').count()).toBe(1);
    await ui.messageBox(page).waitFor();
    expect(iris.errors).toEqual([]);
  });
});
