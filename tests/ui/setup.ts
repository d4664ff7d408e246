import 'fake-indexeddb/auto';
import { configure } from '@testing-library/react';

// Real timers throughout: the selection debounce (300 ms) and the mock's answers need a little room.
configure({ asyncUtilTimeout: 4000 });
