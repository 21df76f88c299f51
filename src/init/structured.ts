// Positions of the ones in the structured initializers (eye, dirac) as arithmetic progressions of flat
// element indices, shared by the CPU twin and the GPU path, and their restriction to a slice.

/** Elements base + t * stride for t < n. */
export interface Progression {
  readonly base: number;
  readonly stride: number;
  readonly n: number;
}

/** torch.nn.init.eye_ / Keras Identity on a rows x cols matrix: (r, r) for r < min(rows, cols). */
export function eyeProgressions(rows: number, cols: number): Progression[] {
  return [{ base: 0, stride: cols + 1, n: Math.min(rows, cols) }];
}

/**
 * torch.nn.init.dirac_(tensor, groups) on [out, in, *kernel]: for each group g and d < min(out / groups,
 * in), element [g * (out / groups) + d, d, k1 / 2, k2 / 2, ...] is one (PyTorch torch/nn/init.py).
 */
export function diracProgressions(shape: readonly number[], groups: number): Progression[] {
  const [out, inChannels, ...kernel] = shape as [number, number, ...number[]];
  const perGroup = out / groups;
  const k = kernel.reduce((a, b) => a * b, 1);
  // Flat index of the kernel's centre (each dim's size // 2), row-major.
  let centre = 0;
  for (const size of kernel) centre = centre * size + Math.floor(size / 2);
  const n = Math.min(perGroup, inChannels);
  const progressions: Progression[] = [];
  for (let g = 0; g < groups; g++) {
    // [g * perGroup + d, d, centre] = (g * perGroup + d) * in * k + d * k + centre.
    progressions.push({ base: g * perGroup * inChannels * k + centre, stride: inChannels * k + k, n });
  }
  return progressions.filter((p) => p.n > 0);
}

/** The part of a progression inside [start, start + count), relative to start. */
export function sliceProgression(p: Progression, start: number, count: number): Progression {
  if (p.n === 0 || count === 0) return { base: 0, stride: p.stride, n: 0 };
  const first = Math.max(0, Math.ceil((start - p.base) / p.stride));
  const end = Math.min(p.n, Math.floor((start + count - 1 - p.base) / p.stride) + 1);
  if (end <= first) return { base: 0, stride: p.stride, n: 0 };
  return { base: p.base + first * p.stride - start, stride: p.stride, n: end - first };
}
