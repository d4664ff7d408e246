/**
 * The browser as the actor core's `Environment`: wake-up signals (back online, focus, a visible tab),
 * a hidden tab, and frames for batching pushed events. The other DOM-touching adapter.
 */
import type { Environment, WakeReason } from '../../machines/ports';

/** A hidden tab gets no animation frames: a batch must still be flushed, so a timer stands in. */
const HIDDEN_FRAME_MS = 50;

export function createBrowserEnvironment(win: Window = window): Environment {
  const doc = win.document;
  return {
    watch(listener) {
      const wake = (reason: WakeReason) => () => listener(reason);
      const onOnline = wake('online');
      const onFocus = wake('focus');
      const onVisibility = () => listener(doc.visibilityState === 'hidden' ? 'hidden' : 'visible');
      win.addEventListener('online', onOnline);
      win.addEventListener('focus', onFocus);
      doc.addEventListener('visibilitychange', onVisibility);
      return () => {
        win.removeEventListener('online', onOnline);
        win.removeEventListener('focus', onFocus);
        doc.removeEventListener('visibilitychange', onVisibility);
      };
    },
    nextFrame(callback) {
      let done = false;
      const run = () => {
        if (done) return;
        done = true;
        cancel();
        callback();
      };
      // Whichever comes first: the frame, or the timer (the tab may be hidden now or become so).
      const frame = typeof win.requestAnimationFrame === 'function' ? win.requestAnimationFrame(run) : null;
      const timer = win.setTimeout(run, doc.visibilityState === 'hidden' ? 0 : HIDDEN_FRAME_MS);
      const cancel = () => {
        if (frame !== null) win.cancelAnimationFrame(frame);
        win.clearTimeout(timer);
      };
      return () => {
        done = true;
        cancel();
      };
    },
  };
}
