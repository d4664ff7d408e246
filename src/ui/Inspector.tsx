/**
 * The inspector's first part: the live actor tree, read from the root snapshot's children, each node
 * subscribed to its own actor, so spawned actors appear and stopped ones leave as it happens. The
 * statechart, event log and snapshot views are still to come; the panel says so rather than faking them.
 */
import { useSelector } from '@xstate/react';
import type { KeyboardEvent } from 'react';
import type { AnyActorRef } from 'xstate';
import { useRoot } from './hooks';

export function Inspector({ id }: { id: string }) {
  const root = useRoot();
  return (
    <section id={id} className="inspector" aria-label="Inspector">
      <h2>Inspector</h2>
      <p className="muted small-print">
        Every running actor, nested as spawned, with its current state. Statechart, event log and snapshot
        views are not built yet.
      </p>
      <div role="tree" aria-label="Actors" className="actor-tree" onKeyDown={moveFocus}>
        <ActorNode actor={root} root />
      </div>
    </section>
  );
}

interface Snapshotish {
  status?: string;
  value?: unknown;
  children?: Record<string, AnyActorRef | undefined>;
}

const childIdsOf = (s: Snapshotish | undefined) => Object.keys(s?.children ?? {}).join('\n');
const stateOf = (s: Snapshotish | undefined) =>
  s?.value !== undefined ? JSON.stringify(s.value) : (s?.status ?? '');

/** What the actor runs: its machine's id, else the name it was provided under (a promise, a callback). */
function logicName(actor: AnyActorRef): string {
  const machineId = (actor as { logic?: { id?: unknown } }).logic?.id;
  if (typeof machineId === 'string') return machineId;
  return typeof actor.src === 'string' ? actor.src : 'actor';
}

function ActorNode({ actor, root = false }: { actor: AnyActorRef; root?: boolean }) {
  const childIds = useSelector(actor, (s: Snapshotish | undefined) => childIdsOf(s));
  const state = useSelector(actor, (s: Snapshotish | undefined) => stateOf(s));
  const children = (actor.getSnapshot() as Snapshotish).children ?? {};
  const ids = childIds === '' ? [] : childIds.split('\n');
  const logic = logicName(actor);
  // The root has a generated id (`x:0`); its machine's name says more.
  const name = root ? logic : actor.id;
  return (
    <div
      role="treeitem"
      aria-selected={root}
      aria-expanded={ids.length > 0 ? true : undefined}
      tabIndex={root ? 0 : -1}
      className="actor"
    >
      <span className="actor-id">{name}</span>
      {logic !== name && <span className="actor-logic"> ({logic})</span>}
      {state && <code className="actor-state"> {state}</code>}
      {ids.length > 0 && (
        // biome-ignore lint/a11y/useSemanticElements: a tree's nested group has no HTML element of its own.
        <div role="group">
          {ids.map((childId) => {
            const child = children[childId];
            return child ? <ActorNode key={child.sessionId} actor={child} /> : null;
          })}
        </div>
      )}
    </div>
  );
}

/** Up and Down move through the (always expanded) tree; Home and End go to its ends. */
function moveFocus(event: KeyboardEvent<HTMLDivElement>) {
  const items = [...event.currentTarget.querySelectorAll<HTMLElement>('[role="treeitem"]')];
  const at = items.indexOf(document.activeElement as HTMLElement);
  const to: Record<string, number> = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: items.length - 1 };
  const index = to[event.key];
  const target = index === undefined ? undefined : items[Math.max(0, Math.min(items.length - 1, index))];
  if (!target) return;
  event.preventDefault();
  for (const item of items) item.tabIndex = item === target ? 0 : -1;
  target.focus();
}
