import { type FormEvent, useId, useState } from 'react';
import { useChatEvents, useSession } from './hooks';

/** Log in or register; the server's sentence for a refusal is shown in an alert. */
export function SignIn({ hint }: { hint?: string | undefined }) {
  const { busy, authError } = useSession();
  const { logIn, register } = useChatEvents();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const id = useId();

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const submitter = (event.nativeEvent as SubmitEvent).submitter;
    const mode = submitter instanceof HTMLButtonElement ? submitter.value : 'login';
    if (mode === 'register') register(username.trim(), password);
    else logIn(username.trim(), password);
  };

  return (
    <main className="screen-center">
      <form className="card signin" onSubmit={submit} aria-labelledby={`${id}-title`}>
        <div className="brand-mark" aria-hidden="true">
          P
        </div>
        <h1 id={`${id}-title`}>Parley</h1>
        <p className="muted">Sign in to chat, or register a new account.</p>
        <label htmlFor={`${id}-user`}>Username</label>
        <input
          id={`${id}-user`}
          name="username"
          autoComplete="username"
          autoCapitalize="none"
          spellCheck={false}
          required
          value={username}
          onChange={(e) => setUsername(e.target.value)}
        />
        <label htmlFor={`${id}-password`}>Password</label>
        <input
          id={`${id}-password`}
          name="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        {authError && (
          <p className="form-error" role="alert">
            {authError}
          </p>
        )}
        <div className="actions">
          <button type="submit" className="primary" name="mode" value="login" disabled={busy}>
            Log in
          </button>
          <button type="submit" name="mode" value="register" disabled={busy}>
            Register
          </button>
        </div>
        {hint && <p className="hint">{hint}</p>}
      </form>
    </main>
  );
}
