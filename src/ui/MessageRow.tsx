import { memo } from 'react';
import type { DeliveryMark, TimelineEntry } from '../../machines/timeline';
import { formatTime, isoTime } from './format';

/** Drawn rather than typed: an emoji font is not everywhere, and ⏳ would show as an empty box. */
const MARKS: Record<DeliveryMark, { title: string; path: string }> = {
  // An hourglass (⏳).
  pending: {
    title: 'Not received yet',
    path: 'M4 1.5h8M4 14.5h8M5 1.5v2.5l3 4-3 4v2.5M11 1.5v2.5l-3 4 3 4v2.5',
  },
  // A tick (✓).
  delivered: { title: 'Delivered', path: 'M2.5 8.5l3.5 3.5 7.5-8' },
  // A warning sign (⚠).
  failed: { title: 'Not sent', path: 'M8 1.5l7 13H1zM8 6v4.5M8 12.5v.5' },
};

function Mark({ mark }: { mark: DeliveryMark }) {
  return (
    <span className={`mark ${mark}`} role="img" aria-label={mark} title={MARKS[mark].title}>
      <svg viewBox="0 0 16 16" width="13" height="13" aria-hidden="true" focusable="false">
        <path d={MARKS[mark].path} />
      </svg>
    </span>
  );
}

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
              <Mark mark={entry.mark} />
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
