// Accuracy of the f32 transforms (the CPU twins in src/twin/transforms.ts and src/twin/normal.ts, which
// are bit-identical to the WGSL shaders) against double-precision references.
//
//   npx tsx scripts/accuracy.ts [--n 10000000] [--seed 2024] [--json FILE]
//
// --n     size of every random sample (default 10^7); the exhaustive grids always have 2^23 (or 2^24)
//         points, which is every input the library can feed there.
// --seed  u32 seed of the input generator (xorshift128 seeded by splitmix32, one stream per row, so a
//         row's inputs do not depend on the other rows or on their sizes). Default 2024.
// --json  also write the results (with the worst inputs, the f32 result and the reference there) to FILE.
//
// Error measures, for an f32 result y (exact as a double) and an f64 reference r:
//   abs  = |y - r|
//   rel  = |y - r| / |r|                       (r = 0: 0 if y = 0, else Infinity)
//   ulps = |y - r| / ulp(f32(r))
// where f32(r) is r rounded to nearest f32 and ulp(v), for an f32 v with biased exponent field E, is
// 2^(max(E, 1) - 150): the spacing of the f32 values in v's binade [2^(E-127), 2^(E-126)), and 2^-149
// (the subnormal spacing) for subnormals and zero. A correctly rounded result has ulps <= 0.5 (up to
// 1.0 only for r just below a power of two that rounds up to it, where the measure uses the spacing
// above). The references are accurate to ~1e-16 relative (about 1e-9 f32 ulps), except where noted.
//
// Runs single-threaded; about a minute on a 2-core machine at the default n.

import { writeFileSync } from 'node:fs';
import { resolveDistribution, truncatedNormal } from '../src/contract/distributions.js';
import { expF64, normalCdfF64, normalCdfSeries, tailContinuedFraction } from '../src/contract/normal-cdf.js';
import { boxMuller, truncatedNormalFromWord } from '../src/twin/normal.js';
import { erfinvF32, logF32, normalQuantile, openUniformFromWord, reciprocalF32, sinCos2Pi, sqrtF32, uniformFromWord } from '../src/twin/transforms.js';

const f = Math.fround;
const GRID = 2 ** 23; // number of points of the 2^-23 grid in [0, 1)
const TWO_POW_32 = 2 ** 32;

// ---------------------------------------------------------------------------------------------------
// Command line

interface Options {
  n: number;
  seed: number;
  json: string | undefined;
}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = { n: 10_000_000, seed: 2024, json: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(0, eq) : arg;
    const value = (): string => {
      if (eq >= 0) return arg.slice(eq + 1);
      const next = argv[++i];
      if (next === undefined) throw new Error(`${name} needs a value`);
      return next;
    };
    switch (name) {
      case '--n': {
        const n = Number(value());
        if (!Number.isSafeInteger(n) || n < 1) throw new Error('--n must be a positive integer');
        options.n = n;
        break;
      }
      case '--seed': {
        const seed = Number(value());
        if (!Number.isInteger(seed) || seed < 0 || seed >= TWO_POW_32) throw new Error('--seed must be an integer in [0, 2^32)');
        options.seed = seed;
        break;
      }
      case '--json':
        options.json = value();
        break;
      case '--help':
      case '-h':
        console.log('usage: npx tsx scripts/accuracy.ts [--n 10000000] [--seed 2024] [--json FILE]');
        process.exit(0);
        break;
      default:
        throw new Error(`unknown argument ${arg}`);
    }
  }
  return options;
}

// ---------------------------------------------------------------------------------------------------
// Deterministic inputs: Marsaglia's xorshift128, state from splitmix32(seed, stream).

class Xorshift128 {
  private x: number;
  private y: number;
  private z: number;
  private w: number;

  constructor(seed: number, stream: number) {
    let s = (seed ^ Math.imul(stream + 1, 0x9e3779b9)) >>> 0;
    const splitmix32 = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.x = splitmix32();
    this.y = splitmix32();
    this.z = splitmix32();
    this.w = splitmix32() || 1;
  }

  /** Next u32. */
  next(): number {
    const t = this.x ^ (this.x << 11);
    this.x = this.y;
    this.y = this.z;
    this.z = this.w;
    this.w = (this.w ^ (this.w >>> 19) ^ (t ^ (t >>> 8))) >>> 0;
    return this.w;
  }

  /** A double uniform in (0, 1) on the grid (k + 1/2) 2^-32. */
  open01(): number {
    return (this.next() + 0.5) / TWO_POW_32;
  }

  /** A positive normal f32, uniform over the exponent field [emin, emax] and the mantissa. */
  normalF32(emin = 1, emax = 254): number {
    const e = emin + (this.next() % (emax - emin + 1));
    return bitsF32((e << 23) | (this.next() & 0x7fffff));
  }
}

// ---------------------------------------------------------------------------------------------------
// f32 bit helpers (typed arrays share one buffer; storing into the Float32Array rounds to nearest f32).

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

function bitsF32(bits: number): number {
  U32[0] = bits >>> 0;
  return F32[0]!;
}

function f32Bits(x: number): number {
  F32[0] = x;
  return U32[0]!;
}

/** ULP_BY_EXPONENT[E] = 2^(max(E, 1) - 150): the f32 spacing in the binade of biased exponent E. */
const ULP_BY_EXPONENT = Array.from({ length: 256 }, (_, e) => 2 ** (Math.max(e, 1) - 150));

/** ulp(f32(r)): see the header. */
function ulpOfReference(r: number): number {
  return ULP_BY_EXPONENT[(f32Bits(r) >>> 23) & 0xff]!;
}

// ---------------------------------------------------------------------------------------------------
// f64 references

const TWO_PI = 2 * Math.PI;
const SQRT_2PI = Math.sqrt(2 * Math.PI);

/**
 * [sin(2 pi u), cos(2 pi u)] in f64 for u in [0, 1]. The quadrant is taken out exactly first
 * (t = u - q/4 is exact for any f32 u), so that sin(pi), cos(pi/2), ... come out exactly 0 rather than
 * Math.sin(2 * Math.PI * 0.5) = 1.2e-16, which would be a reference error of millions of f32 ulps next to
 * the twin's exact 0. Math.sin/Math.cos of 2 pi t (|t| <= 1/8) are then ~1e-16 relative.
 */
function sinCos2PiF64(u: number): [number, number] {
  const q = Math.round(4 * u);
  const a = TWO_PI * (u - 0.25 * q);
  const s = Math.sin(a);
  const c = Math.cos(a);
  switch (q & 3) {
    case 1:
      return [c, -s];
    case 2:
      return [-s, -c];
    case 3:
      return [-c, s];
    default:
      return [s, c];
  }
}

/**
 * Standard normal quantile in f64 for p in (0, 1): P. J. Acklam's rational approximation (relative
 * error 1.15e-9 over the whole range) and one Halley step on Phi(x) = p (cubic convergence: the result is
 * limited by the ~1e-16 accuracy of the CDF residual, see cdfResidualF64). Upper half through the lower
 * tail: 1 - p is exact for p >= 1/2 (Sterbenz), so both tails keep their relative precision. Checked
 * against mpmath in referenceSelfCheck().
 */
function quantileF64(p: number): number {
  if (!(p > 0 && p < 1)) return p === 0 ? -Infinity : p === 1 ? Infinity : NaN;
  return p > 0.5 ? -lowerQuantileF64(1 - p) : lowerQuantileF64(p);
}

function lowerQuantileF64(p: number): number {
  let x: number;
  if (p < 0.02425) {
    const q = Math.sqrt(-2 * Math.log(p));
    x =
      (((((-7.784894002430293e-3 * q - 3.223964580411365e-1) * q - 2.400758277161838) * q - 2.549732539343734) * q + 4.374664141464968) * q +
        2.938163982698783) /
      ((((7.784695709041462e-3 * q + 3.224671290700398e-1) * q + 2.445134137142996) * q + 3.754408661907416) * q + 1);
  } else {
    const q = p - 0.5;
    const r = q * q;
    x =
      ((((((-3.969683028665376e1 * r + 2.209460984245205e2) * r - 2.759285104469687e2) * r + 1.38357751867269e2) * r - 3.066479806614716e1) * r +
        2.506628277459239) *
        q) /
      (((((-5.447609879822406e1 * r + 1.615858368580409e2) * r - 1.556989798598866e2) * r + 6.680131188771972e1) * r - 1.328068155288572e1) * r + 1);
  }
  // Halley: x -= u / (1 + x u / 2), u = (Phi(x) - p) / phi(x).
  const u = cdfResidualF64(x, p) * SQRT_2PI * Math.exp(0.5 * x * x);
  return x - u / (1 + 0.5 * x * u);
}

/** Standard normal density phi(t) in f64. */
function pdfF64(t: number): number {
  return Math.exp(-0.5 * t * t) / SQRT_2PI;
}

/**
 * Phi(x) - p for x <= 0, to ~1e-16 relative to Phi(x) (and without the cancellation of Phi(x) - p near
 * p = 1/2):
 * - |x| < 3: Phi(x) = 1/2 - phi(x) * sum_n |x|^(2n+1) / (2n+1)!!, and 1/2 - p is exact for p in [1/4, 1/2];
 * - |x| >= 3: Phi(x) = phi(x) / (t + 1/(t + 2/(t + 3/(t + ...)))), t = |x| (Laplace's continued
 *   fraction, evaluated forwards by Lentz's method until a step changes it by < 1e-16: 52 steps at t = 3,
 *   11 at t = 12).
 * The same two expansions as the library's normalCdfF64 (the series is its normalCdfSeries), but with
 * Math.exp and the adaptive tailContinuedFraction (normalCdfF64 always runs 300 terms), which makes the
 * 10^7-input tail samples affordable.
 */
function cdfResidualF64(x: number, p: number): number {
  const t = -x;
  if (t < 3) return 0.5 - p - pdfF64(t) * normalCdfSeries(t);
  return lowerTailF64(t) - p;
}

/** Phi(-t) for t >= 3 (see cdfResidualF64). */
function lowerTailF64(t: number): number {
  return pdfF64(t) / tailContinuedFraction(t, 1);
}

/** The reference quantile against values from mpmath (60+ digits); throws when it is off. */
function referenceSelfCheck(): { points: number; worstRel: number; worstAt: number } {
  const cases: Array<[number, number]> = [
    [0.5 - 2 ** -24, -1.4940668789333163667e-7],
    [0.3, -0.52440051270804078404],
    [0.02425, -1.9729610513118848503],
    [0.001, -3.0902323061678135415],
    [2 ** -24, -5.2947040848545980574],
    [1e-7, -5.1993375821928169316],
    [1e-15, -7.941345326170996781],
    [1e-20, -9.2623400897984075737],
    [1e-30, -11.464024688443615727],
  ];
  let worst = 0;
  let worstAt = NaN;
  let points = 0;
  for (const [p, want] of cases) {
    for (const [pp, ww] of [
      [p, want],
      [1 - p, -want],
    ] as const) {
      if (pp > 0.5 && 1 - pp !== p) continue; // 1 - p not exact in f64: not a valid mirrored check
      const rel = Math.abs(quantileF64(pp) - ww) / Math.abs(ww);
      points++;
      if (rel > worst) [worst, worstAt] = [rel, pp];
      if (!(rel < 1e-12)) throw new Error(`reference quantile off at p = ${pp}: ${quantileF64(pp)} vs ${ww}`);
    }
  }
  // The tail CDF against the library's normalCdfF64 (300-term continued fraction).
  for (const t of [3, 4, 6, 8, 10, 12]) {
    const rel = Math.abs(lowerTailF64(t) / normalCdfF64(-t) - 1);
    if (!(rel < 1e-13)) throw new Error(`reference tail CDF off at t = ${t}: ${lowerTailF64(t)} vs ${normalCdfF64(-t)}`);
  }
  return { points, worstRel: worst, worstAt };
}

// ---------------------------------------------------------------------------------------------------
// Statistics

interface Worst {
  input: string;
  got: number;
  ref: number;
}

type Describe = (a: number, b: number) => string;

class ErrorStats {
  count = 0;
  maxAbs = 0;
  maxRel = 0;
  maxUlp = 0;
  sumUlp = 0;
  overHalfUlp = 0;
  nonFinite = 0;
  // Argmax of abs and ulps: the raw inputs (up to two numbers) and the values there.
  private absA = NaN;
  private absB = NaN;
  private absGot = NaN;
  private absRef = NaN;
  private ulpA = NaN;
  private ulpB = NaN;
  private ulpGot = NaN;
  private ulpRef = NaN;
  private relA = NaN;
  private relB = NaN;
  private relGot = NaN;
  private relRef = NaN;

  add(got: number, ref: number, a: number, b = NaN): void {
    this.count++;
    let abs = Math.abs(got - ref);
    if (!(abs <= Infinity)) abs = Infinity; // NaN result
    if (!Number.isFinite(got)) this.nonFinite++;
    const rel = ref !== 0 ? abs / Math.abs(ref) : abs === 0 ? 0 : Infinity;
    const ulp = abs / ulpOfReference(ref);
    this.sumUlp += ulp;
    if (ulp > 0.5) this.overHalfUlp++;
    if (abs > this.maxAbs || (this.count === 1 && abs === 0)) {
      this.maxAbs = abs;
      this.absA = a;
      this.absB = b;
      this.absGot = got;
      this.absRef = ref;
    }
    if (rel > this.maxRel || this.count === 1) {
      this.maxRel = rel;
      this.relA = a;
      this.relB = b;
      this.relGot = got;
      this.relRef = ref;
    }
    if (ulp > this.maxUlp || this.count === 1) {
      this.maxUlp = ulp;
      this.ulpA = a;
      this.ulpB = b;
      this.ulpGot = got;
      this.ulpRef = ref;
    }
  }

  worst(describe: Describe): { abs: Worst; rel: Worst; ulps: Worst } {
    return {
      abs: { input: describe(this.absA, this.absB), got: this.absGot, ref: this.absRef },
      rel: { input: describe(this.relA, this.relB), got: this.relGot, ref: this.relRef },
      ulps: { input: describe(this.ulpA, this.ulpB), got: this.ulpGot, ref: this.ulpRef },
    };
  }
}

interface Row {
  fn: string;
  domain: string;
  stats: ErrorStats;
  describe: Describe;
  seconds: number;
}

const rows: Row[] = [];

/** Runs `body` with fresh statistics (one per output) and records the rows. */
function measure(specs: Array<{ fn: string; domain: string; describe: Describe }>, body: (stats: ErrorStats[]) => void): void {
  const stats = specs.map(() => new ErrorStats());
  const t0 = performance.now();
  body(stats);
  const seconds = (performance.now() - t0) / 1000;
  for (const [i, spec] of specs.entries()) rows.push({ ...spec, stats: stats[i]!, seconds });
  process.stderr.write(`  ${specs.map((s) => `${s.fn} [${s.domain.slice(0, 40)}]`).join(', ')}: ${seconds.toFixed(1)} s\n`);
}

// ---------------------------------------------------------------------------------------------------
// Input descriptions (the "at" columns)

const g9 = (x: number): string => (Number.isFinite(x) ? Number(x.toPrecision(9)).toString() : String(x));
const hex = (x: number): string => `0x${(x >>> 0).toString(16).padStart(8, '0')}`;
const describeF32: Describe = (x) => `${g9(x)} (${hex(f32Bits(x))})`;
const describeGridU: Describe = (u) => `u = ${u * GRID}·2^-23 = ${g9(u)}`;
const describeU1: Describe = (u1) => (u1 * GRID === Math.floor(u1 * GRID) ? describeGridU(u1, NaN) : `u1 = f32(1e-7) = ${g9(u1)}`);
const describeOpenP: Describe = (p) => `p = (${p * GRID - 0.5} + 1/2)·2^-23 = ${g9(p)}`;

// ---------------------------------------------------------------------------------------------------
// Measurements

function run(options: Options): void {
  const { n, seed } = options;
  const U1_FLOOR = f(1e-7);
  let stream = 0;
  const rng = (): Xorshift128 => new Xorshift128(seed, ++stream);

  // --- logF32 ------------------------------------------------------------------------------------
  measure([{ fn: 'logF32', domain: 'u1 = max(k·2^-23, f32(1e-7)), all k in [0, 2^23) (the Box–Muller u1)', describe: describeU1 }], ([s]) => {
    for (let k = 0; k < GRID; k++) {
      const x = Math.max(k * 2 ** -23, U1_FLOOR);
      s!.add(logF32(x), Math.log(x), x);
    }
  });
  measure(
    [
      {
        fn: 'logF32',
        domain: 'x = f32(f32(4p)·f32(1-p)), p = (k+1/2)·2^-23, all k (normalQuantile)',
        describe: (x, p) => `x = ${g9(x)} from ${describeOpenP(p, NaN)}`,
      },
    ],
    ([s]) => {
      for (let k = 0; k < GRID; k++) {
        const p = openUniformFromWord(k);
        const x = f(f(4 * p) * f(1 - p));
        s!.add(logF32(x), Math.log(x), x, p);
      }
    },
  );
  measure([{ fn: 'logF32', domain: 'random positive normal f32, uniform exponent [2^-126, 2^128)', describe: describeF32 }], ([s]) => {
    const r = rng();
    for (let i = 0; i < n; i++) {
      const x = r.normalF32();
      s!.add(logF32(x), Math.log(x), x);
    }
  });

  // --- sqrtF32 -----------------------------------------------------------------------------------
  measure(
    [
      {
        fn: 'sqrtF32',
        domain: 'x = f32(-2·logF32(u1)), all 2^23 Box–Muller u1 (x in (0, 32.3])',
        describe: (x, u1) => `x = ${describeF32(x, NaN)} from ${describeU1(u1, NaN)}`,
      },
    ],
    ([s]) => {
      for (let k = 0; k < GRID; k++) {
        const u1 = Math.max(k * 2 ** -23, U1_FLOOR);
        const x = f(-2 * logF32(u1));
        s!.add(sqrtF32(x), Math.sqrt(x), x, u1);
      }
    },
  );
  measure([{ fn: 'sqrtF32', domain: 'random f32 uniform in (0, 33]', describe: describeF32 }], ([s]) => {
    const r = rng();
    for (let i = 0; i < n; i++) {
      const x = f(33 * r.open01());
      s!.add(sqrtF32(x), Math.sqrt(x), x);
    }
  });
  measure(
    [
      {
        fn: 'sqrtF32',
        domain: 'random positive normal f32, uniform exponent [2^-126, 2^128) (wider than the documented [2^-100, 2^100])',
        describe: describeF32,
      },
    ],
    ([s]) => {
      const r = rng();
      for (let i = 0; i < n; i++) {
        const x = r.normalF32();
        s!.add(sqrtF32(x), Math.sqrt(x), x);
      }
    },
  );

  // --- reciprocalF32 -----------------------------------------------------------------------------
  measure([{ fn: 'reciprocalF32', domain: 'every f32 d in [1, 4) (2^24 values)', describe: describeF32 }], ([s]) => {
    for (let k = 0; k < 2 * GRID; k++) {
      const d = bitsF32(0x3f800000 + k);
      s!.add(reciprocalF32(d), 1 / d, d);
    }
  });
  measure([{ fn: 'reciprocalF32', domain: 'random normal f32 d in [2^-126, 2^126) (1/d normal)', describe: describeF32 }], ([s]) => {
    const r = rng();
    for (let i = 0; i < n; i++) {
      const d = r.normalF32(1, 252);
      s!.add(reciprocalF32(d), 1 / d, d);
    }
  });
  measure(
    [{ fn: 'reciprocalF32', domain: 'random f32 d in [2^126, 2^128) (1/d subnormal; outside the documented d < 2^126)', describe: describeF32 }],
    ([s]) => {
      const r = rng();
      const m = Math.max(1, Math.floor(n / 100));
      for (let i = 0; i < m; i++) {
        const d = r.normalF32(253, 254);
        s!.add(reciprocalF32(d), 1 / d, d);
      }
    },
  );

  // --- sinCos2Pi ---------------------------------------------------------------------------------
  const sinSpec = (domain: string, describe: Describe) => [
    { fn: 'sinCos2Pi → sin', domain, describe },
    { fn: 'sinCos2Pi → cos', domain, describe },
  ];
  measure(sinSpec('u = k·2^-23, all k in [0, 2^23); ref sin/cos(2πu) in f64', describeGridU), ([ss, sc]) => {
    for (let k = 0; k < GRID; k++) {
      const u = k * 2 ** -23;
      const [s, c] = sinCos2Pi(u);
      const [s64, c64] = sinCos2PiF64(u);
      ss!.add(s, s64, u);
      sc!.add(c, c64, u);
    }
  });
  measure(sinSpec('random f32 u in [0, 1), off the grid (not fed by the library)', describeF32), ([ss, sc]) => {
    const r = rng();
    for (let i = 0; i < n; i++) {
      const u = f(r.next() / TWO_POW_32);
      if (u >= 1) continue;
      const [s, c] = sinCos2Pi(u);
      const [s64, c64] = sinCos2PiF64(u);
      ss!.add(s, s64, u);
      sc!.add(c, c64, u);
    }
  });

  // --- erfinvF32 (isolated) and normalQuantile ---------------------------------------------------
  // erfinvF32(x, w) with x = 2p - 1 (exact) and the exact w = -ln(4p(1-p)) = -ln(1 - x^2) rounded to f32
  // (4p(1-p) is exact in f64 on this grid): the polynomial error alone. Reference erfinv(x) = Q(p)/sqrt(2).
  const describeErfinv: Describe = (x, w) => `x = ${g9(x)} (p = ${g9((1 + x) / 2)}), w = ${g9(w)}`;
  measure(
    [
      { fn: 'erfinvF32 (exact w)', domain: 'x = 2p-1, p = (k+1/2)·2^-23, all k; central branch w < 5', describe: describeErfinv },
      { fn: 'erfinvF32 (exact w)', domain: 'x = 2p-1, p = (k+1/2)·2^-23, all k; tail branch w >= 5', describe: describeErfinv },
    ],
    ([central, tail]) => {
      for (let k = 0; k < GRID; k++) {
        const p = openUniformFromWord(k);
        const x = f(2 * p - 1);
        const w = f(-Math.log(4 * p * (1 - p)));
        (w < 5 ? central : tail)!.add(erfinvF32(x, w), quantileF64(p) / Math.SQRT2, x, w);
      }
    },
  );
  measure(
    [
      { fn: 'normalQuantile', domain: 'p = openUniformFromWord(k) = (k+1/2)·2^-23, all k; central w < 5 (p in ~[0.0017, 0.9983])', describe: describeOpenP },
      { fn: 'normalQuantile', domain: 'p = (k+1/2)·2^-23, all k; tail branch w >= 5', describe: describeOpenP },
    ],
    ([central, tail]) => {
      for (let k = 0; k < GRID; k++) {
        const p = openUniformFromWord(k);
        const w = f(-logF32(f(f(4 * p) * f(1 - p)))); // the branch normalQuantile takes
        (w < 5 ? central : tail)!.add(normalQuantile(p), quantileF64(p), p);
      }
    },
  );
  {
    // Log-uniform f32 p in [1e-30, 1e-7]: p = f32(exp(ln 1e-30 + U (ln 1e-7 - ln 1e-30))), with the
    // library's deterministic expF64 so the inputs are the same on every engine. Reported in bands.
    const bands: Array<[number, string]> = [
      [1e-8, 'random p log-uniform in [1e-30, 1e-7]; band [1e-8, 1e-7]'],
      [1e-9, 'same sample; band [1e-9, 1e-8)'],
      [1e-10, 'same sample; band [1e-10, 1e-9)'],
      [1e-12, 'same sample; band [1e-12, 1e-10)'],
      [1e-15, 'same sample; band [1e-15, 1e-12)'],
      [1e-20, 'same sample; band [1e-20, 1e-15)'],
      [1e-25, 'same sample; band [1e-25, 1e-20)'],
      [0, 'same sample; band [1e-30, 1e-25)'],
    ];
    const lnLo = Math.log(1e-30);
    const lnHi = Math.log(1e-7);
    measure(
      bands.map(([, domain]) => ({ fn: 'normalQuantile', domain, describe: describeF32 })),
      (stats) => {
        const r = rng();
        for (let i = 0; i < n; i++) {
          const p = f(expF64(lnLo + (r.next() / (TWO_POW_32 - 1)) * (lnHi - lnLo)));
          let band = 0;
          while (p < bands[band]![0]) band++;
          stats[band]!.add(normalQuantile(p), quantileF64(p), p);
        }
      },
    );
  }

  // --- boxMuller ---------------------------------------------------------------------------------
  // Reference from the same u1 = max(uniformFromWord(w0), f32(1e-7)) and u = uniformFromWord(w1):
  // r = sqrt(-2 ln u1), [r sin 2pi u, r cos 2pi u] in f64 (angle as in sinCos2PiF64).
  const describeWords: Describe = (w0, w1) =>
    `w0 = ${hex(w0)}, w1 = ${hex(w1)} (u1 = ${g9(Math.max(uniformFromWord(w0), U1_FLOOR))}, u = ${uniformFromWord(w1) * GRID}·2^-23)`;
  measure(
    [
      { fn: 'boxMuller → z0 = r sin', domain: 'random word pairs (w0, w1)', describe: describeWords },
      { fn: 'boxMuller → z1 = r cos', domain: 'random word pairs (w0, w1)', describe: describeWords },
    ],
    ([s0, s1]) => {
      const r = rng();
      for (let i = 0; i < n; i++) {
        const w0 = r.next();
        const w1 = r.next();
        const [z0, z1] = boxMuller(w0, w1);
        const u1 = Math.max(uniformFromWord(w0), U1_FLOOR);
        const radius = Math.sqrt(-2 * Math.log(u1));
        const [s, c] = sinCos2PiF64(uniformFromWord(w1));
        s0!.add(z0, radius * s, w0, w1);
        s1!.add(z1, radius * c, w0, w1);
      }
    },
  );
  measure([{ fn: 'boxMuller radius r = sqrtF32(f32(-2·logF32(u1)))', domain: 'all 2^23 u1 = max(k·2^-23, f32(1e-7))', describe: describeU1 }], ([s]) => {
    for (let k = 0; k < GRID; k++) {
      const u1 = Math.max(k * 2 ** -23, U1_FLOOR);
      s!.add(sqrtF32(f(-2 * logF32(u1))), Math.sqrt(-2 * Math.log(u1)), u1);
    }
  });

  // --- truncatedNormalFromWord -------------------------------------------------------------------
  // Every word (only the low 23 bits matter) for two parameter sets; reference = the same formula in f64
  // from the same resolved f32 parameters: clamp(mean + std·Q(pLow + u·pWidth), lo, hi), u = (k+1/2)2^-23.
  // The twin rounds p to f32, so near z = 0 (p near 1/2, f32 spacing 2^-24) its absolute error is
  // ~2^-25/phi(0) ~ 7e-8 whatever the transforms do: large in ulps/relative terms for |z| << 1.
  const truncated: Array<[string, ReturnType<typeof truncatedNormal>]> = [
    ['truncatedNormal(0, 1, a = -2, b = 2) (the default), all 2^23 words', truncatedNormal(0, 1, -2, 2)],
    ['truncatedNormal(0, 1, a = 3, b = 6) (mirrored tail), all 2^23 words', truncatedNormal(0, 1, 3, 6)],
    ['truncatedNormal(0, 1, a = 6, b = 8) (far tail: p in [6e-16, 1e-9]), all 2^23 words', truncatedNormal(0, 1, 6, 8)],
    ['truncatedNormal(0, 1, a = 8, b = 12) (p in [1.8e-33, 6e-16]), all 2^23 words', truncatedNormal(0, 1, 8, 12)],
  ];
  for (const [domain, dist] of truncated) {
    const d = resolveDistribution(dist);
    measure([{ fn: 'truncatedNormalFromWord', domain, describe: (k) => `word = ${hex(k)} (u = (${k} + 1/2)·2^-23)` }], ([s]) => {
      for (let k = 0; k < GRID; k++) {
        const got = truncatedNormalFromWord(k, d.pLow, d.pWidth, d.mean, d.std, d.clampLow, d.clampHigh);
        const p64 = d.pLow + openUniformFromWord(k) * d.pWidth;
        const ref = Math.min(Math.max(d.mean + d.std * quantileF64(p64), d.clampLow), d.clampHigh);
        s!.add(got, ref, k);
      }
    });
  }
}

// ---------------------------------------------------------------------------------------------------
// Output

const e3 = (x: number): string => (x === 0 ? '0' : Number.isFinite(x) ? x.toExponential(2) : String(x));
const ulps = (x: number): string => (x < 1000 ? x.toFixed(3) : x.toExponential(2));
const cell = (s: string): string => s.replace(/\|/g, '\\|');

function main(): void {
  const options = parseArgs(process.argv.slice(2));
  const t0 = performance.now();
  const selfCheck = referenceSelfCheck();
  process.stderr.write(`accuracy: n = ${options.n}, seed = ${options.seed}\n`);
  run(options);
  const seconds = (performance.now() - t0) / 1000;

  const lines: string[] = [];
  lines.push(
    `Accuracy of the f32 transforms against f64 references (seed ${options.seed}, n = ${options.n}, Node ${process.version}, ${seconds.toFixed(1)} s).`,
  );
  lines.push('');
  lines.push('| function | inputs (domain) | count | max abs err | max rel err | max err (ulps) | at (max ulps) | at (max abs) |');
  lines.push('| --- | --- | ---: | ---: | ---: | ---: | --- | --- |');
  for (const row of rows) {
    const s = row.stats;
    const w = s.worst(row.describe);
    lines.push(
      `| ${cell(row.fn)} | ${cell(row.domain)} | ${s.count.toLocaleString('en-US')} | ${e3(s.maxAbs)} | ${e3(s.maxRel)} | ${ulps(s.maxUlp)} | ${cell(w.ulps.input)} | ${cell(w.abs.input)} |`,
    );
  }
  lines.push('');
  lines.push('abs = |y - r|, rel = |y - r| / |r|, ulps = |y - r| / ulp(f32(r)) for the f32 result y and the f64 reference r,');
  lines.push('where ulp(v) = 2^(max(E,1) - 150) for the biased exponent E of the f32 v (2^-149 for 0 and subnormals).');
  lines.push(
    `Reference normal quantile (Acklam + 1 Halley step) vs mpmath at ${selfCheck.points} points: max rel diff ${e3(selfCheck.worstRel)} (p = ${selfCheck.worstAt}).`,
  );
  const nonFinite = rows.filter((r) => r.stats.nonFinite > 0);
  for (const r of nonFinite) lines.push(`WARNING: ${r.fn} [${r.domain}]: ${r.stats.nonFinite} non-finite results.`);
  console.log(lines.join('\n'));

  if (options.json !== undefined) {
    const json = {
      seed: options.seed,
      n: options.n,
      node: process.version,
      seconds,
      generator: 'xorshift128 (Marsaglia), state from splitmix32(seed ^ (rowStream + 1) * 0x9e3779b9); one stream per random row',
      errorMeasures: {
        abs: '|y - r|',
        rel: '|y - r| / |r| (0 if r = y = 0, Infinity if r = 0 != y)',
        ulps: '|y - r| / ulp(f32(r)), ulp(v) = 2^(max(E,1) - 150), E = biased exponent field of the f32 v',
      },
      referenceQuantileSelfCheck: selfCheck,
      rows: rows.map((row) => {
        const s = row.stats;
        return {
          function: row.fn,
          domain: row.domain,
          count: s.count,
          maxAbsError: s.maxAbs,
          maxRelError: s.maxRel,
          maxUlps: s.maxUlp,
          meanUlps: s.count > 0 ? s.sumUlp / s.count : 0,
          countOverHalfUlp: s.overHalfUlp,
          nonFinite: s.nonFinite,
          worst: s.worst(row.describe),
          seconds: row.seconds,
        };
      }),
    };
    writeFileSync(options.json, `${JSON.stringify(json, null, 2)}\n`);
    process.stderr.write(`wrote ${options.json}\n`);
  }
}

main();
