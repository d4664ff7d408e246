/**
 * The built web UI, shared by every instance started from this checkout. `dist` is a symlink to one
 * complete build in `dist.builds/`; a new build goes into a folder of its own and is swapped in with
 * rename(2) of a new symlink over `dist`, which is atomic: a reader sees the old build or the new one,
 * never a half-written one. A running server serves the folder `dist` pointed to when it started (and pins
 * it), so starting another instance never disturbs it.
 *
 * "Stale" is decided by a content hash of the inputs (UI_INPUTS), recorded in the build folder's name:
 * unlike mtimes it is not fooled by a checkout, a copy that keeps old times or a deleted file, and touching
 * a file without changing it rebuilds nothing. Hashing the inputs takes milliseconds.
 *
 * Layout of `dist.builds/`:
 *   <hash>-<time>-<pid>-<rand>/  a build (complete once `dist` has pointed at it; <pid> built it)
 *   .in-use/<pid>                the build a running server serves (its folder name)
 *   .lock                        the pid of the process building now
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

/**
 * Everything the UI is built from, relative to the checkout. package-lock.json stands for the packages
 * in node_modules; this file for the recipe. Each build checks that the bundle read nothing else.
 */
export const UI_INPUTS: readonly string[] = [
  'src/ui',
  'src/api',
  'src/contract',
  'src/inspector',
  'src/mocks',
  'machines',
  'public',
  'vite.config.ts',
  'tsconfig.json',
  'package.json',
  'package-lock.json',
  'src/server/uiBuild.ts',
];

/** Writes a complete build into `outDir` (a folder that does not exist yet). */
export type Builder = (outDir: string) => Promise<void>;

export interface EnsureOptions {
  /** The path servers serve from: becomes a symlink into `<dist>.builds/`. */
  dist: string;
  /** The checkout the inputs are read from. */
  sourceRoot: string;
  inputs?: readonly string[];
  /** The real one is viteBuilder(sourceRoot); tests pass a fake. */
  build?: Builder;
  /** Build even when the current build matches the inputs. */
  force?: boolean;
  log?: (line: string) => void;
  /** How long to wait for another process's build before building anyway. */
  lockWaitMs?: number;
}

export interface EnsureResult {
  status: 'fresh' | 'built';
  /** The build folder `dist` points at. */
  dir: string;
  hash: string;
}

/** No build takes longer: a lock or a build folder this old belongs to no build in progress. */
const MAX_BUILD_MS = 30 * 60_000;
const HASH_LENGTH = 20;
const LOCK = '.lock';
const IN_USE = '.in-use';

/** The folder beside `dist` that holds the builds. */
export function buildsDirOf(dist: string): string {
  return `${resolve(dist)}.builds`;
}

/** A content hash of every file under the inputs (paths included, so adding or removing a file counts). */
export function inputsHash(sourceRoot: string, inputs: readonly string[] = UI_INPUTS): string {
  const hash = createHash('sha256');
  const visit = (rel: string) => {
    const path = join(sourceRoot, rel);
    let stat: ReturnType<typeof statSync>;
    try {
      stat = statSync(path);
    } catch {
      return;
    }
    if (stat.isDirectory()) {
      for (const name of readdirSync(path).sort()) visit(`${rel}/${name}`);
    } else if (stat.isFile()) {
      hash.update(`${rel}\0${createHash('sha256').update(readFileSync(path)).digest('hex')}\n`);
    }
  };
  for (const rel of [...inputs].sort()) visit(rel);
  return hash.digest('hex').slice(0, HASH_LENGTH);
}

/** The build `dist` points at, with the input hash it was built from; null when there is none. */
export function currentBuild(dist: string): { dir: string; hash: string } | null {
  let target: string;
  try {
    target = readlinkSync(dist);
  } catch {
    return null; // missing, or a plain folder from before builds were swapped in
  }
  const dir = resolve(dirname(resolve(dist)), target);
  const name = parseName(basename(dir));
  if (!name || !existsSync(join(dir, 'index.html'))) return null;
  return { dir, hash: name.prefix };
}

/**
 * Makes `dist` a complete build of the current inputs: does nothing when it already is (unless forced),
 * otherwise builds into a new folder and swaps it in. One process builds at a time; one that waited and
 * finds the build it wanted made meanwhile skips.
 */
export async function ensureUiBuild(options: EnsureOptions): Promise<EnsureResult> {
  const dist = resolve(options.dist);
  const builds = buildsDirOf(dist);
  const log = options.log ?? (() => {});
  const build = options.build ?? viteBuilder(options.sourceRoot, options.inputs);
  const hash = inputsHash(options.sourceRoot, options.inputs);
  const fresh = () => {
    const current = currentBuild(dist);
    return current && current.hash === hash ? current : null;
  };

  if (!options.force) {
    const current = fresh();
    if (current) return { status: 'fresh', dir: current.dir, hash };
  }
  mkdirSync(builds, { recursive: true });
  const release = await acquireLock(join(builds, LOCK), {
    waitMs: options.lockWaitMs ?? MAX_BUILD_MS,
    done: options.force ? () => false : () => fresh() !== null,
    log,
  });
  try {
    if (!options.force) {
      const current = fresh();
      if (current) return { status: 'fresh', dir: current.dir, hash };
    }
    const dir = join(builds, makeName(hash));
    log(`Building the UI into ${relative(process.cwd(), dir) || dir}`);
    try {
      await build(dir);
      if (!existsSync(join(dir, 'index.html')))
        throw new Error(`The UI build wrote no index.html into ${dir}.`);
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    const previous = swapIn(dist, dir);
    prune(builds, previous ? [dir, previous] : [dir]);
    return { status: 'built', dir, hash };
  } finally {
    release?.();
  }
}

/**
 * Points `dist` at `dir` in one rename(2); answers the folder it pointed at before (kept by the caller: a
 * running instance may serve it). A plain `dist` folder from before is moved into the builds first.
 */
export function swapIn(dist: string, dir: string): string | null {
  dist = resolve(dist);
  const builds = buildsDirOf(dist);
  mkdirSync(builds, { recursive: true });
  let previous: string | null = null;
  const stat = lstatOrNull(dist);
  if (stat?.isDirectory()) {
    previous = join(builds, makeName('legacy'));
    renameSync(dist, previous);
  } else if (stat?.isSymbolicLink()) {
    previous = resolve(dirname(dist), readlinkSync(dist));
  }
  // The new link is made beside the builds (same file system) and renamed over `dist`.
  const link = join(builds, makeName('.swap'));
  symlinkSync(relative(dirname(dist), dir), link);
  renameSync(link, dist);
  return previous;
}

/**
 * Removes builds nothing needs: kept are `keep`, every build a live server pinned, and folders a live
 * process is still building (or about to swap in).
 */
export function prune(builds: string, keep: readonly string[]): void {
  const pinned = livePins(builds);
  const kept = new Set(keep.map((dir) => basename(dir)));
  for (const entry of readdirSync(builds)) {
    const name = parseName(entry);
    if (!name || kept.has(entry) || pinned.has(entry)) continue;
    const building = name.pid !== process.pid && pidAlive(name.pid) && Date.now() - name.time < MAX_BUILD_MS;
    if (building) continue;
    rmSync(join(builds, entry), { recursive: true, force: true });
  }
}

/**
 * For a server about to serve `dist`: the build folder it points at now (its real path, so a later swap
 * does not change what this server serves), pinned against pruning until `release` or the process ends.
 * Null when there is no build.
 */
export function pinServedBuild(dist: string): { dir: string; release: () => void } | null {
  dist = resolve(dist);
  const builds = buildsDirOf(dist);
  for (let attempt = 0; attempt < 3; attempt++) {
    let dir: string;
    try {
      dir = realpathSync(dist);
    } catch {
      return null;
    }
    if (dirname(dir) !== realpathOr(builds) || !parseName(basename(dir))) {
      return { dir, release: () => {} }; // not a swapped-in build (a plain folder): nothing to pin
    }
    const pin = join(builds, IN_USE, String(process.pid));
    try {
      mkdirSync(dirname(pin), { recursive: true });
      writeFileSync(pin, basename(dir));
    } catch {
      return { dir, release: () => {} }; // a read-only checkout builds nothing either: serve unpinned
    }
    // A swap and a prune may have come between the realpath and the pin: then take the new build.
    if (existsSync(join(dir, 'index.html'))) {
      const release = () => {
        process.off('exit', release);
        try {
          if (readFileSync(pin, 'utf8') === basename(dir)) unlinkSync(pin);
        } catch {
          // Already gone.
        }
      };
      process.once('exit', release);
      return { dir, release };
    }
  }
  return null;
}

/** The real builder: vite with the checkout's vite.config.ts, into `outDir`. */
export function viteBuilder(sourceRoot: string, inputs: readonly string[] = UI_INPUTS): Builder {
  return async (outDir) => {
    const { build } = await import('vite');
    const result = await build({
      configFile: join(sourceRoot, 'vite.config.ts'),
      logLevel: 'warn',
      build: { outDir, emptyOutDir: true },
    });
    // A bundled file outside the inputs would never make the build stale: refuse it now.
    const unwatched = new Set<string>();
    for (const output of Array.isArray(result) ? result : [result]) {
      if (!('output' in output)) continue;
      for (const item of output.output) {
        if (item.type !== 'chunk') continue;
        for (const id of item.moduleIds) {
          const file = id.split('?')[0] as string;
          if (!isAbsolute(file) || file.split(sep).includes('node_modules')) continue;
          const rel = relative(sourceRoot, file).split(sep).join('/');
          if (!inputs.some((input) => rel === input || rel.startsWith(`${input}/`))) unwatched.add(rel);
        }
      }
    }
    if (unwatched.size > 0) {
      throw new Error(
        `The UI bundles files that UI_INPUTS (src/server/uiBuild.ts) does not list: ${[...unwatched].join(', ')}.`,
      );
    }
  };
}

// ---------------------------------------------------------------------------------------------------

/** `<prefix>-<time>-<pid>-<rand>`: the time and the pid say whether a build may still be in progress. */
function makeName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

function parseName(entry: string): { prefix: string; time: number; pid: number } | null {
  const m = /^(\.?[0-9a-z]+)-([0-9a-z]+)-(\d+)-[0-9a-f]{6}$/.exec(entry);
  if (!m) return null;
  return { prefix: m[1] as string, time: Number.parseInt(m[2] as string, 36), pid: Number(m[3]) };
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Build folder names pinned by servers that are still running; pins of ended ones are removed. */
function livePins(builds: string): Set<string> {
  const dir = join(builds, IN_USE);
  const names = new Set<string>();
  let pins: string[];
  try {
    pins = readdirSync(dir);
  } catch {
    return names;
  }
  for (const pin of pins) {
    const pid = Number(pin);
    try {
      if (Number.isInteger(pid) && pidAlive(pid)) names.add(readFileSync(join(dir, pin), 'utf8'));
      else unlinkSync(join(dir, pin));
    } catch {
      // Removed meanwhile.
    }
  }
  return names;
}

/**
 * Takes the build lock (a file holding the builder's pid), taking over one whose process has ended.
 * While waiting, `done` may say the wanted build has appeared (then: null, nothing held). After
 * `waitMs` it builds anyway (null): the lock only saves work, the atomic swap keeps builds correct.
 */
async function acquireLock(
  path: string,
  opts: { waitMs: number; done: () => boolean; log: (line: string) => void },
): Promise<(() => void) | null> {
  const until = Date.now() + opts.waitMs;
  let told = false;
  for (;;) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => {
        try {
          if (readFileSync(path, 'utf8') === String(process.pid)) unlinkSync(path);
        } catch {
          // Already gone.
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let holder = '';
    let age = 0;
    try {
      holder = readFileSync(path, 'utf8');
      age = Date.now() - statSync(path).mtimeMs;
    } catch {
      continue; // released meanwhile
    }
    const abandoned = (holder !== '' && !pidAlive(Number(holder))) || age > MAX_BUILD_MS;
    if (abandoned) {
      rmSync(path, { force: true });
      continue;
    }
    if (opts.done()) return null;
    if (Date.now() > until) {
      opts.log(`Another build (process ${holder}) is taking too long; building anyway.`);
      return null;
    }
    if (!told) {
      opts.log(`Waiting for the UI build of process ${holder}`);
      told = true;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

function lstatOrNull(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}

function realpathOr(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}
