/**
 * Catches what a component throws, an actor's error included (@xstate/react rethrows it from
 * useSelector), and says so instead of leaving a blank page.
 */
import { Component, type ErrorInfo, type ReactNode } from 'react';

interface State {
  error: Error | null;
}

export class ErrorBoundary extends Component<{ children: ReactNode }, State> {
  override state: State = { error: null };

  static getDerivedStateFromError(error: unknown): State {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }

  override componentDidCatch(error: Error, info: ErrorInfo) {
    console.error('Parley stopped on an error', error, info.componentStack);
  }

  override render() {
    const { error } = this.state;
    if (!error) return this.props.children;
    return (
      <main className="screen-center">
        <div className="card" role="alert">
          <h1>Something went wrong</h1>
          <p>Parley stopped because of an error. Your unsent messages are kept in this browser.</p>
          <pre className="error-detail">{error.message}</pre>
          <button type="button" className="primary" onClick={() => window.location.reload()}>
            Reload
          </button>
        </div>
      </main>
    );
  }
}
