// Builds the WebAssembly text of the SIMD CPU generator (src/simd/generator.ts loads its binary, which
// scripts/build-simd.ts writes to src/simd/binary.ts). It is the CPU twin once more, four Philox
// blocks at a time: every f32 operation below is the same IEEE operation, on the same operands and in the
// same order, as in src/twin/transforms.ts and src/twin/normal.ts, so the bits are the same (WebAssembly's
// f32x4 arithmetic is IEEE 754 binary32 with round-to-nearest-even and subnormals, and is never
// reassociated or contracted). Branches become per-lane selects. test/simd/generator.test.ts holds every
// kernel bit-equal to the scalar twin.
//
// Lane layout: a group is 4 consecutive Philox blocks; vector x_j holds word j of the 4 blocks (lane b =
// block b). Box-Muller pairs (w0, w1) and (w2, w3) are then whole vectors, and a 4x4 transpose turns the
// lanes back into element order before the stores.

import { U1_FLOOR } from '../twin/normal.js';
import { PHILOX_M0, PHILOX_M1, PHILOX_W0, PHILOX_W1 } from '../twin/philox.js';
import {
  ACKLAM_C,
  ACKLAM_D,
  C_8_17,
  C_24_17,
  C2,
  C4,
  C6,
  C8,
  C10,
  C12,
  ERFINV_CENTRAL,
  ERFINV_TAIL,
  INV3,
  INV5,
  INV7,
  INV9,
  LN2_HI,
  LN2_LO,
  MAGIC_RSQRT,
  S1,
  S3,
  S5,
  S7,
  S9,
  S11,
  SQRT2,
  SQRT2_F,
  TAIL_THRESHOLD,
} from '../twin/transforms.js';

const scratch = new DataView(new ArrayBuffer(4));
function f32Bits(x: number): number {
  scratch.setFloat32(0, x, true);
  return scratch.getUint32(0, true);
}

/** A v128 constant with four copies of f32(x), written as its bits so the text cannot round it. */
const F = (x: number): string => {
  if (Math.fround(x) !== x) throw new Error(`${x} is not an f32 value`);
  const b = f32Bits(x);
  return `(v128.const i32x4 ${b} ${b} ${b} ${b})`;
};
/** A v128 constant with four copies of the 32-bit integer v. */
const I = (v: number): string => `(v128.const i32x4 ${v | 0} ${v | 0} ${v | 0} ${v | 0})`;
const get = (name: string): string => `(local.get $${name})`;
const set = (name: string, value: string): string => `(local.set $${name} ${value})`;
const mul = (a: string, b: string): string => `(f32x4.mul ${a} ${b})`;
const add = (a: string, b: string): string => `(f32x4.add ${a} ${b})`;
const sub = (a: string, b: string): string => `(f32x4.sub ${a} ${b})`;
/** Lanes of a where mask is all ones, else lanes of b. */
const select = (a: string, b: string, mask: string): string => `(v128.bitselect ${a} ${b} ${mask})`;
const locals = (names: string[]): string => names.map((n) => `(local $${n} v128)`).join(' ');

/** Horner in the twin's order: p = v * c[0] + c[1]; then p = p * v + c[i]. */
function horner(p: string, v: string, coefficients: readonly string[]): string[] {
  const out = [set(p, add(mul(get(v), coefficients[0]!), coefficients[1]!))];
  for (let i = 2; i < coefficients.length; i++) out.push(set(p, add(mul(get(p), get(v)), coefficients[i]!)));
  return out;
}

// The transforms, one WebAssembly function per twin function of src/twin/transforms.ts.
const transforms = `
  ;; reciprocalF32: 1/d by three Newton steps from a linear estimate on the mantissa.
  (func $reciprocalF32 (param $d v128) (result v128) ${locals(['m', 'r', 'scale'])}
    ${set('m', `(v128.or (v128.and ${get('d')} ${I(0x7fffff)}) ${I(0x3f800000)})`)}
    ${set('r', sub(F(C_24_17), mul(F(C_8_17), get('m'))))}
    ${[0, 1, 2].map(() => set('r', mul(get('r'), sub(F(2), mul(get('m'), get('r')))))).join('\n    ')}
    ${set('scale', `(i32x4.shl (i32x4.sub ${I(254)} (v128.and (i32x4.shr_u ${get('d')} (i32.const 23)) ${I(0xff)})) (i32.const 23))`)}
    ${mul(get('r'), get('scale'))})

  ;; logF32: exponent and a mantissa in (sqrt(2)/2, sqrt(2)], atanh series in s = (m - 1) / (m + 1).
  (func $logF32 (param $x v128) (result v128) ${locals(['e', 'm', 'big', 's', 's2', 'p', 'twoS', 'lnm', 'ef'])}
    ${set('e', `(i32x4.sub (v128.and (i32x4.shr_u ${get('x')} (i32.const 23)) ${I(0xff)}) ${I(127)})`)}
    ${set('m', `(v128.or (v128.and ${get('x')} ${I(0x7fffff)}) ${I(0x3f800000)})`)}
    ${set('big', `(f32x4.gt ${get('m')} ${F(SQRT2_F)})`)}
    ${set('m', select(mul(get('m'), F(0.5)), get('m'), get('big')))}
    ${set('e', `(i32x4.sub ${get('e')} ${get('big')})`)}
    ${set('s', mul(sub(get('m'), F(1)), `(call $reciprocalF32 ${add(get('m'), F(1))})`))}
    ${set('s2', mul(get('s'), get('s')))}
    ${horner('p', 's2', [F(INV9), F(INV7), F(INV5), F(INV3)]).join('\n    ')}
    ${set('twoS', mul(F(2), get('s')))}
    ${set('lnm', add(get('twoS'), mul(get('twoS'), mul(get('s2'), get('p')))))}
    ${set('ef', `(f32x4.convert_i32x4_s ${get('e')})`)}
    ${add(mul(get('ef'), F(LN2_HI)), add(mul(get('ef'), F(LN2_LO)), get('lnm')))})

  ;; sqrtF32: inverse square root by three Newton steps, one correction; 0 where x <= 0.
  (func $sqrtF32 (param $x v128) (result v128) ${locals(['half', 'y', 's'])}
    ${set('half', mul(F(0.5), get('x')))}
    ${set('y', `(i32x4.sub ${I(MAGIC_RSQRT)} (i32x4.shr_u ${get('x')} (i32.const 1)))`)}
    ${[0, 1, 2].map(() => set('y', mul(get('y'), sub(F(1.5), mul(get('half'), mul(get('y'), get('y'))))))).join('\n    ')}
    ${set('s', mul(get('x'), get('y')))}
    ${select(I(0), add(get('s'), mul(mul(F(0.5), get('y')), sub(get('x'), mul(get('s'), get('s'))))), `(f32x4.le ${get('x')} ${I(0)})`)})

  ;; sinCos2Pi: quadrant q = floor(4u + 1/2), polynomials in t = u - q/4, then the quadrant's signs.
  (func $sinCos2Pi (param $u v128) (result v128 v128) ${locals(['q', 't', 't2', 's', 'c', 'q1', 'q2', 'q3'])} (local $qi v128)
    ${set('q', `(f32x4.floor ${add(mul(F(4), get('u')), F(0.5))})`)}
    ${set('t', sub(get('u'), mul(F(0.25), get('q'))))}
    ${set('t2', mul(get('t'), get('t')))}
    ${set('s', add(mul(get('t2'), F(-S11)), F(S9)))}
    ${set('s', sub(mul(get('s'), get('t2')), F(S7)))}
    ${set('s', add(mul(get('s'), get('t2')), F(S5)))}
    ${set('s', sub(mul(get('s'), get('t2')), F(S3)))}
    ${set('s', add(mul(get('s'), get('t2')), F(S1)))}
    ${set('s', mul(get('s'), get('t')))}
    ${set('c', sub(mul(get('t2'), F(C12)), F(C10)))}
    ${set('c', add(mul(get('c'), get('t2')), F(C8)))}
    ${set('c', sub(mul(get('c'), get('t2')), F(C6)))}
    ${set('c', add(mul(get('c'), get('t2')), F(C4)))}
    ${set('c', sub(mul(get('c'), get('t2')), F(C2)))}
    ${set('c', add(mul(get('c'), get('t2')), F(1)))}
    ${set('qi', `(v128.and (i32x4.trunc_sat_f32x4_s ${get('q')}) ${I(3)})`)}
    ${set('q1', `(i32x4.eq ${get('qi')} ${I(1)})`)}
    ${set('q2', `(i32x4.eq ${get('qi')} ${I(2)})`)}
    ${set('q3', `(i32x4.eq ${get('qi')} ${I(3)})`)}
    ;; sin: s, c, -s, -c; cos: c, -s, -c, s for quadrants 0..3
    ${select(get('c'), select(`(f32x4.neg ${get('s')})`, select(`(f32x4.neg ${get('c')})`, get('s'), get('q3')), get('q2')), get('q1'))}
    ${select(`(f32x4.neg ${get('s')})`, select(`(f32x4.neg ${get('c')})`, select(get('s'), get('c'), get('q3')), get('q2')), get('q1'))})

  ;; erfinvF32 (Giles): central or tail polynomial per lane, chosen by w < 5.
  (func $erfinvF32 (param $x v128) (param $w v128) (result v128) ${locals(['central', 'v', 'p'])}
    ${set('central', `(f32x4.lt ${get('w')} ${F(5)})`)}
    ${set('v', sub(get('w'), F(2.5)))}
    (if (i32.eqz (i8x16.all_true ${get('central')}))
      (then ${set('v', select(get('v'), sub(`(call $sqrtF32 ${get('w')})`, F(3)), get('central')))}))
    ${horner(
      'p',
      'v',
      ERFINV_CENTRAL.map((c, i) => select(F(c), F(ERFINV_TAIL[i]!), get('central'))),
    ).join('\n    ')}
    ${mul(get('p'), get('x'))})

  ;; normalQuantileLowerTail (Acklam): for p below 2^-24.
  (func $normalQuantileLowerTail (param $p v128) (result v128) ${locals(['q', 'n', 'd'])}
    ${set('q', `(call $sqrtF32 ${mul(F(-2), `(call $logF32 ${get('p')})`)})`)}
    ${horner('n', 'q', ACKLAM_C.map(F)).join('\n    ')}
    ${horner('d', 'q', ACKLAM_D.map(F)).join('\n    ')}
    ${mul(get('n'), `(call $reciprocalF32 ${get('d')})`)})

  ;; normalQuantile: erfinv in the body, Acklam's tail below 2^-24 (computed only when a lane needs it).
  (func $normalQuantile (param $p v128) (result v128) ${locals(['w', 'z', 'tail'])}
    ${set('w', `(f32x4.neg (call $logF32 ${mul(mul(F(4), get('p')), sub(F(1), get('p')))}))`)}
    ${set('z', mul(F(SQRT2), `(call $erfinvF32 ${sub(mul(F(2), get('p')), F(1))} ${get('w')})`))}
    ${set('tail', `(f32x4.lt ${get('p')} ${F(TAIL_THRESHOLD)})`)}
    (if (v128.any_true ${get('tail')})
      (then ${set('z', select(`(call $normalQuantileLowerTail ${get('p')})`, get('z'), get('tail')))}))
    ${get('z')})

  ;; boxMuller on the word vectors (w0, w1): u1 floored at 1e-7, r = sqrt(-2 ln u1), angle 2 pi u2.
  (func $boxMuller (param $w0 v128) (param $w1 v128) (result v128 v128) ${locals(['r', 's', 'c'])}
    ${set('r', `(call $sqrtF32 ${mul(F(-2), `(call $logF32 (f32x4.max (call $uniformFromWord ${get('w0')}) ${F(U1_FLOOR)}))`)})`)}
    (call $sinCos2Pi (call $uniformFromWord ${get('w1')}))
    ${set('c', '')}
    ${set('s', '')}
    ${mul(get('r'), get('s'))}
    ${mul(get('r'), get('c'))})

  ;; uniformFromWord: (word & 0x7fffff) * 2^-23, exact.
  (func $uniformFromWord (param $w v128) (result v128)
    ${mul(`(f32x4.convert_i32x4_s (v128.and ${get('w')} ${I(0x7fffff)}))`, F(2 ** -23))})

  ;; openUniformFromWord: ((word & 0x7fffff) + 1/2) * 2^-23, exact.
  (func $openUniformFromWord (param $w v128) (result v128)
    ${mul(add(`(f32x4.convert_i32x4_s (v128.and ${get('w')} ${I(0x7fffff)}))`, F(0.5)), F(2 ** -23))})
`;

/** One Philox round on the vectors c0..c3 with the key vectors k0, k1 (Random123 _philox4x32round). */
function philoxRound(): string {
  const mulhi = (x: string, m: string) =>
    `(i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (i64x2.extmul_low_i32x4_u ${x} ${m}) (i64x2.extmul_high_i32x4_u ${x} ${m}))`;
  return [
    set('hi0', mulhi(get('c0'), I(PHILOX_M0))),
    set('lo0', `(i32x4.mul ${get('c0')} ${I(PHILOX_M0)})`),
    set('hi1', mulhi(get('c2'), I(PHILOX_M1))),
    set('lo1', `(i32x4.mul ${get('c2')} ${I(PHILOX_M1)})`),
    set('c0', `(v128.xor (v128.xor ${get('hi1')} ${get('c1')}) ${get('k0')})`),
    set('c1', get('lo1')),
    set('c2', `(v128.xor (v128.xor ${get('hi0')} ${get('c3')}) ${get('k1')})`),
    set('c3', get('lo0')),
  ].join('\n    ');
}

const philox = `
  ;; philox4x32_10 of 4 blocks: counters (lo + lane, hi + carry, s0, s1), key (k0, k1).
  (func $philox4 (param $lo i32) (param $hi i32) (param $s0 i32) (param $s1 i32) (param $key0 i32) (param $key1 i32)
    (result v128 v128 v128 v128)
    ${locals(['c0', 'c1', 'c2', 'c3', 'k0', 'k1', 'hi0', 'lo0', 'hi1', 'lo1'])}
    ${set('c0', `(i32x4.add (i32x4.splat ${get('lo')}) (v128.const i32x4 0 1 2 3))`)}
    ;; lanes whose low word wrapped carry into the high word (the mask is -1 there)
    ${set('c1', `(i32x4.sub (i32x4.splat ${get('hi')}) (i32x4.lt_u ${get('c0')} (i32x4.splat ${get('lo')})))`)}
    ${set('c2', `(i32x4.splat ${get('s0')})`)}
    ${set('c3', `(i32x4.splat ${get('s1')})`)}
    ${set('k0', `(i32x4.splat ${get('key0')})`)}
    ${set('k1', `(i32x4.splat ${get('key1')})`)}
    ${Array.from(
      { length: 10 },
      (_, r) =>
        (r > 0 ? `${set('k0', `(i32x4.add ${get('k0')} ${I(PHILOX_W0)})`)}\n    ${set('k1', `(i32x4.add ${get('k1')} ${I(PHILOX_W1)})`)}\n    ` : '') +
        philoxRound(),
    ).join('\n    ')}
    ${get('c0')} ${get('c1')} ${get('c2')} ${get('c3')})

  ;; Stores y0..y3 (y_j = element j of 4 consecutive blocks) in element order at p: a 4x4 transpose.
  (func $store4 (param $p i32) (param $y0 v128) (param $y1 v128) (param $y2 v128) (param $y3 v128) ${locals(['t0', 't1', 't2', 't3'])}
    ${set('t0', `(i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 ${get('y0')} ${get('y1')})`)}
    ${set('t1', `(i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 ${get('y0')} ${get('y1')})`)}
    ${set('t2', `(i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 ${get('y2')} ${get('y3')})`)}
    ${set('t3', `(i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 ${get('y2')} ${get('y3')})`)}
    (v128.store offset=0 ${get('p')} (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 ${get('t0')} ${get('t2')}))
    (v128.store offset=16 ${get('p')} (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 ${get('t0')} ${get('t2')}))
    (v128.store offset=32 ${get('p')} (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 ${get('t1')} ${get('t3')}))
    (v128.store offset=48 ${get('p')} (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 ${get('t1')} ${get('t3')})))
`;

/**
 * A kernel: `groups` groups of 4 blocks from block (lo, hi), 16 elements per group stored at `out`.
 * `body` turns x0..x3 into y0..y3; `params` are its extra f32 parameters.
 */
function kernel(name: string, params: string[], body: string, vlocals: string[] = []): string {
  return `
  (func (export "${name}") (param $out i32) (param $groups i32) (param $lo i32) (param $hi i32)
    (param $s0 i32) (param $s1 i32) (param $key0 i32) (param $key1 i32) ${params.map((p) => `(param $${p} f32)`).join(' ')}
    ${locals(['x0', 'x1', 'x2', 'x3', 'y0', 'y1', 'y2', 'y3', ...params.map((p) => `${p}v`), ...vlocals])}
    ${params.map((p) => set(`${p}v`, `(f32x4.splat ${get(p)})`)).join('\n    ')}
    (block $done (loop $next
      (br_if $done (i32.eqz ${get('groups')}))
      (call $philox4 ${get('lo')} ${get('hi')} ${get('s0')} ${get('s1')} ${get('key0')} ${get('key1')})
      (local.set $x3) (local.set $x2) (local.set $x1) (local.set $x0)
      ${body}
      (call $store4 ${get('out')} ${get('y0')} ${get('y1')} ${get('y2')} ${get('y3')})
      (local.set $out (i32.add ${get('out')} (i32.const 64)))
      (local.set $groups (i32.sub ${get('groups')} (i32.const 1)))
      (local.set $lo (i32.add ${get('lo')} (i32.const 4)))
      (if (i32.lt_u ${get('lo')} (i32.const 4)) (then (local.set $hi (i32.add ${get('hi')} (i32.const 1)))))
      (br $next))))
`;
}

const xs = ['x0', 'x1', 'x2', 'x3'] as const;
const perWord = (f: (x: string) => string): string => xs.map((x, j) => set(`y${j}`, f(get(x)))).join('\n      ');
/** scaleShift: std * z + mean, product rounded first. */
const scaleShift = (z: string, mean: string, std: string): string => add(mul(std, z), mean);

const kernels = [
  kernel(
    'generateBits',
    [],
    perWord((x) => x),
  ),
  kernel(
    'generateUniform',
    ['low', 'range'],
    perWord((x) => add(mul(`(call $uniformFromWord ${x})`, get('rangev')), get('lowv'))),
  ),
  kernel(
    'generateNormal',
    ['mean', 'std'],
    [
      `(call $boxMuller ${get('x0')} ${get('x1')}) (local.set $y1) (local.set $y0)`,
      `(call $boxMuller ${get('x2')} ${get('x3')}) (local.set $y3) (local.set $y2)`,
      ...[0, 1, 2, 3].map((j) => set(`y${j}`, scaleShift(get(`y${j}`), get('meanv'), get('stdv')))),
    ].join('\n      '),
  ),
  kernel(
    'generateTruncatedNormal',
    ['pLow', 'pWidth', 'mean', 'std', 'clampLow', 'clampHigh'],
    perWord((x) => {
      const p = add(mul(`(call $openUniformFromWord ${x})`, get('pWidthv')), get('pLowv'));
      const v = scaleShift(`(call $normalQuantile ${p})`, get('meanv'), get('stdv'));
      return `(f32x4.min (f32x4.max ${v} ${get('clampLowv')}) ${get('clampHighv')})`;
    }),
  ),
].join('');

// f32 -> f16 / bf16 bit patterns, n values from src (f32) to dst (u16); dst may equal src.
const packing = `
  ;; f32ToF16Bits of one value (the scalar twin, for the lanes the vector path does not cover).
  (func $f32ToF16Bits (param $bits i32) (result i32) (local $sign i32) (local $exponent i32) (local $mantissa i32)
    (local $e i32) (local $m i32) (local $shift i32) (local $h i32) (local $rem i32) (local $halfway i32)
    (local.set $sign (i32.and (i32.shr_u (local.get $bits) (i32.const 16)) (i32.const 0x8000)))
    (local.set $exponent (i32.and (i32.shr_u (local.get $bits) (i32.const 23)) (i32.const 0xff)))
    (local.set $mantissa (i32.and (local.get $bits) (i32.const 0x7fffff)))
    (if (i32.eq (local.get $exponent) (i32.const 0xff)) (then
      (return (i32.or (i32.or (local.get $sign) (i32.const 0x7c00))
        (select (i32.or (i32.const 0x200) (i32.shr_u (local.get $mantissa) (i32.const 13))) (i32.const 0) (local.get $mantissa))))))
    (local.set $e (i32.sub (local.get $exponent) (i32.const 112)))
    (if (i32.ge_s (local.get $e) (i32.const 31)) (then (return (i32.or (local.get $sign) (i32.const 0x7c00)))))
    (if (i32.le_s (local.get $e) (i32.const 0)) (then
      (if (i32.lt_s (local.get $e) (i32.const -10)) (then (return (local.get $sign))))
      (local.set $m (i32.or (local.get $mantissa) (i32.const 0x800000)))
      (local.set $shift (i32.sub (i32.const 14) (local.get $e)))
      (local.set $h (i32.shr_u (local.get $m) (local.get $shift)))
      (local.set $rem (i32.and (local.get $m) (i32.sub (i32.shl (i32.const 1) (local.get $shift)) (i32.const 1))))
      (local.set $halfway (i32.shl (i32.const 1) (i32.sub (local.get $shift) (i32.const 1))))
      (return (i32.or (local.get $sign) (i32.add (local.get $h)
        (i32.or (i32.gt_u (local.get $rem) (local.get $halfway))
          (i32.and (i32.eq (local.get $rem) (local.get $halfway)) (i32.and (local.get $h) (i32.const 1)))))))))
    (local.set $h (i32.or (i32.shl (local.get $e) (i32.const 10)) (i32.shr_u (local.get $mantissa) (i32.const 13))))
    (local.set $rem (i32.and (local.get $mantissa) (i32.const 0x1fff)))
    (i32.or (local.get $sign) (i32.add (local.get $h)
      (i32.or (i32.gt_u (local.get $rem) (i32.const 0x1000))
        (i32.and (i32.eq (local.get $rem) (i32.const 0x1000)) (i32.and (local.get $h) (i32.const 1)))))))

  ;; Four values: the vector path where every lane is a normal f16 (biased exponent 1..30), else scalar.
  (func $f16x4 (param $x v128) (result v128) ${locals(['e', 'h', 'rem', 'up'])}
    ${set('e', `(i32x4.sub (v128.and (i32x4.shr_u ${get('x')} (i32.const 23)) ${I(0xff)}) ${I(112)})`)}
    (if (result v128) (i32x4.all_true (v128.and (i32x4.gt_s ${get('e')} ${I(0)}) (i32x4.lt_s ${get('e')} ${I(31)})))
      (then
        ${set('h', `(v128.or (i32x4.shl ${get('e')} (i32.const 10)) (i32x4.shr_u (v128.and ${get('x')} ${I(0x7fffff)}) (i32.const 13)))`)}
        ${set('rem', `(v128.and ${get('x')} ${I(0x1fff)})`)}
        ;; up = rem > 0x1000 or (rem == 0x1000 and h odd): masks of -1, so subtracting adds one
        ${set('up', `(v128.or (i32x4.gt_s ${get('rem')} ${I(0x1000)}) (v128.and (i32x4.eq ${get('rem')} ${I(0x1000)}) (i32x4.eq (v128.and ${get('h')} ${I(1)}) ${I(1)})))`)}
        (v128.or (v128.and (i32x4.shr_u ${get('x')} (i32.const 16)) ${I(0x8000)}) (i32x4.sub ${get('h')} ${get('up')})))
      (else
        (i32x4.replace_lane 3 (i32x4.replace_lane 2 (i32x4.replace_lane 1 (i32x4.splat
          (call $f32ToF16Bits (i32x4.extract_lane 0 ${get('x')})))
          (call $f32ToF16Bits (i32x4.extract_lane 1 ${get('x')})))
          (call $f32ToF16Bits (i32x4.extract_lane 2 ${get('x')})))
          (call $f32ToF16Bits (i32x4.extract_lane 3 ${get('x')}))))))

  ;; f32ToBf16Bits of four values: round to nearest even; a NaN stays a quiet NaN.
  (func $bf16x4 (param $x v128) (result v128) ${locals(['nan'])}
    ${set('nan', `(v128.and (i32x4.eq (v128.and ${get('x')} ${I(0x7f800000)}) ${I(0x7f800000)}) (v128.not (i32x4.eq (v128.and ${get('x')} ${I(0x7fffff)}) ${I(0)})))`)}
    ${select(
      `(v128.or (i32x4.shr_u ${get('x')} (i32.const 16)) ${I(0x40)})`,
      `(i32x4.shr_u (i32x4.add (i32x4.add ${get('x')} ${I(0x7fff)}) (v128.and (i32x4.shr_u ${get('x')} (i32.const 16)) ${I(1)})) (i32.const 16))`,
      get('nan'),
    )})
${(['f16', 'bf16'] as const)
  .map(
    (t) => `
  ;; ${t} bit patterns of n f32 values (n a multiple of 8) from src to dst; dst <= src may overlap.
  (func (export "pack${t === 'f16' ? 'F16' : 'Bf16'}") (param $src i32) (param $dst i32) (param $n i32)
    (block $done (loop $next
      (br_if $done (i32.lt_s ${get('n')} (i32.const 8)))
      (v128.store ${get('dst')} (i16x8.narrow_i32x4_u
        (call $${t}x4 (v128.load offset=0 ${get('src')})) (call $${t}x4 (v128.load offset=16 ${get('src')}))))
      (local.set $src (i32.add ${get('src')} (i32.const 32)))
      (local.set $dst (i32.add ${get('dst')} (i32.const 16)))
      (local.set $n (i32.sub ${get('n')} (i32.const 8)))
      (br $next))))`,
  )
  .join('')}
`;

/** The whole module: one exported memory, the four generate kernels and the two packers. */
export function simdWat(): string {
  return `;; Generated by src/simd/wat.ts; do not edit.
(module
  (memory (export "memory") 1)
${transforms}
${philox}
${kernels}
${packing}
)
`;
}
