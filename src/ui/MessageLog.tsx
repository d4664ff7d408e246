import { forwardRef, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { type Components, type ScrollerProps, Virtuoso, type VirtuosoHandle } from 'react-virtuoso';
import { buildTimeline, firstUnreadKey, type TimelineEntry } from '../../machines/timeline';
import { useChatEvents, useConversation, useSends, useUnreadAtOpen } from './hooks';
import { MessageRow } from './MessageRow';

/** Virtuoso wants a positive index for the first item; prepending history counts down from here. */
const FIRST_INDEX = 1_000_000;

interface LogContext {
  loadingOlder: boolean;
  canLoadOlder: boolean;
  /** The history could not be loaded: the log must not claim it starts here, or that there is none. */
  unloaded: boolean;
}

const UNLOADED = 'Earlier messages could not be loaded; they will show once the server is back.';

/** Each message is an article; the scroller itself is the `log`, so the list wrapper stays generic. */
const components: Components<TimelineEntry, LogContext> = {
  Header: ({ context }) => (
    <div className="log-edge">
      {context?.unloaded
        ? UNLOADED
        : context?.loadingOlder
          ? 'Loading earlier messages…'
          : context?.canLoadOlder
            ? ''
            : 'Start of the conversation'}
    </div>
  ),
  Footer: () => <div className="log-end" />,
  // Unloaded, the header says why the log is empty.
  EmptyPlaceholder: ({ context }) =>
    context?.unloaded ? null : <p className="log-empty muted">No messages yet. Say hello!</p>,
  // The scroller is the log: focusable, so the keyboard scrolls it.
  Scroller: forwardRef<HTMLDivElement, ScrollerProps & { context?: LogContext }>(function Scroller(
    { context: _, ...props },
    ref,
  ) {
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard.
    return <div {...props} ref={ref} role="log" aria-label="Messages" tabIndex={0} />;
  }),
};

/**
 * The index Virtuoso gives the first item: lowered by the number of items that appeared before the one
 * that was first, so loading history keeps the reader where they were. State adjusted during render.
 */
function useFirstItemIndex(entries: readonly TimelineEntry[]): number {
  const firstKey = entries[0]?.key ?? null;
  const [anchor, setAnchor] = useState({ key: firstKey, index: FIRST_INDEX });
  if (anchor.key === firstKey) return anchor.index;
  const moved = anchor.key === null ? -1 : entries.findIndex((e) => e.key === anchor.key);
  const next = { key: firstKey, index: moved > 0 ? anchor.index - moved : anchor.index };
  setAnchor(next);
  return next.index;
}

/** A message the person has just written: not on the server yet. */
const justWritten = (entry: TimelineEntry | undefined) =>
  entry?.direction === 'sent' && entry.id === null && entry.mark === 'pending';

const lastReceivedKey = (entries: readonly TimelineEntry[]) =>
  entries.findLast((e) => e.direction === 'received')?.key ?? null;

/** Within this many pixels of the end, the reader is at the bottom (Virtuoso's default threshold). */
const AT_BOTTOM_PX = 4;

/** The open conversation's messages, virtualised; mounted once the first page is in. */
export function MessageLog({ peer }: { peer: string }) {
  const { messages, loading, unloaded, loadingOlder, canLoadOlder } = useConversation();
  const sends = useSends(peer);
  const { retry, loadOlder } = useChatEvents();
  const unreadAtOpen = useUnreadAtOpen(peer);
  const entries = useMemo(() => buildTimeline(messages, sends), [messages, sends]);
  const firstItemIndex = useFirstItemIndex(entries);
  const virtuoso = useRef<VirtuosoHandle>(null);

  // Where the divider goes is decided once, from the first page and the unread count at the opening.
  const [dividerKey, setDividerKey] = useState<string | null | undefined>(undefined);
  if (dividerKey === undefined && !loading) setDividerKey(firstUnreadKey(entries, unreadAtOpen));

  // The newest received message when the reader left the bottom: anything newer is news to them.
  const [awayFrom, setAwayFrom] = useState<string | null | undefined>(undefined);
  const newest = lastReceivedKey(entries);
  const showNews = awayFrom !== undefined && newest !== awayFrom;

  // Whether the reader follows the newest messages. Only the reader leaves the bottom (by scrolling up):
  // Virtuoso's own at-bottom flag also turns false for a frame whenever messages arrive, until it has scrolled
  // to them; taken at its word, a burst (tens a second) stops the following and flickers "New messages".
  const following = useRef(false);
  const latest = useRef(entries);
  latest.current = entries;
  const [scroller, setScroller] = useState<HTMLElement | null>(null);
  const onScroller = useCallback((el: HTMLElement | Window | null) => {
    setScroller(el instanceof HTMLElement ? el : null);
  }, []);
  useEffect(() => {
    if (!scroller) return;
    let last = scroller.scrollTop;
    const onScroll = () => {
      const top = scroller.scrollTop;
      const fromEnd = scroller.scrollHeight - top - scroller.clientHeight;
      if (top < last && fromEnd > AT_BOTTOM_PX && following.current) {
        following.current = false;
        setAwayFrom(lastReceivedKey(latest.current));
      }
      last = top;
    };
    scroller.addEventListener('scroll', onScroll, { passive: true });
    return () => scroller.removeEventListener('scroll', onScroll);
  }, [scroller]);

  if (loading) {
    return (
      <div className="log" role="log" aria-label="Messages" aria-busy="true">
        <p className="log-empty muted">Loading messages…</p>
      </div>
    );
  }

  const dividerIndex = dividerKey ? entries.findIndex((e) => e.key === dividerKey) : -1;
  return (
    <div className="log-frame">
      <Virtuoso
        ref={virtuoso}
        className="log"
        data={entries}
        context={{ loadingOlder, canLoadOlder, unloaded }}
        components={components}
        computeItemKey={(_, entry) => entry.key}
        firstItemIndex={firstItemIndex}
        initialTopMostItemIndex={
          dividerIndex >= 0 ? { index: dividerIndex, align: 'start' } : { index: 'LAST', align: 'end' }
        }
        alignToBottom
        // Follows new messages while the reader follows them; one they just wrote is shown wherever they are.
        scrollerRef={onScroller}
        atBottomThreshold={AT_BOTTOM_PX}
        followOutput={(atBottom) =>
          atBottom || following.current || justWritten(entries.at(-1)) ? 'auto' : false
        }
        atBottomStateChange={(atBottom) => {
          if (atBottom) {
            following.current = true;
            setAwayFrom(undefined);
          } else if (!following.current) setAwayFrom(lastReceivedKey(entries));
        }}
        startReached={() => {
          if (canLoadOlder) loadOlder();
        }}
        itemContent={(_, entry) => (
          <MessageRow entry={entry} peer={peer} unreadStart={entry.key === dividerKey} onRetry={retry} />
        )}
      />
      {showNews && (
        <button
          type="button"
          className="news"
          onClick={() => virtuoso.current?.scrollToIndex({ index: 'LAST', align: 'end', behavior: 'smooth' })}
        >
          New messages <span aria-hidden="true">↓</span>
        </button>
      )}
    </div>
  );
}
