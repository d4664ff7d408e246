/**
 * The UI build behind `npm start` (src/server/uiBuild.ts, scripts/build-ui.ts): built once, rebuilt only
 * when missing or stale, into a new folder swapped in atomically, so instances already serving are never
 * disturbed. Most tests use a fake builder (the orchestration is the subject); one runs the real script.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { appendFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Builder, ensureUiBuild, inputsHash, pinServedBuild, UI_INPUTS } from '../../src/server/uiBuild';
import { makeApp } from './helpers';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

let dir: string;
/** A checkout with only the UI's page in it. */
let src: string;
let dist: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'parley-ui-build-'));
  src = join(dir, 'checkout');
  dist = join(dir, 'dist');
  mkdirSync(join(src, 'src/ui'), { recursive: true });
  setPage('v1');
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A page long enough that a partial read shows. */
const page = (version: string) =>
  `<!doctype html><title>Parley ${version}</title>\n${'<p>filler</p>\n'.repeat(200)}</html>\n`;

function setPage(version: string) {
  writeFileSync(join(src, 'src/ui/index.html'), page(version));
}

/** Copies the page and writes an asset named after the build folder; records each build. */
function fakeBuilder(calls: string[] = []): Builder {
  return async (outDir) => {
    calls.push(outDir);
    mkdirSync(join(outDir, 'assets'), { recursive: true });
    writeFileSync(join(outDir, 'assets', `app-${basename(outDir)}.js`), 'console.log(1);');
    writeFileSync(join(outDir, 'index.html'), readFileSync(join(src, 'src/ui/index.html')));
  };
}

/** Like fakeBuilder, but writes the page in 20 pieces, 10 ms apart. */
const slowBuilder: Builder = async (outDir) => {
  mkdirSync(outDir, { recursive: true });
  const text = readFileSync(join(src, 'src/ui/index.html'), 'utf8');
  const piece = Math.ceil(text.length / 20);
  for (let at = 0; at < text.length; at += piece) {
    await appendFile(join(outDir, 'index.html'), text.slice(at, at + piece));
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

const ensure = (build: Builder, force = false) => ensureUiBuild({ dist, sourceRoot: src, build, force });

/** The build folders (dotted entries are the lock, pins and links in passing). */
const buildFolders = () =>
  readdirSync(`${dist}.builds`)
    .filter((name) => !name.startsWith('.'))
    .sort();

describe('the UI build behind npm start', () => {
  it('builds when there is no build; dist is then a symlink to a complete build in dist.builds/', async () => {
    const calls: string[] = [];
    const result = await ensure(fakeBuilder(calls));

    expect(result.status).toBe('built');
    expect(calls).toHaveLength(1);
    expect(lstatSync(dist).isSymbolicLink()).toBe(true);
    expect(realpathSync(dist)).toBe(realpathSync(result.dir));
    expect(dirname(result.dir)).toBe(`${dist}.builds`);
    expect(readFileSync(join(dist, 'index.html'), 'utf8')).toBe(page('v1'));
  });

  it('skips the build when the current one was built from the same inputs', async () => {
    const first = await ensure(fakeBuilder());
    const calls: string[] = [];
    const second = await ensure(fakeBuilder(calls));

    expect(second).toEqual({ status: 'fresh', dir: first.dir, hash: first.hash });
    expect(calls).toEqual([]);
    expect(realpathSync(dist)).toBe(realpathSync(first.dir));
  });

  it('builds anyway when forced (npm run build)', async () => {
    const first = await ensure(fakeBuilder());
    const forced = await ensure(fakeBuilder(), true);

    expect(forced.status).toBe('built');
    expect(forced.dir).not.toBe(first.dir);
    expect(realpathSync(dist)).toBe(realpathSync(forced.dir));
  });

  it('rebuilds into a new folder when an input changes and swaps dist over to it, keeping the old one', async () => {
    const first = await ensure(fakeBuilder());
    setPage('v2');
    const second = await ensure(fakeBuilder());

    expect(second.status).toBe('built');
    expect(second.dir).not.toBe(first.dir);
    expect(readFileSync(join(dist, 'index.html'), 'utf8')).toBe(page('v2'));
    expect(readFileSync(join(first.dir, 'index.html'), 'utf8')).toBe(page('v1'));
  });

  it('counts a changed, added or removed input file as a change, and a touched one as none', () => {
    const hash = () => inputsHash(src, UI_INPUTS);
    const original = hash();

    const later = new Date(Date.now() + 60_000);
    utimesSync(join(src, 'src/ui/index.html'), later, later);
    expect(hash()).toBe(original);

    setPage('v2');
    const changed = hash();
    expect(changed).not.toBe(original);

    mkdirSync(join(src, 'machines'));
    writeFileSync(join(src, 'machines/new.ts'), 'export {};');
    const added = hash();
    expect(added).not.toBe(changed);

    rmSync(join(src, 'machines/new.ts'));
    expect(hash()).toBe(changed);

    writeFileSync(join(src, 'README.md'), 'not an input');
    expect(hash()).toBe(changed);
  });

  it('gives a reader of dist/index.html during a rebuild a whole page every time, old or new', async () => {
    await ensure(fakeBuilder());
    setPage('v2');
    const whole = new Set([page('v1'), page('v2')]);
    const bad: string[] = [];
    let reads = 0;
    let building = true;
    const reader = (async () => {
      while (building) {
        try {
          const text = await readFile(join(dist, 'index.html'), 'utf8');
          if (!whole.has(text)) bad.push(`a partial page of ${text.length} characters`);
        } catch (err) {
          bad.push((err as NodeJS.ErrnoException).code ?? String(err));
        }
        reads++;
      }
    })();

    const result = await ensure(slowBuilder).finally(() => {
      building = false;
    });
    await reader;

    expect(result.status).toBe('built');
    expect(bad).toEqual([]);
    expect(reads).toBeGreaterThan(20);
    expect(readFileSync(join(dist, 'index.html'), 'utf8')).toBe(page('v2'));
  });

  it('keeps the current build, the previous one and the one a running server pinned; removes the rest', async () => {
    const v1 = await ensure(fakeBuilder());
    const pinned = pinServedBuild(dist);
    try {
      expect(pinned?.dir).toBe(realpathSync(v1.dir));
      setPage('v2');
      const v2 = await ensure(fakeBuilder());
      setPage('v3');
      const v3 = await ensure(fakeBuilder());
      setPage('v4');
      const v4 = await ensure(fakeBuilder());

      expect(buildFolders()).toEqual([v1.dir, v3.dir, v4.dir].map((d) => basename(d)).sort());
      expect(existsSync(v2.dir)).toBe(false);
      expect(readFileSync(join(v1.dir, 'index.html'), 'utf8')).toBe(page('v1'));

      pinned?.release();
      setPage('v5');
      const v5 = await ensure(fakeBuilder());
      expect(buildFolders()).toEqual([v4.dir, v5.dir].map((d) => basename(d)).sort());
    } finally {
      pinned?.release();
    }
  });

  it('lets a server go on serving its own build, page and assets, after newer builds are swapped in', async () => {
    const v1 = await ensure(fakeBuilder());
    const pinned = pinServedBuild(dist);
    if (!pinned) throw new Error('no build to serve');
    const app = await makeApp({ staticDir: pinned.dir });
    try {
      for (const version of ['v2', 'v3', 'v4']) {
        setPage(version);
        await ensure(fakeBuilder());
      }
      const index = await app.inject({ method: 'GET', url: '/' });
      expect(index.statusCode).toBe(200);
      expect(index.body).toBe(page('v1'));
      const asset = await app.inject({ method: 'GET', url: `/assets/app-${basename(v1.dir)}.js` });
      expect(asset.statusCode).toBe(200);
    } finally {
      await app.close();
      pinned.release();
    }
  });

  it('leaves the current build served and no folder behind when a build fails', async () => {
    const v1 = await ensure(fakeBuilder());
    setPage('v2');
    const failing: Builder = async (outDir) => {
      mkdirSync(outDir, { recursive: true });
      writeFileSync(join(outDir, 'index.html'), '<!doctype html><ti');
      throw new Error('vite: syntax error');
    };

    await expect(ensure(failing)).rejects.toThrow('vite: syntax error');
    expect(readFileSync(join(dist, 'index.html'), 'utf8')).toBe(page('v1'));
    expect(buildFolders()).toEqual([basename(v1.dir)]);
    // The lock was let go: the next run builds.
    expect((await ensure(fakeBuilder())).status).toBe('built');
  });

  it('moves a plain dist folder from before aside and swaps a build in', async () => {
    mkdirSync(dist);
    writeFileSync(join(dist, 'index.html'), page('old'));
    const result = await ensure(fakeBuilder());

    expect(result.status).toBe('built');
    expect(lstatSync(dist).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dist, 'index.html'), 'utf8')).toBe(page('v1'));
    const aside = buildFolders().filter((name) => name.startsWith('legacy-'));
    expect(aside).toHaveLength(1);
    expect(readFileSync(join(`${dist}.builds`, aside[0] as string, 'index.html'), 'utf8')).toBe(page('old'));
  });
});

describe('two npm starts at once', () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  });

  /** Runs tests/server/uiBuild-child.ts; answers its exit code and output. */
  function run(logFile: string, buildMs: number) {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'tests/server/uiBuild-child.ts', src, dist, logFile, String(buildMs)],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(child);
    let out = '';
    let err = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      err += chunk;
    });
    return new Promise<{ code: number | null; out: string; err: string }>((resolve) =>
      child.once('exit', (code) => resolve({ code, out, err })),
    );
  }

  it('build once: the second waits for the first, finds its build fresh and skips', async () => {
    const logFile = join(dir, 'builds.log');
    // Long enough that the second process (tsx starting on a busy machine) arrives during the build.
    const [a, b] = await Promise.all([run(logFile, 5000), run(logFile, 5000)]);

    expect(a.err).toBe('');
    expect(b.err).toBe('');
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(readFileSync(logFile, 'utf8').trim().split('\n')).toHaveLength(1);
    const results = [JSON.parse(a.out), JSON.parse(b.out)] as { status: string; dir: string }[];
    expect(results.map((r) => r.status).sort()).toEqual(['built', 'fresh']);
    expect(results[0]?.dir).toBe(results[1]?.dir);
    expect(readFileSync(join(dist, 'index.html'), 'utf8')).toBe(page('v1'));
    expect(buildFolders()).toHaveLength(1);
  }, 60_000);
});

describe('scripts/build-ui.ts (npm start’s prestart), with the real vite build', () => {
  function script(target: string) {
    return new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/build-ui.ts', '--dist', target], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk;
      });
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        err += chunk;
      });
      child.once('exit', (code) => resolve({ code, out, err }));
    });
  }

  it('builds the UI when there is none, then finds it up to date and builds nothing', async () => {
    const first = await script(dist);
    expect(first.code, first.err).toBe(0);
    expect(first.out).toMatch(/^Built the UI in [\d.]+ s/m);
    const index = readFileSync(join(dist, 'index.html'), 'utf8');
    expect(index).toMatch(/<script type="module" crossorigin src="\/assets\/[^"]+\.js">/);
    const built = realpathSync(dist);
    const assets = readdirSync(join(built, 'assets'));
    expect(assets.some((name) => name.endsWith('.js'))).toBe(true);

    const second = await script(dist);
    expect(second.code, second.err).toBe(0);
    expect(second.out).toMatch(/^The UI build is up to date/m);
    expect(second.out).not.toMatch(/Building/);
    expect(realpathSync(dist)).toBe(built);
    expect(buildFolders()).toEqual([basename(built)]);
  }, 180_000);
});
