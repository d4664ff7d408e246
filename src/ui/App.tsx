import { ChatScreen } from './ChatScreen';
import { ErrorBoundary } from './ErrorBoundary';
import { useSession } from './hooks';
import { ParleyProvider, type ParleyProviderProps } from './ParleyProvider';
import { SignIn } from './SignIn';

export interface AppProps {
  /** A line shown on the sign-in card (demo mode tells which account to use). */
  hint?: string;
}

/** Which screen: the tags say whether a session is being restored, held, or absent. */
export function App({ hint }: AppProps) {
  const { loading, signedIn } = useSession();
  if (signedIn) return <ChatScreen />;
  if (loading) {
    return (
      <main className="screen-center" aria-busy="true">
        <p className="muted">Loading Parley…</p>
      </main>
    );
  }
  return <SignIn hint={hint} />;
}

/** The whole web app: the provider, an error boundary, and the screens. */
export function ParleyApp({ hint, ...provider }: Omit<ParleyProviderProps, 'children'> & AppProps) {
  return (
    <ParleyProvider {...provider}>
      <ErrorBoundary>
        <App hint={hint} />
      </ErrorBoundary>
    </ParleyProvider>
  );
}
