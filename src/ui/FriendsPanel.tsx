import { type FormEvent, memo, useId, useState } from 'react';
import type { FriendBody } from '../../machines/ports';
import { formatTime } from './format';
import { useChatEvents, useChosenFriend, useFriends } from './hooks';

/** The sidebar: the friends list (choosing one opens the conversation) and the add-friend form. */
export function FriendsPanel() {
  const { friends, loading, lastKnown, unloaded, unreachable } = useFriends();
  const chosen = useChosenFriend();
  const { selectFriend } = useChatEvents();

  return (
    <div className="sidebar">
      <nav aria-label="Friends" className="friends">
        <p className="section-title" aria-hidden="true">
          Friends
        </p>
        {friends.length === 0 ? (
          <p className="muted empty-note">
            {loading
              ? 'Loading friends…'
              : unloaded
                ? unreachable
                  ? 'Offline: your friends could not be loaded. They will show once the server is back.'
                  : 'Your friends could not be loaded.'
                : 'No friends yet: add one below.'}
          </p>
        ) : (
          <>
            {lastKnown && (
              <p className="muted list-note">
                {unreachable
                  ? 'Offline — showing friends from your last visit'
                  : 'Showing friends from your last visit'}
              </p>
            )}
            <ul aria-label="Friends" className="friend-list">
              {friends.map((friend) => (
                <FriendItem
                  key={friend.username}
                  friend={friend}
                  chosen={friend.username === chosen}
                  onSelect={selectFriend}
                />
              ))}
            </ul>
          </>
        )}
      </nav>
      <AddFriend />
    </div>
  );
}

interface FriendItemProps {
  friend: FriendBody;
  chosen: boolean;
  onSelect(username: string): void;
}

const FriendItem = memo(function FriendItem({ friend, chosen, onSelect }: FriendItemProps) {
  const { username, online, lastSeen, unread } = friend;
  return (
    <li>
      <button
        type="button"
        className="friend"
        aria-current={chosen ? 'true' : undefined}
        onClick={() => onSelect(username)}
      >
        {/* The initial is drawn by CSS, so the item's text starts with the username. */}
        <span
          className={online ? 'avatar online' : 'avatar'}
          data-initial={username.slice(0, 1).toUpperCase()}
          aria-hidden="true"
        />
        <span className="friend-text">
          <span className="friend-name">{username}</span>{' '}
          <span className="friend-presence">
            {online ? 'online' : 'offline'}
            {!online && lastSeen !== null && `, last seen ${formatTime(lastSeen)}`}
          </span>
        </span>
        {unread > 0 && (
          <>
            {' '}
            <span className="badge">{unread} unread</span>
          </>
        )}
      </button>
    </li>
  );
});

function AddFriend() {
  const { adding } = useFriends();
  const { addFriend } = useChatEvents();
  const [name, setName] = useState('');
  const id = useId();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const username = name.trim();
    if (!username || adding) return;
    addFriend(username);
    setName('');
  };

  return (
    <form className="add-friend" onSubmit={submit}>
      <label htmlFor={id}>Add friend</label>
      <div className="inline-field">
        <input
          id={id}
          value={name}
          placeholder="username"
          autoCapitalize="none"
          spellCheck={false}
          onChange={(e) => setName(e.target.value)}
        />
        <button type="submit" disabled={adding || name.trim() === ''}>
          Add
        </button>
      </div>
    </form>
  );
}
