import { useMemo, useState } from 'react';
import { Virtuoso } from 'react-virtuoso';
import { toPlain } from './serialize';
import type { InspectionRecord } from './trace';

export interface EventLogProps {
  /** Every inspection record, oldest first; the log shows the events among them. */
  records: InspectionRecord[];
  /** The name to show for an actor key. */
  nameOf(key: string): string;
  /** In a replay, the record stepped to: later events are dimmed, and a click steps to one. */
  current?: number;
  onPick?(index: number): void;
}

interface Row {
  index: number;
  record: InspectionRecord;
}

const time = (ms: number) => new Date(ms).toISOString().slice(11, 23);

/** The events as they happen: time, source → target, type, payload; filterable, pausable, virtualised. */
export function EventLog({ records, nameOf, current, onPick }: EventLogProps) {
  const [actor, setActor] = useState('');
  const [type, setType] = useState('');
  const [frozen, setFrozen] = useState<InspectionRecord[] | null>(null);
  const shown = frozen ?? records;

  const rows = useMemo(() => {
    const needle = type.trim().toLowerCase();
    const out: Row[] = [];
    shown.forEach((record, index) => {
      if (record.kind !== 'event') return;
      if (actor && record.actor !== actor && record.source !== actor) return;
      if (needle && !record.type.toLowerCase().includes(needle)) return;
      out.push({ index, record });
    });
    return out;
  }, [shown, actor, type]);

  const actors = useMemo(() => {
    const keys = new Set<string>();
    for (const r of shown) if (r.kind === 'event') keys.add(r.actor);
    return [...keys].map((key) => ({ key, name: nameOf(key) })).sort((a, b) => a.name.localeCompare(b.name));
  }, [shown, nameOf]);

  return (
    <div className="event-log">
      <div className="event-filters">
        <label>
          Actor{' '}
          <select value={actor} onChange={(e) => setActor(e.target.value)}>
            <option value="">all</option>
            {actors.map((a) => (
              <option key={a.key} value={a.key}>
                {a.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Type <input type="search" value={type} onChange={(e) => setType(e.target.value)} size={12} />
        </label>
        {onPick === undefined && (
          <button
            type="button"
            aria-pressed={frozen !== null}
            onClick={() => setFrozen(frozen ? null : records)}
          >
            {frozen ? 'Resume' : 'Pause'}
          </button>
        )}
      </div>
      <div role="log" aria-label="Events" className="event-rows">
        <Virtuoso
          style={{ height: '100%' }}
          data={rows}
          followOutput={current === undefined ? 'auto' : false}
          initialTopMostItemIndex={Math.max(0, rows.length - 1)}
          computeItemKey={(_, row) => row.record.seq}
          itemContent={(_, row) => <EventRow row={row} nameOf={nameOf} current={current} onPick={onPick} />}
        />
      </div>
    </div>
  );
}

function EventRow({
  row,
  nameOf,
  current,
  onPick,
}: { row: Row } & Pick<EventLogProps, 'nameOf' | 'current' | 'onPick'>) {
  const { record, index } = row;
  const future = current !== undefined && index > current;
  const payload = toPlain(record.event);
  const hasPayload = payload !== null && typeof payload === 'object' && Object.keys(payload).length > 1;
  return (
    <div className={future ? 'event-row future' : 'event-row'} data-index={index}>
      <time className="event-time">{time(record.time)}</time>{' '}
      <span className="event-route">
        {record.source === undefined ? '—' : nameOf(record.source)} → {nameOf(record.actor)}
      </span>{' '}
      {onPick ? (
        <button type="button" className="event-type link" onClick={() => onPick(index)}>
          {record.type}
        </button>
      ) : (
        <code className="event-type">{record.type}</code>
      )}
      {hasPayload && (
        <details className="event-payload">
          <summary>payload</summary>
          <pre>{JSON.stringify(payload, null, 2)}</pre>
        </details>
      )}
    </div>
  );
}
