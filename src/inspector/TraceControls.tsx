import { type ChangeEvent, useState } from 'react';
import { parseTrace } from './replay';
import type { Trace } from './trace';

export interface TraceControlsProps {
  exportTrace(): Trace;
  onImport(trace: Trace): void;
  /** While a trace is replayed: where it stands and how to move or leave. */
  replay?: { index: number; length: number; onStep(index: number): void; onLeave(): void };
}

/** The file's text; FileReader rather than `Blob.text()`, which older engines (and jsdom) lack. */
function readText(file: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(new Error('That file could not be read.'));
    reader.readAsText(file);
  });
}

/** Export the session as a JSON file, import one (no server needed) and step through it. */
export function TraceControls({ exportTrace, onImport, replay }: TraceControlsProps) {
  const [error, setError] = useState<string | null>(null);

  const download = () => {
    const blob = new Blob([JSON.stringify(exportTrace())], { type: 'application/json' });
    const url = URL.createObjectURL(blob);
    const link = document.createElement('a');
    link.href = url;
    link.download = `parley-trace-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
    link.click();
    // Revoked later: some browsers start the download only after the click handler returns.
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };

  const load = async (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    event.target.value = '';
    if (!file) return;
    try {
      onImport(parseTrace(await readText(file)));
      setError(null);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };

  return (
    <div className="trace-controls">
      <button type="button" onClick={download}>
        Export trace
      </button>
      <label className="file-button">
        Import trace <input type="file" accept="application/json,.json" onChange={load} />
      </label>
      {error && <p role="alert">{error}</p>}
      {replay && (
        <div className="trace-step">
          <label>
            Step{' '}
            <input
              type="range"
              min={0}
              max={Math.max(0, replay.length - 1)}
              value={replay.index}
              onChange={(e) => replay.onStep(Number(e.target.value))}
              aria-valuetext={`Event ${replay.index + 1} of ${replay.length}`}
            />
          </label>{' '}
          <output>
            {replay.index + 1} / {replay.length}
          </output>{' '}
          <button type="button" onClick={replay.onLeave}>
            Back to live
          </button>
        </div>
      )}
    </div>
  );
}
