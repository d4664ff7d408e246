import { delay, HttpResponse } from 'msw';
import { errorResponse, INTERNAL_ERROR } from './http';

/**
 * Switches that make the mock misbehave the way networks and servers do, so tests (and the model-based
 * tests) can drive the client through every failure. The handlers check them before anything else.
 */
export type FaultRoute = 'status' | 'friends' | 'messages' | 'send' | 'events' | 'auth' | 'all';

/**
 * - `down`: a network error (fetch rejects with a TypeError).
 * - `slow`: answers normally after `delayMs`; a request aborted meanwhile is never processed.
 * - `500`: the error body with code `internal`.
 * - `malformed`: 200 with an HTML page (`body: 'html'`, the default) or JSON cut short (`body: 'truncated'`).
 * - `hang`: no answer at all until the request is aborted.
 * - `drop`: the request is processed and the answer starts, then the connection breaks: a JSON body
 *   cannot be read (a lost answer: a send was stored all the same), an event stream ends after its opening lines.
 */
export type FaultKind = 'down' | 'slow' | '500' | 'malformed' | 'hang' | 'drop';

export interface FaultOptions {
  /** Used up by the first request it hits; the next one is answered normally. */
  once?: boolean;
  /** For `slow`; default: the backend's `slowMs`. */
  delayMs?: number;
  /** For `malformed`. */
  body?: 'html' | 'truncated';
}

export interface ActiveFault extends FaultOptions {
  kind: FaultKind;
}

export interface Faults {
  set(route: FaultRoute, fault: FaultKind, options?: FaultOptions): void;
  /** Clears one route's fault, or every fault. */
  clear(route?: FaultRoute): void;
  /** The fault set on a route now, if any (without using up a `once`). */
  get(route: FaultRoute): ActiveFault | undefined;
  /** The fault a request on `route` meets: its own route's first, else `all`'s. Uses up a `once`. */
  take(route: Exclude<FaultRoute, 'all'> | null): ActiveFault | undefined;
}

export function createFaults(): Faults {
  const active = new Map<FaultRoute, ActiveFault>();
  return {
    set(route, kind, options = {}) {
      active.set(route, { ...options, kind });
    },
    clear(route) {
      if (route) active.delete(route);
      else active.clear();
    },
    get: (route) => active.get(route),
    take(route) {
      const key = route && active.has(route) ? route : 'all';
      const fault = active.get(key);
      if (fault?.once) active.delete(key);
      return fault;
    },
  };
}

/** Resolves when the request is aborted; the `hang` fault waits on nothing else, so no timer is left behind. */
export const untilAborted = (signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });

/**
 * Answers `request` as `fault` says; `proceed` produces the normal answer (for `slow` and `drop`).
 * An aborted request's answer is never read, so `HttpResponse.error()` stands in for it.
 */
export async function respondWithFault(
  fault: ActiveFault,
  request: Request,
  slowMs: number,
  proceed: () => Promise<Response>,
): Promise<Response> {
  switch (fault.kind) {
    case 'down':
      return HttpResponse.error();
    case '500':
      return errorResponse('internal', INTERNAL_ERROR);
    case 'malformed':
      return fault.body === 'truncated'
        ? new HttpResponse('[{"id":1,"direction":"sent","peer":"bo', {
            headers: { 'content-type': 'application/json; charset=utf-8' },
          })
        : HttpResponse.html('<!doctype html><html><body><h1>502 Bad Gateway</h1></body></html>');
    case 'hang':
      await untilAborted(request.signal);
      return HttpResponse.error();
    case 'slow':
      await Promise.race([delay(fault.delayMs ?? slowMs), untilAborted(request.signal)]);
      return request.signal.aborted ? HttpResponse.error() : proceed();
    case 'drop':
      return dropAfterOpening(await proceed());
  }
}

/**
 * The answer's status and headers, then a broken connection. A JSON body fails to read (a TypeError, as
 * a reset connection gives). An event stream sends its opening lines and then ends: a clean end rather than
 * an error because an errored body drops what it still held, and msw reads ahead of the client, so the
 * client could miss the opening lines it needs to resume from.
 */
async function dropAfterOpening(response: Response): Promise<Response> {
  // A 204 or 304 has no body to break in, so its connection breaks before the answer.
  if (!response.body) return HttpResponse.error();
  const isStream = response.headers.get('content-type')?.startsWith('text/event-stream') ?? false;
  const reader = response.body.getReader();
  const first = isStream ? await reader.read() : undefined;
  // Cancelling the source ends an event stream on the mock's side too (presence, delivered).
  await reader.cancel();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      if (!isStream)
        return controller.error(new TypeError('The connection was dropped (mock fault "drop").'));
      if (first && !first.done) controller.enqueue(first.value);
      controller.close();
    },
  });
  return new HttpResponse(body, { status: response.status, headers: response.headers });
}
