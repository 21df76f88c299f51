// Splits one generation into dispatches that respect the device's limits. Pure arithmetic, so it is
// tested on its own; the GPU path and the tests share it.

export interface DispatchLimits {
  /** Largest storage binding, in bytes (a multiple of 4). */
  readonly maxBindingBytes: number;
  /** minStorageBufferOffsetAlignment. */
  readonly bindingAlignment: number;
  /** maxComputeWorkgroupsPerDimension. */
  readonly maxWorkgroupsPerDimension: number;
  /** Invocations per workgroup; each invocation computes one 4-element Philox block. */
  readonly workgroupSize: number;
}

export interface DispatchChunk {
  /** Tensor index of the chunk's first element. */
  readonly start: bigint;
  /** Elements in this chunk. */
  readonly count: number;
  /**
   * Byte range bound as the output array: bindOffset is aligned to bindingAlignment, the end is the
   * chunk's last byte rounded up to 4 (for 2-byte elements the last word may be shared with a neighbour,
   * whose half the kernel preserves).
   */
  readonly bindOffset: number;
  readonly bindSize: number;
  /** Index within the binding, in elements of elementBytes, where the chunk's first element goes. */
  readonly outIndex: number;
  /** Workgroups in x and y; invocation (x, y) handles block y * rowBlocks + x. */
  readonly workgroups: readonly [number, number];
  readonly rowBlocks: number;
}

/** Blocks per dispatch are kept below 2^30 so that 4 * block + 3 fits the shader's u32 arithmetic. */
export const MAX_BLOCKS_PER_DISPATCH = 2 ** 30 - 1;

/** `byteOffset` must be a multiple of elementBytes (2 or 4). */
export function planDispatches(
  byteOffset: number,
  count: number,
  start: bigint,
  limits: DispatchLimits,
  elementBytes: 2 | 4 = 4,
): DispatchChunk[] {
  const { maxBindingBytes, bindingAlignment, maxWorkgroupsPerDimension, workgroupSize } = limits;
  if (maxBindingBytes < 2 * bindingAlignment || maxBindingBytes % 4 !== 0) {
    throw new RangeError(`maxBindingBytes must be a multiple of 4 and at least ${2 * bindingAlignment}`);
  }
  const maxBlocks = Math.min(MAX_BLOCKS_PER_DISPATCH, maxWorkgroupsPerDimension * maxWorkgroupsPerDimension * workgroupSize);
  const chunks: DispatchChunk[] = [];
  let done = 0;
  while (done < count) {
    const cur = byteOffset + done * elementBytes;
    const bindOffset = Math.floor(cur / bindingAlignment) * bindingAlignment;
    const chunkStart = start + BigInt(done);
    const phase = Number(chunkStart & 3n);
    const fitBinding = Math.floor((bindOffset + maxBindingBytes - cur) / elementBytes);
    const fitDispatch = 4 * maxBlocks - phase;
    const n = Math.min(count - done, fitBinding, fitDispatch);
    const blocks = Math.ceil((phase + n) / 4);
    const groups = Math.ceil(blocks / workgroupSize);
    const x = Math.min(groups, maxWorkgroupsPerDimension);
    const y = Math.ceil(groups / x);
    chunks.push({
      start: chunkStart,
      count: n,
      bindOffset,
      bindSize: roundUp4(cur + n * elementBytes) - bindOffset,
      outIndex: (cur - bindOffset) / elementBytes,
      workgroups: [x, y],
      rowBlocks: x * workgroupSize,
    });
    done += n;
  }
  return chunks;
}

function roundUp4(n: number): number {
  return Math.ceil(n / 4) * 4;
}
