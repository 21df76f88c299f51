// The committed known answers of jax.random (test/fixtures/jax-random.json) against their generator,
// scripts/jax/make_fixtures.py. Always: the fixture names the SHA-256 of the script as committed, so the script
// cannot change without the fixture being written again. Where a Python with the fixture's jax and flax is found
// ($JAX_PYTHON, else python3 on PATH): the script is run again and must write the committed fixture byte for byte
// (about a minute of CPU on the 2-core build machine, whose venv is therefore not looked for unasked).
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { JAX_FIXTURE_PATH, loadJaxFixture } from '../helpers/jax-fixture.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const GENERATOR = join(ROOT, 'scripts/jax/make_fixtures.py');

describe('scripts/jax/make_fixtures.py', () => {
  it('wrote the committed fixture as the script is now (its SHA-256 is in the fixture)', () => {
    const fixture = loadJaxFixture();
    expect(fixture.generator).toBe('scripts/jax/make_fixtures.py');
    const sha = createHash('sha256').update(readFileSync(GENERATOR)).digest('hex');
    expect(fixture.generator_sha256, 'the script changed: run it again (see its docstring) and commit the fixture').toBe(sha);
  });

  it('regenerates test/fixtures/jax-random.json byte for byte with the jax it was made with', (t) => {
    const python = process.env['JAX_PYTHON'] ?? 'python3';
    const found = spawnSync(python, ['-c', 'import jax, flax; print(jax.__version__)'], { encoding: 'utf8' });
    if (found.status !== 0) {
      // Asked for by name: a Python that cannot import them is an error, not a reason to skip.
      if (process.env['JAX_PYTHON']) expect.fail(`JAX_PYTHON=${python} cannot import jax and flax: ${found.stderr}`);
      return t.skip(
        `not regenerated: python3 has no jax and flax (set JAX_PYTHON to one that has them); the answers are checked by test/twin/jax.test.ts and test/gpu/jax.test.ts`,
      );
    }
    const wanted = loadJaxFixture().versions['jax'];
    if (found.stdout.trim() !== wanted) return t.skip(`not regenerated: ${python} has jax ${found.stdout.trim()}, the fixture is for jax ${wanted}`);
    const dir = mkdtempSync(join(tmpdir(), 'jax-fixture-'));
    try {
      const out = join(dir, 'jax-random.json');
      execFileSync(python, [GENERATOR, out], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
      expect(readFileSync(out, 'utf8') === readFileSync(JAX_FIXTURE_PATH, 'utf8'), 'regenerated fixture differs from the committed one').toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);
});
