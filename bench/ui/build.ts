/**
 * The production build bench:ui measures: dist/, made current exactly as `npm start` does
 * (src/server/uiBuild.ts), so "stale" means one thing everywhere.
 */

import { ensureUiBuild } from '../../src/server/uiBuild';
import { progress } from '../shared/format';
import { ROOT } from '../shared/results';
import { DIST } from './settings';

/** Builds dist/ when it is missing or stale; says which. */
export async function ensureBuild(): Promise<string> {
  const result = await ensureUiBuild({ dist: DIST, sourceRoot: ROOT, log: progress });
  return result.status === 'fresh' ? 'up to date' : 'rebuilt';
}
