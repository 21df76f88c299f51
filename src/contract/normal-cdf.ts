// The standard normal CDF in double precision, built from +, -, *, / only (IEEE-exact in every JS
// engine; Math.exp and friends are not), so the truncated-normal parameters it feeds are the same bits
// on every machine. Used on the host only, once per tensor.

// fdlibm e_exp.c: ln2 split so that k * LN2_HI is exact for |k| < 2^11.
const LN2_HI = 6.9314718036912381649e-1;
const LN2_LO = 1.90821492927058770002e-10;
const INV_LN2 = 1.442695040888963387;
const INV_SQRT_2PI = 0.3989422804014327;

/** 2^k for an integer k in [-1074, 1023], exactly. */
function pow2(k: number): number {
  if (k < -1022) return pow2(k + 1022) * pow2(-1022);
  const view = new DataView(new ArrayBuffer(8));
  view.setUint32(0, (k + 1023) << 20);
  view.setUint32(4, 0);
  return view.getFloat64(0);
}

/** e^x for x in [-745, 0] (the range the CDF needs), relative error about 1e-16. */
export function expF64(x: number): number {
  if (x < -745) return 0;
  const k = Math.round(x * INV_LN2);
  const r = x - k * LN2_HI - k * LN2_LO; // |r| <= 0.3466
  // Taylor series to r^13: truncation below 4e-18 for |r| <= 0.3466.
  let p = 1 / 6227020800;
  for (const c of [1 / 479001600, 1 / 39916800, 1 / 3628800, 1 / 362880, 1 / 40320, 1 / 5040, 1 / 720, 1 / 120, 1 / 24, 1 / 6, 1 / 2, 1, 1]) {
    p = p * r + c;
  }
  return k < -1022 ? p * pow2(k + 200) * pow2(-200) : p * pow2(k);
}

/** Standard normal density. */
export function normalPdfF64(x: number): number {
  return INV_SQRT_2PI * expF64(-0.5 * x * x);
}

/** sum_n t^(2n+1) / (2n+1)!! for 0 <= t < 3, until a term is below 1e-17 of the sum: Phi(-t) = 1/2 - phi(t) * it. */
export function normalCdfSeries(t: number): number {
  return oddSeries(t, t * t);
}

/**
 * sum_n t * q^n / (2n+1)!! for t >= 0, until a term is below 1e-17 of the sum. With q = t^2 it is the
 * normal CDF series above; with q = 2 t^2, erf(t) = 2/sqrt(pi) * e^(-t^2) * oddSeries(t, 2 t^2).
 */
export function oddSeries(t: number, t2: number): number {
  let term = t;
  let sum = t;
  for (let n = 1; n < 200 && term > 1e-17 * sum; n++) {
    term = (term * t2) / (2 * n + 1);
    sum += term;
  }
  return sum;
}

/**
 * Standard normal CDF. For |x| < 3 the series Phi(x) = 1/2 + phi(x) * sum x^(2n+1) / (2n+1)!!;
 * beyond, the lower tail phi(t) / (t + 1/(t + 2/(t + 3/(t + ...)))) (Laplace's continued fraction),
 * evaluated backwards from 300 terms.
 */
export function normalCdfF64(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x > 0) return 1 - normalCdfF64(-x);
  const t = -x;
  if (t < 3) return 0.5 - normalPdfF64(t) * normalCdfSeries(t);
  if (t > 40) return 0;
  let frac = t;
  for (let k = 300; k >= 1; k--) frac = t + k / frac;
  return normalPdfF64(t) / frac;
}

/**
 * The continued fraction t + s/(t + 2s/(t + 3s/(t + ...))) for t > 0, evaluated forwards by Lentz's method
 * until a step changes it by less than 1e-16 (52 steps at t = 3, 11 at t = 12). The tails:
 * Phi(-t) = phi(t) / tailContinuedFraction(t, 1) (Laplace) and erfc(x) = e^(-x^2) / (sqrt(pi) *
 * tailContinuedFraction(x, 1/2)). Adaptive, so unlike normalCdfF64's fixed 300 backward terms it is not
 * part of the stream contract: the accuracy script's reference and the initializers' reported moments use it.
 */
export function tailContinuedFraction(t: number, s: number): number {
  let f = t;
  let c = t;
  let d = 0;
  for (let n = 1; n < 5000; n++) {
    const a = n * s;
    d = 1 / (t + a * d);
    c = t + a / c;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return f;
}
