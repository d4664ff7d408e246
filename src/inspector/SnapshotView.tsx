import type { PlainSnapshot } from './serialize';

const json = (value: unknown) => JSON.stringify(value, null, 2);

/** The selected actor's snapshot: status, state value, tags, context and children. */
export function SnapshotView({
  name,
  snapshot,
}: {
  name: string | undefined;
  snapshot: PlainSnapshot | null;
}) {
  return (
    <section aria-label="Snapshot" className="inspector-snapshot">
      <h3>Snapshot{name ? ` of ${name}` : ''}</h3>
      {snapshot === null ? (
        <p className="muted small-print">No snapshot recorded for this actor yet.</p>
      ) : (
        <dl>
          <dt>status</dt>
          <dd>{snapshot.status}</dd>
          {snapshot.value !== undefined && (
            <>
              <dt>value</dt>
              <dd>
                <pre>{json(snapshot.value)}</pre>
              </dd>
            </>
          )}
          <dt>tags</dt>
          <dd>{snapshot.tags?.length ? snapshot.tags.join(', ') : '—'}</dd>
          {snapshot.context !== undefined && (
            <>
              <dt>context</dt>
              <dd>
                <pre>{json(snapshot.context)}</pre>
              </dd>
            </>
          )}
          <dt>children</dt>
          <dd>{snapshot.children?.length ? snapshot.children.join(', ') : '—'}</dd>
          {snapshot.output !== undefined && (
            <>
              <dt>output</dt>
              <dd>
                <pre>{json(snapshot.output)}</pre>
              </dd>
            </>
          )}
          {snapshot.error !== undefined && (
            <>
              <dt>error</dt>
              <dd>
                <pre>{json(snapshot.error)}</pre>
              </dd>
            </>
          )}
        </dl>
      )}
    </section>
  );
}
