// CPU twin of shaders/normal.wgsl: same function names, same bits.
import { fenceF32, logF32, normalQuantile, openUniformFromWord, sinCos2Pi, sqrtF32, uniformFromWord } from './transforms.js';

const f = Math.fround;
export const U1_FLOOR = f(1e-7);

/** Twin of boxMuller: [r sin v, r cos v] for the word pair (w0, w1). */
export function boxMuller(w0: number, w1: number): [number, number] {
  const u1 = Math.max(uniformFromWord(w0), U1_FLOOR);
  const r = sqrtF32(f(-2 * logF32(u1)));
  const [s, c] = sinCos2Pi(uniformFromWord(w1));
  return [f(r * s), f(r * c)];
}

/** Twin of scaleShift: mean + std * z with the product rounded first. */
export function scaleShift(z: number, mean: number, std: number): number {
  return f(fenceF32(std * z) + mean);
}

/** Twin of truncatedNormalFromWord. */
export function truncatedNormalFromWord(word: number, pLow: number, pWidth: number, mean: number, stdSigned: number, lo: number, hi: number): number {
  const p = f(fenceF32(openUniformFromWord(word) * pWidth) + pLow);
  const z = normalQuantile(p);
  return Math.min(Math.max(scaleShift(z, mean, stdSigned), lo), hi);
}
