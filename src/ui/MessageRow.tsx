import { memo } from 'react';
import type { DeliveryMark, TimelineEntry } from '../../machines/timeline';
import { formatTime, isoTime } from './format';

const MARKS: Record<DeliveryMark, { symbol: string; title: string }> = {
  pending: { symbol: '⏳', title: 'Not received yet' },
  delivered: { symbol: '✓', title: 'Delivered' },
  failed: { symbol: '⚠', title: 'Not sent' },
};

interface MessageRowProps {
  entry: TimelineEntry;
  peer: string;
  /** The first message that was unread when the conversation opened. */
  unreadStart: boolean;
  onRetry(clientId: string): void;
}

/** One message: its content as text (never markup), its time, and for sent ones the delivery mark. */
export const MessageRow = memo(function MessageRow({ entry, peer, unreadStart, onRetry }: MessageRowProps) {
  const sent = entry.direction === 'sent';
  return (
    <div className={sent ? 'row sent' : 'row received'}>
      {unreadStart && <div className="unread-divider">Unread messages</div>}
      <article className={sent ? 'bubble sent' : 'bubble received'}>
        <span className="sr-only">{sent ? 'You:' : `${peer}:`} </span>
        <p className="content">{entry.content}</p>
        <div className="meta">
          <time dateTime={isoTime(entry.timestamp)}>{formatTime(entry.timestamp)}</time>
          {entry.mark && (
            <>
              {' '}
              <span
                className={`mark ${entry.mark}`}
                role="img"
                aria-label={entry.mark}
                title={MARKS[entry.mark].title}
              >
                {MARKS[entry.mark].symbol}
              </span>
            </>
          )}
        </div>
        {entry.mark === 'failed' && entry.clientId && (
          <div className="failure">
            <span>{entry.error ?? 'Not sent.'}</span>{' '}
            <button type="button" onClick={() => entry.clientId && onRetry(entry.clientId)}>
              Retry
            </button>
          </div>
        )}
      </article>
    </div>
  );
});
