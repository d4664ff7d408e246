import { type ConnectionState, useActivity, useChatEvents, useConnection } from './hooks';

/** How the connection stands and the last thing that happened, each in a status region of its own. */
export function StatusBar() {
  const { state, transport, retrySeconds, lastError } = useConnection();
  const { retryNow } = useChatEvents();
  const activity = useActivity();

  return (
    <footer className="statusbar">
      <div className={`connection ${state}`}>
        <span className="dot" aria-hidden="true" />
        <div role="status" aria-label="Connection" title={lastError ?? undefined}>
          {describe(state, transport, retrySeconds, lastError !== null)}
        </div>
        {state === 'offline' && (
          <button type="button" className="small" onClick={retryNow}>
            Retry now
          </button>
        )}
      </div>
      <div role="status" aria-label="Activity" className={`activity ${activity?.kind ?? ''}`}>
        {activity?.text ?? ''}
      </div>
    </footer>
  );
}

function describe(state: ConnectionState, transport: string, retrySeconds: number, failed: boolean): string {
  switch (state) {
    case 'online':
      return `Connected · ${transport}`;
    case 'offline':
      return retrySeconds > 0 ? `Offline · Reconnecting… in ${retrySeconds} s` : 'Offline · Reconnecting…';
    case 'checking':
      return failed ? 'Reconnecting…' : 'Connecting…';
  }
}
