// scripts/jax/make_fixtures.py run again where a Python with jax is found: the committed known answers
// (test/fixtures/jax-random.json) must be what jax writes now, byte for byte. CI has no jax, and says so.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { JAX_FIXTURE_PATH, loadJaxFixture } from '../helpers/jax-fixture.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A Python whose jax imports: $JAX_PYTHON, the build machine's /work/venv, or python3; with jax's version. */
function pythonWithJax(): { python: string; jax: string } | { reason: string } {
  const candidates = [process.env['JAX_PYTHON'], '/work/venv/bin/python', 'python3'].filter((p): p is string => !!p);
  for (const python of candidates) {
    if (python.includes('/') && !existsSync(python)) continue;
    const r = spawnSync(python, ['-c', 'import jax, flax; print(jax.__version__)'], { encoding: 'utf8' });
    if (r.status === 0) return { python, jax: r.stdout.trim() };
  }
  return { reason: `no Python with jax and flax (tried ${candidates.join(', ')}; set JAX_PYTHON)` };
}

describe('scripts/jax/make_fixtures.py', () => {
  it('regenerates test/fixtures/jax-random.json byte for byte with the jax it was made with', (t) => {
    const found = pythonWithJax();
    if ('reason' in found)
      return t.skip(`not regenerated: ${found.reason}; the committed fixture is checked by test/twin/jax.test.ts and test/gpu/jax.test.ts`);
    const wanted = loadJaxFixture().versions['jax'];
    if (found.jax !== wanted) return t.skip(`not regenerated: ${found.python} has jax ${found.jax}, the fixture is for jax ${wanted}`);
    const dir = mkdtempSync(join(tmpdir(), 'jax-fixture-'));
    try {
      const out = join(dir, 'jax-random.json');
      execFileSync(found.python, ['scripts/jax/make_fixtures.py', out], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
      expect(readFileSync(out, 'utf8') === readFileSync(JAX_FIXTURE_PATH, 'utf8'), 'regenerated fixture differs from the committed one').toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);
});
