// Word alignment: WebGPU copies, bindings and writeBuffer work in whole 4-byte words, and the safetensors writer
// and the window pipeline cut their ranges at words. The one pair of helpers for it.

/** `n` rounded up to a multiple of 4. */
export function roundUp4(n: number): number {
  return Math.ceil(n / 4) * 4;
}

/** `n` rounded down to a multiple of 4. */
export function roundDown4(n: number): number {
  return Math.floor(n / 4) * 4;
}
