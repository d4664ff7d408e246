/**
 * The live statechart inspector, beside the chat: the panel in src/inspector, reading the collector the
 * provider gave the root actor. Mounted only while open, so a closed inspector renders nothing and
 * listens to nothing (the collector only fills its bounded buffer).
 */
import { useCollector } from '../inspector/context';
import { InspectorPanel } from '../inspector/Panel';

export function Inspector({ id }: { id: string }) {
  const collector = useCollector();
  if (!collector) {
    return (
      <section id={id} className="inspector" aria-label="Inspector">
        <p className="muted">Nothing is being inspected.</p>
      </section>
    );
  }
  return <InspectorPanel id={id} collector={collector} />;
}
