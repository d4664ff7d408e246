import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { type AppProps, ParleyApp } from './App';
import type { ParleyProviderProps } from './ParleyProvider';

type StartProps = Omit<ParleyProviderProps, 'children'> & AppProps;

async function main() {
  const container = document.getElementById('root');
  if (!container) throw new Error('index.html has no #root element');
  let props: StartProps = {};
  // Demo mode answers /api in the page (msw's service worker); a dynamic import keeps msw out of the real build.
  if (import.meta.env.MODE === 'demo') {
    const { startDemo } = await import('./demo');
    props = await startDemo();
  }
  createRoot(container).render(
    <StrictMode>
      <ParleyApp {...props} />
    </StrictMode>,
  );
}

void main();
