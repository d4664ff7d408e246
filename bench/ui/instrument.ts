/**
 * The instruments in the page, injected with addInitScript (the app's CSP forbids inline scripts, not init
 * scripts): a buffered PerformanceObserver for 'longtask' (and 'long-animation-frame', for attribution), Event
 * Timing entries ('event', durationThreshold 16), a capture keydown listener that records event→next-frame
 * latency (from the event's timeStamp to the following requestAnimationFrame callback), the click time, and a
 * per-frame check for a watched message being visible inside the `log` named Messages. And how this process
 * reads them.
 */
import type { Page } from 'playwright-core';

export interface LongTask {
  start: number;
  duration: number;
}

export interface LoafScript {
  invoker: string;
  sourceURL: string;
  sourceFunctionName: string;
  duration: number;
  forcedStyleAndLayoutDuration: number;
}

export interface Loaf {
  start: number;
  duration: number;
  blockingDuration: number;
  /** Time spent in style and layout at the end of the frame. */
  renderMs: number;
  scripts: LoafScript[];
}

export interface PageFigures {
  longTasks: LongTask[];
  loafs: Loaf[];
  /** Event Timing entries for key and input events: name and duration. */
  events: { name: string; start: number; duration: number }[];
  /** event.timeStamp → next requestAnimationFrame callback, per keydown. */
  keyLatency: { start: number; latency: number; queued: number }[];
  nodeSamples: { at: number; nodes: number }[];
  clickAt: number | null;
  shownAt: number | null;
}

/** Runs in the page before any of its scripts. Kept free of outside references: it is serialised. */
export function instrument() {
  const state: PageFigures & { watch: string | null } = {
    longTasks: [],
    loafs: [],
    events: [],
    keyLatency: [],
    nodeSamples: [],
    clickAt: null,
    shownAt: null,
    watch: null,
  };
  (window as unknown as { __bench: typeof state }).__bench = state;
  const observe = (type: string, handle: (entry: PerformanceEntry) => void, extra: object = {}) => {
    try {
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) handle(entry);
      }).observe({ type, buffered: true, ...extra } as PerformanceObserverInit);
    } catch {
      // Not supported by this browser.
    }
  };
  observe('longtask', (e) => state.longTasks.push({ start: e.startTime, duration: e.duration }));
  observe('long-animation-frame', (e) => {
    const f = e as PerformanceEntry & {
      blockingDuration: number;
      renderStart: number;
      styleAndLayoutStart: number;
      scripts: (LoafScript & { startTime: number })[];
    };
    state.loafs.push({
      start: f.startTime,
      duration: f.duration,
      blockingDuration: f.blockingDuration,
      renderMs: f.styleAndLayoutStart > 0 ? f.startTime + f.duration - f.styleAndLayoutStart : 0,
      scripts: f.scripts.map((s) => ({
        invoker: s.invoker,
        sourceURL: s.sourceURL,
        sourceFunctionName: s.sourceFunctionName,
        duration: s.duration,
        forcedStyleAndLayoutDuration: s.forcedStyleAndLayoutDuration,
      })),
    });
  });
  observe(
    'event',
    (e) => {
      if (/^key|input/.test(e.name))
        state.events.push({ name: e.name, start: e.startTime, duration: e.duration });
    },
    { durationThreshold: 16 },
  );
  addEventListener(
    'keydown',
    (event) => {
      const start = event.timeStamp;
      const queued = performance.now() - start;
      requestAnimationFrame(() => {
        state.keyLatency.push({ start, latency: performance.now() - start, queued });
      });
    },
    true,
  );
  addEventListener(
    'click',
    (event) => {
      state.clickAt = event.timeStamp;
    },
    true,
  );
  const messageNodes = () => {
    const log = document.querySelector('[role="log"][aria-label="Messages"]');
    if (!log) return 0;
    let n = log.querySelectorAll('article').length;
    for (const item of log.querySelectorAll('li, [role="listitem"]')) if (!item.querySelector('article')) n++;
    return n;
  };
  (window as unknown as { __benchNodes: () => number }).__benchNodes = messageNodes;
  setInterval(() => state.nodeSamples.push({ at: performance.now(), nodes: messageNodes() }), 1000);
  // Each frame while watching: is an article or listitem holding `watch` fully inside the log's box?
  const visible = (text: string) => {
    const log = document.querySelector('[role="log"][aria-label="Messages"]');
    if (!log) return false;
    const box = log.getBoundingClientRect();
    // A live collection: cheap to index from the end, even with the baseline's 10,000 articles.
    const articles = log.getElementsByTagName('article');
    const items = articles.length > 0 ? articles : log.querySelectorAll('[role="listitem"], li');
    for (let i = items.length - 1; i >= 0 && i >= items.length - 20; i--) {
      const item = items[i] as Element;
      if (!item.textContent?.includes(text)) continue;
      const r = item.getBoundingClientRect();
      if (r.height > 0 && r.top >= box.top - 2 && r.bottom <= box.bottom + 2) return true;
    }
    return false;
  };
  const frame = () => {
    if (state.watch === null) return;
    if (visible(state.watch)) {
      state.shownAt = performance.now();
      state.watch = null;
      return;
    }
    requestAnimationFrame(frame);
  };
  (window as unknown as { __benchWatch: (text: string) => void }).__benchWatch = (text: string) => {
    state.shownAt = null;
    state.clickAt = null;
    state.watch = text;
    requestAnimationFrame(frame);
  };
}

export const figuresOf = (page: Page) =>
  page.evaluate(() => {
    const s = (window as unknown as { __bench: PageFigures }).__bench;
    return JSON.parse(JSON.stringify(s)) as PageFigures;
  });

export const pageNow = (page: Page) => page.evaluate(() => performance.now());

/** From now on, each frame checks whether a message holding `text` is fully visible in the log. */
export const watchFor = (page: Page, text: string) =>
  page.evaluate((t) => (window as unknown as { __benchWatch: (t: string) => void }).__benchWatch(t), text);

/** Resolves once the watched message was shown; rejects after `timeout` ms. */
export const untilShown = (page: Page, timeout: number) =>
  page.waitForFunction(() => (window as unknown as { __bench: PageFigures }).__bench.shownAt !== null, null, {
    timeout,
    polling: 50,
  });

/** Message DOM nodes in the log now. */
export const messageNodes = (page: Page) =>
  page.evaluate(() => (window as unknown as { __benchNodes: () => number }).__benchNodes());
