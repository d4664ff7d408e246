import 'fake-indexeddb/auto';
import { configure } from '@testing-library/react';

// Real timers throughout: the selection debounce (300 ms) and the mock's answers need a little room.
configure({ asyncUtilTimeout: 4000 });

// jsdom does not scroll; Virtuoso moves its scroller with these when history is prepended.
type ScrollArgs = [ScrollToOptions?] | [number, number];
const offsets = (args: ScrollArgs) =>
  typeof args[0] === 'number' ? { top: args[1] ?? 0, left: args[0] } : (args[0] ?? {});
if (!Element.prototype.scrollBy) {
  Element.prototype.scrollBy = function scrollBy(this: Element, ...args: ScrollArgs) {
    const { top = 0, left = 0 } = offsets(args);
    this.scrollTop += top;
    this.scrollLeft += left;
  } as Element['scrollBy'];
}
if (!Element.prototype.scrollTo) {
  Element.prototype.scrollTo = function scrollTo(this: Element, ...args: ScrollArgs) {
    const { top, left } = offsets(args);
    if (top !== undefined) this.scrollTop = top;
    if (left !== undefined) this.scrollLeft = left;
  } as Element['scrollTo'];
}
