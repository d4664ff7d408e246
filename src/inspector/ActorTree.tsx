import type { KeyboardEvent } from 'react';
import type { ActorNode } from './trace';

export interface ActorTreeProps {
  nodes: ActorNode[];
  selected: string | undefined;
  onSelect(key: string): void;
}

/** Every live actor nested under its parent, always expanded; the selected one is shown beside it. */
export function ActorTree({ nodes, selected, onSelect }: ActorTreeProps) {
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => moveFocus(event, onSelect);
  return (
    <div role="tree" aria-label="Actors" className="actor-tree" onKeyDown={onKeyDown}>
      {nodes.map((node) => (
        <Node key={node.actor.key} node={node} root selected={selected} onSelect={onSelect} />
      ))}
    </div>
  );
}

function Node({
  node,
  root = false,
  selected,
  onSelect,
}: { node: ActorNode; root?: boolean } & Omit<ActorTreeProps, 'nodes'>) {
  const { actor, children } = node;
  const isSelected = actor.key === selected;
  // The root's id is generated (`x:0`); its machine's name says more.
  const name = root ? actor.machine : actor.id;
  return (
    // biome-ignore lint/a11y/useKeyWithClickEvents: the tree's onKeyDown selects with Enter and Space.
    <div
      role="treeitem"
      aria-selected={isSelected}
      aria-expanded={children.length > 0 ? true : undefined}
      tabIndex={isSelected ? 0 : -1}
      className={isSelected ? 'actor selected' : 'actor'}
      data-key={actor.key}
      onClick={(event) => {
        event.stopPropagation();
        onSelect(actor.key);
      }}
    >
      <span className="actor-id">{name}</span>
      {actor.machine !== name && <span className="actor-logic"> ({actor.machine})</span>}
      {children.length > 0 && (
        // biome-ignore lint/a11y/useSemanticElements: a tree's nested group has no HTML element of its own.
        <div role="group">
          {children.map((child) => (
            <Node key={child.actor.key} node={child} selected={selected} onSelect={onSelect} />
          ))}
        </div>
      )}
    </div>
  );
}

/** Up and Down move through the tree, Home and End to its ends; Enter or Space selects. */
function moveFocus(event: KeyboardEvent<HTMLDivElement>, onSelect: (key: string) => void) {
  const items = [...event.currentTarget.querySelectorAll<HTMLElement>('[role="treeitem"]')];
  const at = items.indexOf(document.activeElement as HTMLElement);
  if ((event.key === 'Enter' || event.key === ' ') && items[at]?.dataset.key) {
    event.preventDefault();
    onSelect(items[at].dataset.key);
    return;
  }
  const to: Record<string, number> = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: items.length - 1 };
  const index = to[event.key];
  const target = index === undefined ? undefined : items[Math.max(0, Math.min(items.length - 1, index))];
  if (!target) return;
  event.preventDefault();
  for (const item of items) item.tabIndex = item === target ? 0 : -1;
  target.focus();
}
