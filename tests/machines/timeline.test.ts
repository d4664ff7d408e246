import { describe, expect, it } from 'vitest';
import type { MessageBody } from '../../machines/ports';
import { buildTimeline, firstUnreadKey, type SendView } from '../../machines/timeline';

const message = (id: number, over: Partial<MessageBody> = {}): MessageBody => ({
  id,
  direction: 'received',
  peer: 'bob',
  content: `m${id}`,
  timestamp: 1000 + id,
  delivered: true,
  clientId: null,
  ...over,
});

const send = (clientId: string, over: Partial<SendView> = {}): SendView => ({
  clientId,
  content: `s-${clientId}`,
  createdAt: 5000,
  id: null,
  status: 'pending',
  sending: false,
  error: null,
  ...over,
});

const keys = (entries: { key: string }[]) => entries.map((e) => e.key);

describe('buildTimeline', () => {
  it('shows server messages in id order, keyed by id, with a mark only on sent ones', () => {
    const entries = buildTimeline(
      [message(1), message(2, { direction: 'sent', delivered: false }), message(3, { direction: 'sent' })],
      [],
    );
    expect(keys(entries)).toEqual(['m1', 'm2', 'm3']);
    expect(entries.map((e) => e.mark)).toEqual([null, 'pending', 'delivered']);
  });

  it('appends sends the server does not have yet, keyed by clientId, in the order written', () => {
    const entries = buildTimeline(
      [message(1)],
      [send('b', { createdAt: 20 }), send('a', { createdAt: 10, status: 'failed', error: 'nope' })],
    );
    expect(keys(entries)).toEqual(['m1', 'ca', 'cb']);
    expect(entries[1]).toMatchObject({ direction: 'sent', mark: 'failed', error: 'nope', content: 's-a' });
  });

  it('hides a send once the window holds the server copy with its clientId', () => {
    const entries = buildTimeline(
      [message(1), message(2, { direction: 'sent', clientId: 'a', delivered: false })],
      [send('a', { id: 2 }), send('b')],
    );
    expect(keys(entries)).toEqual(['m1', 'm2', 'cb']);
  });

  it('hides a send by its id when the backend keeps no clientId', () => {
    const entries = buildTimeline(
      [message(7, { direction: 'sent', clientId: null })],
      [send('a', { id: 7 })],
    );
    expect(keys(entries)).toEqual(['m7']);
  });

  it('places a send the server has, but the window does not hold yet, by its id', () => {
    const entries = buildTimeline([message(1), message(5)], [send('a', { id: 3 }), send('b')]);
    expect(keys(entries)).toEqual(['m1', 'ca', 'm5', 'cb']);
  });

  it('keeps a send the server does not have where it was written, before later ones the server has', () => {
    const entries = buildTimeline(
      [message(1), message(4, { direction: 'sent', clientId: 'b' }), message(5)],
      [
        send('a', { createdAt: 10, status: 'failed' }),
        send('b', { createdAt: 20, id: 4 }),
        send('c', { createdAt: 30, id: 6 }),
        send('d', { createdAt: 40 }),
      ],
    );
    expect(keys(entries)).toEqual(['m1', 'ca', 'm4', 'm5', 'cc', 'cd']);
  });

  it('puts a send the server does not have before the next one written, even if that one is not in the window yet', () => {
    const entries = buildTimeline(
      [message(1), message(2)],
      [send('a', { createdAt: 10, status: 'failed' }), send('b', { createdAt: 20, id: 3 })],
    );
    expect(keys(entries)).toEqual(['m1', 'm2', 'ca', 'cb']);
  });

  it('hides a failed send whose copy the server has after all', () => {
    const entries = buildTimeline(
      [message(4, { direction: 'sent', clientId: 'a' })],
      [send('a', { status: 'failed' })],
    );
    expect(keys(entries)).toEqual(['m4']);
  });

  it('with no sends, is the messages mapped one to one', () => {
    expect(buildTimeline([], [])).toEqual([]);
    expect(keys(buildTimeline([message(1)], []))).toEqual(['m1']);
  });
});

describe('firstUnreadKey', () => {
  const entries = buildTimeline(
    [message(1), message(2), message(3, { direction: 'sent' }), message(4), message(5)],
    [],
  );

  it('marks the first of the last n received messages', () => {
    expect(firstUnreadKey(entries, 2)).toBe('m4');
    expect(firstUnreadKey(entries, 3)).toBe('m2');
  });

  it('marks nothing when nothing is unread', () => {
    expect(firstUnreadKey(entries, 0)).toBeNull();
    expect(firstUnreadKey([], 3)).toBeNull();
  });

  it('marks the first received message when more are unread than held', () => {
    expect(firstUnreadKey(entries, 10)).toBe('m1');
  });
});
