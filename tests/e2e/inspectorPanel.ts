/** The inspector panel as UI.md names its parts, read the way a person's assistive technology would. */
import type { Page } from 'playwright-core';

export const inspector = (page: Page) => page.getByRole('region', { name: 'Inspector', exact: true });
export const tree = (page: Page) => inspector(page).getByRole('tree', { name: 'Actors', exact: true });
export const statechart = (page: Page) =>
  inspector(page).getByRole('img', { name: 'Statechart', exact: true });
export const snapshot = (page: Page) =>
  inspector(page).getByRole('region', { name: 'Snapshot', exact: true });
export const events = (page: Page) => inspector(page).getByRole('log', { name: 'Events', exact: true });
export const replayNotes = (page: Page) =>
  inspector(page).getByRole('status', { name: 'Replay', exact: true });

/** The ids (the root's machine name) shown in the tree, in order. */
export function actorIds(page: Page): Promise<string[]> {
  return tree(page)
    .getByRole('treeitem')
    .evaluateAll((items) => items.map((item) => item.querySelector(':scope > .actor-id')?.textContent ?? ''));
}

/** The tree item of the actor with this id (not its descendants'). */
export const treeItem = (page: Page, id: string) =>
  tree(page).locator(`[role="treeitem"]:has(> .actor-id:text-is("${id}"))`);

/** The state node ids of the Statechart's groups marked active. */
export function activeStates(page: Page): Promise<string[]> {
  return statechart(page)
    .locator('g[aria-current="true"]')
    .evaluateAll((groups) => groups.map((g) => g.getAttribute('data-state') ?? ''));
}

/** The snapshot's state value as JSON (the <pre> after the "value" term). */
export async function snapshotValue(page: Page): Promise<unknown> {
  const pre = snapshot(page).locator('dt:text-is("value") + dd pre');
  if ((await pre.count()) === 0) return undefined;
  const text = await pre.textContent();
  return text === null ? undefined : JSON.parse(text);
}
