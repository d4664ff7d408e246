import { type FormEvent, type KeyboardEvent, useId } from 'react';
import { useChatEvents, useDrafts, useSends } from './hooks';

/** API.md: message content is 1 to 4,000 characters. */
const MAX_LENGTH = 4000;

/**
 * The message box: Enter sends, Shift+Enter is a new line. Typing is never blocked: while a message is in
 * flight, Enter queues the next (the outbox sends them in order); only the button waits.
 */
export function Composer({ peer }: { peer: string }) {
  const { draftFor, setDraft } = useDrafts();
  const { sendMessage } = useChatEvents();
  const inFlight = useSends(peer).some((s) => s.sending);
  const id = useId();
  const draft = draftFor(peer);
  const blank = draft.trim() === '';
  const tooLong = draft.length > MAX_LENGTH;

  const send = () => {
    if (blank || tooLong) return;
    sendMessage(peer, draft);
    setDraft(peer, '');
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    send();
  };
  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key !== 'Enter' || event.shiftKey || event.nativeEvent.isComposing) return;
    event.preventDefault();
    send();
  };

  return (
    <form className="composer" onSubmit={submit}>
      <label htmlFor={id} className="sr-only">
        Message
      </label>
      <textarea
        id={id}
        value={draft}
        rows={1}
        placeholder={`Message ${peer}`}
        aria-describedby={tooLong ? `${id}-length` : undefined}
        aria-invalid={tooLong || undefined}
        onChange={(e) => setDraft(peer, e.target.value)}
        onKeyDown={onKeyDown}
      />
      {tooLong && (
        <p id={`${id}-length`} className="length-warning">
          {draft.length.toLocaleString()} / {MAX_LENGTH.toLocaleString()} characters
        </p>
      )}
      <button type="submit" className="primary" aria-label="Send" disabled={inFlight || blank || tooLong}>
        {inFlight ? 'Sending…' : 'Send'}
      </button>
    </form>
  );
}
