import { useId } from 'react';
import { Composer } from './Composer';
import { formatTime } from './format';
import { useConversation, useFriends, usePeer } from './hooks';
import { MessageLog } from './MessageLog';

/** The open conversation: who it is with, the messages, and the composer. */
export function Conversation() {
  const peer = usePeer();
  const { open } = useConversation();
  const titleId = useId();

  if (!peer || !open) {
    return (
      <main className="conversation empty-state">
        <div>
          <p className="empty-title">No conversation open</p>
          <p className="muted">Choose a friend on the left to read and send messages.</p>
        </div>
      </main>
    );
  }
  return (
    <main className="conversation" aria-labelledby={titleId}>
      <header className="conversation-header">
        <h2 id={titleId}>{peer}</h2>
        <PeerPresence peer={peer} />
      </header>
      {/* A new log per peer: its scroll position, divider and history anchor belong to one conversation. */}
      <MessageLog key={peer} peer={peer} />
      <Composer peer={peer} />
    </main>
  );
}

function PeerPresence({ peer }: { peer: string }) {
  const friend = useFriends().friends.find((f) => f.username === peer);
  if (!friend) return null;
  return (
    <span className={friend.online ? 'presence online' : 'presence'}>
      {friend.online
        ? 'online'
        : `offline${friend.lastSeen !== null ? `, last seen ${formatTime(friend.lastSeen)}` : ''}`}
    </span>
  );
}
