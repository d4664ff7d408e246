/**
 * What a conversation shows: the server's messages merged with the outbox's sends to the same peer that
 * the server copy does not cover yet. Pure, so the UI only maps snapshots through it and a test can pin
 * every case down. Server messages are keyed by id; sends not yet in the window by their clientId.
 */
import type { MessageBody } from './ports';

export type DeliveryMark = 'pending' | 'delivered' | 'failed';

/** One send actor's snapshot, reduced to what the conversation shows. */
export interface SendView {
  clientId: string;
  content: string;
  createdAt: number;
  /** The server's id, once it has the message. */
  id: number | null;
  status: DeliveryMark;
  /** A post is in flight (tag `sending`). */
  sending: boolean;
  error: string | null;
}

export interface TimelineEntry {
  /** `m<id>` for a server message, `c<clientId>` for a send the window does not hold yet. */
  key: string;
  direction: 'sent' | 'received';
  content: string;
  timestamp: number;
  /** Null for received messages. */
  mark: DeliveryMark | null;
  id: number | null;
  clientId: string | null;
  /** Why a send failed (`failed` only). */
  error: string | null;
}

const fromMessage = (m: MessageBody): TimelineEntry => ({
  key: `m${m.id}`,
  direction: m.direction,
  content: m.content,
  timestamp: m.timestamp,
  mark: m.direction === 'sent' ? (m.delivered ? 'delivered' : 'pending') : null,
  id: m.id,
  clientId: m.clientId,
  error: null,
});

const fromSend = (s: SendView): TimelineEntry => ({
  key: `c${s.clientId}`,
  direction: 'sent',
  content: s.content,
  timestamp: s.createdAt,
  mark: s.status,
  id: s.id,
  clientId: s.clientId,
  error: s.error,
});

/**
 * `messages` (ascending by id) with the sends the window does not cover: a send is hidden once a server
 * message carries its clientId or its id (one marked failed too: the server has it after all, a lost
 * answer, so there is nothing to retry). A send the server has (an id) but the window does not hold yet
 * is placed by that id. One the server does not have stays where it was written, without comparing the
 * browser's clock with the server's: just before the next message written after it that has a place,
 * or at the end.
 */
export function buildTimeline(messages: readonly MessageBody[], sends: readonly SendView[]): TimelineEntry[] {
  const entries = messages.map(fromMessage);
  if (sends.length === 0) return entries;
  const byClientId = new Map<string, number>();
  const ids = new Set<number>();
  for (const m of messages) {
    ids.add(m.id);
    if (m.clientId !== null) byClientId.set(m.clientId, m.id);
  }
  const serverId = (s: SendView) =>
    byClientId.get(s.clientId) ?? (s.id !== null && ids.has(s.id) ? s.id : null);
  /** The key of the entry that stands for a send, when it has a place of its own. */
  const placeOf = (s: SendView) =>
    serverId(s) !== null ? `m${serverId(s)}` : s.id !== null ? `c${s.clientId}` : null;

  const placed = sends
    .filter((s) => s.id !== null && serverId(s) === null)
    .sort((a, b) => (a.id ?? 0) - (b.id ?? 0));
  const merged: TimelineEntry[] = [];
  let next = 0;
  for (const entry of entries) {
    while (next < placed.length && (placed[next]?.id ?? 0) < (entry.id ?? 0)) {
      merged.push(fromSend(placed[next] as SendView));
      next += 1;
    }
    merged.push(entry);
  }
  for (const send of placed.slice(next)) merged.push(fromSend(send));

  const written = [...sends].sort((a, b) => a.createdAt - b.createdAt);
  const before = new Map<string, TimelineEntry[]>();
  const tail: TimelineEntry[] = [];
  written.forEach((send, index) => {
    if (placeOf(send) !== null) return;
    const anchor = written
      .slice(index + 1)
      .map(placeOf)
      .find((key) => key !== null);
    const group = anchor ? (before.get(anchor) ?? []) : tail;
    if (anchor) before.set(anchor, group);
    group.push(fromSend(send));
  });
  if (before.size === 0) return [...merged, ...tail];
  return [...merged.flatMap((entry) => [...(before.get(entry.key) ?? []), entry]), ...tail];
}

/**
 * Where the unread divider goes when a conversation opens with `unread` new messages: the key of the
 * `unread`-th received entry from the end, or null when there is none to mark.
 */
export function firstUnreadKey(entries: readonly TimelineEntry[], unread: number): string | null {
  if (unread <= 0) return null;
  let seen = 0;
  for (let i = entries.length - 1; i >= 0; i--) {
    const entry = entries[i];
    if (entry?.direction !== 'received') continue;
    seen += 1;
    if (seen === unread) return entry.key;
  }
  // Fewer received messages held than unread: they all are, from the first received one.
  return entries.find((e) => e.direction === 'received')?.key ?? null;
}
