import { useId, useState } from 'react';
import { Conversation } from './Conversation';
import { FriendsPanel } from './FriendsPanel';
import { useChatEvents, useSession } from './hooks';
import { Inspector } from './Inspector';
import { StatusBar } from './StatusBar';

const INSPECTOR_HASH = '#inspector';

/** Signed in: a top bar, the friends sidebar, the open conversation, the status bar, and the inspector. */
export function ChatScreen() {
  const { username, busy } = useSession();
  const { logOut } = useChatEvents();
  const inspectorId = useId();
  const [inspecting, setInspecting] = useState(() => window.location.hash === INSPECTOR_HASH);

  const toggleInspector = () => {
    const next = !inspecting;
    setInspecting(next);
    // The address says whether it is open, so a reload (or a shared link) opens it again.
    const { pathname, search } = window.location;
    window.history.replaceState(null, '', next ? INSPECTOR_HASH : `${pathname}${search}`);
  };

  return (
    <div className="app">
      <header className="topbar">
        <h1 className="brand">
          <span className="brand-mark small" aria-hidden="true">
            P
          </span>
          Parley
        </h1>
        <span className="whoami">
          Signed in as <strong>{username}</strong>
        </span>
        <button
          type="button"
          aria-expanded={inspecting}
          aria-controls={inspectorId}
          onClick={toggleInspector}
        >
          Inspector
        </button>
        <button type="button" onClick={logOut} disabled={busy}>
          Log out
        </button>
      </header>
      <div className={inspecting ? 'workspace inspecting' : 'workspace'}>
        <FriendsPanel />
        <Conversation />
        {inspecting && <Inspector id={inspectorId} />}
      </div>
      <StatusBar />
    </div>
  );
}
