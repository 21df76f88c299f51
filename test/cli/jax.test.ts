// `sample --jax-seed`: the values jax.random.<dist>(jax.random.key(seed, impl), shape, dtype) gives in jax 0.10.2
// (the committed fixture), on the GPU (both strategies) and the CPU; bad options are one line and exit 2.
import { describe, expect, it } from 'vitest';
import { bf16BitsToNumber, bitsToF32, f16BitsToNumber } from '../../src/contract/f32.js';
import { createJaxKey } from '../../src/contract/jax-key.js';
import { runCli } from '../helpers/cli.js';
import { type FixtureSample, loadJaxFixture } from '../helpers/jax-fixture.js';

const run = (...args: string[]) => runCli(['sample', ...args]);

const fixture = loadJaxFixture();

/** The seeds of the fixture's keys made by jax.random.key(seed, impl). */
const SEEDS = [0, 42, 2 ** 31 + 5];

/** A fixture case of at least 3 elements drawn from jax.random.key(seed, impl), and that seed. */
function caseOf(
  impl: 'threefry2x32' | 'philox4x32',
  dist: FixtureSample['dist'],
  dtype: string,
  extra: Partial<FixtureSample> = {},
): FixtureSample & { seed: number } {
  for (const seed of SEEDS) {
    const data = createJaxKey(seed, impl).data;
    const found = fixture.samples.find(
      (s) =>
        s.impl === impl &&
        s.key[0] === data[0] &&
        s.key[1] === data[1] &&
        s.dist === dist &&
        s.dtype === dtype &&
        s.start === undefined &&
        s.bits.length >= 3 &&
        Object.entries(extra).every(([k, v]) => s[k as keyof FixtureSample] === v),
    );
    if (found) return { ...found, seed };
  }
  throw new Error(`no fixture case ${impl} ${dist} ${dtype} ${JSON.stringify(extra)}`);
}

/** The numbers the fixture's bit patterns encode, as `sample` prints them. */
function numbers(s: FixtureSample): number[] {
  const decode = s.dtype === 'f32' ? bitsToF32 : s.dtype === 'f16' ? f16BitsToNumber : s.dtype === 'bf16' ? bf16BitsToNumber : (x: number) => x;
  return s.bits.map(decode);
}

/** The command-line options of a fixture case, after --jax-seed and --shape. */
function optionsOf(c: FixtureSample): string[] {
  const dist = { bits: 'bits', uniform: 'uniform', normal: 'normal', truncatedNormal: 'truncated-normal' }[c.dist];
  const args = ['--jax-impl', c.impl, '--dist', dist];
  if (c.dist !== 'bits') args.push('--dtype', c.dtype);
  if (c.minval !== undefined) args.push('--low', String(c.minval), '--high', String(c.maxval));
  if (c.lower !== undefined) args.push('--a', String(c.lower), '--b', String(c.upper));
  return args;
}

describe('sample --jax-seed', () => {
  const cases: [string, FixtureSample & { seed: number }][] = [
    ['normal f32 (threefry2x32)', caseOf('threefry2x32', 'normal', 'f32')],
    ['bits (philox4x32)', caseOf('philox4x32', 'bits', 'u32')],
    ['uniform f16 with --low/--high', caseOf('threefry2x32', 'uniform', 'f16', { minval: -0.3 })],
    ['truncated-normal bf16 with --a/--b (philox4x32)', caseOf('philox4x32', 'truncatedNormal', 'bf16')],
  ];

  it.each(cases)('%s prints the values of jax 0.10.2, on the GPU (verified against the CPU twin)', async (_name, c) => {
    const r = await run('--jax-seed', String(c.seed), '--shape', c.shape.join(','), ...optionsOf(c), '--verify');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.values).toEqual(numbers(c));
    expect(out.verified).toEqual({ against: 'cpu twin', elements: c.bits.length, mismatches: 0 });
    expect(out.jax).toMatchObject({ seed: c.seed, impl: c.impl, keyData: c.key, shape: c.shape, dtype: c.dtype });
  });

  it('the kernels, the upload strategy and the CPU give the same values, for a slice too', async () => {
    const c = caseOf('threefry2x32', 'truncatedNormal', 'f16');
    const args = ['--jax-seed', String(c.seed), '--shape', c.shape.join(','), ...optionsOf(c)];
    for (const extra of [
      ['--strategy', 'kernel'],
      ['--strategy', 'upload'],
      ['--backend', 'cpu'],
    ]) {
      const r = await run(...args, ...extra);
      expect(JSON.parse(r.stdout).values, extra.join(' ')).toEqual(numbers(c));
    }
    const slice = await run(...args, '--start', '1', '--count', String(c.bits.length - 2), '--backend', 'cpu');
    expect(JSON.parse(slice.stdout)).toMatchObject({ start: '1', values: numbers(c).slice(1, -1) });
  });

  it.each([
    [['--jax-impl', 'philox4x32', '--shape', '3'], /option '--jax-impl' needs --jax-seed/],
    [['--jax-seed', '-1', '--shape', '3'], /option '--jax-seed': '-1' is not an integer in \[0, 4294967295\]/],
    [['--jax-seed', '4294967296', '--shape', '3'], /'4294967296' is not an integer/],
    [['--jax-seed', '1'], /option '--shape' is required with --jax-seed/],
    [['--jax-seed', '1', '--shape', '3', '--seed', '5'], /option '--seed' does not apply with --jax-seed/],
    [['--jax-seed', '1', '--shape', '3', '--dist', 'normal', '--mean', '1'], /option '--mean' does not apply with --jax-seed/],
    [['--jax-seed', '1', '--shape', '3', '--dist', 'normal', '--a', '1'], /option '--a' does not apply to --dist normal with --jax-seed/],
    [['--jax-seed', '1', '--shape', '3', '--dist', 'bits', '--dtype', 'f16'], /option '--dtype' does not apply to --dist bits/],
    [['--jax-seed', '1', '--shape', '3', '--low', '1', '--high', '1'], /maxval: got 1; expected a number above minval/],
    [['--jax-seed', '1', '--shape', '3', '--dist', 'truncated-normal', '--a', '2', '--b', '1'], /upper: got 1; expected a number above lower/],
    [['--jax-seed', '1', '--shape', '3,4', '--start', '13'], /start: got 13n?; expected an element index in \[0, 12\]/],
    [['--jax-seed', '1', '--shape', '4096,8192'], /prints? at most 16777216/],
  ])('%j: one line on stderr, exit 2, nothing on stdout', async (args, message) => {
    const r = await run(...args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.split('\n').filter((l) => l.length > 0);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
  });
});
