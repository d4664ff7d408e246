/**
 * Pure helpers for a conversation's message window, shared by every path that brings messages in (the
 * first page, polls, refreshes, history, pushed events). Each returns `null` when nothing changed, so a
 * caller can leave its context (and the snapshot) exactly as it was.
 */
import type { MessageBody, PushEvent } from './ports';

/** One message with what a later copy adds: only `delivered` can change, and only from false to true. */
const mergeOne = (held: MessageBody, copy: MessageBody): MessageBody =>
  copy.delivered && !held.delivered ? { ...held, delivered: true } : held;

/**
 * `existing` (ascending by id, each id once) with `incoming` (any order, duplicates allowed) merged in:
 * ascending by id, each id once. `delivered` is monotonic: a copy saying false never undoes a true, so a
 * late or stale answer cannot take a tick away. A message's other fields never change on the server, so
 * the copy already held wins. Returns null when the result would equal `existing`.
 */
export function mergeMessages(
  existing: readonly MessageBody[],
  incoming: readonly MessageBody[],
): MessageBody[] | null {
  if (incoming.length === 0) return null;
  const byId = new Map<number, MessageBody>();
  for (const message of existing) byId.set(message.id, message);
  let changed = false;
  for (const copy of incoming) {
    const held = byId.get(copy.id);
    const next = held ? mergeOne(held, copy) : copy;
    if (next !== held) {
      byId.set(copy.id, next);
      changed = true;
    }
  }
  if (!changed) return null;
  return [...byId.values()].sort((a, b) => a.id - b.id);
}

/** The window with the messages of `ids` marked delivered; null when each was already (or is not held). */
export function markDelivered(
  messages: readonly MessageBody[],
  ids: readonly number[],
): MessageBody[] | null {
  const wanted = new Set(ids);
  let next: MessageBody[] | null = null;
  messages.forEach((message, index) => {
    if (message.delivered || !wanted.has(message.id)) return;
    next ??= [...messages];
    next[index] = { ...message, delivered: true };
  });
  return next;
}

/**
 * A pushed batch applied to one conversation: the `message` events of `peer` merged in, then its
 * `delivered` events marked (the stream sends a message before its receipt, so the message is held by
 * then). One result for the whole batch, so a burst costs one update; null when nothing changed.
 */
export function applyPushed(
  messages: readonly MessageBody[],
  peer: string,
  events: readonly PushEvent[],
): MessageBody[] | null {
  const incoming: MessageBody[] = [];
  const delivered: number[] = [];
  for (const event of events) {
    if (event.type === 'message' && event.data.peer === peer) incoming.push(event.data);
    else if (event.type === 'delivered' && event.data.peer === peer) delivered.push(event.data.id);
  }
  const merged = mergeMessages(messages, incoming);
  const marked = markDelivered(merged ?? messages, delivered);
  return marked ?? merged;
}

/** Sent messages the recipient has not received yet: while there are any, polls look for receipts. */
export const awaitsReceipt = (messages: readonly MessageBody[]): boolean =>
  messages.some((m) => m.direction === 'sent' && !m.delivered);
