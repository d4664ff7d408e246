import { createContext, useContext, useSyncExternalStore } from 'react';
import type { Collector } from './collector';

/** The collector the root actor reports to; null where nothing collects (the panel then says so). */
export const CollectorContext = createContext<Collector | null>(null);

export const useCollector = () => useContext(CollectorContext);

/** Re-renders at most once per frame while inspection events arrive; the number changes with them. */
export function useCollectorVersion(collector: Collector): number {
  return useSyncExternalStore(collector.subscribe, collector.version, collector.version);
}
